//! The writer handle: describing parts, writing the header and chunks, and
//! finishing the file.

use std::ffi::{c_char, c_void, CStr};
use std::sync::RwLock;

use super::decode::{exrkit_framebuffer, frame_buffer};
use super::guard::{arg, arg_slice, arg_str, guard, guard_silent, non_null, out, write};
use super::handle::{self, free_writer, hand_out, writer_exclusive, writer_shared};
use super::options::{c_progress, exrkit_progress_fn, versioned, INIT_FIRST};
use super::reader::path_from_c;
use super::status::exrkit_status;
use super::stream::{exrkit_output_stream, CallbackSink};
use super::types::{
    enum_field, exrkit_box2i, exrkit_channel, exrkit_compression, exrkit_format, exrkit_level_mode,
    exrkit_line_order, exrkit_rounding_mode, exrkit_storage, level,
};
use crate::error::{Error, Result};
use crate::meta::channel::Channel;
use crate::meta::compression::Compression;
use crate::meta::text::Text;
use crate::meta::types::{Storage, TileDesc};
use crate::meta::value::Value;
use crate::write::{PartDesc, WriteOptions, Writer};

/// How a writer works. Fill with exrkit_write_options_init, then change
/// fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_write_options {
    /// sizeof(exrkit_write_options), set by exrkit_write_options_init.
    pub struct_size: usize,
    /// EXRKIT_FORMAT_EXR, or EXRKIT_FORMAT_QOI for a QOI file: one scanline
    /// part at the origin with channels R, G, B and optionally A (any
    /// declared type; written as U8 from slices of any type, clamped to
    /// 0..1, times 255, rounded), its `colorspace` int attribute 0 (sRGB,
    /// the default) or 1 (linear), written whole by exrkit_write_image;
    /// fastest from whole rows of slices R, G, B (and A) of one type
    /// interleaved in that order, U8 most of all.
    pub format: exrkit_format,
    /// Encode threads: 0 = all cores (shared pool), 1 = the calling thread.
    pub threads: u32,
    /// Optional progress callback, called after each chunk written.
    pub progress: exrkit_progress_fn,
    /// Passed to `progress` unchanged.
    pub progress_user: *mut c_void,
}

const WRITE_OPTIONS_MIN_SIZE: usize = std::mem::offset_of!(exrkit_write_options, progress);

fn write_defaults() -> exrkit_write_options {
    let d = WriteOptions::default();
    exrkit_write_options {
        struct_size: std::mem::size_of::<exrkit_write_options>(),
        format: d.format as exrkit_format,
        threads: d.threads,
        progress: None,
        progress_user: std::ptr::null_mut(),
    }
}

/// What a part is. Fill with exrkit_part_desc_init, then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_part_desc {
    /// sizeof(exrkit_part_desc), set by exrkit_part_desc_init.
    pub struct_size: usize,
    /// Part name (NUL-terminated; required in multipart files), or NULL.
    pub name: *const c_char,
    /// EXRKIT_STORAGE_SCANLINE or EXRKIT_STORAGE_TILED.
    pub storage: exrkit_storage,
    /// EXRKIT_COMPRESSION_*.
    pub compression: exrkit_compression,
    /// Pixels the part holds (inclusive).
    pub data_window: exrkit_box2i,
    /// The full frame (inclusive).
    pub display_window: exrkit_box2i,
    /// EXRKIT_LINE_ORDER_* (RANDOM_Y for tiled parts only).
    pub line_order: exrkit_line_order,
    /// Tile width (tiled parts).
    pub tile_width: u32,
    /// Tile height (tiled parts).
    pub tile_height: u32,
    /// EXRKIT_LEVEL_* (tiled parts).
    pub level_mode: exrkit_level_mode,
    /// EXRKIT_ROUND_* (tiled parts).
    pub rounding_mode: exrkit_rounding_mode,
    /// For ZIP, ZIPS and PXR24 the deflate level, 1-12; for DWAA and DWAB
    /// the DWA level, any finite value above 0 (higher quantises harder;
    /// the error each DCT coefficient may take is level / 100000 times
    /// JPEG's table); for ZSTD the zstd level, 1-22. 0 = OpenEXR's default
    /// (zip 4, DWA 45, zstd 5).
    pub compression_level: f32,
}

