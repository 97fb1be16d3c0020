//! The PIZ encoder against OpenEXR: every chunk of PIZ files OpenEXR wrote
//! (generated images and the sample images) is unpacked, packed again by
//! exrkit and unpacked once more; the samples must come back exactly and
//! each file's packed chunks may be at most 2% larger than OpenEXR's. A
//! file rebuilt from exrkit's chunks must decode in OpenEXR to the samples
//! of the original.

mod common;

use std::path::{Path, PathBuf};

use exrkit::codec::{self, BlockLayout, Scratch};
use exrkit::meta::compression::Compression;
use exrkit::{ReadOptions, Reader};

/// Writes realistic images with PyPI OpenEXR: gradients, noise, flat
/// areas; HALF, FLOAT, UINT and mixed; scanline and tiled; odd sizes.
const GENERATE: &str = r#"
import sys
import numpy as np
import OpenEXR

out = sys.argv[1]
rng = np.random.default_rng(11)

def image(dtype, h, w):
    y, x = np.mgrid[0:h, 0:w]
    base = x / w * 3.0 + np.sin(y / 13.0) * 0.5 + 0.2
    noisy = base + rng.normal(0.0, 0.02, (h, w)) * (x > w // 2)
    noisy[h // 4 : h // 2, w // 5 : w // 2] = 0.25
    noisy[: h // 8, :] = 0.0
    if dtype == np.uint32:
        return (noisy * 5000).astype(np.uint32)
    return noisy.astype(dtype)

def write(name, kinds, w, h, tiles=None, origin=(0, 0)):
    ox, oy = origin
    hdr = {
        "compression": OpenEXR.PIZ_COMPRESSION,
        "dataWindow": ((ox, oy), (ox + w - 1, oy + h - 1)),
        "displayWindow": ((0, 0), (w - 1, h - 1)),
    }
    if tiles:
        t = OpenEXR.TileDescription()
        t.xSize, t.ySize = tiles
        hdr["type"] = OpenEXR.tiledimage
        hdr["tiles"] = t
    else:
        hdr["type"] = OpenEXR.scanlineimage
    channels = {c: image(dtype, h, w) for c, dtype in kinds.items()}
    with OpenEXR.File(hdr, channels) as f:
        f.write("{}/{}.exr".format(out, name))

H, F, U = np.float16, np.float32, np.uint32
write("half_rgba_scan", {"A": H, "B": H, "G": H, "R": H}, 333, 257, origin=(-7, 3))
write("float_rgb_scan", {"B": F, "G": F, "R": F}, 301, 123)
write("uint_scan", {"id": U, "mask": U}, 157, 99, origin=(5, -11))
write("mixed_tiled", {"A": H, "Z": F, "id": U}, 301, 199, tiles=(64, 64))
write("half_tiled_odd", {"B": H, "G": H, "R": H}, 250, 130, tiles=(32, 16))
write("tiny_scan", {"Y": H}, 3, 2)
write("wide_half_scan", {"B": H, "G": H, "R": H}, 1920, 70)
"#;

/// Packed sizes of one file's PIZ chunks.
#[derive(Default)]
struct Sizes {
    chunks: usize,
    identical: usize,
    unpacked: u64,
    openexr: u64,
    exrkit: u64,
}

/// Repacks every PIZ chunk of `file`; returns the sizes and, for a
/// single-part file, the file rebuilt from exrkit's chunks.
fn repack(file: &Path, scratch: &mut Scratch) -> (Sizes, Option<Vec<u8>>) {
    let reader = Reader::open(file, ReadOptions::default()).expect("open");
    let mut sizes = Sizes::default();
    let mut chunks = Vec::new();
    let single = reader.headers().len() == 1;
    for (part, header) in reader.headers().iter().enumerate() {
        if header.compression() != Compression::Piz || header.storage().is_deep() {
            continue;
        }
        for index in 0..header.geometry().chunk_count() {
            let (packed, layout) = common::packed_chunk(&reader, part, index);
            let mut unpacked = vec![0u8; layout.unpacked_size];
            codec::decompress(Compression::Piz, &layout, &packed, &mut unpacked, scratch)
                .unwrap_or_else(|e| panic!("{file:?} chunk {index}: {e}"));
            let ours = pack(&layout, &unpacked, scratch);
            let mut restored = vec![0u8; layout.unpacked_size];
            codec::decompress(Compression::Piz, &layout, &ours, &mut restored, scratch)
                .unwrap_or_else(|e| panic!("{file:?} chunk {index}: ours: {e}"));
            assert!(restored == unpacked, "{file:?} chunk {index} changed");
            sizes.chunks += 1;
            sizes.identical += usize::from(ours == packed);
            sizes.unpacked += unpacked.len() as u64;
            sizes.openexr += packed.len() as u64;
            sizes.exrkit += ours.len() as u64;
            if single {
                let info = reader.chunk_info(part, index).expect("chunk info");
                chunks.push((info.offset, info.data_offset, ours));
            }
        }
    }
    let rebuilt = (single && !chunks.is_empty()).then(|| rebuild(file, chunks));
    (sizes, rebuilt)
}

fn pack(layout: &BlockLayout, unpacked: &[u8], scratch: &mut Scratch) -> Vec<u8> {
    let mut out = Vec::new();
    codec::compress(
        Compression::Piz,
        &Default::default(),
        layout,
        unpacked,
        &mut out,
        scratch,
    )
    .expect("pack")
    .to_vec()
}

/// `file` (single-part, its offset table just before its first chunk) with
/// each chunk's data replaced: `chunks` holds each chunk's leader offset,
/// data offset and new data, in table order.
fn rebuild(file: &Path, mut chunks: Vec<(u64, u64, Vec<u8>)>) -> Vec<u8> {
    let bytes = std::fs::read(file).expect("read");
    let count = chunks.len();
    let first = chunks.iter().map(|c| c.0).min().expect("chunks") as usize;
    let table = first - 8 * count;
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&i| chunks[i].0);
    let mut out = bytes[..table].to_vec();
    out.resize(first, 0);
    let mut offsets = vec![0u64; count];
    for i in order {
        let (offset, data_offset, data) = &mut chunks[i];
        offsets[i] = out.len() as u64;
        // The leader ends with the data's size.
        let leader = &bytes[*offset as usize..*data_offset as usize - 4];
        out.extend_from_slice(leader);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.append(data);
    }
    for (i, offset) in offsets.iter().enumerate() {
        out[table + 8 * i..table + 8 * i + 8].copy_from_slice(&offset.to_le_bytes());
    }
    out
}

/// Single-part flat PIZ files among the sample images.
fn sample_files() -> Vec<PathBuf> {
    let files = common::sample_images().unwrap_or_default();
    files
        .into_iter()
        .filter(|path| {
            Reader::open(path, ReadOptions::default()).is_ok_and(|reader| {
                reader
                    .headers()
                    .iter()
                    .any(|h| h.compression() == Compression::Piz && !h.storage().is_deep())
            })
        })
        .collect()
}

#[test]
fn repacked_chunks_match_openexr_in_size_and_decode_in_openexr() {
    let dir = common::scratch_dir("encoding_piz");
    let generated = dir.join("generated");
    std::fs::create_dir_all(&generated).expect("folder");
    let script = dir.join("generate.py");
    std::fs::write(&script, GENERATE).expect("script");
    if !common::python(&[script.as_os_str(), generated.as_os_str()]) {
        return;
    }
    let mut files = common::files_in(&generated, None);
    files.extend(sample_files());

    let mut scratch = Scratch::default();
    let mut total = Sizes::default();
    let mut rebuilt_files = Vec::new();
    let mut originals = Vec::new();
    let mut worst = 0.0f64;
    for file in &files {
        let (sizes, rebuilt) = repack(file, &mut scratch);
        let ratio = sizes.exrkit as f64 / sizes.openexr as f64;
        println!(
            "{:<40} {:>5} chunks ({:>5} identical), OpenEXR {:>9} B, exrkit {:>9} B, ratio {ratio:.4}",
            file.file_name().unwrap_or_default().to_string_lossy(),
            sizes.chunks,
            sizes.identical,
            sizes.openexr,
            sizes.exrkit,
        );
        assert!(
            sizes.exrkit * 100 <= sizes.openexr * 102,
            "{file:?}: exrkit {} bytes, OpenEXR {}",
            sizes.exrkit,
            sizes.openexr
        );
        worst = worst.max(ratio);
        if let Some(bytes) = rebuilt {
            let path = dir.join(format!("rebuilt_{}.exr", rebuilt_files.len()));
            std::fs::write(&path, bytes).expect("write rebuilt");
            rebuilt_files.push(path);
            originals.push(file.clone());
        }
        total.chunks += sizes.chunks;
        total.identical += sizes.identical;
        total.unpacked += sizes.unpacked;
        total.openexr += sizes.openexr;
        total.exrkit += sizes.exrkit;
    }
    println!(
        "{} files, {} chunks ({} byte-identical to OpenEXR's), unpacked {} B, OpenEXR {} B, exrkit {} B, \
         total ratio {:.4}, worst file {worst:.4}",
        files.len(),
        total.chunks,
        total.identical,
        total.unpacked,
        total.openexr,
        total.exrkit,
        total.exrkit as f64 / total.openexr as f64
    );
    assert!(
        total.chunks > 50,
        "too few chunks compared: {}",
        total.chunks
    );

    // OpenEXR decodes the files made of exrkit's chunks to the samples of
    // the files it wrote.
    let mut both = originals.clone();
    both.extend(rebuilt_files.iter().cloned());
    let Some(decoded) = common::openexr_decode(&dir.join("decoded"), &both) else {
        return;
    };
    let mut compared = 0;
    for (original, rebuilt) in originals.iter().zip(&rebuilt_files) {
        let channels = |file: &PathBuf| {
            let mut list: Vec<_> = decoded
                .iter()
                .filter(|c| c.file == *file)
                .map(|c| {
                    (
                        c.part,
                        c.name.clone(),
                        c.pixel_type.clone(),
                        c.bytes.clone(),
                    )
                })
                .collect();
            list.sort();
            list
        };
        let (want, got) = (channels(original), channels(rebuilt));
        assert!(!want.is_empty(), "OpenEXR decoded nothing of {original:?}");
        assert!(
            want.iter().all(|c| c.2 != "error") && got.iter().all(|c| c.2 != "error"),
            "OpenEXR refused {original:?} or its rebuilt copy"
        );
        assert!(
            want == got,
            "OpenEXR decodes {original:?} rebuilt from exrkit's chunks differently"
        );
        compared += 1;
    }
    println!("OpenEXR decoded {compared} files rebuilt from exrkit's chunks to their samples");
}
