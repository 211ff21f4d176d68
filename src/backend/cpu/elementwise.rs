//! CPU kernels of the `elementwise` family: one monomorphised loop per op and dtype (so the
//! compiler vectorises the contiguous case inside the AVX2 multiversion), parallel over chunks.

use half::f16;
use num_complex::Complex;
use rayon::prelude::*;

use super::simd::multiversion;
use super::vmath;
use crate::backend::{ElementwiseOp, Layout};
use crate::element::{DType, Element};
use crate::ops::elementwise::{BinaryOp, CompareOp, ComplexPart, UnaryOp};

/// Output elements per parallel task.
const CHUNK: usize = 1 << 15;

/// Elementwise arithmetic with streamcore's semantics for each dtype: wrapping integers,
/// `x / 0 == 0` and shift counts mod 32 for integers, NaN-propagating min/max for floats, f16
/// computed in f32. Both methods are inlined with `op` constant, so each loop is one function.
/// Ops a dtype does not have (the op layer refuses them) return `self`.
pub(crate) trait CpuMath: Element {
    fn binary(self, o: Self, op: BinaryOp) -> Self;
    fn unary(self, op: UnaryOp) -> Self;
    /// `self * b + c`, rounded once for f32/f64.
    fn fma(self, b: Self, c: Self) -> Self;
    /// `self op o` (complex numbers: `Eq` and `Ne` only; the op layer refuses the rest).
    fn compare(self, o: Self, op: CompareOp) -> bool;
    /// A real quantity of a complex number (real types: the value itself).
    fn part(self, p: ComplexPart) -> Self::Real;
}

macro_rules! float_math {
    ($t:ty, $exp:expr, $sin:expr, $cos:expr, $tan:expr, $ln:expr, $log2:expr, $exp2:expr,
     $tanh:expr, $log1p:expr, $expm1:expr) => {
        impl CpuMath for $t {
            #[inline(always)]
            fn binary(self, o: Self, op: BinaryOp) -> Self {
                match op {
                    BinaryOp::Add => self + o,
                    BinaryOp::Sub => self - o,
                    BinaryOp::Mul => self * o,
                    BinaryOp::Div => self / o,
                    // fmod is exact; NumPy then moves the result to the divisor's sign.
                    BinaryOp::Rem => {
                        let m = self % o;
                        if m == 0.0 {
                            (0.0 as $t).copysign(o)
                        } else if (o < 0.0) != (m < 0.0) {
                            m + o
                        } else {
                            m
                        }
                    }
                    BinaryOp::Minimum if self.is_nan() || o.is_nan() => <$t>::NAN,
                    BinaryOp::Maximum if self.is_nan() || o.is_nan() => <$t>::NAN,
                    // Ties (-0 against 0) give the second operand, as in NumPy.
                    BinaryOp::Minimum => {
                        if self < o {
                            self
                        } else {
                            o
                        }
                    }
                    BinaryOp::Maximum => {
                        if self > o {
                            self
                        } else {
                            o
                        }
                    }
                    BinaryOp::Pow => self.powf(o),
                    BinaryOp::Atan2 => self.atan2(o),
                    BinaryOp::Hypot => self.hypot(o),
                    _ => self,
                }
            }
            #[inline(always)]
            fn unary(self, op: UnaryOp) -> Self {
                match op {
                    UnaryOp::Neg => -self,
                    UnaryOp::Abs => self.abs(),
                    UnaryOp::Square => self * self,
                    UnaryOp::Sqrt => self.sqrt(),
                    UnaryOp::Exp => $exp(self),
                    UnaryOp::Log => $ln(self),
                    UnaryOp::Sin => $sin(self),
                    UnaryOp::Cos => $cos(self),
                    UnaryOp::Tanh => $tanh(self),
                    UnaryOp::Exp2 => $exp2(self),
                    UnaryOp::Log2 => $log2(self),
                    UnaryOp::Tan => $tan(self),
                    UnaryOp::Sigmoid => 1.0 / (1.0 + $exp(-self)),
                    UnaryOp::Floor => self.floor(),
                    UnaryOp::Ceil => self.ceil(),
                    UnaryOp::Round => self.round_ties_even(),
                    UnaryOp::Trunc => self.trunc(),
                    UnaryOp::Sign if self > 0.0 => 1.0,
                    UnaryOp::Sign if self < 0.0 => -1.0,
                    UnaryOp::Sign => self * 0.0, // 0, -0 or NaN as given
                    UnaryOp::Recip => 1.0 / self,
                    UnaryOp::Rsqrt => 1.0 / self.sqrt(),
                    UnaryOp::Log1p => $log1p(self),
                    UnaryOp::Expm1 => $expm1(self),
                    UnaryOp::Not | UnaryOp::Popcount | UnaryOp::Conj => self,
                }
            }
            #[inline(always)]
            fn fma(self, b: Self, c: Self) -> Self {
                self.mul_add(b, c)
            }
            #[inline(always)]
            fn compare(self, o: Self, op: CompareOp) -> bool {
                op.eval(self, o)
            }
            #[inline(always)]
            fn part(self, _: ComplexPart) -> Self {
                self
            }
        }
    };
}
// The transcendentals of f32 and f64 are branch-free polynomials that vectorise (vmath).
float_math!(
    f32,
    vmath::exp_f32,
    vmath::sin_f32,
    vmath::cos_f32,
    vmath::tan_f32,
    vmath::ln_f32,
    vmath::log2_f32,
    vmath::exp2_f32,
    vmath::tanh_f32,
    vmath::log1p_f32,
    vmath::expm1_f32
);
float_math!(
    f64,
    vmath::exp_f64,
    vmath::sin_f64,
    vmath::cos_f64,
    vmath::tan_f64,
    vmath::ln_f64,
    vmath::log2_f64,
    vmath::exp2_f64,
    vmath::tanh_f64,
    vmath::log1p_f64,
    vmath::expm1_f64
);

