//! Write-then-read round trips from fuzzer-chosen descriptions: storage,
//! codec, tiles, levels, rounding, line order, window, channel types and
//! sampling, threads, and samples of any bits. Lossless codecs must give
//! back every sample bit for bit, lossy ones must decode, and everything
//! the writer accepts must open again.

use arbitrary::{Arbitrary, Unstructured};
use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::types::{
    Box2i, LevelMode, LineOrder, PixelType, RoundingMode, Storage, TileDesc,
};
use exrkit::pixels::FrameBuffer;
use exrkit::{Error, PartDesc, Reader, WriteOptions, Writer};

use crate::{level_window, read_options};

/// The most chunks a round trip writes. Tiny tiles over rip maps make tens
/// of thousands, and PIZ spends a fixed 64K-entry table pass per chunk (as
/// OpenEXR's does): tens of seconds per input under the sanitizer, without
/// reaching any code fewer chunks do not.
const MAX_CHUNKS: u64 = 256;

/// The codecs a round trip writes.
const CODECS: [Compression; 11] = [
    Compression::None,
    Compression::Rle,
    Compression::Zips,
    Compression::Zip,
    Compression::Piz,
    Compression::Pxr24,
    Compression::B44,
    Compression::B44a,
    Compression::Dwaa,
    Compression::Dwab,
    Compression::Zstd,
];

/// One channel of a fuzzed part.
#[derive(Debug, Arbitrary)]
struct ChannelChoice {
    pixel_type: u8,
    x_sampling: u8,
    y_sampling: u8,
    p_linear: bool,
}

/// A fuzzed part description.
#[derive(Debug, Arbitrary)]
struct Choice {
    codec: u8,
    tiled: bool,
    tile_width: u8,
    tile_height: u8,
    level_mode: u8,
    round_up: bool,
    line_order: u8,
    min_x: i8,
    min_y: i8,
    width: u8,
    height: u8,
    channels: [Option<ChannelChoice>; 4],
    threaded: bool,
    zip_level: u8,
}

/// What the description and the samples of one level are.
struct Level {
    level: (u32, u32),
    window: Box2i,
    planes: Vec<Vec<u8>>,
}

/// Whether `codec` keeps every bit of the samples of channel `name` of
/// `pixel_type` (DWA codes R, G and B lossily; A runs losslessly).
fn lossless(codec: Compression, name: &str, pixel_type: PixelType) -> bool {
    match codec {
        Compression::Pxr24 => pixel_type != PixelType::Float,
        Compression::B44 | Compression::B44a => pixel_type != PixelType::Half,
        Compression::Dwaa | Compression::Dwab => name == "A" || pixel_type == PixelType::Uint,
        _ => true,
    }
}

/// The samples of one channel over `window` (one per sampled pixel), from
/// the fuzzer's bytes.
fn plane(channel: &Channel, window: Box2i, source: &mut Unstructured<'_>) -> Vec<u8> {
    let columns =
        exrkit::meta::sampling::sampled_count(window.min_x, window.max_x, channel.x_sampling);
    let rows =
        exrkit::meta::sampling::sampled_count(window.min_y, window.max_y, channel.y_sampling);
    let len = (columns * rows) as usize * channel.pixel_type.size();
    let mut bytes = vec![0u8; len];
    let available = source.len().min(len);
    if let Ok(taken) = source.bytes(available) {
        bytes[..available].copy_from_slice(taken);
    }
    bytes
}

/// A frame buffer of one plane per channel at the channel's own type and
/// sampling.
fn frame_buffer<'a>(
    channels: &[Channel],
    window: Box2i,
    planes: &'a mut [Vec<u8>],
) -> exrkit::Result<FrameBuffer<'a>> {
    let mut fb = FrameBuffer::new(window)?;
    for (channel, plane) in channels.iter().zip(planes.iter_mut()) {
        fb.add_bytes(
            channel.name.as_bytes(),
            channel.pixel_type,
            plane,
            channel.x_sampling,
            channel.y_sampling,
            0.0,
        )?;
    }
    Ok(fb)
}

