//! The `elementwise` op family, backend-independent part: the ops, which dtypes each accepts,
//! NumPy broadcasting (with adjacent axes merged), and the public methods and operators.

use crate::array::Array;
use crate::backend::{Buffer, ElementwiseOp, Layout};
use crate::device::Device;
use crate::element::{DType, Element};
use crate::error::{Error, Result};

/// Binary elementwise operations. Integer arithmetic wraps; integer division truncates toward
/// zero and gives 0 for a zero divisor (on every device, where C and WGSL would differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// Remainder with the sign of `b`, as NumPy's `remainder` (`%`): `a - floor(a / b) * b`,
    /// computed exactly; integers give 0 for a zero divisor (real dtypes)
    Rem,
    /// The smaller of `a` and `b`; NaN if either is NaN (as NumPy's `minimum`).
    Minimum,
    /// The larger of `a` and `b`; NaN if either is NaN (as NumPy's `maximum`).
    Maximum,
    /// `a` to the power `b` (real floats), with C99's special cases on every device:
    /// `pow(-2, 3) == -8`, NaN for a negative base and a fractional exponent,
    /// `pow(x, 0) == pow(1, y) == 1` even for NaN, and C99's zeros and infinities. On wgpu
    /// devices the magnitude is e^(y ln x), whose error grows with |y ln x| (WGSL's f32 pow,
    /// and our f64 one: within 2 (1 + |y ln x|) ulp)
    Pow,
    /// The angle of the point (b, a): `atan2(a, b)` (real floats), with C99's signed zeros,
    /// infinities and NaN; within 4 ulp on every device (in WGSL our own polynomial, since
    /// the built-in is allowed 4096 ulp)
    Atan2,
    /// `sqrt(a^2 + b^2)` without overflow or underflow in the squares; an infinity wins over
    /// NaN (real floats)
    Hypot,
    /// Bitwise and (integers)
    BitAnd,
    /// Bitwise or (integers)
    BitOr,
    /// Bitwise exclusive or (integers)
    BitXor,
    /// `a << (b mod 32)` (integers)
    Shl,
    /// `a >> (b mod 32)`, arithmetic for i32 (integers)
    Shr,
}

/// Unary elementwise operations.
///
/// Accuracy of the transcendentals on the CPU: in f32, exp, exp2, expm1, ln, log2, log1p,
/// sin, cos, tan and tanh are vectorised polynomials within 4 ulp of the exact value (sin and
/// cos: or 2^-24 absolute near their zeros); in f64 the same functions are vectorised within
/// 2 ulp of libm (tanh 3, tan 4; sin and cos or 2^-53 absolute). sin, cos and tan of
/// arguments beyond 8192 in magnitude go through libm. GPU devices use their own math libraries
/// (WGSL promises less: the FFT never relies on its sin and cos). In WGSL, tanh below 0.625 in
/// magnitude is a polynomial of ours (within 1 ulp; the built-in loses all relative accuracy
/// near 0) and sign keeps NaN, as on the CPU and CUDA. WGSL has no f64 transcendentals: on
/// wgpu devices with SHADER_F64 and SHADER_INT64 ours run there, the CPU's f64 series (within
/// 4 ulp of libm over the whole range; sin, cos and tan for |x| < 2^20 pi).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x` (wrapping for integers)
    Neg,
    /// `|x|` for real dtypes (wrapping: `abs(i32::MIN) == i32::MIN`)
    Abs,
    /// `x * x`
    Square,
    /// Square root (real floats)
    Sqrt,
    /// `e^x` (real floats)
    Exp,
    /// Natural logarithm (real floats)
    Log,
    /// Sine (real floats)
    Sin,
    /// Cosine (real floats)
    Cos,
    /// Hyperbolic tangent (real floats)
    Tanh,
    /// `2^x` (real floats)
    Exp2,
    /// Base-2 logarithm (real floats)
    Log2,
    /// Tangent (real floats)
    Tan,
    /// `1 / (1 + e^-x)` (real floats)
    Sigmoid,
    /// Largest integer not above x (real floats)
    Floor,
    /// Smallest integer not below x (real floats)
    Ceil,
    /// Nearest integer, halves to even as NumPy's `round` (real floats)
    Round,
    /// Integer part, toward zero (real floats)
    Trunc,
    /// -1, 0 or 1 by the sign of x (NaN stays NaN); real floats and i32
    Sign,
    /// `1 / x` (real floats)
    Recip,
    /// `1 / sqrt(x)` (real floats)
    Rsqrt,
    /// Bitwise not (integers)
    Not,
    /// Number of set bits (integers; CorePy's pop count)
    Popcount,
    /// `ln(1 + x)`, accurate near 0 (real floats)
    Log1p,
    /// `e^x - 1`, accurate near 0 (real floats)
    Expm1,
    /// Complex conjugate (complex dtypes; [`Array::conj`] also takes real ones)
    Conj,
}

