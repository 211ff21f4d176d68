//! # streamcore
//!
//! Array computing on accelerators: one API over WGSL compute shaders (wgpu), CUDA kernels
//! (cudarc) and a SIMD multi-core CPU backend, with transparent transfers of host `ndarray`s.
//!
//! Data stays on its device and work is queued without host waits; the host waits only where
//! it reads ([`Array::to_ndarray`], [`Array::item`]) or asks to ([`Device::synchronize`]).
//!
//! ```
//! use streamcore::prelude::*;
//!
//! let dev = Device::best();                       // CUDA > hardware GPU > CPU
//! let host = ndarray::Array2::<f32>::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f32);
//! let x = host.t().to_device(&dev)?;              // any layout, here transposed
//! assert_eq!(x.shape(), &[4, 3]);
//! let back = x.to_ndarray()?;                      // the host waits here
//! assert_eq!(back, host.t().into_dyn());
//! let r = Array::<f64>::linspace(&Device::cpu(), 0.0, 1.0, 5)?;
//! assert_eq!(r.to_vec()?, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
//! # Ok::<(), streamcore::Error>(())
//! ```
//!
//! Devices are chosen with [`Device::best`], explicit constructors, or the `STREAMCORE_DEVICE`
//! environment variable through [`Device::from_env`]; [`Device::list`] shows what is present.

#![warn(missing_docs)]

pub mod array;
mod backend;
pub mod device;
pub mod element;
pub mod error;
pub mod fft;
pub mod fractal;
mod host;
pub mod ops;
pub mod profile;

pub use array::{Array, NdarrayExt};
pub use backend::MemoryStats;
pub use backend::cpu::simd::{Isa, fma_ceiling_gflops};
pub use device::{Device, DeviceInfo, DeviceKind, WgpuOptions};
pub use element::{DType, Element};
pub use error::{Error, Result};
pub use half::f16;
pub use num_complex::Complex;
pub use ops::elementwise::{BinaryOp, CompareOp, ComplexPart, UnaryOp};
pub use ops::matmul::matmul;
pub use ops::random;
pub use ops::reduce::ReduceOp;
pub use ops::scan::ScanOp;
pub use ops::shape::Slice;
pub use profile::{Ceilings, Profile};

/// `Complex<f32>`.
pub type Complex32 = Complex<f32>;
/// `Complex<f64>`.
pub type Complex64 = Complex<f64>;

/// Everything a typical program needs: `use streamcore::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Array, Complex32, Complex64, DType, Device, DeviceKind, Element, Error, NdarrayExt, Result,
        f16,
    };
}

/// CUDA kernel compilation (feature `cuda`): NVRTC with the PTX caches, usable without a GPU.
#[cfg(feature = "cuda")]
pub mod cuda {
    pub use crate::backend::cuda::nvrtc::{
        KERNELS, PRELUDE, compile, kernel_source, nvrtc_available,
    };
}

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
