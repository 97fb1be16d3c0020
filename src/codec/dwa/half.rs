//! Conversions between `f32` and half bits exactly as DWA's reference
//! decoder makes them, written out so that no CPU feature or library
//! version changes a bit.

/// The half bits of `value`, rounded to nearest even. A NaN keeps its top
/// mantissa bits, or becomes the NaN 0x7c01 where those are all zero, as
/// OpenEXR's scalar conversion does.
pub fn f16_bits(value: f32) -> u16 {
    convert(value, |sign, mantissa| {
        sign | 0x7c00 | mantissa | u16::from(mantissa == 0)
    })
}

/// The half bits of `value` as the F16C instruction `vcvtps2ph` rounds
/// to nearest even, which OpenEXR uses for blocks of 64 values on CPUs
/// that have it: the same as [`f16_bits`] except that a NaN always comes
/// out quiet.
pub fn f16_bits_quieting(value: f32) -> u16 {
    convert(value, |sign, mantissa| sign | 0x7e00 | mantissa)
}

fn convert(value: f32, nan: impl Fn(u16, u16) -> u16) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let magnitude = bits & 0x7fff_ffff;
    if magnitude >= 0x7f80_0000 {
        if magnitude == 0x7f80_0000 {
            return sign | 0x7c00;
        }
        return nan(sign, ((magnitude & 0x007f_ffff) >> 13) as u16);
    }
    if magnitude >= 0x3880_0000 {
        // Normal half, or overflow to infinity past the largest half.
        if magnitude > 0x477f_efff {
            return sign | 0x7c00;
        }
        let rebased = magnitude - 0x3800_0000;
        let rounded = (rebased + 0x0fff + ((rebased >> 13) & 1)) >> 13;
        return sign | rounded as u16;
    }
    if magnitude < 0x3300_0001 {
        // Rounds to zero.
        return sign;
    }
    // Subnormal half.
    let shift = 0x7e - (magnitude >> 23);
    let mantissa = 0x0080_0000 | (magnitude & 0x007f_ffff);
    let mut half = sign | (mantissa >> shift) as u16;
    let rest = mantissa << (32 - shift);
    if rest > 0x8000_0000 || (rest == 0x8000_0000 && half & 1 != 0) {
        half += 1;
    }
    half
}

/// The `f32` a half's bits stand for, exactly.
pub fn f32_from_f16(bits: u16) -> f32 {
    let sign = u32::from(bits & 0x8000) << 16;
    let exponent = u32::from(bits >> 10) & 0x1f;
    let mantissa = u32::from(bits & 0x03ff);
    let magnitude = match exponent {
        0 if mantissa == 0 => 0,
        0 => {
            // Subnormal: normalise the mantissa.
            let shift = mantissa.leading_zeros() - 21;
            ((113 - shift) << 23) | ((mantissa << shift) & 0x03ff) << 13
        }
        0x1f => 0x7f80_0000 | mantissa << 13,
        _ => ((exponent + 112) << 23) | mantissa << 13,
    };
    f32::from_bits(sign | magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_half_round_trips_through_f32() {
        for bits in 0..=u16::MAX {
            let value = f32_from_f16(bits);
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
    fn nans_differ_only_in_the_quiet_bit() {
        let signalling = f32::from_bits(0x7f80_0001);
        assert_eq!(f16_bits(signalling), 0x7c01);
        assert_eq!(f16_bits_quieting(signalling), 0x7e00);
        let quiet = f32::from_bits(0xffc0_2000);
        assert_eq!(f16_bits(quiet), 0xfe01);
        assert_eq!(f16_bits_quieting(quiet), 0xfe01);
    }
}
