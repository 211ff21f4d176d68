// random: element i of a draw is a function of the Philox4x32-10 block at counter
// (position + i, 0) under the 64-bit key: the raw first word, a uniform from its top bits,
// or a Box-Muller normal. WGSL has no 64-bit integers, so the 32 x 32 -> 64 multiplies are
// assembled from 16-bit halves and the 64-bit counter from two words with a carry.
// Specialised by src/backend/wgpu/random.rs: ENABLE, OUT (storage type), HELPERS (functions
// VALUE calls), VALUE (the element from the block w: vec4<u32>).
{{ENABLE}}

struct Params {
    len: u32,
    pos_lo: u32,
    pos_hi: u32,
    key0: u32,
    key1: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;

// The high word of a * b.
fn mulhi(a: u32, b: u32) -> u32 {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let lh = a0 * b1;
    let hl = a1 * b0;
    let mid = ((a0 * b0) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
    return a1 * b1 + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var r = 0u; r < 10u; r++) {
        if (r > 0u) {
            k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
        }
        let hi0 = mulhi(0xD2511F53u, c.x);
        let lo0 = 0xD2511F53u * c.x;
        let hi1 = mulhi(0xCD9E8D57u, c.z);
        let lo1 = 0xCD9E8D57u * c.z;
        c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

{{HELPERS}}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (i >= p.len) {
        return;
    }
    let lo = p.pos_lo + i;
    let hi = p.pos_hi + select(0u, 1u, lo < i);
    let w = philox(vec4<u32>(lo, hi, 0u, 0u), vec2<u32>(p.key0, p.key1));
    out[i] = {{VALUE}};
}
