//! `Writer::write_block` from eight threads at once, every chunk in a
//! shuffled order: the file holds the written pixels (exrkit and PyPI
//! OpenEXR read them back) and its chunks in the order the line order
//! requires, whatever order they arrived in.

mod common;

use common::rng::XorShift;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::header::Header;
use exrkit::meta::text::Text;
use exrkit::meta::types::{
    Box2i, LevelMode, LineOrder, PixelType, RoundingMode, Storage, TileDesc,
};
use exrkit::pixels::FrameBuffer;
use exrkit::{PartDesc, ReadOptions, Reader, WriteOptions, Writer};

/// Threads calling `write_block` at once.
const THREADS: usize = 8;

/// The channels every part holds: one of each sample type.
fn channels() -> Vec<Channel> {
    [
        ("B", PixelType::Uint),
        ("G", PixelType::Float),
        ("R", PixelType::Half),
    ]
    .into_iter()
    .map(|(name, pixel_type)| Channel {
        name: Text::new(name.as_bytes()),
        pixel_type,
        p_linear: false,
        x_sampling: 1,
        y_sampling: 1,
    })
    .collect()
}

/// The parts under test, named: scanlines in increasing and decreasing
/// order (ZIP, 16 rows a chunk; PIZ, 32), and a tiled mip map in each
/// order.
fn parts() -> Vec<PartDesc> {
    let window = Box2i {
        min_x: -7,
        min_y: 3,
        max_x: 120,
        max_y: 203,
    };
    let scanline = |name: &str, compression, line_order| PartDesc {
        name: Some(name.into()),
        compression,
        line_order,
        ..PartDesc::scanline(window)
    };
    let tiled = |name: &str, line_order| PartDesc {
        storage: Storage::Tiled,
        tiles: Some(TileDesc {
            width: 16,
            height: 24,
            level_mode: LevelMode::Mipmap,
            rounding_mode: RoundingMode::Down,
        }),
        ..scanline(name, Compression::Zips, line_order)
    };
    vec![
        scanline("scan_up", Compression::Zip, LineOrder::IncreasingY),
        scanline("scan_down", Compression::Piz, LineOrder::DecreasingY),
        tiled("mip_up", LineOrder::IncreasingY),
        tiled("mip_down", LineOrder::DecreasingY),
    ]
}

/// One level of one part: its window and one plane of samples per channel.
struct Level {
    level: (u32, u32),
    window: Box2i,
    planes: Vec<Vec<u8>>,
}

/// Every level of `header` with deterministic samples for each channel.
fn levels(header: &Header, rng: &mut XorShift) -> Vec<Level> {
    let geometry = header.geometry();
    let (nx, ny) = geometry.level_counts();
    let dw = header.data_window();
    let mut out = Vec::new();
    for ly in 0..ny {
        for lx in 0..nx {
            let Some((w, h)) = geometry
                .level_size(lx, ly)
                .filter(|_| geometry.has_level(lx, ly))
            else {
                continue;
            };
            let window = Box2i {
                max_x: dw.min_x + w as i32 - 1,
                max_y: dw.min_y + h as i32 - 1,
                ..dw
            };
            let count = (w * h) as usize;
            let planes = header
                .channels()
                .iter()
                .map(|c| {
                    (0..count)
                        .flat_map(|_| match c.pixel_type {
                            PixelType::Half => {
                                half::f16::from_f32((rng.next() % 4096) as f32 / 64.0)
                                    .to_bits()
                                    .to_le_bytes()
                                    .to_vec()
                            }
                            PixelType::Float => {
                                ((rng.next() % 100_000) as f32 / 3.0).to_le_bytes().to_vec()
                            }
                            _ => (rng.next() as u32).to_le_bytes().to_vec(),
                        })
                        .collect()
                })
                .collect();
            out.push(Level {
                level: (lx, ly),
                window,
                planes,
            });
        }
    }
    out
}

/// A frame buffer over `level`'s planes.
fn frame_buffer<'a>(header: &Header, level: &'a mut Level) -> FrameBuffer<'a> {
    let mut fb = FrameBuffer::new(level.window).expect("window");
    for (c, plane) in header.channels().iter().zip(level.planes.iter_mut()) {
        fb.add_bytes(c.name.as_bytes(), c.pixel_type, plane, 1, 1, 0.0)
            .expect("slice");
    }
    fb
}

/// The chunks of `header` in the order the file must hold them: levels in
/// order; within a level, rows of tiles (or scanline blocks) top down for
/// increasing y and bottom up for decreasing y, tiles left to right.
fn file_order(header: &Header) -> Vec<u64> {
    let geometry = header.geometry();
    let decreasing = header.line_order() == LineOrder::DecreasingY;
    let Some(_) = geometry.tile_desc() else {
        let mut chunks: Vec<u64> = (0..geometry.chunk_count()).collect();
        if decreasing {
            chunks.reverse();
        }
        return chunks;
    };
    let (nx, ny) = geometry.level_counts();
    let mut order = Vec::new();
    for ly in 0..ny {
        for lx in 0..nx {
            let Some((across, down)) = geometry.tiles_in_level(lx, ly) else {
                continue;
            };
            let mut rows: Vec<u64> = (0..down).collect();
            if decreasing {
                rows.reverse();
            }
            for ty in rows {
                for tx in 0..across {
                    order.push(
                        geometry
                            .tile_chunk(tx as u32, ty as u32, lx, ly)
                            .expect("tile in level"),
                    );
                }
            }
        }
    }
    order
}

