//! Writing QOI files through the writer: one part of R, G, B (and A)
//! channels over a data window at the origin, gathered from the caller's
//! slices (any type, converted to U8 as decoding converts: clamped to
//! 0..1, times 255, rounded) in bands of rows, and encoded in one pass.

use std::sync::Mutex;

use super::header::PartBuild;
use crate::codec::{self, BlockLayout};
use crate::error::{try_resize, Error, Result};
use crate::io::Sink;
use crate::meta::attribute::Attribute;
use crate::meta::header::Header;
use crate::meta::types::{Box2i, PixelType, Storage};
use crate::meta::value::Value;
use crate::pixels::convert::{convert, Sample};
use crate::pixels::gather::Source;
use crate::pixels::rgba_rows::RgbaRows;
use crate::pixels::FrameBuffer;
use crate::qoi::{self as format, Channels, ColorSpace, Encoder};
use half::f16;

/// Rows gathered per band.
const BAND_ROWS: i32 = 16;

/// Where the one image stands.
enum Progress {
    /// Waiting for its pixels.
    Waiting(Box<Encoder>),
    /// Encoded, waiting for the finish.
    Encoded(Vec<u8>),
    /// A write failed part of the way.
    Failed,
}

/// A QOI writer once its header is known.
pub(super) struct QoiOutput {
    header: Header,
    /// The QOI header the part becomes.
    qoi: format::Header,
    progress: Mutex<Progress>,
    sink: Option<Box<dyn Sink>>,
}

/// The colour space a part's `colorspace` attribute asks for (sRGB when
/// absent).
fn color_space(part: &PartBuild) -> Result<ColorSpace> {
    let Some((name, type_name, data)) = part
        .extra
        .iter()
        .find(|(n, _, _)| n.as_bytes() == b"colorspace")
    else {
        return Ok(ColorSpace::Srgb);
    };
    let attribute = Attribute::parse(name.clone(), type_name.clone(), data.clone(), true)?;
    match attribute.value {
        Some(Value::Int(0)) => Ok(ColorSpace::Srgb),
        Some(Value::Int(1)) => Ok(ColorSpace::Linear),
        _ => Err(Error::InvalidArgument(
            "a QOI 'colorspace' is the int 0 (sRGB) or 1 (linear)".into(),
        )),
    }
}

