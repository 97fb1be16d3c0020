//! Deep images in the C API: decoded from deep parts, or built by the
//! caller for writing, as per-pixel offsets and one flat sample array per
//! channel.

use super::decode::{exrkit_framebuffer, frame_buffer};
use super::guard::{arg_slice, guard, guard_silent, out, write};
use super::handle::{self, deep_image, deep_image_mut, free, hand_out, writer_shared};
use super::reader::exrkit_reader;
use super::status::exrkit_status;
use super::types::{exrkit_box2i, exrkit_channel, exrkit_pixel_type, level};
use super::writer::{channel, exrkit_writer};
use crate::deep::{DeepImage, DeepSamples};
use crate::error::{Error, Result};
use crate::meta::types::Box2i;

/// A deep image: for every pixel of its window, row by row, a run of
/// samples in each channel. Free with exrkit_deep_image_free.
pub struct exrkit_deep_image {
    pub(crate) image: DeepImage,
}

/// Hands a new image to the caller.
fn hand_out_image(image: DeepImage, out_image: *mut *mut exrkit_deep_image) {
    // SAFETY: the caller's output pointer, checked non-NULL.
    unsafe { hand_out(exrkit_deep_image { image }, out_image) };
}

/// Decodes chunk `chunk` of deep part `part` into a new image over the
/// chunk's pixels, stored in `*out`. May be called from any number of
/// threads at once on one reader.
///
/// # Safety
/// `reader` must come from exrkit_open* and not be closed; `out` must be
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn exrkit_decode_deep_block(
    reader: *const exrkit_reader,
    part: u32,
    chunk: u64,
    out_image: *mut *mut exrkit_deep_image,
) -> exrkit_status {
    guard(|| {
        let out_image = out(out_image, "out")?;
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let image = r
            .reader
            .decode_deep_block(part as usize, chunk)
            .map_err(|e| r.in_file(e))?;
        hand_out_image(image, out_image);
        Ok(())
    })
}

/// Decodes level (`level_x`, `level_y`) of deep part `part` (0, 0 for deep
/// scanline parts) into a new image over the whole level, stored in
/// `*out`. Passes over the reader's threads: every chunk located and its
/// sample table's size checked, then every chunk's sample counts, then
/// every chunk's samples straight into place. A damaged or
/// missing chunk fails the decode (EXRKIT_ERR_CORRUPT, EXRKIT_ERR_INCOMPLETE);
/// more samples than the reader's max_deep_samples give
/// EXRKIT_ERR_LIMIT_EXCEEDED before the samples are allocated.
///
/// # Safety
/// As for exrkit_decode_deep_block.
#[no_mangle]
pub unsafe extern "C" fn exrkit_decode_deep_image(
    reader: *const exrkit_reader,
    part: u32,
    level_x: i32,
    level_y: i32,
    out_image: *mut *mut exrkit_deep_image,
) -> exrkit_status {
    guard(|| {
        let out_image = out(out_image, "out")?;
        // SAFETY: a reader from exrkit_open* or NULL.
        let r = unsafe { handle::reader(reader) }?;
        let (lx, ly) = level(level_x, level_y)?;
        let image = r
            .reader
            .decode_deep_image(part as usize, lx, ly)
            .map_err(|e| r.in_file(e))?;
        hand_out_image(image, out_image);
        Ok(())
    })
}

