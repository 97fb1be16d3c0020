//! Everything a file holds through the C functions, as a C host calls them:
//! headers, channels, every attribute (each pointer and length it returns
//! is read in full, so a wrong length shows under AddressSanitizer), level
//! sizes, chunk infos and raw chunks, block and level decodes, RGBA, deep
//! blocks and levels with their offsets and samples, and flattening.

use std::ffi::{c_char, c_void, CStr};
use std::mem::MaybeUninit;
use std::ptr;

use exrkit::ffi::attribute::*;
use exrkit::ffi::decode::{
    exrkit_decode_block, exrkit_decode_image, exrkit_decode_rgba, exrkit_framebuffer, exrkit_slice,
};
use exrkit::ffi::deep::{
    exrkit_decode_deep_block, exrkit_decode_deep_image, exrkit_deep_channel, exrkit_deep_flatten,
    exrkit_deep_image, exrkit_deep_image_free, exrkit_deep_offsets, exrkit_deep_window,
};
use exrkit::ffi::options::{exrkit_read_options, exrkit_read_options_init};
use exrkit::ffi::reader::{
    exrkit_close, exrkit_find_attribute, exrkit_get_attribute, exrkit_get_channel,
    exrkit_get_chunk_info, exrkit_level_size, exrkit_open_memory, exrkit_part_count,
    exrkit_read_chunk, exrkit_read_header, exrkit_reader,
};
use exrkit::ffi::status::{
    exrkit_status, EXRKIT_ERR_BUFFER_TOO_SMALL, EXRKIT_ERR_INVALID_ARGUMENT, EXRKIT_OK,
};
use exrkit::ffi::types::{
    exrkit_box2i, exrkit_channel, exrkit_chunk_info, exrkit_header, EXRKIT_PIXEL_FLOAT,
    EXRKIT_PIXEL_HALF, EXRKIT_PIXEL_UINT, EXRKIT_STORAGE_DEEP_SCANLINE, EXRKIT_STORAGE_DEEP_TILED,
};
use exrkit::meta::types::Box2i;

use crate::digest::Digest;
use crate::rust_api::{FILL, MISSING_CHANNEL, MISSING_FILL, REFUSED};
use crate::{
    clip, level_window, BLOCK_SAMPLES, LEVEL_SAMPLES, MAX_CHUNKS, MAX_DEEP_SAMPLES,
    MAX_IMAGE_PIXELS, MAX_LEVELS,
};

/// What the C exercise saw: whether the file opened, and the digest of the
/// flat parts' levels and RGBA, comparable with
/// [`crate::rust_api::flat_levels`] over the same parts.
pub struct Outcome {
    /// Whether exrkit_open_memory accepted the file.
    pub opened: bool,
    /// The flat parts' decoded levels and RGBA.
    pub pixels: Digest,
}

/// A zeroed C output struct.
fn zeroed<T>() -> T {
    // SAFETY: only used for the exrkit_* C structs, whose fields are all
    // integers, floats, bools, raw pointers or unions of those, for which
    // all-zero bytes are a valid value.
    unsafe { MaybeUninit::zeroed().assume_init() }
}

