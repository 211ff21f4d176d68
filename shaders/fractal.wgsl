// fractal: one thread per pixel. `escape`: z' = z^2 + c until |z|^2 > BAILOUT or max_iter
// steps (Mandelbrot: z from 0, c the pixel; Julia: z the pixel, c given), writing the smooth
// count n + 1 - log2(ln |z|) (-1 inside) and n. `lyapunov`: the logistic map driven by the
// A/B sequence (bit i of seq_bits), the mean of ln |r (1 - 2x)| over the measured
// iterations, one logarithm per 8 of them. The arithmetic is the CPU backend's
// (src/backend/cpu/fractal/): separate products and sums that no driver may fuse, or, for the
// escape kernel with FUSED, WGSL's fma (which a driver may run fused or not).
// Specialised by src/backend/wgpu/fractal.rs: T (f32 or f64, escape only), JULIA and FUSED
// (true or false), and FMA (`fma`, or `fma_wide` through f64, appended where the driver's
// `fma` rounds twice). The escape kernel reads its view from `view` (x0, y1, dx, dy, jx, jy in
// T), and takes `warmup` as 1 where its escape tests may run once per 8 steps.

struct Params {
    width: u32,
    height: u32,
    max_iter: u32,
    warmup: u32,
    seq_len: u32,
    seq_lo: u32,
    seq_hi: u32,
    // Always 0. Products pass through a select on it, which keeps drivers from fusing them
    // with the following sum (Vulkan allows that contraction; the CPU does not do it).
    opaque: u32,
    // f32 parameters of the Lyapunov kernel: a0, b1, da, db
    a0: f32,
    b1: f32,
    da: f32,
    db: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;

// @kernel escape
@group(0) @binding(3) var<storage, read> view: array<{{T}}>;

// A product that drivers may not fuse with the sum it feeds (Vulkan allows that contraction;
// the CPU's separate arithmetic does not): it passes through a select on p.opaque, always 0.
fn kept(v: {{T}}) -> {{T}} {
    return select({{T}}(0.0), v, p.opaque == 0u);
}

// One step z' = z^2 + c, rounded as the CPU rounds it: separately, or with fma (FUSED).
fn step(z: vec2<{{T}}>, c: vec2<{{T}}>) -> vec2<{{T}}> {
    let x = z.x;
    let y = z.y;
    if ({{FUSED}}) {
        return vec2<{{T}}>({{FMA}}(x, x, {{FMA}}(-y, y, c.x)), {{FMA}}(x + x, y, c.y));
    }
    return vec2<{{T}}>((kept(x * x) - kept(y * y)) + c.x, kept((x + x) * y) + c.y);
}

// |z|^2, rounded as `step` is.
fn norm(z: vec2<{{T}}>) -> {{T}} {
    if ({{FUSED}}) {
        return {{FMA}}(z.x, z.x, z.y * z.y);
    }
    return kept(z.x * z.x) + kept(z.y * z.y);
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (id >= p.width * p.height) {
        return;
    }
    let row = id / p.width;
    let col = id % p.width;
    let px = kept(({{T}}(col) + {{T}}(0.5)) * view[2]) + view[0];
    let py = view[1] - kept(({{T}}(row) + {{T}}(0.5)) * view[3]);
    var z = vec2<{{T}}>({{T}}(0.0), {{T}}(0.0));
    var c = vec2<{{T}}>(px, py);
    if ({{JULIA}}) {
        z = c;
        c = vec2<{{T}}>(view[4], view[5]);
    }
    var n = 0u;
    // Where orbits keep growing past the bailout (p.warmup == 1: every Mandelbrot orbit, and
    // Julia sets with |c| <= 255), 8 steps run with one test after them: if |z|^2 is still
    // within the bailout, none of the 8 escaped. Else they run again one by one below.
    if (p.warmup == 1u) {
        loop {
            if (p.max_iter - n < 8u) {
                break;
            }
            let z0 = z;
            // Written out, not a loop: wgpu bounds every loop with a counter of its own
            // (unless STREAMCORE_WGPU_UNCHECKED has `loops`), and that test per step would
            // cost about as many instructions as the step.
            z = step(z, c);
            z = step(z, c);
            z = step(z, c);
            z = step(z, c);
            z = step(z, c);
            z = step(z, c);
            z = step(z, c);
            z = step(z, c);
            // Unordered: infinity and NaN count as escaped.
            if (!(norm(z) <= {{T}}(65536.0))) {
                z = z0;
                break;
            }
            n = n + 8u;
        }
    }
    loop {
        if (n >= p.max_iter) {
            break;
        }
        if (norm(z) > {{T}}(65536.0)) {
            break;
        }
        z = step(z, c);
        n = n + 1u;
    }
    counts[id] = n;
    if (n == p.max_iter) {
        values[id] = -1.0;
    } else {
        let r2 = f32(norm(z));
        values[id] = max(f32(n) + 1.0 - log2(0.5 * log(r2)), 0.0);
    }
}

// @kernel lyapunov
// Whether step k (< seq_len) of the sequence is B.
fn use_b(k: u32) -> bool {
    if (k < 32u) {
        return ((p.seq_lo >> k) & 1u) == 1u;
    }
    return ((p.seq_hi >> (k - 32u)) & 1u) == 1u;
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (id >= p.width * p.height) {
        return;
    }
    let row = id / p.width;
    let col = id % p.width;
    let a = select(0.0, (f32(col) + 0.5) * p.da, p.opaque == 0u) + p.a0;
    let b = p.b1 - select(0.0, (f32(row) + 0.5) * p.db, p.opaque == 0u);
    var x = 0.5;
    // k = i mod seq_len, kept by a wrap: a division per iteration cost more than the map.
    var k = 0u;
    for (var i = 0u; i < p.warmup; i++) {
        let r = select(a, b, use_b(k));
        k = select(k + 1u, 0u, k + 1u == p.seq_len);
        x = (r * x) * (1.0 - x);
    }
    var prod = 1.0;
    var s = 0.0;
    for (var i = 0u; i < p.max_iter; i++) {
        let r = select(a, b, use_b(k));
        k = select(k + 1u, 0u, k + 1u == p.seq_len);
        let d = r * (1.0 - (x + x));
        prod = prod * abs(d);
        x = (r * x) * (1.0 - x);
        if ((i + 1u) % 8u == 0u) {
            s = s + log(max(prod, 1e-30));
            prod = 1.0;
        }
    }
    values[id] = (s + log(max(prod, 1e-30))) / f32(p.max_iter);
    counts[id] = p.max_iter;
}
