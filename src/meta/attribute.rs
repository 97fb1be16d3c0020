//! Header attributes: the raw bytes of every attribute, and a decoded value
//! for each standard type of OpenEXR 3.5.

use super::channel::{parse_channel_list, Channel};
use super::text::Text;
use super::types::{Box2f, Box2i};
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

/// The decoded value of an attribute. Types the library does not know are
/// `Opaque`; their bytes stay available as the attribute's raw data.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// `box2i`.
    Box2i(Box2i),
    /// `box2f`.
    Box2f(Box2f),
    /// `bytes`: a type hint and the payload, which starts at `data_offset`
    /// of the raw bytes.
    Bytes {
        /// What the payload holds, by the writer's convention.
        type_hint: Text,
        /// Where the payload starts in the attribute's raw bytes.
        data_offset: usize,
    },
    /// `chlist`.
    ChannelList(Vec<Channel>),
    /// `chromaticities`.
    Chromaticities(Box<Chromaticities>),
    /// `compression`: the id byte as stored.
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
    KeyCode(Box<KeyCode>),
    /// `lineOrder`: the byte as stored.
    LineOrder(u8),
    /// `m33f`, row-major.
    M33f(Box<[f32; 9]>),
    /// `m33d`, row-major.
    M33d(Box<[f64; 9]>),
    /// `m44f`, row-major.
    M44f(Box<[f32; 16]>),
    /// `m44d`, row-major.
    M44d(Box<[f64; 16]>),
    /// `preview`: size; the RGBA8 pixels follow the 8 size bytes in the raw data.
    Preview {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// `rational`.
    Rational(i32, u32),
    /// `string`: the raw bytes are the text.
    String,
    /// `stringvector`.
    StringVector(Vec<Text>),
    /// `tiledesc`: sizes and the packed mode byte as stored.
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
    /// Any other type.
    Opaque,
}

/// One attribute of a header.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: Text,
    /// The type name as the file spells it.
    pub type_name: Text,
    /// The value bytes as stored (a NUL follows them in memory).
    pub data: Text,
    /// The decoded value.
    pub value: AttributeValue,
}

impl Attribute {
    /// Decodes `data` according to `type_name`. A value that does not decode
    /// is an error when `strict`, and otherwise kept as `Opaque` (OpenEXR
    /// skips it) so its bytes stay visible.
    pub fn parse(name: Text, type_name: Text, data: Text, strict: bool) -> Result<Self> {
        let value = match decode_value(type_name.as_bytes(), data.as_bytes()) {
            Ok(value) => value,
            Err(e) if strict => {
                return Err(e.context(format_args!("attribute '{name}' of type '{type_name}'")))
            }
            Err(_) => AttributeValue::Opaque,
        };
        Ok(Self {
            name,
            type_name,
            data,
            value,
        })
    }

    /// The payload of a `bytes` attribute, or the text of a `string` one.
    pub fn payload(&self) -> &[u8] {
        match self.value {
            AttributeValue::Bytes { data_offset, .. } => {
                self.data.as_bytes().get(data_offset..).unwrap_or(&[])
            }
            AttributeValue::Preview { .. } => self.data.as_bytes().get(8..).unwrap_or(&[]),
            _ => self.data.as_bytes(),
        }
    }
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

fn decode_value(type_name: &[u8], bytes: &[u8]) -> Result<AttributeValue> {
    use AttributeValue as V;
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
        b"bytes" => return decode_bytes(bytes),
        b"chlist" => return parse_channel_list(bytes).map(V::ChannelList),
        b"chromaticities" => {
            let [rx, ry, gx, gy, bx, by, wx, wy] = f.f32s()?;
            V::Chromaticities(Box::new(Chromaticities {
                red: [rx, ry],
                green: [gx, gy],
                blue: [bx, by],
                white: [wx, wy],
            }))
        }
        b"compression" => V::Compression(f.u8()?),
        b"double" => V::Double(f.f64()?),
        b"envmap" => V::EnvMap(f.u8()?),
        b"float" => V::Float(f.f32()?),
        b"floatvector" => {
            if bytes.len() % 4 != 0 {
                corrupt!("{} bytes is not a whole number of floats", bytes.len());
            }
            let values = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            return Ok(V::FloatVector(values));
        }
        b"int" => V::Int(f.i32()?),
        b"keycode" => {
            let [film_mfc_code, film_type, prefix, count, perf_offset, perfs_per_frame, perfs_per_count] =
                f.i32s()?;
            V::KeyCode(Box::new(KeyCode {
                film_mfc_code,
                film_type,
                prefix,
                count,
                perf_offset,
                perfs_per_frame,
                perfs_per_count,
            }))
        }
        b"lineOrder" => V::LineOrder(f.u8()?),
        b"m33f" => V::M33f(Box::new(f.f32s()?)),
        b"m33d" => V::M33d(Box::new(f.f64s()?)),
        b"m44f" => V::M44f(Box::new(f.f32s()?)),
        b"m44d" => V::M44d(Box::new(f.f64s()?)),
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
            return Ok(V::Preview { width, height });
        }
        b"rational" => {
            let n = f.i32()?;
            V::Rational(n, f.u32()?)
        }
        b"string" => return Ok(V::String),
        b"stringvector" => return decode_string_vector(bytes),
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
        _ => return Ok(V::Opaque),
    };
    f.end(value)
}

fn decode_bytes(bytes: &[u8]) -> Result<AttributeValue> {
    let mut f = Fields { bytes };
    let hint_len = f.u32()? as usize;
    let Some(hint) = f.bytes.get(..hint_len) else {
        corrupt!("type hint of {hint_len} bytes does not fit in the value");
    };
    Ok(AttributeValue::Bytes {
        type_hint: Text::new(hint),
        data_offset: 4 + hint_len,
    })
}

fn decode_string_vector(mut bytes: &[u8]) -> Result<AttributeValue> {
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
    Ok(AttributeValue::StringVector(strings))
}
