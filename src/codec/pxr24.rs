//! PXR24: zlib over byte planes of horizontal differences, with FLOAT
//! samples cut to 24 bits.
//!
//! Each line of each channel is coded on its own: every sample is replaced by
//! its difference to the sample on its left (the first to zero), taken as an
//! unsigned integer of the sample's width: 16 bits for HALF, 32 for UINT, and
//! for FLOAT the top 24 bits of the value (the encoder rounds the significand
//! to 15 bits). The differences are split into bytes, most significant first,
//! and stored as planes: all the first bytes of the line, then all the second
//! bytes, and so on. The planes of every line and channel follow each other
//! in the order of the unpacked block, and the whole is one zlib stream.

use libdeflater::Decompressor;

use super::zip::Deflaters;
use super::BlockLayout;
use crate::error::{Error, Result};
use crate::meta::types::PixelType;

/// A decompressor, compressors and the planes, kept per thread.
#[derive(Default)]
pub struct Scratch {
    inflater: Option<Decompressor>,
    deflaters: Deflaters,
    planes: Vec<u8>,
}

impl Scratch {
    /// Bytes of block-sized buffers held.
    pub fn retained_bytes(&self) -> usize {
        self.planes.capacity()
    }
}

/// Unpacks one PXR24 block into `out`, which holds `layout.unpacked_size`
/// bytes.
pub fn decompress(
    layout: &BlockLayout,
    packed: &[u8],
    out: &mut [u8],
    scratch: &mut Scratch,
) -> Result<()> {
    let planes_size = planes_size(layout)?;
    if scratch.planes.len() < planes_size {
        scratch.planes.resize(planes_size, 0);
    }
    let planes = &mut scratch.planes[..planes_size];
    super::zip::inflate_exact(&mut scratch.inflater, packed, planes)?;

    let (mut planes, mut out): (&[u8], &mut [u8]) = (planes, out);
    for y in layout.lines() {
        for channel in layout.channels.iter().filter(|c| c.has_line(y)) {
            let (count, undo) = line_coder(channel.pixel_type)?;
            let (line_planes, rest) = channel
                .width
                .checked_mul(count)
                .and_then(|n| planes.split_at_checked(n))
                .ok_or_else(|| overrun(layout))?;
            planes = rest;
            let (line, rest) = std::mem::take(&mut out)
                .split_at_mut_checked(channel.line_bytes())
                .ok_or_else(|| overrun(layout))?;
            out = rest;
            undo(line_planes, channel.width, line);
        }
    }
    if !planes.is_empty() || !out.is_empty() {
        return Err(overrun(layout));
    }
    Ok(())
}

/// Undoes the planes and differences of one line of `width` samples.
type UndoLine = fn(&[u8], usize, &mut [u8]);

/// How many planes samples of `pixel_type` take, and how to undo a line.
fn line_coder(pixel_type: PixelType) -> Result<(usize, UndoLine)> {
    match pixel_type {
        PixelType::Half => Ok((2, undo_half)),
        PixelType::Float => Ok((3, undo_float)),
        PixelType::Uint => Ok((4, undo_uint)),
        PixelType::U8 => Err(Error::Internal("PXR24 cannot hold 8-bit samples".into())),
    }
}

/// Bytes of the inflated planes of a block.
fn planes_size(layout: &BlockLayout) -> Result<usize> {
    let mut total = 0usize;
    for c in &layout.channels {
        let (count, _) = line_coder(c.pixel_type)?;
        total = c
            .width
            .checked_mul(c.height)
            .and_then(|n| n.checked_mul(count))
            .and_then(|n| n.checked_add(total))
            .ok_or_else(|| overrun(layout))?;
    }
    Ok(total)
}

/// The layout's lines and sample counts disagree; only a bug can cause this
/// because the planes are exactly as large as the layout says.
fn overrun(layout: &BlockLayout) -> Error {
    Error::Internal(format!(
        "PXR24 lines of {:?} do not add up to the block",
        layout.region
    ))
}

/// HALF: two planes, high bytes then low bytes.
fn undo_half(planes: &[u8], width: usize, line: &mut [u8]) {
    let (high, low) = planes.split_at(width);
    let mut value = 0u16;
    for ((sample, &h), &l) in line.chunks_exact_mut(2).zip(high).zip(low) {
        value = value.wrapping_add(u16::from_be_bytes([h, l]));
        sample.copy_from_slice(&value.to_le_bytes());
    }
}

