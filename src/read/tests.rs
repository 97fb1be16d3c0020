//! The reader's unsafe paths on small files made in memory, small enough
//! for Miri (`scripts/sanitize.sh miri`): the scatter into planar,
//! interleaved, subsampled and region frame buffers, block and level
//! decodes, RGBA, deep samples through the disjoint slices, QOI rows
//! straight into the caller's memory and through the scatter; each on the
//! calling thread and on a pool of two.

use half::f16;

use crate::deep::{DeepImage, DeepSamples, DeepSamplesMut};
use crate::meta::channel::Channel;
use crate::meta::compression::Compression;
use crate::meta::types::{Box2i, LevelMode, PixelType, RoundingMode, Storage, TileDesc};
use crate::pixels::FrameBuffer;
use crate::write::{Format, PartDesc, WriteOptions, Writer};
use crate::{ReadOptions, Reader};

const WIDTH: usize = 6;
const HEIGHT: usize = 4;

fn window(width: usize, height: usize) -> Box2i {
    Box2i {
        min_x: 0,
        min_y: 0,
        max_x: width as i32 - 1,
        max_y: height as i32 - 1,
    }
}

fn channel(name: &str, pixel_type: PixelType, sampling: i32) -> Channel {
    Channel {
        name: name.into(),
        pixel_type,
        p_linear: false,
        x_sampling: sampling,
        y_sampling: sampling,
    }
}

/// The samples of channel `c` at pixel `i`, exact in every type.
fn value(c: usize, i: usize) -> f32 {
    (c * 100 + i) as f32 * 0.5
}

/// The bytes of a flat part of `desc`, written on one thread from planes:
/// R HALF, G FLOAT and id UINT at every pixel, and Y HALF at every other
/// pixel and row.
fn flat_file(desc: PartDesc) -> Vec<u8> {
    let pixels = WIDTH * HEIGHT;
    let mut r: Vec<f16> = (0..pixels).map(|i| f16::from_f32(value(0, i))).collect();
    let mut g: Vec<f32> = (0..pixels).map(|i| value(1, i)).collect();
    let mut id: Vec<u32> = (0..pixels).map(|i| value(2, i) as u32).collect();
    let mut y: Vec<f16> = (0..pixels / 4)
        .map(|i| f16::from_f32(value(3, i)))
        .collect();
    let mut writer = Writer::to_memory(WriteOptions {
        threads: 1,
        ..WriteOptions::default()
    });
    let tiled = desc.storage == Storage::Tiled;
    let part = writer.add_part(desc).expect("part");
    for c in [
        channel("R", PixelType::Half, 1),
        channel("G", PixelType::Float, 1),
        channel("id", PixelType::Uint, 1),
    ] {
        writer.add_channel(part, c).expect("channel");
    }
    if !tiled {
        writer
            .add_channel(part, channel("Y", PixelType::Half, 2))
            .expect("subsampled channel");
    }
    writer.write_header().expect("header");
    let header = writer.header(part).expect("header");
    let (nx, ny) = header.geometry().level_counts();
    for level in 0..nx.min(ny) {
        let (w, h) = header.geometry().level_size(level, level).expect("level");
        let mut fb = FrameBuffer::new(window(w as usize, h as usize)).expect("window");
        let n = (w * h) as usize;
        fb.add("R", &mut r[..n], 0.0).expect("R");
        fb.add("G", &mut g[..n], 0.0).expect("G");
        fb.add("id", &mut id[..n], 0.0).expect("id");
        if !tiled {
            fb.add_sampled("Y", &mut y, 2, 2, 0.0).expect("Y");
        }
        writer.write_image(part, level, level, &fb).expect("level");
    }
    writer.finish().expect("finish");
    writer.bytes().expect("bytes").to_vec()
}

fn readers(bytes: &[u8]) -> [Reader; 2] {
    [1, 2].map(|threads| {
        let options = ReadOptions {
            threads,
            ..ReadOptions::default()
        };
        Reader::from_bytes(bytes.to_vec(), options).expect("open")
    })
}

