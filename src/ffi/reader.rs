//! The reader handle and every function that reads metadata and chunks.

use std::ffi::{c_char, c_void};
use std::path::PathBuf;

use super::attribute::{
    attribute_arrays, attribute_view, channel_view, exrkit_attribute, AttributeStorage,
};
use super::guard::{arg_str, guard, guard_silent, non_null, out, write};
use super::handle::{self, free, hand_out};
use super::options::{exrkit_read_options, read_options, versioned};
use super::status::exrkit_status;
use super::stream::{exrkit_input_stream, BorrowedMemory, CallbackSource};
use super::types::{
    exrkit_channel, exrkit_chunk_info, exrkit_format, exrkit_header, level, EXRKIT_FORMAT_EXR,
    EXRKIT_FORMAT_QOI,
};
use crate::error::{Error, Result};
use crate::io::ReadAt;
use crate::meta::header::Header;
use crate::read::Reader;

/// An open file. Immutable after open: every function taking a
/// `const exrkit_reader *` may be called from any number of threads at once.
pub struct exrkit_reader {
    pub(crate) reader: Reader,
    parts: Vec<PartView>,
}

/// The C views of one part, built once at open. Their pointers point into
/// `reader`'s headers (heap memory that never moves) and into `storage`.
struct PartView {
    header: exrkit_header,
    channels: Vec<exrkit_channel>,
    /// Per attribute, the arrays its view needs (chlist, stringvector only);
    /// views themselves are built per call, so a header of many tiny
    /// attributes costs little beyond its own size.
    attribute_arrays: Vec<Option<Box<AttributeStorage>>>,
}

fn part_view(header: &Header, format: exrkit_format) -> PartView {
    let geometry = header.geometry();
    let tiles = geometry.tile_desc();
    let (level_count_x, level_count_y) = geometry.level_counts();
    PartView {
        header: exrkit_header {
            format,
            name: header.name().map_or(std::ptr::null(), |n| n.as_c_ptr()),
            storage: header.storage() as u32,
            compression: header.compression() as u32,
            line_order: header.line_order() as u32,
            data_window: header.data_window().into(),
            display_window: header.display_window().into(),
            pixel_aspect_ratio: header.pixel_aspect_ratio(),
            channel_count: header.channels().len() as u32,
            attribute_count: header.attributes().len() as u32,
            chunk_count: geometry.chunk_count(),
            lines_per_chunk: geometry.lines_per_chunk().unwrap_or(0),
            tile_width: tiles.map_or(0, |t| t.width),
            tile_height: tiles.map_or(0, |t| t.height),
            level_mode: tiles.map_or(0, |t| t.level_mode as u32),
            rounding_mode: tiles.map_or(0, |t| t.rounding_mode as u32),
            level_count_x,
            level_count_y,
        },
        channels: header.channels().iter().map(channel_view).collect(),
        attribute_arrays: header.attributes().iter().map(attribute_arrays).collect(),
    }
}

impl exrkit_reader {
    /// Prefixes an error of a call on this reader with the file's path, so
    /// that C callers' messages say which file failed.
    pub(crate) fn in_file(&self, error: Error) -> Error {
        match self.reader.path() {
            Some(path) => error.context(path.display()),
            None => error,
        }
    }

    fn new(reader: Reader) -> Self {
        let format = if reader.is_qoi() {
            EXRKIT_FORMAT_QOI
        } else {
            EXRKIT_FORMAT_EXR
        };
        let parts = reader
            .headers()
            .iter()
            .map(|h| part_view(h, format))
            .collect();
        Self { reader, parts }
    }

    /// The C view of attribute `index` of `part`.
    fn attribute(&self, part: u32, index: usize) -> Result<exrkit_attribute> {
        let view = self.part(part)?;
        let attributes = self.reader.header(part as usize)?.attributes();
        let attr = attributes.get(index).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "attribute {index} does not exist; part {part} has {}",
                attributes.len()
            ))
        })?;
        let arrays = view.attribute_arrays.get(index).and_then(|a| a.as_deref());
        Ok(attribute_view(attr, arrays))
    }

    fn part(&self, part: u32) -> Result<&PartView> {
        self.parts.get(part as usize).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "part {part} does not exist; the file has {}",
                self.parts.len()
            ))
        })
    }
}

/// Item `index` of a part's list, or an error naming what is out of range.
fn item<T: Copy>(items: &[T], index: u32, what: &str, part: u32) -> Result<T> {
    items.get(index as usize).copied().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "{what} {index} does not exist; part {part} has {}",
            items.len()
        ))
    })
}

fn finish_open(result: Result<Reader>, out_reader: *mut *mut exrkit_reader) -> Result<()> {
    // SAFETY: out_reader was checked non-NULL by the caller of this function.
    unsafe { hand_out(exrkit_reader::new(result?), out_reader) };
    Ok(())
}

