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
//! Samples of perceptually linear (pLinear) channels are mapped through
//! `exp(x / 8)` before coding, and back through `8 * ln(x)` after decoding.
//!
//! The encoder picks, for each block, the smallest shift at which every
//! difference of the rounded distances to the block's largest sample fits in
//! six bits, rounding as OpenEXR does so that its decoder and this one give
//! the same pixels back.

use std::sync::OnceLock;

use half::f16;

use super::{BlockLayout, ChannelLayout};
use crate::error::{corrupt, try_resize, Error, Result};
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
    /// Four lines of a HALF channel, each padded to whole blocks: decoded
    /// from one row of blocks, or, when packing, as the ordered integers of
    /// the next row of blocks.
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

/// Packs one B44 block (B44A when `flat_blocks`, which stores blocks of
/// equal samples in 3 bytes) into `out`.
pub fn compress(
    layout: &BlockLayout,
    unpacked: &[u8],
    flat_blocks: bool,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()> {
    if unpacked.len() != layout.unpacked_size {
        return Err(layout_mismatch(layout));
    }
    find_line_offsets(layout, &mut scratch.line_offsets, &mut scratch.next_line)?;
    out.reserve(unpacked.len());
    let mut first_line = 0usize;
    for channel in &layout.channels {
        let lines = scratch
            .line_offsets
            .get(first_line..first_line + channel.height)
            .ok_or_else(|| layout_mismatch(layout))?;
        first_line += channel.height;
        let len = channel.line_bytes();
        if channel.pixel_type != PixelType::Half {
            for &start in lines {
                out.extend_from_slice(line(unpacked, start, len)?);
            }
            continue;
        }
        if channel.width == 0 {
            continue;
        }
        let exp = if channel.p_linear {
            Some(exp_table()?)
        } else {
            None
        };
        // Four lines as ordered integers, each padded to whole blocks.
        let padded = channel.width.div_ceil(4) * 4;
        let band_size = padded
            .checked_mul(4)
            .ok_or_else(|| layout_mismatch(layout))?;
        try_resize(&mut scratch.band, band_size)?;
        let band = scratch
            .band
            .get_mut(..band_size)
            .ok_or_else(|| layout_mismatch(layout))?;
        for band_lines in lines.chunks(4) {
            for (i, row) in band.chunks_exact_mut(padded).enumerate() {
                // Missing lines of the last band repeat the band's last line.
                let &start = band_lines
                    .get(i)
                    .or(band_lines.last())
                    .ok_or_else(|| layout_mismatch(layout))?;
                ordered_line(line(unpacked, start, len)?, exp, row);
            }
            let (r0, rest) = band.split_at(padded);
            let (r1, rest) = rest.split_at(padded);
            let (r2, r3) = rest.split_at(padded);
            let rows = r0
                .chunks_exact(4)
                .zip(r1.chunks_exact(4))
                .zip(r2.chunks_exact(4))
                .zip(r3.chunks_exact(4));
            for (((s0, s1), s2), s3) in rows {
                pack(columns([s0, s1, s2, s3]), flat_blocks, exp.is_none(), out);
            }
        }
    }
    Ok(())
}

/// The samples of one line of the unpacked block.
fn line(unpacked: &[u8], start: usize, len: usize) -> Result<&[u8]> {
    start
        .checked_add(len)
        .and_then(|end| unpacked.get(start..end))
        .ok_or_else(|| Error::Internal(format!("B44 line at {start} runs past the block")))
}

/// Fills `row` with the ordered integers of the little-endian halves of
/// `line`, mapped through `exp` first (for pLinear channels), and pads it
/// with copies of the last.
fn ordered_line(line: &[u8], exp: Option<&[u16; 0x10000]>, row: &mut [u16]) {
    let halves = line
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes(pair.try_into().unwrap_or_default()));
    let samples = row.iter_mut().zip(halves);
    match exp {
        None => samples.for_each(|(t, h)| *t = to_ordered(h)),
        Some(exp) => samples.for_each(|(t, h)| *t = to_ordered(exp[usize::from(h)])),
    }
    let filled = line.len() / 2;
    if let Some(&last) = filled.checked_sub(1).and_then(|i| row.get(i)) {
        row.iter_mut().skip(filled).for_each(|t| *t = last);
    }
}

/// A block, column by column, from its four lines of four samples.
fn columns(rows: [&[u16]; 4]) -> Block {
    let [r0, r1, r2, r3] = rows.map(|row| row.first_chunk::<4>().copied().unwrap_or_default());
    [
        r0[0], r1[0], r2[0], r3[0], r0[1], r1[1], r2[1], r3[1], r0[2], r1[2], r2[2], r3[2], r0[3],
        r1[3], r2[3], r3[3],
    ]
}

