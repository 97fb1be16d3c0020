//! The bytes before a chunk's data: part number (multipart files), the
//! chunk's first line or tile coordinates, then its sizes (one for flat
//! chunks; sample table, packed and unpacked sizes for deep ones).

use crate::chunk::leader::MAX_LEADER_LEN;
use crate::error::{Error, Result};
use crate::meta::geometry::ChunkRegion;
use crate::meta::header::Header;

/// A chunk leader, built in place.
pub(super) struct Leader {
    bytes: [u8; MAX_LEADER_LEN],
    len: usize,
}

impl Leader {
    /// The leader of the chunk of `region` of part `part` whose sizes are
    /// `sizes` (written as 32 bits for flat parts, 64 for deep ones).
    pub fn new(
        multipart: bool,
        part: usize,
        header: &Header,
        region: &ChunkRegion,
        sizes: &[i64],
    ) -> Result<Self> {
        let mut leader = Self {
            bytes: [0; MAX_LEADER_LEN],
            len: 0,
        };
        let too_large = || Error::InvalidArgument("chunk too large for its leader".into());
        if multipart {
            leader.put(&i32::try_from(part).map_err(|_| too_large())?.to_le_bytes());
        }
        if header.storage().is_tiled() {
            for v in [region.tile_x, region.tile_y, region.level_x, region.level_y] {
                leader.put(&i32::try_from(v).map_err(|_| too_large())?.to_le_bytes());
            }
        } else {
            leader.put(&region.pixels.min_y.to_le_bytes());
        }
        for &size in sizes {
            if header.storage().is_deep() {
                leader.put(&size.to_le_bytes());
            } else {
                leader.put(&i32::try_from(size).map_err(|_| too_large())?.to_le_bytes());
            }
        }
        Ok(leader)
    }

    fn put(&mut self, field: &[u8]) {
        if let Some(room) = self.bytes.get_mut(self.len..self.len + field.len()) {
            room.copy_from_slice(field);
            self.len += field.len();
        }
    }

    /// The leader's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
