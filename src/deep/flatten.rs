//! Flattening: deep images composited into a flat frame buffer, as
//! OpenEXR's `CompositeDeepScanLine` does with its default
//! `DeepCompositing`.
//!
//! For each pixel, the samples of every image are taken in image order,
//! sorted front to back by Z, then ZBack, then that order (a stable sort;
//! samples already in order keep it), and combined with "over":
//! before each sample the alpha gathered so far, `a`, is read; compositing
//! stops once `a >= 1`; otherwise every output channel, A, Z and ZBack
//! included, adds `(1 - a) * sample`. Samples are premultiplied, as deep
//! samples are; every channel uses the one alpha channel "A". Everything
//! is computed in 32-bit float, in this order, so the results are the
//! bits OpenEXR computes.
//!
//! So A is the accumulated coverage, a colour channel is the colour seen,
//! and Z (and ZBack) the depths weighted by each sample's visible share. A
//! pixel without samples is 0 in every channel. ZBack requested of images
//! without ZBack is composited from Z, as OpenEXR does; an image lacking a
//! channel that another has contributes 0 samples to it. Frame-buffer
//! channels no image has get the slice's fill value.
//!
//! One difference from OpenEXR: it sorts only pixels whose samples come
//! from more than one image, so it composites a single image's unsorted
//! samples in stored order; here they are always sorted. Tidy images
//! (sorted samples, as OpenEXR's deep sample images are) give the same
//! bits either way.
//!
//! ```no_run
//! use exrkit::deep::{flatten, DeepImage};
//! use exrkit::pixels::FrameBuffer;
//! use exrkit::{ReadOptions, Reader};
//!
//! fn decode(path: &str) -> exrkit::Result<DeepImage> {
//!     Reader::open(path, ReadOptions::default())?.decode_deep_image(0, 0, 0)
//! }
//! let (balls, leaves) = (decode("Balls.exr")?, decode("Leaves.exr")?);
//! let window = leaves.window();
//! let mut rgba = vec![0f32; window.area() as usize * 4];
//! let channels = [("R", 0.0), ("G", 0.0), ("B", 0.0), ("A", 0.0)];
//! let mut fb = FrameBuffer::interleaved(window, &channels, &mut rgba)?;
//! leaves.flatten(&mut fb)?; // one image
//! flatten::composite(&[&balls, &leaves], &mut fb)?; // both, interleaved by depth
//! # Ok::<(), exrkit::Error>(())
//! ```

use std::cmp::Ordering;
use std::ops::Range;

use super::{DeepImage, DeepSamples};
use crate::error::{Error, Result};
use crate::meta::types::Box2i;
use crate::pixels::FrameBuffer;

/// Positions of Z, ZBack and A among the composited channels; any other
/// requested channel follows them.
const Z: usize = 0;
const ZBACK: usize = 1;
const ALPHA: usize = 2;

/// What a frame-buffer slice receives.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    /// Composited channel `k`.
    Channel(usize),
    /// The slice's fill value: no image has the channel.
    Fill,
}

/// One sample of a pixel, with the keys it is sorted by.
#[derive(Debug, Clone, Copy)]
struct Entry {
    z: f32,
    zback: f32,
    image: usize,
    sample: usize,
}

/// The decisions of one composite: which samples feed which output.
struct Plan<'i> {
    images: &'i [&'i DeepImage],
    /// For each image, the samples of each composited channel (`None`
    /// where the image lacks it: zero samples).
    sources: Vec<Vec<Option<&'i DeepSamples>>>,
    /// Number of composited channels.
    channels: usize,
    /// For each slice of the frame buffer, what it receives.
    targets: Vec<Target>,
}

