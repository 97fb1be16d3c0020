//! Typed attribute setters of a writer: one `exrkit_set_attribute_<type>` per
//! standard OpenEXR attribute type, named after the type in lower case.
//! Each only converts its arguments to a [`Value`]; the writer encodes it
//! and sets it as exrkit_set_attribute sets raw bytes.

use std::ffi::{c_char, c_void};

use super::attribute::{
    exrkit_chromaticities, exrkit_keycode, exrkit_preview, exrkit_rational, exrkit_tiledesc,
    exrkit_timecode,
};
use super::guard::{arg, arg_slice, arg_str};
use super::status::exrkit_status;
use super::types::{
    enum_field, exrkit_box2f, exrkit_box2i, exrkit_channel, exrkit_compression, exrkit_line_order,
};
use super::writer::{channel, exrkit_writer, set_value, tile_desc};
use crate::error::{Error, Result};
use crate::meta::compression::Compression;
use crate::meta::text::Text;
use crate::meta::types::Box2f;
use crate::meta::types::LineOrder;
use crate::meta::value::{Chromaticities, KeyCode, Value};

/// `N` values at `ptr` (a matrix, row-major).
///
/// # Safety
/// `ptr` must be NULL or point to `N` readable values.
unsafe fn matrix<T: Copy + Default, const N: usize>(ptr: *const T) -> Result<[T; N]> {
    let mut out = [T::default(); N];
    // SAFETY: forwarded from the caller.
    out.copy_from_slice(unsafe { arg_slice(ptr, N, "values") }?);
    Ok(out)
}

/// A byte of an enumeration the format stores in one byte.
fn byte(value: u32, what: &str) -> Result<u8> {
    u8::try_from(value)
        .map_err(|_| Error::InvalidArgument(format!("{what} {value} does not fit in a byte")))
}

/// Sets an `int` attribute. Like every exrkit_set_attribute_*, it must be
/// alone on the writer (EXRKIT_ERR_BAD_STATE if another call runs on it;
/// see exrkit_writer).
///
/// # Safety
/// `writer` must be NULL or come from exrkit_create* and not be freed;
/// `name` must be NULL or NUL-terminated. The same holds for every
/// exrkit_set_attribute_* function, with the pointers each documents.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_int(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: i32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::Int(value))) }
}

/// Sets a `float` attribute.
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_float(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: f32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::Float(value))) }
}

/// Sets a `double` attribute.
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_double(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: f64,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::Double(value))) }
}

/// Sets a `string` attribute to the NUL-terminated `value` (stored without
/// the NUL).
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_string(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const c_char,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            Ok(Value::String(Text::new(
                arg_str(value, "value")?.to_bytes(),
            )))
        })
    }
}

/// Sets a `stringvector` attribute to `count` NUL-terminated strings.
///
/// # Safety
/// As for exrkit_set_attribute_int; `strings` must hold `count` pointers
/// to NUL-terminated strings (NULL when `count` is 0).
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_stringvector(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    strings: *const *const c_char,
    count: usize,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let items = arg_slice(strings, count, "strings")?
                .iter()
                .map(|&s| Ok(Text::new(arg_str(s, "strings[i]")?.to_bytes())))
                .collect::<Result<_>>()?;
            Ok(Value::StringVector(items))
        })
    }
}

/// Sets a `floatvector` attribute to `count` floats.
///
/// # Safety
/// As for exrkit_set_attribute_int; `values` must hold `count` floats
/// (NULL when `count` is 0).
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_floatvector(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    values: *const f32,
    count: usize,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            Ok(Value::FloatVector(
                arg_slice(values, count, "values")?.to_vec(),
            ))
        })
    }
}

/// Sets a `v2i` attribute to (`x`, `y`).
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_v2i(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    x: i32,
    y: i32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::V2i([x, y]))) }
}

/// Sets a `v2f` attribute to (`x`, `y`).
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_v2f(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    x: f32,
    y: f32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::V2f([x, y]))) }
}

/// Sets a `v2d` attribute to (`x`, `y`).
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_v2d(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    x: f64,
    y: f64,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::V2d([x, y]))) }
}

/// Sets a `v3i` attribute to (`x`, `y`, `z`).
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_v3i(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    x: i32,
    y: i32,
    z: i32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::V3i([x, y, z]))) }
}

/// Sets a `v3f` attribute to (`x`, `y`, `z`).
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_v3f(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    x: f32,
    y: f32,
    z: f32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::V3f([x, y, z]))) }
}

/// Sets a `v3d` attribute to (`x`, `y`, `z`).
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_v3d(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    x: f64,
    y: f64,
    z: f64,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::V3d([x, y, z]))) }
}

/// Sets a `box2i` attribute.
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_box2i(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_box2i,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            Ok(Value::Box2i((*arg(value, "value")?).into()))
        })
    }
}

/// Sets a `box2f` attribute.
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_box2f(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_box2f,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let b = arg(value, "value")?;
            Ok(Value::Box2f(Box2f {
                min_x: b.min_x,
                min_y: b.min_y,
                max_x: b.max_x,
                max_y: b.max_y,
            }))
        })
    }
}

/// Sets an `m33f` attribute to the 9 floats at `values`, row-major.
///
/// # Safety
/// As for exrkit_set_attribute_int; `values` must hold 9 floats.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_m33f(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    values: *const f32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::M33f(matrix(values)?))) }
}

/// Sets an `m33d` attribute to the 9 doubles at `values`, row-major.
///
/// # Safety
/// As for exrkit_set_attribute_int; `values` must hold 9 doubles.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_m33d(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    values: *const f64,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::M33d(matrix(values)?))) }
}

