// fft: one radix-R pass of a Stockham autosort FFT along the middle axis of [outer, n, inner]
// complex elements, out of place. Thread (o, j, i) takes the R inputs j + s t (t = n / R),
// multiplies input s by the twiddle exp(-2 pi i s k / (l R)) (k = j mod l, l = the product of
// the earlier radices), runs an R-point DFT with constants written into the source, and
// stores output m at (j - k) R + k + m l. Twiddles and the output scale come from the plan's
// table, computed in f64 on the host (src/fft/plan.rs); strided axes (inner > 1) are read in
// place, consecutive threads taking consecutive columns.
// `shared`: a whole transform per workgroup for lengths that fit its shared memory: loaded
// once, every pass run between barriers in workgroup memory (the passes are written into the
// source for the plan: PASSES), stored once, scaled.
// Specialised by src/backend/wgpu/fft.rs: C (vec2<f32> or vec2<f64>), R, SIGN (-1.0 for
// the inverse: twiddles conjugated), DFT (lets y0 .. y{R-1} from u), N and PASSES (shared).

struct Params {
    outer: u32,
    n: u32,
    inner: u32,
    l: u32,
    t: u32,
    tw: u32,
    scale_at: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<{{C}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{C}}>;
@group(0) @binding(3) var<storage, read> table: array<{{C}}>;

fn cmul(a: {{C}}, b: {{C}}) -> {{C}} {
    return {{C}}(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// @kernel passes
@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (id >= p.outer * p.inner * p.t) {
        return;
    }
    let i = id % p.inner;
    let rest = id / p.inner;
    let j = rest % p.t;
    let o = rest / p.t;
    let k = j % p.l;
    let base = o * p.n * p.inner + i;
    var u: array<{{C}}, {{R}}>;
    for (var s = 0u; s < {{R}}u; s++) {
        u[s] = src[base + (j + s * p.t) * p.inner];
    }
    for (var s = 1u; s < {{R}}u; s++) {
        var w = table[p.tw + k * ({{R}}u - 1u) + s - 1u];
        w.y = w.y * {{SIGN}};
        u[s] = cmul(u[s], w);
    }
{{DFT}}
    let sc = table[p.scale_at].x;
    let at = (j - k) * {{R}}u + k;
{{STORE}}
}

// @kernel shared
var<workgroup> sh: array<{{C}}, {{N}}>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let row = wid.y * nwg.x + wid.x;
    if (row >= p.outer) {
        return;
    }
    let base = row * {{N}}u;
    for (var e = lid; e < {{N}}u; e += 256u) {
        sh[e] = src[base + e];
    }
    workgroupBarrier();
{{PASSES}}
    let sc = table[p.scale_at].x;
    for (var e = lid; e < {{N}}u; e += 256u) {
        dst[base + e] = sh[e] * sc;
    }
}
