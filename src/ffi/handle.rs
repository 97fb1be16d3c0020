//! The handles C holds by pointer (readers, writers, deep images): made,
//! borrowed and freed only here, one function per kind and use, so no
//! export turns a handle pointer into a Rust reference by hand.
//!
//! A reader is immutable and a deep image changes only through
//! exrkit_deep_channel_samples, so both are borrowed as they are. A writer
//! sits behind a read-write lock that is tried, never waited on: the calls
//! many threads may make at once share it, every other call takes it
//! alone, and a call that finds it taken the other way fails at once with
//! [`Error::BadState`] instead of racing.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use super::deep::exrkit_deep_image;
use super::guard::{arg, write};
use super::reader::exrkit_reader;
use super::status::set_last_error;
use super::writer::exrkit_writer;
use crate::deep::DeepImage;
use crate::error::{Error, Result};
use crate::write::Writer;

/// Boxes `value` and stores the pointer C keeps in `*out`.
///
/// # Safety
/// `out` must be valid for a write (checked non-NULL by [`super::guard::out`]).
pub(crate) unsafe fn hand_out<T>(value: T, out: *mut *mut T) {
    // SAFETY: per this function's contract; C frees it through `free`.
    unsafe { write(out, Box::into_raw(Box::new(value))) };
}

/// Drops a handle from [`hand_out`]; NULL is ignored.
///
/// # Safety
/// A non-NULL `handle` must come from [`hand_out`] and not be freed yet,
/// and no call may be using it.
pub(crate) unsafe fn free<T>(handle: *mut T) {
    if !handle.is_null() {
        // SAFETY: a pointer from Box::into_raw, freed once, per the contract.
        drop(unsafe { Box::from_raw(handle) });
    }
}

/// Borrows the reader behind a C pointer.
///
/// # Safety
/// A non-NULL pointer must come from exrkit_open* and not be closed.
pub(crate) unsafe fn reader<'a>(reader: *const exrkit_reader) -> Result<&'a exrkit_reader> {
    // SAFETY: per this function's contract.
    unsafe { arg(reader, "reader") }
}

/// Borrows the deep image behind a C pointer.
///
/// # Safety
/// A non-NULL pointer must come from exrkit and not be freed, nor changed
/// while the borrow lasts.
pub(crate) unsafe fn deep_image<'a>(image: *const exrkit_deep_image) -> Result<&'a DeepImage> {
    // SAFETY: per this function's contract.
    Ok(&unsafe { arg(image, "image") }?.image)
}

/// Borrows the deep image behind a C pointer to change its samples.
///
/// # Safety
/// A non-NULL pointer must come from exrkit and not be freed, and nothing
/// else may use the image while the borrow lasts.
pub(crate) unsafe fn deep_image_mut<'a>(
    image: *mut exrkit_deep_image,
) -> Result<&'a mut DeepImage> {
    // SAFETY: per this function's contract.
    let handle = unsafe { image.as_mut() }
        .ok_or_else(|| Error::InvalidArgument("'image' is NULL".into()))?;
    Ok(&mut handle.image)
}

/// Borrows the writer behind a C pointer.
///
/// # Safety
/// A non-NULL pointer must come from exrkit_create* and not be freed.
unsafe fn writer<'a>(writer: *const exrkit_writer) -> Result<&'a RwLock<Writer>> {
    // SAFETY: per this function's contract.
    Ok(&unsafe { arg(writer, "writer") }?.writer)
}

/// The writer behind a C pointer, for a call that may run beside others
/// of its kind (writing chunks, reading the finished bytes); fails with
/// [`Error::BadState`] while a call that must be alone on the writer runs.
///
/// # Safety
/// A non-NULL pointer must come from exrkit_create* and not be freed.
pub(crate) unsafe fn writer_shared<'a>(
    handle: *const exrkit_writer,
) -> Result<RwLockReadGuard<'a, Writer>> {
    // SAFETY: per this function's contract.
    match unsafe { writer(handle) }?.try_read() {
        Ok(guard) => Ok(guard),
        // A panic in an earlier call was caught and reported; the writer's
        // state says what it may still do.
        Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => Err(Error::BadState(
            "another call is running on this writer, one that must be alone on it".into(),
        )),
    }
}

/// The writer behind a C pointer, for a call that must be alone on it
/// (describing parts, writing the header, finishing); fails with
/// [`Error::BadState`] while any other call runs on the writer.
///
/// # Safety
/// A non-NULL pointer must come from exrkit_create* and not be freed.
pub(crate) unsafe fn writer_exclusive<'a>(
    handle: *mut exrkit_writer,
) -> Result<RwLockWriteGuard<'a, Writer>> {
    // SAFETY: per this function's contract.
    match unsafe { writer(handle) }?.try_write() {
        Ok(guard) => Ok(guard),
        // As in writer_shared.
        Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => Err(Error::BadState(
            "another call is running on this writer; this call must be alone on it".into(),
        )),
    }
}

/// Frees a writer; NULL is ignored. A writer another call is still running
/// on is kept (leaked, with the thread's last error saying so) rather than
/// freed under that call.
///
/// # Safety
/// A non-NULL pointer must come from exrkit_create* and not be freed yet.
pub(crate) unsafe fn free_writer(handle: *mut exrkit_writer) {
    if handle.is_null() {
        return;
    }
    // SAFETY: per this function's contract.
    let busy = unsafe { writer_exclusive(handle) }.err();
    match busy {
        Some(error) => set_last_error(&error.context("exrkit_writer_free kept the writer")),
        // SAFETY: from exrkit_create*, not freed yet, and no call holds it.
        None => unsafe { free(handle) },
    }
}
