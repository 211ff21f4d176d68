//! 1024-, 4096-, 65536- and 2^20-point complex f32 FFTs in AVX-512, faster than rustfft's
//! AVX2 plans for those lengths: two passes of R-point transforms (R = 32 or 64) over the
//! data seen as R x R, eight columns per register; 65536 points as 64 x 1024 (see [`Tall`]),
//! 2^20 as 16 x 65536 (see [`Wide`]); and the passes that the CPU backend spreads over its
//! threads for single 2^20- and 2^24-point transforms (2^24 as 16 x 2^20: [`split256`],
//! [`outer`]).
//!
//! With n = R^2, j = R j1 + j2 and k = k1 + R k2,
//! `X[k] = sum_j2 w^(j2 k1) wR^(j2 k2) sum_j1 x[j] wR^(j1 k1)` (w = exp(-+2 pi i / n)).
//! Pass A transforms the R columns (a register holds 8 of them, so the R-point transform
//! runs across registers, never inside one), multiplies by `w^(j2 k1)` and writes the result
//! transposed, `t[j2][k1]`, in 8 x 8 blocks. Pass B transforms the columns of `t` the same
//! way, which leaves `X[k1 + R k2]` at row k2, column k1: in order. Pass B reads and writes
//! the same block of columns only, so it runs in place; pass A cannot, so an in-place
//! transform goes through scratch and an out-of-place one through its output. Every twiddle
//! is made in f64 and rounded once.

use std::arch::x86_64::*;

use std::sync::{Arc, OnceLock};

use num_complex::Complex32;
use rustfft::{Direction, Fft, FftDirection, Length};

/// The lengths these kernels transform.
pub(crate) const LENGTHS: [usize; 4] = [1024, 4096, 65536, 1 << 20];
/// Those whose kernel out of place reads its input in order and keeps its rows in its
/// output, so that a batch of them goes out of place at any size ([`Wide`]).
pub(crate) const STREAMING: [usize; 1] = [1 << 20];

/// The plan for length n in one direction, where n is one of [`LENGTHS`] and the CPU has
/// AVX-512F.
pub(crate) fn plan(n: usize, inverse: bool) -> Option<Arc<dyn Fft<f32>>> {
    match n {
        1024 => Square::<32>::new(inverse).map(|f| Arc::new(f) as _),
        4096 => Square::<64>::new(inverse).map(|f| Arc::new(f) as _),
        65536 => Tall::<32>::new(inverse).map(|f| Arc::new(f) as _),
        0x10_0000 => wide(inverse).map(|f| f as _),
        _ => None,
    }
}

/// The 2^20-point plan in one direction, made once, where the CPU has AVX-512F: [`plan`]
/// hands it to rustfft's callers, and the CPU backend runs its passes over every thread for
/// single transforms.
pub(crate) fn wide(inverse: bool) -> Option<Arc<Wide<32>>> {
    static PLANS: [OnceLock<Option<Arc<Wide<32>>>>; 2] = [OnceLock::new(), OnceLock::new()];
    PLANS[usize::from(inverse)]
        .get_or_init(|| Wide::new(inverse).map(Arc::new))
        .clone()
}

/// Pass 3 of a 2^24-point transform seen as 16 rows of 2^20 in one direction, made once,
/// where the CPU has AVX-512F.
pub(crate) fn outer(inverse: bool) -> Option<Arc<Across>> {
    static PLANS: [OnceLock<Option<Arc<Across>>>; 2] = [OnceLock::new(), OnceLock::new()];
    PLANS[usize::from(inverse)]
        .get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx512f")
                .then(|| Arc::new(Across::new(inverse, Wide::<32>::N, false)))
        })
        .clone()
}

/// Complex numbers in one register.
const L: usize = 8;

/// Eight complex f32, interleaved (re, im).
type V = __m512;

/// 64 aligned bytes: one register's worth of a table.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Row([f32; 16]);

/// A planned transform of R^2 points (R = 32 or 64) in one direction, for CPUs with
/// AVX-512F.
pub(crate) struct Square<const R: usize> {
    inverse: bool,
    /// `wR^m` for m < R, as (re, im), conjugated for the inverse (a fixed 64, so that
    /// indexing by constants needs no bounds checks).
    w: [[f32; 2]; 64],
    /// Pass A's twiddles `w^(j2 k1)`: for each k1 and block of 8 columns, the real parts
    /// then the imaginary parts, each duplicated into both halves of the lanes' pairs.
    tw: Box<[[Row; 2]]>,
}

impl<const R: usize> Square<R> {
    /// The transform length.
    const N: usize = R * R;
    /// Scratch: one transform, plus room to start it at one of 8 offsets 512 bytes apart.
    const SCRATCH: usize = Self::N + 448;

    /// The plan, or None where the CPU lacks AVX-512F.
    fn new(inverse: bool) -> Option<Square<R>> {
        assert!(
            R == 32 || R == 64,
            "no {R}-point transform across registers"
        );
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return None;
        }
        let w = |e: usize, n: usize| root(inverse, e, n);
        let mut tw = vec![[Row([0.0; 16]); 2]; R * (R / L)].into_boxed_slice();
        for k1 in 0..R {
            for b in 0..R / L {
                let t = &mut tw[k1 * (R / L) + b];
                for l in 0..L {
                    let (c, s) = w((b * L + l) * k1, Self::N);
                    t[0].0[2 * l..2 * l + 2].fill(c as f32);
                    t[1].0[2 * l..2 * l + 2].fill(s as f32);
                }
            }
        }
        Some(Square {
            inverse,
            w: small_roots(inverse, R),
            tw,
        })
    }

    /// Pass A from `src` into `t`, then pass B from `t` into `dst`. `t` may be `dst`, but
    /// must not overlap `src`; `src` may be `dst`.
    ///
    /// # Safety
    /// Each pointer addresses R^2 complex numbers; the CPU has AVX-512F.
    unsafe fn run(&self, src: *const Complex32, t: *mut Complex32, dst: *mut Complex32) {
        // SAFETY: the caller's; `new` checked the CPU.
        unsafe {
            if self.inverse {
                pass_a::<true, R>(self, src.cast(), t.cast());
                pass_b::<true, R>(self, t.cast(), dst.cast());
            } else {
                pass_a::<false, R>(self, src.cast(), t.cast());
                pass_b::<false, R>(self, t.cast(), dst.cast());
            }
        }
    }
}