/// Opens the file at `path` (NUL-terminated, in the platform's encoding):
/// an OpenEXR file, or a QOI file (recognised by its magic; one part of U8
/// channels, see the README). `options` may be NULL for the defaults. On
/// success `*reader` receives a handle to free with exrkit_close.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_open(
    path: *const c_char,
    options: *const exrkit_read_options,
    reader: *mut *mut exrkit_reader,
) -> exrkit_status {
    guard(|| {
        // SAFETY: the caller passes a NUL-terminated path or NULL.
        let path = unsafe { arg_str(path, "path") }?;
        let out_reader = out(reader, "reader")?;
        // SAFETY: the caller passes a valid options struct or NULL.
        let options = unsafe { read_options(options) }?;
        finish_open(
            Reader::open(path_from_c(path.to_bytes()), options),
            out_reader,
        )
    })
}

#[cfg(unix)]
pub(crate) fn path_from_c(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
pub(crate) fn path_from_c(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Opens a file held in memory. The bytes are not copied: they must stay
/// valid and unchanged until exrkit_close.
///
/// # Safety
/// `data` must stay valid and unchanged for `size` bytes until exrkit_close;
/// other pointers must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_open_memory(
    data: *const c_void,
    size: usize,
    options: *const exrkit_read_options,
    reader: *mut *mut exrkit_reader,
) -> exrkit_status {
    guard(|| {
        if data.is_null() {
            return Err(Error::InvalidArgument("'data' is NULL".into()));
        }
        let out_reader = out(reader, "reader")?;
        // SAFETY: the caller passes a valid options struct or NULL.
        let options = unsafe { read_options(options) }?;
        // SAFETY: the caller promises `size` readable bytes that outlive the reader.
        let source = unsafe { BorrowedMemory::new(data.cast(), size) };
        finish_open(Reader::from_source(Box::new(source), options), out_reader)
    })
}

/// Opens data read through callbacks. The stream struct is copied; its
/// `release` callback (if set) runs when the reader is closed or the open
/// fails. `read_at` is called from many threads at once.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_open_stream(
    stream: *const exrkit_input_stream,
    options: *const exrkit_read_options,
    reader: *mut *mut exrkit_reader,
) -> exrkit_status {
    guard(|| {
        // SAFETY: the caller passes a valid stream struct of `struct_size`
        // bytes, or NULL; one without `release` (older) gets none.
        let copy = unsafe {
            versioned(
                non_null(stream, "stream")?,
                std::mem::offset_of!(exrkit_input_stream, release),
                exrkit_input_stream::EMPTY,
                "stream",
                "set it to sizeof(exrkit_input_stream)",
            )
        }?;
        let out_reader = out(reader, "reader")?;
        // SAFETY: the caller passes a valid options struct or NULL.
        let options = unsafe { read_options(options) }?;
        let source: Box<dyn ReadAt> = Box::new(CallbackSource::new(copy)?);
        finish_open(Reader::from_source(source, options), out_reader)
    })
}

/// Closes a reader and frees everything it owns. NULL is ignored.
///
/// # Safety
/// `reader` must be NULL or come from exrkit_open* and not be used again.
#[no_mangle]
pub unsafe extern "C" fn exrkit_close(reader: *mut exrkit_reader) {
    // SAFETY: a reader from exrkit_open*, closed once, or NULL.
    guard_silent(|| unsafe { free(reader) });
}

/// Writes the number of parts (1 for single-part files and QOI) to `*count`.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_part_count(
    reader: *const exrkit_reader,
    count: *mut u32,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let count = out(count, "count")?;
        // SAFETY: checked non-NULL.
        unsafe { write(count, r.parts.len() as u32) };
        Ok(())
    })
}

/// Describes part `part`: format, name, storage, compression, windows, counts,
/// tiling and levels. Strings point into the reader.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_read_header(
    reader: *const exrkit_reader,
    part: u32,
    header: *mut exrkit_header,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let header = out(header, "header")?;
        let view = r.part(part)?.header;
        // SAFETY: checked non-NULL.
        unsafe { write(header, view) };
        Ok(())
    })
}

/// Describes channel `index` (0 .. channel_count-1, in name order, which is
/// the order of the channels' data in every chunk) of part `part`.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_get_channel(
    reader: *const exrkit_reader,
    part: u32,
    index: u32,
    channel: *mut exrkit_channel,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let channel = out(channel, "channel")?;
        let found = item(&r.part(part)?.channels, index, "channel", part)?;
        // SAFETY: checked non-NULL.
        unsafe { write(channel, found) };
        Ok(())
    })
}

/// Describes attribute `index` (0 .. attribute_count-1, in file order) of part `part`.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_get_attribute(
    reader: *const exrkit_reader,
    part: u32,
    index: u32,
    attribute: *mut exrkit_attribute,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let attribute = out(attribute, "attribute")?;
        let found = r.attribute(part, index as usize)?;
        // SAFETY: checked non-NULL.
        unsafe { write(attribute, found) };
        Ok(())
    })
}

