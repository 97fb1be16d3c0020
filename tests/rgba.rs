//! `Reader::decode_rgba` against OpenEXR's `Imf::RgbaInputFile`: every
//! luminance/chroma file must convert to the same half bits (as floats),
//! RGB(A) and luminance-only files to the same values once rounded to half,
//! and any window to exactly the matching pixels of the whole image.
//!
//! The reference is `tests/support/rgba_dump.cpp`, built here against the
//! system's OpenEXR. It also writes the generated test files and ZIP copies
//! of the PIZ and B44 sample images. Without a C++ compiler or OpenEXR the
//! tests skip with a message, except in CI where they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use exrkit::meta::types::Box2i;
use exrkit::pixels::Sample;
use exrkit::{Error, ReadOptions, Reader};
use half::f16;

/// The reference tool (`tests/support/rgba_dump.cpp` built against
/// OpenEXR), or `None` where it cannot be built outside CI.
fn tool() -> Option<PathBuf> {
    common::openexr_program("rgba_dump")
}

/// Runs the tool; `Err` holds its message when it exits with status 3
/// (OpenEXR refuses the file). Any other failure panics.
fn run(tool: &Path, args: &[&std::ffi::OsStr]) -> Result<(), String> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .expect("run rgba_dump");
    match out.status.code() {
        Some(0) => Ok(()),
        Some(3) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        _ => panic!(
            "rgba_dump {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// RgbaInputFile's half RGBA of `file` over its data window, or OpenEXR's
/// reason for refusing it.
fn reference(tool: &Path, file: &Path, scratch: &Path) -> Result<Vec<u16>, String> {
    let name = file.file_name().expect("file name").to_string_lossy();
    let out = scratch.join(format!("{name}.rgba"));
    run(tool, &["dump".as_ref(), file.as_os_str(), out.as_os_str()])?;
    let bytes = std::fs::read(&out).expect("read dump");
    Ok(bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect())
}

/// Generated files: luminance/chroma in many layouts, plus luminance-only
/// and RGB(A) files. Written once per test run.
fn generated(tool: &Path) -> Vec<PathBuf> {
    static FILES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    FILES
        .get_or_init(|| {
            let dir = common::scratch_dir("rgba_generated");
            run(tool, &["synth".as_ref(), dir.as_os_str()]).expect("synth");
            common::files_in(&dir, Some("exr"))
        })
        .clone()
}

/// The sample images with luminance/chroma and chromaticities.
fn samples() -> Option<Vec<PathBuf>> {
    let mut files = Vec::new();
    for sub in ["LuminanceChroma", "Chromaticities"] {
        let dir = common::openexr_images(sub)?;
        for entry in std::fs::read_dir(dir).expect("list") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "exr") {
                files.push(path);
            }
        }
    }
    files.sort();
    Some(files)
}

/// ZIP copies of the sample images (which are PIZ, B44 or tiled), with
/// the same channels, samples and attributes, paired with the originals.
/// Written once per test run.
fn zipped_samples(tool: &Path) -> Option<Vec<(PathBuf, PathBuf)>> {
    static FILES: OnceLock<Vec<(PathBuf, PathBuf)>> = OnceLock::new();
    let files = samples()?;
    Some(
        FILES
            .get_or_init(|| {
                let scratch = common::scratch_dir("rgba_samples_zip");
                files
                    .iter()
                    .map(|file| {
                        let name = file.file_name().expect("file name").to_string_lossy();
                        let out = scratch.join(format!("zip_{name}"));
                        run(tool, &["zip".as_ref(), file.as_os_str(), out.as_os_str()])
                            .expect("zip");
                        (file.clone(), out)
                    })
                    .collect()
            })
            .clone(),
    )
}

fn is_luminance_chroma(reader: &Reader) -> bool {
    reader.headers()[0]
        .channels()
        .iter()
        .any(|c| c.name.as_bytes() == b"RY" || c.name.as_bytes() == b"BY")
}