/// Elementwise comparisons; the result is a mask: a `u32` array of 0 and 1 (GPU storage has no
/// byte type). Comparisons with NaN are false, except `Ne`, as in IEEE 754 and NumPy. Complex
/// numbers have `Eq` and `Ne` only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
}

impl CompareOp {
    /// Every comparison.
    pub const ALL: [CompareOp; 6] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ];

    /// The op's short name (`eq`, `lt`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
        }
    }

    /// True when the comparison is defined for `dtype`.
    pub fn supports(self, dtype: DType) -> bool {
        self.check(dtype).is_ok()
    }

    fn check(self, d: DType) -> Result<()> {
        if d.is_complex() && !matches!(self, CompareOp::Eq | CompareOp::Ne) {
            return Err(unsupported(
                self.name(),
                d,
                "complex numbers have no order; compare their real parts or magnitudes",
            ));
        }
        Ok(())
    }

    /// The comparison on f64 values (the reference, and the CPU backend's definition).
    pub fn eval<P: PartialOrd>(self, a: P, b: P) -> bool {
        match self {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            CompareOp::Lt => a < b,
            CompareOp::Le => a <= b,
            CompareOp::Gt => a > b,
            CompareOp::Ge => a >= b,
        }
    }
}

/// A real quantity of a complex number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComplexPart {
    /// The real part.
    Real,
    /// The imaginary part.
    Imag,
    /// The magnitude `hypot(re, im)`.
    Abs,
    /// The phase angle `atan2(im, re)` in (-pi, pi].
    Arg,
}

impl ComplexPart {
    /// The part's name (`real`, `imag`, `cabs`, `arg`).
    pub fn name(self) -> &'static str {
        match self {
            ComplexPart::Real => "real",
            ComplexPart::Imag => "imag",
            ComplexPart::Abs => "cabs",
            ComplexPart::Arg => "arg",
        }
    }
}

impl BinaryOp {
    /// Every binary op.
    pub const ALL: [BinaryOp; 15] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
        BinaryOp::Minimum,
        BinaryOp::Maximum,
        BinaryOp::Pow,
        BinaryOp::Atan2,
        BinaryOp::Hypot,
        BinaryOp::BitAnd,
        BinaryOp::BitOr,
        BinaryOp::BitXor,
        BinaryOp::Shl,
        BinaryOp::Shr,
    ];

    /// True when the op is defined for `dtype` (devices may still lack the dtype).
    pub fn supports(self, dtype: DType) -> bool {
        self.check(dtype).is_ok()
    }

    /// The op's name, as in NumPy.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Rem => "rem",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Pow => "pow",
            BinaryOp::Atan2 => "atan2",
            BinaryOp::Hypot => "hypot",
            BinaryOp::BitAnd => "bitand",
            BinaryOp::BitOr => "bitor",
            BinaryOp::BitXor => "bitxor",
            BinaryOp::Shl => "shl",
            BinaryOp::Shr => "shr",
        }
    }

    /// True for the ops that only real floats have.
    pub(crate) fn float_only(self) -> bool {
        matches!(self, BinaryOp::Pow | BinaryOp::Atan2 | BinaryOp::Hypot)
    }

    /// True for the bitwise ops, which only integers have.
    pub(crate) fn int_only(self) -> bool {
        matches!(
            self,
            BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor | BinaryOp::Shl | BinaryOp::Shr
        )
    }

    fn check(self, d: DType) -> Result<()> {
        if d.is_complex()
            && !matches!(
                self,
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
            )
        {
            return Err(unsupported(
                self.name(),
                d,
                "complex numbers have no order, powers or bits here",
            ));
        }
        if !d.is_float() && self.float_only() {
            return Err(unsupported(
                self.name(),
                d,
                "needs a float dtype; cast the integers first",
            ));
        }
        if d.is_float() && self.int_only() {
            return Err(unsupported(
                self.name(),
                d,
                "bitwise ops need an integer dtype",
            ));
        }
        Ok(())
    }
}

