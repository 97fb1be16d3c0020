//! Compression methods, numbered as OpenEXR 3.5.3 numbers them, plus QOI.

use crate::error::{corrupt, Error, Result};
use crate::meta::types::try_from_discriminant;

/// How a part's chunks are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Uncompressed.
    None = 0,
    /// Run-length encoding.
    Rle = 1,
    /// Deflate, one scanline per chunk.
    Zips = 2,
    /// Deflate, 16 scanlines per chunk.
    Zip = 3,
    /// Wavelet and Huffman.
    Piz = 4,
    /// Lossy 24-bit float, then deflate.
    Pxr24 = 5,
    /// Lossy 4x4 blocks.
    B44 = 6,
    /// Lossy 4x4 blocks with flat-area shortcut.
    B44a = 7,
    /// Lossy DCT, 32 scanlines per chunk.
    Dwaa = 8,
    /// Lossy DCT, 256 scanlines per chunk.
    Dwab = 9,
    /// High-throughput JPEG 2000, 256 scanlines per chunk.
    Htj2k256 = 10,
    /// High-throughput JPEG 2000, 32 scanlines per chunk.
    Htj2k32 = 11,
    /// Lossy high-throughput JPEG 2000.
    LossyHtj2k = 12,
    /// Zstandard.
    Zstd = 13,
    /// The QOI format's own coding (QOI files only).
    Qoi = 14,
}

try_from_discriminant!(
    Compression,
    "compression",
    [
        None, Rle, Zips, Zip, Piz, Pxr24, B44, B44a, Dwaa, Dwab, Htj2k256, Htj2k32, LossyHtj2k,
        Zstd, Qoi
    ]
);

impl Compression {
    /// Every EXR compression, in id order.
    pub const EXR_ALL: [Self; 14] = [
        Self::None,
        Self::Rle,
        Self::Zips,
        Self::Zip,
        Self::Piz,
        Self::Pxr24,
        Self::B44,
        Self::B44a,
        Self::Dwaa,
        Self::Dwab,
        Self::Htj2k256,
        Self::Htj2k32,
        Self::LossyHtj2k,
        Self::Zstd,
    ];

    /// The compression stored as `id` in an EXR `compression` attribute.
    pub fn from_exr_id(id: u8) -> Result<Self> {
        match Self::EXR_ALL.get(usize::from(id)) {
            Some(c) => Ok(*c),
            None => corrupt!("unknown compression id {id}"),
        }
    }

    /// The id an EXR `compression` attribute stores for this compression;
    /// QOI's own coding has none.
    pub fn exr_id(self) -> Result<u8> {
        match self {
            Self::Qoi => Err(Error::InvalidArgument(
                "QOI compression is for QOI files only".into(),
            )),
            other => Ok(other as u8),
        }
    }

    /// How many scanlines one chunk of a scanline part holds.
    pub fn lines_per_chunk(self) -> u32 {
        match self {
            Self::None | Self::Rle | Self::Zips | Self::Zstd | Self::Qoi => 1,
            Self::Zip | Self::Pxr24 => 16,
            Self::Piz | Self::B44 | Self::B44a | Self::Dwaa | Self::Htj2k32 => 32,
            Self::Dwab | Self::Htj2k256 | Self::LossyHtj2k => 256,
        }
    }

    /// Whether deep parts may hold this compression: OpenEXR 3.5's NONE,
    /// RLE, ZIPS and ZSTD, and ZIP, which OpenEXR refuses but other writers
    /// produce (exrkit reads it and does not write it).
    pub fn allowed_for_deep(self) -> bool {
        matches!(
            self,
            Self::None | Self::Rle | Self::Zips | Self::Zip | Self::Zstd
        )
    }

    /// A short lower-case name, as tools print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Rle => "rle",
            Self::Zips => "zips",
            Self::Zip => "zip",
            Self::Piz => "piz",
            Self::Pxr24 => "pxr24",
            Self::B44 => "b44",
            Self::B44a => "b44a",
            Self::Dwaa => "dwaa",
            Self::Dwab => "dwab",
            Self::Htj2k256 => "htj2k256",
            Self::Htj2k32 => "htj2k32",
            Self::LossyHtj2k => "lossy-htj2k",
            Self::Zstd => "zstd",
            Self::Qoi => "qoi",
        }
    }
}
