//! B44 and B44A: HALF channels in lossy blocks of 4 by 4 samples, other
//! channels stored as they are.
//!
//! The packed block holds each channel in turn, in channel order, with all
//! of the channel's lines in the block. A UINT or FLOAT channel is stored as
//! its raw little-endian samples, line after line. A HALF channel is cut into
//! blocks of 4 by 4 samples, left to right and top to bottom, the last ones
//! padded by repeating the last column and line; each block is stored in 14
//! bytes, or in 3 when all its samples are equal (B44A writes those; both
//! variants read them).
//!
//! A 14-byte block codes ordered integers `t` that sort like the half values
//! they stand for: the first sample, a 6-bit shift, and 15 differences of 6
//! bits, each scaled by 2^shift and biased by 32 << shift, that walk down the
//! first column and then along each line. A shift of 13 or more is impossible
//! there, so a third byte of 52 or more marks the 3-byte form: the first
//! sample alone, repeated.
//!
//! Samples of perceptually linear (pLinear) channels were mapped through
//! `exp(x / 8)` before coding, and are mapped back through `8 * ln(x)` here.

use std::sync::OnceLock;

use half::f16;

use super::{BlockLayout, ChannelLayout};
use crate::error::{corrupt, Error, Result};
use crate::meta::types::PixelType;

/// Samples in one coded block.
type Block = [u16; 16];

/// Buffers kept between blocks.
#[derive(Default)]
pub struct Scratch {
    /// Where each line of each channel starts in the unpacked block: the
    /// lines of the first channel, then those of the second, and so on.
    line_offsets: Vec<usize>,
    /// Per channel, the next free entry of `line_offsets` while it is built.
    next_line: Vec<usize>,
    /// Four lines of a HALF channel, decoded from one row of blocks.
    band: Vec<u16>,
}

impl Scratch {
    /// Bytes of block-sized buffers held.
    pub fn retained_bytes(&self) -> usize {
        2 * self.band.capacity()
            + std::mem::size_of::<usize>()
                * (self.line_offsets.capacity() + self.next_line.capacity())
    }
}

/// Unpacks one B44 or B44A block into `out`, which holds
/// `layout.unpacked_size` bytes.
pub fn decompress(
    layout: &BlockLayout,
    packed: &[u8],
    out: &mut [u8],
    scratch: &mut Scratch,
) -> Result<()> {
    find_line_offsets(layout, &mut scratch.line_offsets, &mut scratch.next_line)?;
    let mut packed = packed;
    let mut first_line = 0usize;
    for channel in &layout.channels {
        let lines = scratch
            .line_offsets
            .get(first_line..first_line + channel.height)
            .ok_or_else(|| layout_mismatch(layout))?;
        first_line += channel.height;
        if channel.pixel_type == PixelType::Half {
            decode_half(channel, lines, &mut packed, out, &mut scratch.band)?;
        } else {
            copy_raw(channel, lines, &mut packed, out)?;
        }
    }
    if !packed.is_empty() {
        corrupt!("{} bytes of B44 data left over", packed.len());
    }
    Ok(())
}

/// Fills `offsets` with the start in the unpacked block of every line of
/// every channel, channel after channel.
fn find_line_offsets(
    layout: &BlockLayout,
    offsets: &mut Vec<usize>,
    next: &mut Vec<usize>,
) -> Result<()> {
    next.clear();
    let mut total = 0usize;
    for channel in &layout.channels {
        next.push(total);
        total = total
            .checked_add(channel.height)
            .ok_or_else(|| layout_mismatch(layout))?;
    }
    offsets.clear();
    offsets.resize(total, 0);
    let mut offset = 0usize;
    for y in layout.lines() {
        for (channel, slot) in layout.channels.iter().zip(next.iter_mut()) {
            if channel.has_line(y) {
                *offsets
                    .get_mut(*slot)
                    .ok_or_else(|| layout_mismatch(layout))? = offset;
                *slot += 1;
                offset = offset
                    .checked_add(channel.line_bytes())
                    .ok_or_else(|| layout_mismatch(layout))?;
            }
        }
    }
    // Every channel must have filled exactly its own lines.
    let mut end = 0usize;
    for (channel, &slot) in layout.channels.iter().zip(next.iter()) {
        end += channel.height;
        if slot != end {
            return Err(layout_mismatch(layout));
        }
    }
    if offset != layout.unpacked_size {
        return Err(layout_mismatch(layout));
    }
    Ok(())
}

