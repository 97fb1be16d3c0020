//! The one error type of the crate, mapped one to one onto `exrkit_status`.

use std::fmt;

/// What went wrong, as a kind plus a message that names the file, part and
/// chunk where they are known.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A caller passed a value the function does not accept.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The operating system or a stream callback reported a failure.
    #[error("i/o error: {0}")]
    Io(String),
    /// The data is neither OpenEXR nor QOI.
    #[error("unknown format: {0}")]
    UnknownFormat(String),
    /// The file breaks a rule of its format.
    #[error("corrupt file: {0}")]
    Corrupt(String),
    /// The file is valid but uses a feature this build cannot handle.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The file asks for more than the configured limits allow.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// An allocation failed.
    #[error("out of memory: {0}")]
    OutOfMemory(String),
    /// A caller's buffer cannot hold the result.
    #[error("buffer too small: {0}")]
    BufferTooSmall(String),
    /// The call is not allowed in the handle's current state.
    #[error("bad state: {0}")]
    BadState(String),
    /// A progress callback asked to stop.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// The data needed is missing, as in a file whose writing never finished.
    #[error("incomplete file: {0}")]
    Incomplete(String),
    /// A named item (attribute, channel, part) does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A bug in exrkit.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Resizes `buffer` to `len` elements (new ones default), reporting an
/// allocation failure as [`Error::OutOfMemory`] instead of aborting.
pub(crate) fn try_resize<T: Copy + Default>(buffer: &mut Vec<T>, len: usize) -> Result<()> {
    if len > buffer.len() {
        buffer.try_reserve_exact(len - buffer.len())?;
    }
    buffer.resize(len, T::default());
    Ok(())
}

/// The first `len` elements of `buffer`, which grows (new elements
/// default) when it holds fewer and never shrinks: a buffer reused for
/// blocks of varying sizes is zeroed only where it grows. The elements
/// keep what earlier blocks left, so callers must fill all of them.
pub(crate) fn grown<T: Copy + Default>(buffer: &mut Vec<T>, len: usize) -> Result<&mut [T]> {
    if buffer.len() < len {
        try_resize(buffer, len)?;
    }
    Ok(&mut buffer[..len])
}

impl Error {
    /// Prefixes the message with where the error happened, e.g. `part 2`.
    #[must_use]
    pub fn context(self, place: impl fmt::Display) -> Self {
        self.map_message(|m| format!("{place}: {m}"))
    }

    /// The message without the kind's prefix.
    pub fn message(&self) -> &str {
        match self {
            Self::InvalidArgument(m)
            | Self::Io(m)
            | Self::UnknownFormat(m)
            | Self::Corrupt(m)
            | Self::Unsupported(m)
            | Self::LimitExceeded(m)
            | Self::OutOfMemory(m)
            | Self::BufferTooSmall(m)
            | Self::BadState(m)
            | Self::Cancelled(m)
            | Self::Incomplete(m)
            | Self::NotFound(m)
            | Self::Internal(m) => m,
        }
    }

    fn map_message(self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            Self::InvalidArgument(m) => Self::InvalidArgument(f(&m)),
            Self::Io(m) => Self::Io(f(&m)),
            Self::UnknownFormat(m) => Self::UnknownFormat(f(&m)),
            Self::Corrupt(m) => Self::Corrupt(f(&m)),
            Self::Unsupported(m) => Self::Unsupported(f(&m)),
            Self::LimitExceeded(m) => Self::LimitExceeded(f(&m)),
            Self::OutOfMemory(m) => Self::OutOfMemory(f(&m)),
            Self::BufferTooSmall(m) => Self::BufferTooSmall(f(&m)),
            Self::BadState(m) => Self::BadState(f(&m)),
            Self::Cancelled(m) => Self::Cancelled(f(&m)),
            Self::Incomplete(m) => Self::Incomplete(f(&m)),
            Self::NotFound(m) => Self::NotFound(f(&m)),
            Self::Internal(m) => Self::Internal(f(&m)),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::OutOfMemory => Self::OutOfMemory(e.to_string()),
            _ => Self::Io(e.to_string()),
        }
    }
}

impl From<std::collections::TryReserveError> for Error {
    fn from(e: std::collections::TryReserveError) -> Self {
        Self::OutOfMemory(e.to_string())
    }
}

/// Returns early with `Error::Corrupt(format!(...))`.
macro_rules! corrupt {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::Corrupt(format!($($arg)*)))
    };
}
pub(crate) use corrupt;
