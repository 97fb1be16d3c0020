//! Decode timers for exrkit and exrs, run by `benches/run.sh`, which times
//! OpenEXR (C++ and PyPI) on the same files and prints the tables.
//!
//! ```text
//! decode --bench time exrkit|exrs THREADS REPS FILE
//! decode --bench peak THREADS FILE
//! decode --bench deep THREADS REPS FILE
//! decode --bench zstd-floor THREADS REPS FILE
//! ```
//!
//! THREADS is `1` or `all`. `time` opens FILE and decodes every channel of
//! part 0 (level 0) REPS times, then prints one tab-separated line:
//! implementation, threads, file, status (`ok`, `unsupported`, `error`),
//! best and median seconds and the least CPU time the calling thread spent
//! on one run (or the error and two `-`), then part 0's compression, pixels
//! and uncompressed bytes. exrkit decodes at the file's own types into buffers
//! allocated and touched once before timing (`ReadOptions::threads` 1 or
//! 0); exrs reads all channels of its first layer into images it allocates
//! (`non_parallel()` for 1 thread).
//!
//! `peak` decodes FILE once with exrkit and prints `peak`, threads, file,
//! `ok`, the caller's buffer bytes, the process's peak resident bytes before
//! decoding (buffers allocated and touched) and after, and its resident
//! bytes before allocating the buffers. Run it in a fresh process.
//!
//! `deep` opens FILE and decodes deep part 0 (level 0) with exrkit REPS
//! times, then prints `exrkit`, threads, file, `ok`, best and median
//! seconds, the least CPU time of the calling thread, the number of samples,
//! the bytes they take (every channel at its own type) and the growth of
//! the process's peak resident bytes over the decode. Run it in a fresh
//! process.
//!
//! `zstd-floor` reads the zstd frames of FILE's part 0 (a ZSTD file),
//! untimed, then times libzstd alone on them REPS times: unpacking every
//! frame, and packing every unpacked stream again at OpenEXR's level 5
//! (what exrkit's ZSTD encode of the same pixels hands libzstd), on one
//! thread or spread over the global pool. It prints `libzstd`, threads,
//! file, `ok`, the best seconds of unpacking and of packing, and the
//! number of frames: the floor under exrkit's ZSTD decode and encode.
//!
//! Without `--bench`, as under `cargo test --all-targets`, it does nothing.

mod support;

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use support::{summary, thread_cpu_seconds};

use exrkit::pixels::ChannelBuffers;
use exrkit::{ReadOptions, Reader};

/// Opens `path` and decodes part 0 into `buffers`.
fn exrkit_decode(path: &Path, threads: u32, buffers: &mut ChannelBuffers) -> exrkit::Result<()> {
    let options = ReadOptions {
        threads,
        ..ReadOptions::default()
    };
    let reader = Reader::open(path, options)?;
    reader.decode_image(0, 0, 0, &mut buffers.frame_buffer()?)
}

/// Opens `path` and reads all channels of its first layer with exrs.
fn exrs_decode(path: &Path, parallel: bool) -> exr::error::Result<()> {
    use exr::prelude::*;
    let reader = read()
        .no_deep_data()
        .largest_resolution_level()
        .all_channels()
        .first_valid_layer()
        .all_attributes();
    let reader = if parallel {
        reader
    } else {
        reader.non_parallel()
    };
    let image = reader.from_file(path)?;
    black_box(&image);
    Ok(())
}

/// The `time` command: returns the line to print.
fn time(implementation: &str, threads: &str, reps: usize, path: &Path) -> String {
    let name = path.display();
    let prefix = format!("{implementation}\t{threads}\t{name}");
    let reader = match Reader::open(path, ReadOptions::default()) {
        Ok(reader) => reader,
        Err(e) => return format!("{prefix}\terror\t{e}"),
    };
    let Ok(header) = reader.header(0) else {
        return format!("{prefix}\terror\tno part 0");
    };
    let mut buffers = match ChannelBuffers::new(header.channels(), header.data_window()) {
        Ok(buffers) => buffers,
        Err(e) => return format!("{prefix}\terror\t{e}"),
    };
    let info = format!(
        "{}\t{}\t{}",
        header.compression().name(),
        header.data_window().area(),
        buffers.bytes()
    );
    let one = threads == "1";
    if implementation == "exrkit" && !one {
        // Start the global pool's threads before timing, as OpenEXR's
        // timers do with theirs; exrs builds its pool inside each read.
        rayon::broadcast(|_| ());
    }
    let mut seconds = Vec::with_capacity(reps);
    let mut cpu: Option<f64> = None;
    for _ in 0..reps {
        let cpu_start = thread_cpu_seconds();
        let start = Instant::now();
        let outcome = match implementation {
            "exrkit" => exrkit_decode(path, if one { 1 } else { 0 }, &mut buffers).map_err(|e| {
                let status = if matches!(e, exrkit::Error::Unsupported(_)) {
                    "unsupported"
                } else {
                    "error"
                };
                (status, e.to_string())
            }),
            _ => exrs_decode(path, !one).map_err(|e| ("error", e.to_string())),
        };
        let elapsed = start.elapsed().as_secs_f64();
        if let Err((status, message)) = outcome {
            let message = message.replace(['\t', '\n'], " ");
            return format!("{prefix}\t{status}\t{message}\t-\t-\t{info}");
        }
        seconds.push(elapsed);
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_seconds()) {
            cpu = Some(cpu.map_or(b - a, |c| c.min(b - a)));
        }
    }
    black_box(&buffers.buffers);
    let (best, median) = summary(seconds);
    let cpu = cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.6}"));
    format!("{prefix}\tok\t{best:.6}\t{median:.6}\t{cpu}\t{info}")
}