const PART_DESC_MIN_SIZE: usize = std::mem::size_of::<exrkit_part_desc>();

fn part_defaults() -> exrkit_part_desc {
    let d = PartDesc::default();
    let tiles = d.tiles.unwrap_or_default();
    exrkit_part_desc {
        struct_size: std::mem::size_of::<exrkit_part_desc>(),
        name: std::ptr::null(),
        storage: d.storage as exrkit_storage,
        compression: d.compression as exrkit_compression,
        data_window: d.data_window.into(),
        display_window: d.display_window.into(),
        line_order: d.line_order as exrkit_line_order,
        tile_width: tiles.width,
        tile_height: tiles.height,
        level_mode: tiles.level_mode as exrkit_level_mode,
        rounding_mode: tiles.rounding_mode as exrkit_rounding_mode,
        compression_level: d.zip_level.map_or(0.0, |level| level as f32),
    }
}

/// An open writer. Its calls come in two kinds, and exrkit enforces the
/// difference rather than trusting it:
///
/// - chunk writes (exrkit_write_block, exrkit_write_chunk,
///   exrkit_write_image, exrkit_write_deep_block, exrkit_write_deep_image)
///   and exrkit_writer_memory may run from any number of threads at once;
/// - every other call (exrkit_add_part, exrkit_add_channel,
///   exrkit_set_attribute and exrkit_set_attribute_*, exrkit_copy_header,
///   exrkit_write_header, exrkit_finish) must be alone on the writer.
///
/// A call that finds the writer busy the other way (exrkit_finish while a
/// chunk is being written, a chunk write during exrkit_finish, two
/// exrkit_add_channel at once) does not wait: it fails with
/// EXRKIT_ERR_BAD_STATE, changes nothing, and may be made again once the
/// other call has returned. This holds for calls made from inside a
/// progress or stream callback too. exrkit_writer_free must come after
/// every other call on the writer has returned; one that finds a call
/// still running keeps the writer rather than free it under that call.
pub struct exrkit_writer {
    pub(super) writer: RwLock<Writer>,
}

/// Fills `options` with the defaults: EXR, all cores, no progress callback.
///
/// # Safety
/// `options` must be NULL or point to a writable exrkit_write_options.
#[no_mangle]
pub unsafe extern "C" fn exrkit_write_options_init(
    options: *mut exrkit_write_options,
) -> exrkit_status {
    guard(|| {
        let options = out(options, "options")?;
        // SAFETY: checked non-NULL; the caller provides a whole struct.
        unsafe { write(options, write_defaults()) };
        Ok(())
    })
}

/// Fills `desc` with the defaults: a 64x64 scanline part at the origin, ZIP,
/// increasing line order, 64x64 single-level tiles if made tiled.
///
/// # Safety
/// `desc` must be NULL or point to a writable exrkit_part_desc.
#[no_mangle]
pub unsafe extern "C" fn exrkit_part_desc_init(desc: *mut exrkit_part_desc) -> exrkit_status {
    guard(|| {
        let desc = out(desc, "desc")?;
        // SAFETY: checked non-NULL; the caller provides a whole struct.
        unsafe { write(desc, part_defaults()) };
        Ok(())
    })
}

/// Rust write options from C ones (NULL = defaults).
///
/// # Safety
/// A non-NULL `options` must point to at least `struct_size` readable bytes.
unsafe fn write_options(options: *const exrkit_write_options) -> Result<WriteOptions> {
    // SAFETY: forwarded from the caller.
    let c = unsafe {
        versioned(
            options,
            WRITE_OPTIONS_MIN_SIZE,
            write_defaults(),
            "options",
            INIT_FIRST,
        )
    }?;
    Ok(WriteOptions {
        format: enum_field(c.format, "options.format")?,
        threads: c.threads,
        progress: c_progress(c.progress, c.progress_user),
    })
}

fn finish_create(writer: Writer, out_writer: *mut *mut exrkit_writer) {
    let handle = exrkit_writer {
        writer: RwLock::new(writer),
    };
    // SAFETY: out_writer was checked non-NULL by the caller of this function.
    unsafe { hand_out(handle, out_writer) };
}

