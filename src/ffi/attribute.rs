//! Attributes as C sees them: name, type name, raw bytes, and a decoded value
//! in a tagged union. The views are built once per reader and point into
//! memory the reader owns.

use std::ffi::{c_char, c_void};

use super::types::{exrkit_box2f, exrkit_box2i, exrkit_channel};
use crate::meta::attribute::Attribute;
use crate::meta::text::Text;
use crate::meta::value::Value;

/// Which member of `exrkit_attribute_value` is set (`EXRKIT_ATTR_*`).
pub type exrkit_attribute_type = u32;
/// A type exrkit does not know: only the raw bytes are meaningful.
pub const EXRKIT_ATTR_OPAQUE: exrkit_attribute_type = 0;
/// `box2i`: value.box2i.
pub const EXRKIT_ATTR_BOX2I: exrkit_attribute_type = 1;
/// `box2f`: value.box2f.
pub const EXRKIT_ATTR_BOX2F: exrkit_attribute_type = 2;
/// `bytes`: value.bytes.
pub const EXRKIT_ATTR_BYTES: exrkit_attribute_type = 3;
/// `chlist`: value.channels.
pub const EXRKIT_ATTR_CHLIST: exrkit_attribute_type = 4;
/// `chromaticities`: value.chromaticities.
pub const EXRKIT_ATTR_CHROMATICITIES: exrkit_attribute_type = 5;
/// `compression`: value.u8 (an EXRKIT_COMPRESSION_* id).
pub const EXRKIT_ATTR_COMPRESSION: exrkit_attribute_type = 6;
/// `double`: value.f64.
pub const EXRKIT_ATTR_DOUBLE: exrkit_attribute_type = 7;
/// `envmap`: value.u8 (0 latitude-longitude, 1 cube).
pub const EXRKIT_ATTR_ENVMAP: exrkit_attribute_type = 8;
/// `float`: value.f32.
pub const EXRKIT_ATTR_FLOAT: exrkit_attribute_type = 9;
/// `floatvector`: value.floats.
pub const EXRKIT_ATTR_FLOATVECTOR: exrkit_attribute_type = 10;
/// `int`: value.i32.
pub const EXRKIT_ATTR_INT: exrkit_attribute_type = 11;
/// `keycode`: value.keycode.
pub const EXRKIT_ATTR_KEYCODE: exrkit_attribute_type = 12;
/// `lineOrder`: value.u8 (an EXRKIT_LINE_ORDER_* value).
pub const EXRKIT_ATTR_LINEORDER: exrkit_attribute_type = 13;
/// `m33f`: value.m33f, row-major.
pub const EXRKIT_ATTR_M33F: exrkit_attribute_type = 14;
/// `m33d`: value.m33d, row-major.
pub const EXRKIT_ATTR_M33D: exrkit_attribute_type = 15;
/// `m44f`: value.m44f, row-major.
pub const EXRKIT_ATTR_M44F: exrkit_attribute_type = 16;
/// `m44d`: value.m44d, row-major.
pub const EXRKIT_ATTR_M44D: exrkit_attribute_type = 17;
/// `preview`: value.preview.
pub const EXRKIT_ATTR_PREVIEW: exrkit_attribute_type = 18;
/// `rational`: value.rational.
pub const EXRKIT_ATTR_RATIONAL: exrkit_attribute_type = 19;
/// `string`: value.string.
pub const EXRKIT_ATTR_STRING: exrkit_attribute_type = 20;
/// `stringvector`: value.strings.
pub const EXRKIT_ATTR_STRINGVECTOR: exrkit_attribute_type = 21;
/// `tiledesc`: value.tiledesc.
pub const EXRKIT_ATTR_TILEDESC: exrkit_attribute_type = 22;
/// `timecode`: value.timecode.
pub const EXRKIT_ATTR_TIMECODE: exrkit_attribute_type = 23;
/// `v2i`: value.v2i.
pub const EXRKIT_ATTR_V2I: exrkit_attribute_type = 24;
/// `v2f`: value.v2f.
pub const EXRKIT_ATTR_V2F: exrkit_attribute_type = 25;
/// `v2d`: value.v2d.
pub const EXRKIT_ATTR_V2D: exrkit_attribute_type = 26;
/// `v3i`: value.v3i.
pub const EXRKIT_ATTR_V3I: exrkit_attribute_type = 27;
/// `v3f`: value.v3f.
pub const EXRKIT_ATTR_V3F: exrkit_attribute_type = 28;
/// `v3d`: value.v3d.
pub const EXRKIT_ATTR_V3D: exrkit_attribute_type = 29;
/// `deepImageState`: value.u8 (0 messy, 1 sorted, 2 non-overlapping, 3 tidy).
pub const EXRKIT_ATTR_DEEPIMAGESTATE: exrkit_attribute_type = 30;

