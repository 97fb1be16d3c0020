//! PIZ's wavelet: a two-dimensional Haar-like transform over 16-bit words,
//! applied level by level to squares of growing size.
//!
//! At level `p` (1, 2, 4, ... up to half the largest power of two that fits
//! the smaller side), the words at multiples of `p` form blocks of 2 x 2 that
//! are `p` apart; each block holds one average and three differences. Words
//! left over on an odd last column or line of a level are transformed in
//! pairs along the other axis. Encoding runs the levels from the finest,
//! decoding from the coarsest.

/// Transforms one channel in place: `plane` holds `height` lines of `width`
/// samples of `words` interleaved words each (1 or 2), and each word
/// position is its own transform. `max_value` is the largest word; below
/// 2^14 the transform uses plain differences, otherwise differences modulo
/// 2^16, as OpenEXR does.
pub fn encode(plane: &mut [u16], width: usize, height: usize, words: usize, max_value: u16) {
    match (words, max_value < 1 << 14) {
        (1, true) => encode_levels::<1, Plain>(plane, width, height),
        (1, false) => encode_levels::<1, Modular>(plane, width, height),
        (_, true) => encode_levels::<2, Plain>(plane, width, height),
        (_, false) => encode_levels::<2, Modular>(plane, width, height),
    }
}

/// Undoes the transform of one channel in place: `plane` holds `height`
/// lines of `width` samples of `words` interleaved words each (1 or 2), and
/// each word position is its own transform. `max_value` is the largest word
/// before the transform; below 2^14 the encoder used plain differences,
/// otherwise differences modulo 2^16.
pub fn decode(plane: &mut [u16], width: usize, height: usize, words: usize, max_value: u16) {
    match (words, max_value < 1 << 14) {
        (1, true) => decode_levels::<1, Plain>(plane, width, height),
        (1, false) => decode_levels::<1, Modular>(plane, width, height),
        (_, true) => decode_levels::<2, Plain>(plane, width, height),
        (_, false) => decode_levels::<2, Modular>(plane, width, height),
    }
}

/// One step of the transform: two words to an average and a difference,
/// and back.
trait Pair {
    fn join(a: u16, b: u16) -> (u16, u16);
    fn split(average: u16, difference: u16) -> (u16, u16);
}

/// Averages and differences of values below 2^14, which fit 16 bits
/// without wrapping (damaged data wraps, harmlessly).
struct Plain;

impl Pair for Plain {
    #[inline(always)]
    fn join(a: u16, b: u16) -> (u16, u16) {
        // Words below 2^14 keep every sum and difference within 16 bits.
        let (a, b) = (i32::from(a as i16), i32::from(b as i16));
        (((a + b) >> 1) as u16, (a - b) as u16)
    }

    #[inline(always)]
    fn split(average: u16, difference: u16) -> (u16, u16) {
        let (l, h) = (average as i16, difference as i16);
        let a = l.wrapping_add(h & 1).wrapping_add(h >> 1);
        (a as u16, a.wrapping_sub(h) as u16)
    }
}

/// Averages and differences modulo 2^16, offset by 2^15.
struct Modular;

impl Pair for Modular {
    #[inline(always)]
    fn join(a: u16, b: u16) -> (u16, u16) {
        let a = a.wrapping_add(1 << 15);
        let difference = a.wrapping_sub(b);
        let mut average = ((u32::from(a) + u32::from(b)) >> 1) as u16;
        if a < b {
            average = average.wrapping_add(1 << 15);
        }
        (average, difference)
    }

    #[inline(always)]
    fn split(average: u16, difference: u16) -> (u16, u16) {
        let b = average.wrapping_sub(difference >> 1);
        (difference.wrapping_add(b).wrapping_sub(1 << 15), b)
    }
}

/// Transforms every level of a plane of `W` words per sample, from the
/// finest.
fn encode_levels<const W: usize, P: Pair>(plane: &mut [u16], width: usize, height: usize) {
    let smaller = width.min(height);
    let line = width * W;
    let mut p = 1usize;
    while 2 * p <= smaller {
        encode_level::<W, P>(plane, line, width, height, p);
        p *= 2;
    }
}

