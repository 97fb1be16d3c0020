//! ZSTD against OpenEXR 3.5 (PyPI): a matrix of flat files PyPI OpenEXR
//! writes (scanline and tiled; HALF, FLOAT, UINT, mixed and
//! subsampled channels; odd sizes, negative origins; zstd levels 1, 5 and
//! 22) unpacks chunk by chunk to exactly the samples OpenEXR decodes, and
//! exrkit packs every chunk again to OpenEXR's very bytes. Hostile chunks
//! fail cleanly, a frame that unpacks to more than its chunk among them.
//! (Deep ZSTD is in `tests/deep.rs`, whose matrix holds every deep codec.)

mod common;

use std::path::{Path, PathBuf};

use common::rng::XorShift;
use exrkit::codec::{self, BlockLayout, PackSettings, Scratch};
use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::text::Text;
use exrkit::meta::types::{Box2i, PixelType};
use exrkit::pixels::FrameBuffer;
use exrkit::{Error, PartDesc, ReadOptions, Reader, WriteOptions, Writer};

/// Writes the matrix with PyPI OpenEXR into `sys.argv[1]`; each name ends
/// in the zstd level its chunks were packed at (`_l5.exr`).
const GENERATE: &str = r#"
import ctypes, os, sys
import numpy as np
import OpenEXR

out = sys.argv[1]
rng = np.random.default_rng(31)
# The Python binding has no zstd level; its library's global default is it.
core = ctypes.CDLL(OpenEXR.__file__)

def values(dtype, h, w):
    y, x = np.mgrid[0:h, 0:w]
    v = np.sin(x / 9.0) * np.cos(y / 5.0) * 3.0 + x / max(w, 1) + rng.normal(0.0, 0.02, (h, w))
    v[: h // 3, : w // 4] = 0.5
    if dtype == np.uint32:
        u = (np.abs(v) * 7000).astype(np.uint32)
        u[-1, -1] = 0xFFFFFFFF
        return u
    v = v.astype(dtype)
    flat = v.reshape(-1)
    for s in [np.inf, -np.inf, np.nan, -0.0, 6e-8, 65504.0]:
        flat[rng.integers(0, flat.size)] = s
    return v

KINDS = {
    "half": lambda h, w: {n: values(np.float16, h, w) for n in "BGR"},
    "float": lambda h, w: {n: values(np.float32, h, w) for n in "AZ"},
    "uint": lambda h, w: {"id": values(np.uint32, h, w)},
    "mixed": lambda h, w: {"A": values(np.float16, h, w), "Z": values(np.float32, h, w),
                           "id": values(np.uint32, h, w), "R": values(np.float16, h, w)},
    "subsampled": lambda h, w: {
        "Y": values(np.float16, h, w),
        "RY": OpenEXR.Channel(values(np.float16, h, w), 2, 2, False),
        "BY": OpenEXR.Channel(values(np.float32, h, w), 2, 2, False),
    },
}
SHAPES = [(67, 45, -3, -5), (301, 37, -64, 9), (1, 1, 0, 0), (130, 18, 6, -260), (2, 90, -8, 4)]

index = 0
for kind, make in KINDS.items():
    for layout in ["scan", "tiled"]:
        for level in [5, 1, 22]:
            w, h, ox, oy = SHAPES[index % len(SHAPES)]
            if kind == "subsampled":
                w, h, ox, oy = w + w % 2, h + h % 2, ox - ox % 2, oy - oy % 2
                if layout != "scan":
                    continue
            header = {
                "compression": OpenEXR.ZSTD_COMPRESSION,
                "dataWindow": ((ox, oy), (ox + w - 1, oy + h - 1)),
                "displayWindow": ((0, 0), (63, 63)),
                "lineOrder": OpenEXR.DECREASING_Y if index % 4 == 3 else OpenEXR.INCREASING_Y,
            }
            if layout != "scan":
                tiles = OpenEXR.TileDescription()
                tiles.xSize, tiles.ySize = [(16, 8), (32, 32), (7, 5)][index % 3]
                tiles.mode = OpenEXR.ONE_LEVEL
                header["type"] = OpenEXR.tiledimage
                header["tiles"] = tiles
            core.exr_set_default_zstd_compression_level(level)
            with OpenEXR.File(header, make(h, w)) as f:
                f.write(os.path.join(out, "zstd_{}_{}_{}_l{}.exr".format(kind, layout, index, level)))
            index += 1
"#;

/// The matrix, written once per test that needs it.
fn matrix(name: &str) -> Option<(PathBuf, Vec<PathBuf>)> {
    let dir = common::scratch_dir(name);
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).expect("folder");
    if !common::python(&["-c".as_ref(), GENERATE.as_ref(), files_dir.as_os_str()]) {
        return None;
    }
    let files = common::files_in(&files_dir, Some("exr"));
    assert!(files.len() >= 25, "only {} files", files.len());
    Some((dir, files))
}

