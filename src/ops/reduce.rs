//! The `reduce` op family: sum, prod, min, max, argmin, argmax over all elements or any set
//! of axes (with keepdims), and mean, var, std, norm, all, any built on them.

use crate::array::Array;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::ops::shape::axis;

/// The reductions a backend runs. Sums and products of floats are computed pairwise (f16
/// and f32 accumulate in f64 on the CPU, in f32 on GPUs); integers wrap; min and max
/// propagate NaN; argmin and argmax give the first occurrence (a NaN counts as the extreme).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Sum (0 for no elements).
    Sum,
    /// Product (1 for no elements).
    Prod,
    /// Smallest element.
    Min,
    /// Largest element.
    Max,
    /// Index of the first smallest element.
    ArgMin,
    /// Index of the first largest element.
    ArgMax,
}

impl ReduceOp {
    /// Every reduction.
    pub const ALL: [ReduceOp; 6] = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Min,
        ReduceOp::Max,
        ReduceOp::ArgMin,
        ReduceOp::ArgMax,
    ];

    /// The op's name.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::ArgMin => "argmin",
            ReduceOp::ArgMax => "argmax",
        }
    }

    /// True for argmin and argmax, whose results are u32 indices.
    pub fn is_arg(self) -> bool {
        matches!(self, ReduceOp::ArgMin | ReduceOp::ArgMax)
    }

    /// True when the op is defined for `dtype`.
    pub fn supports(self, dtype: DType) -> bool {
        !dtype.is_complex() || matches!(self, ReduceOp::Sum | ReduceOp::Prod)
    }

    /// The output dtype for inputs of `dtype`.
    pub(crate) fn out_dtype(self, dtype: DType) -> DType {
        if self.is_arg() { DType::U32 } else { dtype }
    }
}

/// Normalised, sorted, distinct axes.
fn axes_of(op: &'static str, axes: &[isize], ndim: usize) -> Result<Vec<usize>> {
    let mut v: Vec<usize> = axes
        .iter()
        .map(|&a| axis(op, a, ndim))
        .collect::<Result<_>>()?;
    v.sort_unstable();
    if v.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid(op, format!("axis repeated in {axes:?}")));
    }
    Ok(v)
}

impl<T: Element> Array<T> {
    /// Runs `op` over `axes` (sorted, distinct) into an array of element type `O`.
    fn reduce_into<O: Element>(
        &self,
        op: ReduceOp,
        axes: &[usize],
        keepdims: bool,
    ) -> Result<Array<O>> {
        debug_assert_eq!(op.out_dtype(T::DTYPE), O::DTYPE);
        if !op.supports(T::DTYPE) {
            return Err(Error::DtypeUnsupported {
                dtype: T::DTYPE,
                device: format!("any device (op {})", op.name()),
                reason: "complex numbers have no order".into(),
            });
        }
        let shape = self.shape();
        if axes.is_empty() {
            // Reducing no axis leaves every element as it is (NumPy's `axis=()`).
            return self.share(shape);
        }
        let kept: Vec<usize> = (0..shape.len()).filter(|d| !axes.contains(d)).collect();
        let out_shape: Vec<usize> = if keepdims {
            (0..shape.len())
                .map(|d| if axes.contains(&d) { 1 } else { shape[d] })
                .collect()
        } else {
            kept.iter().map(|&d| shape[d]).collect()
        };
        let k: usize = axes.iter().map(|&d| shape[d]).product();
        if k == 0 {
            return match op {
                ReduceOp::Sum => Array::zeros(self.device(), &out_shape),
                ReduceOp::Prod => Array::ones(self.device(), &out_shape),
                _ => Err(Error::invalid(
                    op.name(),
                    format!("the reduced axes {axes:?} of {shape:?} have no elements"),
                )),
            };
        }
        // Reduced axes adjacent: view as [outer, k, inner]; else move them last with a copy.
        let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
        let (src, outer, inner) = if adjacent {
            let (a, b) = (axes[0], axes[axes.len() - 1] + 1);
            let outer: usize = shape[..a].iter().product();
            let inner: usize = shape[b..].iter().product();
            (self.clone(), outer, inner)
        } else {
            let perm: Vec<usize> = kept.iter().chain(axes).copied().collect();
            let outer = kept.iter().map(|&d| shape[d]).product();
            (self.permute(&perm)?, outer, 1)
        };
        let mut out = Array::<O>::uninit(self.device(), &out_shape, op.name())?;
        if outer * inner > 0 {
            let dims = [outer, k, inner];
            let dev = self.device().clone();
            dev.backend()
                .reduce(op, T::DTYPE, src.buffer(), dims, out.buffer_mut()?)?;
        }
        Ok(out)
    }

