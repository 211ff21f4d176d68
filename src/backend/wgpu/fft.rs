//! wgpu side of the FFT (shaders/fft_step.wgsl): a length-n transform as one to three
//! big-radix Stockham steps, one launch each, every step a kernel generated for its sub-length
//! (the radix passes written out) and cached. Steps ping-pong between the output and one
//! scratch buffer so that the last lands in the output.

use std::fmt::Write;

use super::WgpuBackend;
use super::kernel::{section, specialise};
use crate::backend::{Backend, Buffer};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::fft::plan::{Scale, StockhamPlan, root, root_scales_at, root_shift, step_layout, steps};

const SOURCE: &str = include_str!("../../../shaders/fft_step.wgsl");

/// `scale_at` of a step that applies no scale.
const NO_SCALE: u32 = u32::MAX;

/// The workgroup-memory index of element `i` of a column: one gap every 8 elements.
fn padded(i: usize) -> usize {
    i + i / 8
}

/// Columns sit this far apart in workgroup memory: the padded length, made odd.
fn col_stride(len: usize) -> usize {
    padded(len) | 1
}

/// Bytes of workgroup memory a step of sub-length `len` with `cols` columns takes.
fn shared_bytes(len: usize, cols: usize, d: DType) -> u64 {
    (cols * col_stride(len) * d.size()) as u64
}

/// The most elements one workgroup holds: 4096 (2048 for c64), halved until one padded
/// column of that length fits the device's workgroup memory.
fn block_elements(be: &WgpuBackend, d: DType) -> usize {
    let limit = be.limits.max_compute_workgroup_storage_size as u64;
    let mut e = if d == DType::C64 { 2048 } else { 4096 };
    while e > 8 && shared_bytes(e, 1, d) > limit {
        e /= 2;
    }
    e
}

/// Lets `y0 .. y{r-1}`: the r-point DFT of `u0 .. u{r-1}`. Radices 2, 4 and 8 as
/// butterflies with their constants written out; 3, 5 and 7 as a direct sum whose roots
/// (computed in f64) are literals.
fn dft(c: &str, r: usize, inverse: bool, indent: &str) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(indent);
        out.push_str(&s);
        out.push('\n');
    };
    match r {
        2 => {
            line("let y0 = u0 + u1;".into());
            line("let y1 = u0 - u1;".into());
        }
        4 => {
            line("let a0 = u0 + u2;".into());
            line("let a1 = u0 - u2;".into());
            line("let a2 = u1 + u3;".into());
            line("let a3 = mul_mi(u1 - u3);".into());
            line("let y0 = a0 + a2;".into());
            line("let y1 = a1 + a3;".into());
            line("let y2 = a0 - a2;".into());
            line("let y3 = a1 - a3;".into());
        }
        8 => {
            // Two 4-point DFTs of the even and odd inputs, then the odd ones times w8^m.
            for (half, first) in [("e", 0), ("o", 1)] {
                let at = |k: usize| format!("u{}", first + 2 * k);
                line(format!("let {half}a0 = {} + {};", at(0), at(2)));
                line(format!("let {half}a1 = {} - {};", at(0), at(2)));
                line(format!("let {half}a2 = {} + {};", at(1), at(3)));
                line(format!("let {half}a3 = mul_mi({} - {});", at(1), at(3)));
                line(format!("let {half}0 = {half}a0 + {half}a2;"));
                line(format!("let {half}1 = {half}a1 + {half}a3;"));
                line(format!("let {half}2 = {half}a0 - {half}a2;"));
                line(format!("let {half}3 = {half}a1 - {half}a3;"));
            }
            let f = if c.contains("f64") { "f64" } else { "f32" };
            line(format!("let h = {f}(0.70710678118654752440);"));
            if inverse {
                line(format!("let t1 = {c}(o1.x - o1.y, o1.x + o1.y) * h;"));
                line(format!("let t3 = {c}(-(o3.x + o3.y), o3.x - o3.y) * h;"));
            } else {
                line(format!("let t1 = {c}(o1.x + o1.y, o1.y - o1.x) * h;"));
                line(format!("let t3 = {c}(o3.y - o3.x, -(o3.x + o3.y)) * h;"));
            }
            line("let t2 = mul_mi(o2);".into());
            line("let y0 = e0 + o0;".into());
            line("let y4 = e0 - o0;".into());
            line("let y1 = e1 + t1;".into());
            line("let y5 = e1 - t1;".into());
            line("let y2 = e2 + t2;".into());
            line("let y6 = e2 - t2;".into());
            line("let y3 = e3 + t3;".into());
            line("let y7 = e3 - t3;".into());
        }
        _ => {
            for m in 0..r {
                let mut terms = Vec::new();
                for s in 0..r {
                    let q = (m * s) % r;
                    if q == 0 {
                        terms.push(format!("u{s}"));
                    } else {
                        let (re, im) = root(q as u64, r as u64);
                        let im = if inverse { -im } else { im };
                        terms.push(format!("cmul(u{s}, {c}({re:e}, {im:e}))"));
                    }
                }
                line(format!("let y{m} = {};", terms.join(" + ")));
            }
        }
    }
    out
}

