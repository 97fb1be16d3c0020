//! Random damage to chunk data never panics the decoders, and never
//! changes a pixel outside the damaged chunk: every codec, on sample images
//! and on small files PyPI OpenEXR writes.

mod common;

use common::rng::XorShift;

use std::path::PathBuf;

use exrkit::meta::compression::Compression;
use exrkit::meta::types::Box2i;
use exrkit::pixels::FrameBuffer;
use exrkit::{ReadOptions, Reader};

/// Mutated copies decoded per file.
const MUTATIONS: usize = 20;

/// Every channel of level 0 of `part` as f32 planes (damaged chunks at NaN
/// bits 0x7fc0_dead so they stand out), plus whether the decode succeeded.
fn decode(reader: &Reader, part: usize) -> (Vec<Vec<u32>>, bool) {
    let header = reader.header(part).expect("part");
    let window = header.data_window();
    let mut planes: Vec<Vec<f32>> = header
        .channels()
        .iter()
        .map(|_| vec![0f32; window.area() as usize])
        .collect();
    let names: Vec<String> = header
        .channels()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    let mut fb = FrameBuffer::new(window).expect("window");
    for (name, plane) in names.iter().zip(planes.iter_mut()) {
        fb.add(name, plane, f64::from(f32::from_bits(0x7fc0_dead)))
            .expect("slice");
    }
    let ok = reader.decode_image(part, 0, 0, &mut fb).is_ok();
    drop(fb);
    let mut rgba = vec![0f32; window.area() as usize * 4];
    let _ = reader.decode_rgba(part, window, &mut rgba);
    let bits = planes
        .into_iter()
        .map(|p| p.into_iter().map(f32::to_bits).collect())
        .collect();
    (bits, ok)
}

/// How the damaged copies of one flat part decoded.
struct Outcome {
    compression: Compression,
    failed: usize,
    decoded: usize,
}

/// Damages `MUTATIONS` copies of each flat part of the file, checking each
/// decode; returns how each part's copies decoded.
fn mutate_file(path: &PathBuf, seed: u64) -> Vec<Outcome> {
    let bytes = std::fs::read(path).expect("read");
    let pristine = Reader::from_bytes(bytes.clone(), ReadOptions::default()).expect("open");
    let mut rng = XorShift(seed);
    let mut outcomes = Vec::new();
    for part in 0..pristine.headers().len() {
        let header = pristine.header(part).expect("part");
        if header.storage().is_deep() {
            continue;
        }
        let (mut failed, mut decoded) = (0, 0);
        let (expected, ok) = decode(&pristine, part);
        assert!(ok, "{}: pristine part {part} decodes", path.display());
        let level0: Vec<u64> = (0..header.geometry().chunk_count())
            .filter(|&i| {
                header
                    .geometry()
                    .chunk_region(i)
                    .is_some_and(|r| (r.level_x, r.level_y) == (0, 0))
            })
            .collect();
        let window = header.data_window();
        let reach = header
            .channels()
            .iter()
            .map(|c| c.y_sampling.max(c.x_sampling))
            .max()
            .unwrap_or(1);
        for _ in 0..MUTATIONS {
            let chunk = level0[rng.below(level0.len())];
            let info = pristine.chunk_info(part, chunk).expect("chunk");
            let mut damaged = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                let at = info.data_offset as usize + rng.below(info.payload_size() as usize);
                damaged[at] = match rng.below(4) {
                    0 => 0,
                    1 => 0xff,
                    _ => damaged[at] ^ (1 << rng.below(8)),
                };
            }
            let reader = Reader::from_bytes(damaged, ReadOptions::default()).expect("reopen");
            let (planes, ok) = decode(&reader, part);
            if ok {
                decoded += 1;
            } else {
                failed += 1;
            }
            // Pixels a subsampled sample of the chunk may spread to count as
            // the chunk's.
            let r = info.region.pixels;
            let touched = Box2i {
                min_x: r.min_x - reach,
                min_y: r.min_y - reach,
                max_x: r.max_x + reach,
                max_y: r.max_y + reach,
            };
            let width = window.width() as usize;
            for (c, (got, want)) in planes.iter().zip(&expected).enumerate() {
                for (i, (g, w)) in got.iter().zip(want).enumerate() {
                    let x = window.min_x + (i % width) as i32;
                    let y = window.min_y + (i / width) as i32;
                    let inside = (touched.min_x..=touched.max_x).contains(&x)
                        && (touched.min_y..=touched.max_y).contains(&y);
                    assert!(
                        inside || g == w,
                        "{} part {part}: damage to chunk {chunk} changed channel {c} at ({x}, {y})",
                        path.display()
                    );
                }
            }
        }
        outcomes.push(Outcome {
            compression: header.compression(),
            failed,
            decoded,
        });
    }
    outcomes
}

#[test]
fn damaged_chunk_data_stays_inside_its_chunk() {
    let Some(dir) = common::openexr_images("") else {
        return;
    };
    let mut files: Vec<PathBuf> = [
        "TestImages/stripes.exr",
        "TestImages/GrayRampsHorizontal.exr",
        "MultiResolution/MirrorPattern.exr",
        "LuminanceChroma/Flowers.exr",
        "v2/LowResLeftView/composited.exr",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    let generated = common::scratch_dir("decode-mutations");
    let args = [
        "matrix".as_ref(),
        generated.as_os_str(),
        "none".as_ref(),
        "rle".as_ref(),
        "b44".as_ref(),
        "b44a".as_ref(),
        "zstd".as_ref(),
    ];
    if common::openexr_ref(&args) {
        for name in ["none", "rle", "b44", "b44a", "zstd"] {
            files.push(generated.join(format!("{name}_mixed_scan_inc.exr")));
            files.push(generated.join(format!("{name}_multipart.exr")));
        }
    }
    let (mut failed, mut decoded) = (0, 0);
    for (i, file) in files.iter().enumerate() {
        for (part, outcome) in mutate_file(file, 0x2545_f491_4f6c_dd1d ^ i as u64)
            .iter()
            .enumerate()
        {
            let Outcome {
                compression,
                failed: part_failed,
                decoded: part_decoded,
            } = *outcome;
            println!(
                "{} part {part} ({compression:?}): {part_failed} damaged decodes reported an error, {part_decoded} decoded",
                file.display()
            );
            assert_eq!(part_failed + part_decoded, MUTATIONS);
            match compression {
                // Any bytes are valid uncompressed samples: nothing to detect.
                Compression::None => assert_eq!(
                    part_failed,
                    0,
                    "{} part {part}: a damaged uncompressed chunk must still decode",
                    file.display()
                ),
                // Deflate's checksum and PIZ's Huffman and range checks see
                // damage: some of the damaged copies must fail.
                Compression::Zip | Compression::Zips | Compression::Piz => assert!(
                    part_failed > 0,
                    "{} part {part}: no damage to {compression:?} data was detected",
                    file.display()
                ),
                _ => {}
            }
            failed += part_failed;
            decoded += part_decoded;
        }
    }
    assert!(
        failed > 0 && decoded > 0,
        "{failed} damaged decodes failed, {decoded} decoded"
    );
}
