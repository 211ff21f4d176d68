//! `Array<T>`: a typed, row-major array of any rank resident on one device, with creation,
//! transfers between devices, and the bridge to and from host `ndarray` arrays.

use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::sync::Arc;

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};

use crate::backend::{Buffer, CreationOp, as_uninit, write_bytes};
use crate::device::Device;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::host::Gather;

/// A typed array of any rank on one device, stored row-major and contiguous.
///
/// Cloning is cheap: clones share the device buffer, which returns to the device's pool when
/// the last clone is dropped. Work on the array is queued; [`Array::to_ndarray`] and
/// [`Array::item`] are where the host waits.
///
/// ```
/// use streamcore::prelude::*;
/// let dev = Device::cpu();
/// let host = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
/// let x = Array::from_ndarray(&dev, &host.t())?;       // any layout
/// assert_eq!(x.to_ndarray()?, host.t().into_dyn());
/// # Ok::<(), streamcore::Error>(())
/// ```
pub struct Array<T: Element> {
    device: Device,
    buffer: Arc<Buffer>,
    shape: Vec<usize>,
    len: usize,
    _t: PhantomData<T>,
}

impl<T: Element> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array {
            device: self.device.clone(),
            buffer: self.buffer.clone(),
            shape: self.shape.clone(),
            len: self.len,
            _t: PhantomData,
        }
    }
}

impl<T: Element> fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Array<{}>(shape={:?}, device={})",
            T::DTYPE,
            self.shape,
            self.device
        )
    }
}

/// Element count and byte size of `shape` for `T`, or an error when they overflow.
fn checked_size<T: Element>(op: &'static str, shape: &[usize]) -> Result<(usize, usize)> {
    let too_big = || Error::SizeOverLimit {
        what: "array",
        requested: u64::MAX,
        limit: isize::MAX as u64,
        device: format!("any device (shape {shape:?} of {} in {op})", T::DTYPE),
    };
    let len = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(too_big)?;
    let bytes = len.checked_mul(T::DTYPE.size()).ok_or_else(too_big)?;
    if bytes > isize::MAX as usize {
        return Err(too_big());
    }
    Ok((len, bytes))
}

impl<T: Element> Array<T> {
    /// An uninitialised array; every constructor writes it fully before returning it.
    fn alloc(device: &Device, shape: &[usize], op: &'static str) -> Result<(Buffer, usize)> {
        device.backend().check_dtype(T::DTYPE)?;
        let (len, bytes) = checked_size::<T>(op, shape)?;
        let buffer = device.backend().alloc(bytes)?;
        Ok((buffer, len))
    }

    fn wrap(device: &Device, buffer: Buffer, shape: &[usize], len: usize) -> Self {
        Array {
            device: device.clone(),
            buffer: Arc::new(buffer),
            shape: shape.to_vec(),
            len,
            _t: PhantomData,
        }
    }

    fn with_creation(
        device: &Device,
        shape: &[usize],
        op: &'static str,
        c: CreationOp,
    ) -> Result<Self> {
        let (mut buf, len) = Self::alloc(device, shape, op)?;
        let bytes = len * T::DTYPE.size();
        if bytes > 0 {
            device.backend().creation(&mut buf, bytes, &c)?;
        }
        Ok(Self::wrap(device, buf, shape, len))
    }

    /// Runs elementwise `op` with operand dtype `operand` over `inputs` (on `device`) into a
    /// new array of `shape`.
    pub(crate) fn launch(
        device: &Device,
        shape: &[usize],
        op: crate::backend::ElementwiseOp,
        operand: DType,
        inputs: &[&Buffer],
        layout: &crate::backend::Layout,
    ) -> Result<Self> {
        debug_assert_eq!(op.out_dtype(operand), T::DTYPE);
        device.backend().check_dtype(operand)?;
        let (mut buf, len) = Self::alloc(device, shape, "elementwise")?;
        if len > 0 {
            device
                .backend()
                .elementwise(op, operand, inputs, &mut buf, layout)?;
        }
        Ok(Self::wrap(device, buf, shape, len))
    }