/// Writes `descs` as one file at `path`, every chunk of every part through
/// `write_block` from [`THREADS`] threads in a shuffled order; returns the
/// levels written, by part.
fn write_shuffled(path: &PathBuf, descs: &[PartDesc], rng: &mut XorShift) -> Vec<Vec<Level>> {
    let mut writer = Writer::create(path, WriteOptions::default()).expect("create");
    for desc in descs {
        let part = writer.add_part(desc.clone()).expect("part");
        for c in channels() {
            writer.add_channel(part, c).expect("channel");
        }
    }
    writer.write_header().expect("header");
    let headers: Vec<Header> = (0..descs.len())
        .map(|p| writer.header(p).expect("header"))
        .collect();
    let mut written: Vec<Vec<Level>> = headers.iter().map(|h| levels(h, rng)).collect();
    let mut jobs = Vec::new();
    for (p, header) in headers.iter().enumerate() {
        let geometry = header.geometry();
        for chunk in 0..geometry.chunk_count() {
            let region = geometry.chunk_region(chunk).expect("chunk");
            let level = written[p]
                .iter()
                .position(|l| l.level == (region.level_x, region.level_y))
                .expect("level written");
            jobs.push((p, level, chunk));
        }
    }
    rng.shuffle(&mut jobs);
    let buffers: Vec<Vec<FrameBuffer<'_>>> = headers
        .iter()
        .zip(written.iter_mut())
        .map(|(h, levels)| levels.iter_mut().map(|l| frame_buffer(h, l)).collect())
        .collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| loop {
                let Some(&(p, level, chunk)) = jobs.get(next.fetch_add(1, Ordering::Relaxed))
                else {
                    return;
                };
                writer
                    .write_block(p, chunk, &buffers[p][level])
                    .unwrap_or_else(|e| panic!("part {p} chunk {chunk}: {e}"));
            });
        }
    });
    drop(buffers);
    writer.finish().expect("finish");
    written
}

/// Checks that the chunks of every part of the file at `path` lie at
/// increasing offsets in the order its line order requires, and that
/// exrkit decodes every level to `written`.
fn check_file(path: &PathBuf, written: &mut [Vec<Level>]) {
    let reader = Reader::open(path, ReadOptions::default()).expect("open");
    for (p, levels) in written.iter_mut().enumerate() {
        let header = reader.header(p).expect("part").clone();
        let offsets: Vec<u64> = file_order(&header)
            .into_iter()
            .map(|chunk| reader.chunk_info(p, chunk).expect("chunk info").offset)
            .collect();
        assert_eq!(
            offsets.len() as u64,
            header.geometry().chunk_count(),
            "{} part {p}: the order lists every chunk",
            path.display()
        );
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{} part {p}: chunks out of {:?} order: {offsets:?}",
            path.display(),
            header.line_order()
        );
        for level in levels.iter_mut() {
            let want = std::mem::take(&mut level.planes);
            level.planes = want.iter().map(|plane| vec![0xa5; plane.len()]).collect();
            let (lx, ly) = level.level;
            reader
                .decode_image(p, lx, ly, &mut frame_buffer(&header, level))
                .expect("decode");
            assert!(
                level.planes == want,
                "{} part {p} level ({lx}, {ly}): exrkit reads other pixels",
                path.display()
            );
            level.planes = want;
        }
    }
}

#[test]
fn write_block_from_eight_threads_in_any_order_gives_ordered_files() {
    let dir = common::scratch_dir("writing_threads");
    let descs = parts();
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    // Each part alone (several shuffles), then all four in one file.
    let mut files: Vec<(PathBuf, Vec<PartDesc>)> = Vec::new();
    for round in 0..3 {
        for desc in &descs {
            let single = PartDesc {
                name: None,
                ..desc.clone()
            };
            let name = desc.name.as_deref().expect("named");
            files.push((dir.join(format!("{name}_{round}.exr")), vec![single]));
        }
    }
    files.push((dir.join("multipart.exr"), descs));
    let mut written = Vec::new();
    let mut chunks = 0;
    for (path, descs) in &files {
        let mut levels = write_shuffled(path, descs, &mut rng);
        check_file(path, &mut levels);
        let reader = Reader::open(path, ReadOptions::default()).expect("open");
        chunks += reader
            .headers()
            .iter()
            .map(|h| h.geometry().chunk_count())
            .sum::<u64>();
        written.push(levels);
    }
    println!(
        "{} files of {chunks} chunks written from {THREADS} threads in shuffled order; exrkit reads them back in order",
        files.len()
    );
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let Some(reference) = common::openexr_decode(&dir.join("ref"), &paths) else {
        return;
    };
    let mut checked = 0;
    for r in &reference {
        assert_ne!(
            r.pixel_type,
            "error",
            "OpenEXR cannot read {}: {}",
            r.file.display(),
            r.name
        );
        let f = paths.iter().position(|p| *p == r.file).expect("listed");
        let reader = Reader::open(&r.file, ReadOptions::default()).expect("open");
        let c = reader.headers()[r.part]
            .channels()
            .iter()
            .position(|c| c.name.to_string() == r.name)
            .expect("channel written");
        let level0 = &written[f][r.part][0];
        assert_eq!(level0.level, (0, 0));
        assert!(
            r.bytes == level0.planes[c],
            "OpenEXR reads other pixels: {} part {} channel {}",
            r.file.display(),
            r.part,
            r.name
        );
        checked += 1;
    }
    println!("PyPI OpenEXR read {checked} channels as written");
    assert_eq!(checked, 3 * (3 * 4 + 4));
}
