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
use super::half::{f16_bits, f16_bits_quieting, f32_from_f16, f32_from_f16_lanes};
use super::ChannelLines;
use crate::cpu::{self, HalfInstructions, Kernel, Vectors};
use crate::error::{corrupt, Result};
use crate::meta::types::PixelType;

/// The AC and DC streams, consumed as channels decode.
pub struct Streams<'a> {
    /// The AC words not yet decoded.
    pub ac: &'a [u16],
    /// The DC words not yet decoded.
    pub dc: &'a [u16],
}

/// Decodes one channel, or three channels of a colour set (R, G, B holding
/// Y, Cb, Cr), all `width` by `height`, into `out`. `to_linear` maps the
/// decoded perceptual halves back to linear light (absent for pLinear
/// channels decoded alone).
pub fn decode(
    targets: &[ChannelLines<'_>],
    height: usize,
    streams: &mut Streams<'_>,
    to_linear: Option<&[u16; 1 << 16]>,
    out: &mut [u8],
    vectors: Vectors,
) -> Result<()> {
    let blocks = Blocks {
        targets,
        height,
        streams,
        to_linear,
        out,
    };
    cpu::run(blocks, vectors)
}

/// [`decode`]'s arguments, for the vector region.
struct Blocks<'a, 's, 't> {
    targets: &'a [ChannelLines<'a>],
    height: usize,
    streams: &'a mut Streams<'s>,
    to_linear: Option<&'t [u16; 1 << 16]>,
    out: &'a mut [u8],
}

/// [`decode`]'s work: it and everything it calls per block are inlined
/// into the vector region.
impl Kernel for Blocks<'_, '_, '_> {
    type Output = Result<()>;

    #[inline(always)]
    fn run<H: HalfInstructions>(self) -> Result<()> {
        let Blocks {
            targets,
            height,
            streams,
            to_linear,
            out,
        } = self;
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
                let mut flat = [true; 3];
                for (k, data) in coefficients.iter_mut().enumerate() {
                    let dc = dc_all[k * blocks + block_y * blocks_x + block_x];
                    let mut halves = [0u16; 64];
                    halves[0] = dc;
                    let last = un_rle_ac(&mut streams.ac, &mut halves)?;
                    if last == 0 {
                        data[0] = dct::inverse_dc_only(f32_from_f16(dc));
                    } else {
                        flat[k] = false;
                        for (value, &h) in data.iter_mut().zip(&halves) {
                            *value = f32_from_f16_lanes(h);
                        }
                        dct::inverse(data, dct::rows_in_use(last));
                        dct::settle_nans(data, halves.iter().map(|&h| f32_from_f16(h)));
                    }
                }
                if flat.iter().all(|&f| f) {
                    store_constant_block(&mut coefficients, &mut row_blocks, block_x);
                } else {
                    store_block::<H>(&mut coefficients, flat, &mut row_blocks, block_x);
                }
            }
            let lines = (height - block_y * 8).min(8);
            for (target, halves) in targets.iter().zip(&row_blocks) {
                for line in 0..lines {
                    let at = target.lines[block_y * 8 + line];
                    write_line(target, halves, line, to_linear, &mut out[at..])?;
                }
            }
        }
        Ok(())
    }
}

/// Stores a block whose channels are all flat (only `data[0]` of each
/// holds its value) as halves: one colour conversion and one scalar
/// rounding per channel, as OpenEXR does.
#[inline(always)]
fn store_constant_block(coefficients: &mut [[f32; 64]], row_blocks: &mut [Vec<u16>], x: usize) {
    if let [y, cb, cr] = coefficients {
        (y[0], cb[0], cr[0]) = ycbcr_to_rgb(y[0], cb[0], cr[0]);
    }
    for (halves, data) in row_blocks.iter_mut().zip(&*coefficients) {
        halves[x * 64..][..64].fill(f16_bits(data[0]));
    }
}

