//! The writer: parts described, headers written, chunks compressed in
//! parallel and written in the order the file needs, offset tables filled
//! in at the end, and the file renamed into place only when complete.

mod deep;
mod desc;
mod header;
mod leader;
mod order;
mod qoi;

use std::path::Path;
use std::sync::{Arc, Mutex};

pub use desc::PartDesc;
use header::PartBuild;
use leader::Leader;
use order::{rank, Queue};

use crate::codec::{self, BlockLayout};
use crate::error::{try_resize, Error, Result};
use crate::io::{FileSink, MemorySink, Sink};
use crate::meta::channel::Channel;
use crate::meta::geometry::ChunkRegion;
use crate::meta::header::Header;
use crate::meta::text::Text;
use crate::meta::types::{try_from_discriminant, LineOrder};
use crate::meta::value::Value;
use crate::parallel::Workers;
use crate::pixels::gather::Source;
use crate::pixels::FrameBuffer;
use crate::progress::ProgressFn;

/// Unpacked bytes of the chunks one batch of a level's write takes, at
/// least (see `Writer::write_level`).
const BATCH_BYTES: u64 = 16 << 20;

/// The file format a writer writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// OpenEXR.
    #[default]
    Exr = 0,
    /// QOI: one part of R, G, B (and A) channels, written as U8.
    Qoi = 1,
}

try_from_discriminant!(Format, "format", [Exr, Qoi]);

/// How a writer works.
#[derive(Clone, Default)]
pub struct WriteOptions {
    /// The format to write.
    pub format: Format,
    /// Encoding threads: 0 uses the global pool, 1 the calling thread.
    pub threads: u32,
    /// Called after each chunk written; returning `false` cancels.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for WriteOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteOptions")
            .field("format", &self.format)
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A part once its header is written.
#[derive(Debug)]
struct PartOutput {
    header: Arc<Header>,
    /// Deflate and DWA levels, and storage, for the codec.
    settings: codec::PackSettings,
    /// File offset of its offset table.
    table_at: u64,
    /// File offset of the value of its maxSamplesPerPixel, filled in at
    /// the end (deep parts).
    max_samples_at: Option<u64>,
}

/// Where chunks go in the file, behind the one lock the writing threads
/// share: taken to give each chunk its offset, never while bytes are
/// written.
#[derive(Debug, Default)]
struct Placement {
    /// Where the next chunk goes.
    end: u64,
    /// Each part's chunks.
    parts: Vec<PartPlacement>,
    /// Set once a write fails: the file can no longer be completed.
    failed: bool,
}

/// Where one part's chunks stand.
#[derive(Debug, Default)]
struct PartPlacement {
    /// Chunk offsets, 0 until placed.
    offsets: Vec<u64>,
    /// Chunks that arrived before their turn.
    queue: Queue,
    /// Most samples in one pixel so far (deep parts).
    max_samples: u32,
}

/// What a thread writes once it has placed a chunk: the chunk itself at
/// `at` if its turn had come, and the held chunks whose turn came with it.
struct Placed {
    at: Option<u64>,
    released: Vec<(u64, Vec<u8>)>,
}

/// Everything the writing threads share once the header is written.
struct Output {
    sink: Box<dyn Sink>,
    parts: Vec<PartOutput>,
    multipart: bool,
    placement: Mutex<Placement>,
}

enum State {
    Describing(Vec<PartBuild>),
    Writing(Output),
    Qoi(Box<qoi::QoiOutput>),
    Finished(Box<dyn Sink>),
    Failed,
}

/// Writes one OpenEXR file: describe parts, write the header, write every
/// chunk, finish.
pub struct Writer {
    state: State,
    workers: Workers,
    options: WriteOptions,
    sink: Option<Box<dyn Sink>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// A writer for the file at `path`, written under a temporary name
    /// beside it and renamed into place by [`Writer::finish`].
    pub fn create(path: impl AsRef<Path>, options: WriteOptions) -> Result<Self> {
        Ok(Self::to_sink(
            Box::new(FileSink::create(path.as_ref())?),
            options,
        ))
    }

    /// A writer that keeps the file in memory ([`Writer::bytes`]).
    pub fn to_memory(options: WriteOptions) -> Self {
        Self::to_sink(Box::<MemorySink>::default(), options)
    }

