// reduce: one pass of a reduction over the middle axis of [outer, k, inner], shrinking k by
// a tile factor; passes repeat until k == 1. Values combine pairwise (tree order), so f32
// sums lose accuracy like log2(n), not n.
// Specialised by src/backend/wgpu/reduce.rs: ENABLE, IN (input storage type), ACC (the type
// combined in), OUT (output storage type), HELPERS (lift, comb, is_nan), IDX_IN (how an
// element's index along k is read: its position on the first pass, else the index stored by
// the previous pass), IDX_OUT (arg ops store it), PAD (what fills positions past k: an
// identity for sum and prod, a valid element for min and max, any value with an invalid
// index for the arg ops).
{{ENABLE}}

struct Params {
    outer: u32,
    k: u32,
    inner: u32,
    tiles: u32,
}

struct Pair {
    v: {{ACC}},
    i: u32,
}

const INVALID: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<{{IN}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{OUT}}>;
{{IDX_BINDINGS}}

{{HELPERS}}

// Positions k0, k0 + step, ... (eight of them) of the row at `base` whose consecutive
// positions are `stride` elements apart, combined pairwise.
fn eight(base: u32, k0: u32, step: u32, stride: u32) -> Pair {
    var v: array<Pair, 8>;
    for (var j = 0u; j < 8u; j++) {
        let kk = k0 + j * step;
        if (kk < p.k) {
            let at = base + kk * stride;
            v[j] = Pair(lift(src[at]), {{IDX_IN}});
        } else {
            v[j] = Pair({{PAD}}, INVALID);
        }
    }
    let a = comb(comb(v[0], v[1]), comb(v[2], v[3]));
    let b = comb(comb(v[4], v[5]), comb(v[6], v[7]));
    return comb(a, b);
}

// @kernel tile
// inner == 1: one workgroup per (row, tile of 2048 positions); 8 per thread, then a tree.
var<workgroup> shared_v: array<Pair, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.y * nwg.x + wid.x;
    if (w >= p.outer * p.tiles) {
        return;
    }
    let row = w / p.tiles;
    let tile = w % p.tiles;
    shared_v[lid] = eight(row * p.k, tile * 2048u + lid, 256u, 1u);
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            shared_v[lid] = comb(shared_v[lid], shared_v[lid + s]);
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        let r = shared_v[0];
        out[w] = {{OUT}}(r.v);
        {{IDX_OUT}}
    }
}

// @kernel column
// inner > 1: one thread per (outer, tile of 8 positions, inner); loads are coalesced along inner.
@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (id >= p.outer * p.tiles * p.inner) {
        return;
    }
    let i = id % p.inner;
    let t = (id / p.inner) % p.tiles;
    let o = id / (p.inner * p.tiles);
    let r = eight(o * p.k * p.inner + i, t * 8u, 1u, p.inner);
    let w = (o * p.tiles + t) * p.inner + i;
    out[w] = {{OUT}}(r.v);
    {{IDX_OUT}}
}
