//! The small value types of the format: boxes, pixel types, line orders,
//! level modes, storage kinds.

use crate::error::{corrupt, Result};

/// Implements `TryFrom<u32>` for a field-less enum from the list of its
/// variants: a value converts to the variant whose discriminant it is (the
/// C API's numbering), any other is an `Error::InvalidArgument` naming
/// `$what` and the value. A variant missing from the list fails to compile.
macro_rules! try_from_discriminant {
    ($type:ident, $what:literal, [$($variant:ident),+ $(,)?]) => {
        impl TryFrom<u32> for $type {
            type Error = $crate::error::Error;

            fn try_from(value: u32) -> $crate::error::Result<Self> {
                const _LISTS_EVERY_VARIANT: fn($type) = |v| match v {
                    $($type::$variant)|+ => {}
                };
                [$($type::$variant),+]
                    .into_iter()
                    .find(|v| *v as u32 == value)
                    .ok_or_else(|| {
                        $crate::error::Error::InvalidArgument(format!(
                            concat!("{} is not a known ", $what),
                            value
                        ))
                    })
            }
        }
    };
}
pub(crate) use try_from_discriminant;

/// An integer rectangle with inclusive corners, as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Box2i {
    /// Left column.
    pub min_x: i32,
    /// Top row.
    pub min_y: i32,
    /// Right column, inclusive.
    pub max_x: i32,
    /// Bottom row, inclusive.
    pub max_y: i32,
}

impl Box2i {
    /// Whether every pixel of `inner` lies inside this box.
    pub fn contains(&self, inner: Box2i) -> bool {
        self.min_x <= inner.min_x
            && self.min_y <= inner.min_y
            && inner.max_x <= self.max_x
            && inner.max_y <= self.max_y
    }

    /// Columns covered; zero or negative when the box is empty.
    pub fn width(&self) -> i64 {
        i64::from(self.max_x) - i64::from(self.min_x) + 1
    }

    /// Rows covered; zero or negative when the box is empty.
    pub fn height(&self) -> i64 {
        i64::from(self.max_y) - i64::from(self.min_y) + 1
    }

    /// Whether the box covers no pixel.
    pub fn is_empty(&self) -> bool {
        self.width() <= 0 || self.height() <= 0
    }

    /// The pixel count, or zero for an empty box.
    pub fn area(&self) -> u64 {
        if self.is_empty() {
            0
        } else {
            (self.width() as u64) * (self.height() as u64)
        }
    }
}

/// A float rectangle with inclusive corners.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Box2f {
    /// Minimum x.
    pub min_x: f32,
    /// Minimum y.
    pub min_y: f32,
    /// Maximum x.
    pub max_x: f32,
    /// Maximum y.
    pub max_y: f32,
}

/// How a sample is stored: the file's pixel type codes, plus `U8` for QOI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelType {
    /// 32-bit unsigned integer.
    Uint = 0,
    /// 16-bit IEEE half float.
    Half = 1,
    /// 32-bit IEEE float.
    Float = 2,
    /// 8-bit unsigned integer (QOI and 8-bit output only).
    U8 = 3,
}

impl PixelType {
    /// The type for a code read from a channel list; `U8` never appears in EXR.
    pub fn from_file_code(code: i32) -> Result<Self> {
        Ok(match code {
            0 => Self::Uint,
            1 => Self::Half,
            2 => Self::Float,
            _ => corrupt!("unknown pixel type {code}"),
        })
    }

    /// Bytes per sample.
    pub fn size(self) -> usize {
        match self {
            Self::Uint | Self::Float => 4,
            Self::Half => 2,
            Self::U8 => 1,
        }
    }
}

try_from_discriminant!(PixelType, "pixel type", [Uint, Half, Float, U8]);

/// The order in which scanline chunks were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOrder {
    /// Top to bottom.
    IncreasingY = 0,
    /// Bottom to top.
    DecreasingY = 1,
    /// Any order (tiled parts only).
    RandomY = 2,
}

impl LineOrder {
    /// The line order for the byte stored in a `lineOrder` attribute.
    pub fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            0 => Self::IncreasingY,
            1 => Self::DecreasingY,
            2 => Self::RandomY,
            _ => corrupt!("unknown line order {code}"),
        })
    }
}

try_from_discriminant!(LineOrder, "line order", [IncreasingY, DecreasingY, RandomY]);

/// Whether a tiled part stores one level, a mip map or a rip map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelMode {
    /// Only full resolution.
    One = 0,
    /// Levels halved in both directions at once.
    Mipmap = 1,
    /// Levels halved in each direction independently.
    Ripmap = 2,
}

try_from_discriminant!(LevelMode, "level mode", [One, Mipmap, Ripmap]);