/// The zstd level in a matrix file's name.
fn level_of(file: &Path) -> i32 {
    let stem = file.file_stem().and_then(|s| s.to_str()).expect("name");
    let level = stem.rsplit("_l").next().expect("level");
    level.parse().expect("a level")
}

#[test]
fn matrix_unpacks_as_openexr_decodes_it() {
    let Some((dir, files)) = matrix("codecs_zstd_matrix") else {
        return;
    };
    let Some(tally) = common::compare::chunks_with_openexr(&dir, &files) else {
        return;
    };
    println!("{} files: (chunks, compressed) {tally:?}", files.len());
    assert!(
        tally.get("zstd").is_some_and(|&(_, packed)| packed >= 300),
        "{tally:?}"
    );
}

#[test]
fn exrkit_packs_openexrs_bytes() {
    let Some((_, files)) = matrix("codecs_zstd_encode") else {
        return;
    };
    let mut scratch = Scratch::default();
    let (mut chunks, mut identical, mut compressed) = (0usize, 0usize, 0usize);
    let mut different = Vec::new();
    for file in &files {
        let settings = PackSettings {
            zstd_level: Some(level_of(file)),
            ..PackSettings::default()
        };
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        let header = &reader.headers()[0];
        for index in 0..header.geometry().chunk_count() {
            let (packed, layout) = common::packed_chunk(&reader, 0, index);
            let mut unpacked = vec![0u8; layout.unpacked_size];
            codec::decompress(
                Compression::Zstd,
                &layout,
                &packed,
                &mut unpacked,
                &mut scratch,
            )
            .expect("unpack");
            let mut out = Vec::new();
            let ours = codec::compress(
                Compression::Zstd,
                &settings,
                &layout,
                &unpacked,
                &mut out,
                &mut scratch,
            )
            .expect("pack");
            chunks += 1;
            compressed += usize::from(packed.len() != unpacked.len());
            if ours == packed.as_slice() {
                identical += 1;
            } else {
                different.push(format!("{} chunk {index}", file.display()));
            }
        }
    }
    println!("{identical} of {chunks} chunks ({compressed} compressed) packed to OpenEXR's bytes");
    assert!(
        different.is_empty(),
        "chunks unlike OpenEXR's: {different:#?}"
    );
    assert!(compressed >= 300, "only {compressed} compressed chunks");
}

/// Whole images decode alike straight into the caller's buffers (own
/// types, each channel in one buffer) and through the unpacked block (a
/// channel asked for twice); `tests/decoding.rs` holds the straight decode
/// to OpenEXR's samples.
#[test]
fn straight_and_block_decodes_agree() {
    let Some((_, files)) = matrix("codecs_zstd_straight") else {
        return;
    };
    for file in &files {
        let straight = common::compare::decode_all(file, false);
        let mut block = common::compare::decode_all(file, true);
        let copy = block.pop().expect("the second copy");
        assert_eq!(straight, block, "{}", file.display());
        assert_eq!(copy, straight[0], "{}", file.display());
    }
    println!("{} files decoded both ways", files.len());
}

