//! The byte predictor and interleaving that RLE and ZIP apply before
//! compressing, in both directions.

/// Bytes of a word with the top bit of each byte clear, and set.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Adds the eight bytes of `a` and `b` lane by lane, each modulo 256.
fn add_bytes(a: u64, b: u64) -> u64 {
    ((a & LOW7) + (b & LOW7)) ^ ((a ^ b) & HIGH)
}

/// Undoes the predictor in place: each byte was stored as its difference to
/// the byte before it, offset by 128. Eight bytes at a time: their running
/// sums take three lane-wise shifted additions, so only the carry from one
/// word to the next is a serial dependency.
pub fn undo_predictor(bytes: &mut [u8]) {
    let Some((&mut first, rest)) = bytes.split_first_mut() else {
        return;
    };
    let mut previous = first;
    let mut words = rest.chunks_exact_mut(8);
    for word in &mut words {
        let mut sums = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]) ^ HIGH;
        sums = add_bytes(sums, sums << 8);
        sums = add_bytes(sums, sums << 16);
        sums = add_bytes(sums, sums << 32);
        sums = add_bytes(sums, u64::from(previous) * 0x0101_0101_0101_0101);
        word.copy_from_slice(&sums.to_le_bytes());
        previous = (sums >> 56) as u8;
    }
    for b in words.into_remainder() {
        previous = previous.wrapping_add(*b).wrapping_sub(128);
        *b = previous;
    }
}

/// Undoes the interleaving: the first half of `from` holds the even bytes of
/// the block and the second half the odd ones.
pub fn deinterleave(from: &[u8], to: &mut [u8]) {
    let half = from.len().div_ceil(2);
    let (evens, odds) = from.split_at(half);
    let mut pairs = to.chunks_exact_mut(2);
    for ((pair, &even), &odd) in (&mut pairs).zip(evens).zip(odds) {
        pair[0] = even;
        pair[1] = odd;
    }
    if let (Some(last), Some(&even)) = (pairs.into_remainder().first_mut(), evens.last()) {
        *last = even;
    }
}

/// Subtracts the eight bytes of `b` from those of `a` lane by lane, each
/// modulo 256.
fn sub_bytes(a: u64, b: u64) -> u64 {
    ((a | HIGH) - (b & LOW7)) ^ ((a ^ !b) & HIGH)
}

/// Interleaves and predicts `from` into `to`, replacing its contents: the
/// even bytes of `from` then its odd bytes, each byte after the first stored
/// as its difference to the byte before it, offset by 128. The inverse of
/// [`undo_predictor`] followed by [`deinterleave`].
pub fn interleave_and_predict(from: &[u8], to: &mut Vec<u8>) {
    to.clear();
    to.resize(from.len(), 0);
    interleave(from, to);
    predict(to);
}

/// Splits `from` into its even bytes, then its odd bytes, in `to` (as long as
/// `from`), sixteen bytes at a time.
fn interleave(from: &[u8], to: &mut [u8]) {
    let half = from.len().div_ceil(2);
    let (evens, odds) = to.split_at_mut(half);
    let mut pairs = from.chunks_exact(16);
    let mut even_words = evens.chunks_exact_mut(8);
    let mut odd_words = odds.chunks_exact_mut(8);
    for ((pair, even), odd) in (&mut pairs).zip(&mut even_words).zip(&mut odd_words) {
        let lo = u64::from_le_bytes([
            pair[0], pair[1], pair[2], pair[3], pair[4], pair[5], pair[6], pair[7],
        ]);
        let hi = u64::from_le_bytes([
            pair[8], pair[9], pair[10], pair[11], pair[12], pair[13], pair[14], pair[15],
        ]);
        let (lo_even, lo_odd) = split_lanes(lo);
        let (hi_even, hi_odd) = split_lanes(hi);
        even.copy_from_slice(&(lo_even | hi_even << 32).to_le_bytes());
        odd.copy_from_slice(&(lo_odd | hi_odd << 32).to_le_bytes());
    }
    let done = from.len() - pairs.remainder().len();
    let (evens, odds) = (&mut evens[done / 2..], &mut odds[done / 2..]);
    for (i, &b) in pairs.remainder().iter().enumerate() {
        if i % 2 == 0 {
            evens[i / 2] = b;
        } else {
            odds[i / 2] = b;
        }
    }
}

/// The even bytes of `word` packed into the low four bytes of the first
/// result, and its odd bytes into those of the second.
fn split_lanes(word: u64) -> (u64, u64) {
    let gather = |mut x: u64| {
        x &= 0x00ff_00ff_00ff_00ff;
        x = (x | x >> 8) & 0x0000_ffff_0000_ffff;
        (x | x >> 16) & 0x0000_0000_ffff_ffff
    };
    (gather(word), gather(word >> 8))
}

/// Replaces each byte after the first by its difference to the byte before
/// it, offset by 128, eight bytes at a time.
fn predict(bytes: &mut [u8]) {
    let Some((&mut first, rest)) = bytes.split_first_mut() else {
        return;
    };
    let mut previous = first;
    let mut words = rest.chunks_exact_mut(8);
    for word in &mut words {
        let value = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        let before = value << 8 | u64::from(previous);
        word.copy_from_slice(&(sub_bytes(value, before) ^ HIGH).to_le_bytes());
        previous = (value >> 56) as u8;
    }
    for b in words.into_remainder() {
        let value = *b;
        *b = value.wrapping_sub(previous).wrapping_add(128);
        previous = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictor_accumulates_differences() {
        let mut bytes = [10, 128 + 5, 128 - 3, 128];
        undo_predictor(&mut bytes);
        assert_eq!(bytes, [10, 15, 12, 12]);
    }

    #[test]
    fn word_at_a_time_predictor_matches_the_byte_loop() {
        let mut state = 0x1234_5678u32;
        for len in [0, 1, 2, 8, 9, 16, 17, 100, 1001] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 24) as u8
                })
                .collect();
            let mut expected = bytes.clone();
            for i in 1..expected.len() {
                expected[i] = expected[i - 1].wrapping_add(expected[i]).wrapping_sub(128);
            }
            let mut fast = bytes;
            undo_predictor(&mut fast);
            assert_eq!(fast, expected, "length {len}");
        }
    }

    #[test]
    fn deinterleave_handles_odd_lengths() {
        let mut out = [0u8; 5];
        deinterleave(&[0, 2, 4, 1, 3], &mut out);
        assert_eq!(out, [0, 1, 2, 3, 4]);
        let mut even = [0u8; 4];
        deinterleave(&[0, 2, 1, 3], &mut even);
        assert_eq!(even, [0, 1, 2, 3]);
    }

    #[test]
    fn encoding_round_trips_at_every_length() {
        let mut state = 0x9e37_79b9u32;
        for len in (0..70).chain([255, 256, 1001, 4096]) {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 24) as u8
                })
                .collect();
            let mut expected: Vec<u8> = bytes.iter().step_by(2).copied().collect();
            expected.extend(bytes.iter().skip(1).step_by(2));
            for i in (1..expected.len()).rev() {
                expected[i] = expected[i].wrapping_sub(expected[i - 1]).wrapping_add(128);
            }
            let mut packed = Vec::new();
            interleave_and_predict(&bytes, &mut packed);
            assert_eq!(packed, expected, "length {len}");
            undo_predictor(&mut packed);
            let mut back = vec![0u8; len];
            deinterleave(&packed, &mut back);
            assert_eq!(back, bytes, "length {len}");
        }
    }
}
