//! The one error type of streamcore and its `Result` alias.
//! Every fallible call returns one of these; nothing panics on user input.

use crate::element::DType;

/// `Result` with streamcore's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, each variant naming what was asked and what is allowed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Shapes that do not fit together (or a shape that does not fit the data).
    #[error("shape mismatch in {op}: {detail}")]
    ShapeMismatch {
        /// The operation that checked the shapes.
        op: &'static str,
        /// What was given and what was expected.
        detail: String,
    },

    /// The device cannot compute on this element type.
    #[error("dtype {dtype} is not supported on {device}: {reason}")]
    DtypeUnsupported {
        /// The element type that was asked for.
        dtype: DType,
        /// The device that refused it.
        device: String,
        /// Why (e.g. the adapter lacks SHADER_F64).
        reason: String,
    },

    /// A size over one of the device's limits.
    #[error("{what} of {requested} bytes is over the limit of {limit} bytes on {device}")]
    SizeOverLimit {
        /// What was too large (buffer, binding, shape).
        what: &'static str,
        /// The size that was asked for.
        requested: u64,
        /// The largest size the device allows.
        limit: u64,
        /// The device.
        device: String,
    },

    /// The device could not allocate the memory.
    #[error("out of memory on {device}: could not allocate {requested} bytes ({detail})")]
    OutOfMemory {
        /// The device.
        device: String,
        /// The number of bytes asked for.
        requested: u64,
        /// What the allocator said.
        detail: String,
    },

    /// A backend that is not compiled in, has no driver, or has no such device.
    #[error("backend {backend} unavailable: {reason}")]
    BackendUnavailable {
        /// `cpu`, `wgpu`, `wgpu-software` or `cuda`.
        backend: &'static str,
        /// Why it cannot be used.
        reason: String,
    },

    /// The device stopped working (driver reset, removal, lost context).
    #[error("device lost: {device}: {reason}")]
    DeviceLost {
        /// The device.
        device: String,
        /// What the driver reported.
        reason: String,
    },

    /// A kernel failed to compile; `log` is the compiler's own output.
    #[error("kernel `{kernel}` failed to compile for {device}:\n{log}")]
    KernelCompile {
        /// The kernel (op family and specialisation).
        kernel: String,
        /// The device it was compiled for.
        device: String,
        /// The compiler's log.
        log: String,
    },

    /// An argument out of its allowed range (axis, count, step, environment value).
    #[error("invalid argument to {op}: {detail}")]
    InvalidArgument {
        /// The call that rejected it.
        op: &'static str,
        /// What was given and what is allowed.
        detail: String,
    },

    /// Arrays on different devices given to one operation.
    #[error("device mismatch in {op}: {detail}")]
    DeviceMismatch {
        /// The operation.
        op: &'static str,
        /// Which devices were involved.
        detail: String,
    },

    /// An error reported by the backend's driver or validation layer that fits no other variant.
    #[error("backend error on {device}: {detail}")]
    Backend {
        /// The device.
        device: String,
        /// The driver's or validator's message.
        detail: String,
    },
}

impl Error {
    pub(crate) fn invalid(op: &'static str, detail: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            detail: detail.into(),
        }
    }

    pub(crate) fn shape(op: &'static str, detail: impl Into<String>) -> Self {
        Error::ShapeMismatch {
            op,
            detail: detail.into(),
        }
    }
}
