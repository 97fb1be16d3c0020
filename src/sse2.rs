//! SSE2 kernels for hot integer loops the compiler does not vectorise by
//! itself. Every x86-64 CPU has SSE2, so no detection is needed; each
//! kernel gives exactly the integers of the portable loop it replaces, and
//! a test holds it to that loop.

use std::arch::x86_64::{
    __m128i, _mm_add_epi16, _mm_add_epi32, _mm_and_si128, _mm_cvtsi128_si32, _mm_loadu_si128,
    _mm_or_si128, _mm_packs_epi32, _mm_packus_epi16, _mm_set1_epi16, _mm_setzero_si128,
    _mm_shuffle_epi32, _mm_shufflehi_epi16, _mm_slli_epi32, _mm_slli_si128, _mm_srai_epi32,
    _mm_srli_epi16, _mm_srli_si128, _mm_storeu_si128, _mm_sub_epi16, _mm_sub_epi32,
    _mm_unpackhi_epi16, _mm_unpackhi_epi8, _mm_unpacklo_epi16, _mm_unpacklo_epi8,
};

/// The first multiple of sixteen `SIZE`-byte samples of `samples` (or
/// their wrapping differences from the sample before, the first from 0,
/// when `delta`) split into `planes`, byte `b` of each into `planes[b]`;
/// `codec::byte_planes::split` finishes the rest with its portable loop.
/// Every plane holds at least as many bytes as there are samples. Returns
/// how many samples it split.
#[inline]
pub(crate) fn split<const SIZE: usize>(
    samples: &[u8],
    delta: bool,
    planes: [&mut [u8]; SIZE],
) -> usize {
    // SAFETY: SSE2 is part of every x86-64 CPU.
    unsafe { split_sse2(samples, delta, planes) }
}

/// [`split`], compiled with the SSE2 intrinsics available.
#[target_feature(enable = "sse2")]
fn split_sse2<const SIZE: usize>(
    samples: &[u8],
    delta: bool,
    mut planes: [&mut [u8]; SIZE],
) -> usize {
    // The samples before the group (the last of them in the top lane).
    let mut before = _mm_setzero_si128();
    let mut done = 0;
    let low_bytes = _mm_set1_epi16(0xff);
    for group in samples.chunks_exact(16 * SIZE) {
        let mut vectors = [_mm_setzero_si128(); SIZE];
        for (vector, bytes) in vectors.iter_mut().zip(group.chunks_exact(16)) {
            // SAFETY: `bytes` is 16 bytes long; unaligned loads are
            // allowed.
            *vector = unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) };
        }
        let bytes: [__m128i; 4] = match *vectors.as_slice() {
            [v0, v1] => {
                let (d0, d1) = if delta {
                    (differences16(v0, before), differences16(v1, v0))
                } else {
                    (v0, v1)
                };
                before = v1;
                let low =
                    _mm_packus_epi16(_mm_and_si128(d0, low_bytes), _mm_and_si128(d1, low_bytes));
                let high = _mm_packus_epi16(_mm_srli_epi16::<8>(d0), _mm_srli_epi16::<8>(d1));
                [low, high, low, high]
            }
            [v0, v1, v2, v3] => {
                let d = if delta {
                    [
                        differences32(v0, before),
                        differences32(v1, v0),
                        differences32(v2, v1),
                        differences32(v3, v2),
                    ]
                } else {
                    [v0, v1, v2, v3]
                };
                before = v3;
                // Each sample's low and high 16 bits, sign-extended so that
                // the saturating pack keeps them exactly.
                let low01 = _mm_packs_epi32(low_half(d[0]), low_half(d[1]));
                let low23 = _mm_packs_epi32(low_half(d[2]), low_half(d[3]));
                let high01 =
                    _mm_packs_epi32(_mm_srai_epi32::<16>(d[0]), _mm_srai_epi32::<16>(d[1]));
                let high23 =
                    _mm_packs_epi32(_mm_srai_epi32::<16>(d[2]), _mm_srai_epi32::<16>(d[3]));
                [
                    _mm_packus_epi16(
                        _mm_and_si128(low01, low_bytes),
                        _mm_and_si128(low23, low_bytes),
                    ),
                    _mm_packus_epi16(_mm_srli_epi16::<8>(low01), _mm_srli_epi16::<8>(low23)),
                    _mm_packus_epi16(
                        _mm_and_si128(high01, low_bytes),
                        _mm_and_si128(high23, low_bytes),
                    ),
                    _mm_packus_epi16(_mm_srli_epi16::<8>(high01), _mm_srli_epi16::<8>(high23)),
                ]
            }
            _ => return 0,
        };
        for (plane, vector) in planes.iter_mut().zip(bytes) {
            let Some(out) = plane.get_mut(done..done + 16) else {
                return done;
            };
            // SAFETY: `out` is 16 bytes long; unaligned stores are allowed.
            unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), vector) };
        }
        done += 16;
    }
    done
}

/// Each 16-bit lane of `v` less the lane before it, the first less the
/// top lane of `before`.
#[target_feature(enable = "sse2")]
fn differences16(v: __m128i, before: __m128i) -> __m128i {
    _mm_sub_epi16(
        v,
        _mm_or_si128(_mm_slli_si128::<2>(v), _mm_srli_si128::<14>(before)),
    )
}