/// The layout's lines and sample counts disagree: a bug, not a bad file.
fn layout_mismatch(layout: &BlockLayout) -> Error {
    Error::Internal(format!(
        "B44 lines of {:?} do not add up to the block",
        layout.region
    ))
}

/// The destination of one line of samples in the unpacked block.
fn line_mut(out: &mut [u8], start: usize, len: usize) -> Result<&mut [u8]> {
    start
        .checked_add(len)
        .and_then(|end| out.get_mut(start..end))
        .ok_or_else(|| Error::Internal(format!("B44 line at {start} runs past the block")))
}

/// Copies the raw lines of a UINT or FLOAT channel.
fn copy_raw(
    channel: &ChannelLayout,
    lines: &[usize],
    packed: &mut &[u8],
    out: &mut [u8],
) -> Result<()> {
    let len = channel.line_bytes();
    for &start in lines {
        let Some((line, rest)) = packed.split_at_checked(len) else {
            corrupt!("B44 data ends inside a line of uncompressed samples");
        };
        *packed = rest;
        line_mut(out, start, len)?.copy_from_slice(line);
    }
    Ok(())
}

/// Decodes the 4 by 4 blocks of a HALF channel, four lines at a time.
fn decode_half(
    channel: &ChannelLayout,
    lines: &[usize],
    packed: &mut &[u8],
    out: &mut [u8],
    band: &mut Vec<u16>,
) -> Result<()> {
    if channel.width == 0 || lines.is_empty() {
        return Ok(());
    }
    // Four lines of samples, each padded to whole blocks.
    let padded = channel.width.div_ceil(4) * 4;
    let band_size = padded
        .checked_mul(4)
        .ok_or_else(|| Error::Internal(format!("B44 lines of {padded} samples")))?;
    if band.len() < band_size {
        band.resize(band_size, 0);
    }
    let band = &mut band[..band_size];
    let linear = if channel.p_linear {
        Some(linear_table()?)
    } else {
        None
    };
    let len = channel.line_bytes();
    for band_lines in lines.chunks(4) {
        let (row0, rest) = band.split_at_mut(padded);
        let (row1, rest) = rest.split_at_mut(padded);
        let (row2, row3) = rest.split_at_mut(padded);
        let rows = row0
            .chunks_exact_mut(4)
            .zip(row1.chunks_exact_mut(4))
            .zip(row2.chunks_exact_mut(4))
            .zip(row3.chunks_exact_mut(4));
        let mut block = [0; 16];
        for (((s0, s1), s2), s3) in rows {
            next_block(packed, &mut block)?;
            s0.copy_from_slice(&block[0..4]);
            s1.copy_from_slice(&block[4..8]);
            s2.copy_from_slice(&block[8..12]);
            s3.copy_from_slice(&block[12..16]);
        }
        for (ordered, &start) in band.chunks_exact(padded).zip(band_lines) {
            let line = line_mut(out, start, len)?;
            let pairs = line.chunks_exact_mut(2).zip(&ordered[..channel.width]);
            match linear {
                None => pairs.for_each(|(bytes, &t)| {
                    bytes.copy_from_slice(&to_half(t).to_le_bytes());
                }),
                Some(table) => pairs.for_each(|(bytes, &t)| {
                    bytes.copy_from_slice(&table[usize::from(t)].to_le_bytes());
                }),
            }
        }
    }
    Ok(())
}

