//! PIZ: range compression of 16-bit words, a wavelet transform per channel,
//! then Huffman coding.
//!
//! A block holds the bitmap of the words it uses (see [`range`]), a
//! little-endian `u32` byte count and that many bytes of Huffman-coded
//! words (see [`huffman`]). The words are the dense indices of the used
//! values, wavelet-transformed (see [`wavelet`]) channel by channel: each
//! channel's samples of the whole block, line after line, HALF as one word
//! per sample, FLOAT and UINT as two.
//!
//! The encoder makes the same choices as OpenEXR (see [`code_lengths`]), so
//! its blocks are the ones OpenEXR writes for the same samples.

mod code_lengths;
pub(super) mod huffman;
pub(super) mod huffman_encode;
mod range;
mod wavelet;

use super::{BlockLayout, ChannelLayout};
use crate::error::{corrupt, Error, Result};

/// Buffers kept between blocks.
#[derive(Default)]
pub struct Scratch {
    /// The block's words, channel after channel.
    words: Vec<u16>,
    values: range::ValueTable,
    huffman: huffman::Scratch,
    used: range::UsedValues,
    encoder: huffman_encode::Scratch,
    /// Where each channel's words lie in `words`.
    planes: Vec<Plane>,
}

impl Scratch {
    /// Bytes of block-sized buffers held (its fixed tables aside).
    pub fn retained_bytes(&self) -> usize {
        2 * self.words.capacity()
    }
}

/// One channel's words in the block.
struct Plane {
    /// Words of all its samples.
    len: usize,
    /// Words per sample.
    per_sample: usize,
    /// Index of its next word to write out.
    next: usize,
}

/// Unpacks one PIZ block into `out`, which holds `layout.unpacked_size`
/// bytes.
pub fn decompress(
    layout: &BlockLayout,
    packed: &[u8],
    out: &mut [u8],
    scratch: &mut Scratch,
) -> Result<()> {
    let word_count = find_planes(layout, &mut scratch.planes)?;
    if word_count.checked_mul(2) != Some(out.len()) {
        return Err(mismatch(layout));
    }
    let (max_value, rest) = scratch.values.read(packed)?;
    let Some((coded_len, rest)) = rest.split_first_chunk::<4>() else {
        corrupt!("PIZ block ends before its Huffman data size");
    };
    let coded_len = u32::from_le_bytes(*coded_len) as usize;
    let Some(coded) = rest.get(..coded_len) else {
        corrupt!(
            "PIZ Huffman data of {coded_len} bytes runs past the end of the block ({} bytes left)",
            rest.len()
        );
    };
    let words = &mut scratch.words;
    words.resize(word_count, 0);
    huffman::decode(coded, words, &mut scratch.huffman)?;
    let mut rest = words.as_mut_slice();
    for (channel, plane) in layout.channels.iter().zip(&scratch.planes) {
        // The planes' lengths add up to the words'.
        let (words, tail) = rest.split_at_mut(plane.len);
        wavelet::decode(
            words,
            channel.width,
            channel.height,
            plane.per_sample,
            max_value,
        );
        rest = tail;
    }
    interleave(layout, scratch, out)
}

