//! HTJ2K (OpenEXR 3.4 and 3.5, issue 15) so far, on chunks PyPI OpenEXR
//! 3.5.3 writes (HTJ2K256, HTJ2K32 and lossy HTJ2K; scanline and tiled;
//! HALF, FLOAT, UINT, mixed and subsampled channels; R, G, B triplets,
//! layered and other names; odd sizes and negative origins): every
//! lossless chunk decodes to the samples OpenEXR decodes; every lossy one
//! is read as far as its wavelet and answers that the 9/7 wavelet is not
//! decoded yet. Damaged chunks fail cleanly, `Corrupt` or `Unsupported`,
//! or decode to other samples; never a panic.

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
fn lossless_chunks_decode_as_openexr_decodes_them() {
    let Some(files) = matrix("codecs_htj2k_lossless") else {
        return;
    };
    let lossless: Vec<_> = files
        .into_iter()
        .filter(|f| !f.to_string_lossy().contains("_lossy_"))
        .collect();
    let dir = common::scratch_dir("codecs_htj2k_lossless_reference");
    let Some(tally) = common::compare::chunks_with_openexr(&dir, &lossless) else {
        return;
    };
    println!("{} files: (chunks, compressed) {tally:?}", lossless.len());
    let coded: usize = tally.values().map(|&(_, packed)| packed).sum();
    assert!(coded >= 70, "{tally:?}");
}

/// Whole images decode the same straight into the caller's buffers (one
/// per channel at its own type) and through the unpacked block.
#[test]
fn straight_and_block_decodes_agree() {
    let Some(files) = matrix("codecs_htj2k_straight") else {
        return;
    };
    let mut compared = 0;
    for file in files
        .iter()
        .filter(|f| !f.to_string_lossy().contains("_lossy_"))
    {
        let straight = common::compare::decode_all(file, false);
        let mut block = common::compare::decode_all(file, true);
        let copy = block.pop().expect("the second copy");
        assert_eq!(straight, block, "{}", file.display());
        assert_eq!(copy, straight[0], "{}", file.display());
        compared += 1;
    }
    println!("{compared} files decoded both ways");
    assert!(compared >= 20, "{compared}");
}

/// OpenEXR codes a lossy chunk with the reversible wavelet unless it holds
/// an R, G, B triplet; those chunks decode exactly, the others answer that
/// the irreversible wavelet is not decoded yet.
#[test]
fn lossy_chunks_decode_where_reversible() {
    let Some(files) = matrix("codecs_htj2k_lossy") else {
        return;
    };
    let lossy: Vec<_> = files
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("_lossy_"))
        .collect();
    let dir = common::scratch_dir("codecs_htj2k_lossy_reference");
    let skipped = std::cell::Cell::new(0);
    let irreversible = |e: &Error| {
        let yes = matches!(e, Error::Unsupported(m) if m.contains("irreversible"));
        skipped.set(skipped.get() + usize::from(yes));
        yes
    };
    let Some(tally) = common::compare::chunks_with_openexr_skipping(&dir, &lossy, irreversible)
    else {
        return;
    };
    println!(
        "{} files: (chunks, compressed) {tally:?}; {} irreversible chunks not decoded yet",
        lossy.len(),
        skipped.get()
    );
    let coded = tally.get("lossy-htj2k").map_or(0, |&(_, packed)| packed);
    assert!(
        coded >= 15 && skipped.get() >= 1,
        "{tally:?}, {} skipped",
        skipped.get()
    );
}

#[test]
fn damaged_chunks_fail_cleanly() {
    let Some(files) = matrix("codecs_htj2k_damaged") else {
        return;
    };
    let mut rng = XorShift(0x5eed);
    let (mut corrupt, mut unsupported, mut decoded) = (0, 0, 0);
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
                Err(Error::Unsupported(_)) => unsupported += 1,
                // Damaged code-block bytes decode to other samples.
                Ok(()) => decoded += 1,
                Err(other) => panic!("{} round {round}: {other}", file.display()),
            }
        }
    }
    println!("damaged chunks: {corrupt} corrupt, {unsupported} unsupported, {decoded} decoded");
    assert!(corrupt > 1000, "{corrupt} corrupt");
}
