//! Everything a file holds through the Rust reader: every part's chunks
//! (info, raw bytes, decode_block), every level (decode_image), RGBA, and
//! deep blocks, levels and their flattening.

use exrkit::deep::{DeepImage, DeepSamples};
use exrkit::meta::header::Header;
use exrkit::meta::types::{Box2i, PixelType};
use exrkit::pixels::FrameBuffer;
use exrkit::{Error, Reader, Result};

use crate::digest::Digest;
use crate::{clip, level_window, BLOCK_SAMPLES, LEVEL_SAMPLES, MAX_CHUNKS, MAX_LEVELS};

/// A channel name no file is expected to hold, to exercise fills.
pub const MISSING_CHANNEL: &[u8] = b"fuzz.missing";
/// What a digest records for a frame buffer that was refused.
pub const REFUSED: u64 = 0x0052_4546_5553_4544;
/// The fill value of slices whose channel the part has.
pub const FILL: f64 = 0.5;
/// The fill value of the slice whose channel the part lacks.
pub const MISSING_FILL: f64 = 0.25;

/// Everything `reader` holds, digested.
pub fn exercise(reader: &Reader) -> Digest {
    let mut digest = Digest::default();
    for (part, header) in reader.headers().iter().enumerate() {
        chunks(reader, part, header, &mut digest);
        if header.storage().is_deep() {
            deep_levels(reader, part, header, &mut digest);
        } else {
            flat_levels(reader, part, header, &mut digest);
        }
    }
    digest
}

/// The decoded pixels of every flat level and of RGBA, digested: what the
/// C exercise digests the same way.
pub fn flat_levels(reader: &Reader, part: usize, header: &Header, digest: &mut Digest) {
    for (lx, ly, window) in levels(header) {
        let names = channel_names(header);
        decode_planes(&names, window, LEVEL_SAMPLES, digest, |fb| {
            reader.decode_image(part, lx, ly, fb)
        });
    }
    if let Some(window) = clip(header.data_window(), 4, LEVEL_SAMPLES) {
        let mut rgba = vec![0f32; window.area() as usize * 4];
        let result = reader.decode_rgba(part, window, &mut rgba);
        digest.status(&result);
        digest.f32s(&rgba);
    }
}

/// The levels of a part with their windows, clipped to the fuzzing limits.
pub fn levels(header: &Header) -> Vec<(u32, u32, Box2i)> {
    let geometry = header.geometry();
    let (nx, ny) = geometry.level_counts();
    let mut levels = Vec::new();
    for ly in 0..ny.min(MAX_LEVELS) {
        for lx in 0..nx.min(MAX_LEVELS) {
            if let Some((w, h)) = geometry.level_size(lx, ly) {
                levels.push((lx, ly, level_window(header.data_window(), w, h)));
            }
        }
    }
    levels
}

/// The names of a part's channels, as frame buffers name them.
pub fn channel_names(header: &Header) -> Vec<Vec<u8>> {
    header
        .channels()
        .iter()
        .map(|c| c.name.as_bytes().to_vec())
        .collect()
}

/// Decodes into one FLOAT plane per name, plus one for a channel the part
/// lacks, over `window` clipped to the limits, and digests the outcome and
/// every sample. A frame buffer refused (a slice it cannot take, or an
/// invalid argument) digests as [`REFUSED`] alone, as the C exercise does.
pub fn decode_planes(
    names: &[Vec<u8>],
    window: Box2i,
    budget: u64,
    digest: &mut Digest,
    decode: impl FnOnce(&mut FrameBuffer<'_>) -> Result<()>,
) {
    let Some(window) = clip(window, names.len() as u64 + 1, budget) else {
        return;
    };
    let mut planes = vec![vec![0u8; window.area() as usize * 4]; names.len() + 1];
    let decoded = {
        let Ok(mut fb) = FrameBuffer::new(window) else {
            return;
        };
        let slices = names
            .iter()
            .map(|name| (name.as_slice(), FILL))
            .chain([(MISSING_CHANNEL, MISSING_FILL)]);
        let mut added = Ok(());
        for ((name, fill), plane) in slices.zip(planes.iter_mut()) {
            added = added.and(fb.add_bytes(name, PixelType::Float, plane, 1, 1, fill));
        }
        added.and_then(|()| decode(&mut fb))
    };
    if let Err(Error::InvalidArgument(_) | Error::BufferTooSmall(_)) = decoded {
        digest.u64(REFUSED);
        return;
    }
    digest.status(&decoded);
    for plane in &planes {
        digest.bytes(plane);
    }
}

/// Every chunk of a part: its info, its raw bytes and its decode.
fn chunks(reader: &Reader, part: usize, header: &Header, digest: &mut Digest) {
    let names = channel_names(header);
    let mut raw = Vec::new();
    for index in 0..header.geometry().chunk_count().min(MAX_CHUNKS) {
        let info = reader.chunk_info(part, index);
        digest.status(&info);
        let Ok(info) = info else {
            continue;
        };
        let size = info.payload_size().min(reader.source_len());
        raw.resize(size as usize, 0);
        let read = reader.read_chunk(part, index, &mut raw);
        digest.status(&read);
        if let Ok(n) = read {
            digest.bytes(raw.get(..n).unwrap_or(&raw));
        }
        if header.storage().is_deep() {
            let block = reader.decode_deep_block(part, index);
            deep_image(block, digest);
        } else {
            decode_planes(&names, info.region.pixels, BLOCK_SAMPLES, digest, |fb| {
                reader.decode_block(part, index, fb)
            });
        }
    }
}

/// Every level of a deep part, decoded and flattened.
fn deep_levels(reader: &Reader, part: usize, header: &Header, digest: &mut Digest) {
    for (lx, ly, _) in levels(header) {
        deep_image(reader.decode_deep_image(part, lx, ly), digest);
    }
}

/// A decoded deep image: its window, offsets and samples, then flattened.
fn deep_image(image: Result<DeepImage>, digest: &mut Digest) {
    digest.status(&image);
    let Ok(image) = image else {
        return;
    };
    let window = image.window();
    for v in [window.min_x, window.min_y, window.max_x, window.max_y] {
        digest.u64(v as u64);
    }
    for &offset in image.offsets() {
        digest.u64(offset);
    }
    let mut names = Vec::new();
    for channel in image.channels() {
        names.push(channel.name().as_bytes().to_vec());
        match channel.samples() {
            DeepSamples::Uint(s) => s.iter().for_each(|&v| digest.u64(u64::from(v))),
            DeepSamples::Half(s) => s.iter().for_each(|v| digest.u64(u64::from(v.to_bits()))),
            DeepSamples::Float(s) => digest.f32s(s),
        }
    }
    decode_planes(&names, window, LEVEL_SAMPLES, digest, |fb| {
        image.flatten(fb)
    });
}