/// Creates a deep image over `window` for writing: pixel `i` (row-major)
/// holds `counts[i]` samples in each of the `channel_count` `channels`
/// (name and type; sampling must be 1). The samples start at zero; fill
/// them through exrkit_deep_channel_samples. Channel `i` of the image is
/// `channels[i]`.
///
/// # Safety
/// `channels` must hold `channel_count` channels with NUL-terminated
/// names; `counts` must hold one count per pixel of `window`.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_image_create(
    window: exrkit_box2i,
    channels: *const exrkit_channel,
    channel_count: u32,
    counts: *const u32,
    out_image: *mut *mut exrkit_deep_image,
) -> exrkit_status {
    guard(|| {
        let out_image = out(out_image, "out")?;
        let window = Box2i::from(window);
        // SAFETY: the caller passes `channel_count` channels.
        let described = unsafe { arg_slice(channels, channel_count as usize, "channels") }?;
        let mut list = Vec::with_capacity(described.len());
        for (i, c) in described.iter().enumerate() {
            // SAFETY: names are NUL-terminated per the contract.
            let c = unsafe { channel(c, &format!("channels[{i}]")) }?;
            if c.x_sampling != 1 || c.y_sampling != 1 {
                return Err(Error::InvalidArgument(format!(
                    "channels[{i}] ({}): deep channels are not subsampled",
                    c.name
                )));
            }
            list.push((c.name, c.pixel_type));
        }
        let pixels = crate::deep::pixel_count(window)?;
        // SAFETY: the caller passes one count per pixel.
        let counts = unsafe { arg_slice(counts, pixels, "counts") }?;
        hand_out_image(DeepImage::new(window, &list, counts)?, out_image);
        Ok(())
    })
}

/// Writes the image's window (pixels of a chunk for a decoded block) to
/// `*out`.
///
/// # Safety
/// `image` must come from exrkit and not be freed; `out` must be valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_window(
    image: *const exrkit_deep_image,
    out_window: *mut exrkit_box2i,
) -> exrkit_status {
    guard(|| {
        let out_window = out(out_window, "out")?;
        // SAFETY: an image from exrkit or NULL.
        let image = unsafe { deep_image(image) }?;
        // SAFETY: checked non-NULL.
        unsafe { write(out_window, image.window().into()) };
        Ok(())
    })
}

/// Gives the image's offsets: `*count` = pixels + 1, `(*offsets)[0]` = 0,
/// and pixel `i` (row-major over the window) owns samples
/// `(*offsets)[i]` to `(*offsets)[i + 1]` of every channel. The array lives
/// as long as the image.
///
/// # Safety
/// `image` must come from exrkit and not be freed; the outputs must be valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_offsets(
    image: *const exrkit_deep_image,
    offsets: *mut *const u64,
    count: *mut usize,
) -> exrkit_status {
    guard(|| {
        let (offsets, count) = (out(offsets, "offsets")?, out(count, "count")?);
        // SAFETY: an image from exrkit or NULL.
        let image = unsafe { deep_image(image) }?;
        // SAFETY: both checked non-NULL.
        unsafe {
            write(offsets, image.offsets().as_ptr());
            write(count, image.offsets().len());
        }
        Ok(())
    })
}

/// Gives channel `index` (as in exrkit_get_channel for decoded images, as
/// created otherwise): its type, its samples (pixel after pixel, as the
/// offsets say; `uint32_t`, `uint16_t` half bits or `float` for UINT, HALF
/// and FLOAT) and their number. The array lives as long as the image.
///
/// # Safety
/// `image` must come from exrkit and not be freed; the outputs must be valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_channel(
    image: *const exrkit_deep_image,
    index: u32,
    pixel_type: *mut exrkit_pixel_type,
    samples: *mut *const core::ffi::c_void,
    sample_count: *mut u64,
) -> exrkit_status {
    guard(|| {
        let pixel_type = out(pixel_type, "type")?;
        let samples = out(samples, "samples")?;
        let sample_count = out(sample_count, "sample_count")?;
        // SAFETY: an image from exrkit or NULL.
        let image = unsafe { deep_image(image) }?;
        let channel = image.channels().get(index as usize).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "channel {index} does not exist; the image has {}",
                image.channels().len()
            ))
        })?;
        let data = channel.samples();
        // SAFETY: all three checked non-NULL.
        unsafe {
            write(pixel_type, data.pixel_type() as exrkit_pixel_type);
            write(samples, data.as_ptr().cast());
            write(sample_count, data.len() as u64);
        }
        Ok(())
    })
}

