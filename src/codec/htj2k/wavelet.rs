//! The inverse reversible 5/3 wavelet (T.800 F.3, lifting steps F-5 and
//! F-6 with symmetric extension), one resolution at a time: every row is
//! synthesised horizontally, then every column vertically, in that order,
//! as the standard does (the integer lifting steps do not commute).
//!
//! Components start at the origin, so the low-pass samples sit at even
//! positions and a signal of one sample is its low-pass sample.

use super::sample::{Pool, Sample};
use crate::error::Result;

/// Which kind of horizontally synthesised row [`Vertical`] asks for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    /// From the low-pass rows (LL and HL): the resolution's even rows.
    Low,
    /// From the high-pass rows (LH and HH): its odd rows.
    High,
}

/// The vertical synthesis of one resolution, a row at a time: it asks for
/// each horizontally synthesised row once, in order, and keeps only the
/// four rows its lifting steps need.
pub(super) struct Vertical<T> {
    height: usize,
    /// The next row to produce.
    next: usize,
    /// Even rows `k` and `k + 1` once their update step is done.
    even: Vec<T>,
    even_next: Vec<T>,
    /// High-pass rows `k` and `k + 1`.
    high: Vec<T>,
    high_next: Vec<T>,
}

impl<T: Sample> Vertical<T> {
    /// A resolution of `width` x `height` samples, its rows from `pool`.
    pub fn new(width: usize, height: usize, pool: &mut Pool<T>) -> Self {
        Self {
            height,
            next: 0,
            even: pool.take(width),
            even_next: pool.take(width),
            high: pool.take(width),
            high_next: pool.take(width),
        }
    }

    /// Gives its rows back to `pool`.
    pub fn recycle(self, pool: &mut Pool<T>) {
        for row in [self.even, self.even_next, self.high, self.high_next] {
            pool.give(row);
        }
    }

    /// Writes the next row into `out`, getting rows from `pull`.
    pub fn next_row(
        &mut self,
        mut pull: impl FnMut(Side, &mut [T]) -> Result<()>,
        out: &mut [T],
    ) -> Result<()> {
        let (y, h) = (self.next, self.height);
        self.next += 1;
        if h == 1 {
            return pull(Side::Low, out);
        }
        let (low_rows, high_rows) = (h.div_ceil(2), h / 2);
        if y == 0 {
            pull(Side::Low, &mut self.even)?;
            pull(Side::High, &mut self.high)?;
            update(&mut self.even, &self.high, &self.high);
        } else if y % 2 == 1 {
            // Odd row k: high-pass row k plus half the even rows k, k + 1
            // (the last even row again at the bottom), computing the even
            // row k + 1 on the way.
            let k = y / 2;
            if k + 1 < low_rows {
                pull(Side::Low, &mut self.even_next)?;
                let more_high = k + 1 < high_rows;
                if more_high {
                    pull(Side::High, &mut self.high_next)?;
                }
                let below = if more_high {
                    &self.high_next
                } else {
                    &self.high
                };
                update(&mut self.even_next, &self.high, below);
                predict(out, &self.high, &self.even, &self.even_next);
                std::mem::swap(&mut self.even, &mut self.even_next);
                if more_high {
                    std::mem::swap(&mut self.high, &mut self.high_next);
                }
            } else {
                predict(out, &self.high, &self.even, &self.even);
            }
            return Ok(());
        }
        out.copy_from_slice(&self.even);
        Ok(())
    }
}

/// The update step (F-5) on a low-pass row: less a quarter of the
/// high-pass rows above and below it, rounded.
fn update<T: Sample>(even: &mut [T], above: &[T], below: &[T]) {
    for ((x, &a), &b) in even.iter_mut().zip(above).zip(below) {
        *x = *x - ((a + b + T::TWO) >> 2);
    }
}

/// The predict step (F-6): a high-pass row plus half the even rows around
/// it, into `out`.
fn predict<T: Sample>(out: &mut [T], high: &[T], above: &[T], below: &[T]) {
    for (((x, &h), &a), &b) in out.iter_mut().zip(high).zip(above).zip(below) {
        *x = h + ((a + b) >> 1);
    }
}

