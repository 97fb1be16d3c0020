//! Chunks: offset tables, leaders, and where a chunk's bytes are.

#![forbid(unsafe_code)]

pub mod leader;
pub mod table;

use leader::{Leader, MAX_LEADER_LEN};
use table::OffsetTables;

use std::ops::Range;

use crate::error::{corrupt, grown, Error, Result};
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
    let start = ChunkStart::find(source, tables, header, part, multipart, index)?;
    let mut buf = [0u8; MAX_LEADER_LEN];
    let window = &mut buf[..start.leader_len];
    source
        .read_exact_at(start.offset, window)
        .map_err(|e| e.context(format_args!("chunk {index} leader")))?;
    start.check(window, source.len(), header, multipart)
}

/// Like [`locate`], and also reads the chunk's payload (the bytes after its
/// leader) into `buf`, returning where in `buf` it lies. Where the offset
/// table shows that the next chunk follows this one, leader and payload come
/// in one read, never longer than a flat chunk's unpacked pixels.
pub fn locate_and_read(
    source: &dyn ReadAt,
    tables: &OffsetTables,
    header: &Header,
    part: usize,
    multipart: bool,
    index: u64,
    buf: &mut Vec<u8>,
) -> Result<(ChunkInfo, Range<usize>)> {
    let start = ChunkStart::find(source, tables, header, part, multipart, index)?;
    let first_read = start.extent_guess(tables, header, part, source.len());
    let head = grown(buf, first_read)?;
    source
        .read_exact_at(start.offset, head)
        .map_err(|e| e.context(format_args!("chunk {index}")))?;
    let info = start.check(head, source.len(), header, multipart)?;
    let Some(end) = usize::try_from(info.payload_size())
        .ok()
        .and_then(|n| n.checked_add(start.leader_len))
    else {
        return Err(Error::LimitExceeded(format!(
            "chunk {index} is larger than memory"
        )));
    };
    if end > first_read {
        let all = grown(buf, end)?;
        source
            .read_exact_at(start.offset + first_read as u64, &mut all[first_read..])
            .map_err(|e| e.context(format_args!("chunk {index}")))?;
    }
    Ok((info, start.leader_len..end))
}

/// A chunk's place in the file, before its leader is read.
struct ChunkStart {
    index: u64,
    part: usize,
    region: ChunkRegion,
    offset: u64,
    leader_len: usize,
}

impl ChunkStart {
    /// Where the offset table puts chunk `index`, checked to lie in the file.
    fn find(
        source: &dyn ReadAt,
        tables: &OffsetTables,
        header: &Header,
        part: usize,
        multipart: bool,
        index: u64,
    ) -> Result<Self> {
        let file_len = source.len();
        let count = header.geometry().chunk_count();
        let Some(region) = header.geometry().chunk_region(index) else {
            return Err(Error::InvalidArgument(format!(
                "chunk {index} does not exist; the part has {count}"
            )));
        };
        let offset = tables.offset(part, index).unwrap_or(0);
        if offset == 0 {
            return Err(Error::Incomplete(format!(
                "chunk {index} was never written (its offset table entry is 0)"
            )));
        }
        if !tables.is_plausible(offset, file_len) {
            corrupt!("chunk {index}: offset {offset} lies outside the chunk area of the {file_len}-byte file");
        }
        Ok(Self {
            index,
            part,
            region,
            offset,
            leader_len: Leader::len_for(header.storage(), multipart),
        })
    }

    /// Bytes worth reading at once from the chunk's start: up to the next
    /// chunk in the table when that one follows directly and the gap fits
    /// the leader and a flat chunk's unpacked pixels; otherwise the leader.
    fn extent_guess(
        &self,
        tables: &OffsetTables,
        header: &Header,
        part: usize,
        file_len: u64,
    ) -> usize {
        if header.storage().is_deep() {
            return self.leader_len;
        }
        let most = flat_unpacked_size(header, &self.region)
            .saturating_add(self.leader_len as u64)
            .min(file_len.saturating_sub(self.offset));
        self.index
            .checked_add(1)
            .and_then(|next| tables.offset(part, next))
            .and_then(|next| next.checked_sub(self.offset))
            .filter(|&gap| gap > self.leader_len as u64 && gap <= most)
            .and_then(|gap| usize::try_from(gap).ok())
            .unwrap_or(self.leader_len)
    }

    /// Parses the leader at the start of `bytes` and checks it against the
    /// chunk the table promises and against the file's length.
    fn check(
        &self,
        bytes: &[u8],
        file_len: u64,
        header: &Header,
        multipart: bool,
    ) -> Result<ChunkInfo> {
        let Self {
            index,
            part,
            region,
            offset,
            leader_len,
        } = *self;
        let storage = header.storage();
        let leader = Leader::parse(bytes, storage, multipart)?;
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
        let data_offset = offset + leader_len as u64;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::io::MemorySource;
    use crate::meta::channel::Channel;
    use crate::meta::types::{Box2i, PixelType};
    use crate::pixels::FrameBuffer;
    use crate::write::{PartDesc, WriteOptions, Writer};
    use crate::{ReadOptions, Reader};

    const WIDTH: usize = 9;
    const HEIGHT: usize = 7;

    /// A source that counts its reads.
    struct Counted {
        bytes: MemorySource,
        reads: AtomicUsize,
    }

    impl ReadAt for Counted {
        fn len(&self) -> u64 {
            self.bytes.len()
        }

        fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.bytes.read_exact_at(offset, buf)
        }
    }