/// A byte string with its length; `data` is also NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_text {
    /// The bytes, followed by a NUL.
    pub data: *const c_char,
    /// Number of bytes, not counting the NUL.
    pub size: usize,
}

/// A list of strings (`stringvector`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_text_list {
    /// The strings.
    pub items: *const exrkit_text,
    /// How many.
    pub count: usize,
}

/// A list of floats (`floatvector`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_float_list {
    /// The values.
    pub values: *const f32,
    /// How many.
    pub count: usize,
}

/// A list of channels (`chlist`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_channel_list {
    /// The channels, in file order.
    pub channels: *const exrkit_channel,
    /// How many.
    pub count: usize,
}

/// Chromaticities: CIE xy of the primaries and the white point.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_chromaticities {
    /// Red x.
    pub red_x: f32,
    /// Red y.
    pub red_y: f32,
    /// Green x.
    pub green_x: f32,
    /// Green y.
    pub green_y: f32,
    /// Blue x.
    pub blue_x: f32,
    /// Blue y.
    pub blue_y: f32,
    /// White x.
    pub white_x: f32,
    /// White y.
    pub white_y: f32,
}

/// A film edge code.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_keycode {
    /// Film manufacturer code.
    pub film_mfc_code: i32,
    /// Film type code.
    pub film_type: i32,
    /// Roll prefix.
    pub prefix: i32,
    /// Count.
    pub count: i32,
    /// Perforation offset.
    pub perf_offset: i32,
    /// Perforations per frame.
    pub perfs_per_frame: i32,
    /// Perforations per count.
    pub perfs_per_count: i32,
}

/// A rational number.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_rational {
    /// Numerator.
    pub numerator: i32,
    /// Denominator.
    pub denominator: u32,
}

/// An SMPTE time code.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_timecode {
    /// Packed time and flags.
    pub time_and_flags: u32,
    /// Packed user data.
    pub user_data: u32,
}

/// A tile description as stored (the mode byte unpacked).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_tiledesc {
    /// Tile width.
    pub width: u32,
    /// Tile height.
    pub height: u32,
    /// Level mode (low nibble of the stored byte).
    pub level_mode: u32,
    /// Rounding mode (high nibble of the stored byte).
    pub rounding_mode: u32,
}

/// A preview image: 8-bit RGBA, row-major, top row first.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_preview {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// width * height * 4 bytes.
    pub rgba: *const u8,
}

/// A `bytes` attribute: a type hint and an opaque payload.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exrkit_bytes {
    /// What the payload holds, by the writer's convention (NUL-terminated).
    pub type_hint: exrkit_text,
    /// The payload.
    pub data: *const u8,
    /// Payload length in bytes.
    pub size: usize,
}

/// The decoded value of an attribute; the member to read is given by
/// `exrkit_attribute.type`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union exrkit_attribute_value {
    /// compression, envmap, lineOrder, deepImageState.
    pub u8: u8,
    /// int.
    pub i32: i32,
    /// float.
    pub f32: f32,
    /// double.
    pub f64: f64,
    /// box2i.
    pub box2i: exrkit_box2i,
    /// box2f.
    pub box2f: exrkit_box2f,
    /// v2i.
    pub v2i: [i32; 2],
    /// v2f.
    pub v2f: [f32; 2],
    /// v2d.
    pub v2d: [f64; 2],
    /// v3i.
    pub v3i: [i32; 3],
    /// v3f.
    pub v3f: [f32; 3],
    /// v3d.
    pub v3d: [f64; 3],
    /// m33f, row-major.
    pub m33f: [f32; 9],
    /// m33d, row-major.
    pub m33d: [f64; 9],
    /// m44f, row-major.
    pub m44f: [f32; 16],
    /// m44d, row-major.
    pub m44d: [f64; 16],
    /// chromaticities.
    pub chromaticities: exrkit_chromaticities,
    /// keycode.
    pub keycode: exrkit_keycode,
    /// rational.
    pub rational: exrkit_rational,
    /// timecode.
    pub timecode: exrkit_timecode,
    /// tiledesc.
    pub tiledesc: exrkit_tiledesc,
    /// preview.
    pub preview: exrkit_preview,
    /// bytes.
    pub bytes: exrkit_bytes,
    /// string.
    pub string: exrkit_text,
    /// stringvector.
    pub strings: exrkit_text_list,
    /// floatvector.
    pub floats: exrkit_float_list,
    /// chlist.
    pub channels: exrkit_channel_list,
}