    fn reduce_axes(&self, op: ReduceOp, axes: &[isize], keepdims: bool) -> Result<Array<T>> {
        let ax = axes_of(op.name(), axes, self.ndim())?;
        self.reduce_into(op, &ax, keepdims)
    }

    fn all_axes(&self) -> Vec<isize> {
        (0..self.ndim() as isize).collect()
    }

    /// Runs a reduction over `axes` (an empty list reduces nothing; use [`Array::sum`] and
    /// friends for all elements).
    pub fn reduce(&self, op: ReduceOp, axes: &[isize], keepdims: bool) -> Result<Array<T>> {
        if op.is_arg() {
            return Err(Error::invalid(
                op.name(),
                "argmin/argmax return indices: call argmin/argmax",
            ));
        }
        self.reduce_axes(op, axes, keepdims)
    }

    /// The sum of all elements, as a 0-d array (still on the device; `.item()` reads it).
    ///
    /// ```
    /// use streamcore::{Array, Device};
    /// let x = Array::from_vec(&Device::cpu(), vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2])?;
    /// assert_eq!(x.sum()?.item()?, 10.0);
    /// assert_eq!(x.sum_axes(&[0], false)?.to_vec()?, vec![4.0, 6.0]);
    /// assert_eq!(x.argmax(None)?.item()?, 3);
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn sum(&self) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Sum, &self.all_axes(), false)
    }
    /// Sums over `axes` (negative count from the end); `keepdims` keeps them as length 1.
    pub fn sum_axes(&self, axes: &[isize], keepdims: bool) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Sum, axes, keepdims)
    }
    /// The product of all elements, as a 0-d array.
    pub fn prod(&self) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Prod, &self.all_axes(), false)
    }
    /// Products over `axes`.
    pub fn prod_axes(&self, axes: &[isize], keepdims: bool) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Prod, axes, keepdims)
    }
    /// The smallest element (NaN if any is NaN), as a 0-d array; an error when empty.
    pub fn min(&self) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Min, &self.all_axes(), false)
    }
    /// Minima over `axes`.
    pub fn min_axes(&self, axes: &[isize], keepdims: bool) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Min, axes, keepdims)
    }
    /// The largest element (NaN if any is NaN), as a 0-d array; an error when empty.
    pub fn max(&self) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Max, &self.all_axes(), false)
    }
    /// Maxima over `axes`.
    pub fn max_axes(&self, axes: &[isize], keepdims: bool) -> Result<Array<T>> {
        self.reduce_axes(ReduceOp::Max, axes, keepdims)
    }

    fn arg_reduce(&self, op: ReduceOp, axis_: Option<isize>) -> Result<Array<u32>> {
        if self.len() > u32::MAX as usize {
            return Err(Error::invalid(
                op.name(),
                "more than 2^32 elements: u32 indices overflow",
            ));
        }
        match axis_ {
            None => self.reshape(&[self.len()])?.reduce_into(op, &[0], false),
            Some(a) => {
                let ax = axis(op.name(), a, self.ndim())?;
                self.reduce_into(op, &[ax], false)
            }
        }
    }
    /// Index of the first smallest element: along `axis`, or in the flattened array for `None`.
    pub fn argmin(&self, axis: Option<isize>) -> Result<Array<u32>> {
        self.arg_reduce(ReduceOp::ArgMin, axis)
    }
    /// Index of the first largest element: along `axis`, or in the flattened array for `None`.
    pub fn argmax(&self, axis: Option<isize>) -> Result<Array<u32>> {
        self.arg_reduce(ReduceOp::ArgMax, axis)
    }

    /// The mean of all elements (floats and complex).
    pub fn mean(&self) -> Result<Array<T>> {
        self.mean_axes(&self.all_axes(), false)
    }
    /// Means over `axes` (floats and complex; NaN for no elements).
    pub fn mean_axes(&self, axes: &[isize], keepdims: bool) -> Result<Array<T>> {
        if !T::DTYPE.is_float() {
            return Err(Error::DtypeUnsupported {
                dtype: T::DTYPE,
                device: "any device (op mean)".into(),
                reason: "the mean of integers is fractional: cast to a float dtype first".into(),
            });
        }
        let ax = axes_of("mean", axes, self.ndim())?;
        let n: usize = ax.iter().map(|&d| self.shape()[d]).product();
        let s = self.reduce_into::<T>(ReduceOp::Sum, &ax, keepdims)?;
        &s / T::from_f64(n as f64)
    }
    /// The variance of all elements with `ddof` delta degrees of freedom (NumPy's `var`).
    pub fn var(&self, ddof: usize) -> Result<Array<T::Real>> {
        self.var_axes(&self.all_axes(), false, ddof)
    }
    /// Variances over `axes`: the mean of `|x - mean|^2` with `n - ddof` in the denominator,
    /// two passes (no cancellation).
    pub fn var_axes(&self, axes: &[isize], keepdims: bool, ddof: usize) -> Result<Array<T::Real>> {
        let ax = axes_of("var", axes, self.ndim())?;
        let n: usize = ax.iter().map(|&d| self.shape()[d]).product();
        let m = self.mean_axes(axes, true)?;
        let dev = self.sub(&m)?.abs2()?;
        let ss = dev.reduce_into::<T::Real>(ReduceOp::Sum, &ax, keepdims)?;
        &ss / <T::Real as Element>::from_f64(n as f64 - ddof as f64)
    }
    /// The standard deviation of all elements (`sqrt(var)`).
    pub fn std(&self, ddof: usize) -> Result<Array<T::Real>> {
        self.var(ddof)?.sqrt()
    }
    /// Standard deviations over `axes`.
    pub fn std_axes(&self, axes: &[isize], keepdims: bool, ddof: usize) -> Result<Array<T::Real>> {
        self.var_axes(axes, keepdims, ddof)?.sqrt()
    }
    /// The L2 norm of all elements, `sqrt(sum(|x|^2))` (floats and complex).
    pub fn norm(&self) -> Result<Array<T::Real>> {
        self.norm_axes(&self.all_axes(), false)
    }
    /// L2 norms over `axes`.
    pub fn norm_axes(&self, axes: &[isize], keepdims: bool) -> Result<Array<T::Real>> {
        let ax = axes_of("norm", axes, self.ndim())?;
        let sq = self.abs2()?;
        sq.reduce_into::<T::Real>(ReduceOp::Sum, &ax, keepdims)?
            .sqrt()
    }

    /// `|x|^2` as a real array: one square for real dtypes, magnitude then square for complex.
    fn abs2(&self) -> Result<Array<T::Real>> {
        if T::DTYPE.is_complex() {
            self.abs()?.square()
        } else {
            self.square()?.share(self.shape())
        }
    }

    fn truth(&self) -> Result<Array<u32>> {
        let zero = Array::<T>::zeros(self.device(), &[])?;
        self.ne(&zero)
    }
    /// 1 if every element is non-zero (NaN counts as non-zero), else 0; 1 when empty.
    pub fn all(&self) -> Result<Array<u32>> {
        self.all_over(&self.all_axes(), false)
    }
    /// [`all`](Self::all) over `axes`.
    pub fn all_over(&self, axes: &[isize], keepdims: bool) -> Result<Array<u32>> {
        self.truth()?.prod_axes(axes, keepdims)
    }
    /// 1 if any element is non-zero, else 0; 0 when empty.
    pub fn any(&self) -> Result<Array<u32>> {
        self.any_over(&self.all_axes(), false)
    }
    /// [`any`](Self::any) over `axes`.
    pub fn any_over(&self, axes: &[isize], keepdims: bool) -> Result<Array<u32>> {
        let s = self.truth()?.sum_axes(axes, keepdims)?;
        s.compare_scalar(0, crate::CompareOp::Gt)
    }
}