/// The ordered integer a half stands for (see [`to_half`]); infinities and
/// NaNs stand for zero, as B44 cannot hold them.
fn to_ordered(bits: u16) -> u16 {
    // All ones for negative halves, the top bit alone for positive ones:
    // no branch on the sign, which may change from sample to sample.
    let flip = ((bits as i16) >> 15) as u16 | 0x8000;
    if bits & 0x7c00 == 0x7c00 {
        0x8000
    } else {
        bits ^ flip
    }
}

/// `x / 2^shift` rounded to the nearest integer, ties to even.
fn shift_and_round(x: u16, shift: u32) -> u16 {
    let below = (1u16 << shift) - 1;
    let quotient = x >> shift;
    // Up when the remainder is more than half, or half and the quotient odd;
    // for a shift of 0, `below` masks out both and there is nothing to round.
    let remainder = (x & below) + (quotient & below & 1);
    quotient + u16::from(remainder > (below >> 1) + 1)
}

/// The largest shift a block can need: at 12, distances of at most 0xffff
/// round to at most 16, so every difference fits in six bits.
const MAX_SHIFT: u32 = 12;

/// The bias that makes a difference of six bits unsigned.
const BIAS: u16 = 0x20;

/// Appends the 14 bytes (or, with `flat_blocks` and all samples equal, the 3
/// bytes) that code a block of 16 halves, given as their ordered integers
/// `t`, column by column. With `exact_max` the first sample is moved so that
/// the block's largest sample decodes exactly.
fn pack(t: Block, flat_blocks: bool, exact_max: bool, out: &mut Vec<u8>) {
    let max = reduce(t, u16::max);
    let (rise, fall) = widest_steps(&t);
    // The steps join every sample to the first, so they are all flat
    // exactly when the samples are equal. OpenEXR takes the 3-byte form when
    // every difference is zero at the shift it found, which also happens
    // only then: at any larger shift, the one below would have fitted too.
    if flat_blocks && rise == 0 && fall == 0 {
        let [high, low] = max.to_be_bytes();
        out.extend_from_slice(&[high, low, 0xfc]);
        return;
    }
    let mut distances: Block = [0; 16];
    for (d, &t) in distances.iter_mut().zip(&t) {
        *d = max - t;
    }
    let mut shift = lowest_shift(rise, fall);
    let (d, r) = loop {
        let mut d: Block = [0; 16];
        for (d, &x) in d.iter_mut().zip(&distances) {
            *d = shift_and_round(x, shift);
        }
        let (r, fits) = differences(&d);
        if fits || shift >= MAX_SHIFT {
            break (d, r);
        }
        shift += 1;
    };
    let first = if exact_max {
        max.wrapping_sub(d[0].wrapping_shl(shift))
    } else {
        t[0]
    };
    let [high, low] = first.to_be_bytes();
    let mut bytes = [high, low, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    // The shift and the 15 differences, six bits each, four to three bytes.
    let [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14] = r;
    let fields = [
        [shift as u16, r0, r1, r2],
        [r3, r4, r5, r6],
        [r7, r8, r9, r10],
        [r11, r12, r13, r14],
    ];
    for (to, [a, b, c, d]) in bytes[2..].chunks_exact_mut(3).zip(fields) {
        let six = |f: u16| u32::from(f & 0x3f);
        let packed = six(a) << 18 | six(b) << 12 | six(c) << 6 | six(d);
        to.copy_from_slice(&packed.to_be_bytes()[1..]);
    }
    out.extend_from_slice(&bytes);
}

/// `f` over the 16 lanes of `x`, as a tree: lanes 8 apart, then 4, 2 and 1.
/// Its dependency chains are four deep where a fold's would be 15.
fn reduce<T: Copy>(x: [T; 16], f: impl Fn(T, T) -> T) -> T {
    let mut x = x;
    for width in [8, 4, 2, 1] {
        let (low, high) = x.split_at_mut(width);
        for (low, &high) in low.iter_mut().zip(high.iter()) {
            *low = f(*low, high);
        }
    }
    let [first, ..] = x;
    first
}

/// The most the ordered integers `t` (column by column) rise and fall along
/// any of the block's 15 steps: down the first column, and from each column
/// to the next on every line.
fn widest_steps(t: &Block) -> (u32, u32) {
    // The 16th lane stays 0: no rise or fall.
    let mut rises = [0i32; 16];
    let (along, down) = rises.split_at_mut(12);
    for ((rise, &from), &to) in along.iter_mut().zip(&t[..12]).zip(&t[4..]) {
        *rise = i32::from(to) - i32::from(from);
    }
    for ((rise, &from), &to) in down.iter_mut().zip(&t[..3]).zip(&t[1..4]) {
        *rise = i32::from(to) - i32::from(from);
    }
    let rise = reduce(rises, i32::max).unsigned_abs();
    let fall = reduce(rises, i32::min).unsigned_abs();
    (rise, fall)
}

/// The smallest shift that can fit a block whose steps rise by at most
/// `rise` and fall by at most `fall`: every smaller one fails, so the search
/// starts there.
///
/// A step that rises by `x` shortens the distance to the largest sample by
/// `x`. Rounding moves each scaled distance by at most a half, so their
/// difference by at most one: a rise of more than `32 << shift` cannot scale
/// to 31 or less, nor a fall of more than `33 << shift` to -32 or more. From
/// this shift on, scaled differences stay within 34 of zero, so the 16-bit
/// arithmetic of [`differences`] cannot wrap into range.
fn lowest_shift(rise: u32, fall: u32) -> u32 {
    // The smallest shift at which `widest` is at most `limit << shift`.
    let needed =
        |widest: u32, limit: u32| u32::BITS - (widest.saturating_sub(1) / limit).leading_zeros();
    needed(rise, 32).max(needed(fall, 33))
}

/// The 15 biased differences of the rounded distances `d` (column by
/// column), in the order they are stored: down the first column, then from
/// each column to the next on every line; and whether all fit in six bits.
fn differences(d: &Block) -> ([u16; 15], bool) {
    let mut r = [0u16; 15];
    let (down, along) = r.split_at_mut(3);
    for (r, pair) in down.iter_mut().zip(d[..4].windows(2)) {
        if let [from, to] = *pair {
            *r = from.wrapping_sub(to).wrapping_add(BIAS);
        }
    }
    for ((r, &from), &to) in along.iter_mut().zip(&d[..12]).zip(&d[4..]) {
        *r = from.wrapping_sub(to).wrapping_add(BIAS);
    }
    // None exceeds 0x3f exactly when none has a bit above the sixth.
    let bits = r.iter().fold(0, |m, &r| m | r);
    (r, bits <= 0x3f)
}

/// The halves pLinear samples are coded as: `exp(x / 8)` of each half,
/// computed in single precision as OpenEXR does, indexed by its bits. Built
/// once, on first use.
fn exp_table() -> Result<&'static [u16; 0x10000]> {
    static TABLE: OnceLock<Box<[u16]>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..=u16::MAX).map(from_linear).collect());
    <&[u16; 0x10000]>::try_from(&table[..])
        .map_err(|_| Error::Internal("the pLinear table has the wrong size".into()))
}

