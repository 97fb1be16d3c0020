//! Decoding flat chunks into frame buffers: one chunk at a time on the
//! calling thread, or a whole level spread over the reader's threads, each
//! worker reading, unpacking and converting its chunks straight into the
//! caller's memory.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use super::Reader;
use crate::chunk::ChunkInfo;
use crate::codec::{self, BlockLayout};
use crate::error::{try_resize, Error, Result};
use crate::meta::geometry::ChunkGrid;
use crate::meta::header::Header;
use crate::meta::types::Box2i;
use crate::pixels::scatter::Plan;
use crate::pixels::FrameBuffer;

/// Chunks finished and expected over a decode that may take several
/// passes, for the progress callback.
pub(super) struct Tally {
    done: AtomicU64,
    total: u64,
}

impl Tally {
    /// No chunk finished out of `total`.
    pub(super) fn new(total: u64) -> Self {
        Self {
            done: AtomicU64::new(0),
            total,
        }
    }
}

/// The first error of a parallel decode, by chunk index.
#[derive(Default)]
struct FirstError(Mutex<Option<(u64, Error)>>);

impl FirstError {
    fn record(&self, chunk: u64, error: Error) {
        let mut first = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if first.as_ref().map_or(true, |(c, _)| chunk < *c) {
            *first = Some((chunk, error));
        }
    }

    fn take(self) -> Option<Error> {
        let first = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        first.map(|(_, e)| e)
    }
}

/// The chunks of `level` whose pixels meet `window`.
pub(super) fn chunk_grid(header: &Header, level: (u32, u32), window: Box2i) -> Result<ChunkGrid> {
    let geometry = header.geometry();
    geometry
        .chunks_meeting(level.0, level.1, window)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "level ({}, {}) does not exist; the part has {:?} levels",
                level.0,
                level.1,
                geometry.level_counts()
            ))
        })
}

impl Reader {
    /// The header of `part`, which must hold flat (not deep) pixels.
    pub(super) fn flat_header(&self, part: usize) -> Result<&Header> {
        let header = self.header(part)?;
        if header.storage().is_deep() {
            return Err(Error::InvalidArgument(format!(
                "part {part} holds deep data; decode it with the deep functions"
            )));
        }
        Ok(header)
    }

    /// Decodes chunk `chunk` of `part` into `fb`, writing only the pixels
    /// of the chunk inside the frame buffer's window (and, for a 1x1 slice
    /// of a subsampled channel, the pixels its samples cover). On failure
    /// nothing is filled, except in a QOI file, whose one chunk decodes
    /// straight into the frame buffer: the window's rows before the damage
    /// hold their pixels, and those from it on are left at the fill values.
    pub fn decode_block(&self, part: usize, chunk: u64, fb: &mut FrameBuffer<'_>) -> Result<()> {
        let header = self.flat_header(part)?;
        if self.is_qoi() {
            if chunk != 0 {
                return Err(Error::InvalidArgument(format!(
                    "a QOI file is one chunk (0), not {chunk}"
                )));
            }
            return self.decode_qoi(header, fb);
        }
        let plan = Plan::new(header.channels(), fb)?;
        codec::with_block_scratch(|scratch| self.decode_chunk(part, header, chunk, &plan, scratch))
    }

    /// Decodes level (`level_x`, `level_y`) of `part` (0, 0 for scanline
    /// parts) into `fb`, skipping chunks outside its window. Pixels of the
    /// window outside the level are left untouched.
    ///
    /// Damaged or missing chunks leave their pixels at each slice's fill
    /// value; the rest of the image still decodes, and the first error (by
    /// chunk index) is returned. A QOI file's one chunk keeps the rows before
    /// the damage; the window's rows from it on are left at the fill values.
    pub fn decode_image(
        &self,
        part: usize,
        level_x: u32,
        level_y: u32,
        fb: &mut FrameBuffer<'_>,
    ) -> Result<()> {
        self.decode_level(part, (level_x, level_y), fb, None)
    }

    /// The number of chunks of level 0 of `part` whose pixels meet `window`.
    pub(super) fn chunks_meeting(&self, part: usize, window: Box2i) -> Result<u64> {
        let header = self.flat_header(part)?;
        Ok(chunk_grid(header, (0, 0), window)?.count())
    }

    /// Decodes level 0 of `part` into `fb` as one step of a decode that
    /// spans several frame buffers, counting chunks in `tally` for the
    /// progress callback. Errors as [`Reader::decode_image`].
    pub(super) fn decode_step(
        &self,
        part: usize,
        fb: &mut FrameBuffer<'_>,
        tally: &Tally,
    ) -> Result<()> {
        self.decode_level(part, (0, 0), fb, Some(tally))
    }

    /// Decodes one level of `part` into `fb`, counting chunks in `tally`
    /// (or in a tally of its own).
    fn decode_level(
        &self,
        part: usize,
        level: (u32, u32),
        fb: &mut FrameBuffer<'_>,
        tally: Option<&Tally>,
    ) -> Result<()> {
        let header = self.flat_header(part)?;
        if self.is_qoi() {
            if level != (0, 0) {
                return Err(Error::InvalidArgument(format!(
                    "a QOI file has level (0, 0) only, not {level:?}"
                )));
            }
            return self.decode_qoi(header, fb);
        }
        let plan = Plan::new(header.channels(), fb)?;
        let grid = chunk_grid(header, level, plan.reach_window())
            .map_err(|e| e.context(format_args!("part {part}")))?;
        let own;
        let tally = match tally {
            Some(tally) => tally,
            None => {
                own = Tally::new(grid.count());
                &own
            }
        };
        self.decode_grid(part, header, &plan, &grid, tally)
    }

