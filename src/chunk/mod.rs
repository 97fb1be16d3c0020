//! Chunks: offset tables, leaders, and where a chunk's bytes are.

#![forbid(unsafe_code)]

pub mod leader;
pub mod table;

use leader::{Leader, MAX_LEADER_LEN};
use table::OffsetTables;

use crate::error::{corrupt, Error, Result};
use crate::io::ReadAt;
use crate::meta::compression::Compression;
use crate::meta::geometry::ChunkRegion;
use crate::meta::header::Header;
use crate::meta::sampling::sampled_count;

/// Where one chunk is and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInfo {
    /// The chunk's index in its part's offset table.
    pub index: u64,
    /// The pixels it covers, with its level and tile coordinates.
    pub region: ChunkRegion,
    /// File offset of the chunk's leader.
    pub offset: u64,
    /// File offset of the bytes after the leader.
    pub data_offset: u64,
    /// Bytes of the packed sample count table (deep parts; 0 otherwise).
    pub sample_table_size: u64,
    /// Bytes of packed pixel data.
    pub packed_size: u64,
    /// Bytes of pixel data once decompressed.
    pub unpacked_size: u64,
}

impl ChunkInfo {
    /// Bytes after the leader: the sample count table (deep) and the packed data.
    pub fn payload_size(&self) -> u64 {
        self.sample_table_size + self.packed_size
    }
}

/// Finds chunk `index` of part `part`, reads its leader and checks it against
/// the chunk the table promises and against the file's length.
pub fn locate(
    source: &dyn ReadAt,
    tables: &OffsetTables,
    header: &Header,
    part: usize,
    multipart: bool,
    index: u64,
) -> Result<ChunkInfo> {
    let file_len = source.len();
    let count = header.geometry().chunk_count();
    let Some(region) = header.geometry().chunk_region(index) else {
        return Err(Error::InvalidArgument(format!(
            "chunk {index} does not exist; the part has {count}"
        )));
    };
    let offset = tables
        .offsets
        .get(part)
        .and_then(|t| t.get(usize::try_from(index).ok()?))
        .copied()
        .unwrap_or(0);
    if offset == 0 {
        return Err(Error::Incomplete(format!(
            "chunk {index} was never written (its offset table entry is 0)"
        )));
    }
    if !tables.is_plausible(offset, file_len) {
        corrupt!("chunk {index}: offset {offset} lies outside the chunk area of the {file_len}-byte file");
    }
    let storage = header.storage();
    let mut buf = [0u8; MAX_LEADER_LEN];
    let len = Leader::len_for(storage, multipart);
    let window = &mut buf[..len];
    source
        .read_exact_at(offset, window)
        .map_err(|e| e.context(format_args!("chunk {index} leader")))?;
    let leader = Leader::parse(window, storage, multipart)?;
    if leader.part as i64 != part as i64 {
        corrupt!(
            "chunk {index}: the leader names part {} instead",
            leader.part
        );
    }
    if table::chunk_index(header, &leader.coords) != Some(index) {
        corrupt!(
            "chunk {index}: the leader's coordinates {:?} belong to another chunk",
            &leader.coords[..if storage.is_tiled() { 4 } else { 1 }]
        );
    }
    let data_offset = offset + len as u64;
    let unpacked_size = if storage.is_deep() {
        leader.deep_unpacked_size
    } else {
        flat_unpacked_size(header, &region)
    };
    if !storage.is_deep() {
        if leader.packed_size > unpacked_size {
            corrupt!(
                "chunk {index}: {} packed bytes exceed the {unpacked_size} bytes the pixels need",
                leader.packed_size
            );
        }
        if leader.packed_size == 0 && unpacked_size > 0 {
            corrupt!("chunk {index}: no data for {unpacked_size} bytes of pixels");
        }
        if header.compression() == Compression::None && leader.packed_size != unpacked_size {
            corrupt!(
                "chunk {index}: uncompressed data of {} bytes where the pixels need {unpacked_size}",
                leader.packed_size
            );
        }
    }
    crate::io::check_range(data_offset, leader.payload_size(), file_len)
        .map_err(|e| e.context(format_args!("chunk {index}")))?;
    Ok(ChunkInfo {
        index,
        region,
        offset,
        data_offset,
        sample_table_size: leader.sample_table_size,
        packed_size: leader.packed_size,
        unpacked_size,
    })
}

/// Bytes of the uncompressed pixels of a flat chunk: every channel's samples
/// inside the region, honouring subsampling.
pub fn flat_unpacked_size(header: &Header, region: &ChunkRegion) -> u64 {
    let b = region.pixels;
    header
        .channels()
        .iter()
        .map(|c| {
            let xs = sampled_count(b.min_x, b.max_x, c.x_sampling);
            let ys = sampled_count(b.min_y, b.max_y, c.y_sampling);
            xs.saturating_mul(ys)
                .saturating_mul(c.pixel_type.size() as u64)
        })
        .fold(0u64, u64::saturating_add)
}
