//! Byte sources read at explicit offsets, so many threads can share one
//! without a seek position between them.

#![forbid(unsafe_code)]

mod cursor;
mod file;
mod memory;
mod sink;

pub use cursor::SourceCursor;
pub use file::FileSource;
pub(crate) use memory::read_slice_at;
pub use memory::MemorySource;
pub use sink::{FileSink, MemorySink, Sink};

use crate::error::{Error, Result};

/// A random-access byte source of known length.
///
/// Implementations must allow `read_exact_at` from many threads at once.
pub trait ReadAt: Send + Sync {
    /// The total number of bytes in the source.
    fn len(&self) -> u64;

    /// Whether the source holds no bytes at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes starting at `offset`; fails if the source
    /// ends before `buf` is full.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;

    /// All the source's bytes, where it holds them in memory; `None` for
    /// sources that must be read.
    fn as_bytes(&self) -> Option<&[u8]> {
        None
    }
}

/// Checks that `len` bytes at `offset` lie inside a source of `total` bytes.
pub(crate) fn check_range(offset: u64, len: u64, total: u64) -> Result<()> {
    match offset.checked_add(len) {
        Some(end) if end <= total => Ok(()),
        _ => Err(range_error(offset, len, total)),
    }
}

fn range_error(offset: u64, len: u64, total: u64) -> Error {
    Error::Corrupt(format!(
        "{len} bytes at offset {offset} reach past the end of the {total}-byte file"
    ))
}