impl CpuMath for f16 {
    #[inline(always)]
    fn binary(self, o: Self, op: BinaryOp) -> Self {
        f16::from_f32(self.to_f32().binary(o.to_f32(), op))
    }
    #[inline(always)]
    fn unary(self, op: UnaryOp) -> Self {
        f16::from_f32(self.to_f32().unary(op))
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        f16::from_f32(self.to_f32().mul_add(b.to_f32(), c.to_f32()))
    }
    #[inline(always)]
    fn compare(self, o: Self, op: CompareOp) -> bool {
        op.eval(self.to_f32(), o.to_f32())
    }
    #[inline(always)]
    fn part(self, _: ComplexPart) -> Self {
        self
    }
}

macro_rules! int_math {
    ($t:ty, $abs:expr, $sign:expr, $rem:expr) => {
        impl CpuMath for $t {
            #[inline(always)]
            fn binary(self, o: Self, op: BinaryOp) -> Self {
                match op {
                    BinaryOp::Add => self.wrapping_add(o),
                    BinaryOp::Sub => self.wrapping_sub(o),
                    BinaryOp::Mul => self.wrapping_mul(o),
                    BinaryOp::Div if o == 0 => 0,
                    BinaryOp::Div => self.wrapping_div(o),
                    BinaryOp::Rem if o == 0 => 0,
                    BinaryOp::Rem => $rem(self, o),
                    BinaryOp::Minimum => Ord::min(self, o),
                    BinaryOp::Maximum => Ord::max(self, o),
                    BinaryOp::BitAnd => self & o,
                    BinaryOp::BitOr => self | o,
                    BinaryOp::BitXor => self ^ o,
                    BinaryOp::Shl => self.wrapping_shl(o as u32),
                    BinaryOp::Shr => self.wrapping_shr(o as u32),
                    _ => self,
                }
            }
            #[inline(always)]
            fn unary(self, op: UnaryOp) -> Self {
                match op {
                    UnaryOp::Neg => self.wrapping_neg(),
                    UnaryOp::Abs => $abs(self),
                    UnaryOp::Square => self.wrapping_mul(self),
                    UnaryOp::Sign => $sign(self),
                    UnaryOp::Not => !self,
                    UnaryOp::Popcount => self.count_ones() as $t,
                    _ => self,
                }
            }
            #[inline(always)]
            fn fma(self, b: Self, c: Self) -> Self {
                self.wrapping_mul(b).wrapping_add(c)
            }
            #[inline(always)]
            fn compare(self, o: Self, op: CompareOp) -> bool {
                op.eval(self, o)
            }
            #[inline(always)]
            fn part(self, _: ComplexPart) -> Self {
                self
            }
        }
    };
}
/// NumPy's integer remainder: the sign of the divisor (`o != 0`).
fn rem_i32(x: i32, o: i32) -> i32 {
    let r = x.wrapping_rem(o);
    if r != 0 && ((r < 0) != (o < 0)) {
        r + o
    } else {
        r
    }
}
int_math!(i32, i32::wrapping_abs, i32::signum, rem_i32);
int_math!(
    u32,
    |x: u32| x,
    |x: u32| (x != 0) as u32,
    |x: u32, o: u32| x % o
);

