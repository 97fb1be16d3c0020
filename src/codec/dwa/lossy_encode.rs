//! Encoding DWA's lossy DCT channels, the inverse of [`super::lossy`]:
//! 8x8 blocks (mirrored past the right and bottom edges) of perceptual
//! values, R, G, B of a colour set turned into Y'CbCr, transformed,
//! rounded to halves and quantised to the fewest set bits the
//! compression level allows, DC values apart and AC values run-length
//! coded. OpenEXR's arithmetic throughout, so the stream is the one it
//! writes.

use super::dct::{self, ZIGZAG};
use super::half::{f16_bits, f32_from_f16_lanes};
use super::quantize::Quantizer;
use super::ChannelLines;
use crate::cpu::{HalfInstructions, Kernel};
use crate::meta::types::PixelType;

/// JPEG's example quantisation tables (luma, chroma), each divided by its
/// least entry and scaled by the level to give each coefficient's error
/// tolerance.
const LUMA: [u8; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const LUMA_LEAST: f32 = 10.0;
const CHROMA: [u8; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];
const CHROMA_LEAST: f32 = 17.0;

/// Each coefficient's tolerance at `level` for `table`, in the order
/// [`dct::forward_transposed`] leaves the coefficients.
fn tolerances(level: f32, table: &[u8; 64], least: f32) -> [f32; 64] {
    let base = (level / 100_000.0).max(0.0);
    let mut tolerances = [0.0; 64];
    for (i, &q) in table.iter().enumerate() {
        tolerances[dct::transposed(i)] = base * f32::from(q) / least;
    }
    tolerances
}

/// Where each zig-zag index's coefficient is among the transposed ones.
const ZIGZAG_TRANSPOSED: [usize; 64] = {
    let mut table = [0; 64];
    let mut z = 0;
    while z < 64 {
        table[z] = dct::transposed(ZIGZAG[z]);
        z += 1;
    }
    table
};

/// One channel, or three of a colour set (R, G, B), all `width` by
/// `height`, to encode from `unpacked`: [`crate::cpu::run`] appends their AC
/// words to `ac` and their DC words to `dc` (each channel's in one run).
/// `to_nonlinear` maps linear halves to perceptual ones (absent for
/// pLinear channels coded alone).
pub struct Blocks<'a> {
    /// The channel, or R, G and B.
    pub sources: &'a [ChannelLines<'a>],
    /// The lines of each.
    pub height: usize,
    /// The unpacked block the lines are in.
    pub unpacked: &'a [u8],
    /// The compression level.
    pub level: f32,
    /// Linear to perceptual halves, when the channels are not pLinear.
    pub to_nonlinear: Option<&'a [u16; 1 << 16]>,
    /// Where the AC words go.
    pub ac: &'a mut Vec<u16>,
    /// Where the DC words go.
    pub dc: &'a mut Vec<u16>,
}