    /// A writer into any sink.
    pub fn to_sink(sink: Box<dyn Sink>, options: WriteOptions) -> Self {
        Self {
            state: State::Describing(Vec::new()),
            workers: Workers::new(options.threads),
            options,
            sink: Some(sink),
        }
    }

    fn describing(&mut self, what: &str) -> Result<&mut Vec<PartBuild>> {
        match &mut self.state {
            State::Describing(parts) => Ok(parts),
            _ => Err(Error::BadState(format!(
                "{what} is only possible before the header is written"
            ))),
        }
    }

    /// Adds a part; returns its index.
    pub fn add_part(&mut self, desc: PartDesc) -> Result<usize> {
        desc.check(self.options.format)?;
        let parts = self.describing("adding a part")?;
        parts.push(PartBuild {
            desc,
            channels: Vec::new(),
            extra: Vec::new(),
        });
        Ok(parts.len() - 1)
    }

    fn part_build(&mut self, part: usize, what: &str) -> Result<&mut PartBuild> {
        let parts = self.describing(what)?;
        let count = parts.len();
        parts.get_mut(part).ok_or_else(|| {
            Error::InvalidArgument(format!("part {part} does not exist; the file has {count}"))
        })
    }

    /// Adds a channel to `part`, kept in name order as files store them.
    pub fn add_channel(&mut self, part: usize, channel: Channel) -> Result<()> {
        if self.options.format == Format::Exr
            && channel.pixel_type == crate::meta::types::PixelType::U8
        {
            return Err(Error::InvalidArgument(format!(
                "part {part}: channel '{}': EXR channels are UINT, HALF or FLOAT",
                channel.name
            )));
        }
        let build = self.part_build(part, "adding a channel")?;
        if channel.name.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "part {part}: a channel needs a name"
            )));
        }
        let at = match build
            .channels
            .binary_search_by(|c| c.name.as_bytes().cmp(channel.name.as_bytes()))
        {
            Ok(_) => {
                return Err(Error::InvalidArgument(format!(
                    "part {part}: channel '{}' already exists",
                    channel.name
                )))
            }
            Err(at) => at,
        };
        build.channels.insert(at, channel);
        Ok(())
    }

    /// Sets attribute `name` of `part` to `bytes` of type `type_name`, as
    /// the file stores them; replaces an attribute of that name, standard
    /// ones included. The value must decode as its type says.
    pub fn set_attribute(
        &mut self,
        part: usize,
        name: &str,
        type_name: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let build = self.part_build(part, "setting an attribute")?;
        let (name, type_name, data) = (
            Text::new(name.as_bytes()),
            Text::new(type_name.as_bytes()),
            Text::new(bytes),
        );
        crate::meta::attribute::Attribute::parse(
            name.clone(),
            type_name.clone(),
            data.clone(),
            true,
        )
        .map_err(|e| Error::InvalidArgument(format!("part {part}: {}", e.message())))?;
        build.extra.retain(|(n, _, _)| *n != name);
        build.extra.push((name, type_name, data));
        Ok(())
    }

    /// Sets attribute `name` of `part` to `value`, encoded as its type
    /// says; as [`Writer::set_attribute`] otherwise.
    pub fn set_value(&mut self, part: usize, name: &str, value: &Value) -> Result<()> {
        self.set_attribute(part, name, value.type_name(), &value.to_bytes())
    }

    /// Adds a part with the header of a part read elsewhere: its storage,
    /// compression, windows, line order, tiles, channels and every other
    /// attribute (the ones the writer derives itself, such as chunkCount,
    /// are recomputed). Returns the new part's index.
    pub fn copy_header(&mut self, header: &Header) -> Result<usize> {
        const DERIVED: [&[u8]; 11] = [
            b"channels",
            b"chunkCount",
            b"compression",
            b"dataWindow",
            b"displayWindow",
            b"lineOrder",
            b"maxSamplesPerPixel",
            b"name",
            b"tiles",
            b"type",
            b"version",
        ];
        let desc = PartDesc {
            name: header
                .name()
                .map(|n| String::from_utf8_lossy(n.as_bytes()).into_owned()),
            storage: header.storage(),
            compression: header.compression(),
            data_window: header.data_window(),
            display_window: header.display_window(),
            line_order: header.line_order(),
            tiles: header.geometry().tile_desc(),
            zip_level: None,
            dwa_level: None,
            zstd_level: None,
        };
        let part = self.add_part(desc)?;
        for channel in header.channels() {
            self.add_channel(part, channel.clone())?;
        }
        let build = self.part_build(part, "copying a header")?;
        // A new part has no extra attributes yet, and a header's names are
        // unique.
        build.extra.extend(
            header
                .attributes()
                .iter()
                .filter(|a| !DERIVED.contains(&a.name.as_bytes()))
                .map(|a| (a.name.clone(), a.type_name.clone(), a.data.clone())),
        );
        Ok(part)
    }

    /// Checks every part and writes the header and room for the offset
    /// tables; chunks may be written after this.
    pub fn write_header(&mut self) -> Result<()> {
        if self.options.format == Format::Qoi {
            let parts = self.describing("writing the header")?;
            let output = qoi::QoiOutput::new(parts)?;
            let sink = self
                .sink
                .take()
                .ok_or_else(|| Error::BadState("the writer has no output".into()))?;
            self.state = State::Qoi(Box::new(output.with_sink(sink)));
            return Ok(());
        }
        let parts = self.describing("writing the header")?;
        let header::Built {
            flags,
            headers,
            mut bytes,
            max_samples_at,
        } = header::build(parts)?;
        let settings: Vec<codec::PackSettings> = parts
            .iter()
            .map(|p| codec::PackSettings {
                zip_level: p.desc.zip_level,
                dwa_level: p.desc.dwa_level,
                zstd_level: p.desc.zstd_level,
                tiled: p.desc.storage.is_tiled(),
            })
            .collect();
        for (i, h) in headers.iter().enumerate() {
            if h.line_order() == LineOrder::RandomY && !h.storage().is_tiled() {
                return Err(Error::InvalidArgument(format!(
                    "part {i}: RANDOM_Y line order needs a tiled part"
                )));
            }
        }
        let sink = self
            .sink
            .take()
            .ok_or_else(|| Error::BadState("the writer has no output".into()))?;
        let mut outputs = Vec::with_capacity(headers.len());
        let mut placement = Placement::default();
        let mut table_at = bytes.len() as u64;
        for ((header, settings), max_samples_at) in
            headers.into_iter().zip(settings).zip(max_samples_at)
        {
            let count = header.geometry().chunk_count();
            let len = usize::try_from(count)
                .ok()
                .and_then(|n| n.checked_mul(8))
                .ok_or_else(|| {
                    Error::LimitExceeded(format!("{count} chunks do not fit in memory"))
                })?;
            let grown = bytes.len() + len;
            try_resize(&mut bytes, grown)?;
            outputs.push(PartOutput {
                header: Arc::new(header),
                settings,
                table_at,
                max_samples_at,
            });
            placement.parts.push(PartPlacement {
                offsets: vec![0; len / 8],
                ..PartPlacement::default()
            });
            table_at += len as u64;
        }
        sink.write_at(0, &bytes)?;
        placement.end = bytes.len() as u64;
        self.state = State::Writing(Output {
            sink,
            parts: outputs,
            multipart: flags.multipart,
            placement: Mutex::new(placement),
        });
        Ok(())
    }

    fn output(&self) -> Result<&Output> {
        match &self.state {
            State::Writing(output) => Ok(output),
            State::Describing(_) => {
                Err(Error::BadState("write the header before any chunk".into()))
            }
            State::Finished(_) => Err(Error::BadState("the file is already finished".into())),
            State::Failed => Err(Error::BadState("an earlier write failed".into())),
            State::Qoi(_) => Err(Error::InvalidArgument(
                "a QOI file is written whole, with write_image".into(),
            )),
        }
    }

    /// The header of `part` as written.
    pub fn header(&self, part: usize) -> Result<Header> {
        if let State::Qoi(out) = &self.state {
            return out.header(part);
        }
        Ok(Header::clone(&self.output()?.part(part)?.header))
    }

    /// Writes chunk `chunk` of flat part `part` from already-compressed
    /// `packed` bytes (as [`crate::Reader::read_chunk`] gives them); deep
    /// chunks go through [`Writer::write_deep_block`].
    pub fn write_chunk(&self, part: usize, chunk: u64, packed: &[u8]) -> Result<()> {
        let output = self.output()?;
        let p = output.part(part)?;
        let region = p
            .header
            .geometry()
            .existing_chunk_region(chunk)
            .map_err(|e| e.context(format_args!("part {part}")))?;
        if p.header.storage().is_deep() {
            return Err(Error::InvalidArgument(format!(
                "part {part} is deep; write its chunks with write_deep_block"
            )));
        }
        self.write_packed(part, &p.header, &region, chunk, packed)
    }

    /// Writes the packed bytes of chunk `chunk` of flat part `part`, whose
    /// header is `header` and whose pixels are `region`, all as checked.
    fn write_packed(
        &self,
        part: usize,
        header: &Header,
        region: &ChunkRegion,
        chunk: u64,
        packed: &[u8],
    ) -> Result<()> {
        let output = self.output()?;
        let size = i64::try_from(packed.len()).map_err(|_| {
            Error::InvalidArgument(format!("chunk of {} bytes is too large", packed.len()))
        })?;
        let leader = Leader::new(output.multipart, part, header, region, &[size])?;
        output.place_and_write(part, chunk, leader.bytes(), &[packed], 0)
    }

    /// Compresses and writes chunk `chunk` of `part` from `fb`, whose
    /// window must cover the chunk's pixels. May be called from many
    /// threads at once, in any order.
    pub fn write_block(&self, part: usize, chunk: u64, fb: &FrameBuffer<'_>) -> Result<()> {
        if let State::Qoi(out) = &self.state {
            return out.write_chunk(part, chunk, fb);
        }
        let (header, settings) = self.part_header(part, false)?;
        let source = Source::new(header.channels(), fb)?;
        encode_chunk(&header, &settings, &source, chunk, |region, packed| {
            self.write_packed(part, &header, region, chunk, packed)
        })
    }

    /// The written header of `part`, which must be deep or flat as `deep`
    /// says, and what it asks of the codec.
    fn part_header(&self, part: usize, deep: bool) -> Result<(Arc<Header>, codec::PackSettings)> {
        let p = self.output()?.part(part)?;
        match (deep, p.header.storage().is_deep()) {
            (false, true) => Err(Error::InvalidArgument(format!(
                "part {part} is deep; write it with the deep functions"
            ))),
            (true, false) => Err(Error::InvalidArgument(format!(
                "part {part} is flat; write it with the flat functions"
            ))),
            _ => Ok((Arc::clone(&p.header), p.settings)),
        }
    }

    /// Compresses and writes every chunk of level (`level_x`, `level_y`) of
    /// `part` from `fb`, whose window must cover the level, on the writer's
    /// threads, in the order the file needs.
    pub fn write_image(
        &self,
        part: usize,
        level_x: u32,
        level_y: u32,
        fb: &FrameBuffer<'_>,
    ) -> Result<()> {
        if let State::Qoi(out) = &self.state {
            return out.write_image(part, (level_x, level_y), fb);
        }
        let (header, settings) = self.part_header(part, false)?;
        let source = Source::new(header.channels(), fb)?;
        // Blocks stored raw are only copied, which more threads slow down
        // (measured: NONE and B44 FLOAT 4K RGBA writes take 1.1-1.5x as long
        // on two threads as on one), so they go one after another here.
        let pixel_types = header.channels().iter().map(|c| c.pixel_type);
        let serial = codec::stores_raw(header.compression(), pixel_types);
        self.write_level(part, &header, (level_x, level_y), serial, |chunk| {
            encode_chunk(&header, &settings, &source, chunk, |region, packed| {
                self.write_packed(part, &header, region, chunk, packed)
            })
        })
    }

    /// Runs `write` on every chunk of `level` of `part` in the order the
    /// file needs, in batches spread over the writer's threads (or on this
    /// thread when `serial`), so that few chunks wait for their turn.
    fn write_level(
        &self,
        part: usize,
        header: &Header,
        level: (u32, u32),
        serial: bool,
        write: impl Fn(u64) -> Result<()> + Sync + Send,
    ) -> Result<()> {
        let geometry = header.geometry();
        let Some(grid) = geometry.chunks_meeting(level.0, level.1, header.data_window()) else {
            return Err(Error::InvalidArgument(format!(
                "part {part}: level ({}, {}) does not exist",
                level.0, level.1
            )));
        };
        let mut in_order: Vec<u64> = (0..grid.count())
            .filter_map(|i| geometry.grid_chunk(&grid, i))
            .collect();
        in_order.sort_by_key(|&c| rank(header, c));
        let one = Workers::new(1);
        let workers = if serial { &one } else { &self.workers };
        // Chunks go out in batches, each finished before the next starts
        // (bounding what waits in memory for its place in the file). Small
        // chunks (one-line ZSTD, ZIPS, RLE) come many to a batch, or the
        // workers would idle at every batch's end.
        let pixel_bytes: u64 = header
            .channels()
            .iter()
            .map(|c| c.pixel_type.size() as u64)
            .sum();
        let chunk_bytes = in_order
            .first()
            .and_then(|&c| geometry.chunk_region(c))
            .map_or(1, |r| r.pixels.area().saturating_mul(pixel_bytes).max(1));
        let by_size = usize::try_from(BATCH_BYTES / chunk_bytes).unwrap_or(usize::MAX);
        let batch = (workers.count() * 4).max(by_size).max(1);
        let first_error: Mutex<Option<Error>> = Mutex::new(None);
        let total = in_order.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        for group in in_order.chunks(batch) {
            workers.for_each_in_order(group.len() as u64, |i| {
                let chunk = group[i as usize];
                let result = write(chunk).and_then(|()| {
                    let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    match &self.options.progress {
                        Some(progress) if !progress(finished, total) => Err(Error::Cancelled(format!(
                            "part {part}: the progress callback stopped the write after {finished} of {total} chunks"
                        ))),
                        _ => Ok(()),
                    }
                });
                if let Err(e) = result {
                    let mut first = first_error.lock().unwrap_or_else(|e| e.into_inner());
                    first.get_or_insert(e);
                }
            });
            if let Some(e) = first_error.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Checks that every chunk was written, fills in the offset tables and
    /// completes the output (renaming a file into place).
    pub fn finish(&mut self) -> Result<()> {
        let mut output = match std::mem::replace(&mut self.state, State::Failed) {
            State::Writing(output) => output,
            State::Qoi(out) => {
                let sink = out.finish()?;
                self.state = State::Finished(sink);
                return Ok(());
            }
            other => {
                let message = match other {
                    State::Describing(_) => "write the header and every chunk before finishing",
                    State::Failed => "an earlier write failed",
                    _ => "the file is already finished",
                };
                self.state = other;
                return Err(Error::BadState(message.into()));
            }
        };
        let placement = output
            .placement
            .get_mut()
            .unwrap_or_else(|e| e.into_inner());
        if placement.failed {
            return Err(Error::BadState(
                "an earlier write failed; the file cannot be completed".into(),
            ));
        }
        let missing = placement.parts.iter().enumerate().find_map(|(i, placed)| {
            let offsets = &placed.offsets;
            let missing = offsets.iter().position(|&o| o == 0)?;
            let region = output.parts.get(i)?.header.geometry().chunk_region(missing as u64)?;
            let written = offsets.iter().filter(|&&o| o != 0).count();
            Some(format!(
                "part {i}: chunk {missing} (level {}, {}, pixels {:?}) was never written; {written} of {} were",
                region.level_x,
                region.level_y,
                region.pixels,
                offsets.len()
            ))
        });
        if let Some(message) = missing {
            self.state = State::Writing(output);
            return Err(Error::BadState(message));
        }
        for (p, placed) in output.parts.iter().zip(&placement.parts) {
            let table: Vec<u8> = placed
                .offsets
                .iter()
                .flat_map(|o| o.to_le_bytes())
                .collect();
            output.sink.write_at(p.table_at, &table)?;
            if let Some(at) = p.max_samples_at {
                let most = i32::try_from(placed.max_samples).unwrap_or(i32::MAX);
                output.sink.write_at(at, &most.to_le_bytes())?;
            }
        }
        output.sink.finish()?;
        self.state = State::Finished(output.sink);
        Ok(())
    }

    /// The finished file's bytes, for writers made by [`Writer::to_memory`].
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.state {
            State::Finished(sink) => sink.bytes(),
            _ => None,
        }
    }
}

