//! Attribute values: one type for every standard attribute type of
//! OpenEXR 3.5, decoded from the bytes a file stores here and encoded back
//! to them by [`super::encode`].

use super::channel::{parse_channel_list, Channel};
use super::text::Text;
use super::types::{Box2f, Box2i, LevelMode, RoundingMode, TileDesc};
use crate::error::{corrupt, Result};

/// The eight CIE xy coordinates of a `chromaticities` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Chromaticities {
    /// Red primary x, y.
    pub red: [f32; 2],
    /// Green primary x, y.
    pub green: [f32; 2],
    /// Blue primary x, y.
    pub blue: [f32; 2],
    /// White point x, y.
    pub white: [f32; 2],
}

/// A film edge code (`keycode` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyCode {
    /// Film manufacturer code.
    pub film_mfc_code: i32,
    /// Film type code.
    pub film_type: i32,
    /// Prefix identifying the film roll.
    pub prefix: i32,
    /// Count, increments once every perfs_per_count perforations.
    pub count: i32,
    /// Offset of the frame in perforations from the zero-frame reference mark.
    pub perf_offset: i32,
    /// Perforations per frame.
    pub perfs_per_frame: i32,
    /// Perforations per count.
    pub perfs_per_count: i32,
}

/// An attribute value of any standard type of OpenEXR 3.5, with
/// everything it holds, as a reader decodes it ([`Value::decode`]) and a
/// writer encodes it ([`Value::to_bytes`]). Fields the format stores as an
/// enumeration byte (compression, line order, tile modes, environment map,
/// deep image state) hold that byte as stored, so a value reads back as
/// the file has it, known or not.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `box2i`.
    Box2i(Box2i),
    /// `box2f`.
    Box2f(Box2f),
    /// `bytes`: a type hint naming what the payload holds, and the payload.
    Bytes {
        /// What the payload holds, by the writer's convention.
        type_hint: Text,
        /// The payload.
        data: Vec<u8>,
    },
    /// `chlist`.
    ChannelList(Vec<Channel>),
    /// `chromaticities`.
    Chromaticities(Chromaticities),
    /// `compression`: the id byte as stored ([`crate::meta::compression::Compression`] as u8).
    Compression(u8),
    /// `double`.
    Double(f64),
    /// `envmap`: 0 latitude-longitude, 1 cube.
    EnvMap(u8),
    /// `float`.
    Float(f32),
    /// `floatvector`.
    FloatVector(Vec<f32>),
    /// `int`.
    Int(i32),
    /// `keycode`.
    KeyCode(KeyCode),
    /// `lineOrder`: the byte as stored ([`crate::meta::types::LineOrder`] as u8).
    LineOrder(u8),
    /// `m33f`, row-major.
    M33f([f32; 9]),
    /// `m33d`, row-major.
    M33d([f64; 9]),
    /// `m44f`, row-major.
    M44f([f32; 16]),
    /// `m44d`, row-major.
    M44d([f64; 16]),
    /// `preview`: an 8-bit RGBA image.
    Preview {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width * height * 4` bytes, row-major, top row first.
        rgba: Vec<u8>,
    },
    /// `rational`: numerator, denominator.
    Rational(i32, u32),
    /// `string`.
    String(Text),
    /// `stringvector`.
    StringVector(Vec<Text>),
    /// `tiledesc`: sizes and the packed mode byte as stored (see
    /// [`Value::tile_desc`]).
    TileDesc {
        /// Tile width.
        width: u32,
        /// Tile height.
        height: u32,
        /// Level mode in the low nibble, rounding mode in the high nibble.
        mode: u8,
    },
    /// `timecode`: time and flags, user data.
    TimeCode(u32, u32),
    /// `v2i`.
    V2i([i32; 2]),
    /// `v2f`.
    V2f([f32; 2]),
    /// `v2d`.
    V2d([f64; 2]),
    /// `v3i`.
    V3i([i32; 3]),
    /// `v3f`.
    V3f([f32; 3]),
    /// `v3d`.
    V3d([f64; 3]),
    /// `deepImageState`: 0 messy, 1 sorted, 2 non-overlapping, 3 tidy.
    DeepImageState(u8),
}

impl Value {
    /// The type name a file gives this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Box2i(_) => "box2i",
            Self::Box2f(_) => "box2f",
            Self::Bytes { .. } => "bytes",
            Self::ChannelList(_) => "chlist",
            Self::Chromaticities(_) => "chromaticities",
            Self::Compression(_) => "compression",
            Self::Double(_) => "double",
            Self::EnvMap(_) => "envmap",
            Self::Float(_) => "float",
            Self::FloatVector(_) => "floatvector",
            Self::Int(_) => "int",
            Self::KeyCode(_) => "keycode",
            Self::LineOrder(_) => "lineOrder",
            Self::M33f(_) => "m33f",
            Self::M33d(_) => "m33d",
            Self::M44f(_) => "m44f",
            Self::M44d(_) => "m44d",
            Self::Preview { .. } => "preview",
            Self::Rational(..) => "rational",
            Self::String(_) => "string",
            Self::StringVector(_) => "stringvector",
            Self::TileDesc { .. } => "tiledesc",
            Self::TimeCode(..) => "timecode",
            Self::V2i(_) => "v2i",
            Self::V2f(_) => "v2f",
            Self::V2d(_) => "v2d",
            Self::V3i(_) => "v3i",
            Self::V3f(_) => "v3f",
            Self::V3d(_) => "v3d",
            Self::DeepImageState(_) => "deepImageState",
        }
    }

    /// A `tiledesc` value: level mode in the low nibble of its mode byte,
    /// rounding mode in the high one.
    pub fn tile_desc(desc: TileDesc) -> Self {
        let level = match desc.level_mode {
            LevelMode::One => 0u8,
            LevelMode::Mipmap => 1,
            LevelMode::Ripmap => 2,
        };
        let rounding = match desc.rounding_mode {
            RoundingMode::Down => 0u8,
            RoundingMode::Up => 1,
        };
        Self::TileDesc {
            width: desc.width,
            height: desc.height,
            mode: level | rounding << 4,
        }
    }

    /// The value `bytes` hold as a file stores a value of type
    /// `type_name`; `None` for a type that is not a standard one. A value
    /// whose size or layout does not fit its type is an error.
    pub fn decode(type_name: &[u8], bytes: &[u8]) -> Result<Option<Self>> {
        use Value as V;
        let mut f = Fields { bytes };
        let value = match type_name {
            b"box2i" => {
                let [min_x, min_y, max_x, max_y] = f.i32s()?;
                V::Box2i(Box2i {
                    min_x,
                    min_y,
                    max_x,
                    max_y,
                })
            }
            b"box2f" => {
                let [min_x, min_y, max_x, max_y] = f.f32s()?;
                V::Box2f(Box2f {
                    min_x,
                    min_y,
                    max_x,
                    max_y,
                })
            }
            b"bytes" => {
                let hint_len = f.u32()? as usize;
                let Some(type_hint) = f.bytes.get(..hint_len) else {
                    corrupt!("type hint of {hint_len} bytes does not fit in the value");
                };
                V::Bytes {
                    type_hint: Text::new(type_hint),
                    data: f.bytes[hint_len..].to_vec(),
                }
            }
            b"chlist" => V::ChannelList(parse_channel_list(bytes)?),
            b"chromaticities" => {
                let [rx, ry, gx, gy, bx, by, wx, wy] = f.f32s()?;
                V::Chromaticities(Chromaticities {
                    red: [rx, ry],
                    green: [gx, gy],
                    blue: [bx, by],
                    white: [wx, wy],
                })
            }
            b"compression" => V::Compression(f.u8()?),
            b"double" => V::Double(f.f64()?),
            b"envmap" => V::EnvMap(f.u8()?),
            b"float" => V::Float(f.f32()?),
            b"floatvector" => {
                if bytes.len() % 4 != 0 {
                    corrupt!("{} bytes is not a whole number of floats", bytes.len());
                }
                V::FloatVector(
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                )
            }
            b"int" => V::Int(f.i32()?),
            b"keycode" => {
                let [film_mfc_code, film_type, prefix, count, perf_offset, perfs_per_frame, perfs_per_count] =
                    f.i32s()?;
                V::KeyCode(KeyCode {
                    film_mfc_code,
                    film_type,
                    prefix,
                    count,
                    perf_offset,
                    perfs_per_frame,
                    perfs_per_count,
                })
            }
            b"lineOrder" => V::LineOrder(f.u8()?),
            b"m33f" => V::M33f(f.f32s()?),
            b"m33d" => V::M33d(f.f64s()?),
            b"m44f" => V::M44f(f.f32s()?),
            b"m44d" => V::M44d(f.f64s()?),
            b"preview" => {
                let width = f.u32()?;
                let height = f.u32()?;
                let expected = u64::from(width) * u64::from(height) * 4;
                if f.bytes.len() as u64 != expected {
                    corrupt!(
                        "a {width}x{height} preview needs {expected} pixel bytes, the value holds {}",
                        f.bytes.len()
                    );
                }
                V::Preview {
                    width,
                    height,
                    rgba: f.bytes.to_vec(),
                }
            }
            b"rational" => {
                let n = f.i32()?;
                V::Rational(n, f.u32()?)
            }
            b"string" => V::String(Text::new(bytes)),
            b"stringvector" => V::StringVector(string_vector(bytes)?),
            b"tiledesc" => {
                let width = f.u32()?;
                let height = f.u32()?;
                V::TileDesc {
                    width,
                    height,
                    mode: f.u8()?,
                }
            }
            b"timecode" => {
                let time = f.u32()?;
                V::TimeCode(time, f.u32()?)
            }
            b"v2i" => V::V2i(f.i32s()?),
            b"v2f" => V::V2f(f.f32s()?),
            b"v2d" => V::V2d(f.f64s()?),
            b"v3i" => V::V3i(f.i32s()?),
            b"v3f" => V::V3f(f.f32s()?),
            b"v3d" => V::V3d(f.f64s()?),
            b"deepImageState" => V::DeepImageState(f.u8()?),
            _ => return Ok(None),
        };
        match value {
            // These consume their bytes whole as they decode.
            V::Bytes { .. }
            | V::ChannelList(_)
            | V::FloatVector(_)
            | V::Preview { .. }
            | V::String(_)
            | V::StringVector(_) => Ok(Some(value)),
            _ => f.end(Some(value)),
        }
    }
}

/// The strings of a `stringvector`: each a length, then its bytes.
fn string_vector(mut bytes: &[u8]) -> Result<Vec<Text>> {
    let mut strings = Vec::new();
    while !bytes.is_empty() {
        let mut f = Fields { bytes };
        let len = f.i32()?;
        let Some(text) = usize::try_from(len).ok().and_then(|n| f.bytes.get(..n)) else {
            corrupt!("string of {len} bytes does not fit in the value");
        };
        strings.push(Text::new(text));
        bytes = &f.bytes[text.len()..];
    }
    Ok(strings)
}

/// Little-endian reads from an attribute's bytes, failing on a size mismatch.
struct Fields<'a> {
    bytes: &'a [u8],
}

impl<'a> Fields<'a> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let Some((head, rest)) = self.bytes.split_first_chunk::<N>() else {
            corrupt!("value is shorter than its type needs");
        };
        self.bytes = rest;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take::<1>()?[0])
    }
    fn i32(&mut self) -> Result<i32> {
        self.take().map(i32::from_le_bytes)
    }
    fn u32(&mut self) -> Result<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn f32(&mut self) -> Result<f32> {
        self.take().map(f32::from_le_bytes)
    }
    fn f64(&mut self) -> Result<f64> {
        self.take().map(f64::from_le_bytes)
    }
    fn i32s<const N: usize>(&mut self) -> Result<[i32; N]> {
        let mut out = [0; N];
        for v in &mut out {
            *v = self.i32()?;
        }
        Ok(out)
    }
    fn f32s<const N: usize>(&mut self) -> Result<[f32; N]> {
        let mut out = [0.0; N];
        for v in &mut out {
            *v = self.f32()?;
        }
        Ok(out)
    }
    fn f64s<const N: usize>(&mut self) -> Result<[f64; N]> {
        let mut out = [0.0; N];
        for v in &mut out {
            *v = self.f64()?;
        }
        Ok(out)
    }
    /// Fails unless every byte was consumed.
    fn end<T>(self, value: T) -> Result<T> {
        if !self.bytes.is_empty() {
            corrupt!(
                "value has {} bytes more than its type needs",
                self.bytes.len()
            );
        }
        Ok(value)
    }
}