/// Transforms level `p` of `plane`, whose lines are `line` words long.
fn encode_level<const W: usize, P: Pair>(
    plane: &mut [u16],
    line: usize,
    width: usize,
    height: usize,
    p: usize,
) {
    let (near, far) = (p * W, 2 * p * W);
    let mut line_pairs = plane.chunks_exact_mut(2 * p * line);
    for lines in &mut line_pairs {
        let (top, bottom) = lines.split_at_mut(p * line);
        let (top, bottom) = (&mut top[..line], &mut bottom[..line]);
        if p == 1 {
            // The finest level, three quarters of the work: every pair
            // along both lines, then every column, odd one included, in
            // passes the compiler can turn into vector code.
            for half in [&mut *top, &mut *bottom] {
                join_pairs::<W, P>(half, W);
            }
            for (t, b) in top.iter_mut().zip(bottom.iter_mut()) {
                (*t, *b) = P::join(*t, *b);
            }
            continue;
        }
        let mut tops = top.chunks_exact_mut(far);
        let mut bottoms = bottom.chunks_exact_mut(far);
        for (t, b) in (&mut tops).zip(&mut bottoms) {
            let (t0, t1) = t.split_at_mut(near);
            let (b0, b1) = b.split_at_mut(near);
            for (((x00, x01), x10), x11) in t0[..W]
                .iter_mut()
                .zip(&mut t1[..W])
                .zip(&mut b0[..W])
                .zip(&mut b1[..W])
            {
                let (l0, h0) = P::join(*x00, *x01);
                let (l1, h1) = P::join(*x10, *x11);
                (*x00, *x10) = P::join(l0, l1);
                (*x01, *x11) = P::join(h0, h1);
            }
        }
        if width & p != 0 {
            // The odd column of this level pairs vertically.
            let (top, bottom) = (tops.into_remainder(), bottoms.into_remainder());
            for (x0, x1) in top[..W].iter_mut().zip(&mut bottom[..W]) {
                (*x0, *x1) = P::join(*x0, *x1);
            }
        }
    }
    if height & p != 0 {
        // The odd line of this level pairs horizontally.
        join_pairs::<W, P>(&mut line_pairs.into_remainder()[..line], near);
    }
}

/// Joins the samples `near` words apart in each run of `2 * near` words of
/// `line`, leaving a shorter run at the end alone.
#[inline(always)]
fn join_pairs<const W: usize, P: Pair>(line: &mut [u16], near: usize) {
    for pair in line.chunks_exact_mut(2 * near) {
        let (left, right) = pair.split_at_mut(near);
        for (x0, x1) in left[..W].iter_mut().zip(&mut right[..W]) {
            (*x0, *x1) = P::join(*x0, *x1);
        }
    }
}

/// Undoes a 2 x 2 block: top-left, top-right, bottom-left, bottom-right.
#[inline(always)]
fn split_block<P: Pair>(x00: &mut u16, x01: &mut u16, x10: &mut u16, x11: &mut u16) {
    let (l0, l1) = P::split(*x00, *x10);
    let (h0, h1) = P::split(*x01, *x11);
    (*x00, *x01) = P::split(l0, h0);
    (*x10, *x11) = P::split(l1, h1);
}

/// Undoes every level of a plane of `W` words per sample.
fn decode_levels<const W: usize, P: Pair>(plane: &mut [u16], width: usize, height: usize) {
    let smaller = width.min(height);
    if smaller < 2 {
        return;
    }
    let line = width * W;
    // The coarsest level is half the largest power of two within `smaller`.
    let mut p = 1usize << (smaller.ilog2() - 1);
    while p >= 1 {
        decode_level::<W, P>(plane, line, width, height, p);
        p /= 2;
    }
}

