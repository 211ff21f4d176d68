//! A 1024-point complex f32 FFT in AVX-512, faster than rustfft's AVX2 plan for that length:
//! two passes of 32-point transforms over the data seen as 32 x 32, eight columns per register.
//!
//! With j = 32 j1 + j2 and k = k1 + 32 k2,
//! `X[k] = sum_j2 w^(j2 k1) w32^(j2 k2) sum_j1 x[j] w32^(j1 k1)` (w = exp(-+2 pi i / 1024)).
//! Pass A transforms the 32 columns (a register holds 8 of them, so the 32-point transform
//! runs across registers, never inside one), multiplies by `w^(j2 k1)` and writes the result
//! transposed, `t[j2][k1]`, in 8 x 8 blocks. Pass B transforms the columns of `t` the same
//! way, which leaves `X[k1 + 32 k2]` at row k2, column k1: in order. Pass B reads and writes
//! the same block of columns only, so it runs in place; pass A cannot, so an in-place
//! transform goes through scratch and an out-of-place one through its output. Every twiddle
//! is made in f64 and rounded once.

use std::arch::x86_64::*;

use num_complex::Complex32;
use rustfft::{Direction, Fft, FftDirection, Length};

/// The transform length.
pub(crate) const N: usize = 1024;
/// Its square root: the side of the matrix both passes work on.
const R: usize = 32;
/// Complex numbers in one register.
const L: usize = 8;

/// Eight complex f32, interleaved (re, im).
type V = __m512;

/// 64 aligned bytes: one register's worth of a table.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Row([f32; 16]);

/// A planned 1024-point transform in one direction, for CPUs with AVX-512F.
pub(crate) struct Fft1024 {
    inverse: bool,
    /// `w32^m` for m < 32, as (re, im), conjugated for the inverse.
    w32: [[f32; 2]; R],
    /// Pass A's twiddles `w^(j2 k1)`: for each k1 and block of 8 columns, the real parts
    /// then the imaginary parts, each duplicated into both halves of the lanes' pairs.
    tw: Box<[[Row; 2]]>,
}

impl Fft1024 {
    /// The plan, or None where the CPU lacks AVX-512F.
    pub(crate) fn new(inverse: bool) -> Option<Fft1024> {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return None;
        }
        let sign = if inverse { 1.0 } else { -1.0 };
        let w = |e: usize, n: usize| {
            let a = sign * 2.0 * std::f64::consts::PI * (e % n) as f64 / n as f64;
            (a.cos(), a.sin())
        };
        let mut w32 = [[0.0; 2]; R];
        for (m, v) in w32.iter_mut().enumerate() {
            let (c, s) = w(m, R);
            *v = [c as f32, s as f32];
        }
        let mut tw = vec![[Row([0.0; 16]); 2]; R * (R / L)].into_boxed_slice();
        for k1 in 0..R {
            for b in 0..R / L {
                let t = &mut tw[k1 * (R / L) + b];
                for l in 0..L {
                    let (c, s) = w((b * L + l) * k1, N);
                    t[0].0[2 * l..2 * l + 2].fill(c as f32);
                    t[1].0[2 * l..2 * l + 2].fill(s as f32);
                }
            }
        }
        Some(Fft1024 { inverse, w32, tw })
    }

    /// Pass A from `src` into `t`, then pass B from `t` into `dst`. `t` may be `dst`, but
    /// must not overlap `src`; `src` may be `dst`.
    ///
    /// # Safety
    /// Each pointer addresses N complex numbers; the CPU has AVX-512F.
    unsafe fn run(&self, src: *const Complex32, t: *mut Complex32, dst: *mut Complex32) {
        // SAFETY: the caller's; `new` checked the CPU.
        unsafe {
            if self.inverse {
                pass_a::<true>(self, src.cast(), t.cast());
                pass_b::<true>(self, t.cast(), dst.cast());
            } else {
                pass_a::<false>(self, src.cast(), t.cast());
                pass_b::<false>(self, t.cast(), dst.cast());
            }
        }
    }
}

// The helpers below are inlined into the `target_feature` passes, which is where their
// intrinsics are compiled; each needs a CPU with AVX-512F.

/// (re, im) -> (im, re) in every pair.
#[inline(always)]
unsafe fn swap(a: V) -> V {
    unsafe { _mm512_permute_ps::<0xB1>(a) }
}