/// The radix passes of sub-length `len` over `cols` columns in workgroup memory: each pass
/// reads every butterfly's inputs into registers, then (after a barrier) writes its outputs.
/// Everything is written out, with no loops and no arrays: a function-local array indexed
/// in a loop can end up in slow local memory (the first H100 run of the looped version took
/// 7 times CUDA's time).
fn passes_source(c: &str, len: usize, cols: usize, inverse: bool) -> String {
    let plan = StockhamPlan::get(len);
    let mut out = String::new();
    for pass in &plan.passes {
        let (r, li) = (pass.r, pass.l);
        let t = len / r;
        let b = cols * t;
        let nb = b.div_ceil(256);
        // The butterfly's place: b = lid + 256 q (guarded when the last round is partial).
        let place = |q: usize| {
            let guard = if (q + 1) * 256 > b {
                format!("b < {b}u")
            } else {
                "true".to_string()
            };
            format!(
                "let b = lid + {}u;
            let col = (b / {t}u) * LP;
            let jj = b % {t}u;
            let k = jj % {li}u;
            if ({guard}) {{
",
                q * 256
            )
        };
        writeln!(out, "    {{ // radix {r} over sub-transforms of {li}").expect("string write");
        for q in 0..nb {
            for m in 0..r {
                writeln!(out, "    var y{q}_{m}: {c};").expect("string write");
            }
        }
        for q in 0..nb {
            write!(out, "        {{\n            {}", place(q)).expect("string write");
            for s in 0..r {
                let x = format!("sh[col + pad(jj + {}u)]", s * t);
                let u = if li > 1 && s > 0 {
                    format!("cmul({x}, twc(sub[{}u + k * {}u]))", pass.tw + s - 1, r - 1)
                } else {
                    x
                };
                writeln!(out, "                let u{s} = {u};").expect("string write");
            }
            out.push_str(&dft(c, r, inverse, "                "));
            for m in 0..r {
                writeln!(out, "                y{q}_{m} = y{m};").expect("string write");
            }
            out.push_str("            }\n        }\n");
        }
        out.push_str("    workgroupBarrier();\n");
        for q in 0..nb {
            write!(out, "        {{\n            {}", place(q)).expect("string write");
            writeln!(out, "                let at = (jj - k) * {r}u + k;").expect("string write");
            for m in 0..r {
                writeln!(
                    out,
                    "                sh[col + pad(at + {}u)] = y{q}_{m};",
                    m * li
                )
                .expect("string write");
            }
            out.push_str("            }\n        }\n");
        }
        out.push_str("    workgroupBarrier();\n    }\n");
    }
    out
}

/// The `per` loads of one invocation, then their rotations into workgroup memory.
fn loads_source(c: &str, per: usize) -> String {
    let mut out = String::new();
    for q in 0..per {
        writeln!(
            out,
            "    let cs{q} = slot({q}u, lid, c_fast_in, ncols);
    var v{q}: {c};
    if (cs{q}.z == 1u) {{
        v{q} = src[src_index(cs{q}.x, cs{q}.y, base, j0, jc, ic, row)];
    }}"
        )
        .expect("string write");
    }
    for q in 0..per {
        writeln!(
            out,
            "    if (cs{q}.z == 1u) {{
        sh[cs{q}.x * LP + pad(cs{q}.y)] = rotate(v{q}, cs{q}.x, cs{q}.y, j0, jc, k0);
    }}"
        )
        .expect("string write");
    }
    out
}

