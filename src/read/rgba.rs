//! Decoding any flat part as interleaved RGBA float, mapping channels to
//! RGBA as OpenEXR's `RgbaInputFile` does: luminance/chroma parts converted
//! to RGB, luminance-only parts as grey, anything else by channel name.

use std::sync::Mutex;

use super::decode::Tally;
use super::Reader;
use crate::error::{Error, Result};
use crate::meta::header::Header;
use crate::meta::types::{Box2i, PixelType};
use crate::meta::value::{Chromaticities, Value};
use crate::pixels::yca::{luminance_weights, Pixel, RowConverter, YcaLayout, YcaRows};
use crate::pixels::{FrameBuffer, RawSlice};

/// Bytes of one RGBA float pixel.
const PIXEL_BYTES: isize = 16;

/// Output rows of a luminance/chroma part that one worker converts at a
/// time.
const ROWS_PER_TASK: i64 = 16;

/// Memory for one band of decoded luminance/chroma rows, above which bands
/// shrink (though never below one chunk).
const BAND_BYTES: u64 = 64 << 20;

/// Bytes a band holds per pixel: half `Y` and `A` (4), compact chroma (1),
/// chroma filled in across even rows (4).
const BAND_BYTES_PER_PIXEL: u64 = 9;

/// How a part's channels become RGBA.
enum Mapping {
    /// Channels copied: which one feeds R, G, B and A, and the value used
    /// where the part lacks it.
    Channels([(&'static [u8], f64); 4]),
    /// `Y`, `RY` and `BY` converted to RGB, plus `A`.
    LuminanceChroma,
}

/// RgbaInputFile's choice: any chroma channel means luminance/chroma (other
/// colour channels ignored); else `Y` means grey (R, G and B ignored); else
/// R, G, B with 0 where missing. Alpha is `A` or 1.
fn mapping(header: &Header) -> Mapping {
    let has = |name: &[u8]| header.channels().iter().any(|c| c.name.as_bytes() == name);
    if has(b"RY") || has(b"BY") {
        Mapping::LuminanceChroma
    } else if has(b"Y") {
        Mapping::Channels([(b"Y", 0.0), (b"Y", 0.0), (b"Y", 0.0), (b"A", 1.0)])
    } else {
        Mapping::Channels([(b"R", 0.0), (b"G", 0.0), (b"B", 0.0), (b"A", 1.0)])
    }
}

/// The part's chromaticities, when it has a readable attribute of that
/// name and type.
fn chromaticities(header: &Header) -> Option<&Chromaticities> {
    match &header.attribute(b"chromaticities")?.value {
        Some(Value::Chromaticities(c)) => Some(c),
        _ => None,
    }
}

/// Luminance and alpha must be full resolution and chroma 2x2, the only
/// layout RgbaInputFile converts.
fn check_sampling(header: &Header) -> Result<()> {
    for c in header.channels() {
        let wanted = match c.name.as_bytes() {
            b"Y" | b"A" => 1,
            b"RY" | b"BY" => 2,
            _ => continue,
        };
        if (c.x_sampling, c.y_sampling) != (wanted, wanted) {
            return Err(Error::Unsupported(format!(
                "channel '{}' has sampling {}x{}; luminance/chroma converts to RGBA only with \
                 Y and A at 1x1 and RY and BY at 2x2, as OpenEXR's RgbaInputFile requires",
                c.name, c.x_sampling, c.y_sampling
            )));
        }
    }
    Ok(())
}

/// The caller's RGBA memory. Made only by [`Reader::decode_rgba_raw`], from
/// memory its caller vouches for, and lives no longer than that call.
struct Target {
    base: *mut u8,
    row_stride: isize,
    window: Box2i,
}

// SAFETY: a target only carries the caller's address; the workers of one
// decode write disjoint rows through it.
unsafe impl Send for Target {}
// SAFETY: as above.
unsafe impl Sync for Target {}

impl Target {
    /// Stores `pixels` from pixel (`x`, `y`) rightwards as four floats each.
    ///
    /// # Safety
    /// The pixels lie inside the window, whose memory the caller of
    /// [`Reader::decode_rgba_raw`] vouched for, and no other thread writes
    /// row `y` meanwhile.
    unsafe fn write(&self, x: i32, y: i32, pixels: &[Pixel]) {
        let row = (i64::from(y) - i64::from(self.window.min_y)) as isize;
        let column = (i64::from(x) - i64::from(self.window.min_x)) as isize;
        let at = self
            .base
            .wrapping_offset(row.wrapping_mul(self.row_stride))
            .wrapping_offset(column.wrapping_mul(PIXEL_BYTES));
        let bytes = pixels.as_flattened();
        // SAFETY: the row's pixels lie inside the window, as the caller
        // guarantees; the copy is bytewise, so alignment does not matter.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr().cast::<u8>(), at, bytes.len() * 4) };
    }
}

impl Reader {
    /// Decodes `window` of `part` (level 0) as interleaved RGBA float, four
    /// floats per pixel, rows of `window.width()` pixels one after another.
    /// Pixels of the window outside the data window are left as they are.
    ///
    /// Channels map to RGBA as OpenEXR's `RgbaInputFile` maps them:
    /// - a part with `RY` or `BY` is luminance/chroma: `Y`, `RY`, `BY` and
    ///   `A` convert to RGBA exactly as RgbaInputFile converts them, in
    ///   `half` precision and with the same bits, with luminance weights
    ///   from the part's `chromaticities` (Rec. 709 when absent); any `R`,
    ///   `G`, `B` channels are ignored, and a missing `Y` reads as 0.5 as
    ///   RgbaInputFile fills it. `Y` and `A` must be full resolution and
    ///   `RY` and `BY` 2x2, else the part is unsupported (RgbaInputFile
    ///   refuses it too), as are chromaticities with no luminance.
    ///
    ///   The data window's edges extend as RgbaInputFile extends them (the
    ///   first or last chroma sample of a row beyond its sides, the top row
    ///   above, the last even row below). A window smaller than the data
    ///   window has no edges of its own: it gives exactly the matching
    ///   pixels of a whole-image decode, since the filters read up to 14
    ///   rows and columns beyond it inside the data window.
    /// - otherwise a part with `Y` is grey: R = G = B = `Y`.
    /// - otherwise R, G and B come from `R`, `G` and `B`, 0 where missing.
    ///
    /// Alpha is `A`, 1 where missing. Outside luminance/chroma, values are
    /// the file's own, converted to float exactly (RgbaInputFile rounds
    /// them to half).
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
        let sources = match mapping(header) {
            Mapping::Channels(sources) => sources,
            Mapping::LuminanceChroma => {
                let target = Target {
                    base,
                    row_stride,
                    window,
                };
                return self.decode_luminance_chroma(part, header, window, &target);
            }
        };
        for (i, (channel, fill)) in sources.into_iter().enumerate() {
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

    /// Converts `window` of a luminance/chroma part into `target`.
    ///
    /// The part is decoded in bands of whole chunks, top to bottom, each
    /// chunk once, into [`YcaRows`]: a band spans one chunk per worker
    /// thread, shrunk to about 64 MiB of held rows (9 bytes per pixel of the
    /// window plus the filters' 14-column margins) but never below one
    /// chunk, plus the 28 rows carried over from the band before. Output
    /// rows are converted as soon as the rows they need are in, in tasks of
    /// 16 rows spread over the workers, each holding four rows of RGBA.
    /// Damaged chunks decode as missing channels would (Y 0.5, A 1, chroma
    /// 0), and the first error is returned after the rest is converted.
    fn decode_luminance_chroma(
        &self,
        part: usize,
        header: &Header,
        window: Box2i,
        target: &Target,
    ) -> Result<()> {
        let weights = check_sampling(header)
            .and_then(|()| luminance_weights(chromaticities(header)))
            .map_err(|e| e.context(format_args!("part {part}")))?;
        let Some(layout) = YcaLayout::new(header.data_window(), window) else {
            return Ok(());
        };
        let (input, output) = (layout.input(), layout.output());
        let lines_per_chunk = i64::from(header.geometry().lines_per_chunk().unwrap_or(1).max(1));
        let band = self.band_rows(lines_per_chunk, input);
        let tally = Tally::new(self.chunks_meeting(part, input)?);
        let mut rows = YcaRows::new(layout);
        let mut first_error = None;
        let mut next = output.min_y;
        while next <= output.max_y {
            let start = rows.end();
            let last = band_end(
                header.data_window().min_y,
                start,
                band,
                lines_per_chunk,
                input.max_y,
            );
            let mut fb = rows
                .load(last)
                .map_err(|e| e.context(format_args!("part {part}")))?;
            match self.decode_step(part, &mut fb, &tally) {
                Err(e @ Error::Cancelled(_)) => return Err(e),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
                Ok(()) => {}
            }
            let (samples, targets, width) = rows.fill_in_chroma(start);
            self.workers
                .for_each_chunk_mut(targets, width, |i, out| samples.fill_in(i, out));
            let ready = layout.last_ready(last);
            if ready >= next {
                self.convert_rows(&rows, &layout, weights, (next, ready), target)?;
                next = ready + 1;
                rows.forget_before(layout.first_row_needed(next));
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Rows per band: one chunk per worker, within [`BAND_BYTES`] but never
    /// below one chunk, and even.
    fn band_rows(&self, lines_per_chunk: i64, input: Box2i) -> i64 {
        let workers = match self.options.threads {
            0 => rayon::current_num_threads(),
            n => n as usize,
        } as i64;
        let per_row = (input.width() as u64)
            .saturating_mul(BAND_BYTES_PER_PIXEL)
            .max(1);
        let affordable = i64::try_from(BAND_BYTES / per_row).unwrap_or(i64::MAX);
        let rows = lines_per_chunk
            .saturating_mul(workers.max(1))
            .min(affordable)
            .max(lines_per_chunk);
        (rows + 1) & !1
    }

    /// Converts output rows `rows.0..=rows.1`, whose input `held` holds,
    /// into `target`, in tasks of [`ROWS_PER_TASK`] rows on the reader's
    /// threads.
    fn convert_rows(
        &self,
        held: &YcaRows,
        layout: &YcaLayout,
        weights: [f32; 3],
        rows: (i32, i32),
        target: &Target,
    ) -> Result<()> {
        let (first, last) = (i64::from(rows.0), i64::from(rows.1));
        let tasks = ((last - first) / ROWS_PER_TASK + 1) as u64;
        let failure = Mutex::new(None);
        let x = layout.output().min_x;
        self.workers.for_each_index(0..tasks, |task| {
            let from = first + task as i64 * ROWS_PER_TASK;
            let to = (from + ROWS_PER_TASK - 1).min(last);
            match RowConverter::new(layout, weights) {
                Ok(mut converter) => {
                    converter.convert(held, from as i32, to as i32, |y, pixels| {
                        // SAFETY: output rows lie inside the window; this
                        // task alone writes rows `from..=to`.
                        unsafe { target.write(x, y, pixels) }
                    });
                }
                Err(e) => {
                    let mut failure = failure.lock().unwrap_or_else(|p| p.into_inner());
                    failure.get_or_insert(e);
                }
            }
        });
        let failure = failure.into_inner().unwrap_or_else(|p| p.into_inner());
        failure.map_or(Ok(()), Err)
    }
}

/// The last row of the band that starts at row `start` (even) and spans
/// about `band` rows: the end of a chunk of `lines_per_chunk` rows counted
/// from the data window's top `data_min_y`, moved down one row if needed so
/// the next band starts even, and at most `input_max_y`.
fn band_end(data_min_y: i32, start: i32, band: i64, lines_per_chunk: i64, input_max_y: i32) -> i32 {
    let origin = i64::from(data_min_y);
    let reach = i64::from(start) + band - origin;
    let chunks = (reach + lines_per_chunk - 1) / lines_per_chunk;
    let mut end = origin + chunks * lines_per_chunk - 1;
    if (end + 1).rem_euclid(2) != 0 {
        end += 1;
    }
    end.min(i64::from(input_max_y)) as i32
}