/// `x w` for a twiddle w given as its real parts and its imaginary parts, each duplicated.
#[inline(always)]
unsafe fn cmul(x: V, wr: V, wi: V) -> V {
    unsafe { _mm512_fmaddsub_ps(x, wr, _mm512_mul_ps(swap(x), wi)) }
}

/// `x w` for one twiddle (re, im) in every lane.
#[inline(always)]
unsafe fn cmul1(x: V, w: [f32; 2]) -> V {
    unsafe { cmul(x, _mm512_set1_ps(w[0]), _mm512_set1_ps(w[1])) }
}

/// `(a + r b, a - r b)` with r = -i forward and +i inverse, as `a 1 -+ swap(b)` in fused
/// add-subtracts. `one` holds ones the compiler cannot see: with a known 1 it turns these
/// into plain adds and subtracts plus blends, all on the add pipes that the transforms'
/// many adds keep busy; fused, some run on the multiply pipes. Multiplying by one is exact,
/// so the results round as adds would. (Measured against flipping signs with an xor and
/// adding: 2% to 4% faster.)
#[inline(always)]
unsafe fn rot<const INV: bool>(a: V, b: V, one: V) -> (V, V) {
    unsafe {
        // a - i b = (ar + bi, ai - br); a + i b = (ar - bi, ai + br).
        let s = swap(b);
        let minus_i = _mm512_fmsubadd_ps(a, one, s);
        let plus_i = _mm512_fmaddsub_ps(a, one, s);
        if INV {
            (plus_i, minus_i)
        } else {
            (minus_i, plus_i)
        }
    }
}

/// The 4-point transform of y, across registers.
#[inline(always)]
unsafe fn dft4<const INV: bool>(y: [V; 4], one: V) -> [V; 4] {
    unsafe {
        let (s0, s1) = (_mm512_add_ps(y[0], y[2]), _mm512_sub_ps(y[0], y[2]));
        let (s2, d) = (_mm512_add_ps(y[1], y[3]), _mm512_sub_ps(y[1], y[3]));
        let (o1, o3) = rot::<INV>(s1, d, one);
        [_mm512_add_ps(s0, s2), o1, _mm512_sub_ps(s0, s2), o3]
    }
}

/// The 8-point transform of a, across registers, in order; `w8` and `w8_3` are w8 and w8^3.
#[inline(always)]
unsafe fn dft8<const INV: bool>(a: [V; 8], w8: [f32; 2], w8_3: [f32; 2], one: V) -> [V; 8] {
    unsafe {
        // Halves, then the odd half's twiddles w8^k.
        let mut b = [_mm512_setzero_ps(); 4];
        let mut c = [_mm512_setzero_ps(); 4];
        for k in 0..4 {
            b[k] = _mm512_add_ps(a[k], a[k + 4]);
            c[k] = _mm512_sub_ps(a[k], a[k + 4]);
        }
        let e = dft4::<INV>(b, one);
        let (c1, c3) = (cmul1(c[1], w8), cmul1(c[3], w8_3));
        // The 4-point transform of (c0, c1 w8, c2 w8^2, c3 w8^3), w8^2 = -+i folded in.
        let (s0, s1) = rot::<INV>(c[0], c[2], one);
        let (s2, d) = (_mm512_add_ps(c1, c3), _mm512_sub_ps(c1, c3));
        let (o1, o3) = rot::<INV>(s1, d, one);
        let o = [_mm512_add_ps(s0, s2), o1, _mm512_sub_ps(s0, s2), o3];
        [e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3]]
    }
}

/// The 32-point transform across registers of the 32 rows of 8 complex numbers at `src`
/// (`ss` floats apart) into the rows at `dst` (`ds` floats apart; `dst` may be `src`: every
/// row is read before any is written): 4 transforms of 8, twiddles `w32^(p2 q1)`, then 8
/// transforms of 4. With p = 4 p1 + p2 and q = q1 + 8 q2,
/// `Y[q] = sum_p2 w32^(p2 q1) w4^(p2 q2) sum_p1 v[p] w8^(p1 q1)`.
#[inline(always)]
unsafe fn dft32<const INV: bool>(
    src: *const f32,
    ss: usize,
    dst: *mut f32,
    ds: usize,
    w32: &[[f32; 2]; R],
    one: V,
) {
    unsafe {
        let z = [
            col::<INV, 0>(src, ss, w32, one),
            col::<INV, 1>(src, ss, w32, one),
            col::<INV, 2>(src, ss, w32, one),
            col::<INV, 3>(src, ss, w32, one),
        ];
        // The transforms of 4 run along z's first index, one per q1.
        #[allow(clippy::needless_range_loop)]
        for q1 in 0..8 {
            let o = dft4::<INV>([z[0][q1], z[1][q1], z[2][q1], z[3][q1]], one);
            for (q2, v) in o.into_iter().enumerate() {
                _mm512_storeu_ps(dst.add((q1 + 8 * q2) * ds), v);
            }
        }
    }
}