/// `exp(x / 8)` of a half: zero for infinities and NaNs, the largest half
/// for values whose exponential would not fit.
fn from_linear(bits: u16) -> u16 {
    if bits & 0x7c00 == 0x7c00 {
        return 0;
    }
    if (0x558c..0x8000).contains(&bits) {
        return 0x7bff;
    }
    f16::from_f32((f16::from_bits(bits).to_f32() / 8.0).exp()).to_bits()
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
            names: crate::codec::test_names(3),
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
            names: crate::codec::test_names(3),
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

    /// Packs `block`, given line by line, and decodes it again.
    fn packed_and_back(block: &Block, flat_blocks: bool, exact_max: bool) -> (usize, Block) {
        let mut out = Vec::new();
        pack(
            transposed(&block.map(to_ordered)),
            flat_blocks,
            exact_max,
            &mut out,
        );
        let mut packed = &out[..];
        let back = read(&mut packed).unwrap();
        assert!(packed.is_empty());
        (out.len(), back)
    }

    #[test]
    fn smooth_blocks_pack_exactly() {
        let block: Block = std::array::from_fn(|i| 0x3c00 + i as u16);
        assert_eq!(packed_and_back(&block, false, true), (14, block));
        let negative = block.map(|h| h | 0x8000);
        assert_eq!(packed_and_back(&negative, true, true), (14, negative));
    }

    #[test]
    fn flat_blocks_take_three_bytes_only_in_b44a() {
        let block = [0xc000; 16];
        assert_eq!(packed_and_back(&block, true, true), (3, block));
        assert_eq!(packed_and_back(&block, false, true), (14, block));
    }

    #[test]
    fn wide_blocks_keep_their_largest_sample_exactly() {
        let mut block: Block = std::array::from_fn(|i| (i as u16) * 0x0777);
        block[5] = 0x7bff;
        block[9] = 0xfbff;
        let (len, back) = packed_and_back(&block, true, true);
        assert_eq!(len, 14);
        assert_eq!(back[5], 0x7bff);
        // Infinities and NaNs are coded as zero.
        let mut special = [0x3c00; 16];
        special[0] = 0x7c00;
        special[1] = 0xfe00;
        let (_, back) = packed_and_back(&special, true, true);
        assert_eq!(back[0] & 0x7fff, 0);
        assert_eq!(back[1] & 0x7fff, 0);
    }

    /// A block given line by line, column by column, and back.
    fn transposed(block: &Block) -> Block {
        std::array::from_fn(|i| block[4 * (i % 4) + i / 4])
    }

    /// OpenEXR's search for `block` (line by line), on 32 bits and from
    /// shift 0: the shift, the first sample that makes the largest exact and
    /// the 15 biased differences, in the order they are stored.
    fn reference_search(block: &Block) -> (u8, u16, [u8; 15]) {
        const STEPS: [(usize, usize); 15] = [
            (0, 4),
            (4, 8),
            (8, 12),
            (0, 1),
            (4, 5),
            (8, 9),
            (12, 13),
            (1, 2),
            (5, 6),
            (9, 10),
            (13, 14),
            (2, 3),
            (6, 7),
            (10, 11),
            (14, 15),
        ];
        let t = block.map(to_ordered);
        let max = t.iter().copied().max().unwrap();
        for shift in 0..16 {
            let d = t.map(|t| {
                let x = i32::from(max - t);
                ((x << 1) + (1 << shift) - 1 + ((x >> shift) & 1)) >> (shift + 1)
            });
            let r = STEPS.map(|(from, to)| d[from] - d[to] + 0x20);
            if r.iter().all(|r| (0..0x40).contains(r)) {
                let first = max.wrapping_sub((d[0] as u16) << shift);
                return (shift as u8, first, r.map(|r| r as u8));
            }
        }
        unreachable!("no shift fits {block:04x?}");
    }

    #[test]
    fn blocks_code_what_a_search_from_shift_0_finds() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in 0..100_000 {
            // Samples spread over 1 to 65536 ordered steps from a random one.
            let base = next() as u16;
            let spread = 1u64 << (n % 17);
            let block: Block = std::array::from_fn(|_| base.wrapping_add((next() % spread) as u16));
            let (shift, first, r) = reference_search(&block);
            for (flat_blocks, exact_max) in [(false, false), (false, true), (true, true)] {
                let mut out = Vec::new();
                let t = transposed(&block.map(to_ordered));
                pack(t, flat_blocks, exact_max, &mut out);
                let expected = if flat_blocks && r == [0x20; 15] {
                    let [high, low] = to_ordered(block[0]).to_be_bytes();
                    vec![high, low, 0xfc]
                } else if exact_max {
                    pack14(first, shift, r).to_vec()
                } else {
                    pack14(to_ordered(block[0]), shift, r).to_vec()
                };
                assert_eq!(out, expected, "{block:04x?}");
            }
        }
    }

    #[test]
    fn ties_round_to_even() {
        assert_eq!(shift_and_round(3, 1), 2);
        assert_eq!(shift_and_round(5, 1), 2);
        assert_eq!(shift_and_round(6, 2), 2);
        assert_eq!(shift_and_round(10, 2), 2);
        assert_eq!(shift_and_round(11, 2), 3);
        assert_eq!(shift_and_round(0xffff, 12), 16);
    }

    #[test]
    fn exp_and_log_tables_undo_each_other_near_one() {
        assert_eq!(from_linear(0x0000), 0x3c00);
        assert_eq!(from_linear(0x8000), 0x3c00);
        assert_eq!(from_linear(0x4800), 0x4170); // exp(1)
        assert_eq!(from_linear(0x558c), 0x7bff);
        assert_eq!(from_linear(0x7c00), 0);
        assert_eq!(exp_table().unwrap()[0x4800], 0x4170);
    }

    #[test]
    fn blocks_round_trip_through_the_channels() {
        let layout = layout();
        let mut unpacked = vec![0u8; layout.unpacked_size];
        decompress(&layout, &packed(), &mut unpacked, &mut Scratch::default()).unwrap();
        for flat_blocks in [false, true] {
            let mut scratch = Scratch::default();
            let mut packed = Vec::new();
            compress(&layout, &unpacked, flat_blocks, &mut packed, &mut scratch).unwrap();
            let mut back = vec![0u8; layout.unpacked_size];
            decompress(&layout, &packed, &mut back, &mut scratch).unwrap();
            assert_eq!(back, unpacked);
        }
    }

    #[test]
    fn an_empty_block_packs_to_nothing() {
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
        compress(&layout, &[], true, &mut packed, &mut Scratch::default()).unwrap();
        assert!(packed.is_empty());
    }
}