/// Opens `data` through the C API under the fuzzing limits and calls every
/// reading function on everything it holds.
pub fn exercise(data: &[u8]) -> Outcome {
    let mut pixels = Digest::default();
    let mut options: exrkit_read_options = zeroed();
    // SAFETY: `options` is a whole, writable struct.
    assert_eq!(unsafe { exrkit_read_options_init(&mut options) }, EXRKIT_OK);
    options.threads = 1;
    options.max_image_pixels = MAX_IMAGE_PIXELS;
    options.max_deep_samples = MAX_DEEP_SAMPLES;
    let mut reader: *mut exrkit_reader = ptr::null_mut();
    // SAFETY: `data` is readable for its length and outlives the reader
    // (closed below); `options` and `reader` are valid.
    let status =
        unsafe { exrkit_open_memory(data.as_ptr().cast(), data.len(), &options, &mut reader) };
    if status != EXRKIT_OK {
        assert!(reader.is_null(), "a failed open writes no reader");
        return Outcome {
            opened: false,
            pixels,
        };
    }
    let mut parts = 0u32;
    // SAFETY: `reader` is open.
    assert_eq!(unsafe { exrkit_part_count(reader, &mut parts) }, EXRKIT_OK);
    for part in 0..parts {
        let mut header: exrkit_header = zeroed();
        // SAFETY: `reader` is open and `header` writable.
        assert_eq!(
            unsafe { exrkit_read_header(reader, part, &mut header) },
            EXRKIT_OK
        );
        // SAFETY: `reader` is open.
        let names = unsafe { channel_names(reader, part, &header) };
        // SAFETY: `reader` is open.
        unsafe { attributes(reader, part, &header) };
        // SAFETY: `reader` is open.
        let levels = unsafe { levels(reader, part, &header) };
        let deep = matches!(
            header.storage,
            EXRKIT_STORAGE_DEEP_SCANLINE | EXRKIT_STORAGE_DEEP_TILED
        );
        // SAFETY: `reader` is open.
        unsafe { chunks(reader, part, &header, &names, deep) };
        if deep {
            for &(lx, ly, _) in &levels {
                let mut image = ptr::null_mut();
                // SAFETY: `reader` is open and `image` writable.
                let status = unsafe {
                    exrkit_decode_deep_image(reader, part, lx as i32, ly as i32, &mut image)
                };
                // SAFETY: `image` is NULL or a fresh deep image, freed here.
                unsafe { deep_image(status, image, &names) };
            }
        } else {
            for &(lx, ly, window) in &levels {
                decode_planes(&names, window, LEVEL_SAMPLES, &mut pixels, |fb| {
                    // SAFETY: `reader` is open and `fb` describes live planes.
                    unsafe { exrkit_decode_image(reader, part, lx as i32, ly as i32, fb) }
                });
            }
            // SAFETY: `reader` is open.
            unsafe { rgba(reader, part, &header, &mut pixels) };
        }
    }
    // SAFETY: `reader` is open and closed once.
    unsafe { exrkit_close(reader) };
    Outcome {
        opened: true,
        pixels,
    }
}

/// The bytes of a NUL-terminated string the library returned.
///
/// # Safety
/// `text` must be NULL or a NUL-terminated string.
unsafe fn c_bytes<'a>(text: *const c_char) -> &'a [u8] {
    assert!(!text.is_null(), "the library returned a NULL string");
    // SAFETY: per this function's contract.
    unsafe { CStr::from_ptr(text) }.to_bytes()
}

/// `count` values at `data`, as the library returned them.
///
/// # Safety
/// `data` must address `count` values, or `count` must be 0.
unsafe fn c_slice<'a, T>(data: *const T, count: usize) -> &'a [T] {
    if count == 0 {
        return &[];
    }
    assert!(
        !data.is_null(),
        "the library returned NULL for {count} values"
    );
    // SAFETY: per this function's contract.
    unsafe { std::slice::from_raw_parts(data, count) }
}

/// Reads a sized text in full, and its terminating NUL.
///
/// # Safety
/// The text must come from the library.
unsafe fn read_text(text: exrkit_text) -> usize {
    // SAFETY: the library promises `size` bytes and a NUL after them.
    let bytes = unsafe { c_slice(text.data.cast::<u8>(), text.size + 1) };
    assert_eq!(bytes.last(), Some(&0), "a text is NUL-terminated");
    bytes.iter().map(|&b| usize::from(b)).sum()
}

/// Every channel's name, checked against the header's count.
///
/// # Safety
/// `reader` must be open.
unsafe fn channel_names(
    reader: *const exrkit_reader,
    part: u32,
    header: &exrkit_header,
) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    for index in 0..=header.channel_count {
        let mut channel: exrkit_channel = zeroed();
        // SAFETY: `reader` is open and `channel` writable.
        let status = unsafe { exrkit_get_channel(reader, part, index, &mut channel) };
        if index == header.channel_count {
            assert_ne!(status, EXRKIT_OK, "a channel past the count is refused");
        } else {
            assert_eq!(
                status, EXRKIT_OK,
                "channel {index} of {}",
                header.channel_count
            );
            // SAFETY: the name the library returned.
            names.push(unsafe { c_bytes(channel.name) }.to_vec());
        }
    }
    names
}

