//! QOI timer: exrkit's codec against the `qoi` crate on the same files, in
//! one process, printed as a markdown table. `benches/run.sh` runs it after
//! the OpenEXR tables.
//!
//! ```text
//! qoi --bench [REPS [DIR]]
//! ```
//!
//! Times decoding and encoding every `.qoi` of DIR (default
//! `../shared/testdata/qoi` beside the repository), REPS turns each
//! (default 5). Each turn times every implementation in a rotating order,
//! each running the operation as many times as fill about 20 ms, and keeps
//! its best time per operation. Decoding goes from the file in memory into
//! a buffer allocated once, in the file's own channels: exrkit's codec
//! through `Decoder::new` and one `decode_rows` over the whole image, the
//! crate through `qoi::decode_to_buf`. Encoding goes from those pixels to a
//! new vector: exrkit's codec through `exrkit::qoi::encode`, the crate
//! through `qoi::encode_to_vec`. Two more columns time what the C API
//! does: exrkit's `Reader` opening the file from memory and decoding it
//! with `decode_image` into an interleaved U8 frame buffer, and a `Writer`
//! with format QOI writing those pixels from U8 slices into memory. Times
//! are the calling thread's CPU time where the platform gives it (so other
//! processes on a busy machine barely move them), wall time otherwise.
//!
//! Without `--bench`, as under `cargo test --all-targets`, it does nothing.

mod support;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Arc;

use exrkit::meta::channel::Channel;
use exrkit::meta::types::{Box2i, PixelType};
use exrkit::meta::value::Value;
use exrkit::pixels::FrameBuffer;
use exrkit::qoi::{self as codec, DecodeOptions, Decoder, Header};
use exrkit::{Format, PartDesc, ReadOptions, Reader, WriteOptions, Writer};
use support::{summary, thread_cpu_seconds};

/// The operations timed.
const OPERATIONS: [&str; 6] = [
    "exrkit decode",
    "qoi decode",
    "exrkit encode",
    "qoi encode",
    "exrkit reader decode",
    "exrkit writer encode",
];

/// Seconds each turn of one operation should fill, roughly.
const TURN_SECONDS: f64 = 0.02;

/// One test image: its file, its header and its pixels in its own channels.
struct Image {
    path: PathBuf,
    file: Arc<[u8]>,
    header: Header,
    pixels: Vec<u8>,
}

impl Image {
    fn load(path: PathBuf) -> exrkit::Result<Self> {
        let file = std::fs::read(&path)?;
        let header = Header::parse(&file)?;
        let (_, pixels) = codec::decode(&file, &DecodeOptions::default(), header.channels())?;
        Ok(Self {
            path,
            file: file.into(),
            header,
            pixels,
        })
    }

    fn row_bytes(&self) -> usize {
        self.header.width() as usize * self.header.channels().count()
    }

    /// The file's channels, red first.
    fn channel_names(&self) -> &'static [&'static str] {
        &["R", "G", "B", "A"][..self.header.channels().count()]
    }

    /// Runs operation `which` once, with `out` as the decode buffer, which
    /// holds the image's pixels before and after.
    fn run(&self, which: usize, out: &mut [u8]) -> Result<(), String> {
        let (w, h) = (self.header.width(), self.header.height());
        match which {
            0 => {
                let mut decoder = Decoder::new(&self.file, &DecodeOptions::default())
                    .map_err(|e| e.to_string())?;
                decoder
                    .decode_rows(out, self.row_bytes(), self.header.channels())
                    .map_err(|e| e.to_string())?;
            }
            1 => {
                qoi::decode_to_buf(&mut *out, &self.file).map_err(|e| e.to_string())?;
            }
            2 => {
                let file = codec::encode(&self.header, &self.pixels).map_err(|e| e.to_string())?;
                black_box(file);
            }
            3 => {
                let file = qoi::encode_to_vec(&self.pixels, w, h).map_err(|e| e.to_string())?;
                black_box(file);
            }
            4 => self.read(out).map_err(|e| e.to_string())?,
            _ => {
                let file = self.write(out).map_err(|e| e.to_string())?;
                black_box(file);
            }
        }
        black_box(out);
        Ok(())
    }
}

impl Image {
    /// The file decoded through exrkit's reader into `out`.
    fn read(&self, out: &mut [u8]) -> exrkit::Result<()> {
        let options = ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        };
        let reader = Reader::from_bytes(Arc::clone(&self.file), options)?;
        let slices: Vec<(&str, f64)> = self.channel_names().iter().map(|&n| (n, 0.0)).collect();
        let mut fb = FrameBuffer::interleaved(self.window(), &slices, out)?;
        reader.decode_image(0, 0, 0, &mut fb)
    }

    /// `pixels` written as a QOI file through exrkit's writer.
    fn write(&self, pixels: &mut [u8]) -> exrkit::Result<Vec<u8>> {
        let options = WriteOptions {
            format: Format::Qoi,
            threads: 1,
            ..WriteOptions::default()
        };
        let mut writer = Writer::to_memory(options);
        let part = writer.add_part(PartDesc::scanline(self.window()))?;
        for name in self.channel_names() {
            let channel = Channel {
                name: (*name).into(),
                pixel_type: PixelType::U8,
                p_linear: false,
                x_sampling: 1,
                y_sampling: 1,
            };
            writer.add_channel(part, channel)?;
        }
        let colorspace = Value::Int(self.header.color_space() as i32);
        writer.set_value(part, "colorspace", &colorspace)?;
        writer.write_header()?;
        let slices: Vec<(&str, f64)> = self.channel_names().iter().map(|&n| (n, 0.0)).collect();
        let fb = FrameBuffer::interleaved(self.window(), &slices, pixels)?;
        writer.write_image(part, 0, 0, &fb)?;
        drop(fb);
        writer.finish()?;
        Ok(writer.bytes().unwrap_or_default().to_vec())
    }

    fn window(&self) -> Box2i {
        Box2i {
            min_x: 0,
            min_y: 0,
            max_x: self.header.width() as i32 - 1,
            max_y: self.header.height() as i32 - 1,
        }
    }
}

