//! Fast Fourier transforms with numpy.fft's meaning on every device: complex and real, 1-D
//! to N-D over any axes, any length (mixed radix 2-3-4-5-7-8, Bluestein for the rest).
//!
//! ```
//! use streamcore::prelude::*;
//! use streamcore::fft;
//! let dev = Device::cpu();
//! let x = Array::from_vec(&dev, vec![1.0f32, 2.0, 3.0, 4.0], &[4])?;
//! let z = fft::fft(&x)?;                                    // Array<Complex32>
//! assert_eq!(z.to_vec()?[0], Complex32::new(10.0, 0.0));
//! let back = fft::irfft(&fft::rfft(&x)?, Some(4))?;        // Array<f32>
//! let err = back.to_vec()?.iter().zip([1.0, 2.0, 3.0, 4.0]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
//! assert!(err < 1e-6);
//! # Ok::<(), streamcore::Error>(())
//! ```

pub(crate) mod plan;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use num_complex::Complex;

use crate::array::Array;
use crate::device::Device;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::ops::shape::{Slice, axis as norm_axis};
use plan::Scale;

/// Which direction carries the `1/n` (NumPy's `norm`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Norm {
    /// Forward unscaled, inverse scaled by `1/n` (the default).
    #[default]
    Backward,
    /// Both scaled by `1/sqrt(n)`: unitary.
    Ortho,
    /// Forward scaled by `1/n`, inverse unscaled.
    Forward,
}

impl Norm {
    fn scale(self, inverse: bool) -> Scale {
        match (self, inverse) {
            (Norm::Backward, false) | (Norm::Forward, true) => Scale::One,
            (Norm::Backward, true) | (Norm::Forward, false) => Scale::InvN,
            (Norm::Ortho, _) => Scale::InvSqrtN,
        }
    }
}

/// Element types an FFT takes: real floats and complex numbers, with their complex type.
pub trait FftElement: Element {
    /// The complex type of the transform (`Complex<f32>` for f32 and `Complex<f32>`).
    type Complex: Element<Real = <Self as Element>::Real> + FftElement;
}
impl FftElement for f32 {
    type Complex = Complex<f32>;
}
impl FftElement for f64 {
    type Complex = Complex<f64>;
}
impl FftElement for Complex<f32> {
    type Complex = Complex<f32>;
}
impl FftElement for Complex<f64> {
    type Complex = Complex<f64>;
}

/// Options of the 1-D transforms: the length `n` along `axis` (cropped or zero-padded as
/// NumPy does; `None` keeps the input's), the axis, and the normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FftOptions {
    /// Transform length (`None`: the axis length; for `irfft`, `2 (m - 1)`).
    pub n: Option<usize>,
    /// The axis (negative counts from the end).
    pub axis: isize,
    /// Normalisation.
    pub norm: Norm,
}

impl Default for FftOptions {
    fn default() -> Self {
        FftOptions {
            n: None,
            axis: -1,
            norm: Norm::Backward,
        }
    }
}

/// Options of the N-D transforms: lengths `s` over `axes` (NumPy's `s` and `axes`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FftnOptions {
    /// Lengths per transformed axis (`None`: the input's; for `irfftn` the last is `2 (m - 1)`).
    pub s: Option<Vec<usize>>,
    /// The axes (`None`: the last `s.len()` axes, or every axis).
    pub axes: Option<Vec<isize>>,
    /// Normalisation.
    pub norm: Norm,
}

fn check_complex<C: Element>(op: &'static str) -> Result<()> {
    if C::DTYPE.is_complex() {
        Ok(())
    } else {
        Err(Error::DtypeUnsupported {
            dtype: C::DTYPE,
            device: format!("any device (op {op})"),
            reason: "this transform takes complex input (Complex32 or Complex64)".into(),
        })
    }
}

