//! The bytes of attribute values, as OpenEXR stores them: what a writer
//! puts in a header. [`Value::to_bytes`] encodes a value as
//! [`Value::decode`] decodes it.

use super::channel::Channel;
use super::value::Value;

impl Value {
    /// The value's bytes as a file stores them. Lengths that do not fit the
    /// format's 32-bit fields are written as the largest that does, which
    /// the writer's check of every value then rejects.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Box2i(b) => le(&[b.min_x, b.min_y, b.max_x, b.max_y]),
            Self::Box2f(b) => le(&[b.min_x, b.min_y, b.max_x, b.max_y]),
            Self::Bytes { type_hint, data } => {
                let mut bytes = le(&[length(type_hint.len())]);
                bytes.extend_from_slice(type_hint.as_bytes());
                bytes.extend_from_slice(data);
                bytes
            }
            Self::ChannelList(channels) => chlist(channels),
            Self::Chromaticities(c) => le(&[c.red, c.green, c.blue, c.white].concat()),
            Self::Compression(v)
            | Self::LineOrder(v)
            | Self::EnvMap(v)
            | Self::DeepImageState(v) => vec![*v],
            Self::Double(v) => le(&[*v]),
            Self::Float(v) => le(&[*v]),
            Self::FloatVector(values) => le(values),
            Self::Int(v) => le(&[*v]),
            Self::KeyCode(k) => le(&[
                k.film_mfc_code,
                k.film_type,
                k.prefix,
                k.count,
                k.perf_offset,
                k.perfs_per_frame,
                k.perfs_per_count,
            ]),
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
                let mut bytes = le(&[*n]);
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
            Self::TileDesc {
                width,
                height,
                mode,
            } => {
                let mut bytes = le(&[*width, *height]);
                bytes.push(*mode);
                bytes
            }
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

/// A `chlist`: each channel's name, type, pLinear, three reserved bytes and
/// sampling, then an empty name.
fn chlist(channels: &[Channel]) -> Vec<u8> {
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
    use crate::meta::text::Text;
    use crate::meta::types::{Box2i, LevelMode, PixelType, RoundingMode, TileDesc};

    fn round_trip(value: Value) {
        let bytes = value.to_bytes();
        let back = Value::decode(value.type_name().as_bytes(), &bytes).expect("decodes");
        assert_eq!(back, Some(value));
    }

    #[test]
    fn values_decode_to_what_was_encoded() {
        round_trip(Value::Box2i(Box2i {
            min_x: -3,
            min_y: 4,
            max_x: 99,
            max_y: 1000,
        }));
        round_trip(Value::ChannelList(vec![Channel {
            name: Text::new(b"R"),
            pixel_type: PixelType::Half,
            p_linear: true,
            x_sampling: 2,
            y_sampling: 1,
        }]));
        let tiles = Value::tile_desc(TileDesc {
            width: 64,
            height: 32,
            level_mode: LevelMode::Ripmap,
            rounding_mode: RoundingMode::Up,
        });
        assert_eq!(
            tiles,
            Value::TileDesc {
                width: 64,
                height: 32,
                mode: 0x12
            }
        );
        round_trip(tiles);
        round_trip(Value::Bytes {
            type_hint: Text::new(b"hint"),
            data: vec![1, 2, 3],
        });
        round_trip(Value::Preview {
            width: 1,
            height: 2,
            rgba: (0..8).collect(),
        });
        round_trip(Value::String(Text::new(b"text")));
    }
}
