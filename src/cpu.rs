//! Runs hot loops compiled for the vector instructions this CPU has.
//!
//! The code is the same portable Rust either way: enabling AVX2 lets the
//! compiler use eight-lane vectors where it would use four, and nothing
//! else. Rust never fuses a multiply and an add unless asked to, and vector
//! float operations round exactly as the scalar ones do, so the results are
//! bit for bit those of the portable build on every CPU; the DWA tests hold
//! both paths to the same bits. The one conversion the compiler cannot
//! find by itself, F16C's float-to-half rounding, is offered through
//! [`HalfInstructions`], and its portable twin is tested against it.

use std::sync::OnceLock;

/// A piece of work to compile for the best vectors: its `run` must be
/// `#[inline(always)]`, and so must everything hot it calls, since a
/// function it calls without inlining runs its plain build.
pub(crate) trait Kernel {
    /// What the work gives.
    type Output;
    /// Does the work, converting to halves with `H` where it can.
    fn run<H: HalfInstructions>(self) -> Self::Output;
}

/// Conversions the CPU may have instructions for.
pub(crate) trait HalfInstructions {
    /// The half bits of each value, rounded to nearest even with NaNs made
    /// quiet (F16C's `vcvtps2ph`), or `None` where the build has no such
    /// instruction and the caller converts portably.
    /// `N` is a multiple of 8.
    fn f32_to_f16_quieting<const N: usize>(values: &[f32; N]) -> Option<[u16; N]>;

    /// Bit `i` set where `|value - halves[i]|` (the half exactly as an
    /// `f32`, the difference rounded to `f32`) is below `tolerance`, for
    /// finite halves; or `None` where the build has no half conversion
    /// instruction and the caller measures portably.
    fn within(value: f32, tolerance: f32, halves: &[u16; 16]) -> Option<u32>;
}

/// The portable build: no conversion instructions.
enum Portable {}

impl HalfInstructions for Portable {
    #[inline(always)]
    fn f32_to_f16_quieting<const N: usize>(_: &[f32; N]) -> Option<[u16; N]> {
        None
    }

    #[inline(always)]
    fn within(_: f32, _: f32, _: &[u16; 16]) -> Option<u32> {
        None
    }
}

/// F16C's conversions, used only inside [`avx2_region`], which is entered
/// after the CPU is found to have F16C.
#[cfg(target_arch = "x86_64")]
enum F16c {}

#[cfg(target_arch = "x86_64")]
impl HalfInstructions for F16c {
    #[inline(always)]
    fn f32_to_f16_quieting<const N: usize>(values: &[f32; N]) -> Option<[u16; N]> {
        use std::arch::x86_64::{
            _mm256_cvtps_ph, _mm256_loadu_ps, _mm_storeu_si128, _MM_FROUND_TO_NEAREST_INT,
        };
        let mut halves = [0u16; N];
        for (eight, out) in values.chunks_exact(8).zip(halves.chunks_exact_mut(8)) {
            // SAFETY: this type is only used by `avx2_region`, which runs
            // on CPUs with AVX and F16C; the load reads the eight floats of
            // `eight` and the store writes the eight halves of `out`
            // (unaligned accesses, as the intrinsics allow).
            unsafe {
                let packed =
                    _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(_mm256_loadu_ps(eight.as_ptr()));
                _mm_storeu_si128(out.as_mut_ptr().cast(), packed);
            }
        }
        Some(halves)
    }

