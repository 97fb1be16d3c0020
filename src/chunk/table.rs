//! Offset tables: reading them, checking every entry against the file, and
//! rebuilding damaged entries by walking the chunk leaders as OpenEXR does.

use super::leader::{Leader, MAX_LEADER_LEN};
use crate::error::{corrupt, Result};
use crate::io::ReadAt;
use crate::meta::header::Header;

/// The chunk offsets of every part, as read or rebuilt.
#[derive(Debug, Clone)]
pub struct OffsetTables {
    /// Per part, one file offset per chunk; 0 marks a chunk never written.
    pub offsets: Vec<Vec<u64>>,
    /// The first byte after all tables; every chunk starts at or after it.
    pub end: u64,
}

impl OffsetTables {
    /// Reads the tables that follow the headers at `start`. Entries that do
    /// not point inside the file are rebuilt from the chunk leaders when
    /// `reconstruct` is set, otherwise kept as they are and reported when used.
    pub fn read(
        source: &dyn ReadAt,
        headers: &[Header],
        multipart: bool,
        start: u64,
        reconstruct: bool,
    ) -> Result<Self> {
        let file_len = source.len();
        let mut end = start;
        for (part, header) in headers.iter().enumerate() {
            let bytes = header.geometry().chunk_count().checked_mul(8);
            match bytes.and_then(|b| end.checked_add(b)) {
                Some(e) if e <= file_len => end = e,
                _ => corrupt!(
                    "part {part}: the offset table of {} chunks does not fit in the {file_len}-byte file",
                    header.geometry().chunk_count()
                ),
            }
        }
        let mut offsets = Vec::with_capacity(headers.len());
        let mut at = start;
        for header in headers {
            // The table fits in the file (checked above), so its size fits in memory terms.
            let count = header.geometry().chunk_count() as usize;
            let mut raw = Vec::new();
            raw.try_reserve_exact(count * 8)?;
            raw.resize(count * 8, 0);
            source.read_exact_at(at, &mut raw)?;
            at += raw.len() as u64;
            offsets.push(
                raw.chunks_exact(8)
                    .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
                    .collect::<Vec<_>>(),
            );
        }
        let mut tables = Self { offsets, end };
        if reconstruct && tables.has_invalid_entry(file_len) {
            tables.rebuild(source, headers, multipart);
        }
        Ok(tables)
    }

    /// The table's entry for chunk `index` of `part`, if there is one.
    pub fn offset(&self, part: usize, index: u64) -> Option<u64> {
        self.offsets
            .get(part)?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// Whether `offset` can be the start of a chunk.
    pub fn is_plausible(&self, offset: u64, file_len: u64) -> bool {
        plausible(offset, self.end, file_len)
    }

    fn has_invalid_entry(&self, file_len: u64) -> bool {
        self.offsets
            .iter()
            .flatten()
            .any(|&o| !self.is_plausible(o, file_len))
    }

    /// Walks the chunks from the end of the tables, leader by leader, and
    /// fills every implausible entry whose chunk it finds. Stops at the first
    /// leader that does not make sense.
    fn rebuild(&mut self, source: &dyn ReadAt, headers: &[Header], multipart: bool) {
        let file_len = source.len();
        let mut pos = self.end;
        let mut buf = [0u8; MAX_LEADER_LEN];
        while pos < file_len {
            let avail = (file_len - pos).min(MAX_LEADER_LEN as u64) as usize;
            let Some(window) = buf.get_mut(..avail) else {
                break;
            };
            if source.read_exact_at(pos, window).is_err() {
                break;
            }
            let part = match (multipart, window.first_chunk::<4>()) {
                (false, _) => 0,
                (true, Some(b)) => i32::from_le_bytes(*b),
                (true, None) => break,
            };
            let Some(header) = usize::try_from(part).ok().and_then(|p| headers.get(p)) else {
                break;
            };
            let storage = header.storage();
            let Ok(leader) = Leader::parse(window, storage, multipart) else {
                break;
            };
            let Some(index) = chunk_index(header, &leader.coords) else {
                break;
            };
            let Some(next) = pos
                .checked_add(leader.len as u64)
                .and_then(|p| p.checked_add(leader.payload_size()))
                .filter(|&n| n <= file_len)
            else {
                break;
            };
            let tables_end = self.end;
            if let Some(entry) = self
                .offsets
                .get_mut(part as usize)
                .and_then(|t| t.get_mut(index as usize))
            {
                if !plausible(*entry, tables_end, file_len) {
                    *entry = pos;
                }
            }
            pos = next;
        }
    }
}

/// Whether `offset` lies in the chunk area: after the tables, inside the file.
fn plausible(offset: u64, tables_end: u64, file_len: u64) -> bool {
    offset >= tables_end && offset < file_len
}

/// The chunk index a leader's coordinates name, if they name one exactly.
pub fn chunk_index(header: &Header, coords: &[i32; 4]) -> Option<u64> {
    let geometry = header.geometry();
    if header.storage().is_tiled() {
        let [tx, ty, lx, ly] = coords.map(|c| u32::try_from(c).ok());
        geometry.tile_chunk(tx?, ty?, lx?, ly?)
    } else {
        let index = geometry.scanline_chunk(coords[0])?;
        let region = geometry.chunk_region(index)?;
        (region.pixels.min_y == coords[0]).then_some(index)
    }
}
