//! Every file in Damaged/ opens or fails with a status, and every chunk of
//! the ones that open is located and read, while no step allocates more than
//! the file's size could justify.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use exrkit::{ReadOptions, Reader};

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

/// Opens `bytes` and reads everything; returns whether it opened and the
/// number of chunks read.
fn exercise(bytes: Vec<u8>) -> (bool, usize) {
    let Ok(reader) = Reader::from_bytes(bytes, ReadOptions::default()) else {
        return (false, 0);
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
    (true, read)
}

#[test]
fn damaged_files_fail_cleanly_in_bounded_memory() {
    let Some(dir) = common::openexr_images("Damaged") else {
        return;
    };
    let mut files = 0;
    let mut opened = 0;
    let mut chunks = 0;
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
        let (ok, read) = exercise(bytes);
        let peak = PEAK.load(Ordering::Relaxed) - baseline;
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
    }
    println!(
        "damaged: {files} files, {opened} opened, {chunks} chunks read, worst peak/size {worst:.1}"
    );
    assert!(files >= 90, "only {files} damaged files found");
}