fn decode(reader: &Reader, window: Box2i) -> exrkit::Result<Vec<f32>> {
    let mut rgba = vec![f32::from_bits(0x7fa5_a5a5); window.area() as usize * 4];
    reader.decode_rgba(0, window, &mut rgba)?;
    Ok(rgba)
}

/// What one comparison found.
#[derive(Default)]
struct Tally {
    files: usize,
    values: usize,
    mismatches: usize,
    max_difference: f32,
    failures: Vec<String>,
}

impl Tally {
    /// Compares exrkit's floats with OpenEXR's halves. `exact`: exrkit's
    /// float must be the half's value to the bit (luminance/chroma). Else
    /// exrkit's float rounded to half as OpenEXR rounds file samples must
    /// give the same half (NaNs match NaNs).
    fn compare(&mut self, what: &str, ours: &[f32], theirs: &[u16], exact: bool) {
        self.files += 1;
        if ours.len() != theirs.len() {
            self.failures.push(format!(
                "{what}: {} values against OpenEXR's {}",
                ours.len(),
                theirs.len()
            ));
            return;
        }
        let mut bad = 0;
        for (i, (&o, &t)) in ours.iter().zip(theirs).enumerate() {
            let half = f16::from_bits(t);
            let same = if exact {
                o.to_bits() == half.to_f32().to_bits()
            } else {
                let rounded = <f16 as Sample>::from_float(o);
                rounded.to_bits() == t || (rounded.is_nan() && half.is_nan())
            };
            self.values += 1;
            if !same {
                bad += 1;
                let d = (o - half.to_f32()).abs();
                if d.is_finite() {
                    self.max_difference = self.max_difference.max(d);
                }
                if bad <= 3 {
                    self.failures.push(format!(
                        "{what}: value {i} (pixel {}, {}): exrkit {o:e} ({:#010x}), OpenEXR {:e} ({t:#06x})",
                        i / 4,
                        ["R", "G", "B", "A"][i % 4],
                        o.to_bits(),
                        half.to_f32()
                    ));
                }
            }
        }
        self.mismatches += bad;
    }

    fn finish(self, what: &str) {
        println!(
            "{what}: {} decodes, {} values compared, {} differ (largest difference {})",
            self.files, self.values, self.mismatches, self.max_difference
        );
        assert!(
            self.failures.is_empty(),
            "{what}:\n{}",
            self.failures.join("\n")
        );
    }
}

/// Compares the whole-image RGBA of every file with RgbaInputFile's, with
/// one reader on the calling thread and one on three threads (so bands
/// differ). Files OpenEXR refuses must fail in exrkit too.
fn compare_files(tool: &Path, files: &[PathBuf], scratch: &Path, tally: &mut Tally) {
    for file in files {
        let what = file.display().to_string();
        let expected = reference(tool, file, scratch);
        for threads in [1, 3] {
            let options = ReadOptions {
                threads,
                ..ReadOptions::default()
            };
            let reader = match Reader::open(file, options) {
                Ok(r) => r,
                Err(e) => {
                    tally
                        .failures
                        .push(format!("{what}: exrkit cannot open it: {e}"));
                    break;
                }
            };
            let window = reader.headers()[0].data_window();
            let ours = decode(&reader, window);
            match (&expected, ours) {
                (Ok(theirs), Ok(ours)) => {
                    let exact = is_luminance_chroma(&reader);
                    tally.compare(&format!("{what} ({threads} threads)"), &ours, theirs, exact);
                }
                (Err(_), Err(Error::Unsupported(_))) => tally.files += 1,
                (Err(why), Ok(_)) => tally.failures.push(format!(
                    "{what}: OpenEXR refuses it ({why}); exrkit decodes it"
                )),
                (Err(why), Err(e)) => tally.failures.push(format!(
                    "{what}: OpenEXR refuses it ({why}); exrkit fails with {e}, not as unsupported"
                )),
                (Ok(_), Err(e)) => tally.failures.push(format!("{what}: exrkit fails: {e}")),
            }
        }
    }
}

