//! Decoding pixels into caller memory: frame buffers of slices, one chunk,
//! a whole level, or RGBA.

use std::ffi::{c_char, c_void, CStr};

use super::guard::{arg, guard};
use super::handle;
use super::reader::exrkit_reader;
use super::status::exrkit_status;
use super::types::{enum_field, exrkit_box2i, exrkit_pixel_type, level};
use crate::error::{Error, Result};
use crate::pixels::{FrameBuffer, RawSlice};

/// Where the samples of one channel go.
///
/// The sample of pixel (x, y) is stored at
/// `base + (x - window.min_x) * x_stride + (y - window.min_y) * y_stride`
/// (strides in bytes, either may be negative, e.g. for bottom-up images).
/// A slice whose sampling is the channel's own (say 2x2 for a chroma
/// channel) receives the samples compactly: sample (x, y) at
/// `base + (x / xs - first_x) * x_stride + (y / ys - first_y) * y_stride`,
/// where first_x and first_y index the first sample inside the window. A
/// slice with sampling 1x1 receives a subsampled channel replicated to
/// every pixel it covers. Strides must keep a slice's samples apart (rows,
/// or columns, one after another without overlap, so a stride of 0 only
/// suits a single row or column); others give EXRKIT_ERR_INVALID_ARGUMENT.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_slice {
    /// Name of the channel, as the file spells it (NUL-terminated).
    pub channel: *const c_char,
    /// Type to store samples as (`EXRKIT_PIXEL_*`); converted from the
    /// file's type.
    pub r#type: exrkit_pixel_type,
    /// Address of the sample of the window's first pixel.
    pub base: *mut c_void,
    /// Bytes from one sample to the next within a row.
    pub x_stride: isize,
    /// Bytes from one row to the next.
    pub y_stride: isize,
    /// 1, or the channel's own horizontal sampling for compact storage.
    pub x_sampling: i32,
    /// 1, or the channel's own vertical sampling for compact storage.
    pub y_sampling: i32,
    /// Value stored where the part lacks the channel, and by
    /// exrkit_decode_image where a chunk is damaged or missing (converted as
    /// a FLOAT sample would be).
    pub fill: f64,
}

/// The pixels a decode may write and the slices they go to. The library
/// writes only pixels inside `window` (inclusive, in the file's
/// coordinates; for a level other than (0, 0), in that level's
/// coordinates, which keep the data window's origin). Pixels of the window
/// outside the data window (or level) are left untouched, fill values
/// included, as OpenEXR leaves them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_framebuffer {
    /// The pixels to decode.
    pub window: exrkit_box2i,
    /// `slice_count` slices.
    pub slices: *const exrkit_slice,
    /// Number of slices.
    pub slice_count: usize,
}

/// Builds the checked frame buffer a C caller describes.
///
/// # Safety
/// `fb` must be valid, its slices array must hold `slice_count` slices, and
/// each slice's memory must be as `exrkit_slice` describes.
pub(crate) unsafe fn frame_buffer<'a>(fb: *const exrkit_framebuffer) -> Result<FrameBuffer<'a>> {
    // SAFETY: per this function's contract.
    let fb = unsafe { arg(fb, "framebuffer") }?;
    let slices: &[exrkit_slice] = match fb.slice_count {
        0 => &[],
        // SAFETY: the caller provides `slice_count` slices.
        n => unsafe { std::slice::from_raw_parts(arg(fb.slices, "framebuffer.slices")?, n) },
    };
    let mut frame = FrameBuffer::new(fb.window.into())?;
    for (i, slice) in slices.iter().enumerate() {
        if slice.channel.is_null() {
            return Err(Error::InvalidArgument(format!(
                "slice {i} has no channel name"
            )));
        }
        // SAFETY: a non-NULL, NUL-terminated name per exrkit_slice.
        let name = unsafe { CStr::from_ptr(slice.channel) };
        let raw = RawSlice {
            channel: name.to_bytes(),
            pixel_type: enum_field(slice.r#type, "slice.type")?,
            base: slice.base.cast(),
            x_stride: slice.x_stride,
            y_stride: slice.y_stride,
            x_sampling: slice.x_sampling,
            y_sampling: slice.y_sampling,
            fill: slice.fill,
        };
        // SAFETY: the caller vouches for the slice's memory.
        unsafe { frame.add_raw(raw) }.map_err(|e| e.context(format_args!("slice {i}")))?;
    }
    Ok(frame)
}

/// Decodes chunk `chunk` of part `part` into `fb`, writing only the chunk's
/// pixels inside the frame buffer's window (a 1x1 slice of a subsampled
/// channel also gets the pixels the chunk's samples cover below and right
/// of them, which may lie in the next chunk). May be called from any number
/// of threads at once on one reader (each with its own pixels to write).
/// On failure nothing is filled, except in a QOI file, whose one chunk
/// decodes straight into the frame buffer: the window's rows before the
/// damage keep their pixels, those from it on get the fill values.
/// EXRKIT_ERR_CORRUPT names the part and chunk of damaged data;
/// EXRKIT_ERR_INCOMPLETE means the file never got the chunk;
/// EXRKIT_ERR_UNSUPPORTED names a codec this build cannot decode.
///
/// # Safety
/// `reader` must come from exrkit_open* and not be closed; `fb` must be
/// valid, with slice memory as exrkit_slice describes for every pixel of
/// its window.
#[no_mangle]
pub unsafe extern "C" fn exrkit_decode_block(
    reader: *const exrkit_reader,
    part: u32,
    chunk: u64,
    fb: *const exrkit_framebuffer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        // SAFETY: the caller vouches for the frame buffer.
        let mut frame = unsafe { frame_buffer(fb) }?;
        r.reader
            .decode_block(part as usize, chunk, &mut frame)
            .map_err(|e| r.in_file(e))
    })
}