/// Writes a FLOAT RGB ZSTD image from `fb` into memory.
fn write_zstd(window: Box2i, fb: &FrameBuffer<'_>) -> Vec<u8> {
    let mut writer = Writer::to_memory(WriteOptions::default());
    let mut desc = PartDesc::scanline(window);
    desc.compression = Compression::Zstd;
    let part = writer.add_part(desc).expect("part");
    for name in ["B", "G", "R"] {
        let channel = Channel {
            name: Text::new(name.as_bytes()),
            pixel_type: PixelType::Float,
            p_linear: false,
            x_sampling: 1,
            y_sampling: 1,
        };
        writer.add_channel(part, channel).expect("channel");
    }
    writer.write_header().expect("header");
    writer.write_image(part, 0, 0, fb).expect("write");
    writer.finish().expect("finish");
    writer.bytes().expect("bytes").to_vec()
}

/// Channels each in a buffer of its own and channels interleaved pack to
/// the same file: smooth samples compressed, noise stored raw, and both
/// read back exactly.
#[test]
fn planar_and_interleaved_sources_write_the_same_bytes() {
    let window = Box2i {
        min_x: -3,
        min_y: 2,
        max_x: 60,
        max_y: 40,
    };
    let channels = [("B", 0.0), ("G", 0.0), ("R", 0.0)];
    let mut rng = XorShift(11);
    for noise in [false, true] {
        let pixels = window.area() as usize;
        let interleaved: Vec<f32> = (0..pixels * 3)
            .map(|i| match noise {
                true => f32::from_bits(rng.next() as u32 & 0x7f7f_ffff),
                false => (i % 97) as f32 * 0.25,
            })
            .collect();
        let mut copy = interleaved.clone();
        let gathered = write_zstd(
            window,
            &FrameBuffer::interleaved(window, &channels, &mut copy).expect("interleaved"),
        );
        let mut planes: Vec<Vec<f32>> = (0..3)
            .map(|c| interleaved.iter().skip(c).step_by(3).copied().collect())
            .collect();
        let mut fb = FrameBuffer::new(window).expect("window");
        for ((name, fill), plane) in channels.iter().zip(&mut planes) {
            fb.add(name, plane, *fill).expect("slice");
        }
        let straight = write_zstd(window, &fb);
        drop(fb);
        assert_eq!(straight, gathered, "noise: {noise}");
        let reader = Reader::from_bytes(straight, ReadOptions::default()).expect("open");
        let raw = (0..reader.header(0).expect("part").geometry().chunk_count())
            .filter(|&c| {
                let info = reader.chunk_info(0, c).expect("chunk");
                let mut packed = vec![0u8; info.payload_size() as usize];
                reader.read_chunk(0, c, &mut packed).expect("read");
                !packed.starts_with(b"zstd-exr")
            })
            .count();
        assert_eq!(raw > 0, noise, "raw chunks: {raw}");
        let mut back = vec![0f32; pixels * 3];
        let mut fb = FrameBuffer::interleaved(window, &channels, &mut back).expect("fb");
        reader.decode_image(0, 0, 0, &mut fb).expect("decode");
        drop(fb);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&interleaved), "noise: {noise}");
    }
}

/// One compressed chunk of the first part of `file`, with its layout.
fn compressed_chunk(reader: &Reader) -> (Vec<u8>, BlockLayout) {
    let count = reader.headers()[0].geometry().chunk_count();
    (0..count)
        .map(|index| common::packed_chunk(reader, 0, index))
        .find(|(packed, layout)| packed.len() != layout.unpacked_size)
        .expect("a compressed chunk")
}

