//! The plain C types of the API: enums as `uint32_t` with named constants,
//! and the structs the reader fills in.

use std::ffi::c_char;

use crate::error::Result;
use crate::meta::compression::Compression;
use crate::meta::types::{Box2i, LevelMode, LineOrder, PixelType, RoundingMode, Storage};
use crate::write::Format;

/// Which file format a reader or writer handles (`EXRKIT_FORMAT_*`).
pub type exrkit_format = u32;
/// OpenEXR.
pub const EXRKIT_FORMAT_EXR: exrkit_format = 0;
/// QOI ("Quite OK Image").
pub const EXRKIT_FORMAT_QOI: exrkit_format = 1;

/// How a part stores pixels (`EXRKIT_STORAGE_*`).
pub type exrkit_storage = u32;
/// Flat scanline blocks.
pub const EXRKIT_STORAGE_SCANLINE: exrkit_storage = 0;
/// Flat tiles.
pub const EXRKIT_STORAGE_TILED: exrkit_storage = 1;
/// Deep scanline blocks.
pub const EXRKIT_STORAGE_DEEP_SCANLINE: exrkit_storage = 2;
/// Deep tiles.
pub const EXRKIT_STORAGE_DEEP_TILED: exrkit_storage = 3;

/// Compression method (`EXRKIT_COMPRESSION_*`); 0-13 are OpenEXR 3.5.3's ids.
pub type exrkit_compression = u32;
/// Uncompressed.
pub const EXRKIT_COMPRESSION_NONE: exrkit_compression = 0;
/// Run-length encoding. Deep parts are written in NONE, RLE, ZIPS or ZSTD,
/// the codecs OpenEXR 3.5 opens deep data in (deep ZIP is read, not
/// written).
pub const EXRKIT_COMPRESSION_RLE: exrkit_compression = 1;
/// Deflate, one scanline per chunk.
pub const EXRKIT_COMPRESSION_ZIPS: exrkit_compression = 2;
/// Deflate, 16 scanlines per chunk.
pub const EXRKIT_COMPRESSION_ZIP: exrkit_compression = 3;
/// Wavelet and Huffman, 32 scanlines per chunk.
pub const EXRKIT_COMPRESSION_PIZ: exrkit_compression = 4;
/// Lossy 24-bit float and deflate, 16 scanlines per chunk.
pub const EXRKIT_COMPRESSION_PXR24: exrkit_compression = 5;
/// Lossy 4x4 blocks, 32 scanlines per chunk.
pub const EXRKIT_COMPRESSION_B44: exrkit_compression = 6;
/// Lossy 4x4 blocks with flat areas shortened, 32 scanlines per chunk.
pub const EXRKIT_COMPRESSION_B44A: exrkit_compression = 7;
/// Lossy DCT (DWA), 32 scanlines per chunk: R, G, B (as Y'CbCr), Y, RY
/// and BY lossy, A run-length coded, other channels and UINT lossless;
/// `compression_level` sets the DWA level. Not valid for deep parts.
pub const EXRKIT_COMPRESSION_DWAA: exrkit_compression = 8;
/// Lossy DCT (DWA) as DWAA, 256 scanlines per chunk.
pub const EXRKIT_COMPRESSION_DWAB: exrkit_compression = 9;
/// High-throughput JPEG 2000, 256 scanlines per chunk.
pub const EXRKIT_COMPRESSION_HTJ2K256: exrkit_compression = 10;
/// High-throughput JPEG 2000, 32 scanlines per chunk.
pub const EXRKIT_COMPRESSION_HTJ2K32: exrkit_compression = 11;
/// Lossy high-throughput JPEG 2000, 256 scanlines per chunk.
pub const EXRKIT_COMPRESSION_LOSSY_HTJ2K: exrkit_compression = 12;
/// Zstandard (libzstd 1.5.7), one scanline per chunk, flat and deep:
/// samples grouped by size into byte planes (flat lines as differences),
/// as OpenEXR 3.5 packs them; `compression_level` sets the zstd level,
/// 1-22 (0: OpenEXR's default, 5). Not read by OpenEXR before 3.5.
pub const EXRKIT_COMPRESSION_ZSTD: exrkit_compression = 13;
/// QOI's own coding (QOI files only).
pub const EXRKIT_COMPRESSION_QOI: exrkit_compression = 14;

/// Sample type (`EXRKIT_PIXEL_*`); 0-2 are the file's codes.
pub type exrkit_pixel_type = u32;
/// 32-bit unsigned integer.
pub const EXRKIT_PIXEL_UINT: exrkit_pixel_type = 0;
/// 16-bit half float.
pub const EXRKIT_PIXEL_HALF: exrkit_pixel_type = 1;
/// 32-bit float.
pub const EXRKIT_PIXEL_FLOAT: exrkit_pixel_type = 2;
/// 8-bit unsigned integer (QOI and 8-bit output).
pub const EXRKIT_PIXEL_U8: exrkit_pixel_type = 3;