/// Every attribute, each returned pointer read as far as its length says;
/// each found again by name at the same bytes.
///
/// # Safety
/// `reader` must be open.
unsafe fn attributes(reader: *const exrkit_reader, part: u32, header: &exrkit_header) {
    for index in 0..header.attribute_count {
        let mut attribute: exrkit_attribute = zeroed();
        // SAFETY: `reader` is open and `attribute` writable.
        let status = unsafe { exrkit_get_attribute(reader, part, index, &mut attribute) };
        assert_eq!(
            status, EXRKIT_OK,
            "attribute {index} of {}",
            header.attribute_count
        );
        // SAFETY: the attribute the library returned.
        unsafe { read_attribute(&attribute) };
        let mut found: exrkit_attribute = zeroed();
        // SAFETY: `reader` is open, the name NUL-terminated, `found` writable.
        let status = unsafe { exrkit_find_attribute(reader, part, attribute.name, &mut found) };
        assert_eq!(status, EXRKIT_OK, "an attribute is found by its own name");
        // SAFETY: both names are NUL-terminated strings from the library.
        assert_eq!(unsafe { c_bytes(found.name) }, unsafe {
            c_bytes(attribute.name)
        });
        assert_eq!((found.data, found.size), (attribute.data, attribute.size));
    }
}

/// Reads everything an attribute's pointers address.
///
/// # Safety
/// The attribute must come from the library.
unsafe fn read_attribute(a: &exrkit_attribute) {
    // SAFETY: the library's strings and raw bytes, as documented.
    unsafe {
        c_bytes(a.name);
        c_bytes(a.type_name);
        std::hint::black_box(c_slice(a.data.cast::<u8>(), a.size).iter().sum::<u8>());
    }
    let v = &a.value;
    // SAFETY: the union member read is the one `type` names, and its
    // pointers address what the header says they do.
    unsafe {
        match a.r#type {
            EXRKIT_ATTR_STRING => {
                read_text(v.string);
            }
            EXRKIT_ATTR_STRINGVECTOR => {
                for &item in c_slice(v.strings.items, v.strings.count) {
                    read_text(item);
                }
            }
            EXRKIT_ATTR_FLOATVECTOR => {
                std::hint::black_box(c_slice(v.floats.values, v.floats.count).iter().sum::<f32>());
            }
            EXRKIT_ATTR_CHLIST => {
                for channel in c_slice(v.channels.channels, v.channels.count) {
                    c_bytes(channel.name);
                }
            }
            EXRKIT_ATTR_PREVIEW => {
                let len = v.preview.width as usize * v.preview.height as usize * 4;
                std::hint::black_box(c_slice(v.preview.rgba, len).iter().sum::<u8>());
            }
            EXRKIT_ATTR_BYTES => {
                read_text(v.bytes.type_hint);
                std::hint::black_box(c_slice(v.bytes.data, v.bytes.size).iter().sum::<u8>());
            }
            _ => {}
        }
    }
}

/// The levels exrkit_level_size answers for, in the Rust exercise's order,
/// with their windows; out-of-range levels must be refused.
///
/// # Safety
/// `reader` must be open.
unsafe fn levels(
    reader: *const exrkit_reader,
    part: u32,
    header: &exrkit_header,
) -> Vec<(u32, u32, Box2i)> {
    let dw = header.data_window;
    let data_window = Box2i::from(dw);
    let mut levels = Vec::new();
    for ly in 0..header.level_count_y.min(MAX_LEVELS) {
        for lx in 0..header.level_count_x.min(MAX_LEVELS) {
            let (mut w, mut h) = (0i32, 0i32);
            // SAFETY: `reader` is open; `w` and `h` writable.
            let status =
                unsafe { exrkit_level_size(reader, part, lx as i32, ly as i32, &mut w, &mut h) };
            if status == EXRKIT_OK {
                assert!(w > 0 && h > 0, "level ({lx}, {ly}) is {w} x {h}");
                levels.push((lx, ly, level_window(data_window, w as u64, h as u64)));
            }
        }
    }
    for (lx, ly) in [
        (-1, 0),
        (0, -1),
        (header.level_count_x as i32, 0),
        (0, header.level_count_y as i32),
    ] {
        let (mut w, mut h) = (0i32, 0i32);
        // SAFETY: `reader` is open; `w` and `h` writable.
        let status = unsafe { exrkit_level_size(reader, part, lx, ly, &mut w, &mut h) };
        assert_ne!(status, EXRKIT_OK, "level ({lx}, {ly}) does not exist");
    }
    levels
}

