//! From a tile's code-blocks to the chunk's unpacked samples: each
//! component's code-blocks decoded into its subbands, the subbands
//! synthesised resolution by resolution, the colour transform undone, and
//! each sample mapped back to its channel's bits.

use super::cleanup::{self, Target};
use super::markers::{Codestream, Component, Nonlinearity, Quantization};
use super::packets::{Orientation, Subband, Subbands};
use super::wavelet::{synthesize_53, Bands};
use crate::codec::BlockLayout;
use crate::error::{corrupt, try_resize, Error, Result};
use crate::meta::types::PixelType;

/// Buffers a thread reuses from chunk to chunk.
#[derive(Default)]
pub struct Scratch {
    components: Vec<Vec<i64>>,
    bands: [Vec<i64>; 4],
    rows: Vec<i64>,
    cleanup: cleanup::Scratch,
}

impl Scratch {
    /// Bytes of the buffers held.
    pub fn retained_bytes(&self) -> usize {
        let samples = |v: &Vec<i64>| v.capacity() * std::mem::size_of::<i64>();
        self.components.iter().map(samples).sum::<usize>()
            + self.bands.iter().map(samples).sum::<usize>()
            + samples(&self.rows)
    }
}

/// Decodes the tile of `codestream`, whose packets gave `subbands`, into
/// `out`, the unpacked block of `layout`; component `c` is channel
/// `channel_of[c]`.
pub(super) fn decode(
    codestream: &Codestream<'_>,
    subbands: &Subbands<'_>,
    channel_of: &[usize],
    layout: &BlockLayout,
    out: &mut [u8],
    scratch: &mut Scratch,
) -> Result<()> {
    if codestream.coding.iter().any(|c| !c.reversible) {
        return Err(Error::Unsupported(
            "HTJ2K with the irreversible 9/7 wavelet (lossy HTJ2K) is not decoded yet".into(),
        ));
    }
    let count = codestream.components.len();
    scratch.components.resize_with(count, Vec::new);
    for (c, component) in codestream.components.iter().enumerate() {
        let (Some(resolutions), Some(quantization)) =
            (subbands.get(c), codestream.quantization.get(c))
        else {
            corrupt!("HTJ2K component {c} has no subbands or quantisation");
        };
        component_samples(
            component,
            resolutions,
            quantization,
            &mut scratch.components[c],
            &mut scratch.bands,
            &mut scratch.rows,
            &mut scratch.cleanup,
        )
        .map_err(|e| e.context(format_args!("HTJ2K component {c}")))?;
    }
    if codestream.colour_transform {
        undo_colour_transform(&codestream.components, &mut scratch.components)?;
    }
    write_channels(codestream, channel_of, &scratch.components, layout, out)
}

