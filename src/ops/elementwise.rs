//! The `elementwise` op family, backend-independent part: the ops, which dtypes each accepts,
//! NumPy broadcasting (with adjacent axes merged), and the public methods and operators.

use crate::array::Array;
use crate::backend::{ElementwiseOp, Layout};
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
    /// The smaller of `a` and `b`; NaN if either is NaN (as NumPy's `minimum`).
    Minimum,
    /// The larger of `a` and `b`; NaN if either is NaN (as NumPy's `maximum`).
    Maximum,
    /// `a` to the power `b` (real floats)
    Pow,
    /// The angle of the point (b, a): `atan2(a, b)` (real floats)
    Atan2,
    /// `sqrt(a^2 + b^2)` (real floats)
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
}

impl BinaryOp {
    /// Every binary op.
    pub const ALL: [BinaryOp; 14] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
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
    pub const ALL: [UnaryOp; 22] = [
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
        )
    }

    /// True for the bit ops, which only integers have.
    pub(crate) fn int_only(self) -> bool {
        matches!(self, UnaryOp::Not | UnaryOp::Popcount)
    }

    /// True for ops that WGSL cannot compute in f64 (SPIR-V's extended instructions are
    /// defined for 16- and 32-bit floats only).
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
        )
    }

    fn check(self, d: DType) -> Result<()> {
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

impl<T: Element> Array<T> {
    fn binary(&self, other: &Array<T>, op: BinaryOp) -> Result<Array<T>> {
        op.check(T::DTYPE)?;
        if !self.device().same(other.device()) {
            return Err(Error::DeviceMismatch {
                op: op.name(),
                detail: format!(
                    "operands on {} and {}; move one with to_device",
                    self.device(),
                    other.device()
                ),
            });
        }
        let out = broadcast_shape(op.name(), self.shape(), other.shape())?;
        let l = layout(op.name(), &out, &[self.shape(), other.shape()])?;
        self.run_elementwise(&out, ElementwiseOp::Binary(op), &[self, other], &l)
    }

    fn unary(&self, op: UnaryOp) -> Result<Array<T>> {
        op.check(T::DTYPE)?;
        let l = layout(op.name(), self.shape(), &[self.shape()])?;
        self.run_elementwise(self.shape(), ElementwiseOp::Unary(op), &[self], &l)
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
    /// Elementwise minimum with NumPy broadcasting; NaN wins, as in NumPy.
    pub fn minimum(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Minimum)
    }
    /// Elementwise maximum with NumPy broadcasting; NaN wins, as in NumPy.
    pub fn maximum(&self, other: &Array<T>) -> Result<Array<T>> {
        self.binary(other, BinaryOp::Maximum)
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
    /// `-x`.
    pub fn neg(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Neg)
    }
    /// `|x|` (real dtypes).
    pub fn abs(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Abs)
    }
    /// `x * x`.
    pub fn square(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Square)
    }
    /// Square root (real floats; NaN below zero).
    pub fn sqrt(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Sqrt)
    }
    /// `e^x` (real floats).
    pub fn exp(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Exp)
    }
    /// Natural logarithm (real floats).
    pub fn log(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Log)
    }
    /// Sine (real floats).
    pub fn sin(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Sin)
    }
    /// Cosine (real floats).
    pub fn cos(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Cos)
    }
    /// Hyperbolic tangent (real floats).
    pub fn tanh(&self) -> Result<Array<T>> {
        self.unary(UnaryOp::Tanh)
    }
}

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
