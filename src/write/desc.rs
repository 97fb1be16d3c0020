//! What a part is, as a caller describes it to a writer: its defaults and
//! the rules a description must keep on its own, the same for Rust and C
//! callers.

use std::ops::RangeInclusive;

use super::Format;
use crate::error::{Error, Result};
use crate::meta::compression::Compression;
use crate::meta::types::{Box2i, LineOrder, Storage, TileDesc};

/// What a part is: storage, compression, windows, line order and tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct PartDesc {
    /// The part's name (required in multipart files).
    pub name: Option<String>,
    /// Scanline or tiled.
    pub storage: Storage,
    /// How chunks are compressed.
    pub compression: Compression,
    /// The pixels the part holds (inclusive).
    pub data_window: Box2i,
    /// The full frame (inclusive).
    pub display_window: Box2i,
    /// The order chunks are stored in (RANDOM_Y for tiled parts only).
    pub line_order: LineOrder,
    /// Tile size and levels, for tiled parts.
    pub tiles: Option<TileDesc>,
    /// Deflate level for ZIP, ZIPS and PXR24 (and DWA's DC section), within
    /// [`PartDesc::ZIP_LEVELS`] (`None`: OpenEXR's default).
    pub zip_level: Option<u32>,
    /// DWA compression level for DWAA and DWAB, finite and at least 0
    /// (`None`: OpenEXR's default, 45). Higher levels quantise harder:
    /// the error each DCT coefficient may take grows with it. (C and
    /// Python take 0 as the default, so only Rust can ask for level 0.)
    pub dwa_level: Option<f32>,
    /// zstd level for ZSTD, within [`PartDesc::ZSTD_LEVELS`] (`None`:
    /// OpenEXR's default, 5).
    pub zstd_level: Option<i32>,
}

impl Default for PartDesc {
    /// A 64x64 scanline part at the origin with ZIP compression.
    fn default() -> Self {
        Self::scanline(Box2i {
            min_x: 0,
            min_y: 0,
            max_x: 63,
            max_y: 63,
        })
    }
}

impl PartDesc {
    /// The deflate levels a part may ask for.
    pub const ZIP_LEVELS: RangeInclusive<u32> = 1..=12;

    /// The zstd levels a part may ask for (OpenEXR's range).
    pub const ZSTD_LEVELS: RangeInclusive<i32> = crate::codec::ZSTD_LEVELS;

    /// The compressions OpenEXR 3.5 opens deep parts in.
    pub const DEEP_COMPRESSIONS: [Compression; 4] = [
        Compression::None,
        Compression::Rle,
        Compression::Zips,
        Compression::Zstd,
    ];

    /// A scanline part of `window` with ZIP compression.
    pub fn scanline(window: Box2i) -> Self {
        Self {
            name: None,
            storage: Storage::Scanline,
            compression: Compression::Zip,
            data_window: window,
            display_window: window,
            line_order: LineOrder::IncreasingY,
            tiles: None,
            zip_level: None,
            dwa_level: None,
            zstd_level: None,
        }
    }

    /// Checks the rules the description keeps on its own, for a file of
    /// `format` (the rest is checked with the whole header).
    pub(crate) fn check(&self, format: Format) -> Result<()> {
        within("zip", self.zip_level, Self::ZIP_LEVELS)?;
        if let Some(level) = self.dwa_level {
            if !(level.is_finite() && level >= 0.0) {
                return Err(Error::InvalidArgument(format!(
                    "DWA level {level} is not a finite number at least 0"
                )));
            }
        }
        within("zstd", self.zstd_level, Self::ZSTD_LEVELS)?;
        if self.storage.is_deep() && !Self::DEEP_COMPRESSIONS.contains(&self.compression) {
            let allowed: Vec<&str> = Self::DEEP_COMPRESSIONS.iter().map(|c| c.name()).collect();
            return Err(Error::InvalidArgument(format!(
                "{} compression is not written for deep parts: OpenEXR 3.5 opens deep data in {} only",
                self.compression.name(),
                allowed.join(", ")
            )));
        }
        if format == Format::Exr {
            self.compression.exr_id()?;
            if matches!(
                self.compression,
                Compression::Htj2k256 | Compression::Htj2k32 | Compression::LossyHtj2k
            ) {
                return Err(Error::Unsupported(format!(
                    "{} compression is read but not written yet",
                    self.compression.name()
                )));
            }
        }
        Ok(())
    }
}

/// Fails unless `level`, when set, lies in `levels` (the codec's range).
fn within<T: PartialOrd + std::fmt::Display>(
    codec: &str,
    level: Option<T>,
    levels: RangeInclusive<T>,
) -> Result<()> {
    match level {
        Some(level) if !levels.contains(&level) => Err(Error::InvalidArgument(format!(
            "{codec} level {level} is outside {}-{} (unset: OpenEXR's default)",
            levels.start(),
            levels.end()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dwa_levels_must_be_finite_and_not_negative() {
        for level in [None, Some(0.0), Some(45.0), Some(1e6)] {
            let desc = PartDesc {
                dwa_level: level,
                ..PartDesc::default()
            };
            desc.check(Format::Exr).expect("a valid level");
        }
        for level in [-1.0, f32::NAN, f32::INFINITY] {
            let desc = PartDesc {
                dwa_level: Some(level),
                ..PartDesc::default()
            };
            assert!(desc.check(Format::Exr).is_err(), "{level}");
        }
    }

    #[test]
    fn zip_levels_outside_the_range_are_refused() {
        for level in [None, Some(1), Some(12)] {
            let desc = PartDesc {
                zip_level: level,
                ..PartDesc::default()
            };
            desc.check(Format::Exr).expect("a level in range");
        }
        for level in [0, 13] {
            let desc = PartDesc {
                zip_level: Some(level),
                ..PartDesc::default()
            };
            let error = desc.check(Format::Exr).expect_err("out of range");
            assert_eq!(
                error.message(),
                format!("zip level {level} is outside 1-12 (unset: OpenEXR's default)")
            );
        }
    }

    #[test]
    fn htj2k_is_not_written_yet() {
        for compression in [
            Compression::Htj2k256,
            Compression::Htj2k32,
            Compression::LossyHtj2k,
        ] {
            let desc = PartDesc {
                compression,
                ..PartDesc::default()
            };
            let error = desc.check(Format::Exr).unwrap_err();
            assert!(
                matches!(&error, Error::Unsupported(m) if m.contains("not written yet")),
                "{error}"
            );
        }
    }

    #[test]
    fn qoi_compression_is_for_qoi_files() {
        let desc = PartDesc {
            compression: Compression::Qoi,
            ..PartDesc::default()
        };
        desc.check(Format::Exr).expect_err("an EXR part");
        desc.check(Format::Qoi).expect("a QOI part");
    }
}
