//! Writing deep parts from [`DeepImage`]s: each chunk's sample count table
//! and samples packed on the writer's threads, placed like flat chunks.

use super::{Leader, Writer};
use crate::codec::{self, BlockScratch, DeepBytes};
use crate::deep::{line_starts, table, DeepImage, DeepSamples};
use crate::error::{try_resize, Error, Result};
use crate::meta::compression::Compression;
use crate::meta::header::Header;
use half::f16;

/// For each channel of a part, in the part's order, its index in the image.
fn channel_map(part: usize, header: &Header, image: &DeepImage) -> Result<Vec<usize>> {
    header
        .channels()
        .iter()
        .map(|c| {
            let found = image
                .channels()
                .iter()
                .position(|d| d.name() == &c.name)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "part {part}: the deep image has no channel {}",
                        c.name
                    ))
                })?;
            let pixel_type = image.channels()[found].samples().pixel_type();
            if pixel_type != c.pixel_type {
                return Err(Error::InvalidArgument(format!(
                    "part {part}: channel {} holds {:?} samples, the image {pixel_type:?}",
                    c.name, c.pixel_type
                )));
            }
            Ok(found)
        })
        .collect()
}

/// Appends samples `range` of `samples` to `out` as little-endian bytes.
fn append_samples(
    samples: &DeepSamples,
    range: std::ops::Range<usize>,
    out: &mut Vec<u8>,
) -> Result<()> {
    let missing = || Error::Internal("deep samples past the end of their channel".into());
    match samples {
        DeepSamples::Uint(v) => append_le(v.get(range).ok_or_else(missing)?, u32::to_le_bytes, out),
        DeepSamples::Half(v) => append_le(v.get(range).ok_or_else(missing)?, f16::to_le_bytes, out),
        DeepSamples::Float(v) => {
            append_le(v.get(range).ok_or_else(missing)?, f32::to_le_bytes, out)
        }
    }
}

/// Appends `samples` to `out` as the `N` bytes `to_le` gives each, growing
/// `out` once.
fn append_le<T: Copy, const N: usize>(
    samples: &[T],
    to_le: impl Fn(T) -> [u8; N],
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    try_resize(out, start + samples.len() * N)?;
    let added = out.get_mut(start..).unwrap_or_default();
    for (bytes, &sample) in added.chunks_exact_mut(N).zip(samples) {
        bytes.copy_from_slice(&to_le(sample));
    }
    Ok(())
}

impl Writer {
    /// Packs and writes chunk `chunk` of deep part `part` from `image`,
    /// whose window must cover the chunk's pixels and which must hold every
    /// channel of the part at its type. May be called from many threads at
    /// once, in any order.
    pub fn write_deep_block(&self, part: usize, chunk: u64, image: &DeepImage) -> Result<()> {
        let (header, settings) = self.part_header(part, true)?;
        let map = channel_map(part, &header, image)?;
        self.write_deep_chunk(part, &header, &settings, &map, image, chunk)
    }

    /// Packs and writes every chunk of level (`level_x`, `level_y`) of deep
    /// part `part` from `image`, whose window must cover the level, on the
    /// writer's threads, in the order the file needs.
    pub fn write_deep_image(
        &self,
        part: usize,
        level_x: u32,
        level_y: u32,
        image: &DeepImage,
    ) -> Result<()> {
        let (header, settings) = self.part_header(part, true)?;
        let map = channel_map(part, &header, image)?;
        self.write_level(part, &header, (level_x, level_y), false, |chunk| {
            self.write_deep_chunk(part, &header, &settings, &map, image, chunk)
        })
    }

    /// Packs one deep chunk with this thread's scratch and places it.
    fn write_deep_chunk(
        &self,
        part: usize,
        header: &Header,
        settings: &codec::PackSettings,
        map: &[usize],
        image: &DeepImage,
        chunk: u64,
    ) -> Result<()> {
        let output = self.output()?;
        let region = header
            .geometry()
            .existing_chunk_region(chunk)
            .map_err(|e| e.context(format_args!("part {part}")))?;
        let pixels = region.pixels;
        let window = image.window();
        if !window.contains(pixels) {
            return Err(Error::InvalidArgument(format!(
                "part {part}: the deep image's window {window:?} does not cover chunk {chunk} ({pixels:?})"
            )));
        }
        let width = usize::try_from(pixels.width()).unwrap_or(0);
        let compression = header.compression();
        let sample_sizes: Vec<usize> = header
            .channels()
            .iter()
            .map(|c| c.pixel_type.size())
            .collect();
        let mut line_samples = Vec::new();
        codec::with_block_scratch(|scratch| {
            let offsets = image.offsets();
            scratch.counts.clear();
            scratch.unpacked.clear();
            for start in line_starts(pixels, window) {
                let start =
                    start.ok_or_else(|| Error::Internal("deep line outside the image".into()))?;
                let line = offsets
                    .get(start..=start + width)
                    .ok_or_else(|| Error::Internal("deep line outside the image".into()))?;
                for pair in line.windows(2) {
                    let count = u32::try_from(pair[1] - pair[0]).map_err(|_| {
                        Error::InvalidArgument(format!(
                            "part {part}: a pixel of chunk {chunk} holds 2^32 samples or more"
                        ))
                    })?;
                    scratch.counts.push(count);
                }
                let (first, last) = (line[0] as usize, line[width] as usize);
                line_samples.push(last - first);
                for &c in map {
                    append_samples(
                        image.channels()[c].samples(),
                        first..last,
                        &mut scratch.unpacked,
                    )?;
                }
            }
            let most = scratch.counts.iter().copied().max().unwrap_or(0);
            scratch.line.clear();
            table::pack(&scratch.counts, width, &mut scratch.line)?;
            if let (Some(tiles), Compression::None) = (header.geometry().tile_desc(), compression) {
                // Uncompressed tables of tiles at the level's edge go at the
                // size of a whole tile, as OpenEXR writes and reads them
                // (OpenEXR cannot unpack such tables for other codecs, so
                // those keep their own size when stored raw).
                let whole = 4 * tiles.width as usize * tiles.height as usize;
                scratch.line.resize(whole.max(scratch.line.len()), 0);
            }
            let BlockScratch {
                packed,
                unpacked,
                line,
                table: packed_table,
                codec: codec_scratch,
                ..
            } = scratch;
            let table = codec::compress_bytes(
                compression,
                settings,
                DeepBytes::Table,
                line,
                packed_table,
                codec_scratch,
            )?;
            let samples = DeepBytes::Samples {
                lines: &line_samples,
                sizes: &sample_sizes,
            };
            let data = codec::compress_bytes(
                compression,
                settings,
                samples,
                unpacked,
                packed,
                codec_scratch,
            )?;
            let size = |n: usize| {
                i64::try_from(n).map_err(|_| Error::LimitExceeded("deep chunk too large".into()))
            };
            let leader = Leader::new(
                output.multipart,
                part,
                header,
                &region,
                &[size(table.len())?, size(data.len())?, size(unpacked.len())?],
            )?;
            output.place_and_write(part, chunk, leader.bytes(), &[table, data], most)
        })
    }
}
