//! PXR24, B44 and B44A against OpenEXR where `tests/codecs.rs` does not
//! reach: subsampled and pLinear channels, the sample images that use these
//! codecs, every half value through the pLinear table, and damaged blocks.

mod common;

use common::rng::XorShift;

use std::path::{Path, PathBuf};

use exrkit::codec::{self, Scratch};
use exrkit::meta::compression::Compression;
use exrkit::{ReadOptions, Reader};

/// Writes files with PyPI OpenEXR into `sys.argv[1]`: for each codec, a
/// scanline file with subsampled and pLinear channels of every type in both
/// line orders, and a tiled file with pLinear channels and partial tiles;
/// plus a B44A image of pLinear zeros whose blocks all take the 3-byte form.
const GENERATE: &str = r#"
import os, sys
import numpy as np
import OpenEXR

out = sys.argv[1]
rng = np.random.default_rng(11)
codecs = {"pxr24": OpenEXR.PXR24_COMPRESSION, "b44": OpenEXR.B44_COMPRESSION,
          "b44a": OpenEXR.B44A_COMPRESSION}

def values(dtype, h, w):
    y, x = np.mgrid[0:h, 0:w]
    v = np.sin(x / 5.0) * np.cos(y / 3.0) * 6.0 + rng.normal(0.0, 0.02, (h, w))
    v[: h // 2, : w // 3] = 1.5
    if dtype == np.uint32:
        return (np.abs(v) * 3000).astype(np.uint32)
    v = v.astype(dtype)
    flat = v.reshape(-1)
    for special in [np.inf, -np.inf, np.nan, -0.0, 0.0, 6e-8, 65504.0, -65504.0, 20000.0]:
        flat[rng.integers(0, flat.size)] = special
    return v

def channel(dtype, h, w, xs=1, ys=1, linear=False):
    return OpenEXR.Channel(values(dtype, h, w), xs, ys, linear)

for name, compression in codecs.items():
    w, h = 30, 72
    for order in ["inc", "dec"]:
        header = {
            "compression": compression,
            "type": OpenEXR.scanlineimage,
            "dataWindow": ((-4, -6), (-4 + w - 1, -6 + h - 1)),
            "displayWindow": ((0, 0), (31, 31)),
            "lineOrder": OpenEXR.INCREASING_Y if order == "inc" else OpenEXR.DECREASING_Y,
        }
        channels = {
            "BY": channel(np.float16, h, w, 2, 2, True),
            "D": channel(np.float32, h, w, 2, 2),
            "L": channel(np.float16, h, w, 1, 1, True),
            "RY": channel(np.float16, h, w, 2, 1, True),
            "T": channel(np.float16, h, w, 1, 3),
            "U": channel(np.uint32, h, w, 2, 3),
            "Y": channel(np.float16, h, w),
        }
        with OpenEXR.File(header, channels) as f:
            f.write(os.path.join(out, "{}_subsampled_{}.exr".format(name, order)))
    tiles = OpenEXR.TileDescription()
    tiles.xSize, tiles.ySize = 6, 5
    w, h = 37, 23
    header = {
        "compression": compression,
        "type": OpenEXR.tiledimage,
        "tiles": tiles,
        "dataWindow": ((-3, 2), (-3 + w - 1, 2 + h - 1)),
        "displayWindow": ((0, 0), (31, 31)),
    }
    channels = {
        "F": channel(np.float32, h, w),
        "L": channel(np.float16, h, w, 1, 1, True),
        "M": channel(np.float16, h, w),
    }
    with OpenEXR.File(header, channels) as f:
        f.write(os.path.join(out, "{}_plinear_tiled.exr".format(name)))

side = 1024
header = {
    "compression": OpenEXR.B44A_COMPRESSION,
    "type": OpenEXR.scanlineimage,
    "dataWindow": ((0, 0), (side - 1, side - 1)),
    "displayWindow": ((0, 0), (side - 1, side - 1)),
}
zeros = np.zeros((side, side), np.float16)
with OpenEXR.File(header, {"L": OpenEXR.Channel(zeros, 1, 1, True)}) as f:
    f.write(os.path.join(out, "plinear_zeros.exr"))
"#;

/// Runs `GENERATE` into `dir`, as `common::python` runs scripts.
fn generate(dir: &Path) -> bool {
    common::python(&["-c".as_ref(), GENERATE.as_ref(), dir.as_os_str()])
}

fn is_lossy_codec(compression: Compression) -> bool {
    matches!(
        compression,
        Compression::Pxr24 | Compression::B44 | Compression::B44a
    )
}

/// Every sample image outside Damaged/ that uses one of these codecs.
fn sample_images() -> Option<Vec<PathBuf>> {
    let root = common::openexr_images("")?;
    let mut pending = vec![root];
    let mut files = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "Damaged") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "exr") {
                let reader = Reader::open(&path, ReadOptions::default()).expect("open");
                if reader
                    .headers()
                    .iter()
                    .any(|h| is_lossy_codec(h.compression()))
                {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    Some(files)
}

#[test]
fn sample_images_unpack_as_openexr_decodes_them() {
    let Some(files) = sample_images() else {
        return;
    };
    let names: Vec<_> = files.iter().filter_map(|f| f.file_name()).collect();
    println!("sample images: {names:?}");
    // CrissyField and Flowers hold subsampled pLinear B44 channels.
    assert!(files.len() >= 10, "only {} sample images", files.len());
    let dir = common::scratch_dir("codecs_lossy_samples");
    let Some(tally) = common::compare::chunks_with_openexr(&dir, &files) else {
        return;
    };
    println!("{tally:?}");
    for name in ["pxr24", "b44"] {
        assert!(
            tally.get(name).is_some_and(|c| c.1 > 50),
            "{name}: {tally:?}"
        );
    }
}

#[test]
fn subsampled_and_plinear_channels_unpack_as_openexr_decodes_them() {
    let dir = common::scratch_dir("codecs_lossy_generated");
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).expect("folder");
    if !generate(&files_dir) {
        return;
    }
    let mut files = common::files_in(&files_dir, Some("exr"));
    files.retain(|f| !f.ends_with("plinear_zeros.exr"));
    let Some(tally) = common::compare::chunks_with_openexr(&dir, &files) else {
        return;
    };
    println!("{tally:?}");
    for name in ["pxr24", "b44", "b44a"] {
        assert!(
            tally.get(name).is_some_and(|c| c.1 >= 10),
            "{name}: {tally:?}"
        );
    }
}