/// Order in which chunks were written (`EXRKIT_LINE_ORDER_*`).
pub type exrkit_line_order = u32;
/// Top to bottom.
pub const EXRKIT_LINE_ORDER_INCREASING_Y: exrkit_line_order = 0;
/// Bottom to top.
pub const EXRKIT_LINE_ORDER_DECREASING_Y: exrkit_line_order = 1;
/// Any order (tiled parts).
pub const EXRKIT_LINE_ORDER_RANDOM_Y: exrkit_line_order = 2;

/// Resolution levels of a tiled part (`EXRKIT_LEVEL_*`).
pub type exrkit_level_mode = u32;
/// Full resolution only.
pub const EXRKIT_LEVEL_ONE: exrkit_level_mode = 0;
/// Mip map: levels halved in both directions.
pub const EXRKIT_LEVEL_MIPMAP: exrkit_level_mode = 1;
/// Rip map: levels halved in each direction independently.
pub const EXRKIT_LEVEL_RIPMAP: exrkit_level_mode = 2;

/// Rounding of level sizes (`EXRKIT_ROUND_*`).
pub type exrkit_rounding_mode = u32;
/// Round down.
pub const EXRKIT_ROUND_DOWN: exrkit_rounding_mode = 0;
/// Round up.
pub const EXRKIT_ROUND_UP: exrkit_rounding_mode = 1;

// The C values are the core's own numbering: each constant equals the
// discriminant of its Rust variant, which `TryFrom<u32>` decodes.
const _: () = {
    assert!(Format::Exr as u32 == EXRKIT_FORMAT_EXR);
    assert!(Format::Qoi as u32 == EXRKIT_FORMAT_QOI);
    assert!(Storage::Scanline as u32 == EXRKIT_STORAGE_SCANLINE);
    assert!(Storage::Tiled as u32 == EXRKIT_STORAGE_TILED);
    assert!(Storage::DeepScanline as u32 == EXRKIT_STORAGE_DEEP_SCANLINE);
    assert!(Storage::DeepTiled as u32 == EXRKIT_STORAGE_DEEP_TILED);
    assert!(Compression::None as u32 == EXRKIT_COMPRESSION_NONE);
    assert!(Compression::Rle as u32 == EXRKIT_COMPRESSION_RLE);
    assert!(Compression::Zips as u32 == EXRKIT_COMPRESSION_ZIPS);
    assert!(Compression::Zip as u32 == EXRKIT_COMPRESSION_ZIP);
    assert!(Compression::Piz as u32 == EXRKIT_COMPRESSION_PIZ);
    assert!(Compression::Pxr24 as u32 == EXRKIT_COMPRESSION_PXR24);
    assert!(Compression::B44 as u32 == EXRKIT_COMPRESSION_B44);
    assert!(Compression::B44a as u32 == EXRKIT_COMPRESSION_B44A);
    assert!(Compression::Dwaa as u32 == EXRKIT_COMPRESSION_DWAA);
    assert!(Compression::Dwab as u32 == EXRKIT_COMPRESSION_DWAB);
    assert!(Compression::Htj2k256 as u32 == EXRKIT_COMPRESSION_HTJ2K256);
    assert!(Compression::Htj2k32 as u32 == EXRKIT_COMPRESSION_HTJ2K32);
    assert!(Compression::LossyHtj2k as u32 == EXRKIT_COMPRESSION_LOSSY_HTJ2K);
    assert!(Compression::Zstd as u32 == EXRKIT_COMPRESSION_ZSTD);
    assert!(Compression::Qoi as u32 == EXRKIT_COMPRESSION_QOI);
    assert!(PixelType::Uint as u32 == EXRKIT_PIXEL_UINT);
    assert!(PixelType::Half as u32 == EXRKIT_PIXEL_HALF);
    assert!(PixelType::Float as u32 == EXRKIT_PIXEL_FLOAT);
    assert!(PixelType::U8 as u32 == EXRKIT_PIXEL_U8);
    assert!(LineOrder::IncreasingY as u32 == EXRKIT_LINE_ORDER_INCREASING_Y);
    assert!(LineOrder::DecreasingY as u32 == EXRKIT_LINE_ORDER_DECREASING_Y);
    assert!(LineOrder::RandomY as u32 == EXRKIT_LINE_ORDER_RANDOM_Y);
    assert!(LevelMode::One as u32 == EXRKIT_LEVEL_ONE);
    assert!(LevelMode::Mipmap as u32 == EXRKIT_LEVEL_MIPMAP);
    assert!(LevelMode::Ripmap as u32 == EXRKIT_LEVEL_RIPMAP);
    assert!(RoundingMode::Down as u32 == EXRKIT_ROUND_DOWN);
    assert!(RoundingMode::Up as u32 == EXRKIT_ROUND_UP);
};

/// A C enumeration value decoded by the core, or an error naming `field`
/// (as the caller spells it) and the value.
pub(crate) fn enum_field<T: TryFrom<u32, Error = crate::Error>>(
    value: u32,
    field: &str,
) -> Result<T> {
    T::try_from(value).map_err(|e| e.context(field))
}

