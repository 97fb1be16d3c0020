//! Files exrkit writes, read back by exrkit, by PyPI OpenEXR 3.5, by the
//! system's C++ OpenEXR 3.1.5 (tests/support/openexr_ref.cpp, for what PyPI
//! OpenEXR cannot read) and by exrheader: every codec, storage and level
//! layout, rounding mode, line order, sample type, subsampling and
//! multipart, every part carrying every standard attribute type, with the
//! pixels and attribute values that were written. Lossy channels must
//! decode to what OpenEXR's own encoder and decoder make of the same
//! samples.

mod common;

use common::attributes;
use common::json::Json;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::text::Text;
use exrkit::meta::types::{
    Box2i, LevelMode, LineOrder, PixelType, RoundingMode, Storage, TileDesc,
};
use exrkit::meta::value::Value;
use exrkit::pixels::{ChannelBuffers, FrameBuffer};
use exrkit::{PartDesc, ReadOptions, Reader, WriteOptions, Writer};

/// Codecs with encoders in this build.
const ENCODED: [Compression; 8] = [
    Compression::None,
    Compression::Rle,
    Compression::Zips,
    Compression::Zip,
    Compression::Piz,
    Compression::Pxr24,
    Compression::B44,
    Compression::B44a,
];

/// Whether `compression` changes samples of `pixel_type` (PXR24 rounds
/// FLOAT to 24 bits, B44 codes HALF in blocks): such channels are compared
/// with OpenEXR's own encode-decode of the same samples instead of with
/// what was written.
fn lossy(compression: Compression, pixel_type: PixelType) -> bool {
    matches!(
        (compression, pixel_type),
        (Compression::Pxr24, PixelType::Float)
            | (Compression::B44 | Compression::B44a, PixelType::Half)
    )
}

/// Deterministic samples of `pixel_type` for one channel of one level.
fn samples(seed: u64, pixel_type: PixelType, count: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(count * pixel_type.size());
    for i in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let smooth = (i % 97) as f32 / 97.0;
        match pixel_type {
            PixelType::Half => {
                let v = half::f16::from_f32(smooth + (state % 16) as f32 / 256.0);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            PixelType::Float => {
                let v = smooth * 1000.0 + (state % 1024) as f32 / 7.0;
                out.extend_from_slice(&v.to_le_bytes());
            }
            _ => out.extend_from_slice(&((state % 5000) as u32 + i as u32).to_le_bytes()),
        }
    }
    out
}

struct Case {
    name: String,
    parts: Vec<(PartDesc, Vec<Channel>)>,
}

