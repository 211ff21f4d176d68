//! The FFT planner shared by every backend: the factorisation of a length into the radices
//! of the Stockham passes, the twiddle tables (computed in f64 on the host), and the
//! Bluestein chirps for lengths with prime factors above 7.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::{Arc, Mutex, OnceLock};

/// The radices GPU kernels implement, largest first (the order passes run in).
pub(crate) const RADICES: [usize; 6] = [8, 7, 5, 4, 3, 2];

/// One Stockham pass: radix `r` over sub-transforms of length `l` (the product of the
/// earlier radices); its twiddles start at `tw` in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pass {
    pub(crate) r: usize,
    pub(crate) l: usize,
    pub(crate) tw: usize,
}

/// A host plan for complex transforms of length `n` along one axis. `passes` is empty when
/// `n` has a prime factor above 7 (GPU backends then run Bluestein at the op layer).
///
/// `table` holds, as (re, im) in f64 for the forward direction:
/// - per pass, `exp(-2 pi i s k / (l r))` at `tw + k (r - 1) + s - 1` for `k < l`, `1 <= s < r`;
/// - at `roots[r]`, the r-th roots of unity `exp(-2 pi i m / r)` for `m < r`;
/// - at `scales`, the output scales `[1, 1/n, 1/sqrt(n)]` (only the last pass applies one).
///
/// Only the GPU backends use it (the CPU runs rustfft's own plans).
#[derive(Debug)]
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) struct StockhamPlan {
    pub(crate) n: usize,
    pub(crate) passes: Vec<Pass>,
    pub(crate) table: Vec<(f64, f64)>,
    #[cfg_attr(not(feature = "cuda"), allow(dead_code))]
    pub(crate) roots: HashMap<usize, usize>,
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    pub(crate) scales: usize,
}

/// Which of the table's scales the last pass applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    One = 0,
    InvN = 1,
    InvSqrtN = 2,
}

impl Scale {
    /// The factor for a transform of length `n`.
    pub(crate) fn factor(self, n: usize) -> f64 {
        match self {
            Scale::One => 1.0,
            Scale::InvN => 1.0 / n as f64,
            Scale::InvSqrtN => 1.0 / (n as f64).sqrt(),
        }
    }
}

/// `exp(-2 pi i num / den)`, with the angle reduced exactly in integers first.
pub(crate) fn root(num: u64, den: u64) -> (f64, f64) {
    let a = -2.0 * PI * ((num % den) as f64) / den as f64;
    (a.cos(), a.sin())
}

/// True when `n` has no prime factor above 7 (GPU kernels then run it directly).
pub(crate) fn smooth(mut n: usize) -> bool {
    for p in [2, 3, 5, 7] {
        while n > 1 && n.is_multiple_of(p) {
            n /= p;
        }
    }
    n == 1
}

/// The radices of `n` (largest first), or None when a prime factor exceeds 7.
pub(crate) fn factor(n: usize) -> Option<Vec<usize>> {
    let mut rest = n;
    let mut out = Vec::new();
    for &r in &RADICES {
        while rest.is_multiple_of(r) && rest > 1 {
            out.push(r);
            rest /= r;
        }
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    (rest == 1).then_some(out)
}

#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
impl StockhamPlan {
    fn new(n: usize) -> StockhamPlan {
        let radices = factor(n).unwrap_or_default();
        let mut table = Vec::new();
        let mut passes = Vec::new();
        let mut l = 1;
        for &r in &radices {
            let tw = table.len();
            for k in 0..l {
                for s in 1..r {
                    table.push(root((s * k) as u64, (l * r) as u64));
                }
            }
            passes.push(Pass { r, l, tw });
            l *= r;
        }
        let mut roots = HashMap::new();
        for &r in &radices {
            if let std::collections::hash_map::Entry::Vacant(e) = roots.entry(r) {
                e.insert(table.len());
                table.extend((0..r).map(|m| root(m as u64, r as u64)));
            }
        }
        let scales = table.len();
        // In the order of Scale's discriminants, which index them.
        table.extend([Scale::One, Scale::InvN, Scale::InvSqrtN].map(|sc| (sc.factor(n), 0.0)));
        StockhamPlan {
            n,
            passes,
            table,
            roots,
            scales,
        }
    }

    /// The shared plan for length `n` (plans are immutable and cached for the process).
    pub(crate) fn get(n: usize) -> Arc<StockhamPlan> {
        static CACHE: OnceLock<Mutex<HashMap<usize, Arc<StockhamPlan>>>> = OnceLock::new();
        let mut m = crate::backend::lock(CACHE.get_or_init(Default::default));
        m.entry(n)
            .or_insert_with(|| Arc::new(StockhamPlan::new(n)))
            .clone()
    }

    /// The table as the bytes of complex `d` (C32: rounded to f32 once; C64: as computed).
    #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
    pub(crate) fn table_bytes(&self, d: crate::element::DType) -> Vec<u8> {
        complex_bytes(&self.table, d)
    }
}

/// f64 pairs as the bytes of complex `d` (C32: each rounded to f32 once; C64: as they are).
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) fn complex_bytes(v: &[(f64, f64)], d: crate::element::DType) -> Vec<u8> {
    if d == crate::element::DType::C64 {
        let v: Vec<f64> = v.iter().flat_map(|&(re, im)| [re, im]).collect();
        bytemuck::cast_slice(&v).to_vec()
    } else {
        let v: Vec<f32> = v
            .iter()
            .flat_map(|&(re, im)| [re as f32, im as f32])
            .collect();
        bytemuck::cast_slice(&v).to_vec()
    }
}