/// `x` with axis `ax` cropped or zero-padded to `n`.
fn resize<T: Element>(op: &'static str, x: &Array<T>, ax: usize, n: usize) -> Result<Array<T>> {
    if n == 0 {
        return Err(Error::invalid(
            op,
            "the transform length must be at least 1",
        ));
    }
    let len = x.shape()[ax];
    if n == len {
        return Ok(x.clone());
    }
    if n < len {
        let mut sl = vec![Slice::ALL; x.ndim()];
        sl[ax] = Slice::range(0, n as isize);
        return x.slice(&sl);
    }
    let mut pad_shape = x.shape().to_vec();
    pad_shape[ax] = n - len;
    let pad = Array::<T>::zeros(x.device(), &pad_shape)?;
    Array::concatenate(&[x, &pad], ax as isize)
}

/// An array of `values` shaped to broadcast along axis `ax` of a rank-`ndim` array.
fn along<C: Element>(dev: &Device, values: Vec<C>, ax: usize, ndim: usize) -> Result<Array<C>> {
    let mut shape = vec![1; ndim];
    shape[ax] = values.len();
    Array::from_vec(dev, values, &shape)
}

/// The complex value (re, im) as `C`.
fn cval<C: Element>((re, im): (f64, f64)) -> C {
    C::from_c64(re, im)
}

/// Host spectra of the Bluestein filters, `FFT_m(conj(w))` in f64, by (n, inverse).
fn bluestein_filter(n: usize, inverse: bool) -> Arc<Vec<(f64, f64)>> {
    type Cache = Mutex<HashMap<(usize, bool), Arc<Vec<(f64, f64)>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut c = crate::backend::lock(CACHE.get_or_init(Default::default));
    c.entry((n, inverse))
        .or_insert_with(|| {
            let m = plan::bluestein_len(n);
            let w = plan::chirp(n);
            let mut b = vec![Complex::new(0.0f64, 0.0); m];
            for (k, &(re, im)) in w.iter().enumerate() {
                // The filter is conj(w) for the forward transform, w for the inverse.
                let v = if inverse {
                    Complex::new(re, im)
                } else {
                    Complex::new(re, -im)
                };
                b[k] = v;
                if k > 0 {
                    b[m - k] = v;
                }
            }
            rustfft::FftPlanner::<f64>::new()
                .plan_fft_forward(m)
                .process(&mut b);
            Arc::new(b.into_iter().map(|z| (z.re, z.im)).collect())
        })
        .clone()
}

/// The transform of complex `x` (of `C`'s dtype, so that `T` may be `C` itself or its
/// generic twin) along `ax` by the backend's kernels, when they take its length; `None` when
/// the length needs Bluestein or the transform is the identity. No array besides the output
/// is made: at 1024 points on the CPU each one costs about 2% of the call.
fn c2c_direct<T: Element, C: Element>(
    x: &Array<T>,
    ax: usize,
    inverse: bool,
    scale: Scale,
) -> Result<Option<Array<C>>> {
    debug_assert_eq!(T::DTYPE, C::DTYPE);
    let shape = x.shape();
    let n = shape[ax];
    let dev = x.device();
    let backend = dev.backend();
    backend.check_dtype(C::DTYPE)?;
    if x.is_empty() || n == 1 || !(backend.fft_any_length() || plan::smooth(n)) {
        return Ok(None);
    }
    let outer: usize = shape[..ax].iter().product();
    let inner: usize = shape[ax + 1..].iter().product();
    let mut out = Array::<C>::uninit(dev, shape, "fft")?;
    backend.fft(
        C::DTYPE,
        x.buffer(),
        out.buffer_mut()?,
        [outer, n, inner],
        inverse,
        scale,
    )?;
    Ok(Some(out))
}

