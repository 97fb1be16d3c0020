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

use super::BlockLayout;
use crate::error::{Error, Result};
use crate::meta::types::PixelType;

/// A decompressor and the inflated planes, kept per thread.
#[derive(Default)]
pub struct Scratch {
    inflater: Option<Decompressor>,
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
}

/// Packs one PXR24 block into `out` (placeholder: the encoder is being written).
pub fn compress(
    _layout: &BlockLayout,
    unpacked: &[u8],
    _level: u32,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()> {
    let _ = (unpacked, out, scratch);
    Err(crate::error::Error::Unsupported(
        "PXR24 encoding is being written".into(),
    ))
}
