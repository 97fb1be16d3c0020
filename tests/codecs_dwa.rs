//! DWAA and DWAB against OpenEXR: a matrix of files PyPI OpenEXR writes
//! (both codecs, scanline and tiled with mipmaps, HALF, FLOAT and UINT
//! channels, odd sizes and negative origins, the channel sets DWA treats
//! differently, pLinear channels and compression levels) unpacks chunk by
//! chunk to exactly the samples OpenEXR decodes; hostile chunks, among them
//! the inputs of OpenEXR's DWA size-validation fixes, fail cleanly.

mod common;

use std::path::{Path, PathBuf};

use common::rng::XorShift;
use exrkit::codec::{self, BlockLayout, Scratch};
use exrkit::meta::compression::Compression;
use exrkit::{Error, ReadOptions, Reader};

/// Writes the matrix with PyPI OpenEXR into `sys.argv[1]`.
const GENERATE: &str = r#"
import os, sys
import numpy as np
import OpenEXR

out = sys.argv[1]
rng = np.random.default_rng(13)

def values(dtype, h, w, specials=True):
    y, x = np.mgrid[0:h, 0:w]
    v = (np.sin(x / 6.0) * np.cos(y / 4.0) + 1.0) * 1.5 + rng.normal(0.0, 0.03, (h, w))
    v[: h // 3, : w // 4] = 0.18
    v[h // 2 :, w // 2 :] *= 40.0
    if dtype == np.uint32:
        return (np.abs(v) * 5000).astype(np.uint32)
    v = v.astype(dtype)
    if specials:
        flat = v.reshape(-1)
        for s in [np.inf, -np.inf, np.nan, -0.0, 6e-8, -2.5, 60000.0]:
            flat[rng.integers(0, flat.size)] = s
    return v

SETS = {
    "rgba": lambda t, h, w: {n: values(t, h, w) for n in ["R", "G", "B", "A"]},
    "rgb_y": lambda t, h, w: {n: values(t, h, w) for n in ["R", "G", "B", "Y"]},
    "luma_chroma": lambda t, h, w: {
        "Y": values(t, h, w),
        "RY": OpenEXR.Channel(values(t, h, w), 2, 2, False),
        "BY": OpenEXR.Channel(values(t, h, w), 2, 2, False),
    },
    "layers": lambda t, h, w: {
        "diffuse.R": values(t, h, w), "diffuse.G": values(t, h, w),
        "diffuse.B": values(t, h, w), "spec.R": values(t, h, w),
        "spec.A": values(t, h, w), "beauty.Y": values(t, h, w),
    },
    "custom": lambda t, h, w: {
        "depth": values(np.float32, h, w), "id": values(np.uint32, h, w),
        "red": values(t, h, w), "mask": values(t, h, w),
    },
    "plinear": lambda t, h, w: {
        "R": OpenEXR.Channel(values(t, h, w), 1, 1, True),
        "G": OpenEXR.Channel(values(t, h, w), 1, 1, True),
        "B": OpenEXR.Channel(values(t, h, w), 1, 1, True),
        "L": OpenEXR.Channel(values(t, h, w), 1, 1, True),
        "Y": OpenEXR.Channel(values(t, h, w), 1, 1, True),
    },
    "mixed": lambda t, h, w: {
        "R": values(np.float16, h, w), "G": values(np.float32, h, w),
        "B": values(np.float16, h, w), "A": values(np.uint32, h, w),
        "Z": values(np.float32, h, w),
    },
}
SHAPES = [(67, 45, -3, -5), (129, 17, -64, -9), (9, 300, 5, -260), (1, 1, 0, 0)]
TYPES = {"half": np.float16, "float": np.float32}

index = 0
for codec, compression in [("dwaa", OpenEXR.DWAA_COMPRESSION), ("dwab", OpenEXR.DWAB_COMPRESSION)]:
    for name, make in SETS.items():
        for kind, dtype in TYPES.items():
            if name == "mixed" and kind == "float":
                continue
            for tiled in [False, True]:
                w, h, ox, oy = SHAPES[index % len(SHAPES)]
                if name == "luma_chroma":
                    w, h, ox, oy = w + w % 2, h + h % 2, ox - ox % 2, oy - oy % 2
                    if tiled:
                        continue
                header = {
                    "compression": compression,
                    "dataWindow": ((ox, oy), (ox + w - 1, oy + h - 1)),
                    "displayWindow": ((0, 0), (63, 63)),
                }
                if index % 3 == 1:
                    header["dwaCompressionLevel"] = [0.0, 10.0, 250.0][index % 3 * (index // 3) % 3]
                if tiled:
                    tiles = OpenEXR.TileDescription()
                    tiles.xSize, tiles.ySize = [(16, 8), (32, 32), (7, 5)][index % 3]
                    tiles.mode = OpenEXR.MIPMAP_LEVELS if index % 2 else OpenEXR.ONE_LEVEL
                    header["type"] = OpenEXR.tiledimage
                    header["tiles"] = tiles
                    if tiles.mode == OpenEXR.MIPMAP_LEVELS:
                        continue
                with OpenEXR.File(header, make(dtype, h, w)) as f:
                    f.write(os.path.join(out, "{}_{}_{}_{}.exr".format(
                        codec, name, kind, "tiled" if tiled else "scan")))
                index += 1
"#;

/// Runs `GENERATE` into `dir`, as `common::python` runs scripts.
fn generate(dir: &Path) -> bool {
    common::python(&["-c".as_ref(), GENERATE.as_ref(), dir.as_os_str()])
}

/// The matrix, written once per test that needs it.
fn matrix(name: &str) -> Option<(PathBuf, Vec<PathBuf>)> {
    let dir = common::scratch_dir(name);
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).expect("folder");
    if !generate(&files_dir) {
        return None;
    }
    let files = common::files_in(&files_dir, Some("exr"));
    assert!(files.len() >= 40, "only {} files", files.len());
    Some((dir, files))
}

#[test]
fn matrix_unpacks_as_openexr_decodes_it() {
    let Some((dir, files)) = matrix("codecs_dwa_matrix") else {
        return;
    };
    let channels: usize = files
        .iter()
        .map(|f| {
            let reader = Reader::open(f, ReadOptions::default()).expect("open");
            reader
                .headers()
                .iter()
                .map(|h| h.channels().len())
                .sum::<usize>()
        })
        .sum();
    let Some(tally) = common::compare::chunks_with_openexr(&dir, &files) else {
        return;
    };
    println!(
        "compared {channels} channels of {} files: {tally:?}",
        files.len()
    );
    for name in ["dwaa", "dwab"] {
        assert!(
            tally.get(name).is_some_and(|c| c.1 >= 40),
            "{name}: {tally:?}"
        );
    }
}

/// A chunk of `file`'s first part whose lossless, AC, DC and RLE sections
/// are all present, with its layout.
fn full_chunk(file: &Path) -> (Vec<u8>, BlockLayout) {
    let reader = Reader::open(file, ReadOptions::default()).expect("open");
    for index in 0..reader.headers()[0].geometry().chunk_count() {
        let (packed, layout) = common::packed_chunk(&reader, 0, index);
        let counts: Vec<u64> = packed[..88]
            .chunks_exact(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
            .collect();
        if counts[2] > 0 && counts[3] > 0 && counts[4] > 0 && counts[5] > 0 {
            return (packed, layout);
        }
    }
    panic!("{file:?} has no chunk with every section");
}

/// Unpacks `packed` as DWAB into a buffer of the layout's size.
fn unpack(layout: &BlockLayout, packed: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; layout.unpacked_size];
    codec::decompress(
        Compression::Dwab,
        layout,
        packed,
        &mut out,
        &mut Scratch::default(),
    )?;
    Ok(out)
}

fn with_count(packed: &[u8], index: usize, value: u64) -> Vec<u8> {
    let mut out = packed.to_vec();
    out[index * 8..index * 8 + 8].copy_from_slice(&value.to_le_bytes());
    out
}

/// The classes of inputs OpenEXR's DWA size-validation fixes of 2025 and
/// 2026 reject (section sizes that overflow when summed or exceed the
/// chunk, unpacked sizes larger than the block or too small for its
/// channels, short zlib and RLE streams, AC and DC counts past the block,
/// negative sizes, unknown versions and rule tables), each made from a
/// real chunk: every one is CORRUPT, none panics or allocates past the
/// block.
#[test]
fn inputs_of_openexrs_size_check_fixes_are_corrupt() {
    let Some((_, files)) = matrix("codecs_dwa_hostile") else {
        return;
    };
    let file = files
        .iter()
        .find(|f| f.ends_with("dwab_mixed_half_scan.exr"))
        .expect("mixed file");
    let (packed, layout) = full_chunk(file);
    let good = unpack(&layout, &packed).expect("the real chunk unpacks");
    assert_eq!(good.len(), layout.unpacked_size);
    let count = |i: usize| u64::from_le_bytes(packed[i * 8..i * 8 + 8].try_into().unwrap());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("version 3", with_count(&packed, 0, 3)),
        (
            "sizes summing past 2^64",
            with_count(&packed, 2, u64::MAX - 10),
        ),
        (
            "AC section past the chunk",
            with_count(&packed, 3, count(3) + 100_000),
        ),
        ("negative DC size", with_count(&packed, 4, 1 << 63)),
        (
            "lossless unpacked past the block",
            with_count(&packed, 1, 1 << 40),
        ),
        (
            "lossless unpacked short of its channels",
            with_count(&packed, 1, count(1) - 1),
        ),
        (
            "RLE expanded short of its channels",
            with_count(&packed, 7, count(7) - 1),
        ),
        (
            "RLE expanded past its channels",
            with_count(&packed, 7, count(7) + 1),
        ),
        ("RLE inflated short", with_count(&packed, 6, count(6) - 1)),
        ("RLE inflated huge", with_count(&packed, 6, u64::MAX / 2)),
        (
            "AC count past the block",
            with_count(&packed, 8, u64::MAX / 2 + 7),
        ),
        ("AC count short", with_count(&packed, 8, count(8) / 2)),
        ("DC count past the block", with_count(&packed, 9, 1 << 33)),
        ("AC words without AC data", {
            // The AC count stays; the AC section's size moves to the DC's.
            let ac = count(3);
            let moved = with_count(&packed, 3, 0);
            with_count(&moved, 4, count(4) + ac)
        }),
        ("DC count short", with_count(&packed, 9, count(9) - 2)),
        ("unknown AC coding", with_count(&packed, 10, 2)),
        ("rule table past the chunk", {
            let mut p = packed.clone();
            p[88..90].copy_from_slice(&u16::MAX.to_le_bytes());
            p
        }),
        ("rule table of 1 byte", {
            let mut p = packed.clone();
            p[88..90].copy_from_slice(&1u16.to_le_bytes());
            p
        }),
        ("truncated inside the counts", packed[..50].to_vec()),
        (
            "truncated inside the sections",
            packed[..packed.len() - 7].to_vec(),
        ),
    ];
    for (what, damaged) in &cases {
        match unpack(&layout, damaged) {
            Err(Error::Corrupt(message)) => println!("{what}: {message}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// Truncated and bit-flipped chunks of every file of the matrix unpack or
/// fail, but never panic.
#[test]
fn damaged_chunks_fail_without_panicking() {
    let Some((_, files)) = matrix("codecs_dwa_damaged") else {
        return;
    };
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut scratch = Scratch::default();
    let (mut tried, mut failed) = (0usize, 0usize);
    for file in &files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        let header = &reader.headers()[0];
        let count = header.geometry().chunk_count();
        for index in [0, count / 2, count - 1] {
            let (packed, layout) = common::packed_chunk(&reader, 0, index);
            let mut out = vec![0u8; layout.unpacked_size];
            let attempt = |damaged: &[u8]| {
                tried += 1;
                let result = codec::decompress(
                    header.compression(),
                    &layout,
                    damaged,
                    &mut out,
                    &mut scratch,
                );
                failed += usize::from(result.is_err());
            };
            common::compare::damage(&packed, &mut rng, (16, 32), attempt);
        }
    }
    println!("{failed} of {tried} damaged chunks failed to unpack");
    assert!(failed * 3 > tried, "too few damaged chunks were noticed");
}

/// DWA is not valid for deep parts: the writer refuses such a part with a
/// message, and a deep part whose header says DWA (a deep ZIPS file with
/// its compression byte changed) does not open: CORRUPT, as in OpenEXR.
#[test]
fn deep_parts_refuse_dwa() {
    use exrkit::meta::channel::Channel;
    use exrkit::meta::types::{Box2i, PixelType, Storage};
    let window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: 3,
        max_y: 2,
    };
    let write = |compression| -> exrkit::Result<Vec<u8>> {
        let mut desc = exrkit::PartDesc::scanline(window);
        desc.storage = Storage::DeepScanline;
        desc.compression = compression;
        let mut writer = exrkit::Writer::to_memory(exrkit::WriteOptions::default());
        let part = writer.add_part(desc)?;
        let z = Channel {
            name: "Z".into(),
            pixel_type: PixelType::Float,
            p_linear: false,
            x_sampling: 1,
            y_sampling: 1,
        };
        writer.add_channel(part, z)?;
        writer.write_header()?;
        let counts = vec![1u32; 12];
        let channels = [("Z".into(), PixelType::Float)];
        let image = exrkit::deep::DeepImage::new(window, &channels, &counts)?;
        writer.write_deep_image(part, 0, 0, &image)?;
        writer.finish()?;
        Ok(writer.bytes().expect("a memory writer's bytes").to_vec())
    };
    for compression in [Compression::Dwaa, Compression::Dwab] {
        let error = write(compression).expect_err("DWA in a deep part");
        let message = error.to_string();
        assert!(message.contains("not written for deep parts"), "{message}");
    }
    let mut bytes = write(Compression::Zips).expect("a deep ZIPS file");
    let at = bytes
        .windows(13)
        .position(|w| w == b"compression\0c")
        .expect("compression attribute");
    // Name, type name "compression\0", size (4 bytes), then the value.
    let value = at + b"compression\0compression\0".len() + 4;
    assert_eq!(bytes[value], Compression::Zips as u8);
    bytes[value] = Compression::Dwab as u8;
    match Reader::from_bytes(bytes, ReadOptions::default()) {
        Err(Error::Corrupt(message)) => assert!(message.contains("dwab"), "{message}"),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a deep DWAB part opened"),
    }
}