#[test]
fn generated_files_match_rgba_input_file() {
    let Some(tool) = tool() else { return };
    let files = generated(&tool);
    assert!(files.len() >= 25, "only {} generated files", files.len());
    let mut tally = Tally::default();
    compare_files(
        &tool,
        &files,
        &common::scratch_dir("rgba_generated_ref"),
        &mut tally,
    );
    tally.finish("generated files");
}

/// The PIZ and B44 sample images through ZIP copies, which exrkit decodes
/// whichever codecs it has.
#[test]
fn sample_images_as_zip_match_rgba_input_file() {
    let Some(tool) = tool() else { return };
    let Some(pairs) = zipped_samples(&tool) else {
        return;
    };
    let scratch = common::scratch_dir("rgba_samples_zip_ref");
    for (file, copy) in &pairs {
        assert_eq!(
            reference(&tool, file, &scratch),
            reference(&tool, copy, &scratch),
            "the ZIP copy of {} converts differently in OpenEXR",
            file.display()
        );
    }
    let copies: Vec<PathBuf> = pairs.into_iter().map(|(_, copy)| copy).collect();
    let mut tally = Tally::default();
    compare_files(&tool, &copies, &scratch, &mut tally);
    tally.finish("sample images (ZIP copies)");
}

/// The sample images as they are; needs exrkit's PIZ and B44 decoders.
#[test]
fn sample_images_match_rgba_input_file() {
    let Some(tool) = tool() else { return };
    let Some(files) = samples() else { return };
    let mut tally = Tally::default();
    compare_files(
        &tool,
        &files,
        &common::scratch_dir("rgba_samples"),
        &mut tally,
    );
    tally.finish("sample images");
}

/// A small deterministic generator for window corners.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as i64
    }
}

/// Windows to try on data window `d`: whole, inside, single rows, columns
/// and pixels at the edges and inside, corners, larger than the data
/// window, outside it, and random ones. Unless `all`, only the small ones
/// (for large images in debug builds).
fn windows(d: Box2i, seed: u64, all: bool) -> Vec<Box2i> {
    let b = |min_x: i32, min_y: i32, max_x: i32, max_y: i32| Box2i {
        min_x,
        min_y,
        max_x,
        max_y,
    };
    let (mx, my) = (
        d.min_x + (d.max_x - d.min_x) / 2,
        d.min_y + (d.max_y - d.min_y) / 2,
    );
    let mut out = vec![
        d,
        b(d.min_x + 5, d.min_y + 3, d.max_x - 7, d.max_y - 4),
        b(d.min_x, my, d.max_x, my),
        b(d.min_x, my + 1, d.max_x, my + 1),
        b(mx, d.min_y, mx, d.max_y),
        b(mx + 1, d.min_y, mx + 1, d.max_y),
        b(d.min_x, d.min_y, d.min_x, d.min_y),
        b(d.max_x, d.max_y, d.max_x, d.max_y),
        b(mx, my, mx, my),
        b(d.min_x, d.min_y, d.min_x + 2, d.min_y + 2),
        b(d.max_x - 4, d.max_y - 1, d.max_x, d.max_y),
        b(d.min_x, d.max_y - 1, d.max_x, d.max_y),
        b(d.min_x + 1, d.min_y + 1, d.min_x + 20, d.min_y + 30),
        b(d.min_x - 3, d.min_y - 2, d.max_x + 4, d.max_y + 5),
        b(d.max_x - 2, d.max_y - 3, d.max_x + 6, d.max_y + 9),
        b(d.max_x + 1, d.min_y, d.max_x + 5, d.max_y),
    ];
    let mut rng = Lcg(seed);
    let (w, h) = (d.width(), d.height());
    for _ in 0..8 {
        let x0 = d.min_x + rng.below(w) as i32;
        let y0 = d.min_y + rng.below(h) as i32;
        let x1 = x0 + rng.below(w / 2 + 1) as i32;
        let y1 = y0 + rng.below(h / 2 + 1) as i32;
        out.push(b(x0, y0, x1, y1));
    }
    out.retain(|w| !w.is_empty() && (all || w.area() * 8 < d.area()));
    out
}