impl UnaryOp {
    /// Every unary op.
    pub const ALL: [UnaryOp; 25] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Square,
        UnaryOp::Sqrt,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tanh,
        UnaryOp::Exp2,
        UnaryOp::Log2,
        UnaryOp::Tan,
        UnaryOp::Sigmoid,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::Trunc,
        UnaryOp::Sign,
        UnaryOp::Recip,
        UnaryOp::Rsqrt,
        UnaryOp::Not,
        UnaryOp::Popcount,
        UnaryOp::Log1p,
        UnaryOp::Expm1,
        UnaryOp::Conj,
    ];

    /// True when the op is defined for `dtype` (devices may still lack the dtype).
    pub fn supports(self, dtype: DType) -> bool {
        self.check(dtype).is_ok()
    }

    /// The op's name, as in NumPy.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Square => "square",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Exp2 => "exp2",
            UnaryOp::Log2 => "log2",
            UnaryOp::Tan => "tan",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
            UnaryOp::Round => "round",
            UnaryOp::Trunc => "trunc",
            UnaryOp::Sign => "sign",
            UnaryOp::Recip => "recip",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Not => "not",
            UnaryOp::Popcount => "popcount",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Conj => "conj",
        }
    }

    /// True for the ops that only real floats have here.
    pub(crate) fn float_only(self) -> bool {
        !matches!(
            self,
            UnaryOp::Neg
                | UnaryOp::Abs
                | UnaryOp::Square
                | UnaryOp::Sign
                | UnaryOp::Not
                | UnaryOp::Popcount
                | UnaryOp::Conj
        )
    }

    /// True for the bit ops, which only integers have.
    pub(crate) fn int_only(self) -> bool {
        matches!(self, UnaryOp::Not | UnaryOp::Popcount)
    }

    /// True for ops that WGSL has no f64 built-in for (SPIR-V's extended instructions are
    /// defined for 16- and 32-bit floats only): the wgpu backend computes them with its own
    /// f64 code (`backend::wgpu::math64`).
    #[cfg(feature = "wgpu")]
    pub(crate) fn transcendental(self) -> bool {
        matches!(
            self,
            UnaryOp::Exp
                | UnaryOp::Log
                | UnaryOp::Sin
                | UnaryOp::Cos
                | UnaryOp::Tanh
                | UnaryOp::Exp2
                | UnaryOp::Log2
                | UnaryOp::Tan
                | UnaryOp::Sigmoid
                | UnaryOp::Log1p
                | UnaryOp::Expm1
        )
    }

    fn check(self, d: DType) -> Result<()> {
        if self == UnaryOp::Conj && !d.is_complex() {
            return Err(unsupported(
                self.name(),
                d,
                "the conjugate kernel is for complex dtypes (Array::conj returns real arrays as they are)",
            ));
        }
        if d.is_float() && self.int_only() {
            return Err(unsupported(self.name(), d, "bit ops need an integer dtype"));
        }
        if d == DType::U32 && self == UnaryOp::Sign {
            return Err(unsupported(self.name(), d, "unsigned values have no sign"));
        }
        if d.is_complex() && (matches!(self, UnaryOp::Abs | UnaryOp::Sign) || self.float_only()) {
            return Err(unsupported(
                self.name(),
                d,
                "not implemented for complex numbers yet",
            ));
        }
        if !d.is_float() && self.float_only() {
            return Err(unsupported(
                self.name(),
                d,
                "needs a float dtype; cast the integers first",
            ));
        }
        Ok(())
    }
}

