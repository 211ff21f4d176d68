//! The `shape` op family: reshape, permute/transpose, slicing with steps, broadcast_to,
//! concatenate, stack, squeeze/expand_dims. Arrays are contiguous, so all but reshape copy.

use crate::array::Array;
use crate::backend::StridedCopy;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::ops::elementwise::{MAX_RANK, same_device};

/// One axis of [`Array::slice`], with NumPy's meaning: `start:stop:step`, negative indices
/// count from the end, bounds are clipped, `None` takes the default for the step's sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// First index (default: 0, or the last element for a negative step).
    pub start: Option<isize>,
    /// One past the last index (default: the end, or before the first for a negative step).
    pub stop: Option<isize>,
    /// Step; not 0.
    pub step: isize,
}

impl Slice {
    /// The whole axis, `:`.
    pub const ALL: Slice = Slice {
        start: None,
        stop: None,
        step: 1,
    };

    /// `start:stop`.
    pub fn range(start: isize, stop: isize) -> Slice {
        Slice {
            start: Some(start),
            stop: Some(stop),
            step: 1,
        }
    }

    /// `start:stop:step` with optional bounds.
    pub fn new(start: Option<isize>, stop: Option<isize>, step: isize) -> Slice {
        Slice { start, stop, step }
    }

    /// The whole axis reversed, `::-1`.
    pub fn rev() -> Slice {
        Slice::new(None, None, -1)
    }

    /// (first index, count) of this slice over an axis of length `n`, as Python computes them.
    fn resolve(self, n: usize) -> Result<(usize, usize)> {
        if self.step == 0 {
            return Err(Error::invalid("slice", "step must not be 0"));
        }
        let n = n as isize;
        let clip = |v: isize, lo: isize, hi: isize| v.clamp(lo, hi);
        let norm = |v: isize| if v < 0 { v + n } else { v };
        let (start, stop) = if self.step > 0 {
            (
                self.start.map_or(0, |v| clip(norm(v), 0, n)),
                self.stop.map_or(n, |v| clip(norm(v), 0, n)),
            )
        } else {
            (
                self.start.map_or(n - 1, |v| clip(norm(v), -1, n - 1)),
                self.stop.map_or(-1, |v| clip(norm(v), -1, n - 1)),
            )
        };
        let count = if self.step > 0 {
            (stop - start + self.step - 1).max(0) / self.step
        } else {
            (start - stop - self.step - 1).max(0) / -self.step
        };
        Ok((start.max(0) as usize, count as usize))
    }
}

impl From<std::ops::Range<isize>> for Slice {
    fn from(r: std::ops::Range<isize>) -> Slice {
        Slice::range(r.start, r.end)
    }
}

impl From<std::ops::RangeFull> for Slice {
    fn from(_: std::ops::RangeFull) -> Slice {
        Slice::ALL
    }
}

/// Row-major element strides of `shape`.
pub(crate) fn strides_of(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d] as isize;
    }
    s
}

/// A normalised axis: negative values count from the end.
pub(crate) fn axis(op: &'static str, ax: isize, ndim: usize) -> Result<usize> {
    let a = if ax < 0 { ax + ndim as isize } else { ax };
    if a < 0 || a >= ndim as isize {
        return Err(Error::invalid(
            op,
            format!("axis {ax} is out of range for an array of {ndim} dimensions"),
        ));
    }
    Ok(a as usize)
}

impl<T: Element> Array<T> {
    /// A new array of `shape` from `self` through a strided copy.
    fn gather(&self, shape: &[usize], offset: usize, strides: Vec<isize>) -> Result<Array<T>> {
        let mut out = Array::<T>::uninit(self.device(), shape, "shape")?;
        let copy = StridedCopy {
            shape: shape.to_vec(),
            src_offset: offset,
            src_strides: strides,
            dst_offset: 0,
            dst_strides: strides_of(shape),
        };
        out.copy_from(self, &copy)?;
        Ok(out)
    }