/// Undoes the blocks of the finest level, whose words are adjacent, in two
/// passes the compiler can turn into vector code: first every column of
/// both lines, then every pair along each line. Returns the lines past the
/// last whole block.
fn split_adjacent_blocks<'a, const W: usize, P: Pair>(
    top: &'a mut [u16],
    bottom: &'a mut [u16],
) -> (&'a mut [u16], &'a mut [u16]) {
    let whole = top.len() / (2 * W) * (2 * W);
    let (top, top_rest) = top.split_at_mut(whole);
    let (bottom, bottom_rest) = bottom.split_at_mut(whole.min(bottom.len()));
    for (t, b) in top.iter_mut().zip(bottom.iter_mut()) {
        (*t, *b) = P::split(*t, *b);
    }
    for line in [top, bottom] {
        for pair in line.chunks_exact_mut(2 * W) {
            let (left, right) = pair.split_at_mut(W);
            for (x0, x1) in left.iter_mut().zip(right) {
                (*x0, *x1) = P::split(*x0, *x1);
            }
        }
    }
    (top_rest, bottom_rest)
}

/// Undoes the 2 x 2 blocks whose left words are `2 * near` apart on two
/// lines; returns what is left of the lines past the last whole block.
#[inline(always)]
fn split_blocks<'a, const W: usize, P: Pair>(
    top: &'a mut [u16],
    bottom: &'a mut [u16],
    near: usize,
) -> (&'a mut [u16], &'a mut [u16]) {
    let mut tops = top.chunks_exact_mut(2 * near);
    let mut bottoms = bottom.chunks_exact_mut(2 * near);
    for (t, b) in (&mut tops).zip(&mut bottoms) {
        let (t0, t1) = t.split_at_mut(near);
        let (b0, b1) = b.split_at_mut(near);
        for (((x00, x01), x10), x11) in t0[..W]
            .iter_mut()
            .zip(&mut t1[..W])
            .zip(&mut b0[..W])
            .zip(&mut b1[..W])
        {
            split_block::<P>(x00, x01, x10, x11);
        }
    }
    (tops.into_remainder(), bottoms.into_remainder())
}

