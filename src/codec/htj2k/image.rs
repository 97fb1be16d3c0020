//! From a tile's code-blocks to the chunk's unpacked samples: each
//! component's rows (see [`super::rows`]), the colour transform undone on
//! components 0 to 2, and each sample mapped back to its channel's bits.

use std::ops::Range;

use super::cleanup;
use super::markers::{Codestream, Component, Nonlinearity, Quantization};
use super::packets::{Subband, Subbands};
use super::rows::ComponentRows;
use super::sample::{Narrow, Pool, Sample, Wide};
use crate::codec::{BlockLayout, Unpacked};
use crate::error::{corrupt, Error, Result};
use crate::meta::types::PixelType;

/// Buffers a thread reuses from chunk to chunk.
#[derive(Default)]
pub struct Scratch {
    blocks: cleanup::Scratch,
    narrow: Pool<Narrow>,
    wide: Pool<Wide>,
}

impl Scratch {
    /// Bytes of the buffers held.
    pub fn retained_bytes(&self) -> usize {
        self.blocks.retained_bytes() + self.narrow.bytes() + self.wide.bytes()
    }
}

/// Decodes the tile of `codestream`, whose packets gave `subbands`, into
/// `out`, the unpacked block of `layout` or its runs; component `c` is channel
/// `channel_of[c]`. Components are decoded a row at a time, those of the
/// colour transform three abreast.
pub(super) fn decode(
    codestream: &Codestream<'_>,
    subbands: &Subbands<'_>,
    channel_of: &[usize],
    layout: &BlockLayout,
    out: &mut Unpacked<'_, '_>,
    scratch: &mut Scratch,
) -> Result<()> {
    if codestream.coding.iter().any(|c| !c.reversible) {
        return Err(Error::Unsupported(
            "HTJ2K with the irreversible 9/7 wavelet (lossy HTJ2K) is not decoded yet".into(),
        ));
    }
    let Scratch {
        blocks,
        narrow,
        wide,
    } = scratch;
    let mut output = Output::new(layout, out);
    let transformed = if codestream.colour_transform { 3 } else { 0 };
    for (c, component) in codestream.components.iter().enumerate().skip(transformed) {
        let (Some(resolutions), Some(quantization), Some(&channel)) = (
            subbands.get(c),
            codestream.quantization.get(c),
            channel_of.get(c),
        ) else {
            corrupt!("HTJ2K component {c} has no subbands, quantisation or channel");
        };
        let form = StoredAs::of(output.pixel_type(channel)?, component)?;
        let rows = (component, resolutions.as_slice(), quantization);
        let decoded = if is_narrow(component) {
            write_component(rows, channel, form, &mut output, blocks, narrow)
        } else {
            write_component(rows, channel, form, &mut output, blocks, wide)
        };
        decoded.map_err(|e| e.context(format_args!("HTJ2K component {c}")))?;
    }
    if transformed > 0 {
        let parts = (codestream, subbands, channel_of);
        if codestream.components.first().is_some_and(is_narrow) {
            write_transformed(parts, &mut output, blocks, narrow)
        } else {
            write_transformed(parts, &mut output, blocks, wide)
        }?;
    }
    Ok(())
}

/// Whether `component`'s samples are decoded in 32 bits (else 64).
fn is_narrow(component: &Component<'_>) -> bool {
    component.depth <= 16
}

/// A component, its resolutions' subbands and its quantisation.
type ComponentParts<'s, 'a, 'c> = (&'c Component<'c>, &'s [Vec<Subband<'a>>], &'c Quantization);

/// Decodes one component outside the colour transform into its channel.
fn write_component<T: Sample>(
    (component, resolutions, quantization): ComponentParts<'_, '_, '_>,
    channel: usize,
    form: StoredAs,
    output: &mut Output<'_, '_, '_>,
    blocks: &mut cleanup::Scratch,
    pool: &mut Pool<T>,
) -> Result<()> {
    let mut rows = ComponentRows::new(component, resolutions, quantization, pool)?;
    let mut row = pool.take(component.size.0 as usize);
    for y in 0..component.size.1 as usize {
        rows.next_row(&mut row, blocks)?;
        output.write(channel, y, form, &row)?;
    }
    rows.recycle(pool);
    pool.give(row);
    Ok(())
}

