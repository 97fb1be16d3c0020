//! The 8 bytes that open every OpenEXR file: magic number, version, flags.

use crate::error::{Error, Result};

/// The first four bytes of every OpenEXR file.
pub(crate) const MAGIC: [u8; 4] = [0x76, 0x2f, 0x31, 0x01];

const VERSION_MASK: u32 = 0xff;
const SINGLE_PART_TILED: u32 = 0x200;
const LONG_NAMES: u32 = 0x400;
const NON_IMAGE: u32 = 0x800;
const MULTIPART: u32 = 0x1000;
const KNOWN_FLAGS: u32 = SINGLE_PART_TILED | LONG_NAMES | NON_IMAGE | MULTIPART;

/// The version field's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VersionFlags {
    /// The whole field as stored.
    pub raw: u32,
    /// A single-part file whose part is tiled.
    pub single_part_tiled: bool,
    /// Names may be up to 255 bytes instead of 31.
    pub long_names: bool,
    /// The file holds deep ("non-image") data.
    pub deep: bool,
    /// The file has several headers and part numbers in its chunks.
    pub multipart: bool,
}

impl VersionFlags {
    /// The flags of a version-2 file with these properties.
    pub fn new(single_part_tiled: bool, long_names: bool, deep: bool, multipart: bool) -> Self {
        let raw =
            2 | if single_part_tiled {
                SINGLE_PART_TILED
            } else {
                0
            } | if long_names { LONG_NAMES } else { 0 }
                | if deep { NON_IMAGE } else { 0 }
                | if multipart { MULTIPART } else { 0 };
        Self {
            raw,
            single_part_tiled,
            long_names,
            deep,
            multipart,
        }
    }

    /// The 8 bytes that open a file with these flags.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&MAGIC);
        bytes[4..].copy_from_slice(&self.raw.to_le_bytes());
        bytes
    }

    /// Decodes and checks the 8-byte prefix of a file.
    pub fn parse(prefix: [u8; 8]) -> Result<Self> {
        if prefix[..4] != MAGIC {
            return Err(Error::UnknownFormat(
                "the data does not start with the OpenEXR magic number".into(),
            ));
        }
        let raw = u32::from_le_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]);
        let version = raw & VERSION_MASK;
        if version != 2 {
            return Err(Error::Unsupported(format!(
                "OpenEXR file format version {version} (only version 2 exists)"
            )));
        }
        let unknown = raw & !VERSION_MASK & !KNOWN_FLAGS;
        if unknown != 0 {
            return Err(Error::Unsupported(format!(
                "unknown version flags {unknown:#x} in {raw:#x}"
            )));
        }
        Ok(Self {
            raw,
            single_part_tiled: raw & SINGLE_PART_TILED != 0,
            long_names: raw & LONG_NAMES != 0,
            deep: raw & NON_IMAGE != 0,
            multipart: raw & MULTIPART != 0,
        })
    }

    /// The longest attribute, type or channel name the flags allow.
    pub fn max_name_len(&self) -> usize {
        if self.long_names {
            255
        } else {
            31
        }
    }
}