    /// An array whose contents the caller writes fully before anyone reads it (the shape
    /// and reduce families fill them with kernels).
    pub(crate) fn uninit(device: &Device, shape: &[usize], op: &'static str) -> Result<Self> {
        let (buf, len) = Self::alloc(device, shape, op)?;
        Ok(Self::wrap(device, buf, shape, len))
    }

    /// Runs a strided copy from `src` into this array's buffer. Only for arrays from
    /// `uninit` that no one else holds yet.
    pub(crate) fn copy_from(
        &mut self,
        src: &Array<T>,
        copy: &crate::backend::StridedCopy,
    ) -> Result<()> {
        let c = copy.merged();
        crate::ops::shape::check_rank(&c)?;
        if c.len() == 0 {
            return Ok(());
        }
        let device = self.device.clone();
        device
            .backend()
            .copy_strided(T::DTYPE, &src.buffer, self.buffer_mut()?, &c)
    }

    /// Mutable access to the buffer of an array from `uninit` that no one else holds yet.
    pub(crate) fn buffer_mut(&mut self) -> Result<&mut Buffer> {
        Arc::get_mut(&mut self.buffer).ok_or_else(|| {
            Error::invalid(
                "kernel output",
                "output buffer is shared (a bug in streamcore)",
            )
        })
    }

    /// The device buffer (crate-internal: kernels bind it).
    pub(crate) fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// A new array sharing this buffer: with another shape of the same length, or another
    /// element type of the same dtype (`T::Real` for real `T`). Arrays are immutable, so
    /// sharing is safe.
    pub(crate) fn share<U: Element>(&self, shape: &[usize]) -> Result<Array<U>> {
        let len: usize = shape.iter().product();
        if U::DTYPE != T::DTYPE || len != self.len {
            return Err(Error::invalid(
                "share",
                format!(
                    "cannot view {} elements of {} as {:?} of {}",
                    self.len,
                    T::DTYPE,
                    shape,
                    U::DTYPE
                ),
            ));
        }
        Ok(Array {
            device: self.device.clone(),
            buffer: self.buffer.clone(),
            shape: shape.to_vec(),
            len,
            _t: PhantomData,
        })
    }

