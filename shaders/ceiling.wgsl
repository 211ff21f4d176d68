// ceiling: kernels that measure the device's own limits for Device::ceilings. `copy`:
// dst = src in 16-byte words, one per invocation. `fma`: every invocation runs 8 independent
// chains of `rounds` (a multiple of 4) fused multiply-adds (x = x * a + b, a and b from the
// uniform so that nothing folds) and stores their sum, so that no chain is dead code. Both
// lay their workgroups out in two dimensions (the linear index is rebuilt from
// num_workgroups).

struct Params {
    count: u32,
    rounds: u32,
    a: f32,
    b: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

// @kernel copy
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> src: array<vec4<u32>>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * nwg.x + wid.x) * 256u + lid;
    if i < p.count {
        dst[i] = src[i];
    }
}

// @kernel fma
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * nwg.x + wid.x) * 256u + lid;
    if i >= p.count {
        return;
    }
    let x = f32(i & 1023u) * 1e-3;
    var c0 = x;
    var c1 = x + 0.125;
    var c2 = x + 0.25;
    var c3 = x + 0.375;
    var c4 = x + 0.5;
    var c5 = x + 0.625;
    var c6 = x + 0.75;
    var c7 = x + 0.875;
    // Four rounds per trip (rounds is a multiple of 4), so that the loop's own counter, and
    // the one wgpu adds to every loop, cost little beside 32 fmas.
    for (var r = 0u; r < p.rounds; r += 4u) {
        c0 = fma(c0, p.a, p.b);
        c1 = fma(c1, p.a, p.b);
        c2 = fma(c2, p.a, p.b);
        c3 = fma(c3, p.a, p.b);
        c4 = fma(c4, p.a, p.b);
        c5 = fma(c5, p.a, p.b);
        c6 = fma(c6, p.a, p.b);
        c7 = fma(c7, p.a, p.b);
        c0 = fma(c0, p.a, p.b);
        c1 = fma(c1, p.a, p.b);
        c2 = fma(c2, p.a, p.b);
        c3 = fma(c3, p.a, p.b);
        c4 = fma(c4, p.a, p.b);
        c5 = fma(c5, p.a, p.b);
        c6 = fma(c6, p.a, p.b);
        c7 = fma(c7, p.a, p.b);
        c0 = fma(c0, p.a, p.b);
        c1 = fma(c1, p.a, p.b);
        c2 = fma(c2, p.a, p.b);
        c3 = fma(c3, p.a, p.b);
        c4 = fma(c4, p.a, p.b);
        c5 = fma(c5, p.a, p.b);
        c6 = fma(c6, p.a, p.b);
        c7 = fma(c7, p.a, p.b);
        c0 = fma(c0, p.a, p.b);
        c1 = fma(c1, p.a, p.b);
        c2 = fma(c2, p.a, p.b);
        c3 = fma(c3, p.a, p.b);
        c4 = fma(c4, p.a, p.b);
        c5 = fma(c5, p.a, p.b);
        c6 = fma(c6, p.a, p.b);
        c7 = fma(c7, p.a, p.b);
    }
    out[i] = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
}
