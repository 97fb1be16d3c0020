//! HTJ2K256, HTJ2K32 and lossy HTJ2K (OpenEXR 3.4 and 3.5): each chunk is
//! a small header mapping codestream components to channels (see
//! [`chunk`]) and one JPEG 2000 codestream with High-Throughput
//! code-blocks (see [`markers`]).
//!
//! Reading checks both against the block (one component per channel, each
//! at its channel's size, sampling and depth: HALF as signed 16-bit
//! samples, FLOAT as signed 32-bit, UINT as unsigned 32-bit), then reads
//! every packet (see [`packets`]): which code-blocks are coded and where
//! their bytes are, which must use up the tile exactly. Each code-block's
//! HT cleanup pass is decoded (see [`cleanup`]), each component's subbands
//! synthesised (see [`wavelet`]) and the samples mapped back to their
//! channels' bits (see [`image`]). Not decoded yet (issue 15), and
//! answered with `EXRKIT_ERR_UNSUPPORTED`: the irreversible 9/7 wavelet and
//! the non-linearity table of lossy HTJ2K, and HT refinement passes, which
//! OpenEXR does not write.

mod bits;
mod chunk;
mod cleanup;
mod cxt_vlc;
mod image;
mod markers;
mod packets;
mod rows;
mod sample;
mod wavelet;

pub use image::Scratch;

use super::{BlockLayout, Unpacked};
use crate::error::{corrupt, Result};
use crate::meta::compression::Compression;
use crate::meta::types::PixelType;

/// Decodes one HTJ2K chunk of `layout` into `out`, its unpacked block or
/// its runs.
pub(crate) fn decompress(
    compression: Compression,
    layout: &BlockLayout,
    packed: &[u8],
    out: &mut Unpacked<'_, '_>,
    scratch: &mut Scratch,
) -> Result<()> {
    let (chunk, codestream) = check(compression, layout, packed)?;
    let subbands = packets::read(&codestream)?;
    image::decode(
        &codestream,
        &subbands,
        &chunk.channel_of,
        layout,
        out,
        scratch,
    )
    .map_err(|e| e.context(compression.name()))
}

/// Checks the headers of one HTJ2K chunk of `layout` against the block,
/// before anything is allocated for the block; returns its channel map and
/// codestream.
pub fn check<'a>(
    compression: Compression,
    layout: &BlockLayout,
    packed: &'a [u8],
) -> Result<(chunk::Chunk<'a>, markers::Codestream<'a>)> {
    let lossy = compression == Compression::LossyHtj2k;
    let chunk = chunk::read(packed, layout.channels.len(), lossy)?;
    let codestream = markers::read(chunk.codestream)?;
    let (width, height) = (layout.region.width(), layout.region.height());
    let (pad_x, pad_y) = codestream.padding;
    // OpenEXR pads only chunks it codes with the 9/7 wavelet, each way to
    // one more than a multiple of 32.
    let rule = |n: i64| (1 - n).rem_euclid(32);
    let irreversible = codestream.coding.first().is_some_and(|c| !c.reversible);
    if (pad_x, pad_y) != (0, 0)
        && (!irreversible || (i64::from(pad_x), i64::from(pad_y)) != (rule(width), rule(height)))
    {
        corrupt!(
            "HTJ2K chunk of {width}x{height} padded by {pad_x}x{pad_y}, which OpenEXR does not do"
        );
    }
    let padded = (width + i64::from(pad_x), height + i64::from(pad_y));
    if (i64::from(codestream.size.0), i64::from(codestream.size.1)) != padded {
        corrupt!(
            "HTJ2K codestream of {}x{} pixels for a chunk of {width}x{height} padded by {pad_x}x{pad_y}",
            codestream.size.0,
            codestream.size.1
        );
    }
    if codestream.components.len() != layout.channels.len() {
        corrupt!(
            "HTJ2K codestream of {} components for {} channels",
            codestream.components.len(),
            layout.channels.len()
        );
    }
    for (component, &c) in codestream.components.iter().zip(&chunk.channel_of) {
        let Some(channel) = layout.channels.get(c) else {
            corrupt!(
                "HTJ2K component for channel {c} of {}",
                layout.channels.len()
            );
        };
        let expected = match channel.pixel_type {
            PixelType::Half => (16, true),
            PixelType::Float => (32, true),
            _ => (32, false),
        };
        let sampling = (
            i32::from(component.sampling.0),
            i32::from(component.sampling.1),
        );
        // The padding is coded but not stored.
        let size = (
            component
                .size
                .0
                .saturating_sub(pad_x / u32::from(component.sampling.0)) as usize,
            component
                .size
                .1
                .saturating_sub(pad_y / u32::from(component.sampling.1)) as usize,
        );
        if (component.depth, component.signed) != expected
            || sampling != (channel.x_sampling, channel.y_sampling)
            || size != (channel.width, channel.height)
        {
            corrupt!(
                "HTJ2K component of {} {} bits, sampling {sampling:?} and {size:?} samples for a {:?} channel of {}x{} samples, sampling {:?}",
                if component.signed { "signed" } else { "unsigned" },
                component.depth,
                channel.pixel_type,
                channel.width,
                channel.height,
                (channel.x_sampling, channel.y_sampling)
            );
        }
    }
    Ok((chunk, codestream))
}
