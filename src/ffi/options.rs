//! Option structs: each starts with `struct_size` and has an `_init`
//! function, so fields can be added without breaking callers.

use std::ffi::c_void;
use std::sync::Arc;

use super::guard::{guard, out, write};
use super::status::exrkit_status;
use crate::error::{Error, Result};
use crate::read::ReadOptions;

/// Reject what OpenEXR's strict header parsing rejects.
pub const EXRKIT_READ_STRICT: u32 = 1;
/// Do not rebuild damaged offset tables from the chunk leaders.
pub const EXRKIT_READ_NO_RECONSTRUCTION: u32 = 2;

/// Progress callback: `done` of `total` units of work are finished. Return
/// false to cancel the operation (it then fails with EXRKIT_ERR_CANCELLED).
/// Called after each chunk of a decode, from the decoding threads, possibly
/// several at once: it must be thread-safe.
pub type exrkit_progress_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, done: u64, total: u64) -> bool>;

/// How a reader treats files. Fill with exrkit_read_options_init, then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_read_options {
    /// sizeof(exrkit_read_options), set by exrkit_read_options_init.
    pub struct_size: usize,
    /// Decode threads: 0 = all cores (shared pool), 1 = the calling thread only.
    pub threads: u32,
    /// EXRKIT_READ_* flags.
    pub flags: u32,
    /// Largest data window in pixels a part may have; 0 = no limit.
    /// Default 2^31.
    pub max_image_pixels: u64,
    /// Largest number of deep samples a part may hold; 0 = no limit.
    /// Default 2^32.
    pub max_deep_samples: u64,
    /// Optional progress callback.
    pub progress: exrkit_progress_fn,
    /// Passed to `progress` unchanged.
    pub progress_user: *mut c_void,
}

const READ_OPTIONS_MIN_SIZE: usize = std::mem::offset_of!(exrkit_read_options, progress);

fn read_defaults() -> exrkit_read_options {
    let d = ReadOptions::default();
    exrkit_read_options {
        struct_size: std::mem::size_of::<exrkit_read_options>(),
        threads: d.threads,
        flags: 0,
        max_image_pixels: d.max_image_pixels,
        max_deep_samples: d.max_deep_samples,
        progress: None,
        progress_user: std::ptr::null_mut(),
    }
}

/// Fills `options` with the defaults: all cores, lenient parsing with table
/// reconstruction, the default limits, no progress callback.
///
/// # Safety
/// `options` must be NULL or point to a writable exrkit_read_options.
#[no_mangle]
pub unsafe extern "C" fn exrkit_read_options_init(
    options: *mut exrkit_read_options,
) -> exrkit_status {
    guard(|| {
        let options = out(options, "options")?;
        // SAFETY: checked non-NULL; the caller provides a whole struct.
        unsafe { write(options, read_defaults()) };
        Ok(())
    })
}

/// The user pointer of a C progress callback, which the caller promises may
/// be used from any thread.
struct ProgressUser(*mut c_void);
// SAFETY: the API documents that progress callbacks may run on worker threads;
// the caller vouches for the pointer's thread safety.
unsafe impl Send for ProgressUser {}
// SAFETY: as above; the pointer is only passed back to the caller's callback.
unsafe impl Sync for ProgressUser {}

/// A C progress callback and its user pointer as a Rust callback.
pub(crate) fn c_progress(
    callback: exrkit_progress_fn,
    user: *mut c_void,
) -> Option<crate::progress::ProgressFn> {
    callback.map(|callback| {
        let user = ProgressUser(user);
        Arc::new(move |done: u64, total: u64| {
            let user = &user;
            // SAFETY: the caller supplied this callback and its user pointer.
            unsafe { callback(user.0, done, total) }
        }) as crate::progress::ProgressFn
    })
}

/// What to do about a `struct_size` too small for a struct with an _init
/// function.
pub(crate) const INIT_FIRST: &str = "call its _init function first";

/// Reads a caller's struct that starts with `struct_size` (NULL gives
/// `defaults`): fields past a shorter, older struct keep their defaults. Only
/// `struct_size` bytes are read; a size below `min_size` is refused with
/// `fix` as the remedy.
///
/// # Safety
/// A non-NULL `ptr` must point to at least `struct_size` readable bytes.
pub(crate) unsafe fn versioned<T: Copy>(
    ptr: *const T,
    min_size: usize,
    defaults: T,
    what: &str,
    fix: &str,
) -> Result<T> {
    let mut value = defaults;
    if ptr.is_null() {
        return Ok(value);
    }
    // SAFETY: non-NULL; struct_size is the struct's first field.
    let size = unsafe { ptr.cast::<usize>().read_unaligned() };
    if !(min_size..=1 << 16).contains(&size) {
        return Err(Error::InvalidArgument(format!(
            "{what}.struct_size is {size}; {fix}"
        )));
    }
    let n = size.min(std::mem::size_of::<T>());
    // SAFETY: the caller's struct has `size` bytes and ours has at least `n`.
    unsafe {
        std::ptr::copy_nonoverlapping(
            ptr.cast::<u8>(),
            std::ptr::from_mut(&mut value).cast::<u8>(),
            n,
        )
    };
    Ok(value)
}

/// Converts C read options (NULL = defaults) into the Rust ones, honouring
/// `struct_size` so older callers with shorter structs keep working.
///
/// # Safety
/// A non-NULL `options` must point to at least `struct_size` readable bytes.
pub(crate) unsafe fn read_options(options: *const exrkit_read_options) -> Result<ReadOptions> {
    // SAFETY: forwarded from the caller.
    let c = unsafe {
        versioned(
            options,
            READ_OPTIONS_MIN_SIZE,
            read_defaults(),
            "options",
            INIT_FIRST,
        )
    }?;
    let known = EXRKIT_READ_STRICT | EXRKIT_READ_NO_RECONSTRUCTION;
    if c.flags & !known != 0 {
        return Err(Error::InvalidArgument(format!(
            "options.flags has unknown bits {:#x}",
            c.flags & !known
        )));
    }
    let progress = c_progress(c.progress, c.progress_user);
    Ok(ReadOptions {
        threads: c.threads,
        strict: c.flags & EXRKIT_READ_STRICT != 0,
        reconstruct: c.flags & EXRKIT_READ_NO_RECONSTRUCTION == 0,
        max_image_pixels: c.max_image_pixels,
        max_deep_samples: c.max_deep_samples,
        progress,
    })
}