/// Reads one block, in either form, from the front of `packed` into
/// `block`, as ordered integers.
fn next_block(packed: &mut &[u8], block: &mut Block) -> Result<()> {
    if let Some((&[b0, b1, b2], rest)) = packed.split_first_chunk::<3>() {
        if b2 >= 13 << 2 {
            *packed = rest;
            *block = [u16::from_be_bytes([b0, b1]); 16];
            return Ok(());
        }
    }
    let Some((bytes, rest)) = packed.split_first_chunk::<14>() else {
        corrupt!("B44 data ends inside a block");
    };
    *packed = rest;
    unpack14(bytes, block);
    Ok(())
}

/// Decodes a 14-byte block into ordered integers: the first sample, then in
/// 96 bits the shift and the 15 six-bit differences.
fn unpack14(bytes: &[u8; 14], block: &mut Block) {
    let [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13] = *bytes;
    // The first 64 and the last 64 of the 96 bits.
    let head = u64::from_be_bytes([b2, b3, b4, b5, b6, b7, b8, b9]);
    let tail = u64::from_be_bytes([b6, b7, b8, b9, b10, b11, b12, b13]);
    // A shift of 13 or more marks a 3-byte block, so it is at most 12 here.
    let shift = u32::from(b2 >> 2);
    let bias = 0x20u16.wrapping_shl(shift);
    // Difference `i` (0 to 14) follows the 6 bits of the shift; the
    // arithmetic is on 16 bits, wrapping, as the format defines it.
    let step = |i: u32| {
        let r = if i < 9 {
            head >> (52 - 6 * i)
        } else {
            tail >> (84 - 6 * i)
        };
        ((r & 0x3f) as u16).wrapping_shl(shift).wrapping_sub(bias)
    };
    let d: [u16; 15] = std::array::from_fn(|i| step(i as u32));
    let t = block;
    // Differences 0 to 2 walk down the first column; then 3 to 6 step from
    // the first column to the second on each line, 7 to 10 from the second
    // to the third, and 11 to 14 from the third to the fourth.
    t[0] = u16::from_be_bytes([b0, b1]);
    t[4] = t[0].wrapping_add(d[0]);
    t[8] = t[4].wrapping_add(d[1]);
    t[12] = t[8].wrapping_add(d[2]);
    for row in 0..4 {
        let at = 4 * row;
        t[at + 1] = t[at].wrapping_add(d[3 + row]);
        t[at + 2] = t[at + 1].wrapping_add(d[7 + row]);
        t[at + 3] = t[at + 2].wrapping_add(d[11 + row]);
    }
}

/// Turns an ordered integer back into the bits of the half it stands for:
/// positive values have the top bit set, negative ones are complemented.
fn to_half(t: u16) -> u16 {
    t ^ if t & 0x8000 != 0 { 0x8000 } else { 0xffff }
}

/// The halves of pLinear channels, indexed by the ordered integers blocks
/// decode to: `8 * ln(x)` of the half each integer stands for. Built on
/// first use, on the heap so that no thread needs a large stack.
fn linear_table() -> Result<&'static [u16; 0x10000]> {
    static TABLE: OnceLock<Box<[u16]>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..=u16::MAX).map(|t| to_linear(to_half(t))).collect());
    <&[u16; 0x10000]>::try_from(&table[..])
        .map_err(|_| Error::Internal("the pLinear table has the wrong size".into()))
}

