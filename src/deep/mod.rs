//! Deep data: pixels holding any number of samples each. A [`DeepImage`]
//! keeps them as one flat array per channel (structure of arrays) with
//! whole-image offsets: pixel `i` (row-major over the image's window) owns
//! samples `offsets[i]..offsets[i + 1]` of every channel.

#![forbid(unsafe_code)]

pub mod flatten;
pub(crate) mod table;

use std::ops::Range;

use half::f16;

use crate::error::{try_resize, Error, Result};
use crate::meta::text::Text;
use crate::meta::types::{Box2i, PixelType};
use crate::pixels::FrameBuffer;

/// The samples of one deep channel at the channel's own type.
#[derive(Debug, Clone, PartialEq)]
pub enum DeepSamples {
    /// 32-bit unsigned integers.
    Uint(Vec<u32>),
    /// 16-bit floats.
    Half(Vec<f16>),
    /// 32-bit floats.
    Float(Vec<f32>),
}

impl DeepSamples {
    /// `count` zero samples of `pixel_type`, refusing rather than aborting
    /// when memory runs out. U8 is not a deep sample type.
    pub fn zeroed(pixel_type: PixelType, count: usize) -> Result<Self> {
        Ok(match pixel_type {
            PixelType::Uint => Self::Uint(zeroed_vec(count)?),
            PixelType::Half => Self::Half(zeroed_vec(count)?),
            PixelType::Float => Self::Float(zeroed_vec(count)?),
            PixelType::U8 => {
                return Err(Error::InvalidArgument(
                    "deep channels hold UINT, HALF or FLOAT samples, not U8".into(),
                ))
            }
        })
    }