/// The complex transform of `x` along `ax` (its full length), scaled as `scale` says.
fn c2c<C: Element>(x: &Array<C>, ax: usize, inverse: bool, scale: Scale) -> Result<Array<C>> {
    if let Some(out) = c2c_direct(x, ax, inverse, scale)? {
        return Ok(out);
    }
    let n = x.shape()[ax];
    if x.is_empty() || n == 1 {
        // A one-point transform is the point itself, and every scale of it is 1.
        return Ok(x.clone());
    }
    let dev = x.device().clone();
    // Bluestein: X = w . ((x . w) (*) conj(w)), the convolution by FFTs of a smooth length.
    let m = plan::bluestein_len(n);
    let nd = x.ndim();
    let s = scale.factor(n);
    let w: Vec<(f64, f64)> = plan::chirp(n)
        .into_iter()
        .map(|(re, im)| if inverse { (re, -im) } else { (re, im) })
        .collect();
    let w_in = along::<C>(&dev, w.iter().map(|&v| cval(v)).collect(), ax, nd)?;
    let w_out = along::<C>(
        &dev,
        w.iter().map(|&(re, im)| cval((re * s, im * s))).collect(),
        ax,
        nd,
    )?;
    let filter = bluestein_filter(n, inverse);
    let f = along::<C>(&dev, filter.iter().map(|&v| cval(v)).collect(), ax, nd)?;
    let a = resize("fft", &x.mul(&w_in)?, ax, m)?;
    let spec = c2c(&a, ax, false, Scale::One)?.mul(&f)?;
    let conv = c2c(&spec, ax, true, Scale::InvN)?;
    let mut sl = vec![Slice::ALL; nd];
    sl[ax] = Slice::range(0, n as isize);
    conv.slice(&sl)?.mul(&w_out)
}

/// Complex input for a transform: `x` itself, or cast when real.
fn complex_of<T: FftElement>(x: &Array<T>) -> Result<Array<T::Complex>> {
    if T::DTYPE.is_complex() {
        x.share(x.shape())
    } else if T::DTYPE.is_float() {
        x.cast::<T::Complex>()
    } else {
        Err(Error::DtypeUnsupported {
            dtype: T::DTYPE,
            device: "any device (op fft)".into(),
            reason: "FFTs take f32, f64, Complex32 or Complex64".into(),
        })
    }
}

fn fft_impl<T: FftElement>(
    op: &'static str,
    x: &Array<T>,
    o: &FftOptions,
    inverse: bool,
) -> Result<Array<T::Complex>> {
    let ax = norm_axis(op, o.axis, x.ndim())?;
    let n = o.n.unwrap_or(x.shape()[ax]);
    let scale = o.norm.scale(inverse);
    if T::DTYPE.is_complex() && n == x.shape()[ax] {
        // Complex input at its own length: straight to the kernels where they take it.
        if let Some(out) = c2c_direct(x, ax, inverse, scale)? {
            return Ok(out);
        }
    }
    let xc = resize(op, &complex_of(x)?, ax, n)?;
    c2c(&xc, ax, inverse, scale)
}

/// The discrete Fourier transform along the last axis (real input is taken as complex).
pub fn fft<T: FftElement>(x: &Array<T>) -> Result<Array<T::Complex>> {
    fft_with(x, &FftOptions::default())
}

/// [`fft`] with a length, axis and normalisation.
pub fn fft_with<T: FftElement>(x: &Array<T>, o: &FftOptions) -> Result<Array<T::Complex>> {
    fft_impl("fft", x, o, false)
}

/// The inverse transform along the last axis, scaled by `1/n`.
pub fn ifft<T: FftElement>(x: &Array<T>) -> Result<Array<T::Complex>> {
    ifft_with(x, &FftOptions::default())
}

/// [`ifft`] with a length, axis and normalisation.
pub fn ifft_with<T: FftElement>(x: &Array<T>, o: &FftOptions) -> Result<Array<T::Complex>> {
    fft_impl("ifft", x, o, true)
}

/// The transform of real input along the last axis: the `n/2 + 1` non-negative frequencies.
pub fn rfft<T: FftElement>(x: &Array<T>) -> Result<Array<T::Complex>> {
    rfft_with(x, &FftOptions::default())
}

