//! Status codes, their static texts, and the per-thread last error message.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use crate::error::Error;

/// The result of every fallible exrkit function: `EXRKIT_OK` (0) or an error
/// code. Values never change once released.
pub type exrkit_status = u32;

/// Success.
pub const EXRKIT_OK: exrkit_status = 0;
/// A pointer was NULL, an index out of range, or a value not allowed.
pub const EXRKIT_ERR_INVALID_ARGUMENT: exrkit_status = 1;
/// The operating system or a stream callback failed.
pub const EXRKIT_ERR_IO: exrkit_status = 2;
/// The data is neither OpenEXR nor QOI.
pub const EXRKIT_ERR_UNKNOWN_FORMAT: exrkit_status = 3;
/// The file breaks a rule of its format.
pub const EXRKIT_ERR_CORRUPT: exrkit_status = 4;
/// The file uses a feature this build does not handle.
pub const EXRKIT_ERR_UNSUPPORTED: exrkit_status = 5;
/// The file asks for more than the configured limits allow.
pub const EXRKIT_ERR_LIMIT_EXCEEDED: exrkit_status = 6;
/// An allocation failed.
pub const EXRKIT_ERR_OUT_OF_MEMORY: exrkit_status = 7;
/// The caller's buffer is too small for the result.
pub const EXRKIT_ERR_BUFFER_TOO_SMALL: exrkit_status = 8;
/// The call is not allowed in the handle's current state.
pub const EXRKIT_ERR_BAD_STATE: exrkit_status = 9;
/// A progress callback asked to stop.
pub const EXRKIT_ERR_CANCELLED: exrkit_status = 10;
/// The data asked for was never written (an unfinished file).
pub const EXRKIT_ERR_INCOMPLETE: exrkit_status = 11;
/// The named attribute, channel or part does not exist.
pub const EXRKIT_ERR_NOT_FOUND: exrkit_status = 12;
/// A bug in exrkit (including a caught panic).
pub const EXRKIT_ERR_INTERNAL: exrkit_status = 13;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// The status code for an error.
pub(crate) fn status_of(error: &Error) -> exrkit_status {
    match error {
        Error::InvalidArgument(_) => EXRKIT_ERR_INVALID_ARGUMENT,
        Error::Io(_) => EXRKIT_ERR_IO,
        Error::UnknownFormat(_) => EXRKIT_ERR_UNKNOWN_FORMAT,
        Error::Corrupt(_) => EXRKIT_ERR_CORRUPT,
        Error::Unsupported(_) => EXRKIT_ERR_UNSUPPORTED,
        Error::LimitExceeded(_) => EXRKIT_ERR_LIMIT_EXCEEDED,
        Error::OutOfMemory(_) => EXRKIT_ERR_OUT_OF_MEMORY,
        Error::BufferTooSmall(_) => EXRKIT_ERR_BUFFER_TOO_SMALL,
        Error::BadState(_) => EXRKIT_ERR_BAD_STATE,
        Error::Cancelled(_) => EXRKIT_ERR_CANCELLED,
        Error::Incomplete(_) => EXRKIT_ERR_INCOMPLETE,
        Error::NotFound(_) => EXRKIT_ERR_NOT_FOUND,
        Error::Internal(_) => EXRKIT_ERR_INTERNAL,
    }
}

/// Stores `error`'s message as the calling thread's last error.
pub(crate) fn set_last_error(error: &Error) {
    let text = error.to_string().replace('\0', " ");
    let message = CString::new(text).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = message);
}

/// A static, NUL-terminated description of `status`, e.g. "corrupt file".
/// Unknown values give "unknown status". Never NULL.
#[no_mangle]
pub extern "C" fn exrkit_status_string(status: exrkit_status) -> *const c_char {
    let text: &'static [u8] = match status {
        EXRKIT_OK => b"success\0",
        EXRKIT_ERR_INVALID_ARGUMENT => b"invalid argument\0",
        EXRKIT_ERR_IO => b"i/o error\0",
        EXRKIT_ERR_UNKNOWN_FORMAT => b"unknown format\0",
        EXRKIT_ERR_CORRUPT => b"corrupt file\0",
        EXRKIT_ERR_UNSUPPORTED => b"unsupported feature\0",
        EXRKIT_ERR_LIMIT_EXCEEDED => b"limit exceeded\0",
        EXRKIT_ERR_OUT_OF_MEMORY => b"out of memory\0",
        EXRKIT_ERR_BUFFER_TOO_SMALL => b"buffer too small\0",
        EXRKIT_ERR_BAD_STATE => b"bad state\0",
        EXRKIT_ERR_CANCELLED => b"cancelled\0",
        EXRKIT_ERR_INCOMPLETE => b"incomplete file\0",
        EXRKIT_ERR_NOT_FOUND => b"not found\0",
        EXRKIT_ERR_INTERNAL => b"internal error\0",
        _ => b"unknown status\0",
    };
    text.as_ptr().cast()
}

/// The detailed message of the last failed exrkit call on the calling thread
/// (file, part, chunk and what was wrong), or "" if none failed yet. Valid
/// until the next failing call on the same thread. Never NULL.
#[no_mangle]
pub extern "C" fn exrkit_last_error_message() -> *const c_char {
    // The CString lives in this thread's slot until the next failure replaces it.
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}