fn channel(name: &str, pixel_type: PixelType, sampling: i32) -> Channel {
    Channel {
        name: Text::new(name.as_bytes()),
        pixel_type,
        p_linear: false,
        x_sampling: sampling,
        y_sampling: sampling,
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let window = Box2i {
        min_x: -4,
        min_y: -4,
        max_x: 59,
        max_y: 41,
    };
    let types = [PixelType::Half, PixelType::Float, PixelType::Uint];
    for compression in ENCODED {
        for (t, &pixel_type) in types.iter().enumerate() {
            let channels = vec![
                channel("A", pixel_type, 1),
                channel("B", types[(t + 1) % 3], 1),
                channel("G", pixel_type, 1),
            ];
            for order in [LineOrder::IncreasingY, LineOrder::DecreasingY] {
                let mut desc = PartDesc::scanline(window);
                desc.compression = compression;
                desc.line_order = order;
                let mut with_chroma = channels.clone();
                with_chroma.push(channel("RY", PixelType::Half, 2));
                cases.push(Case {
                    name: format!("{}_{pixel_type:?}_scan_{order:?}", compression.name()),
                    parts: vec![(desc, with_chroma)],
                });
            }
            for (mode, rounding, order) in [
                (LevelMode::One, RoundingMode::Down, LineOrder::IncreasingY),
                (
                    LevelMode::Mipmap,
                    RoundingMode::Down,
                    LineOrder::DecreasingY,
                ),
                (LevelMode::Mipmap, RoundingMode::Up, LineOrder::RandomY),
                (LevelMode::Ripmap, RoundingMode::Up, LineOrder::IncreasingY),
                (
                    LevelMode::Ripmap,
                    RoundingMode::Down,
                    LineOrder::DecreasingY,
                ),
            ] {
                let mut desc = PartDesc::scanline(window);
                desc.storage = Storage::Tiled;
                desc.compression = compression;
                desc.line_order = order;
                desc.tiles = Some(TileDesc {
                    width: 16,
                    height: 8,
                    level_mode: mode,
                    rounding_mode: rounding,
                });
                cases.push(Case {
                    name: format!(
                        "{}_{pixel_type:?}_{mode:?}_{rounding:?}_{order:?}",
                        compression.name()
                    ),
                    parts: vec![(desc, channels.clone())],
                });
            }
        }
        let mut scan = PartDesc::scanline(window);
        scan.name = Some("beauty".into());
        scan.compression = compression;
        let mut tiled = scan.clone();
        tiled.name = Some("depth".into());
        tiled.storage = Storage::Tiled;
        tiled.data_window = Box2i {
            min_x: 0,
            min_y: 0,
            max_x: 33,
            max_y: 20,
        };
        tiled.tiles = Some(TileDesc {
            width: 8,
            height: 8,
            level_mode: LevelMode::Mipmap,
            rounding_mode: RoundingMode::Down,
        });
        cases.push(Case {
            name: format!("{}_multipart", compression.name()),
            parts: vec![
                (
                    scan,
                    vec![
                        channel("R", PixelType::Half, 1),
                        channel("G", PixelType::Float, 1),
                    ],
                ),
                (tiled, vec![channel("Z", PixelType::Float, 1)]),
            ],
        });
    }
    cases
}

/// Every level of a part, as (level_x, level_y, window).
fn levels(header: &exrkit::meta::header::Header) -> Vec<(u32, u32, Box2i)> {
    let geometry = header.geometry();
    let (nx, ny) = geometry.level_counts();
    let dw = header.data_window();
    let mut out = Vec::new();
    for ly in 0..ny {
        for lx in 0..nx {
            if let Some((w, h)) = geometry.level_size(lx, ly) {
                if geometry.has_level(lx, ly) {
                    let window = Box2i {
                        max_x: dw.min_x + w as i32 - 1,
                        max_y: dw.min_y + h as i32 - 1,
                        ..dw
                    };
                    out.push((lx, ly, window));
                }
            }
        }
    }
    out
}

/// The samples of one channel at one level, compact for subsampled ones.
fn expected(seed: u64, channel: &Channel, window: Box2i) -> Vec<u8> {
    let w = exrkit::meta::sampling::sampled_count(window.min_x, window.max_x, channel.x_sampling);
    let h = exrkit::meta::sampling::sampled_count(window.min_y, window.max_y, channel.y_sampling);
    samples(seed, channel.pixel_type, (w * h) as usize)
}

fn seed(case: usize, part: usize, channel: usize, lx: u32, ly: u32) -> u64 {
    ((case * 7 + part) * 31 + channel) as u64 * 1000 + u64::from(lx) * 10 + u64::from(ly)
}

/// Every standard attribute type but `deepImageState`: PyPI's OpenEXR 3.5
/// refuses whole files holding one ("unsupported attribute type"), so that
/// type is checked on a file of its own.
fn matrix_values() -> Vec<(&'static str, Value)> {
    attributes::values()
        .into_iter()
        .filter(|(_, v)| !matches!(v, Value::DeepImageState(_)))
        .collect()
}

/// Writes `parts` to `path`, each with `values(part)` as extra attributes
/// and every level filled with `samples(part, channel, lx, ly, window)`.
/// Returns each part's levels.
fn write_file(
    path: &Path,
    parts: &[(PartDesc, Vec<Channel>)],
    values: impl Fn(usize) -> Vec<(&'static str, Value)>,
    samples: impl Fn(usize, usize, u32, u32, Box2i) -> Vec<u8>,
) -> Vec<Vec<(u32, u32, Box2i)>> {
    let mut writer = Writer::create(path, WriteOptions::default()).expect("create");
    for (desc, channels) in parts {
        let part = writer.add_part(desc.clone()).expect("part");
        for c in channels {
            writer.add_channel(part, c.clone()).expect("channel");
        }
        for (name, value) in values(part) {
            writer.set_value(part, name, &value).expect(name);
        }
    }
    writer.write_header().expect("header");
    let mut all = Vec::new();
    for (p, (_, channels)) in parts.iter().enumerate() {
        let part_levels = levels(&writer.header(p).expect("header"));
        for &(lx, ly, window) in &part_levels {
            let mut planes: Vec<Vec<u8>> = (0..channels.len())
                .map(|c| samples(p, c, lx, ly, window))
                .collect();
            let mut fb = FrameBuffer::new(window).expect("window");
            for (ch, plane) in channels.iter().zip(planes.iter_mut()) {
                fb.add_bytes(
                    ch.name.as_bytes(),
                    ch.pixel_type,
                    plane,
                    ch.x_sampling,
                    ch.y_sampling,
                    0.0,
                )
                .expect("slice");
            }
            writer.write_image(p, lx, ly, &fb).expect("write image");
        }
        all.push(part_levels);
    }
    writer.finish().expect("finish");
    all
}

/// A level of a part as a part of its own, named `name`: uncompressed, one
/// level, the level's window, the same tile size, so its tiles (or, for a
/// scanline part, its chunks) hold the same samples as the level's.
fn piece(desc: &PartDesc, window: Box2i, name: String) -> PartDesc {
    PartDesc {
        name: Some(name),
        compression: Compression::None,
        data_window: window,
        tiles: desc.tiles.map(|t| TileDesc {
            level_mode: LevelMode::One,
            rounding_mode: RoundingMode::Down,
            ..t
        }),
        ..desc.clone()
    }
}

/// A channel level: file index, part, level x, level y.
type LevelKey = (usize, usize, u32, u32);

/// The matrix as written, once, for the tests that read it.
struct Written {
    /// The scratch folder.
    dir: PathBuf,
    /// The matrix.
    cases: Vec<Case>,
    /// Each case's file.
    files: Vec<PathBuf>,
    /// For each file with lossy channels in parts PyPI's OpenEXR can write
    /// (no subsampled channels): an uncompressed file with each level of
    /// those parts as a part made by [`piece`], and the level each holds.
    pieces: Vec<(PathBuf, Vec<LevelKey>)>,
    /// Each file with lossy channels in parts PyPI's OpenEXR cannot write,
    /// by index, with an uncompressed twin: the same parts, levels and
    /// samples.
    twins: Vec<(usize, PathBuf)>,
}

/// The matrix's files with the copies OpenEXR re-encodes, written by the
/// first test that asks.
fn written() -> &'static Written {
    static WRITTEN: OnceLock<Written> = OnceLock::new();
    WRITTEN.get_or_init(|| {
        let dir = common::scratch_dir("writing");
        std::fs::create_dir(dir.join("twin")).expect("twin folder");
        std::fs::create_dir(dir.join("piece")).expect("piece folder");
        let cases = cases();
        let values = matrix_values();
        let (mut files, mut twins, mut pieces) = (Vec::new(), Vec::new(), Vec::new());
        for (i, case) in cases.iter().enumerate() {
            let samples = |p: usize, c: usize, lx, ly, window| {
                expected(seed(i, p, c, lx, ly), &case.parts[p].1[c], window)
            };
            let path = dir.join(format!("{}.exr", case.name));
            let part_levels = write_file(&path, &case.parts, |_| values.clone(), samples);
            files.push(path);
            let mut piece_parts = Vec::new();
            let mut keys = Vec::new();
            let mut needs_twin = false;
            for (p, ((desc, channels), part_levels)) in
                case.parts.iter().zip(part_levels).enumerate()
            {
                if !channels
                    .iter()
                    .any(|c| lossy(desc.compression, c.pixel_type))
                {
                    continue;
                }
                if channels
                    .iter()
                    .any(|c| (c.x_sampling, c.y_sampling) != (1, 1))
                {
                    needs_twin = true;
                    continue;
                }
                for (lx, ly, window) in part_levels {
                    let desc = piece(desc, window, format!("p{p}_{lx}_{ly}"));
                    piece_parts.push((desc, channels.clone()));
                    keys.push((i, p, lx, ly));
                }
            }
            if !keys.is_empty() {
                let path = dir.join("piece").join(format!("{}.exr", case.name));
                write_file(
                    &path,
                    &piece_parts,
                    |_| Vec::new(),
                    |q, c, _, _, w| {
                        let (_, p, lx, ly) = keys[q];
                        samples(p, c, lx, ly, w)
                    },
                );
                pieces.push((path, keys));
            }
            if needs_twin {
                let mut parts = case.parts.clone();
                for (desc, _) in &mut parts {
                    desc.compression = Compression::None;
                }
                let twin = dir.join("twin").join(format!("{}.exr", case.name));
                write_file(&twin, &parts, |_| Vec::new(), samples);
                twins.push((i, twin));
            }
        }
        Written {
            dir,
            cases,
            files,
            pieces,
            twins,
        }
    })
}

/// Waits for a thread, passing its panic on.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Reads `path`, which a reference tool must have written.
fn output(path: &Path, tool: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{tool} wrote no {}: {e}", path.display()))
}

/// Channel levels a reference tool decoded, by part, level x, level y and
/// channel name.
type Records = HashMap<(usize, u32, u32, Vec<u8>), Vec<u8>>;

/// The records in `path`, as tests/support/openexr_ref.cpp's `dump`
/// describes them, which `tool` must have written.
fn records(path: &Path, tool: &str) -> Records {
    let bytes = output(path, tool);
    let mut rest = &bytes[..];
    let mut out = Records::new();
    while !rest.is_empty() {
        let mut take = |n: usize| {
            let whole = rest;
            assert!(whole.len() >= n, "{} ends inside a record", path.display());
            let (field, tail) = whole.split_at(n);
            rest = tail;
            field
        };
        let word = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        let part = word(take(4)) as usize;
        let lx = word(take(4));
        let ly = word(take(4));
        let name_len = word(take(4)) as usize;
        let name = take(name_len).to_vec();
        let size = u64::from_le_bytes(take(8).try_into().expect("8 bytes")) as usize;
        out.insert((part, lx, ly, name), take(size).to_vec());
    }
    out
}

/// Counts of one reader's comparisons.
#[derive(Default)]
struct Tally {
    /// Channel levels compared.
    compared: usize,
    /// Those of them with lossy samples.
    lossy: usize,
}

/// Where the samples a lossy channel level must decode to come from.
#[derive(Default)]
struct LossyReferences {
    /// PyPI's OpenEXR's `reencode` folder (the pieces), if it ran.
    pypi: Option<PathBuf>,
    /// OpenEXR 3.1.5's `reencode` folder (the pieces, then the twins), if
    /// it ran.
    cpp: Option<PathBuf>,
    /// Piece file and part of each level that has a piece.
    piece: HashMap<LevelKey, (usize, usize)>,
    /// Index among the re-encoded files of each file's twin.
    twin: HashMap<usize, usize>,
    /// Records read so far: (by OpenEXR 3.1.5, file index) to records.
    decoded: HashMap<(bool, usize), Records>,
    /// References taken from PyPI's OpenEXR.
    from_pypi: usize,
    /// References taken from OpenEXR 3.1.5 (twins).
    from_cpp: usize,
    /// References both gave alike.
    agree: usize,
    /// Channel levels OpenEXR 3.5 and 3.1.5 encode-decode differently, with
    /// the codec.
    disagree: Vec<(Compression, String)>,
    /// Channel levels no tool gave a reference for.
    missing: usize,
}

impl LossyReferences {
    /// The samples of `key` (part, level x, level y, channel name) in
    /// re-encoded file `index`, as OpenEXR 3.1.5 (`cpp`) or PyPI's OpenEXR
    /// decoded them; `None` when that tool did not run.
    fn samples(
        &mut self,
        cpp: bool,
        index: usize,
        key: (usize, u32, u32, Vec<u8>),
        what: &str,
    ) -> Option<Vec<u8>> {
        let (dir, tool) = if cpp {
            (self.cpp.as_ref()?, "OpenEXR 3.1.5")
        } else {
            (self.pypi.as_ref()?, "PyPI OpenEXR")
        };
        let decoded = self.decoded.entry((cpp, index)).or_insert_with(|| {
            if let Ok(error) = std::fs::read_to_string(dir.join(format!("{index}.error"))) {
                panic!("{tool} cannot re-encode the copy of {what}: {error}");
            }
            records(&dir.join(format!("{index}.bin")), tool)
        });
        let samples = decoded.get(&key).cloned();
        Some(samples.unwrap_or_else(|| panic!("{tool} decoded no {what}")))
    }

    /// The samples channel `name` of level `key` must decode to: PyPI's
    /// OpenEXR's encode-decode of the level's piece where there is one
    /// (OpenEXR 3.1.5's too, noting whether it agrees), else OpenEXR
    /// 3.1.5's of the twin. `None` when the tool that gives it did not run.
    fn get(
        &mut self,
        key: LevelKey,
        compression: Compression,
        name: &Text,
        what: &str,
    ) -> Option<Vec<u8>> {
        let (file, part, lx, ly) = key;
        let name = name.as_bytes().to_vec();
        let reference = match self.piece.get(&key).copied() {
            Some((k, q)) => {
                let pypi = self.samples(false, k, (q, 0, 0, name.clone()), what);
                let cpp = self.samples(true, k, (q, 0, 0, name), what);
                if let (Some(a), Some(b)) = (&pypi, &cpp) {
                    if a == b {
                        self.agree += 1;
                    } else {
                        self.disagree.push((compression, what.to_string()));
                    }
                }
                self.from_pypi += usize::from(pypi.is_some());
                pypi
            }
            None => {
                let t = self.twin[&file];
                let cpp = self.samples(true, t, (part, lx, ly, name), what);
                self.from_cpp += usize::from(cpp.is_some());
                cpp
            }
        };
        self.missing += usize::from(reference.is_none());
        reference
    }
}

/// Compares `got` with `want`, counting it in `tally` and recording a
/// mismatch as `what`.
fn check(
    tally: &mut Tally,
    mismatches: &mut Vec<String>,
    what: String,
    got: &[u8],
    want: &[u8],
    lossy: bool,
) {
    tally.compared += 1;
    if lossy {
        tally.lossy += 1;
    }
    if got != want {
        let first = got.iter().zip(want).position(|(a, b)| a != b);
        mismatches.push(format!(
            "{what}: {} bytes, {} expected, first difference at byte {first:?}",
            got.len(),
            want.len()
        ));
    }
}

/// Why exrheader rejects each of `files` it rejects.
fn exrheader_rejections(files: &[PathBuf]) -> Vec<String> {
    let mut rejections = Vec::new();
    for path in files {
        match std::process::Command::new("exrheader").arg(path).output() {
            Ok(out) if !out.status.success() => rejections.push(format!(
                "exrheader rejects {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            )),
            Ok(_) => {}
            Err(e) => {
                common::unavailable::<()>(&format!("exrheader could not run: {e}"));
                break;
            }
        }
    }
    rejections
}

/// `args` as the arguments of `reencode OUTDIR`: codec, file, codec, ...
fn reencode_args<'a>(
    out: &'a Path,
    pairs: &'a [(Compression, &'a Path)],
) -> Vec<&'a std::ffi::OsStr> {
    let mut args = vec![std::ffi::OsStr::new("reencode"), out.as_os_str()];
    for (codec, file) in pairs {
        args.push(std::ffi::OsStr::new(codec.name()));
        args.push(file.as_os_str());
    }
    args
}

