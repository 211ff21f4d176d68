// fft_step: one big-radix Stockham step of a complex FFT along the middle axis of
// [outer, n, inner], out of place; a length-n transform runs as one to three of them (one
// when a row fits a workgroup). Step (L, l) with t = n / L: column (o, j, i) reads x[j + s t]
// (s < L), multiplies input s by w_{lL}^{s k} (k = j mod l), runs the L-point transform in
// workgroup memory, and writes output m at (j - k) L + k + m l: the Stockham pass with
// radix L. A workgroup holds COLS columns that differ in the inner index (mode 1), in j
// (mode 2) or in the batch row (mode 0), so that global loads and stores run along the
// contiguous index (src/fft/plan.rs: step_layout).
//
// Roots w_{lL}^e come from a two-level table made in f64 on the host (fft::plan::root_table),
// roots[e & mask] * roots[hi + (e >> shift)]; the sub-transform's own twiddles from the plan
// table of L (fft::plan::StockhamPlan). Column c's element s sits at c LP + s + s / 8: one gap
// every 8 elements and columns an odd stride apart, against bank conflicts.
//
// Specialised by src/backend/wgpu/fft.rs: C (vec2<f32> or vec2<f64>), F (its scalar), L,
// COLS, LP, PER (elements per invocation), SH (workgroup array length), SIGN (-1.0 for the
// inverse: twiddles conjugated), LOADS (the PER loads, generated) and PASSES (the radix
// passes of L, generated).

struct Params {
    outer: u32,
    groups: u32,
    inner: u32,
    n: u32,
    t: u32,
    l: u32,
    shift: u32,
    mode: u32,
    // Index of the output scale in `roots`, or 0xffffffff for none.
    scale_at: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<{{C}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{C}}>;
@group(0) @binding(3) var<storage, read> sub: array<{{C}}>;
@group(0) @binding(4) var<storage, read> roots: array<{{C}}>;

const L: u32 = {{L}}u;
const COLS: u32 = {{COLS}}u;
const LP: u32 = {{LP}}u;
const PER: u32 = {{PER}}u;

var<workgroup> sh: array<{{C}}, {{SH}}>;

fn cmul(a: {{C}}, b: {{C}}) -> {{C}} {
    return {{C}}(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// v times -i (forward) or +i (inverse).
fn mul_mi(v: {{C}}) -> {{C}} {
    return {{C}}(v.y, -v.x) * {{SIGN}};
}

// A twiddle from the table, conjugated for the inverse.
fn twc(w: {{C}}) -> {{C}} {
    return {{C}}(w.x, w.y * {{SIGN}});
}

fn pad(i: u32) -> u32 {
    return i + (i >> 3u);
}

// Where column c's element s sits in `src` (the step's input).
fn src_index(c: u32, s: u32, base: u32, j0: u32, jc: u32, ic: u32, row: u32) -> u32 {
    if (p.mode == 0u) {
        return base + c * row + s;
    }
    return base + (j0 + jc * c + s * p.t) * p.inner + ic * c;
}

// k = j mod l for column c's j = j0 + jc c, given k0 = j0 mod l: the columns of a workgroup
// are consecutive j (or one j), so one subtraction does where COLS <= l.
fn kof(c: u32, j0: u32, jc: u32, k0: u32) -> u32 {
    if (p.l == 1u) {
        return 0u;
    }
    if (p.l < COLS) {
        return (j0 + jc * c) % p.l;
    }
    let k = k0 + jc * c;
    return select(k, k - p.l, k >= p.l);
}

// Input s of column c times the step's root w^(s k) (none in a first step).
fn rotate(x: {{C}}, c: u32, s: u32, j0: u32, jc: u32, k0: u32) -> {{C}} {
    if (p.l == 1u) {
        return x;
    }
    let ex = s * kof(c, j0, jc, k0);
    let w = cmul(roots[ex & ((1u << p.shift) - 1u)], roots[(1u << p.shift) + (ex >> p.shift)]);
    return cmul(x, twc(w));
}

// Element q of this invocation's share of the workgroup's COLS x L elements: its column and
// its index in the column (running along the columns or along the column), and whether it
// exists (past the last column of a partial workgroup it does not).
fn slot(q: u32, lid: u32, c_fast: bool, ncols: u32) -> vec3<u32> {
    let e = lid + q * 256u;
    var c = e / L;
    var s = e % L;
    if (c_fast) {
        c = e % COLS;
        s = e / COLS;
    }
    return vec3<u32>(c, s, select(0u, 1u, e < COLS * L && c < ncols));
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = wid.y * nwg.x + wid.x;
    if (g >= p.groups) {
        return;
    }
    var o = 0u;
    var j0 = 0u;
    var i0 = 0u;
    var ncols = COLS;
    var jc = 0u; // 1 when j grows with the column
    if (p.mode == 1u) {
        let per = p.inner / COLS;
        let rest = g / per;
        i0 = (g % per) * COLS;
        j0 = rest % p.t;
        o = rest / p.t;
    } else if (p.mode == 2u) {
        let per = p.t / COLS;
        j0 = (g % per) * COLS;
        o = g / per;
        jc = 1u;
    } else {
        o = g * COLS;
        ncols = min(COLS, p.outer - o);
    }
    let row = p.n * p.inner; // mode 0: column c is row o + c
    let base = o * row + i0;
    let ic = select(0u, 1u, p.mode == 1u); // 1 when i grows with the column
    let c_fast_in = p.mode != 0u;
    let k0 = j0 % p.l;
    // Every load is issued before any is used, so that many are in flight at once; the
    // loads are written out (LOADS), one register each, with no array.
{{LOADS}}
    workgroupBarrier();
{{PASSES}}
    // Outputs run along the column where l == 1 and the columns are j or rows; else across.
    let c_fast_out = p.mode == 1u || (p.mode == 2u && p.l > 1u);
    var sc = {{F}}(1.0);
    if (p.scale_at != 0xffffffffu) {
        sc = roots[p.scale_at].x;
    } else if (p.l == 0u) {
        // Never taken (l >= 1): a static use of `sub`, which steps of one pass without
        // twiddles never read, so that the derived layout always has all five bindings.
        sc = sub[0].x;
    }
    for (var q = 0u; q < PER; q++) {
        let cs = slot(q, lid, c_fast_out, ncols);
        if (cs.z == 1u) {
            let j = j0 + jc * cs.x;
            let k = kof(cs.x, j0, jc, k0);
            var at = base + ((j - k) * L + k + cs.y * p.l) * p.inner + ic * cs.x;
            if (p.mode == 0u) {
                at = base + cs.x * row + cs.y;
            }
            dst[at] = sh[cs.x * LP + pad(cs.y)] * sc;
        }
    }
}
