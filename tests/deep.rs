//! Deep parts against OpenEXR: the deep sample images and a matrix PyPI
//! OpenEXR writes (deep scanline and tiled, every codec it allows for deep
//! data, HALF/FLOAT/UINT, sparse and dense images, multipart with flat
//! parts) decode in exrkit to exactly the samples OpenEXR reads.

mod common;

use common::rng::XorShift;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use exrkit::deep::{DeepImage, DeepSamples};
use exrkit::{ReadOptions, Reader};

/// Runs `tests/support/openexr_deep.py` with `args`, as `common::python`
/// runs scripts.
fn openexr_deep(args: &[&std::ffi::OsStr]) -> bool {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/openexr_deep.py");
    let mut all = vec![script.as_os_str()];
    all.extend_from_slice(args);
    common::python(&all)
}

/// One deep part as OpenEXR read it.
#[derive(Default)]
struct ReferencePart {
    width: usize,
    height: usize,
    /// Samples per pixel, row-major.
    counts: Vec<u32>,
    /// Each channel's type name and little-endian samples, pixel after pixel.
    channels: HashMap<String, (String, Vec<u8>)>,
}

/// OpenEXR's decode of every deep part of `files`, by (file, part), or
/// `None` where the script skips. Files OpenEXR refuses fail the test.
fn openexr_deep_decode(
    dir: &Path,
    files: &[PathBuf],
) -> Option<HashMap<(PathBuf, usize), ReferencePart>> {
    let mut args = vec![std::ffi::OsStr::new("dump"), dir.as_os_str()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    if !openexr_deep(&args) {
        return None;
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest");
    let mut parts: HashMap<(PathBuf, usize), ReferencePart> = HashMap::new();
    for line in manifest.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, part, channel, pixel_type, width, height, _samples] = fields[..] else {
            panic!("bad manifest line {line}");
        };
        assert_ne!(pixel_type, "error", "OpenEXR cannot read {file}: {channel}");
        let file = PathBuf::from(file);
        let index = files.iter().position(|f| *f == file).expect("listed file");
        let part: usize = part.parse().expect("part");
        let folder = dir.join(index.to_string()).join(part.to_string());
        let entry = parts.entry((file, part)).or_default();
        if entry.counts.is_empty() {
            entry.width = width.parse().expect("width");
            entry.height = height.parse().expect("height");
            entry.counts = std::fs::read(folder.join("counts"))
                .expect("counts")
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
        }
        let bytes = std::fs::read(folder.join(channel)).expect("samples");
        entry
            .channels
            .insert(channel.to_string(), (pixel_type.to_string(), bytes));
    }
    Some(parts)
}

/// A deep channel's samples as little-endian bytes and its type's name.
fn sample_bytes(samples: &DeepSamples) -> (&'static str, Vec<u8>) {
    match samples {
        DeepSamples::Uint(v) => ("uint", v.iter().flat_map(|s| s.to_le_bytes()).collect()),
        DeepSamples::Half(v) => ("half", v.iter().flat_map(|s| s.to_le_bytes()).collect()),
        DeepSamples::Float(v) => ("float", v.iter().flat_map(|s| s.to_le_bytes()).collect()),
    }
}

/// The differences between an exrkit decode and OpenEXR's, one line each.
fn differences(image: &DeepImage, reference: &ReferencePart) -> Vec<String> {
    let mut found = Vec::new();
    let window = image.window();
    if (window.width() as usize, window.height() as usize) != (reference.width, reference.height) {
        found.push(format!(
            "window {window:?}, OpenEXR {} x {}",
            reference.width, reference.height
        ));
        return found;
    }
    let counts: Vec<u32> = image
        .offsets()
        .windows(2)
        .map(|w| (w[1] - w[0]) as u32)
        .collect();
    if counts != reference.counts {
        let at = counts
            .iter()
            .zip(&reference.counts)
            .position(|(a, b)| a != b);
        found.push(format!("sample counts differ, first at pixel {at:?}"));
    }
    if image.channels().len() != reference.channels.len() {
        found.push(format!(
            "{} channels, OpenEXR {}",
            image.channels().len(),
            reference.channels.len()
        ));
    }
    for channel in image.channels() {
        let name = channel.name().to_string();
        let Some((their_type, theirs)) = reference.channels.get(&name) else {
            found.push(format!("channel {name} missing in OpenEXR"));
            continue;
        };
        let (our_type, ours) = sample_bytes(channel.samples());
        if our_type != their_type || ours != *theirs {
            found.push(format!(
                "channel {name}: {our_type} samples ({} bytes) differ from OpenEXR's {their_type} ({} bytes)",
                ours.len(),
                theirs.len()
            ));
        }
    }
    found
}