/// Sets an `m44f` attribute to the 16 floats at `values`, row-major.
///
/// # Safety
/// As for exrkit_set_attribute_int; `values` must hold 16 floats.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_m44f(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    values: *const f32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::M44f(matrix(values)?))) }
}

/// Sets an `m44d` attribute to the 16 doubles at `values`, row-major.
///
/// # Safety
/// As for exrkit_set_attribute_int; `values` must hold 16 doubles.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_m44d(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    values: *const f64,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe { set_value(writer, part, name, || Ok(Value::M44d(matrix(values)?))) }
}

/// Sets a `chromaticities` attribute.
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_chromaticities(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_chromaticities,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let c = arg(value, "value")?;
            Ok(Value::Chromaticities(Chromaticities {
                red: [c.red_x, c.red_y],
                green: [c.green_x, c.green_y],
                blue: [c.blue_x, c.blue_y],
                white: [c.white_x, c.white_y],
            }))
        })
    }
}

/// Sets a `keycode` attribute. OpenEXR refuses to open a file whose
/// keycode has perfs_per_frame outside 1-15 or perfs_per_count outside
/// 20-120.
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_keycode(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_keycode,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let k = arg(value, "value")?;
            Ok(Value::KeyCode(KeyCode {
                film_mfc_code: k.film_mfc_code,
                film_type: k.film_type,
                prefix: k.prefix,
                count: k.count,
                perf_offset: k.perf_offset,
                perfs_per_frame: k.perfs_per_frame,
                perfs_per_count: k.perfs_per_count,
            }))
        })
    }
}

/// Sets a `timecode` attribute.
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_timecode(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_timecode,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let t = arg(value, "value")?;
            Ok(Value::TimeCode(t.time_and_flags, t.user_data))
        })
    }
}

/// Sets a `rational` attribute.
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_rational(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_rational,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let r = arg(value, "value")?;
            Ok(Value::Rational(r.numerator, r.denominator))
        })
    }
}

/// Sets a `compression` attribute to an EXRKIT_COMPRESSION_* value.
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_compression(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: exrkit_compression,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let compression: Compression = enum_field(value, "value")?;
            let id = compression.exr_id().map_err(|e| e.context("value"))?;
            Ok(Value::Compression(id))
        })
    }
}

/// Sets an `envmap` attribute: 0 latitude-longitude, 1 cube.
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_envmap(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: u32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            Ok(Value::EnvMap(byte(value, "value")?))
        })
    }
}

/// Sets a `lineOrder` attribute to an EXRKIT_LINE_ORDER_* value.
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_lineorder(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: exrkit_line_order,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let line_order: LineOrder = enum_field(value, "value")?;
            Ok(Value::LineOrder(line_order as u8))
        })
    }
}

/// Sets a `tiledesc` attribute (level mode EXRKIT_LEVEL_*, rounding mode
/// EXRKIT_ROUND_*).
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_tiledesc(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_tiledesc,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let t = arg(value, "value")?;
            Ok(Value::tile_desc(tile_desc(
                t.width,
                t.height,
                t.level_mode,
                t.rounding_mode,
                "value",
            )?))
        })
    }
}

/// Sets a `preview` attribute: `value->width` x `value->height` pixels of
/// 8-bit RGBA at `value->rgba`, row-major, top row first.
///
/// # Safety
/// As for exrkit_set_attribute_int; `value` must be NULL or valid, its
/// `rgba` holding width * height * 4 bytes.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_preview(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: *const exrkit_preview,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let p = arg(value, "value")?;
            let size = usize::try_from(u64::from(p.width) * u64::from(p.height) * 4)
                .map_err(|_| Error::LimitExceeded("the preview does not fit in memory".into()))?;
            Ok(Value::Preview {
                width: p.width,
                height: p.height,
                rgba: arg_slice(p.rgba, size, "value.rgba")?.to_vec(),
            })
        })
    }
}

/// Sets a `deepImageState` attribute: 0 messy, 1 sorted, 2
/// non-overlapping, 3 tidy.
///
/// # Safety
/// As for exrkit_set_attribute_int.
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_deepimagestate(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    value: u32,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            Ok(Value::DeepImageState(byte(value, "value")?))
        })
    }
}

/// Sets a `bytes` attribute: a NUL-terminated `type_hint` naming what the
/// payload holds (may be empty), and `size` payload bytes at `data`.
///
/// # Safety
/// As for exrkit_set_attribute_int; `type_hint` must be NULL or
/// NUL-terminated, and `data` must hold `size` bytes (NULL when `size` is 0).
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_bytes(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    type_hint: *const c_char,
    data: *const c_void,
    size: usize,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            Ok(Value::Bytes {
                type_hint: Text::new(arg_str(type_hint, "type_hint")?.to_bytes()),
                data: arg_slice(data.cast::<u8>(), size, "data")?.to_vec(),
            })
        })
    }
}

/// Sets a `chlist` attribute to `count` channels, stored in the order
/// given (files keep channel lists sorted by name). An attribute named
/// "channels" replaces the channels exrkit_add_channel gave the part.
///
/// # Safety
/// As for exrkit_set_attribute_int; `channels` must hold `count` channels
/// with NUL-terminated names (NULL when `count` is 0).
#[no_mangle]
pub unsafe extern "C" fn exrkit_set_attribute_chlist(
    writer: *mut exrkit_writer,
    part: u32,
    name: *const c_char,
    channels: *const exrkit_channel,
    count: usize,
) -> exrkit_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_value(writer, part, name, || {
            let list = arg_slice(channels, count, "channels")?
                .iter()
                .map(|c| channel(c, "channels[i]"))
                .collect::<Result<_>>()?;
            Ok(Value::ChannelList(list))
        })
    }
}
