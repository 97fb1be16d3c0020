//! Decoding deep chunks in passes over the reader's threads: every chunk
//! located and its table's size checked against its bytes; every chunk's
//! sample count table, straight into the image's offsets; one prefix sum
//! and one allocation per channel; then every chunk's samples straight
//! into their final place. No per-chunk image is merged
//! afterwards, and memory beyond the samples is a few chunks per thread.

use std::sync::atomic::{AtomicU64, Ordering};

use half::f16;

use super::decode::{chunk_grid, Tally};
use super::Reader;
use crate::chunk::ChunkInfo;
use crate::codec::{self, BlockScratch, DeepBytes};
use crate::deep::{line_starts, pixel_count, table, DeepImage, DeepSamplesMut};
use crate::error::{corrupt, try_resize, Error, Result};
use crate::meta::header::Header;
use crate::meta::types::Box2i;
use crate::parallel::DisjointSlice;
use crate::pixels::Sample;

/// A channel's sample array, shared by the workers of the second pass.
enum SharedSamples<'a> {
    Uint(DisjointSlice<'a, u32>),
    Half(DisjointSlice<'a, f16>),
    Float(DisjointSlice<'a, f32>),
}

impl SharedSamples<'_> {
    /// Bytes of one sample in the file.
    fn sample_size(&self) -> usize {
        match self {
            Self::Half(_) => 2,
            Self::Uint(_) | Self::Float(_) => 4,
        }
    }

    /// Stores the little-endian samples `bytes` at `start`.
    ///
    /// # Safety
    /// No other worker may store to the same samples at the same time.
    unsafe fn store(&self, start: usize, bytes: &[u8]) -> Result<()> {
        let count = bytes.len() / self.sample_size();
        let past_end = || Error::Internal(format!("deep samples {start}+{count} past the end"));
        match self {
            Self::Uint(samples) => {
                // SAFETY: the caller keeps ranges disjoint.
                read_le(
                    unsafe { samples.range(start, count) }.ok_or_else(past_end)?,
                    bytes,
                );
            }
            Self::Half(samples) => {
                // SAFETY: as above.
                read_le(
                    unsafe { samples.range(start, count) }.ok_or_else(past_end)?,
                    bytes,
                );
            }
            Self::Float(samples) => {
                // SAFETY: as above.
                read_le(
                    unsafe { samples.range(start, count) }.ok_or_else(past_end)?,
                    bytes,
                );
            }
        }
        Ok(())
    }
}

/// Reads `out` from the little-endian samples `bytes`.
fn read_le<T: Sample>(out: &mut [T], bytes: &[u8]) {
    for (o, b) in out
        .iter_mut()
        .zip(bytes.chunks_exact(std::mem::size_of::<T>()))
    {
        *o = T::read(b);
    }
}

/// The sizes of a chunk's sample count table.
#[derive(Clone, Copy)]
struct TableSize {
    /// Unpacked: 4 bytes per pixel of the chunk.
    unpacked: usize,
    /// As stored.
    packed: usize,
    /// Stored raw at the size of a whole tile, as OpenEXR's C++ writer
    /// stores the raw tables of tiles at the edge of a level (their
    /// pixels first).
    raw_whole_tile: bool,
}

/// A chunk found in the file, with its table's sizes checked.
#[derive(Clone, Copy)]
struct Located {
    info: ChunkInfo,
    table: TableSize,
}

/// Checks that a chunk's packed sample count table can hold the table of
/// its pixels.
fn check_table_size(header: &Header, info: &ChunkInfo) -> Result<TableSize> {
    let compression = header.compression();
    let too_large = || Error::LimitExceeded("sample count table larger than memory".into());
    let unpacked = pixel_count(info.region.pixels)?
        .checked_mul(4)
        .ok_or_else(too_large)?;
    let packed = usize::try_from(info.sample_table_size).map_err(|_| too_large())?;
    let whole_tile = header
        .geometry()
        .tile_desc()
        .map(|t| 4 * u64::from(t.width) * u64::from(t.height));
    let raw_whole_tile = whole_tile == Some(info.sample_table_size);
    if packed != unpacked
        && !raw_whole_tile
        && unpacked > codec::max_unpacked_size(compression, packed)
    {
        corrupt!(
            "{packed} bytes of {} data cannot hold the {unpacked}-byte sample count table",
            compression.name()
        );
    }
    Ok(TableSize {
        unpacked,
        packed,
        raw_whole_tile,
    })
}

impl Reader {
    /// The header of `part`, which must hold deep pixels.
    fn deep_header(&self, part: usize) -> Result<&Header> {
        let header = self.header(part)?;
        if !header.storage().is_deep() {
            return Err(Error::InvalidArgument(format!(
                "part {part} holds flat pixels; decode it with the flat functions"
            )));
        }
        Ok(header)
    }

    /// Decodes chunk `chunk` of deep part `part`: an image over the chunk's
    /// pixels.
    pub fn decode_deep_block(&self, part: usize, chunk: u64) -> Result<DeepImage> {
        let header = self.deep_header(part)?;
        let region = header
            .geometry()
            .existing_chunk_region(chunk)
            .map_err(|e| e.context(format_args!("part {part}")))?;
        self.decode_deep(part, header, region.pixels, &[chunk])
    }

    /// Decodes level (`level_x`, `level_y`) of deep part `part` (0, 0 for
    /// scanline parts): an image over the whole level. Any damaged or
    /// missing chunk fails the decode.
    pub fn decode_deep_image(&self, part: usize, level_x: u32, level_y: u32) -> Result<DeepImage> {
        let header = self.deep_header(part)?;
        let geometry = header.geometry();
        let dw = header.data_window();
        let level = (level_x, level_y);
        let grid =
            chunk_grid(header, level, dw).map_err(|e| e.context(format_args!("part {part}")))?;
        let (width, height) = geometry.level_size(level_x, level_y).unwrap_or((0, 0));
        let window = Box2i {
            min_x: dw.min_x,
            min_y: dw.min_y,
            max_x: (i64::from(dw.min_x) + width as i64 - 1) as i32,
            max_y: (i64::from(dw.min_y) + height as i64 - 1) as i32,
        };
        let mut chunks: Vec<u64> = (0..grid.count())
            .filter_map(|i| geometry.grid_chunk(&grid, i))
            .collect();
        chunks.sort_unstable();
        self.decode_deep(part, header, window, &chunks)
    }

    /// Decodes `chunks` (in increasing order), which tile `window`, into
    /// one image.
    fn decode_deep(
        &self,
        part: usize,
        header: &Header,
        window: Box2i,
        chunks: &[u64],
    ) -> Result<DeepImage> {
        let pixels = pixel_count(window)?;
        let count = chunks.len() as u64;
        let tally = Tally::new(3 * count);
        let chunk_at = |i: u64| chunks.get(usize::try_from(i).ok()?).copied();
        let position = |chunk: u64| chunks.binary_search(&chunk).ok();
        // Every chunk located first, and its table checked against the
        // bytes it has, so that the offsets allocated next are backed by
        // the file, not merely claimed by its header.
        let mut located: Vec<Option<Located>> = Vec::new();
        try_resize(&mut located, chunks.len())?;
        {
            let shared = DisjointSlice::new(&mut located);
            self.each_chunk(part, count, chunk_at, &tally, |chunk| {
                let found = self
                    .chunk_info(part, chunk)
                    .and_then(|info| {
                        let table = check_table_size(header, &info)?;
                        Ok(Located { info, table })
                    })
                    .map_err(|e| e.context(format_args!("part {part}: chunk {chunk}")))?;
                // SAFETY: each chunk stores only its own entry.
                let slot = position(chunk).and_then(|i| unsafe { shared.range(i, 1) });
                if let Some([slot]) = slot {
                    *slot = Some(found);
                }
                Ok(())
            })?;
        }
        let located_at = |chunk: u64| {
            position(chunk)
                .and_then(|i| located.get(i).copied().flatten())
                .ok_or_else(|| Error::Internal(format!("chunk {chunk} was not located")))
        };
        let mut offsets = Vec::new();
        try_resize(&mut offsets, pixels + 1)?;
        let samples_so_far = AtomicU64::new(0);
        {
            let counts = DisjointSlice::new(&mut offsets[1..]);
            self.each_chunk(part, count, chunk_at, &tally, |chunk| {
                codec::with_block_scratch(|scratch| {
                    let found = located_at(chunk)?;
                    self.read_counts(header, &found, window, &counts, &samples_so_far, scratch)
                })
                .map_err(|e| e.context(format_args!("part {part}: chunk {chunk}")))
            })?;
        }
        let mut total = 0u64;
        for offset in &mut offsets {
            total = total.saturating_add(*offset);
            *offset = total;
        }
        let channels: Vec<_> = header
            .channels()
            .iter()
            .map(|c| (c.name.clone(), c.pixel_type))
            .collect();
        let mut image = DeepImage::with_offsets(window, offsets, &channels)?;
        let (offsets, deep_channels) = image.parts_mut();
        let arrays: Vec<SharedSamples<'_>> = deep_channels
            .iter_mut()
            .map(|c| match c.samples_mut() {
                DeepSamplesMut::Uint(s) => SharedSamples::Uint(DisjointSlice::new(s)),
                DeepSamplesMut::Half(s) => SharedSamples::Half(DisjointSlice::new(s)),
                DeepSamplesMut::Float(s) => SharedSamples::Float(DisjointSlice::new(s)),
            })
            .collect();
        self.each_chunk(part, count, chunk_at, &tally, |chunk| {
            codec::with_block_scratch(|scratch| {
                let found = located_at(chunk)?;
                self.read_samples(header, &found.info, window, offsets, &arrays, scratch)
            })
            .map_err(|e| e.context(format_args!("part {part}: chunk {chunk}")))
        })?;
        Ok(image)
    }

    /// Counting pass over one located chunk: unpacks and checks its sample count
    /// table, checks the sizes of its samples, and stores each pixel's
    /// count in `counts` (the image's offsets shifted by one).
    fn read_counts(
        &self,
        header: &Header,
        found: &Located,
        window: Box2i,
        counts: &DisjointSlice<'_, u64>,
        samples_so_far: &AtomicU64,
        scratch: &mut BlockScratch,
    ) -> Result<()> {
        let compression = header.compression();
        let info = &found.info;
        let region = info.region.pixels;
        let width = usize::try_from(region.width()).unwrap_or(0);
        let TableSize {
            unpacked: table_size,
            packed: packed_table,
            raw_whole_tile,
        } = found.table;
        try_resize(&mut scratch.packed, packed_table)?;
        self.source
            .read_exact_at(info.data_offset, &mut scratch.packed)?;
        let packed = if raw_whole_tile {
            scratch.packed.get(..table_size).ok_or_else(|| {
                Error::Internal("a whole tile's table is smaller than the tile".into())
            })?
        } else {
            &scratch.packed
        };
        let table = codec::unpack_bytes(
            compression,
            DeepBytes::Table,
            packed,
            table_size,
            &mut scratch.unpacked,
            &mut scratch.codec,
        )
        .map_err(|e| e.context("sample count table"))?;
        let total = table::unpack(table, width, &mut scratch.counts)?;
        let sample_bytes: u64 = header
            .channels()
            .iter()
            .map(|c| c.pixel_type.size() as u64)
            .sum();
        if total.checked_mul(sample_bytes) != Some(info.unpacked_size) {
            corrupt!(
                "{total} samples of {sample_bytes} bytes each, but {} bytes of sample data",
                info.unpacked_size
            );
        }
        let packed = info.packed_size;
        let unpacked = info.unpacked_size;
        if packed != unpacked {
            let bound = usize::try_from(packed)
                .map(|p| codec::max_unpacked_size(compression, p) as u64)
                .unwrap_or(u64::MAX);
            if unpacked > bound || compression == crate::meta::compression::Compression::None {
                corrupt!(
                    "{packed} bytes of {} data cannot hold {unpacked} bytes of samples",
                    compression.name()
                );
            }
        }
        let limit = self.options.max_deep_samples;
        let before = samples_so_far.fetch_add(total, Ordering::Relaxed);
        if limit != 0 && before.saturating_add(total) > limit {
            return Err(Error::LimitExceeded(format!(
                "the part holds more than {limit} deep samples (max_deep_samples)"
            )));
        }
        for (start, line) in line_starts(region, window).zip(scratch.counts.chunks(width.max(1))) {
            let out = start
                // SAFETY: chunks cover disjoint pixels of the window, so no
                // other worker stores to this line's counts.
                .and_then(|start| unsafe { counts.range(start, width) })
                .ok_or_else(|| Error::Internal(format!("chunk {region:?} outside {window:?}")))?;
            for (o, &c) in out.iter_mut().zip(line) {
                *o = u64::from(c);
            }
        }
        Ok(())
    }

    /// Last pass over one chunk: unpacks its samples into the channel
    /// arrays at the places `offsets` gives their pixels.
    fn read_samples(
        &self,
        header: &Header,
        info: &ChunkInfo,
        window: Box2i,
        offsets: &[u64],
        arrays: &[SharedSamples<'_>],
        scratch: &mut BlockScratch,
    ) -> Result<()> {
        let region = info.region.pixels;
        let width = usize::try_from(region.width()).unwrap_or(0);
        let too_large = || Error::LimitExceeded("deep chunk larger than memory".into());
        let packed_len = usize::try_from(info.packed_size).map_err(|_| too_large())?;
        let unpacked_len = usize::try_from(info.unpacked_size).map_err(|_| too_large())?;
        try_resize(&mut scratch.packed, packed_len)?;
        self.source.read_exact_at(
            info.data_offset + info.sample_table_size,
            &mut scratch.packed,
        )?;
        let lines = line_starts(region, window)
            .map(|start| {
                start
                    .and_then(|s| {
                        let first = *offsets.get(s)?;
                        let end = *offsets.get(s.checked_add(width)?)?;
                        Some((
                            usize::try_from(first).ok()?,
                            usize::try_from(end.checked_sub(first)?).ok()?,
                        ))
                    })
                    .ok_or_else(|| Error::Internal(format!("chunk {region:?} outside {window:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let line_samples: Vec<usize> = lines.iter().map(|&(_, count)| count).collect();
        let sample_sizes: Vec<usize> = arrays.iter().map(|a| a.sample_size()).collect();
        let data = codec::unpack_bytes(
            header.compression(),
            DeepBytes::Samples {
                lines: &line_samples,
                sizes: &sample_sizes,
            },
            &scratch.packed,
            unpacked_len,
            &mut scratch.unpacked,
            &mut scratch.codec,
        )?;
        let mut at = 0usize;
        for (first, count) in lines {
            for array in arrays {
                let len = count * array.sample_size();
                let Some(bytes) = at.checked_add(len).and_then(|end| data.get(at..end)) else {
                    corrupt!("the sample data ends before the samples its table counts");
                };
                at += len;
                // SAFETY: the line's samples belong to its pixels, which no
                // other chunk holds.
                unsafe { array.store(first, bytes)? };
            }
        }
        if at != data.len() {
            corrupt!(
                "{} bytes of sample data where the table counts {at}",
                data.len()
            );
        }
        Ok(())
    }
}