/// The deep parts of `path` as (part, level counts).
fn deep_parts(path: &Path) -> Vec<usize> {
    let reader = Reader::open(path, ReadOptions::default()).expect("open");
    reader
        .headers()
        .iter()
        .enumerate()
        .filter(|(_, h)| h.storage().is_deep())
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn deep_files_decode_to_the_samples_openexr_reads() {
    let dir = common::scratch_dir("deep_decode");
    let generated = dir.join("generated");
    if !openexr_deep(&[std::ffi::OsStr::new("matrix"), generated.as_os_str()]) {
        return;
    }
    let mut files = common::files_in(&generated, None);
    let Some(samples) = common::sample_images() else {
        return;
    };
    let sample_deep: Vec<PathBuf> = samples
        .into_iter()
        .filter(|f| {
            Reader::open(f, ReadOptions::default())
                .is_ok_and(|r| r.headers().iter().any(|h| h.storage().is_deep()))
        })
        .collect();
    assert!(
        sample_deep.len() >= 3,
        "the v2 deep sample images: {sample_deep:?}"
    );
    files.extend(sample_deep);
    let Some(reference) = openexr_deep_decode(&dir.join("ref"), &files) else {
        return;
    };
    let mut mismatches = Vec::new();
    let (mut parts, mut samples, mut channels) = (0, 0u64, 0);
    for file in &files {
        for part in deep_parts(file) {
            for threads in [1, 0] {
                let options = ReadOptions {
                    threads,
                    ..ReadOptions::default()
                };
                let reader = Reader::open(file, options).expect("open");
                let image = reader
                    .decode_deep_image(part, 0, 0)
                    .unwrap_or_else(|e| panic!("{}: part {part}: {e}", file.display()));
                let Some(theirs) = reference.get(&(file.clone(), part)) else {
                    panic!("OpenEXR gave nothing for {} part {part}", file.display());
                };
                for d in differences(&image, theirs) {
                    mismatches.push(format!(
                        "{} part {part} ({threads} threads): {d}",
                        file.display()
                    ));
                }
                if threads == 1 {
                    parts += 1;
                    samples += image.sample_count();
                    channels += image.channels().len();
                }
            }
        }
    }
    println!(
        "exrkit decoded {parts} deep parts of {} files ({channels} channels, {samples} samples) \
         as OpenEXR reads them; {} mismatches",
        files.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(parts >= 40, "only {parts} deep parts compared");
}

#[test]
fn deep_blocks_are_pieces_of_the_image() {
    let Some(dir) = common::openexr_images("v2/LowResLeftView") else {
        return;
    };
    let file = dir.join("Balls.exr");
    let reader = Reader::open(&file, ReadOptions::default()).expect("open");
    let image = reader.decode_deep_image(0, 0, 0).expect("image");
    let window = image.window();
    let count = reader.headers()[0].geometry().chunk_count();
    let mut blocks = 0;
    for chunk in (0..count).step_by(37) {
        let block = reader.decode_deep_block(0, chunk).expect("block");
        let bw = block.window();
        for y in bw.min_y..=bw.max_y {
            for x in bw.min_x..=bw.max_x {
                let i = ((y - bw.min_y) as i64 * bw.width() + (x - bw.min_x) as i64) as usize;
                let j = ((y - window.min_y) as i64 * window.width() + (x - window.min_x) as i64)
                    as usize;
                let (ours, whole) = (
                    block.pixel_samples(i).expect("pixel"),
                    image.pixel_samples(j).expect("pixel"),
                );
                assert_eq!(ours.len(), whole.len(), "pixel ({x}, {y})");
                for (a, b) in block.channels().iter().zip(image.channels()) {
                    for (s, t) in ours.clone().zip(whole.clone()) {
                        assert_eq!(
                            a.samples().get_f32(s).map(f32::to_bits),
                            b.samples().get_f32(t).map(f32::to_bits)
                        );
                    }
                }
            }
        }
        blocks += 1;
    }
    assert!(blocks > 5);
}

/// Rewrites `source` with exrkit into `target`: deep parts decoded and
/// written again through deep images, flat parts chunk for chunk.
fn rewrite(source: &Path, target: &Path, threads: u32) {
    let reader = Reader::open(source, ReadOptions::default()).expect("open");
    let options = exrkit::WriteOptions {
        threads,
        ..exrkit::WriteOptions::default()
    };
    let mut writer = exrkit::Writer::create(target, options).expect("create");
    for header in reader.headers() {
        writer.copy_header(header).expect("copy header");
    }
    writer.write_header().expect("header");
    for (part, header) in reader.headers().iter().enumerate() {
        if header.storage().is_deep() {
            let image = reader.decode_deep_image(part, 0, 0).expect("decode");
            writer
                .write_deep_image(part, 0, 0, &image)
                .unwrap_or_else(|e| panic!("{}: part {part}: {e}", source.display()));
        } else {
            for chunk in 0..header.geometry().chunk_count() {
                let info = reader.chunk_info(part, chunk).expect("chunk");
                let mut packed = vec![0u8; info.payload_size() as usize];
                reader
                    .read_located_chunk(part, &info, &mut packed)
                    .expect("read");
                writer
                    .write_chunk(part, chunk, &packed)
                    .expect("write chunk");
            }
        }
    }
    writer.finish().expect("finish");
}

#[test]
fn deep_files_exrkit_writes_read_back_in_openexr() {
    let dir = common::scratch_dir("deep_write");
    let generated = dir.join("generated");
    if !openexr_deep(&[std::ffi::OsStr::new("matrix"), generated.as_os_str()]) {
        return;
    }
    let mut originals = common::files_in(&generated, None);
    if let Some(v2) = common::openexr_images("v2/LowResLeftView") {
        originals.push(v2.join("Balls.exr"));
    }
    let written_dir = dir.join("written");
    std::fs::create_dir_all(&written_dir).expect("folder");
    let mut written = Vec::new();
    for (i, source) in originals.iter().enumerate() {
        let target = written_dir.join(source.file_name().expect("name"));
        rewrite(source, &target, [1, 0][i % 2]);
        written.push(target);
    }
    let Some(reference) = openexr_deep_decode(&dir.join("ref"), &originals) else {
        return;
    };
    let Some(read_back) = openexr_deep_decode(&dir.join("back"), &written) else {
        return;
    };
    let mut mismatches = Vec::new();
    let mut parts = 0;
    for (original, copy) in originals.iter().zip(&written) {
        for part in deep_parts(original) {
            let theirs = &reference[&(original.clone(), part)];
            let Some(back) = read_back.get(&(copy.clone(), part)) else {
                mismatches.push(format!("{}: OpenEXR lost part {part}", copy.display()));
                continue;
            };
            if back.counts != theirs.counts || back.channels != theirs.channels {
                mismatches.push(format!(
                    "{} part {part}: OpenEXR reads other samples than the original's",
                    copy.display()
                ));
            }
            let reader = Reader::open(copy, ReadOptions::default()).expect("exrkit reads it");
            let image = reader.decode_deep_image(part, 0, 0).expect("decode");
            for d in differences(&image, theirs) {
                mismatches.push(format!("{} part {part} in exrkit: {d}", copy.display()));
            }
            let most = image
                .offsets()
                .windows(2)
                .map(|w| w[1] - w[0])
                .max()
                .unwrap_or(0);
            let recorded = reader.headers()[part]
                .attributes()
                .iter()
                .find(|a| a.name.as_bytes() == b"maxSamplesPerPixel")
                .map(|a| a.data.as_bytes().to_vec());
            if recorded != Some((most as i32).to_le_bytes().to_vec()) {
                mismatches.push(format!(
                    "{} part {part}: maxSamplesPerPixel {recorded:?}, the most samples {most}",
                    copy.display()
                ));
            }
            parts += 1;
        }
        // Debian's exrheader (OpenEXR 3.1) predates ZSTD.
        let zstd = Reader::open(copy, ReadOptions::default())
            .expect("exrkit reads it")
            .headers()
            .iter()
            .any(|h| h.compression() == exrkit::meta::compression::Compression::Zstd);
        let status = std::process::Command::new("exrheader").arg(copy).output();
        if let (Ok(out), false) = (status, zstd) {
            assert!(
                out.status.success(),
                "exrheader rejects {}: {}",
                copy.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    println!(
        "PyPI OpenEXR read {parts} deep parts exrkit wrote, of {} files, with the original samples; {} mismatches",
        written.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(parts >= 38);
}

/// A small deep scanline file exrkit writes: `compression`, 6 x 4 pixels
/// with 0 to 3 samples each (24 in all), one FLOAT channel Z.
fn small_deep_file(compression: exrkit::meta::compression::Compression) -> Vec<u8> {
    use exrkit::meta::channel::Channel;
    use exrkit::meta::compression::Compression;
    use exrkit::meta::types::{Box2i, PixelType, Storage};
    // 24 pixels. ZIP's are on one line, so that its 16-line chunks and
    // ZIPS's one-line chunks are the same chunk: exrkit writes no deep ZIP
    // (OpenEXR refuses it), so a ZIP file is a ZIPS one with its
    // compression id changed.
    let (max_x, max_y) = if compression == Compression::Zip {
        (23, 0)
    } else {
        (5, 3)
    };
    let window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x,
        max_y,
    };
    let mut desc = exrkit::PartDesc::scanline(window);
    desc.storage = Storage::DeepScanline;
    desc.compression = match compression {
        Compression::Zip => Compression::Zips,
        other => other,
    };
    let mut writer = exrkit::Writer::to_memory(exrkit::WriteOptions::default());
    let part = writer.add_part(desc).expect("part");
    writer
        .add_channel(
            part,
            Channel {
                name: "Z".into(),
                pixel_type: PixelType::Float,
                p_linear: false,
                x_sampling: 1,
                y_sampling: 1,
            },
        )
        .expect("channel");
    writer.write_header().expect("header");
    let counts: Vec<u32> = (0..24).map(|i| [0, 1, 2, 3][i % 4]).collect();
    let channels = [("Z".into(), PixelType::Float)];
    let mut image = DeepImage::new(window, &channels, &counts).expect("image");
    if let exrkit::deep::DeepSamplesMut::Float(z) = image.channels_mut()[0].samples_mut() {
        for (i, s) in z.iter_mut().enumerate() {
            *s = i as f32;
        }
    }
    writer.write_deep_image(0, 0, 0, &image).expect("write");
    writer.finish().expect("finish");
    let mut bytes = writer.bytes().expect("bytes").to_vec();
    if compression == Compression::Zip {
        let attribute = b"compression\0compression\0\x01\0\0\0";
        let at = bytes
            .windows(attribute.len())
            .position(|w| w == attribute)
            .expect("the compression attribute")
            + attribute.len();
        assert_eq!(bytes[at], Compression::Zips as u8);
        bytes[at] = Compression::Zip as u8;
    }
    bytes
}

/// The error decoding `bytes` as a deep image with `options`.
fn deep_error(bytes: Vec<u8>, options: ReadOptions) -> exrkit::Error {
    let reader = Reader::from_bytes(bytes, options).expect("the header is intact");
    reader
        .decode_deep_image(0, 0, 0)
        .expect_err("the damage is found")
}

#[test]
fn lying_sample_tables_are_refused_before_allocating() {
    use exrkit::meta::compression::Compression;
    let good = small_deep_file(Compression::None);
    let reader = Reader::from_bytes(good.clone(), ReadOptions::default()).expect("open");
    assert_eq!(
        reader
            .decode_deep_image(0, 0, 0)
            .expect("decode")
            .sample_count(),
        36
    );
    // Chunk 1 is line 1: pixels 6..12 with counts 2, 3, 0, 1, 2, 3.
    let info = reader.chunk_info(0, 1).expect("chunk");
    let table = info.data_offset as usize;
    let leader_sizes = table - 24;
    let put = |bytes: &mut Vec<u8>, at: usize, v: &[u8]| bytes[at..at + v.len()].copy_from_slice(v);

    let mut decreasing = good.clone();
    put(&mut decreasing, table + 4, &1i32.to_le_bytes());
    let e = deep_error(decreasing, ReadOptions::default());
    assert!(matches!(e, exrkit::Error::Corrupt(_)), "{e}");
    assert!(e.to_string().contains("chunk 1"), "{e}");

    let mut negative = good.clone();
    put(&mut negative, table, &(-5i32).to_le_bytes());
    let e = deep_error(negative, ReadOptions::default());
    assert!(matches!(e, exrkit::Error::Corrupt(_)), "{e}");

    // A line claiming 2^31 - 1 samples: its data would be 8 GiB.
    let mut overflowing = good.clone();
    put(&mut overflowing, table + 20, &i32::MAX.to_le_bytes());
    let e = deep_error(overflowing, ReadOptions::default());
    assert!(matches!(e, exrkit::Error::Corrupt(_)), "{e}");

    // Sizes in the leader that agree with such a table but not with the
    // bytes the chunk holds.
    let mut claiming = good.clone();
    put(&mut claiming, table + 20, &i32::MAX.to_le_bytes());
    let huge = i64::from(i32::MAX) * 4;
    put(&mut claiming, leader_sizes + 16, &huge.to_le_bytes());
    let e = deep_error(claiming, ReadOptions::default());
    assert!(matches!(e, exrkit::Error::Corrupt(_)), "{e}");

    let limited = ReadOptions {
        max_deep_samples: 20,
        ..ReadOptions::default()
    };
    let e = deep_error(good, limited);
    assert!(matches!(e, exrkit::Error::LimitExceeded(_)), "{e}");
}

#[test]
fn every_deep_codec_round_trips() {
    use exrkit::meta::compression::Compression;
    // ZIP: OpenEXR 3.5 opens deep data in NONE, RLE, ZIPS and ZSTD only,
    // but other writers use ZIP (16 lines per chunk) too.
    for compression in [
        Compression::None,
        Compression::Rle,
        Compression::Zips,
        Compression::Zip,
        Compression::Zstd,
    ] {
        let bytes = small_deep_file(compression);
        let reader = Reader::from_bytes(bytes, ReadOptions::default()).expect("open");
        assert_eq!(reader.headers()[0].compression(), compression);
        let image = reader.decode_deep_image(0, 0, 0).expect("decode");
        let counts: Vec<u64> = image.offsets().windows(2).map(|w| w[1] - w[0]).collect();
        let expected: Vec<u64> = (0..24).map(|i| [0, 1, 2, 3][i % 4]).collect();
        assert_eq!(counts, expected, "{compression:?}");
        let Some(DeepSamples::Float(z)) = image.channel(b"Z").map(|c| c.samples()) else {
            panic!("{compression:?}: no FLOAT channel Z");
        };
        assert!(
            z.iter().enumerate().all(|(i, &s)| s == i as f32),
            "{compression:?}"
        );
    }
}

#[test]
fn deep_parts_are_written_only_in_codecs_openexr_opens() {
    use exrkit::meta::compression::Compression;
    use exrkit::meta::types::{Box2i, Storage};
    let window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: 7,
        max_y: 7,
    };
    for compression in Compression::EXR_ALL {
        let mut desc = exrkit::PartDesc::scanline(window);
        desc.storage = Storage::DeepScanline;
        desc.compression = compression;
        let mut writer = exrkit::Writer::to_memory(exrkit::WriteOptions::default());
        let added = writer.add_part(desc);
        if exrkit::PartDesc::DEEP_COMPRESSIONS.contains(&compression) {
            added.unwrap_or_else(|e| panic!("{compression:?}: {e}"));
            continue;
        }
        let Err(exrkit::Error::InvalidArgument(message)) = added else {
            panic!("{compression:?} deep: {added:?}");
        };
        assert_eq!(
            message,
            format!(
                "{} compression is not written for deep parts: OpenEXR 3.5 opens deep data in none, rle, zips, zstd only",
                compression.name()
            )
        );
    }
}

#[test]
fn mutated_deep_files_fail_cleanly() {
    use exrkit::meta::compression::Compression;
    let mut decoded = 0;
    let mut failed = 0;
    for compression in [
        Compression::None,
        Compression::Rle,
        Compression::Zips,
        Compression::Zip,
        Compression::Zstd,
    ] {
        let good = small_deep_file(compression);
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut state = 0;
        for round in 0..400 {
            let mut bytes = good.clone();
            for _ in 0..1 + round % 4 {
                state = rng.next();
                let at = (state % bytes.len() as u64) as usize;
                bytes[at] = (state >> 32) as u8;
            }
            if round % 7 == 0 {
                bytes.truncate((state % bytes.len() as u64) as usize);
            }
            let Ok(reader) = Reader::from_bytes(bytes, ReadOptions::default()) else {
                failed += 1;
                continue;
            };
            match reader.decode_deep_image(0, 0, 0) {
                Ok(image) => {
                    assert!(image.sample_count() < 1 << 20);
                    decoded += 1;
                }
                Err(_) => failed += 1,
            }
            let _ = reader.decode_deep_block(0, 1);
        }
    }
    println!("mutated deep files: {decoded} decoded, {failed} refused");
    assert!(failed > 100 && decoded > 100);
}

#[test]
fn deep_tiled_levels_round_trip() {
    use exrkit::meta::channel::Channel;
    use exrkit::meta::types::{Box2i, LevelMode, PixelType, RoundingMode, Storage, TileDesc};
    let window = Box2i {
        min_x: -3,
        min_y: 2,
        max_x: 27,
        max_y: 18,
    };
    for (mode, rounding) in [
        (LevelMode::Mipmap, RoundingMode::Down),
        (LevelMode::Ripmap, RoundingMode::Up),
    ] {
        let mut desc = exrkit::PartDesc::scanline(window);
        desc.storage = Storage::DeepTiled;
        desc.compression = exrkit::meta::compression::Compression::Rle;
        desc.tiles = Some(TileDesc {
            width: 8,
            height: 4,
            level_mode: mode,
            rounding_mode: rounding,
        });
        let mut writer = exrkit::Writer::to_memory(exrkit::WriteOptions::default());
        writer.add_part(desc).expect("part");
        for (name, pixel_type) in [("A", PixelType::Half), ("Z", PixelType::Float)] {
            writer
                .add_channel(
                    0,
                    Channel {
                        name: name.into(),
                        pixel_type,
                        p_linear: false,
                        x_sampling: 1,
                        y_sampling: 1,
                    },
                )
                .expect("channel");
        }
        writer.write_header().expect("header");
        let header = writer.header(0).expect("header");
        let (levels_x, levels_y) = header.geometry().level_counts();
        let mut written = Vec::new();
        for ly in 0..levels_y {
            for lx in 0..levels_x {
                if mode == LevelMode::Mipmap && lx != ly {
                    continue;
                }
                let (w, h) = header.geometry().level_size(lx, ly).expect("level");
                let level = Box2i {
                    min_x: window.min_x,
                    min_y: window.min_y,
                    max_x: window.min_x + w as i32 - 1,
                    max_y: window.min_y + h as i32 - 1,
                };
                let counts: Vec<u32> = (0..w * h)
                    .map(|i| ((i * 7 + lx as u64) % 5) as u32)
                    .collect();
                let channels = [
                    ("A".into(), PixelType::Half),
                    ("Z".into(), PixelType::Float),
                ];
                let mut image = DeepImage::new(level, &channels, &counts).expect("image");
                if let exrkit::deep::DeepSamplesMut::Float(z) =
                    image.channels_mut()[1].samples_mut()
                {
                    for (i, s) in z.iter_mut().enumerate() {
                        *s = (i as f32) * 0.5 + ly as f32;
                    }
                }
                writer
                    .write_deep_image(0, lx, ly, &image)
                    .expect("write level");
                written.push(((lx, ly), image));
            }
        }
        writer.finish().expect("finish");
        let bytes = writer.bytes().expect("bytes").to_vec();
        let reader = Reader::from_bytes(bytes, ReadOptions::default()).expect("open");
        for ((lx, ly), image) in &written {
            let back = reader.decode_deep_image(0, *lx, *ly).expect("decode level");
            assert_eq!(&back, image, "{mode:?} level ({lx}, {ly})");
        }
        assert!(written.len() > 4);
    }
}