/// The time of `f` by this thread's CPU clock, or by the wall clock where
/// the platform has no thread clock.
fn seconds(f: impl FnOnce() -> Result<(), String>) -> Result<f64, String> {
    let (cpu, wall) = (thread_cpu_seconds(), Instant::now());
    f()?;
    match (cpu, thread_cpu_seconds()) {
        (Some(start), Some(end)) => Ok(end - start),
        _ => Ok(wall.elapsed().as_secs_f64()),
    }
}

/// Best seconds per run of each operation on `image` over `reps` turns.
fn time(image: &Image, reps: usize) -> Result<[f64; 6], String> {
    let mut out = image.pixels.clone();
    let mut runs = [1usize; 6];
    for (which, runs) in runs.iter_mut().enumerate() {
        let once = seconds(|| image.run(which, &mut out))?;
        *runs = ((TURN_SECONDS / once.max(1e-6)) as usize).clamp(1, 10_000);
    }
    let mut turns: [Vec<f64>; 6] = Default::default();
    for turn in 0..reps {
        for step in 0..OPERATIONS.len() {
            let which = (turn + step) % OPERATIONS.len();
            let total = seconds(|| (0..runs[which]).try_for_each(|_| image.run(which, &mut out)))
                .map_err(|e| format!("{}: {e}", OPERATIONS[which]))?;
            turns[which].push(total / runs[which] as f64);
        }
    }
    Ok(turns.map(|seconds| summary(seconds).0))
}

fn ratio(mine: f64, theirs: f64) -> String {
    format!("{:.2}x", theirs / mine)
}

/// The table row of `image`, and its best times.
fn row(image: &Image, reps: usize) -> Result<(String, [f64; 6]), String> {
    let best = time(image, reps)?;
    let name = image.path.file_name().unwrap_or_default().to_string_lossy();
    let line = format!(
        "| {name} | {} x {} | {} | {} |",
        image.header.width(),
        image.header.height(),
        image.header.channels().count(),
        cells(image.header.pixel_count() as f64 / 1e6, &best),
    );
    Ok((line, best))
}

/// The speed and ratio cells of `best` seconds for `megapixels`.
fn cells(megapixels: f64, best: &[f64; 6]) -> String {
    let speed = |s: f64| format!("{:.0}", megapixels / s);
    [
        speed(best[0]),
        speed(best[1]),
        ratio(best[0], best[1]),
        speed(best[2]),
        speed(best[3]),
        ratio(best[2], best[3]),
        speed(best[4]),
        ratio(best[4], best[1]),
        speed(best[5]),
        ratio(best[5], best[3]),
    ]
    .join(" | ")
}

/// The version of `name` in Cargo.lock, or `?`.
fn crate_version(name: &str) -> String {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    let lock = std::fs::read_to_string(lock).unwrap_or_default();
    let mut lines = lock.lines();
    let wanted = format!("name = \"{name}\"");
    while let Some(line) = lines.next() {
        if line == wanted {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return version.trim_matches('"').to_string();
            }
        }
    }
    "?".to_string()
}

fn table(dir: &Path, reps: usize) -> Result<String, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "qoi"))
        .collect();
    paths.sort();
    let mut lines = vec![
        "## QOI benchmark".to_string(),
        String::new(),
        format!(
            "exrkit's QOI codec against the qoi crate {}, on one thread: megapixels per second \
             of CPU time, best of {reps} turns; 'vs qoi' = exrkit's speed / the crate's \
             (above 1: exrkit is faster).",
            crate_version("qoi"),
        ),
        String::new(),
        format!("### The QOI test images in {}", dir.display()),
        String::new(),
        "| file | size | channels | exrkit decode MP/s | qoi decode MP/s | decode vs qoi \
         | exrkit encode MP/s | qoi encode MP/s | encode vs qoi | reader decode MP/s \
         | reader vs qoi | writer encode MP/s | writer vs qoi |"
            .to_string(),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            .to_string(),
    ];
    let mut totals = [0f64; 6];
    let mut pixels = 0f64;
    for path in paths {
        eprintln!("timing {}", path.display());
        let image = Image::load(path).map_err(|e| e.to_string())?;
        let (line, best) = row(&image, reps)?;
        lines.push(line);
        let mp = image.header.pixel_count() as f64 / 1e6;
        pixels += mp;
        for (total, s) in totals.iter_mut().zip(best) {
            *total += s;
        }
    }
    lines.push(format!("| all files | | | {} |", cells(pixels, &totals)));
    Ok(lines.join("\n"))
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if !std::env::args().any(|a| a == "--bench") {
        // Built and run as a test by `cargo test --all-targets`.
        return;
    }
    let reps = match args.first().map(|r| r.parse::<usize>()) {
        None => 5,
        Some(Ok(reps)) => reps.max(1),
        Some(Err(_)) => {
            eprintln!("usage: qoi --bench [REPS [DIR]]");
            std::process::exit(2);
        }
    };
    let dir = args.get(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/qoi"),
        PathBuf::from,
    );
    match table(&dir, reps) {
        Ok(table) => println!("{table}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