/// Runs one round trip from the fuzzer's bytes.
pub fn run(data: &[u8]) {
    let mut source = Unstructured::new(data);
    let Ok(choice) = Choice::arbitrary(&mut source) else {
        return;
    };
    let codec = CODECS[usize::from(choice.codec) % CODECS.len()];
    let window = Box2i {
        min_x: i32::from(choice.min_x),
        min_y: i32::from(choice.min_y),
        max_x: i32::from(choice.min_x) + i32::from(choice.width % 96),
        max_y: i32::from(choice.min_y) + i32::from(choice.height % 96),
    };
    let tiles = choice.tiled.then(|| TileDesc {
        width: 1 + u32::from(choice.tile_width % 48),
        height: 1 + u32::from(choice.tile_height % 48),
        level_mode: [LevelMode::One, LevelMode::Mipmap, LevelMode::Ripmap]
            [usize::from(choice.level_mode % 3)],
        rounding_mode: if choice.round_up {
            RoundingMode::Up
        } else {
            RoundingMode::Down
        },
    });
    let desc = PartDesc {
        storage: if choice.tiled {
            Storage::Tiled
        } else {
            Storage::Scanline
        },
        compression: codec,
        line_order: [
            LineOrder::IncreasingY,
            LineOrder::DecreasingY,
            LineOrder::RandomY,
        ][usize::from(choice.line_order % 3)],
        tiles,
        zip_level: (choice.zip_level % 13 != 0).then_some(u32::from(choice.zip_level % 13)),
        dwa_level: Some(f32::from(choice.zip_level)),
        ..PartDesc::scanline(window)
    };
    let channels: Vec<Channel> = choice
        .channels
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
        .map(|(i, c)| Channel {
            name: ["R", "G", "B", "A"][i].into(),
            pixel_type: [PixelType::Uint, PixelType::Half, PixelType::Float]
                [usize::from(c.pixel_type % 3)],
            p_linear: c.p_linear,
            x_sampling: 1 + i32::from(c.x_sampling % 3),
            y_sampling: 1 + i32::from(c.y_sampling % 3),
        })
        .collect();
    let options = WriteOptions {
        threads: if choice.threaded { 0 } else { 1 },
        ..WriteOptions::default()
    };
    let mut writer = Writer::to_memory(options);
    // A description the writer refuses is fine, as long as it says why.
    let Ok(part) = writer.add_part(desc) else {
        return;
    };
    for channel in &channels {
        if let Err(e) = writer.add_channel(part, channel.clone()) {
            assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
            return;
        }
    }
    if let Err(e) = writer.write_header() {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        return;
    }
    let header = writer.header(part).expect("a written part has a header");
    if header.geometry().chunk_count() > MAX_CHUNKS {
        return;
    }
    let mut levels = Vec::new();
    for (lx, ly, level) in crate::rust_api::levels(&header) {
        let planes = channels
            .iter()
            .map(|c| plane(c, level, &mut source))
            .collect();
        levels.push(Level {
            level: (lx, ly),
            window: level,
            planes,
        });
    }
    for level in &mut levels {
        let fb = frame_buffer(&channels, level.window, &mut level.planes).expect("frame buffer");
        writer
            .write_image(part, level.level.0, level.level.1, &fb)
            .expect("every level of an accepted part writes");
    }
    writer.finish().expect("finish");
    let bytes = writer.bytes().expect("a memory writer's bytes").to_vec();
    let reader = Reader::from_bytes(bytes, read_options(1)).expect("a written file opens");
    let read_header = reader.header(0).expect("part 0");
    let mut sorted = channels.clone();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    assert_eq!(
        read_header.channels(),
        sorted.as_slice(),
        "channels, sorted by name"
    );
    for level in &levels {
        let (lx, ly) = level.level;
        let (w, h) = read_header
            .geometry()
            .level_size(lx, ly)
            .expect("a written level exists");
        assert_eq!(level_window(read_header.data_window(), w, h), level.window);
        let mut got: Vec<Vec<u8>> = level.planes.iter().map(|p| vec![0u8; p.len()]).collect();
        let mut fb = frame_buffer(&channels, level.window, &mut got).expect("frame buffer");
        reader
            .decode_image(0, lx, ly, &mut fb)
            .unwrap_or_else(|e| panic!("level ({lx}, {ly}) of a written file decodes: {e}"));
        drop(fb);
        for ((channel, want), got) in channels.iter().zip(&level.planes).zip(&got) {
            if lossless(codec, &channel.name.to_string(), channel.pixel_type) {
                assert!(
                    want == got,
                    "{codec:?} changed channel {} of level ({lx}, {ly})",
                    channel.name
                );
            }
        }
    }
}
