//! HTJ2K (OpenEXR 3.4 and 3.5, issue 15) so far: the chunk header, the
//! codestream's headers and the packets (which must use up the tile
//! exactly) of every chunk PyPI OpenEXR 3.5.3 writes (HTJ2K256,
//! HTJ2K32 and lossy HTJ2K; scanline and tiled; HALF, FLOAT, UINT, mixed
//! and subsampled channels; R, G, B triplets, layered and other names; odd
//! sizes and negative origins) are read and found sound, and the chunk
//! answers that its code-blocks are not decoded yet. Damaged chunks fail
//! cleanly, `Corrupt` or `Unsupported`, never a panic.

mod common;

use common::rng::XorShift;
use exrkit::codec::{self, Scratch};
use exrkit::{Error, ReadOptions, Reader};

/// Writes the matrix with PyPI OpenEXR into `sys.argv[1]`.
const GENERATE: &str = r#"
import os, sys
import numpy as np
import OpenEXR

out = sys.argv[1]
rng = np.random.default_rng(7)

def values(dtype, h, w):
    y, x = np.mgrid[0:h, 0:w]
    v = np.sin(x / 9.0) * np.cos(y / 5.0) * 3.0 + rng.normal(0.0, 0.02, (h, w))
    if dtype == np.uint32:
        return (np.abs(v) * 7000).astype(np.uint32)
    return v.astype(dtype)

KINDS = {
    "rgb_half": lambda h, w: {n: values(np.float16, h, w) for n in "RGB"},
    "rgba_float": lambda h, w: {n: values(np.float32, h, w) for n in "RGBA"},
    "layered": lambda h, w: {"diffuse." + n: values(np.float16, h, w) for n in "RGB"},
    "uint": lambda h, w: {"id": values(np.uint32, h, w)},
    "mixed": lambda h, w: {"A": values(np.float16, h, w), "Z": values(np.float32, h, w),
                           "id": values(np.uint32, h, w), "R": values(np.float16, h, w)},
    "subsampled": lambda h, w: {
        "Y": values(np.float16, h, w),
        "RY": OpenEXR.Channel(values(np.float16, h, w), 2, 2, False),
        "BY": OpenEXR.Channel(values(np.float16, h, w), 2, 2, False),
    },
}
CODECS = {"htj2k256": OpenEXR.HTJ2K256_COMPRESSION, "htj2k32": OpenEXR.HTJ2K32_COMPRESSION,
          "lossy": OpenEXR.LJ2K_COMPRESSION}
SHAPES = [(67, 45, -3, -5), (301, 37, -64, 9), (1, 1, 0, 0), (130, 70, 6, -260)]

index = 0
for kind, make in KINDS.items():
    for codec, compression in CODECS.items():
        for layout in ["scan", "tiled"]:
            w, h, ox, oy = SHAPES[index % len(SHAPES)]
            if kind == "subsampled":
                if layout != "scan":
                    continue
                w, h, ox, oy = w + w % 2, h + h % 2, ox - ox % 2, oy - oy % 2
            header = {
                "compression": compression,
                "dataWindow": ((ox, oy), (ox + w - 1, oy + h - 1)),
                "displayWindow": ((0, 0), (63, 63)),
            }
            if layout != "scan":
                tiles = OpenEXR.TileDescription()
                tiles.xSize, tiles.ySize = [(64, 32), (32, 32), (17, 9)][index % 3]
                tiles.mode = OpenEXR.ONE_LEVEL
                header["type"] = OpenEXR.tiledimage
                header["tiles"] = tiles
            with OpenEXR.File(header, make(h, w)) as f:
                f.write(os.path.join(out, "{}_{}_{}_{}.exr".format(kind, codec, layout, index)))
            index += 1
"#;

/// The matrix, written once per test that needs it.
fn matrix(name: &str) -> Option<Vec<std::path::PathBuf>> {
    let dir = common::scratch_dir(name).join("files");
    std::fs::create_dir_all(&dir).expect("folder");
    if !common::python(&["-c".as_ref(), GENERATE.as_ref(), dir.as_os_str()]) {
        return None;
    }
    let files = common::files_in(&dir, Some("exr"));
    assert!(files.len() >= 30, "only {} files", files.len());
    Some(files)
}

#[test]
fn every_chunk_openexr_writes_has_sound_headers() {
    let Some(files) = matrix("codecs_htj2k_headers") else {
        return;
    };
    let (mut coded, mut raw) = (0, 0);
    for file in &files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        let header = &reader.headers()[0];
        let compression = header.compression();
        for index in 0..header.geometry().chunk_count() {
            let (packed, layout) = common::packed_chunk(&reader, 0, index);
            if packed.len() == layout.unpacked_size {
                raw += 1;
                continue;
            }
            coded += 1;
            let mut out = vec![0u8; layout.unpacked_size];
            let error = codec::decompress(
                compression,
                &layout,
                &packed,
                &mut out,
                &mut Scratch::default(),
            )
            .expect_err("not decoded yet");
            assert!(
                matches!(&error, Error::Unsupported(m) if m.contains("sound")),
                "{} chunk {index}: {error}",
                file.display()
            );
        }
    }
    println!(
        "{} files: {coded} HTJ2K chunks with sound headers, {raw} stored raw",
        files.len()
    );
    assert!(coded >= 100, "only {coded} coded chunks");
}

#[test]
fn damaged_chunks_fail_cleanly() {
    let Some(files) = matrix("codecs_htj2k_damaged") else {
        return;
    };
    let mut rng = XorShift(0x5eed);
    let (mut corrupt, mut unsupported, mut sound) = (0, 0, 0);
    for file in &files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        let header = &reader.headers()[0];
        let (packed, layout) = common::packed_chunk(&reader, 0, 0);
        if packed.len() == layout.unpacked_size {
            continue;
        }
        for round in 0..200 {
            let mut bytes = packed.clone();
            // Headers first: most damage lands in the first few hundred bytes.
            let reach = bytes.len().min(400);
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % reach;
                bytes[at] = rng.next() as u8;
            }
            if round % 7 == 0 {
                bytes.truncate((rng.next() as usize) % bytes.len());
            }
            let mut out = vec![0u8; layout.unpacked_size];
            let result = codec::decompress(
                header.compression(),
                &layout,
                &bytes,
                &mut out,
                &mut Scratch::default(),
            );
            match result {
                Err(Error::Corrupt(_)) => corrupt += 1,
                Err(Error::Unsupported(m)) if m.contains("sound") => sound += 1,
                Err(Error::Unsupported(_)) => unsupported += 1,
                Ok(()) => panic!("{} round {round}: decoded", file.display()),
                Err(other) => panic!("{} round {round}: {other}", file.display()),
            }
        }
    }
    println!("damaged chunks: {corrupt} corrupt, {unsupported} unsupported, {sound} still sound");
    assert!(corrupt > 1000, "{corrupt} corrupt");
}
