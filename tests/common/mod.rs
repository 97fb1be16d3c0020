//! Locating ../shared/testdata and running the OpenEXR reference tools:
//! missing data or tools fail in CI and skip elsewhere.

#![allow(dead_code)]

pub mod attributes;
pub mod compare;
pub mod json;
pub mod rng;

use std::path::PathBuf;

/// The folder `rel` of ../shared/testdata, or `None` (after printing why)
/// when it is absent outside CI. Panics in CI.
fn testdata(rel: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testdata")
        .join(rel);
    if dir.is_dir() {
        return Some(dir);
    }
    let reason = format!("test data not found at {}", dir.display());
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "missing in CI: {reason}"
    );
    eprintln!("skipping: {reason}");
    None
}

/// The folder `sub` of the OpenEXR sample images, or `None` (after printing
/// why) when the test data is absent outside CI. Panics in CI.
pub fn openexr_images(sub: &str) -> Option<PathBuf> {
    testdata(&format!("openexr-images/{sub}"))
}

/// Every `.qoi` of the official QOI test images (each beside the `.png` of
/// the same pixels), sorted, or `None` (after printing why) when the test
/// data is absent outside CI. Panics in CI.
pub fn qoi_images() -> Option<Vec<PathBuf>> {
    let dir = testdata("qoi")?;
    let files = files_in(&dir, Some("qoi"));
    assert!(!files.is_empty(), "no .qoi files in {}", dir.display());
    Some(files)
}

/// The files of `dir` (those ending `.ext` where given), sorted.
pub fn files_in(dir: &std::path::Path, ext: Option<&str>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("folder entry").path())
        .filter(|path| ext.map_or(true, |ext| path.extension().is_some_and(|e| e == ext)))
        .collect();
    files.sort();
    files
}

/// Every `.exr` of the OpenEXR sample images outside Damaged/, sorted, or
/// `None` where [`openexr_images`] skips.
pub fn sample_images() -> Option<Vec<PathBuf>> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "Damaged") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "exr") {
                out.push(path);
            }
        }
    }
    let root = openexr_images("")?;
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    Some(files)
}

/// Prints that a check is skipped for `reason` and returns `None`; panics
/// instead in CI.
pub fn unavailable<T>(reason: &str) -> Option<T> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "OpenEXR reference unavailable in CI: {reason}"
    );
    eprintln!("skipping: {reason}");
    None
}

/// Runs `python3` with `args`, returning whether it succeeded. Panics in CI
/// when Python or PyPI's OpenEXR is missing or the script fails; prints why
/// and returns `false` elsewhere.
pub fn python(args: &[&std::ffi::OsStr]) -> bool {
    run_program(std::path::Path::new("python3"), args)
}

