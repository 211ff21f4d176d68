//! Backend-independent op definitions: argument and shape checks, then dispatch to the
//! device's backend. One file per op family, named as in shaders/ and cuda/.

pub(crate) mod creation;
pub mod elementwise;
pub mod matmul;
pub mod random;
pub mod reduce;
pub mod scan;
pub mod shape;