/// [`rfft`] with a length, axis and normalisation.
pub fn rfft_with<T: FftElement>(x: &Array<T>, o: &FftOptions) -> Result<Array<T::Complex>> {
    if T::DTYPE.is_complex() {
        return Err(Error::DtypeUnsupported {
            dtype: T::DTYPE,
            device: "any device (op rfft)".into(),
            reason: "rfft takes real input (f32 or f64); use fft for complex".into(),
        });
    }
    let ax = norm_axis("rfft", o.axis, x.ndim())?;
    let n = o.n.unwrap_or(x.shape()[ax]);
    if let Some(out) = real_transform::<T, T::Complex>(x, ax, n, n / 2 + 1, false, o.norm)? {
        return Ok(out);
    }
    let full = fft_impl("rfft", x, o, false)?;
    let n = full.shape()[ax];
    let mut sl = vec![Slice::ALL; x.ndim()];
    sl[ax] = Slice::range(0, (n / 2 + 1) as isize);
    full.slice(&sl)
}

/// The inverse of [`rfft`]: `n` real samples (default `2 (m - 1)` for `m` input bins).
pub fn irfft<C: FftElement>(x: &Array<C>, n: Option<usize>) -> Result<Array<C::Real>> {
    irfft_with(
        x,
        &FftOptions {
            n,
            ..FftOptions::default()
        },
    )
}

/// [`irfft`] with a length, axis and normalisation.
pub fn irfft_with<C: FftElement>(x: &Array<C>, o: &FftOptions) -> Result<Array<C::Real>> {
    check_complex::<C>("irfft")?;
    let ax = norm_axis("irfft", o.axis, x.ndim())?;
    let m = x.shape()[ax];
    let n = match o.n {
        Some(n) => n,
        None if m >= 1 => 2 * (m - 1),
        None => 0,
    };
    if n == 0 {
        return Err(Error::invalid(
            "irfft",
            format!("output length 0 (from {m} input bins): give n >= 1"),
        ));
    }
    if let Some(out) = real_transform::<C, C::Real>(x, ax, n / 2 + 1, n, true, o.norm)? {
        return Ok(out);
    }
    // The Hermitian spectrum of length n: bins 0..=n/2 as given (cropped or padded), the
    // rest conj(X[n - k]).
    let half = resize("irfft", &x.share::<C>(x.shape())?, ax, n / 2 + 1)?;
    let tail_len = n - (n / 2 + 1);
    let full = if tail_len > 0 {
        let mut sl = vec![Slice::ALL; x.ndim()];
        sl[ax] = Slice::new(Some(tail_len as isize), Some(0), -1);
        let tail = half.slice(&sl)?.conj()?;
        Array::concatenate(&[&half, &tail], ax as isize)?
    } else {
        half
    };
    c2c(&full, ax, true, o.norm.scale(true))?.real()
}

/// A real transform along the last axis on a backend that has one (`Backend::fft_real`):
/// `x` resized to `len_in` along it, into `len_out` elements of `U` per row. `None` when
/// the backend has none or the case is not one it runs (odd lengths, other axes); the caller
/// then runs the complex transform.
fn real_transform<T: Element, U: Element>(
    x: &Array<T>,
    ax: usize,
    len_in: usize,
    len_out: usize,
    inverse: bool,
    norm: Norm,
) -> Result<Option<Array<U>>> {
    let n = if inverse { len_out } else { len_in };
    let dev = x.device().clone();
    let even_last = ax + 1 == x.ndim() && n >= 2 && n.is_multiple_of(2);
    if !even_last || x.is_empty() || !dev.backend().has_fft_real(n) {
        return Ok(None);
    }
    let complex = if inverse { T::DTYPE } else { U::DTYPE };
    dev.backend().check_dtype(complex)?;
    let xr = resize(if inverse { "irfft" } else { "rfft" }, x, ax, len_in)?;
    let mut shape = x.shape().to_vec();
    let rows = x.len() / shape[ax];
    shape[ax] = len_out;
    let mut out = Array::<U>::uninit(&dev, &shape, if inverse { "irfft" } else { "rfft" })?;
    dev.backend().fft_real(
        complex,
        xr.buffer(),
        out.buffer_mut()?,
        [rows, n],
        inverse,
        norm.scale(inverse),
    )?;
    Ok(Some(out))
}