/// `tests/support/NAME.cpp` built against the system's C++ OpenEXR into the
/// target's scratch folder (again only when the source is newer than the
/// build), or `None` where [`unavailable`] skips.
pub fn openexr_program(name: &str) -> Option<PathBuf> {
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let source =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/support/{name}.cpp"));
    let program = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&program).is_some_and(|built| Some(built) >= modified(&source)) {
        return Some(program);
    }
    let flags = match std::process::Command::new("pkg-config")
        .args(["--cflags", "--libs", "OpenEXR"])
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => {
            return unavailable(&format!(
                "OpenEXR's development files are missing: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
        Err(e) => return unavailable(&format!("pkg-config could not run: {e}")),
    };
    let partial = program.with_extension("partial");
    let build = std::process::Command::new("c++")
        .args(["-std=c++17", "-O2", "-o"])
        .arg(&partial)
        .arg(&source)
        .args(flags.split_whitespace())
        .output();
    match build {
        Ok(out) if out.status.success() => {
            std::fs::rename(&partial, &program).expect("move the build in place");
            Some(program)
        }
        Ok(out) => unavailable(&format!(
            "{} does not build: {}",
            source.display(),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => unavailable(&format!("the C++ compiler could not run: {e}")),
    }
}

/// Runs `program` with `args`, returning whether it succeeded; a failure
/// panics in CI and is printed and skipped elsewhere.
pub fn run_program(program: &std::path::Path, args: &[&std::ffi::OsStr]) -> bool {
    let reason = match std::process::Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => return true,
        Ok(out) => format!(
            "{} {:?} failed: {}",
            program.display(),
            args.first(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => format!("{} could not run: {e}", program.display()),
    };
    unavailable::<()>(&reason).is_some()
}

/// Runs `tests/support/openexr_ref.py` with `args`, as [`python`] runs it.
pub fn openexr_ref(args: &[&std::ffi::OsStr]) -> bool {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/openexr_ref.py");
    let mut all = vec![script.as_os_str()];
    all.extend_from_slice(args);
    python(&all)
}

/// Chunk `index` of `part`: its packed bytes and the layout of its pixels.
pub fn packed_chunk(
    reader: &exrkit::Reader,
    part: usize,
    index: u64,
) -> (Vec<u8>, exrkit::codec::BlockLayout) {
    let info = reader.chunk_info(part, index).expect("chunk info");
    let mut packed = vec![0u8; info.payload_size() as usize];
    reader
        .read_located_chunk(part, &info, &mut packed)
        .expect("read chunk");
    let header = &reader.headers()[part];
    let layout =
        exrkit::codec::BlockLayout::new(header.channels(), info.region.pixels).expect("layout");
    (packed, layout)
}

/// A fresh, empty folder for one test's files.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// One channel of one part as OpenEXR decoded it.
pub struct ReferenceChannel {
    /// The file it came from.
    pub file: PathBuf,
    /// Part index.
    pub part: usize,
    /// Channel name.
    pub name: String,
    /// `half`, `float` or `uint`.
    pub pixel_type: String,
    /// Samples per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Little-endian samples, row-major.
    pub bytes: Vec<u8>,
}

/// Decodes `files` with OpenEXR into `dir` and loads every channel, or
/// returns `None` where [`openexr_ref`] skips. Files OpenEXR refuses are
/// listed with pixel type `error`.
pub fn openexr_decode(dir: &std::path::Path, files: &[PathBuf]) -> Option<Vec<ReferenceChannel>> {
    let mut args = vec![std::ffi::OsStr::new("dump"), dir.as_os_str()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    if !openexr_ref(&args) {
        return None;
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest");
    let mut channels = Vec::new();
    for line in manifest.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, part, hex, pixel_type, width, height] = fields[..] else {
            panic!("bad manifest line {line}");
        };
        let file = PathBuf::from(file);
        if pixel_type == "error" {
            channels.push(ReferenceChannel {
                file,
                part: 0,
                name: width.to_string(),
                pixel_type: pixel_type.to_string(),
                width: 0,
                height: 0,
                bytes: Vec::new(),
            });
            continue;
        }
        let index = files.iter().position(|f| *f == file).expect("file listed");
        let name_bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        let bytes = std::fs::read(dir.join(index.to_string()).join(part).join(hex)).expect("raw");
        channels.push(ReferenceChannel {
            file,
            part: part.parse().expect("part"),
            name: String::from_utf8_lossy(&name_bytes).into_owned(),
            pixel_type: pixel_type.to_string(),
            width: width.parse().expect("width"),
            height: height.parse().expect("height"),
            bytes,
        });
    }
    Some(channels)
}

/// Reads the attributes of every part of `files` with PyPI's OpenEXR into
/// `out` and parses the report (see tests/support/openexr_ref.py), or
/// returns `None` where [`openexr_ref`] skips.
pub fn openexr_attributes(out: &std::path::Path, files: &[PathBuf]) -> Option<json::Json> {
    let mut args = vec![std::ffi::OsStr::new("attributes"), out.as_os_str()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    if !openexr_ref(&args) {
        return None;
    }
    Some(json::parse(
        &std::fs::read_to_string(out).expect("attribute report"),
    ))
}