/// Undoes level `p` of `plane`, whose lines are `line` words long.
fn decode_level<const W: usize, P: Pair>(
    plane: &mut [u16],
    line: usize,
    width: usize,
    height: usize,
    p: usize,
) {
    let (near, far) = (p * W, 2 * p * W);
    let mut line_pairs = plane.chunks_exact_mut(2 * p * line);
    for lines in &mut line_pairs {
        let (top, bottom) = lines.split_at_mut(p * line);
        let (top, bottom) = (&mut top[..line], &mut bottom[..line]);
        // The finest level, three quarters of the work, gets code made for
        // adjacent words.
        let (top, bottom) = if p == 1 {
            split_adjacent_blocks::<W, P>(top, bottom)
        } else {
            split_blocks::<W, P>(top, bottom, near)
        };
        if width & p != 0 {
            // The odd column of this level pairs vertically.
            for (x0, x1) in top[..W].iter_mut().zip(&mut bottom[..W]) {
                (*x0, *x1) = P::split(*x0, *x1);
            }
        }
    }
    if height & p != 0 {
        // The odd line of this level pairs horizontally.
        let odd = &mut line_pairs.into_remainder()[..line];
        for pair in odd.chunks_exact_mut(far) {
            let (left, right) = pair.split_at_mut(near);
            for (x0, x1) in left[..W].iter_mut().zip(&mut right[..W]) {
                (*x0, *x1) = P::split(*x0, *x1);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn join_plain(a: u16, b: u16) -> (u16, u16) {
        let (a, b) = (i32::from(a as i16), i32::from(b as i16));
        (((a + b) >> 1) as u16, (a - b) as u16)
    }

    fn join_modular(a: u16, b: u16) -> (u16, u16) {
        let a = (i32::from(a) + (1 << 15)) & 0xffff;
        let b = i32::from(b);
        let mut m = (a + b) >> 1;
        let d = a - b;
        if d < 0 {
            m = (m + (1 << 15)) & 0xffff;
        }
        (m as u16, (d & 0xffff) as u16)
    }

    /// The forward transform, written from the format's description: each
    /// level pairs horizontally, then vertically; odd columns and lines pair
    /// along the other axis.
    pub fn encode(plane: &mut [u16], width: usize, height: usize, words: usize, max_value: u16) {
        let join = if max_value < 1 << 14 {
            join_plain
        } else {
            join_modular
        };
        let at = |x: usize, y: usize, j: usize| (y * width + x) * words + j;
        let smaller = width.min(height);
        for j in 0..words {
            let mut p = 1;
            while 2 * p <= smaller {
                let mut y = 0;
                while y + 2 * p <= height {
                    let mut x = 0;
                    while x + 2 * p <= width {
                        let (i00, i01) = (at(x, y, j), at(x + p, y, j));
                        let (i10, i11) = (at(x, y + p, j), at(x + p, y + p, j));
                        let (l0, h0) = join(plane[i00], plane[i01]);
                        let (l1, h1) = join(plane[i10], plane[i11]);
                        (plane[i00], plane[i10]) = join(l0, l1);
                        (plane[i01], plane[i11]) = join(h0, h1);
                        x += 2 * p;
                    }
                    if width & p != 0 {
                        let (i0, i1) = (at(x, y, j), at(x, y + p, j));
                        (plane[i0], plane[i1]) = join(plane[i0], plane[i1]);
                    }
                    y += 2 * p;
                }
                if height & p != 0 {
                    let mut x = 0;
                    while x + 2 * p <= width {
                        let (i0, i1) = (at(x, y, j), at(x + p, y, j));
                        (plane[i0], plane[i1]) = join(plane[i0], plane[i1]);
                        x += 2 * p;
                    }
                }
                p *= 2;
            }
        }
    }

    fn samples(n: usize, max: u16, seed: u32) -> Vec<u16> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((state >> 8) % (u32::from(max) + 1)) as u16
            })
            .collect()
    }

    #[test]
    fn steps_invert_their_forward_steps() {
        for a in (0..1u16 << 14).step_by(37) {
            for b in (0..1u16 << 14).step_by(41) {
                let (l, h) = join_plain(a, b);
                assert_eq!(Plain::split(l, h), (a, b));
            }
        }
        for a in (0..=u16::MAX).step_by(251) {
            for b in (0..=u16::MAX).step_by(257) {
                let (l, h) = join_modular(a, b);
                assert_eq!(Modular::split(l, h), (a, b));
            }
        }
    }

    #[test]
    fn planes_of_every_small_shape_round_trip() {
        for words in [1, 2] {
            for max in [3, (1 << 14) - 1, 1 << 14, u16::MAX] {
                for width in 0..19 {
                    for height in 0..19 {
                        let n = width * height * words;
                        let original = samples(n, max, (width * 31 + height) as u32);
                        let mut plane = original.clone();
                        encode(&mut plane, width, height, words, max);
                        decode(&mut plane, width, height, words, max);
                        assert_eq!(plane, original, "{width}x{height}x{words} max {max}");
                    }
                }
            }
        }
    }

    #[test]
    fn transform_of_a_flat_square_is_its_value_and_zero_differences() {
        let mut plane = vec![5u16; 16];
        encode(&mut plane, 4, 4, 1, 5);
        assert_eq!(plane[0], 5);
        assert!(plane[1..].iter().all(|&d| d == 0));
    }

    #[test]
    fn fast_transform_matches_the_reference() {
        for words in [1, 2] {
            for max in [3, (1 << 14) - 1, 1 << 14, u16::MAX] {
                for (width, height) in [(0, 5), (1, 1), (2, 2), (7, 3), (3, 7), (17, 16), (64, 33)]
                {
                    let n = width * height * words;
                    let original = samples(n, max, (width * 7 + height) as u32);
                    let mut reference = original.clone();
                    tests::encode(&mut reference, width, height, words, max);
                    let mut plane = original.clone();
                    super::encode(&mut plane, width, height, words, max);
                    assert_eq!(plane, reference, "{width}x{height}x{words} max {max}");
                    decode(&mut plane, width, height, words, max);
                    assert_eq!(plane, original, "{width}x{height}x{words} max {max}");
                }
            }
        }
    }
}
