//! Frame buffers: where decoded samples go, described as OpenEXR describes
//! them (a base address and byte strides per channel), with safe
//! constructors for Rust callers and a raw one for the C boundary.

use std::marker::PhantomData;

use super::convert::Sample;
use crate::error::{try_resize, Error, Result};
use crate::meta::sampling::{first_sample_index, is_sampled, sampled_count};
use crate::meta::types::{Box2i, PixelType};

/// A raw description of one slice, as a C caller gives it.
#[derive(Debug, Clone, Copy)]
pub struct RawSlice<'n> {
    /// The channel's name as the file spells it.
    pub channel: &'n [u8],
    /// The type to store samples as.
    pub pixel_type: PixelType,
    /// Address of the sample of the window's first pixel.
    pub base: *mut u8,
    /// Bytes from one sample to the next in a row (may be negative).
    pub x_stride: isize,
    /// Bytes from one row to the next (may be negative).
    pub y_stride: isize,
    /// 1 for one sample per pixel; the channel's own sampling for compact
    /// storage of a subsampled channel.
    pub x_sampling: i32,
    /// As `x_sampling`, vertically.
    pub y_sampling: i32,
    /// The value stored where the file has no samples for the slice.
    pub fill: f64,
}

/// Whether the strides keep every sample of a `columns` x `rows` slice
/// apart: rows laid one after another (or columns), none overlapping the
/// next. Parallel decodes write different samples at once, so overlapping
/// ones would race.
fn samples_apart(raw: &RawSlice<'_>, columns: u64, rows: u64) -> bool {
    let size = raw.pixel_type.size() as i128;
    let (x, y) = (
        i128::from(raw.x_stride as i64).abs(),
        i128::from(raw.y_stride as i64).abs(),
    );
    let (columns, rows) = (i128::from(columns), i128::from(rows));
    let row_major = (columns == 1 || x >= size) && (rows == 1 || y >= x * (columns - 1) + size);
    let column_major = (rows == 1 || y >= size) && (columns == 1 || x >= y * (rows - 1) + size);
    row_major || column_major
}

/// One checked slice of a [`FrameBuffer`].
#[derive(Debug, Clone)]
pub(crate) struct Slice {
    pub channel: Vec<u8>,
    pub pixel_type: PixelType,
    pub base: *mut u8,
    pub x_stride: isize,
    pub y_stride: isize,
    pub x_sampling: i32,
    pub y_sampling: i32,
    pub fill: f64,
    /// Index of the window's first sampled column and row.
    pub first_column: i64,
    pub first_row: i64,
    /// Samples per row and rows the slice holds.
    pub columns: u64,
    pub rows: u64,
}

impl Slice {
    /// The address of sample `column`, `row` of the slice (both in range).
    pub fn at(&self, column: u64, row: u64) -> *mut u8 {
        // The product fits: `FrameBuffer::insert` checked the extreme
        // corners against isize.
        let offset = column as isize * self.x_stride + row as isize * self.y_stride;
        self.base.wrapping_offset(offset)
    }
}

/// Where a decode stores each channel: a window of pixels plus one slice
/// per requested channel.
#[derive(Debug)]
pub struct FrameBuffer<'a> {
    window: Box2i,
    pub(crate) slices: Vec<Slice>,
    memory: PhantomData<&'a mut [u8]>,
}

// SAFETY: a frame buffer only carries addresses. Safe constructors tie them
// to exclusive borrows; decoding writes through them only while holding
// `&mut FrameBuffer`, and the workers of one decode write disjoint pixels.
unsafe impl Send for FrameBuffer<'_> {}
// SAFETY: as above; shared references never write except inside a decode
// that owns the exclusive borrow.
unsafe impl Sync for FrameBuffer<'_> {}