    /// The same elements in another shape of the same length (no copy).
    pub fn reshape(&self, shape: &[usize]) -> Result<Array<T>> {
        let n: Option<usize> = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if n != Some(self.len()) {
            return Err(Error::shape(
                "reshape",
                format!(
                    "cannot reshape {:?} ({} elements) into {shape:?}",
                    self.shape(),
                    self.len()
                ),
            ));
        }
        self.share(shape)
    }

    /// The axes reordered: axis `d` of the result is axis `axes[d]` of `self`.
    pub fn permute(&self, axes: &[usize]) -> Result<Array<T>> {
        let n = self.ndim();
        let mut seen = vec![false; n];
        if axes.len() != n
            || axes
                .iter()
                .any(|&a| a >= n || std::mem::replace(&mut seen[a], true))
        {
            return Err(Error::invalid(
                "permute",
                format!(
                    "{axes:?} is not a permutation of the {n} axes of {:?}",
                    self.shape()
                ),
            ));
        }
        let st = strides_of(self.shape());
        let shape: Vec<usize> = axes.iter().map(|&a| self.shape()[a]).collect();
        self.gather(&shape, 0, axes.iter().map(|&a| st[a]).collect())
    }

    /// The axes reversed (a matrix transpose for 2-D arrays).
    pub fn transpose(&self) -> Result<Array<T>> {
        let axes: Vec<usize> = (0..self.ndim()).rev().collect();
        self.permute(&axes)
    }

    /// Axes `a` and `b` exchanged (negative axes count from the end).
    pub fn swap_axes(&self, a: isize, b: isize) -> Result<Array<T>> {
        let (a, b) = (
            axis("swap_axes", a, self.ndim())?,
            axis("swap_axes", b, self.ndim())?,
        );
        let mut axes: Vec<usize> = (0..self.ndim()).collect();
        axes.swap(a, b);
        self.permute(&axes)
    }

    /// NumPy basic slicing, `x[s0, s1, ...]`: one [`Slice`] per leading axis, the remaining
    /// axes taken whole.
    ///
    /// ```
    /// use streamcore::{Array, Device, Slice};
    /// let x = Array::<i32>::arange(&Device::cpu(), 0.0, 12.0, 1.0)?.reshape(&[3, 4])?;
    /// let y = x.slice(&[Slice::range(1, 3), Slice::new(None, None, -2)])?;
    /// assert_eq!(y.to_vec()?, vec![7, 5, 11, 9]);
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn slice(&self, s: &[Slice]) -> Result<Array<T>> {
        if s.len() > self.ndim() {
            return Err(Error::invalid(
                "slice",
                format!(
                    "{} slices for an array of {} dimensions",
                    s.len(),
                    self.ndim()
                ),
            ));
        }
        let st = strides_of(self.shape());
        let mut shape = self.shape().to_vec();
        let mut strides = st.clone();
        let mut offset = 0usize;
        for (d, sl) in s.iter().enumerate() {
            let (start, count) = sl.resolve(self.shape()[d])?;
            shape[d] = count;
            strides[d] = st[d] * sl.step;
            if count > 0 {
                offset += start * st[d] as usize;
            }
        }
        self.gather(&shape, offset, strides)
    }