#[test]
fn written_files_read_back_everywhere_with_the_written_pixels() {
    let written = written();
    let (dir, cases, files) = (&written.dir, &written.cases, &written.files);
    let codec = |i: usize| cases[i].parts[0].0.compression;
    // The pieces, then the twins: PyPI's OpenEXR encodes the pieces,
    // OpenEXR 3.1.5 both.
    let copies: Vec<(Compression, &Path)> = written
        .pieces
        .iter()
        .map(|(path, keys)| (codec(keys[0].0), path.as_path()))
        .chain(
            written
                .twins
                .iter()
                .map(|(i, path)| (codec(*i), path.as_path())),
        )
        .collect();
    let pieces = &copies[..written.pieces.len()];
    let (pypi_out, cpp_out) = (dir.join("pypi_reencode"), dir.join("cpp_reencode"));
    let cpp_dump = dir.join("cpp_dump");
    let (pypi_decode, pypi_lossy, cpp, exrheader) = std::thread::scope(|s| {
        let decode = s.spawn(|| common::openexr_decode(&dir.join("ref"), files));
        let lossy = s.spawn(|| common::openexr_ref(&reencode_args(&pypi_out, pieces)));
        let cpp = s.spawn(|| {
            let program = common::openexr_program("openexr_ref")?;
            let mut dump = vec![std::ffi::OsStr::new("dump"), cpp_dump.as_os_str()];
            dump.extend(files.iter().map(|f| f.as_os_str()));
            let ran = common::run_program(&program, &dump)
                && common::run_program(&program, &reencode_args(&cpp_out, &copies));
            ran.then_some(())
        });
        let exrheader = s.spawn(|| exrheader_rejections(files));
        (
            joined(decode),
            joined(lossy),
            joined(cpp),
            joined(exrheader),
        )
    });
    let mut references = LossyReferences {
        pypi: pypi_lossy.then(|| pypi_out.clone()),
        cpp: cpp.map(|()| cpp_out.clone()),
        piece: written
            .pieces
            .iter()
            .enumerate()
            .flat_map(|(k, (_, keys))| keys.iter().enumerate().map(move |(q, key)| (*key, (k, q))))
            .collect(),
        twin: written
            .twins
            .iter()
            .enumerate()
            .map(|(t, (i, _))| (*i, written.pieces.len() + t))
            .collect(),
        ..LossyReferences::default()
    };
    let cpp_dump = cpp.map(|()| cpp_dump);
    let pypi: Option<HashMap<(PathBuf, usize, String), common::ReferenceChannel>> = pypi_decode
        .map(|channels| {
            channels
                .into_iter()
                .map(|r| {
                    assert_ne!(
                        r.pixel_type,
                        "error",
                        "PyPI OpenEXR cannot read {}: {}",
                        r.file.display(),
                        r.name
                    );
                    ((r.file.clone(), r.part, r.name.clone()), r)
                })
                .collect()
        });
    let mut mismatches = Vec::new();
    let (mut exrkit, mut pypi_tally, mut cpp_tally) =
        (Tally::default(), Tally::default(), Tally::default());
    for (i, (case, path)) in cases.iter().zip(files).enumerate() {
        let reader = Reader::open(path, ReadOptions::default()).expect("exrkit reads it");
        let cpp_file: Option<Records> = cpp_dump.as_ref().map(|d| {
            match std::fs::read_to_string(d.join(format!("{i}.error"))) {
                Ok(error) => {
                    mismatches.push(format!("OpenEXR 3.1.5 refuses {}: {error}", case.name));
                    Records::new()
                }
                Err(_) => records(&d.join(format!("{i}.bin")), "OpenEXR 3.1.5"),
            }
        });
        for (p, (desc, channels)) in case.parts.iter().enumerate() {
            let header = reader.header(p).expect("part");
            for (lx, ly, window) in levels(header) {
                for (c, ch) in channels.iter().enumerate() {
                    let cell = format!(
                        "{} part {p} level ({lx}, {ly}) channel {}",
                        case.name, ch.name
                    );
                    let what = |reader: &str| format!("{reader} reading {cell}");
                    let is_lossy = lossy(desc.compression, ch.pixel_type);
                    let want = if is_lossy {
                        let key = (i, p, lx, ly);
                        match references.get(key, desc.compression, &ch.name, &cell) {
                            Some(want) => want,
                            None => continue,
                        }
                    } else {
                        expected(seed(i, p, c, lx, ly), ch, window)
                    };
                    let mut got = vec![0u8; want.len()];
                    let mut fb = FrameBuffer::new(window).expect("window");
                    fb.add_bytes(
                        ch.name.as_bytes(),
                        ch.pixel_type,
                        &mut got,
                        ch.x_sampling,
                        ch.y_sampling,
                        0.0,
                    )
                    .expect("slice");
                    reader.decode_image(p, lx, ly, &mut fb).expect("decode");
                    drop(fb);
                    check(
                        &mut exrkit,
                        &mut mismatches,
                        what("exrkit"),
                        &got,
                        &want,
                        is_lossy,
                    );
                    if let Some(decoded) = &cpp_file {
                        let got = decoded
                            .get(&(p, lx, ly, ch.name.as_bytes().to_vec()))
                            .map_or(&[][..], |g| &g[..]);
                        check(
                            &mut cpp_tally,
                            &mut mismatches,
                            what("OpenEXR 3.1.5"),
                            got,
                            &want,
                            is_lossy,
                        );
                    }
                    if let Some(decoded) = pypi.as_ref().filter(|_| (lx, ly) == (0, 0)) {
                        let got = decoded
                            .get(&(path.clone(), p, ch.name.to_string()))
                            .map_or(&[][..], |r| &r.bytes[..]);
                        check(
                            &mut pypi_tally,
                            &mut mismatches,
                            what("PyPI OpenEXR"),
                            got,
                            &want,
                            is_lossy,
                        );
                    }
                }
            }
        }
    }
    mismatches.extend(exrheader);
    // OpenEXR 3.1.5 deflates PXR24 blocks with zlib, 3.5 with libdeflate:
    // a block whose deflated size lands on different sides of its raw size
    // is stored raw (lossless) by one and lossy by the other. B44 has no
    // such step, so there the two must agree.
    let (pxr24, b44): (Vec<_>, Vec<_>) = references
        .disagree
        .iter()
        .partition(|(codec, _)| *codec == Compression::Pxr24);
    mismatches.extend(
        b44.iter()
            .map(|(_, what)| format!("{what}: OpenEXR 3.1.5 and 3.5 differ")),
    );
    for (reader, tally) in [
        ("exrkit", &exrkit),
        ("PyPI OpenEXR 3.5 (first levels)", &pypi_tally),
        ("OpenEXR 3.1.5 (C++, every level)", &cpp_tally),
    ] {
        println!(
            "{reader} read {} channel levels of {} files: {} as written, {} lossy ones as OpenEXR's own encode-decode of the same samples gives them",
            tally.compared,
            files.len(),
            tally.compared - tally.lossy,
            tally.lossy
        );
    }
    println!(
        "lossy references: {} channel levels from PyPI OpenEXR 3.5's encode-decode ({} of them identical in OpenEXR 3.1.5's, {} PXR24 ones different, listed below), {} from OpenEXR 3.1.5's (scanline parts with subsampled channels, which PyPI's OpenEXR cannot write), {} without a reference tool",
        references.from_pypi,
        references.agree,
        pxr24.len(),
        references.from_cpp,
        references.missing
    );
    for (_, what) in &pxr24 {
        println!("  OpenEXR 3.1.5 and 3.5 differ on {what}");
    }
    println!("mismatches: {}", mismatches.len());
    for m in mismatches.iter().take(20) {
        println!("  {m}");
    }
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
    assert!(exrkit.compared > 0);
}

