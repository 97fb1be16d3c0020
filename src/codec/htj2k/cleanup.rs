//! The HT cleanup pass of one code-block (T.814 clause 7.3): which samples
//! are significant (MEL and CxtVLC, quad by quad), the bound on their
//! exponents (U-VLC), then each significant sample's magnitude and sign
//! (MagSgn).
//!
//! A block is scanned in quads of 2x2 samples, line-pair by line-pair, left
//! to right; sample `j` of a quad is its top-left (0), bottom-left (1),
//! top-right (2) or bottom-right (3).

use super::bits::{MagSgn, Mel, Vlc};
use super::cxt_vlc::{Lookup, Quad, FIRST_LINE_PAIR, OTHER_LINE_PAIRS};
use super::sample::Sample;
use crate::error::{corrupt, Error, Result};

/// The MEL coder's run exponent for each of its 13 states (T.814 Table 2).
const MEL_EXPONENTS: [u32; 13] = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5];

/// The longest MEL and VLC part a cleanup segment may declare.
const MAX_SUFFIX: usize = 4079;

/// Where a decoded block goes and how its samples are scaled.
pub(super) struct Target<'a, T> {
    /// The band's samples from the block's top-left one on.
    pub samples: &'a mut [T],
    /// Samples from one band row to the next.
    pub stride: usize,
    /// The block's width and height in samples.
    pub size: (usize, usize),
    /// Bit-planes above the cleanup pass known to be zero, placeholder
    /// passes included.
    pub missing_msbs: u32,
    /// The band's number of magnitude bit-planes.
    pub k_max: u32,
}

/// What the VLC and MEL streams say about one quad.
#[derive(Clone, Copy, Default)]
struct QuadInfo {
    /// The quad's codeword (the default for a quad the MEL says is all
    /// insignificant).
    code: Quad,
    /// The exponent bound's offset `u_q`.
    offset: u32,
}

/// Buffers reused from block to block.
#[derive(Default)]
pub(super) struct Scratch {
    /// The quads of the line-pair above and of this one, quad `q` at
    /// `q + 1` between two insignificant ones.
    above: Vec<QuadInfo>,
    row: Vec<QuadInfo>,
    /// `2(μ-1)+1` of each significant sample of the line-pair above's lower
    /// row, 0 elsewhere, one column of margin either side.
    lower_row: Vec<u64>,
    next_lower_row: Vec<u64>,
    /// Each quad's context bits from the line-pair above.
    north: Vec<u32>,
}

impl Scratch {
    /// Bytes of the buffers held.
    pub fn retained_bytes(&self) -> usize {
        (self.above.capacity() + self.row.capacity()) * std::mem::size_of::<QuadInfo>()
            + (self.lower_row.capacity() + self.next_lower_row.capacity())
                * std::mem::size_of::<u64>()
            + self.north.capacity() * 4
    }
}

/// The MEL symbol decoder (T.814 clause 7.3.3).
#[derive(Clone, Copy)]
struct MelDecoder<'a> {
    bits: Mel<'a>,
    state: usize,
    zeros: u32,
    one_follows: bool,
}

impl MelDecoder<'_> {
    #[inline]
    fn symbol(&mut self) -> bool {
        if self.zeros == 0 && !self.one_follows {
            let exponent = MEL_EXPONENTS.get(self.state).copied().unwrap_or(5);
            if self.bits.take(1) == 1 {
                self.zeros = 1 << exponent;
                self.state = (self.state + 1).min(12);
            } else {
                self.zeros = if exponent == 0 {
                    0
                } else {
                    self.bits.take(exponent)
                };
                self.one_follows = true;
                self.state = self.state.saturating_sub(1);
            }
        }
        if self.zeros > 0 {
            self.zeros -= 1;
            false
        } else {
            self.one_follows = false;
            true
        }
    }
}

