//! A QOI image as exrkit presents it to readers and writers: one part of
//! the crate's own header model, so QOI goes through the same handles as
//! OpenEXR.

use super::{Channels, Header};
use crate::error::{Error, Result};
use crate::meta::attribute::Attribute;
use crate::meta::channel::Channel;
use crate::meta::compression::Compression;
use crate::meta::header::Header as PartHeader;
use crate::meta::text::Text;
use crate::meta::types::{Box2i, PixelType};
use crate::meta::value::Value;

/// The one part a QOI file holds: a scanline part over (0, 0) to
/// (width - 1, height - 1) in one chunk, channels R, G, B (and A for
/// 4-channel files) of type U8, compression QOI, and the colour space byte
/// (0 sRGB with linear alpha, 1 all linear) as the int attribute
/// `colorspace`.
pub fn part_header(qoi: &Header) -> Result<PartHeader> {
    let (Ok(max_x), Ok(max_y)) = (
        i32::try_from(i64::from(qoi.width()) - 1),
        i32::try_from(i64::from(qoi.height()) - 1),
    ) else {
        return Err(Error::LimitExceeded(format!(
            "a {} x {} QOI image is larger than exrkit's windows reach",
            qoi.width(),
            qoi.height()
        )));
    };
    let data_window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x,
        max_y,
    };
    let names: &[&str] = match qoi.channels() {
        Channels::Rgb => &["B", "G", "R"],
        Channels::Rgba => &["A", "B", "G", "R"],
    };
    let channels = names
        .iter()
        .map(|name| Channel {
            name: Text::new(name.as_bytes()),
            pixel_type: PixelType::U8,
            p_linear: false,
            x_sampling: 1,
            y_sampling: 1,
        })
        .collect();
    let colorspace = Attribute::parse(
        Text::new(b"colorspace"),
        Text::new(b"int"),
        Text::from_vec(Value::Int(qoi.color_space() as i32).to_bytes()),
        true,
    )?;
    PartHeader::single_chunk(vec![colorspace], channels, Compression::Qoi, data_window)
}
