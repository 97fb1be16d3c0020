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

    /// Rows `first` to `first + count - 1` of the window, each `row_bytes`
    /// bytes of samples, as runs of memory to read or write whole: one run
    /// where the rows follow each other, else one a row. Each item is a
    /// run's address and length; every byte of it is a sample of the frame
    /// buffer.
    pub fn runs(
        &self,
        first: usize,
        count: usize,
        row_bytes: usize,
    ) -> impl Iterator<Item = (*mut u8, usize)> + '_ {
        let rows_per_run = if self.y_stride == row_bytes {
            count.max(1)
        } else {
            1
        };
        (0..count)
            .step_by(rows_per_run)
            .map(move |row| (self.row_address(first + row), rows_per_run * row_bytes))
    }

    /// The address of the first sample of row `row` of the window, counted
    /// from its top.
    pub fn row_address(&self, row: usize) -> *mut u8 {
        self.base.wrapping_add(row * self.y_stride)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::framebuffer::RawSlice;

    const WIDTH: u32 = 5;

    fn window(min_x: i32, max_x: i32) -> Box2i {
        Box2i {
            min_x,
            min_y: -1,
            max_x,
            max_y: 2,
        }
    }

    /// A slice of `name` at byte `offset` of `memory`, U8 unless `pixel_type`.
    fn slice(
        name: &str,
        memory: &mut [u8],
        offset: usize,
        x_stride: isize,
        y_stride: isize,
        pixel_type: PixelType,
    ) -> RawSlice<'static> {
        let channel: &'static [u8] = match name {
            "R" => b"R",
            "G" => b"G",
            "B" => b"B",
            _ => b"A",
        };
        RawSlice {
            channel,
            pixel_type,
            base: memory.as_mut_ptr().wrapping_add(offset),
            x_stride,
            y_stride,
            x_sampling: 1,
            y_sampling: 1,
            fill: 0.0,
        }
    }

    /// A slice's channel, byte offset, x and y strides and type.
    type Spec<'n> = (&'n str, usize, isize, isize, PixelType);

    /// Whether slices of `specs` over `window` are seen as rows.
    fn rows_of(window: Box2i, slices: &[Spec<'_>]) -> bool {
        let mut memory = vec![0u8; 4096];
        let mut fb = FrameBuffer::new(window).unwrap();
        for &(name, offset, x, y, pixel_type) in slices {
            let raw = slice(name, &mut memory, 1024 + offset, x, y, pixel_type);
            // SAFETY: every sample the slices address lies in `memory`,
            // which outlives the frame buffer: at most 1024 bytes either
            // side of its middle.
            unsafe { fb.add_raw(raw) }.unwrap();
        }
        RgbaRows::of(&fb, WIDTH).is_some()
    }

    const U8: PixelType = PixelType::U8;

    #[test]
    fn interleaved_rgb_and_rgba_rows_over_the_image_width_are_rows() {
        let w = window(0, WIDTH as i32 - 1);
        let rgb = [
            ("R", 0, 3, 15, U8),
            ("G", 1, 3, 15, U8),
            ("B", 2, 3, 15, U8),
        ];
        assert!(rows_of(w, &rgb));
        let padded = [
            ("R", 0, 3, 20, U8),
            ("G", 1, 3, 20, U8),
            ("B", 2, 3, 20, U8),
        ];
        assert!(rows_of(w, &padded));
        let f = PixelType::Float;
        let rgba = [
            ("R", 0, 16, 80, f),
            ("G", 4, 16, 80, f),
            ("B", 8, 16, 80, f),
            ("A", 12, 16, 80, f),
        ];
        assert!(rows_of(w, &rgba));
    }

    #[test]
    fn anything_else_is_not() {
        let w = window(0, WIDTH as i32 - 1);
        let cases: [&[Spec<'_>]; 9] = [
            // B, G, R order.
            &[
                ("B", 0, 3, 15, U8),
                ("G", 1, 3, 15, U8),
                ("R", 2, 3, 15, U8),
            ],
            // Three slices four bytes apart (RGBX).
            &[
                ("R", 0, 4, 20, U8),
                ("G", 1, 4, 20, U8),
                ("B", 2, 4, 20, U8),
            ],
            // Mixed types.
            &[
                ("R", 0, 3, 15, U8),
                ("G", 1, 3, 15, U8),
                ("B", 2, 3, 15, PixelType::Half),
            ],
            // Rows upward.
            &[
                ("R", 0, 3, -15, U8),
                ("G", 1, 3, -15, U8),
                ("B", 2, 3, -15, U8),
            ],
            // Rows closer than a row's samples.
            &[
                ("R", 0, 3, 14, U8),
                ("G", 1, 3, 14, U8),
                ("B", 2, 3, 14, U8),
            ],
            // Different row strides.
            &[
                ("R", 0, 3, 15, U8),
                ("G", 1, 3, 15, U8),
                ("B", 2, 3, 16, U8),
            ],
            // G not beside R.
            &[
                ("R", 0, 3, 15, U8),
                ("G", 2, 3, 15, U8),
                ("B", 1, 3, 15, U8),
            ],
            // A channel twice.
            &[
                ("R", 0, 3, 15, U8),
                ("R", 1, 3, 15, U8),
                ("B", 2, 3, 15, U8),
            ],
            // Two slices.
            &[("R", 0, 2, 10, U8), ("G", 1, 2, 10, U8)],
        ];
        for (i, slices) in cases.iter().enumerate() {
            assert!(!rows_of(w, slices), "case {i}");
        }
        let rgb = [
            ("R", 0, 3, 15, U8),
            ("G", 1, 3, 15, U8),
            ("B", 2, 3, 15, U8),
        ];
        // Windows other than the image's columns.
        assert!(!rows_of(window(1, WIDTH as i32 - 1), &rgb));
        assert!(!rows_of(window(0, WIDTH as i32 - 2), &rgb));
        let six = [
            ("R", 0, 3, 18, U8),
            ("G", 1, 3, 18, U8),
            ("B", 2, 3, 18, U8),
        ];
        assert!(!rows_of(window(-1, WIDTH as i32 - 1), &six));
    }
}