/// Composites `images` (one or more, all of them with Z and A channels)
/// into `fb`: every pixel of the frame buffer's window inside the union of
/// the images' windows; pixels outside it are left untouched. Slices must
/// have 1x1 sampling. Runs over the rows on the current rayon pool.
pub fn composite(images: &[&DeepImage], fb: &mut FrameBuffer<'_>) -> Result<()> {
    let plan = Plan::new(images, fb)?;
    let Some(union) = images
        .iter()
        .map(|image| image.window())
        .filter(|w| !w.is_empty())
        .reduce(|a, b| Box2i {
            min_x: a.min_x.min(b.min_x),
            min_y: a.min_y.min(b.min_y),
            max_x: a.max_x.max(b.max_x),
            max_y: a.max_y.max(b.max_y),
        })
    else {
        return Ok(());
    };
    let w = fb.window();
    let (min_x, max_x) = (union.min_x.max(w.min_x), union.max_x.min(w.max_x));
    if min_x > max_x {
        return Ok(());
    }
    fb.for_each_row(union.min_y, union.max_y, |mut row| {
        let y = row.y();
        let mut entries = Vec::new();
        let mut out = vec![0f32; plan.channels];
        for x in min_x..=max_x {
            plan.gather(x, y, &mut entries);
            plan.composite_pixel(&entries, &mut out);
            for (slice, target) in plan.targets.iter().enumerate() {
                match *target {
                    Target::Channel(k) => row.store(slice, x, out.get(k).copied().unwrap_or(0.0)),
                    Target::Fill => row.fill(slice, x),
                }
            }
        }
    });
    Ok(())
}

impl<'i> Plan<'i> {
    /// Checks the images and matches the frame buffer's slices with their
    /// channels.
    fn new(images: &'i [&'i DeepImage], fb: &FrameBuffer<'_>) -> Result<Self> {
        if images.is_empty() {
            return Err(Error::InvalidArgument("no deep images to composite".into()));
        }
        for (i, image) in images.iter().enumerate() {
            for name in ["Z", "A"] {
                if image.channel(name.as_bytes()).is_none() {
                    let which = match images.len() {
                        1 => "the deep image".to_string(),
                        _ => format!("deep image {i}"),
                    };
                    return Err(Error::InvalidArgument(format!(
                        "{which} has no {name} channel; flattening needs Z and A"
                    )));
                }
            }
        }
        let zback = images.iter().any(|image| image.channel(b"ZBack").is_some());
        let mut names: Vec<&[u8]> = vec![b"Z", if zback { b"ZBack" } else { b"Z" }, b"A"];
        let mut targets = Vec::with_capacity(fb.slices.len());
        for slice in &fb.slices {
            let name = String::from_utf8_lossy(&slice.channel);
            if slice.x_sampling != 1 || slice.y_sampling != 1 {
                return Err(Error::InvalidArgument(format!(
                    "slice '{name}': flattening fills every pixel, so sampling must be 1x1, not {}x{}",
                    slice.x_sampling, slice.y_sampling
                )));
            }
            let target = match slice.channel.as_slice() {
                b"Z" => Target::Channel(Z),
                b"ZBack" => Target::Channel(ZBACK),
                b"A" => Target::Channel(ALPHA),
                other => match names.iter().position(|n| *n == other) {
                    Some(k) => Target::Channel(k),
                    None if images.iter().any(|image| image.channel(other).is_some()) => {
                        names.push(other);
                        Target::Channel(names.len() - 1)
                    }
                    None => Target::Fill,
                },
            };
            targets.push(target);
        }
        let sources = images
            .iter()
            .map(|image| {
                names
                    .iter()
                    .map(|name| image.channel(name).map(|c| c.samples()))
                    .collect()
            })
            .collect();
        Ok(Self {
            images,
            sources,
            channels: names.len(),
            targets,
        })
    }

    /// Sample `sample` of image `image` in composited channel `channel`
    /// as a float (0 where the image lacks the channel).
    fn value(&self, image: usize, channel: usize, sample: usize) -> f32 {
        self.sources
            .get(image)
            .and_then(|channels| channels.get(channel).copied().flatten())
            .and_then(|samples| samples.get_f32(sample))
            .unwrap_or(0.0)
    }

    /// The samples of pixel (`x`, `y`), image after image, in the order
    /// they are composited.
    fn gather(&self, x: i32, y: i32, entries: &mut Vec<Entry>) {
        entries.clear();
        for (image, deep) in self.images.iter().enumerate() {
            for sample in pixel_range(deep, x, y) {
                entries.push(Entry {
                    z: self.value(image, Z, sample),
                    zback: self.value(image, ZBACK, sample),
                    image,
                    sample,
                });
            }
        }
        let in_order = entries
            .windows(2)
            .all(|pair| before(&pair[1], &pair[0]) != Ordering::Less);
        if !in_order {
            entries.sort_by(before);
        }
    }

    /// Composites `entries` front to back into `out`.
    fn composite_pixel(&self, entries: &[Entry], out: &mut [f32]) {
        out.fill(0.0);
        for entry in entries {
            let alpha = out.get(ALPHA).copied().unwrap_or(0.0);
            if alpha >= 1.0 {
                break;
            }
            let visible = 1.0 - alpha;
            for (channel, o) in out.iter_mut().enumerate() {
                *o += visible * self.value(entry.image, channel, entry.sample);
            }
        }
    }
}