/// Column P2 of the 32-point transform: the 8-point transform of rows `4 p1 + P2`, times
/// `w32^(P2 q1)`.
#[inline(always)]
unsafe fn col<const INV: bool, const P2: usize>(
    src: *const f32,
    ss: usize,
    w32: &[[f32; 2]; R],
    one: V,
) -> [V; 8] {
    unsafe {
        let mut a = [_mm512_setzero_ps(); 8];
        for (p1, x) in a.iter_mut().enumerate() {
            *x = _mm512_loadu_ps(src.add((4 * p1 + P2) * ss));
        }
        let mut z = dft8::<INV>(a, w32[4], w32[12], one);
        if P2 > 0 {
            for (q1, x) in z.iter_mut().enumerate().skip(1) {
                *x = cmul1(*x, w32[P2 * q1]);
            }
        }
        z
    }
}

/// Transposes 8 x 8 complex numbers (rows of registers).
#[inline(always)]
unsafe fn transpose8(r: [V; 8]) -> [V; 8] {
    unsafe {
        let mut rd = [_mm512_setzero_pd(); 8];
        for (d, x) in rd.iter_mut().zip(r) {
            *d = _mm512_castps_pd(x);
        }
        let r = rd;
        let mut t = [_mm512_setzero_pd(); 8];
        for i in 0..4 {
            t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
        }
        // t[2i] holds columns 0, 2, 4, 6 of rows 2i, 2i + 1; t[2i + 1] the odd columns.
        let lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
        let hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
        let mut u = [_mm512_setzero_pd(); 8];
        for h in 0..2 {
            let (a, b) = (4 * h, 4 * h + 2);
            // Rows 4h..4h + 4 of columns (0, 4), (1, 5), (2, 6), (3, 7).
            u[4 * h] = _mm512_permutex2var_pd(t[a], lo, t[b]);
            u[4 * h + 1] = _mm512_permutex2var_pd(t[a + 1], lo, t[b + 1]);
            u[4 * h + 2] = _mm512_permutex2var_pd(t[a], hi, t[b]);
            u[4 * h + 3] = _mm512_permutex2var_pd(t[a + 1], hi, t[b + 1]);
        }
        let mut o = [_mm512_setzero_pd(); 8];
        for c in 0..4 {
            o[c] = _mm512_shuffle_f64x2::<0x44>(u[c], u[4 + c]);
            o[c + 4] = _mm512_shuffle_f64x2::<0xEE>(u[c], u[4 + c]);
        }
        let mut out = [_mm512_setzero_ps(); 8];
        for (d, x) in out.iter_mut().zip(o) {
            *d = _mm512_castpd_ps(x);
        }
        out
    }
}

/// Pass A: the 32-point transforms of src's columns, twiddled, into `t` transposed.
///
/// # Safety
/// `src` and `t` address N complex numbers each and do not overlap.
#[target_feature(enable = "avx512f")]
unsafe fn pass_a<const INV: bool>(f: &Fft1024, src: *const f32, t: *mut f32) {
    let one = _mm512_set1_ps(std::hint::black_box(1.0));
    // The 32 rows of one block's transform: each is written before it is read.
    let mut y = std::mem::MaybeUninit::<[Row; R]>::uninit();
    let yp = y.as_mut_ptr().cast::<f32>();
    for b in 0..R / L {
        // SAFETY: rows j1 of columns 8b..8b + 8 of the 32 x 32 input, into y.
        unsafe { dft32::<INV>(src.add(2 * L * b), 2 * R, yp, 16, &f.w32, one) };
        for c in 0..R / L {
            let mut r = [_mm512_setzero_ps(); 8];
            for (i, x) in r.iter_mut().enumerate() {
                let k1 = L * c + i;
                let w = &f.tw[k1 * (R / L) + b];
                // SAFETY: Row is 64-byte aligned; y has R rows.
                *x = unsafe {
                    let v = _mm512_load_ps(yp.add(16 * k1));
                    cmul(
                        v,
                        _mm512_load_ps(w[0].0.as_ptr()),
                        _mm512_load_ps(w[1].0.as_ptr()),
                    )
                };
            }
            // SAFETY: AVX-512F, as this function.
            let o = unsafe { transpose8(r) };
            for (l, x) in o.into_iter().enumerate() {
                // SAFETY: row 8b + l, columns 8c..8c + 8 of t.
                unsafe { _mm512_storeu_ps(t.add(2 * (R * (L * b + l) + L * c)), x) };
            }
        }
    }
}

