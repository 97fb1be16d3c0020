//! Reading real and hand-made files: offset table reconstruction, truncation,
//! random corruption, the header rules OpenEXR enforces, and multipart files.
//!
//! Sample images come from `../shared/testdata/openexr-images`; the tests
//! that need them skip (outside CI) when it is absent. Every damaged input is
//! built in memory from a pristine file or by hand, so no test writes files.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use exrkit::chunk::ChunkInfo;
use exrkit::io::{MemorySource, ReadAt};
use exrkit::meta::compression::Compression;
use exrkit::meta::types::{Box2i, LineOrder, PixelType, Storage};
use exrkit::{Error, ReadOptions, Reader};

// ---------------------------------------------------------------------------
// Helpers shared by the tests
// ---------------------------------------------------------------------------

/// Fails with a readable message unless `$result` is `Err(Error::$variant(_))`.
macro_rules! assert_err {
    ($result:expr, $variant:ident, $($what:tt)+) => {
        match $result {
            Err(Error::$variant(_)) => {}
            other => panic!(
                "{}: expected Error::{}, got {:?}",
                format_args!($($what)+),
                stringify!($variant),
                other
            ),
        }
    };
}

/// The bytes of a sample image, or `None` when the test data is absent.
fn sample(sub: &str, name: &str) -> Option<Arc<[u8]>> {
    let path = common::openexr_images(sub)?.join(name);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read sample {}: {e}", path.display()));
    Some(bytes.into())
}

fn default_options() -> ReadOptions {
    ReadOptions::default()
}

fn strict_options() -> ReadOptions {
    ReadOptions {
        strict: true,
        ..ReadOptions::default()
    }
}

fn no_reconstruct() -> ReadOptions {
    ReadOptions {
        reconstruct: false,
        ..ReadOptions::default()
    }
}

fn open(bytes: &[u8], options: ReadOptions) -> exrkit::Result<Reader> {
    Reader::from_bytes(bytes.to_vec(), options)
}

/// Every chunk of `part` of an intact file; any failure fails the test.
fn pristine_infos(reader: &Reader, part: usize, what: &str) -> Vec<ChunkInfo> {
    let count = reader.headers()[part].geometry().chunk_count();
    (0..count)
        .map(|i| {
            reader
                .chunk_info(part, i)
                .unwrap_or_else(|e| panic!("{what}: pristine part {part} chunk {i}: {e}"))
        })
        .collect()
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let field: [u8; 8] = bytes[at..at + 8]
        .try_into()
        .expect("an 8-byte slice converts to an array");
    u64::from_le_bytes(field)
}

/// Where the offset table of a single-part file lies, computed from the
/// chunks (the table ends where the first chunk begins) and checked against
/// the header parser's idea of where the headers end and against the entries
/// stored in it.
fn single_part_table(bytes: &Arc<[u8]>, infos: &[ChunkInfo], what: &str) -> (usize, usize) {
    let first = infos
        .iter()
        .map(|i| i.offset)
        .min()
        .unwrap_or_else(|| panic!("{what}: the file has no chunks"));
    let end = usize::try_from(first).expect("offsets of a file in memory fit in usize");
    let start = end - 8 * infos.len();
    let headers = exrkit::meta::read_headers(&MemorySource::new(bytes.clone()), false)
        .unwrap_or_else(|e| panic!("{what}: headers do not parse: {e}"));
    assert_eq!(
        headers.end, start as u64,
        "{what}: the offset table should start right after the header"
    );
    for (i, info) in infos.iter().enumerate() {
        assert_eq!(
            u64_at(bytes, start + 8 * i),
            info.offset,
            "{what}: offset table entry {i}"
        );
    }
    (start, end)
}

/// A source holding the first `len` bytes of `base` with a few bytes
/// replaced, so truncated and mutated files need no copy of the image.
#[derive(Clone)]
struct Overlay {
    base: Arc<[u8]>,
    len: usize,
    patches: Vec<(usize, u8)>,
}

impl Overlay {
    fn new(base: &Arc<[u8]>) -> Self {
        Self {
            base: base.clone(),
            len: base.len(),
            patches: Vec::new(),
        }
    }

    fn truncated(base: &Arc<[u8]>, len: usize) -> Self {
        Self {
            len,
            ..Self::new(base)
        }
    }
}