/// The work of [`Blocks`]: it and everything it calls per block are
/// inlined into the vector region.
impl Kernel for Blocks<'_> {
    type Output = ();

    #[inline(always)]
    fn run<H: HalfInstructions>(self) {
        let Blocks {
            sources,
            height,
            unpacked,
            level,
            to_nonlinear,
            ac,
            dc,
        } = self;
        let Some(width) = sources.first().map(|s| s.width) else {
            return;
        };
        // A loop, not a closure: a closure would be compiled outside the
        // vector region.
        let mut planes = Vec::with_capacity(sources.len());
        for source in sources {
            planes.push(plane::<H>(source, height, unpacked, to_nonlinear));
        }
        let luma = tolerances(level, &LUMA, LUMA_LEAST);
        let chroma = tolerances(level, &CHROMA, CHROMA_LEAST);
        let (blocks_x, blocks_y) = (width.div_ceil(8), height.div_ceil(8));
        let mut dcs = vec![Vec::with_capacity(blocks_x * blocks_y); sources.len()];
        let mut blocks = vec![[0f32; 64]; sources.len()];
        let quantizer = Quantizer::new();
        for block_y in 0..blocks_y {
            for block_x in 0..blocks_x {
                let columns: [usize; 8] = std::array::from_fn(|i| mirror(block_x * 8 + i, width));
                let inside = block_x * 8 + 8 <= width;
                for (block, plane) in blocks.iter_mut().zip(&planes) {
                    for (row, out) in block.chunks_exact_mut(8).enumerate() {
                        let line = &plane[mirror(block_y * 8 + row, height) * width..][..width];
                        let halves: [u16; 8] = match line.get(block_x * 8..block_x * 8 + 8) {
                            Some(eight) if inside => eight.try_into().unwrap_or([0; 8]),
                            _ => columns.map(|x| line[x]),
                        };
                        // Without branches, so that the block stays in vectors.
                        out.copy_from_slice(&halves.map(f32_from_f16_lanes));
                    }
                }
                if let [r, g, b] = &mut blocks[..] {
                    for i in 0..64 {
                        (r[i], g[i], b[i]) = rgb_to_ycbcr(r[i], g[i], b[i]);
                    }
                }
                for (k, (block, dcs)) in blocks.iter_mut().zip(&mut dcs).enumerate() {
                    // Kept only where a NaN makes the transform's NaNs need
                    // settling.
                    let inputs = dct::any_nan(block).then_some(*block);
                    dct::forward_transposed(block);
                    dct::settle_nans(block, inputs.into_iter().flatten());
                    let tolerance = if k == 0 { &luma } else { &chroma };
                    let halves = to_halves::<H, 64>(block);
                    let quantized = quantizer.quantize_block::<H>(&halves, tolerance);
                    let zigzag: [u16; 64] =
                        std::array::from_fn(|z| quantized[ZIGZAG_TRANSPOSED[z]]);
                    dcs.push(zigzag[0]);
                    rle_ac(&zigzag, ac);
                }
            }
        }
        for channel in dcs {
            dc.extend_from_slice(&channel);
        }
    }
}

/// The half bits of a block's values as OpenEXR's scalar conversion
/// gives them: by F16C where the build has it, which differs only in
/// making NaNs quiet, so not for blocks that hold a NaN.
#[inline(always)]
fn to_halves<H: HalfInstructions, const N: usize>(block: &[f32; N]) -> [u16; N] {
    match H::f32_to_f16_quieting(block) {
        Some(halves) if !block.iter().fold(false, |any, v| any | v.is_nan()) => halves,
        _ => std::array::from_fn(|i| f16_bits(block[i])),
    }
}

/// The channel's samples as halves, line after line, through
/// `to_nonlinear`; FLOAT samples are clamped to the half range and
/// rounded first (eight at a time by `H` where none is a NaN).
#[inline(always)]
fn plane<H: HalfInstructions>(
    source: &ChannelLines<'_>,
    height: usize,
    unpacked: &[u8],
    to_nonlinear: Option<&[u16; 1 << 16]>,
) -> Vec<u16> {
    let mut plane = Vec::with_capacity(source.width * height);
    for &at in source.lines.iter().take(height) {
        let line = &unpacked[at..];
        match source.pixel_type {
            PixelType::Float => {
                let bytes = &line[..line.len().min(source.width * 4)];
                let sample = |b: &[u8]| {
                    f32::from_le_bytes([b[0], b[1], b[2], b[3]]).clamp(-65504.0, 65504.0)
                };
                let eights = bytes.chunks_exact(32);
                let rest = eights.remainder();
                for eight in eights {
                    let values: [f32; 8] =
                        std::array::from_fn(|i| sample(&eight[4 * i..4 * i + 4]));
                    plane.extend_from_slice(&to_halves::<H, 8>(&values));
                }
                plane.extend(rest.chunks_exact(4).map(|b| f16_bits(sample(b))));
            }
            _ => plane.extend(
                line.chunks_exact(2)
                    .take(source.width)
                    .map(|b| u16::from_le_bytes([b[0], b[1]])),
            ),
        }
    }
    if let Some(table) = to_nonlinear {
        for h in &mut plane {
            *h = table[usize::from(*h)];
        }
    }
    plane
}

