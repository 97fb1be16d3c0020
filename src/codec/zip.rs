//! ZIP and ZIPS: zlib-wrapped deflate (through libdeflate) over predicted and
//! interleaved bytes.

use libdeflater::{DecompressionError, Decompressor};

use super::predictor::{deinterleave, undo_predictor};
use crate::error::{corrupt, Result};

/// A decompressor and a buffer, kept per thread.
#[derive(Default)]
pub struct Scratch {
    inflater: Option<Decompressor>,
    inflated: Vec<u8>,
}

impl Scratch {
    /// Bytes of block-sized buffers held.
    pub fn retained_bytes(&self) -> usize {
        self.inflated.capacity()
    }
}

/// Inflates zlib data into exactly `out.len()` bytes with the decompressor
/// in `inflater`.
pub fn inflate_exact(
    inflater: &mut Option<Decompressor>,
    packed: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let inflater = inflater.get_or_insert_with(Decompressor::new);
    match inflater.zlib_decompress(packed, out) {
        Ok(n) if n == out.len() => Ok(()),
        Ok(n) => corrupt!(
            "deflate data expands to {n} bytes where the block has {}",
            out.len()
        ),
        Err(DecompressionError::InsufficientSpace) => corrupt!(
            "deflate data expands to more than the {} bytes of the block",
            out.len()
        ),
        Err(DecompressionError::BadData) => corrupt!("invalid deflate data"),
    }
}

/// Unpacks one ZIP or ZIPS block into `out`.
pub fn decompress(packed: &[u8], out: &mut [u8], scratch: &mut Scratch) -> Result<()> {
    let inflated = &mut scratch.inflated;
    // Every byte is overwritten below, so old contents need no clearing.
    inflated.resize(out.len(), 0);
    inflate_exact(&mut scratch.inflater, packed, inflated)?;
    undo_predictor(inflated);
    deinterleave(inflated, out);
    Ok(())
}

/// Packs one ZIP block into `out` (placeholder: the encoder is being written).
pub fn compress(
    unpacked: &[u8],
    _level: u32,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()> {
    let _ = (unpacked, out, scratch);
    Err(crate::error::Error::Unsupported(
        "ZIP encoding is being written".into(),
    ))
}