/// Every chunk: its info, its bytes (too small a buffer first), its decode.
///
/// # Safety
/// `reader` must be open.
unsafe fn chunks(
    reader: *const exrkit_reader,
    part: u32,
    header: &exrkit_header,
    names: &[Vec<u8>],
    deep: bool,
) {
    let mut raw = Vec::new();
    let mut ignored = Digest::default();
    for index in 0..header.chunk_count.min(MAX_CHUNKS) {
        let mut info: exrkit_chunk_info = zeroed();
        // SAFETY: `reader` is open and `info` writable.
        if unsafe { exrkit_get_chunk_info(reader, part, index, &mut info) } != EXRKIT_OK {
            continue;
        }
        let size = usize::try_from(info.read_size).unwrap_or(usize::MAX);
        if size > 0 && size <= 1 << 30 {
            raw.resize(size, 0);
            let mut got = usize::MAX;
            // SAFETY: `raw` holds `size - 1` writable bytes at least.
            let small = unsafe {
                exrkit_read_chunk(
                    reader,
                    part,
                    index,
                    raw.as_mut_ptr().cast(),
                    size - 1,
                    &mut got,
                )
            };
            assert_eq!(small, EXRKIT_ERR_BUFFER_TOO_SMALL);
            assert_eq!(got, usize::MAX, "a failed call writes no output");
            // SAFETY: `raw` holds `size` writable bytes.
            let status = unsafe {
                exrkit_read_chunk(reader, part, index, raw.as_mut_ptr().cast(), size, &mut got)
            };
            if status == EXRKIT_OK {
                assert_eq!(got, size, "read_size is what read_chunk gives");
            }
        }
        if deep {
            let mut image = ptr::null_mut();
            // SAFETY: `reader` is open and `image` writable.
            let status = unsafe { exrkit_decode_deep_block(reader, part, index, &mut image) };
            // SAFETY: `image` is NULL or a fresh deep image, freed here.
            unsafe { deep_image(status, image, names) };
        } else {
            let r = info.region;
            let region = Box2i::from(r);
            decode_planes(names, region, BLOCK_SAMPLES, &mut ignored, |fb| {
                // SAFETY: `reader` is open and `fb` describes live planes.
                unsafe { exrkit_decode_block(reader, part, index, fb) }
            });
        }
    }
}

/// A deep image's window, offsets and every channel's samples, read in
/// full; then flattened; then freed.
///
/// # Safety
/// `image` must be NULL or a deep image from the library, not yet freed.
unsafe fn deep_image(status: exrkit_status, image: *mut exrkit_deep_image, names: &[Vec<u8>]) {
    if status != EXRKIT_OK {
        assert!(image.is_null(), "a failed decode writes no image");
        return;
    }
    let mut window = exrkit_box2i::default();
    let (mut offsets, mut count) = (ptr::null(), 0usize);
    // SAFETY: `image` is live; the outputs are writable.
    unsafe {
        assert_eq!(exrkit_deep_window(image, &mut window), EXRKIT_OK);
        assert_eq!(
            exrkit_deep_offsets(image, &mut offsets, &mut count),
            EXRKIT_OK
        );
    }
    let pixels = (i64::from(window.max_x) - i64::from(window.min_x) + 1)
        * (i64::from(window.max_y) - i64::from(window.min_y) + 1);
    assert_eq!(
        count as i64,
        pixels + 1,
        "one offset per pixel and one more"
    );
    // SAFETY: the library promises `count` offsets.
    let offsets = unsafe { c_slice(offsets, count) };
    assert_eq!(offsets.first(), Some(&0));
    assert!(
        offsets.windows(2).all(|w| w[0] <= w[1]),
        "offsets never fall"
    );
    let total = offsets.last().copied().unwrap_or(0);
    for index in 0..=names.len() as u32 {
        let (mut pixel_type, mut samples, mut samples_count) = (0u32, ptr::null(), 0u64);
        // SAFETY: `image` is live; the outputs are writable.
        let status = unsafe {
            exrkit_deep_channel(
                image,
                index,
                &mut pixel_type,
                &mut samples,
                &mut samples_count,
            )
        };
        if index as usize == names.len() {
            assert_ne!(status, EXRKIT_OK, "a channel past the count is refused");
            continue;
        }
        assert_eq!(status, EXRKIT_OK);
        assert_eq!(samples_count, total, "every channel holds every sample");
        let size = match pixel_type {
            EXRKIT_PIXEL_UINT | EXRKIT_PIXEL_FLOAT => 4,
            EXRKIT_PIXEL_HALF => 2,
            other => panic!("deep sample type {other}"),
        };
        // SAFETY: the library promises `samples_count` samples of the type.
        let bytes = unsafe { c_slice(samples.cast::<u8>(), samples_count as usize * size) };
        std::hint::black_box(bytes.iter().fold(0u8, |a, &b| a ^ b));
    }
    let flat = Box2i::from(window);
    decode_planes(names, flat, LEVEL_SAMPLES, &mut Digest::default(), |fb| {
        // SAFETY: `image` is live and `fb` describes live planes.
        unsafe { exrkit_deep_flatten(image, fb) }
    });
    // SAFETY: freed once.
    unsafe { exrkit_deep_image_free(image) };
}

