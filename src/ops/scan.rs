//! The `scan` op family: inclusive prefix sums and products along one axis (`cumsum`,
//! `cumprod`), or over the flattened array as NumPy does for `axis=None`.

use crate::array::Array;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::ops::shape::axis;

/// The scans a backend runs. Integers wrap; f16 and f32 accumulate in f64 on the CPU and in
/// f32 on GPUs, where long rows are scanned in tiles whose totals are scanned recursively
/// (so rounding grows like the log of the length along rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanOp {
    /// Running sum.
    Sum,
    /// Running product.
    Prod,
}

impl ScanOp {
    /// The op's name (`cumsum`, `cumprod`).
    pub fn name(self) -> &'static str {
        match self {
            ScanOp::Sum => "cumsum",
            ScanOp::Prod => "cumprod",
        }
    }

    /// The kernel name stem (`sum`, `prod`).
    #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
    pub(crate) fn stem(self) -> &'static str {
        match self {
            ScanOp::Sum => "sum",
            ScanOp::Prod => "prod",
        }
    }
}

/// Below this many independent columns a column scan is moved to rows: columns are walked
/// serially along the axis, one thread each, which leaves a GPU (or the CPU's cores) idle.
const FEW_COLUMNS: usize = 1024;

impl<T: Element> Array<T> {
    /// Runs `op` along `axis` (`None`: over the flattened array, giving a 1-d result).
    pub fn scan(&self, op: ScanOp, axis_: Option<isize>) -> Result<Array<T>> {
        let Some(a) = axis_ else {
            return self.reshape(&[self.len()])?.scan(op, Some(0));
        };
        let ax = axis(op.name(), a, self.ndim())?;
        let shape = self.shape().to_vec();
        let outer: usize = shape[..ax].iter().product();
        let k = shape[ax];
        let inner: usize = shape[ax + 1..].iter().product();
        if self.len() > u32::MAX as usize {
            return Err(Error::invalid(
                op.name(),
                "more than 2^32 elements: kernels index with 32 bits",
            ));
        }
        self.device().backend().check_dtype(T::DTYPE)?;
        if inner > 1 && outer * inner < FEW_COLUMNS && k > 8 * outer * inner {
            // Few long columns: scan them as rows of a transposed copy.
            let last = self.ndim() as isize - 1;
            let t = self.swap_axes(a, last)?.copy()?;
            return t.scan(op, Some(last))?.swap_axes(a, last)?.copy();
        }
        let mut out = Array::<T>::uninit(self.device(), &shape, op.name())?;
        if !self.is_empty() {
            let dev = self.device().clone();
            dev.backend().scan(
                op,
                T::DTYPE,
                self.buffer(),
                [outer, k, inner],
                out.buffer_mut()?,
            )?;
        }
        Ok(out)
    }

    /// Running sums along `axis`, or over the flattened array for `None` (NumPy's `cumsum`).
    ///
    /// ```
    /// use streamcore::{Array, Device};
    /// let x = Array::from_vec(&Device::cpu(), vec![1i32, 2, 3, 4, 5, 6], &[2, 3])?;
    /// assert_eq!(x.cumsum(Some(1))?.to_vec()?, vec![1, 3, 6, 4, 9, 15]);
    /// assert_eq!(x.cumsum(Some(0))?.to_vec()?, vec![1, 2, 3, 5, 7, 9]);
    /// assert_eq!(x.cumprod(None)?.to_vec()?, vec![1, 2, 6, 24, 120, 720]);
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn cumsum(&self, axis: Option<isize>) -> Result<Array<T>> {
        self.scan(ScanOp::Sum, axis)
    }

    /// Running products along `axis`, or over the flattened array for `None`.
    pub fn cumprod(&self, axis: Option<isize>) -> Result<Array<T>> {
        self.scan(ScanOp::Prod, axis)
    }
}