impl QoiOutput {
    /// Checks the described part: one scanline part at the origin with
    /// channels R, G, B and optionally A.
    pub fn new(parts: &[PartBuild]) -> Result<Self> {
        let [part] = parts else {
            return Err(Error::InvalidArgument(format!(
                "a QOI file holds one part, not {}",
                parts.len()
            )));
        };
        if part.desc.storage != Storage::Scanline {
            return Err(Error::InvalidArgument(
                "a QOI file's part is a scanline part".into(),
            ));
        }
        let names: Vec<&[u8]> = part.channels.iter().map(|c| c.name.as_bytes()).collect();
        let channels = match names[..] {
            [b"B", b"G", b"R"] => Channels::Rgb,
            [b"A", b"B", b"G", b"R"] => Channels::Rgba,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "a QOI file's channels are R, G, B and optionally A, not {:?}",
                    part.channels
                        .iter()
                        .map(|c| c.name.to_string())
                        .collect::<Vec<_>>()
                )))
            }
        };
        if part
            .channels
            .iter()
            .any(|c| c.x_sampling != 1 || c.y_sampling != 1)
        {
            return Err(Error::InvalidArgument(
                "QOI channels are not subsampled".into(),
            ));
        }
        let window = part.desc.data_window;
        let (Ok(width), Ok(height)) = (
            u32::try_from(window.width()),
            u32::try_from(window.height()),
        ) else {
            return Err(Error::InvalidArgument(format!(
                "bad data window {window:?}"
            )));
        };
        if (window.min_x, window.min_y) != (0, 0) {
            return Err(Error::InvalidArgument(format!(
                "a QOI image's data window starts at (0, 0), not ({}, {})",
                window.min_x, window.min_y
            )));
        }
        let qoi = format::Header::new(width, height, channels, color_space(part)?)?;
        let header = format::part_header(&qoi)?;
        Ok(Self {
            header,
            qoi,
            progress: Mutex::new(Progress::Waiting(Box::new(Encoder::new(qoi)?))),
            sink: None,
        })
    }

    /// The output given the sink the bytes go to.
    pub fn with_sink(mut self, sink: Box<dyn Sink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// The part's header (as a reader presents QOI files).
    pub fn header(&self, part: usize) -> Result<Header> {
        if part != 0 {
            return Err(Error::InvalidArgument(format!(
                "part {part} does not exist; a QOI file has one"
            )));
        }
        Ok(self.header.clone())
    }

    /// Writes the image as its one chunk (0).
    pub fn write_chunk(&self, part: usize, chunk: u64, fb: &FrameBuffer<'_>) -> Result<()> {
        if chunk != 0 {
            return Err(Error::InvalidArgument(format!(
                "a QOI file is one chunk (0), not {chunk}"
            )));
        }
        self.write_image(part, (0, 0), fb)
    }

    /// Encodes the whole image from `fb`, whose window must cover it.
    pub fn write_image(&self, part: usize, level: (u32, u32), fb: &FrameBuffer<'_>) -> Result<()> {
        self.header(part)?;
        if level != (0, 0) {
            return Err(Error::InvalidArgument(format!(
                "a QOI file has level (0, 0) only, not {level:?}"
            )));
        }
        let source = Source::new(self.header.channels(), fb)?;
        let window = self.header.data_window();
        source.check_covers(window)?;
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        let Progress::Waiting(mut encoder) = std::mem::replace(&mut *progress, Progress::Failed)
        else {
            return Err(Error::BadState(
                "the QOI image is already written (or failed)".into(),
            ));
        };
        match RgbaRows::of(fb, self.qoi.width()) {
            Some(rows) if rows.samples >= self.qoi.channels().count() => {
                // SAFETY: the frame buffer's constructors guarantee its
                // slices, and its window covers the image as checked.
                unsafe { self.encode_rows(&rows, &mut encoder) }?;
            }
            _ => self.encode(&source, &mut encoder)?,
        }
        *progress = Progress::Encoded(encoder.finish()?);
        Ok(())
    }

    /// Feeds the image to `encoder` from `rows`, which hold at least the
    /// file's samples per pixel: U8 rows of just those samples straight
    /// from the caller's memory (all at once where they follow each other),
    /// others converted band by band.
    ///
    /// # Safety
    /// The frame buffer `rows` comes from must be valid for reads of every
    /// sample it addresses, and its window must cover the image.
    unsafe fn encode_rows(&self, rows: &RgbaRows, encoder: &mut Encoder) -> Result<()> {
        let window = self.header.data_window();
        let height = self.qoi.height() as usize;
        let width = self.qoi.width() as usize;
        let channels = self.qoi.channels().count();
        // The window's row of the image's first.
        let top = usize::try_from(i64::from(window.min_y) - i64::from(rows.window.min_y))
            .map_err(|_| Error::Internal("the frame buffer does not cover the image".into()))?;
        let row_bytes = width * channels;
        if rows.pixel_type == PixelType::U8 && rows.samples == channels {
            for (start, len) in rows.runs(top, height, row_bytes) {
                // SAFETY: every byte of a run is a sample of the frame buffer
                // inside its window, valid for reads.
                let pixels = unsafe { std::slice::from_raw_parts(start.cast_const(), len) };
                encoder.encode_pixels(pixels)?;
            }
            return Ok(());
        }
        codec::with_block_scratch(|scratch| {
            for first in (0..height).step_by(BAND_ROWS as usize) {
                let count = (height - first).min(BAND_ROWS as usize);
                scratch.packed.clear();
                try_resize(&mut scratch.packed, count * row_bytes)?;
                for (row, out) in scratch.packed.chunks_exact_mut(row_bytes).enumerate() {
                    let start = rows.row_address(top + first + row);
                    // SAFETY: forwarded from the caller; the row is one of
                    // the window's.
                    unsafe { convert_row(rows, channels, start, out) };
                }
                encoder.encode_pixels(&scratch.packed)?;
            }
            Ok(())
        })
    }

    /// Gathers the image band by band and feeds it to `encoder`.
    fn encode(&self, source: &Source<'_, '_>, encoder: &mut Encoder) -> Result<()> {
        let window = self.header.data_window();
        let channels = self.header.channels();
        // For each byte of an output pixel (R, G, B, A), its channel's
        // index in the part's name order (A, B, G, R or B, G, R).
        let order: Vec<usize> = ["R", "G", "B", "A"]
            .iter()
            .filter_map(|n| {
                channels
                    .iter()
                    .position(|c| c.name.as_bytes() == n.as_bytes())
            })
            .collect();
        let width = self.qoi.width() as usize;
        codec::with_block_scratch(|scratch| {
            for y in (window.min_y..=window.max_y).step_by(BAND_ROWS as usize) {
                let last = y.saturating_add(BAND_ROWS - 1).min(window.max_y);
                let region = Box2i {
                    min_y: y,
                    max_y: last,
                    ..window
                };
                let layout = BlockLayout::new(channels, region)?;
                try_resize(&mut scratch.unpacked, layout.unpacked_size)?;
                // SAFETY: the frame buffer's constructors guarantee its
                // slices, and its window covers the image as checked.
                unsafe { source.read_block(&layout, &mut scratch.unpacked, &mut scratch.line) };
                scratch.packed.clear();
                for line in scratch.unpacked.chunks_exact(width * channels.len()) {
                    for x in 0..width {
                        for &c in &order {
                            scratch.packed.push(line[c * width + x]);
                        }
                    }
                }
                encoder.encode_pixels(&scratch.packed)?;
            }
            Ok(())
        })
    }

    /// Writes the encoded bytes and completes the output; the sink goes
    /// back to the writer.
    pub fn finish(self: Box<Self>) -> Result<Box<dyn Sink>> {
        let progress = self
            .progress
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let Progress::Encoded(bytes) = progress else {
            return Err(Error::BadState(
                "write the QOI image before finishing".into(),
            ));
        };
        let Some(mut sink) = self.sink else {
            return Err(Error::Internal("the QOI writer has no output".into()));
        };
        sink.write_at(0, &bytes)?;
        sink.finish()?;
        Ok(sink)
    }
}