macro_rules! complex_math {
    ($t:ty) => {
        impl CpuMath for Complex<$t> {
            #[inline(always)]
            fn binary(self, o: Self, op: BinaryOp) -> Self {
                match op {
                    BinaryOp::Add => self + o,
                    BinaryOp::Sub => self - o,
                    BinaryOp::Mul => self * o,
                    BinaryOp::Div => {
                        // The textbook formula, as the GPU kernels compute it.
                        let d = o.re * o.re + o.im * o.im;
                        Complex::new(
                            (self.re * o.re + self.im * o.im) / d,
                            (self.im * o.re - self.re * o.im) / d,
                        )
                    }
                    _ => self,
                }
            }
            #[inline(always)]
            fn unary(self, op: UnaryOp) -> Self {
                match op {
                    UnaryOp::Neg => -self,
                    UnaryOp::Square => self * self,
                    UnaryOp::Conj => self.conj(),
                    _ => self,
                }
            }
            #[inline(always)]
            fn fma(self, b: Self, c: Self) -> Self {
                self * b + c
            }
            #[inline(always)]
            fn compare(self, o: Self, op: CompareOp) -> bool {
                match op {
                    CompareOp::Eq => self == o,
                    CompareOp::Ne => self != o,
                    _ => false,
                }
            }
            #[inline(always)]
            fn part(self, p: ComplexPart) -> $t {
                match p {
                    ComplexPart::Real => self.re,
                    ComplexPart::Imag => self.im,
                    ComplexPart::Abs => self.re.hypot(self.im),
                    ComplexPart::Arg => self.im.atan2(self.re),
                }
            }
        }
    };
}
complex_math!(f32);
complex_math!(f64);

/// Runs `op` for dtype `d` over byte views of the operands.
pub(crate) fn run(op: ElementwiseOp, d: DType, inputs: &[&[u8]], out: &mut [u8], l: &Layout) {
    if !matches!(op, ElementwiseOp::Unary(_) | ElementwiseOp::Binary(_)) {
        return mixed(op, d, inputs, out, l);
    }
    macro_rules! go {
        ($t:ty) => {{
            let ins: Vec<&[$t]> = inputs.iter().map(|b| bytemuck::cast_slice(b)).collect();
            typed::<$t>(op, &ins, bytemuck::cast_slice_mut(out), l)
        }};
    }
    with_dtype!(d, go)
}