/// Checks every window of `reader` against `full`, the whole data window's
/// RGBA: same bits inside the data window, untouched memory outside it.
fn check_windows(
    what: &str,
    reader: &Reader,
    full: &[f32],
    seed: u64,
    all: bool,
    failures: &mut Vec<String>,
) -> usize {
    let d = reader.headers()[0].data_window();
    let mut count = 0;
    for window in windows(d, seed, all) {
        count += 1;
        let ours = match decode(reader, window) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{what} {window:?}: {e}"));
                continue;
            }
        };
        let mut bad = 0;
        for y in window.min_y..=window.max_y {
            for x in window.min_x..=window.max_x {
                let at = ((y - window.min_y) as usize * window.width() as usize
                    + (x - window.min_x) as usize)
                    * 4;
                let inside = x >= d.min_x && x <= d.max_x && y >= d.min_y && y <= d.max_y;
                let expected: [u32; 4] = if inside {
                    let from =
                        ((y - d.min_y) as usize * d.width() as usize + (x - d.min_x) as usize) * 4;
                    std::array::from_fn(|c| full[from + c].to_bits())
                } else {
                    [0x7fa5_a5a5; 4]
                };
                let got: [u32; 4] = std::array::from_fn(|c| ours[at + c].to_bits());
                if got != expected {
                    bad += 1;
                    if bad <= 2 {
                        failures.push(format!(
                            "{what} {window:?}: pixel ({x}, {y}) is {got:x?}, the whole image has {expected:x?}"
                        ));
                    }
                }
            }
        }
    }
    count
}

