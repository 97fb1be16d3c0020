//! The byte predictor and interleaving that RLE and ZIP apply before
//! compressing.

/// Undoes the predictor in place: each byte was stored as its difference to
/// the byte before it, offset by 128.
pub fn undo_predictor(bytes: &mut [u8]) {
    let mut previous = match bytes.first() {
        Some(&b) => b,
        None => return,
    };
    for b in bytes.iter_mut().skip(1) {
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
    fn deinterleave_handles_odd_lengths() {
        let mut out = [0u8; 5];
        deinterleave(&[0, 2, 4, 1, 3], &mut out);
        assert_eq!(out, [0, 1, 2, 3, 4]);
        let mut even = [0u8; 4];
        deinterleave(&[0, 2, 1, 3], &mut even);
        assert_eq!(even, [0, 1, 2, 3]);
    }
}
