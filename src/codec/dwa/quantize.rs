//! DWA's quantisation: each DCT coefficient (as a half) becomes the value
//! with the fewest set bits within the coefficient's error tolerance, so
//! that the entropy coder finds long runs of shared bit patterns.
//!
//! For each half `h` and each bit count `k` below `h`'s, the candidate is
//! the half with exactly `k` bits set whose distance to `h` (an `f32`
//! difference) is least, the lowest bit pattern among equals. Quantising
//! tries the candidates from the fewest bits up and takes the first within
//! the tolerance (strictly), else keeps `h`. This is the rule OpenEXR's
//! quantiser implements (its tests hold its shortcuts to a table built by
//! this rule).
//!
//! The table holds the candidates of positive halves only, half the size
//! (which matters: its reads miss the caches). A candidate within the
//! tolerance has `h`'s sign (zero and the other sign are at least `|h|`
//! away, and `h` becomes zero when `|h|` is within), so a negative half's
//! candidates that can be taken are its magnitude's with the sign bit
//! added, one bit count further on; its first, zero's sign bit alone, is
//! never within. A unit test holds this to the table of every half.

use std::sync::OnceLock;

use super::half::{f32_from_f16, f32_from_f16_lanes};
use crate::cpu::HalfInstructions;

/// Every positive half's candidates, fewest bits first.
struct Candidates {
    /// Where half `h`'s candidates start in `entries`, for `h` up to
    /// 0x7fff and one past.
    offsets: Vec<u32>,
    /// Every half's candidates with at least one bit set (zero, the
    /// candidate with none, is tried without the table), then
    /// [`WINDOW`] zeros so that a window read from any half's start stays
    /// inside.
    entries: Vec<u16>,
}

/// Candidates compared at once: at least the most a half has (14, for
/// halves below 0x7c00 with 15 bits set).
const WINDOW: usize = 16;

fn candidates() -> &'static Candidates {
    static TABLE: OnceLock<Candidates> = OnceLock::new();
    TABLE.get_or_init(|| build(0..=0x7fff))
}

fn is_finite(bits: u16) -> bool {
    bits & 0x7c00 != 0x7c00
}

/// The finite halves with one bit count, sorted by value, and where the
/// last search for a nearest one split them.
struct ByValue {
    bits: Vec<u16>,
    values: Vec<f32>,
    split: usize,
}

impl ByValue {
    /// The finite halves with `ones` bits set. Halves ordered by value are
    /// the negatives from the largest pattern down, then the positives
    /// from zero up.
    fn new(ones: u32) -> Self {
        let negatives = (0x8000..=0xfbffu16).rev();
        let positives = 0..=0x7bffu16;
        let bits: Vec<u16> = negatives
            .chain(positives)
            .filter(|b| b.count_ones() == ones)
            .collect();
        let values = bits.iter().map(|&b| f32_from_f16(b)).collect();
        Self {
            bits,
            values,
            split: 0,
        }
    }

    /// The index of the first value not below `value`. Walks on from the
    /// last split when `value` has not gone down (the table is built in
    /// increasing order, so this is nearly free), else searches.
    fn split_at(&mut self, value: f32) -> usize {
        let values = &self.values;
        let mut split = self.split;
        if split > 0 && values[split - 1] >= value {
            split = values.partition_point(|&v| v < value);
        }
        while values.get(split).is_some_and(|&v| v < value) {
            split += 1;
        }
        self.split = split;
        split
    }

    /// The half nearest to `value`, the lowest bit pattern among those at
    /// the least distance; 0 when there is none.
    fn closest(&mut self, value: f32) -> u16 {
        let split = self.split_at(value);
        let values = &self.values;
        let distance = |v: f32| (value - v).abs();
        let below = split.checked_sub(1).map(|i| distance(values[i]));
        let above = values.get(split).map(|&v| distance(v));
        let least = match (below, above) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return 0,
        };
        // Rounded differences grow (weakly) away from `value` on each side,
        // so the ties at the least distance are contiguous.
        let left = values[..split]
            .iter()
            .rev()
            .take_while(|&&v| distance(v) == least)
            .count();
        let right = values[split..]
            .iter()
            .take_while(|&&v| distance(v) == least)
            .count();
        self.bits[split - left..split + right]
            .iter()
            .copied()
            .min()
            .unwrap_or(0)
    }
}