/// The sub-lengths of the big-radix steps a GPU runs a length-`n` transform in: each at most
/// `max` (what one block holds), as few steps as possible, the prime factors dealt largest
/// first to the step with the smallest product so far. None when
/// `n` has a prime factor above 7 or is 1.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub(crate) fn steps(n: usize, max: usize) -> Option<Vec<usize>> {
    factor(n)?;
    // The prime factors, largest first: dealing 2s one at a time balances powers of two.
    let mut primes = Vec::new();
    let mut rest = n;
    for p in [7, 5, 3, 2] {
        while rest.is_multiple_of(p) {
            primes.push(p);
            rest /= p;
        }
    }
    if primes.is_empty() {
        return None;
    }
    (1..=primes.len()).find_map(|k| {
        let mut bins = vec![1usize; k];
        for &r in &primes {
            let b = bins.iter_mut().min().expect("k >= 1");
            *b *= r;
        }
        bins.iter().all(|&b| b <= max).then_some(bins)
    })
}

/// How one big-radix step of sub-length `len` over `[outer, n, inner]` is cut into blocks
/// (CUDA) or workgroups (WGSL) of `cols` columns each, so that loads and stores run along the
/// contiguous index. `mode` 1: the columns differ in the inner index (`inner % cols == 0`);
/// 2: in j (`inner == 1`, `t % cols == 0`, t = n / len); 0: in the batch row (`t == 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) struct StepLayout {
    pub(crate) mode: u32,
    pub(crate) cols: usize,
    /// Blocks (workgroups) the step launches.
    pub(crate) groups: u64,
}

/// The layout of a step of sub-length `len` whose block holds at most `max` elements.
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) fn step_layout([outer, n, inner]: [usize; 3], len: usize, max: usize) -> StepLayout {
    let t = n / len;
    let cap = (max / len).max(1);
    let (mode, cols) = if inner > 1 {
        (1, pow2_divisor(inner as u64, cap))
    } else if t > 1 {
        (2, pow2_divisor(t as u64, cap))
    } else {
        // Rows of the batch: the largest power of two that fits.
        (0, 1 << (usize::BITS - 1 - cap.leading_zeros()))
    };
    let groups = match mode {
        1 => (outer * t * (inner / cols)) as u64,
        2 => (outer * (t / cols)) as u64,
        _ => outer.div_ceil(cols) as u64,
    };
    StepLayout { mode, cols, groups }
}

/// The largest power of two at most `max` that divides `x`.
fn pow2_divisor(x: u64, max: usize) -> usize {
    let mut c = 1;
    while c * 2 <= max && x.is_multiple_of(c as u64 * 2) {
        c *= 2;
    }
    c
}

/// How many bits the low half of the root table for `n` covers: about sqrt(n).
pub(crate) fn root_shift(n: usize) -> u32 {
    (n.next_power_of_two().trailing_zeros()).div_ceil(2)
}

/// The two-level root table of length `n` for the steps: `exp(-2 pi i e / n)` for every
/// e < n is `lo[e & mask] * hi[e >> shift]`; the table holds lo (2^shift entries), then hi,
/// then (at [`root_scales_at`]) the scales `[1, 1/n, 1/sqrt(n)]` as in [`StockhamPlan`].
pub(crate) fn root_table(n: usize) -> Vec<(f64, f64)> {
    let b = 1usize << root_shift(n);
    let lo = (0..b).map(|e| root(e as u64, n as u64));
    let hi = (0..n.div_ceil(b)).map(|e| root((e * b) as u64, n as u64));
    let scales = [Scale::One, Scale::InvN, Scale::InvSqrtN].map(|sc| (sc.factor(n), 0.0));
    lo.chain(hi).chain(scales).collect()
}

/// True when a GPU backend runs the real transform of length `n` itself: even, at least 4,
/// with a half length that the step kernels take (no prime factor above 7).
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) fn gpu_real(n: usize) -> bool {
    n >= 4 && n.is_multiple_of(2) && smooth(n / 2)
}

/// The table of the GPU real transforms of even length `n` (shaders/fft_real.wgsl,
/// cuda/fft_real.cu): `exp(-2 pi i k / n)` for k < n/2, then the scales `[1, 1/n, 1/sqrt(n)]`.
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) fn real_table(n: usize) -> Vec<(f64, f64)> {
    let scales = [Scale::One, Scale::InvN, Scale::InvSqrtN].map(|sc| (sc.factor(n), 0.0));
    (0..n / 2)
        .map(|k| root(k as u64, n as u64))
        .chain(scales)
        .collect()
}