/// Decodes components 0 to 2 row by row, undoes the reversible colour
/// transform (T.800 G.2) and writes them into their channels.
fn write_transformed<T: Sample>(
    (codestream, subbands, channel_of): (&Codestream<'_>, &Subbands<'_>, &[usize]),
    output: &mut Output<'_, '_, '_>,
    blocks: &mut cleanup::Scratch,
    pool: &mut Pool<T>,
) -> Result<()> {
    let (Some(components), Some(bands), Some(steps), Some(channels)) = (
        codestream.components.get(..3),
        subbands.get(..3),
        codestream.quantization.get(..3),
        channel_of.get(..3),
    ) else {
        corrupt!("HTJ2K colour transform over fewer than three components");
    };
    let (size, narrow) = (components[0].size, is_narrow(&components[0]));
    if components.iter().any(|c| c.size != size) {
        corrupt!("HTJ2K colour transform over components of different sizes");
    }
    if components.iter().any(|c| is_narrow(c) != narrow) {
        corrupt!("HTJ2K colour transform over components of different depths");
    }
    let mut sources = Vec::with_capacity(3);
    let mut forms = Vec::with_capacity(3);
    for c in 0..3 {
        sources.push(ComponentRows::new(
            &components[c],
            &bands[c],
            &steps[c],
            pool,
        )?);
        forms.push(StoredAs::of(
            output.pixel_type(channels[c])?,
            &components[c],
        )?);
    }
    let width = size.0 as usize;
    let mut rows = [0; 3].map(|_| pool.take(width));
    for y in 0..size.1 as usize {
        for (source, row) in sources.iter_mut().zip(rows.iter_mut()) {
            source.next_row(row, blocks)?;
        }
        let [y0, y1, y2] = &mut rows;
        for ((a, b), c) in y0.iter_mut().zip(y1.iter_mut()).zip(y2.iter_mut()) {
            let green = *a - ((*b + *c) >> 2);
            (*a, *b, *c) = (*c + green, green, *b + green);
        }
        for ((row, &channel), &form) in rows.iter().zip(channels).zip(&forms) {
            output.write(channel, y, form, row)?;
        }
    }
    for source in sources {
        source.recycle(pool);
    }
    for row in rows {
        pool.give(row);
    }
    Ok(())
}

/// The unpacked block or its runs, with where each channel's lines go.
struct Output<'o, 'a, 'b> {
    layout: &'o BlockLayout,
    out: &'o mut Unpacked<'a, 'b>,
    /// Per channel, each line's run: its index, offset and length.
    lines: Vec<Vec<(usize, Range<usize>)>>,
}

impl<'o, 'a, 'b> Output<'o, 'a, 'b> {
    fn new(layout: &'o BlockLayout, out: &'o mut Unpacked<'a, 'b>) -> Self {
        let mut lines = vec![Vec::new(); layout.channels.len()];
        for (index, (_, channel, range)) in layout.segments().enumerate() {
            if let Some(list) = lines.get_mut(channel) {
                list.push((index, range));
            }
        }
        Self { layout, out, lines }
    }

    fn pixel_type(&self, channel: usize) -> Result<PixelType> {
        match self.layout.channels.get(channel) {
            Some(c) => Ok(c.pixel_type),
            None => corrupt!("HTJ2K component maps to channel {channel}, which the part lacks"),
        }
    }

    /// Writes `row`, component row `y` of `channel`, as its bits; rows and
    /// samples past the channel's (padding) are dropped.
    fn write<T: Sample>(
        &mut self,
        channel: usize,
        y: usize,
        form: StoredAs,
        row: &[T],
    ) -> Result<()> {
        let Some((index, range)) = self.lines.get(channel).and_then(|l| l.get(y)).cloned() else {
            return Ok(());
        };
        match self.out.run(index, range.start, range.len()) {
            Some(bytes) => {
                form.write(row, bytes);
                Ok(())
            }
            None => corrupt!("HTJ2K chunk has no room for line {y} of channel {channel}"),
        }
    }
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
