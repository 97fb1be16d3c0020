//! Typed attributes: a value of every standard type set with
//! `Writer::set_value` reads back through `Reader` with the same type name,
//! the same bytes and the same decoded value.

mod common;

use common::attributes::values;
use exrkit::meta::attribute::{Attribute, AttributeValue};
use exrkit::meta::channel::Channel;
use exrkit::meta::encode::Value;
use exrkit::meta::text::Text;
use exrkit::meta::types::{Box2i, LevelMode, PixelType, RoundingMode};
use exrkit::pixels::FrameBuffer;
use exrkit::{PartDesc, ReadOptions, Reader, WriteOptions, Writer};

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
