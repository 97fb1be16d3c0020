//! Frame buffers of whole rows of interleaved R, G, B (and A) samples: how
//! most callers hand over 8-bit images. QOI reads and writes them row by
//! row without the general scatter and gather.

use crate::meta::types::{Box2i, PixelType};
use crate::pixels::framebuffer::FrameBuffer;

/// A frame buffer whose window spans columns 0 to `width - 1` and whose
/// slices are R, G, B (and A) of one type, unsampled, interleaved in that
/// order, row after row `y_stride` bytes apart.
pub(crate) struct RgbaRows {
    /// The samples' type.
    pub pixel_type: PixelType,
    /// Address of the first sample of the window's first row.
    pub base: *mut u8,
    /// Bytes from one row to the next, at least a row's samples.
    pub y_stride: usize,
    /// The frame buffer's window.
    pub window: Box2i,
    /// Samples per pixel: 3 or 4.
    pub samples: usize,
}

/// Channel names in the order the slices must name them.
const NAMES: [&[u8]; 4] = [b"R", b"G", b"B", b"A"];

impl RgbaRows {
    /// `fb` seen as rows of an image `width` pixels wide, if it is such.
    pub fn of(fb: &FrameBuffer<'_>, width: u32) -> Option<Self> {
        let window = fb.window();
        let slices = &fb.slices;
        let first = slices.first()?;
        let size = first.pixel_type.size();
        let samples = slices.len();
        let full_width = window.min_x == 0 && i64::from(window.max_x) + 1 == i64::from(width);
        if !full_width || !(3..=4).contains(&samples) || first.y_stride <= 0 {
            return None;
        }
        let pixel_stride = isize::try_from(samples * size).ok()?;
        let interleaved = slices.iter().zip(NAMES).enumerate().all(|(i, (s, name))| {
            s.channel == name
                && s.pixel_type == first.pixel_type
                && (s.x_sampling, s.y_sampling) == (1, 1)
                && s.x_stride == pixel_stride
                && s.y_stride == first.y_stride
                && s.base as usize == first.base as usize + i * size
        });
        let row_bytes = (width as usize).checked_mul(samples * size)?;
        let y_stride = first.y_stride.unsigned_abs();
        (interleaved && y_stride >= row_bytes).then_some(Self {
            pixel_type: first.pixel_type,
            base: first.base,
            y_stride,
            window,
            samples,
        })
    }

    /// The address of the first sample of row `row` of the window, counted
    /// from its top.
    pub fn row_address(&self, row: usize) -> *mut u8 {
        self.base.wrapping_add(row * self.y_stride)
    }
}