/// Creates a writer for the file at `path`. The file is written under a
/// temporary name in the same folder and renamed into place by
/// exrkit_finish; a writer freed before finishing, or a failed write,
/// leaves `path` as it was.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use.
#[no_mangle]
pub unsafe extern "C" fn exrkit_create(
    path: *const c_char,
    options: *const exrkit_write_options,
    writer: *mut *mut exrkit_writer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: the caller passes a NUL-terminated path or NULL.
        let path = unsafe { arg_str(path, "path") }?;
        let out_writer = out(writer, "writer")?;
        // SAFETY: the caller passes a valid options struct or NULL.
        let options = unsafe { write_options(options) }?;
        finish_create(
            Writer::create(path_from_c(path.to_bytes()), options)?,
            out_writer,
        );
        Ok(())
    })
}

/// Creates a writer that keeps the file in memory; after exrkit_finish,
/// exrkit_writer_memory gives its bytes.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use.
#[no_mangle]
pub unsafe extern "C" fn exrkit_create_memory(
    options: *const exrkit_write_options,
    writer: *mut *mut exrkit_writer,
) -> exrkit_status {
    guard(|| {
        let out_writer = out(writer, "writer")?;
        // SAFETY: the caller passes a valid options struct or NULL.
        let options = unsafe { write_options(options) }?;
        finish_create(Writer::to_memory(options), out_writer);
        Ok(())
    })
}

/// Creates a writer whose bytes go to `stream`'s positioned-write
/// callbacks; its `finish` callback runs only when exrkit_finish completes
/// the file, so a stream can make its output appear atomically. The
/// callbacks may be called from any thread, never two at once; `write_at`
/// offsets come in no particular order.
///
/// # Safety
/// Pointers must be NULL or valid for their documented use; the callbacks
/// must stay callable until the writer is freed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_create_stream(
    stream: *const exrkit_output_stream,
    options: *const exrkit_write_options,
    writer: *mut *mut exrkit_writer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a valid stream struct of `struct_size` bytes, or NULL.
        let stream = unsafe {
            versioned(
                non_null(stream, "stream")?,
                std::mem::size_of::<exrkit_output_stream>(),
                exrkit_output_stream::EMPTY,
                "stream",
                "set it to sizeof(exrkit_output_stream)",
            )
        }?;
        let out_writer = out(writer, "writer")?;
        // SAFETY: the caller passes a valid options struct or NULL.
        let options = unsafe { write_options(options) }?;
        let sink = CallbackSink::new(stream)?;
        finish_create(Writer::to_sink(Box::new(sink), options), out_writer);
        Ok(())
    })
}

/// Frees a writer; an unfinished file is discarded and its target left as
/// it was. NULL is ignored.
///
/// Must come after every other call on the writer has returned; a writer
/// a call is still running on is kept, not freed (see exrkit_writer).
///
/// # Safety
/// `writer` must be NULL or come from exrkit_create* and not be freed yet.
#[no_mangle]
pub unsafe extern "C" fn exrkit_writer_free(writer: *mut exrkit_writer) {
    // SAFETY: a writer from exrkit_create*, freed once, or NULL.
    guard_silent(|| unsafe { free_writer(writer) });
}

/// A tile description from its C fields; `what` names them in errors.
pub(super) fn tile_desc(
    width: u32,
    height: u32,
    level_mode: exrkit_level_mode,
    rounding_mode: exrkit_rounding_mode,
    what: &str,
) -> Result<TileDesc> {
    Ok(TileDesc {
        width,
        height,
        level_mode: enum_field(level_mode, &format!("{what}.level_mode"))?,
        rounding_mode: enum_field(rounding_mode, &format!("{what}.rounding_mode"))?,
    })
}