/// `exp(-+2 pi i e / n)` in f64 (+ for the inverse).
fn root(inverse: bool, e: usize, n: usize) -> (f64, f64) {
    let sign = if inverse { 1.0 } else { -1.0 };
    let a = sign * 2.0 * std::f64::consts::PI * (e % n) as f64 / n as f64;
    (a.cos(), a.sin())
}

/// `wn^m` for m < n (at most 64) in f32, each made in f64 and rounded once; zeros after.
fn small_roots(inverse: bool, n: usize) -> [[f32; 2]; 64] {
    let mut w = [[0.0; 2]; 64];
    for (m, v) in w.iter_mut().enumerate().take(n) {
        let (c, s) = root(inverse, m, n);
        *v = [c as f32, s as f32];
    }
    w
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
    w32: &[[f32; 2]; 64],
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

/// Where a transform across registers puts its output rows.
trait Sink {
    /// Stores output row q.
    ///
    /// # Safety
    /// q is below the transform's length; the CPU has AVX-512F.
    unsafe fn put(&self, q: usize, x: V);
}

/// Rows `ds` floats apart from `dst`.
struct Strided {
    dst: *mut f32,
    ds: usize,
}

impl Sink for Strided {
    #[inline(always)]
    unsafe fn put(&self, q: usize, x: V) {
        // SAFETY: the transform's caller vouches for the rows.
        unsafe { _mm512_storeu_ps(self.dst.add(q * self.ds), x) }
    }
}

/// The 64-point transform across registers, as [`dft32`] does 32 points: 8 transforms of 8
/// (rows `8 p1 + p2`), twiddles `w64^(p2 q1)`, then 8 transforms of 8 into rows
/// `q1 + 8 q2` of `out`. The 64 values between the two halves go through a block on the
/// stack.
#[inline(always)]
unsafe fn dft64<const INV: bool>(
    src: *const f32,
    ss: usize,
    out: &impl Sink,
    w64: &[[f32; 2]; 64],
    one: V,
) {
    unsafe {
        let mut tmp = std::mem::MaybeUninit::<[Row; 64]>::uninit();
        let tp = tmp.as_mut_ptr().cast::<f32>();
        for p2 in 0..8 {
            let mut a = [_mm512_setzero_ps(); 8];
            for (p1, x) in a.iter_mut().enumerate() {
                *x = _mm512_loadu_ps(src.add((8 * p1 + p2) * ss));
            }
            let z = dft8::<INV>(a, w64[8], w64[24], one);
            for (q1, x) in z.into_iter().enumerate() {
                let x = if p2 > 0 && q1 > 0 {
                    cmul1(x, w64[p2 * q1])
                } else {
                    x
                };
                _mm512_store_ps(tp.add(16 * (8 * p2 + q1)), x);
            }
        }
        for q1 in 0..8 {
            let mut a = [_mm512_setzero_ps(); 8];
            for (p2, x) in a.iter_mut().enumerate() {
                *x = _mm512_load_ps(tp.add(16 * (8 * p2 + q1)));
            }
            let o = dft8::<INV>(a, w64[8], w64[24], one);
            for (q2, x) in o.into_iter().enumerate() {
                out.put(q1 + 8 * q2, x);
            }
        }
    }
}

/// The R-point transform across registers, [`dft32`] or [`dft64`].
#[inline(always)]
unsafe fn dft<const INV: bool, const R: usize>(
    src: *const f32,
    ss: usize,
    dst: *mut f32,
    ds: usize,
    w: &[[f32; 2]; 64],
    one: V,
) {
    unsafe {
        if R == 32 {
            dft32::<INV>(src, ss, dst, ds, w, one)
        } else {
            dft64::<INV>(src, ss, &Strided { dst, ds }, w, one)
        }
    }
}

/// Column P2 of the 32-point transform: the 8-point transform of rows `4 p1 + P2`, times
/// `w32^(P2 q1)`.
#[inline(always)]
unsafe fn col<const INV: bool, const P2: usize>(
    src: *const f32,
    ss: usize,
    w32: &[[f32; 2]; 64],
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

/// Pass A: the R-point transforms of src's columns, twiddled, into `t` transposed.
///
/// # Safety
/// `src` and `t` address R^2 complex numbers each and do not overlap.
#[target_feature(enable = "avx512f")]
unsafe fn pass_a<const INV: bool, const R: usize>(f: &Square<R>, src: *const f32, t: *mut f32) {
    let one = _mm512_set1_ps(std::hint::black_box(1.0));
    // The 32 rows of one block's transform: each is written before it is read.
    let mut y = std::mem::MaybeUninit::<[Row; R]>::uninit();
    let yp = y.as_mut_ptr().cast::<f32>();
    for b in 0..R / L {
        // SAFETY: rows j1 of columns 8b..8b + 8 of the 32 x 32 input, into y.
        unsafe { dft::<INV, R>(src.add(2 * L * b), 2 * R, yp, 16, &f.w, one) };
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

/// Pass B: the R-point transforms of t's columns into `dst` (which may be `t`).
///
/// # Safety
/// `t` and `dst` address R^2 complex numbers each, and are the same or do not overlap.
#[target_feature(enable = "avx512f")]
unsafe fn pass_b<const INV: bool, const R: usize>(f: &Square<R>, t: *const f32, dst: *mut f32) {
    let one = _mm512_set1_ps(std::hint::black_box(1.0));
    for c in 0..R / L {
        // SAFETY: rows j2 of columns 8c..8c + 8 of t, into the same columns of dst.
        unsafe {
            dft::<INV, R>(
                t.add(2 * L * c),
                2 * R,
                dst.add(2 * L * c),
                2 * R,
                &f.w,
                one,
            )
        };
    }
}

/// `dst[c ds + r] = src[r ss + c]` for r < rows and c < cols: a block of 8- or 16-byte
/// elements (complex f32 or f64) copied transposed, in square tiles through registers (8 x 8
/// or 4 x 4: one register per tile row, and rows and cols whole tiles), row block by row
/// block; the source rows `ahead` rows down are prefetched, as rows far apart defeat the
/// hardware prefetchers.
///
/// # Safety
/// Both blocks are valid for those elements and do not overlap; the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn transpose<T: Copy>(
    src: *const T,
    ss: usize,
    dst: *mut T,
    ds: usize,
    [rows, cols, ahead]: [usize; 3],
) {
    let size = std::mem::size_of::<T>();
    assert!(
        size == 8 || size == 16,
        "no {size}-byte register transposes"
    );
    // Elements per register and per tile side.
    let e = 64 / size;
    assert!(
        rows.is_multiple_of(e) && cols.is_multiple_of(e),
        "{rows} x {cols} is not whole {e} x {e} tiles"
    );
    for r0 in (0..rows).step_by(e) {
        for r in (r0 + ahead).min(rows)..(r0 + e + ahead).min(rows) {
            for c in (0..cols).step_by(e) {
                _mm_prefetch::<_MM_HINT_T0>(src.wrapping_add(r * ss + c).cast());
            }
        }
        for c0 in (0..cols).step_by(e) {
            // SAFETY (both): rows r0.. of columns c0..c0 + e of src, and rows c0.. of columns
            // r0..r0 + e of dst, inside the blocks; AVX-512F, as this function.
            unsafe {
                if size == 8 {
                    let mut t = [_mm512_setzero_ps(); 8];
                    for (i, x) in t.iter_mut().enumerate() {
                        *x = _mm512_loadu_ps(src.add((r0 + i) * ss + c0).cast());
                    }
                    for (i, x) in transpose8(t).into_iter().enumerate() {
                        _mm512_storeu_ps(dst.add((c0 + i) * ds + r0).cast(), x);
                    }
                } else {
                    let mut t = [_mm512_setzero_pd(); 4];
                    for (i, x) in t.iter_mut().enumerate() {
                        *x = _mm512_loadu_pd(src.add((r0 + i) * ss + c0).cast());
                    }
                    for (i, x) in transpose4_wide(t).into_iter().enumerate() {
                        _mm512_storeu_pd(dst.add((c0 + i) * ds + r0).cast(), x);
                    }
                }
            }
        }
    }
}

/// Transposes 4 x 4 elements of 16 bytes (rows of registers): the 128-bit lanes.
#[inline(always)]
unsafe fn transpose4_wide(r: [__m512d; 4]) -> [__m512d; 4] {
    unsafe {
        // Lanes (0, 1) of two rows side by side, and lanes (2, 3).
        let t0 = _mm512_shuffle_f64x2::<0x44>(r[0], r[1]);
        let t1 = _mm512_shuffle_f64x2::<0xEE>(r[0], r[1]);
        let t2 = _mm512_shuffle_f64x2::<0x44>(r[2], r[3]);
        let t3 = _mm512_shuffle_f64x2::<0xEE>(r[2], r[3]);
        // Even lanes of each pair, then odd ones.
        [
            _mm512_shuffle_f64x2::<0x88>(t0, t2),
            _mm512_shuffle_f64x2::<0xDD>(t0, t2),
            _mm512_shuffle_f64x2::<0x88>(t1, t3),
            _mm512_shuffle_f64x2::<0xDD>(t1, t3),
        ]
    }
}

/// Panics as rustfft's plans do when a buffer is not whole transforms: a bug in the caller,
/// never user input (the backend sizes every buffer).
fn check(n: usize, what: &str, len: usize) {
    assert!(
        len.is_multiple_of(n),
        "{n}-point FFT given a {what} of {len} elements, not a multiple of {n}"
    );
}

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
fn spot(
    n: usize,
    scratch: &mut [Complex32],
    src: *const Complex32,
    dst: *const Complex32,
) -> *mut Complex32 {
    assert!(
        scratch.len() >= n + 448,
        "{n}-point FFT given {} of scratch, not {}",
        scratch.len(),
        n + 448
    );
    (0..8)
        .map(|i| scratch[64 * i..].as_mut_ptr())
        .find(|&t| apart(src, t) && apart(t, dst))
        .unwrap_or(scratch.as_mut_ptr())
}

/// One of this module's transforms, as the shared rustfft methods call it.
trait Kernel {
    /// The transform length.
    const LEN: usize;
    /// Scratch elements per call in place.
    const SCRATCH_LEN: usize;
    /// Scratch elements per call out of place (`src` and `dst` apart).
    const APART_SCRATCH_LEN: usize = Self::SCRATCH_LEN;
    /// Whether this is the inverse transform.
    fn inverse(&self) -> bool;
    /// One transform from `src` into `dst`, which may be `src`.
    ///
    /// # Safety
    /// `src` and `dst` address LEN complex numbers each, the same ones or apart; `scratch`
    /// is at least SCRATCH_LEN long (APART_SCRATCH_LEN where they are apart) and overlaps
    /// neither.
    unsafe fn transform(
        &self,
        src: *const Complex32,
        dst: *mut Complex32,
        scratch: &mut [Complex32],
    );
}

impl<const R: usize> Kernel for Square<R> {
    const LEN: usize = Self::N;
    const SCRATCH_LEN: usize = Self::SCRATCH;

    fn inverse(&self) -> bool {
        self.inverse
    }

    unsafe fn transform(
        &self,
        src: *const Complex32,
        dst: *mut Complex32,
        scratch: &mut [Complex32],
    ) {
        // Pass A straight into the output where the two are apart (never in place), else
        // through scratch.
        let t = if apart(src, dst) {
            dst
        } else {
            spot(Self::N, scratch, src, dst)
        };
        // SAFETY: the caller's; t is dst or N elements of scratch, apart from src.
        unsafe { self.run(src, t, dst) };
    }
}

/// Every whole transform in `buffer`, in place.
fn in_place<K: Kernel>(k: &K, buffer: &mut [Complex32], scratch: &mut [Complex32]) {
    check(K::LEN, "buffer", buffer.len());
    for x in buffer.chunks_exact_mut(K::LEN) {
        let p = x.as_mut_ptr();
        // SAFETY: LEN elements; scratch is another slice (`transform` checks its length).
        unsafe { k.transform(p, p, scratch) };
    }
}

/// Every whole transform in `input` into `output`.
fn immutable<K: Kernel>(
    k: &K,
    input: &[Complex32],
    output: &mut [Complex32],
    scratch: &mut [Complex32],
) {
    let n = K::LEN;
    check(n, "input", input.len());
    assert_eq!(
        input.len(),
        output.len(),
        "{n}-point FFT: input and output lengths differ"
    );
    for (x, y) in input.chunks_exact(n).zip(output.chunks_exact_mut(n)) {
        // SAFETY: n elements each; input, output and scratch are distinct slices.
        unsafe { k.transform(x.as_ptr(), y.as_mut_ptr(), scratch) };
    }
}

/// rustfft's `Length`, `Direction` and `Fft` for a [`Kernel`] generic over R.
macro_rules! rustfft_traits {
    ($kernel:ident) => {
        impl<const R: usize> Length for $kernel<R> {
            fn len(&self) -> usize {
                <Self as Kernel>::LEN
            }
        }

        impl<const R: usize> Direction for $kernel<R> {
            fn fft_direction(&self) -> FftDirection {
                if self.inverse() {
                    FftDirection::Inverse
                } else {
                    FftDirection::Forward
                }
            }
        }

        impl<const R: usize> Fft<f32> for $kernel<R> {
            fn process_with_scratch(&self, buffer: &mut [Complex32], scratch: &mut [Complex32]) {
                in_place(self, buffer, scratch);
            }

            fn process_outofplace_with_scratch(
                &self,
                input: &mut [Complex32],
                output: &mut [Complex32],
                scratch: &mut [Complex32],
            ) {
                immutable(self, input, output, scratch);
            }

            fn process_immutable_with_scratch(
                &self,
                input: &[Complex32],
                output: &mut [Complex32],
                scratch: &mut [Complex32],
            ) {
                immutable(self, input, output, scratch);
            }

            fn get_inplace_scratch_len(&self) -> usize {
                <Self as Kernel>::SCRATCH_LEN
            }

            fn get_outofplace_scratch_len(&self) -> usize {
                <Self as Kernel>::APART_SCRATCH_LEN
            }

            fn get_immutable_scratch_len(&self) -> usize {
                <Self as Kernel>::APART_SCRATCH_LEN
            }
        }
    };
}

rustfft_traits!(Square);
rustfft_traits!(Tall);
rustfft_traits!(Wide);

/// A planned transform of n = 64 M points (M = R^2: 65536 for R = 32) in one direction, for
/// CPUs with AVX-512F: the four-step algorithm on the data seen as 64 x M.
///
/// With j = M j1 + j2 and k = k1 + 64 k2,
/// `X[k] = sum_j2 w^(j2 k1) wM^(j2 k2) sum_j1 x[j] w64^(j1 k1)`. Pass 1 runs the 64-point
/// transforms of the M columns across registers, eight columns per register as [`Square`]
/// does, multiplies by `w^(j2 k1)` and keeps row k1 in scratch. Pass 2 transforms each row
/// with the M-point [`Square`], eight rows into a block, and writes the block's 8 x 8
/// transposes to the output, which puts `X[k1 + 64 k2]` in order. Scratch rows are one
/// cache line longer than M, so that a column's elements fall in different L1 sets.
pub(crate) struct Tall<const R: usize> {
    rows: Square<R>,
    /// `w64^m` for m < 64.
    w64: [[f32; 2]; 64],
    /// `w^(j2 k1)` for the lanes j2 = 8b..8b + 8 of row k1 at `[64 b + k1]`, interleaved
    /// (re, im), each made in f64 and rounded once.
    tw: Box<[Row]>,
}

impl<const R: usize> Tall<R> {
    /// The row length M.
    const M: usize = R * R;
    /// The transform length.
    const N: usize = 64 * Self::M;
    /// Elements per scratch row.
    const PAD: usize = Self::M + L;
    /// Scratch: 64 rows for pass 1, 8 for pass 2's block, the row transforms' own scratch,
    /// and room to start at a cache line.
    const SCRATCH: usize = 72 * Self::PAD + Square::<R>::SCRATCH + L;

    /// The plan, or None where the CPU lacks AVX-512F.
    fn new(inverse: bool) -> Option<Tall<R>> {
        let rows = Square::<R>::new(inverse)?;
        let tw = (0..Self::M / L)
            .flat_map(|b| {
                (0..64).map(move |k1| {
                    let mut r = Row([0.0; 16]);
                    for l in 0..L {
                        let (c, s) = root(inverse, (L * b + l) * k1, Self::N);
                        r.0[2 * l..2 * l + 2].copy_from_slice(&[c as f32, s as f32]);
                    }
                    r
                })
            })
            .collect();
        Some(Tall {
            rows,
            w64: small_roots(inverse, 64),
            tw,
        })
    }

    /// Pass 1 from `src` into scratch, pass 2 from there into `dst` (which may be `src`).
    ///
    /// # Safety
    /// `src` and `dst` address N complex numbers each; `scratch` overlaps neither.
    unsafe fn run(&self, src: *const Complex32, dst: *mut Complex32, scratch: &mut [Complex32]) {
        assert!(
            scratch.len() >= Self::SCRATCH,
            "{}-point FFT given {} of scratch, not {}",
            Self::N,
            scratch.len(),
            Self::SCRATCH
        );
        let skip = scratch.as_ptr().align_offset(64).min(L) % L;
        let (rows, rest) = scratch[skip..].split_at_mut(64 * Self::PAD);
        let (block, t) = rest.split_at_mut(L * Self::PAD);
        // SAFETY: the caller's; `new` checked the CPU; the scratch parts are as long as the
        // passes need.
        unsafe {
            if self.rows.inverse {
                tall_columns::<true, R>(self, src.cast(), rows.as_mut_ptr().cast());
            } else {
                tall_columns::<false, R>(self, src.cast(), rows.as_mut_ptr().cast());
            }
            tall_rows(self, rows, block, t, dst.cast());
        }
    }
}

/// Pass 1 of [`Tall`]: the 64-point transforms of src's columns, twiddled, into the padded
/// rows at `rows`. Each block's lines are fetched into L2 two blocks ahead: its 64 rows are
/// M elements apart, which the hardware prefetchers do not follow.
///
/// # Safety
/// `src` addresses 64 M complex numbers, `rows` 64 padded rows, not overlapping.
#[target_feature(enable = "avx512f")]
unsafe fn tall_columns<const INV: bool, const R: usize>(
    f: &Tall<R>,
    src: *const f32,
    rows: *mut f32,
) {
    let (m, pad) = (Tall::<R>::M, Tall::<R>::PAD);
    let one = _mm512_set1_ps(std::hint::black_box(1.0));
    for b in 0..m / L {
        if b + 2 < m / L {
            for j1 in 0..64 {
                // SAFETY: inside src; a prefetch never faults anyway.
                unsafe { _mm_prefetch::<_MM_HINT_T1>(src.add(2 * (m * j1 + L * (b + 2))).cast()) };
            }
        }
        let out = Twiddled {
            dst: rows.wrapping_add(2 * L * b),
            ds: 2 * pad,
            tw: f.tw[64 * b..][..64].as_ptr(),
        };
        // SAFETY: rows j1 of columns 8b..8b + 8 into rows k1 of the same columns of
        // `rows`, each inside the caller's buffers.
        unsafe { dft64::<INV>(src.add(2 * L * b), 2 * m, &out, &f.w64, one) };
    }
}

/// Rows `ds` floats apart from `dst`, row q times the 8 twiddles `tw[q]` (interleaved).
struct Twiddled {
    dst: *mut f32,
    ds: usize,
    tw: *const Row,
}

impl Sink for Twiddled {
    #[inline(always)]
    unsafe fn put(&self, q: usize, x: V) {
        // SAFETY: the transform's caller vouches for the rows and for 64 twiddle rows.
        unsafe {
            let w = (*self.tw.add(q)).0.as_ptr();
            let v = _mm512_fmaddsub_ps(
                x,
                _mm512_moveldup_ps(_mm512_load_ps(w)),
                _mm512_mul_ps(swap(x), _mm512_movehdup_ps(_mm512_load_ps(w))),
            );
            _mm512_storeu_ps(self.dst.add(q * self.ds), v)
        }
    }
}

/// Pass 2 of [`Tall`]: each of the 64 rows transformed into `block`, eight at a time, and
/// the block written to `dst` in 8 x 8 transposes: row k1, column k2 to `dst[k1 + 64 k2]`.
///
/// # Safety
/// `rows` holds 64 padded rows, `block` 8, `t` the row transform's scratch; `dst` addresses
/// 64 M complex numbers and overlaps none of them.
#[target_feature(enable = "avx512f")]
unsafe fn tall_rows<const R: usize>(
    f: &Tall<R>,
    rows: &[Complex32],
    block: &mut [Complex32],
    t: &mut [Complex32],
    dst: *mut f32,
) {
    let (m, pad) = (Tall::<R>::M, Tall::<R>::PAD);
    for g in 0..64 / L {
        for i in 0..L {
            let src = rows[pad * (L * g + i)..][..m].as_ptr();
            let out = block[pad * i..][..m].as_mut_ptr();
            // SAFETY: M elements at each, not overlapping; t is the row transform's scratch.
            unsafe { f.rows.transform(src, out, t) };
        }
        let bp = block.as_ptr().cast::<f32>();
        for c in 0..m / L {
            let mut r = [_mm512_setzero_ps(); 8];
            for (i, x) in r.iter_mut().enumerate() {
                // SAFETY: columns 8c..8c + 8 of block row i.
                *x = unsafe { _mm512_loadu_ps(bp.add(2 * (pad * i + L * c))) };
            }
            // SAFETY: AVX-512F, as this function.
            let o = unsafe { transpose8(r) };
            for (l, x) in o.into_iter().enumerate() {
                // SAFETY: elements 64 (8c + l) + 8g.. + 8 of dst, inside its 64 M.
                unsafe { _mm512_storeu_ps(dst.add(2 * (64 * (L * c + l) + L * g)), x) };
            }
        }
    }
}

impl<const R: usize> Kernel for Tall<R> {
    const LEN: usize = Self::N;
    const SCRATCH_LEN: usize = Self::SCRATCH;

    fn inverse(&self) -> bool {
        self.rows.inverse
    }

    unsafe fn transform(
        &self,
        src: *const Complex32,
        dst: *mut Complex32,
        scratch: &mut [Complex32],
    ) {
        // SAFETY: the caller's.
        unsafe { self.run(src, dst, scratch) };
    }
}

/// A planned transform of n = 16 M points (M = 64 R^2, the [`Tall`] length: 2^20 for
/// R = 32) in one direction, for CPUs with AVX-512F: the four-step algorithm the other way
/// round, so that every pass reads and writes whole rows in order.
///
/// With j = j1 + 16 j2 and k = M k1 + k2,
/// `X[k] = sum_j1 w16^(j1 k1) w^(j1 k2) sum_j2 x[j] wM^(j2 k2)`. Pass 1 splits the input
/// into its 16 interleaved rows `x[j1 + 16 j2]` (register transposes), held in the output
/// itself out of place and in padded scratch rows in place; pass 2 transforms each row in
/// place with [`Tall`]; pass 3 multiplies by `w^(j1 k2)` and runs the 16-point transforms
/// across the rows, eight columns a register, writing output row k1 (elements `M k1 + k2`).
pub(crate) struct Wide<const R: usize> {
    rows: Tall<R>,
    /// Pass 3.
    across: Across,
}

/// Pass 3 of a transform of n = 16 m points seen as 16 rows of m, as in [`Wide`]: the
/// twiddles `w^(j1 k2)` and the 16-point transforms across the rows. [`Wide`] uses it with
/// m = 65536, and the CPU backend's 2^24-point transforms (16 rows of 2^20, each row a
/// [`Wide`] transform) with m = 2^20.
pub(crate) struct Across {
    /// The row length m.
    m: usize,
    inverse: bool,
    /// `w16^m` for m < 16.
    w16: [[f32; 2]; 16],
    /// `w^(l j1)` for the lanes l < 8 of row j1, as [`Square`]'s `tw`.
    lanes: Box<[[Row; 2]]>,
    /// The twiddle of lane 0 of column block c in row j1, `w^(8 c j1)`. Lane l takes it
    /// times `lanes[j1][l]`; each factor is made in f64 and rounded once.
    blocks: Blocks,
}

/// Where [`Across`] finds `w^(8 c j1)`.
enum Blocks {
    /// A table, at `[16 c + j1]`: 1 MiB for m = 65536 (every twiddle would take 8 MiB).
    Table(Box<[[f32; 2]]>),
    /// Made per block as the powers of `w^(8 c)` in f64, which comes from two tables of
    /// 2^shift roots (`lo[e & mask] hi[e >> shift]`, each made in f64): a table would take
    /// 16 MiB for m = 2^20, and fifteen f64 products lose about 1e-15.
    Powers {
        lo: Box<[(f64, f64)]>,
        hi: Box<[(f64, f64)]>,
        shift: u32,
    },
}

impl Across {
    /// Pass 3 for n = 16 m points in one direction: a table of the block twiddles where
    /// `table`, else their powers.
    fn new(inverse: bool, m: usize, table: bool) -> Across {
        let n = 16 * m;
        let single = |(c, s): (f64, f64)| [c as f32, s as f32];
        let mut w16 = [[0.0; 2]; 16];
        for (e, v) in w16.iter_mut().enumerate() {
            *v = single(root(inverse, e, 16));
        }
        let lanes = (0..16)
            .map(|j1| {
                let mut t = [Row([0.0; 16]); 2];
                for l in 0..L {
                    let (c, s) = root(inverse, l * j1, n);
                    t[0].0[2 * l..2 * l + 2].fill(c as f32);
                    t[1].0[2 * l..2 * l + 2].fill(s as f32);
                }
                t
            })
            .collect();
        let blocks = if table {
            Blocks::Table(
                (0..m / L)
                    .flat_map(|c| (0..16).map(move |j1| single(root(inverse, L * c * j1, n))))
                    .collect(),
            )
        } else {
            // The exponents 8c lie below m.
            let shift = m.trailing_zeros().div_ceil(2);
            Blocks::Powers {
                lo: (0..1 << shift).map(|e| root(inverse, e, n)).collect(),
                hi: (0..m >> shift)
                    .map(|e| root(inverse, e << shift, n))
                    .collect(),
                shift,
            }
        };
        Across {
            m,
            inverse,
            w16,
            lanes,
            blocks,
        }
    }

    /// `w^(8 c j1)` for j1 < 16.
    #[inline(always)]
    fn block(&self, c: usize) -> [[f32; 2]; 16] {
        match &self.blocks {
            Blocks::Table(t) => t[16 * c..16 * c + 16]
                .try_into()
                .expect("16 twiddles a block"),
            Blocks::Powers { lo, hi, shift } => {
                let e = L * c;
                let ((ar, ai), (br, bi)) = (lo[e & ((1 << shift) - 1)], hi[e >> shift]);
                let (wr, wi) = (ar * br - ai * bi, ar * bi + ai * br);
                let (mut pr, mut pi) = (1.0f64, 0.0f64);
                let mut out = [[0.0; 2]; 16];
                for o in &mut out {
                    *o = [pr as f32, pi as f32];
                    (pr, pi) = (pr * wr - pi * wi, pr * wi + pi * wr);
                }
                out
            }
        }
    }

    /// The blocks of 8 columns `blocks` (of m / 8) of the 16 rows at `rows`, `pad` complex
    /// numbers apart, into rows k1 of `dst` (m apart), times `scale`: see
    /// [`across_columns`].
    ///
    /// # Safety
    /// As [`across_columns`], for those blocks, which no other task touches meanwhile; the
    /// CPU has AVX-512F (as every plan of this module checks).
    pub(crate) unsafe fn run(
        &self,
        rows: *const Complex32,
        pad: usize,
        dst: *mut Complex32,
        blocks: std::ops::Range<usize>,
        scale: f32,
    ) {
        let (rows, dst) = (rows.cast(), dst.cast());
        // SAFETY: the caller's.
        unsafe {
            if self.inverse {
                across_columns::<true>(self, rows, pad, dst, blocks, scale);
            } else {
                across_columns::<false>(self, rows, pad, dst, blocks, scale);
            }
        }
    }
}

impl<const R: usize> Wide<R> {
    /// The row length M.
    pub(crate) const M: usize = 64 * R * R;
    /// The transform length.
    pub(crate) const N: usize = 16 * Self::M;
    /// Elements per scratch row: a cache line more than M, so that pass 3's 16 loads of a
    /// column fall in different L1 sets.
    pub(crate) const PAD: usize = Self::M + L;
    /// Scratch in place: the 16 rows, the row transforms' own scratch, and room to start at
    /// a cache line.
    const SCRATCH: usize = 16 * Self::PAD + Tall::<R>::SCRATCH + L;
    /// Scratch out of place: the row transforms' only.
    const APART: usize = Self::ROW_SCRATCH;
    /// Scratch for one row's transform ([`Wide::row`]).
    pub(crate) const ROW_SCRATCH: usize = Tall::<R>::SCRATCH + L;

    /// The plan, or None where the CPU lacks AVX-512F.
    fn new(inverse: bool) -> Option<Wide<R>> {
        Some(Wide {
            rows: Tall::<R>::new(inverse)?,
            across: Across::new(inverse, Self::M, true),
        })
    }

    /// Pass 2 for one row at `row` (M complex numbers), in place, with `scratch` of at
    /// least [`Wide::ROW_SCRATCH`].
    ///
    /// # Safety
    /// `row` addresses M complex numbers that no other task touches meanwhile.
    pub(crate) unsafe fn row(&self, row: *mut Complex32, scratch: &mut [Complex32]) {
        // SAFETY: the caller's.
        unsafe { self.rows.run(row, row, scratch) };
    }

    /// Pass 3.
    pub(crate) fn across(&self) -> &Across {
        &self.across
    }
}

/// Pass 1 of the CPU backend's 2^24-point transforms (16 x 16 x 65536), for the input's
/// rows `range` (the input seen as rows of 256): element `c` of row r to row
/// `16 (c % 16) + c / 16` of `dst` (rows of m), column r, in 8 x 8 register tiles. Each
/// row of `dst` then holds `x[j1 + 16 j2 + 256 j3]` over j3 at row `16 j1 + j2`: [`Wide`]'s
/// pass 1 of the 2^20-point transform of `x[j1 + 16 j']`, for every j1 at once. The stores
/// stream past the caches (a line is written whole, and read again only after the whole
/// pass) where `dst` is aligned to a cache line.
///
/// # Safety
/// `src` addresses the rows in `range` of 256 complex numbers and `dst` 256 rows of m, not
/// overlapping; the range is whole multiples of 8, below m; no other task touches those
/// columns meanwhile; the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn split256(
    src: *const Complex32,
    dst: *mut Complex32,
    m: usize,
    range: std::ops::Range<usize>,
) {
    let stream = (dst as usize).is_multiple_of(64) && m.is_multiple_of(L);
    for r0 in range.step_by(L) {
        for c0 in (0..256).step_by(L) {
            let mut t = [_mm512_setzero_ps(); 8];
            for (i, x) in t.iter_mut().enumerate() {
                // SAFETY: row r0 + i, columns c0..c0 + 8, inside the caller's rows.
                *x = unsafe { _mm512_loadu_ps(src.add(256 * (r0 + i) + c0).cast()) };
            }
            // SAFETY: AVX-512F, as this function.
            for (i, x) in unsafe { transpose8(t) }.into_iter().enumerate() {
                let c = c0 + i;
                // SAFETY: row 16 (c % 16) + c / 16 of dst, columns r0..r0 + 8; aligned to 64
                // bytes where `stream`.
                unsafe {
                    let p = dst.add(m * (16 * (c % 16) + c / 16) + r0).cast::<f32>();
                    if stream {
                        _mm512_stream_ps(p, x);
                    } else {
                        _mm512_storeu_ps(p, x);
                    }
                }
            }
        }
    }
    // The streamed lines reach memory before any other task reads them.
    _mm_sfence();
}

/// Pass 1 of [`Wide`] (and of the CPU backend's 16 x 2^20), for the input's rows `range`
/// (the input seen as rows of 16): their elements into columns `range` of the 16 rows at
/// `rows`, `pad` apart.
///
/// # Safety
/// `src` addresses the input's rows in `range` and `rows` 16 rows of `pad`, not
/// overlapping; the range is whole multiples of 8; no other task touches those columns
/// meanwhile; the CPU has AVX-512F.
pub(crate) unsafe fn split16(
    src: *const Complex32,
    rows: *mut Complex32,
    pad: usize,
    range: std::ops::Range<usize>,
) {
    let (a, len) = (range.start, range.len());
    // SAFETY: the caller's.
    unsafe { transpose(src.add(16 * a), 16, rows.add(a), pad, [len, 16, 0]) };
}

impl<const R: usize> Kernel for Wide<R> {
    const LEN: usize = Self::N;
    const SCRATCH_LEN: usize = Self::SCRATCH;
    const APART_SCRATCH_LEN: usize = Self::APART;

    fn inverse(&self) -> bool {
        self.rows.rows.inverse
    }

    /// The three passes from `src` to `dst` (which may be `src`). Out of place the 16 rows
    /// are `dst` itself: no 8 MiB of scratch, so that two threads' transforms (each row's
    /// output and its L2-sized scratch) share the L3 instead of thrashing it. For 2^20 x 16
    /// on both cores of the CI machine this took 29-36 ms against 44-49 ms for rustfft per
    /// row (2026-11-23). In place the rows are padded rows of scratch.
    ///
    /// # Safety
    /// `src` and `dst` address N complex numbers each, the same ones or apart; `scratch`
    /// overlaps neither.
    unsafe fn transform(
        &self,
        src: *const Complex32,
        dst: *mut Complex32,
        scratch: &mut [Complex32],
    ) {
        let (m, pad) = (Self::M, Self::PAD);
        let apart = src != dst.cast_const();
        let need = if apart { Self::APART } else { Self::SCRATCH };
        assert!(
            scratch.len() >= need,
            "{}-point FFT given {} of scratch, not {need}",
            Self::N,
            scratch.len(),
        );
        let skip = scratch.as_ptr().align_offset(64).min(L) % L;
        // The 16 rows: the output itself when it is apart from the input, else padded rows
        // of scratch.
        let (rows, pad, t) = if apart {
            (dst, m, &mut scratch[skip..])
        } else {
            let (rows, t) = scratch[skip..].split_at_mut(16 * pad);
            (rows.as_mut_ptr(), pad, t)
        };
        // SAFETY: the caller's; src is M rows of 16, `rows` 16 rows of M, `pad` apart,
        // inside dst or scratch, and `t` is the rest of scratch.
        unsafe {
            split16(src, rows, pad, 0..m);
            for r in 0..16 {
                self.row(rows.add(r * pad), t);
            }
            self.across.run(rows, pad, dst, 0..m / L, 1.0);
        }
    }
}

/// [`Across`]: for each block of 8 columns in `blocks` of the 16 rows of m at `rows`
/// (`pad` complex numbers apart), the twiddles `w^(j1 k2)` and the 16-point transforms
/// across the rows, times `scale`, into rows k1 of `dst`. Each block is read whole before
/// any of it is written, so `rows` may be `dst` itself (with `pad` = m).
///
/// # Safety
/// `rows` holds 16 rows of m, `pad` apart, and `dst` 16 m complex numbers: apart, or the
/// same as `rows` with `pad` = m.
#[target_feature(enable = "avx512f")]
unsafe fn across_columns<const INV: bool>(
    f: &Across,
    rows: *const f32,
    pad: usize,
    dst: *mut f32,
    blocks: std::ops::Range<usize>,
    scale: f32,
) {
    let m = f.m;
    let one = _mm512_set1_ps(std::hint::black_box(1.0));
    for c in blocks {
        let mut tw = f.block(c);
        // The transforms are linear: a scale on the block's twiddles scales its outputs,
        // with no pass of its own.
        if scale != 1.0 {
            tw = tw.map(|[re, im]| [re * scale, im * scale]);
        }
        let mut v = [_mm512_setzero_ps(); 16];
        for (j1, x) in v.iter_mut().enumerate() {
            let lane = &f.lanes[j1];
            // SAFETY: row j1, columns 8c..8c + 8, inside the caller's rows.
            *x = unsafe {
                let y = cmul(
                    _mm512_loadu_ps(rows.add(2 * (pad * j1 + L * c))),
                    _mm512_load_ps(lane[0].0.as_ptr()),
                    _mm512_load_ps(lane[1].0.as_ptr()),
                );
                cmul1(y, tw[j1])
            };
        }
        // The 16-point transform as 4 x 4: with j1 = 4 p1 + p2 and k1 = q1 + 4 q2,
        // `Y[k1] = sum_p2 w16^(p2 q1) w4^(p2 q2) sum_p1 v[j1] w4^(p1 q1)`.
        // z[q1][p2]: the first transforms, twiddled, ready for the second across p2.
        let mut z = [[_mm512_setzero_ps(); 4]; 4];
        for p2 in 0..4 {
            // SAFETY: AVX-512F, as this function.
            let a = unsafe { dft4::<INV>([v[p2], v[4 + p2], v[8 + p2], v[12 + p2]], one) };
            for (q1, (x, zq)) in a.into_iter().zip(z.iter_mut()).enumerate() {
                zq[p2] = if p2 > 0 && q1 > 0 {
                    // SAFETY: as above.
                    unsafe { cmul1(x, f.w16[p2 * q1]) }
                } else {
                    x
                };
            }
        }
        for (q1, col) in z.into_iter().enumerate() {
            // SAFETY: as above.
            let o = unsafe { dft4::<INV>(col, one) };
            for (q2, x) in o.into_iter().enumerate() {
                // SAFETY: row q1 + 4 q2, columns 8c..8c + 8 of dst.
                unsafe { _mm512_storeu_ps(dst.add(2 * (m * (q1 + 4 * q2) + L * c)), x) };
            }
        }
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
    fn transposes_blocks_between_strides() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(make: impl Fn(usize) -> T, blank: T) {
            let (rows, cols, ss, ds) = (16, 24, 29, 21);
            let src: Vec<T> = (0..rows * ss).map(&make).collect();
            let mut dst = vec![blank; cols * ds];
            // SAFETY: AVX-512F is present; rows x cols at stride ss, cols x rows at stride ds.
            unsafe { transpose(src.as_ptr(), ss, dst.as_mut_ptr(), ds, [rows, cols, 8]) };
            for c in 0..cols {
                for r in 0..ds {
                    let want = if r < rows { src[r * ss + c] } else { blank };
                    assert_eq!(dst[c * ds + r], want, "row {c}, column {r}");
                }
            }
        }
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        check(|i| i as u64, u64::MAX);
        check(|i| [i as u64, !(i as u64)], [0, 0]);
        // 4 x 4 tiles: sides that are not whole 8 x 8 ones.
        let (rows, cols) = (12, 20);
        let src: Vec<[u64; 2]> = (0..rows * cols).map(|i| [i as u64, 7]).collect();
        let mut dst = vec![[0, 0]; rows * cols];
        // SAFETY: AVX-512F is present; rows x cols, and cols x rows.
        unsafe { transpose(src.as_ptr(), cols, dst.as_mut_ptr(), rows, [rows, cols, 0]) };
        for r in 0..rows {
            for c in 0..cols {
                assert_eq!(dst[c * rows + r], src[r * cols + c]);
            }
        }
    }

    #[test]
    fn matches_the_f64_dft_every_way_it_is_called() {
        check(1024, [Square::<32>::SCRATCH; 2], &dft);
        check(4096, [Square::<64>::SCRATCH; 2], &dft);
        // Too long for the direct sum: rustfft in f64 as the reference.
        let f64_fft = |x: &[Complex32], inverse: bool| {
            let mut v: Vec<_> = x
                .iter()
                .map(|c| num_complex::Complex64::new(c.re as f64, c.im as f64))
                .collect();
            let dir = if inverse {
                FftDirection::Inverse
            } else {
                FftDirection::Forward
            };
            rustfft::FftPlanner::new()
                .plan_fft(x.len(), dir)
                .process(&mut v);
            v
        };
        check(65536, [Tall::<32>::SCRATCH; 2], &f64_fft);
        // Out of place with only the row transforms' scratch: the output holds the rows.
        check(1 << 20, [Wide::<32>::SCRATCH, Wide::<32>::APART], &f64_fft);
    }

    type Reference = dyn Fn(&[Complex32], bool) -> Vec<num_complex::Complex64>;

    /// Every call form of length n against `reference`, each given exactly the scratch it
    /// asks for: `[in place, out of place]`.
    fn check(n: usize, [in_place, apart_len]: [usize; 2], reference: &Reference) {
        let scratch = || vec![Complex32::new(0.0, 0.0); in_place];
        let small = || vec![Complex32::new(0.0, 0.0); apart_len];
        let Some(f) = plan(n, false) else {
            eprintln!("no AVX-512F here: nothing to test");
            return;
        };
        assert_eq!(f.get_inplace_scratch_len(), in_place);
        assert_eq!(f.get_outofplace_scratch_len(), apart_len);
        assert_eq!(f.get_immutable_scratch_len(), apart_len);
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let x: Vec<Complex32> = (0..2 * n).map(|_| Complex32::new(rnd(), rnd())).collect();
        for inverse in [false, true] {
            let f = plan(n, inverse).unwrap();
            let want: Vec<_> = x.chunks(n).flat_map(|c| reference(c, inverse)).collect();
            let err = |got: &[Complex32]| {
                let (mut e, mut r) = (0.0, 0.0);
                for (g, w) in got.iter().zip(&want) {
                    e += (num_complex::Complex64::new(g.re as f64, g.im as f64) - w).norm_sqr();
                    r += w.norm_sqr();
                }
                (e / r).sqrt()
            };
            let mut a = x.clone();
            f.process_with_scratch(&mut a, &mut scratch());
            let mut b = vec![Complex32::new(0.0, 0.0); 2 * n];
            f.process_immutable_with_scratch(&x, &mut b, &mut small());
            let mut input = x.clone();
            let mut c = vec![Complex32::new(0.0, 0.0); 2 * n];
            f.process_outofplace_with_scratch(&mut input, &mut c, &mut small());
            // Input and output at the same offset in their pages: pass A goes through scratch.
            let mut page = vec![Complex32::new(0.0, 0.0); 5 * n];
            let at = page.as_ptr().align_offset(4096);
            let (lo, hi) = page[at..].split_at_mut(2 * n);
            lo[..n].copy_from_slice(&x[..n]);
            assert!(!apart(lo.as_ptr(), hi.as_ptr()));
            f.process_immutable_with_scratch(&lo[..n], &mut hi[..n], &mut small());
            let mut d = hi[..n].to_vec();
            d.extend_from_slice(&b[n..]);
            for (how, got) in [
                ("in place", &a),
                ("immutable", &b),
                ("out of place", &c),
                ("aliased", &d),
            ] {
                let e = err(got);
                assert!(
                    e < 3e-7,
                    "{n} points {how}, inverse {inverse}: relative L2 error {e:.2e}"
                );
            }
        }
    }
}
