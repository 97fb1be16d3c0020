//! The boundary every export goes through: panics become
//! `EXRKIT_ERR_INTERNAL`, errors become a status plus the thread's last error
//! message, and raw pointers from C are checked before use.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::{exrkit_status, set_last_error, status_of, EXRKIT_ERR_INTERNAL, EXRKIT_OK};
use crate::error::{Error, Result};

/// Runs an export's body: `Ok` gives `EXRKIT_OK`, an error its status, and a
/// panic `EXRKIT_ERR_INTERNAL`; a failure's message becomes the last error.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> exrkit_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => EXRKIT_OK,
        Ok(Err(error)) => {
            set_last_error(&error);
            status_of(&error)
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&Error::Internal(format!("caught a panic: {what}")));
            EXRKIT_ERR_INTERNAL
        }
    }
}

/// Runs a body that cannot fail in a way C can see (a destructor), swallowing panics.
pub(crate) fn guard_silent(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

fn null(name: &str) -> Error {
    Error::InvalidArgument(format!("'{name}' is NULL"))
}

/// Borrows `*ptr`, or fails with `EXRKIT_ERR_INVALID_ARGUMENT` naming the
/// argument if it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must point to a valid `T` that outlives `'a`.
pub(crate) unsafe fn arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: non-NULL pointers are valid per this function's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// `ptr`, or an error naming it if it is NULL.
pub(crate) fn non_null<T>(ptr: *const T, name: &str) -> Result<*const T> {
    if ptr.is_null() {
        Err(null(name))
    } else {
        Ok(ptr)
    }
}

/// Borrows `count` values at `ptr`; NULL is allowed for none.
///
/// # Safety
/// A non-NULL `ptr` must point to `count` valid values that outlive `'a`.
pub(crate) unsafe fn arg_slice<'a, T>(ptr: *const T, count: usize, name: &str) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    // SAFETY: non-NULL pointers hold `count` values per this function's contract.
    Ok(unsafe { std::slice::from_raw_parts(arg(ptr, name)?, count) })
}

/// Checks an output pointer: returns it if non-NULL.
pub(crate) fn out<T>(ptr: *mut T, name: &str) -> Result<*mut T> {
    if ptr.is_null() {
        Err(null(name))
    } else {
        Ok(ptr)
    }
}

/// Writes `value` through a checked output pointer.
///
/// # Safety
/// `ptr` must be valid for writes of a `T` (it was checked non-NULL by [`out`]).
pub(crate) unsafe fn write<T>(ptr: *mut T, value: T) {
    // SAFETY: per this function's contract; write does not read or drop the old value.
    unsafe { ptr.write(value) }
}

/// Borrows a NUL-terminated string argument.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a CStr> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL and NUL-terminated per this function's contract.
    Ok(unsafe { CStr::from_ptr(ptr) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::status::{exrkit_last_error_message, EXRKIT_ERR_CORRUPT};

    fn last_message() -> String {
        // SAFETY: the function returns a valid NUL-terminated string.
        unsafe { CStr::from_ptr(exrkit_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn panics_become_internal_errors_with_a_message() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, EXRKIT_ERR_INTERNAL);
        assert!(last_message().contains("boom"), "{}", last_message());
    }

    #[test]
    fn errors_map_to_their_status_and_message() {
        assert_eq!(guard(|| Ok(())), EXRKIT_OK);
        let status = guard(|| Err(Error::Corrupt("chunk 3 is bad".into())));
        assert_eq!(status, EXRKIT_ERR_CORRUPT);
        assert_eq!(last_message(), "corrupt file: chunk 3 is bad");
    }
}
