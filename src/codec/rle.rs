//! RLE: runs of repeated bytes and literal stretches, over predicted and
//! interleaved bytes.

use super::predictor::{deinterleave, undo_predictor};
use crate::error::{corrupt, Result};

/// Unpacks one RLE block into `out`.
pub fn decompress(packed: &[u8], out: &mut [u8], expanded: &mut Vec<u8>) -> Result<()> {
    // Every byte is overwritten below, so old contents need no clearing.
    expanded.resize(out.len(), 0);
    expand_runs(packed, expanded)?;
    undo_predictor(expanded);
    deinterleave(expanded, out);
    Ok(())
}

/// Expands the runs of `packed` into exactly `out.len()` bytes.
fn expand_runs(mut packed: &[u8], out: &mut [u8]) -> Result<()> {
    let mut written = 0usize;
    while let Some((&count, rest)) = packed.split_first() {
        let count = count as i8;
        let room = out.len() - written;
        if count < 0 {
            let n = usize::from(count.unsigned_abs());
            let (Some(literal), true) = (rest.get(..n), n <= room) else {
                corrupt!("RLE literal of {n} bytes runs past the end of the block");
            };
            out[written..written + n].copy_from_slice(literal);
            written += n;
            packed = &rest[n..];
        } else {
            let n = count as usize + 1;
            let (Some((&value, rest)), true) = (rest.split_first(), n <= room) else {
                corrupt!("RLE run of {n} bytes runs past the end of the block");
            };
            out[written..written + n].fill(value);
            written += n;
            packed = rest;
        }
    }
    if written != out.len() {
        corrupt!(
            "RLE data expands to {written} bytes where the block has {}",
            out.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_literals_expand() {
        let mut out = [0u8; 6];
        expand_runs(&[2, 7, 0xfe, 1, 2, 0, 9], &mut out).unwrap();
        assert_eq!(out, [7, 7, 7, 1, 2, 9]);
    }

    #[test]
    fn overruns_are_corrupt() {
        let mut out = [0u8; 2];
        assert!(expand_runs(&[5, 1], &mut out).is_err());
        assert!(expand_runs(&[0xfd, 1, 2, 3], &mut out).is_err());
        assert!(expand_runs(&[0xff], &mut out).is_err());
        assert!(expand_runs(&[0, 1], &mut out).is_err());
    }
}

/// Packs one RLE block into `out` (placeholder: the encoder is being written).
pub fn compress(unpacked: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Result<()> {
    let _ = (unpacked, out, scratch);
    Err(crate::error::Error::Unsupported(
        "RLE encoding is being written".into(),
    ))
}
