//! Sources that live on the C side: a caller's memory and a caller's
//! positioned-read callbacks.

use std::ffi::c_void;

use crate::error::{Error, Result};
use crate::io::ReadAt;

/// Positioned-read callbacks for exrkit_open_stream. The reader calls
/// `read_at` from many threads at once, so it must not depend on a shared
/// seek position.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_input_stream {
    /// sizeof(exrkit_input_stream).
    pub struct_size: usize,
    /// Passed to every callback unchanged.
    pub user: *mut c_void,
    /// Reads up to `size` bytes at `offset` into `buffer`; returns the number
    /// of bytes read (0 at the end of the data) or a negative value on error.
    pub read_at: Option<
        unsafe extern "C" fn(
            user: *mut c_void,
            offset: u64,
            buffer: *mut c_void,
            size: usize,
        ) -> i64,
    >,
    /// Returns the total size of the data in bytes, or a negative value on error.
    pub size: Option<unsafe extern "C" fn(user: *mut c_void) -> i64>,
    /// Optional: called once when the reader is closed (or fails to open).
    pub release: Option<unsafe extern "C" fn(user: *mut c_void)>,
}

impl exrkit_input_stream {
    /// No callbacks: what fields a caller's shorter struct lacks read as.
    pub(crate) const EMPTY: Self = Self {
        struct_size: 0,
        user: std::ptr::null_mut(),
        read_at: None,
        size: None,
        release: None,
    };
}

/// The caller's memory, borrowed for the reader's lifetime.
pub(crate) struct BorrowedMemory {
    data: *const u8,
    len: usize,
}

// SAFETY: the bytes are immutable for the reader's lifetime per the API
// contract of exrkit_open_memory, so sharing them across threads is sound.
unsafe impl Send for BorrowedMemory {}
// SAFETY: as above; only shared reads happen.
unsafe impl Sync for BorrowedMemory {}

impl BorrowedMemory {
    /// # Safety
    /// `data` must point to `len` bytes that stay valid and unchanged until
    /// the source is dropped.
    pub(crate) unsafe fn new(data: *const u8, len: usize) -> Self {
        Self { data, len }
    }

    fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: guaranteed by the contract of `new`.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl ReadAt for BorrowedMemory {
    fn len(&self) -> u64 {
        self.len as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        crate::io::read_slice_at(self.bytes(), offset, buf)
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        Some(self.bytes())
    }
}

/// A caller's stream callbacks.
pub(crate) struct CallbackSource {
    stream: exrkit_input_stream,
    len: u64,
}

// SAFETY: exrkit_open_stream documents that the callbacks are called from
// many threads at once and must be thread-safe; the user pointer is only
// passed back to them.
unsafe impl Send for CallbackSource {}
// SAFETY: as above.
unsafe impl Sync for CallbackSource {}

impl CallbackSource {
    /// Validates the callbacks and asks for the size. On error the stream is
    /// released.
    pub(crate) fn new(stream: exrkit_input_stream) -> Result<Self> {
        // Constructing first means Drop releases the stream on every error path.
        let mut source = Self { stream, len: 0 };
        let (Some(_), Some(size)) = (stream.read_at, stream.size) else {
            return Err(Error::InvalidArgument(
                "stream.read_at and stream.size must both be set".into(),
            ));
        };
        // SAFETY: the caller's callback with the caller's user pointer.
        let len = unsafe { size(stream.user) };
        source.len = u64::try_from(len)
            .map_err(|_| Error::Io(format!("the stream's size callback failed with {len}")))?;
        Ok(source)
    }
}

impl ReadAt for CallbackSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        crate::io::check_range(offset, buf.len() as u64, self.len)?;
        let Some(read_at) = self.stream.read_at else {
            return Err(Error::Internal("stream lost its read callback".into()));
        };
        let mut done = 0usize;
        while done < buf.len() {
            let rest = &mut buf[done..];
            let at = offset + done as u64;
            // SAFETY: `rest` is a valid writable buffer of rest.len() bytes.
            let n = unsafe { read_at(self.stream.user, at, rest.as_mut_ptr().cast(), rest.len()) };
            match usize::try_from(n) {
                Ok(0) => {
                    return Err(Error::Io(format!(
                        "the stream ended at offset {at} though it reported {} bytes",
                        self.len
                    )))
                }
                Ok(n) if n <= rest.len() => done += n,
                _ => {
                    return Err(Error::Io(format!(
                        "the stream's read callback returned {n} for {} bytes at offset {at}",
                        rest.len()
                    )))
                }
            }
        }
        Ok(())
    }
}

