//! Where subsampled channels have samples: a channel sampled every
//! `sampling` pixels has one at each coordinate that is a multiple of it.

/// Whether coordinate `at` holds a sample of a channel sampled every
/// `sampling` pixels.
pub fn is_sampled(at: i32, sampling: i32) -> bool {
    at.rem_euclid(sampling.max(1)) == 0
}

/// The index `k` of the first sample `k * sampling` at or after `min`.
pub fn first_sample_index(min: i32, sampling: i32) -> i64 {
    let (min, s) = (i64::from(min), i64::from(sampling.max(1)));
    min.div_euclid(s) + i64::from(min.rem_euclid(s) != 0)
}

/// How many of the coordinates `min..=max` are multiples of `sampling`.
pub fn sampled_count(min: i32, max: i32, sampling: i32) -> u64 {
    if max < min {
        return 0;
    }
    let last = i64::from(max).div_euclid(i64::from(sampling.max(1)));
    (last - first_sample_index(min, sampling) + 1).max(0) as u64
}

/// The first multiple of `sampling` at or after `min`.
pub fn first_sampled(min: i32, sampling: i32) -> i32 {
    (first_sample_index(min, sampling) * i64::from(sampling)).min(i64::from(i32::MAX)) as i32
}

/// The last coordinate a sample at or before `max` covers.
pub fn last_covered(max: i32, sampling: i32) -> i32 {
    let start = i64::from(max) - i64::from(max).rem_euclid(i64::from(sampling));
    (start + i64::from(sampling) - 1).min(i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_coordinates_are_sampled_like_positive_ones() {
        assert!(is_sampled(-4, 2) && is_sampled(0, 3) && is_sampled(7, 1));
        assert!(!is_sampled(-3, 2) && !is_sampled(5, 3));
    }

    #[test]
    fn sampled_counts_handle_negative_origins() {
        assert_eq!(sampled_count(0, 9, 1), 10);
        assert_eq!(sampled_count(0, 9, 2), 5);
        assert_eq!(sampled_count(-4, 3, 2), 4);
        assert_eq!(sampled_count(1, 1, 2), 0);
        assert_eq!(sampled_count(-3, -1, 3), 1);
    }

    #[test]
    fn sampled_edges_round_to_samples() {
        assert_eq!(first_sampled(-3, 2), -2);
        assert_eq!(first_sampled(4, 2), 4);
        assert_eq!(last_covered(5, 2), 5);
        assert_eq!(last_covered(-3, 2), -3);
        assert_eq!(last_covered(-4, 2), -3);
    }
}
