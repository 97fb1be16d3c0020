//! ZIP and ZIPS: zlib-wrapped deflate (through libdeflate) over predicted and
//! interleaved bytes.

use libdeflater::{CompressionLvl, Compressor, DecompressionError, Decompressor};

use super::predictor::{deinterleave, interleave_and_predict, undo_predictor};
use crate::error::{corrupt, Error, Result};

/// A decompressor, compressors and a buffer, kept per thread.
#[derive(Default)]
pub struct Scratch {
    inflater: Option<Decompressor>,
    deflaters: Deflaters,
    inflated: Vec<u8>,
}

impl Scratch {
    /// Bytes of block-sized buffers held.
    pub fn retained_bytes(&self) -> usize {
        self.inflated.capacity()
    }
}

/// The highest deflate level libdeflate offers.
const MAX_LEVEL: u32 = 12;

/// One libdeflate compressor per level, each made on first use and then
/// reused for every block that thread compresses at that level.
#[derive(Default)]
pub struct Deflaters {
    by_level: [Option<Compressor>; MAX_LEVEL as usize + 1],
}

impl Deflaters {
    /// Compresses `input` into `out` as one zlib stream at `level` (0 to
    /// 12), replacing the contents of `out`.
    pub fn zlib(&mut self, level: u32, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let slot = usize::try_from(level)
            .ok()
            .and_then(|i| self.by_level.get_mut(i))
            .ok_or_else(|| bad_level(level))?;
        let compressor = match slot {
            Some(compressor) => compressor,
            None => {
                let lvl = i32::try_from(level)
                    .ok()
                    .and_then(|l| CompressionLvl::new(l).ok())
                    .ok_or_else(|| bad_level(level))?;
                slot.insert(Compressor::new(lvl))
            }
        };
        out.clear();
        out.resize(compressor.zlib_compress_bound(input.len()), 0);
        let n = compressor
            .zlib_compress(input, out)
            .map_err(|e| Error::Internal(format!("deflate within its own bound failed: {e}")))?;
        out.truncate(n);
        Ok(())
    }
}

fn bad_level(level: u32) -> Error {
    Error::InvalidArgument(format!(
        "zip compression level {level} is outside 0 to {MAX_LEVEL}"
    ))
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

/// Packs one ZIP or ZIPS block into `out` at deflate `level`.
pub fn compress(
    unpacked: &[u8],
    level: u32,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()> {
    interleave_and_predict(unpacked, &mut scratch.inflated);
    scratch.deflaters.zlib(level, &scratch.inflated, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(unpacked: &[u8], level: u32) -> usize {
        let mut scratch = Scratch::default();
        let mut packed = Vec::new();
        compress(unpacked, level, &mut packed, &mut scratch).unwrap();
        let mut back = vec![0u8; unpacked.len()];
        decompress(&packed, &mut back, &mut scratch).unwrap();
        assert_eq!(back, unpacked);
        packed.len()
    }

    #[test]
    fn blocks_round_trip_at_every_level() {
        let unpacked: Vec<u8> = (0..5000u32).map(|i| (i * i / 97 % 256) as u8).collect();
        for level in 0..=MAX_LEVEL {
            round_trip(&unpacked, level);
        }
        round_trip(&[], 4);
        round_trip(&[3], 4);
    }

    #[test]
    fn levels_outside_libdeflate_are_refused() {
        let mut out = Vec::new();
        let mut deflaters = Deflaters::default();
        assert!(deflaters.zlib(13, &[1, 2], &mut out).is_err());
        assert!(deflaters.zlib(u32::MAX, &[1, 2], &mut out).is_err());
    }

    #[test]
    fn one_compressor_per_level_is_kept() {
        let mut deflaters = Deflaters::default();
        let mut out = Vec::new();
        deflaters.zlib(4, &[0; 100], &mut out).unwrap();
        deflaters.zlib(4, &[1; 100], &mut out).unwrap();
        deflaters.zlib(9, &[1; 100], &mut out).unwrap();
        let made = deflaters.by_level.iter().filter(|c| c.is_some()).count();
        assert_eq!(made, 2);
    }
}
