//! The portable build of DWA's lossy loops against the vector build, on
//! chunks coded from OpenEXR's sample images: both must decode them to the
//! same bits and code the result to the same bytes (the integration tests
//! hold the vector build to OpenEXR's).

use std::path::PathBuf;

use super::{compress, decompress, Scratch, Settings};
use crate::codec::BlockLayout;
use crate::cpu::Vectors;
use crate::meta::compression::Compression;
use crate::meta::types::Box2i;
use crate::pixels::ChannelBuffers;
use crate::write::{PartDesc, WriteOptions, Writer};
use crate::{ReadOptions, Reader};

/// Sample images with HALF colour sets, FLOAT and Y/RY/BY channels, or
/// `None` (after printing why) when the test data is absent outside CI.
fn samples() -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/openexr-images");
    if !dir.is_dir() {
        let reason = format!("test data not found at {}", dir.display());
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "missing in CI: {reason}"
        );
        eprintln!("skipping: {reason}");
        return None;
    }
    let files = [
        "ScanLines/Desk.exr",
        "ScanLines/StillLife.exr",
        "LuminanceChroma/Flowers.exr",
        "Chromaticities/Rec709_YC.exr",
    ];
    Some(files.iter().map(|f| dir.join(f)).collect())
}

/// `path`'s first part cut to at most 160 x 96 pixels of its data window,
/// written with `compression` at `level`, as a reader of the new file.
fn recoded(path: &PathBuf, compression: Compression, level: f32) -> Reader {
    let reader = Reader::open(path, ReadOptions::default()).expect("sample opens");
    let header = reader.header(0).expect("part 0");
    let window = header.data_window();
    let mut buffers = ChannelBuffers::new(header.channels(), window).expect("buffers");
    reader
        .decode_image(0, 0, 0, &mut buffers.frame_buffer().expect("frame buffer"))
        .expect("sample decodes");
    let crop = Box2i {
        max_x: window.max_x.min(window.min_x + 159),
        max_y: window.max_y.min(window.min_y + 95),
        ..window
    };
    let mut writer = Writer::to_memory(WriteOptions::default());
    let part = writer
        .add_part(PartDesc {
            compression,
            dwa_level: Some(level),
            ..PartDesc::scanline(crop)
        })
        .expect("part");
    for channel in header.channels() {
        writer.add_channel(part, channel.clone()).expect("channel");
    }
    writer.write_header().expect("header");
    writer
        .write_image(part, 0, 0, &buffers.frame_buffer().expect("frame buffer"))
        .expect("write");
    writer.finish().expect("file");
    let bytes = writer.bytes().expect("in memory").to_vec();
    Reader::from_bytes(bytes, ReadOptions::default()).expect("recoded file opens")
}

/// `packed` decoded by the build `vectors` picks.
fn decoded(layout: &BlockLayout, packed: &[u8], vectors: Vectors) -> Vec<u8> {
    let mut scratch = Scratch {
        vectors,
        ..Scratch::default()
    };
    let mut out = vec![0; layout.unpacked_size];
    decompress(layout, packed, &mut out, &mut scratch).expect("decodes");
    out
}

/// `unpacked` coded at `level` by the build `vectors` picks.
fn encoded(layout: &BlockLayout, unpacked: &[u8], level: f32, vectors: Vectors) -> Vec<u8> {
    let mut scratch = Scratch {
        vectors,
        ..Scratch::default()
    };
    let settings = Settings {
        level,
        deflate_ac: false,
        zip_level: 4,
    };
    let mut out = Vec::new();
    compress(layout, unpacked, settings, &mut out, &mut scratch).expect("encodes");
    out
}