/// Region reads of luminance/chroma parts give exactly the pixels of the
/// whole image (which the tests above tie to RgbaInputFile), whatever the
/// threads, and leave pixels outside the data window alone. Generated files
/// get every window on one and on all threads; the larger sample images the
/// small windows on all threads.
#[test]
fn windows_match_the_whole_image() {
    let Some(tool) = tool() else { return };
    let mut runs: Vec<(PathBuf, u32, bool)> = Vec::new();
    for file in generated(&tool) {
        runs.push((file.clone(), 1, true));
        runs.push((file, 0, true));
    }
    for (_, copy) in zipped_samples(&tool).unwrap_or_default() {
        runs.push((copy, 0, false));
    }
    let mut failures = Vec::new();
    let (mut checked, mut windows) = (0, 0);
    for (i, (file, threads, all)) in runs.iter().enumerate() {
        let options = ReadOptions {
            threads: *threads,
            ..ReadOptions::default()
        };
        let reader = Reader::open(file, options).expect("open");
        if !is_luminance_chroma(&reader) {
            continue;
        }
        let Ok(full) = decode(&reader, reader.headers()[0].data_window()) else {
            continue;
        };
        checked += 1;
        let what = format!("{} ({threads} threads)", file.display());
        windows += check_windows(&what, &reader, &full, i as u64 + 1, *all, &mut failures);
    }
    println!("{checked} decodes of luminance/chroma files, {windows} windows");
    assert!(checked >= 20, "only {checked} luminance/chroma decodes");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Rows may run bottom-up through a negative stride.
#[test]
fn negative_row_stride_flips_rows() {
    let Some(tool) = tool() else { return };
    let file = generated(&tool)
        .into_iter()
        .find(|f| f.ends_with("yca.exr"))
        .expect("yca.exr");
    let reader = Reader::open(&file, ReadOptions::default()).expect("open");
    let d = reader.headers()[0].data_window();
    let full = decode(&reader, d).expect("decode");
    let (w, h) = (d.width() as usize, d.height() as usize);
    let mut flipped = vec![0f32; w * h * 4];
    let stride = -((w * 16) as isize);
    // SAFETY: row y of the window goes to row h - 1 - y of `flipped`, all
    // inside it.
    unsafe {
        reader
            .decode_rgba_raw(0, d, flipped.as_mut_ptr().add((h - 1) * w * 4), stride)
            .expect("decode");
    }
    for y in 0..h {
        let want = &full[y * w * 4..(y + 1) * w * 4];
        let got = &flipped[(h - 1 - y) * w * 4..(h - y) * w * 4];
        assert!(
            want.iter()
                .zip(got)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "row {y} differs"
        );
    }
}

/// Progress counts each chunk of a luminance/chroma decode once, over all
/// its bands, and cancelling stops it.
#[test]
fn progress_counts_each_chunk_once() {
    let Some(tool) = tool() else { return };
    let file = generated(&tool)
        .into_iter()
        .find(|f| f.ends_with("yc_tall.exr"))
        .expect("yc_tall.exr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = ReadOptions {
        threads: 1,
        progress: Some(Arc::new(move |done, total| {
            log.lock().expect("lock").push((done, total));
            true
        })),
        ..ReadOptions::default()
    };
    let reader = Reader::open(&file, options).expect("open");
    let d = reader.headers()[0].data_window();
    decode(&reader, d).expect("decode");
    let seen = seen.lock().expect("lock").clone();
    let chunks = reader.headers()[0].geometry().chunk_count();
    let expected: Vec<(u64, u64)> = (1..=chunks).map(|i| (i, chunks)).collect();
    assert_eq!(seen, expected);

    let options = ReadOptions {
        threads: 1,
        progress: Some(Arc::new(|done, _| done < 3)),
        ..ReadOptions::default()
    };
    let reader = Reader::open(&file, options).expect("open");
    match decode(&reader, d) {
        Err(Error::Cancelled(_)) => {}
        other => panic!(
            "expected a cancelled decode, got {:?}",
            other.map(|v| v.len())
        ),
    }
}

/// A damaged chunk of a luminance/chroma part makes the decode fail with a
/// status, not a crash, and rows beyond the filters' reach of it are still
/// those of the intact file.
#[test]
fn damaged_chunk_fails_cleanly() {
    let Some(tool) = tool() else { return };
    let file = generated(&tool)
        .into_iter()
        .find(|f| f.ends_with("yc_tall.exr"))
        .expect("yc_tall.exr");
    let intact = Reader::open(&file, ReadOptions::default()).expect("open");
    let d = intact.headers()[0].data_window();
    let expected = decode(&intact, d).expect("decode");
    let info = intact.chunk_info(0, 6).expect("chunk 6");
    let mut bytes = std::fs::read(&file).expect("read");
    let from = info.data_offset as usize;
    bytes[from..from + info.packed_size as usize].fill(0);
    let damaged = Reader::from_bytes(bytes, ReadOptions::default()).expect("open");
    let mut rgba = vec![0f32; d.area() as usize * 4];
    let error = damaged
        .decode_rgba(0, d, &mut rgba)
        .expect_err("damaged chunk");
    assert!(error.message().contains("chunk 6"), "{error}");
    let (top, bottom) = (info.region.pixels.min_y, info.region.pixels.max_y);
    let row = d.width() as usize * 4;
    for y in d.min_y..=d.max_y {
        if y >= top - 15 && y <= bottom + 15 {
            continue;
        }
        let at = (y - d.min_y) as usize * row;
        assert!(
            rgba[at..at + row]
                .iter()
                .zip(&expected[at..at + row])
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "row {y} differs from the intact file"
        );
    }
}
