//! Runs hot loops compiled for the vector instructions this CPU has.
//!
//! The code is the same portable Rust either way: enabling AVX2 lets the
//! compiler use eight-lane vectors where it would use four, and nothing
//! else. Rust never fuses a multiply and an add unless asked to, and vector
//! float operations round exactly as the scalar ones do, so the results are
//! bit for bit those of the portable build on every CPU; the DWA tests hold
//! both paths to the same bits.

use std::sync::OnceLock;

/// A piece of work to compile for the best vectors: its `run` must be
/// `#[inline(always)]`, and so must everything hot it calls, since a
/// function it calls without inlining runs its plain build.
pub(crate) trait Kernel {
    /// What the work gives.
    type Output;
    /// Does the work.
    fn run(self) -> Self::Output;
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

/// Runs `kernel`, compiled with AVX2 enabled when `vectors` is
/// [`Vectors::Best`] and the CPU has AVX2, plainly otherwise.
#[inline]
pub(crate) fn run<K: Kernel>(kernel: K, vectors: Vectors) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if vectors == Vectors::Best && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, the one feature `avx2_region` enables.
        return unsafe { avx2_region(kernel) };
    }
    kernel.run()
}

/// Runs `kernel` inside a function compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_region<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sums of products in an order that vectorises, in f32.
    struct Dot<'a>(&'a [f32], &'a [f32]);

    impl Kernel for Dot<'_> {
        type Output = Vec<f32>;

        #[inline(always)]
        fn run(self) -> Vec<f32> {
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