/// The `zstd-floor` command: returns the line to print.
fn zstd_floor(threads: &str, reps: usize, path: &Path) -> String {
    use rayon::prelude::*;
    let prefix = format!("libzstd\t{threads}\t{}", path.display());
    let frames = match zstd_frames(path) {
        Ok(frames) => frames,
        Err(e) => return format!("{prefix}\terror\t{e}"),
    };
    // One context per thread, kept from frame to frame, as exrkit keeps its.
    let unpack = |context: &mut zstd_safe::DCtx<'static>, frame: &(Vec<u8>, usize)| {
        let mut out = vec![0u8; frame.1];
        let n = context.decompress(&mut out[..], &frame.0).unwrap_or(0);
        out.truncate(n);
        out
    };
    let unpacked: Vec<Vec<u8>> = {
        let mut context = zstd_safe::DCtx::create();
        frames.iter().map(|f| unpack(&mut context, f)).collect()
    };
    let pack = |context: &mut zstd_safe::CCtx<'static>, inner: &Vec<u8>| {
        let mut out = Vec::with_capacity(zstd_safe::compress_bound(inner.len()));
        context.compress(&mut out, inner, 5).unwrap_or(0)
    };
    let one = threads == "1";
    if !one {
        rayon::broadcast(|_| ());
    }
    let (mut unpacking, mut packing) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let start = Instant::now();
        if one {
            let mut context = zstd_safe::DCtx::create();
            black_box(frames.iter().map(|f| unpack(&mut context, f)).count());
        } else {
            black_box(
                frames
                    .par_iter()
                    .map_init(zstd_safe::DCtx::create, unpack)
                    .count(),
            );
        }
        unpacking.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        if one {
            let mut context = zstd_safe::CCtx::create();
            black_box(
                unpacked
                    .iter()
                    .map(|i| pack(&mut context, i))
                    .sum::<usize>(),
            );
        } else {
            black_box(
                unpacked
                    .par_iter()
                    .map_init(zstd_safe::CCtx::create, pack)
                    .sum::<usize>(),
            );
        }
        packing.push(start.elapsed().as_secs_f64());
    }
    let (unpack_best, _) = summary(unpacking);
    let (pack_best, _) = summary(packing);
    format!(
        "{prefix}\tok\t{unpack_best:.6}\t{pack_best:.6}\t{}",
        frames.len()
    )
}

/// Every zstd frame of `path`'s part 0, with the size it unpacks to (the
/// chunk's prefix, 24 bytes, is left out; chunks stored raw have none).
fn zstd_frames(path: &Path) -> exrkit::Result<Vec<(Vec<u8>, usize)>> {
    let reader = Reader::open(path, ReadOptions::default())?;
    let header = reader.header(0)?;
    let mut frames = Vec::new();
    for index in 0..header.geometry().chunk_count() {
        let info = reader.chunk_info(0, index)?;
        let mut packed = vec![0u8; info.payload_size() as usize];
        reader.read_located_chunk(0, &info, &mut packed)?;
        if packed.starts_with(b"zstd-exr") {
            let frame = packed.split_off(24);
            let size = zstd_safe::get_frame_content_size(&frame)
                .ok()
                .flatten()
                .unwrap_or(0) as usize;
            frames.push((frame, size));
        }
    }
    Ok(frames)
}