fn typed<T: CpuMath>(op: ElementwiseOp, ins: &[&[T]], out: &mut [T], l: &Layout) {
    let out = &mut out[..l.len];
    let task = task_len(op, T::DTYPE);
    // One loop per op, with the op a constant inside it (so it inlines and vectorises).
    macro_rules! binary {
        ($b:expr, $($v:ident),*) => {
            match $b {
                $(BinaryOp::$v => map2(out, ins[0], ins[1], l, task, |a: T, b: T| a.binary(b, BinaryOp::$v)),)*
            }
        };
    }
    macro_rules! unary {
        ($u:expr, $($v:ident),*) => {
            match $u {
                $(UnaryOp::$v => map1(out, ins[0], l, task, |a: T| a.unary(UnaryOp::$v)),)*
            }
        };
    }
    match op {
        ElementwiseOp::Binary(b) => binary!(
            b, Add, Sub, Mul, Div, Rem, Minimum, Maximum, Pow, Atan2, Hypot, BitAnd, BitOr, BitXor,
            Shl, Shr
        ),
        ElementwiseOp::Unary(u) => {
            unary!(
                u, Neg, Abs, Square, Sqrt, Exp, Log, Sin, Cos, Tanh, Exp2, Log2, Tan, Sigmoid,
                Floor, Ceil, Round, Trunc, Sign, Recip, Rsqrt, Not, Popcount, Log1p, Expm1, Conj
            );
            if T::DTYPE.is_float() && !T::DTYPE.is_complex() {
                match u {
                    UnaryOp::Sin => patch_large(out, ins[0], task, f64::sin),
                    UnaryOp::Cos => patch_large(out, ins[0], task, f64::cos),
                    UnaryOp::Tan => patch_large(out, ins[0], task, f64::tan),
                    _ => {}
                }
            }
        }
        _ => unreachable!("run sends the other ops to `mixed`"),
    }
}

/// The ops whose operands or output differ in dtype (and the ternary ones): compare, where,
/// fma, clip, cast, complex parts. Each chunk gathers broadcast or strided operands into
/// contiguous scratch first, then runs one vectorisable loop over slices.
fn mixed(op: ElementwiseOp, d: DType, inputs: &[&[u8]], out: &mut [u8], l: &Layout) {
    macro_rules! go {
        ($t:ty) => {{
            let ins: Vec<&[$t]> = match op {
                ElementwiseOp::Where => vec![&[], cast(inputs[1]), cast(inputs[2])],
                _ => inputs.iter().map(|b| cast(b)).collect(),
            };
            typed_mixed::<$t>(op, inputs, &ins, out, l)
        }};
    }
    with_dtype!(d, go)
}

fn cast<T: Element>(b: &[u8]) -> &[T] {
    bytemuck::cast_slice(b)
}

fn typed_mixed<T: CpuMath>(
    op: ElementwiseOp,
    raw: &[&[u8]],
    ins: &[&[T]],
    out: &mut [u8],
    l: &Layout,
) {
    let n = l.len;
    let task = task_len(op, T::DTYPE);
    match op {
        ElementwiseOp::Compare(c) => {
            let out = &mut cast_mut::<u32>(out)[..n];
            macro_rules! cmp {
                ($($v:ident),*) => {
                    match c {
                        $(CompareOp::$v => nary2(out, ins[0], ins[1], l, task,
                            |a: T, b: T| a.compare(b, CompareOp::$v) as u32),)*
                    }
                };
            }
            cmp!(Eq, Ne, Lt, Le, Gt, Ge)
        }
        ElementwiseOp::Where => {
            let out = &mut cast_mut::<T>(out)[..n];
            let mask: &[u32] = cast(raw[0]);
            nary3(out, mask, ins[1], ins[2], l, task, |m: u32, x: T, y: T| {
                if m != 0 { x } else { y }
            })
        }
        ElementwiseOp::Fma => {
            let out = &mut cast_mut::<T>(out)[..n];
            nary3(out, ins[0], ins[1], ins[2], l, task, |a: T, b: T, c: T| {
                a.fma(b, c)
            })
        }
        ElementwiseOp::Clip => {
            let out = &mut cast_mut::<T>(out)[..n];
            nary3(
                out,
                ins[0],
                ins[1],
                ins[2],
                l,
                task,
                |x: T, lo: T, hi: T| {
                    x.binary(lo, BinaryOp::Maximum)
                        .binary(hi, BinaryOp::Minimum)
                },
            )
        }
        ElementwiseOp::Part(p) => {
            let out = &mut cast_mut::<T::Real>(out)[..n];
            macro_rules! part {
                ($($v:ident),*) => {
                    match p {
                        $(ComplexPart::$v => nary1(out, ins[0], l, task,
                            |a: T| a.part(ComplexPart::$v)),)*
                    }
                };
            }
            part!(Real, Imag, Abs, Arg)
        }
        ElementwiseOp::Cast(to) => {
            macro_rules! to {
                ($u:ty) => {
                    nary1(
                        &mut cast_mut::<$u>(out)[..n],
                        ins[0],
                        l,
                        task,
                        convert::<T, $u>,
                    )
                };
            }
            match to {
                DType::F16 => to!(f16),
                DType::F32 => to!(f32),
                DType::F64 => to!(f64),
                DType::I32 => to!(i32),
                DType::U32 => to!(u32),
                DType::C32 => to!(Complex<f32>),
                DType::C64 => to!(Complex<f64>),
            }
        }
        ElementwiseOp::Unary(_) | ElementwiseOp::Binary(_) => {
            unreachable!("run handles unary and binary ops")
        }
    }
}