/// Gives channel `index`'s samples for writing (see exrkit_deep_channel for
/// their layout); the number of samples is fixed by the image.
///
/// # Safety
/// `image` must come from exrkit and not be freed, and no other thread may
/// use it meanwhile; the outputs must be valid.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_channel_samples(
    image: *mut exrkit_deep_image,
    index: u32,
    samples: *mut *mut core::ffi::c_void,
    sample_count: *mut u64,
) -> exrkit_status {
    guard(|| {
        let samples = out(samples, "samples")?;
        let sample_count = out(sample_count, "sample_count")?;
        // SAFETY: an image from exrkit or NULL, used by this thread alone.
        let image = unsafe { deep_image_mut(image) }?;
        let count = image.channels().len();
        let channel = image
            .channels_mut()
            .get_mut(index as usize)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "channel {index} does not exist; the image has {count}"
                ))
            })?;
        let (start, len): (*mut core::ffi::c_void, usize) = match channel.samples_mut() {
            crate::deep::DeepSamplesMut::Uint(s) => (s.as_mut_ptr().cast(), s.len()),
            crate::deep::DeepSamplesMut::Half(s) => (s.as_mut_ptr().cast(), s.len()),
            crate::deep::DeepSamplesMut::Float(s) => (s.as_mut_ptr().cast(), s.len()),
        };
        // SAFETY: both checked non-NULL.
        unsafe {
            write(samples, start);
            write(sample_count, len as u64);
        }
        Ok(())
    })
}

/// Frees an image from exrkit_decode_deep_* or exrkit_deep_image_create.
/// NULL is ignored.
///
/// # Safety
/// `image` must be NULL or come from exrkit and not be freed yet.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_image_free(image: *mut exrkit_deep_image) {
    // SAFETY: an image from exrkit, freed once, or NULL.
    guard_silent(|| unsafe { free(image) });
}

impl DeepSamples {
    /// The address of the first sample, for the C API.
    fn as_ptr(&self) -> *const u8 {
        match self {
            Self::Uint(v) => v.as_ptr().cast(),
            Self::Half(v) => v.as_ptr().cast(),
            Self::Float(v) => v.as_ptr().cast(),
        }
    }
}

/// Packs and writes chunk `chunk` of deep part `part` from `image`, whose
/// window must cover the chunk's pixels and which must hold every channel
/// of the part (by name, at the part's type). May be called from many
/// threads at once, in any order, like exrkit_write_block, and fails alike
/// with EXRKIT_ERR_BAD_STATE during a call that must be alone on the writer
/// (see exrkit_writer). The writer records the most samples any pixel
/// holds in the part's maxSamplesPerPixel.
///
/// # Safety
/// `writer` must come from exrkit_create* and not be freed; `image` must
/// come from exrkit and not be freed or changed meanwhile.
#[no_mangle]
pub unsafe extern "C" fn exrkit_write_deep_block(
    writer: *mut exrkit_writer,
    part: u32,
    chunk: u64,
    image: *const exrkit_deep_image,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let w = unsafe { writer_shared(writer) }?;
        // SAFETY: an image from exrkit or NULL.
        let image = unsafe { deep_image(image) }?;
        w.write_deep_block(part as usize, chunk, image)
    })
}

/// Packs and writes every chunk of level (`level_x`, `level_y`) of deep
/// part `part` from `image`, whose window must cover the level, on the
/// writer's threads, in the order the file needs. May run beside other
/// chunk writes, as exrkit_write_deep_block.
///
/// # Safety
/// As for exrkit_write_deep_block.
#[no_mangle]
pub unsafe extern "C" fn exrkit_write_deep_image(
    writer: *mut exrkit_writer,
    part: u32,
    level_x: i32,
    level_y: i32,
    image: *const exrkit_deep_image,
) -> exrkit_status {
    guard(|| {
        // SAFETY: a writer from exrkit_create* or NULL.
        let w = unsafe { writer_shared(writer) }?;
        let (lx, ly) = level(level_x, level_y)?;
        // SAFETY: an image from exrkit or NULL.
        let image = unsafe { deep_image(image) }?;
        w.write_deep_image(part as usize, lx, ly, image)
    })
}