/// The axes and lengths of an N-D transform.
fn nd_axes<T: Element>(
    op: &'static str,
    x: &Array<T>,
    o: &FftnOptions,
    real_inverse: bool,
) -> Result<Vec<(usize, usize)>> {
    let nd = x.ndim();
    let axes: Vec<usize> = match (&o.axes, &o.s) {
        (Some(a), _) => a
            .iter()
            .map(|&v| norm_axis(op, v, nd))
            .collect::<Result<_>>()?,
        (None, Some(s)) => {
            if s.len() > nd {
                return Err(Error::invalid(
                    op,
                    format!("s has {} lengths for {nd} axes", s.len()),
                ));
            }
            (nd - s.len()..nd).collect()
        }
        (None, None) => (0..nd).collect(),
    };
    if axes.is_empty() {
        return Err(Error::invalid(op, "no axes to transform"));
    }
    let mut seen = axes.clone();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid(op, format!("axis repeated in {axes:?}")));
    }
    let lens: Vec<usize> = match &o.s {
        Some(s) if s.len() != axes.len() => {
            return Err(Error::invalid(
                op,
                format!("s has {} lengths for {} axes", s.len(), axes.len()),
            ));
        }
        Some(s) => s.clone(),
        None => axes
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let m = x.shape()[a];
                if real_inverse && i == axes.len() - 1 {
                    2 * m.saturating_sub(1)
                } else {
                    m
                }
            })
            .collect(),
    };
    Ok(axes.into_iter().zip(lens).collect())
}

fn fftn_impl<T: FftElement>(
    op: &'static str,
    x: &Array<T>,
    o: &FftnOptions,
    inverse: bool,
) -> Result<Array<T::Complex>> {
    let mut y = complex_of(x)?;
    for (ax, n) in nd_axes(op, x, o, false)? {
        y = c2c(&resize(op, &y, ax, n)?, ax, inverse, o.norm.scale(inverse))?;
    }
    Ok(y)
}

/// The N-D transform over `o.axes` (every axis by default).
pub fn fftn<T: FftElement>(x: &Array<T>, o: &FftnOptions) -> Result<Array<T::Complex>> {
    fftn_impl("fftn", x, o, false)
}

/// The N-D inverse transform.
pub fn ifftn<T: FftElement>(x: &Array<T>, o: &FftnOptions) -> Result<Array<T::Complex>> {
    fftn_impl("ifftn", x, o, true)
}

/// The 2-D transform over the last two axes.
pub fn fft2<T: FftElement>(x: &Array<T>) -> Result<Array<T::Complex>> {
    fftn(x, &last2())
}

/// The 2-D inverse transform over the last two axes.
pub fn ifft2<T: FftElement>(x: &Array<T>) -> Result<Array<T::Complex>> {
    ifftn(x, &last2())
}

fn last2() -> FftnOptions {
    FftnOptions {
        axes: Some(vec![-2, -1]),
        ..FftnOptions::default()
    }
}

/// The N-D transform of real input: [`rfft`] over the last axis, then [`fft`] over the rest.
pub fn rfftn<T: FftElement>(x: &Array<T>, o: &FftnOptions) -> Result<Array<T::Complex>> {
    let axes = nd_axes("rfftn", x, o, false)?;
    let (&(last, n), rest) = axes.split_last().expect("nd_axes gives at least one axis");
    let mut y = rfft_with(
        x,
        &FftOptions {
            n: Some(n),
            axis: last as isize,
            norm: o.norm,
        },
    )?;
    for &(ax, n) in rest {
        y = c2c(&resize("rfftn", &y, ax, n)?, ax, false, o.norm.scale(false))?;
    }
    Ok(y)
}