/// Decodes the cleanup segment `segment` into `target`, writing every
/// sample of the block (0 where insignificant).
pub(super) fn decode<T: Sample>(
    segment: &[u8],
    target: Target<'_, T>,
    scratch: &mut Scratch,
) -> Result<()> {
    let len = segment.len();
    let [.., before_last, last] = *segment else {
        corrupt!("HT cleanup segment of {len} bytes");
    };
    let suffix = 16 * usize::from(last) + usize::from(before_last & 0x0F);
    if !(2..=len.min(MAX_SUFFIX)).contains(&suffix) {
        corrupt!("HT cleanup segment of {len} bytes declares {suffix} bytes of MEL and VLC");
    }
    let Some(p) = target.k_max.checked_sub(target.missing_msbs + 1) else {
        corrupt!(
            "HT code-block misses {} of its band's {} bit-planes",
            target.missing_msbs,
            target.k_max
        );
    };
    let prefix = len - suffix;
    let (magsgn, rest) = segment.split_at(prefix);
    let mel_vlc = &rest[..rest.len() - 1];
    let mut mel = MelDecoder {
        bits: Mel::new(mel_vlc),
        state: 0,
        zeros: 0,
        one_follows: false,
    };
    let mut vlc = Vlc::new(mel_vlc);
    let mut magsgn = MagSgn::new(magsgn);
    let (width, height) = target.size;
    let quads = width.div_ceil(2);
    let Scratch {
        above,
        row,
        lower_row,
        next_lower_row,
        north,
    } = scratch;
    // Every line-pair writes all of its quads and lower exponents before
    // the next reads them; only the margins need clearing.
    let [mut above, mut row] = [above, row].map(|buffer| {
        if buffer.len() < quads + 2 {
            buffer.resize(quads + 2, QuadInfo::default());
        }
        let buffer = &mut buffer[..quads + 2];
        buffer[0] = QuadInfo::default();
        buffer[quads + 1] = QuadInfo::default();
        buffer
    });
    let [mut lower_row, mut next_lower_row] = [lower_row, next_lower_row].map(|buffer| {
        if buffer.len() < 2 * quads + 3 {
            buffer.resize(2 * quads + 3, 0);
        }
        let buffer = &mut buffer[..2 * quads + 3];
        buffer[0] = 0;
        buffer[2 * quads + 1..].fill(0);
        buffer
    });
    let bound = target.missing_msbs + 2;
    // Half a step of the cleanup pass's lowest bit-plane, its bin's centre
    // (0 when that plane is the coefficient's least significant bit).
    let half_step = if p == 0 { 0 } else { 1u64 << (p - 1) };
    // Samples right of an odd-width block or below an odd-height one.
    let outside_right = if width % 2 == 1 { 0b1100 } else { 0 };
    for pair in 0..height.div_ceil(2) {
        let first = pair == 0;
        quads_of_line_pair(first, above, row, north, &mut mel, &mut vlc);
        let y = 2 * pair;
        let outside_below = if y + 1 == height { 0b1010 } else { 0 };
        let (head, tail) = target
            .samples
            .split_at_mut((y * target.stride + target.stride).min(target.samples.len()));
        let (Some(top), Some(bottom)) = (
            head.get_mut(y * target.stride..y * target.stride + width),
            if outside_below == 0 {
                tail.get_mut(..width)
            } else {
                Some(&mut [][..])
            },
        ) else {
            corrupt!("HT code-block of {width}x{height} outside its band");
        };
        let rows = LinePair {
            top,
            bottom,
            outside_below,
            outside_right,
            first,
        };
        let planes = Planes {
            bound,
            p,
            half_step,
        };
        let quads = &row[1..];
        let decoded = if p == 0 {
            magnitudes_of_line_pair::<T, true>(
                quads,
                lower_row,
                next_lower_row,
                rows,
                planes,
                &mut magsgn,
            )
        } else {
            magnitudes_of_line_pair::<T, false>(
                quads,
                lower_row,
                next_lower_row,
                rows,
                planes,
                &mut magsgn,
            )
        };
        decoded.map_err(|bound_q| {
            Error::Corrupt(format!(
                "HT quad with exponent bound {bound_q} in a block missing {} bit-planes",
                target.missing_msbs
            ))
        })?;
        std::mem::swap(&mut above, &mut row);
        std::mem::swap(&mut lower_row, &mut next_lower_row);
    }
    Ok(())
}