impl Output {
    /// The written part `part`.
    fn part(&self, part: usize) -> Result<&PartOutput> {
        self.parts
            .get(part)
            .ok_or_else(|| Error::InvalidArgument(format!("part {part} does not exist")))
    }

    /// Gives a chunk (leader and data) of `part` its offset: the end of the
    /// file if it is its part's next in order, or none yet, holding a copy
    /// until its turn. Returns what the caller must then write.
    fn place(
        &self,
        part: usize,
        chunk: u64,
        leader: &[u8],
        data: &[&[u8]],
        samples: u32,
    ) -> Result<Placed> {
        let header = &self.part(part)?.header;
        let mut placement = self.placement.lock().unwrap_or_else(|e| e.into_inner());
        let Placement { end, parts, failed } = &mut *placement;
        if *failed {
            return Err(Error::BadState("an earlier write failed".into()));
        }
        let Some(PartPlacement {
            offsets,
            queue,
            max_samples,
        }) = parts.get_mut(part)
        else {
            return Err(Error::Internal(format!("part {part} has no offset table")));
        };
        *max_samples = (*max_samples).max(samples);
        let already = || Error::BadState(format!("part {part}: chunk {chunk} was already written"));
        let placed_already = usize::try_from(chunk)
            .ok()
            .and_then(|i| offsets.get(i))
            .is_some_and(|&o| o != 0);
        if placed_already {
            return Err(already());
        }
        let mut reserve = |chunk: u64, len: usize| -> Result<u64> {
            let offset = usize::try_from(chunk)
                .ok()
                .and_then(|i| offsets.get_mut(i))
                .ok_or_else(|| Error::Internal(format!("part {part}: no chunk {chunk}")))?;
            let at = *end;
            *end = end
                .checked_add(len as u64)
                .ok_or_else(|| Error::LimitExceeded("the file would exceed 2^64 bytes".into()))?;
            *offset = at;
            Ok(at)
        };
        let len = leader.len() + data.iter().map(|d| d.len()).sum::<usize>();
        if header.line_order() == LineOrder::RandomY {
            return Ok(Placed {
                at: Some(reserve(chunk, len)?),
                released: Vec::new(),
            });
        }
        let r = rank(header, chunk);
        if r != queue.next {
            if r < queue.next || queue.early.contains_key(&r) {
                return Err(already());
            }
            let mut held = Vec::new();
            held.try_reserve_exact(len)?;
            held.extend_from_slice(leader);
            for d in data {
                held.extend_from_slice(d);
            }
            queue.early.insert(r, held);
            return Ok(Placed {
                at: None,
                released: Vec::new(),
            });
        }
        let at = reserve(chunk, len)?;
        queue.next += 1;
        let mut released = Vec::new();
        while let Some(bytes) = queue.early.remove(&queue.next) {
            let held = rank(header, queue.next);
            released.push((reserve(held, bytes.len())?, bytes));
            queue.next += 1;
        }
        Ok(Placed {
            at: Some(at),
            released,
        })
    }

