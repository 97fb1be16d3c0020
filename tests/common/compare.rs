//! Comparing chunks, unpacked by exrkit's codecs, with the samples OpenEXR
//! decodes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use exrkit::codec::{self, BlockLayout, Scratch};
use exrkit::pixels::ChannelBuffers;
use exrkit::{ReadOptions, Reader};

/// Chunks unpacked, and how many of them were compressed, per codec.
pub type Tally = BTreeMap<&'static str, (usize, usize)>;

/// Unpacks every chunk of `files` and compares those of the full-resolution
/// level with the samples OpenEXR decodes, subsampled channels included.
/// Returns `None` where the reference is skipped.
pub fn chunks_with_openexr(dir: &Path, files: &[PathBuf]) -> Option<Tally> {
    chunks_with_openexr_skipping(dir, files, |_| false)
}

/// Like [`chunks_with_openexr`], where chunks whose unpacking fails with an
/// error `skip` accepts are left out of the comparison (and the tally).
pub fn chunks_with_openexr_skipping(
    dir: &Path,
    files: &[PathBuf],
    skip: impl Fn(&exrkit::Error) -> bool,
) -> Option<Tally> {
    let reference = super::openexr_decode(&dir.join("ref"), files)?;
    let mut channels = HashMap::new();
    for c in &reference {
        assert_ne!(c.pixel_type, "error", "OpenEXR could not read {:?}", c.file);
        channels.insert((c.file.clone(), c.part, c.name.clone()), c);
    }
    let mut scratch = Scratch::default();
    let mut tally = Tally::new();
    let mut mismatches = Vec::new();
    for file in files {
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        for (part, header) in reader.headers().iter().enumerate() {
            let window = header.data_window();
            for index in 0..header.geometry().chunk_count() {
                let place = format!("{} part {part} chunk {index}", file.display());
                let info = reader.chunk_info(part, index).expect("chunk info");
                let mut packed = vec![0u8; info.payload_size() as usize];
                reader
                    .read_located_chunk(part, &info, &mut packed)
                    .expect("read");
                let region = info.region.pixels;
                let layout = BlockLayout::new(header.channels(), region).expect("layout");
                let mut unpacked = vec![0u8; layout.unpacked_size];
                match codec::decompress(
                    header.compression(),
                    &layout,
                    &packed,
                    &mut unpacked,
                    &mut scratch,
                ) {
                    Ok(()) => {}
                    Err(e) if skip(&e) => continue,
                    Err(e) => panic!("{place}: {e}"),
                }
                let counts = tally.entry(header.compression().name()).or_default();
                counts.0 += 1;
                counts.1 += usize::from(packed.len() != unpacked.len());
                if (info.region.level_x, info.region.level_y) != (0, 0) {
                    continue;
                }
                let mut expected = Vec::with_capacity(unpacked.len());
                for y in region.min_y..=region.max_y {
                    for (channel, sampled) in header.channels().iter().zip(&layout.channels) {
                        if !sampled.has_line(y) {
                            continue;
                        }
                        let key = (file.clone(), part, channel.name.to_string());
                        let r = channels[&key];
                        let (xs, ys) = (sampled.x_sampling, sampled.y_sampling);
                        let row = (y.div_euclid(ys) - window.min_y.div_euclid(ys)) as usize;
                        let column =
                            (region.min_x.div_euclid(xs) - window.min_x.div_euclid(xs)) as usize;
                        let size = channel.pixel_type.size();
                        let start = (row * r.width + column) * size;
                        expected.extend_from_slice(&r.bytes[start..start + sampled.line_bytes()]);
                    }
                }
                if expected != unpacked {
                    mismatches.push(place);
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "mismatched chunks: {mismatches:#?}");
    Some(tally)
}

/// Damaged forms of `packed`, each handed to `attempt`: `truncations`
/// prefixes of random length, then `flips` copies with one to four bits
/// flipped.
pub fn damage(
    packed: &[u8],
    rng: &mut super::rng::XorShift,
    (truncations, flips): (usize, usize),
    mut attempt: impl FnMut(&[u8]),
) {
    for _ in 0..truncations {
        attempt(&packed[..rng.below(packed.len())]);
    }
    let mut damaged = packed.to_vec();
    for _ in 0..flips {
        damaged.copy_from_slice(packed);
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(damaged.len());
            damaged[at] ^= 1 << rng.below(8);
        }
        attempt(&damaged);
    }
}

/// Decodes every channel of part 0 of `file` at its own type and sampling;
/// with `twice`, the first channel also into a second buffer, which makes
/// the decode go through the unpacked block instead of straight into the
/// buffers. A channel the file lacks is filled with 0.25 either way.
/// Returns the buffers, the second copy last.
pub fn decode_all(file: &Path, twice: bool) -> Vec<Vec<u8>> {
    let reader = Reader::open(file, ReadOptions::default()).expect("open");
    let header = reader.header(0).expect("part");
    let window = header.data_window();
    let mut buffers = ChannelBuffers::new(header.channels(), window).expect("buffers");
    let first = &header.channels()[0];
    let mut copy = vec![0u8; buffers.buffers[0].len()];
    let mut missing = vec![0f32; window.area() as usize];
    {
        let mut fb = buffers.frame_buffer().expect("frame buffer");
        if twice {
            let (xs, ys) = (first.x_sampling, first.y_sampling);
            fb.add_bytes(
                first.name.as_bytes(),
                first.pixel_type,
                &mut copy,
                xs,
                ys,
                0.0,
            )
            .expect("second slice");
        }
        fb.add("not in the file", &mut missing, 0.25)
            .expect("slice");
        reader.decode_image(0, 0, 0, &mut fb).expect("decode");
    }
    assert!(missing.iter().all(|&v| v == 0.25), "{}", file.display());
    let mut all = buffers.buffers;
    if twice {
        all.push(copy);
    }
    all
}
