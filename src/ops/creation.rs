//! The `creation` op family, backend-independent part: argument checks for `arange` and
//! `linspace`, turned into the ramp that every backend runs (see shaders/creation.wgsl).

use crate::backend::CreationOp;
use crate::element::DType;
use crate::error::{Error, Result};

/// NumPy's `arange(start, stop, step)` as a ramp: `ceil((stop - start) / step)` elements.
pub(crate) fn arange_op(dtype: DType, start: f64, stop: f64, step: f64) -> Result<CreationOp> {
    if !(start.is_finite() && stop.is_finite() && step.is_finite()) {
        return Err(Error::invalid(
            "arange",
            format!("start {start}, stop {stop} and step {step} must be finite"),
        ));
    }
    if step == 0.0 {
        return Err(Error::invalid("arange", "step must not be zero"));
    }
    if !dtype.is_float() && (start.fract() != 0.0 || step.fract() != 0.0) {
        return Err(Error::invalid(
            "arange",
            format!("{dtype} needs integral start and step; got start {start}, step {step}"),
        ));
    }
    let n = ((stop - start) / step).ceil();
    let len = if n > 0.0 { n } else { 0.0 };
    if len > (1u64 << 53) as f64 {
        return Err(Error::invalid(
            "arange",
            format!("{len} elements is more than any device can hold"),
        ));
    }
    Ok(CreationOp::Ramp {
        dtype,
        len: len as usize,
        start,
        step,
        last: None,
    })
}

/// NumPy's `linspace(start, stop, num)` (endpoint included) as a ramp whose last element is
/// exactly `stop`.
pub(crate) fn linspace_op(dtype: DType, start: f64, stop: f64, num: usize) -> Result<CreationOp> {
    if !(start.is_finite() && stop.is_finite()) {
        return Err(Error::invalid(
            "linspace",
            format!("start {start} and stop {stop} must be finite"),
        ));
    }
    let step = if num > 1 {
        (stop - start) / (num - 1) as f64
    } else {
        0.0
    };
    if !dtype.is_float() && step.fract() != 0.0 {
        return Err(Error::invalid(
            "linspace",
            format!(
                "{dtype} values from {start} to {stop} in {num} steps are not integers; \
                 use a float dtype and cast"
            ),
        ));
    }
    Ok(CreationOp::Ramp {
        dtype,
        len: num,
        start,
        step,
        last: (num > 1).then_some(stop),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(op: CreationOp) -> usize {
        match op {
            CreationOp::Ramp { len, .. } => len,
            CreationOp::Fill { .. } => unreachable!(),
        }
    }

    #[test]
    fn arange_lengths_match_numpy() {
        assert_eq!(len(arange_op(DType::F32, 0.0, 10.0, 1.0).unwrap()), 10);
        assert_eq!(len(arange_op(DType::F32, 0.0, 1.0, 0.3).unwrap()), 4);
        assert_eq!(len(arange_op(DType::I32, 10.0, 0.0, -3.0).unwrap()), 4);
        assert_eq!(len(arange_op(DType::F64, 5.0, 0.0, 1.0).unwrap()), 0);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(arange_op(DType::F32, 0.0, 1.0, 0.0).is_err());
        assert!(arange_op(DType::F32, 0.0, f64::INFINITY, 1.0).is_err());
        assert!(arange_op(DType::I32, 0.0, 3.0, 0.5).is_err());
        assert!(arange_op(DType::F32, 0.0, 1e300, 1e-300).is_err());
        assert!(linspace_op(DType::I32, 0.0, 1.0, 3).is_err());
        assert!(linspace_op(DType::F32, f64::NAN, 1.0, 3).is_err());
    }
}
