// scan: inclusive running sums and products along the middle axis of [outer, k, inner].
// Rows (inner == 1) are cut into tiles of 2048 positions, 8 consecutive per thread: the
// `rows` kernel scans its 8 serially, the 256 thread totals in shared memory (Hillis-Steele),
// then adds the thread's prefix. Rows longer than one tile take two launches around a
// recursive scan of the tile totals: `rows` with TOTALS writes each tile's total, and `rows`
// with a carry binding starts each tile from the scanned total of the tiles before it.
// Columns (inner > 1) are walked serially along k, one thread per (outer, inner) pair.
// Specialised by src/backend/wgpu/scan.rs: ENABLE, IN (input storage type), ACC (the type
// combined in), OUT (output storage type), COMB (the combining expression of a and b),
// IDENT (its identity), CARRY_BINDING, CARRY_INIT, FINISH (what a tile writes).
{{ENABLE}}

struct Params {
    outer: u32,
    k: u32,
    inner: u32,
    tiles: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<{{IN}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{OUT}}>;
{{CARRY_BINDING}}

fn comb(a: {{ACC}}, b: {{ACC}}) -> {{ACC}} {
    return {{COMB}};
}

// @kernel rows
var<workgroup> sh: array<{{ACC}}, 256>;

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
    let base = row * p.k;
    let start = tile * 2048u + lid * 8u;
    var v: array<{{ACC}}, 8>;
    var run = {{IDENT}};
    for (var j = 0u; j < 8u; j++) {
        if (start + j < p.k) {
            run = comb(run, {{ACC}}(src[base + start + j]));
        }
        v[j] = run;
    }
    sh[lid] = run;
    workgroupBarrier();
    for (var off = 1u; off < 256u; off = off << 1u) {
        var t = {{IDENT}};
        if (lid >= off) {
            t = sh[lid - off];
        }
        workgroupBarrier();
        if (lid >= off) {
            sh[lid] = comb(t, sh[lid]);
        }
        workgroupBarrier();
    }
{{FINISH}}
}

// @kernel column
@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (id >= p.outer * p.inner) {
        return;
    }
    let i = id % p.inner;
    let o = id / p.inner;
    var run = {{IDENT}};
    for (var kk = 0u; kk < p.k; kk++) {
        let at = (o * p.k + kk) * p.inner + i;
        run = comb(run, {{ACC}}(src[at]));
        out[at] = {{OUT}}(run);
    }
}