/// decode_rgba over the data window clipped to the limits, digested.
///
/// # Safety
/// `reader` must be open.
unsafe fn rgba(
    reader: *const exrkit_reader,
    part: u32,
    header: &exrkit_header,
    digest: &mut Digest,
) {
    let dw = header.data_window;
    let Some(window) = clip(Box2i::from(dw), 4, LEVEL_SAMPLES) else {
        return;
    };
    let width = window.width() as usize;
    let mut samples = vec![0f32; window.area() as usize * 4];
    let c_window = exrkit_box2i::from(window);
    // SAFETY: `reader` is open; `samples` holds the window's rows of RGBA.
    let status = unsafe {
        exrkit_decode_rgba(
            reader,
            part,
            c_window,
            samples.as_mut_ptr(),
            (width * 4 * size_of::<f32>()) as isize,
        )
    };
    digest.u64(u64::from(status == EXRKIT_OK));
    digest.f32s(&samples);
}

/// Decodes through a C frame buffer of one FLOAT plane per name, plus one
/// for a channel the part lacks, over `window` clipped to the limits, and
/// digests the outcome as [`crate::rust_api::decode_planes`] does.
fn decode_planes(
    names: &[Vec<u8>],
    window: Box2i,
    budget: u64,
    digest: &mut Digest,
    decode: impl FnOnce(&exrkit_framebuffer) -> exrkit_status,
) {
    let Some(window) = clip(window, names.len() as u64 + 1, budget) else {
        return;
    };
    let width = window.width() as usize;
    let mut planes = vec![vec![0u8; window.area() as usize * 4]; names.len() + 1];
    let c_names: Vec<Vec<u8>> = names
        .iter()
        .map(|n| n.as_slice())
        .chain([MISSING_CHANNEL])
        .map(|n| n.iter().copied().chain([0]).collect())
        .collect();
    let slices: Vec<exrkit_slice> = c_names
        .iter()
        .zip(planes.iter_mut())
        .enumerate()
        .map(|(i, (name, plane))| exrkit_slice {
            channel: name.as_ptr().cast(),
            r#type: EXRKIT_PIXEL_FLOAT,
            base: plane.as_mut_ptr().cast::<c_void>(),
            x_stride: 4,
            y_stride: (width * 4) as isize,
            x_sampling: 1,
            y_sampling: 1,
            fill: if i == names.len() { MISSING_FILL } else { FILL },
        })
        .collect();
    let fb = exrkit_framebuffer {
        window: exrkit_box2i::from(window),
        slices: slices.as_ptr(),
        slice_count: slices.len(),
    };
    let status = decode(&fb);
    if matches!(
        status,
        EXRKIT_ERR_INVALID_ARGUMENT | EXRKIT_ERR_BUFFER_TOO_SMALL
    ) {
        digest.u64(REFUSED);
        return;
    }
    digest.u64(u64::from(status == EXRKIT_OK));
    for plane in &planes {
        digest.bytes(plane);
    }
}