fn cast_mut<T: Element>(b: &mut [u8]) -> &mut [T] {
    bytemuck::cast_slice_mut(b)
}

/// One element converted with `Array::cast`'s rules. Both dtypes are constants after
/// monomorphisation, so every branch but one folds away.
#[inline(always)]
fn convert<T: Element, U: Element>(x: T) -> U {
    let int = |v: i64| -> U {
        match U::DTYPE {
            DType::I32 => bytemuck::cast(v as i32),
            DType::U32 => bytemuck::cast(v as u32),
            _ => U::from_f64(v as f64),
        }
    };
    match T::DTYPE {
        DType::I32 => int(bytemuck::cast::<T, i32>(x) as i64),
        DType::U32 => int(bytemuck::cast::<T, u32>(x) as i64),
        _ => {
            let (re, im) = x.to_c64();
            match U::DTYPE {
                // Rust's float-to-int `as` truncates, saturates and maps NaN to 0.
                DType::I32 => bytemuck::cast(re as i32),
                DType::U32 => bytemuck::cast(re as u32),
                DType::C32 => bytemuck::cast(Complex::new(re as f32, im as f32)),
                DType::C64 => bytemuck::cast(Complex::new(re, im)),
                // f32 -> f64 is exact, so f32 -> f16 through f64 rounds once.
                _ => U::from_f64(re),
            }
        }
    }
}

/// The operand `k` values of output elements `start..start + n`: the input itself when it
/// has the output's layout, else gathered into `buf` row by row.
fn operand<'a, X: Copy>(
    src: &'a [X],
    l: &Layout,
    k: usize,
    start: usize,
    n: usize,
    buf: &'a mut Vec<X>,
) -> &'a [X] {
    if l.contiguous[k] {
        return &src[start..start + n];
    }
    buf.clear();
    buf.reserve(n);
    let strides = &l.strides[k];
    let last = l.shape.last().copied().unwrap_or(1);
    let step = strides.last().copied().unwrap_or(0);
    let mut g = start;
    while buf.len() < n {
        let m = (last - g % last).min(n - buf.len());
        let off = offset(g, &l.shape, strides);
        match step {
            1 => buf.extend_from_slice(&src[off..off + m]),
            0 => buf.extend(std::iter::repeat_n(src[off], m)),
            s => buf.extend((0..m).map(|j| src[off + j * s])),
        }
        g += m;
    }
    buf
}

/// Output elements per parallel task of `op` on `d`: handing a task to another thread costs
/// 15-40 µs on the CI VM, so a task must hold more work than that. One thread takes about
/// 5 µs for an add of 2^16 f32 (18 µs when it was split in two), 17 µs for a vectorised f32
/// exp of 2^15, and 55 µs for a libm f32 tan of 2^13.
fn task_len(op: ElementwiseOp, d: DType) -> usize {
    use ElementwiseOp as E;
    use UnaryOp::*;
    const LIBM: usize = 1 << 13;
    match op {
        // The transcendentals: vectorised in f32 and f64 (vmath); f16 goes through f32 one
        // element at a time.
        E::Unary(Exp | Log | Sin | Cos | Tan | Tanh | Exp2 | Log2 | Sigmoid | Log1p | Expm1) => {
            match d {
                DType::F32 | DType::F64 => CHUNK,
                _ => LIBM,
            }
        }
        E::Binary(BinaryOp::Pow | BinaryOp::Atan2 | BinaryOp::Hypot | BinaryOp::Rem)
            if d.is_float() =>
        {
            LIBM
        }
        E::Part(ComplexPart::Abs | ComplexPart::Arg) => LIBM,
        // Bound by memory: 1 MiB of operand per task (2^18 f32: 23 µs on one thread, 26-30
        // µs as two tasks of 2^17 on two).
        _ => (1 << 20) / d.size(),
    }
}