/// Pass B: the 32-point transforms of t's columns into `dst` (which may be `t`).
///
/// # Safety
/// `t` and `dst` address N complex numbers each, and are the same or do not overlap.
#[target_feature(enable = "avx512f")]
unsafe fn pass_b<const INV: bool>(f: &Fft1024, t: *const f32, dst: *mut f32) {
    let one = _mm512_set1_ps(std::hint::black_box(1.0));
    for c in 0..R / L {
        // SAFETY: rows j2 of columns 8c..8c + 8 of t, into the same columns of dst.
        unsafe {
            dft32::<INV>(
                t.add(2 * L * c),
                2 * R,
                dst.add(2 * L * c),
                2 * R,
                &f.w32,
                one,
            )
        };
    }
}

impl Length for Fft1024 {
    fn len(&self) -> usize {
        N
    }
}

impl Direction for Fft1024 {
    fn fft_direction(&self) -> FftDirection {
        if self.inverse {
            FftDirection::Inverse
        } else {
            FftDirection::Forward
        }
    }
}

/// Panics as rustfft's plans do when a buffer is not whole transforms: a bug in the caller,
/// never user input (the backend sizes every buffer).
fn check(what: &str, len: usize) {
    assert!(
        len.is_multiple_of(N),
        "1024-point FFT given a {what} of {len} elements, not a multiple of 1024"
    );
}

/// Scratch: one transform, plus room to start it at one of 8 offsets 512 bytes apart.
const SCRATCH: usize = N + 448;

/// Whether two buffers' addresses are at least 256 bytes apart modulo 4096. Pass A loads
/// from one while it stores to the other, and a load whose address matches an in-flight
/// store's in its low 12 bits waits for that store (4K aliasing): with the two at the
/// same offset in their pages, a transform measured 20% slower.
fn apart(a: *const Complex32, b: *const Complex32) -> bool {
    let d = (a as usize).wrapping_sub(b as usize) % 4096;
    (256..=4096 - 256).contains(&d)
}

/// Where in `scratch` pass A may write: the first of its 8 offsets apart from `src` and
/// `dst` (some always is: each rules out at most 2 of them).
fn spot(scratch: &mut [Complex32], src: *const Complex32, dst: *const Complex32) -> *mut Complex32 {
    assert!(
        scratch.len() >= SCRATCH,
        "1024-point FFT given {} of scratch, not {SCRATCH}",
        scratch.len()
    );
    (0..8)
        .map(|i| scratch[64 * i..].as_mut_ptr())
        .find(|&t| apart(src, t) && apart(t, dst))
        .unwrap_or(scratch.as_mut_ptr())
}

impl Fft<f32> for Fft1024 {
    fn process_with_scratch(&self, buffer: &mut [Complex32], scratch: &mut [Complex32]) {
        check("buffer", buffer.len());
        for x in buffer.chunks_exact_mut(N) {
            let p = x.as_mut_ptr();
            let t = spot(scratch, p, p);
            // SAFETY: N elements each (t has N after it: SCRATCH); scratch is not the buffer.
            unsafe { self.run(p, t, p) };
        }
    }

    fn process_outofplace_with_scratch(
        &self,
        input: &mut [Complex32],
        output: &mut [Complex32],
        scratch: &mut [Complex32],
    ) {
        self.process_immutable_with_scratch(input, output, scratch);
    }

    fn process_immutable_with_scratch(
        &self,
        input: &[Complex32],
        output: &mut [Complex32],
        scratch: &mut [Complex32],
    ) {
        check("input", input.len());
        assert_eq!(
            input.len(),
            output.len(),
            "1024-point FFT: input and output lengths differ"
        );
        for (x, y) in input.chunks_exact(N).zip(output.chunks_exact_mut(N)) {
            let (src, dst) = (x.as_ptr(), y.as_mut_ptr());
            // Pass A straight into the output where the two are apart, else through scratch.
            let t = if apart(src, dst) {
                dst
            } else {
                spot(scratch, src, dst)
            };
            // SAFETY: N elements each; input, output and scratch are distinct slices.
            unsafe { self.run(src, t, dst) };
        }
    }

