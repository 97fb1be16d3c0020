//! Decoding any flat part as interleaved RGBA float.

use super::Reader;
use crate::error::{Error, Result};
use crate::meta::header::Header;
use crate::meta::types::{Box2i, PixelType};
use crate::pixels::{FrameBuffer, RawSlice};

/// Bytes of one RGBA float pixel.
const PIXEL_BYTES: isize = 16;

/// Which channel feeds R, G, B and A, with the value used where it is
/// missing.
fn rgba_sources(header: &Header) -> [(&'static [u8], f64); 4] {
    let has = |name: &[u8]| header.channels().iter().any(|c| c.name.as_bytes() == name);
    let colour_missing = !(has(b"R") || has(b"G") || has(b"B"));
    if colour_missing && has(b"Y") {
        [(b"Y", 0.0), (b"Y", 0.0), (b"Y", 0.0), (b"A", 1.0)]
    } else {
        [(b"R", 0.0), (b"G", 0.0), (b"B", 0.0), (b"A", 1.0)]
    }
}

impl Reader {
    /// Decodes `window` of `part` (level 0) as interleaved RGBA float, four
    /// floats per pixel, rows of `window.width()` pixels one after another.
    /// Missing R, G and B are 0, missing A is 1, and a part with only
    /// luminance (Y) gives grey.
    pub fn decode_rgba(&self, part: usize, window: Box2i, rgba: &mut [f32]) -> Result<()> {
        let needed = window.area().saturating_mul(4);
        if (rgba.len() as u64) < needed {
            return Err(Error::BufferTooSmall(format!(
                "RGBA of {window:?} needs {needed} floats; the buffer holds {}",
                rgba.len()
            )));
        }
        let row_stride = isize::try_from(window.width())
            .ok()
            .and_then(|w| w.checked_mul(PIXEL_BYTES))
            .ok_or_else(|| Error::InvalidArgument(format!("window {window:?} is too wide")))?;
        // SAFETY: the exclusive borrow of `rgba` covers every pixel of the
        // window at this row stride, as just checked.
        unsafe { self.decode_rgba_raw(part, window, rgba.as_mut_ptr(), row_stride) }
    }

    /// As [`Reader::decode_rgba`], into rows `row_stride` bytes apart (which
    /// may be negative) starting at `rgba`.
    ///
    /// # Safety
    /// For every pixel (x, y) of `window`, the 16 bytes at
    /// `rgba + (y - window.min_y) * row_stride + (x - window.min_x) * 16` must
    /// be valid for writes and untouched by anything else during the call.
    pub unsafe fn decode_rgba_raw(
        &self,
        part: usize,
        window: Box2i,
        rgba: *mut f32,
        row_stride: isize,
    ) -> Result<()> {
        let header = self.flat_header(part)?;
        let mut fb = FrameBuffer::new(window)?;
        let base: *mut u8 = rgba.cast();
        for (i, (channel, fill)) in rgba_sources(header).into_iter().enumerate() {
            let slice = RawSlice {
                channel,
                pixel_type: PixelType::Float,
                base: base.wrapping_offset(i as isize * 4),
                x_stride: PIXEL_BYTES,
                y_stride: row_stride,
                x_sampling: 1,
                y_sampling: 1,
                fill,
            };
            // SAFETY: the caller guarantees every pixel's 16 bytes; each
            // slice takes its own 4 of them.
            unsafe { fb.add_raw(slice)? };
        }
        self.decode_image(part, 0, 0, &mut fb)
    }
}
