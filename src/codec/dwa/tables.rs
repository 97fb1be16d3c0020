//! DWA's transfer curve between linear light and the perceptual values it
//! quantises: a 2.2 power up to 1 and a logarithm above, joined smoothly.
//!
//! Both directions are tables over every half value, computed once with
//! the `libm` crate's `powf` and `logf`: pure Rust, so every platform gets
//! the same bits, whatever its own maths library rounds to. They equal the
//! tables OpenEXR ships in its tests (checked by a checksum below).

use std::sync::OnceLock;

use super::half::{f16_bits, f32_from_f16};

/// Half values on each side of a table.
const VALUES: usize = 1 << 16;

/// Exponent and mantissa bits of an infinity or NaN half.
const NON_FINITE: u16 = 0x7c00;

/// e^2.2, the base of the curve above 1: OpenEXR's 9.02501329156 as a
/// float (0x41106674).
const E_POW_2_2: f32 = 9.025_013;

/// Perceptual half to linear half, for decoding.
pub fn to_linear() -> &'static [u16; VALUES] {
    static TABLE: OnceLock<Box<[u16; VALUES]>> = OnceLock::new();
    TABLE.get_or_init(|| table(linear_of))
}

/// Linear half to perceptual half, for encoding.
pub fn to_nonlinear() -> &'static [u16; VALUES] {
    static TABLE: OnceLock<Box<[u16; VALUES]>> = OnceLock::new();
    TABLE.get_or_init(|| table(nonlinear_of))
}

/// Tabulates `f` over the positive halves and mirrors the negative ones
/// (half rounding is symmetric, so `f(-x)` is `f(x)` with the sign set),
/// which halves the `libm` calls of a first decode or encode.
fn table(f: fn(u16) -> u16) -> Box<[u16; VALUES]> {
    const SIGN: u16 = 0x8000;
    let mut table = Box::new([0u16; VALUES]);
    let (positive, negative) = table.split_at_mut(VALUES / 2);
    for (bits, slot) in (0..SIGN).zip(positive.iter_mut()) {
        *slot = f(bits);
    }
    for (bits, (slot, &mirror)) in (SIGN..=u16::MAX).zip(negative.iter_mut().zip(&*positive)) {
        let special = bits == SIGN || bits & NON_FINITE == NON_FINITE;
        *slot = if special { 0 } else { mirror | SIGN };
    }
    table
}

/// Applies `curve` to a positive half; zero, infinities and NaNs map to
/// zero.
fn positive(bits: u16, curve: impl Fn(f32) -> f32) -> u16 {
    if bits == 0 || bits & NON_FINITE == NON_FINITE {
        return 0;
    }
    f16_bits(curve(f32_from_f16(bits)))
}

fn linear_of(bits: u16) -> u16 {
    positive(bits, |v| {
        if v <= 1.0 {
            libm::powf(v, 2.2)
        } else {
            libm::powf(E_POW_2_2, v - 1.0)
        }
    })
}

fn nonlinear_of(bits: u16) -> u16 {
    positive(bits, |v| {
        if v <= 1.0 {
            libm::powf(v, 1.0 / 2.2)
        } else {
            libm::logf(v) / 2.2 + 1.0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a over the table's little-endian bytes.
    fn checksum(table: &[u16; VALUES]) -> u64 {
        table
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .fold(0xcbf2_9ce4_8422_2325, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
    }

    /// The checksums of `dwaCompressorToLinear` and
    /// `dwaCompressorToNonlinear` in OpenEXR's `dwaLookups.h` (its test
    /// suite holds its runtime tables to those arrays).
    #[test]
    fn tables_equal_openexrs() {
        assert_eq!(checksum(to_linear()), 0x7419_6695_14ad_b281);
        assert_eq!(checksum(to_nonlinear()), 0x7b97_2534_fd46_baf1);
    }

    #[test]
    fn the_base_is_openexrs_float() {
        assert_eq!(E_POW_2_2.to_bits(), 0x4110_6674);
    }

    #[test]
    fn curve_keeps_sign_and_maps_specials_to_zero() {
        assert_eq!(to_linear()[0x3c00], 0x3c00);
        assert_eq!(to_linear()[0xbc00], 0xbc00);
        for special in [0x7c00, 0xfc00, 0x7e00, 0x8000] {
            assert_eq!(to_linear()[special], 0, "{special:#x}");
        }
    }
}
