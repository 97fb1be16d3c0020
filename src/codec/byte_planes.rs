//! Samples stored as byte planes: every sample's first (low) byte, then
//! every second byte, and so on. ZSTD chunks and DWA's run-length section
//! store samples so, since bytes of equal weight pack better together.

/// Writes byte `b` of each `SIZE`-byte sample of `samples` (or of its
/// wrapping difference from the sample before, the first from 0, when
/// `delta`) to `planes[b]`, as far as both reach.
#[inline(always)]
pub fn split<const SIZE: usize>(samples: &[u8], delta: bool, planes: [&mut [u8]; SIZE]) {
    const { assert!(SIZE == 2 || SIZE == 4, "samples are 2 or 4 bytes") };
    let count = planes
        .iter()
        .map(|p| p.len())
        .fold(samples.len() / SIZE, usize::min);
    let (samples, mut planes) = (&samples[..count * SIZE], planes.map(|p| &mut p[..count]));
    #[cfg(target_arch = "x86_64")]
    let done = crate::sse2::split(samples, delta, planes.each_mut().map(|p| &mut **p));
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    let previous = match done.checked_sub(1) {
        Some(last) if delta => word(&samples[last * SIZE..][..SIZE]),
        _ => 0,
    };
    split_from(
        previous,
        delta,
        &samples[done * SIZE..],
        planes.map(|p| &mut p[done..]),
    );
}

/// [`split`] one sample at a time, the first difference taken from
/// `previous`: the portable build, and the tail of the vector one.
#[inline(always)]
fn split_from<const SIZE: usize>(
    mut previous: u32,
    delta: bool,
    samples: &[u8],
    mut planes: [&mut [u8]; SIZE],
) {
    for (i, sample) in samples.chunks_exact(SIZE).enumerate() {
        let value = word(sample);
        let bytes = if delta {
            value.wrapping_sub(previous)
        } else {
            value
        }
        .to_le_bytes();
        previous = value;
        for (plane, byte) in planes.iter_mut().zip(bytes) {
            if let Some(out) = plane.get_mut(i) {
                *out = byte;
            }
        }
    }
}

/// The little-endian sample of 2 or 4 bytes in `bytes`.
#[inline(always)]
fn word(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .rev()
        .fold(0, |word, &b| word << 8 | u32::from(b))
}

/// Writes the `SIZE`-byte samples whose bytes are in `planes` (low byte
/// first) to `samples`, as far as both reach.
#[inline(always)]
pub fn join<const SIZE: usize>(planes: [&[u8]; SIZE], samples: &mut [u8]) {
    const { assert!(SIZE == 2 || SIZE == 4, "samples are 2 or 4 bytes") };
    match planes.as_slice() {
        [low, high] => {
            for ((sample, &l), &h) in samples.chunks_exact_mut(2).zip(*low).zip(*high) {
                sample.copy_from_slice(&[l, h]);
            }
        }
        [b0, b1, b2, b3] => {
            let bytes = b0.iter().zip(*b1).zip(*b2).zip(*b3);
            for (sample, (((&a, &b), &c), &d)) in samples.chunks_exact_mut(4).zip(bytes) {
                sample.copy_from_slice(&[a, b, c, d]);
            }
        }
        _ => {}
    }
}

/// As [`join`], for samples stored as wrapping differences (see
/// [`split`]): writes each sample as the sum of its difference and those
/// before it in `planes`.
#[inline(always)]
pub fn join_summed<const SIZE: usize>(planes: [&[u8]; SIZE], samples: &mut [u8]) {
    const { assert!(SIZE == 2 || SIZE == 4, "samples are 2 or 4 bytes") };
    let count = planes
        .iter()
        .map(|p| p.len())
        .fold(samples.len() / SIZE, usize::min);
    #[cfg(target_arch = "x86_64")]
    let (done, total) = crate::sse2::join_summed(planes, &mut samples[..count * SIZE]);
    #[cfg(not(target_arch = "x86_64"))]
    let (done, total) = (0, 0);
    let rest = planes.map(|p| &p[done..count]);
    sum_from(total, rest, &mut samples[done * SIZE..count * SIZE]);
}