/// Decodes level (`level_x`, `level_y`) of part `part` (0, 0 for scanline
/// parts) into `fb`, spreading chunks over the reader's threads and skipping
/// chunks outside the frame buffer's window. Damaged or missing chunks are
/// left at each slice's fill value while the rest decodes; the first error
/// by chunk index is returned. The progress callback may cancel
/// (EXRKIT_ERR_CANCELLED).
///
/// A QOI file decodes in one pass on the calling thread, only down to the
/// window's last row; damage leaves the window's rows from it on at the
/// fill values (as exrkit_decode_block). Its fastest frame
/// buffer is whole rows of the image with slices R, G, B (and A) of one
/// type interleaved in that order (x_stride 3 or 4 samples, one y_stride):
/// U8 rows in the file's own channels are decoded straight into them.
///
/// # Safety
/// As for exrkit_decode_block.
#[no_mangle]
pub unsafe extern "C" fn exrkit_decode_image(
    reader: *const exrkit_reader,
    part: u32,
    level_x: i32,
    level_y: i32,
    fb: *const exrkit_framebuffer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let (lx, ly) = level(level_x, level_y)?;
        // SAFETY: the caller vouches for the frame buffer.
        let mut frame = unsafe { frame_buffer(fb) }?;
        r.reader
            .decode_image(part as usize, lx, ly, &mut frame)
            .map_err(|e| r.in_file(e))
    })
}

/// Decodes `window` of part `part` (level 0) as interleaved RGBA float:
/// pixel (x, y) at `rgba + (y - window.min_y) * row_stride` bytes `+ (x -
/// window.min_x) * 4` floats. `row_stride` is in bytes and may be negative.
/// Pixels of the window outside the data window are left as they are.
///
/// Channels map as OpenEXR's RgbaInputFile maps them. A part with RY or BY
/// is luminance/chroma and converts to exactly RgbaInputFile's half RGBA
/// (given as float), using the part's chromaticities (Rec. 709 when
/// absent); a window smaller than the data window gives the same pixels as
/// the whole image would. Otherwise a part with Y is grey, and anything else
/// takes R, G, B (0 where missing). A is 1 where missing.
///
/// # Safety
/// `reader` must come from exrkit_open* and not be closed; `rgba` must be
/// valid for writing every pixel of `window` at that stride.
#[no_mangle]
pub unsafe extern "C" fn exrkit_decode_rgba(
    reader: *const exrkit_reader,
    part: u32,
    window: exrkit_box2i,
    rgba: *mut f32,
    row_stride: isize,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        if rgba.is_null() {
            return Err(Error::InvalidArgument("'rgba' is NULL".into()));
        }
        // SAFETY: the caller vouches for the pixels at this stride.
        let decoded = unsafe {
            r.reader
                .decode_rgba_raw(part as usize, window.into(), rgba, row_stride)
        };
        decoded.map_err(|e| r.in_file(e))
    })
}
