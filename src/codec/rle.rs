//! RLE: runs of repeated bytes and literal stretches, over predicted and
//! interleaved bytes.

use super::predictor::{deinterleave, interleave_and_predict, undo_predictor};
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
pub(super) fn expand_runs(mut packed: &[u8], out: &mut [u8]) -> Result<()> {
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

/// Packs one RLE block into `out`, after interleaving and predicting its
/// bytes into `predicted`.
pub fn compress(unpacked: &[u8], out: &mut Vec<u8>, predicted: &mut Vec<u8>) -> Result<()> {
    interleave_and_predict(unpacked, predicted);
    pack_runs(predicted, out);
    Ok(())
}

/// The longest run one count byte codes: a count of 127 stands for 128
/// copies.
const MAX_RUN: usize = 128;
/// The longest literal one count byte codes.
const MAX_LITERAL: usize = 127;
/// Runs shorter than this are cheaper inside literals.
const MIN_RUN: usize = 3;

/// Appends to `out` the runs and literals that [`expand_runs`] turns back
/// into `bytes`: every stretch of three or more equal bytes becomes a run,
/// everything between them literals.
pub(super) fn pack_runs(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + bytes.len() / MAX_LITERAL + 1);
    let mut literal_start = 0usize;
    let mut at = 0usize;
    while let Some(start) = next_run(bytes, at) {
        let value = bytes[start];
        let run = bytes[start..]
            .iter()
            .take(MAX_RUN)
            .take_while(|&&b| b == value)
            .count();
        push_literals(&bytes[literal_start..start], out);
        out.push((run - 1) as u8);
        out.push(value);
        at = start + run;
        literal_start = at;
    }
    push_literals(&bytes[literal_start..], out);
}

/// Where the first stretch of [`MIN_RUN`] equal bytes at or after `at`
/// starts. Looks at eight places at once: a byte of `(x ^ y) | (y ^ z)`,
/// for the words at `i`, `i + 1` and `i + 2`, is zero where a stretch
/// starts.
fn next_run(bytes: &[u8], mut at: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let word = |i: usize| {
        bytes
            .get(i..i + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    while let (Some(x), Some(y), Some(z)) = (word(at), word(at + 1), word(at + 2)) {
        let differ = (x ^ y) | (y ^ z);
        // The lowest flagged byte is the first zero one (flags above it
        // can be false).
        let zero = differ.wrapping_sub(ONES) & !differ & HIGHS;
        if zero != 0 {
            return Some(at + zero.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    (at..bytes.len().saturating_sub(MIN_RUN - 1))
        .find(|&i| bytes[i] == bytes[i + 1] && bytes[i + 1] == bytes[i + 2])
}

/// Appends `bytes` as literals of at most [`MAX_LITERAL`] bytes each.
fn push_literals(bytes: &[u8], out: &mut Vec<u8>) {
    for literal in bytes.chunks(MAX_LITERAL) {
        out.push((literal.len() as i8).wrapping_neg() as u8);
        out.extend_from_slice(literal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packing rule written plainly: a run wherever one starts.
    fn pack_plainly(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut literal_start, mut at) = (0, 0);
        while at < bytes.len() {
            let run = bytes[at..]
                .iter()
                .take(MAX_RUN)
                .take_while(|&&b| b == bytes[at])
                .count();
            if run >= MIN_RUN {
                push_literals(&bytes[literal_start..at], &mut out);
                out.extend([(run - 1) as u8, bytes[at]]);
                literal_start = at + run;
            }
            at += run;
        }
        push_literals(&bytes[literal_start..], &mut out);
        out
    }

    #[test]
    fn runs_are_found_where_the_plain_rule_finds_them() {
        let mut state = 7u32;
        for len in (0..80).chain([300, 1000]) {
            for density in [2u32, 3, 5, 40] {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        ((state >> 24) % density) as u8
                    })
                    .collect();
                let mut packed = Vec::new();
                pack_runs(&bytes, &mut packed);
                assert_eq!(packed, pack_plainly(&bytes), "{bytes:?}");
                let mut back = vec![0; bytes.len()];
                expand_runs(&packed, &mut back).unwrap();
                assert_eq!(back, bytes);
            }
        }
        let mut packed = Vec::new();
        pack_runs(&[9; 300], &mut packed);
        assert_eq!(packed, [127, 9, 127, 9, 43, 9]);
    }

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

    fn round_trip(bytes: &[u8]) -> Vec<u8> {
        let mut packed = Vec::new();
        pack_runs(bytes, &mut packed);
        let mut back = vec![0u8; bytes.len()];
        expand_runs(&packed, &mut back).unwrap();
        assert_eq!(back, bytes);
        packed
    }

    #[test]
    fn runs_of_three_or_more_become_runs() {
        assert_eq!(round_trip(&[7, 7, 7, 1, 2, 9]), [2, 7, 0xfd, 1, 2, 9]);
        assert_eq!(round_trip(&[1, 1, 2, 2]), [0xfc, 1, 1, 2, 2]);
        assert!(round_trip(&[]).is_empty());
        assert_eq!(round_trip(&[5]), [0xff, 5]);
    }

    #[test]
    fn long_runs_and_literals_split() {
        let packed = round_trip(&[4; 300]);
        assert_eq!(packed, [127, 4, 127, 4, 43, 4]);
        let literal: Vec<u8> = (0..300).map(|i| (i % 251) as u8).collect();
        assert_eq!(round_trip(&literal).len(), 300 + 3);
        // A run cut at 128 leaves a tail of one or two for the literal.
        let mut mixed = vec![9u8; 129];
        mixed.extend_from_slice(&[1, 2, 3, 3, 3, 3]);
        round_trip(&mixed);
    }

    #[test]
    fn blocks_round_trip_through_the_predictor() {
        let unpacked: Vec<u8> = (0..1000u32).map(|i| ((i / 7) % 256) as u8).collect();
        let (mut packed, mut predicted) = (Vec::new(), Vec::new());
        compress(&unpacked, &mut packed, &mut predicted).unwrap();
        let mut back = vec![0u8; unpacked.len()];
        decompress(&packed, &mut back, &mut predicted).unwrap();
        assert_eq!(back, unpacked);
    }
}
