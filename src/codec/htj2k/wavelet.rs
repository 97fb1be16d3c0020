//! The inverse reversible 5/3 wavelet (T.800 F.3, lifting steps F-5 and
//! F-6 with symmetric extension), one resolution at a time: every row is
//! synthesised horizontally, then every column vertically, in that order,
//! as the standard does (the integer lifting steps do not commute).
//!
//! Components start at the origin, so the low-pass samples sit at even
//! positions and a signal of one sample is its low-pass sample.

use super::sample::Sample;

/// The bands of one decomposition level, each row after row.
pub(super) struct Bands<'a, T> {
    /// Low-pass both ways: `ceil(w/2)` x `ceil(h/2)`.
    pub ll: &'a [T],
    /// High-pass horizontally: `floor(w/2)` x `ceil(h/2)`.
    pub hl: &'a [T],
    /// High-pass vertically: `ceil(w/2)` x `floor(h/2)`.
    pub lh: &'a [T],
    /// High-pass both ways: `floor(w/2)` x `floor(h/2)`.
    pub hh: &'a [T],
}

/// Synthesises the `w` x `h` resolution above `bands` into `out` (`w * h`
/// samples), using `evens` for one row: each row horizontally into its
/// place (low-pass rows even, high-pass rows odd), then the columns'
/// lifting steps in place.
pub(super) fn synthesize_53<T: Sample>(
    bands: &Bands<'_, T>,
    (w, h): (usize, usize),
    out: &mut [T],
    evens: &mut Vec<T>,
) {
    let (low_w, high_w) = (w.div_ceil(2), w / 2);
    evens.resize(low_w, T::default());
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let (low, high, k) = if y % 2 == 0 {
            (bands.ll, bands.hl, y / 2)
        } else {
            (bands.lh, bands.hh, y / 2)
        };
        horizontal(
            &low[k * low_w..][..low_w],
            &high[k * high_w..][..high_w],
            row,
            evens,
        );
    }
    if h == 1 {
        return;
    }
    // Even rows: less a quarter of the odd rows on either side (the row
    // below the last even one is the one above it).
    for y in (0..h).step_by(2) {
        let (before, rest) = out.split_at_mut(y * w);
        let (even, after) = rest.split_at_mut(w);
        let below = if y + 1 < h {
            &after[..w]
        } else {
            &before[(y - 1) * w..]
        };
        let above = if y > 0 { &before[(y - 1) * w..] } else { below };
        for ((x, &a), &b) in even.iter_mut().zip(above).zip(below) {
            *x = *x - ((a + b + T::TWO) >> 2);
        }
    }
    // Odd rows: plus half the even rows on either side, as just updated.
    for y in (1..h).step_by(2) {
        let (before, rest) = out.split_at_mut(y * w);
        let (odd, after) = rest.split_at_mut(w);
        let above = &before[(y - 1) * w..];
        let below = if y + 1 < h { &after[..w] } else { above };
        for ((x, &a), &b) in odd.iter_mut().zip(above).zip(below) {
            *x = *x + ((a + b) >> 1);
        }
    }
}

/// Synthesises one row of `low.len() + high.len()` samples into `out`,
/// with `evens` (as long as `low`) for the even samples.
fn horizontal<T: Sample>(low: &[T], high: &[T], out: &mut [T], evens: &mut [T]) {
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
        let mut evens = Vec::new();
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
                let bands = Bands {
                    ll: &ll,
                    hl: &hl,
                    lh: &lh,
                    hh: &hh,
                };
                let mut out = vec![Wide::default(); w * h];
                synthesize_53(&bands, (w, h), &mut out, &mut evens);
                assert_eq!(out, wide(x), "{w}x{h}");
            }
        }
    }
}