#[test]
fn portable_and_vector_builds_give_the_same_bits() {
    let Some(files) = samples() else {
        return;
    };
    let mut compared = 0;
    for path in &files {
        for compression in [Compression::Dwaa, Compression::Dwab] {
            for level in [45.0, 5.0, 300.0] {
                let reader = recoded(path, compression, level);
                let header = reader.header(0).expect("part 0");
                for index in 0..header.geometry().chunk_count() {
                    let info = reader.chunk_info(0, index).expect("chunk");
                    let layout =
                        BlockLayout::new(header.channels(), info.region.pixels).expect("layout");
                    let mut packed = vec![0; info.payload_size() as usize];
                    reader.read_chunk(0, index, &mut packed).expect("read");
                    if packed.len() == layout.unpacked_size {
                        continue;
                    }
                    let unpacked = decoded(&layout, &packed, Vectors::Portable);
                    assert!(
                        unpacked == decoded(&layout, &packed, Vectors::Best),
                        "{} {compression:?} level {level} chunk {index} decodes apart",
                        path.display()
                    );
                    assert!(
                        encoded(&layout, &unpacked, level, Vectors::Portable)
                            == encoded(&layout, &unpacked, level, Vectors::Best),
                        "{} {compression:?} level {level} chunk {index} encodes apart",
                        path.display()
                    );
                    compared += 1;
                }
            }
        }
    }
    println!("portable and vector builds decode and encode {compared} DWA chunks alike");
    assert!(compared >= 40, "only {compared} compressed chunks");
}

/// FLOAT values the lossy coder must round exactly as the portable
/// build does: NaNs of every kind (signalling ones matter where a pLinear
/// channel skips the curve, which maps NaNs to zero), infinities, values
/// past the half range, half and float subnormals, negative zero.
const FLOAT_SPECIALS: [u32; 16] = [
    0x7f80_0001,
    0x7fa0_0000,
    0x7fc0_0000,
    0xffc0_1234,
    0x7f80_1fff,
    0x7f80_0000,
    0xff80_0000,
    0x7f7f_ffff,
    0x477f_f000,
    0x477f_efff,
    0x3300_0000,
    0x3300_0001,
    0x387f_e000,
    0x0000_0001,
    0x8000_0000,
    0xc780_0000,
];

#[test]
fn float_specials_code_alike_in_both_builds() {
    use crate::meta::channel::Channel;
    use crate::meta::types::PixelType;

    let channel = |name: &str, p_linear| Channel {
        name: name.into(),
        pixel_type: PixelType::Float,
        p_linear,
        x_sampling: 1,
        y_sampling: 1,
    };
    // Sorted by name, as a header holds them.
    let channels = [
        channel("B", false),
        channel("G", false),
        channel("R", false),
        channel("Y", true),
        channel("Z", false),
    ];
    let (width, height) = (45usize, 21usize);
    let region = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: width as i32 - 1,
        max_y: height as i32 - 1,
    };
    let layout = BlockLayout::new(&channels, region).expect("layout");
    let mut unpacked = Vec::with_capacity(layout.unpacked_size);
    for y in 0..height {
        for (c, _) in channels.iter().enumerate() {
            for x in 0..width {
                let i = (y * width + x) * channels.len() + c;
                let ramp = ((x as f32 / 6.0 + c as f32).sin() + y as f32 / 9.0) * 3.0;
                let bits = if i % 7 == 3 {
                    FLOAT_SPECIALS[i / 7 % FLOAT_SPECIALS.len()]
                } else {
                    ramp.to_bits()
                };
                unpacked.extend_from_slice(&bits.to_le_bytes());
            }
        }
    }
    assert_eq!(unpacked.len(), layout.unpacked_size);
    for level in [45.0, 0.0] {
        let packed = encoded(&layout, &unpacked, level, Vectors::Portable);
        assert!(
            packed == encoded(&layout, &unpacked, level, Vectors::Best),
            "level {level} encodes apart"
        );
        assert!(
            decoded(&layout, &packed, Vectors::Portable)
                == decoded(&layout, &packed, Vectors::Best),
            "level {level} decodes apart"
        );
    }
}