/// The attributes a part was written with: the standard ones the writer
/// derives from its description (`chunks` for multipart files), then
/// `values`.
fn written_attributes(
    desc: &PartDesc,
    channels: &[Channel],
    values: Vec<(&'static str, Value)>,
    chunks: Option<u64>,
) -> Vec<(&'static str, Value)> {
    let mut sorted = channels.to_vec();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let text = |s: &str| Value::String(Text::new(s.as_bytes()));
    let mut out = vec![
        ("channels", Value::ChannelList(sorted)),
        ("compression", Value::Compression(desc.compression as u8)),
        ("dataWindow", Value::Box2i(desc.data_window)),
        ("displayWindow", Value::Box2i(desc.display_window)),
        ("lineOrder", Value::LineOrder(desc.line_order as u8)),
        ("pixelAspectRatio", Value::Float(1.0)),
        ("screenWindowCenter", Value::V2f([0.0, 0.0])),
        ("screenWindowWidth", Value::Float(1.0)),
        ("type", text(desc.storage.type_name())),
    ];
    if let Some(tiles) = desc.tiles {
        out.push(("tiles", Value::tile_desc(tiles)));
    }
    if let Some(name) = &desc.name {
        out.push(("name", text(name)));
    }
    if let Some(chunks) = chunks {
        let chunks = i32::try_from(chunks).expect("chunk count");
        out.push(("chunkCount", Value::Int(chunks)));
    }
    out.extend(values);
    out
}

/// `canonical` with the pixel type of every channel of a channel list
/// replaced by null, as PyPI's OpenEXR reports them.
fn without_pixel_types(canonical: Json) -> Json {
    match canonical {
        Json::Array(mut items) if items.first() == Some(&Json::from("chlist")) => {
            for entry in &mut items[1..] {
                if let Json::Array(fields) = entry {
                    fields[1] = Json::Null;
                }
            }
            Json::Array(items)
        }
        other => other,
    }
}

/// Attribute values one reader reported as written.
#[derive(Default)]
struct AttributeTally {
    values: usize,
    parts: usize,
    files: usize,
    types: BTreeSet<&'static str>,
}

/// Compares what `reader` reported for `file` (one entry of a reference
/// tool's JSON) with the attributes each part was written with, recording
/// mismatches; channel pixel types only when `pixel_types`.
fn compare_attributes(
    reader: &str,
    file: &str,
    report: &Json,
    expected: &[Vec<(&'static str, Value)>],
    pixel_types: bool,
    tally: &mut AttributeTally,
    mismatches: &mut Vec<String>,
) {
    let Some(parts) = report.get("parts") else {
        mismatches.push(format!(
            "{reader} refuses {file}: {:?}",
            report.get("error")
        ));
        return;
    };
    if parts.items().len() != expected.len() {
        mismatches.push(format!(
            "{reader} reads {} parts in {file}",
            parts.items().len()
        ));
        return;
    }
    tally.files += 1;
    for (p, (got, want)) in parts.items().iter().zip(expected).enumerate() {
        tally.parts += 1;
        let Json::Object(members) = got else {
            panic!("{reader}: part {p} of {file} is not an object");
        };
        let got_names: BTreeSet<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
        let want_names: BTreeSet<&str> = want.iter().map(|(n, _)| *n).collect();
        if got_names != want_names {
            mismatches.push(format!(
                "{reader}: {file} part {p} has attributes {:?} it was not written with and lacks {:?}",
                got_names.difference(&want_names).collect::<Vec<_>>(),
                want_names.difference(&got_names).collect::<Vec<_>>()
            ));
        }
        for (name, value) in want {
            let mut canonical = attributes::canonical(value);
            if !pixel_types {
                canonical = without_pixel_types(canonical);
            }
            match got.get(name) {
                Some(reported) if *reported == canonical => {
                    tally.values += 1;
                    tally.types.insert(value.type_name());
                }
                Some(reported) => mismatches.push(format!(
                    "{reader}: {file} part {p} {name} reads as {reported:?}, written {canonical:?}"
                )),
                None => {}
            }
        }
    }
}

#[test]
fn written_files_read_back_everywhere_with_the_written_values() {
    let written = written();
    let dir = &written.dir;
    // deepImageState, which PyPI's OpenEXR cannot read, in a file of its
    // own: a part for each of its four values.
    let state_file = dir.join("deep_image_state.exr");
    let state_parts: Vec<(PartDesc, Vec<Channel>)> = (0..4)
        .map(|k| {
            let mut desc = PartDesc::scanline(Box2i {
                min_x: 0,
                min_y: 0,
                max_x: 3,
                max_y: 2,
            });
            desc.name = Some(format!("state{k}"));
            (desc, vec![channel("Y", PixelType::Float, 1)])
        })
        .collect();
    let state_values = |p: usize| -> Vec<(&'static str, Value)> {
        let state = u8::try_from(p).expect("state");
        attributes::values()
            .into_iter()
            .map(|(name, v)| match v {
                Value::DeepImageState(_) => (name, Value::DeepImageState(state)),
                other => (name, other),
            })
            .collect()
    };
    write_file(&state_file, &state_parts, state_values, |_, _, _, _, w| {
        vec![0; 4 * (w.max_x - w.min_x + 1) as usize * (w.max_y - w.min_y + 1) as usize]
    });
    let expect = |path: &Path,
                  parts: &[(PartDesc, Vec<Channel>)],
                  values: &dyn Fn(usize) -> Vec<(&'static str, Value)>| {
        let reader = Reader::open(path, ReadOptions::default()).expect("exrkit reads it");
        parts
            .iter()
            .enumerate()
            .map(|(p, (desc, channels))| {
                let chunks = (parts.len() > 1)
                    .then(|| reader.header(p).expect("part").geometry().chunk_count());
                written_attributes(desc, channels, values(p), chunks)
            })
            .collect::<Vec<_>>()
    };
    let matrix = matrix_values();
    let mut expected: Vec<Vec<Vec<(&'static str, Value)>>> = written
        .cases
        .iter()
        .zip(&written.files)
        .map(|(case, path)| expect(path, &case.parts, &|_| matrix.clone()))
        .collect();
    expected.push(expect(&state_file, &state_parts, &state_values));
    let mut files = written.files.clone();
    files.push(state_file.clone());
    let (pypi, cpp) = std::thread::scope(|s| {
        let pypi =
            s.spawn(|| common::openexr_attributes(&dir.join("pypi_attributes.json"), &files));
        let cpp = s.spawn(|| {
            let program = common::openexr_program("openexr_ref")?;
            let out = dir.join("cpp_attributes.json");
            let mut args = vec![std::ffi::OsStr::new("attributes"), out.as_os_str()];
            args.extend(files.iter().map(|f| f.as_os_str()));
            common::run_program(&program, &args)
                .then(|| common::json::parse(&std::fs::read_to_string(&out).expect("JSON")))
        });
        (joined(pypi), joined(cpp))
    });
    let name = |path: &Path| {
        path.file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned()
    };
    let mut mismatches = Vec::new();
    let mut pypi_refusal = None;
    let mut tallies = Vec::new();
    for (reader, report, pixel_types) in [
        ("PyPI OpenEXR 3.5", pypi, false),
        ("OpenEXR 3.1.5 (C++)", cpp, true),
    ] {
        let Some(report) = report else { continue };
        assert_eq!(
            report.items().len(),
            files.len(),
            "{reader}: one entry per file"
        );
        let mut tally = AttributeTally::default();
        for ((path, entry), want) in files.iter().zip(report.items()).zip(&expected) {
            let refusal = entry.get("error");
            if !pixel_types && *path == state_file {
                if let Some(Json::Str(message)) = refusal {
                    if message.contains("unsupported attribute type: deepImageState") {
                        pypi_refusal = Some(message.clone());
                        continue;
                    }
                }
            }
            compare_attributes(
                reader,
                &name(path),
                entry,
                want,
                pixel_types,
                &mut tally,
                &mut mismatches,
            );
        }
        tallies.push((reader, tally));
    }
    mismatches.extend(exrheader_rejections(std::slice::from_ref(&state_file)));
    for (reader, tally) in &tallies {
        println!(
            "{reader} read {} attribute values of {} parts of {} files exactly as written; types: {}",
            tally.values,
            tally.parts,
            tally.files,
            tally.types.iter().copied().collect::<Vec<_>>().join(" ")
        );
    }
    if let Some(message) = &pypi_refusal {
        println!(
            "PyPI OpenEXR 3.5 refuses {}: {message}; it reports no channel pixel types either, so OpenEXR 3.1.5 alone checks deepImageState and pixel types",
            name(&state_file)
        );
    }
    println!("attribute mismatches: {}", mismatches.len());
    for m in mismatches.iter().take(20) {
        println!("  {m}");
    }
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
    let every: BTreeSet<&str> = attributes::values()
        .iter()
        .map(|(_, v)| v.type_name())
        .collect();
    for (reader, tally) in &tallies {
        let missed: Vec<_> = every.difference(&tally.types).collect();
        let allowed: &[&str] = if pypi_refusal.is_some() && reader.starts_with("PyPI") {
            &["deepImageState"]
        } else {
            &[]
        };
        assert!(
            missed.iter().all(|t| allowed.contains(t)),
            "{reader} checked no value of {missed:?}"
        );
    }
}

#[test]
fn sample_images_rewrap_chunk_for_chunk_with_copied_headers() {
    let Some(files) = common::sample_images() else {
        return;
    };
    let (mut rewrapped, mut channels) = (0, 0);
    for file in &files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        if reader.headers().iter().any(|h| h.storage().is_deep()) {
            continue;
        }
        let mut writer = Writer::to_memory(WriteOptions::default());
        for header in reader.headers() {
            writer.copy_header(header).expect("copy header");
        }
        writer.write_header().expect("header");
        let mut buf = Vec::new();
        for (p, header) in reader.headers().iter().enumerate() {
            for chunk in 0..header.geometry().chunk_count() {
                let info = reader.chunk_info(p, chunk).expect("chunk");
                buf.resize(info.payload_size() as usize, 0);
                reader.read_chunk(p, chunk, &mut buf).expect("read chunk");
                writer.write_chunk(p, chunk, &buf).expect("write chunk");
            }
        }
        writer.finish().expect("finish");
        let copy = Reader::from_bytes(
            writer.bytes().expect("bytes").to_vec(),
            ReadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: the copy does not open: {e}", file.display()));
        for (p, (a, b)) in reader.headers().iter().zip(copy.headers()).enumerate() {
            let names = |h: &exrkit::meta::header::Header| {
                let mut v: Vec<(Vec<u8>, Vec<u8>)> = h
                    .attributes()
                    .iter()
                    // The writer derives these; older files lack them.
                    .filter(|x| !matches!(x.name.as_bytes(), b"chunkCount" | b"type"))
                    .map(|x| (x.name.as_bytes().to_vec(), x.data.as_bytes().to_vec()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(
                names(a),
                names(b),
                "{} part {p}: attributes",
                file.display()
            );
            for (lx, ly, window) in levels(a) {
                // Both decodes start from different bytes, so samples left
                // unwritten show.
                let planes = [(&reader, 0u8), (&copy, 1u8)].map(|(r, start)| {
                    let mut buffers = ChannelBuffers::new(a.channels(), window).expect("buffers");
                    for buffer in &mut buffers.buffers {
                        buffer.fill(start);
                    }
                    let mut fb = buffers.frame_buffer().expect("frame buffer");
                    r.decode_image(p, lx, ly, &mut fb).expect("decode");
                    drop(fb);
                    buffers.buffers
                });
                for (c, ch) in a.channels().iter().enumerate() {
                    assert!(
                        planes[0][c] == planes[1][c],
                        "{} part {p} level ({lx}, {ly}) channel {}",
                        file.display(),
                        ch.name
                    );
                    channels += 1;
                }
            }
        }
        rewrapped += 1;
    }
    println!(
        "rewrapped {rewrapped} sample files chunk for chunk; {channels} channel levels identical"
    );
    assert!(rewrapped > 50);
}
