//! One component's samples, a row at a time, top to bottom: each subband
//! decoded a row of code-blocks at a time, each resolution synthesised
//! from the rows of the one below and of its three subbands as they are
//! needed. A component of a chunk thus needs a few rows per resolution and
//! one row of code-blocks per subband, never the whole component.

use super::cleanup::{self, Target};
use super::markers::{Component, Quantization};
use super::packets::{Orientation, Subband};
use super::sample::{Pool, Sample};
use super::wavelet::{horizontal, Side, Vertical};
use crate::error::{corrupt, grown, Error, Result};

/// The rows of one component.
pub(super) struct ComponentRows<'s, 'a, T> {
    ll: BandRows<'s, 'a, T>,
    /// Resolutions 1 and up.
    levels: Vec<Level<'s, 'a, T>>,
}

impl<'s, 'a, T: Sample> ComponentRows<'s, 'a, T> {
    /// The rows of `component`, whose packets gave `resolutions` (lowest
    /// first) and whose bands are quantised as `quantization` says, with
    /// buffers from `pool`.
    pub fn new(
        component: &Component<'_>,
        resolutions: &'s [Vec<Subband<'a>>],
        quantization: &Quantization,
        pool: &mut Pool<T>,
    ) -> Result<Self> {
        let Some((lowest, higher)) = resolutions.split_first() else {
            corrupt!("HTJ2K component without resolutions");
        };
        let Some(ll) = lowest.first() else {
            corrupt!("HTJ2K resolution 0 without its band");
        };
        let mut size = (ll.size.0 as usize, ll.size.1 as usize);
        let ll = BandRows::new(ll, 0, quantization, pool)?;
        let mut levels = Vec::with_capacity(higher.len());
        for (r, resolution) in higher.iter().enumerate() {
            let [hl, lh, hh] = resolution.as_slice() else {
                corrupt!("HTJ2K resolution {} without its three bands", r + 1);
            };
            let next = (
                (hl.size.0 + lh.size.0) as usize,
                (lh.size.1 + hl.size.1) as usize,
            );
            let halves = |n: usize| (n.div_ceil(2) as u32, (n / 2) as u32);
            let ((low_w, high_w), (low_h, high_h)) = (halves(next.0), halves(next.1));
            if size != (low_w as usize, low_h as usize)
                || hl.size != (high_w, low_h)
                || lh.size != (low_w, high_h)
                || hh.size != (high_w, high_h)
            {
                corrupt!("HTJ2K resolution {} has bands of mismatched sizes", r + 1);
            }
            let mut band = |b: &'s Subband<'a>| {
                BandRows::new(
                    b,
                    3 * r + 1 + band_offset(b.orientation),
                    quantization,
                    pool,
                )
            };
            let (hl, lh, hh) = (band(hl)?, band(lh)?, band(hh)?);
            levels.push(Level {
                hl,
                lh,
                hh,
                vertical: Vertical::new(next.0, next.1, pool),
                low_row: pool.take(low_w as usize),
                evens: pool.take(low_w as usize),
            });
            size = next;
        }
        if size != (component.size.0 as usize, component.size.1 as usize) {
            corrupt!(
                "HTJ2K component of {:?} samples synthesises to {size:?}",
                component.size
            );
        }
        Ok(Self { ll, levels })
    }

    /// Gives its buffers back to `pool`.
    pub fn recycle(self, pool: &mut Pool<T>) {
        pool.give(self.ll.rows);
        for level in self.levels {
            for band in [level.hl, level.lh, level.hh] {
                pool.give(band.rows);
            }
            level.vertical.recycle(pool);
            pool.give(level.low_row);
            pool.give(level.evens);
        }
    }

    /// Writes the next row of the component into `out`, as wide as the
    /// component.
    pub fn next_row(&mut self, out: &mut [T], scratch: &mut cleanup::Scratch) -> Result<()> {
        pull(&mut self.levels, &mut self.ll, scratch, out)
    }
}

/// The next row of the highest of `levels` (or of `ll` when there are
/// none) into `out`.
fn pull<T: Sample>(
    levels: &mut [Level<'_, '_, T>],
    ll: &mut BandRows<'_, '_, T>,
    scratch: &mut cleanup::Scratch,
    out: &mut [T],
) -> Result<()> {
    let Some((level, lower)) = levels.split_last_mut() else {
        out.copy_from_slice(ll.next_row(scratch)?);
        return Ok(());
    };
    let Level {
        hl,
        lh,
        hh,
        vertical,
        low_row,
        evens,
    } = level;
    let rows = |side, row: &mut [T]| match side {
        Side::Low => {
            pull(lower, ll, scratch, low_row)?;
            horizontal(low_row, hl.next_row(scratch)?, row, evens);
            Ok(())
        }
        Side::High => {
            let low = lh.next_row(scratch)?;
            horizontal(low, hh.next_row(scratch)?, row, evens);
            Ok(())
        }
    };
    vertical.next_row(rows, out)
}

/// A resolution above the lowest: its three bands and the synthesis state.
struct Level<'s, 'a, T> {
    hl: BandRows<'s, 'a, T>,
    lh: BandRows<'s, 'a, T>,
    hh: BandRows<'s, 'a, T>,
    vertical: Vertical<T>,
    /// A row of the resolution below.
    low_row: Vec<T>,
    /// One row's even samples for the horizontal synthesis.
    evens: Vec<T>,
}