/// The B44 and B44A files of the conformance matrix of `tests/codecs.rs`.
/// They are compared here because B44 never compresses a chunk without
/// HALF channels, which that test's coverage check does not allow for.
#[test]
fn b44_matrix_unpacks_as_openexr_decodes_it() {
    let dir = common::scratch_dir("codecs_lossy_matrix");
    let files_dir = dir.join("files");
    let args = [
        std::ffi::OsStr::new("matrix"),
        files_dir.as_os_str(),
        std::ffi::OsStr::new("b44"),
        std::ffi::OsStr::new("b44a"),
    ];
    if !common::openexr_ref(&args) {
        return;
    }
    let files = common::files_in(&files_dir, Some("exr"));
    let Some(tally) = common::compare::chunks_with_openexr(&dir, &files) else {
        return;
    };
    println!("{tally:?}");
    for name in ["b44", "b44a"] {
        assert!(
            tally.get(name).is_some_and(|c| c.1 >= 30),
            "{name}: {tally:?}"
        );
    }
}

/// Rewrites the 3-byte blocks of an image of pLinear zeros so that they
/// hold every half value once, then compares with OpenEXR: every entry of
/// the pLinear table and every flat block value is checked.
#[test]
fn every_half_value_goes_through_the_plinear_table_as_in_openexr() {
    let dir = common::scratch_dir("codecs_lossy_table");
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).expect("folder");
    if !generate(&files_dir) {
        return;
    }
    let source = files_dir.join("plinear_zeros.exr");
    let mut bytes = std::fs::read(&source).expect("read");
    let reader = Reader::open(&source, ReadOptions::default()).expect("open");
    let header = &reader.headers()[0];
    assert_eq!(header.compression(), Compression::B44a);
    let mut value = 0u32;
    for index in 0..header.geometry().chunk_count() {
        let info = reader.chunk_info(0, index).expect("chunk info");
        let start = info.data_offset as usize;
        let payload = &mut bytes[start..start + info.payload_size() as usize];
        let region = info.region.pixels;
        let blocks = (region.width() as usize / 4) * (region.height() as usize).div_ceil(4);
        assert_eq!(payload.len(), 3 * blocks, "chunk {index} is not all flat");
        for block in payload.chunks_exact_mut(3) {
            assert_eq!(block[2], 0xfc, "chunk {index} is not all flat");
            // The ordered form of half `value`: positive values gain the top
            // bit, negative ones are complemented.
            let half = (value & 0xffff) as u16;
            let ordered = if half & 0x8000 == 0 {
                half | 0x8000
            } else {
                !half
            };
            block[..2].copy_from_slice(&ordered.to_be_bytes());
            value += 1;
        }
    }
    assert!(value >= 0x10000, "only {value} blocks");
    let patched = dir.join("patched.exr");
    std::fs::write(&patched, &bytes).expect("write");
    let Some(tally) = common::compare::chunks_with_openexr(&dir, &[patched]) else {
        return;
    };
    println!("{tally:?}");
}

/// Truncated and mutated chunks of real files unpack or fail, but never
/// panic.
#[test]
fn damaged_chunks_fail_without_panicking() {
    let Some(files) = sample_images() else {
        return;
    };
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut scratch = Scratch::default();
    let (mut tried, mut failed) = (0usize, 0usize);
    for file in &files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        for (part, header) in reader.headers().iter().enumerate() {
            let count = header.geometry().chunk_count();
            for index in [0, count / 2, count - 1] {
                let (packed, layout) = common::packed_chunk(&reader, part, index);
                let mut out = vec![0u8; layout.unpacked_size];
                let mut attempt = |damaged: &[u8]| {
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
                common::compare::damage(&packed, &mut rng, (24, 48), &mut attempt);
                let mut longer = packed.clone();
                longer.push(0);
                attempt(&longer);
            }
        }
    }
    println!("{failed} of {tried} damaged chunks failed to unpack");
    assert!(failed * 3 > tried, "too few damaged chunks were noticed");
}