    /// Copies any ndarray (owned or view, any layout: strided, transposed, negative steps)
    /// to `device`.
    pub fn from_ndarray<S, D>(device: &Device, host: &ArrayBase<S, D>) -> Result<Self>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let shape = host.shape().to_vec();
        let (mut buf, len) = Self::alloc(device, &shape, "from_ndarray")?;
        let bytes = len * T::DTYPE.size();
        if bytes > 0 {
            if let Some(s) = host.as_slice() {
                let src: &[u8] = bytemuck::cast_slice(s);
                device.backend().upload(&mut buf, bytes, &|off, dst| {
                    write_bytes(dst, &src[off..off + dst.len()])
                })?;
            } else {
                let g = Gather::new(host.view().into_dyn());
                let size = T::DTYPE.size();
                device
                    .backend()
                    .upload(&mut buf, bytes, &|off, dst| g.fill(off / size, dst))?;
            }
        }
        Ok(Self::wrap(device, buf, &shape, len))
    }

    /// An array of `shape` holding `data` in row-major order.
    ///
    /// ```
    /// let dev = streamcore::Device::cpu();
    /// let x = streamcore::Array::from_vec(&dev, vec![1u32, 2, 3, 4, 5, 6], &[2, 3])?;
    /// assert_eq!(x.shape(), &[2, 3]);
    /// assert!(streamcore::Array::from_vec(&dev, vec![1u32, 2], &[3]).is_err());
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn from_vec(device: &Device, data: Vec<T>, shape: &[usize]) -> Result<Self> {
        Self::from_slice(device, &data, shape)
    }

    /// An array of `shape` copied from `data` in row-major order.
    pub fn from_slice(device: &Device, data: &[T], shape: &[usize]) -> Result<Self> {
        let (len, _) = checked_size::<T>("from_slice", shape)?;
        if len != data.len() {
            return Err(Error::shape(
                "from_vec",
                format!(
                    "{} elements cannot have shape {shape:?}, which holds {len}",
                    data.len()
                ),
            ));
        }
        let view = ndarray::ArrayView::from_shape(IxDyn(shape), data)
            .map_err(|e| Error::shape("from_vec", e.to_string()))?;
        Self::from_ndarray(device, &view)
    }

    /// An array of `shape` with every element `value`.
    pub fn full(device: &Device, shape: &[usize], value: T) -> Result<Self> {
        let pattern = bytemuck::bytes_of(&value).to_vec();
        Self::with_creation(device, shape, "full", CreationOp::Fill { pattern })
    }

    /// An array of zeros.
    pub fn zeros(device: &Device, shape: &[usize]) -> Result<Self> {
        Self::full(device, shape, <T as bytemuck::Zeroable>::zeroed())
    }

    /// An array of ones.
    pub fn ones(device: &Device, shape: &[usize]) -> Result<Self> {
        Self::full(device, shape, T::from_f64(1.0))
    }

    /// `start, start + step, ...` up to but excluding `stop`, as NumPy's `arange`.
    /// Integer dtypes need integral `start` and `step`.
    ///
    /// ```
    /// let dev = streamcore::Device::cpu();
    /// let x = streamcore::Array::<f32>::arange(&dev, 0.0, 1.0, 0.25)?;
    /// assert_eq!(x.to_vec()?, vec![0.0, 0.25, 0.5, 0.75]);
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn arange(device: &Device, start: f64, stop: f64, step: f64) -> Result<Self> {
        let op = crate::ops::creation::arange_op(T::DTYPE, start, stop, step)?;
        let CreationOp::Ramp { len, .. } = op else {
            unreachable!("arange_op builds a ramp")
        };
        Self::with_creation(device, &[len], "arange", op)
    }

    /// `num` evenly spaced values from `start` to `stop` inclusive, as NumPy's `linspace`.
    pub fn linspace(device: &Device, start: f64, stop: f64, num: usize) -> Result<Self> {
        let op = crate::ops::creation::linspace_op(T::DTYPE, start, stop, num)?;
        Self::with_creation(device, &[num], "linspace", op)
    }

    /// Copies the array to the host as an `ndarray::ArrayD`. Waits for queued work.
    pub fn to_ndarray(&self) -> Result<ArrayD<T>> {
        let v = self.to_vec()?;
        ArrayD::from_shape_vec(IxDyn(&self.shape), v)
            .map_err(|e| Error::shape("to_ndarray", e.to_string()))
    }

    /// Copies the elements to a host `Vec` in row-major order. Waits for queued work.
    pub fn to_vec(&self) -> Result<Vec<T>> {
        let mut v: Vec<T> = Vec::with_capacity(self.len);
        if self.len > 0 {
            let spare = v.spare_capacity_mut();
            let bytes = std::mem::size_of_val(spare);
            // SAFETY: MaybeUninit<T> is plain bytes of T's size; the view covers exactly the
            // spare capacity, which is uninitialised and exclusively ours.
            let dst = unsafe {
                std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<MaybeUninit<u8>>(), bytes)
            };
            crate::host::advise_huge_pages(dst.as_mut_ptr().cast(), bytes);
            self.device.backend().download(&self.buffer, dst)?;
            // SAFETY: download wrote every byte, and every bit pattern is a valid T (Pod).
            unsafe { v.set_len(self.len) };
        }
        Ok(v)
    }

    /// Copies the elements into `out` (row-major), reusing host memory the caller owns: the
    /// fastest way back, since a new `Vec` pays for the OS zeroing its fresh pages. Waits for
    /// queued work.
    ///
    /// ```
    /// let dev = streamcore::Device::cpu();
    /// let x = streamcore::Array::<i32>::arange(&dev, 0.0, 4.0, 1.0)?;
    /// let mut out = [0i32; 4];
    /// x.copy_to_slice(&mut out)?;
    /// assert_eq!(out, [0, 1, 2, 3]);
    /// assert!(x.copy_to_slice(&mut [0i32; 3]).is_err());
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn copy_to_slice(&self, out: &mut [T]) -> Result<()> {
        if out.len() != self.len {
            return Err(Error::shape(
                "copy_to_slice",
                format!(
                    "the array has {} elements (shape {:?}); the slice has {}",
                    self.len,
                    self.shape,
                    out.len()
                ),
            ));
        }
        if self.len > 0 {
            self.device
                .backend()
                .download(&self.buffer, as_uninit(bytemuck::cast_slice_mut(out)))?;
        }
        Ok(())
    }

    /// The single element of a one-element array (any rank), as NumPy's `item()`.
    pub fn item(&self) -> Result<T> {
        if self.len != 1 {
            return Err(Error::invalid(
                "item",
                format!(
                    "item() needs an array of exactly one element; this one has shape {:?}",
                    self.shape
                ),
            ));
        }
        let mut x = <T as bytemuck::Zeroable>::zeroed();
        self.device
            .backend()
            .download(&self.buffer, as_uninit(bytemuck::bytes_of_mut(&mut x)))?;
        Ok(x)
    }

    /// A copy on `device` (a cheap clone when it is already there).
    pub fn to_device(&self, device: &Device) -> Result<Array<T>> {
        if self.device.same(device) {
            return Ok(self.clone());
        }
        let (mut buf, len) = Self::alloc(device, &self.shape, "to_device")?;
        let bytes = len * T::DTYPE.size();
        if bytes > 0 {
            // With only the CPU backend compiled in, the first arm covers everything.
            #[allow(unreachable_patterns)]
            match (&*self.buffer, &mut buf) {
                // CPU source: the device uploads straight from our memory.
                (Buffer::Cpu(src), _) => {
                    let s = &src.bytes()[..bytes];
                    device.backend().upload(&mut buf, bytes, &|off, d| {
                        write_bytes(d, &s[off..off + d.len()])
                    })?;
                }
                // CPU destination: the source device downloads straight into it.
                (_, Buffer::Cpu(dst)) => {
                    self.device
                        .backend()
                        .download(&self.buffer, as_uninit(&mut dst.bytes_mut()[..bytes]))?;
                }
                // Between two accelerators: through host memory.
                _ => {
                    let host = self.to_vec()?;
                    let s: &[u8] = bytemuck::cast_slice(&host);
                    device.backend().upload(&mut buf, bytes, &|off, d| {
                        write_bytes(d, &s[off..off + d.len()])
                    })?;
                }
            }
        }
        Ok(Self::wrap(device, buf, &self.shape, len))
    }

    /// The shape (one extent per axis; empty for a 0-d array).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Size of the data in bytes.
    pub fn nbytes(&self) -> usize {
        self.len * T::DTYPE.size()
    }

    /// The element type's run-time tag.
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// The device holding the data.
    pub fn device(&self) -> &Device {
        &self.device
    }
}

/// `host.to_device(&dev)` for any ndarray, the same as [`Array::from_ndarray`].
pub trait NdarrayExt<T: Element> {
    /// Copies this host array to `device`.
    fn to_device(&self, device: &Device) -> Result<Array<T>>;
}

impl<T: Element, S: Data<Elem = T>, D: Dimension> NdarrayExt<T> for ArrayBase<S, D> {
    fn to_device(&self, device: &Device) -> Result<Array<T>> {
        Array::from_ndarray(device, self)
    }
}