/// Whether `op` on `d` over an output of `len` elements is cut into several tasks.
pub(crate) fn splits(op: ElementwiseOp, d: DType, len: usize) -> bool {
    len > task_len(op, d)
}

/// Runs `f(start, piece)` over the output in pieces of at most CHUNK (the operands' scratch
/// stays in L2), in parallel tasks of `task` elements when larger than one task (one task
/// makes no rayon call: it may run on the caller's thread).
fn for_chunks<O: Send>(out: &mut [O], task: usize, f: impl Fn(usize, &mut [O]) + Sync) {
    let pieces = |start: usize, o: &mut [O]| {
        for (c, p) in o.chunks_mut(CHUNK).enumerate() {
            f(start + c * CHUNK, p);
        }
    };
    if out.len() <= task {
        pieces(0, out);
    } else {
        out.par_chunks_mut(task)
            .enumerate()
            .for_each(|(c, o)| pieces(c * task, o));
    }
}

fn nary1<A: Copy + Sync, O: Copy + Send>(
    out: &mut [O],
    a: &[A],
    l: &Layout,
    task: usize,
    f: impl Fn(A) -> O + Sync,
) {
    for_chunks(out, task, |start, o| {
        let mut ba = Vec::new();
        let x = operand(a, l, 0, start, o.len(), &mut ba);
        exec(Map1 { o, a: x, f: &f });
    });
}

fn nary2<A: Copy + Sync, B: Copy + Sync, O: Copy + Send>(
    out: &mut [O],
    a: &[A],
    b: &[B],
    l: &Layout,
    task: usize,
    f: impl Fn(A, B) -> O + Sync,
) {
    for_chunks(out, task, |start, o| {
        let (mut ba, mut bb) = (Vec::new(), Vec::new());
        let x = operand(a, l, 0, start, o.len(), &mut ba);
        let y = operand(b, l, 1, start, o.len(), &mut bb);
        exec(Map2 {
            o,
            a: x,
            b: y,
            f: &f,
        });
    });
}

fn nary3<A: Copy + Sync, B: Copy + Sync, C: Copy + Sync, O: Copy + Send>(
    out: &mut [O],
    a: &[A],
    b: &[B],
    c: &[C],
    l: &Layout,
    task: usize,
    f: impl Fn(A, B, C) -> O + Sync,
) {
    for_chunks(out, task, |start, o| {
        let (mut ba, mut bb, mut bc) = (Vec::new(), Vec::new(), Vec::new());
        let x = operand(a, l, 0, start, o.len(), &mut ba);
        let y = operand(b, l, 1, start, o.len(), &mut bb);
        let z = operand(c, l, 2, start, o.len(), &mut bc);
        exec(Map3 {
            o,
            a: x,
            b: y,
            c: z,
            f: &f,
        });
    });
}

/// A loop over slices, run by `exec` inside the AVX2 multiversion.
pub(crate) trait Body {
    fn body(self);
}

multiversion! {
    pub(crate) fn exec<K: Body>(k: K) {
        k.body()
    }
}

struct Map1<'a, A, O, F> {
    o: &'a mut [O],
    a: &'a [A],
    f: &'a F,
}
impl<A: Copy, O, F: Fn(A) -> O> Body for Map1<'_, A, O, F> {
    #[inline(always)]
    fn body(self) {
        for (o, &x) in self.o.iter_mut().zip(self.a) {
            *o = (self.f)(x);
        }
    }
}