/// An integer rectangle with inclusive corners, as stored in the file.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct exrkit_box2i {
    /// Left column.
    pub min_x: i32,
    /// Top row.
    pub min_y: i32,
    /// Right column, inclusive.
    pub max_x: i32,
    /// Bottom row, inclusive.
    pub max_y: i32,
}

impl From<Box2i> for exrkit_box2i {
    fn from(b: Box2i) -> Self {
        Self {
            min_x: b.min_x,
            min_y: b.min_y,
            max_x: b.max_x,
            max_y: b.max_y,
        }
    }
}

/// A float rectangle.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct exrkit_box2f {
    /// Minimum x.
    pub min_x: f32,
    /// Minimum y.
    pub min_y: f32,
    /// Maximum x.
    pub max_x: f32,
    /// Maximum y.
    pub max_y: f32,
}

/// A part's header, as `exrkit_read_header` reports it. Strings are owned by
/// the reader and valid until `exrkit_close`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_header {
    /// EXRKIT_FORMAT_EXR or EXRKIT_FORMAT_QOI.
    pub format: exrkit_format,
    /// The part's `name` attribute, or NULL if it has none.
    pub name: *const c_char,
    /// Scanline or tiled, flat or deep.
    pub storage: exrkit_storage,
    /// Compression of every chunk.
    pub compression: exrkit_compression,
    /// Order chunks were written in.
    pub line_order: exrkit_line_order,
    /// The pixels stored.
    pub data_window: exrkit_box2i,
    /// The full frame.
    pub display_window: exrkit_box2i,
    /// Pixel width divided by pixel height.
    pub pixel_aspect_ratio: f32,
    /// Number of channels (see exrkit_get_channel).
    pub channel_count: u32,
    /// Number of attributes (see exrkit_get_attribute).
    pub attribute_count: u32,
    /// Number of chunks in the offset table.
    pub chunk_count: u64,
    /// Scanlines per chunk (scanline parts), 0 for tiled parts.
    pub lines_per_chunk: u32,
    /// Tile width (tiled parts), 0 otherwise.
    pub tile_width: u32,
    /// Tile height (tiled parts), 0 otherwise.
    pub tile_height: u32,
    /// Level mode (tiled parts; EXRKIT_LEVEL_ONE otherwise).
    pub level_mode: exrkit_level_mode,
    /// Rounding of level sizes (tiled parts; EXRKIT_ROUND_DOWN otherwise).
    pub rounding_mode: exrkit_rounding_mode,
    /// Number of horizontal levels (1 unless mip or rip mapped).
    pub level_count_x: u32,
    /// Number of vertical levels (1 unless mip or rip mapped).
    pub level_count_y: u32,
}

/// One channel of a part.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_channel {
    /// The channel's name, e.g. "R" or "diffuse.G"; owned by the reader.
    pub name: *const c_char,
    /// How samples are stored.
    pub r#type: exrkit_pixel_type,
    /// One sample per this many columns.
    pub x_sampling: i32,
    /// One sample per this many rows.
    pub y_sampling: i32,
    /// Hint that the channel is perceptually linear.
    pub p_linear: bool,
}

/// Where one chunk lies and what it holds (see exrkit_get_chunk_info).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct exrkit_chunk_info {
    /// The chunk's index in its part's offset table.
    pub index: u64,
    /// The pixels it covers, in the coordinates of its level.
    pub region: exrkit_box2i,
    /// Horizontal level (0 for scanline parts).
    pub level_x: i32,
    /// Vertical level (0 for scanline parts).
    pub level_y: i32,
    /// Tile column (0 for scanline parts).
    pub tile_x: i32,
    /// Tile row, or the block index for scanline parts.
    pub tile_y: i32,
    /// File offset of the chunk's leader.
    pub offset: u64,
    /// File offset of the bytes exrkit_read_chunk returns.
    pub data_offset: u64,
    /// Bytes of the packed sample count table (deep parts; 0 otherwise).
    pub sample_table_size: u64,
    /// Bytes of packed pixel data.
    pub packed_size: u64,
    /// Bytes of pixel data once decompressed.
    pub unpacked_size: u64,
    /// Bytes exrkit_read_chunk writes: sample_table_size + packed_size.
    pub read_size: u64,
}

/// A level a caller passed, checked not to be negative.
pub(crate) fn level(level_x: i32, level_y: i32) -> Result<(u32, u32)> {
    match (u32::try_from(level_x), u32::try_from(level_y)) {
        (Ok(x), Ok(y)) => Ok((x, y)),
        _ => Err(crate::Error::InvalidArgument(format!(
            "level ({level_x}, {level_y}) is negative"
        ))),
    }
}

impl From<exrkit_box2i> for Box2i {
    fn from(b: exrkit_box2i) -> Self {
        Self {
            min_x: b.min_x,
            min_y: b.min_y,
            max_x: b.max_x,
            max_y: b.max_y,
        }
    }
}