/// How level sizes round when a dimension does not halve evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingMode {
    /// Round down.
    Down = 0,
    /// Round up.
    Up = 1,
}

try_from_discriminant!(RoundingMode, "rounding mode", [Down, Up]);

/// How a part stores its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Flat scanline blocks.
    Scanline = 0,
    /// Flat tiles.
    Tiled = 1,
    /// Deep scanline blocks.
    DeepScanline = 2,
    /// Deep tiles.
    DeepTiled = 3,
}

impl Storage {
    /// The value of the `type` attribute for this storage.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Scanline => "scanlineimage",
            Self::Tiled => "tiledimage",
            Self::DeepScanline => "deepscanline",
            Self::DeepTiled => "deeptile",
        }
    }

    /// The storage named by a `type` attribute.
    pub fn from_type_name(name: &[u8]) -> Option<Self> {
        [
            Self::Scanline,
            Self::Tiled,
            Self::DeepScanline,
            Self::DeepTiled,
        ]
        .into_iter()
        .find(|s| s.type_name().as_bytes() == name)
    }

    /// Whether chunks are tiles.
    pub fn is_tiled(self) -> bool {
        matches!(self, Self::Tiled | Self::DeepTiled)
    }

    /// Whether pixels hold a variable number of samples.
    pub fn is_deep(self) -> bool {
        matches!(self, Self::DeepScanline | Self::DeepTiled)
    }
}

try_from_discriminant!(
    Storage,
    "storage",
    [Scanline, Tiled, DeepScanline, DeepTiled]
);

/// The size and level layout of the tiles of a tiled part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileDesc {
    /// Tile width in pixels.
    pub width: u32,
    /// Tile height in pixels.
    pub height: u32,
    /// One level, mip map or rip map.
    pub level_mode: LevelMode,
    /// Rounding of level sizes.
    pub rounding_mode: RoundingMode,
}

impl Default for TileDesc {
    /// 64x64 tiles, one level.
    fn default() -> Self {
        Self {
            width: 64,
            height: 64,
            level_mode: LevelMode::One,
            rounding_mode: RoundingMode::Down,
        }
    }
}

impl TileDesc {
    /// Decodes the packed mode byte of a `tiledesc` attribute:
    /// level mode in the low nibble, rounding mode in the high one.
    pub fn from_parts(width: u32, height: u32, mode: u8) -> Result<Self> {
        let level_mode = match mode & 0x0f {
            0 => LevelMode::One,
            1 => LevelMode::Mipmap,
            2 => LevelMode::Ripmap,
            other => corrupt!("unknown tile level mode {other}"),
        };
        let rounding_mode = match mode >> 4 {
            0 => RoundingMode::Down,
            1 => RoundingMode::Up,
            other => corrupt!("unknown tile rounding mode {other}"),
        };
        Ok(Self {
            width,
            height,
            level_mode,
            rounding_mode,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::compression::Compression;

    /// Every variant of `all` comes back from its discriminant, and the
    /// first value past them is refused with a message naming it.
    fn round_trips<T>(all: &[T], what: &str)
    where
        T: Copy + PartialEq + std::fmt::Debug + TryFrom<u32, Error = crate::Error>,
        u32: From<T>,
    {
        for &v in all {
            assert_eq!(T::try_from(u32::from(v)).expect("a known value"), v);
        }
        let past = all.len() as u32;
        let error = T::try_from(past).expect_err("one past the last");
        assert!(matches!(error, crate::Error::InvalidArgument(_)), "{error}");
        assert_eq!(error.message(), format!("{past} is not a known {what}"));
    }

    macro_rules! discriminant {
        ($($type:ty),+) => {$(
            impl From<$type> for u32 {
                fn from(v: $type) -> u32 {
                    v as u32
                }
            }
        )+};
    }
    discriminant!(
        PixelType,
        LineOrder,
        LevelMode,
        RoundingMode,
        Storage,
        Compression
    );

    #[test]
    fn c_values_decode_to_their_variants() {
        use PixelType::*;
        round_trips(&[Uint, Half, Float, U8], "pixel type");
        round_trips(
            &[
                LineOrder::IncreasingY,
                LineOrder::DecreasingY,
                LineOrder::RandomY,
            ],
            "line order",
        );
        round_trips(
            &[LevelMode::One, LevelMode::Mipmap, LevelMode::Ripmap],
            "level mode",
        );
        round_trips(&[RoundingMode::Down, RoundingMode::Up], "rounding mode");
        round_trips(
            &[
                Storage::Scanline,
                Storage::Tiled,
                Storage::DeepScanline,
                Storage::DeepTiled,
            ],
            "storage",
        );
        let mut compressions = Compression::EXR_ALL.to_vec();
        compressions.push(Compression::Qoi);
        round_trips(&compressions, "compression");
    }
}