/// Finds the attribute called `name` in part `part`; EXRKIT_ERR_NOT_FOUND if
/// there is none.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_find_attribute(
    reader: *const exrkit_reader,
    part: u32,
    name: *const c_char,
    attribute: *mut exrkit_attribute,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        // SAFETY: the caller passes a NUL-terminated name or NULL.
        let name = unsafe { arg_str(name, "name") }?;
        let attribute = out(attribute, "attribute")?;
        let position = r.reader.attribute_index(part as usize, name.to_bytes())?;
        let found = r.attribute(part, position)?;
        // SAFETY: checked non-NULL.
        unsafe { write(attribute, found) };
        Ok(())
    })
}

/// Writes the width and height in pixels of level (`level_x`, `level_y`) of
/// part `part`. Scanline parts have only level (0, 0); mip maps only levels
/// with level_x == level_y.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_level_size(
    reader: *const exrkit_reader,
    part: u32,
    level_x: i32,
    level_y: i32,
    width: *mut i32,
    height: *mut i32,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let width = out(width, "width")?;
        let height = out(height, "height")?;
        let (lx, ly) = level(level_x, level_y)?;
        let (w, h) = r.reader.level_size(part as usize, lx, ly)?;
        // Validation bounds windows to +-2^30, so level sizes fit in i32.
        let (w, h) = (
            i32::try_from(w).unwrap_or(i32::MAX),
            i32::try_from(h).unwrap_or(i32::MAX),
        );
        // SAFETY: both checked non-NULL.
        unsafe {
            write(width, w);
            write(height, h);
        }
        Ok(())
    })
}

/// Locates chunk `chunk` of part `part`, reads its leader and checks it.
/// EXRKIT_ERR_INCOMPLETE if the file never got that chunk, EXRKIT_ERR_CORRUPT
/// if the leader or offset is wrong.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use, and a reader
/// must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_get_chunk_info(
    reader: *const exrkit_reader,
    part: u32,
    chunk: u64,
    info: *mut exrkit_chunk_info,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let info = out(info, "info")?;
        let c = r
            .reader
            .chunk_info(part as usize, chunk)
            .map_err(|e| r.in_file(e))?;
        let level = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        let view = exrkit_chunk_info {
            index: c.index,
            region: c.region.pixels.into(),
            level_x: level(c.region.level_x),
            level_y: level(c.region.level_y),
            tile_x: level(c.region.tile_x),
            tile_y: level(c.region.tile_y),
            offset: c.offset,
            data_offset: c.data_offset,
            sample_table_size: c.sample_table_size,
            packed_size: c.packed_size,
            unpacked_size: c.unpacked_size,
            read_size: c.payload_size(),
        };
        // SAFETY: checked non-NULL.
        unsafe { write(info, view) };
        Ok(())
    })
}

/// Copies chunk `chunk`'s raw bytes (deep: packed sample count table then
/// packed samples; flat: the packed pixel data) into `buffer`, which has room
/// for `capacity` bytes, and writes the count to `*size`. The count needed is
/// exrkit_chunk_info.read_size; a smaller buffer gives
/// EXRKIT_ERR_BUFFER_TOO_SMALL.
///
/// # Safety
/// `buffer` must have room for `capacity` bytes; other pointers must be NULL
/// or valid, and `reader` must come from exrkit_open* and not be closed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_read_chunk(
    reader: *const exrkit_reader,
    part: u32,
    chunk: u64,
    buffer: *mut c_void,
    capacity: usize,
    size: *mut usize,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        if buffer.is_null() {
            return Err(Error::InvalidArgument("'buffer' is NULL".into()));
        }
        let size = out(size, "size")?;
        let info = r
            .reader
            .chunk_info(part as usize, chunk)
            .map_err(|e| r.in_file(e))?;
        let needed = info.payload_size();
        let Some(len) = usize::try_from(needed).ok().filter(|&n| n <= capacity) else {
            return Err(Error::BufferTooSmall(format!(
                "part {part} chunk {chunk} holds {needed} bytes; the buffer has room for {capacity}"
            )));
        };
        // SAFETY: the caller provides `capacity` >= `len` writable bytes at
        // `buffer`; zeroing them first makes them initialized for the slice.
        let buf = unsafe {
            std::ptr::write_bytes(buffer.cast::<u8>(), 0, len);
            std::slice::from_raw_parts_mut(buffer.cast::<u8>(), len)
        };
        let n = r
            .reader
            .read_located_chunk(part as usize, &info, buf)
            .map_err(|e| r.in_file(e))?;
        // SAFETY: checked non-NULL.
        unsafe { write(size, n) };
        Ok(())
    })
}
