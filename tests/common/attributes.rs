//! One value of every standard attribute type, shared by the tests that
//! write them and check what readers make of them, and the canonical form
//! in which the reference tools (tests/support/openexr_ref.py and .cpp)
//! report attribute values.

use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::text::Text;
use exrkit::meta::types::{Box2f, Box2i, LevelMode, LineOrder, PixelType, RoundingMode, TileDesc};
use exrkit::meta::value::{Chromaticities, KeyCode, Value};

use super::json::Json;

/// One value of every standard type, named after its type, with values
/// that show a swapped field or a lost bit. The rational is in lowest terms
/// and the timecode's digits are BCD, as PyPI's OpenEXR reports only those
/// faithfully (it hands rationals out as `fractions.Fraction` and timecodes
/// as decoded fields).
pub fn values() -> Vec<(&'static str, Value)> {
    let m33: Vec<f64> = (0..9).map(|i| f64::from(i) * 1.25 - 3.0).collect();
    let m44: Vec<f64> = (0..16).map(|i| f64::from(i) * -0.5 + 1e-9).collect();
    vec![
        (
            "aBox2i",
            Value::Box2i(Box2i {
                min_x: -3,
                min_y: 4,
                max_x: 99,
                max_y: 1000,
            }),
        ),
        (
            "aBox2f",
            Value::Box2f(Box2f {
                min_x: -0.5,
                min_y: 0.25,
                max_x: 1.5,
                max_y: 2.75,
            }),
        ),
        (
            "aBytes",
            Value::Bytes {
                type_hint: Text::new(b"application/x-test"),
                data: vec![0, 1, 2, 255, 0, 7],
            },
        ),
        (
            "aChlist",
            Value::ChannelList(vec![
                Channel {
                    name: Text::new(b"A"),
                    pixel_type: PixelType::Uint,
                    p_linear: false,
                    x_sampling: 1,
                    y_sampling: 1,
                },
                Channel {
                    name: Text::new(b"BY"),
                    pixel_type: PixelType::Half,
                    p_linear: true,
                    x_sampling: 2,
                    y_sampling: 2,
                },
            ]),
        ),
        (
            "aChromaticities",
            Value::Chromaticities(Chromaticities {
                red: [0.64, 0.33],
                green: [0.3, 0.6],
                blue: [0.15, 0.06],
                white: [0.3127, 0.329],
            }),
        ),
        ("aCompression", Value::Compression(Compression::Piz as u8)),
        ("aDouble", Value::Double(std::f64::consts::PI)),
        ("aEnvmap", Value::EnvMap(1)),
        ("aFloat", Value::Float(-2.5e-3)),
        ("aFloatvector", Value::FloatVector(vec![1.0, -2.0, 3.5e8])),
        ("aInt", Value::Int(-123_456)),
        (
            "aKeycode",
            Value::KeyCode(KeyCode {
                film_mfc_code: 1,
                film_type: 2,
                prefix: 3,
                count: 4,
                perf_offset: 5,
                perfs_per_frame: 4,
                perfs_per_count: 64,
            }),
        ),
        ("aLineOrder", Value::LineOrder(LineOrder::DecreasingY as u8)),
        ("aM33f", Value::M33f(std::array::from_fn(|i| m33[i] as f32))),
        ("aM33d", Value::M33d(std::array::from_fn(|i| m33[i]))),
        ("aM44f", Value::M44f(std::array::from_fn(|i| m44[i] as f32))),
        ("aM44d", Value::M44d(std::array::from_fn(|i| m44[i]))),
        (
            "aPreview",
            Value::Preview {
                width: 3,
                height: 2,
                rgba: (0..24).map(|i| i * 10).collect(),
            },
        ),
        ("aRational", Value::Rational(-24_000, 1001)),
        (
            "aString",
            Value::String(Text::new(b"a string, with UTF-8: \xc3\xa9")),
        ),
        (
            "aStringvector",
            Value::StringVector(vec![
                Text::new(b"left"),
                Text::new(b""),
                Text::new(b"right"),
            ]),
        ),
        (
            "aTiledesc",
            Value::tile_desc(TileDesc {
                width: 64,
                height: 32,
                level_mode: LevelMode::Ripmap,
                rounding_mode: RoundingMode::Up,
            }),
        ),
        ("aTimecode", Value::TimeCode(0x1234_5678, 0x9abc_def0)),
        ("aV2i", Value::V2i([-1, 2])),
        ("aV2f", Value::V2f([0.5, -0.25])),
        ("aV2d", Value::V2d([1e300, -1e-300])),
        ("aV3i", Value::V3i([7, -8, 9])),
        ("aV3f", Value::V3f([1.0, 2.0, -3.0])),
        ("aV3d", Value::V3d([0.1, 0.2, 0.3])),
        ("aDeepImageState", Value::DeepImageState(3)),
    ]
}