impl ReadAt for Overlay {
    fn len(&self) -> u64 {
        self.len as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> exrkit::Result<()> {
        let start = usize::try_from(offset)
            .ok()
            .filter(|s| s.checked_add(buf.len()).is_some_and(|e| e <= self.len));
        let Some(start) = start else {
            return Err(Error::Corrupt(format!(
                "{} bytes at offset {offset} reach past the end of the {}-byte file",
                buf.len(),
                self.len
            )));
        };
        let end = start + buf.len();
        buf.copy_from_slice(&self.base[start..end]);
        for &(at, byte) in &self.patches {
            if (start..end).contains(&at) {
                buf[at - start] = byte;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// 1. Offset table reconstruction
// ---------------------------------------------------------------------------

/// Zeroes and scrambles the offset table of a sample and checks that the
/// reader rebuilds exactly the pristine chunk locations from the leaders, and
/// that without reconstruction the damage is reported per chunk.
fn check_reconstruction(sub: &str, name: &str, expected_storage: Storage) {
    let Some(bytes) = sample(sub, name) else {
        return;
    };
    let what = format!("{sub}/{name}");
    let reader = open(&bytes, default_options()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(reader.headers().len(), 1, "{what}: part count");
    assert_eq!(reader.headers()[0].storage(), expected_storage, "{what}");
    let pristine = pristine_infos(&reader, 0, &what);
    let count = pristine.len();
    let (start, end) = single_part_table(&bytes, &pristine, &what);
    let file_len = bytes.len() as u64;

    // The whole table zeroed, as in a file whose writer died before
    // rewriting it.
    let mut zeroed = bytes.to_vec();
    zeroed[start..end].fill(0);
    let rebuilt = open(&zeroed, default_options())
        .unwrap_or_else(|e| panic!("{what}: zeroed table with reconstruction: {e}"));
    for (i, expected) in pristine.iter().enumerate() {
        let got = rebuilt
            .chunk_info(0, i as u64)
            .unwrap_or_else(|e| panic!("{what}: rebuilt chunk {i}: {e}"));
        assert_eq!(&got, expected, "{what}: rebuilt chunk {i}");
    }
    // The rebuilt locations give the same bytes as the pristine file.
    for i in [0, count / 2, count - 1] {
        let info = pristine[i];
        let mut buf = vec![0u8; info.payload_size() as usize];
        let n = rebuilt
            .read_chunk(0, i as u64, &mut buf)
            .unwrap_or_else(|e| panic!("{what}: reading rebuilt chunk {i}: {e}"));
        assert_eq!(n, buf.len(), "{what}: chunk {i} size");
        let at = info.data_offset as usize;
        assert!(
            buf == bytes[at..at + n],
            "{what}: chunk {i} bytes differ after reconstruction"
        );
    }

    let raw = open(&zeroed, no_reconstruct())
        .unwrap_or_else(|e| panic!("{what}: zeroed table without reconstruction: {e}"));
    let mut buf = vec![0u8; 64];
    for i in 0..count as u64 {
        assert_err!(raw.chunk_info(0, i), Incomplete, "{what}: zeroed entry {i}");
        assert_err!(
            raw.read_chunk(0, i, &mut buf),
            Incomplete,
            "{what}: reading zeroed entry {i}"
        );
    }

    // A few entries overwritten with values that cannot be chunk offsets.
    let garbage = [
        (0, u64::MAX),
        (count / 2, 3),
        (count - 1, file_len),
        (1, end as u64 - 1),
    ];
    let mut scrambled = bytes.to_vec();
    for &(i, value) in &garbage {
        scrambled[start + 8 * i..start + 8 * i + 8].copy_from_slice(&value.to_le_bytes());
    }
    let rebuilt = open(&scrambled, default_options())
        .unwrap_or_else(|e| panic!("{what}: scrambled table with reconstruction: {e}"));
    for (i, expected) in pristine.iter().enumerate() {
        let got = rebuilt
            .chunk_info(0, i as u64)
            .unwrap_or_else(|e| panic!("{what}: rebuilt scrambled chunk {i}: {e}"));
        assert_eq!(&got, expected, "{what}: rebuilt scrambled chunk {i}");
    }
    let raw = open(&scrambled, no_reconstruct())
        .unwrap_or_else(|e| panic!("{what}: scrambled table without reconstruction: {e}"));
    for (i, expected) in pristine.iter().enumerate() {
        match garbage.iter().find(|g| g.0 == i) {
            Some(&(_, value)) => assert_err!(
                raw.chunk_info(0, i as u64),
                Corrupt,
                "{what}: entry {i} holding {value}"
            ),
            None => assert_eq!(
                raw.chunk_info(0, i as u64).ok().as_ref(),
                Some(expected),
                "{what}: untouched entry {i}"
            ),
        }
    }

    // An entry that points at another chunk's leader is inside the chunk
    // area, so it is not rebuilt (nor is it by OpenEXR); the leader check
    // catches it instead.
    let mut misdirected = bytes.to_vec();
    misdirected[start + 8..start + 16].copy_from_slice(&pristine[0].offset.to_le_bytes());
    let reader = open(&misdirected, default_options())
        .unwrap_or_else(|e| panic!("{what}: misdirected entry: {e}"));
    assert_err!(
        reader.chunk_info(0, 1),
        Corrupt,
        "{what}: misdirected entry 1"
    );
    assert_eq!(
        reader.chunk_info(0, 0).ok(),
        Some(pristine[0]),
        "{what}: the chunk entry 1 points at"
    );

    println!("reconstruction: {what}: {count} chunks, table at {start}..{end}, {file_len} bytes");
}

#[test]
fn reconstruction_restores_a_scanline_table() {
    check_reconstruction("ScanLines", "Desk.exr", Storage::Scanline);
}

#[test]
fn reconstruction_restores_a_tiled_table() {
    check_reconstruction("Tiles", "GoldenGate.exr", Storage::Tiled);
}

#[test]
fn reconstruction_restores_a_deep_scanline_table() {
    check_reconstruction("v2/LowResLeftView", "Balls.exr", Storage::DeepScanline);
}

#[test]
fn reconstruction_restores_a_mipmapped_table() {
    let Some(bytes) = sample("MultiResolution", "Bonita.exr") else {
        return;
    };
    // 550x832 with 128x128 tiles rounded down: levels of 5x7, 3x4, 2x2 tiles
    // and seven of one tile.
    let reader = open(&bytes, default_options()).expect("Bonita.exr opens");
    let geometry = reader.headers()[0].geometry();
    assert_eq!(geometry.level_counts(), (10, 10));
    assert_eq!(geometry.chunk_count(), 35 + 12 + 4 + 7);
    check_reconstruction("MultiResolution", "Bonita.exr", Storage::Tiled);
}

#[test]
fn reconstruction_follows_file_order_not_index_order() {
    // Decreasing Y: the writer stores the last chunk first. Rebuild the
    // table from leaders that appear in reverse index order.
    let attrs = set(base_attrs(4, 3), attr("lineOrder", "lineOrder", [1u8]));
    let chunks = rows(None, 3, 4);
    let (forward, _) = assemble(VERSION, &[(attrs, chunks.clone())]);
    let table_start = forward.len() - chunks.iter().map(Vec::len).sum::<usize>() - 24;
    let mut reversed = forward[..table_start].to_vec();
    let mut at = (table_start + 24) as u64;
    let mut offsets = [0u64; 3];
    for i in (0..3).rev() {
        offsets[i] = at;
        at += chunks[i].len() as u64;
    }
    for offset in offsets {
        reversed.extend(offset.to_le_bytes());
    }
    for chunk in chunks.iter().rev() {
        reversed.extend_from_slice(chunk);
    }
    let reader = open(&reversed, strict_options()).expect("decreasing-Y file");
    assert_eq!(reader.headers()[0].line_order(), LineOrder::DecreasingY);
    let pristine = pristine_infos(&reader, 0, "decreasing-Y file");
    assert_eq!(
        pristine.iter().map(|i| i.offset).collect::<Vec<_>>(),
        offsets
    );

    let mut zeroed = reversed.clone();
    zeroed[table_start..table_start + 24].fill(0);
    let rebuilt = open(&zeroed, default_options()).expect("zeroed decreasing-Y table");
    assert_eq!(
        pristine_infos(&rebuilt, 0, "rebuilt decreasing-Y file"),
        pristine
    );
}

/// The same sample opened from its path and from memory gives the same
/// chunks, and one reader serves many threads at once.
#[test]
fn path_memory_and_threads_agree() {
    let Some(dir) = common::openexr_images("Tiles") else {
        return;
    };
    let path = dir.join("GoldenGate.exr");
    let from_path = Reader::open(&path, default_options()).expect("GoldenGate.exr by path");
    let bytes = std::fs::read(&path).expect("GoldenGate.exr readable");
    let from_memory = open(&bytes, default_options()).expect("GoldenGate.exr from memory");
    let infos = pristine_infos(&from_path, 0, "by path");
    assert_eq!(infos, pristine_infos(&from_memory, 0, "from memory"));
    assert_eq!(from_path.headers(), from_memory.headers());

    fn shareable<T: Send + Sync>(_: &T) {}
    shareable(&from_path);
    let reader = &from_path;
    let infos = &infos;
    let bytes = &bytes;
    std::thread::scope(|scope| {
        for t in 0..4 {
            scope.spawn(move || {
                let mut buf = Vec::new();
                for info in infos.iter().skip(t).step_by(4) {
                    buf.resize(info.payload_size() as usize, 0);
                    let n = reader
                        .read_chunk(0, info.index, &mut buf)
                        .unwrap_or_else(|e| panic!("thread {t} chunk {}: {e}", info.index));
                    let at = info.data_offset as usize;
                    assert!(
                        buf[..n] == bytes[at..at + n],
                        "thread {t} chunk {}",
                        info.index
                    );
                }
            });
        }
    });

    let missing = dir.join("no such file.exr");
    assert_err!(
        Reader::open(&missing, default_options()),
        Io,
        "{}",
        missing.display()
    );
}

// ---------------------------------------------------------------------------
// 2. Truncation
// ---------------------------------------------------------------------------

/// Opens every prefix of interest of a sample and checks what survives.
fn check_truncation(sub: &str, name: &str) {
    let Some(bytes) = sample(sub, name) else {
        return;
    };
    let what = format!("{sub}/{name}");
    let reader = open(&bytes, default_options()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let pristine = pristine_infos(&reader, 0, &what);
    let (_, table_end) = single_part_table(&bytes, &pristine, &what);
    let full = bytes.len();

    let mut lengths: Vec<usize> = (0..=2048.min(full))
        .chain((2048..full).step_by(997))
        .chain([table_end - 1, table_end, full - 1, full])
        .collect();
    for info in &pristine {
        // Right at, just before and just after the end of each chunk.
        let end = (info.data_offset + info.payload_size()) as usize;
        lengths.extend([end - 1, end, (end + 1).min(full)]);
    }
    lengths.sort_unstable();
    lengths.dedup();

    let (mut opened, mut intact_seen, mut cut_seen) = (0usize, 0usize, 0usize);
    let mut buf = Vec::new();
    for (n, &len) in lengths.iter().enumerate() {
        let modes = if n % 4 == 0 { 2 } else { 1 };
        for options in [default_options(), no_reconstruct()]
            .into_iter()
            .take(modes)
        {
            let reconstruct = options.reconstruct;
            let case = format!("{what} cut to {len} bytes (reconstruct {reconstruct})");
            let source = Overlay::truncated(&bytes, len);
            let result = Reader::from_source(Box::new(source), options);
            let reader = if len < 8 {
                assert_err!(result, UnknownFormat, "{case}");
                continue;
            } else if len < table_end {
                assert_err!(result, Corrupt, "{case}");
                continue;
            } else {
                result.unwrap_or_else(|e| panic!("{case}: the headers and table are whole: {e}"))
            };
            opened += 1;
            for (i, expected) in pristine.iter().enumerate() {
                let index = i as u64;
                let chunk_end = expected.data_offset + expected.payload_size();
                let intact = chunk_end <= len as u64;
                // Copy the payload only near the cut; elsewhere an empty
                // buffer still exercises read_chunk's checks.
                let near_cut = chunk_end.abs_diff(len as u64) < 3 * expected.payload_size();
                let got = reader.chunk_info(0, index);
                if intact {
                    intact_seen += 1;
                    assert_eq!(
                        got.as_ref().ok(),
                        Some(expected),
                        "{case}: intact chunk {i} gave {got:?}"
                    );
                    if near_cut {
                        buf.resize(expected.payload_size() as usize, 0);
                        let n = reader
                            .read_chunk(0, index, &mut buf)
                            .unwrap_or_else(|e| panic!("{case}: reading intact chunk {i}: {e}"));
                        let at = expected.data_offset as usize;
                        assert!(buf[..n] == bytes[at..at + n], "{case}: chunk {i} bytes");
                    } else if i % 4 == 0 && expected.payload_size() > 0 {
                        assert_err!(
                            reader.read_chunk(0, index, &mut []),
                            BufferTooSmall,
                            "{case}: chunk {i} into an empty buffer"
                        );
                    }
                } else {
                    cut_seen += 1;
                    assert!(
                        matches!(got, Err(Error::Corrupt(_) | Error::Incomplete(_))),
                        "{case}: chunk {i} (ends at {chunk_end}) gave {got:?}"
                    );
                    if near_cut || i % 4 == 0 {
                        buf.resize(expected.payload_size() as usize, 0);
                        let target: &mut [u8] = if near_cut { &mut buf } else { &mut [] };
                        let read = reader.read_chunk(0, index, target);
                        assert!(
                            matches!(read, Err(Error::Corrupt(_) | Error::Incomplete(_))),
                            "{case}: reading cut chunk {i} gave {read:?}"
                        );
                    }
                }
            }
        }
    }
    // The library's own memory source agrees with the overlay at a few cuts.
    for len in [7, table_end - 1, table_end, full / 2, full] {
        let mine =
            Reader::from_source(Box::new(Overlay::truncated(&bytes, len)), default_options());
        let theirs = open(&bytes[..len], default_options());
        assert_eq!(
            mine.as_ref()
                .map(|r| r.headers().len())
                .map_err(std::mem::discriminant),
            theirs
                .as_ref()
                .map(|r| r.headers().len())
                .map_err(std::mem::discriminant),
            "{what} cut to {len}: from_source and from_bytes disagree"
        );
    }
    println!(
        "truncation: {what}: {} lengths, {opened} opens succeeded, {intact_seen} intact and {cut_seen} cut chunk checks",
        lengths.len()
    );
    assert!(
        opened > 0 && intact_seen > 0 && cut_seen > 0,
        "{what}: nothing checked"
    );
}

#[test]
fn truncated_scanline_file_keeps_whole_chunks() {
    check_truncation("ScanLines", "Cannon.exr");
}

#[test]
fn truncated_tiled_file_keeps_whole_tiles() {
    check_truncation("Tiles", "GoldenGate.exr");
}

// ---------------------------------------------------------------------------
// 3. Random corruption
// ---------------------------------------------------------------------------

/// Marsaglia's xorshift64*: deterministic, so a failure names its iteration.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Default, Debug)]
struct FuzzCounts {
    opened: usize,
    rejected: usize,
    chunks_ok: usize,
    chunks_err: usize,
    bytes_compared: usize,
}

/// Opens one mutated file and reads every chunk, checking that whatever the
/// reader hands out is consistent with the bytes it was given.
fn exercise_mutant(source: &Overlay, options: ReadOptions, counts: &mut FuzzCounts) {
    let len = source.len;
    let reader = match Reader::from_source(Box::new(source.clone()), options) {
        Ok(reader) => reader,
        Err(_) => {
            counts.rejected += 1;
            return;
        }
    };
    counts.opened += 1;
    let multipart = reader.version_flags().multipart;
    let (mut buf, mut expected) = (Vec::new(), Vec::new());
    for (part, header) in reader.headers().iter().enumerate() {
        let storage = header.storage();
        let leader_len = u64::from(multipart) * 4
            + if storage.is_tiled() { 16 } else { 4 }
            + if storage.is_deep() { 24 } else { 4 };
        for index in 0..header.geometry().chunk_count() {
            let info = match reader.chunk_info(part, index) {
                Ok(info) => info,
                Err(_) => {
                    counts.chunks_err += 1;
                    let _ = reader.read_chunk(part, index, &mut []);
                    continue;
                }
            };
            counts.chunks_ok += 1;
            assert_eq!(info.index, index, "chunk {index}: index");
            assert_eq!(
                Some(info.region),
                header.geometry().chunk_region(index),
                "chunk {index}: region"
            );
            assert_eq!(
                info.data_offset,
                info.offset + leader_len,
                "chunk {index}: leader length"
            );
            assert!(
                info.data_offset + info.payload_size() <= len as u64,
                "chunk {index}: {info:?} reaches past the {len}-byte file"
            );
            if !storage.is_deep() {
                assert_eq!(
                    info.sample_table_size, 0,
                    "chunk {index}: flat sample table"
                );
                assert!(
                    info.packed_size <= info.unpacked_size,
                    "chunk {index}: {info:?} packs more than it unpacks"
                );
            }
            // Reading is the same checks plus a copy; compare bytes for a
            // sample of chunks to keep the run short.
            let size = info.payload_size() as usize;
            if index % 16 == 0 || size < 256 {
                buf.resize(size, 0);
                let n = reader
                    .read_chunk(part, index, &mut buf)
                    .unwrap_or_else(|e| panic!("chunk {index}: located but unreadable: {e}"));
                assert_eq!(n, size, "chunk {index}: bytes read");
                expected.resize(size, 0);
                source
                    .read_exact_at(info.data_offset, &mut expected)
                    .unwrap_or_else(|e| panic!("chunk {index}: {info:?} is not in the file: {e}"));
                assert!(
                    buf == expected,
                    "chunk {index}: read_chunk returned other bytes"
                );
                counts.bytes_compared += n;
            } else if size > 0 {
                assert_err!(
                    reader.read_chunk(part, index, &mut []),
                    BufferTooSmall,
                    "chunk {index}: empty buffer"
                );
            }
        }
    }
}

/// The byte range of the pixels of a `preview` attribute (after its width
/// and height), or an empty range.
fn preview_pixels(header: &[u8]) -> std::ops::Range<usize> {
    let key = b"preview\0preview\0";
    let Some(at) = header.windows(key.len()).position(|w| w == key) else {
        return 0..0;
    };
    let size_at = at + key.len();
    let size = i32::from_le_bytes(
        header[size_at..size_at + 4]
            .try_into()
            .expect("a 4-byte slice converts to an array"),
    );
    let start = size_at + 4 + 8;
    let end = size_at + 4 + usize::try_from(size).expect("a sample's preview size is positive");
    assert!(
        start <= end && end <= header.len(),
        "preview attribute in range"
    );
    start..end
}

fn fuzz_sample(sub: &str, name: &str, iterations: usize, seed: u64) {
    let Some(bytes) = sample(sub, name) else {
        return;
    };
    let what = format!("{sub}/{name}");
    let reader = open(&bytes, default_options()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let pristine = pristine_infos(&reader, 0, &what);
    let (_, table_end) = single_part_table(&bytes, &pristine, &what);
    // Aim header mutations past the pixels of a preview image, which the
    // reader only carries along (Bonita's is 60 KB of a 61 KB header).
    let preview = preview_pixels(&bytes[..table_end]);
    let header_targets = table_end - preview.len();
    let mut rng = XorShift(seed);
    let mut counts = FuzzCounts::default();
    for iteration in 0..iterations {
        let mut source = Overlay::new(&bytes);
        let flips = 1 + rng.below(8);
        for _ in 0..flips {
            // Mostly the header and offset table, where the reader makes its
            // decisions, then chunk leaders, then anywhere.
            let at = match rng.below(20) {
                0..=11 => {
                    let at = rng.below(header_targets);
                    if at >= preview.start {
                        at + preview.len()
                    } else {
                        at
                    }
                }
                12..=16 => {
                    let chunk = pristine[rng.below(pristine.len())];
                    let leader = (chunk.data_offset - chunk.offset) as usize;
                    chunk.offset as usize + rng.below(leader)
                }
                _ => rng.below(bytes.len()),
            };
            let value = match rng.below(8) {
                0 => 0,
                1 => 0xff,
                2 => 0x7f,
                3 => 0x80,
                4 => bytes[at] ^ (1 << rng.below(8)),
                _ => rng.next() as u8,
            };
            source.patches.push((at, value));
        }
        let options = match iteration % 3 {
            0 => default_options(),
            1 => strict_options(),
            _ => no_reconstruct(),
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            exercise_mutant(&source, options, &mut counts)
        }));
        if outcome.is_err() {
            panic!(
                "{what}: mutation {iteration} (seed {seed:#x}) panicked; patches (offset, byte): {:?}",
                source.patches
            );
        }
    }
    println!(
        "corruption: {what}: {iterations} mutations ({} preview bytes spared): {counts:?}",
        preview.len()
    );
    assert!(
        counts.opened > 0 && counts.rejected > 0,
        "{what}: the mutations should both break and spare the file: {counts:?}"
    );
}

#[test]
fn random_corruption_of_a_scanline_file_never_panics() {
    fuzz_sample("ScanLines", "Desk.exr", 1000, 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn random_corruption_of_a_tiled_file_never_panics() {
    fuzz_sample("MultiResolution", "Bonita.exr", 1000, 0xd1b5_4a32_d192_ed03);
}

#[test]
fn random_corruption_of_a_deep_file_never_panics() {
    fuzz_sample(
        "v2/LowResLeftView",
        "Balls.exr",
        1000,
        0x8cb9_2ba7_2f3d_8dd7,
    );
}

// ---------------------------------------------------------------------------
// Hand-made files
// ---------------------------------------------------------------------------

const MAGIC: [u8; 4] = [0x76, 0x2f, 0x31, 0x01];
const VERSION: u32 = 2;
const TILED: u32 = 0x200;
const LONG_NAMES: u32 = 0x400;
const MULTIPART: u32 = 0x1000;
const HALF: i32 = 1;

/// One attribute as the file stores it.
#[derive(Clone)]
struct Attr {
    name: Vec<u8>,
    type_name: &'static str,
    value: Vec<u8>,
}

/// One part as `assemble` lays it out: its header's attributes and its
/// chunks (leaders included) in index order.
type Part = (Vec<Attr>, Vec<Vec<u8>>);

fn attr(name: &str, type_name: &'static str, value: impl Into<Vec<u8>>) -> Attr {
    Attr {
        name: name.as_bytes().to_vec(),
        type_name,
        value: value.into(),
    }
}

fn i32s(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn box2i(min_x: i32, min_y: i32, max_x: i32, max_y: i32) -> Vec<u8> {
    i32s(&[min_x, min_y, max_x, max_y])
}

/// A `chlist` value: name, pixel type, pLinear and 3 reserved bytes, sampling.
fn chlist(channels: &[(&str, i32, i32, i32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(name, pixel_type, x_sampling, y_sampling) in channels {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend(pixel_type.to_le_bytes());
        out.extend([0u8; 4]);
        out.extend(i32s(&[x_sampling, y_sampling]));
    }
    out.push(0);
    out
}

fn tiledesc(width: u32, height: u32, mode: u8) -> Vec<u8> {
    let mut out = width.to_le_bytes().to_vec();
    out.extend(height.to_le_bytes());
    out.push(mode);
    out
}

/// Every attribute OpenEXR requires, for a `width` x `height` image of one
/// HALF channel `Y`, uncompressed (one scanline per chunk).
fn base_attrs(width: i32, height: i32) -> Vec<Attr> {
    vec![
        attr("channels", "chlist", chlist(&[("Y", HALF, 1, 1)])),
        attr("compression", "compression", [0u8]),
        attr("dataWindow", "box2i", box2i(0, 0, width - 1, height - 1)),
        attr("displayWindow", "box2i", box2i(0, 0, width - 1, height - 1)),
        attr("lineOrder", "lineOrder", [0u8]),
        attr("pixelAspectRatio", "float", f32s(&[1.0])),
        attr("screenWindowCenter", "v2f", f32s(&[0.0, 0.0])),
        attr("screenWindowWidth", "float", f32s(&[1.0])),
    ]
}

/// Replaces the attribute `name` (keeping its place) or appends it.
fn set(mut attrs: Vec<Attr>, new: Attr) -> Vec<Attr> {
    match attrs.iter_mut().find(|a| a.name == new.name) {
        Some(slot) => *slot = new,
        None => attrs.push(new),
    }
    attrs
}

fn without(mut attrs: Vec<Attr>, name: &str) -> Vec<Attr> {
    attrs.retain(|a| a.name != name.as_bytes());
    attrs
}

/// `len` recognisable bytes for the chunk with this seed.
fn pixels(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|k| seed.wrapping_mul(31).wrapping_add(k as u8))
        .collect()
}

/// A scanline chunk: part number (multipart only), y, size, data.
fn scanline_chunk(part: Option<i32>, y: i32, data: &[u8]) -> Vec<u8> {
    let mut out = part.map_or_else(Vec::new, |p| p.to_le_bytes().to_vec());
    out.extend(i32s(&[y, data.len() as i32]));
    out.extend_from_slice(data);
    out
}

/// A tile chunk: part number (multipart only), tile and level coordinates,
/// size, data.
fn tile_chunk(part: Option<i32>, coords: [i32; 4], data: &[u8]) -> Vec<u8> {
    let mut out = part.map_or_else(Vec::new, |p| p.to_le_bytes().to_vec());
    out.extend(i32s(&coords));
    out.extend((data.len() as i32).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// One uncompressed HALF scanline chunk per row, `samples` per row.
fn rows(part: Option<i32>, height: i32, samples: usize) -> Vec<Vec<u8>> {
    (0..height)
        .map(|y| scanline_chunk(part, y, &pixels(y as u8, samples * 2)))
        .collect()
}

/// A whole file: the version field, each part's header (with the extra NUL
/// after the last one in multipart files), one offset table per part, then
/// every part's chunks in order. Returns the bytes and each chunk's offset.
fn assemble(version: u32, parts: &[Part]) -> (Vec<u8>, Vec<Vec<u64>>) {
    let mut out = MAGIC.to_vec();
    out.extend(version.to_le_bytes());
    for (attrs, _) in parts {
        for a in attrs {
            out.extend_from_slice(&a.name);
            out.push(0);
            out.extend_from_slice(a.type_name.as_bytes());
            out.push(0);
            out.extend((a.value.len() as i32).to_le_bytes());
            out.extend_from_slice(&a.value);
        }
        out.push(0);
    }
    if version & MULTIPART != 0 {
        out.push(0);
    }
    let chunk_total: usize = parts.iter().map(|p| p.1.len()).sum();
    let mut at = (out.len() + 8 * chunk_total) as u64;
    let mut offsets = Vec::new();
    for (_, chunks) in parts {
        let mut table = Vec::new();
        for chunk in chunks {
            table.push(at);
            out.extend(at.to_le_bytes());
            at += chunk.len() as u64;
        }
        offsets.push(table);
    }
    for (_, chunks) in parts {
        for chunk in chunks {
            out.extend_from_slice(chunk);
        }
    }
    (out, offsets)
}

/// A single-part scanline file with the default 4x2 pixels.
fn single(attrs: Vec<Attr>) -> Vec<u8> {
    single_with(VERSION, attrs, rows(None, 2, 4))
}

fn single_with(version: u32, attrs: Vec<Attr>, chunks: Vec<Vec<u8>>) -> Vec<u8> {
    assemble(version, &[(attrs, chunks)]).0
}

// ---------------------------------------------------------------------------
// 4. Header rules
// ---------------------------------------------------------------------------

#[test]
fn minimal_scanline_file_reports_its_values() {
    let chunks = rows(None, 2, 4);
    let (bytes, offsets) = assemble(VERSION, &[(base_attrs(4, 2), chunks.clone())]);
    for options in [default_options(), strict_options()] {
        let strict = options.strict;
        let reader =
            open(&bytes, options).unwrap_or_else(|e| panic!("minimal file (strict {strict}): {e}"));
        let flags = reader.version_flags();
        assert_eq!(flags.raw, 2);
        assert!(!flags.multipart && !flags.single_part_tiled && !flags.deep && !flags.long_names);
        assert_eq!(reader.headers().len(), 1);
        let header = reader.header(0).expect("part 0 exists");
        let window = Box2i {
            min_x: 0,
            min_y: 0,
            max_x: 3,
            max_y: 1,
        };
        assert_eq!(header.data_window(), window);
        assert_eq!(header.display_window(), window);
        assert_eq!(header.storage(), Storage::Scanline);
        assert_eq!(header.compression(), Compression::None);
        assert_eq!(header.line_order(), LineOrder::IncreasingY);
        assert_eq!(header.pixel_aspect_ratio(), 1.0);
        assert_eq!(header.attributes().len(), 8);
        assert_eq!(header.channels().len(), 1);
        let y = &header.channels()[0];
        assert_eq!(y.name.as_bytes(), b"Y");
        assert_eq!(y.pixel_type, PixelType::Half);
        assert_eq!((y.x_sampling, y.y_sampling, y.p_linear), (1, 1, false));
        assert_eq!(header.geometry().chunk_count(), 2);
        assert_eq!(header.geometry().lines_per_chunk(), Some(1));
        assert!(header.name().is_none());

        for (i, chunk) in chunks.iter().enumerate() {
            let info = reader
                .chunk_info(0, i as u64)
                .unwrap_or_else(|e| panic!("chunk {i}: {e}"));
            assert_eq!(info.offset, offsets[0][i], "chunk {i} offset");
            assert_eq!(info.data_offset, offsets[0][i] + 8, "chunk {i} data offset");
            assert_eq!((info.packed_size, info.unpacked_size), (8, 8));
            assert_eq!(info.sample_table_size, 0);
            assert_eq!(
                (info.region.pixels.min_y, info.region.pixels.max_y),
                (i as i32, i as i32)
            );
            let mut buf = [0u8; 8];
            assert_eq!(reader.read_chunk(0, i as u64, &mut buf).ok(), Some(8));
            assert_eq!(&buf[..], &chunk[8..], "chunk {i} pixels");
            assert_err!(
                reader.read_chunk(0, i as u64, &mut [0u8; 7]),
                BufferTooSmall,
                "chunk {i} into 7 bytes"
            );
        }
        assert_err!(reader.chunk_info(0, 2), InvalidArgument, "chunk 2 of 2");
        assert_err!(reader.chunk_info(1, 0), InvalidArgument, "part 1 of 1");
        assert_err!(reader.header(1), InvalidArgument, "header of part 1");
    }
}

#[test]
fn missing_channels_is_corrupt() {
    let bytes = single(without(base_attrs(4, 2), "channels"));
    assert_err!(open(&bytes, default_options()), Corrupt, "no channels");
    assert_err!(
        open(&bytes, strict_options()),
        Corrupt,
        "no channels, strict"
    );
    let empty = single(set(base_attrs(4, 2), attr("channels", "chlist", [0u8])));
    assert_err!(
        open(&empty, default_options()),
        Corrupt,
        "empty channel list"
    );
}

#[test]
fn missing_optional_attributes_get_defaults_unless_strict() {
    let bytes = single(without(
        without(base_attrs(4, 2), "lineOrder"),
        "pixelAspectRatio",
    ));
    let reader = open(&bytes, default_options()).expect("lenient reading fills defaults");
    let header = &reader.headers()[0];
    assert_eq!(header.line_order(), LineOrder::IncreasingY);
    assert_eq!(header.pixel_aspect_ratio(), 1.0);
    assert_err!(
        open(&bytes, strict_options()),
        Corrupt,
        "strict without lineOrder"
    );
}

#[test]
fn duplicate_attribute_is_corrupt_only_when_strict() {
    // The later dataWindow is 2 pixels wide; its chunks hold 2 samples a row.
    let mut attrs = base_attrs(4, 2);
    attrs.push(attr("dataWindow", "box2i", box2i(0, 0, 1, 1)));
    let bytes = single_with(VERSION, attrs, rows(None, 2, 2));
    assert_err!(open(&bytes, strict_options()), Corrupt, "duplicate, strict");
    let reader = open(&bytes, default_options()).expect("duplicate, lenient");
    let header = &reader.headers()[0];
    assert_eq!(
        header.data_window(),
        Box2i {
            min_x: 0,
            min_y: 0,
            max_x: 1,
            max_y: 1
        },
        "the later dataWindow wins"
    );
    assert_eq!(
        header
            .attributes()
            .iter()
            .filter(|a| a.name == *"dataWindow")
            .count(),
        1,
        "one dataWindow is kept"
    );
    let info = reader
        .chunk_info(0, 1)
        .expect("chunk 1 of the narrower window");
    assert_eq!((info.packed_size, info.unpacked_size), (4, 4));
    assert_eq!((info.region.pixels.min_x, info.region.pixels.max_x), (0, 1));
}

#[test]
fn long_attribute_names_need_the_flag_only_when_strict() {
    let long = "a".repeat(40);
    let attrs = set(base_attrs(4, 2), attr(&long, "int", i32s(&[7])));
    let bytes = single(attrs.clone());
    let reader = open(&bytes, default_options()).expect("40-byte name, lenient");
    assert!(
        reader.headers()[0].attribute(long.as_bytes()).is_some(),
        "the long attribute is kept"
    );
    assert_err!(
        open(&bytes, strict_options()),
        Corrupt,
        "40-byte name, strict"
    );
    let flagged = single_with(VERSION | LONG_NAMES, attrs, rows(None, 2, 4));
    let reader = open(&flagged, strict_options()).expect("40-byte name with the flag, strict");
    assert!(reader.version_flags().long_names);

    // 31 bytes is the limit without the flag.
    let at_limit = single(set(
        base_attrs(4, 2),
        attr(&"b".repeat(31), "int", i32s(&[1])),
    ));
    open(&at_limit, strict_options()).expect("31-byte name, strict");
    let over = single(set(
        base_attrs(4, 2),
        attr(&"b".repeat(32), "int", i32s(&[1])),
    ));
    assert_err!(
        open(&over, strict_options()),
        Corrupt,
        "32-byte name, strict"
    );
}

#[test]
fn version_field_is_checked() {
    let good = single(base_attrs(4, 2));
    let with_version = |raw: u32| {
        let mut bytes = good.clone();
        bytes[4..8].copy_from_slice(&raw.to_le_bytes());
        bytes
    };
    for bit in [0x100u32, 0x2000, 0x8000, 0x0100_0000, 0x8000_0000] {
        assert_err!(
            open(&with_version(VERSION | bit), default_options()),
            Unsupported,
            "unknown flag {bit:#x}"
        );
    }
    for version in [0u32, 1, 3, 0xff] {
        assert_err!(
            open(&with_version(version), default_options()),
            Unsupported,
            "version {version}"
        );
    }
    let mut magic = good.clone();
    magic[0] = 0x77;
    assert_err!(
        open(&magic, default_options()),
        UnknownFormat,
        "wrong magic"
    );
    assert_err!(
        open(b"\x76\x2f\x31", default_options()),
        UnknownFormat,
        "3 bytes"
    );
    assert_err!(open(b"", default_options()), UnknownFormat, "no bytes");
    assert_err!(
        open(b"\x89PNG\r\n\x1a\n", default_options()),
        UnknownFormat,
        "a PNG signature"
    );
}

#[test]
fn inverted_data_window_is_corrupt() {
    for window in [box2i(3, 0, 0, 1), box2i(0, 1, 3, 0)] {
        let bytes = single(set(base_attrs(4, 2), attr("dataWindow", "box2i", window)));
        assert_err!(
            open(&bytes, default_options()),
            Corrupt,
            "inverted data window"
        );
    }
    let display = single(set(
        base_attrs(4, 2),
        attr("displayWindow", "box2i", box2i(0, 0, -1, 1)),
    ));
    assert_err!(
        open(&display, default_options()),
        Corrupt,
        "inverted display window"
    );
}

#[test]
fn subsampling_must_divide_the_data_window() {
    let sampled = |width: i32, min_x: i32| {
        let attrs = set(
            set(
                base_attrs(width, 2),
                attr("channels", "chlist", chlist(&[("Y", HALF, 2, 1)])),
            ),
            attr("dataWindow", "box2i", box2i(min_x, 0, min_x + width - 1, 1)),
        );
        single_with(VERSION, attrs, rows(None, 2, (width / 2) as usize))
    };
    // Width 4 from 0: two samples a row.
    let reader = open(&sampled(4, 0), default_options()).expect("even window, sampling 2");
    let info = reader.chunk_info(0, 0).expect("chunk 0");
    assert_eq!(info.unpacked_size, 4, "2 HALF samples per row");
    assert_eq!(reader.headers()[0].channels()[0].x_sampling, 2);
    assert_err!(
        open(&sampled(3, 0), default_options()),
        Corrupt,
        "odd width"
    );

    // Vertical sampling 2: odd rows hold no samples, so their chunks are empty.
    let attrs = set(
        set(
            base_attrs(4, 4),
            attr("channels", "chlist", chlist(&[("Y", HALF, 1, 2)])),
        ),
        attr("dataWindow", "box2i", box2i(0, 0, 3, 3)),
    );
    let chunks = (0..4)
        .map(|y| scanline_chunk(None, y, &pixels(y as u8, if y % 2 == 0 { 8 } else { 0 })))
        .collect();
    let reader =
        open(&single_with(VERSION, attrs, chunks), default_options()).expect("vertical sampling 2");
    for y in 0..4u64 {
        let info = reader
            .chunk_info(0, y)
            .unwrap_or_else(|e| panic!("row {y} with vertical sampling 2: {e}"));
        let expected = if y % 2 == 0 { 8 } else { 0 };
        assert_eq!(
            (info.packed_size, info.unpacked_size),
            (expected, expected),
            "row {y}"
        );
        assert_eq!(
            reader.read_chunk(0, y, &mut []).ok(),
            (y % 2 == 1).then_some(0),
            "row {y}"
        );
    }
    assert_err!(
        open(&sampled(4, 1), default_options()),
        Corrupt,
        "odd origin"
    );
    let zero = single(set(
        base_attrs(4, 2),
        attr("channels", "chlist", chlist(&[("Y", HALF, 0, 1)])),
    ));
    assert_err!(open(&zero, default_options()), Corrupt, "sampling 0");
}

#[test]
fn pixel_aspect_ratio_must_be_normal() {
    for ratio in [0.0f32, -1.0, f32::NAN, f32::INFINITY, 1e-7, 2e6] {
        let bytes = single(set(
            base_attrs(4, 2),
            attr("pixelAspectRatio", "float", f32s(&[ratio])),
        ));
        assert_err!(
            open(&bytes, default_options()),
            Corrupt,
            "pixel aspect ratio {ratio}"
        );
    }
    let wide = single(set(
        base_attrs(4, 2),
        attr("pixelAspectRatio", "float", f32s(&[2.0])),
    ));
    let reader = open(&wide, default_options()).expect("aspect ratio 2");
    assert_eq!(reader.headers()[0].pixel_aspect_ratio(), 2.0);
}

#[test]
fn tiles_must_have_a_size() {
    // 4x2 pixels in 2x2 tiles: two tiles of 2x2 HALF samples.
    let tiled = |width: u32, height: u32| {
        let attrs = set(
            base_attrs(4, 2),
            attr("tiles", "tiledesc", tiledesc(width, height, 0)),
        );
        let chunks = (0..2)
            .map(|tx| tile_chunk(None, [tx, 0, 0, 0], &pixels(tx as u8, 8)))
            .collect();
        single_with(VERSION | TILED, attrs, chunks)
    };
    let reader = open(&tiled(2, 2), strict_options()).expect("2x2 tiles");
    let header = &reader.headers()[0];
    assert_eq!(header.storage(), Storage::Tiled);
    assert_eq!(header.geometry().chunk_count(), 2);
    let info = reader.chunk_info(0, 1).expect("tile 1");
    assert_eq!(info.data_offset - info.offset, 20, "tile leader length");
    assert_eq!(
        (
            info.region.tile_x,
            info.region.pixels.min_x,
            info.region.pixels.max_x
        ),
        (1, 2, 3)
    );
    assert_eq!((info.packed_size, info.unpacked_size), (8, 8));

    for (w, h) in [(0, 2), (2, 0), (0, 0), (u32::MAX, 2), (1 << 30, 2)] {
        assert_err!(
            open(&tiled(w, h), default_options()),
            Corrupt,
            "tiles {w}x{h}"
        );
    }
    let missing = single_with(VERSION | TILED, base_attrs(4, 2), rows(None, 2, 4));
    assert_err!(
        open(&missing, default_options()),
        Corrupt,
        "tiled flag without tiles"
    );
}

#[test]
fn every_openexr_compression_id_is_accepted_and_others_are_not() {
    // One row 4 pixels wide: one chunk whatever the lines per chunk, and 8
    // packed bytes are never more than the 8 the row needs.
    let with = |id: u8| {
        single_with(
            VERSION,
            set(base_attrs(4, 1), attr("compression", "compression", [id])),
            rows(None, 1, 4),
        )
    };
    // Lines per chunk as OpenEXR 3.5.3 writes them (checked by counting its chunks).
    let lines = [1, 1, 1, 16, 32, 16, 32, 32, 32, 256, 256, 32, 256, 1];
    for (id, &lines) in lines.iter().enumerate() {
        let reader = open(&with(id as u8), strict_options())
            .unwrap_or_else(|e| panic!("compression id {id}: {e}"));
        let header = &reader.headers()[0];
        assert_eq!(header.compression() as u8, id as u8, "compression id {id}");
        assert_eq!(
            header.geometry().lines_per_chunk(),
            Some(lines),
            "compression id {id}"
        );
        let info = reader
            .chunk_info(0, 0)
            .unwrap_or_else(|e| panic!("compression id {id}: {e}"));
        assert_eq!(
            (info.packed_size, info.unpacked_size),
            (8, 8),
            "compression id {id}"
        );
    }
    for id in [14u8, 15, 255] {
        assert_err!(
            open(&with(id), default_options()),
            Corrupt,
            "compression id {id}"
        );
    }
}

#[test]
fn chunks_of_a_window_with_a_negative_origin_start_at_its_first_line() {
    // 24 rows from y = -3 in ZIP chunks of 16 lines: chunks start at -3 and 13.
    // Pixel data is never decoded, so any bytes up to the unpacked size do.
    let attrs = set(
        set(
            base_attrs(4, 2),
            attr("dataWindow", "box2i", box2i(-5, -3, -2, 20)),
        ),
        attr("compression", "compression", [3u8]),
    );
    let build = |first_y: i32| {
        let chunks = vec![
            scanline_chunk(None, first_y, &pixels(1, 10)),
            scanline_chunk(None, 13, &pixels(2, 10)),
        ];
        single_with(VERSION, attrs.clone(), chunks)
    };
    let reader = open(&build(-3), strict_options()).expect("window from (-5, -3)");
    let header = &reader.headers()[0];
    assert_eq!(header.geometry().chunk_count(), 2);
    let first = reader.chunk_info(0, 0).expect("chunk 0");
    assert_eq!(
        first.region.pixels,
        Box2i {
            min_x: -5,
            min_y: -3,
            max_x: -2,
            max_y: 12
        }
    );
    assert_eq!(first.unpacked_size, 4 * 16 * 2);
    let last = reader.chunk_info(0, 1).expect("chunk 1");
    assert_eq!(
        (last.region.pixels.min_y, last.region.pixels.max_y),
        (13, 20)
    );
    assert_eq!((last.packed_size, last.unpacked_size), (10, 4 * 8 * 2));
    // A leader naming a line inside the chunk but not its first one.
    let reader = open(&build(-2), default_options()).expect("headers are intact");
    assert_err!(
        reader.chunk_info(0, 0),
        Corrupt,
        "leader y -2 for the chunk at -3"
    );
    let reader = open(&build(13), default_options()).expect("headers are intact");
    assert_err!(
        reader.chunk_info(0, 0),
        Corrupt,
        "chunk 0's leader naming chunk 1"
    );
}

#[test]
fn malformed_data_window_counts_as_missing_unless_strict() {
    // OpenEXR (3.5.3 checked) then uses the default window (0 0) - (63 63),
    // so this file, written for that window, opens.
    let attrs = set(
        base_attrs(4, 2),
        attr("dataWindow", "box2i", i32s(&[0, 0, 3])),
    );
    let bytes = single_with(VERSION, attrs, rows(None, 64, 64));
    let reader = open(&bytes, default_options()).expect("12-byte dataWindow, lenient");
    let header = &reader.headers()[0];
    assert_eq!(
        header.data_window(),
        Box2i {
            min_x: 0,
            min_y: 0,
            max_x: 63,
            max_y: 63
        }
    );
    assert_eq!(header.geometry().chunk_count(), 64);
    reader.chunk_info(0, 63).expect("the last of 64 rows");
    assert_err!(
        open(&bytes, strict_options()),
        Corrupt,
        "12-byte dataWindow, strict"
    );
}

#[test]
fn pixel_limit_applies_to_the_data_window() {
    let bytes = single(base_attrs(4, 2));
    let limited = |max_image_pixels: u64| ReadOptions {
        max_image_pixels,
        ..ReadOptions::default()
    };
    assert_err!(open(&bytes, limited(7)), LimitExceeded, "8 pixels, limit 7");
    assert_err!(open(&bytes, limited(1)), LimitExceeded, "8 pixels, limit 1");
    open(&bytes, limited(8)).expect("8 pixels, limit 8");
    open(&bytes, limited(0)).expect("8 pixels, no limit");
}

#[test]
fn chunk_count_attribute_is_checked_only_when_strict() {
    let wrong = single(set(base_attrs(4, 2), attr("chunkCount", "int", i32s(&[5]))));
    let reader = open(&wrong, default_options()).expect("wrong chunkCount, lenient");
    assert_eq!(
        reader.headers()[0].geometry().chunk_count(),
        2,
        "the geometry decides the chunk count"
    );
    reader
        .chunk_info(0, 1)
        .expect("chunk 1 with a wrong chunkCount");
    assert_err!(
        open(&wrong, strict_options()),
        Corrupt,
        "wrong chunkCount, strict"
    );
    let right = single(set(base_attrs(4, 2), attr("chunkCount", "int", i32s(&[2]))));
    open(&right, strict_options()).expect("right chunkCount, strict");
}

// ---------------------------------------------------------------------------
// 5. Multipart
// ---------------------------------------------------------------------------

/// Part 0: "left", 4x2 scanlines. Part 1: "right", 4x2 in 2x2 tiles.
fn multipart_parts(part1_leader_part: i32) -> Vec<Part> {
    let left = set(
        set(
            set(base_attrs(4, 2), attr("name", "string", "left")),
            attr("type", "string", "scanlineimage"),
        ),
        attr("chunkCount", "int", i32s(&[2])),
    );
    let right = set(
        set(
            set(
                set(base_attrs(4, 2), attr("name", "string", "right")),
                attr("type", "string", "tiledimage"),
            ),
            attr("tiles", "tiledesc", tiledesc(2, 2, 0)),
        ),
        attr("chunkCount", "int", i32s(&[2])),
    );
    let tiles = (0..2)
        .map(|tx| {
            let part = if tx == 0 { part1_leader_part } else { 1 };
            tile_chunk(Some(part), [tx, 0, 0, 0], &pixels(100 + tx as u8, 8))
        })
        .collect();
    vec![(left, rows(Some(0), 2, 4)), (right, tiles)]
}

#[test]
fn multipart_file_lists_parts_and_locates_their_chunks() {
    let parts = multipart_parts(1);
    let (bytes, offsets) = assemble(VERSION | MULTIPART, &parts);
    for options in [default_options(), strict_options()] {
        let strict = options.strict;
        let reader = open(&bytes, options)
            .unwrap_or_else(|e| panic!("two-part file (strict {strict}): {e}"));
        assert!(reader.version_flags().multipart);
        assert_eq!(reader.headers().len(), 2);
        let names: Vec<_> = reader
            .headers()
            .iter()
            .map(|h| h.name().map(|n| n.to_string()))
            .collect();
        assert_eq!(names, [Some("left".to_string()), Some("right".to_string())]);
        assert_eq!(reader.headers()[0].storage(), Storage::Scanline);
        assert_eq!(reader.headers()[1].storage(), Storage::Tiled);

        for (part, chunks) in parts.iter().map(|p| &p.1).enumerate() {
            let leader = if part == 0 { 12 } else { 24 };
            for (i, chunk) in chunks.iter().enumerate() {
                let info = reader
                    .chunk_info(part, i as u64)
                    .unwrap_or_else(|e| panic!("part {part} chunk {i}: {e}"));
                assert_eq!(
                    info.offset, offsets[part][i],
                    "part {part} chunk {i} offset"
                );
                assert_eq!(
                    info.data_offset,
                    info.offset + leader,
                    "part {part} chunk {i}"
                );
                assert_eq!(info.packed_size, 8);
                let mut buf = [0u8; 8];
                assert_eq!(reader.read_chunk(part, i as u64, &mut buf).ok(), Some(8));
                assert_eq!(
                    &buf[..],
                    &chunk[leader as usize..],
                    "part {part} chunk {i} pixels"
                );
            }
        }
        let tile = reader.chunk_info(1, 1).expect("part 1 chunk 1");
        assert_eq!((tile.region.tile_x, tile.region.tile_y), (1, 0));
        assert_err!(reader.chunk_info(2, 0), InvalidArgument, "part 2 of 2");
    }
}

#[test]
fn multipart_leader_naming_another_part_is_corrupt() {
    for wrong in [0, 2, -1, i32::MAX] {
        let (bytes, _) = assemble(VERSION | MULTIPART, &multipart_parts(wrong));
        let reader = open(&bytes, default_options()).expect("the headers are intact");
        assert_err!(
            reader.chunk_info(1, 0),
            Corrupt,
            "part 1 chunk 0 whose leader names part {wrong}"
        );
        assert_err!(
            reader.read_chunk(1, 0, &mut [0u8; 8]),
            Corrupt,
            "reading part 1 chunk 0 whose leader names part {wrong}"
        );
        reader.chunk_info(1, 1).expect("part 1 chunk 1 is intact");
        reader.chunk_info(0, 0).expect("part 0 chunk 0 is intact");
    }
}

#[test]
fn multipart_tables_are_rebuilt_by_part_number() {
    let (bytes, offsets) = assemble(VERSION | MULTIPART, &multipart_parts(1));
    let table_start = offsets[0][0] as usize - 8 * 4;
    let mut zeroed = bytes.clone();
    zeroed[table_start..table_start + 32].fill(0);
    let reader = open(&zeroed, default_options()).expect("zeroed tables, reconstruct");
    for (part, table) in offsets.iter().enumerate() {
        for (i, &offset) in table.iter().enumerate() {
            let info = reader
                .chunk_info(part, i as u64)
                .unwrap_or_else(|e| panic!("rebuilt part {part} chunk {i}: {e}"));
            assert_eq!(info.offset, offset, "rebuilt part {part} chunk {i}");
        }
    }
    let raw = open(&zeroed, no_reconstruct()).expect("zeroed tables, no reconstruct");
    assert_err!(raw.chunk_info(1, 1), Incomplete, "part 1 chunk 1, zeroed");
}

#[test]
fn multipart_header_rules() {
    let build = |edit: &dyn Fn(&mut Vec<Part>)| {
        let mut parts = multipart_parts(1);
        edit(&mut parts);
        assemble(VERSION | MULTIPART, &parts).0
    };
    let no_name = build(&|p| p[1].0 = without(p[1].0.clone(), "name"));
    assert_err!(
        open(&no_name, default_options()),
        Corrupt,
        "part without a name"
    );
    let no_type = build(&|p| p[0].0 = without(p[0].0.clone(), "type"));
    assert_err!(
        open(&no_type, default_options()),
        Corrupt,
        "part without a type"
    );
    let display = build(&|p| {
        p[1].0 = set(
            p[1].0.clone(),
            attr("displayWindow", "box2i", box2i(0, 0, 7, 7)),
        )
    });
    assert_err!(
        open(&display, default_options()),
        Corrupt,
        "display windows differ"
    );
    // A repeated name keeps its first value, as OpenEXR 3.5 does.
    let renamed = build(&|p| p[1].0.push(attr("name", "string", "other")));
    let reader = open(&renamed, default_options()).expect("repeated name, lenient");
    assert_eq!(
        reader.headers()[1].name().map(|n| n.to_string()).as_deref(),
        Some("right"),
        "the first name wins"
    );
    assert_err!(
        open(&renamed, strict_options()),
        Corrupt,
        "repeated name, strict"
    );
    let no_count = build(&|p| p[1].0 = without(p[1].0.clone(), "chunkCount"));
    open(&no_count, default_options()).expect("no chunkCount, lenient");
    assert_err!(
        open(&no_count, strict_options()),
        Corrupt,
        "no chunkCount, strict"
    );
}

#[test]
fn attributes_and_levels_are_found_by_the_reader() {
    let Some(bytes) = sample("MultiResolution", "Bonita.exr") else {
        return;
    };
    let reader = open(&bytes, default_options()).expect("Bonita.exr opens");
    let header = reader.header(0).expect("part 0");
    let at = reader
        .attribute_index(0, b"dataWindow")
        .expect("a dataWindow");
    assert_eq!(header.attributes()[at].name.as_bytes(), b"dataWindow");
    assert_err!(
        reader.attribute_index(0, b"noSuchAttribute"),
        NotFound,
        "a missing attribute"
    );
    let (nx, ny) = header.geometry().level_counts();
    for (lx, ly) in [(0, 0), (nx - 1, ny - 1)] {
        assert_eq!(
            reader.level_size(0, lx, ly).ok(),
            header.geometry().level_size(lx, ly)
        );
    }
    assert_err!(
        reader.level_size(0, nx, 0),
        InvalidArgument,
        "past the levels"
    );
    assert_err!(
        reader.level_size(1, 0, 0),
        InvalidArgument,
        "a missing part"
    );
}
