//! The byte predictor and interleaving that RLE and ZIP apply before
//! compressing.

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
}