/// Stores a block as halves, its samples converted from Y'CbCr first when
/// it is a colour set's, rounded as OpenEXR's F16C path rounds them. Flat
/// channels of the block have only `data[0]` set and are spread first.
#[inline(always)]
fn store_block<H: HalfInstructions>(
    coefficients: &mut [[f32; 64]],
    flat: [bool; 3],
    row_blocks: &mut [Vec<u16>],
    x: usize,
) {
    for (data, flat) in coefficients.iter_mut().zip(flat) {
        if flat {
            *data = [data[0]; 64];
        }
    }
    if let [y, cb, cr] = coefficients {
        for i in 0..64 {
            (y[i], cb[i], cr[i]) = ycbcr_to_rgb(y[i], cb[i], cr[i]);
        }
    }
    for (halves, data) in row_blocks.iter_mut().zip(&*coefficients) {
        let halves = &mut halves[x * 64..][..64];
        if let Some(rounded) = H::f32_to_f16_quieting(data) {
            halves.copy_from_slice(&rounded);
            continue;
        }
        for (h, &v) in halves.iter_mut().zip(data) {
            *h = f16_bits_quieting(v);
        }
    }
}

/// Writes line `line` of a row of blocks of halves (`halves`, block after
/// block) as the target's samples at the start of `out`, through
/// `to_linear` when given.
#[inline(always)]
fn write_line(
    target: &ChannelLines<'_>,
    halves: &[u16],
    line: usize,
    to_linear: Option<&[u16; 1 << 16]>,
    out: &mut [u8],
) -> Result<()> {
    let Some(out) = out.get_mut(..target.width * target.pixel_type.size()) else {
        corrupt!("DWA line runs past the end of the block");
    };
    let runs = halves.chunks_exact(64).map(|block| &block[line * 8..][..8]);
    let linear = |h: u16| to_linear.map_or(h, |t| t[usize::from(h)]);
    match target.pixel_type {
        PixelType::Half => {
            for (dst, run) in out.chunks_mut(16).zip(runs) {
                for (sample, &h) in dst.chunks_exact_mut(2).zip(run) {
                    sample.copy_from_slice(&linear(h).to_le_bytes());
                }
            }
        }
        PixelType::Float => {
            for (dst, run) in out.chunks_mut(32).zip(runs) {
                for (sample, &h) in dst.chunks_exact_mut(4).zip(run) {
                    sample.copy_from_slice(&f32_from_f16(linear(h)).to_le_bytes());
                }
            }
        }
        other => corrupt!("DWA codes a {other:?} channel as lossy DCT"),
    }
    Ok(())
}

/// OpenEXR's inverse of its Rec. 709 Y'CbCr, with Cb and Cr centred on 0.
#[inline(always)]
fn ycbcr_to_rgb(y: f32, cb: f32, cr: f32) -> (f32, f32, f32) {
    (
        y + 1.5747 * cr,
        y - 0.1873 * cb - 0.4682 * cr,
        y + 1.8556 * cb,
    )
}

/// Expands one block's run-length coded AC coefficients from the front of
/// `ac` into `block` (row-major halves, holding zeros but for the DC);
/// returns the zig-zag index of the last non-zero coefficient, 0 when
/// there is none.
#[inline(always)]
fn un_rle_ac(ac: &mut &[u16], block: &mut [u16; 64]) -> Result<usize> {
    let words = *ac;
    let mut taken = 0;
    let mut index = 1;
    let mut last = 0;
    // Selects rather than branches: which words are runs follows no
    // pattern a branch predictor could learn. A run word stores a zero
    // where the block already holds one.
    while index < 64 {
        let Some(&word) = words.get(taken) else {
            corrupt!("DWA AC stream ends inside a block");
        };
        taken += 1;
        let run = word & 0xff00 == 0xff00;
        let zeros = usize::from(word & 0xff);
        block[ZIGZAG[index]] = if run { 0 } else { word };
        last = if run { last } else { index };
        // A run of no zeros ends the block.
        index += if run {
            zeros | usize::from(zeros == 0) << 6
        } else {
            1
        };
    }
    *ac = &words[taken..];
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ac_runs_expand_and_report_the_last_coefficient() {
        let stream = [0x3c00, 0xff02, 0x4000, 0xff00, 0x1234];
        let mut ac = &stream[..];
        let mut block = [0u16; 64];
        assert_eq!(un_rle_ac(&mut ac, &mut block).unwrap(), 4);
        // Zig-zag index 1 is row 0 column 1; index 4 is row 1 column 1.
        assert_eq!(block[1], 0x3c00);
        assert_eq!(block[9], 0x4000);
        assert_eq!(block.iter().filter(|&&v| v != 0).count(), 2);
        assert_eq!(ac, [0x1234]);
        let mut short = &stream[..2];
        assert!(un_rle_ac(&mut short, &mut [0u16; 64]).is_err());
    }
}
