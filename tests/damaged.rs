//! Every file in Damaged/ opens or fails with a status, and every chunk of
//! the ones that open is located and read, while no step allocates more than
//! the file's size could justify.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use exrkit::meta::types::Box2i;
use exrkit::pixels::FrameBuffer;
use exrkit::{ReadOptions, Reader};

/// Side of the largest window decoded per part, to keep the frame buffer
/// small whatever size a damaged header claims.
const WINDOW: i32 = 256;

/// Fixed tables a thread's codecs keep (PIZ's value table and Huffman
/// lookup, deflate state).
const CODEC_TABLES: usize = 1 << 20;

/// What decoding `part` may keep per thread: about two chunks (packed and
/// unpacked) plus the codecs' tables, for each of the global pool's threads
/// and the calling thread.
fn scratch_allowance(reader: &Reader, part: usize) -> usize {
    let header = &reader.headers()[part];
    let file_len = reader.source_len() as usize;
    let geometry = header.geometry();
    let largest = (0..geometry.chunk_count().min(4096))
        .filter_map(|i| geometry.chunk_region(i))
        .map(|region| exrkit::chunk::flat_unpacked_size(header, &region) as usize)
        .max()
        .unwrap_or(0)
        .min(exrkit::codec::max_unpacked_size(
            header.compression(),
            file_len,
        ));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) + 1;
    threads * (2 * largest + file_len + CODEC_TABLES)
}

/// Decodes up to a `WINDOW`-square corner of every flat part with every
/// decode function; returns how many calls succeeded and the largest
/// frame buffer it allocated, in bytes.
fn decode_all(reader: &Reader) -> (usize, usize) {
    let mut ok = 0;
    let mut largest = 0;
    for (part, header) in reader.headers().iter().enumerate() {
        if header.storage().is_deep() {
            continue;
        }
        let dw = header.data_window();
        let window = Box2i {
            max_x: dw.max_x.min(dw.min_x.saturating_add(WINDOW - 1)),
            max_y: dw.max_y.min(dw.min_y.saturating_add(WINDOW - 1)),
            ..dw
        };
        let pixels = window.area() as usize;
        let names: Vec<String> = header
            .channels()
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        largest = largest
            .max(pixels * 4 * (names.len() + 1) + pixels * 16 + scratch_allowance(reader, part));
        let mut planes = vec![vec![0f32; pixels]; names.len() + 1];
        let Ok(mut fb) = FrameBuffer::new(window) else {
            continue;
        };
        let (missing, present) = planes.split_first_mut().expect("one plane at least");
        for (name, plane) in names.iter().zip(present.iter_mut()) {
            if fb.add(name, plane, 0.5).is_err() {
                continue;
            }
        }
        fb.add("not in the file", missing, 0.25)
            .expect("plain slice");
        ok += usize::from(reader.decode_image(part, 0, 0, &mut fb).is_ok());
        for chunk in 0..header.geometry().chunk_count().min(4096) {
            ok += usize::from(reader.decode_block(part, chunk, &mut fb).is_ok());
        }
        drop(fb);
        let mut rgba = vec![0f32; pixels * 4];
        ok += usize::from(reader.decode_rgba(part, window, &mut rgba).is_ok());
    }
    (ok, largest)
}

/// Counts live heap bytes and the peak since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: ptr came from System.alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Opens `bytes` and reads and decodes everything; returns whether it
/// opened, the number of chunks read and the number of decode calls that
/// succeeded.
fn exercise(bytes: Vec<u8>) -> (bool, usize, (usize, usize)) {
    let Ok(reader) = Reader::from_bytes(bytes, ReadOptions::default()) else {
        return (false, 0, (0, 0));
    };
    let mut read = 0;
    let mut buf = Vec::new();
    for (part, header) in reader.headers().iter().enumerate() {
        for index in 0..header.geometry().chunk_count() {
            if let Ok(info) = reader.chunk_info(part, index) {
                buf.resize(info.payload_size() as usize, 0);
                if reader.read_chunk(part, index, &mut buf).is_ok() {
                    read += 1;
                }
            }
        }
    }
    (true, read, decode_all(&reader))
}

#[test]
fn damaged_files_fail_cleanly_in_bounded_memory() {
    let Some(dir) = common::openexr_images("Damaged") else {
        return;
    };
    let mut files = 0;
    let mut opened = 0;
    let mut chunks = 0;
    let mut decodes = 0;
    let mut worst = 0.0f64;
    for entry in std::fs::read_dir(&dir).expect("readable Damaged directory") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "rst") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("readable file");
        let len = bytes.len();
        files += 1;
        let baseline = LIVE.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        let (ok, read, (decoded, frame)) = exercise(bytes);
        let peak = (PEAK.load(Ordering::Relaxed) - baseline).saturating_sub(frame);
        // The file's own bytes, one copy of each chunk at most, the parsed
        // header (bounded by the file) and a fixed allowance for tables and
        // small structures.
        let allowed = 4 * len + (256 << 10);
        assert!(
            peak <= allowed,
            "{}: peak allocation {peak} bytes for a {len}-byte file (allowed {allowed})",
            path.display()
        );
        worst = worst.max(peak as f64 / len.max(1) as f64);
        opened += usize::from(ok);
        chunks += read;
        decodes += decoded;
    }
    println!(
        "damaged: {files} files, {opened} opened, {chunks} chunks read, {decodes} decodes succeeded, worst peak/size {worst:.1}"
    );
    assert!(files >= 90, "only {files} damaged files found");
}