/// The samples of one line-pair of a block.
struct LinePair<'a, T> {
    top: &'a mut [T],
    /// Empty below an odd-height block's last line.
    bottom: &'a mut [T],
    /// Quad samples outside the block: below it (`0b1010`) or right of it
    /// (`0b1100`, for the last quad of an odd-width block).
    outside_below: u32,
    outside_right: u32,
    first: bool,
}

/// The bit-planes the cleanup pass codes.
#[derive(Clone, Copy)]
struct Planes {
    /// The largest exponent bound a quad may have.
    bound: u32,
    /// The bit-plane of the pass's least significant bit.
    p: u32,
    /// Half a step of that plane (0 when it is bit 0), the bin's centre.
    half_step: u64,
}

/// Decodes the magnitudes and signs of one line-pair's significant
/// samples (T.814 clause 7.3.8) into `rows`, with `lower_above` the
/// exponents of the line-pair above and `lower` this one's for the next;
/// fails with the exponent bound of a quad above `planes.bound`.
/// `WHOLE` when the pass's least significant bit is the coefficient's
/// (`planes.p` is 0), as in every lossless chunk OpenEXR writes.
#[inline(never)]
fn magnitudes_of_line_pair<T: Sample, const WHOLE: bool>(
    quads: &[QuadInfo],
    lower_above: &[u64],
    lower: &mut [u64],
    rows: LinePair<'_, T>,
    planes: Planes,
    stream: &mut MagSgn<'_>,
) -> std::result::Result<(), u32> {
    let mut magsgn = *stream;
    let Planes {
        bound,
        p,
        half_step,
    } = planes;
    let width = rows.top.len();
    let bottoms = rows
        .bottom
        .chunks_mut(2)
        .map(Some)
        .chain(std::iter::repeat_with(|| None));
    let quads_here = quads.iter().zip(rows.top.chunks_mut(2).zip(bottoms));
    for (q, (info, (top, bottom))) in quads_here.enumerate() {
        let outside = rows.outside_below
            | if 2 * q + 1 == width {
                rows.outside_right
            } else {
                0
            };
        let code = info.code;
        let rho = code.rho() & !outside;
        let mut values = [T::default(); 4];
        let (mut lower_left, mut lower_right) = (0, 0);
        if rho != 0 {
            let kappa = if rows.first || code.rho().count_ones() < 2 {
                1
            } else {
                let neighbours = lower_above[2 * q..2 * q + 4].iter().fold(0, |a, v| a | v);
                (63 - (neighbours | 2).leading_zeros()).max(1)
            };
            let bound_q = kappa + info.offset;
            if bound_q > bound {
                return Err(bound_q);
            }
            // Each sample's bits; an insignificant one reads none and
            // stays zero.
            let (e_k, e_1) = (code.e_k(), code.e_1());
            let widths: [u32; 4] =
                std::array::from_fn(|j| (bound_q - (e_k >> j & 1)) * (rho >> j & 1));
            let total: u32 = widths.iter().sum();
            // One read for the quad where its bits fit, else one each.
            let mut window = if total <= 56 { magsgn.take(total) } else { 0 };
            for (j, (value, &width)) in values.iter_mut().zip(&widths).enumerate() {
                let raw = if total <= 56 {
                    let raw = window & ((1u64 << width) - 1);
                    window >>= width;
                    raw
                } else {
                    magsgn.take(width)
                };
                let v = raw | u64::from(e_1 >> j & 1) << width;
                let magnitude = if WHOLE {
                    (v >> 1) + 1
                } else {
                    ((v >> 1) + 1) << p | half_step
                } as i64;
                // Two's complement of the magnitude where the sign bit is
                // set, and nothing where the sample is insignificant.
                let negative = -((v & 1) as i64);
                let significant = -i64::from(rho >> j & 1);
                *value = T::from_i64(((magnitude ^ negative) - negative) & significant);
                match j {
                    1 => lower_left = (v | 1) & significant as u64,
                    3 => lower_right = (v | 1) & significant as u64,
                    _ => {}
                }
            }
        }
        for (sample, value) in top.iter_mut().zip([values[0], values[2]]) {
            *sample = value;
        }
        for (sample, value) in bottom.into_iter().flatten().zip([values[1], values[3]]) {
            *sample = value;
        }
        if let Some([left, right]) = lower.get_mut(2 * q + 1..2 * q + 3) {
            (*left, *right) = (lower_left, lower_right);
        }
    }
    *stream = magsgn;
    Ok(())
}