    fn get_inplace_scratch_len(&self) -> usize {
        SCRATCH
    }

    fn get_outofplace_scratch_len(&self) -> usize {
        SCRATCH
    }

    fn get_immutable_scratch_len(&self) -> usize {
        SCRATCH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The f64 DFT of x, directly.
    fn dft(x: &[Complex32], inverse: bool) -> Vec<num_complex::Complex64> {
        let n = x.len();
        let s = if inverse { 1.0 } else { -1.0 };
        (0..n)
            .map(|k| {
                x.iter()
                    .enumerate()
                    .map(|(j, v)| {
                        let a = s * 2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
                        num_complex::Complex64::new(v.re as f64, v.im as f64)
                            * num_complex::Complex64::new(a.cos(), a.sin())
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn transposes_8_by_8() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let m: Vec<f32> = (0..128).map(|i| i as f32).collect();
        // SAFETY: AVX-512F is present; 8 rows of 16 floats.
        let got = unsafe {
            let r: [V; 8] = std::array::from_fn(|i| _mm512_loadu_ps(m[16 * i..].as_ptr()));
            let mut out = vec![0.0f32; 128];
            for (i, v) in transpose8(r).into_iter().enumerate() {
                _mm512_storeu_ps(out[16 * i..].as_mut_ptr(), v);
            }
            out
        };
        for i in 0..8 {
            for j in 0..8 {
                assert_eq!(
                    got[16 * i + 2 * j..16 * i + 2 * j + 2],
                    m[16 * j + 2 * i..16 * j + 2 * i + 2]
                );
            }
        }
    }

    #[test]
    fn matches_the_f64_dft_every_way_it_is_called() {
        let Some(_) = Fft1024::new(false) else {
            eprintln!("no AVX-512F here: nothing to test");
            return;
        };
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let x: Vec<Complex32> = (0..2 * N).map(|_| Complex32::new(rnd(), rnd())).collect();
        for inverse in [false, true] {
            let f = Fft1024::new(inverse).unwrap();
            let want: Vec<_> = x.chunks(N).flat_map(|c| dft(c, inverse)).collect();
            let err = |got: &[Complex32]| {
                let (mut e, mut r) = (0.0, 0.0);
                for (g, w) in got.iter().zip(&want) {
                    e += (num_complex::Complex64::new(g.re as f64, g.im as f64) - w).norm_sqr();
                    r += w.norm_sqr();
                }
                (e / r).sqrt()
            };
            let mut a = x.clone();
            f.process_with_scratch(&mut a, &mut vec![Complex32::new(0.0, 0.0); SCRATCH]);
            let mut b = vec![Complex32::new(0.0, 0.0); 2 * N];
            f.process_immutable_with_scratch(
                &x,
                &mut b,
                &mut vec![Complex32::new(0.0, 0.0); SCRATCH],
            );
            let mut input = x.clone();
            let mut c = vec![Complex32::new(0.0, 0.0); 2 * N];
            f.process_outofplace_with_scratch(
                &mut input,
                &mut c,
                &mut vec![Complex32::new(0.0, 0.0); SCRATCH],
            );
            // Input and output at the same offset in their pages: pass A goes through scratch.
            let mut page = vec![Complex32::new(0.0, 0.0); 5 * N];
            let at = page.as_ptr().align_offset(4096);
            let (lo, hi) = page[at..].split_at_mut(2 * N);
            lo[..N].copy_from_slice(&x[..N]);
            assert!(!apart(lo.as_ptr(), hi.as_ptr()));
            f.process_immutable_with_scratch(
                &lo[..N],
                &mut hi[..N],
                &mut vec![Complex32::new(0.0, 0.0); SCRATCH],
            );
            let mut d = hi[..N].to_vec();
            d.extend_from_slice(&b[N..]);
            for (how, got) in [
                ("in place", &a),
                ("immutable", &b),
                ("out of place", &c),
                ("aliased", &d),
            ] {
                let e = err(got);
                assert!(
                    e < 3e-7,
                    "{how}, inverse {inverse}: relative L2 error {e:.2e}"
                );
            }
        }
    }
}