/// UINT: four planes, most significant bytes first.
fn undo_uint(planes: &[u8], width: usize, line: &mut [u8]) {
    let (b0, rest) = planes.split_at(width);
    let (b1, rest) = rest.split_at(width);
    let (b2, b3) = rest.split_at(width);
    let mut value = 0u32;
    let bytes = b0.iter().zip(b1).zip(b2).zip(b3);
    for (sample, (((&a, &b), &c), &d)) in line.chunks_exact_mut(4).zip(bytes) {
        value = value.wrapping_add(u32::from_be_bytes([a, b, c, d]));
        sample.copy_from_slice(&value.to_le_bytes());
    }
}

/// FLOAT: three planes holding the top 24 bits, most significant first.
fn undo_float(planes: &[u8], width: usize, line: &mut [u8]) {
    let (b0, rest) = planes.split_at(width);
    let (b1, b2) = rest.split_at(width);
    let mut value = 0u32;
    let bytes = b0.iter().zip(b1).zip(b2);
    for (sample, ((&a, &b), &c)) in line.chunks_exact_mut(4).zip(bytes) {
        // The 24-bit differences are summed in the top bits of a 32-bit
        // value, so the carry out of bit 23 falls off as it should.
        value = value.wrapping_add(u32::from_be_bytes([a, b, c, 0]));
        sample.copy_from_slice(&value.to_le_bytes());
    }
}