/// Decodes the significance and exponent offsets of one line-pair's quads
/// into `row`, from the MEL and VLC streams; `above` holds the line-pair
/// above (ignored for the first). Both hold quad `q` at `q + 1`.
#[inline(never)]
fn quads_of_line_pair(
    first: bool,
    above: &[QuadInfo],
    row: &mut [QuadInfo],
    north: &mut Vec<u32>,
    mel_stream: &mut MelDecoder<'_>,
    vlc_stream: &mut Vlc<'_>,
) {
    // Local copies, whose fields can live in registers.
    let (mut mel, mut vlc) = (*mel_stream, *vlc_stream);
    let (mel, vlc) = (&mut mel, &mut vlc);
    let quads = row.len() - 2;
    let table: &Lookup = if first {
        &FIRST_LINE_PAIR
    } else {
        &OTHER_LINE_PAIRS
    };
    // What the line-pair above gives each quad's context, worked out
    // before the quads (whose own contexts chain from quad to quad).
    north.clear();
    if !first {
        north.extend(above.windows(3).map(|w| {
            let [before, over, after] = [w[0], w[1], w[2]].map(|i| i.code.rho());
            (before >> 3 | over >> 1) & 1 | ((over >> 3 | after >> 1) & 1) << 2
        }));
    }
    let mut left = 0;
    let mut q = 0;
    while q < quads {
        let pair_len = (quads - q).min(2);
        for k in q..q + pair_len {
            let context = if first {
                (left | left >> 1) & 1 | (left >> 2 & 1) << 1 | (left >> 3 & 1) << 2
            } else {
                north[k] | ((left >> 2 | left >> 3) & 1) << 1
            };
            let code = if context == 0 && !mel.symbol() {
                Quad::default()
            } else {
                let quad = table[context as usize][vlc.peek(7) as usize];
                vlc.skip(quad.len());
                quad
            };
            row[k + 1] = QuadInfo { code, offset: 0 };
            left = code.rho();
        }
        offsets_of_quad_pair(first, &mut row[q + 1..q + 1 + pair_len], mel, vlc);
        q += pair_len;
    }
    (*mel_stream, *vlc_stream) = (*mel, *vlc);
}

