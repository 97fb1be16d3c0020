//! Typed attributes: a value of every standard type set with
//! `Writer::set_value` reads back through `Reader` with the same type name,
//! the same bytes and the same decoded value.

use exrkit::meta::attribute::{Attribute, AttributeValue, Chromaticities, KeyCode};
use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::encode::Value;
use exrkit::meta::text::Text;
use exrkit::meta::types::{Box2f, Box2i, LevelMode, LineOrder, PixelType, RoundingMode, TileDesc};
use exrkit::pixels::FrameBuffer;
use exrkit::{PartDesc, ReadOptions, Reader, WriteOptions, Writer};

/// One value of every standard type, named after its type, with values
/// that show a swapped field or a lost bit.
fn values() -> Vec<(&'static str, Value)> {
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
        ("aCompression", Value::Compression(Compression::Piz)),
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
        ("aLineOrder", Value::LineOrder(LineOrder::DecreasingY)),
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
            Value::TileDesc(TileDesc {
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

/// Whether `attr`, as read back, holds `value`: the decoded fields the
/// reader gives, and the payload of the types it leaves in the raw bytes.
fn holds(attr: &Attribute, value: &Value) -> bool {
    use AttributeValue as A;
    match (value, &attr.value) {
        (Value::Box2i(v), A::Box2i(r)) => v == r,
        (Value::Box2f(v), A::Box2f(r)) => v == r,
        (Value::Bytes { type_hint, data }, A::Bytes { type_hint: r, .. }) => {
            type_hint == r && attr.payload() == &data[..]
        }
        (Value::ChannelList(v), A::ChannelList(r)) => v == r,
        (Value::Chromaticities(v), A::Chromaticities(r)) => v == &**r,
        (Value::Compression(v), A::Compression(r)) => *v as u8 == *r,
        (Value::Double(v), A::Double(r)) => v.to_bits() == r.to_bits(),
        (Value::EnvMap(v), A::EnvMap(r)) | (Value::DeepImageState(v), A::DeepImageState(r)) => {
            v == r
        }
        (Value::Float(v), A::Float(r)) => v.to_bits() == r.to_bits(),
        (Value::FloatVector(v), A::FloatVector(r)) => v == r,
        (Value::Int(v), A::Int(r)) => v == r,
        (Value::KeyCode(v), A::KeyCode(r)) => v == &**r,
        (Value::LineOrder(v), A::LineOrder(r)) => *v as u8 == *r,
        (Value::M33f(v), A::M33f(r)) => v == &**r,
        (Value::M33d(v), A::M33d(r)) => v == &**r,
        (Value::M44f(v), A::M44f(r)) => v == &**r,
        (Value::M44d(v), A::M44d(r)) => v == &**r,
        (
            Value::Preview {
                width,
                height,
                rgba,
            },
            A::Preview {
                width: w,
                height: h,
            },
        ) => (width, height) == (w, h) && attr.payload() == &rgba[..],
        (Value::Rational(n, d), A::Rational(rn, rd)) => (n, d) == (rn, rd),
        (Value::String(v), A::String) => attr.payload() == v.as_bytes(),
        (Value::StringVector(v), A::StringVector(r)) => v == r,
        (
            Value::TileDesc(v),
            A::TileDesc {
                width,
                height,
                mode,
            },
        ) => {
            let level = match v.level_mode {
                LevelMode::One => 0,
                LevelMode::Mipmap => 1,
                LevelMode::Ripmap => 2,
            };
            let rounding = match v.rounding_mode {
                RoundingMode::Down => 0,
                RoundingMode::Up => 1,
            };
            (v.width, v.height, level | rounding << 4) == (*width, *height, *mode)
        }
        (Value::TimeCode(t, u), A::TimeCode(rt, ru)) => (t, u) == (rt, ru),
        (Value::V2i(v), A::V2i(r)) => v == r,
        (Value::V2f(v), A::V2f(r)) => v == r,
        (Value::V2d(v), A::V2d(r)) => v == r,
        (Value::V3i(v), A::V3i(r)) => v == r,
        (Value::V3f(v), A::V3f(r)) => v == r,
        (Value::V3d(v), A::V3d(r)) => v == r,
        _ => false,
    }
}

#[test]
fn every_standard_type_round_trips_through_writer_and_reader() {
    let window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: 3,
        max_y: 2,
    };
    let mut writer = Writer::to_memory(WriteOptions::default());
    let part = writer.add_part(PartDesc::scanline(window)).expect("part");
    writer
        .add_channel(
            part,
            Channel {
                name: Text::new(b"Y"),
                pixel_type: PixelType::Float,
                p_linear: false,
                x_sampling: 1,
                y_sampling: 1,
            },
        )
        .expect("channel");
    let values = values();
    for (name, value) in &values {
        writer.set_value(part, name, value).expect(name);
    }
    writer.write_header().expect("header");
    let mut pixels = vec![0.5f32; 12];
    let mut fb = FrameBuffer::new(window).expect("window");
    fb.add("Y", &mut pixels, 0.0).expect("slice");
    writer.write_image(part, 0, 0, &fb).expect("pixels");
    drop(fb);
    writer.finish().expect("finish");
    let reader = Reader::from_bytes(
        writer.bytes().expect("bytes").to_vec(),
        ReadOptions::default(),
    )
    .expect("reads back");
    let header = reader.header(part).expect("part");
    let mut types: Vec<&str> = Vec::new();
    for (name, value) in &values {
        let attr = header
            .attributes()
            .iter()
            .find(|a| a.name.as_bytes() == name.as_bytes())
            .unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(attr.type_name.as_bytes(), value.type_name().as_bytes());
        assert_eq!(attr.data.as_bytes(), &value.to_bytes()[..], "{name}");
        assert!(holds(attr, value), "{name}: read back as {:?}", attr.value);
        types.push(value.type_name());
    }
    types.sort_unstable();
    types.dedup();
    assert_eq!(types.len(), 30, "every standard type but opaque ones");
}

#[test]
fn values_that_do_not_decode_are_refused() {
    let window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: 0,
        max_y: 0,
    };
    let mut writer = Writer::to_memory(WriteOptions::default());
    let part = writer.add_part(PartDesc::scanline(window)).expect("part");
    let short_preview = Value::Preview {
        width: 2,
        height: 2,
        rgba: vec![0; 15],
    };
    let err = writer
        .set_value(part, "preview", &short_preview)
        .expect_err("a preview without all its pixels");
    assert!(err.to_string().contains("preview"), "{err}");
}