impl Drop for CallbackSource {
    fn drop(&mut self) {
        if let Some(release) = self.stream.release {
            // SAFETY: called once, with the caller's user pointer, as documented.
            unsafe { release(self.stream.user) }
        }
    }
}

/// Positioned-write callbacks for exrkit_create_stream. The writer calls
/// them from one thread at a time.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_output_stream {
    /// sizeof(exrkit_output_stream).
    pub struct_size: usize,
    /// Passed to every callback unchanged.
    pub user: *mut c_void,
    /// Writes all `size` bytes of `buffer` at `offset`, growing the output
    /// as needed; returns 0, or a negative value on error (the write then
    /// fails with EXRKIT_ERR_IO).
    pub write_at: Option<
        unsafe extern "C" fn(
            user: *mut c_void,
            offset: u64,
            buffer: *const c_void,
            size: usize,
        ) -> i32,
    >,
    /// Optional: called by exrkit_finish once every byte is written, e.g. to
    /// rename a temporary file into place; a negative return fails the
    /// finish. Never called for a writer freed or failed before finishing.
    pub finish: Option<unsafe extern "C" fn(user: *mut c_void) -> i32>,
    /// Optional: called once when the writer is freed.
    pub release: Option<unsafe extern "C" fn(user: *mut c_void)>,
}

impl exrkit_output_stream {
    /// No callbacks.
    pub(crate) const EMPTY: Self = Self {
        struct_size: 0,
        user: std::ptr::null_mut(),
        write_at: None,
        finish: None,
        release: None,
    };
}

/// A caller's output callbacks, called one at a time.
pub(crate) struct CallbackSink {
    stream: exrkit_output_stream,
    /// Held across each `write_at` call so that no two overlap.
    calling: std::sync::Mutex<()>,
}

// SAFETY: the callbacks are called from one thread at a time (`write_at`
// under `calling`, the others through `&mut self`); exrkit_create_stream
// documents that they may be called from any thread.
unsafe impl Send for CallbackSink {}
// SAFETY: as above; no two calls overlap.
unsafe impl Sync for CallbackSink {}

impl CallbackSink {
    /// Checks the callbacks.
    pub(crate) fn new(stream: exrkit_output_stream) -> Result<Self> {
        if stream.write_at.is_none() {
            return Err(Error::InvalidArgument("stream.write_at is NULL".into()));
        }
        Ok(Self {
            stream,
            calling: std::sync::Mutex::new(()),
        })
    }
}

impl crate::io::Sink for CallbackSink {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        let Some(write_at) = self.stream.write_at else {
            return Err(Error::Internal("stream.write_at vanished".into()));
        };
        let _calling = self.calling.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the caller's callback, given a valid buffer of this size.
        let status =
            unsafe { write_at(self.stream.user, offset, bytes.as_ptr().cast(), bytes.len()) };
        if status < 0 {
            return Err(Error::Io(format!(
                "the stream's write_at failed ({status}) writing {} bytes at {offset}",
                bytes.len()
            )));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(finish) = self.stream.finish {
            // SAFETY: the caller's callback.
            let status = unsafe { finish(self.stream.user) };
            if status < 0 {
                return Err(Error::Io(format!("the stream's finish failed ({status})")));
            }
        }
        Ok(())
    }
}

impl Drop for CallbackSink {
    fn drop(&mut self) {
        if let Some(release) = self.stream.release {
            // SAFETY: the caller's callback, called once.
            unsafe { release(self.stream.user) };
        }
    }
}