fn unsupported(op: &str, dtype: DType, why: &str) -> Error {
    Error::DtypeUnsupported {
        dtype,
        device: format!("any device (op {op})"),
        reason: why.into(),
    }
}

/// The most axes a broadcast kernel indexes after merging; more is an error.
pub(crate) const MAX_RANK: usize = 8;

/// NumPy's broadcast of two shapes.
pub(crate) fn broadcast_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(Error::shape(
                    op,
                    format!("shapes {a:?} and {b:?} do not broadcast (axis {i}: {da} vs {db})"),
                ));
            }
        };
    }
    Ok(out)
}

/// Element strides of `shape` (row-major) seen from an output of `out` axes, 0 where the
/// input is broadcast.
fn input_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let pad = out.len() - shape.len();
    let mut strides = vec![0; out.len()];
    let mut s = 1;
    for i in (0..shape.len()).rev() {
        strides[pad + i] = if shape[i] == 1 { 0 } else { s };
        s *= shape[i];
    }
    strides
}

/// The index layout of one elementwise call: output shape and per-input strides, with
/// adjacent axes merged where every operand allows it (so most calls index at rank 1 or 2).
pub(crate) fn layout(op: &'static str, out: &[usize], inputs: &[&[usize]]) -> Result<Layout> {
    let all: Vec<Vec<usize>> = inputs.iter().map(|s| input_strides(s, out)).collect();
    let contiguous: Vec<bool> = inputs.iter().map(|s| *s == out).collect();
    // Merge axis i into axis i+1 when, for every input, stride[i] == stride[i+1] * shape[i+1].
    let mut shape: Vec<usize> = Vec::new();
    let mut strides: Vec<Vec<usize>> = vec![Vec::new(); inputs.len()];
    for (ax, &extent) in out.iter().enumerate() {
        if extent == 1 {
            continue; // length-1 axes change no index
        }
        let mergeable = !shape.is_empty()
            && all.iter().zip(&strides).all(|(st, m)| {
                let prev = *m.last().expect("same length as shape");
                prev == st[ax] * extent
            });
        if mergeable {
            *shape.last_mut().expect("non-empty") *= extent;
            for (m, st) in strides.iter_mut().zip(&all) {
                *m.last_mut().expect("non-empty") = st[ax];
            }
        } else {
            shape.push(extent);
            for (m, st) in strides.iter_mut().zip(&all) {
                m.push(st[ax]);
            }
        }
    }
    if shape.len() > MAX_RANK {
        return Err(Error::invalid(
            op,
            format!(
                "broadcasting {inputs:?} needs {} separate axes; at most {MAX_RANK} are supported",
                shape.len()
            ),
        ));
    }
    Ok(Layout {
        shape,
        strides,
        contiguous,
        len: out.iter().product(),
    })
}

/// One operand of an elementwise call: its device, shape and buffer, whatever its type.
pub(crate) struct Operand<'a> {
    device: &'a Device,
    shape: &'a [usize],
    buffer: &'a Buffer,
}

impl<T: Element> Array<T> {
    pub(crate) fn operand(&self) -> Operand<'_> {
        Operand {
            device: self.device(),
            shape: self.shape(),
            buffer: self.buffer(),
        }
    }
}

/// Checks that every array of an op lives on the first one's device.
pub(crate) fn same_device(op: &'static str, devices: &[&Device]) -> Result<()> {
    for d in &devices[1..] {
        if !devices[0].same(d) {
            return Err(Error::DeviceMismatch {
                op,
                detail: format!(
                    "operands on {} and {}; move one with to_device",
                    devices[0], d
                ),
            });
        }
    }
    Ok(())
}