/// Packs the unpacked block `unpacked`, laid out as `layout` says, into
/// `out` (appending to it). When the coded data would be too long for the
/// block's 32-bit bit count, `out` holds the block raw, as OpenEXR stores
/// it then.
pub fn compress(
    layout: &BlockLayout,
    unpacked: &[u8],
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()> {
    let word_count = find_planes(layout, &mut scratch.planes)?;
    if word_count.checked_mul(2) != Some(unpacked.len()) {
        return Err(mismatch(layout));
    }
    scratch.words.resize(word_count, 0);
    separate(layout, unpacked, scratch)?;
    let used = &mut scratch.used;
    used.clear();
    used.mark(&scratch.words);
    let start = out.len();
    let max_value = used.write(out);
    used.apply(&mut scratch.words);
    let mut rest = scratch.words.as_mut_slice();
    for (channel, plane) in layout.channels.iter().zip(&scratch.planes) {
        // The planes' lengths add up to the words'.
        let (words, tail) = rest.split_at_mut(plane.len);
        wavelet::encode(
            words,
            channel.width,
            channel.height,
            plane.per_sample,
            max_value,
        );
        rest = tail;
    }
    let size_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let fits = huffman_encode::encode(&scratch.words, out, &mut scratch.encoder)?;
    let coded_len = u32::try_from(out.len() - size_at - 4);
    match (fits, coded_len) {
        (true, Ok(len)) => out[size_at..size_at + 4].copy_from_slice(&len.to_le_bytes()),
        _ => {
            out.truncate(start);
            out.extend_from_slice(unpacked);
        }
    }
    Ok(())
}

/// Copies the channels' lines of `unpacked` into their planes in
/// `scratch.words`, which holds as many words as `unpacked` bytes.
fn separate(layout: &BlockLayout, mut unpacked: &[u8], scratch: &mut Scratch) -> Result<()> {
    for y in layout.lines() {
        for (channel, plane) in layout.channels.iter().zip(&mut scratch.planes) {
            if !channel.has_line(y) {
                continue;
            }
            let len = channel.width * plane.per_sample;
            let target = scratch.words.get_mut(plane.next..plane.next + len);
            let (Some(target), Some((line, rest))) = (target, unpacked.split_at_checked(2 * len))
            else {
                return Err(mismatch(layout));
            };
            for (word, bytes) in target.iter_mut().zip(line.chunks_exact(2)) {
                *word = u16::from_le_bytes([bytes[0], bytes[1]]);
            }
            plane.next += len;
            unpacked = rest;
        }
    }
    if !unpacked.is_empty() {
        return Err(mismatch(layout));
    }
    Ok(())
}

/// Fills `planes` with where each channel's words lie; returns the words of
/// the block.
fn find_planes(layout: &BlockLayout, planes: &mut Vec<Plane>) -> Result<usize> {
    planes.clear();
    let mut start = 0usize;
    for channel in &layout.channels {
        let per_sample = words_per_sample(channel)?;
        let len = channel
            .width
            .checked_mul(channel.height)
            .and_then(|n| n.checked_mul(per_sample))
            .ok_or_else(|| mismatch(layout))?;
        planes.push(Plane {
            len,
            per_sample,
            next: start,
        });
        start = start.checked_add(len).ok_or_else(|| mismatch(layout))?;
    }
    Ok(start)
}

/// Writes the channels' lines to `out` in the unpacked order, mapping each
/// word back to the value it stands for.
fn interleave(layout: &BlockLayout, scratch: &mut Scratch, mut out: &mut [u8]) -> Result<()> {
    let Some(values) = scratch.values.as_array() else {
        return Err(Error::Internal("PIZ value table was never filled".into()));
    };
    for y in layout.lines() {
        for (channel, plane) in layout.channels.iter().zip(&mut scratch.planes) {
            if !channel.has_line(y) {
                continue;
            }
            let len = channel.width * plane.per_sample;
            let source = scratch.words.get(plane.next..plane.next + len);
            let (Some(source), Some((line, rest))) = (source, out.split_at_mut_checked(2 * len))
            else {
                return Err(mismatch(layout));
            };
            for (bytes, &word) in line.chunks_exact_mut(2).zip(source) {
                bytes.copy_from_slice(&values[usize::from(word)].to_le_bytes());
            }
            plane.next += len;
            out = rest;
        }
    }
    if !out.is_empty() {
        return Err(mismatch(layout));
    }
    Ok(())
}

/// 16-bit words in one sample of `channel`.
fn words_per_sample(channel: &ChannelLayout) -> Result<usize> {
    match channel.pixel_type.size() {
        2 => Ok(1),
        4 => Ok(2),
        _ => Err(Error::Unsupported(format!(
            "PIZ cannot hold {:?} samples",
            channel.pixel_type
        ))),
    }
}

fn mismatch(layout: &BlockLayout) -> Error {
    Error::Internal(format!(
        "PIZ channel sizes do not add up to the block of {} bytes",
        layout.unpacked_size
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::types::{Box2i, PixelType};

    fn layout(region: Box2i, channels: &[(PixelType, i32)]) -> BlockLayout {
        let height = |ys: i32| {
            (region.min_y..=region.max_y)
                .filter(|y| y % ys == 0)
                .count()
        };
        let channels: Vec<ChannelLayout> = channels
            .iter()
            .map(|&(pixel_type, y_sampling)| ChannelLayout {
                pixel_type,
                x_sampling: 1,
                y_sampling,
                p_linear: false,
                width: (region.max_x - region.min_x + 1) as usize,
                height: height(y_sampling),
            })
            .collect();
        let unpacked_size = channels.iter().map(ChannelLayout::bytes).sum();
        BlockLayout {
            region,
            names: crate::codec::test_names(channels.len()),
            channels,
            unpacked_size,
        }
    }

    fn region(width: i32, height: i32, min_y: i32) -> Box2i {
        Box2i {
            min_x: -3,
            min_y,
            max_x: width - 4,
            max_y: min_y + height - 1,
        }
    }

    /// PIZ-compresses `unpacked`, laid out as `layout` says, as the format
    /// describes: range compression, the wavelet per channel, Huffman.
    fn encode(layout: &BlockLayout, unpacked: &[u8]) -> Vec<u8> {
        let mut planes: Vec<Vec<u16>> = vec![Vec::new(); layout.channels.len()];
        let mut rest = unpacked;
        for y in layout.lines() {
            for (plane, c) in planes.iter_mut().zip(&layout.channels) {
                if c.has_line(y) {
                    let (line, tail) = rest.split_at(c.line_bytes());
                    plane.extend(
                        line.chunks_exact(2)
                            .map(|b| u16::from_le_bytes([b[0], b[1]])),
                    );
                    rest = tail;
                }
            }
        }
        let mut bitmap = vec![0u8; 8192];
        for &w in planes.iter().flatten() {
            bitmap[usize::from(w >> 3)] |= 1 << (w & 7);
        }
        bitmap[0] &= !1;
        let mut index = vec![0u16; 1 << 16];
        let mut next = 1u16;
        for value in 1..=u16::MAX {
            if bitmap[usize::from(value >> 3)] >> (value & 7) & 1 != 0 {
                index[usize::from(value)] = next;
                next += 1;
            }
        }
        let max_value = next - 1;
        let mut words = Vec::new();
        for (plane, c) in planes.iter_mut().zip(&layout.channels) {
            plane.iter_mut().for_each(|w| *w = index[usize::from(*w)]);
            let per_sample = c.pixel_type.size() / 2;
            wavelet::tests::encode(plane, c.width, c.height, per_sample, max_value);
            words.extend_from_slice(plane);
        }
        let used: Vec<usize> = (0..8192).filter(|&i| bitmap[i] != 0).collect();
        let (first, last) = match (used.first(), used.last()) {
            (Some(&first), Some(&last)) => (first, last),
            _ => (8191, 0),
        };
        let mut out = Vec::new();
        out.extend_from_slice(&(first as u16).to_le_bytes());
        out.extend_from_slice(&(last as u16).to_le_bytes());
        if first <= last {
            out.extend_from_slice(&bitmap[first..=last]);
        }
        let coded = huffman::tests::encode(&words);
        out.extend_from_slice(&(coded.len() as u32).to_le_bytes());
        out.extend_from_slice(&coded);
        out
    }

    /// Bytes from a generator: smooth words with some noise.
    fn samples(n: usize, spread: u32, seed: u32) -> Vec<u8> {
        let mut state = seed;
        (0..n / 2)
            .flat_map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let word = (i as u32 / 7 + (state >> 8) % spread) as u16;
                word.to_le_bytes()
            })
            .collect()
    }

    fn unpack(layout: &BlockLayout, packed: &[u8], scratch: &mut Scratch) -> Result<Vec<u8>> {
        let mut out = vec![0u8; layout.unpacked_size];
        decompress(layout, packed, &mut out, scratch)?;
        Ok(out)
    }

    /// A block OpenEXR wrote: 40 x 32 pixels of HALF `A = ((x + 2y) % 50) / 2`,
    /// FLOAT `B = x / 4 + y` and UINT `C = x * y`.
    const OPENEXR_BLOCK: &[u8] = include_bytes!("testdata/openexr_40x32_half_float_uint.piz");

    fn openexr_layout() -> BlockLayout {
        let full = Box2i {
            min_x: 0,
            min_y: 0,
            max_x: 39,
            max_y: 31,
        };
        layout(
            full,
            &[
                (PixelType::Half, 1),
                (PixelType::Float, 1),
                (PixelType::Uint, 1),
            ],
        )
    }

    /// The samples of [`OPENEXR_BLOCK`], unpacked.
    fn openexr_samples() -> Vec<u8> {
        let mut expected = Vec::new();
        for y in 0..32u32 {
            for x in 0..40 {
                let a = ((x + 2 * y) % 50) as f32 / 2.0;
                expected.extend_from_slice(&half::f16::from_f32(a).to_le_bytes());
            }
            for x in 0..40 {
                expected.extend_from_slice(&(x as f32 / 4.0 + y as f32).to_le_bytes());
            }
            for x in 0..40 {
                expected.extend_from_slice(&(x * y).to_le_bytes());
            }
        }
        expected
    }

    #[test]
    fn block_written_by_openexr_unpacks_to_its_samples() {
        let layout = openexr_layout();
        let expected = openexr_samples();
        assert!(OPENEXR_BLOCK.len() < layout.unpacked_size);
        let unpacked = unpack(&layout, OPENEXR_BLOCK, &mut Scratch::default()).unwrap();
        assert!(unpacked == expected);
    }

    #[test]
    fn encoded_blocks_round_trip_with_one_scratch() {
        use PixelType::{Float, Half, Uint};
        let cases = [
            (region(67, 32, -5), vec![(Half, 1), (Half, 1), (Half, 1)], 4),
            (region(1, 1, 0), vec![(Half, 1)], 3),
            (region(3, 70, 7), vec![(Float, 1), (Half, 2), (Uint, 1)], 50),
            (
                region(129, 17, -9),
                vec![(Half, 2), (Float, 3), (Uint, 1)],
                20_000,
            ),
            (region(16, 16, 0), vec![(Uint, 1)], 1),
            (region(5, 2, 1), vec![(Half, 2)], 9),
        ];
        let mut scratch = Scratch::default();
        for (seed, (region, channels, spread)) in cases.into_iter().enumerate() {
            let layout = layout(region, &channels);
            let unpacked = samples(layout.unpacked_size, spread, seed as u32);
            let packed = encode(&layout, &unpacked);
            let decoded = unpack(&layout, &packed, &mut scratch).unwrap();
            assert!(decoded == unpacked, "{region:?} {channels:?}");
        }
    }

    #[test]
    fn damaged_blocks_fail_without_panicking() {
        let generated = {
            let layout = layout(
                region(37, 19, 3),
                &[(PixelType::Half, 1), (PixelType::Float, 2)],
            );
            let packed = encode(&layout, &samples(layout.unpacked_size, 40, 5));
            (layout, packed)
        };
        let mut scratch = Scratch::default();
        for (layout, packed) in [(openexr_layout(), OPENEXR_BLOCK.to_vec()), generated] {
            for len in 0..packed.len() {
                assert!(
                    unpack(&layout, &packed[..len], &mut scratch).is_err(),
                    "{len} bytes"
                );
            }
            let mut state = 12345u32;
            let mut random = |limit: usize| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as usize % limit
            };
            for _ in 0..3000 {
                let mut damaged = packed.clone();
                for _ in 0..1 + random(4) {
                    let at = random(damaged.len());
                    damaged[at] ^= 1 << random(8);
                }
                // Any outcome but a panic will do.
                let _ = unpack(&layout, &damaged, &mut scratch);
            }
            assert!(unpack(&layout, &packed, &mut scratch).is_ok());
        }
    }

    #[test]
    fn eight_bit_channels_are_unsupported() {
        let layout = layout(region(2, 2, 0), &[(PixelType::U8, 1)]);
        let packed = [1, 0, 0, 0, 0, 0, 0, 0];
        let mut out = vec![0u8; layout.unpacked_size];
        let result = decompress(&layout, &packed, &mut out, &mut Scratch::default());
        assert!(matches!(result, Err(Error::Unsupported(_))));
    }

    fn pack(layout: &BlockLayout, unpacked: &[u8], scratch: &mut Scratch) -> Vec<u8> {
        let mut out = vec![0xee];
        compress(layout, unpacked, &mut out, scratch).unwrap();
        assert_eq!(out[0], 0xee);
        out.remove(0);
        out
    }

    #[test]
    fn encoder_writes_the_block_openexr_wrote() {
        let layout = openexr_layout();
        let packed = pack(&layout, &openexr_samples(), &mut Scratch::default());
        assert!(packed == OPENEXR_BLOCK);
    }

    fn noise_words(n: usize, seed: u32, word: impl Fn(usize, u32) -> u16) -> Vec<u8> {
        let mut state = seed;
        (0..n / 2)
            .flat_map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                word(i, state >> 8).to_le_bytes()
            })
            .collect()
    }

    #[test]
    fn encoded_blocks_decode_to_their_samples() {
        use PixelType::{Float, Half, Uint};
        let shapes = [
            (region(67, 32, -5), vec![(Half, 1), (Half, 1), (Half, 1)]),
            (region(1, 1, 0), vec![(Half, 1)]),
            (region(1, 1, 0), vec![(Float, 1), (Uint, 1)]),
            (region(2, 1, 3), vec![(Half, 1)]),
            (region(3, 70, 7), vec![(Float, 1), (Half, 2), (Uint, 1)]),
            (region(129, 17, -9), vec![(Half, 2), (Float, 3), (Uint, 1)]),
            (region(16, 16, 0), vec![(Uint, 1)]),
            (region(5, 2, 1), vec![(Half, 2)]),
            (region(1, 3, 1), vec![(Half, 4)]),
            (region(256, 256, 0), vec![(Half, 1), (Float, 1)]),
        ];
        type Gen = fn(usize, u32) -> u16;
        let generators: [(&str, Gen); 7] = [
            ("zero", |_, _| 0),
            ("constant", |_, _| 0x3c00),
            ("single top value", |_, _| u16::MAX),
            ("smooth", |i, r| (i / 7) as u16 + (r % 4) as u16),
            ("14-bit noise", |_, r| (r % (1 << 14)) as u16),
            ("noise", |_, r| r as u16),
            ("every value", |i, _| (i as u16).wrapping_mul(40_503)),
        ];
        let mut scratch = Scratch::default();
        let mut decode_scratch = Scratch::default();
        for (seed, (region, channels)) in shapes.iter().enumerate() {
            let layout = layout(*region, channels);
            for (name, generator) in generators {
                let unpacked = noise_words(layout.unpacked_size, seed as u32, generator);
                let packed = pack(&layout, &unpacked, &mut scratch);
                let decoded = unpack(&layout, &packed, &mut decode_scratch).unwrap();
                assert!(decoded == unpacked, "{name} {region:?} {channels:?}");
            }
        }
    }

    #[test]
    fn all_65536_values_round_trip() {
        let layout = layout(region(256, 256, 0), &[(PixelType::Half, 1)]);
        let unpacked: Vec<u8> = (0..=u16::MAX)
            .map(|i| i.wrapping_mul(7919))
            .flat_map(u16::to_le_bytes)
            .collect();
        let packed = pack(&layout, &unpacked, &mut Scratch::default());
        // The bitmap lists every value.
        assert_eq!(packed[..4], [0, 0, 0xff, 0x1f]);
        let decoded = unpack(&layout, &packed, &mut Scratch::default()).unwrap();
        assert!(decoded == unpacked);
    }

    #[test]
    fn flat_blocks_pack_small_and_empty_blocks_pack_to_their_header() {
        let layout = layout(region(200, 32, 0), &[(PixelType::Float, 1)]);
        let flat: Vec<u8> = std::iter::repeat(1.5f32.to_le_bytes())
            .take(200 * 32)
            .flatten()
            .collect();
        let packed = pack(&layout, &flat, &mut Scratch::default());
        assert!(packed.len() < 200, "{}", packed.len());
        let empty = layout_of_nothing();
        let packed = pack(&empty, &[], &mut Scratch::default());
        assert_eq!(packed, [0xff, 0x1f, 0, 0, 0, 0, 0, 0]);
    }

    /// A block whose only channel is subsampled past its one line.
    fn layout_of_nothing() -> BlockLayout {
        layout(region(4, 1, 1), &[(PixelType::Half, 2)])
    }

    #[test]
    fn mismatched_blocks_are_refused() {
        let layout = layout(region(4, 4, 0), &[(PixelType::Half, 1)]);
        let mut out = Vec::new();
        let result = compress(&layout, &[0; 30], &mut out, &mut Scratch::default());
        assert!(matches!(result, Err(Error::Internal(_))));
    }
}
