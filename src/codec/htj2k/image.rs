//! From a tile's code-blocks to the chunk's unpacked samples: each
//! component's code-blocks decoded into its subbands, the subbands
//! synthesised resolution by resolution, the colour transform undone, and
//! each sample mapped back to its channel's bits.

use super::cleanup::{self, Target};
use super::markers::{Codestream, Component, Nonlinearity, Quantization};
use super::packets::{Orientation, Subband, Subbands};
use super::sample::{Narrow, Sample, Wide};
use super::wavelet::{synthesize_53, Bands};
use crate::codec::BlockLayout;
use crate::error::{corrupt, grown, Error, Result};
use crate::meta::types::PixelType;

/// One component's samples, at the width it is decoded in.
enum Plane {
    Narrow(Vec<Narrow>),
    Wide(Vec<Wide>),
}

impl Plane {
    fn bytes(&self) -> usize {
        match self {
            Self::Narrow(v) => v.capacity() * std::mem::size_of::<Narrow>(),
            Self::Wide(v) => v.capacity() * std::mem::size_of::<Wide>(),
        }
    }
}

/// Band and row buffers of one sample width.
struct Buffers<T> {
    /// HL, LH, HH, and the resolution they synthesise.
    bands: [Vec<T>; 4],
    /// One row's even samples.
    evens: Vec<T>,
}

impl<T> Default for Buffers<T> {
    fn default() -> Self {
        Self {
            bands: Default::default(),
            evens: Vec::new(),
        }
    }
}

impl<T> Buffers<T> {
    fn bytes(&self) -> usize {
        let capacity: usize = self.bands.iter().map(Vec::capacity).sum();
        (capacity + self.evens.capacity()) * std::mem::size_of::<T>()
    }
}

/// Buffers a thread reuses from chunk to chunk.
#[derive(Default)]
pub struct Scratch {
    planes: Vec<Plane>,
    narrow: Buffers<Narrow>,
    wide: Buffers<Wide>,
    cleanup: cleanup::Scratch,
}