/// A channel from its C description; `what` names it in errors.
///
/// # Safety
/// The channel's name must be NULL or NUL-terminated.
pub(super) unsafe fn channel(c: &exrkit_channel, what: &str) -> Result<Channel> {
    // SAFETY: the channel's name is NUL-terminated or NULL.
    let name = unsafe { arg_str(c.name, &format!("{what}.name")) }?;
    let pixel_type = enum_field(c.r#type, &format!("{what}.type"))?;
    Ok(Channel {
        name: Text::new(name.to_bytes()),
        pixel_type,
        p_linear: c.p_linear,
        x_sampling: c.x_sampling,
        y_sampling: c.y_sampling,
    })
}

/// A NUL-terminated UTF-8 argument.
///
/// # Safety
/// `ptr` must be NULL or NUL-terminated.
pub(super) unsafe fn arg_utf8<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded from the caller.
    let text = unsafe { arg_str(ptr, what) }?;
    std::str::from_utf8(text.to_bytes())
        .map_err(|_| Error::InvalidArgument(format!("'{what}' is not UTF-8")))
}

/// Sets attribute `name` of `part` to the value `make` builds from the
/// caller's arguments: what every typed exrkit_set_attribute_* does.
///
/// # Safety
/// `writer` must be NULL or come from exrkit_create* and not be freed;
/// `name` must be NULL or NUL-terminated.
pub(super) unsafe fn set_value(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    make: impl FnOnce() -> Result<Value>,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let mut w = unsafe { writer_exclusive(writer) }?;
        // SAFETY: NUL-terminated or NULL.
        let name = unsafe { arg_utf8(name, "name") }?;
        w.set_value(part as usize, name, &make()?)
    })
}

/// Rust part description from a C one.
///
/// # Safety
/// `desc` must point to at least `struct_size` readable bytes, and a
/// non-NULL name must be NUL-terminated.
unsafe fn part_desc(desc: *const exrkit_part_desc) -> Result<PartDesc> {
    // SAFETY: forwarded from the caller.
    let c = unsafe {
        versioned(
            non_null(desc, "desc")?,
            PART_DESC_MIN_SIZE,
            part_defaults(),
            "desc",
            INIT_FIRST,
        )
    }?;
    let name = if c.name.is_null() {
        None
    } else {
        // SAFETY: a NUL-terminated name per this function's contract.
        let bytes = unsafe { CStr::from_ptr(c.name) }.to_bytes();
        Some(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| Error::InvalidArgument("desc.name is not UTF-8".into()))?,
        )
    };
    let storage: Storage = enum_field(c.storage, "desc.storage")?;
    let compression = enum_field(c.compression, "desc.compression")?;
    let line_order = enum_field(c.line_order, "desc.line_order")?;
    let tiles = if storage.is_tiled() {
        Some(tile_desc(
            c.tile_width,
            c.tile_height,
            c.level_mode,
            c.rounding_mode,
            "desc",
        )?)
    } else {
        None
    };
    // The writer checks the level's range; only what no level could be
    // stops here.
    let level = c.compression_level;
    let (zip_level, dwa_level, zstd_level) = match compression {
        _ if level == 0.0 => (None, None, None),
        Compression::Dwaa | Compression::Dwab => (None, Some(level), None),
        Compression::Zstd => {
            if level.fract() != 0.0 || level.abs() > 1e9 {
                return Err(Error::InvalidArgument(format!(
                    "desc.compression_level {level} is not a zstd level"
                )));
            }
            (None, None, Some(level as i32))
        }
        _ if (0.0..=u32::MAX as f32).contains(&level) => (Some(level as u32), None, None),
        _ => {
            return Err(Error::InvalidArgument(format!(
                "desc.compression_level {level} is not a {} level",
                if compression == Compression::Zstd {
                    "zstd"
                } else {
                    "deflate"
                }
            )))
        }
    };
    Ok(PartDesc {
        name,
        storage,
        compression,
        data_window: c.data_window.into(),
        display_window: c.display_window.into(),
        line_order,
        tiles,
        zip_level,
        dwa_level,
        zstd_level,
    })
}

