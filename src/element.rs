//! Element types an [`Array`](crate::Array) can hold, and their run-time tag [`DType`].
//! The trait is sealed: the backends have kernels for exactly these seven types.

use std::fmt;

use half::f16;
use num_complex::Complex;

/// The run-time tag of an element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// IEEE binary16 ([`half::f16`]).
    F16,
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
    /// Signed 32-bit integer; arithmetic wraps.
    I32,
    /// Unsigned 32-bit integer; arithmetic wraps.
    U32,
    /// Complex number of two f32 (`Complex<f32>`).
    C32,
    /// Complex number of two f64 (`Complex<f64>`).
    C64,
}

impl DType {
    /// Every dtype, in a fixed order.
    pub const ALL: [DType; 7] = [
        DType::F16,
        DType::F32,
        DType::F64,
        DType::I32,
        DType::U32,
        DType::C32,
        DType::C64,
    ];

    /// Size of one element in bytes.
    pub const fn size(self) -> usize {
        match self {
            DType::F16 => 2,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F64 | DType::C32 => 8,
            DType::C64 => 16,
        }
    }

    /// NumPy-style name: `float16`, `float32`, `complex64`, ...
    pub const fn name(self) -> &'static str {
        match self {
            DType::F16 => "float16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I32 => "int32",
            DType::U32 => "uint32",
            DType::C32 => "complex64",
            DType::C64 => "complex128",
        }
    }

    /// Short name used in kernel names: `f16`, `f32`, `f64`, `i32`, `u32`, `c32`, `c64`.
    pub const fn short_name(self) -> &'static str {
        match self {
            DType::F16 => "f16",
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::I32 => "i32",
            DType::U32 => "u32",
            DType::C32 => "c32",
            DType::C64 => "c64",
        }
    }

    /// True for f16, f32, f64 and both complex types.
    pub const fn is_float(self) -> bool {
        !matches!(self, DType::I32 | DType::U32)
    }

    /// True for the complex types.
    pub const fn is_complex(self) -> bool {
        matches!(self, DType::C32 | DType::C64)
    }

    /// The real type of a complex dtype (complex64 -> float32); other dtypes are their own.
    pub const fn real(self) -> DType {
        match self {
            DType::C32 => DType::F32,
            DType::C64 => DType::F64,
            d => d,
        }
    }

    /// True when computing on this dtype needs 64-bit float support on the device.
    pub const fn needs_f64(self) -> bool {
        matches!(self, DType::F64 | DType::C64)
    }

    /// True when computing on this dtype needs 16-bit float support on the device.
    pub const fn needs_f16(self) -> bool {
        matches!(self, DType::F16)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for half::f16 {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i32 {}
    impl Sealed for u32 {}
    impl Sealed for num_complex::Complex<f32> {}
    impl Sealed for num_complex::Complex<f64> {}
}

/// A type that can live in an [`Array`](crate::Array) on any device.
///
/// ```
/// use streamcore::{DType, Element};
/// assert_eq!(<f32 as Element>::DTYPE, DType::F32);
/// assert_eq!(<i32 as Element>::from_f64(-3.0), -3);
/// ```
pub trait Element:
    Copy + Send + Sync + fmt::Debug + PartialEq + bytemuck::Pod + 'static + sealed::Sealed
{
    /// The run-time tag.
    const DTYPE: DType;

    /// The type of the real and imaginary parts: `f32` for `Complex<f32>`, else `Self`.
    type Real: Element;

    /// Converts from f64 the way NumPy's `astype` does (complex: real part set, imaginary 0;
    /// integers: truncated toward zero and wrapped).
    fn from_f64(v: f64) -> Self;

    /// The value as f64 (complex: the real part).
    fn to_f64(self) -> f64;

    /// The value as (real, imaginary) in f64; the imaginary part is 0 for real types.
    fn to_c64(self) -> (f64, f64) {
        (self.to_f64(), 0.0)
    }

    /// Converts from (real, imaginary) in f64; real types drop the imaginary part.
    fn from_c64(re: f64, im: f64) -> Self {
        let _ = im;
        Self::from_f64(re)
    }
}

impl Element for f16 {
    type Real = f16;
    const DTYPE: DType = DType::F16;
    fn from_f64(v: f64) -> Self {
        f16::from_f64(v)
    }
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
}

impl Element for f32 {
    type Real = f32;
    const DTYPE: DType = DType::F32;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    type Real = f64;
    const DTYPE: DType = DType::F64;
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Element for i32 {
    type Real = i32;
    const DTYPE: DType = DType::I32;
    fn from_f64(v: f64) -> Self {
        // Wrap like a C cast of an in-range int64, not Rust's saturating `as`.
        (v as i64) as i32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Element for u32 {
    type Real = u32;
    const DTYPE: DType = DType::U32;
    fn from_f64(v: f64) -> Self {
        (v as i64) as u32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Element for Complex<f32> {
    type Real = f32;
    const DTYPE: DType = DType::C32;
    fn from_f64(v: f64) -> Self {
        Complex::new(v as f32, 0.0)
    }
    fn to_f64(self) -> f64 {
        self.re as f64
    }
    fn to_c64(self) -> (f64, f64) {
        (self.re as f64, self.im as f64)
    }
    fn from_c64(re: f64, im: f64) -> Self {
        Complex::new(re as f32, im as f32)
    }
}

impl Element for Complex<f64> {
    type Real = f64;
    const DTYPE: DType = DType::C64;
    fn from_f64(v: f64) -> Self {
        Complex::new(v, 0.0)
    }
    fn to_f64(self) -> f64 {
        self.re
    }
    fn to_c64(self) -> (f64, f64) {
        (self.re, self.im)
    }
    fn from_c64(re: f64, im: f64) -> Self {
        Complex::new(re, im)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_rust_types() {
        assert_eq!(DType::F16.size(), std::mem::size_of::<f16>());
        assert_eq!(DType::C32.size(), std::mem::size_of::<Complex<f32>>());
        assert_eq!(DType::C64.size(), std::mem::size_of::<Complex<f64>>());
    }

    #[test]
    fn integer_conversion_wraps() {
        assert_eq!(i32::from_f64(2147483648.0), i32::MIN);
        assert_eq!(u32::from_f64(-1.0), u32::MAX);
        assert_eq!(i32::from_f64(-2.7), -2);
    }
}
