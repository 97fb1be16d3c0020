//! Metadata: the version field, attributes, headers and their validation,
//! and the chunk geometry a header implies.

#![forbid(unsafe_code)]

pub mod attribute;
pub mod channel;
pub mod compression;
pub mod encode;
pub mod geometry;
pub mod header;
pub mod sampling;
pub mod text;
pub mod types;
mod validate;
pub mod value;
pub mod version;

use attribute::Attribute;
use header::{Header, HeaderContext};
use text::Text;
use version::VersionFlags;

use crate::error::{corrupt, Error, Result};
use crate::io::{ReadAt, SourceCursor};

/// Everything before the offset tables: the version field and each part's header.
#[derive(Debug, Clone)]
pub struct FileHeaders {
    /// The version field.
    pub flags: VersionFlags,
    /// One header per part.
    pub headers: Vec<Header>,
    /// The offset of the first byte after the headers, where the offset
    /// tables begin.
    pub end: u64,
}

/// Reads and checks the version field and every header of an OpenEXR file.
pub fn read_headers(source: &dyn ReadAt, strict: bool) -> Result<FileHeaders> {
    let mut cursor = SourceCursor::new(source, 0);
    let flags = VersionFlags::parse(cursor.array::<8>().map_err(|_| {
        Error::UnknownFormat("the data is too short to be an OpenEXR file".into())
    })?)?;
    if flags.single_part_tiled && (flags.deep || flags.multipart) {
        corrupt!(
            "version flags {:#x} combine single-part tiled with deep or multipart",
            flags.raw
        );
    }
    let ctx = HeaderContext { flags, strict };
    let mut headers = Vec::new();
    loop {
        let index = headers.len();
        let attributes = read_attributes(&mut cursor, ctx)
            .map_err(|e| e.context(format_args!("header of part {index}")))?;
        let header = Header::from_attributes(attributes, ctx)
            .map_err(|e| e.context(format_args!("part {index}")))?;
        headers.push(header);
        if !flags.multipart || cursor.peek_u8()? == 0 {
            break;
        }
    }
    if flags.multipart {
        cursor.u8()?;
        check_shared_attributes(&headers)?;
    }
    Ok(FileHeaders {
        flags,
        headers,
        end: cursor.position(),
    })
}

/// Reads attributes up to and including the NUL that ends a header.
fn read_attributes(cursor: &mut SourceCursor<'_>, ctx: HeaderContext) -> Result<Vec<Attribute>> {
    // Outside strict mode OpenEXR accepts long names without the flag.
    let max_name = if ctx.strict {
        ctx.flags.max_name_len()
    } else {
        channel::MAX_NAME_LEN
    };
    let mut attributes = Vec::new();
    loop {
        if cursor.peek_u8()? == 0 {
            cursor.u8()?;
            return Ok(attributes);
        }
        let name = Text::from_vec(cursor.null_terminated(max_name, "attribute name")?);
        let type_name = Text::from_vec(cursor.null_terminated(max_name, "attribute type name")?);
        if type_name.is_empty() {
            corrupt!("attribute '{name}' has an empty type name");
        }
        let size = cursor.i32()?;
        let Ok(size) = usize::try_from(size) else {
            corrupt!("attribute '{name}' has negative size {size}");
        };
        if size as u64 > cursor.remaining() {
            corrupt!(
                "attribute '{name}' claims {size} bytes but only {} remain in the file",
                cursor.remaining()
            );
        }
        let data = Text::new(cursor.bytes(size)?);
        attributes.push(Attribute::parse(name, type_name, data, ctx.strict)?);
    }
}

/// Multipart files must agree on the display window and pixel aspect ratio,
/// and later parts may not bring a timecode or chromaticities that differ.
fn check_shared_attributes(headers: &[Header]) -> Result<()> {
    let Some((first, rest)) = headers.split_first() else {
        return Ok(());
    };
    for (i, h) in rest.iter().enumerate() {
        let part = i + 1;
        if h.display_window() != first.display_window() {
            corrupt!("part {part}: the display window differs from part 0's");
        }
        if h.pixel_aspect_ratio().to_bits() != first.pixel_aspect_ratio().to_bits() {
            corrupt!("part {part}: the pixel aspect ratio differs from part 0's");
        }
        for name in [&b"timecode"[..], b"chromaticities"] {
            if let Some(attr) = h.attribute(name) {
                let same = first
                    .attribute(name)
                    .is_some_and(|a| a.type_name == attr.type_name && a.data == attr.data);
                if !same {
                    corrupt!(
                        "part {part}: attribute '{}' differs from part 0's",
                        attr.name
                    );
                }
            }
        }
    }
    Ok(())
}