/// Broadcasts the operands, merges axes and launches `op` with operand dtype `d`.
pub(crate) fn launch<O: Element>(
    name: &'static str,
    op: ElementwiseOp,
    d: DType,
    ins: &[Operand<'_>],
) -> Result<Array<O>> {
    let devices: Vec<&Device> = ins.iter().map(|o| o.device).collect();
    same_device(name, &devices)?;
    let mut out = ins[0].shape.to_vec();
    for o in &ins[1..] {
        out = broadcast_shape(name, &out, o.shape)?;
    }
    let shapes: Vec<&[usize]> = ins.iter().map(|o| o.shape).collect();
    let l = layout(name, &out, &shapes)?;
    let bufs: Vec<&Buffer> = ins.iter().map(|o| o.buffer).collect();
    Array::<O>::launch(ins[0].device, &out, op, d, &bufs, &l)
}

impl<T: Element> Array<T> {
    fn binary(&self, other: &Array<T>, op: BinaryOp) -> Result<Array<T>> {
        op.check(T::DTYPE)?;
        launch(
            op.name(),
            ElementwiseOp::Binary(op),
            T::DTYPE,
            &[self.operand(), other.operand()],
        )
    }

    fn unary(&self, op: UnaryOp) -> Result<Array<T>> {
        op.check(T::DTYPE)?;
        launch(
            op.name(),
            ElementwiseOp::Unary(op),
            T::DTYPE,
            &[self.operand()],
        )
    }

    fn scalar(&self, v: T) -> Result<Array<T>> {
        Array::from_slice(self.device(), &[v], &[])
    }

    /// `self + other` with NumPy broadcasting.
    pub fn add(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Add)
    }
    /// `self - other` with NumPy broadcasting.
    pub fn sub(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Sub)
    }
    /// `self * other` with NumPy broadcasting.
    pub fn mul(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Mul)
    }
    /// `self / other` with NumPy broadcasting (integers: truncating, `x / 0 == 0`).
    pub fn div(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Div)
    }
    /// NumPy's `remainder` (`%`): the sign of `other`, exact for floats, 0 for an integer 0.
    pub fn rem(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Rem)
    }
    /// Elementwise minimum with NumPy broadcasting; NaN wins, as in NumPy.
    pub fn minimum(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Minimum)
    }
    /// Elementwise maximum with NumPy broadcasting; NaN wins, as in NumPy.
    pub fn maximum(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Maximum)
    }
    /// `self` to the power `other` (real floats).
    pub fn pow(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Pow)
    }
    /// Applies a binary op with NumPy broadcasting.
    pub fn binary_op(&self, other: &Array<T>, op: BinaryOp) -> Result<Array<T>> {
        self.binary(other, op)
    }
    /// Applies a binary op between every element and the scalar `v`.
    pub fn binary_scalar(&self, v: T, op: BinaryOp) -> Result<Array<T>> {
        self.binary(&self.scalar(v)?, op)
    }
    /// Applies a unary op.
    pub fn unary_op(&self, op: UnaryOp) -> Result<Array<T>> {
        self.unary(op)
    }

    /// Compares elementwise with NumPy broadcasting; a mask of 0 and 1.
    ///
    /// ```
    /// use streamcore::{Array, CompareOp, Device};
    /// let dev = Device::cpu();
    /// let x = Array::from_vec(&dev, vec![1.0f32, f32::NAN, 3.0], &[3])?;
    /// let m = x.compare_scalar(2.0, CompareOp::Lt)?;
    /// assert_eq!(m.to_vec()?, vec![1, 0, 0]);
    /// assert_eq!(Array::where_(&m, &x, &x.neg()?)?.to_vec()?[2], -3.0);
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn compare(&self, other: &Array<T>, op: CompareOp) -> Result<Array<u32>> {
        op.check(T::DTYPE)?;
        launch(
            op.name(),
            ElementwiseOp::Compare(op),
            T::DTYPE,
            &[self.operand(), other.operand()],
        )
    }
    /// Compares every element with the scalar `v`.
    pub fn compare_scalar(&self, v: T, op: CompareOp) -> Result<Array<u32>> {
        self.compare(&self.scalar(v)?, op)
    }
    /// `self == other` as a mask.
    pub fn eq(&self, other: &Array<T>) -> Result<Array<u32>> {
        self.compare(other, CompareOp::Eq)
    }
    /// `self != other` as a mask.
    pub fn ne(&self, other: &Array<T>) -> Result<Array<u32>> {
        self.compare(other, CompareOp::Ne)
    }
    /// `self < other` as a mask.
    pub fn lt(&self, other: &Array<T>) -> Result<Array<u32>> {
        self.compare(other, CompareOp::Lt)
    }
    /// `self <= other` as a mask.
    pub fn le(&self, other: &Array<T>) -> Result<Array<u32>> {
        self.compare(other, CompareOp::Le)
    }
    /// `self > other` as a mask.
    pub fn gt(&self, other: &Array<T>) -> Result<Array<u32>> {
        self.compare(other, CompareOp::Gt)
    }
    /// `self >= other` as a mask.
    pub fn ge(&self, other: &Array<T>) -> Result<Array<u32>> {
        self.compare(other, CompareOp::Ge)
    }

    /// `x` where `mask` is non-zero, else `y`; the three broadcast together (NumPy's `where`).
    pub fn where_(mask: &Array<u32>, x: &Array<T>, y: &Array<T>) -> Result<Array<T>> {
        launch(
            "where",
            ElementwiseOp::Where,
            T::DTYPE,
            &[mask.operand(), x.operand(), y.operand()],
        )
    }

    /// `self * b + c` with broadcasting, rounded once for floats (f16 computes in f32 and
    /// rounds twice) on the CPU, on CUDA and on Vulkan drivers that fuse WGSL's `fma`. A
    /// driver may also run it as a product and a sum (lavapipe does): there f32 goes through
    /// f64 (rounded twice only where the f64 sum is exactly halfway between two floats), and
    /// f64 is rounded twice. Integers wrap; complex numbers multiply then add.
    pub fn fma(&self, b: &Array<T>, c: &Array<T>) -> Result<Array<T>> {
        launch(
            "fma",
            ElementwiseOp::Fma,
            T::DTYPE,
            &[self.operand(), b.operand(), c.operand()],
        )
    }

    /// Limits every element to `[lo, hi]` (`minimum(maximum(x, lo), hi)`, NaN propagates).
    pub fn clip(&self, lo: T, hi: T) -> Result<Array<T>> {
        self.clip_arrays(&self.scalar(lo)?, &self.scalar(hi)?)
    }
    /// [`clip`](Self::clip) with bounds that broadcast against `self`.
    pub fn clip_arrays(&self, lo: &Array<T>, hi: &Array<T>) -> Result<Array<T>> {
        if T::DTYPE.is_complex() {
            return Err(unsupported(
                "clip",
                T::DTYPE,
                "complex numbers have no order",
            ));
        }
        launch(
            "clip",
            ElementwiseOp::Clip,
            T::DTYPE,
            &[self.operand(), lo.operand(), hi.operand()],
        )
    }

    /// Converts to element type `U` as NumPy's `astype`: floats to integers truncate toward
    /// zero and saturate at the target's range (NaN gives 0); i32 and u32 reinterpret each
    /// other's bits (wrap); complex to real keeps the real part; real to complex sets the
    /// imaginary part to 0; floats round to nearest even.
    pub fn cast<U: Element>(&self) -> Result<Array<U>> {
        if U::DTYPE == T::DTYPE {
            return self.share(self.shape());
        }
        launch(
            "cast",
            ElementwiseOp::Cast(U::DTYPE),
            T::DTYPE,
            &[self.operand()],
        )
    }

    fn part(&self, p: ComplexPart) -> Result<Array<T::Real>> {
        launch(
            p.name(),
            ElementwiseOp::Part(p),
            T::DTYPE,
            &[self.operand()],
        )
    }

    /// `|x|`: the magnitude for complex numbers (as a real array), wrapping for integers
    /// (`abs(i32::MIN) == i32::MIN`).
    pub fn abs(&self) -> Result<Array<T::Real>> {
        if T::DTYPE.is_complex() {
            self.part(ComplexPart::Abs)
        } else {
            self.unary(UnaryOp::Abs)?.share(self.shape())
        }
    }
    /// The real part (real arrays are returned as they are).
    pub fn real(&self) -> Result<Array<T::Real>> {
        if T::DTYPE.is_complex() {
            self.part(ComplexPart::Real)
        } else {
            self.share(self.shape())
        }
    }
    /// The imaginary part (zeros for real arrays).
    pub fn imag(&self) -> Result<Array<T::Real>> {
        if T::DTYPE.is_complex() {
            self.part(ComplexPart::Imag)
        } else {
            Array::zeros(self.device(), self.shape())
        }
    }
    /// The phase angle in (-pi, pi]: `atan2(im, re)`; for real floats 0 or pi (NumPy's
    /// `angle`).
    pub fn arg(&self) -> Result<Array<T::Real>> {
        if T::DTYPE.is_complex() {
            self.part(ComplexPart::Arg)
        } else {
            let zeros = Array::<T>::zeros(self.device(), self.shape())?;
            zeros.binary(self, BinaryOp::Atan2)?.share(self.shape())
        }
    }
    /// The complex conjugate (real arrays are returned as they are).
    pub fn conj(&self) -> Result<Array<T>> {
        if T::DTYPE.is_complex() {
            self.unary(UnaryOp::Conj)
        } else {
            Ok(self.clone())
        }
    }
}

