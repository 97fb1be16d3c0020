//! Every codec against OpenEXR: files PyPI OpenEXR writes in each codec are
//! unpacked chunk by chunk and compared with the samples OpenEXR decodes.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use exrkit::codec::{self, Scratch};
use exrkit::{ReadOptions, Reader};

/// Codecs whose decoders exist; each must match OpenEXR bit for bit.
const CODECS: [&str; 10] = [
    "none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab",
];

#[test]
fn chunks_unpack_to_the_samples_openexr_decodes() {
    let dir = common::scratch_dir("codecs");
    let files_dir = dir.join("files");
    let mut args = vec![std::ffi::OsStr::new("matrix"), files_dir.as_os_str()];
    args.extend(CODECS.iter().map(std::ffi::OsStr::new));
    if !common::openexr_ref(&args) {
        return;
    }
    let files = common::files_in(&files_dir, None);
    let Some(reference) = common::openexr_decode(&dir.join("ref"), &files) else {
        return;
    };
    let mut by_part: HashMap<(PathBuf, usize, String), &common::ReferenceChannel> = HashMap::new();
    for c in &reference {
        assert_ne!(c.pixel_type, "error", "OpenEXR could not read {:?}", c.file);
        by_part.insert((c.file.clone(), c.part, c.name.clone()), c);
    }
    let mut scratch = Scratch::default();
    let (mut chunks, mut mismatches) = (0usize, Vec::new());
    let mut compressed: HashMap<String, (usize, usize)> = HashMap::new();
    for file in &files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        for (part, header) in reader.headers().iter().enumerate() {
            let window = header.data_window();
            for index in 0..header.geometry().chunk_count() {
                let (packed, layout) = common::packed_chunk(&reader, part, index);
                let mut unpacked = vec![0u8; layout.unpacked_size];
                codec::decompress(
                    header.compression(),
                    &layout,
                    &packed,
                    &mut unpacked,
                    &mut scratch,
                )
                .unwrap_or_else(|e| panic!("{file:?} part {part} chunk {index}: {e}"));
                let mut expected = Vec::with_capacity(unpacked.len());
                let region = layout.region;
                for y in region.min_y..=region.max_y {
                    for channel in header.channels() {
                        let key = (file.clone(), part, channel.name.to_string());
                        let r = by_part[&key];
                        let size = channel.pixel_type.size();
                        let row = (y - window.min_y) as usize;
                        let start = (row * r.width + (region.min_x - window.min_x) as usize) * size;
                        let len = region.width() as usize * size;
                        expected.extend_from_slice(&r.bytes[start..start + len]);
                    }
                }
                chunks += 1;
                let counts = compressed
                    .entry(header.compression().name().to_string())
                    .or_default();
                counts.0 += usize::from(packed.len() < unpacked.len());
                counts.1 += 1;
                if expected != unpacked {
                    mismatches.push(format!("{} part {part} chunk {index}", file.display()));
                }
            }
        }
    }
    println!("compared {chunks} chunks of {} files", files.len());
    for (name, (packed, all)) in &compressed {
        println!("{name}: {packed} of {all} chunks compressed");
        if name != "none" {
            // Small or noisy blocks are stored raw when compressing does
            // not pay (PIZ's tables, B44's FLOAT channels), so only ask that
            // enough blocks reach the decoder.
            assert!(
                *packed >= 10,
                "only {packed} of {all} {name} chunks exercise the decoder"
            );
        }
    }
    assert!(mismatches.is_empty(), "mismatched chunks: {mismatches:#?}");
}