impl<'a> FrameBuffer<'a> {
    /// An empty frame buffer for the pixels of `window` (inclusive, in the
    /// file's coordinates).
    pub fn new(window: Box2i) -> Result<Self> {
        if window.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "frame buffer window {window:?} is empty"
            )));
        }
        Ok(Self {
            window,
            slices: Vec::new(),
            memory: PhantomData,
        })
    }

    /// The pixels the frame buffer covers.
    pub fn window(&self) -> Box2i {
        self.window
    }

    /// Adds `channel`, stored row-major, one sample per pixel of the window,
    /// converted to `T`; pixels the file lacks get `fill`.
    pub fn add<T: Sample>(&mut self, channel: &str, samples: &'a mut [T], fill: f64) -> Result<()> {
        self.add_sampled(channel, samples, 1, 1, fill)
    }

    /// Adds a subsampled `channel` compactly: one sample per `x_sampling` x
    /// `y_sampling` pixels, row-major over the samples inside the window.
    pub fn add_sampled<T: Sample>(
        &mut self,
        channel: &str,
        samples: &'a mut [T],
        x_sampling: i32,
        y_sampling: i32,
        fill: f64,
    ) -> Result<()> {
        let len = std::mem::size_of_val(samples);
        // SAFETY: `Sample` is sealed to plain types whose every bit pattern
        // is valid, and the exclusive borrow of `samples` covers the bytes
        // handed on.
        let bytes = unsafe { std::slice::from_raw_parts_mut(samples.as_mut_ptr().cast(), len) };
        self.add_bytes(
            channel.as_bytes(),
            T::TYPE,
            bytes,
            x_sampling,
            y_sampling,
            fill,
        )
    }

    /// Adds `channel` as samples of `pixel_type` in native byte order, one
    /// per `x_sampling` x `y_sampling` pixels (1, 1 for every pixel),
    /// row-major over the samples inside the window: for reading channels
    /// at types known only at run time, such as each channel's own.
    pub fn add_bytes(
        &mut self,
        channel: &[u8],
        pixel_type: PixelType,
        samples: &'a mut [u8],
        x_sampling: i32,
        y_sampling: i32,
        fill: f64,
    ) -> Result<()> {
        let columns = sampled_count(self.window.min_x, self.window.max_x, x_sampling.max(1));
        let rows = sampled_count(self.window.min_y, self.window.max_y, y_sampling.max(1));
        let size = pixel_type.size();
        let needed = columns.saturating_mul(rows).saturating_mul(size as u64);
        if (samples.len() as u64) < needed {
            return Err(Error::BufferTooSmall(format!(
                "channel '{}' needs {needed} bytes; the buffer holds {}",
                String::from_utf8_lossy(channel),
                samples.len()
            )));
        }
        let size = size as isize;
        let raw = RawSlice {
            channel,
            pixel_type,
            base: samples.as_mut_ptr(),
            x_stride: size,
            y_stride: size.saturating_mul(columns as isize),
            x_sampling,
            y_sampling,
            fill,
        };
        // SAFETY: the exclusive borrow of `samples` covers every sample the
        // slice addresses, as just checked.
        unsafe { self.add_raw(raw) }
    }

    /// A frame buffer of interleaved samples: pixel by pixel, row-major, each
    /// pixel the listed channels in order, with their fill values.
    pub fn interleaved<T: Sample>(
        window: Box2i,
        channels: &[(&str, f64)],
        samples: &'a mut [T],
    ) -> Result<Self> {
        let mut fb = Self::new(window)?;
        let per_pixel = channels.len() as u64;
        let needed = window.area().saturating_mul(per_pixel);
        if (samples.len() as u64) < needed {
            return Err(Error::BufferTooSmall(format!(
                "{} channels over {window:?} need {needed} samples; the buffer holds {}",
                channels.len(),
                samples.len()
            )));
        }
        let size = T::TYPE.size() as isize;
        let x_stride = size * per_pixel as isize;
        let base: *mut u8 = samples.as_mut_ptr().cast();
        for (i, &(name, fill)) in channels.iter().enumerate() {
            let raw = RawSlice {
                channel: name.as_bytes(),
                pixel_type: T::TYPE,
                base: base.wrapping_offset(i as isize * size),
                x_stride,
                y_stride: x_stride.saturating_mul(window.width() as isize),
                x_sampling: 1,
                y_sampling: 1,
                fill,
            };
            // SAFETY: every channel's samples lie inside `samples`, which
            // is borrowed exclusively, and no two channels share bytes.
            unsafe { fb.add_raw(raw)? };
        }
        Ok(fb)
    }

    /// Adds a slice described by raw addresses.
    ///
    /// Strides must keep the slice's samples apart (rows or columns one
    /// after another, none overlapping); others are refused.
    ///
    /// # Safety
    /// For as long as the frame buffer lives, every sample the slice
    /// addresses (each pixel of the window, or each sampled one for a
    /// subsampled slice, at `base + column * x_stride + row * y_stride`)
    /// must be valid for writes of its type, untouched by anything else
    /// while a decode runs, and shared with no other slice.
    pub unsafe fn add_raw(&mut self, raw: RawSlice<'_>) -> Result<()> {
        let name = String::from_utf8_lossy(raw.channel);
        if raw.x_sampling < 1 || raw.y_sampling < 1 {
            return Err(Error::InvalidArgument(format!(
                "slice '{name}': sampling {}x{} must be positive",
                raw.x_sampling, raw.y_sampling
            )));
        }
        if raw.base.is_null() {
            return Err(Error::InvalidArgument(format!(
                "slice '{name}' has no memory"
            )));
        }
        let w = self.window;
        let columns = sampled_count(w.min_x, w.max_x, raw.x_sampling);
        let rows = sampled_count(w.min_y, w.max_y, raw.y_sampling);
        let reach = |stride: isize, n: u64| -> Option<isize> {
            stride
                .checked_abs()?
                .checked_mul(isize::try_from(n.saturating_sub(1)).ok()?)
        };
        let fits = reach(raw.x_stride, columns)
            .zip(reach(raw.y_stride, rows))
            .and_then(|(a, b)| a.checked_add(b))
            .and_then(|r| r.checked_add(raw.pixel_type.size() as isize));
        if columns == 0 || rows == 0 || fits.is_none() {
            return Err(Error::InvalidArgument(format!(
                "slice '{name}': strides {}, {} cannot address {columns}x{rows} samples",
                raw.x_stride, raw.y_stride
            )));
        }
        if !samples_apart(&raw, columns, rows) {
            return Err(Error::InvalidArgument(format!(
                "slice '{name}': strides {}, {} make {columns}x{rows} samples of {} bytes overlap",
                raw.x_stride,
                raw.y_stride,
                raw.pixel_type.size()
            )));
        }
        self.slices.push(Slice {
            channel: raw.channel.to_vec(),
            pixel_type: raw.pixel_type,
            base: raw.base,
            x_stride: raw.x_stride,
            y_stride: raw.y_stride,
            x_sampling: raw.x_sampling,
            y_sampling: raw.y_sampling,
            fill: raw.fill,
            first_column: first_sample_index(w.min_x, raw.x_sampling),
            first_row: first_sample_index(w.min_y, raw.y_sampling),
            columns,
            rows,
        });
        Ok(())
    }
}

