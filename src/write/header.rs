//! Headers a writer produces: the standard attributes of a part
//! description, checked by the same rules the reader applies, then laid out
//! as OpenEXR lays them out (attributes sorted by name).

use super::PartDesc;
use crate::error::{Error, Result};
use crate::meta::attribute::Attribute;
use crate::meta::channel::Channel;
use crate::meta::encode;
use crate::meta::geometry::Geometry;
use crate::meta::header::{Header, HeaderContext};
use crate::meta::text::Text;
use crate::meta::types::Storage;
use crate::meta::value::Value;
use crate::meta::version::VersionFlags;

/// Longest name a file without the long-names flag may hold.
const SHORT_NAME_LEN: usize = 31;

/// A part as the caller describes it before the header is written.
#[derive(Debug, Clone)]
pub(crate) struct PartBuild {
    pub desc: PartDesc,
    pub channels: Vec<Channel>,
    /// Attributes the caller set: name, type name, value bytes.
    pub extra: Vec<(Text, Text, Text)>,
}

/// An error in what the caller described.
fn invalid(part: usize, e: Error) -> Error {
    Error::InvalidArgument(format!("part {part}: {}", e.message()))
}

/// The chunk layout `desc` implies.
fn geometry(desc: &PartDesc) -> Result<Geometry> {
    match (desc.storage, desc.tiles) {
        (Storage::Tiled | Storage::DeepTiled, Some(tiles)) => {
            Geometry::tiles(desc.data_window, tiles)
        }
        (Storage::Tiled | Storage::DeepTiled, None) => Err(Error::InvalidArgument(
            "a tiled part needs a tile description".into(),
        )),
        (Storage::Scanline | Storage::DeepScanline, _) => {
            Geometry::scanlines(desc.data_window, desc.compression.lines_per_chunk())
        }
    }
}

/// The attribute of deep parts the writer fills in at the end, when it
/// knows the most samples a pixel holds.
pub(crate) const MAX_SAMPLES: &str = "maxSamplesPerPixel";

/// The attributes of a part: the standard ones from its description, then
/// the caller's, each name once (the caller's win).
fn attributes(part: &PartBuild, multipart: bool) -> Result<Vec<(Text, Text, Text)>> {
    let desc = &part.desc;
    let text = |s: &str| Text::new(s.as_bytes());
    let mut list: Vec<(Text, Text, Text)> = vec![
        (
            text("channels"),
            text("chlist"),
            Text::from_vec(Value::ChannelList(part.channels.clone()).to_bytes()),
        ),
        (
            text("compression"),
            text("compression"),
            Text::from_vec(Value::Compression(desc.compression as u8).to_bytes()),
        ),
        (
            text("dataWindow"),
            text("box2i"),
            Text::from_vec(Value::Box2i(desc.data_window).to_bytes()),
        ),
        (
            text("displayWindow"),
            text("box2i"),
            Text::from_vec(Value::Box2i(desc.display_window).to_bytes()),
        ),
        (
            text("lineOrder"),
            text("lineOrder"),
            Text::from_vec(Value::LineOrder(desc.line_order as u8).to_bytes()),
        ),
        (
            text("pixelAspectRatio"),
            text("float"),
            Text::from_vec(Value::Float(1.0).to_bytes()),
        ),
        (
            text("screenWindowCenter"),
            text("v2f"),
            Text::from_vec(Value::V2f([0.0, 0.0]).to_bytes()),
        ),
        (
            text("screenWindowWidth"),
            text("float"),
            Text::from_vec(Value::Float(1.0).to_bytes()),
        ),
    ];
    if let Some(tiles) = desc.tiles.filter(|_| desc.storage.is_tiled()) {
        list.push((
            text("tiles"),
            text("tiledesc"),
            Text::from_vec(Value::tile_desc(tiles).to_bytes()),
        ));
    }
    if let Some(name) = &desc.name {
        list.push((text("name"), text("string"), Text::new(name.as_bytes())));
    }
    // OpenEXR has written the part type in every file since 2.0.
    list.push((
        text("type"),
        text("string"),
        Text::new(desc.storage.type_name().as_bytes()),
    ));
    let deep = desc.storage.is_deep();
    if deep {
        list.push((
            text("version"),
            text("int"),
            Text::from_vec(Value::Int(1).to_bytes()),
        ));
        list.push((
            text(MAX_SAMPLES),
            text("int"),
            Text::from_vec(Value::Int(0).to_bytes()),
        ));
    }
    if multipart || deep {
        let chunks = geometry(desc)?.chunk_count();
        let chunks = i32::try_from(chunks).map_err(|_| {
            Error::InvalidArgument(format!("{chunks} chunks are too many for a part"))
        })?;
        list.push((
            text("chunkCount"),
            text("int"),
            Text::from_vec(Value::Int(chunks).to_bytes()),
        ));
    }
    for (name, type_name, data) in &part.extra {
        list.retain(|(n, _, _)| n != name);
        list.push((name.clone(), type_name.clone(), data.clone()));
    }
    list.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(list)
}

