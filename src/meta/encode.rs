//! The bytes of attribute values, as OpenEXR stores them: what a writer
//! puts in a header. [`Value`] holds a value of any standard type, whole,
//! and encodes it as [`super::attribute`] decodes it.

use super::attribute::{Chromaticities, KeyCode};
use super::channel::Channel;
use super::compression::Compression;
use super::text::Text;
use super::types::{Box2f, Box2i, LevelMode, LineOrder, RoundingMode, TileDesc};

/// An attribute value to write, of any standard type of OpenEXR 3.5, with
/// everything it holds ([`super::attribute::AttributeValue`], what a reader
/// decodes, leaves strings, byte payloads and preview pixels in the raw
/// bytes).
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
    /// `compression`.
    Compression(Compression),
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
    /// `lineOrder`.
    LineOrder(LineOrder),
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
    /// `tiledesc`.
    TileDesc(TileDesc),
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
            Self::TileDesc(_) => "tiledesc",
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

    /// The value's bytes as a file stores them. Lengths that do not fit the
    /// format's 32-bit fields are written as the largest that does, which
    /// the writer's check of every value then rejects.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Box2i(b) => box2i(*b),
            Self::Box2f(b) => le(&[b.min_x, b.min_y, b.max_x, b.max_y]),
            Self::Bytes { type_hint, data } => {
                let mut bytes = le(&[length(type_hint.len())]);
                bytes.extend_from_slice(type_hint.as_bytes());
                bytes.extend_from_slice(data);
                bytes
            }
            Self::ChannelList(channels) => chlist(channels),
            Self::Chromaticities(c) => le(&[c.red, c.green, c.blue, c.white].concat()),
            Self::Compression(c) => compression(*c),
            Self::Double(v) => le(&[*v]),
            Self::EnvMap(v) | Self::DeepImageState(v) => vec![*v],
            Self::Float(v) => float(*v),
            Self::FloatVector(values) => le(values),
            Self::Int(v) => int(*v),
            Self::KeyCode(k) => le(&[
                k.film_mfc_code,
                k.film_type,
                k.prefix,
                k.count,
                k.perf_offset,
                k.perfs_per_frame,
                k.perfs_per_count,
            ]),
            Self::LineOrder(order) => line_order(*order),
            Self::M33f(m) => le(m),
            Self::M33d(m) => le(m),
            Self::M44f(m) => le(m),
            Self::M44d(m) => le(m),
            Self::Preview {
                width,
                height,
                rgba,
            } => {
                let mut bytes = le(&[*width, *height]);
                bytes.extend_from_slice(rgba);
                bytes
            }
            Self::Rational(n, d) => {
                let mut bytes = int(*n);
                bytes.extend_from_slice(&d.to_le_bytes());
                bytes
            }
            Self::String(text) => text.as_bytes().to_vec(),
            Self::StringVector(items) => {
                let mut bytes = Vec::new();
                for item in items {
                    bytes.extend_from_slice(&length(item.len()).to_le_bytes());
                    bytes.extend_from_slice(item.as_bytes());
                }
                bytes
            }
            Self::TileDesc(desc) => tiledesc(*desc),
            Self::TimeCode(time, user) => le(&[*time, *user]),
            Self::V2i(v) => le(v),
            Self::V2f(v) => le(v),
            Self::V2d(v) => le(v),
            Self::V3i(v) => le(v),
            Self::V3f(v) => le(v),
            Self::V3d(v) => le(v),
        }
    }
}

/// A number a file stores little-endian.
trait LittleEndian: Copy {
    /// Its bytes.
    type Bytes: AsRef<[u8]>;
    /// Its little-endian bytes.
    fn le_bytes(self) -> Self::Bytes;
}

impl LittleEndian for i32 {
    type Bytes = [u8; 4];
    fn le_bytes(self) -> [u8; 4] {
        self.to_le_bytes()
    }
}

impl LittleEndian for u32 {
    type Bytes = [u8; 4];
    fn le_bytes(self) -> [u8; 4] {
        self.to_le_bytes()
    }
}

impl LittleEndian for f32 {
    type Bytes = [u8; 4];
    fn le_bytes(self) -> [u8; 4] {
        self.to_le_bytes()
    }
}