    /// The samples' type.
    pub fn pixel_type(&self) -> PixelType {
        match self {
            Self::Uint(_) => PixelType::Uint,
            Self::Half(_) => PixelType::Half,
            Self::Float(_) => PixelType::Float,
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        match self {
            Self::Uint(v) => v.len(),
            Self::Half(v) => v.len(),
            Self::Float(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `i` as a float (UINT converted, as OpenEXR converts it).
    pub fn get_f32(&self, i: usize) -> Option<f32> {
        match self {
            Self::Uint(v) => v.get(i).map(|&s| s as f32),
            Self::Half(v) => v.get(i).map(|s| s.to_f32()),
            Self::Float(v) => v.get(i).copied(),
        }
    }
}

fn zeroed_vec<T: Copy + Default>(count: usize) -> Result<Vec<T>> {
    let mut samples = Vec::new();
    try_resize(&mut samples, count)?;
    Ok(samples)
}

/// One channel of a deep image.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepChannel {
    name: Text,
    samples: DeepSamples,
}

impl DeepChannel {
    /// The channel's name.
    pub fn name(&self) -> &Text {
        &self.name
    }

    /// Every sample of every pixel, pixel after pixel.
    pub fn samples(&self) -> &DeepSamples {
        &self.samples
    }

    /// The samples, to fill in; their number is fixed by the image.
    pub fn samples_mut(&mut self) -> DeepSamplesMut<'_> {
        match &mut self.samples {
            DeepSamples::Uint(v) => DeepSamplesMut::Uint(v),
            DeepSamples::Half(v) => DeepSamplesMut::Half(v),
            DeepSamples::Float(v) => DeepSamplesMut::Float(v),
        }
    }
}

/// Writable samples of one deep channel (see [`DeepChannel::samples_mut`]).
#[derive(Debug)]
pub enum DeepSamplesMut<'a> {
    /// 32-bit unsigned integers.
    Uint(&'a mut [u32]),
    /// 16-bit floats.
    Half(&'a mut [f16]),
    /// 32-bit floats.
    Float(&'a mut [f32]),
}

/// A deep image: for every pixel of its window, row by row, a run of
/// samples in each channel.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepImage {
    window: Box2i,
    offsets: Vec<u64>,
    channels: Vec<DeepChannel>,
}

impl DeepImage {
    /// An image over `window` whose pixel `i` (row-major) holds `counts[i]`
    /// samples, with zeroed `channels` (name, type) to fill in through
    /// [`DeepImage::channels_mut`].
    pub fn new(window: Box2i, channels: &[(Text, PixelType)], counts: &[u32]) -> Result<Self> {
        let pixels = pixel_count(window)?;
        if counts.len() != pixels {
            return Err(Error::InvalidArgument(format!(
                "{} sample counts for the {pixels} pixels of {window:?}",
                counts.len()
            )));
        }
        let mut offsets = Vec::new();
        try_resize(&mut offsets, pixels + 1)?;
        let mut total = 0u64;
        for (offset, &count) in offsets[1..].iter_mut().zip(counts) {
            total += u64::from(count);
            *offset = total;
        }
        Self::with_offsets(window, offsets, channels)
    }

    /// An image over `window` with the given whole-image `offsets` (one per
    /// pixel and one more, starting at 0, never decreasing) and zeroed
    /// channels.
    pub(crate) fn with_offsets(
        window: Box2i,
        offsets: Vec<u64>,
        channels: &[(Text, PixelType)],
    ) -> Result<Self> {
        let total = offsets.last().copied().unwrap_or(0);
        let count = usize::try_from(total).map_err(|_| {
            Error::LimitExceeded(format!("{total} deep samples do not fit in memory"))
        })?;
        let channels = channels
            .iter()
            .map(|(name, pixel_type)| {
                Ok(DeepChannel {
                    name: name.clone(),
                    samples: DeepSamples::zeroed(*pixel_type, count)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            window,
            offsets,
            channels,
        })
    }

    /// The pixels the image covers.
    pub fn window(&self) -> Box2i {
        self.window
    }

    /// Where each pixel's samples start, and after the last pixel's the
    /// total: one entry per pixel and one more.
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// The number of samples of all pixels.
    pub fn sample_count(&self) -> u64 {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// The samples of pixel `i` (row-major over the window) in every
    /// channel's array.
    pub fn pixel_samples(&self, i: usize) -> Option<Range<usize>> {
        let start = usize::try_from(*self.offsets.get(i)?).ok()?;
        let end = usize::try_from(*self.offsets.get(i.checked_add(1)?)?).ok()?;
        Some(start..end)
    }

    /// The channels, in the order they were given (a part's channel order
    /// for decoded images).
    pub fn channels(&self) -> &[DeepChannel] {
        &self.channels
    }

    /// The channels, to fill in their samples.
    pub fn channels_mut(&mut self) -> &mut [DeepChannel] {
        &mut self.channels
    }

    /// The offsets and, to fill in at once, the channels.
    pub(crate) fn parts_mut(&mut self) -> (&[u64], &mut [DeepChannel]) {
        (&self.offsets, &mut self.channels)
    }

    /// The channel named `name`.
    pub fn channel(&self, name: &[u8]) -> Option<&DeepChannel> {
        self.channels.iter().find(|c| c.name.as_bytes() == name)
    }

    /// Composites the image into the flat frame buffer `fb`, as OpenEXR's
    /// `CompositeDeepScanLine` does: each pixel's samples sorted front to
    /// back by Z (then ZBack) and combined with "over", each channel with
    /// the alpha its name calls for: A, or per-colour (AR, AG, AB) and
    /// layer alphas where the image has them (see [`flatten`] for the
    /// exact rules). The image needs Z and A channels; slices need 1x1
    /// sampling. Writes every pixel of the frame buffer's window inside the
    /// image's window (0 in every channel where a pixel has no samples, the
    /// fill value for channels the image lacks) and nothing else. Runs over
    /// the rows on the current rayon pool.
    pub fn flatten(&self, fb: &mut FrameBuffer<'_>) -> Result<()> {
        flatten::composite(&[self], fb)
    }
}

/// The first pixel of each line of `region` in the row-major pixels of
/// `window`, which contains it.
pub(crate) fn line_starts(region: Box2i, window: Box2i) -> impl Iterator<Item = Option<usize>> {
    let width = window.width();
    (region.min_y..=region.max_y).map(move |y| {
        let row = i64::from(y) - i64::from(window.min_y);
        let column = i64::from(region.min_x) - i64::from(window.min_x);
        usize::try_from(row * width + column).ok()
    })
}

/// The number of pixels of `window`, which must fit in memory.
pub(crate) fn pixel_count(window: Box2i) -> Result<usize> {
    usize::try_from(window.area())
        .ok()
        .filter(|&n| n < usize::MAX)
        .ok_or_else(|| Error::LimitExceeded(format!("{window:?} has too many pixels")))
}