/// One row of a frame buffer, for one worker alone to write (see
/// [`FrameBuffer::for_each_row`]). Each sample of a slice belongs to the
/// pixel it is taken at, so rows never share a sample.
pub(crate) struct FrameRow<'f, 'a> {
    fb: &'f FrameBuffer<'a>,
    y: i32,
}

impl FrameRow<'_, '_> {
    /// The row's coordinate.
    pub fn y(&self) -> i32 {
        self.y
    }

    /// The address of the sample of slice `slice` taken at pixel (`x`,
    /// this row), if the pixel is in the window and the slice samples it.
    fn sample(&self, slice: usize, x: i32) -> Option<(&Slice, *mut u8)> {
        let s = self.fb.slices.get(slice)?;
        let w = self.fb.window;
        if x < w.min_x
            || x > w.max_x
            || !is_sampled(x, s.x_sampling)
            || !is_sampled(self.y, s.y_sampling)
        {
            return None;
        }
        let (x, y) = (i64::from(x), i64::from(self.y));
        let (xs, ys) = (i64::from(s.x_sampling), i64::from(s.y_sampling));
        let column = u64::try_from(x / xs - s.first_column).ok()?;
        let row = u64::try_from(y / ys - s.first_row).ok()?;
        (column < s.columns && row < s.rows).then(|| (s, s.at(column, row)))
    }

