//! Every sample image outside Damaged/ opens, and every chunk of every part
//! is located, checked against its leader and read back, with regions that
//! exactly cover each level.

mod common;

use exrkit::{ReadOptions, Reader};

#[test]
fn every_chunk_of_every_sample_is_readable() {
    let Some(files) = common::sample_images() else {
        return;
    };
    assert!(files.len() >= 60, "only {} sample images", files.len());
    let mut chunks = 0u64;
    let mut buf = Vec::new();
    for path in &files {
        let reader = Reader::open(path, ReadOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (part, header) in reader.headers().iter().enumerate() {
            let geometry = header.geometry();
            let mut covered = std::collections::HashMap::<(u32, u32), u64>::new();
            for index in 0..geometry.chunk_count() {
                let info = reader
                    .chunk_info(part, index)
                    .unwrap_or_else(|e| panic!("{} part {part}: {e}", path.display()));
                assert_eq!(info.index, index);
                let level = (info.region.level_x, info.region.level_y);
                *covered.entry(level).or_default() += info.region.pixels.area();
                buf.resize(info.payload_size() as usize, 0);
                let n = reader
                    .read_chunk(part, index, &mut buf)
                    .unwrap_or_else(|e| panic!("{} chunk {index}: {e}", path.display()));
                assert_eq!(n as u64, info.payload_size());
                chunks += 1;
            }
            for ((lx, ly), area) in covered {
                let (w, h) = geometry.level_size(lx, ly).expect("level exists");
                assert_eq!(area, w * h, "{} level ({lx},{ly}) coverage", path.display());
            }
        }
    }
    println!("read {chunks} chunks of {} sample files", files.len());
}
