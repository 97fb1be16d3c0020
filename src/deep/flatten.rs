//! Flattening: deep images composited into a flat frame buffer, as
//! OpenEXR's `CompositeDeepScanLine` does with its default
//! `DeepCompositing`, each channel with the alpha its name calls for.
//!
//! For each pixel, the samples of every image are taken in image order,
//! sorted front to back by Z, then ZBack, then that order (a stable sort;
//! samples already in order keep it), and combined with "over": every
//! output channel composites with one alpha channel (below). Before each
//! sample, every channel reads `a`, what its alpha has gathered so far; a
//! channel whose `a >= 1` is complete, any other adds
//! `(1 - a) * sample`; compositing of the pixel stops once every channel
//! is complete. Samples are premultiplied, as deep samples are.
//! Everything is computed in 32-bit float, in this order.
//!
//! # Which alpha
//!
//! The rule of OpenEXR's "Interpreting OpenEXR Deep Pixels" (sections
//! "Channel Names and Layers", "Alpha, Color, Depth and Auxiliary
//! Channels" and "Required Alpha Channels"):
//!
//! - A channel name is split at its last period into a layer and a base
//!   name: `L1.L2.R` is `R` in layer `L1.L2`, which is nested in `L1`,
//!   nested in the base layer (names without a period). A period that is
//!   the name's first or last character does not split it, as OpenEXR's
//!   `ChannelList::layers` has it.
//! - Channels whose base name is `A`, `AR`, `AG` or `AB` are alpha
//!   channels (`AR`, `AG`, `AB`: the alphas of red, green and blue, as that
//!   document and the Technical Introduction's list of channel names spell
//!   them; the Technical Introduction's table of deep channel names says
//!   `RA`, `GA`, `BA`, which are plain auxiliary channels here). An alpha
//!   channel composites with itself: it is the coverage accumulated so far.
//! - `Z` and `ZBack` (those full names) composite with `A`, as in
//!   OpenEXR: depths weighted by each sample's visible share.
//! - Any other channel takes the first alpha it matches in its own layer,
//!   then in the enclosing layers, up to the base layer. Base name `R`
//!   matches `AR` where that layer has one, otherwise `A` (`G`: `AG`, `B`:
//!   `AB`, likewise); any other base name (`Y`, `id`, `L1.Z`, ...) matches
//!   `A`. Every image has `A`, so the search ends there at the latest. The
//!   document's example, for channels A AR AG R Z L1.A L1.AR L1.R L1.G
//!   L1.L2.G: `R` composites with `AR`, `L1.R` with `L1.AR`, `L1.G` and
//!   `L1.L2.G` with `L1.A` (and `G` would with `AG`, `B` with `A`).
//! - Which channels exist is decided over all the composited images
//!   together. An image lacking an alpha channel that another has fills
//!   in with the alpha the same search finds in it, from that alpha's
//!   layer and colour (for `L1.AR`, what `L1.R` would use; for `L1.A`,
//!   what an auxiliary channel of `L1` would use), so its samples still
//!   hide what lies behind them. Any other channel an image lacks has 0
//!   samples there.
//!
//! With `A` as the only alpha (OpenEXR's deep sample images, for one)
//! every channel composites with `A`, so compositing stops for the whole
//! pixel once `A >= 1`, and the results are the bits OpenEXR computes.
//! OpenEXR composites every channel with `A` whatever the names, so where
//! images have per-colour or layer alphas the two differ: there, this
//! follows the document.
//!
//! So an alpha channel is the accumulated coverage, a colour channel is
//! the colour seen, and Z (and ZBack) the depths weighted by each sample's
//! visible share. A pixel without samples is 0 in every channel. ZBack
//! requested of images without ZBack is composited from Z, as OpenEXR
//! does; an image lacking ZBack that another has contributes 0 samples to
//! it. Frame-buffer channels no image has get the slice's fill value (an
//! alpha included: `AR` requested of images with only `A` is the fill).
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
/// composited channel follows them.
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
    /// For each composited channel, the composited channel holding its
    /// alpha (itself for an alpha channel).
    alphas: Vec<usize>,
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
        let mut out = vec![0f32; plan.alphas.len()];
        let mut visible = vec![None; plan.alphas.len()];
        for x in min_x..=max_x {
            plan.gather(x, y, &mut entries);
            plan.composite_pixel(&entries, &mut out, &mut visible);
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

/// The composited channels, by name, with the alpha each composites with.
struct Channels {
    names: Vec<Vec<u8>>,
    alphas: Vec<usize>,
}

impl Channels {
    /// The position of channel `name`, added (with its alpha, found among
    /// the channels `exists` accepts) if it is not there yet.
    fn add(&mut self, name: &[u8], exists: &impl Fn(&[u8]) -> bool) -> usize {
        if let Some(k) = self.names.iter().position(|n| n == name) {
            return k;
        }
        let k = self.push(name);
        if let Some(alpha) = associated_alpha(name, exists) {
            let a = match self.names.iter().position(|n| *n == alpha) {
                Some(a) => a,
                None => self.push(&alpha),
            };
            if let Some(slot) = self.alphas.get_mut(k) {
                *slot = a;
            }
        }
        k
    }

    /// Appends channel `name`, compositing with itself for now.
    fn push(&mut self, name: &[u8]) -> usize {
        let k = self.names.len();
        self.names.push(name.to_vec());
        self.alphas.push(k);
        k
    }
}

impl<'i> Plan<'i> {
    /// Checks the images and matches the frame buffer's slices with their
    /// channels and those with their alphas.
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
        let in_any = |name: &[u8]| images.iter().any(|image| image.channel(name).is_some());
        let zback: &[u8] = if in_any(b"ZBack") { b"ZBack" } else { b"Z" };
        // Z and ZBack composite with A, as in OpenEXR.
        let mut channels = Channels {
            names: vec![b"Z".to_vec(), zback.to_vec(), b"A".to_vec()],
            alphas: vec![ALPHA; 3],
        };
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
                other if in_any(other) => Target::Channel(channels.add(other, &in_any)),
                _ => Target::Fill,
            };
            targets.push(target);
        }
        let sources = images
            .iter()
            .map(|image| {
                let has = |name: &[u8]| image.channel(name).is_some();
                channels
                    .names
                    .iter()
                    .map(|name| {
                        let channel = image.channel(name).or_else(|| {
                            // An alpha channel the image lacks: the alpha
                            // the image covers that colour or layer with.
                            let stand_in = stand_in_alpha(name, &has)?;
                            image.channel(&stand_in)
                        });
                        channel.map(|c| c.samples())
                    })
                    .collect()
            })
            .collect();
        Ok(Self {
            images,
            sources,
            alphas: channels.alphas,
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

    /// Composites `entries` front to back into `out`; `visible` is scratch
    /// space, one per channel.
    fn composite_pixel(&self, entries: &[Entry], out: &mut [f32], visible: &mut [Option<f32>]) {
        out.fill(0.0);
        for entry in entries {
            // Every channel's share of this sample, from the alphas gathered
            // before it; a channel whose alpha reached 1 is complete.
            let mut open = false;
            for (share, &alpha) in visible.iter_mut().zip(&self.alphas) {
                let a = out.get(alpha).copied().unwrap_or(0.0);
                *share = if a >= 1.0 {
                    None
                } else {
                    open = true;
                    Some(1.0 - a)
                };
            }
            if !open {
                break;
            }
            for (channel, (o, share)) in out.iter_mut().zip(visible.iter()).enumerate() {
                if let Some(share) = *share {
                    *o += share * self.value(entry.image, channel, entry.sample);
                }
            }
        }
    }
}

/// A channel name's layer and base name, split at its last period unless
/// that is its first or last character (then it is all base name, in the
/// base layer), as OpenEXR's `ChannelList::layers` splits them:
/// `L1.L2.R` is `R` in layer `L1.L2`.
fn split(name: &[u8]) -> (&[u8], &[u8]) {
    let mut parts = name.rsplitn(2, |&b| b == b'.');
    let base = parts.next().unwrap_or(name);
    match parts.next() {
        Some(layer) if !layer.is_empty() && !base.is_empty() => (layer, base),
        _ => (b"", name),
    }
}

/// For the base name of an alpha channel (`A`, `AR`, `AG`, `AB`), the
/// colour it covers: `Some(None)` for A, `Some(Some(b'R'))` for AR, ...
fn alpha_colour(base: &[u8]) -> Option<Option<u8>> {
    match base {
        b"A" => Some(None),
        b"AR" => Some(Some(b'R')),
        b"AG" => Some(Some(b'G')),
        b"AB" => Some(Some(b'B')),
        _ => None,
    }
}

/// The alpha channel `name` composites with, among the channels `exists`
/// accepts, or `None` if `name` is an alpha channel (it composites with
/// itself). Z and ZBack are the caller's: they use A.
fn associated_alpha(name: &[u8], exists: &impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    let (layer, base) = split(name);
    if alpha_colour(base).is_some() {
        return None;
    }
    let colour = match base {
        b"R" | b"G" | b"B" => base.first().copied(),
        _ => None,
    };
    // Every image has A, so the search ends there at the latest.
    Some(find_alpha(layer, colour, exists).unwrap_or_else(|| b"A".to_vec()))
}

/// The alpha that stands in, in an image with the channels `exists`
/// accepts, for the alpha channel `name` it lacks: the one the image
/// would give that alpha's colour in its layer (`L.R` for `L.AR`, an
/// auxiliary channel of `L` for `L.A`). `None` if `name` is no alpha.
fn stand_in_alpha(name: &[u8], exists: &impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    let (layer, base) = split(name);
    find_alpha(layer, alpha_colour(base)?, exists)
}

/// The first alpha matching `colour` found in `layer`, then in each
/// enclosing layer up to the base layer: at each, `A` + colour (AR, AG or
/// AB) if it exists, else `A`.
fn find_alpha(
    mut layer: &[u8],
    colour: Option<u8>,
    exists: &impl Fn(&[u8]) -> bool,
) -> Option<Vec<u8>> {
    loop {
        let per_colour = colour.map(|c| [b'A', c]);
        let bases = [per_colour.as_ref().map(|b| b.as_slice()), Some(b"A")];
        for base in bases.into_iter().flatten() {
            let mut name = Vec::with_capacity(layer.len() + 3);
            if !layer.is_empty() {
                name.extend_from_slice(layer);
                name.push(b'.');
            }
            name.extend_from_slice(base);
            if exists(&name) {
                return Some(name);
            }
        }
        if layer.is_empty() {
            return None;
        }
        layer = split(layer).0;
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
    fn per_colour_alphas_cover_their_own_colours() {
        let channels = ["Z", "A", "AR", "AG", "AB", "R", "G", "B", "Y"];
        // Z, A, AR, AG, AB, R, G, B, Y; front to back.
        let deep = image(
            window(0, 0, 0, 0),
            &channels,
            &[&[
                &[1.0, 0.5, 1.0, 0.5, 0.25, 0.5, 0.25, 0.125, 1.0],
                &[2.0, 0.5, 0.5, 1.0, 0.5, 1.0, 0.5, 0.5, 1.0],
                &[3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            ]],
        );
        let out = flat(&[&deep], deep.window(), &channels).unwrap();
        // A (and Z and Y with it): 0.5, then 0.5 * 0.5, then 0.25 * 1.
        let a = 0.5 + 0.5 * 0.5 + 0.25 * 1.0;
        let z = 1.0 + 0.5 * 2.0 + 0.25 * 3.0;
        let y = 1.0 + 0.5 * 1.0 + 0.25 * 1.0;
        // AR is 1 after the first sample: R is complete there.
        let (ar, r) = (1.0, 0.5);
        // AG is 0.5, then 1 after the second: G takes two samples.
        let (ag, g) = (0.5 + 0.5 * 1.0, 0.25 + 0.5 * 0.5);
        // AB is 0.25, then 0.625, then 1: B takes all three.
        let ab = 0.25 + 0.75 * 0.5 + 0.375 * 1.0;
        let b = 0.125 + 0.75 * 0.5 + 0.375 * 1.0;
        assert_eq!(out, [[z], [a], [ar], [ag], [ab], [r], [g], [b], [y]]);
        assert_eq!((a, ab, r, g, b), (1.0, 1.0, 0.5, 0.5, 0.875));
    }

    #[test]
    fn layered_alphas_follow_the_enclosing_layers() {
        let channels = [
            "Z", "A", "AR", "L1.A", "L1.AR", "R", "L1.R", "L1.G", "L1.L2.G", "L1.id", "L2.R",
        ];
        // Every colour is 1 in both samples, so each comes out as
        // 1 + (1 - its alpha after the first sample), or 1 once that is 1.
        let deep = image(
            window(0, 0, 0, 0),
            &channels,
            &[&[
                &[1.0, 0.5, 0.25, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                &[2.0, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            ]],
        );
        let out = flat(&[&deep], deep.window(), &channels).unwrap();
        let expected = [
            1.0 + 0.5 * 2.0,   // Z, with A
            0.5 + 0.5 * 0.5,   // A
            0.25 + 0.75 * 0.5, // AR
            1.0,               // L1.A: opaque at once
            0.5 + 0.5 * 0.5,   // L1.AR
            1.0 + 0.75,        // R: AR
            1.0 + 0.5,         // L1.R: L1.AR
            1.0,               // L1.G: no L1.AG, so L1.A
            1.0,               // L1.L2.G: no alpha in L1.L2, so L1's: L1.A
            1.0,               // L1.id, an auxiliary channel: L1.A
            1.0 + 0.75,        // L2.R: no alpha in L2, so the base layer's AR
        ];
        assert_eq!(out, expected.map(|v| [v]));
    }

    #[test]
    fn associated_alphas_are_those_of_interpreting_deep_pixels() {
        // The example of "Interpreting OpenEXR Deep Pixels".
        let file = [
            "A", "AR", "AG", "R", "Z", "L1.A", "L1.AR", "L1.R", "L1.G", "L1.L2.G",
        ];
        let exists = |name: &[u8]| file.iter().any(|c| c.as_bytes() == name);
        let alpha = |name: &str| {
            associated_alpha(name.as_bytes(), &exists).map(|a| String::from_utf8(a).unwrap())
        };
        for (channel, expected) in [
            ("R", "AR"),
            ("G", "AG"),
            ("B", "A"),
            ("Y", "A"),
            ("RA", "A"),
            ("L1.R", "L1.AR"),
            ("L1.G", "L1.A"),
            ("L1.L2.G", "L1.A"),
            ("L1.L2.R", "L1.AR"),
            ("L1.Z", "L1.A"),
            ("L2.G", "AG"),
            (".R", "A"),
            ("L1.", "A"),
        ] {
            assert_eq!(alpha(channel).as_deref(), Some(expected), "{channel}");
        }
        for channel in ["A", "AR", "AB", "L1.A", "L1.AR", "L3.AG"] {
            assert_eq!(alpha(channel), None, "{channel} is an alpha");
        }
    }

    #[test]
    fn images_lacking_an_alpha_cover_with_the_one_they_have() {
        let with_ar = image(
            window(0, 0, 0, 0),
            &["Z", "A", "AR", "R"],
            &[&[&[2.0, 0.5, 0.5, 1.0]]],
        );
        // In front, opaque, with A only: it covers R with A.
        let without = image(window(0, 0, 0, 0), &ZAR, &[&[&[1.0, 1.0, 0.5]]]);
        let out = flat(
            &[&with_ar, &without],
            window(0, 0, 0, 0),
            &["R", "AR", "AG"],
        )
        .unwrap();
        assert_eq!(out, [[0.5], [1.0], [-1.0]]);
        // Behind, half covering with A: AR gathers 0.5, then 0.5 * 0.5.
        let behind = image(window(0, 0, 0, 0), &ZAR, &[&[&[3.0, 0.5, 0.5]]]);
        let out = flat(&[&with_ar, &behind], window(0, 0, 0, 0), &["R", "AR", "A"]).unwrap();
        assert_eq!(
            out,
            [[1.0 + 0.5 * 0.5], [0.5 + 0.5 * 0.5], [0.5 + 0.5 * 0.5]]
        );
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