/// Adds a part described by `desc`; `*part` receives its index.
///
/// Must be alone on the writer (EXRKIT_ERR_BAD_STATE if another call runs
/// on it; see exrkit_writer).
///
/// # Safety
/// Pointers must be NULL or valid for their documented use.
#[no_mangle]
pub unsafe extern "C" fn exrkit_add_part(
    writer: *mut exrkit_writer,
    desc: *const exrkit_part_desc,
    part: *mut u32,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let mut w = unsafe { writer_exclusive(writer) }?;
        let part = out(part, "part")?;
        // SAFETY: the caller passes a valid description.
        let desc = unsafe { part_desc(desc) }?;
        let index = w.add_part(desc)?;
        // SAFETY: checked non-NULL.
        unsafe { write(part, index as u32) };
        Ok(())
    })
}

/// Adds a channel to `part` (any order; files keep channels sorted by name).
///
/// Must be alone on the writer (EXRKIT_ERR_BAD_STATE if another call runs
/// on it; see exrkit_writer).
///
/// # Safety
/// Pointers must be NULL or valid for their documented use.
#[no_mangle]
pub unsafe extern "C" fn exrkit_add_channel(
    writer: *mut exrkit_writer,
    part: u32,
    channel: *const exrkit_channel,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let mut w = unsafe { writer_exclusive(writer) }?;
        // SAFETY: a valid channel or NULL, its name NUL-terminated or NULL.
        let c = unsafe { self::channel(arg(channel, "channel")?, "channel") }?;
        w.add_channel(part as usize, c)
    })
}

/// Sets attribute `name` of `part` to `size` bytes of type `type_name`, as
/// the file stores them (little-endian values; for `string`, the text
/// without a NUL). Replaces an attribute of that name, standard ones
/// included; the bytes must decode as their type says.
///
/// Must be alone on the writer (EXRKIT_ERR_BAD_STATE if another call runs
/// on it; see exrkit_writer).
///
/// # Safety
/// Strings must be NUL-terminated; `bytes` must hold `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    type_name: *const c_char,
    bytes: *const c_void,
    size: usize,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let mut w = unsafe { writer_exclusive(writer) }?;
        // SAFETY: NUL-terminated strings or NULL.
        let (name, type_name) =
            unsafe { (arg_utf8(name, "name")?, arg_utf8(type_name, "type_name")?) };
        // SAFETY: the caller provides `size` readable bytes.
        let data = unsafe { arg_slice(bytes.cast::<u8>(), size, "bytes") }?;
        w.set_attribute(part as usize, name, type_name, data)
    })
}

/// Adds a part with the header of part `src_part` of `reader`: storage,
/// compression, windows, line order, tiles, channels and every other
/// attribute (chunkCount and the like are recomputed); `*part` receives
/// its index. The read-modify-write path: change it with
/// exrkit_set_attribute before exrkit_write_header.
///
/// Must be alone on the writer (EXRKIT_ERR_BAD_STATE if another call runs
/// on it; see exrkit_writer).
///
/// # Safety
/// Pointers must be NULL or valid for their documented use.
#[no_mangle]
pub unsafe extern "C" fn exrkit_copy_header(
    writer: *mut exrkit_writer,
    reader: *const super::reader::exrkit_reader,
    src_part: u32,
    part: *mut u32,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let mut w = unsafe { writer_exclusive(writer) }?;
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let part = out(part, "part")?;
        let header = r.reader.header(src_part as usize)?;
        let index = w.copy_header(header)?;
        // SAFETY: checked non-NULL.
        unsafe { write(part, index as u32) };
        Ok(())
    })
}

/// Checks every part and writes the header; chunks may follow.
///
/// Must be alone on the writer (EXRKIT_ERR_BAD_STATE if another call runs
/// on it; see exrkit_writer).
///
/// # Safety
/// `writer` must be NULL or come from exrkit_create* and not be freed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_write_header(writer: *mut exrkit_writer) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        unsafe { writer_exclusive(writer) }?.write_header()
    })
}

