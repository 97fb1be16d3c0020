//! The encoders against OpenEXR 3.5 (PyPI): every chunk of files OpenEXR
//! wrote is packed again by exrkit from the original pixels, then unpacked.
//! Lossless codecs must give the original back, lossy ones exactly what
//! OpenEXR's own encode and decode give, and each file's packed chunks may
//! be at most 2% larger in total than OpenEXR's (ZIP at level 4).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use exrkit::codec::{self, BlockLayout, Scratch};
use exrkit::meta::compression::Compression;
use exrkit::meta::header::Header;
use exrkit::{ReadOptions, Reader};

/// Writes files with PyPI OpenEXR into `sys.argv[1]` and the original
/// samples of every channel into `sys.argv[1]/orig/<file stem>/<channel>`,
/// raw little-endian, row-major over the channel's sampled data window.
const GENERATE: &str = r#"
import os, sys
import numpy as np
import OpenEXR

out = sys.argv[1]
rng = np.random.default_rng(2024)
codecs = {"rle": OpenEXR.RLE_COMPRESSION, "zips": OpenEXR.ZIPS_COMPRESSION,
          "zip": OpenEXR.ZIP_COMPRESSION, "pxr24": OpenEXR.PXR24_COMPRESSION,
          "b44": OpenEXR.B44_COMPRESSION, "b44a": OpenEXR.B44A_COMPRESSION,
          "dwaa": OpenEXR.DWAA_COMPRESSION, "dwab": OpenEXR.DWAB_COMPRESSION}