/// Converts the first `channels` samples of each pixel of the row at
/// `start` to U8 into `out`.
///
/// # Safety
/// `start` must address a row of `rows`'s frame buffer inside its window,
/// valid for reads.
unsafe fn convert_row(rows: &RgbaRows, channels: usize, start: *const u8, out: &mut [u8]) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match rows.pixel_type {
            PixelType::U8 => convert_samples::<u8>(rows.samples, channels, start, out),
            PixelType::Half => convert_samples::<f16>(rows.samples, channels, start, out),
            PixelType::Float => convert_samples::<f32>(rows.samples, channels, start, out),
            PixelType::Uint => convert_samples::<u32>(rows.samples, channels, start, out),
        }
    }
}

/// Reads the first `channels` of each `samples` samples of `T` from
/// `start` as U8 into `out`, `channels` bytes a pixel.
///
/// # Safety
/// As for [`convert_row`].
unsafe fn convert_samples<T: Sample>(
    samples: usize,
    channels: usize,
    start: *const u8,
    out: &mut [u8],
) {
    let size = std::mem::size_of::<T>();
    for (x, pixel) in out.chunks_exact_mut(channels).enumerate() {
        for (c, byte) in pixel.iter_mut().enumerate() {
            // SAFETY: sample `c` of pixel `x` is a sample of slice `c`
            // inside the window, valid for reads of `size` bytes.
            let value = unsafe {
                start
                    .add((x * samples + c) * size)
                    .cast::<T>()
                    .read_unaligned()
            };
            *byte = convert::<T, u8>(value);
        }
    }
}