/// The samples of pixel (`x`, `y`) of `image`: none outside its window.
fn pixel_range(image: &DeepImage, x: i32, y: i32) -> Range<usize> {
    let w = image.window();
    if x < w.min_x || x > w.max_x || y < w.min_y || y > w.max_y {
        return 0..0;
    }
    let index = (i64::from(y) - i64::from(w.min_y)) * w.width() + i64::from(x) - i64::from(w.min_x);
    usize::try_from(index)
        .ok()
        .and_then(|i| image.pixel_samples(i))
        .unwrap_or(0..0)
}

/// Front to back: by Z, then ZBack (as OpenEXR compares them, so -0 and
/// +0 are equal), with NaN behind every number so that the order is total.
fn before(a: &Entry, b: &Entry) -> Ordering {
    depth(a.z, b.z).then_with(|| depth(a.zback, b.zback))
}

fn depth(a: f32, b: f32) -> Ordering {
    a.partial_cmp(&b)
        .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::text::Text;
    use crate::meta::types::PixelType;
    use half::f16;

    /// A deep image over `window` whose pixels hold `pixels[i]` samples,
    /// each a list of (channel, value); every channel is FLOAT unless named
    /// in `halves`.
    fn image(window: Box2i, channels: &[&str], pixels: &[&[&[f32]]]) -> DeepImage {
        let list: Vec<(Text, PixelType)> = channels
            .iter()
            .map(|&name| {
                let pixel_type = if name == "G" {
                    PixelType::Half
                } else {
                    PixelType::Float
                };
                (Text::from(name), pixel_type)
            })
            .collect();
        let counts: Vec<u32> = pixels.iter().map(|p| p.len() as u32).collect();
        let mut deep = DeepImage::new(window, &list, &counts).unwrap();
        let samples: Vec<&[f32]> = pixels.iter().flat_map(|p| p.iter().copied()).collect();
        for (c, channel) in deep.channels_mut().iter_mut().enumerate() {
            match channel.samples_mut() {
                crate::deep::DeepSamplesMut::Float(out) => {
                    for (o, s) in out.iter_mut().zip(&samples) {
                        *o = s[c];
                    }
                }
                crate::deep::DeepSamplesMut::Half(out) => {
                    for (o, s) in out.iter_mut().zip(&samples) {
                        *o = f16::from_f32(s[c]);
                    }
                }
                crate::deep::DeepSamplesMut::Uint(out) => {
                    for (o, s) in out.iter_mut().zip(&samples) {
                        *o = s[c] as u32;
                    }
                }
            }
        }
        deep
    }

    fn window(min_x: i32, min_y: i32, max_x: i32, max_y: i32) -> Box2i {
        Box2i {
            min_x,
            min_y,
            max_x,
            max_y,
        }
    }

    /// Flattens `images` into FLOAT buffers for `channels` over `w`, every
    /// pixel starting at -7 (fill -1).
    fn flat(images: &[&DeepImage], w: Box2i, channels: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut buffers = vec![vec![-7f32; w.area() as usize]; channels.len()];
        let mut fb = FrameBuffer::new(w)?;
        for (name, buffer) in channels.iter().zip(buffers.iter_mut()) {
            fb.add(name, buffer, -1.0)?;
        }
        composite(images, &mut fb)?;
        Ok(buffers)
    }

    const ZAR: [&str; 3] = ["Z", "A", "R"];

    #[test]
    fn pixels_without_samples_are_zero() {
        let deep = image(window(0, 0, 1, 0), &ZAR, &[&[], &[&[2.0, 0.5, 0.25]]]);
        let out = flat(&[&deep], deep.window(), &["Z", "A", "R", "ZBack"]).unwrap();
        assert_eq!(out[0], [0.0, 2.0]);
        assert_eq!(out[1], [0.0, 0.5]);
        assert_eq!(out[2], [0.0, 0.25]);
        assert_eq!(out[3], [0.0, 2.0], "ZBack without ZBack is Z's composite");
    }

    #[test]
    fn one_sample_passes_through() {
        let deep = image(window(3, 4, 3, 4), &ZAR, &[&[&[5.5, 0.75, 0.125]]]);
        let out = flat(&[&deep], deep.window(), &ZAR).unwrap();
        assert_eq!(out, [[5.5], [0.75], [0.125]]);
    }

    #[test]
    fn samples_combine_front_to_back_whatever_their_order() {
        let front: &[f32] = &[1.0, 0.5, 0.5];
        let back: &[f32] = &[2.0, 0.5, 0.25];
        let sorted = image(window(0, 0, 0, 0), &ZAR, &[&[front, back]]);
        let unsorted = image(window(0, 0, 0, 0), &ZAR, &[&[back, front]]);
        let expected = [[1.0 + 0.5 * 2.0], [0.5 + 0.5 * 0.5], [0.5 + 0.5 * 0.25]];
        assert_eq!(flat(&[&sorted], sorted.window(), &ZAR).unwrap(), expected);
        assert_eq!(
            flat(&[&unsorted], unsorted.window(), &ZAR).unwrap(),
            expected
        );
    }

    #[test]
    fn opaque_samples_hide_what_lies_behind() {
        let deep = image(
            window(0, 0, 0, 0),
            &ZAR,
            &[&[&[3.0, 1.0, 9.0], &[1.0, 1.0, 0.5], &[2.0, 0.5, 4.0]]],
        );
        assert_eq!(
            flat(&[&deep], deep.window(), &ZAR).unwrap(),
            [[1.0], [1.0], [0.5]]
        );
    }

    #[test]
    fn zback_breaks_ties_of_z_and_is_composited() {
        let zzar = ["Z", "ZBack", "A", "R"];
        // Equal Z: the sample ending nearer goes first.
        let deep = image(
            window(0, 0, 0, 0),
            &zzar,
            &[&[&[1.0, 4.0, 0.5, 1.0], &[1.0, 2.0, 0.5, 0.0]]],
        );
        let out = flat(&[&deep], deep.window(), &zzar).unwrap();
        assert_eq!(out, [[1.5], [2.0 + 0.5 * 4.0], [0.75], [0.5]]);
    }

    #[test]
    fn equal_depths_keep_their_order() {
        let deep = image(
            window(0, 0, 0, 0),
            &ZAR,
            &[&[&[1.0, 0.5, 1.0], &[-0.0, 0.5, 0.0], &[0.0, 0.5, 0.5]]],
        );
        // -0 and 0 are equal depths: the sample at -0 stays before the one
        // at 0, and both before the one at 1.
        let out = flat(&[&deep], deep.window(), &["R"]).unwrap();
        assert_eq!(out, [[0.5 * 0.5 + 0.25 * 1.0]]);
    }

    #[test]
    fn nan_depths_sort_without_panicking() {
        let deep = image(
            window(0, 0, 0, 0),
            &ZAR,
            &[&[&[f32::NAN, 0.5, 1.0], &[2.0, 0.5, 0.0], &[1.0, 0.5, 0.5]]],
        );
        let out = flat(&[&deep], deep.window(), &["R"]).unwrap();
        assert_eq!(out, [[0.5 + 0.5 * 0.0 + 0.25 * 1.0]]);
    }

    #[test]
    fn images_without_z_or_alpha_are_refused() {
        let no_alpha = image(window(0, 0, 0, 0), &["Z", "R"], &[&[&[1.0, 1.0]]]);
        let error = flat(&[&no_alpha], no_alpha.window(), &["R"]).unwrap_err();
        assert!(matches!(error, Error::InvalidArgument(_)), "{error}");
        assert!(error.to_string().contains("no A channel"), "{error}");
        let no_z = image(window(0, 0, 0, 0), &["A", "R"], &[&[&[1.0, 1.0]]]);
        let error = flat(&[&no_z], no_z.window(), &["R"]).unwrap_err();
        assert!(error.to_string().contains("no Z channel"), "{error}");
        assert!(flat(&[], window(0, 0, 0, 0), &["R"]).is_err());
    }

    #[test]
    fn missing_channels_get_the_fill_and_outside_pixels_stay() {
        let deep = image(window(1, 0, 1, 0), &ZAR, &[&[&[1.0, 0.5, 0.5]]]);
        let out = flat(&[&deep], window(0, 0, 2, 0), &["R", "B"]).unwrap();
        assert_eq!(out[0], [-7.0, 0.5, -7.0]);
        assert_eq!(out[1], [-7.0, -1.0, -7.0]);
    }

    #[test]
    fn images_composite_together_over_their_union() {
        let near = image(window(0, 0, 0, 0), &ZAR, &[&[&[1.0, 0.5, 1.0]]]);
        // A second image with a half channel G, one pixel to the right and
        // one in common, behind and in front of `near`.
        let other = image(
            window(0, 0, 1, 0),
            &["Z", "A", "R", "G"],
            &[
                &[&[2.0, 1.0, 0.5, 1.0], &[0.5, 0.5, 0.25, 0.5]],
                &[&[4.0, 0.25, 0.125, 0.25]],
            ],
        );
        let out = flat(&[&near, &other], window(-1, 0, 1, 0), &["R", "G", "A"]).unwrap();
        // Pixel 0: other's 0.5 sample, near's, then other's opaque one.
        let r = 0.25 + 0.5 * 1.0 + 0.25 * 0.5;
        let g = 0.5 + 0.5 * 0.0 + 0.25 * 1.0;
        assert_eq!(out[0], [-7.0, r, 0.125]);
        assert_eq!(out[1], [-7.0, g, 0.25]);
        assert_eq!(out[2], [-7.0, 1.0, 0.25]);
    }

    #[test]
    fn converts_into_any_slice_type() {
        let deep = image(window(0, 0, 0, 0), &ZAR, &[&[&[1.0, 0.5, 0.1]]]);
        let mut half = [f16::ZERO];
        let mut byte = [0u8];
        let mut uint = [0u32];
        let mut fb = FrameBuffer::new(deep.window()).unwrap();
        fb.add("R", &mut half, 0.0).unwrap();
        fb.add("A", &mut byte, 0.0).unwrap();
        fb.add("Z", &mut uint, 0.0).unwrap();
        deep.flatten(&mut fb).unwrap();
        assert_eq!(half[0], f16::from_f32(0.1));
        assert_eq!(byte[0], 128);
        assert_eq!(uint[0], 1);
    }

    #[test]
    fn subsampled_slices_are_refused() {
        let deep = image(window(0, 0, 1, 1), &ZAR, &[&[], &[], &[], &[]]);
        let mut r = [0f32; 1];
        let mut fb = FrameBuffer::new(deep.window()).unwrap();
        fb.add_sampled("R", &mut r, 2, 2, 0.0).unwrap();
        assert!(matches!(
            deep.flatten(&mut fb),
            Err(Error::InvalidArgument(_))
        ));
    }
}
