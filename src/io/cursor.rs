//! Sequential reading of a header from a positioned source, fetching as it
//! goes and never buffering more than the source holds.

use super::ReadAt;
use crate::error::{corrupt, Result};

/// How much the cursor fetches at a time when a read needs more bytes.
const READ_AHEAD: usize = 64 * 1024;

/// A little-endian reader that walks forward through a [`ReadAt`].
pub struct SourceCursor<'a> {
    source: &'a dyn ReadAt,
    len: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a> SourceCursor<'a> {
    /// A cursor at byte `pos` of `source`.
    pub fn new(source: &'a dyn ReadAt, pos: u64) -> Self {
        Self {
            source,
            len: source.len(),
            pos,
            buf: Vec::new(),
            buf_start: 0,
        }
    }

    /// The offset of the next byte to be read.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// How many bytes remain after the position.
    pub fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// Makes at least `n` bytes at the position available in the buffer and
    /// returns them, without advancing.
    fn fill(&mut self, n: usize) -> Result<&[u8]> {
        if n as u64 > self.remaining() {
            corrupt!(
                "the file ends inside the header: {n} bytes needed at offset {}, {} left",
                self.pos,
                self.remaining()
            );
        }
        let buffered_end = self.buf_start + self.buf.len() as u64;
        if self.pos < self.buf_start || self.pos + n as u64 > buffered_end {
            let want = (n.max(READ_AHEAD) as u64).min(self.remaining());
            // want <= remaining, and the caller's n fits in usize, so this does too.
            let want = usize::try_from(want).unwrap_or(n);
            self.buf.clear();
            self.buf.try_reserve_exact(want)?;
            self.buf.resize(want, 0);
            self.source.read_exact_at(self.pos, &mut self.buf)?;
            self.buf_start = self.pos;
        }
        let start = (self.pos - self.buf_start) as usize;
        Ok(&self.buf[start..start + n])
    }

    /// Reads the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&[u8]> {
        self.fill(n)?;
        let start = (self.pos - self.buf_start) as usize;
        self.pos += n as u64;
        Ok(&self.buf[start..start + n])
    }

    /// Reads `N` bytes into an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// Reads a little-endian `i32`.
    pub fn i32(&mut self) -> Result<i32> {
        self.array().map(i32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// Looks at the next byte without consuming it.
    pub fn peek_u8(&mut self) -> Result<u8> {
        Ok(self.fill(1)?[0])
    }

    /// Reads a NUL-terminated string of at most `max_len` bytes before the
    /// NUL, and consumes the NUL too. `what` names the string in errors.
    pub fn null_terminated(&mut self, max_len: usize, what: &str) -> Result<Vec<u8>> {
        let window = ((max_len + 1) as u64).min(self.remaining()) as usize;
        let at = self.pos;
        let bytes = self.fill(window)?;
        let Some(end) = bytes.iter().position(|&b| b == 0) else {
            if window > max_len {
                corrupt!("{what} at offset {at} is longer than {max_len} bytes");
            }
            corrupt!("the file ends inside the {what} at offset {at}");
        };
        let text = bytes[..end].to_vec();
        self.pos += end as u64 + 1;
        Ok(text)
    }
}
