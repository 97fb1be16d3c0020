//! Typed attributes: a value of every standard type set with
//! `Writer::set_value` reads back through `Reader` with the same type name,
//! the same bytes and the same decoded value.

mod common;

use common::attributes::values;
use exrkit::meta::attribute::Attribute;
use exrkit::meta::channel::Channel;
use exrkit::meta::text::Text;
use exrkit::meta::types::{Box2i, PixelType};
use exrkit::meta::value::Value;
use exrkit::pixels::FrameBuffer;
use exrkit::{PartDesc, ReadOptions, Reader, WriteOptions, Writer};

/// Whether `attr`, as read back, holds `value`: the same decoded value,
/// and for the types whose C view points into the raw bytes (byte
/// payloads, preview pixels, strings), the same bytes there.
fn holds(attr: &Attribute, value: &Value) -> bool {
    let payload = match value {
        Value::Bytes { data, .. } => Some(&data[..]),
        Value::Preview { rgba, .. } => Some(&rgba[..]),
        Value::String(text) => Some(text.as_bytes()),
        _ => None,
    };
    let payload_matches = match payload {
        Some(bytes) => attr.payload() == bytes,
        None => true,
    };
    attr.value.as_ref() == Some(value) && payload_matches
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
