//! The `matmul` op family: matrix products with NumPy's `matmul` rules: 1-d operands are
//! promoted to a row or column and the added axis removed again; leading axes broadcast.

use crate::array::Array;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::ops::elementwise::{broadcast_shape, same_device};

/// The shape of one product: `batch` independent `[m, k] x [k, n]` products of row-major,
/// contiguous matrices, the right one shared by every batch when `b_shared`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MatmulDims {
    pub(crate) batch: usize,
    pub(crate) m: usize,
    pub(crate) k: usize,
    pub(crate) n: usize,
    pub(crate) b_shared: bool,
}

impl<T: Element> Array<T> {
    /// The matrix product `self @ other`, as NumPy's `matmul`: for 2-d arrays `[m, k] @ [k, n]
    /// -> [m, n]`; a 1-d left operand is a row and a 1-d right one a column (the added axis is
    /// dropped from the result); more dimensions are stacks of matrices whose leading axes
    /// broadcast. Floats, complex and integers (which wrap); f16 accumulates in f32.
    ///
    /// ```
    /// use streamcore::{Array, Device};
    /// let dev = Device::cpu();
    /// let a = Array::from_vec(&dev, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
    /// let b = Array::from_vec(&dev, vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2])?;
    /// assert_eq!(a.matmul(&b)?.to_vec()?, vec![4.0, 5.0, 10.0, 11.0]);
    /// let v = Array::from_vec(&dev, vec![1.0f32, 1.0, 1.0], &[3])?;
    /// assert_eq!(a.matmul(&v)?.to_vec()?, vec![6.0, 15.0]);
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn matmul(&self, other: &Array<T>) -> Result<Array<T>> {
        same_device("matmul", &[self.device(), other.device()])?;
        if self.ndim() == 0 || other.ndim() == 0 {
            return Err(Error::invalid(
                "matmul",
                "0-d operands have no matrix axes: multiply elementwise instead",
            ));
        }
        let (a_vec, b_vec) = (self.ndim() == 1, other.ndim() == 1);
        let a = if a_vec {
            self.reshape(&[1, self.len()])?
        } else {
            self.clone()
        };
        let b = if b_vec {
            other.reshape(&[other.len(), 1])?
        } else {
            other.clone()
        };
        let (sa, sb) = (a.shape(), b.shape());
        let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
        let (k2, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
        if k != k2 {
            return Err(Error::shape(
                "matmul",
                format!(
                    "inner dimensions differ: {:?} @ {:?} (the last axis of the left operand \
                     must equal the second-to-last of the right)",
                    self.shape(),
                    other.shape()
                ),
            ));
        }
        let batch_shape = broadcast_shape("matmul", &sa[..sa.len() - 2], &sb[..sb.len() - 2])?;
        let batch: usize = batch_shape.iter().product();
        let mut out_shape = batch_shape.clone();
        out_shape.extend([m, n]);
        self.device().backend().check_dtype(T::DTYPE)?;
        let full = |x: &Array<T>, rows: usize, cols: usize| -> Result<Array<T>> {
            let mut s = batch_shape.clone();
            s.extend([rows, cols]);
            if x.shape() == s.as_slice() {
                Ok(x.clone())
            } else {
                x.broadcast_to(&s)
            }
        };
        // A right operand without batch axes of its own is shared by every product; then the
        // left stack is one tall matrix.
        let b_shared = sb.len() == 2;
        let a = full(&a, m, k)?;
        let (b, dims) = if b_shared {
            let dims = MatmulDims {
                batch: 1,
                m: batch * m,
                k,
                n,
                b_shared: true,
            };
            (b, dims)
        } else {
            let dims = MatmulDims {
                batch,
                m,
                k,
                n,
                b_shared: false,
            };
            (full(&b, k, n)?, dims)
        };
        for (what, v) in [("rows", dims.m), ("columns", n), ("inner dimension", k)] {
            if v > u32::MAX as usize {
                return Err(Error::invalid(
                    "matmul",
                    format!("{what} {v} over 2^32: kernels index with 32 bits"),
                ));
            }
        }
        let mut out = Array::<T>::uninit(self.device(), &out_shape, "matmul")?;
        if !out.is_empty() {
            if k == 0 {
                out = Array::zeros(self.device(), &out_shape)?;
            } else {
                let dev = self.device().clone();
                dev.backend()
                    .matmul(T::DTYPE, a.buffer(), b.buffer(), out.buffer_mut()?, dims)?;
            }
        }
        let mut shape = out_shape;
        if b_vec {
            shape.remove(shape.len() - 1);
        }
        if a_vec {
            shape.remove(shape.len() - if b_vec { 1 } else { 2 });
        }
        out.reshape(&shape)
    }
}

/// `a @ b` (see [`Array::matmul`]).
pub fn matmul<T: Element>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    a.matmul(b)
}