/// The candidates of `halves`, in their order.
fn build(halves: impl Iterator<Item = u16>) -> Candidates {
    let mut by_ones: Vec<ByValue> = (1..16).map(ByValue::new).collect();
    let mut offsets = Vec::new();
    let mut entries = Vec::new();
    for bits in halves {
        offsets.push(entries.len() as u32);
        if !is_finite(bits) {
            continue;
        }
        let value = f32_from_f16(bits);
        let fewer = (bits.count_ones() as usize).saturating_sub(1);
        for list in by_ones.iter_mut().take(fewer) {
            entries.push(list.closest(value));
        }
    }
    offsets.push(entries.len() as u32);
    entries.resize(entries.len() + WINDOW, 0);
    Candidates { offsets, entries }
}

/// Quantises halves, holding the candidate table.
pub struct Quantizer {
    table: &'static Candidates,
}

impl Quantizer {
    /// A quantiser (the table is built on first use).
    pub fn new() -> Self {
        Self {
            table: candidates(),
        }
    }

    /// Quantises a block of halves, each to within its tolerance. The
    /// table positions of all 64 are looked up before any candidate is
    /// read, so that the memory reads overlap; each half's candidates are
    /// then measured all at once and the first within the tolerance
    /// taken, without a branch on the data.
    #[inline(always)]
    pub fn quantize_block<H: HalfInstructions>(
        &self,
        halves: &[u16; 64],
        tolerances: &[f32; 64],
    ) -> [u16; 64] {
        let offsets = &self.table.offsets;
        let mut starts = [0u32; 64];
        for (start, &bits) in starts.iter_mut().zip(halves) {
            *start = offsets[usize::from(bits & 0x7fff)];
        }
        let mut quantized = [0u16; 64];
        for (((out, &bits), &start), &tolerance) in quantized
            .iter_mut()
            .zip(halves)
            .zip(&starts)
            .zip(tolerances)
        {
            *out = self.quantize::<H>(bits, start as usize, tolerance);
        }
        quantized
    }

    /// Quantises `bits`, whose magnitude's candidates start at `start`.
    #[inline(always)]
    fn quantize<H: HalfInstructions>(&self, bits: u16, start: usize, tolerance: f32) -> u16 {
        let magnitude = bits & 0x7fff;
        let value = f32_from_f16_lanes(magnitude);
        let count = self.table.offsets[usize::from(magnitude) + 1] as usize - start;
        let window: &[u16; WINDOW] = self.table.entries[start..start + WINDOW]
            .try_into()
            .unwrap_or(&[0; WINDOW]);
        let within = H::within(value, tolerance, window).unwrap_or_else(|| {
            let mut within = 0;
            for (lane, &candidate) in window.iter().enumerate() {
                let close = (value - f32_from_f16_lanes(candidate)).abs() < tolerance;
                within |= u32::from(close) << lane;
            }
            within
        });
        // The first candidate within, or `count` (past every candidate,
        // and at most 14) when none is.
        let first = (within | 1 << count).trailing_zeros() as usize;
        let candidate = window[first.min(WINDOW - 1)] | (bits & 0x8000);
        let quantized = if first < count { candidate } else { bits };
        if value < tolerance {
            0
        } else {
            quantized
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{self, Kernel, Vectors};

    /// A block quantised in a vector region.
    struct Block<'a>(&'a Quantizer, &'a [u16; 64], &'a [f32; 64]);

    impl Kernel for Block<'_> {
        type Output = [u16; 64];

        #[inline(always)]
        fn run<H: HalfInstructions>(self) -> [u16; 64] {
            self.0.quantize_block::<H>(self.1, self.2)
        }
    }

    /// The block quantised by the portable build, held to the same bits
    /// from the best one.
    fn quantized(q: &Quantizer, halves: &[u16; 64], tolerances: &[f32; 64]) -> [u16; 64] {
        let portable = cpu::run(Block(q, halves, tolerances), Vectors::Portable);
        let best = cpu::run(Block(q, halves, tolerances), Vectors::Best);
        assert_eq!(portable, best, "{halves:04x?} within {tolerances:?}");
        portable
    }

    fn distance(a: f32, b: u16) -> f32 {
        (a - f32_from_f16(b)).abs()
    }