/// The WGSL of the step kernel for sub-length `len` with `cols` columns per workgroup.
fn step_source(len: usize, cols: usize, d: DType, inverse: bool) -> String {
    let (c, f) = if d == DType::C64 {
        ("vec2<f64>", "f64")
    } else {
        ("vec2<f32>", "f32")
    };
    let lp = col_stride(len);
    specialise(
        SOURCE,
        &[
            ("PASSES", &passes_source(c, len, cols, inverse)),
            ("LOADS", &loads_source(c, (cols * len).div_ceil(256))),
            ("L", &len.to_string()),
            ("COLS", &cols.to_string()),
            ("LP", &lp.to_string()),
            ("PER", &(cols * len).div_ceil(256).to_string()),
            ("SH", &(cols * lp).to_string()),
            ("SIGN", if inverse { "-1.0" } else { "1.0" }),
            ("C", c),
            ("F", f),
        ],
    )
}

/// Runs the transform (see `Backend::fft`).
pub(crate) fn run(
    be: &WgpuBackend,
    d: DType,
    src: &Buffer,
    dst: &mut Buffer,
    dims @ [outer, n, inner]: [usize; 3],
    inverse: bool,
    scale: Scale,
) -> Result<()> {
    let len = (outer * n * inner) as u64;
    if len > u32::MAX as u64 {
        return Err(Error::SizeOverLimit {
            what: "FFT input (elements, 32-bit indexing)",
            requested: len,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    let max = block_elements(be, d);
    let limit = be.limits.max_compute_workgroup_storage_size as u64;
    // One step where the row fits a workgroup; else sub-lengths of at most a quarter of one,
    // so that every workgroup moves runs of at least 4 columns through memory. A strided
    // axis takes the short sub-lengths even when it fits: one column per workgroup would
    // move 8-byte runs.
    let one = n <= max && (inner == 1 || n <= max / 4);
    let lens = steps(n, if one { max } else { max / 4 }).ok_or_else(|| {
        Error::invalid(
            "fft",
            format!("length {n} has a prime factor above 7 (Bluestein runs above the backend)"),
        )
    })?;
    let k = lens.len();
    let bytes = len * d.size() as u64;
    let scratch = if k > 1 {
        Some(be.alloc(bytes as usize)?)
    } else {
        None
    };
    let (src, dst) = (be.raw(src)?, be.raw(dst)?);
    let scratch = match &scratch {
        Some(b) => Some(be.raw(b)?),
        None => None,
    };
    let mut input = src;
    let mut l = 1usize;
    for (i, &sub_len) in lens.iter().enumerate() {
        let last = i + 1 == k;
        // Fewer columns where the padded ones would not fit the workgroup memory.
        let mut cap = max;
        let layout = loop {
            let layout = step_layout(dims, sub_len, cap);
            if layout.cols == 1 || shared_bytes(sub_len, layout.cols, d) <= limit {
                break layout;
            }
            cap /= 2;
        };
        let key = format!(
            "fft/step/{d}/{sub_len}/{}/{}",
            layout.cols,
            if inverse { "inv" } else { "fwd" }
        );
        let kernel = be.kernels.get(be, &key, "main", || {
            step_source(sub_len, layout.cols, d, inverse)
        })?;
        let plan = StockhamPlan::get(sub_len);
        let sub = be.fft_tables.get(be, d, &plan)?;
        // The roots of this step, or (a one-step transform) the sub-plan's table, whose
        // scales are then the transform's.
        let roots = if l > 1 {
            be.fft_tables.roots(be, d, l * sub_len)?
        } else {
            sub.clone()
        };
        let scale_at = match (last, l > 1) {
            (false, _) => NO_SCALE,
            (true, true) => (root_scales_at(n) + scale as usize) as u32,
            (true, false) => (plan.scales + scale as usize) as u32,
        };
        let params: [u32; 12] = [
            outer as u32,
            layout.groups as u32,
            inner as u32,
            n as u32,
            (n / sub_len) as u32,
            l as u32,
            root_shift(l * sub_len),
            layout.mode,
            scale_at,
            0,
            0,
            0,
        ];
        // Step i writes dst when an even number of steps follow it, else the scratch.
        let output = if (k - 1 - i).is_multiple_of(2) {
            dst
        } else {
            scratch.expect("scratch exists when there are several steps")
        };
        let sub_bytes = (plan.table.len() * d.size()) as u64;
        let roots_bytes = if l > 1 {
            ((root_scales_at(l * sub_len) + 3) * d.size()) as u64
        } else {
            sub_bytes
        };
        be.dispatch(
            &kernel,
            bytemuck::cast_slice(&params),
            &[
                (input, bytes),
                (output, bytes),
                (be.raw(&sub)?, sub_bytes),
                (be.raw(&roots)?, roots_bytes),
            ],
            layout.groups * 256,
        )?;
        input = output;
        l *= sub_len;
    }
    Ok(())
}

const REAL_SOURCE: &str = include_str!("../../../shaders/fft_real.wgsl");

/// Real transforms of even length n (see `Backend::fft_real`): a complex transform of
/// length n/2 and the split between the two (shaders/fft_real.wgsl), through a scratch
/// buffer of n/2 complex numbers per row.
pub(crate) fn real(
    be: &WgpuBackend,
    d: DType,
    src: &Buffer,
    dst: &mut Buffer,
    [rows, n]: [usize; 2],
    inverse: bool,
    scale: Scale,
) -> Result<()> {
    let m = n / 2;
    let mut half = be.alloc(rows * m * d.size())?;
    let table = be.fft_tables.real(be, d, n)?;
    let c = if d == DType::C64 {
        "vec2<f64>"
    } else {
        "vec2<f32>"
    };
    let entry = if inverse { "inverse" } else { "forward" };
    let kernel = be
        .kernels
        .get(be, &format!("fft/real/{d}/{entry}"), "main", || {
            specialise(&section(REAL_SOURCE, entry), &[("C", c)])
        })?;
    let pairs = m / 2 + 1;
    let split = |from: &Buffer, to: &Buffer, scale_at: usize| -> Result<()> {
        let params: [u32; 4] = [rows as u32, m as u32, pairs as u32, scale_at as u32];
        let bins = (rows * (m + 1) * d.size()) as u64;
        let halves = (rows * m * d.size()) as u64;
        let (from_bytes, to_bytes) = if inverse {
            (bins, halves)
        } else {
            (halves, bins)
        };
        be.dispatch(
            &kernel,
            bytemuck::cast_slice(&params),
            &[
                (be.raw(from)?, from_bytes),
                (be.raw(to)?, to_bytes),
                (be.raw(&table)?, ((m + 3) * d.size()) as u64),
            ],
            (rows * pairs) as u64,
        )
    };
    // The scale is n's, so the split applies it (the half-length transform would apply m's).
    if inverse {
        split(src, &half, m + scale as usize)?;
        run(be, d, &half, dst, [rows, m, 1], true, Scale::One)
    } else {
        run(be, d, src, &mut half, [rows, m, 1], false, Scale::One)?;
        split(&half, dst, m + scale as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_sources_write_out_every_pass() {
        // The radices of 1000 are 8, 5, 5, 5.
        let src = step_source(1000, 4, DType::C32, false);
        let plan = StockhamPlan::get(1000);
        assert_eq!(
            src.matches(" over sub-transforms of ").count(),
            plan.passes.len(),
            "one block per pass"
        );
        assert!(src.contains("const L: u32 = 1000u;"));
        assert!(src.contains("const COLS: u32 = 4u;"));
        assert!(!src.contains("{{"), "every placeholder is filled");
        let inv = step_source(4096, 1, DType::C64, true);
        assert!(inv.contains("vec2<f64>") && inv.contains("* -1.0"));
    }

    #[test]
    fn padded_columns_fit_32_and_48_kib() {
        assert_eq!(col_stride(4096), 4609);
        assert!(shared_bytes(4096, 1, DType::C32) <= 48 << 10);
        assert!(shared_bytes(4096, 1, DType::C32) > 32 << 10);
        assert!(shared_bytes(2048, 1, DType::C32) <= 32 << 10);
        assert!(shared_bytes(2048, 1, DType::C64) <= 48 << 10);
    }
}