/// The running sums of the differences in `planes`, continuing from
/// `total`, one sample at a time: the portable build of [`join_summed`],
/// and its tail.
#[inline(always)]
fn sum_from<const SIZE: usize>(mut total: u32, planes: [&[u8]; SIZE], samples: &mut [u8]) {
    for (i, sample) in samples.chunks_exact_mut(SIZE).enumerate() {
        let difference = planes
            .iter()
            .rev()
            .fold(0, |word, plane| word << 8 | u32::from(plane[i]));
        total = total.wrapping_add(difference);
        sample.copy_from_slice(&total.to_le_bytes()[..SIZE]);
    }
}

/// `planes` cut into `SIZE` planes of `samples` bytes each, or of what is
/// left of `planes`.
pub fn cut<const SIZE: usize>(planes: &mut [u8], samples: usize) -> [&mut [u8]; SIZE] {
    let mut rest = planes;
    std::array::from_fn(|_| {
        let take = samples.min(rest.len());
        let (plane, tail) = std::mem::take(&mut rest).split_at_mut(take);
        rest = tail;
        plane
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_hold_each_byte_of_the_samples_and_join_back() {
        let samples = [0x01u8, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        let mut planes = [0u8; 8];
        let (low, high) = planes.split_at_mut(4);
        split::<2>(&samples, false, [low, high]);
        assert_eq!(planes, [0x01, 0x03, 0x05, 0x07, 0x02, 0x04, 0x06, 0x08]);
        let mut joined = [0u8; 8];
        join::<2>([&planes[..4], &planes[4..]], &mut joined);
        assert_eq!(joined, samples);
    }

    #[test]
    fn differences_are_taken_from_the_sample_before() {
        let samples = [0x01u8, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        let mut planes = [0u8; 8];
        let [a, b, c, d]: [&mut [u8]; 4] = {
            let (a, rest) = planes.split_at_mut(2);
            let (b, rest) = rest.split_at_mut(2);
            let (c, d) = rest.split_at_mut(2);
            [a, b, c, d]
        };
        split::<4>(&samples, true, [a, b, c, d]);
        // 0x08070605 - 0x04030201 = 0x04040404.
        assert_eq!(planes, [0x01, 0x04, 0x02, 0x04, 0x03, 0x04, 0x04, 0x04]);
    }

    /// Samples of every length up to 80 words (every third length up to 40
    /// under Miri, which is slow), with wrapping sums.
    fn samples<const SIZE: usize>() -> impl Iterator<Item = Vec<u8>> {
        let (most, step) = if cfg!(miri) { (40, 3) } else { (80, 1) };
        (0..most * SIZE).step_by(SIZE * step).map(|len| {
            (0..len)
                .map(|i| (i as u8).wrapping_mul(151).wrapping_add(7))
                .collect()
        })
    }

    fn round_trip<const SIZE: usize>() {
        for samples in samples::<SIZE>() {
            let count = samples.len() / SIZE;
            for delta in [false, true] {
                let mut planes = vec![0u8; samples.len()];
                split(&samples, delta, cut::<SIZE>(&mut planes, count));
                let mut portable = vec![0u8; samples.len()];
                split_from(0, delta, &samples, cut::<SIZE>(&mut portable, count));
                assert_eq!(planes, portable, "{count} samples of {SIZE} bytes, split");
                let planes: [&[u8]; SIZE] = std::array::from_fn(|b| &planes[b * count..][..count]);
                let mut joined = vec![0u8; samples.len()];
                if delta {
                    join_summed(planes, &mut joined);
                    let mut portable = vec![0u8; samples.len()];
                    sum_from(0, planes, &mut portable);
                    assert_eq!(portable, samples, "{count} samples of {SIZE} bytes, summed");
                } else {
                    join(planes, &mut joined);
                }
                assert_eq!(joined, samples, "{count} samples of {SIZE} bytes, {delta}");
            }
        }
    }

    #[test]
    fn vector_and_portable_planes_agree_and_join_back_at_every_length() {
        round_trip::<2>();
        round_trip::<4>();
    }
}