/// Each 32-bit lane of `v` less the lane before it, the first less the
/// top lane of `before`.
#[target_feature(enable = "sse2")]
fn differences32(v: __m128i, before: __m128i) -> __m128i {
    _mm_sub_epi32(
        v,
        _mm_or_si128(_mm_slli_si128::<4>(v), _mm_srli_si128::<12>(before)),
    )
}

/// The low 16 bits of each 32-bit lane, sign-extended.
#[target_feature(enable = "sse2")]
fn low_half(v: __m128i) -> __m128i {
    _mm_srai_epi32::<16>(_mm_slli_epi32::<16>(v))
}

/// The first multiple of sixteen samples of `planes` (the bytes of
/// `SIZE`-byte differences, low byte first) joined into `samples` as their
/// wrapping running sums; `codec::byte_planes::join_summed` finishes the
/// rest with its portable loop. Returns how many samples it wrote and the
/// last sum (0 when none).
#[inline]
pub(crate) fn join_summed<const SIZE: usize>(
    planes: [&[u8]; SIZE],
    samples: &mut [u8],
) -> (usize, u32) {
    // SAFETY: SSE2 is part of every x86-64 CPU.
    unsafe { join_summed_sse2(planes, samples) }
}

/// [`join_summed`], compiled with the SSE2 intrinsics available.
#[target_feature(enable = "sse2")]
fn join_summed_sse2<const SIZE: usize>(planes: [&[u8]; SIZE], samples: &mut [u8]) -> (usize, u32) {
    // The running sum so far, in every lane (for 2-byte samples, in every
    // 16-bit lane).
    let mut total = _mm_setzero_si128();
    let mut done = 0;
    for group in samples.chunks_exact_mut(16 * SIZE) {
        let Some(bytes) = sixteen(&planes, done) else {
            break;
        };
        let mut outs = group.chunks_exact_mut(16);
        let mut store = |vector: __m128i| {
            if let Some(out) = outs.next() {
                // SAFETY: `out` is 16 bytes long; unaligned stores are
                // allowed.
                unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), vector) };
            }
        };
        // Each vector is summed on its own first; only adding the totals
        // before it waits on the vector before.
        match *bytes.as_slice() {
            [low, high] => {
                let first = halves(_mm_unpacklo_epi8(low, high));
                let second = halves(_mm_unpackhi_epi8(low, high));
                let (first_total, second_total) = (last_half(first), last_half(second));
                store(_mm_add_epi16(first, total));
                store(_mm_add_epi16(second, _mm_add_epi16(total, first_total)));
                total = _mm_add_epi16(total, _mm_add_epi16(first_total, second_total));
            }
            [b0, b1, b2, b3] => {
                let (low01, high01) = (_mm_unpacklo_epi8(b0, b1), _mm_unpackhi_epi8(b0, b1));
                let (low23, high23) = (_mm_unpacklo_epi8(b2, b3), _mm_unpackhi_epi8(b2, b3));
                let sums = [
                    words(_mm_unpacklo_epi16(low01, low23)),
                    words(_mm_unpackhi_epi16(low01, low23)),
                    words(_mm_unpacklo_epi16(high01, high23)),
                    words(_mm_unpackhi_epi16(high01, high23)),
                ];
                for sum in sums {
                    store(_mm_add_epi32(sum, total));
                    total = _mm_add_epi32(total, _mm_shuffle_epi32::<0xff>(sum));
                }
            }
            _ => return (0, 0),
        }
        done += 16;
    }
    let last = _mm_cvtsi128_si32(total) as u32;
    (done, if SIZE == 2 { last & 0xffff } else { last })
}

/// Sixteen bytes of each plane from sample `at`, or `None` past the end
/// of one.
#[target_feature(enable = "sse2")]
fn sixteen<const SIZE: usize>(planes: &[&[u8]; SIZE], at: usize) -> Option<[__m128i; SIZE]> {
    let mut vectors = [_mm_setzero_si128(); SIZE];
    for (vector, plane) in vectors.iter_mut().zip(planes) {
        let bytes = plane.get(at..)?.first_chunk::<16>()?;
        // SAFETY: `bytes` is 16 bytes long; unaligned loads are allowed.
        *vector = unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) };
    }
    Some(vectors)
}

/// The running sums of eight 16-bit differences.
#[target_feature(enable = "sse2")]
fn halves(mut v: __m128i) -> __m128i {
    v = _mm_add_epi16(v, _mm_slli_si128::<2>(v));
    v = _mm_add_epi16(v, _mm_slli_si128::<4>(v));
    _mm_add_epi16(v, _mm_slli_si128::<8>(v))
}

/// The last of eight 16-bit lanes, in every lane.
#[target_feature(enable = "sse2")]
fn last_half(v: __m128i) -> __m128i {
    _mm_shuffle_epi32::<0xff>(_mm_shufflehi_epi16::<0xff>(v))
}

/// The running sums of four 32-bit differences.
#[target_feature(enable = "sse2")]
fn words(mut v: __m128i) -> __m128i {
    v = _mm_add_epi32(v, _mm_slli_si128::<4>(v));
    _mm_add_epi32(v, _mm_slli_si128::<8>(v))
}