/// What [`build`] makes of the parts.
pub(crate) struct Built {
    pub flags: VersionFlags,
    pub headers: Vec<Header>,
    /// The bytes that open the file (magic, flags, headers), offset tables
    /// excluded.
    pub bytes: Vec<u8>,
    /// Per part, where the value of the writer's own maxSamplesPerPixel
    /// lies in `bytes` (deep parts whose caller did not set it).
    pub max_samples_at: Vec<Option<u64>>,
}

/// The headers of `parts`, checked and laid out.
pub(crate) fn build(parts: &[PartBuild]) -> Result<Built> {
    if parts.is_empty() {
        return Err(Error::BadState("the file has no parts".into()));
    }
    let multipart = parts.len() > 1;
    if multipart {
        for (i, part) in parts.iter().enumerate() {
            let Some(name) = &part.desc.name else {
                return Err(Error::InvalidArgument(format!(
                    "part {i}: every part of a multipart file needs a name"
                )));
            };
            if parts[..i]
                .iter()
                .any(|p| p.desc.name.as_ref() == Some(name))
            {
                return Err(Error::InvalidArgument(format!(
                    "part {i}: another part is already named '{name}'"
                )));
            }
        }
    }
    let lists = parts
        .iter()
        .enumerate()
        .map(|(i, p)| attributes(p, multipart).map_err(|e| invalid(i, e)))
        .collect::<Result<Vec<_>>>()?;
    let long_names = lists.iter().flatten().any(|(name, type_name, _)| {
        name.len() > SHORT_NAME_LEN || type_name.len() > SHORT_NAME_LEN
    }) || parts
        .iter()
        .flat_map(|p| &p.channels)
        .any(|c| c.name.len() > SHORT_NAME_LEN);
    let tiled = !multipart && parts[0].desc.storage == Storage::Tiled;
    let deep = parts.iter().any(|p| p.desc.storage.is_deep());
    let flags = VersionFlags::new(tiled, long_names, deep, multipart);
    let ctx = HeaderContext {
        flags,
        strict: true,
    };
    let mut bytes = flags.to_bytes().to_vec();
    let mut headers = Vec::with_capacity(parts.len());
    let mut max_samples_at = Vec::with_capacity(parts.len());
    for (i, (list, part)) in lists.into_iter().zip(parts).enumerate() {
        let mut attributes = Vec::with_capacity(list.len());
        let ours = part.desc.storage.is_deep()
            && !part
                .extra
                .iter()
                .any(|(n, _, _)| n.as_bytes() == MAX_SAMPLES.as_bytes());
        let mut at = None;
        for (name, type_name, data) in list {
            if ours && name.as_bytes() == MAX_SAMPLES.as_bytes() {
                at = Some((bytes.len() + name.len() + type_name.len() + 6) as u64);
            }
            encode::attribute(
                &mut bytes,
                name.as_bytes(),
                type_name.as_bytes(),
                data.as_bytes(),
            );
            attributes
                .push(Attribute::parse(name, type_name, data, true).map_err(|e| invalid(i, e))?);
        }
        bytes.push(0);
        headers.push(Header::from_attributes(attributes, ctx).map_err(|e| invalid(i, e))?);
        max_samples_at.push(at);
    }
    if multipart {
        bytes.push(0);
    }
    Ok(Built {
        flags,
        headers,
        bytes,
        max_samples_at,
    })
}