/// Decodes the exponent offsets `u_q` of one or two neighbouring quads
/// (T.814 clause 7.3.6): both prefixes, both suffixes, then the extension
/// of each offset above 32.
fn offsets_of_quad_pair(
    first: bool,
    pair: &mut [QuadInfo],
    mel: &mut MelDecoder<'_>,
    vlc: &mut Vlc<'_>,
) {
    let wanted = |i: usize| pair.get(i).is_some_and(|info| info.code.u_off());
    let mode = usize::from(wanted(0)) | usize::from(wanted(1)) << 1;
    if mode == 0 {
        return;
    }
    if first && mode == 3 && !mel.symbol() {
        let prefix = u_prefix(vlc);
        if prefix >= 3 {
            pair[1].offset = vlc.take(1) + 1;
            pair[0].offset = u_rest(prefix, vlc);
            return;
        }
        let second = u_prefix(vlc);
        let (suffix_0, suffix_1) = (u_suffix(prefix, vlc), u_suffix(second, vlc));
        pair[0].offset = u_extension(prefix + suffix_0, vlc);
        pair[1].offset = u_extension(second + suffix_1, vlc);
        return;
    }
    // In the first line-pair, a MEL 1 adds 2 to both offsets.
    let bias = if first && mode == 3 { 2 } else { 0 };
    let prefixes = PREFIX_PAIRS[mode][vlc.peek(6) as usize];
    vlc.skip(u32::from(prefixes.len));
    let (bits_0, bits_1) = (SUFFIX_BITS[prefixes.first], SUFFIX_BITS[prefixes.second]);
    let suffixes = vlc.take(bits_0 + bits_1);
    let sums = [
        prefixes.first as u32 + (suffixes & ((1 << bits_0) - 1)),
        prefixes.second as u32 + (suffixes >> bits_0),
    ];
    for (i, (info, sum)) in pair.iter_mut().zip(sums).enumerate() {
        if mode >> i & 1 == 1 {
            info.offset = bias + u_extension(sum, vlc);
        }
    }
}

/// The prefixes of a pair's offsets that a window of VLC bits starts
/// with (0 for a quad without one), and their length in bits.
#[derive(Clone, Copy)]
struct PrefixPair {
    first: usize,
    second: usize,
    len: u8,
}

/// Suffix bits after each prefix value (T.814 Table 3).
const SUFFIX_BITS: [u32; 6] = [0, 0, 0, 1, 0, 5];

/// Per mode (bit 0: the first quad has an offset, bit 1: the second), the
/// prefixes each 6-bit VLC window starts with.
static PREFIX_PAIRS: [[PrefixPair; 64]; 4] = prefix_pairs();

/// The offset prefix a window of VLC bits starts with (T.814 Table 3:
/// `1` is 1, `01` 2, `001` 3 and `000` 5, first bit first), and its length.
const fn prefix_in(window: usize) -> (usize, u8) {
    if window & 1 == 1 {
        (1, 1)
    } else if window & 2 == 2 {
        (2, 2)
    } else if window & 4 == 4 {
        (3, 3)
    } else {
        (5, 3)
    }
}

const fn prefix_pairs() -> [[PrefixPair; 64]; 4] {
    let none = PrefixPair {
        first: 0,
        second: 0,
        len: 0,
    };
    let mut table = [[none; 64]; 4];
    let mut mode = 1;
    while mode < 4 {
        let mut window = 0;
        while window < 64 {
            let mut entry = none;
            if mode & 1 == 1 {
                let (value, len) = prefix_in(window);
                entry.first = value;
                entry.len = len;
            }
            if mode & 2 == 2 {
                let (value, len) = prefix_in(window >> entry.len);
                entry.second = value;
                entry.len += len;
            }
            table[mode][window] = entry;
            window += 1;
        }
        mode += 1;
    }
    table
}

/// Reads the prefix of an exponent offset.
fn u_prefix(vlc: &mut Vlc<'_>) -> u32 {
    let (prefix, len) = prefix_in(vlc.peek(3) as usize);
    vlc.skip(u32::from(len));
    prefix as u32
}

/// Reads the suffix that follows `prefix`.
fn u_suffix(prefix: u32, vlc: &mut Vlc<'_>) -> u32 {
    vlc.take(SUFFIX_BITS[prefix as usize])
}

/// The offset from `prefix + suffix`, reading its 4-bit extension when
/// that sum is above 32.
#[inline]
fn u_extension(sum: u32, vlc: &mut Vlc<'_>) -> u32 {
    if sum > 32 {
        sum + 4 * vlc.take(4)
    } else {
        sum
    }
}

/// The whole offset of a quad whose prefix was read: suffix, extension.
fn u_rest(prefix: u32, vlc: &mut Vlc<'_>) -> u32 {
    let sum = prefix + u_suffix(prefix, vlc);
    u_extension(sum, vlc)
}