/// Shorthand methods for the unary ops, documented from the op itself.
macro_rules! unary_methods {
    ($($name:ident => $op:ident),* $(,)?) => {
        impl<T: Element> Array<T> {
            $(
                #[doc = concat!("Elementwise [`UnaryOp::", stringify!($op), "`].")]
                pub fn $name(&self) -> Result<Array<T>> {
                    self.unary(UnaryOp::$op)
                }
            )*
        }
    };
}
unary_methods!(
    neg => Neg, square => Square, sqrt => Sqrt, rsqrt => Rsqrt, recip => Recip, exp => Exp,
    exp2 => Exp2, expm1 => Expm1, log => Log, log2 => Log2, log1p => Log1p, sin => Sin,
    cos => Cos, tan => Tan, tanh => Tanh, sigmoid => Sigmoid, floor => Floor, ceil => Ceil,
    round => Round, trunc => Trunc, sign => Sign, not => Not, popcount => Popcount,
);

macro_rules! operator {
    ($trait:ident, $method:ident, $op:expr) => {
        impl<T: Element> std::ops::$trait<&Array<T>> for &Array<T> {
            type Output = Result<Array<T>>;
            fn $method(self, rhs: &Array<T>) -> Result<Array<T>> {
                self.binary(rhs, $op)
            }
        }
        impl<T: Element> std::ops::$trait<T> for &Array<T> {
            type Output = Result<Array<T>>;
            fn $method(self, rhs: T) -> Result<Array<T>> {
                self.binary_scalar(rhs, $op)
            }
        }
    };
}
operator!(Add, add, BinaryOp::Add);
operator!(Sub, sub, BinaryOp::Sub);
operator!(Mul, mul, BinaryOp::Mul);
operator!(Div, div, BinaryOp::Div);
operator!(Rem, rem, BinaryOp::Rem);