#[test]
fn scanline_samples_reach_every_slice_layout() {
    let bytes = flat_file(PartDesc {
        compression: Compression::None,
        ..PartDesc::scanline(window(WIDTH, HEIGHT))
    });
    for reader in readers(&bytes) {
        // Planar, each channel at another type than the file's.
        let mut r = vec![0f32; WIDTH * HEIGHT];
        let mut id = vec![0f32; WIDTH * HEIGHT];
        let mut y = vec![0u32; WIDTH * HEIGHT / 4];
        let mut missing = vec![0u8; WIDTH * HEIGHT];
        let mut fb = FrameBuffer::new(window(WIDTH, HEIGHT)).expect("window");
        fb.add("R", &mut r, 0.0).expect("R");
        fb.add("id", &mut id, 0.0).expect("id");
        fb.add_sampled("Y", &mut y, 2, 2, 0.0).expect("Y");
        fb.add("none", &mut missing, 0.2).expect("missing");
        reader.decode_image(0, 0, 0, &mut fb).expect("decode");
        drop(fb);
        for i in 0..WIDTH * HEIGHT {
            assert_eq!(r[i], value(0, i));
            assert_eq!(id[i], value(2, i).trunc());
            assert_eq!(missing[i], 51, "fill 0.2 as U8");
        }
        for (i, &v) in y.iter().enumerate() {
            assert_eq!(v, value(3, i) as u32);
        }

        // Interleaved over a region inside the image, block by block.
        let region = Box2i {
            min_x: 1,
            min_y: 1,
            max_x: 4,
            max_y: 2,
        };
        let mut rg = vec![0f32; 4 * 2 * 2];
        let mut fb = FrameBuffer::interleaved(region, &[("G", 0.0), ("R", 0.0)], &mut rg)
            .expect("interleaved");
        for chunk in 0..HEIGHT as u64 {
            reader.decode_block(0, chunk, &mut fb).expect("block");
        }
        drop(fb);
        for (k, pair) in rg.chunks(2).enumerate() {
            let i = (1 + k / 4) * WIDTH + 1 + k % 4;
            assert_eq!(pair, [value(1, i), value(0, i)]);
        }
    }
}

#[test]
fn tiled_levels_decode_into_their_windows() {
    let bytes = flat_file(PartDesc {
        storage: Storage::Tiled,
        compression: Compression::None,
        tiles: Some(TileDesc {
            width: 4,
            height: 3,
            level_mode: LevelMode::Mipmap,
            rounding_mode: RoundingMode::Down,
        }),
        ..PartDesc::scanline(window(WIDTH, HEIGHT))
    });
    for reader in readers(&bytes) {
        for level in 0..2u32 {
            let (w, h) = (WIDTH >> level, HEIGHT >> level);
            let mut g = vec![0f32; w * h];
            let mut fb = FrameBuffer::new(window(w, h)).expect("window");
            fb.add("G", &mut g, 0.0).expect("G");
            reader
                .decode_image(0, level, level, &mut fb)
                .expect("level");
            drop(fb);
            for (i, &v) in g.iter().enumerate() {
                assert_eq!(v, value(1, i), "level {level} pixel {i}");
            }
        }
        // RGBA of level 0: R and G as stored, B missing (0), A missing (1).
        let mut rgba = vec![0f32; WIDTH * HEIGHT * 4];
        reader
            .decode_rgba(0, window(WIDTH, HEIGHT), &mut rgba)
            .expect("rgba");
        for (i, px) in rgba.chunks(4).enumerate() {
            assert_eq!(px, [value(0, i), value(1, i), 0.0, 1.0]);
        }
    }
}

