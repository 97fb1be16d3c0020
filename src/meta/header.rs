//! One part's header: its attributes, and the standard ones decoded and
//! checked against the rules OpenEXR enforces.

use std::collections::HashMap;

use super::attribute::Attribute;
use super::channel::Channel;
use super::compression::Compression;
use super::geometry::Geometry;
use super::text::Text;
use super::types::{Box2i, LineOrder, Storage, TileDesc};
use super::validate;
use super::value::Value;
use super::version::VersionFlags;
use crate::error::{corrupt, Result};

/// The header of one part.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    attributes: Vec<Attribute>,
    channels: Vec<Channel>,
    compression: Compression,
    data_window: Box2i,
    display_window: Box2i,
    line_order: LineOrder,
    pixel_aspect_ratio: f32,
    storage: Storage,
    geometry: Geometry,
}

/// What the header parser knows besides the attributes themselves.
#[derive(Debug, Clone, Copy)]
pub struct HeaderContext {
    /// The file's version flags.
    pub flags: VersionFlags,
    /// Reject what OpenEXR's strict header parsing rejects.
    pub strict: bool,
}

impl Header {
    /// Builds a header from its attributes in file order, checking every rule.
    /// Outside strict mode, missing view attributes get OpenEXR's defaults.
    pub fn from_attributes(attributes: Vec<Attribute>, ctx: HeaderContext) -> Result<Self> {
        let attributes = dedupe(attributes, ctx.strict)?;
        let find = |name: &str| attributes.iter().find(|a| a.name == *name);
        let required = |name: &str| {
            find(name).ok_or_else(|| {
                crate::Error::Corrupt(format!("missing required attribute '{name}'"))
            })
        };
        // Outside strict mode a value that did not decode counts as missing
        // and gets the default, as in OpenEXR.
        let lenient = |name: &str| {
            if ctx.strict {
                required(name).map(Some)
            } else {
                Ok(find(name).filter(|a| a.value.is_some()))
            }
        };
        let mut channels = match &required("channels")?.value {
            Some(Value::ChannelList(list)) => list.clone(),
            _ => corrupt!("attribute 'channels' must have type chlist"),
        };
        // Chunks store channels in name order whatever order the list has.
        channels.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        let compression = match lenient("compression")?.map(|a| &a.value) {
            Some(Some(Value::Compression(id))) => Compression::from_exr_id(*id)?,
            None => Compression::Zip,
            _ => corrupt!("attribute 'compression' must have type compression"),
        };
        let data_window = optional_box2i(lenient("dataWindow")?)?;
        let display_window = optional_box2i(lenient("displayWindow")?)?;
        let line_order = match lenient("lineOrder")?.map(|a| &a.value) {
            Some(Some(Value::LineOrder(code))) => LineOrder::from_code(*code)?,
            None => LineOrder::IncreasingY,
            _ => corrupt!("attribute 'lineOrder' must have type lineOrder"),
        };
        let pixel_aspect_ratio = match lenient("pixelAspectRatio")?.map(|a| &a.value) {
            Some(Some(Value::Float(v))) => *v,
            None => 1.0,
            _ => corrupt!("attribute 'pixelAspectRatio' must have type float"),
        };
        match lenient("screenWindowCenter")?.map(|a| &a.value) {
            Some(Some(Value::V2f(_))) | None => {}
            _ => corrupt!("attribute 'screenWindowCenter' must have type v2f"),
        }
        let screen_window_width = match lenient("screenWindowWidth")?.map(|a| &a.value) {
            Some(Some(Value::Float(v))) => *v,
            None => 1.0,
            _ => corrupt!("attribute 'screenWindowWidth' must have type float"),
        };
        let storage = storage(&attributes, ctx)?;
        let tiles = if storage.is_tiled() {
            Some(tile_desc(required("tiles")?)?)
        } else {
            None
        };
        if ctx.flags.multipart {
            required("name")?;
        }
        if ctx.strict && (ctx.flags.multipart || ctx.flags.deep) {
            required("chunkCount")?;
        }
        if ctx.strict && storage.is_deep() {
            match required("version")?.value {
                Some(Value::Int(1)) => {}
                _ => corrupt!("attribute 'version' must be the int 1"),
            }
        }
        validate::windows(data_window, display_window)?;
        validate::view(pixel_aspect_ratio, screen_window_width)?;
        validate::channels(&channels, data_window, storage)?;
        validate::compression(compression, storage)?;
        let geometry = match tiles {
            Some(desc) => Geometry::tiles(data_window, validate::tiles(desc)?)?,
            None => Geometry::scanlines(data_window, compression.lines_per_chunk())?,
        };
        if let Some(attr) = find("chunkCount") {
            let Some(Value::Int(count)) = attr.value else {
                corrupt!("attribute 'chunkCount' must have type int");
            };
            // OpenEXR trusts its own computation over the attribute unless strict.
            if ctx.strict && u64::try_from(count).ok() != Some(geometry.chunk_count()) {
                corrupt!(
                    "attribute 'chunkCount' is {count} but the part's geometry needs {} chunks",
                    geometry.chunk_count()
                );
            }
        }
        if let Some(attr) = find("name") {
            if !matches!(attr.value, Some(Value::String(_))) {
                corrupt!("attribute 'name' must have type string");
            }
            if attr.data.is_empty() {
                corrupt!("attribute 'name' is empty");
            }
        }
        Ok(Self {
            attributes,
            channels,
            compression,
            data_window,
            display_window,
            line_order,
            pixel_aspect_ratio,
            storage,
            geometry,
        })
    }

