//! Files exrkit writes, read back by exrkit, by PyPI OpenEXR 3.5, by the
//! system's C++ OpenEXR 3.1.5 (tests/support/openexr_ref.cpp, for the
//! attribute values PyPI OpenEXR cannot read) and by exrheader: every
//! codec, storage and level layout, rounding mode, line order, sample type,
//! subsampling and multipart, every part carrying every standard attribute
//! type, with the pixels and attribute values that were written.

mod common;

use common::attributes;
use common::json::Json;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::encode::Value;
use exrkit::meta::text::Text;
use exrkit::meta::types::{
    Box2i, LevelMode, LineOrder, PixelType, RoundingMode, Storage, TileDesc,
};
use exrkit::pixels::FrameBuffer;
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
/// with OpenEXR's decode of the same file instead of with what was written.
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
    let w = exrkit::chunk::sampled_count(window.min_x, window.max_x, channel.x_sampling);
    let h = exrkit::chunk::sampled_count(window.min_y, window.max_y, channel.y_sampling);
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
fn write_file(
    path: &Path,
    parts: &[(PartDesc, Vec<Channel>)],
    values: impl Fn(usize) -> Vec<(&'static str, Value)>,
    samples: impl Fn(usize, usize, u32, u32, Box2i) -> Vec<u8>,
) {
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
    for (p, (_, channels)) in parts.iter().enumerate() {
        for (lx, ly, window) in levels(&writer.header(p).expect("header")) {
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
    }
    writer.finish().expect("finish");
}

/// The matrix as written, once, for the tests that read it.
struct Written {
    /// The scratch folder.
    dir: PathBuf,
    /// The matrix.
    cases: Vec<Case>,
    /// Each case's file.
    files: Vec<PathBuf>,
}

/// The matrix's files, written by the first test that asks.
fn written() -> &'static Written {
    static WRITTEN: OnceLock<Written> = OnceLock::new();
    WRITTEN.get_or_init(|| {
        let dir = common::scratch_dir("writing");
        let cases = cases();
        let values = matrix_values();
        let mut files = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let path = dir.join(format!("{}.exr", case.name));
            write_file(
                &path,
                &case.parts,
                |_| values.clone(),
                |p, c, lx, ly, window| expected(seed(i, p, c, lx, ly), &case.parts[p].1[c], window),
            );
            files.push(path);
        }
        Written { dir, cases, files }
    })
}

/// Waits for a thread, passing its panic on.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
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

#[test]
fn written_files_read_back_everywhere_with_the_written_pixels() {
    let written = written();
    let (dir, cases, files) = (&written.dir, &written.cases, &written.files);
    let mut compared = 0;
    for (i, (case, path)) in cases.iter().zip(files).enumerate() {
        let reader = Reader::open(path, ReadOptions::default()).expect("exrkit reads it");
        for (p, (_, channels)) in case.parts.iter().enumerate() {
            let header = reader.header(p).expect("part");
            for (lx, ly, window) in levels(header) {
                for (c, ch) in channels.iter().enumerate() {
                    let want = expected(seed(i, p, c, lx, ly), ch, window);
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
                    if lossy(header.compression(), ch.pixel_type) {
                        continue;
                    }
                    assert!(
                        got == want,
                        "{}: part {p} level ({lx}, {ly}) channel {}",
                        case.name,
                        ch.name
                    );
                    compared += 1;
                }
            }
        }
    }
    let rejections = exrheader_rejections(files);
    assert!(rejections.is_empty(), "{rejections:?}");
    println!(
        "exrkit read back {compared} channel levels of {} files",
        files.len()
    );
    let Some(reference) = common::openexr_decode(&dir.join("ref"), files) else {
        return;
    };
    let (mut checked, mut lossy_checked) = (0, 0);
    for r in &reference {
        assert_ne!(
            r.pixel_type,
            "error",
            "OpenEXR cannot read {}: {}",
            r.file.display(),
            r.name
        );
        let i = files
            .iter()
            .position(|f| *f == r.file)
            .expect("listed file");
        let (_, channels) = &cases[i].parts[r.part];
        let c = channels
            .iter()
            .position(|ch| ch.name.to_string() == r.name)
            .expect("channel written");
        let reader = Reader::open(&r.file, ReadOptions::default()).expect("open");
        let header = reader.headers()[r.part].clone();
        let ch = &channels[c];
        let mut want = expected(seed(i, r.part, c, 0, 0), ch, header.data_window());
        if lossy(header.compression(), ch.pixel_type) {
            let mut fb = FrameBuffer::new(header.data_window()).expect("window");
            fb.add_bytes(
                ch.name.as_bytes(),
                ch.pixel_type,
                &mut want,
                ch.x_sampling,
                ch.y_sampling,
                0.0,
            )
            .expect("slice");
            reader.decode_image(r.part, 0, 0, &mut fb).expect("decode");
            lossy_checked += 1;
        }
        assert!(
            r.bytes == want,
            "OpenEXR reads other pixels: {} part {} channel {}",
            r.file.display(),
            r.part,
            r.name
        );
        checked += 1;
    }
    println!(
        "PyPI OpenEXR read {checked} channels of {} files as written ({lossy_checked} lossy ones as exrkit decodes them)",
        files.len()
    );
    assert!(checked > 0);
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
        ("compression", Value::Compression(desc.compression)),
        ("dataWindow", Value::Box2i(desc.data_window)),
        ("displayWindow", Value::Box2i(desc.display_window)),
        ("lineOrder", Value::LineOrder(desc.line_order)),
        ("pixelAspectRatio", Value::Float(1.0)),
        ("screenWindowCenter", Value::V2f([0.0, 0.0])),
        ("screenWindowWidth", Value::Float(1.0)),
        ("type", text(desc.storage.type_name())),
    ];
    if let Some(tiles) = desc.tiles {
        out.push(("tiles", Value::TileDesc(tiles)));
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
                for ch in a.channels() {
                    let size =
                        exrkit::chunk::sampled_count(window.min_x, window.max_x, ch.x_sampling)
                            * exrkit::chunk::sampled_count(
                                window.min_y,
                                window.max_y,
                                ch.y_sampling,
                            );
                    let mut planes = [
                        vec![0u8; size as usize * ch.pixel_type.size()],
                        vec![1u8; size as usize * ch.pixel_type.size()],
                    ];
                    for (r, plane) in [&reader, &copy].into_iter().zip(planes.iter_mut()) {
                        let mut fb = FrameBuffer::new(window).expect("window");
                        fb.add_bytes(
                            ch.name.as_bytes(),
                            ch.pixel_type,
                            plane,
                            ch.x_sampling,
                            ch.y_sampling,
                            0.0,
                        )
                        .expect("slice");
                        r.decode_image(p, lx, ly, &mut fb).expect("decode");
                    }
                    assert!(
                        planes[0] == planes[1],
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
