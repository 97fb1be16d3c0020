//! Bytes already in memory.

use std::sync::Arc;

use super::{range_error, ReadAt};
use crate::error::Result;

/// A source over shared, immutable bytes.
#[derive(Debug, Clone)]
pub struct MemorySource {
    bytes: Arc<[u8]>,
}

impl MemorySource {
    /// Wraps `bytes`; the source keeps them alive.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        Self {
            bytes: bytes.into(),
        }
    }
}

impl ReadAt for MemorySource {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        read_slice_at(&self.bytes, offset, buf)
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        Some(&self.bytes)
    }
}

/// Copies `buf.len()` bytes at `offset` out of `bytes`, checking the range.
pub(crate) fn read_slice_at(bytes: &[u8], offset: u64, buf: &mut [u8]) -> Result<()> {
    let src = usize::try_from(offset)
        .ok()
        .and_then(|start| bytes.get(start..start.checked_add(buf.len())?))
        .ok_or_else(|| range_error(offset, buf.len() as u64, bytes.len() as u64))?;
    buf.copy_from_slice(src);
    Ok(())
}