    /// Decodes the chunks of `grid` through `plan` on the reader's threads.
    fn decode_grid(
        &self,
        part: usize,
        header: &Header,
        plan: &Plan<'_, '_>,
        grid: &ChunkGrid,
        tally: &Tally,
    ) -> Result<()> {
        let geometry = header.geometry();
        let chunk_at = |i| geometry.grid_chunk(grid, i);
        self.each_chunk(part, grid.count(), chunk_at, tally, |chunk| {
            let outcome = codec::with_block_scratch(|scratch| {
                self.decode_chunk(part, header, chunk, plan, scratch)
            });
            if outcome.is_err() {
                if let Some(region) = geometry.chunk_region(chunk) {
                    if let Ok(layout) = BlockLayout::new(header.channels(), region.pixels) {
                        // SAFETY: this worker alone decodes `chunk`, whose
                        // pixels no other chunk writes.
                        unsafe { plan.fill_block(&layout) };
                    }
                }
            }
            outcome
        })
    }

    /// Runs `work` on chunk `chunk_at(i)` of `part` for every `i` below
    /// `count`, on the reader's threads, counting each in `tally` for the
    /// progress callback (which may cancel); every chunk runs whatever
    /// others give, and the first error by chunk index is returned.
    pub(super) fn each_chunk(
        &self,
        part: usize,
        count: u64,
        chunk_at: impl Fn(u64) -> Option<u64> + Sync + Send,
        tally: &Tally,
        work: impl Fn(u64) -> Result<()> + Sync + Send,
    ) -> Result<()> {
        let cancelled = AtomicBool::new(false);
        let first_error = FirstError::default();
        self.workers.for_each_index(0..count, |i| {
            if cancelled.load(Ordering::Relaxed) {
                return;
            }
            let Some(chunk) = chunk_at(i) else {
                return;
            };
            if let Err(error) = work(chunk) {
                first_error.record(chunk, error);
            }
            let finished = tally.done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(progress) = &self.options.progress {
                if !progress(finished, tally.total) {
                    cancelled.store(true, Ordering::Relaxed);
                }
            }
        });
        if cancelled.load(Ordering::Relaxed) {
            return Err(Error::Cancelled(format!(
                "part {part}: the progress callback stopped the decode after {} of {} chunks",
                tally.done.load(Ordering::Relaxed),
                tally.total
            )));
        }
        first_error.take().map_or(Ok(()), Err)
    }

    /// Reads, unpacks and scatters one chunk; errors name the part and chunk.
    fn decode_chunk(
        &self,
        part: usize,
        header: &Header,
        chunk: u64,
        plan: &Plan<'_, '_>,
        scratch: &mut codec::BlockScratch,
    ) -> Result<()> {
        let (info, at) = crate::chunk::locate_and_read(
            self.source.as_ref(),
            &self.tables,
            header,
            part,
            self.flags.multipart,
            chunk,
            &mut scratch.packed,
        )
        .map_err(|e| e.context(format_args!("part {part}")))?;
        let codec::BlockScratch {
            packed,
            unpacked,
            codec: codec_scratch,
            ..
        } = scratch;
        let packed = packed.get(at).unwrap_or_default();
        self.unpack_chunk(header, &info, packed, plan, unpacked, codec_scratch)
            .map_err(|e| e.context(format_args!("part {part}: chunk {chunk}")))
    }

    /// Unpacks and scatters a located chunk's `packed` bytes.
    fn unpack_chunk(
        &self,
        header: &Header,
        info: &ChunkInfo,
        packed: &[u8],
        plan: &Plan<'_, '_>,
        unpacked: &mut Vec<u8>,
        scratch: &mut codec::Scratch,
    ) -> Result<()> {
        let layout = BlockLayout::new(header.channels(), info.region.pixels)?;
        let packed_len = packed.len();
        let block = if packed_len == layout.unpacked_size {
            packed
        } else {
            let compression = header.compression();
            codec::require_decoder(compression)?;
            codec::check_chunk(compression, &layout, packed)?;
            if layout.unpacked_size > codec::max_unpacked_size(compression, packed_len) {
                return Err(Error::Corrupt(format!(
                    "{packed_len} bytes of {} data cannot hold the {} bytes of the chunk's pixels",
                    compression.name(),
                    layout.unpacked_size
                )));
            }
            if codec::unpacks_runs(compression) {
                // SAFETY: the frame buffer's slices are valid (its
                // constructors require it) and this call alone writes this
                // chunk's pixels.
                if let Some(mut runs) = unsafe { plan.direct_runs(&layout) } {
                    codec::decompress_runs(compression, &layout, packed, &mut runs, scratch)?;
                    // SAFETY: as above.
                    unsafe { plan.fill_missing(&layout) };
                    return Ok(());
                }
            }
            try_resize(unpacked, layout.unpacked_size)?;
            codec::decompress(header.compression(), &layout, packed, unpacked, scratch)?;
            unpacked
        };
        // SAFETY: the frame buffer's slices are valid (its constructors
        // require it) and this call alone writes this chunk's pixels.
        unsafe { plan.write_block(&layout, block) };
        Ok(())
    }
}