impl<T: Element> std::ops::Neg for &Array<T> {
    type Output = Result<Array<T>>;
    fn neg(self) -> Result<Array<T>> {
        self.unary(UnaryOp::Neg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(broadcast_shape("t", &[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shape("t", &[], &[2, 3]).unwrap(), vec![2, 3]);
        assert_eq!(broadcast_shape("t", &[0, 1], &[1, 5]).unwrap(), vec![0, 5]);
        assert!(broadcast_shape("t", &[3], &[4]).is_err());
    }

    #[test]
    fn layouts_merge_what_they_can() {
        let l = layout("t", &[2, 3, 4], &[&[2, 3, 4], &[2, 3, 4]]).unwrap();
        assert_eq!((l.shape, l.strides), (vec![24], vec![vec![1], vec![1]]));
        let l = layout("t", &[2, 3, 4], &[&[2, 3, 4], &[4]]).unwrap();
        assert_eq!(l.shape, vec![6, 4]);
        assert_eq!(l.strides, vec![vec![4, 1], vec![0, 1]]);
        let l = layout("t", &[5, 1, 7], &[&[5, 1, 1], &[1, 1, 7]]).unwrap();
        assert_eq!(l.strides, vec![vec![1, 0], vec![0, 1]]);
        let l = layout("t", &[2, 3], &[&[2, 3], &[]]).unwrap();
        assert_eq!((l.shape, l.strides), (vec![6], vec![vec![1], vec![0]]));
    }
}