/// The inverse of [`rfftn`]: [`ifft`] over all but the last axis, then [`irfft`].
pub fn irfftn<C: FftElement>(x: &Array<C>, o: &FftnOptions) -> Result<Array<C::Real>> {
    check_complex::<C>("irfftn")?;
    let axes = nd_axes("irfftn", x, o, true)?;
    let (&(last, n), rest) = axes.split_last().expect("nd_axes gives at least one axis");
    let mut y = x.share::<C>(x.shape())?;
    for &(ax, m) in rest {
        y = c2c(&resize("irfftn", &y, ax, m)?, ax, true, o.norm.scale(true))?;
    }
    irfft_with(
        &y,
        &FftOptions {
            n: Some(n),
            axis: last as isize,
            norm: o.norm,
        },
    )
}

/// The 2-D transform of real input over the last two axes.
pub fn rfft2<T: FftElement>(x: &Array<T>) -> Result<Array<T::Complex>> {
    rfftn(x, &last2())
}

/// The inverse of [`rfft2`]; `s` gives the output's last two lengths.
pub fn irfft2<C: FftElement>(x: &Array<C>, s: Option<[usize; 2]>) -> Result<Array<C::Real>> {
    irfftn(
        x,
        &FftnOptions {
            s: s.map(|v| v.to_vec()),
            ..last2()
        },
    )
}

/// The sample frequencies of an `n`-point transform with sample spacing `d`:
/// `[0, 1, ..., n/2 - 1, -n/2, ..., -1] / (d n)` for even `n` (NumPy's `fftfreq`).
pub fn fftfreq<T: Element>(device: &Device, n: usize, d: f64) -> Result<Array<T>> {
    freq_check::<T>("fftfreq", n, d)?;
    let v = (0..n)
        .map(|i| {
            let k = if i < n.div_ceil(2) {
                i as f64
            } else {
                i as f64 - n as f64
            };
            T::from_f64(k / (d * n as f64))
        })
        .collect();
    Array::from_vec(device, v, &[n])
}

/// The non-negative sample frequencies of an `n`-point [`rfft`]: `[0, ..., n/2] / (d n)`.
pub fn rfftfreq<T: Element>(device: &Device, n: usize, d: f64) -> Result<Array<T>> {
    freq_check::<T>("rfftfreq", n, d)?;
    let v = (0..=n / 2)
        .map(|i| T::from_f64(i as f64 / (d * n as f64)))
        .collect();
    Array::from_vec(device, v, &[n / 2 + 1])
}

fn freq_check<T: Element>(op: &'static str, n: usize, d: f64) -> Result<()> {
    if !T::DTYPE.is_float() || T::DTYPE.is_complex() {
        return Err(Error::DtypeUnsupported {
            dtype: T::DTYPE,
            device: format!("any device (op {op})"),
            reason: "frequencies are real floats".into(),
        });
    }
    if n == 0 || d == 0.0 || !d.is_finite() {
        return Err(Error::invalid(
            op,
            format!("n = {n}, d = {d}: need n >= 1 and a finite d != 0"),
        ));
    }
    Ok(())
}

/// Rolls every axis in `axes` (all by default) by `shift(len)` positions.
fn roll_axes<T: Element>(
    op: &'static str,
    x: &Array<T>,
    axes: Option<&[isize]>,
    shift: impl Fn(usize) -> usize,
) -> Result<Array<T>> {
    let nd = x.ndim();
    let axes: Vec<usize> = match axes {
        Some(a) => a
            .iter()
            .map(|&v| norm_axis(op, v, nd))
            .collect::<Result<_>>()?,
        None => (0..nd).collect(),
    };
    let mut y = x.clone();
    for ax in axes {
        let n = y.shape()[ax];
        let s = if n == 0 { 0 } else { shift(n) % n };
        if s == 0 {
            continue;
        }
        let (mut head, mut tail) = (vec![Slice::ALL; nd], vec![Slice::ALL; nd]);
        head[ax] = Slice::range((n - s) as isize, n as isize);
        tail[ax] = Slice::range(0, (n - s) as isize);
        y = Array::concatenate(&[&y.slice(&head)?, &y.slice(&tail)?], ax as isize)?;
    }
    Ok(y)
}

