//! The header rules OpenEXR enforces, each failing with a message that says
//! which rule and which values.

use super::channel::Channel;
use super::compression::Compression;
use super::types::{Box2i, Storage, TileDesc};
use crate::error::{corrupt, Result};

/// Coordinates beyond this magnitude make widths overflow 32-bit arithmetic
/// in OpenEXR and are rejected, as OpenEXR rejects them.
const MAX_COORDINATE: i64 = (i32::MAX / 2) as i64 - 1;

/// The data and display windows are non-empty and of sane magnitude.
pub fn windows(data: Box2i, display: Box2i) -> Result<()> {
    for (what, b) in [("data", data), ("display", display)] {
        if b.is_empty() {
            corrupt!(
                "the {what} window ({} {}) - ({} {}) is empty",
                b.min_x,
                b.min_y,
                b.max_x,
                b.max_y
            );
        }
        let extreme = [b.min_x, b.min_y, b.max_x, b.max_y]
            .into_iter()
            .map(|v| i64::from(v).abs())
            .max()
            .unwrap_or(0);
        if extreme > MAX_COORDINATE {
            corrupt!(
                "the {what} window ({} {}) - ({} {}) has coordinates beyond +-{MAX_COORDINATE}",
                b.min_x,
                b.min_y,
                b.max_x,
                b.max_y
            );
        }
    }
    Ok(())
}

/// A normal pixel aspect ratio in 1e-6..1e6 and a screen window width that is
/// not negative.
pub fn view(pixel_aspect_ratio: f32, screen_window_width: f32) -> Result<()> {
    if !pixel_aspect_ratio.is_normal() || !(1e-6..=1e6).contains(&pixel_aspect_ratio) {
        corrupt!("pixel aspect ratio {pixel_aspect_ratio} is not a normal number in 1e-6..1e6");
    }
    if screen_window_width < 0.0 {
        corrupt!("screen window width {screen_window_width} is negative");
    }
    Ok(())
}

/// At least one channel, unique names, positive sampling that divides the
/// data window, and no subsampling in tiled or deep parts. `channels` must be
/// sorted by name.
pub fn channels(channels: &[Channel], data_window: Box2i, storage: Storage) -> Result<()> {
    if channels.is_empty() {
        corrupt!("the channel list is empty");
    }
    if let Some(pair) = channels.windows(2).find(|w| w[0].name == w[1].name) {
        corrupt!("channel '{}' appears twice", pair[0].name);
    }
    for c in channels {
        if c.x_sampling < 1 || c.y_sampling < 1 {
            corrupt!(
                "channel '{}' has sampling {} {}; both must be at least 1",
                c.name,
                c.x_sampling,
                c.y_sampling
            );
        }
        if (storage.is_tiled() || storage.is_deep()) && (c.x_sampling != 1 || c.y_sampling != 1) {
            corrupt!(
                "channel '{}' has sampling {} {} but {} parts allow only 1 1",
                c.name,
                c.x_sampling,
                c.y_sampling,
                storage.type_name()
            );
        }
        let divides = |origin: i32, extent: i64, s: i32| {
            i64::from(origin) % i64::from(s) == 0 && extent % i64::from(s) == 0
        };
        if !divides(data_window.min_x, data_window.width(), c.x_sampling)
            || !divides(data_window.min_y, data_window.height(), c.y_sampling)
        {
            corrupt!(
                "channel '{}' sampling {} {} does not divide the data window's origin and size",
                c.name,
                c.x_sampling,
                c.y_sampling
            );
        }
    }
    Ok(())
}

/// The compression suits the storage.
pub fn compression(compression: Compression, storage: Storage) -> Result<()> {
    if compression == Compression::Qoi {
        corrupt!("compression id 14 is not an OpenEXR compression");
    }
    if storage.is_deep() && !compression.allowed_for_deep() {
        corrupt!(
            "{} compression is not allowed in {} parts",
            compression.name(),
            storage.type_name()
        );
    }
    Ok(())
}

/// Tile sizes within OpenEXR's limit of `INT_MAX / 4`.
pub fn tiles(desc: TileDesc) -> Result<TileDesc> {
    let limit = (i32::MAX / 4) as u32;
    if desc.width == 0 || desc.height == 0 || desc.width > limit || desc.height > limit {
        corrupt!("tile size {}x{} is out of range", desc.width, desc.height);
    }
    Ok(desc)
}
