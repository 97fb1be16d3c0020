//! Sample type conversion, as OpenEXR converts between file and frame buffer
//! types, plus the 8-bit type of QOI and previews.
//!
//! HALF and FLOAT convert exactly or round to nearest even (as OpenEXRCore
//! converts); UINT values beyond HALF's range become infinity; negative and NaN values become UINT 0,
//! values above UINT's range and +inf become its maximum. U8 holds
//! `round(clamp(v, 0, 1) * 255)` of floating-point values and `min(v, 255)` of
//! UINT values; it converts back as `v / 255` and `v` respectively.

use half::f16;
use half::slice::HalfFloatSliceExt;

use crate::meta::types::PixelType;

mod sealed {
    /// Keeps [`super::Sample`] to the four plain sample types, whose every
    /// bit pattern is a valid value.
    pub trait Sealed {}
    impl Sealed for u32 {}
    impl Sealed for half::f16 {}
    impl Sealed for f32 {}
    impl Sealed for u8 {}
}

/// A sample in one of the four types (implemented for `u32`, `f16`, `f32`
/// and `u8` only).
pub trait Sample: sealed::Sealed + Copy + Send + Sync + 'static {
    /// The type's code.
    const TYPE: PixelType;
    /// Reads a little-endian sample.
    fn read(bytes: &[u8]) -> Self;
    /// Writes the sample in native order to an unaligned address.
    ///
    /// # Safety
    /// `to` must be valid for writing `TYPE.size()` bytes.
    unsafe fn write(self, to: *mut u8);
    /// Converts from a UINT sample.
    fn from_uint(v: u32) -> Self;
    /// Converts from a HALF sample.
    fn from_half(v: f16) -> Self;
    /// Converts from a FLOAT sample.
    fn from_float(v: f32) -> Self;
    /// Converts from a U8 sample.
    fn from_u8(v: u8) -> Self;
    /// The sample tagged with its type.
    fn source(self) -> Source;
}

fn float_to_uint(f: f32) -> u32 {
    if f.is_sign_negative() || f.is_nan() {
        0
    } else if f >= u32::MAX as f32 {
        u32::MAX
    } else {
        f as u32
    }
}

/// Rounds to the nearest half, ties to even, as OpenEXRCore does: finite
/// values past the largest half become infinities, and NaNs keep the top of
/// their payload (at least one bit of it).
fn float_to_half(f: f32) -> f16 {
    if f.is_finite() {
        return f16::from_f32(f);
    }
    let bits = f.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let payload = ((bits & 0x007f_ffff) >> 13) as u16;
    let mantissa = if f.is_nan() { payload.max(1) } else { 0 };
    f16::from_bits(sign | 0x7c00 | mantissa)
}

fn float_to_u8(f: f32) -> u8 {
    if f.is_nan() {
        return 0;
    }
    (f.clamp(0.0, 1.0) * 255.0).round() as u8
}

fn u8_to_float(v: u8) -> f32 {
    f32::from(v) / 255.0
}

macro_rules! write_native {
    () => {
        unsafe fn write(self, to: *mut u8) {
            // SAFETY: the caller guarantees `to` is valid for this many bytes;
            // the write is unaligned.
            unsafe { to.cast::<Self>().write_unaligned(self) }
        }
    };
}

