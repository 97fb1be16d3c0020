//! Decoding DWA's lossy DCT channels: one channel alone, or the R, G, B of
//! a layer together as Y'CbCr.
//!
//! Each channel is cut into 8x8 blocks, left to right and top to bottom.
//! A block's DC coefficient comes from the DC stream (each channel's DC
//! values in one run), its 63 AC coefficients from the AC stream in
//! zig-zag order, run-length coded: a word 0xffNN skips NN zeros (NN = 0
//! ends the block). Blocks of a colour set interleave their channels in
//! the AC stream. Coefficients are half floats of the perceptual values.

use super::dct::{self, ZIGZAG};
use super::half::{f16_bits, f16_bits_quieting, f32_from_f16};
use crate::error::{corrupt, Result};
use crate::meta::types::PixelType;

/// Where one channel's decoded lines go in the unpacked block.
pub struct Target<'a> {
    /// Byte offset of each of the channel's lines.
    pub lines: &'a [usize],
    /// HALF or FLOAT.
    pub pixel_type: PixelType,
    /// Samples per line.
    pub width: usize,
}

/// The AC and DC streams, consumed as channels decode.
pub struct Streams<'a> {
    pub ac: &'a [u16],
    pub dc: &'a [u16],
}

/// Decodes one channel, or three channels of a colour set (R, G, B holding
/// Y, Cb, Cr), all `width` by `height`, into `out`. `to_linear` maps the
/// decoded perceptual halves back to linear light (absent for pLinear
/// channels decoded alone).
pub fn decode(
    targets: &[Target<'_>],
    height: usize,
    streams: &mut Streams<'_>,
    to_linear: Option<&[u16; 1 << 16]>,
    out: &mut [u8],
) -> Result<()> {
    let Some(width) = targets.first().map(|t| t.width) else {
        return Ok(());
    };
    let (blocks_x, blocks_y) = (width.div_ceil(8), height.div_ceil(8));
    let blocks = blocks_x * blocks_y;
    let Some(dc_all) = streams.dc.get(..blocks * targets.len()) else {
        corrupt!(
            "DWA DC stream holds {} values where {} blocks need {}",
            streams.dc.len(),
            blocks,
            blocks * targets.len()
        );
    };
    streams.dc = &streams.dc[dc_all.len()..];
    // A row of blocks of each channel as halves, block after block.
    let mut row_blocks = vec![vec![0u16; blocks_x * 64]; targets.len()];
    let mut coefficients = vec![[0f32; 64]; targets.len()];
    for block_y in 0..blocks_y {
        for block_x in 0..blocks_x {
            let mut constant = true;
            for (k, data) in coefficients.iter_mut().enumerate() {
                let dc = dc_all[k * blocks + block_y * blocks_x + block_x];
                let mut zigzag = [0u16; 64];
                zigzag[0] = dc;
                let last = un_rle_ac(&mut streams.ac, &mut zigzag)?;
                if last == 0 {
                    data.fill(dct::inverse_dc_only(f32_from_f16(dc)));
                } else {
                    constant = false;
                    for (&bits, &at) in zigzag.iter().zip(&ZIGZAG) {
                        data[at] = f32_from_f16(bits);
                    }
                    dct::inverse(data, dct::rows_in_use(last));
                }
            }
            if let [y, cb, cr] = &mut coefficients[..] {
                let samples = if constant { 1 } else { 64 };
                for i in 0..samples {
                    (y[i], cb[i], cr[i]) = ycbcr_to_rgb(y[i], cb[i], cr[i]);
                }
            }
            for (halves, data) in row_blocks.iter_mut().zip(&coefficients) {
                let block = &mut halves[block_x * 64..][..64];
                if constant {
                    block.fill(f16_bits(data[0]));
                } else {
                    for (h, &v) in block.iter_mut().zip(data) {
                        *h = f16_bits_quieting(v);
                    }
                }
            }
        }
        let lines = (height - block_y * 8).min(8);
        for (target, halves) in targets.iter().zip(&row_blocks) {
            for line in 0..lines {
                let at = target.lines[block_y * 8 + line];
                let samples = (0..width).map(|x| {
                    let h = halves[(x / 8) * 64 + line * 8 + x % 8];
                    to_linear.map_or(h, |t| t[usize::from(h)])
                });
                write_line(target.pixel_type, samples, &mut out[at..])?;
            }
        }
    }
    Ok(())
}

/// Writes halves as a line of `pixel_type` samples at the start of `out`.
fn write_line(
    pixel_type: PixelType,
    samples: impl ExactSizeIterator<Item = u16>,
    out: &mut [u8],
) -> Result<()> {
    let size = pixel_type.size();
    let Some(line) = out.get_mut(..samples.len() * size) else {
        corrupt!("DWA line runs past the end of the block");
    };
    match pixel_type {
        PixelType::Half => {
            for (dst, h) in line.chunks_exact_mut(2).zip(samples) {
                dst.copy_from_slice(&h.to_le_bytes());
            }
        }
        PixelType::Float => {
            for (dst, h) in line.chunks_exact_mut(4).zip(samples) {
                dst.copy_from_slice(&f32_from_f16(h).to_le_bytes());
            }
        }
        other => corrupt!("DWA codes a {other:?} channel as lossy DCT"),
    }
    Ok(())
}

/// OpenEXR's inverse of its Rec. 709 Y'CbCr, with Cb and Cr centred on 0.
fn ycbcr_to_rgb(y: f32, cb: f32, cr: f32) -> (f32, f32, f32) {
    (
        y + 1.5747 * cr,
        y - 0.1873 * cb - 0.4682 * cr,
        y + 1.8556 * cb,
    )
}

/// Expands one block's run-length coded AC coefficients from the front of
/// `ac` into `zigzag[1..]` (which holds zeros); returns the zig-zag index of
/// the last non-zero coefficient, 0 when there is none.
fn un_rle_ac(ac: &mut &[u16], zigzag: &mut [u16; 64]) -> Result<usize> {
    let mut index = 1;
    let mut last = 0;
    while index < 64 {
        let Some((&word, rest)) = ac.split_first() else {
            corrupt!("DWA AC stream ends inside a block");
        };
        *ac = rest;
        if word & 0xff00 == 0xff00 {
            let zeros = usize::from(word & 0xff);
            index += if zeros == 0 { 64 } else { zeros };
        } else {
            zigzag[index] = word;
            last = index;
            index += 1;
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ac_runs_expand_and_report_the_last_coefficient() {
        let stream = [0x3c00, 0xff02, 0x4000, 0xff00, 0x1234];
        let mut ac = &stream[..];
        let mut zigzag = [0u16; 64];
        assert_eq!(un_rle_ac(&mut ac, &mut zigzag).unwrap(), 4);
        assert_eq!(zigzag[1], 0x3c00);
        assert_eq!(zigzag[4], 0x4000);
        assert_eq!(ac, [0x1234]);
        let mut short = &stream[..2];
        assert!(un_rle_ac(&mut short, &mut [0u16; 64]).is_err());
    }
}