/// 0, 1 and 2 for HL, LH and HH (LL never comes here).
fn band_offset(orientation: Orientation) -> usize {
    match orientation {
        Orientation::Ll | Orientation::Hl => 0,
        Orientation::Lh => 1,
        Orientation::Hh => 2,
    }
}

/// The rows of one band, decoded a row of code-blocks at a time.
struct BandRows<'s, 'a, T> {
    band: &'s Subband<'a>,
    /// The band's magnitude bit-planes (0 when no block is coded).
    k_max: u32,
    /// One row of code-blocks, its first row being band row `first`.
    rows: Vec<T>,
    first: usize,
    filled: usize,
    /// The next row to hand out.
    next: usize,
    /// The first of the band's coded blocks not decoded yet.
    next_block: usize,
}

impl<'s, 'a, T: Sample> BandRows<'s, 'a, T> {
    /// The rows of `band`, the `index`-th of its component (LL first, then
    /// HL, LH, HH from the lowest resolution up), a row of code-blocks
    /// buffered in a buffer from `pool`.
    fn new(
        band: &'s Subband<'a>,
        index: usize,
        quantization: &Quantization,
        pool: &mut Pool<T>,
    ) -> Result<Self> {
        let k_max = if band.blocks.is_empty() {
            0
        } else {
            magnitude_bits(quantization, index)?
        };
        Ok(Self {
            band,
            k_max,
            rows: pool.take(
                band.size.0 as usize * (band.block_height as usize).min(band.size.1 as usize),
            ),
            first: 0,
            filled: 0,
            next: 0,
            next_block: 0,
        })
    }

    /// The band's next row.
    fn next_row(&mut self, scratch: &mut cleanup::Scratch) -> Result<&[T]> {
        if self.next >= self.first + self.filled {
            self.decode_block_row(scratch)?;
        }
        let width = self.band.size.0 as usize;
        let at = (self.next - self.first) * width;
        self.next += 1;
        match self.rows.get(at..at + width) {
            Some(row) => Ok(row),
            None => corrupt!("HTJ2K band row {} missing", self.next - 1),
        }
    }

    /// Decodes the row of code-blocks that starts at the next row; blocks
    /// without data are zero.
    fn decode_block_row(&mut self, scratch: &mut cleanup::Scratch) -> Result<()> {
        let (w, h) = (self.band.size.0 as usize, self.band.size.1 as usize);
        let first = self.next;
        if first >= h {
            corrupt!("HTJ2K band of {h} rows asked for row {first}");
        }
        let height = (self.band.block_height as usize).min(h - first);
        let rows = grown(&mut self.rows, w * height)?;
        let pending = self.band.blocks.get(self.next_block..).unwrap_or_default();
        let count = pending
            .iter()
            .take_while(|b| b.at.1 as usize == first)
            .count();
        let blocks = &pending[..count];
        // Coded blocks write all their samples; the others are zero.
        let coded: usize = blocks
            .iter()
            .map(|b| b.size.0 as usize * b.size.1 as usize)
            .sum();
        if coded != w * height {
            rows.fill(T::default());
        }
        for block in blocks {
            if block.passes > 1 {
                return Err(Error::Unsupported(
                    "HTJ2K code-blocks with refinement passes are not decoded yet (OpenEXR writes cleanup passes only)"
                        .into(),
                ));
            }
            let x = block.at.0 as usize;
            let (bw, bh) = (block.size.0 as usize, block.size.1 as usize);
            if x + bw > w || bh > height {
                corrupt!(
                    "HTJ2K code-block at ({x}, {first}) of {bw}x{bh} outside its {w}x{h} band"
                );
            }
            let target = Target {
                samples: &mut rows[x..],
                stride: w,
                size: (bw, bh),
                missing_msbs: block.missing_msbs,
                k_max: self.k_max,
            };
            cleanup::decode(block.cleanup, target, scratch)?;
        }
        self.next_block += count;
        self.first = first;
        self.filled = height;
        Ok(())
    }
}

/// The magnitude bit-planes of the `index`-th band (T.800 E-2): guard bits
/// plus the band's exponent, less one.
fn magnitude_bits(quantization: &Quantization, index: usize) -> Result<u32> {
    let exponent = match quantization.steps.get(index) {
        Some(&(exponent, _)) => u32::from(exponent),
        None if quantization.derived => {
            // T.800 E-5: the LL exponent, less the band's depth below it.
            let (ll, _) = quantization.steps.first().copied().unwrap_or_default();
            let resolution = index.div_ceil(3) as u32;
            let Some(exponent) = u32::from(ll).checked_sub(resolution.saturating_sub(1)) else {
                corrupt!("HTJ2K derived quantisation gives band {index} a negative exponent");
            };
            exponent
        }
        None => corrupt!("HTJ2K quantisation has no step for band {index}"),
    };
    match (u32::from(quantization.guard_bits) + exponent).checked_sub(1) {
        Some(bits) if bits > 0 => Ok(bits),
        _ => corrupt!("HTJ2K band {index} has no magnitude bit-planes"),
    }
}