/// One attribute of a part. Pointers are owned by the reader and valid until
/// `exrkit_close`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct exrkit_attribute {
    /// The attribute's name (NUL-terminated).
    pub name: *const c_char,
    /// The type name as the file spells it, e.g. "v2f" (NUL-terminated).
    pub type_name: *const c_char,
    /// Which member of `value` is set; EXRKIT_ATTR_OPAQUE for unknown types
    /// and for values that did not decode.
    pub r#type: exrkit_attribute_type,
    /// The value bytes exactly as stored in the file (little-endian).
    pub data: *const c_void,
    /// Number of value bytes.
    pub size: usize,
    /// The decoded value.
    pub value: exrkit_attribute_value,
}

fn text(t: &Text) -> exrkit_text {
    exrkit_text {
        data: t.as_c_ptr(),
        size: t.len(),
    }
}

/// Arrays a C view of an attribute points into besides the reader's own memory.
pub(crate) struct AttributeStorage {
    texts: Vec<exrkit_text>,
    channels: Vec<exrkit_channel>,
}

/// The C view of a channel.
pub(crate) fn channel_view(c: &crate::meta::channel::Channel) -> exrkit_channel {
    exrkit_channel {
        name: c.name.as_c_ptr(),
        r#type: c.pixel_type as u32,
        x_sampling: c.x_sampling,
        y_sampling: c.y_sampling,
        p_linear: c.p_linear,
    }
}

/// The arrays the C view of `attr` needs besides the attribute itself, for
/// the types whose value is a list of structs; `None` for every other type.
pub(crate) fn attribute_arrays(attr: &Attribute) -> Option<Box<AttributeStorage>> {
    match &attr.value {
        Some(Value::ChannelList(list)) => Some(Box::new(AttributeStorage {
            channels: list.iter().map(channel_view).collect(),
            texts: Vec::new(),
        })),
        Some(Value::StringVector(items)) => Some(Box::new(AttributeStorage {
            texts: items.iter().map(text).collect(),
            channels: Vec::new(),
        })),
        _ => None,
    }
}