    /// A part no OpenEXR header describes (how another format, QOI,
    /// presents its image): `channels` of `data_window`, which is the
    /// display window too, in one scanline chunk of `compression`, with
    /// `attributes` as given, increasing line order and square pixels.
    pub fn single_chunk(
        attributes: Vec<Attribute>,
        mut channels: Vec<Channel>,
        compression: Compression,
        data_window: Box2i,
    ) -> Result<Self> {
        let Ok(lines) = u32::try_from(data_window.height()) else {
            return Err(crate::Error::InvalidArgument(format!(
                "a single-chunk part needs a non-empty window, not {data_window:?}"
            )));
        };
        channels.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(Self {
            attributes,
            channels,
            compression,
            data_window,
            display_window: data_window,
            line_order: LineOrder::IncreasingY,
            pixel_aspect_ratio: 1.0,
            storage: Storage::Scanline,
            geometry: Geometry::scanlines(data_window, lines)?,
        })
    }

    /// Every attribute, in file order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// The attribute called `name`.
    pub fn attribute(&self, name: &[u8]) -> Option<&Attribute> {
        self.attribute_index(name).map(|i| &self.attributes[i])
    }

    /// Where the attribute called `name` is in [`Header::attributes`].
    pub fn attribute_index(&self, name: &[u8]) -> Option<usize> {
        self.attributes
            .iter()
            .position(|a| a.name.as_bytes() == name)
    }

    /// The part's name (`name` attribute), if it has one.
    pub fn name(&self) -> Option<&Text> {
        self.attribute(b"name").map(|a| &a.data)
    }

    /// The channels, in file order (sorted by name in valid files).
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The compression of every chunk.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The pixels stored, inclusive.
    pub fn data_window(&self) -> Box2i {
        self.data_window
    }

    /// The pixels of the full frame, inclusive.
    pub fn display_window(&self) -> Box2i {
        self.display_window
    }

    /// The order chunks were written in.
    pub fn line_order(&self) -> LineOrder {
        self.line_order
    }

    /// Width of a pixel divided by its height.
    pub fn pixel_aspect_ratio(&self) -> f32 {
        self.pixel_aspect_ratio
    }

    /// Scanline or tiled, flat or deep.
    pub fn storage(&self) -> Storage {
        self.storage
    }