/// Where [`root_table`]`(n)` keeps its scales.
#[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
pub(crate) fn root_scales_at(n: usize) -> usize {
    let b = 1usize << root_shift(n);
    b + n.div_ceil(b)
}

/// The Bluestein length for `n`: the smallest 2-3-5-7-smooth length of at least `2n - 1`.
pub(crate) fn bluestein_len(n: usize) -> usize {
    let mut m = 2 * n - 1;
    while factor(m).is_none() {
        m += 1;
    }
    m
}

/// The chirp `w_k = exp(-i pi k^2 / n)` for `k < n` (forward), with `k^2` reduced mod `2n`
/// in integers so that the angle stays exact for large `k`.
pub(crate) fn chirp(n: usize) -> Vec<(f64, f64)> {
    (0..n as u64)
        .map(|k| root((k * k) % (2 * n as u64), 2 * n as u64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factorisations_multiply_back() {
        for n in 1..2000 {
            if let Some(f) = factor(n) {
                assert_eq!(f.iter().product::<usize>(), n.max(1), "{n}: {f:?}");
                assert!(f.windows(2).all(|w| w[0] >= w[1]));
            }
        }
        assert_eq!(factor(1024), Some(vec![8, 8, 8, 2]));
        assert_eq!(factor(97), None);
        assert_eq!(factor(100), Some(vec![5, 5, 4]));
        assert_eq!(bluestein_len(97), 196);
        for n in 1..3000 {
            assert_eq!(smooth(n), factor(n).is_some(), "{n}");
        }
    }

    #[test]
    fn steps_cover_the_length_in_few_blocks() {
        assert_eq!(steps(4096, 4096), Some(vec![4096]));
        assert_eq!(steps(1 << 20, 4096), Some(vec![1024, 1024]));
        assert_eq!(steps(1 << 24, 1024), Some(vec![256, 256, 256]));
        assert_eq!(steps(1 << 24, 4096), Some(vec![4096, 4096]));
        assert_eq!(steps(1 << 25, 4096).map(|s| s.len()), Some(3));
        assert_eq!(steps(97, 4096), None);
        assert_eq!(steps(1, 4096), None);
        for n in [6usize, 1000, 3 * 5 * 7 * 4096, 1 << 22] {
            let s = steps(n, 2048).unwrap();
            assert_eq!(s.iter().product::<usize>(), n);
            assert!(s.iter().all(|&l| l <= 2048), "{n}: {s:?}");
        }
    }

    #[test]
    fn two_level_roots_multiply_to_every_root() {
        for n in [8usize, 1000, 4096, 1 << 20, 3 * 1024 * 7] {
            let t = root_table(n);
            let s = root_shift(n);
            let b = 1usize << s;
            for e in [0, 1, b - 1, b, n / 2 + 3, n - 1] {
                let (lo, hi) = (t[e & (b - 1)], t[b + (e >> s)]);
                let got = (lo.0 * hi.0 - lo.1 * hi.1, lo.0 * hi.1 + lo.1 * hi.0);
                let want = root(e as u64, n as u64);
                assert!((got.0 - want.0).abs() < 1e-14 && (got.1 - want.1).abs() < 1e-14);
            }
            assert_eq!(t[root_scales_at(n) + 1], (1.0 / n as f64, 0.0));
            assert_eq!(t.len(), root_scales_at(n) + 3);
        }
    }

    #[test]
    fn step_layouts_run_along_the_contiguous_index() {
        // Strided axis: columns along the inner index.
        let l = step_layout([2, 1024, 64], 1024, 4096);
        assert_eq!((l.mode, l.cols, l.groups), (1, 4, 2 * 16));
        // First of two steps of a long row: columns along j.
        let l = step_layout([3, 1 << 20, 1], 1024, 4096);
        assert_eq!((l.mode, l.cols, l.groups), (2, 4, 3 * 256));
        // A batch of short rows: several rows per block, the last block partly full.
        let l = step_layout([5, 1024, 1], 1024, 4096);
        assert_eq!((l.mode, l.cols, l.groups), (0, 4, 2));
        // Odd inner stride: one column per block.
        let l = step_layout([1, 8, 3], 8, 4096);
        assert_eq!((l.mode, l.cols, l.groups), (1, 1, 3));
        // Rows longer than a block still get one column.
        assert_eq!(step_layout([1, 4096, 1], 4096, 2048).cols, 1);
    }

    #[test]
    fn the_table_holds_roots_and_scales() {
        let p = StockhamPlan::new(12);
        assert_eq!(p.passes.len(), 2);
        assert_eq!(p.table[p.scales + 1], (1.0 / 12.0, 0.0));
        let r4 = p.roots[&4];
        assert!((p.table[r4 + 1].1 + 1.0).abs() < 1e-15);
    }
}
