// fft_real: the split between a real transform of even length n = 2m and the complex
// transform of length m that runs it (src/backend/wgpu/fft.rs: real). The n reals of a row,
// read as m complex numbers z, have the spectrum Z; the bins of the real signal are
// X[k] = E[k] - i W^k O[k] with E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2
// and W = exp(-2 pi i / n); X[0] and X[m] are real. The inverse builds
// Z[k] = (X[k] + conj X[m-k]) + i (X[k] - conj X[m-k]) conj(W^k) (the imaginary parts of X[0]
// and X[m] ignored), whose inverse transform of length m is the real signal. One invocation
// per pair (k, m - k), k <= m / 2, of a row. The table holds W^k for k < m in f64-made
// values, then the scales [1, 1/n, 1/sqrt(n)] (fft::plan::real_table).
// Specialised by src/backend/wgpu/fft.rs: C (vec2<f32> or vec2<f64>).

struct Params {
    rows: u32,
    m: u32,
    // Pairs per row: m / 2 + 1.
    pairs: u32,
    // Index of the scale in the table (for the inverse, applied before its transform).
    scale_at: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<{{C}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{C}}>;
@group(0) @binding(3) var<storage, read> table: array<{{C}}>;

fn cmul(a: {{C}}, b: {{C}}) -> {{C}} {
    return {{C}}(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn conj(a: {{C}}) -> {{C}} {
    return {{C}}(a.x, -a.y);
}

// v times -i.
fn mul_neg_i(v: {{C}}) -> {{C}} {
    return {{C}}(v.y, -v.x);
}

// @kernel forward
@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (id >= p.rows * p.pairs) {
        return;
    }
    let m = p.m;
    let k = id % p.pairs;
    let z = (id / p.pairs) * m;
    let x = (id / p.pairs) * (m + 1u);
    let sc = table[p.scale_at].x;
    if (k == 0u) {
        let z0 = src[z];
        dst[x] = {{C}}(z0.x + z0.y, 0.0) * sc;
        dst[x + m] = {{C}}(z0.x - z0.y, 0.0) * sc;
        return;
    }
    let j = m - k;
    let a = src[z + k];
    let b = src[z + j];
    let even = (a + conj(b)) * 0.5;
    let odd = (a - conj(b)) * 0.5;
    dst[x + k] = (even + mul_neg_i(cmul(table[k], odd))) * sc;
    if (j != k) {
        dst[x + j] = (conj(even) - mul_neg_i(cmul(table[j], conj(odd)))) * sc;
    }
}

// @kernel inverse
@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (id >= p.rows * p.pairs) {
        return;
    }
    let m = p.m;
    let k = id % p.pairs;
    let z = (id / p.pairs) * m;
    let x = (id / p.pairs) * (m + 1u);
    let sc = table[p.scale_at].x;
    if (k == 0u) {
        let x0 = src[x].x;
        let xm = src[x + m].x;
        dst[z] = {{C}}(x0 + xm, x0 - xm) * sc;
        return;
    }
    let j = m - k;
    let a = src[x + k];
    let b = src[x + j];
    dst[z + k] = ((a + conj(b)) - mul_neg_i(cmul(a - conj(b), conj(table[k])))) * sc;
    if (j != k) {
        dst[z + j] = ((b + conj(a)) - mul_neg_i(cmul(b - conj(a), conj(table[j])))) * sc;
    }
}
