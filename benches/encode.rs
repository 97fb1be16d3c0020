//! Encode timers for exrkit and exrs, run by `benches/run.sh`, which times
//! OpenEXR (C++ and PyPI) on the same images and prints the tables.
//!
//! ```text
//! encode --bench time exrkit|exrs THREADS REPS SOURCE CODEC OUT
//! ```
//!
//! THREADS is `1` or `all`. Before timing, SOURCE is decoded once with
//! exrkit: every channel of part 0 at its own type into one buffer per
//! channel (and, for exrs, copied into the sample vectors of an exrs image
//! it writes from). Each of REPS timed runs then writes the whole image as
//! a scanline file with compression CODEC (`none`, `rle`, `zips`, `zip`,
//! `piz`, `pxr24`, `b44`, `b44a`, `dwaa`, `dwab`; exrs has no DWA encoder
//! and answers `unsupported`) to the file OUT, takes its size and
//! removes it. exrkit writes through `Writer::create`, `add_part`,
//! `add_channel`, `write_header`, `write_image` and `finish`
//! (`WriteOptions::threads` 1 or 0); exrs through
//! `Image::write().to_file(OUT)` (`non_parallel()` for 1 thread).
//!
//! Prints one tab-separated line: implementation, threads, source, codec,
//! status (`ok`, `unsupported` or `error`), best and median seconds, the least CPU time
//! the calling thread spent on one run, the output's size in bytes and the
//! image's pixels; or, on failure, the error in place of the timings.
//!
//! Without `--bench`, as under `cargo test --all-targets`, it does nothing.

mod support;

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use support::{summary, thread_cpu_seconds};

use exrkit::meta::compression::Compression;
use exrkit::meta::header::Header;
use exrkit::meta::types::PixelType;
use exrkit::pixels::{ChannelBuffers, FrameBuffer};
use exrkit::{PartDesc, ReadOptions, Reader, WriteOptions, Writer};

/// Part 0 of a file decoded into memory: its header and one buffer per
/// channel, each channel's samples row-major at its own type.
struct Decoded {
    header: Header,
    buffers: ChannelBuffers,
}

fn decode(path: &Path) -> exrkit::Result<Decoded> {
    let reader = Reader::open(path, ReadOptions::default())?;
    let header = reader.header(0)?.clone();
    let mut buffers = ChannelBuffers::new(header.channels(), header.data_window())?;
    reader.decode_image(0, 0, 0, &mut buffers.frame_buffer()?)?;
    Ok(Decoded { header, buffers })
}

/// The compression named `name`, among those the benchmark writes.
fn compression(name: &str) -> Option<Compression> {
    Some(match name {
        "none" => Compression::None,
        "rle" => Compression::Rle,
        "zips" => Compression::Zips,
        "zip" => Compression::Zip,
        "piz" => Compression::Piz,
        "pxr24" => Compression::Pxr24,
        "b44" => Compression::B44,
        "b44a" => Compression::B44a,
        "dwaa" => Compression::Dwaa,
        "dwab" => Compression::Dwab,
        "zstd" => Compression::Zstd,
        "htj2k256" => Compression::Htj2k256,
        "htj2k32" => Compression::Htj2k32,
        _ => return None,
    })
}

/// Writes `image` to `out` with exrkit.
fn exrkit_encode(
    header: &Header,
    fb: &FrameBuffer<'_>,
    compression: Compression,
    threads: u32,
    out: &Path,
) -> exrkit::Result<()> {
    let options = WriteOptions {
        threads,
        ..WriteOptions::default()
    };
    let mut writer = Writer::create(out, options)?;
    let part = writer.add_part(PartDesc {
        compression,
        display_window: header.display_window(),
        ..PartDesc::scanline(header.data_window())
    })?;
    for channel in header.channels() {
        writer.add_channel(part, channel.clone())?;
    }
    writer.write_header()?;
    writer.write_image(part, 0, 0, fb)?;
    writer.finish()
}

/// A single-layer exrs image of any channels.
type ExrsImage =
    exr::prelude::Image<exr::prelude::Layer<exr::prelude::AnyChannels<exr::prelude::FlatSamples>>>;

/// `image` as an exrs image with compression `codec`, its samples copied.
fn exrs_image(image: &Decoded, codec: &str) -> Result<ExrsImage, String> {
    use exr::prelude::*;
    let compression = match codec {
        "none" => Compression::Uncompressed,
        "rle" => Compression::RLE,
        "zips" => Compression::ZIP1,
        "zip" => Compression::ZIP16,
        "piz" => Compression::PIZ,
        "pxr24" => Compression::PXR24,
        "b44" => Compression::B44,
        "b44a" => Compression::B44A,
        _ => return Err(format!("unknown codec {codec}")),
    };
    let window = image.header.data_window();
    let size = (
        (i64::from(window.max_x) - i64::from(window.min_x) + 1) as usize,
        (i64::from(window.max_y) - i64::from(window.min_y) + 1) as usize,
    );
    let mut list = SmallVec::new();
    for (channel, buffer) in image.header.channels().iter().zip(&image.buffers.buffers) {
        if (channel.x_sampling, channel.y_sampling) != (1, 1) {
            return Err("the exrs timer needs channels sampled at every pixel".into());
        }
        let samples = match channel.pixel_type {
            PixelType::Half => FlatSamples::F16(
                buffer
                    .chunks_exact(2)
                    .map(|b| f16::from_bits(u16::from_ne_bytes([b[0], b[1]])))
                    .collect(),
            ),
            PixelType::Float => FlatSamples::F32(
                buffer
                    .chunks_exact(4)
                    .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ),
            PixelType::Uint => FlatSamples::U32(
                buffer
                    .chunks_exact(4)
                    .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ),
            PixelType::U8 => return Err("exrs has no 8-bit channels".into()),
        };
        let name = String::from_utf8_lossy(channel.name.as_bytes()).into_owned();
        list.push(AnyChannel::new(name.as_str(), samples));
    }
    let encoding = Encoding {
        compression,
        blocks: Blocks::ScanLines,
        line_order: LineOrder::Increasing,
    };
    let layer = Layer::new(
        size,
        LayerAttributes::default(),
        encoding,
        AnyChannels::sort(list),
    );
    Ok(Image::from_layer(layer))
}