/// `value` in the canonical form of the reference tools: the type name,
/// then the fields in file order; floats as the hexadecimal digits of their
/// bits, byte payloads in hexadecimal, channels as [name, pixel type,
/// x sampling, y sampling, pLinear].
pub fn canonical(value: &Value) -> Json {
    let f = |v: f32| Json::Str(format!("{:08x}", v.to_bits()));
    let d = |v: f64| Json::Str(format!("{:016x}", v.to_bits()));
    let int = |v: i32| Json::Int(v.into());
    let uint = |v: u32| Json::Int(v.into());
    let text = |t: &Text| {
        Json::Str(String::from_utf8(t.as_bytes().to_vec()).expect("attribute text is UTF-8"))
    };
    let hex = |bytes: &[u8]| Json::Str(bytes.iter().map(|b| format!("{b:02x}")).collect());
    let items: Vec<Json> = match value {
        Value::Box2i(b) => [b.min_x, b.min_y, b.max_x, b.max_y].map(int).to_vec(),
        Value::Box2f(b) => [b.min_x, b.min_y, b.max_x, b.max_y].map(f).to_vec(),
        Value::Bytes { type_hint, data } => vec![text(type_hint), hex(data)],
        Value::ChannelList(channels) => channels
            .iter()
            .map(|c| {
                Json::Array(vec![
                    text(&c.name),
                    Json::Int(c.pixel_type as i64),
                    int(c.x_sampling),
                    int(c.y_sampling),
                    Json::Bool(c.p_linear),
                ])
            })
            .collect(),
        Value::Chromaticities(c) => [c.red, c.green, c.blue, c.white]
            .concat()
            .into_iter()
            .map(f)
            .collect(),
        Value::Compression(c) => vec![Json::Int(*c as i64)],
        Value::Double(v) => vec![d(*v)],
        Value::EnvMap(v) | Value::DeepImageState(v) => vec![Json::Int((*v).into())],
        Value::Float(v) => vec![f(*v)],
        Value::FloatVector(v) => v.iter().copied().map(f).collect(),
        Value::Int(v) => vec![int(*v)],
        Value::KeyCode(k) => [
            k.film_mfc_code,
            k.film_type,
            k.prefix,
            k.count,
            k.perf_offset,
            k.perfs_per_frame,
            k.perfs_per_count,
        ]
        .map(int)
        .to_vec(),
        Value::LineOrder(order) => vec![Json::Int(*order as i64)],
        Value::M33f(m) => m.map(f).to_vec(),
        Value::M33d(m) => m.map(d).to_vec(),
        Value::M44f(m) => m.map(f).to_vec(),
        Value::M44d(m) => m.map(d).to_vec(),
        Value::Preview {
            width,
            height,
            rgba,
        } => vec![uint(*width), uint(*height), hex(rgba)],
        Value::Rational(n, den) => vec![int(*n), uint(*den)],
        Value::String(t) => vec![text(t)],
        Value::StringVector(items) => items.iter().map(text).collect(),
        Value::TileDesc {
            width,
            height,
            mode,
        } => vec![
            uint(*width),
            uint(*height),
            Json::Int((mode & 0x0f).into()),
            Json::Int((mode >> 4).into()),
        ],
        Value::TimeCode(time, user) => vec![uint(*time), uint(*user)],
        Value::V2i(v) => v.map(int).to_vec(),
        Value::V2f(v) => v.map(f).to_vec(),
        Value::V2d(v) => v.map(d).to_vec(),
        Value::V3i(v) => v.map(int).to_vec(),
        Value::V3f(v) => v.map(f).to_vec(),
        Value::V3d(v) => v.map(d).to_vec(),
    };
    let mut out = vec![Json::from(value.type_name())];
    out.extend(items);
    Json::Array(out)
}