/// Synthesises one row of `low.len() + high.len()` samples into `out`,
/// with `evens` (as long as `low`) for the even samples.
pub(super) fn horizontal<T: Sample>(low: &[T], high: &[T], out: &mut [T], evens: &mut [T]) {
    let (Some(&first_high), Some(&last_high)) = (high.first(), high.last()) else {
        out.copy_from_slice(low);
        return;
    };
    // Even samples: low-pass less a quarter of the high-pass on either side.
    evens[0] = low[0] - ((first_high + first_high + T::TWO) >> 2);
    let inner = high.len().min(low.len()) - 1;
    let sides = high[..inner].iter().zip(&high[1..=inner]);
    for ((x, &l), (&a, &b)) in evens[1..=inner].iter_mut().zip(&low[1..=inner]).zip(sides) {
        *x = l - ((a + b + T::TWO) >> 2);
    }
    if low.len() > high.len() {
        evens[low.len() - 1] = low[low.len() - 1] - ((last_high + last_high + T::TWO) >> 2);
    }
    // Odd samples: high-pass plus half the even samples on either side,
    // interleaved with them four pairs at a time (which vectorises) while
    // the next even sample exists, then one by one.
    let evens = &evens[..low.len()];
    let ahead = (high.len().min(low.len() - 1) / 4) * 4;
    let quads = out[..2 * ahead]
        .chunks_exact_mut(8)
        .zip(high[..ahead].chunks_exact(4));
    let even_quads = evens[..ahead]
        .chunks_exact(4)
        .zip(evens[1..=ahead].chunks_exact(4));
    for ((out, high), (here, next)) in quads.zip(even_quads) {
        for i in 0..4 {
            out[2 * i] = here[i];
            out[2 * i + 1] = high[i] + ((here[i] + next[i]) >> 1);
        }
    }
    for k in ahead..high.len() {
        let (here, next) = (evens[k], evens[(k + 1).min(low.len() - 1)]);
        out[2 * k] = here;
        out[2 * k + 1] = high[k] + ((here + next) >> 1);
    }
    if low.len() > high.len() {
        out[out.len() - 1] = evens[low.len() - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample::Wide;
    use super::*;

    /// The forward 5/3 of one signal: low and high halves.
    fn analyse(x: &[i64]) -> (Vec<i64>, Vec<i64>) {
        let n = x.len();
        if n == 1 {
            return (x.to_vec(), Vec::new());
        }
        let at = |i: isize| {
            let period = 2 * (n as isize - 1);
            let m = i.rem_euclid(period);
            x[m.min(period - m) as usize]
        };
        let high: Vec<i64> = (0..n / 2)
            .map(|k| {
                let i = 2 * k as isize + 1;
                at(i) - ((at(i - 1) + at(i + 1)) >> 1)
            })
            .collect();
        let h = |k: isize| high[k.clamp(0, high.len() as isize - 1) as usize];
        let low = (0..n.div_ceil(2))
            .map(|k| x[2 * k] + ((h(k as isize - 1) + h(k as isize) + 2) >> 2))
            .collect();
        (low, high)
    }

    /// A 2-D forward level, vertical then horizontal (the inverse of
    /// horizontal then vertical synthesis).
    fn analyse_2d(x: &[i64], w: usize, h: usize) -> [Vec<i64>; 4] {
        let mut columns_low = vec![0; w * h.div_ceil(2)];
        let mut columns_high = vec![0; w * (h / 2)];
        for c in 0..w {
            let column: Vec<i64> = (0..h).map(|r| x[r * w + c]).collect();
            let (l, hi) = analyse(&column);
            for (r, v) in l.into_iter().enumerate() {
                columns_low[r * w + c] = v;
            }
            for (r, v) in hi.into_iter().enumerate() {
                columns_high[r * w + c] = v;
            }
        }
        let split = |rows: &[i64]| {
            let (mut low, mut high) = (Vec::new(), Vec::new());
            for row in rows.chunks(w) {
                let (l, hi) = analyse(row);
                low.extend(l);
                high.extend(hi);
            }
            (low, high)
        };
        let (ll, hl) = split(&columns_low);
        let (lh, hh) = split(&columns_high);
        [ll, hl, lh, hh]
    }

    #[test]
    fn synthesis_inverts_analysis_at_every_small_size() {
        let mut seed = 7u32;
        for w in 1..=9 {
            for h in 1..=9 {
                let x: Vec<i64> = (0..w * h)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        i64::from(seed >> 16) % 2001 - 1000
                    })
                    .collect();
                let wide = |v: Vec<i64>| v.into_iter().map(Wide::from_i64).collect::<Vec<_>>();
                let [ll, hl, lh, hh] = analyse_2d(&x, w, h).map(wide);
                let (low_w, high_w) = (w.div_ceil(2), w / 2);
                let mut evens = vec![Wide::default(); low_w];
                let (mut low_k, mut high_k) = (0, 0);
                let mut vertical = Vertical::new(w, h, &mut Pool::default());
                let mut out = vec![Wide::default(); w * h];
                for row in out.chunks_exact_mut(w) {
                    let pull = |side, buf: &mut [Wide]| {
                        let (low, high, k) = match side {
                            Side::Low => (&ll, &hl, &mut low_k),
                            Side::High => (&lh, &hh, &mut high_k),
                        };
                        let (l, h) = (&low[*k * low_w..][..low_w], &high[*k * high_w..][..high_w]);
                        horizontal(l, h, buf, &mut evens);
                        *k += 1;
                        Ok(())
                    };
                    vertical.next_row(pull, row).expect("row");
                }
                assert_eq!(out, wide(x), "{w}x{h}");
                // Each band row was asked for once.
                assert_eq!((low_k, high_k), (h.div_ceil(2), h / 2), "{w}x{h}");
            }
        }
    }
}