impl Sample for u32 {
    fn source(self) -> Source {
        Source::Uint(self)
    }
    const TYPE: PixelType = PixelType::Uint;
    fn read(bytes: &[u8]) -> Self {
        u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
    write_native!();
    fn from_uint(v: u32) -> Self {
        v
    }
    fn from_half(v: f16) -> Self {
        if v.is_infinite() && v.is_sign_positive() {
            u32::MAX
        } else {
            float_to_uint(v.to_f32())
        }
    }
    fn from_float(v: f32) -> Self {
        float_to_uint(v)
    }
    fn from_u8(v: u8) -> Self {
        u32::from(v)
    }
}

impl Sample for f16 {
    fn source(self) -> Source {
        Source::Half(self)
    }
    const TYPE: PixelType = PixelType::Half;
    fn read(bytes: &[u8]) -> Self {
        f16::from_bits(u16::from_le_bytes([bytes[0], bytes[1]]))
    }
    write_native!();
    fn from_uint(v: u32) -> Self {
        if v > 65504 {
            f16::INFINITY
        } else {
            f16::from_f32(v as f32)
        }
    }
    fn from_half(v: f16) -> Self {
        v
    }
    fn from_float(v: f32) -> Self {
        float_to_half(v)
    }
    fn from_u8(v: u8) -> Self {
        f16::from_f32(u8_to_float(v))
    }
}

impl Sample for f32 {
    fn source(self) -> Source {
        Source::Float(self)
    }
    const TYPE: PixelType = PixelType::Float;
    fn read(bytes: &[u8]) -> Self {
        f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
    write_native!();
    fn from_uint(v: u32) -> Self {
        v as f32
    }
    fn from_half(v: f16) -> Self {
        v.to_f32()
    }
    fn from_float(v: f32) -> Self {
        v
    }
    fn from_u8(v: u8) -> Self {
        u8_to_float(v)
    }
}

impl Sample for u8 {
    fn source(self) -> Source {
        Source::U8(self)
    }
    const TYPE: PixelType = PixelType::U8;
    fn read(bytes: &[u8]) -> Self {
        bytes[0]
    }
    write_native!();
    fn from_uint(v: u32) -> Self {
        v.min(255) as u8
    }
    fn from_half(v: f16) -> Self {
        float_to_u8(v.to_f32())
    }
    fn from_float(v: f32) -> Self {
        float_to_u8(v)
    }
    fn from_u8(v: u8) -> Self {
        v
    }
}

/// Converts `v`, read as `S`, to `D`.
pub(crate) fn convert<S: Sample, D: Sample>(v: S) -> D {
    match v.source() {
        Source::Uint(v) => D::from_uint(v),
        Source::Half(v) => D::from_half(v),
        Source::Float(v) => D::from_float(v),
        Source::U8(v) => D::from_u8(v),
    }
}

/// A sample of any type, for dispatching conversions.
#[derive(Clone, Copy)]
pub enum Source {
    /// A UINT sample.
    Uint(u32),
    /// A HALF sample.
    Half(f16),
    /// A FLOAT sample.
    Float(f32),
    /// A U8 sample.
    U8(u8),
}

/// Converts `count` little-endian samples of `S` from `from` into samples of
/// `D` at `to`, `to + stride`, ...
///
/// # Safety
/// `from` holds at least `count` samples; every destination address is
/// valid for writing a `D`.
unsafe fn convert_run<S: Sample, D: Sample>(from: &[u8], to: *mut u8, stride: isize, count: usize) {
    let size = S::TYPE.size();
    if S::TYPE == D::TYPE && stride == size as isize {
        // SAFETY: same type and contiguous: the caller guarantees both ranges.
        unsafe { std::ptr::copy_nonoverlapping(from.as_ptr(), to, count * size) };
        return;
    }
    let mut to = to;
    for bytes in from.chunks_exact(size).take(count) {
        let v: D = convert(S::read(bytes));
        // SAFETY: the caller guarantees `to` is valid for each sample.
        unsafe { v.write(to) };
        to = to.wrapping_offset(stride);
    }
}

/// Samples converted per batch by [`half_to_float_run`].
const BATCH: usize = 256;

/// HALF to FLOAT in batches, so the conversion itself runs on the CPU's
/// vector half-float instructions where it has them (about three times
/// faster than one sample at a time).
///
/// # Safety
/// As for [`convert_run`].
unsafe fn half_to_float_run(from: &[u8], to: *mut u8, stride: isize, count: usize) {
    let mut halves = [f16::ZERO; BATCH];
    let mut floats = [0f32; BATCH];
    let mut to = to;
    let from = from.get(..2 * count).unwrap_or(from);
    for batch in from.chunks(2 * BATCH) {
        let n = (batch.len() / 2).min(BATCH);
        for (h, b) in halves.iter_mut().zip(batch.chunks_exact(2)) {
            *h = f16::from_bits(u16::from_le_bytes([b[0], b[1]]));
        }
        halves[..n].convert_to_f32_slice(&mut floats[..n]);
        if stride == 4 {
            // SAFETY: `n` contiguous destination floats, per the caller.
            unsafe { std::ptr::copy_nonoverlapping(floats.as_ptr().cast(), to, 4 * n) };
            to = to.wrapping_add(4 * n);
        } else {
            for &v in &floats[..n] {
                // SAFETY: the caller guarantees `to` is valid for each sample.
                unsafe { v.write(to) };
                to = to.wrapping_offset(stride);
            }
        }
    }
}

/// Converts `count` samples of `from_type` from `from` into `to_type`
/// samples at `to`, `to + stride`, ...
///
/// # Safety
/// `from` holds at least `count` samples; every destination address is
/// valid for writing a sample of `to_type`.
pub unsafe fn convert_samples(
    from: &[u8],
    from_type: PixelType,
    to: *mut u8,
    to_type: PixelType,
    stride: isize,
    count: usize,
) {
    macro_rules! to {
        ($s:ty) => {
            // SAFETY: forwarded from the caller.
            unsafe {
                match to_type {
                    PixelType::Uint => convert_run::<$s, u32>(from, to, stride, count),
                    PixelType::Half => convert_run::<$s, f16>(from, to, stride, count),
                    PixelType::Float => convert_run::<$s, f32>(from, to, stride, count),
                    PixelType::U8 => convert_run::<$s, u8>(from, to, stride, count),
                }
            }
        };
    }
    match from_type {
        PixelType::Uint => to!(u32),
        PixelType::Half if to_type == PixelType::Float => {
            let count = count.min(from.len() / 2);
            // SAFETY: forwarded from the caller.
            unsafe { half_to_float_run(from, to, stride, count) }
        }
        PixelType::Half => to!(f16),
        PixelType::Float => to!(f32),
        PixelType::U8 => to!(u8),
    }
}

/// `value` as the bytes of a native sample of `to_type`, converted as a
/// FLOAT sample would be.
pub fn fill_bytes(value: f64, to_type: PixelType) -> [u8; 4] {
    let f = value as f32;
    let mut out = [0u8; 4];
    match to_type {
        PixelType::Uint => out.copy_from_slice(&u32::from_float(f).to_ne_bytes()),
        PixelType::Half => out[..2].copy_from_slice(&f16::from_float(f).to_bits().to_ne_bytes()),
        PixelType::Float => out.copy_from_slice(&f.to_ne_bytes()),
        PixelType::U8 => out[0] = u8::from_float(f),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one<S: Sample, D: Sample>(v: S) -> D {
        convert(v)
    }

    #[test]
    fn conversions_follow_openexr() {
        assert_eq!(one::<f32, u32>(-1.0), 0);
        assert_eq!(one::<f32, u32>(f32::NAN), 0);
        assert_eq!(one::<f32, u32>(f32::INFINITY), u32::MAX);
        assert_eq!(one::<f32, u32>(5e9), u32::MAX);
        assert_eq!(one::<f32, u32>(7.9), 7);
        assert_eq!(one::<f16, u32>(f16::INFINITY), u32::MAX);
        assert_eq!(one::<f16, u32>(f16::from_f32(-2.0)), 0);
        assert_eq!(one::<u32, f16>(65504), f16::MAX);
        assert_eq!(one::<u32, f16>(65505), f16::INFINITY);
        assert_eq!(one::<f32, f16>(65519.0), f16::MAX);
        assert_eq!(one::<f32, f16>(65520.0), f16::INFINITY);
        assert_eq!(
            one::<f32, f16>(f32::from_bits(0x7f80_0001)).to_bits(),
            0x7c01
        );
        assert_eq!(
            one::<f32, f16>(f32::from_bits(0xffc0_0000)).to_bits(),
            0xfe00
        );
        // 2^-25, halfway to the smallest subnormal, rounds to even (zero);
        // 2^-24 is that subnormal. Written as bits: `powi` may be off by
        // an ulp (Miri makes it so at random).
        assert_eq!(one::<f32, f16>(f32::from_bits(0x3300_0000)).to_bits(), 0);
        assert_eq!(one::<f32, f16>(f32::from_bits(0x3380_0000)).to_bits(), 1);
        assert_eq!(one::<f32, f16>(-1e9), f16::NEG_INFINITY);
        assert!(one::<f32, f16>(f32::NAN).is_nan());
        assert_eq!(one::<f32, f16>(0.1).to_bits(), 0x2e66);
        assert_eq!(one::<u32, f32>(16_777_217), 16_777_216.0);
    }

    #[test]
    fn u8_clamps_and_rounds() {
        assert_eq!(one::<f32, u8>(0.5), 128);
        assert_eq!(one::<f32, u8>(2.0), 255);
        assert_eq!(one::<f32, u8>(-1.0), 0);
        assert_eq!(one::<f32, u8>(f32::NAN), 0);
        assert_eq!(one::<u32, u8>(300), 255);
        assert_eq!(one::<u8, f32>(255), 1.0);
        assert_eq!(one::<u8, u32>(200), 200);
    }

    #[test]
    fn runs_convert_with_strides() {
        let from: Vec<u8> = [1.0f32, 2.0, 3.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut to = [0u16; 6];
        // SAFETY: three samples, every other u16 of `to`.
        unsafe {
            convert_samples(
                &from,
                PixelType::Float,
                to.as_mut_ptr().cast(),
                PixelType::Half,
                4,
                3,
            );
        }
        let expected = [1.0f32, 0.0, 2.0, 0.0, 3.0, 0.0].map(|v| f16::from_f32(v).to_bits());
        assert_eq!(to, expected);
    }

    #[test]
    fn half_runs_convert_exactly_in_batches() {
        // Every half; under Miri, which runs about a million times slower,
        // every 97th (still every batch length and alignment).
        let step = if cfg!(miri) { 97 } else { 1 };
        let all: Vec<u16> = (0..=u16::MAX).step_by(step).collect();
        let from: Vec<u8> = all.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut contiguous = vec![0f32; all.len() + 1];
        let mut strided = vec![0f32; 2 * all.len()];
        // SAFETY: all but the last float of `contiguous`, and every other
        // float of `strided`.
        unsafe {
            convert_samples(
                &from,
                PixelType::Half,
                contiguous.as_mut_ptr().cast(),
                PixelType::Float,
                4,
                all.len(),
            );
            convert_samples(
                &from,
                PixelType::Half,
                strided.as_mut_ptr().cast(),
                PixelType::Float,
                8,
                all.len(),
            );
        }
        for (i, &bits) in all.iter().enumerate() {
            let want = f16::from_bits(bits).to_f32().to_bits();
            assert_eq!(contiguous[i].to_bits(), want, "{bits:#06x}");
            assert_eq!(strided[2 * i].to_bits(), want, "{bits:#06x} strided");
        }
        assert_eq!(contiguous[all.len()], 0.0, "no write past the run");
        let mut three = [0f32; 4];
        // SAFETY: three floats of four.
        unsafe {
            convert_samples(
                &from[..20],
                PixelType::Half,
                three.as_mut_ptr().cast(),
                PixelType::Float,
                4,
                3,
            )
        };
        assert_eq!(three[3], 0.0, "a short run stops at its count");
    }

    #[test]
    fn fill_values_convert_like_floats() {
        assert_eq!(
            fill_bytes(1.0, PixelType::Half)[..2],
            0x3c00u16.to_ne_bytes()
        );
        assert_eq!(fill_bytes(1.0, PixelType::U8)[0], 255);
        assert_eq!(fill_bytes(-3.0, PixelType::Uint), [0; 4]);
    }
}
