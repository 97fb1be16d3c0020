//! What the fuzz targets share: the limits every reader runs under, a digest
//! of decoded samples, and one exercise per surface (the Rust reader, the C
//! reader, write-then-read round trips and QOI).
//!
//! Every exercise calls each function a host could call on the input and
//! tolerates any error status; what it must never do is crash, hang, read or
//! write out of bounds, or allocate past the limits (libFuzzer's
//! `-rss_limit_mb` and `-malloc_limit_mb` catch that). Where two ways of
//! decoding must agree (one thread and many, Rust and C, written and read
//! back), the exercise asserts it.

pub mod c_api;
pub mod digest;
pub mod qoi;
pub mod roundtrip;
pub mod rust_api;

use exrkit::meta::types::Box2i;
use exrkit::ReadOptions;

/// The largest data window a fuzzed reader accepts, in pixels.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 20;
/// The most deep samples a fuzzed reader accepts in one part.
pub const MAX_DEEP_SAMPLES: u64 = 1 << 20;
/// The most samples (pixels times slices) the frame buffer of a level
/// decode holds; larger levels are decoded through a clipped window.
pub const LEVEL_SAMPLES: u64 = 1 << 14;
/// The most samples the frame buffer of a block decode holds: enough to
/// make the chunk decompress, small enough not to spend the run on fills.
pub const BLOCK_SAMPLES: u64 = 1 << 12;
/// The most chunks of one part an exercise decodes one by one.
pub const MAX_CHUNKS: u64 = 256;
/// The most levels of one part an exercise decodes.
pub const MAX_LEVELS: u32 = 16;

/// Read options with the fuzzing limits and `threads` threads.
pub fn read_options(threads: u32) -> ReadOptions {
    ReadOptions {
        threads,
        max_image_pixels: MAX_IMAGE_PIXELS,
        max_deep_samples: MAX_DEEP_SAMPLES,
        ..ReadOptions::default()
    }
}

/// The top-left part of `window` that a frame buffer of `slices` slices
/// can hold within `budget` samples; `None` for an empty window.
pub fn clip(window: Box2i, slices: u64, budget: u64) -> Option<Box2i> {
    if window.is_empty() {
        return None;
    }
    let slices = slices.max(1);
    let width = (window.width() as u64).min((budget / slices).max(1));
    let height = (window.height() as u64).min((budget / (slices * width)).max(1));
    Some(Box2i {
        max_x: window.min_x + (width - 1) as i32,
        max_y: window.min_y + (height - 1) as i32,
        ..window
    })
}

/// The pixels of level (`lx`, `ly`) of a part whose level 0 is
/// `data_window`, `width` by `height` in size.
pub fn level_window(data_window: Box2i, width: u64, height: u64) -> Box2i {
    let w = i32::try_from(width).unwrap_or(i32::MAX);
    let h = i32::try_from(height).unwrap_or(i32::MAX);
    Box2i {
        min_x: data_window.min_x,
        min_y: data_window.min_y,
        max_x: data_window.min_x.saturating_add(w - 1),
        max_y: data_window.min_y.saturating_add(h - 1),
    }
}