struct Map2<'a, A, B, O, F> {
    o: &'a mut [O],
    a: &'a [A],
    b: &'a [B],
    f: &'a F,
}
impl<A: Copy, B: Copy, O, F: Fn(A, B) -> O> Body for Map2<'_, A, B, O, F> {
    #[inline(always)]
    fn body(self) {
        for ((o, &x), &y) in self.o.iter_mut().zip(self.a).zip(self.b) {
            *o = (self.f)(x, y);
        }
    }
}

struct Map3<'a, A, B, C, O, F> {
    o: &'a mut [O],
    a: &'a [A],
    b: &'a [B],
    c: &'a [C],
    f: &'a F,
}
impl<A: Copy, B: Copy, C: Copy, O, F: Fn(A, B, C) -> O> Body for Map3<'_, A, B, C, O, F> {
    #[inline(always)]
    fn body(self) {
        for (((o, &x), &y), &z) in self.o.iter_mut().zip(self.a).zip(self.b).zip(self.c) {
            *o = (self.f)(x, y, z);
        }
    }
}

multiversion! {
    fn zip2<F: Fn2>(out: &mut [F::T], a: &[F::T], b: &[F::T], f: &F) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f.call(x, y);
        }
    }
}

multiversion! {
    fn zip1<F: Fn1>(out: &mut [F::T], a: &[F::T], f: &F) {
        for (o, &x) in out.iter_mut().zip(a) {
            *o = f.call(x);
        }
    }
}

/// A binary function object with a fixed element type (lets `multiversion!` stay generic
/// over one parameter).
pub(crate) trait Fn2: Sync {
    type T: Element;
    fn call(&self, a: Self::T, b: Self::T) -> Self::T;
}
/// A unary function object with a fixed element type.
pub(crate) trait Fn1: Sync {
    type T: Element;
    fn call(&self, a: Self::T) -> Self::T;
}
struct F2<T, F>(F, std::marker::PhantomData<T>);
impl<T: Element, F: Fn(T, T) -> T + Sync> Fn2 for F2<T, F> {
    type T = T;
    #[inline(always)]
    fn call(&self, a: T, b: T) -> T {
        (self.0)(a, b)
    }
}
struct F1<T, F>(F, std::marker::PhantomData<T>);
impl<T: Element, F: Fn(T) -> T + Sync> Fn1 for F1<T, F> {
    type T = T;
    #[inline(always)]
    fn call(&self, a: T) -> T {
        (self.0)(a)
    }
}

/// Recomputes with libm (`f`: sine, cosine or tangent) the rare inputs beyond the vector kernels'
/// range, chunk by chunk in parallel (each chunk is still in cache from the vector pass).
fn patch_large<T: CpuMath>(out: &mut [T], a: &[T], task: usize, f: fn(f64) -> f64) {
    for_chunks(out, task, |start, o| {
        let src = &a[start..start + o.len()];
        // Usually nothing to patch: find out with a vectorised max first.
        let largest = match T::DTYPE {
            DType::F32 => {
                let xs: &[f32] = bytemuck::cast_slice(src);
                xs.iter().fold(0f32, |m, x| m.max(x.abs())) as f64
            }
            DType::F64 => {
                let xs: &[f64] = bytemuck::cast_slice(src);
                xs.iter().fold(0f64, |m, x| m.max(x.abs()))
            }
            _ => f64::INFINITY,
        };
        if largest <= vmath::SIN_MAX_ARG as f64 {
            return;
        }
        for (o, &x) in o.iter_mut().zip(src) {
            if x.to_f64().abs() > vmath::SIN_MAX_ARG as f64 {
                *o = T::from_f64(f(x.to_f64()));
            }
        }
    });
}

/// The offset of output element `g` in an input with `strides` over `shape`.
fn offset(g: usize, shape: &[usize], strides: &[usize]) -> usize {
    let mut rem = g;
    let mut off = 0;
    for d in (0..shape.len()).rev() {
        off += (rem % shape[d]) * strides[d];
        rem /= shape[d];
    }
    off
}