/// Writes `image` to `out` with exrs.
fn exrs_encode(image: &ExrsImage, parallel: bool, out: &Path) -> Result<(), String> {
    use exr::prelude::*;
    let writer = image.write();
    let writer = if parallel {
        writer
    } else {
        writer.non_parallel()
    };
    writer.to_file(out).map_err(|e| e.to_string())
}

/// The `time` command: returns the line to print.
fn time(
    implementation: &str,
    threads: &str,
    reps: usize,
    source: &Path,
    codec: &str,
    out: &Path,
) -> String {
    let prefix = format!("{implementation}\t{threads}\t{}\t{codec}", source.display());
    let fail = |message: String| {
        let message = message.replace(['\t', '\n'], " ");
        format!("{prefix}\terror\t{message}")
    };
    let Some(compression) = compression(codec) else {
        return fail(format!("unknown codec {codec}"));
    };
    if implementation == "exrs" && matches!(compression, Compression::Dwaa | Compression::Dwab) {
        return format!("{prefix}\tunsupported\texrs has no DWA encoder");
    }
    if implementation == "exrs" && compression == Compression::Zstd {
        return format!("{prefix}\tunsupported\texrs has no ZSTD encoder");
    }
    let mut image = match decode(source) {
        Ok(image) => image,
        Err(e) => return fail(format!("decoding the source: {e}")),
    };
    let pixels = image.header.data_window().area();
    let exrs = if implementation == "exrs" {
        match exrs_image(&image, codec) {
            Ok(converted) => {
                // exrs writes from its own copy; free exrkit's.
                image.buffers.buffers = Vec::new();
                Some(converted)
            }
            Err(e) => return fail(e),
        }
    } else {
        None
    };
    let one = threads == "1";
    if implementation == "exrkit" && !one {
        // Start the global pool's threads before timing, as OpenEXR's
        // timers do with theirs; exrs builds its pool inside each write.
        rayon::broadcast(|_| ());
    }
    let header = image.header.clone();
    let fb = match image.buffers.frame_buffer() {
        Ok(fb) => fb,
        Err(e) => return fail(e.to_string()),
    };
    let mut seconds = Vec::with_capacity(reps);
    let mut cpu: Option<f64> = None;
    let mut size = 0;
    for _ in 0..reps {
        let cpu_start = thread_cpu_seconds();
        let start = Instant::now();
        let outcome = match &exrs {
            Some(converted) => exrs_encode(converted, !one, out),
            None => exrkit_encode(&header, &fb, compression, if one { 1 } else { 0 }, out)
                .map_err(|e| e.to_string()),
        };
        let elapsed = start.elapsed().as_secs_f64();
        let cpu_end = thread_cpu_seconds();
        if let Err(message) = outcome {
            let _ = std::fs::remove_file(out);
            return fail(message);
        }
        size = match std::fs::metadata(out) {
            Ok(m) => m.len(),
            Err(e) => return fail(format!("{}: {e}", out.display())),
        };
        let _ = std::fs::remove_file(out);
        seconds.push(elapsed);
        if let (Some(a), Some(b)) = (cpu_start, cpu_end) {
            cpu = Some(cpu.map_or(b - a, |c| c.min(b - a)));
        }
    }
    black_box(&fb);
    let (best, median) = summary(seconds);
    let cpu = cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.6}"));
    format!("{prefix}\tok\t{best:.6}\t{median:.6}\t{cpu}\t{size}\t{pixels}")
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
            eprintln!("Run `bash benches/run.sh` for the encode benchmark.");
            return;
        }
        ["time", implementation @ ("exrkit" | "exrs"), threads @ ("1" | "all"), reps, source, codec, out] =>
        {
            let Ok(reps) = reps.parse::<usize>() else {
                eprintln!("REPS must be a number, not {reps}");
                std::process::exit(2);
            };
            time(
                implementation,
                threads,
                reps.max(1),
                Path::new(source),
                codec,
                Path::new(out),
            )
        }
        _ => {
            eprintln!(
                "usage: encode --bench time exrkit|exrs 1|all REPS SOURCE CODEC OUT\n\
                 Run `bash benches/run.sh` for the whole benchmark."
            );
            std::process::exit(2);
        }
    };
    println!("{line}");
}