    #[inline(always)]
    fn within(value: f32, tolerance: f32, halves: &[u16; 16]) -> Option<u32> {
        use std::arch::x86_64::{
            _mm256_andnot_ps, _mm256_cmp_ps, _mm256_cvtph_ps, _mm256_movemask_ps, _mm256_set1_ps,
            _mm256_sub_ps, _mm_loadu_si128, _CMP_LT_OQ,
        };
        let mut mask = 0u32;
        for (i, eight) in halves.chunks_exact(8).enumerate() {
            // SAFETY: as in `f32_to_f16_quieting`, F16C and AVX are there;
            // the load reads the eight halves of `eight`. The conversion of
            // a finite half is exact, and the subtraction, the sign
            // cleared and the ordered comparison give what the scalar ones
            // give.
            let lanes = unsafe {
                let values = _mm256_cvtph_ps(_mm_loadu_si128(eight.as_ptr().cast()));
                let difference = _mm256_sub_ps(_mm256_set1_ps(value), values);
                let distance = _mm256_andnot_ps(_mm256_set1_ps(-0.0), difference);
                _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(
                    distance,
                    _mm256_set1_ps(tolerance),
                ))
            };
            mask |= (lanes as u32) << (8 * i);
        }
        Some(mask)
    }
}

/// Which code [`run`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vectors {
    /// The plain build, as on a CPU without wider vectors.
    Portable,
    /// The widest this CPU has.
    Best,
}

impl Default for Vectors {
    /// [`Vectors::Best`], or [`Vectors::Portable`] when the environment
    /// variable `EXRKIT_PORTABLE` is `1` when first asked (to check that
    /// a machine's results do not depend on its vector instructions).
    fn default() -> Self {
        static CHOICE: OnceLock<Vectors> = OnceLock::new();
        *CHOICE.get_or_init(|| {
            if std::env::var_os("EXRKIT_PORTABLE").is_some_and(|v| v == "1") {
                Vectors::Portable
            } else {
                Vectors::Best
            }
        })
    }
}

/// Runs `kernel`, compiled with AVX2 and F16C enabled when `vectors` is
/// [`Vectors::Best`] and the CPU has both, plainly otherwise.
#[inline]
pub(crate) fn run<K: Kernel>(kernel: K, vectors: Vectors) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if vectors == Vectors::Best && has_avx2_and_f16c() {
        // SAFETY: the CPU has AVX2 and F16C, the features `avx2_region`
        // enables.
        return unsafe { avx2_region(kernel) };
    }
    kernel.run::<Portable>()
}

#[cfg(target_arch = "x86_64")]
fn has_avx2_and_f16c() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("f16c")
}

/// Runs `kernel` inside a function compiled for AVX2 and F16C.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c")]
fn avx2_region<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<F16c>()
}

/// F16C's conversion of `values`, for tests that hold the portable one to
/// it; `None` on CPUs without F16C.
#[cfg(test)]
pub(crate) fn f16c_quieting(values: &[f32; 64]) -> Option<[u16; 64]> {
    /// Converts inside a region with F16C enabled.
    #[cfg(target_arch = "x86_64")]
    struct Convert<'a>(&'a [f32; 64]);

    #[cfg(target_arch = "x86_64")]
    impl Kernel for Convert<'_> {
        type Output = Option<[u16; 64]>;

        #[inline(always)]
        fn run<H: HalfInstructions>(self) -> Self::Output {
            H::f32_to_f16_quieting(self.0)
        }
    }

    #[cfg(target_arch = "x86_64")]
    if has_avx2_and_f16c() {
        return run(Convert(values), Vectors::Best);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sums of products in an order that vectorises, in f32.
    struct Dot<'a>(&'a [f32], &'a [f32]);

    impl Kernel for Dot<'_> {
        type Output = Vec<f32>;

        #[inline(always)]
        fn run<H: HalfInstructions>(self) -> Vec<f32> {
            self.0
                .chunks_exact(8)
                .zip(self.1.chunks_exact(8))
                .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y + 0.1).sum())
                .collect()
        }
    }

    #[test]
    fn both_builds_give_the_same_bits() {
        let a: Vec<f32> = (0..256).map(|i| (i as f32 * 0.37).sin() * 1e3).collect();
        let b: Vec<f32> = (0..256).map(|i| (i as f32 * 0.11).cos() / 7.0).collect();
        let portable = run(Dot(&a, &b), Vectors::Portable);
        let best = run(Dot(&a, &b), Vectors::Best);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&portable), bits(&best));
        assert_eq!(portable.len(), 32);
    }
}