    /// Chunk layout: levels, tiles, lines per chunk.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }
}

/// A window attribute, or OpenEXR's default (0 0) - (63 63) when absent.
fn optional_box2i(attr: Option<&Attribute>) -> Result<Box2i> {
    match attr.map(|a| (a, &a.value)) {
        Some((_, Some(Value::Box2i(b)))) => Ok(*b),
        None => Ok(Box2i {
            min_x: 0,
            min_y: 0,
            max_x: 63,
            max_y: 63,
        }),
        Some((a, _)) => corrupt!("attribute '{}' must have type box2i", a.name),
    }
}

/// Drops repeated attributes: strict parsing rejects them; otherwise the
/// identity attributes keep their first value and all others their last, as
/// in OpenEXR.
fn dedupe(attributes: Vec<Attribute>, strict: bool) -> Result<Vec<Attribute>> {
    // For each name, the index of the copy that stays.
    let mut chosen: HashMap<&[u8], usize> = HashMap::with_capacity(attributes.len());
    for (i, attr) in attributes.iter().enumerate() {
        if let Some(kept) = chosen.get_mut(attr.name.as_bytes()) {
            if strict {
                corrupt!("attribute '{}' appears twice", attr.name);
            }
            let first_wins = ["name", "type", "version", "chunkCount"]
                .iter()
                .any(|n| attr.name == **n);
            if !first_wins {
                *kept = i;
            }
        } else {
            chosen.insert(attr.name.as_bytes(), i);
        }
    }
    if chosen.len() == attributes.len() {
        return Ok(attributes);
    }
    let mut keep = vec![false; attributes.len()];
    for &i in chosen.values() {
        keep[i] = true;
    }
    // A repeated name stays at the position of its first appearance.
    let mut first_position: HashMap<&[u8], usize> = HashMap::new();
    for (i, attr) in attributes.iter().enumerate() {
        first_position.entry(attr.name.as_bytes()).or_insert(i);
    }
    let mut order: Vec<(usize, usize)> = (0..attributes.len())
        .filter(|&i| keep[i])
        .map(|i| (first_position[attributes[i].name.as_bytes()], i))
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<Attribute>> = attributes.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take))
        .collect())
}

fn tile_desc(attr: &Attribute) -> Result<TileDesc> {
    match attr.value {
        Some(Value::TileDesc {
            width,
            height,
            mode,
        }) => TileDesc::from_parts(width, height, mode).map_err(|e| e.context("attribute 'tiles'")),
        _ => corrupt!("attribute 'tiles' must have type tiledesc"),
    }
}

/// The part's storage: its `type` attribute, or the version flags for
/// single-part files written before `type` existed.
///
/// In multipart and deep files `type` decides; in other single-part files the
/// tiled flag decides and a `type` that disagrees is an error only when strict.
fn storage(attributes: &[Attribute], ctx: HeaderContext) -> Result<Storage> {
    let flags = ctx.flags;
    let declared = match attributes.iter().find(|a| a.name == *"type") {
        Some(attr) if !matches!(attr.value, Some(Value::String(_))) => {
            corrupt!("attribute 'type' must have type string")
        }
        Some(attr) => match Storage::from_type_name(attr.data.as_bytes()) {
            Some(storage) => Some(storage),
            None => corrupt!(
                "attribute 'type' names an unknown part type '{}'",
                attr.data
            ),
        },
        None => None,
    };
    if flags.multipart || flags.deep {
        return declared
            .ok_or_else(|| crate::Error::Corrupt("missing required attribute 'type'".into()));
    }
    let by_flags = if flags.single_part_tiled {
        Storage::Tiled
    } else {
        Storage::Scanline
    };
    match declared {
        Some(storage) if ctx.strict && storage != by_flags => corrupt!(
            "attribute 'type' says '{}' but the version flags say '{}'",
            storage.type_name(),
            by_flags.type_name()
        ),
        _ => Ok(by_flags),
    }
}