    #[test]
    fn halves_by_bit_count_are_in_value_order() {
        let mut total = 0;
        for ones in 0..=16 {
            let list = ByValue::new(ones);
            assert!(list
                .values
                .windows(2)
                .all(|w| w[0].total_cmp(&w[1]).is_lt()));
            assert!(list.bits.iter().all(|&b| b.count_ones() == ones));
            total += list.bits.len();
        }
        // Every finite half, once.
        assert_eq!(total, 2 * 0x7c00);
    }

    /// The rule itself, by brute force over every bit pattern.
    fn brute_candidate(bits: u16, k: u32) -> u16 {
        let value = f32_from_f16(bits);
        let mut best: Option<(u16, f32)> = None;
        for p in 0..=u16::MAX {
            if p.count_ones() != k {
                continue;
            }
            let d = distance(value, p);
            match best {
                None => best = Some((p, d)),
                Some((_, bd)) if d < bd => best = Some((p, d)),
                _ => {}
            }
        }
        best.map_or(0, |(p, _)| p)
    }

    /// The rule's table for every half, both signs.
    fn full_table() -> &'static Candidates {
        static TABLE: OnceLock<Candidates> = OnceLock::new();
        TABLE.get_or_init(|| build(0..=u16::MAX))
    }

    /// Quantising by the full table, as the rule says.
    fn by_full_table(bits: u16, tolerance: f32) -> u16 {
        let table = full_table();
        if f32_from_f16(bits).abs() < tolerance {
            return 0;
        }
        let value = f32_from_f16(bits);
        let start = table.offsets[usize::from(bits)] as usize;
        let end = table.offsets[usize::from(bits) + 1] as usize;
        table.entries[start..end]
            .iter()
            .copied()
            .find(|&c| distance(value, c) < tolerance)
            .unwrap_or(bits)
    }

    #[test]
    fn every_half_quantises_as_the_full_table_says() {
        // The tolerances of levels 5, 45 and 300 (JPEG's table entries
        // over its least) and 100 more of every scale.
        let mut tolerances = vec![0.0, 1e-7, 3e-5, 0.01, 0.3, 7.0, 1000.0];
        for level in [5.0f32, 45.0, 300.0] {
            for q in [10.0f32, 11.0, 17.0, 24.0, 55.0, 99.0, 121.0] {
                tolerances.push(level / 100_000.0 * q / 10.0);
            }
        }
        let mut x = 0x9e37_79b9u32;
        for _ in 0..100 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Exponents from 2^-30 to 2^17.
            tolerances.push(f32::from_bits(0x3080_0000 + x % 0x1780_0000));
        }
        let q = Quantizer::new();
        for block in 0..1024u16 {
            let halves: [u16; 64] = std::array::from_fn(|i| block << 6 | i as u16);
            for &t in &tolerances {
                let quantized = quantized(&q, &halves, &[t; 64]);
                for (&h, &got) in halves.iter().zip(&quantized) {
                    assert_eq!(got, by_full_table(h, t), "{h:#06x} within {t}");
                }
            }
        }
    }

    #[test]
    fn candidates_follow_the_rule() {
        let table = full_table();
        for bits in [
            0x0001u16, 0x0003, 0x3c00, 0x3c01, 0x4a55, 0x8123, 0xfbff, 0x7bff, 0x03ff, 0x8000,
        ] {
            let start = table.offsets[usize::from(bits)] as usize;
            for k in 1..bits.count_ones() {
                assert_eq!(
                    table.entries[start + k as usize - 1],
                    brute_candidate(bits, k),
                    "{bits:#06x} with {k} bits"
                );
            }
            assert_eq!(brute_candidate(bits, 0), 0);
        }
    }

    #[test]
    fn quantising_takes_the_fewest_bits_within_tolerance() {
        let q = Quantizer::new();
        let quantize = |bits, tolerance| quantized(&q, &[bits; 64], &[tolerance; 64])[0];
        // 1.0009765625 (0x3c01) is within 0.01 of 1.0 (0x3c00, 4 bits).
        assert_eq!(quantize(0x3c01, 0.01), 0x3c00);
        // Anything closer than the tolerance to zero becomes zero.
        assert_eq!(quantize(0x1234, 1.0), 0);
        // A tolerance of zero keeps every value.
        assert_eq!(quantize(0x3c01, 0.0), 0x3c01);
        // Infinities and NaNs stay.
        assert_eq!(quantize(0x7c00, 1e9), 0x7c00);
        assert_eq!(quantize(0x7e01, 1e9), 0x7e01);
    }
}