    /// Places a chunk (leader, then the pieces of `data`) whose pixels
    /// hold at most `samples` samples (deep parts; 0 otherwise) with
    /// [`Output::place`] and writes what that gives, outside the lock; a
    /// failure marks the file as one that cannot be completed.
    fn place_and_write(
        &self,
        part: usize,
        chunk: u64,
        leader: &[u8],
        data: &[&[u8]],
        samples: u32,
    ) -> Result<()> {
        let placed = self.place(part, chunk, leader, data, samples)?;
        let result = (|| {
            if let Some(mut at) = placed.at {
                self.sink.write_at(at, leader)?;
                at += leader.len() as u64;
                for piece in data.iter().filter(|d| !d.is_empty()) {
                    self.sink.write_at(at, piece)?;
                    at += piece.len() as u64;
                }
            }
            for (at, bytes) in &placed.released {
                self.sink.write_at(*at, bytes)?;
            }
            Ok(())
        })();
        if result.is_err() {
            self.placement
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .failed = true;
        }
        result
    }
}

/// Gathers and compresses one chunk with this thread's scratch buffers,
/// then hands its region and packed bytes to `write`.
fn encode_chunk(
    header: &Header,
    settings: &codec::PackSettings,
    source: &Source<'_, '_>,
    chunk: u64,
    write: impl FnOnce(&ChunkRegion, &[u8]) -> Result<()>,
) -> Result<()> {
    let region = header.geometry().existing_chunk_region(chunk)?;
    source.check_covers(region.pixels)?;
    let layout = BlockLayout::new(header.channels(), region.pixels)?;
    codec::with_block_scratch(|scratch| {
        let unpacked = &mut scratch.unpacked;
        try_resize(unpacked, layout.unpacked_size)?;
        // SAFETY: the frame buffer's constructors guarantee its slices, and
        // the window covers the region as just checked.
        unsafe { source.read_block(&layout, unpacked, &mut scratch.line) };
        let packed = codec::compress(
            header.compression(),
            settings,
            &layout,
            &scratch.unpacked,
            &mut scratch.packed,
            &mut scratch.codec,
        )?;
        write(&region, packed)
    })
}