/// Fills `out[start..start + out.len()]` row by row along the layout's last axis.
fn rows<T: Copy>(
    out: &mut [T],
    start: usize,
    l: &Layout,
    mut row: impl FnMut(&mut [T], &[usize], usize),
) {
    let last = l.shape.last().copied().unwrap_or(1);
    let mut g = start;
    let mut k = 0;
    while k < out.len() {
        let inner = g % last;
        let n = (last - inner).min(out.len() - k);
        let offs: Vec<usize> = l.strides.iter().map(|s| offset(g, &l.shape, s)).collect();
        row(&mut out[k..k + n], &offs, n);
        g += n;
        k += n;
    }
}

fn map2<T: CpuMath>(
    out: &mut [T],
    a: &[T],
    b: &[T],
    l: &Layout,
    task: usize,
    f: impl Fn(T, T) -> T + Sync,
) {
    let f = F2(f, std::marker::PhantomData);
    let (ca, cb) = (l.contiguous[0], l.contiguous[1]);
    let last = |s: &Vec<usize>| s.last().copied().unwrap_or(0);
    let (sa, sb) = (last(&l.strides[0]), last(&l.strides[1]));
    for_chunks(out, task, |start, o| {
        if ca && cb {
            return zip2(
                o,
                &a[start..start + o.len()],
                &b[start..start + o.len()],
                &f,
            );
        }
        rows(o, start, l, |o, offs, n| match (sa, sb) {
            (1, 1) => zip2(o, &a[offs[0]..offs[0] + n], &b[offs[1]..offs[1] + n], &f),
            (1, 0) => {
                let y = b[offs[1]];
                for (o, &x) in o.iter_mut().zip(&a[offs[0]..offs[0] + n]) {
                    *o = f.call(x, y);
                }
            }
            (0, 1) => {
                let x = a[offs[0]];
                for (o, &y) in o.iter_mut().zip(&b[offs[1]..offs[1] + n]) {
                    *o = f.call(x, y);
                }
            }
            _ => {
                for (j, o) in o.iter_mut().enumerate() {
                    *o = f.call(a[offs[0] + j * sa], b[offs[1] + j * sb]);
                }
            }
        });
    });
}

fn map1<T: CpuMath>(out: &mut [T], a: &[T], l: &Layout, task: usize, f: impl Fn(T) -> T + Sync) {
    let f = F1(f, std::marker::PhantomData);
    // A unary op's input always has the output's shape.
    debug_assert!(l.contiguous[0]);
    for_chunks(out, task, |start, o| {
        zip1(o, &a[start..start + o.len()], &f)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_hold_enough_work_for_the_hop() {
        let add = ElementwiseOp::Binary(BinaryOp::Add);
        let exp = ElementwiseOp::Unary(UnaryOp::Exp);
        let tan = ElementwiseOp::Unary(UnaryOp::Tan);
        // Memory-bound ops: 1 MiB of operand per task.
        assert!(!splits(add, DType::F32, 1 << 18));
        assert!(splits(add, DType::F32, (1 << 18) + 1));
        assert!(splits(add, DType::F64, (1 << 17) + 1));
        assert!(!splits(
            ElementwiseOp::Cast(DType::F64),
            DType::F32,
            1 << 18
        ));
        // Vectorised transcendentals (f32 and f64): one CHUNK; libm ones (f16, pow): 2^13.
        assert!(!splits(exp, DType::F32, CHUNK));
        assert!(splits(exp, DType::F32, CHUNK + 1));
        assert!(!splits(exp, DType::F64, CHUNK));
        assert!(!splits(
            ElementwiseOp::Unary(UnaryOp::Tanh),
            DType::F64,
            CHUNK
        ));
        assert!(!splits(tan, DType::F32, CHUNK));
        assert!(!splits(tan, DType::F64, CHUNK));
        assert!(splits(tan, DType::F16, (1 << 13) + 1));
        let pow = ElementwiseOp::Binary(BinaryOp::Pow);
        assert!(splits(pow, DType::F32, (1 << 13) + 1));
        assert!(!splits(
            ElementwiseOp::Binary(BinaryOp::Rem),
            DType::I32,
            1 << 13 << 1
        ));
    }
}