/// Compresses and writes chunk `chunk` of `part` from `fb`, whose window
/// must cover the chunk's pixels. May be called from many threads at once
/// and in any order: chunks arriving early are held until the file's order
/// reaches them (EXRKIT_ERR_BAD_STATE during a call that must be alone on
/// the writer; see exrkit_writer).
///
/// # Safety
/// `writer` must come from exrkit_create* and not be freed; `fb` must be
/// valid, with slice memory readable for every pixel of its window.
#[no_mangle]
pub unsafe extern "C" fn exrkit_write_block(
    writer: *mut exrkit_writer,
    part: u32,
    chunk: u64,
    fb: *const exrkit_framebuffer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let w = unsafe { writer_shared(writer) }?;
        // SAFETY: the caller vouches for the frame buffer.
        let frame = unsafe { frame_buffer(fb) }?;
        w.write_block(part as usize, chunk, &frame)
    })
}

/// Compresses and writes every chunk of level (`level_x`, `level_y`) of
/// `part` from `fb`, whose window must cover the level, on the writer's
/// threads.
///
/// May run beside other chunk writes on the writer, from any thread
/// (EXRKIT_ERR_BAD_STATE during a call that must be alone on it; see
/// exrkit_writer).
///
/// # Safety
/// As for exrkit_write_block.
#[no_mangle]
pub unsafe extern "C" fn exrkit_write_image(
    writer: *mut exrkit_writer,
    part: u32,
    level_x: i32,
    level_y: i32,
    fb: *const exrkit_framebuffer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let w = unsafe { writer_shared(writer) }?;
        let (lx, ly) = level(level_x, level_y)?;
        // SAFETY: the caller vouches for the frame buffer.
        let frame = unsafe { frame_buffer(fb) }?;
        w.write_image(part as usize, lx, ly, &frame)
    })
}

/// Writes chunk `chunk` of `part` from `size` already-compressed bytes, as
/// exrkit_read_chunk gives them, so a file can be re-wrapped without
/// recompressing. Flat parts only (EXRKIT_ERR_INVALID_ARGUMENT for deep
/// ones, whose chunks would need the size of their sample table too):
/// write deep chunks with exrkit_write_deep_block.
///
/// May run beside other chunk writes on the writer, from any thread
/// (EXRKIT_ERR_BAD_STATE during a call that must be alone on it; see
/// exrkit_writer).
///
/// # Safety
/// `writer` must come from exrkit_create* and not be freed; `packed` must
/// hold `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn exrkit_write_chunk(
    writer: *mut exrkit_writer,
    part: u32,
    chunk: u64,
    packed: *const c_void,
    size: usize,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let w = unsafe { writer_shared(writer) }?;
        // SAFETY: the caller provides `size` readable bytes.
        let data = unsafe { arg_slice(packed.cast::<u8>(), size, "packed") }?;
        w.write_chunk(part as usize, chunk, data)
    })
}

/// Checks that every chunk of every level was written, writes the offset
/// tables and completes the file (renaming it into place). A finish that
/// fails with EXRKIT_ERR_BAD_STATE because a chunk was missing or another
/// call was running leaves the writer as it was, to finish later.
///
/// Must be alone on the writer (EXRKIT_ERR_BAD_STATE if another call runs
/// on it; see exrkit_writer).
///
/// # Safety
/// `writer` must be NULL or come from exrkit_create* and not be freed.
#[no_mangle]
pub unsafe extern "C" fn exrkit_finish(writer: *mut exrkit_writer) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        unsafe { writer_exclusive(writer) }?.finish()
    })
}

/// After exrkit_finish on a writer from exrkit_create_memory, points `*data`
/// at the file's bytes (owned by the writer, valid until it is freed) and
/// writes their count to `*size`.
///
/// May run beside chunk writes and other exrkit_writer_memory calls, from
/// any thread (see exrkit_writer).
///
/// # Safety
/// Pointers must be NULL or valid for their documented use.
#[no_mangle]
pub unsafe extern "C" fn exrkit_writer_memory(
    writer: *const exrkit_writer,
    data: *mut *const c_void,
    size: *mut usize,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let w = unsafe { writer_shared(writer) }?;
        let data = out(data, "data")?;
        let size = out(size, "size")?;
        let Some(bytes) = w.bytes() else {
            return Err(Error::BadState(
                "only a finished writer from exrkit_create_memory holds bytes".into(),
            ));
        };
        // SAFETY: both checked non-NULL.
        unsafe {
            write(data, bytes.as_ptr().cast());
            write(size, bytes.len());
        }
        Ok(())
    })
}