    /// A ZIPS scanline file of one FLOAT channel whose lines compress to
    /// different sizes, with its header and its offset table.
    fn file() -> (Vec<u8>, Header, Vec<u64>) {
        let window = Box2i {
            min_x: 0,
            min_y: 0,
            max_x: WIDTH as i32 - 1,
            max_y: HEIGHT as i32 - 1,
        };
        let mut writer = Writer::to_memory(WriteOptions::default());
        let part = writer
            .add_part(PartDesc {
                compression: Compression::Zips,
                ..PartDesc::scanline(window)
            })
            .expect("part");
        let z = Channel {
            name: "Z".into(),
            pixel_type: PixelType::Float,
            p_linear: false,
            x_sampling: 1,
            y_sampling: 1,
        };
        writer.add_channel(part, z).expect("channel");
        writer.write_header().expect("header");
        let mut samples: Vec<f32> = (0..WIDTH * HEIGHT)
            .map(|i| ((i % WIDTH) * (i / WIDTH)) as f32)
            .collect();
        let mut fb = FrameBuffer::new(window).expect("window");
        fb.add("Z", &mut samples, 0.0).expect("Z");
        writer.write_image(part, 0, 0, &fb).expect("image");
        writer.finish().expect("finish");
        let bytes = writer.bytes().expect("bytes").to_vec();
        let reader = Reader::from_bytes(bytes.clone(), ReadOptions::default()).expect("open");
        let header = reader.header(0).expect("header").clone();
        let offsets = (0..HEIGHT as u64)
            .map(|i| reader.chunk_info(0, i).expect("chunk").offset)
            .collect();
        (bytes, header, offsets)
    }

    /// Locates and reads every chunk both ways, leader then payload and
    /// all at once, and returns how many reads the one-pass way took.
    fn both_ways_agree(bytes: &[u8], header: &Header, offsets: &[u64]) -> usize {
        let source = Counted {
            bytes: MemorySource::new(bytes.to_vec()),
            reads: AtomicUsize::new(0),
        };
        let tables = OffsetTables {
            offsets: vec![offsets.to_vec()],
            end: offsets.iter().copied().min().unwrap_or(0),
        };
        let mut one_pass_reads = 0;
        let mut buf = Vec::new();
        for index in 0..offsets.len() as u64 {
            let located = locate(&source, &tables, header, 0, false, index).map(|info| {
                let mut payload = vec![0; info.payload_size() as usize];
                source
                    .read_exact_at(info.data_offset, &mut payload)
                    .map(|()| (info, payload))
            });
            let before = source.reads.load(Ordering::Relaxed);
            let read = locate_and_read(&source, &tables, header, 0, false, index, &mut buf);
            one_pass_reads += source.reads.load(Ordering::Relaxed) - before;
            match (located, read) {
                (Ok(Ok((info, payload))), Ok((info_too, at))) => {
                    assert_eq!(info, info_too, "chunk {index}");
                    assert_eq!(buf.get(at), Some(&payload[..]), "chunk {index}");
                }
                (Ok(Err(_)) | Err(_), Err(_)) => {}
                (expected, got) => {
                    panic!(
                        "chunk {index}: {:?} one way, {:?} the other",
                        expected.is_ok(),
                        got.is_ok()
                    )
                }
            }
        }
        one_pass_reads
    }

    #[test]
    fn chunks_that_follow_each_other_take_one_read() {
        let (bytes, header, offsets) = file();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]));
        // The last chunk has no successor and reads its leader first.
        assert_eq!(both_ways_agree(&bytes, &header, &offsets), HEIGHT + 1);
    }

    #[test]
    fn any_table_gives_what_leader_and_payload_give() {
        let (bytes, header, offsets) = file();
        let leader = Leader::len_for(header.storage(), false) as u64;
        let mut reversed = offsets.clone();
        reversed.reverse();
        let mut overlapping = offsets.clone();
        overlapping[1] = offsets[0] + leader + 1;
        let mut far = offsets.clone();
        far[1] = bytes.len() as u64 - leader;
        let mut unwritten = offsets.clone();
        unwritten[2] = 0;
        for table in [reversed, overlapping, far, unwritten] {
            both_ways_agree(&bytes, &header, &table);
        }
        for cut in [
            offsets[3] as usize + 2,
            offsets[3] as usize + leader as usize + 3,
        ] {
            both_ways_agree(&bytes[..cut], &header, &offsets);
        }
    }
}