/// Builds the C view of `attr`, pointing into `attr` and into `arrays` (from
/// [`attribute_arrays`]), which must both outlive the view.
pub(crate) fn attribute_view(
    attr: &Attribute,
    arrays: Option<&AttributeStorage>,
) -> exrkit_attribute {
    use Value as V;
    let (channels, texts) = arrays.map_or((&[][..], &[][..]), |a| (&a.channels[..], &a.texts[..]));
    let Some(decoded) = &attr.value else {
        return view(attr, EXRKIT_ATTR_OPAQUE, exrkit_attribute_value { u8: 0 });
    };
    let (kind, value) = match decoded {
        V::Box2i(b) => (
            EXRKIT_ATTR_BOX2I,
            exrkit_attribute_value { box2i: (*b).into() },
        ),
        V::Box2f(b) => (
            EXRKIT_ATTR_BOX2F,
            exrkit_attribute_value {
                box2f: exrkit_box2f {
                    min_x: b.min_x,
                    min_y: b.min_y,
                    max_x: b.max_x,
                    max_y: b.max_y,
                },
            },
        ),
        V::Bytes { type_hint, .. } => {
            let payload = attr.payload();
            (
                EXRKIT_ATTR_BYTES,
                exrkit_attribute_value {
                    bytes: exrkit_bytes {
                        type_hint: text(type_hint),
                        data: payload.as_ptr(),
                        size: payload.len(),
                    },
                },
            )
        }
        V::ChannelList(_) => (
            EXRKIT_ATTR_CHLIST,
            exrkit_attribute_value {
                channels: exrkit_channel_list {
                    channels: channels.as_ptr(),
                    count: channels.len(),
                },
            },
        ),
        V::Chromaticities(c) => (
            EXRKIT_ATTR_CHROMATICITIES,
            exrkit_attribute_value {
                chromaticities: exrkit_chromaticities {
                    red_x: c.red[0],
                    red_y: c.red[1],
                    green_x: c.green[0],
                    green_y: c.green[1],
                    blue_x: c.blue[0],
                    blue_y: c.blue[1],
                    white_x: c.white[0],
                    white_y: c.white[1],
                },
            },
        ),
        V::Compression(v) => (EXRKIT_ATTR_COMPRESSION, exrkit_attribute_value { u8: *v }),
        V::Double(v) => (EXRKIT_ATTR_DOUBLE, exrkit_attribute_value { f64: *v }),
        V::EnvMap(v) => (EXRKIT_ATTR_ENVMAP, exrkit_attribute_value { u8: *v }),
        V::Float(v) => (EXRKIT_ATTR_FLOAT, exrkit_attribute_value { f32: *v }),
        V::FloatVector(values) => (
            EXRKIT_ATTR_FLOATVECTOR,
            exrkit_attribute_value {
                floats: exrkit_float_list {
                    values: values.as_ptr(),
                    count: values.len(),
                },
            },
        ),
        V::Int(v) => (EXRKIT_ATTR_INT, exrkit_attribute_value { i32: *v }),
        V::KeyCode(k) => (
            EXRKIT_ATTR_KEYCODE,
            exrkit_attribute_value {
                keycode: exrkit_keycode {
                    film_mfc_code: k.film_mfc_code,
                    film_type: k.film_type,
                    prefix: k.prefix,
                    count: k.count,
                    perf_offset: k.perf_offset,
                    perfs_per_frame: k.perfs_per_frame,
                    perfs_per_count: k.perfs_per_count,
                },
            },
        ),
        V::LineOrder(v) => (EXRKIT_ATTR_LINEORDER, exrkit_attribute_value { u8: *v }),
        V::M33f(m) => (EXRKIT_ATTR_M33F, exrkit_attribute_value { m33f: *m }),
        V::M33d(m) => (EXRKIT_ATTR_M33D, exrkit_attribute_value { m33d: *m }),
        V::M44f(m) => (EXRKIT_ATTR_M44F, exrkit_attribute_value { m44f: *m }),
        V::M44d(m) => (EXRKIT_ATTR_M44D, exrkit_attribute_value { m44d: *m }),
        V::Preview { width, height, .. } => (
            EXRKIT_ATTR_PREVIEW,
            exrkit_attribute_value {
                preview: exrkit_preview {
                    width: *width,
                    height: *height,
                    rgba: attr.payload().as_ptr(),
                },
            },
        ),
        V::Rational(n, d) => (
            EXRKIT_ATTR_RATIONAL,
            exrkit_attribute_value {
                rational: exrkit_rational {
                    numerator: *n,
                    denominator: *d,
                },
            },
        ),
        V::String(_) => (
            EXRKIT_ATTR_STRING,
            exrkit_attribute_value {
                string: text(&attr.data),
            },
        ),
        V::StringVector(_) => (
            EXRKIT_ATTR_STRINGVECTOR,
            exrkit_attribute_value {
                strings: exrkit_text_list {
                    items: texts.as_ptr(),
                    count: texts.len(),
                },
            },
        ),
        V::TileDesc {
            width,
            height,
            mode,
        } => (
            EXRKIT_ATTR_TILEDESC,
            exrkit_attribute_value {
                tiledesc: exrkit_tiledesc {
                    width: *width,
                    height: *height,
                    level_mode: u32::from(mode & 0x0f),
                    rounding_mode: u32::from(mode >> 4),
                },
            },
        ),
        V::TimeCode(t, u) => (
            EXRKIT_ATTR_TIMECODE,
            exrkit_attribute_value {
                timecode: exrkit_timecode {
                    time_and_flags: *t,
                    user_data: *u,
                },
            },
        ),
        V::V2i(v) => (EXRKIT_ATTR_V2I, exrkit_attribute_value { v2i: *v }),
        V::V2f(v) => (EXRKIT_ATTR_V2F, exrkit_attribute_value { v2f: *v }),
        V::V2d(v) => (EXRKIT_ATTR_V2D, exrkit_attribute_value { v2d: *v }),
        V::V3i(v) => (EXRKIT_ATTR_V3I, exrkit_attribute_value { v3i: *v }),
        V::V3f(v) => (EXRKIT_ATTR_V3F, exrkit_attribute_value { v3f: *v }),
        V::V3d(v) => (EXRKIT_ATTR_V3D, exrkit_attribute_value { v3d: *v }),
        V::DeepImageState(v) => (
            EXRKIT_ATTR_DEEPIMAGESTATE,
            exrkit_attribute_value { u8: *v },
        ),
    };
    view(attr, kind, value)
}

/// The C view of `attr` with its decoded value.
fn view(attr: &Attribute, kind: u32, value: exrkit_attribute_value) -> exrkit_attribute {
    exrkit_attribute {
        name: attr.name.as_c_ptr(),
        type_name: attr.type_name.as_c_ptr(),
        r#type: kind,
        data: attr.data.as_bytes().as_ptr().cast(),
        size: attr.data.len(),
        value,
    }
}