impl Scratch {
    /// Bytes of the buffers held.
    pub fn retained_bytes(&self) -> usize {
        self.planes.iter().map(Plane::bytes).sum::<usize>()
            + self.narrow.bytes()
            + self.wide.bytes()
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
    let Scratch {
        planes,
        narrow,
        wide,
        cleanup,
    } = scratch;
    // Components 0 to 2 of the colour transform are kept until all three
    // are decoded; any other is written out at once from one plane.
    let transformed = if codestream.colour_transform { 3 } else { 0 };
    for (c, component) in codestream.components.iter().enumerate() {
        let (Some(resolutions), Some(quantization)) =
            (subbands.get(c), codestream.quantization.get(c))
        else {
            corrupt!("HTJ2K component {c} has no subbands or quantisation");
        };
        let slot = c.min(transformed);
        while planes.len() <= slot {
            planes.push(Plane::Narrow(Vec::new()));
        }
        let plane = &mut planes[slot];
        let decoded = if component.depth <= 16 {
            if !matches!(plane, Plane::Narrow(_)) {
                *plane = Plane::Narrow(Vec::new());
            }
            let Plane::Narrow(samples) = plane else {
                unreachable!("the plane was just made narrow");
            };
            component_samples(
                component,
                resolutions,
                quantization,
                samples,
                narrow,
                cleanup,
            )
        } else {
            if !matches!(plane, Plane::Wide(_)) {
                *plane = Plane::Wide(Vec::new());
            }
            let Plane::Wide(samples) = plane else {
                unreachable!("the plane was just made wide");
            };
            component_samples(component, resolutions, quantization, samples, wide, cleanup)
        };
        decoded.map_err(|e| e.context(format_args!("HTJ2K component {c}")))?;
        if c >= transformed {
            write_component(c, component, &planes[slot], channel_of, layout, out)?;
        }
    }
    if transformed > 0 {
        undo_colour_transform(&codestream.components, planes)?;
        for (c, component) in codestream.components.iter().enumerate().take(3) {
            write_component(c, component, &planes[c], channel_of, layout, out)?;
        }
    }
    Ok(())
}

/// Decodes one component's code-blocks and synthesises its samples into
/// `samples`, row after row.
fn component_samples<T: Sample>(
    component: &Component<'_>,
    resolutions: &[Vec<Subband<'_>>],
    quantization: &Quantization,
    samples: &mut Vec<T>,
    buffers: &mut Buffers<T>,
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
        for (band, buffer) in [hl, lh, hh].into_iter().zip(buffers.bands.iter_mut()) {
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
        // The buffers only grow: each holds its band in its first samples.
        let [ref hl_buffer, ref lh_buffer, ref hh_buffer, ref mut synthesised] = buffers.bands;
        let area = |(w, h): (u32, u32)| w as usize * h as usize;
        synthesize_53(
            &Bands {
                ll: &samples[..size.0 * size.1],
                hl: &hl_buffer[..area(hl.size)],
                lh: &lh_buffer[..area(lh.size)],
                hh: &hh_buffer[..area(hh.size)],
            },
            next,
            grown(synthesised, next.0 * next.1)?,
            &mut buffers.evens,
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
fn decode_band<T: Sample>(
    band: &Subband<'_>,
    index: usize,
    quantization: &Quantization,
    samples: &mut Vec<T>,
    blocks: &mut cleanup::Scratch,
) -> Result<()> {
    let (w, h) = (band.size.0 as usize, band.size.1 as usize);
    let samples = grown(samples, w * h)?;
    // Coded blocks write all their samples; the others are zero.
    let coded: usize = band
        .blocks
        .iter()
        .map(|b| b.size.0 as usize * b.size.1 as usize)
        .sum();
    if coded != w * h {
        samples.fill(T::default());
    }
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
fn undo_colour_transform(components: &[Component<'_>], planes: &mut [Plane]) -> Result<()> {
    let size = components.first().map(|c| c.size);
    if components.len() < 3 || components[..3].iter().any(|c| Some(c.size) != size) {
        corrupt!("HTJ2K colour transform over components of different sizes");
    }
    let n = size.map_or(0, |(w, h)| w as usize * h as usize);
    match planes {
        [Plane::Narrow(a), Plane::Narrow(b), Plane::Narrow(c), ..] => rct(a, b, c, n),
        [Plane::Wide(a), Plane::Wide(b), Plane::Wide(c), ..] => rct(a, b, c, n),
        _ => corrupt!("HTJ2K colour transform over components of different depths"),
    }
}

/// Turns the first `n` samples of Y0, Y1, Y2 into R, G, B in place.
fn rct<T: Sample>(y0: &mut [T], y1: &mut [T], y2: &mut [T], n: usize) -> Result<()> {
    let (Some(y0), Some(y1), Some(y2)) = (y0.get_mut(..n), y1.get_mut(..n), y2.get_mut(..n)) else {
        corrupt!("HTJ2K colour transform over components of fewer than {n} samples");
    };
    for ((a, b), c) in y0.iter_mut().zip(y1.iter_mut()).zip(y2.iter_mut()) {
        let green = *a - ((*b + *c) >> 2);
        (*a, *b, *c) = (*c + green, green, *b + green);
    }
    Ok(())
}

/// Writes component `c`'s samples, as its channel's bits, into the
/// unpacked block.
fn write_component(
    c: usize,
    component: &Component<'_>,
    plane: &Plane,
    channel_of: &[usize],
    layout: &BlockLayout,
    out: &mut [u8],
) -> Result<()> {
    let Some(&channel) = channel_of.get(c) else {
        corrupt!("HTJ2K component {c} has no channel");
    };
    let Some(pixel_type) = layout.channels.get(channel).map(|l| l.pixel_type) else {
        corrupt!("HTJ2K component {c} maps to channel {channel}, which the part lacks");
    };
    let form = StoredAs::of(pixel_type, component)?;
    let width = component.size.0 as usize;
    let lines = layout.segments().filter(|&(_, ch, _)| ch == channel);
    for (line, (_, _, range)) in lines.enumerate() {
        let rows = line * width..(line + 1) * width;
        let written = match (plane, out.get_mut(range)) {
            (Plane::Narrow(samples), Some(bytes)) => {
                samples.get(rows).map(|row| form.write(row, bytes))
            }
            (Plane::Wide(samples), Some(bytes)) => {
                samples.get(rows).map(|row| form.write(row, bytes))
            }
            (_, None) => None,
        };
        if written.is_none() {
            corrupt!("HTJ2K component {c} has no line {line}");
        }
    }
    Ok(())
}

/// How a decoded sample becomes a channel's bits.
#[derive(Clone, Copy)]
enum StoredAs {
    /// The low 16 bits (HALF without NLT).
    Half,
    /// HALF through NLT type 3: a negative sample's magnitude bits flipped.
    HalfSignMagnitude,
    /// The low 32 bits (FLOAT without NLT).
    Float,
    /// FLOAT through NLT type 3.
    FloatSignMagnitude,
    /// UINT: the level shift undone (T.800 G.1.2), 2^31 added.
    Unsigned,
}

impl StoredAs {
    fn of(pixel_type: PixelType, component: &Component<'_>) -> Result<Self> {
        Ok(match (pixel_type, component.nonlinearity) {
            (_, Nonlinearity::Table(_)) => {
                return Err(Error::Unsupported(
                    "HTJ2K non-linearity tables (lossy HTJ2K) are not decoded yet".into(),
                ))
            }
            (PixelType::Half, Nonlinearity::SignMagnitude) => Self::HalfSignMagnitude,
            (PixelType::Half, Nonlinearity::None) => Self::Half,
            (PixelType::Float, Nonlinearity::SignMagnitude) => Self::FloatSignMagnitude,
            (PixelType::Float, Nonlinearity::None) => Self::Float,
            (_, _) => Self::Unsigned,
        })
    }

    /// Writes `row` into `bytes`, little-endian.
    fn write<T: Sample>(self, row: &[T], bytes: &mut [u8]) {
        let half = |bytes: &mut [u8], f: fn(u16) -> u16| {
            for (dst, &v) in bytes.chunks_exact_mut(2).zip(row) {
                dst.copy_from_slice(&f(v.to_i64() as u16).to_le_bytes());
            }
        };
        let float = |bytes: &mut [u8], f: fn(u32) -> u32| {
            for (dst, &v) in bytes.chunks_exact_mut(4).zip(row) {
                dst.copy_from_slice(&f(v.to_i64() as u32).to_le_bytes());
            }
        };
        match self {
            Self::Half => half(bytes, |v| v),
            Self::HalfSignMagnitude => {
                half(bytes, |v| if v & 0x8000 != 0 { v ^ 0x7FFF } else { v })
            }
            Self::Float => float(bytes, |v| v),
            Self::FloatSignMagnitude => float(bytes, |v| {
                if v & 0x8000_0000 != 0 {
                    v ^ 0x7FFF_FFFF
                } else {
                    v
                }
            }),
            Self::Unsigned => float(bytes, |v| v ^ 0x8000_0000),
        }
    }
}