def values(dtype, h, w, linear=False):
    """Gradients, noise, flat patches and (for floating point) specials."""
    y, x = np.mgrid[0:h, 0:w]
    v = x / max(w, 1) * 3.0 + np.sin(y / 6.0) * 2.0 + rng.normal(0.0, 0.03, (h, w))
    v[: h // 3, : w // 4] = 0.75
    v[h // 2 :, w // 2 : w // 2 + 5] = -2.5
    if dtype == np.uint32:
        u = (np.abs(v) * 4000).astype(np.uint32)
        u[-1, -1] = 0xFFFFFFFF
        return u
    if linear:
        v = v * 4.0
    v = v.astype(dtype)
    flat = v.reshape(-1)
    specials = [np.inf, -np.inf, np.nan, -0.0, 0.0, 6e-8, 65504.0, -65504.0, 1e-5]
    if linear:
        specials += [100.0, -100.0, 89.0]
    for special in specials:
        flat[rng.integers(0, flat.size)] = special
    return v

def write(name, header, specs):
    """specs: channel name -> (dtype, xs, ys, linear); the data window is a
    multiple of every sampling."""
    (x0, y0), (x1, y1) = header["dataWindow"]
    w, h = x1 - x0 + 1, y1 - y0 + 1
    channels = {}
    orig = os.path.join(out, "orig", name)
    os.makedirs(orig, exist_ok=True)
    for cname, (dtype, xs, ys, linear) in specs.items():
        sampled = values(dtype, h // ys, w // xs, linear)
        # PyPI OpenEXR takes a subsampled channel's samples from the start
        # of a full-resolution array.
        full = np.zeros((h, w), dtype)
        full.reshape(-1)[: sampled.size] = sampled.reshape(-1)
        channels[cname] = OpenEXR.Channel(full, xs, ys, linear)
        sampled.astype(sampled.dtype.newbyteorder("<")).tofile(os.path.join(orig, cname))
    with OpenEXR.File(header, channels) as f:
        f.write(os.path.join(out, name + ".exr"))

H, F, U = np.float16, np.float32, np.uint32
mixed = {"A": (H, 1, 1, False), "B": (F, 1, 1, False), "G": (U, 1, 1, False), "R": (H, 1, 1, False)}
for codec, compression in codecs.items():
    def scan(w, h, x0, y0, order=OpenEXR.INCREASING_Y):
        return {"compression": compression, "type": OpenEXR.scanlineimage,
                "dataWindow": ((x0, y0), (x0 + w - 1, y0 + h - 1)),
                "displayWindow": ((0, 0), (63, 63)), "lineOrder": order}
    def tiled(w, h, x0, y0, tw, th):
        tiles = OpenEXR.TileDescription()
        tiles.xSize, tiles.ySize = tw, th
        hdr = scan(w, h, x0, y0)
        hdr["type"] = OpenEXR.tiledimage
        hdr["tiles"] = tiles
        return hdr
    write(codec + "_mixed_scan", scan(67, 45, -3, -5), mixed)
    write(codec + "_one_pixel", scan(1, 1, 0, 0), mixed)
    write(codec + "_narrow", scan(3, 70, -2, 7, OpenEXR.DECREASING_Y), mixed)
    write(codec + "_mixed_tiled", tiled(37, 23, -3, 2, 7, 5),
          dict(mixed, L=(H, 1, 1, True)))
    write(codec + "_tiled", tiled(129, 70, -64, -9, 16, 8),
          {"F": (F, 1, 1, False), "H": (H, 1, 1, False), "U": (U, 1, 1, False)})
    write(codec + "_subsampled", scan(30, 72, -4, -6, OpenEXR.DECREASING_Y), {
        "BY": (H, 2, 2, True), "D": (F, 2, 2, False), "L": (H, 1, 1, True),
        "RY": (H, 2, 1, True), "T": (H, 1, 3, False), "U": (U, 2, 3, False),
        "Y": (H, 1, 1, False)})
    write(codec + "_large", scan(320, 200, 0, 0),
          {"B": (H, 1, 1, False), "G": (H, 1, 1, False), "R": (H, 1, 1, False),
           "Z": (F, 1, 1, False)})
"#;

/// Runs `GENERATE` into `dir`, as `common::python` runs scripts.
fn generate(dir: &Path) -> bool {
    common::python(&["-c".as_ref(), GENERATE.as_ref(), dir.as_os_str()])
}

/// Samples of one channel over its sampled data window.
struct Samples {
    width: usize,
    bytes: Vec<u8>,
}

/// The unpacked block of `region` from per-channel samples, in the order
/// the codecs expect: line by line, each channel with samples on the line.
fn unpacked_block<'a>(
    header: &Header,
    layout: &BlockLayout,
    samples: impl Fn(&str) -> &'a Samples,
) -> Vec<u8> {
    let window = header.data_window();
    let region = layout.region;
    let mut block = Vec::with_capacity(layout.unpacked_size);
    for y in region.min_y..=region.max_y {
        for (channel, sampled) in header.channels().iter().zip(&layout.channels) {
            if !sampled.has_line(y) || sampled.width == 0 {
                continue;
            }
            let name = channel.name.to_string();
            let s = samples(&name);
            let (xs, ys) = (sampled.x_sampling, sampled.y_sampling);
            let row = (y.div_euclid(ys) - window.min_y.div_euclid(ys)) as usize;
            let column = (region.min_x.div_euclid(xs) - window.min_x.div_euclid(xs)) as usize;
            let start = (row * s.width + column) * channel.pixel_type.size();
            block.extend_from_slice(&s.bytes[start..start + sampled.line_bytes()]);
        }
    }
    block
}

/// Per codec: chunks checked, chunks exrkit compressed, chunks whose packed
/// bytes are OpenEXR's byte for byte, bytes exrkit and OpenEXR packed.
#[derive(Debug, Default)]
struct Tally {
    chunks: usize,
    compressed: usize,
    identical: usize,
    exrkit_bytes: u64,
    openexr_bytes: u64,
}

fn is_lossy(compression: Compression) -> bool {
    matches!(
        compression,
        Compression::Pxr24
            | Compression::B44
            | Compression::B44a
            | Compression::Dwaa
            | Compression::Dwab
    )
}

#[test]
fn encoders_match_openexr_pixels_and_sizes() {
    let dir = common::scratch_dir("encoding");
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).expect("folder");
    if !generate(&files_dir) {
        return;
    }
    let files = common::files_in(&files_dir, Some("exr"));
    assert_eq!(files.len(), 56, "{files:?}");
    let Some(reference) = common::openexr_decode(&dir.join("ref"), &files) else {
        return;
    };
    let mut decoded = HashMap::new();
    for c in reference {
        assert_ne!(c.pixel_type, "error", "OpenEXR could not read {:?}", c.file);
        let samples = Samples {
            width: c.width,
            bytes: c.bytes,
        };
        decoded.insert((c.file, c.name), samples);
    }

    let mut scratch = Scratch::default();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for file in &files {
        let stem = file.file_stem().expect("stem").to_string_lossy();
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        let header = &reader.headers()[0];
        let compression = header.compression();
        let mut original = HashMap::new();
        for channel in header.channels() {
            let name = channel.name.to_string();
            let bytes = std::fs::read(files_dir.join("orig").join(&*stem).join(&name))
                .expect("original samples");
            let width = decoded[&(file.clone(), name.clone())].width;
            original.insert(name, Samples { width, bytes });
        }
        let (mut ours, mut theirs) = (0u64, 0u64);
        let tally = tallies.entry(compression.name()).or_default();
        for index in 0..header.geometry().chunk_count() {
            let place = format!("{stem} chunk {index}");
            let info = reader.chunk_info(0, index).expect("chunk info");
            theirs += info.payload_size();
            let layout = BlockLayout::new(header.channels(), info.region.pixels).expect("layout");
            let input = unpacked_block(header, &layout, |name| &original[name]);
            let expected = if is_lossy(compression) {
                unpacked_block(header, &layout, |name| {
                    &decoded[&(file.clone(), name.to_string())]
                })
            } else {
                input.clone()
            };
            let mut out = Vec::new();
            let settings = codec::PackSettings {
                tiled: header.storage().is_tiled(),
                ..Default::default()
            };
            let packed = codec::compress(
                compression,
                &settings,
                &layout,
                &input,
                &mut out,
                &mut scratch,
            )
            .unwrap_or_else(|e| panic!("{place}: {e}"));
            let mut back = vec![0u8; layout.unpacked_size];
            codec::decompress(compression, &layout, packed, &mut back, &mut scratch)
                .unwrap_or_else(|e| panic!("{place}: {e}"));
            if back != expected {
                failures.push(format!("{place}: pixels differ"));
            }
            let mut stored = vec![0u8; info.payload_size() as usize];
            reader
                .read_located_chunk(0, &info, &mut stored)
                .expect("read chunk");
            tally.identical += usize::from(stored == packed);
            ours += packed.len() as u64;
            tally.chunks += 1;
            tally.compressed += usize::from(packed.len() != input.len());
        }
        tally.exrkit_bytes += ours;
        tally.openexr_bytes += theirs;
        let ratio = ours as f64 / theirs as f64;
        println!("{stem}: exrkit {ours} bytes, OpenEXR {theirs} ({ratio:.4})");
        if ours * 100 > theirs * 102 {
            failures.push(format!("{stem}: {ours} bytes against OpenEXR's {theirs}"));
        }
    }
    for (name, t) in &tallies {
        println!(
            "{name}: {} chunks ({} compressed, {} identical to OpenEXR's), \
             exrkit {} bytes, OpenEXR {} ({:.4})",
            t.chunks,
            t.compressed,
            t.identical,
            t.exrkit_bytes,
            t.openexr_bytes,
            t.exrkit_bytes as f64 / t.openexr_bytes as f64
        );
        assert!(t.compressed >= 10, "{name}: {t:?}");
        // Same input, same codec, same deflate level: OpenEXR's bytes.
        assert_eq!(
            t.identical, t.chunks,
            "{name}: chunks differ from OpenEXR's: {t:?}"
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The original samples written are what OpenEXR's lossless codecs give
/// back, so the test above feeds exrkit what OpenEXR was fed.
#[test]
fn lossless_files_decode_to_the_original_samples() {
    let dir = common::scratch_dir("encoding_originals");
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).expect("folder");
    if !generate(&files_dir) {
        return;
    }
    let files: Vec<PathBuf> = ["zip_subsampled", "rle_mixed_tiled", "zips_narrow"]
        .iter()
        .map(|stem| files_dir.join(format!("{stem}.exr")))
        .collect();
    let Some(reference) = common::openexr_decode(&dir.join("ref"), &files) else {
        return;
    };
    assert!(reference.len() >= 15);
    for c in reference {
        let stem = c.file.file_stem().expect("stem").to_string_lossy();
        let original =
            std::fs::read(files_dir.join("orig").join(&*stem).join(&c.name)).expect("original");
        assert_eq!(original, c.bytes, "{stem} {}", c.name);
    }
}