impl LittleEndian for f64 {
    type Bytes = [u8; 8];
    fn le_bytes(self) -> [u8; 8] {
        self.to_le_bytes()
    }
}

/// `values` one after another, little-endian.
fn le<T: LittleEndian>(values: &[T]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(std::mem::size_of_val(values));
    for v in values {
        bytes.extend_from_slice(v.le_bytes().as_ref());
    }
    bytes
}

/// A length as the format's 32-bit fields hold it (at most `i32::MAX`).
fn length(len: usize) -> u32 {
    len.min(i32::MAX as usize) as u32
}

/// A `box2i`: min x, min y, max x, max y.
pub fn box2i(b: Box2i) -> Vec<u8> {
    le(&[b.min_x, b.min_y, b.max_x, b.max_y])
}

/// A `float`.
pub fn float(v: f32) -> Vec<u8> {
    le(&[v])
}

/// A `v2f`.
pub fn v2f(x: f32, y: f32) -> Vec<u8> {
    le(&[x, y])
}

/// An `int`.
pub fn int(v: i32) -> Vec<u8> {
    le(&[v])
}

/// A `compression`.
pub fn compression(c: Compression) -> Vec<u8> {
    vec![c as u8]
}

/// A `lineOrder`.
pub fn line_order(order: LineOrder) -> Vec<u8> {
    vec![order as u8]
}

/// A `tiledesc`: width, height, then level mode and rounding mode packed
/// into one byte.
pub fn tiledesc(desc: TileDesc) -> Vec<u8> {
    let level = match desc.level_mode {
        LevelMode::One => 0u8,
        LevelMode::Mipmap => 1,
        LevelMode::Ripmap => 2,
    };
    let rounding = match desc.rounding_mode {
        RoundingMode::Down => 0u8,
        RoundingMode::Up => 1,
    };
    let mut bytes = Vec::with_capacity(9);
    bytes.extend_from_slice(&desc.width.to_le_bytes());
    bytes.extend_from_slice(&desc.height.to_le_bytes());
    bytes.push(level | rounding << 4);
    bytes
}

/// A `chlist`: each channel's name, type, pLinear, three reserved bytes and
/// sampling, then an empty name.
pub fn chlist(channels: &[Channel]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for c in channels {
        bytes.extend_from_slice(c.name.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&(c.pixel_type as i32).to_le_bytes());
        bytes.extend_from_slice(&[u8::from(c.p_linear), 0, 0, 0]);
        bytes.extend_from_slice(&c.x_sampling.to_le_bytes());
        bytes.extend_from_slice(&c.y_sampling.to_le_bytes());
    }
    bytes.push(0);
    bytes
}

/// One attribute as a header stores it: name, type name, size, value.
pub fn attribute(out: &mut Vec<u8>, name: &[u8], type_name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.push(0);
    out.extend_from_slice(type_name);
    out.push(0);
    // Values are bounded by the checks that built the header.
    out.extend_from_slice(&(value.len() as i32).to_le_bytes());
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::attribute::{Attribute, AttributeValue};
    use crate::meta::text::Text;
    use crate::meta::types::PixelType;

    fn decoded(type_name: &str, bytes: Vec<u8>) -> AttributeValue {
        Attribute::parse(
            Text::new(b"a"),
            Text::new(type_name.as_bytes()),
            Text::from_vec(bytes),
            true,
        )
        .expect("decodes")
        .value
    }

    #[test]
    fn values_decode_to_what_was_encoded() {
        let b = Box2i {
            min_x: -3,
            min_y: 4,
            max_x: 99,
            max_y: 1000,
        };
        assert_eq!(decoded("box2i", box2i(b)), AttributeValue::Box2i(b));
        let channels = vec![Channel {
            name: Text::new(b"R"),
            pixel_type: PixelType::Half,
            p_linear: true,
            x_sampling: 2,
            y_sampling: 1,
        }];
        assert_eq!(
            decoded("chlist", chlist(&channels)),
            AttributeValue::ChannelList(channels)
        );
        let desc = TileDesc {
            width: 64,
            height: 32,
            level_mode: LevelMode::Ripmap,
            rounding_mode: RoundingMode::Up,
        };
        assert_eq!(
            decoded("tiledesc", tiledesc(desc)),
            AttributeValue::TileDesc {
                width: 64,
                height: 32,
                mode: 0x12
            }
        );
    }
}
