//! Conversions between `f32` and half bits exactly as DWA's reference
//! decoder makes them, written out so that no CPU feature or library
//! version changes a bit.

/// The half bits of `value`, rounded to nearest even. A NaN keeps its top
/// mantissa bits, or becomes the NaN 0x7c01 where those are all zero, as
/// OpenEXR's scalar conversion does.
#[inline]
pub fn f16_bits(value: f32) -> u16 {
    let (sign, mantissa, half) = round(value);
    let nan = sign | 0x7c00 | mantissa | u32::from(mantissa == 0);
    select_nan(value, half, nan)
}

/// The half bits of `value` as the F16C instruction `vcvtps2ph` rounds
/// to nearest even, which OpenEXR uses for blocks of 64 values on CPUs
/// that have it: the same as [`f16_bits`] except that a NaN always comes
/// out quiet.
#[inline]
pub fn f16_bits_quieting(value: f32) -> u16 {
    let (sign, mantissa, half) = round(value);
    select_nan(value, half, sign | 0x7e00 | mantissa)
}

#[inline(always)]
fn select_nan(value: f32, half: u32, nan: u32) -> u16 {
    let magnitude = value.to_bits() & 0x7fff_ffff;
    (if magnitude > 0x7f80_0000 { nan } else { half }) as u16
}

/// Rounds `value` to half bits for every value but NaNs; also returns the
/// sign bit and the top ten mantissa bits, in half position. Written
/// without branches on the value so that loops over blocks vectorise.
#[inline(always)]
fn round(value: f32) -> (u32, u32, u32) {
    let bits = value.to_bits();
    let sign = (bits >> 16) & 0x8000;
    let magnitude = bits & 0x7fff_ffff;
    // Below the smallest normal half: scaled to units of the smallest
    // subnormal, adding 2^23 rounds to an integer, to nearest even.
    let scaled = f32::from_bits(magnitude) * f32::from_bits(0x4b80_0000);
    let subnormal = (scaled + f32::from_bits(0x4b00_0000))
        .to_bits()
        .wrapping_sub(0x4b00_0000);
    // Normal: rebias the exponent, then round the 13 dropped bits.
    let rebased = magnitude.wrapping_sub(0x3800_0000);
    let normal = (rebased.wrapping_add(0x0fff + ((rebased >> 13) & 1))) >> 13;
    let half = if magnitude < 0x3880_0000 {
        subnormal
    } else if magnitude <= 0x477f_efff {
        normal
    } else {
        // Past the largest half, or infinite.
        0x7c00
    };
    (sign, (magnitude & 0x007f_ffff) >> 13, sign | half)
}

/// The `f32` a half's bits stand for, exactly (NaN payloads kept).
#[inline]
pub fn f32_from_f16(bits: u16) -> f32 {
    let sign = u32::from(bits & 0x8000) << 16;
    let magnitude = u32::from(bits & 0x7fff);
    // Normal: rebias the exponent from 15 to 127.
    if magnitude.wrapping_sub(0x0400) < 0x7800 {
        return f32::from_bits(sign | ((magnitude << 13) + 0x3800_0000));
    }
    f32::from_bits(sign | zero_subnormal_or_special(magnitude))
}

/// The `f32` bits of a half magnitude that is not normal. Subnormal or
/// zero: the mantissa counts units of 2^-24, which scale to a normal float
/// exactly. Infinity or NaN: all exponent bits, the mantissa kept.
#[cold]
fn zero_subnormal_or_special(magnitude: u32) -> u32 {
    if magnitude >= 0x7c00 {
        0x7f80_0000 | (magnitude & 0x03ff) << 13
    } else {
        (magnitude as f32 * f32::from_bits(0x3380_0000)).to_bits()
    }
}

/// [`f32_from_f16`] without branches, for loops over blocks that the
/// compiler vectorises.
#[inline(always)]
pub fn f32_from_f16_lanes(bits: u16) -> f32 {
    let sign = u32::from(bits & 0x8000) << 16;
    let magnitude = u32::from(bits & 0x7fff);
    let normal = (magnitude << 13) + 0x3800_0000;
    let subnormal = (magnitude as f32 * f32::from_bits(0x3380_0000)).to_bits();
    let special = 0x7f80_0000 | (magnitude & 0x03ff) << 13;
    let bits = if magnitude >= 0x7c00 {
        special
    } else if magnitude >= 0x0400 {
        normal
    } else {
        subnormal
    };
    f32::from_bits(sign | bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_half_round_trips_through_f32() {
        for bits in 0..=u16::MAX {
            let value = f32_from_f16(bits);
            assert_eq!(
                value.to_bits(),
                f32_from_f16_lanes(bits).to_bits(),
                "{bits:#x}"
            );
            if value.is_nan() {
                assert!(half::f16::from_bits(bits).is_nan());
                continue;
            }
            assert_eq!(value, half::f16::from_bits(bits).to_f32(), "{bits:#x}");
            assert_eq!(f16_bits(value), bits, "{bits:#x}");
            assert_eq!(f16_bits_quieting(value), bits, "{bits:#x}");
        }
    }

    #[test]
    fn rounding_matches_the_half_crate() {
        let mut x = 0x1234_5678u32;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let value = f32::from_bits(x);
            if value.is_nan() {
                continue;
            }
            let expected = half::f16::from_f32(value).to_bits();
            assert_eq!(f16_bits(value), expected, "{x:#x}");
        }
    }

    #[test]
    fn quieting_rounding_is_f16cs() {
        // Every exponent and sign with random mantissas, the edges of the
        // half range, infinities and NaNs with every payload shape.
        let mut values = Vec::new();
        let mut x = 0x2545_f491u32;
        for _ in 0..(1 << 18) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            values.push(f32::from_bits(x));
        }
        for exponent in 0..=255u32 {
            for mantissa in [
                0, 1, 0xfff, 0x1000, 0x1001, 0x2000, 0x3fff, 0x7f_e000, 0x7f_ffff,
            ] {
                for sign in [0, 0x8000_0000] {
                    values.push(f32::from_bits(sign | exponent << 23 | mantissa));
                }
            }
        }
        values.extend([
            65504.0, 65519.99, 65520.0, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8,
        ]);
        let mut compared = 0;
        for block in values.chunks_exact(64) {
            let block: &[f32; 64] = block.try_into().unwrap();
            let Some(hardware) = crate::cpu::f16c_quieting(block) else {
                eprintln!("skipping: this CPU has no F16C");
                return;
            };
            for (&v, &h) in block.iter().zip(&hardware) {
                assert_eq!(f16_bits_quieting(v), h, "{:#x}", v.to_bits());
            }
            compared += 64;
        }
        assert!(compared > 260_000);
    }

    #[test]
    fn nans_differ_only_in_the_quiet_bit() {
        let signalling = f32::from_bits(0x7f80_0001);
        assert_eq!(f16_bits(signalling), 0x7c01);
        assert_eq!(f16_bits_quieting(signalling), 0x7e00);
        let quiet = f32::from_bits(0xffc0_2000);
        assert_eq!(f16_bits(quiet), 0xfe01);
        assert_eq!(f16_bits_quieting(quiet), 0xfe01);
    }
}