/// `8 * ln(x)` of a half, computed in single precision as OpenEXR does; zero
/// for infinities, NaNs and negative values (but not for -0).
fn to_linear(bits: u16) -> u16 {
    if bits & 0x7c00 == 0x7c00 || bits > 0x8000 {
        return 0;
    }
    f16::from_f32(8.0 * f16::from_bits(bits).to_f32().ln()).to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::types::Box2i;

    /// The halves of a 14-byte block.
    fn unpacked(bytes: &[u8; 14]) -> Block {
        let mut block = [0; 16];
        unpack14(bytes, &mut block);
        block.map(to_half)
    }

    /// The halves of the block at the front of `packed`.
    fn read(packed: &mut &[u8]) -> Result<Block> {
        let mut block = [0; 16];
        next_block(packed, &mut block).map(|()| block.map(to_half))
    }

    /// A 14-byte block from its first ordered sample, shift and differences.
    fn pack14(first: u16, shift: u8, r: [u8; 15]) -> [u8; 14] {
        let mut bits = u128::from(shift) << 90;
        for (i, &r) in r.iter().enumerate() {
            bits |= u128::from(r) << (84 - 6 * i);
        }
        let mut block = [0u8; 14];
        block[..2].copy_from_slice(&first.to_be_bytes());
        block[2..].copy_from_slice(&bits.to_be_bytes()[4..]);
        block
    }

    #[test]
    fn differences_walk_down_the_first_column_then_along_lines() {
        // 1.0, with the first line two steps up and the others two down.
        let mut r = [0x20; 15];
        r[0] = 0x1f;
        r[3] = 0x21;
        let mut expected = [0x3bfe; 16];
        expected[..4].copy_from_slice(&[0x3c00, 0x3c02, 0x3c02, 0x3c02]);
        assert_eq!(unpacked(&pack14(0xbc00, 1, r)), expected);
    }

    #[test]
    fn negative_values_are_complemented() {
        // -1.0, and the last sample one step towards zero.
        let mut r = [0x20; 15];
        r[14] = 0x21;
        let mut expected = [0xbc00; 16];
        expected[15] = 0xbbff;
        assert_eq!(unpacked(&pack14(0x43ff, 0, r)), expected);
    }

    #[test]
    fn differences_wrap_around_sixteen_bits() {
        let mut r = [0x20; 15];
        r[0] = 0x3f;
        let block = unpacked(&pack14(0x8000, 12, r));
        // 0x8000 + 31 << 12 wraps to 0x7000, which stands for -0x0fff.
        assert_eq!(block[4], !0x7000);
        assert_eq!(block[0], 0);
    }

    #[test]
    fn a_third_byte_of_52_or_more_marks_a_flat_block() {
        let mut packed: &[u8] = &[0xbc, 0x00, 52, 0xff];
        assert_eq!(read(&mut packed).unwrap(), [0x3c00; 16]);
        assert_eq!(packed, [0xff]);
        let mut r = [0x20; 15];
        r[0] = 0x3f;
        let block = pack14(0xbc00, 12, r);
        assert_eq!(block[2], 51);
        let mut packed: &[u8] = &block;
        assert_eq!(read(&mut packed).unwrap(), unpacked(&block));
        assert!(packed.is_empty());
        let mut short: &[u8] = &block[..13];
        assert!(read(&mut short).is_err());
    }

    #[test]
    fn plinear_samples_map_through_eight_times_the_log() {
        assert_eq!(to_linear(0x3c00), 0); // ln 1
        assert_eq!(to_linear(0x4170), 0x4800); // 8 ln 2.719 ~ 8
        assert_eq!(to_linear(0x7bff), 0x558c); // 8 ln 65504
        assert_eq!(to_linear(0x0000), 0xfc00); // ln 0 is -inf
        assert_eq!(to_linear(0x8000), 0xfc00); // as is ln -0
        for zero in [0xbc00, 0x8001, 0x7c00, 0xfc00, 0x7e00] {
            assert_eq!(to_linear(zero), 0);
        }
        // The table is indexed by ordered integers: 0xc170 stands for 0x4170.
        assert_eq!(linear_table().unwrap()[0xc170], 0x4800);
    }

    /// Lines 10 to 15, five columns: a HALF channel (two by two blocks, the
    /// right and bottom ones partial), a pLinear HALF channel subsampled two
    /// by two (one partial block) and a FLOAT channel.
    fn layout() -> BlockLayout {
        let channel = |pixel_type, sampling: i32, p_linear, width, height| ChannelLayout {
            pixel_type,
            x_sampling: sampling,
            y_sampling: sampling,
            p_linear,
            width,
            height,
        };
        BlockLayout {
            region: Box2i {
                min_x: 0,
                min_y: 10,
                max_x: 4,
                max_y: 15,
            },
            channels: vec![
                channel(PixelType::Half, 1, false, 5, 6),
                channel(PixelType::Half, 2, true, 3, 3),
                channel(PixelType::Float, 1, false, 5, 6),
            ],
            unpacked_size: 60 + 18 + 120,
        }
    }

    /// Halves 1, 2, 3 and 4 in blocks (left to right, top to bottom), the
    /// second in 14 bytes; 1.0 for the pLinear channel; float bytes 0, 1, 2...
    fn packed() -> Vec<u8> {
        let mut packed = vec![0xbc, 0x00, 0xfc];
        packed.extend_from_slice(&pack14(0xc000, 0, [0x20; 15]));
        packed.extend_from_slice(&[0xc2, 0x00, 0xfc, 0xc4, 0x00, 0xfc]);
        packed.extend_from_slice(&[0xbc, 0x00, 0xfc]);
        packed.extend((0..120).map(|i| i as u8));
        packed
    }

    #[test]
    fn blocks_land_on_the_lines_of_their_channel() {
        let mut out = [0u8; 198];
        decompress(&layout(), &packed(), &mut out, &mut Scratch::default()).unwrap();
        let mut expected = Vec::new();
        for y in 0..6 {
            let (left, right): (u16, u16) = if y < 4 {
                (0x3c00, 0x4000)
            } else {
                (0x4200, 0x4400)
            };
            for x in 0..5 {
                let half = if x < 4 { left } else { right };
                expected.extend_from_slice(&half.to_le_bytes());
            }
            if y % 2 == 0 {
                // 8 ln 1 = 0.
                expected.extend_from_slice(&[0; 6]);
            }
            expected.extend((20 * y..20 * y + 20).map(|i| i as u8));
        }
        assert_eq!(out[..], expected[..]);
    }

    #[test]
    fn channels_without_samples_in_the_block_take_no_bytes() {
        let channel = |x_sampling, y_sampling, width, height| ChannelLayout {
            pixel_type: PixelType::Half,
            x_sampling,
            y_sampling,
            p_linear: false,
            width,
            height,
        };
        let layout = BlockLayout {
            region: Box2i {
                min_x: 1,
                min_y: 1,
                max_x: 3,
                max_y: 2,
            },
            channels: vec![
                channel(4, 1, 0, 2),
                channel(1, 4, 3, 0),
                channel(1, 1, 3, 2),
            ],
            unpacked_size: 12,
        };
        let mut out = [0u8; 12];
        let packed = [0xc0, 0x00, 0xfc];
        decompress(&layout, &packed, &mut out, &mut Scratch::default()).unwrap();
        assert_eq!(out, [0x00, 0x40].repeat(6)[..]);
    }

    #[test]
    fn damaged_blocks_fail_without_panicking() {
        let packed = packed();
        let mut out = [0u8; 198];
        let mut scratch = Scratch::default();
        for len in 0..packed.len() {
            assert!(decompress(&layout(), &packed[..len], &mut out, &mut scratch).is_err());
        }
        let mut long = packed.clone();
        long.push(0);
        assert!(decompress(&layout(), &long, &mut out, &mut scratch).is_err());
        let mut damaged = packed.clone();
        for at in 0..packed.len() {
            for bit in 0..8 {
                damaged.copy_from_slice(&packed);
                damaged[at] ^= 1 << bit;
                let _ = decompress(&layout(), &damaged, &mut out, &mut scratch);
            }
        }
    }
}

/// Packs one B44 block into `out` (placeholder: the encoder is being written).
pub fn compress(
    _layout: &BlockLayout,
    unpacked: &[u8],
    _flat_blocks: bool,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()> {
    let _ = (unpacked, out, scratch);
    Err(crate::error::Error::Unsupported(
        "B44 encoding is being written".into(),
    ))
}