/// Flattens `image` into `fb`, compositing each pixel's samples as
/// OpenEXR's CompositeDeepScanLine does with its default DeepCompositing,
/// each channel with the alpha its name calls for ("Interpreting OpenEXR
/// Deep Pixels"):
///
/// - samples are sorted front to back by Z, then ZBack, keeping the stored
///   order among equal depths (OpenEXR leaves a single image's samples in
///   stored order, which differs only where they are out of order);
/// - they combine with "over", premultiplied: with `a` what a channel's
///   alpha has gathered before a sample (0 at first), the channel adds
///   `(1 - a) * value`, unless `a >= 1`: then the channel is complete.
///   Everything is computed in 32-bit float, then converted to each
///   slice's type;
/// - a channel's alpha: an alpha channel (base name A, AR, AG or AB, the
///   base name being what follows the last period, unless that period is
///   the name's first or last character) is its own alpha; Z and ZBack use
///   A; any other channel takes the first alpha it matches in its layer
///   (what precedes that period; none: the base layer), then in each
///   enclosing layer up to the base layer, where base name R matches AR if
///   there is one, else A (G: AG, B: AB alike) and any other matches A. So
///   R uses AR if present, else A; L1.L2.G uses L1.L2.AG, L1.L2.A, L1.AG,
///   L1.A, AG or A, the first present;
/// - so alpha channels are the accumulated coverage, colours are
///   premultiplied by it, and Z (and ZBack) are the samples' depths
///   weighted by A (not the nearest depth). A ZBack slice gets Z's
///   composite if the image has no ZBack, as in OpenEXR;
/// - with A as the only alpha every channel uses A, compositing stops once
///   A >= 1, and the result is OpenEXR's (to the bit for tidy images).
///   OpenEXR uses A for every channel whatever the names, so with
///   per-colour or layer alphas the results differ from its;
/// - a pixel without samples is 0 in every channel; a slice whose channel
///   the image lacks gets its `fill`.
///
/// The image needs channels named Z and A (EXRKIT_ERR_INVALID_ARGUMENT
/// otherwise, as OpenEXR refuses them); UINT and HALF samples are converted
/// to float first. Slices may have any type and strides but sampling 1x1.
/// Only pixels inside both the frame buffer's window and the image's
/// window are written; others are left untouched. Rows are spread over all
/// cores. The image is only read, so several threads may flatten one image
/// at once into different frame buffers.
///
/// # Safety
/// `image` must come from exrkit and not be freed or changed meanwhile;
/// `fb` must be valid, with slice memory as exrkit_slice describes for
/// every pixel of its window.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_flatten(
    image: *const exrkit_deep_image,
    fb: *const exrkit_framebuffer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: an image from exrkit or NULL.
        let image = unsafe { deep_image(image) }?;
        // SAFETY: the caller vouches for the frame buffer.
        let mut frame = unsafe { frame_buffer(fb) }?;
        image.flatten(&mut frame)
    })
}

/// Composites `count` deep images together into `fb`, as OpenEXR's
/// CompositeDeepScanLine does with several sources (say the separately
/// rendered elements of one shot): the samples of every image at a pixel
/// are sorted and combined together as exrkit_deep_flatten describes (with
/// equal depths, earlier images first). The images' windows may differ:
/// pixels inside their union are written (those no image covers are 0),
/// in the same coordinates. Every image needs Z and A; the alphas are
/// chosen among the channels of all the images. Where only some images
/// have an alpha channel, the others fill in with the alpha they would use
/// instead (for L.AR, the one L.R would use in them); where only some have
/// ZBack or another channel, the others count as 0 samples in it.
///
/// # Safety
/// `images` must hold `count` images from exrkit, none freed or changed
/// meanwhile; `fb` as for exrkit_deep_flatten.
#[no_mangle]
pub unsafe extern "C" fn exrkit_deep_composite(
    images: *const *const exrkit_deep_image,
    count: usize,
    fb: *const exrkit_framebuffer,
) -> exrkit_status {
    guard(|| {
        // SAFETY: the caller passes `count` image pointers.
        let pointers = unsafe { arg_slice(images, count, "images") }?;
        let images = pointers
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                // SAFETY: each an image from exrkit or NULL.
                unsafe { deep_image(p) }.map_err(|e| e.context(format_args!("images[{i}]")))
            })
            .collect::<Result<Vec<_>>>()?;
        // SAFETY: the caller vouches for the frame buffer.
        let mut frame = unsafe { frame_buffer(fb) }?;
        crate::deep::flatten::composite(&images, &mut frame)
    })
}