/// Moves the zero frequency to the centre: rolls each of `axes` (all if `None`) by `n/2`.
pub fn fftshift<T: Element>(x: &Array<T>, axes: Option<&[isize]>) -> Result<Array<T>> {
    roll_axes("fftshift", x, axes, |n| n / 2)
}

/// The inverse of [`fftshift`]: rolls by `-(n/2)`.
pub fn ifftshift<T: Element>(x: &Array<T>, axes: Option<&[isize]>) -> Result<Array<T>> {
    roll_axes("ifftshift", x, axes, |n| n - n / 2)
}

/// A prepared complex transform of one shape, dtype, set of axes and direction on one
/// device. Building it plans every axis, uploads the twiddle tables and compiles the
/// kernels (by running once on zeros), so each [`FftPlan::execute`] only transforms.
/// Plain calls such as [`fft`] share the same per-device caches, so a plan is an
/// optimisation of the first call and a check of the shape, not a requirement.
///
/// ```
/// use streamcore::prelude::*;
/// use streamcore::fft::{FftPlan, Norm};
/// let dev = Device::cpu();
/// let plan = FftPlan::<Complex32>::new(&dev, &[8, 100], &[-1], false, Norm::Backward)?;
/// let x = Array::<Complex32>::ones(&dev, &[8, 100])?;
/// let y = plan.execute(&x)?;
/// assert_eq!(y.to_vec()?[0], Complex32::new(100.0, 0.0));
/// # Ok::<(), streamcore::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FftPlan<C: FftElement> {
    device: Device,
    shape: Vec<usize>,
    axes: Vec<usize>,
    inverse: bool,
    norm: Norm,
    _c: std::marker::PhantomData<C>,
}

impl<C: FftElement> FftPlan<C> {
    /// Plans `shape` over `axes` (forward, or inverse when `inverse`) with `norm`.
    pub fn new(
        device: &Device,
        shape: &[usize],
        axes: &[isize],
        inverse: bool,
        norm: Norm,
    ) -> Result<FftPlan<C>> {
        check_complex::<C>("FftPlan")?;
        let zeros = Array::<C>::zeros(device, shape)?;
        let o = FftnOptions {
            s: None,
            axes: Some(axes.to_vec()),
            norm,
        };
        let list = nd_axes("FftPlan", &zeros, &o, false)?;
        if list.iter().any(|&(_, n)| n == 0) {
            return Err(Error::invalid(
                "FftPlan",
                format!("shape {shape:?} has an empty transformed axis"),
            ));
        }
        let plan = FftPlan {
            device: device.clone(),
            shape: shape.to_vec(),
            axes: list.into_iter().map(|(a, _)| a).collect(),
            inverse,
            norm,
            _c: std::marker::PhantomData,
        };
        // Warm every cache: host plans, device tables, compiled kernels, Bluestein filters.
        plan.execute(&zeros)?;
        device.synchronize()?;
        Ok(plan)
    }

    /// Transforms `x`, which must have the plan's shape and live on its device.
    pub fn execute(&self, x: &Array<C>) -> Result<Array<C>> {
        if x.shape() != self.shape.as_slice() {
            return Err(Error::shape(
                "FftPlan::execute",
                format!("planned for {:?}, given {:?}", self.shape, x.shape()),
            ));
        }
        crate::ops::elementwise::same_device("FftPlan::execute", &[&self.device, x.device()])?;
        let mut y = x.clone();
        for &ax in &self.axes {
            y = c2c(&y, ax, self.inverse, self.norm.scale(self.inverse))?;
        }
        Ok(y)
    }
}