/// The `deep` command: returns the line to print.
fn deep(threads: &str, reps: usize, path: &Path) -> String {
    let prefix = format!("exrkit\t{threads}\t{}", path.display());
    let one = threads == "1";
    if !one {
        rayon::broadcast(|_| ());
    }
    let (before, _) = memory().unwrap_or_default();
    let mut seconds = Vec::with_capacity(reps);
    let mut cpu: Option<f64> = None;
    let mut samples = (0u64, 0u64);
    for _ in 0..reps {
        let cpu_start = thread_cpu_seconds();
        let start = Instant::now();
        let options = ReadOptions {
            threads: if one { 1 } else { 0 },
            ..ReadOptions::default()
        };
        let image = match Reader::open(path, options).and_then(|r| r.decode_deep_image(0, 0, 0)) {
            Ok(image) => image,
            Err(e) => return format!("{prefix}\terror\t{e}"),
        };
        seconds.push(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_seconds()) {
            cpu = Some(cpu.map_or(b - a, |c| c.min(b - a)));
        }
        let bytes = image
            .channels()
            .iter()
            .map(|c| c.samples().len() as u64 * c.samples().pixel_type().size() as u64)
            .sum::<u64>()
            + 8 * image.offsets().len() as u64;
        samples = (image.sample_count(), bytes);
        black_box(&image);
    }
    let (after, _) = memory().unwrap_or_default();
    let (best, median) = summary(seconds);
    let cpu = cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.6}"));
    format!(
        "{prefix}\tok\t{best:.6}\t{median:.6}\t{cpu}\t{}\t{}\t{}",
        samples.0,
        samples.1,
        after.saturating_sub(before)
    )
}

/// `VmHWM` and `VmRSS` of this process, in bytes.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let kib: u64 = line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// The `peak` command: returns the line to print.
fn peak(threads: &str, path: &Path) -> String {
    let prefix = format!("peak\t{threads}\t{}", path.display());
    let Some((_, baseline)) = memory() else {
        return format!("{prefix}\terror\t/proc/self/status is unreadable");
    };
    let header = match Reader::open(path, ReadOptions::default()) {
        Ok(reader) => reader.header(0).cloned(),
        Err(e) => Err(e),
    };
    let header = match header {
        Ok(header) => header,
        Err(e) => return format!("{prefix}\terror\t{e}"),
    };
    let mut buffers = match ChannelBuffers::new(header.channels(), header.data_window()) {
        Ok(buffers) => buffers,
        Err(e) => return format!("{prefix}\terror\t{e}"),
    };
    let (before, _) = memory().unwrap_or_default();
    let outcome = exrkit_decode(path, if threads == "1" { 1 } else { 0 }, &mut buffers);
    let (after, _) = memory().unwrap_or_default();
    black_box(&buffers.buffers);
    match outcome {
        Ok(()) => format!(
            "{prefix}\tok\t{}\t{before}\t{after}\t{baseline}",
            buffers.bytes()
        ),
        Err(exrkit::Error::Unsupported(_)) => format!("{prefix}\tunsupported"),
        Err(e) => format!("{prefix}\terror\t{e}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        // Built and run as a test by `cargo test --all-targets`.
        return;
    }
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    let line = match args[..] {
        [] => {
            eprintln!("Run `bash benches/run.sh` for the decode benchmark.");
            return;
        }
        ["time", implementation @ ("exrkit" | "exrs"), threads @ ("1" | "all"), reps, file] => {
            let Ok(reps) = reps.parse::<usize>() else {
                eprintln!("REPS must be a number, not {reps}");
                std::process::exit(2);
            };
            time(implementation, threads, reps.max(1), Path::new(file))
        }
        ["peak", threads @ ("1" | "all"), file] => peak(threads, Path::new(file)),
        ["zstd-floor", threads @ ("1" | "all"), reps, file] => {
            let Ok(reps) = reps.parse::<usize>() else {
                eprintln!("REPS must be a number, not {reps}");
                std::process::exit(2);
            };
            zstd_floor(threads, reps.max(1), Path::new(file))
        }
        ["deep", threads @ ("1" | "all"), reps, file] => {
            let Ok(reps) = reps.parse::<usize>() else {
                eprintln!("REPS must be a number, not {reps}");
                std::process::exit(2);
            };
            deep(threads, reps.max(1), Path::new(file))
        }
        _ => {
            eprintln!(
                "usage: decode --bench time exrkit|exrs 1|all REPS FILE\n       \
                 decode --bench peak 1|all FILE\n       \
                 decode --bench deep 1|all REPS FILE\n       \
                 decode --bench zstd-floor 1|all REPS FILE\n\
                 Run `bash benches/run.sh` for the whole benchmark."
            );
            std::process::exit(2);
        }
    };
    println!("{line}");
}