#[test]
fn deep_samples_come_back_in_their_pixels() {
    let counts: Vec<u32> = (0..WIDTH * HEIGHT).map(|i| (i % 3) as u32).collect();
    let channels = [
        ("A".into(), PixelType::Half),
        ("Z".into(), PixelType::Float),
    ];
    let mut image = DeepImage::new(window(WIDTH, HEIGHT), &channels, &counts).expect("image");
    for (c, channel) in image.channels_mut().iter_mut().enumerate() {
        match channel.samples_mut() {
            DeepSamplesMut::Half(s) => s
                .iter_mut()
                .enumerate()
                .for_each(|(i, v)| *v = f16::from_f32(value(c, i))),
            DeepSamplesMut::Float(s) => {
                s.iter_mut().enumerate().for_each(|(i, v)| *v = value(c, i))
            }
            DeepSamplesMut::Uint(_) => unreachable!("no UINT channel"),
        }
    }
    let mut writer = Writer::to_memory(WriteOptions {
        threads: 1,
        ..WriteOptions::default()
    });
    let part = writer
        .add_part(PartDesc {
            storage: Storage::DeepScanline,
            compression: Compression::None,
            ..PartDesc::scanline(window(WIDTH, HEIGHT))
        })
        .expect("part");
    for (name, pixel_type) in [("A", PixelType::Half), ("Z", PixelType::Float)] {
        writer
            .add_channel(part, channel(name, pixel_type, 1))
            .expect("channel");
    }
    writer.write_header().expect("header");
    writer.write_deep_image(part, 0, 0, &image).expect("write");
    writer.finish().expect("finish");
    for reader in readers(writer.bytes().expect("bytes")) {
        let back = reader.decode_deep_image(0, 0, 0).expect("decode");
        assert_eq!(back.offsets(), image.offsets());
        for (got, want) in back.channels().iter().zip(image.channels()) {
            assert_eq!(got.samples(), want.samples());
        }
        assert!(matches!(
            back.channels()[1].samples(),
            DeepSamples::Float(_)
        ));
    }
}

#[test]
fn qoi_rows_reach_the_caller_directly_and_through_the_scatter() {
    let mut rgb: Vec<u8> = (0..WIDTH * HEIGHT * 3)
        .map(|i| (i * 7 % 256) as u8)
        .collect();
    let mut writer = Writer::to_memory(WriteOptions {
        format: Format::Qoi,
        threads: 1,
        ..WriteOptions::default()
    });
    let part = writer
        .add_part(PartDesc {
            compression: Compression::Qoi,
            ..PartDesc::scanline(window(WIDTH, HEIGHT))
        })
        .expect("part");
    for name in ["R", "G", "B"] {
        writer
            .add_channel(part, channel(name, PixelType::U8, 1))
            .expect("channel");
    }
    writer.write_header().expect("header");
    let fb = FrameBuffer::interleaved(
        window(WIDTH, HEIGHT),
        &[("R", 0.0), ("G", 0.0), ("B", 0.0)],
        &mut rgb,
    )
    .expect("rows");
    writer.write_image(part, 0, 0, &fb).expect("write");
    drop(fb);
    writer.finish().expect("finish");
    for reader in readers(writer.bytes().expect("bytes")) {
        let mut rows = vec![0u8; WIDTH * HEIGHT * 3];
        let mut fb = FrameBuffer::interleaved(
            window(WIDTH, HEIGHT),
            &[("R", 0.0), ("G", 0.0), ("B", 0.0)],
            &mut rows,
        )
        .expect("rows");
        reader.decode_image(0, 0, 0, &mut fb).expect("direct");
        drop(fb);
        assert_eq!(rows, rgb);

        let mut green = vec![0f32; WIDTH * HEIGHT];
        let mut fb = FrameBuffer::new(window(WIDTH, HEIGHT)).expect("window");
        fb.add("G", &mut green, 0.0).expect("G");
        reader.decode_image(0, 0, 0, &mut fb).expect("scatter");
        drop(fb);
        for (i, &v) in green.iter().enumerate() {
            assert_eq!(v, f32::from(rgb[i * 3 + 1]) / 255.0);
        }
    }
}