/// Decodes one component's code-blocks and synthesises its samples into
/// `samples`, row after row.
fn component_samples(
    component: &Component<'_>,
    resolutions: &[Vec<Subband<'_>>],
    quantization: &Quantization,
    samples: &mut Vec<i64>,
    bands: &mut [Vec<i64>; 4],
    rows: &mut Vec<i64>,
    blocks: &mut cleanup::Scratch,
) -> Result<()> {
    let Some((lowest, higher)) = resolutions.split_first() else {
        corrupt!("HTJ2K component without resolutions");
    };
    let Some(ll) = lowest.first() else {
        corrupt!("HTJ2K resolution 0 without its band");
    };
    let mut size = (ll.size.0 as usize, ll.size.1 as usize);
    decode_band(ll, 0, quantization, samples, blocks)?;
    for (r, resolution) in higher.iter().enumerate() {
        let [hl, lh, hh] = resolution.as_slice() else {
            corrupt!("HTJ2K resolution {} without its three bands", r + 1);
        };
        for (band, buffer) in [hl, lh, hh].into_iter().zip(bands.iter_mut()) {
            let index = 3 * r + 1 + band_offset(band.orientation);
            decode_band(band, index, quantization, buffer, blocks)?;
        }
        let next = (
            (hl.size.0 + lh.size.0) as usize,
            (lh.size.1 + hl.size.1) as usize,
        );
        let halves = |n: usize| (n.div_ceil(2) as u32, (n / 2) as u32);
        let ((low_w, high_w), (low_h, high_h)) = (halves(next.0), halves(next.1));
        if size != (low_w as usize, low_h as usize)
            || hl.size != (high_w, low_h)
            || lh.size != (low_w, high_h)
            || hh.size != (high_w, high_h)
        {
            corrupt!("HTJ2K resolution {} has bands of mismatched sizes", r + 1);
        }
        let [ref hl_buffer, ref lh_buffer, ref hh_buffer, ref mut synthesised] = *bands;
        try_resize(synthesised, next.0 * next.1)?;
        synthesize_53(
            &Bands {
                ll: samples,
                hl: hl_buffer,
                lh: lh_buffer,
                hh: hh_buffer,
            },
            next,
            synthesised,
            rows,
        );
        std::mem::swap(samples, synthesised);
        size = next;
    }
    if size != (component.size.0 as usize, component.size.1 as usize) {
        corrupt!(
            "HTJ2K component of {:?} samples synthesises to {size:?}",
            component.size
        );
    }
    Ok(())
}

/// 0, 1 and 2 for HL, LH and HH (LL never comes here).
fn band_offset(orientation: Orientation) -> usize {
    match orientation {
        Orientation::Ll | Orientation::Hl => 0,
        Orientation::Lh => 1,
        Orientation::Hh => 2,
    }
}

/// Decodes the code-blocks of `band`, the `index`-th of its component
/// (LL first, then HL, LH, HH from the lowest resolution up), into
/// `samples`; blocks without data are zero.
fn decode_band(
    band: &Subband<'_>,
    index: usize,
    quantization: &Quantization,
    samples: &mut Vec<i64>,
    blocks: &mut cleanup::Scratch,
) -> Result<()> {
    let (w, h) = (band.size.0 as usize, band.size.1 as usize);
    samples.clear();
    try_resize(samples, w * h)?;
    if band.blocks.is_empty() {
        return Ok(());
    }
    let k_max = magnitude_bits(quantization, index)?;
    for block in &band.blocks {
        if block.passes > 1 {
            return Err(Error::Unsupported(
                "HTJ2K code-blocks with refinement passes are not decoded yet (OpenEXR writes cleanup passes only)"
                    .into(),
            ));
        }
        let (x, y) = (block.at.0 as usize, block.at.1 as usize);
        let (bw, bh) = (block.size.0 as usize, block.size.1 as usize);
        if x + bw > w || y + bh > h {
            corrupt!("HTJ2K code-block at ({x}, {y}) of {bw}x{bh} outside its {w}x{h} band");
        }
        let target = Target {
            samples: &mut samples[y * w + x..],
            stride: w,
            size: (bw, bh),
            missing_msbs: block.missing_msbs,
            k_max,
        };
        cleanup::decode(block.cleanup, target, blocks)?;
    }
    Ok(())
}

/// The magnitude bit-planes of the `index`-th band (T.800 E-2): guard bits
/// plus the band's exponent, less one.
fn magnitude_bits(quantization: &Quantization, index: usize) -> Result<u32> {
    let exponent = match quantization.steps.get(index) {
        Some(&(exponent, _)) => u32::from(exponent),
        None if quantization.derived => {
            // T.800 E-5: the LL exponent, less the band's depth below it.
            let (ll, _) = quantization.steps.first().copied().unwrap_or_default();
            let resolution = index.div_ceil(3) as u32;
            let Some(exponent) = u32::from(ll).checked_sub(resolution.saturating_sub(1)) else {
                corrupt!("HTJ2K derived quantisation gives band {index} a negative exponent");
            };
            exponent
        }
        None => corrupt!("HTJ2K quantisation has no step for band {index}"),
    };
    match (u32::from(quantization.guard_bits) + exponent).checked_sub(1) {
        Some(bits) if bits > 0 => Ok(bits),
        _ => corrupt!("HTJ2K band {index} has no magnitude bit-planes"),
    }
}

/// Undoes the reversible colour transform (T.800 G.2) on components 0 to 2.
fn undo_colour_transform(components: &[Component<'_>], samples: &mut [Vec<i64>]) -> Result<()> {
    let [y0, y1, y2, ..] = samples else {
        corrupt!("HTJ2K colour transform over fewer than three components");
    };
    let size = components.first().map(|c| c.size);
    if components.len() < 3 || components[..3].iter().any(|c| Some(c.size) != size) {
        corrupt!("HTJ2K colour transform over components of different sizes");
    }
    for ((a, b), c) in y0.iter_mut().zip(y1.iter_mut()).zip(y2.iter_mut()) {
        let green = *a - ((*b + *c) >> 2);
        let red = *c + green;
        let blue = *b + green;
        (*a, *b, *c) = (red, green, blue);
    }
    Ok(())
}

/// Writes each component's samples, as its channel's bits, into the
/// unpacked block.
fn write_channels(
    codestream: &Codestream<'_>,
    channel_of: &[usize],
    samples: &[Vec<i64>],
    layout: &BlockLayout,
    out: &mut [u8],
) -> Result<()> {
    let mut component_of = vec![usize::MAX; layout.channels.len()];
    for (c, &channel) in channel_of.iter().enumerate() {
        if let Some(slot) = component_of.get_mut(channel) {
            *slot = c;
        }
    }
    let mut line_of = vec![0usize; layout.channels.len()];
    for (_, channel, range) in layout.segments() {
        let c = component_of[channel];
        let (Some(component), Some(samples), Some(bytes)) = (
            codestream.components.get(c),
            samples.get(c),
            out.get_mut(range),
        ) else {
            corrupt!("HTJ2K chunk has no component for channel {channel}");
        };
        let line = line_of[channel];
        line_of[channel] += 1;
        let width = component.size.0 as usize;
        let Some(row) = samples.get(line * width..(line + 1) * width) else {
            corrupt!("HTJ2K component {c} has no line {line}");
        };
        let map = sample_bits(layout.channels[channel].pixel_type, component)?;
        match layout.channels[channel].pixel_type {
            PixelType::Half => {
                for (dst, &v) in bytes.chunks_exact_mut(2).zip(row) {
                    dst.copy_from_slice(&(map(v) as u16).to_le_bytes());
                }
            }
            _ => {
                for (dst, &v) in bytes.chunks_exact_mut(4).zip(row) {
                    dst.copy_from_slice(&map(v).to_le_bytes());
                }
            }
        }
    }
    Ok(())
}

/// How a decoded sample of `component` becomes the bits of a `pixel_type`
/// sample: UINT undoes the level shift (T.800 G.1.2); HALF and FLOAT,
/// signed, undo NLT type 3, which stores negative samples with their
/// magnitude bits flipped.
fn sample_bits(pixel_type: PixelType, component: &Component<'_>) -> Result<fn(i64) -> u32> {
    Ok(match (pixel_type, component.nonlinearity) {
        (_, Nonlinearity::Table(_)) => {
            return Err(Error::Unsupported(
                "HTJ2K non-linearity tables (lossy HTJ2K) are not decoded yet".into(),
            ))
        }
        (PixelType::Half, Nonlinearity::SignMagnitude) => |v| {
            let bits = v as u16;
            u32::from(if bits & 0x8000 != 0 {
                bits ^ 0x7FFF
            } else {
                bits
            })
        },
        (PixelType::Half, Nonlinearity::None) => |v| u32::from(v as u16),
        (PixelType::Float, Nonlinearity::SignMagnitude) => |v| {
            let bits = v as u32;
            if bits & 0x8000_0000 != 0 {
                bits ^ 0x7FFF_FFFF
            } else {
                bits
            }
        },
        (PixelType::Float, Nonlinearity::None) => |v| v as u32,
        (_, _) => |v| (v as u32) ^ 0x8000_0000,
    })
}