    /// The array repeated along new leading axes and axes of length 1 (NumPy's
    /// `broadcast_to`, materialised).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Array<T>> {
        let out = crate::ops::elementwise::broadcast_shape("broadcast_to", self.shape(), shape)?;
        if out != shape {
            return Err(Error::shape(
                "broadcast_to",
                format!("{:?} cannot be broadcast to {shape:?}", self.shape()),
            ));
        }
        let st = strides_of(self.shape());
        let pad = shape.len() - self.ndim();
        let strides = (0..shape.len())
            .map(|d| {
                if d < pad || self.shape()[d - pad] == 1 {
                    0
                } else {
                    st[d - pad]
                }
            })
            .collect();
        self.gather(shape, 0, strides)
    }

    /// The arrays joined along an existing axis; the other axes must agree.
    pub fn concatenate(arrays: &[&Array<T>], axis_: isize) -> Result<Array<T>> {
        let first = arrays
            .first()
            .ok_or_else(|| Error::invalid("concatenate", "no arrays given"))?;
        let devices: Vec<_> = arrays.iter().map(|a| a.device()).collect();
        same_device("concatenate", &devices)?;
        let ax = axis("concatenate", axis_, first.ndim())?;
        let mut shape = first.shape().to_vec();
        shape[ax] = 0;
        for a in arrays {
            let ok = a.ndim() == first.ndim()
                && (0..a.ndim()).all(|d| d == ax || a.shape()[d] == first.shape()[d]);
            if !ok {
                return Err(Error::shape(
                    "concatenate",
                    format!(
                        "{:?} and {:?} differ outside axis {ax}",
                        first.shape(),
                        a.shape()
                    ),
                ));
            }
            shape[ax] += a.shape()[ax];
        }
        let mut out = Array::<T>::uninit(first.device(), &shape, "concatenate")?;
        let dst_strides = strides_of(&shape);
        let mut at = 0usize;
        for a in arrays {
            let copy = StridedCopy {
                shape: a.shape().to_vec(),
                src_offset: 0,
                src_strides: strides_of(a.shape()),
                dst_offset: at * dst_strides[ax] as usize,
                dst_strides: dst_strides.clone(),
            };
            out.copy_from(a, &copy)?;
            at += a.shape()[ax];
        }
        Ok(out)
    }

    /// The arrays (all of one shape) joined along a new axis.
    pub fn stack(arrays: &[&Array<T>], axis_: isize) -> Result<Array<T>> {
        let first = arrays
            .first()
            .ok_or_else(|| Error::invalid("stack", "no arrays given"))?;
        if let Some(a) = arrays.iter().find(|a| a.shape() != first.shape()) {
            return Err(Error::shape(
                "stack",
                format!("{:?} and {:?} differ", first.shape(), a.shape()),
            ));
        }
        let ax = axis("stack", axis_, first.ndim() + 1)?;
        let expanded: Vec<Array<T>> = arrays
            .iter()
            .map(|a| a.expand_dims(ax as isize))
            .collect::<Result<_>>()?;
        let refs: Vec<&Array<T>> = expanded.iter().collect();
        Array::concatenate(&refs, ax as isize)
    }

    /// A new axis of length 1 at `axis` (of the result; negative counts from the end).
    pub fn expand_dims(&self, axis_: isize) -> Result<Array<T>> {
        let ax = axis("expand_dims", axis_, self.ndim() + 1)?;
        if self.ndim() + 1 > 32 {
            return Err(Error::invalid("expand_dims", "more than 32 dimensions"));
        }
        let mut shape = self.shape().to_vec();
        shape.insert(ax, 1);
        self.share(&shape)
    }

    /// Axes of length 1 removed: `Some(axis)` that one (an error if its length is not 1),
    /// `None` all of them.
    pub fn squeeze(&self, axis_: Option<isize>) -> Result<Array<T>> {
        let shape: Vec<usize> = match axis_ {
            Some(a) => {
                let ax = axis("squeeze", a, self.ndim())?;
                if self.shape()[ax] != 1 {
                    return Err(Error::shape(
                        "squeeze",
                        format!(
                            "axis {ax} of {:?} has length {}, not 1",
                            self.shape(),
                            self.shape()[ax]
                        ),
                    ));
                }
                let mut s = self.shape().to_vec();
                s.remove(ax);
                s
            }
            None => self.shape().iter().copied().filter(|&n| n != 1).collect(),
        };
        self.share(&shape)
    }

    /// A copy of the array (arrays are immutable and always contiguous, so this is only
    /// needed to detach a buffer, e.g. before `Device::empty_cache`).
    pub fn copy(&self) -> Result<Array<T>> {
        self.gather(self.shape(), 0, strides_of(self.shape()))
    }
}

/// Kernels index at most this many merged axes.
pub(crate) fn check_rank(c: &StridedCopy) -> Result<()> {
    if c.shape.len() > MAX_RANK {
        return Err(Error::invalid(
            "strided copy",
            format!(
                "the copy needs {} separate axes after merging; at most {MAX_RANK} are supported",
                c.shape.len()
            ),
        ));
    }
    Ok(())
}