#[test]
fn damaged_chunks_fail_without_panicking() {
    let Some((_, files)) = matrix("codecs_zstd_damaged") else {
        return;
    };
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut scratch = Scratch::default();
    let (mut tried, mut failed) = (0usize, 0usize);
    for file in &files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        if reader.headers()[0].data_window().width() < 8 {
            continue;
        }
        let (packed, layout) = compressed_chunk(&reader);
        let mut out = vec![0u8; layout.unpacked_size];
        let attempt = |damaged: &[u8]| {
            tried += 1;
            let result =
                codec::decompress(Compression::Zstd, &layout, damaged, &mut out, &mut scratch);
            failed += usize::from(result.is_err());
        };
        common::compare::damage(&packed, &mut rng, (16, 48), attempt);
    }
    println!("{failed} of {tried} damaged chunks failed to unpack");
    assert!(failed * 2 > tried, "too few damaged chunks were noticed");
}

/// A prefix for a frame of `frame_len` bytes: magic, format 1, no flags.
fn prefix(frame_len: usize) -> Vec<u8> {
    let mut out = b"zstd-exr".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(frame_len as u64).to_le_bytes());
    out
}

/// Hostile chunks built from a real one: a bomb (a frame of 64 MiB of
/// zeros, 2 KiB packed, in a chunk of a few KiB), prefixes whose lengths
/// lie, unknown formats and flags, a frame cut short and segment lengths
/// that do not add up: every one is CORRUPT.
#[test]
fn hostile_chunks_are_corrupt() {
    let Some((_, files)) = matrix("codecs_zstd_hostile") else {
        return;
    };
    let file = files
        .iter()
        .find(|f| f.to_string_lossy().contains("zstd_float_scan"))
        .expect("a FLOAT scanline file");
    let reader = Reader::open(file, ReadOptions::default()).expect("open");
    let (packed, layout) = compressed_chunk(&reader);
    let unpack = |chunk: &[u8]| {
        let mut out = vec![0u8; layout.unpacked_size];
        codec::decompress(
            Compression::Zstd,
            &layout,
            chunk,
            &mut out,
            &mut Scratch::default(),
        )
    };
    unpack(&packed).expect("the real chunk");
    let frame = &packed[24..];
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let zeros = vec![0u8; 64 << 20];
    let mut bomb_frame = Vec::with_capacity(zstd_safe::compress_bound(zeros.len()));
    zstd_safe::compress(&mut bomb_frame, &zeros, 19).expect("a frame");
    drop(zeros);
    let mut chunk = prefix(bomb_frame.len());
    chunk.extend_from_slice(&bomb_frame);
    cases.push(("64 MiB bomb", chunk));
    for (what, declared) in [
        ("frame length past the chunk", frame.len() + 1),
        ("frame length short of the chunk", frame.len() - 1),
        ("frame length 2^64 - 1", usize::MAX),
    ] {
        let mut chunk = packed.clone();
        chunk[16..24].copy_from_slice(&(declared as u64).to_le_bytes());
        cases.push((what, chunk));
    }
    for (what, at, value) in [
        ("format 0", 8, 0u32),
        ("format 3", 8, 3),
        ("format 2 with unknown flags", 12, 2),
    ] {
        let mut chunk = packed.clone();
        chunk[at..at + 4].copy_from_slice(&value.to_le_bytes());
        cases.push((what, chunk));
    }
    let mut short = packed.clone();
    short.truncate(packed.len() - 5);
    let short_len = short.len() - 24;
    short[16..24].copy_from_slice(&(short_len as u64).to_le_bytes());
    cases.push(("frame cut short", short));
    cases.push(("prefix alone", packed[..24].to_vec()));
    // The real samples behind a segment length one too large.
    let mut inner = vec![0u8; 8 + layout.unpacked_size];
    inner[..8].copy_from_slice(&(layout.unpacked_size as u64 + 1).to_le_bytes());
    let mut lying = Vec::with_capacity(zstd_safe::compress_bound(inner.len()));
    zstd_safe::compress(&mut lying, &inner, 5).expect("a frame");
    let mut chunk = prefix(lying.len());
    chunk.extend_from_slice(&lying);
    cases.push(("segment length past the samples", chunk));
    for (what, chunk) in cases {
        match unpack(&chunk) {
            Err(Error::Corrupt(_)) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
}
