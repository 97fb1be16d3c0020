//! The few bytes before each chunk's data: part number, position and sizes.

use crate::error::{corrupt, Result};
use crate::meta::types::Storage;

/// The longest leader: part number, four tile coordinates, three 64-bit sizes.
pub(crate) const MAX_LEADER_LEN: usize = 4 + 16 + 24;

/// A decoded chunk leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leader {
    /// The part number (always 0 in single-part files, where it is not stored).
    pub part: i32,
    /// Scanline parts: `[y, 0, 0, 0]`; tiled parts: `[tile_x, tile_y, level_x, level_y]`.
    pub coords: [i32; 4],
    /// Bytes of the packed sample count table (deep parts; 0 otherwise).
    pub sample_table_size: u64,
    /// Bytes of packed pixel data.
    pub packed_size: u64,
    /// Bytes of the unpacked sample data as the leader states it (deep parts
    /// only; 0 otherwise).
    pub deep_unpacked_size: u64,
    /// Bytes the leader itself occupies.
    pub len: usize,
}

impl Leader {
    /// The leader's length for a part of this storage.
    pub fn len_for(storage: Storage, multipart: bool) -> usize {
        let part = if multipart { 4 } else { 0 };
        let coords = if storage.is_tiled() { 16 } else { 4 };
        let sizes = if storage.is_deep() { 24 } else { 4 };
        part + coords + sizes
    }

    /// Decodes a leader from the bytes at the start of a chunk. `bytes` may be
    /// longer than the leader.
    pub fn parse(bytes: &[u8], storage: Storage, multipart: bool) -> Result<Self> {
        let len = Self::len_for(storage, multipart);
        let Some(mut rest) = bytes.get(..len) else {
            corrupt!("the file ends inside a chunk leader");
        };
        let mut i32_field = || {
            let (head, tail) = rest.split_first_chunk::<4>()?;
            rest = tail;
            Some(i32::from_le_bytes(*head))
        };
        let part = if multipart { i32_field() } else { Some(0) };
        let mut coords = [0i32; 4];
        let coord_count = if storage.is_tiled() { 4 } else { 1 };
        for c in coords.iter_mut().take(coord_count) {
            *c = i32_field().unwrap_or_default();
        }
        let part = part.unwrap_or_default();
        let leader = if storage.is_deep() {
            let mut sizes = [0u64; 3];
            for (size, bytes) in sizes.iter_mut().zip(rest.chunks_exact(8)) {
                let value = i64::from_le_bytes(bytes.try_into().unwrap_or_default());
                let Ok(value) = u64::try_from(value) else {
                    corrupt!("a deep chunk leader holds the negative size {value}");
                };
                *size = value;
            }
            let [sample_table_size, packed_size, deep_unpacked_size] = sizes;
            Self {
                part,
                coords,
                sample_table_size,
                packed_size,
                deep_unpacked_size,
                len,
            }
        } else {
            let size = rest
                .first_chunk::<4>()
                .map(|b| i32::from_le_bytes(*b))
                .unwrap_or_default();
            let Ok(packed_size) = u64::try_from(size) else {
                corrupt!("a chunk leader holds the negative size {size}");
            };
            Self {
                part,
                coords,
                sample_table_size: 0,
                packed_size,
                deep_unpacked_size: 0,
                len,
            }
        };
        Ok(leader)
    }

    /// Bytes after the leader: sample count table plus packed data.
    pub fn payload_size(&self) -> u64 {
        self.sample_table_size.saturating_add(self.packed_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_layout() {
        let mut bytes = Vec::new();
        for v in [2i32, 7, 1, 0, 0] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&100i32.to_le_bytes());
        let tiled = Leader::parse(&bytes, Storage::Tiled, true).unwrap();
        assert_eq!(
            (tiled.part, tiled.coords, tiled.packed_size),
            (2, [7, 1, 0, 0], 100)
        );
        assert_eq!(tiled.len, 24);

        let scan = Leader::parse(&bytes, Storage::Scanline, false).unwrap();
        assert_eq!((scan.coords[0], scan.packed_size, scan.len), (2, 7, 8));

        let mut deep = 5i32.to_le_bytes().to_vec();
        for v in [16i64, 40, 80] {
            deep.extend_from_slice(&v.to_le_bytes());
        }
        let d = Leader::parse(&deep, Storage::DeepScanline, false).unwrap();
        assert_eq!(
            (d.sample_table_size, d.packed_size, d.deep_unpacked_size),
            (16, 40, 80)
        );
        assert_eq!(d.payload_size(), 56);
    }

    #[test]
    fn rejects_short_and_negative() {
        assert!(Leader::parse(&[0; 7], Storage::Scanline, false).is_err());
        let mut bytes = 0i32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&(-1i32).to_le_bytes());
        assert!(Leader::parse(&bytes, Storage::Scanline, false).is_err());
    }
}
