//! The bytes of attribute values, as OpenEXR stores them: what a writer
//! puts in a header.

use super::channel::Channel;
use super::compression::Compression;
use super::types::{Box2i, LevelMode, LineOrder, RoundingMode, TileDesc};

/// A `box2i`: min x, min y, max x, max y.
pub fn box2i(b: Box2i) -> Vec<u8> {
    [b.min_x, b.min_y, b.max_x, b.max_y]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// A `float`.
pub fn float(v: f32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// A `v2f`.
pub fn v2f(x: f32, y: f32) -> Vec<u8> {
    [x, y].iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// An `int`.
pub fn int(v: i32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
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