/// Packs one PXR24 block into `out`: the planes of every line of every
/// channel, deflated at `level`.
pub fn compress(
    layout: &BlockLayout,
    unpacked: &[u8],
    level: u32,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()> {
    let planes_size = planes_size(layout)?;
    if scratch.planes.len() < planes_size {
        scratch.planes.resize(planes_size, 0);
    }
    let (mut planes, mut unpacked): (&mut [u8], &[u8]) =
        (&mut scratch.planes[..planes_size], unpacked);
    for y in layout.lines() {
        for channel in layout.channels.iter().filter(|c| c.has_line(y)) {
            let (count, _) = line_coder(channel.pixel_type)?;
            let (line_planes, rest) = channel
                .width
                .checked_mul(count)
                .and_then(|n| std::mem::take(&mut planes).split_at_mut_checked(n))
                .ok_or_else(|| overrun(layout))?;
            planes = rest;
            let (line, rest) = unpacked
                .split_at_checked(channel.line_bytes())
                .ok_or_else(|| overrun(layout))?;
            unpacked = rest;
            match channel.pixel_type {
                PixelType::Half => plane_half(line, line_planes),
                PixelType::Float => plane_float(line, line_planes),
                _ => plane_uint(line, line_planes),
            }
        }
    }
    if !planes.is_empty() || !unpacked.is_empty() {
        return Err(overrun(layout));
    }
    scratch
        .deflaters
        .zlib(level, &scratch.planes[..planes_size], out)
}

/// HALF: the differences of one line as high bytes, then low bytes.
fn plane_half(line: &[u8], planes: &mut [u8]) {
    let (high, low) = planes.split_at_mut(line.len() / 2);
    let mut previous = 0u16;
    for ((sample, h), l) in line.chunks_exact(2).zip(high).zip(low) {
        let value = u16::from_le_bytes([sample[0], sample[1]]);
        [*h, *l] = value.wrapping_sub(previous).to_be_bytes();
        previous = value;
    }
}

/// UINT: the differences of one line as four planes, most significant
/// first.
fn plane_uint(line: &[u8], planes: &mut [u8]) {
    let width = line.len() / 4;
    let (b0, rest) = planes.split_at_mut(width);
    let (b1, rest) = rest.split_at_mut(width);
    let (b2, b3) = rest.split_at_mut(width);
    let mut previous = 0u32;
    let bytes = b0.iter_mut().zip(b1).zip(b2).zip(b3);
    for (sample, (((a, b), c), d)) in line.chunks_exact(4).zip(bytes) {
        let value = u32::from_le_bytes([sample[0], sample[1], sample[2], sample[3]]);
        [*a, *b, *c, *d] = value.wrapping_sub(previous).to_be_bytes();
        previous = value;
    }
}

/// FLOAT: the differences of the 24-bit values of one line as three
/// planes, most significant first.
fn plane_float(line: &[u8], planes: &mut [u8]) {
    let width = line.len() / 4;
    let (b0, rest) = planes.split_at_mut(width);
    let (b1, b2) = rest.split_at_mut(width);
    let mut previous = 0u32;
    let bytes = b0.iter_mut().zip(b1).zip(b2);
    for (sample, ((a, b), c)) in line.chunks_exact(4).zip(bytes) {
        let value = to_float24(u32::from_le_bytes([
            sample[0], sample[1], sample[2], sample[3],
        ]));
        let [_, high, middle, low] = value.wrapping_sub(previous).to_be_bytes();
        [*a, *b, *c] = [high, middle, low];
        previous = value;
    }
}

/// The top 24 bits of a float, its significand rounded to 15 bits (half
/// away from zero in the last bit, as OpenEXR rounds): infinities stay
/// infinite, NaNs keep their sign and top significand bits but never turn
/// into infinities, and finite values that would round up past the largest
/// exponent are cut instead.
fn to_float24(bits: u32) -> u32 {
    let sign = (bits >> 8) & 0x0080_0000;
    let exponent = bits & 0x7f80_0000;
    let significand = bits & 0x007f_ffff;
    let magnitude = if exponent == 0x7f80_0000 {
        let top = significand >> 8;
        let nan_bit = u32::from(significand != 0 && top == 0);
        (exponent >> 8) | top | nan_bit
    } else {
        let rounded = ((exponent | significand) + (significand & 0x80)) >> 8;
        if rounded >= 0x007f_8000 {
            (exponent | significand) >> 8
        } else {
            rounded
        }
    };
    sign | magnitude
}

#[cfg(test)]
mod tests {
    use libdeflater::{CompressionLvl, Compressor};

    use super::*;
    use crate::codec::ChannelLayout;
    use crate::meta::types::Box2i;

    fn channel(pixel_type: PixelType, y_sampling: i32, height: usize) -> ChannelLayout {
        ChannelLayout {
            pixel_type,
            x_sampling: 1,
            y_sampling,
            p_linear: false,
            width: 3,
            height,
        }
    }

    /// Lines 4 and 5, three samples wide, of a HALF and a FLOAT channel and
    /// of a UINT channel that has samples on even lines only.
    fn layout() -> BlockLayout {
        BlockLayout {
            region: Box2i {
                min_x: -1,
                min_y: 4,
                max_x: 1,
                max_y: 5,
            },
            channels: vec![
                channel(PixelType::Half, 1, 2),
                channel(PixelType::Float, 1, 2),
                channel(PixelType::Uint, 2, 1),
            ],
            names: crate::codec::test_names(3),
            unpacked_size: 48,
        }
    }

    const HALF_PLANES: [u8; 6] = [0x3c, 0x00, 0xff, 0x00, 0x01, 0xfe];
    const FLOAT_PLANES: [u8; 9] = [0x3f, 0x00, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00];
    const UINT_PLANES: [u8; 12] = [0, 0xff, 0xff, 0, 0xff, 0xff, 0, 0xff, 0xff, 1, 0xff, 0xff];

    const HALF_LINE: [u8; 6] = [0x00, 0x3c, 0x01, 0x3c, 0xff, 0x3b];
    const FLOAT_LINE: [u8; 12] = [0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xbf];
    const UINT_LINE: [u8; 12] = [1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut compressor = Compressor::new(CompressionLvl::default());
        let mut out = vec![0; compressor.zlib_compress_bound(bytes.len())];
        let n = compressor.zlib_compress(bytes, &mut out).unwrap();
        out.truncate(n);
        out
    }

    /// The planes of `layout()`: each line starts again from zero.
    fn planes() -> Vec<u8> {
        [
            &HALF_PLANES[..],
            &FLOAT_PLANES,
            &UINT_PLANES,
            &HALF_PLANES,
            &FLOAT_PLANES,
        ]
        .concat()
    }

    #[test]
    fn lines_sum_their_differences_per_type() {
        let mut out = [0u8; 48];
        decompress(
            &layout(),
            &zlib(&planes()),
            &mut out,
            &mut Scratch::default(),
        )
        .unwrap();
        let expected = [
            &HALF_LINE[..],
            &FLOAT_LINE,
            &UINT_LINE,
            &HALF_LINE,
            &FLOAT_LINE,
        ]
        .concat();
        assert_eq!(out[..], expected[..]);
    }

    #[test]
    fn planes_of_the_wrong_size_are_corrupt() {
        let mut out = [0u8; 48];
        let mut scratch = Scratch::default();
        let mut planes = planes();
        planes.push(0);
        assert!(decompress(&layout(), &zlib(&planes), &mut out, &mut scratch).is_err());
        planes.truncate(planes.len() - 2);
        assert!(decompress(&layout(), &zlib(&planes), &mut out, &mut scratch).is_err());
    }

    #[test]
    fn damaged_streams_fail_without_panicking() {
        let packed = zlib(&planes());
        let mut out = [0u8; 48];
        let mut scratch = Scratch::default();
        for len in 0..packed.len() {
            assert!(decompress(&layout(), &packed[..len], &mut out, &mut scratch).is_err());
        }
        let mut damaged = packed.clone();
        for at in 0..packed.len() {
            for bit in 0..8 {
                damaged.copy_from_slice(&packed);
                damaged[at] ^= 1 << bit;
                let _ = decompress(&layout(), &damaged, &mut out, &mut scratch);
            }
        }
    }

    #[test]
    fn eight_bit_samples_are_refused() {
        let mut layout = layout();
        layout.channels[0].pixel_type = PixelType::U8;
        let mut out = [0u8; 42];
        layout.unpacked_size = out.len();
        let packed = zlib(&planes());
        assert!(decompress(&layout, &packed, &mut out, &mut Scratch::default()).is_err());
    }

    #[test]
    fn lines_round_trip_through_the_planes() {
        let mut unpacked = [
            &HALF_LINE[..],
            &FLOAT_LINE,
            &UINT_LINE,
            &HALF_LINE,
            &FLOAT_LINE,
        ]
        .concat();
        let mut scratch = Scratch::default();
        let mut packed = Vec::new();
        compress(&layout(), &unpacked, 4, &mut packed, &mut scratch).unwrap();
        let mut back = [0u8; 48];
        decompress(&layout(), &packed, &mut back, &mut scratch).unwrap();
        assert_eq!(back[..], unpacked[..]);
        // The low byte of a float is dropped; the next one rounds.
        unpacked[6..10].copy_from_slice(&0x3f80_0080u32.to_le_bytes());
        compress(&layout(), &unpacked, 4, &mut packed, &mut scratch).unwrap();
        decompress(&layout(), &packed, &mut back, &mut scratch).unwrap();
        assert_eq!(back[6..10], 0x3f80_0100u32.to_le_bytes());
    }

    #[test]
    fn floats_round_to_24_bits_as_openexr_does() {
        assert_eq!(to_float24(0x3f80_007f), 0x3f_8000);
        assert_eq!(to_float24(0x3f80_0080), 0x3f_8001);
        assert_eq!(to_float24(0xbf80_0080), 0xbf_8001);
        // Infinities stay, NaNs stay NaNs, FLT_MAX is cut, not overflowed.
        assert_eq!(to_float24(0x7f80_0000), 0x7f_8000);
        assert_eq!(to_float24(0x7f80_0001), 0x7f_8001);
        assert_eq!(to_float24(0xffc0_0000), 0xff_c000);
        assert_eq!(to_float24(0x7f7f_ffff), 0x7f_7fff);
    }

    #[test]
    fn an_empty_block_packs() {
        let layout = BlockLayout {
            region: Box2i {
                min_x: 0,
                min_y: 0,
                max_x: -1,
                max_y: -1,
            },
            channels: vec![],
            names: Vec::new(),
            unpacked_size: 0,
        };
        let mut packed = Vec::new();
        let mut scratch = Scratch::default();
        compress(&layout, &[], 4, &mut packed, &mut scratch).unwrap();
        decompress(&layout, &packed, &mut [], &mut scratch).unwrap();
    }
}