/// Index `i` folded back into `0..len` (`len` at least 1) past the end,
/// as OpenEXR mirrors blocks at the edges: `len` maps to `len - 1`,
/// `len + 1` to `len - 2`.
#[inline(always)]
fn mirror(i: usize, len: usize) -> usize {
    if i < len {
        i
    } else {
        (2 * len).checked_sub(i + 1).unwrap_or(len - 1)
    }
}

/// OpenEXR's Rec. 709 R'G'B' to Y'CbCr, with Cb and Cr centred on 0.
#[inline(always)]
fn rgb_to_ycbcr(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    (
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        -0.1146 * r - 0.3854 * g + 0.5000 * b,
        0.5000 * r - 0.4542 * g - 0.0458 * b,
    )
}

/// Appends a block's AC coefficients (zig-zag order), runs of zeros
/// coded as 0xffNN and a final run as 0xff00; a lone zero stays a zero.
#[inline(always)]
fn rle_ac(zigzag: &[u16; 64], ac: &mut Vec<u16>) {
    // Bit `i` set where coefficient `i` is not zero; runs of zeros are
    // then counted by the zero bits.
    let mut nonzero = 0u64;
    for (i, &v) in zigzag.iter().enumerate() {
        nonzero |= u64::from(v != 0) << i;
    }
    let mut index = 1;
    while index < 64 {
        let rest = nonzero >> index;
        if rest & 1 != 0 {
            ac.push(zigzag[index]);
            index += 1;
            continue;
        }
        let run = (rest.trailing_zeros() as usize).min(64 - index);
        if run == 1 {
            ac.push(0);
        } else if index + run == 64 {
            ac.push(0xff00);
        } else {
            ac.push(0xff00 | run as u16);
        }
        index += run;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_mirror_without_repeating_past_the_last_sample() {
        assert_eq!(
            (0..8).map(|i| mirror(i, 5)).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 4, 3, 2]
        );
        assert_eq!(mirror(9, 1), 0);
    }

    #[test]
    fn ac_runs_expand_back_to_every_block() {
        let mut state = 3u32;
        for density in [1u32, 2, 4, 16, 64, 1000] {
            for _ in 0..200 {
                let zigzag: [u16; 64] = std::array::from_fn(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    if (state >> 8) % density == 0 {
                        (state >> 16) as u16 & 0x7bff | 1
                    } else {
                        0
                    }
                });
                let mut ac = Vec::new();
                rle_ac(&zigzag, &mut ac);
                // Expanded as the decoder reads the stream.
                let mut back = [0u16; 64];
                back[0] = zigzag[0];
                let mut index = 1;
                for &word in &ac {
                    match (word & 0xff00 == 0xff00, usize::from(word & 0xff)) {
                        (true, 0) => index = 64,
                        (true, zeros) => index += zeros,
                        (false, _) => {
                            back[index] = word;
                            index += 1;
                        }
                    }
                }
                assert_eq!(index, 64, "{zigzag:?} as {ac:?}");
                assert_eq!(back, zigzag, "{ac:?}");
                // A run word is never a lone zero, nor followed by one.
                assert!(ac
                    .windows(2)
                    .all(|w| !(w[0] & 0xff00 == 0xff00 && w[1] == 0)));
            }
        }
    }

    #[test]
    fn ac_runs_match_the_decoders_reading() {
        let mut zigzag = [0u16; 64];
        zigzag[1] = 0x3c00;
        zigzag[3] = 0x4000;
        zigzag[5] = 0x1111;
        let mut ac = Vec::new();
        rle_ac(&zigzag, &mut ac);
        assert_eq!(ac, [0x3c00, 0, 0x4000, 0, 0x1111, 0xff00]);
    }
}