    /// Stores `value`, converted as a FLOAT sample is, in slice `slice` at
    /// pixel (`x`, this row); nothing if the slice has no sample there.
    pub fn store(&mut self, slice: usize, x: i32, value: f32) {
        use half::f16;
        let Some((s, to)) = self.sample(slice, x) else {
            return;
        };
        // SAFETY: `to` addresses a sample of the slice inside the window,
        // valid for writes as `add_raw` requires; it is taken at a pixel of
        // this row, which this worker alone holds (`for_each_row`).
        unsafe {
            match s.pixel_type {
                PixelType::Uint => u32::from_float(value).write(to),
                PixelType::Half => f16::from_float(value).write(to),
                PixelType::Float => value.write(to),
                PixelType::U8 => u8::from_float(value).write(to),
            }
        }
    }

    /// Stores slice `slice`'s fill value at pixel (`x`, this row), as
    /// [`FrameRow::store`] stores.
    pub fn fill(&mut self, slice: usize, x: i32) {
        let Some((s, to)) = self.sample(slice, x) else {
            return;
        };
        let value = super::convert::fill_bytes(s.fill, s.pixel_type);
        // SAFETY: as in `store`.
        unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), to, s.pixel_type.size()) };
    }
}

impl<'a> FrameBuffer<'a> {
    /// Calls `f` once for each row of `min_y..=max_y` inside the window,
    /// on the current rayon pool, with that row to write.
    pub(crate) fn for_each_row(
        &mut self,
        min_y: i32,
        max_y: i32,
        f: impl for<'f> Fn(FrameRow<'f, 'a>) + Sync + Send,
    ) {
        use rayon::prelude::*;
        let fb: &FrameBuffer<'a> = self;
        let (min_y, max_y) = (min_y.max(fb.window.min_y), max_y.min(fb.window.max_y));
        (min_y..=max_y)
            .into_par_iter()
            .for_each(|y| f(FrameRow { fb, y }));
    }
}

/// One buffer per channel, each holding the channel's samples at its own
/// type and sampling, row-major over a window: the simplest way to read a
/// part's channels as the file stores them (or to hold them for writing).
#[derive(Debug, Clone)]
pub struct ChannelBuffers {
    window: Box2i,
    channels: Vec<crate::meta::channel::Channel>,
    /// Each channel's samples, in the order of the channels given.
    pub buffers: Vec<Vec<u8>>,
}

impl ChannelBuffers {
    /// Zeroed buffers for `channels` over `window`; fails with
    /// `OutOfMemory` rather than aborting when they do not fit.
    pub fn new(channels: &[crate::meta::channel::Channel], window: Box2i) -> Result<Self> {
        let buffers = channels
            .iter()
            .map(|c| {
                let columns = sampled_count(window.min_x, window.max_x, c.x_sampling);
                let rows = sampled_count(window.min_y, window.max_y, c.y_sampling);
                let len = usize::try_from(columns.saturating_mul(rows))
                    .ok()
                    .and_then(|n| n.checked_mul(c.pixel_type.size()))
                    .ok_or_else(|| {
                        Error::OutOfMemory(format!("channel '{}' does not fit in memory", c.name))
                    })?;
                let mut buffer = Vec::new();
                try_resize(&mut buffer, len)?;
                Ok(buffer)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            window,
            channels: channels.to_vec(),
            buffers,
        })
    }

    /// A frame buffer over every buffer, for decoding into them or writing
    /// from them.
    pub fn frame_buffer(&mut self) -> Result<FrameBuffer<'_>> {
        let mut fb = FrameBuffer::new(self.window)?;
        for (c, buffer) in self.channels.iter().zip(self.buffers.iter_mut()) {
            fb.add_bytes(
                c.name.as_bytes(),
                c.pixel_type,
                buffer,
                c.x_sampling,
                c.y_sampling,
                0.0,
            )?;
        }
        Ok(fb)
    }

    /// Bytes held over all channels.
    pub fn bytes(&self) -> u64 {
        self.buffers.iter().map(|b| b.len() as u64).sum()
    }
}
