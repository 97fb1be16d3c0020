//! Files exrkit writes, read back by exrkit, by PyPI OpenEXR and by
//! exrheader: every storage and level layout, line order, sample type,
//! subsampling and multipart, with the pixels that were written.

mod common;

use std::path::Path;

use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
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

fn write_case(index: usize, case: &Case, path: &Path) {
    let mut writer = Writer::create(path, WriteOptions::default()).expect("create");
    for (desc, channels) in &case.parts {
        let part = writer.add_part(desc.clone()).expect("part");
        for c in channels {
            writer.add_channel(part, c.clone()).expect("channel");
        }
    }
    writer.write_header().expect("header");
    for (p, (_, channels)) in case.parts.iter().enumerate() {
        let header = writer.header(p).expect("header");
        for (lx, ly, window) in levels(&header) {
            let mut planes: Vec<Vec<u8>> = channels
                .iter()
                .enumerate()
                .map(|(c, ch)| expected(seed(index, p, c, lx, ly), ch, window))
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

#[test]
fn written_files_read_back_everywhere_with_the_written_pixels() {
    let dir = common::scratch_dir("writing");
    let cases = cases();
    let mut files = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let path = dir.join(format!("{}.exr", case.name));
        write_case(i, case, &path);
        files.push(path);
    }
    let mut compared = 0;
    for (i, (case, path)) in cases.iter().zip(&files).enumerate() {
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
        let status = std::process::Command::new("exrheader").arg(path).output();
        match status {
            Ok(out) => assert!(
                out.status.success(),
                "exrheader rejects {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "exrheader missing in CI: {e}"
            ),
        }
    }
    println!(
        "exrkit read back {compared} channel levels of {} files",
        files.len()
    );
    let Some(reference) = common::openexr_decode(&dir.join("ref"), &files) else {
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
