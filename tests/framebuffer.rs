//! The frame buffer contract on real files: damaged and missing chunks,
//! cancellation, negative strides, subsampled channels replicated or
//! compact, conversions and regions, each checked against a clean decode.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use exrkit::meta::types::{Box2i, PixelType};
use exrkit::pixels::{FrameBuffer, RawSlice};
use exrkit::{Error, ReadOptions, Reader};

/// A ZIP scanline image of 600x400 half RGBA in 25 chunks of 16 lines.
fn carrots() -> Option<Vec<u8>> {
    let dir = common::openexr_images("ScanLines")?;
    Some(std::fs::read(dir.join("Carrots.exr")).expect("Carrots.exr"))
}

/// Decodes `channel` of part 0 over `window` as f32, starting from `fill`.
fn decode_f32(
    reader: &Reader,
    window: Box2i,
    channel: &str,
    fill: f64,
) -> (exrkit::Result<()>, Vec<f32>) {
    let mut plane = vec![f32::NAN; window.area() as usize];
    let mut fb = FrameBuffer::new(window).expect("window");
    fb.add(channel, &mut plane, fill).expect("slice");
    let result = reader.decode_image(0, 0, 0, &mut fb);
    drop(fb);
    (result, plane)
}

#[test]
fn a_damaged_chunk_is_filled_and_reported_while_the_rest_decodes() {
    let Some(mut bytes) = carrots() else {
        return;
    };
    let clean = Reader::from_bytes(bytes.clone(), ReadOptions::default()).expect("open");
    let window = clean.header(0).expect("part").data_window();
    let (ok, expected) = decode_f32(&clean, window, "G", 0.0);
    ok.expect("clean decode");
    let info = clean.chunk_info(0, 3).expect("chunk 3");
    let start = info.data_offset as usize;
    for b in &mut bytes[start + 2..start + 40] {
        *b ^= 0x5a;
    }
    let damaged = Reader::from_bytes(bytes, ReadOptions::default()).expect("open");
    let (result, plane) = decode_f32(&damaged, window, "G", 7.0);
    let error = result.expect_err("chunk 3 is damaged");
    assert!(matches!(error, Error::Corrupt(_)), "{error}");
    assert!(error.message().contains("part 0: chunk 3"), "{error}");
    let width = window.width() as usize;
    let damaged_rows = 48..64;
    for (i, (&got, &want)) in plane.iter().zip(&expected).enumerate() {
        if damaged_rows.contains(&(i / width)) {
            assert_eq!(got, 7.0, "pixel {i} of the damaged chunk");
        } else {
            assert_eq!(got.to_bits(), want.to_bits(), "pixel {i} outside it");
        }
    }
    let mut fb_plane = vec![0f32; window.area() as usize];
    let mut fb = FrameBuffer::new(window).expect("window");
    fb.add("G", &mut fb_plane, 0.0).expect("slice");
    let block = damaged
        .decode_block(0, 3, &mut fb)
        .expect_err("damaged block");
    assert!(block.message().starts_with("part 0: chunk 3"), "{block}");
}

#[test]
fn a_chunk_never_written_is_incomplete_and_filled() {
    let Some(mut bytes) = carrots() else {
        return;
    };
    let clean = Reader::from_bytes(bytes.clone(), ReadOptions::default()).expect("open");
    let offset = clean.chunk_info(0, 5).expect("chunk 5").offset;
    let first = clean.chunk_info(0, 0).expect("chunk 0").offset as usize;
    let table_end = first;
    let table_start = table_end - 8 * 25;
    let entry = table_start + 8 * 5;
    assert_eq!(bytes[entry..entry + 8], offset.to_le_bytes());
    bytes[entry..entry + 8].fill(0);
    let options = ReadOptions {
        reconstruct: false,
        ..ReadOptions::default()
    };
    let unfinished = Reader::from_bytes(bytes, options).expect("open");
    let window = clean.header(0).expect("part").data_window();
    let (result, plane) = decode_f32(&unfinished, window, "R", -1.0);
    assert!(matches!(result, Err(Error::Incomplete(_))), "{result:?}");
    let width = window.width() as usize;
    assert!(plane[80 * width..96 * width].iter().all(|&v| v == -1.0));
    assert!(plane[..80 * width]
        .iter()
        .all(|&v| v != -1.0 && !v.is_nan()));
}

#[test]
fn the_progress_callback_sees_every_chunk_and_can_cancel() {
    let Some(bytes) = carrots() else {
        return;
    };
    let calls = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&calls);
    let options = ReadOptions {
        threads: 1,
        progress: Some(Arc::new(move |done, total| {
            assert_eq!(total, 25);
            seen.fetch_add(1, Ordering::Relaxed);
            done < 10
        })),
        ..ReadOptions::default()
    };
    let reader = Reader::from_bytes(bytes, options).expect("open");
    let window = reader.header(0).expect("part").data_window();
    let (result, _) = decode_f32(&reader, window, "R", 0.0);
    assert!(matches!(result, Err(Error::Cancelled(_))), "{result:?}");
    assert_eq!(calls.load(Ordering::Relaxed), 10);
}

#[test]
fn negative_strides_give_a_bottom_up_image_and_types_convert() {
    let Some(bytes) = carrots() else {
        return;
    };
    let reader = Reader::from_bytes(bytes, ReadOptions::default()).expect("open");
    let window = Box2i {
        min_x: 100,
        min_y: 50,
        max_x: 163,
        max_y: 81,
    };
    let (ok, top_down) = decode_f32(&reader, window, "B", 0.0);
    ok.expect("decode");
    let (w, h) = (window.width() as usize, window.height() as usize);
    let mut bottom_up = vec![0u16; w * h];
    let mut bytes_u8 = vec![0u8; w * h];
    let mut fb = FrameBuffer::new(window).expect("window");
    let last_row = bottom_up[(h - 1) * w..].as_mut_ptr();
    let slice = RawSlice {
        channel: b"B",
        pixel_type: PixelType::Half,
        base: last_row.cast(),
        x_stride: 2,
        y_stride: -2 * w as isize,
        x_sampling: 1,
        y_sampling: 1,
        fill: 0.0,
    };
    // SAFETY: every row of the window lies inside `bottom_up`, last row first.
    unsafe { fb.add_raw(slice).expect("slice") };
    fb.add("B", &mut bytes_u8, 0.0).expect("u8 slice");
    reader.decode_image(0, 0, 0, &mut fb).expect("decode");
    drop(fb);
    for y in 0..h {
        for x in 0..w {
            let v = top_down[y * w + x];
            let half = bottom_up[(h - 1 - y) * w + x];
            assert_eq!(half::f16::from_bits(half).to_f32(), v, "({x}, {y})");
            let expected = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            assert_eq!(bytes_u8[y * w + x], expected, "u8 ({x}, {y})");
        }
    }
}

#[test]
fn subsampled_channels_come_compact_or_replicated() {
    let Some(dir) = common::openexr_images("LuminanceChroma") else {
        return;
    };
    // PIZ, with 2x2 subsampled RY and BY.
    let reader = Reader::open(dir.join("MtTamNorth.exr"), ReadOptions::default()).expect("open");
    let header = reader.header(0).expect("part");
    let channel = header
        .channels()
        .iter()
        .find(|c| c.name.as_bytes() == b"RY")
        .expect("RY channel");
    assert_eq!((channel.x_sampling, channel.y_sampling), (2, 2));
    let dw = header.data_window();
    // An odd corner, so the window starts between samples.
    let window = Box2i {
        min_x: dw.min_x + 3,
        min_y: dw.min_y + 5,
        max_x: dw.min_x + 40,
        max_y: dw.min_y + 30,
    };
    let full = exrkit::meta::sampling::sampled_count(dw.min_x, dw.max_x, 2) as usize;
    let rows = exrkit::meta::sampling::sampled_count(dw.min_y, dw.max_y, 2) as usize;
    let mut compact = vec![0f32; full * rows];
    let mut fb = FrameBuffer::new(dw).expect("window");
    fb.add_sampled("RY", &mut compact, 2, 2, 0.0)
        .expect("compact slice");
    reader
        .decode_image(0, 0, 0, &mut fb)
        .expect("compact decode");
    drop(fb);
    let (ok, replicated) = decode_f32(&reader, window, "RY", 0.0);
    ok.expect("replicated decode");
    let w = window.width() as usize;
    for y in window.min_y..=window.max_y {
        for x in window.min_x..=window.max_x {
            let sample =
                compact[((y - dw.min_y) / 2) as usize * full + ((x - dw.min_x) / 2) as usize];
            let got = replicated[(y - window.min_y) as usize * w + (x - window.min_x) as usize];
            assert_eq!(got.to_bits(), sample.to_bits(), "({x}, {y})");
        }
    }
}

#[test]
fn mismatched_sampling_and_bad_strides_are_refused() {
    let Some(dir) = common::openexr_images("LuminanceChroma") else {
        return;
    };
    let reader = Reader::open(dir.join("MtTamNorth.exr"), ReadOptions::default()).expect("open");
    let window = reader.header(0).expect("part").data_window();
    let mut plane = vec![0f32; window.area() as usize];
    let mut fb = FrameBuffer::new(window).expect("window");
    fb.add_sampled("RY", &mut plane, 3, 1, 0.0).expect("slice");
    let error = reader
        .decode_image(0, 0, 0, &mut fb)
        .expect_err("3x1 sampling");
    assert!(matches!(error, Error::InvalidArgument(_)), "{error}");
    let mut short = vec![0f32; 3];
    let mut fb = FrameBuffer::new(window).expect("window");
    assert!(matches!(
        fb.add("Y", &mut short, 0.0),
        Err(Error::BufferTooSmall(_))
    ));
    let huge = RawSlice {
        channel: b"Y",
        pixel_type: PixelType::Float,
        base: std::ptr::NonNull::<u8>::dangling().as_ptr(),
        x_stride: isize::MAX / 2,
        y_stride: 4,
        x_sampling: 1,
        y_sampling: 1,
        fill: 0.0,
    };
    // SAFETY: refused before any use of the address.
    let refused = unsafe { fb.add_raw(huge) };
    assert!(
        matches!(refused, Err(Error::InvalidArgument(_))),
        "{refused:?}"
    );
    for (x_stride, y_stride) in [(0, 4096), (4, 0), (2, 4096), (4, 8)] {
        let overlapping = RawSlice {
            x_stride,
            y_stride,
            ..huge
        };
        // SAFETY: refused before any use of the address.
        let refused = unsafe { fb.add_raw(overlapping) };
        assert!(
            matches!(refused, Err(Error::InvalidArgument(_))),
            "strides {x_stride}, {y_stride}: {refused:?}"
        );
    }
    let mut transposed = vec![0f32; window.area() as usize];
    let column_major = RawSlice {
        base: transposed.as_mut_ptr().cast(),
        x_stride: 4 * window.height() as isize,
        y_stride: 4,
        ..huge
    };
    // SAFETY: `transposed` holds the window column by column.
    unsafe { fb.add_raw(column_major) }.expect("column-major strides keep samples apart");
}

#[test]
fn decodes_nested_in_a_thread_pool_agree_and_finish() {
    use rayon::prelude::*;
    let Some(bytes) = carrots() else {
        return;
    };
    let serial = Reader::from_bytes(
        bytes.clone(),
        ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        },
    )
    .expect("open");
    let window = serial.header(0).expect("part").data_window();
    let (ok, expected) = decode_f32(&serial, window, "R", 0.0);
    ok.expect("serial decode");
    for threads in [0, 1, 3] {
        let options = ReadOptions {
            threads,
            ..ReadOptions::default()
        };
        let reader = Reader::from_bytes(bytes.clone(), options).expect("open");
        (0..6).into_par_iter().for_each(|_| {
            let (ok, plane) = decode_f32(&reader, window, "R", 0.0);
            ok.expect("nested decode");
            assert!(
                plane == expected,
                "threads {threads}: nested decode differs"
            );
        });
    }
}

/// Writes a 64x32 RLE file (one line per chunk) with Y and 2x2 RY, BY.
fn luminance_chroma_rle() -> Option<Vec<u8>> {
    let path = common::scratch_dir("yc-rle").join("yc_rle.exr");
    let script = r#"
import sys, OpenEXR, numpy as np
h, w = 32, 64
rows, cols = np.mgrid[0:h, 0:w]
header = {"compression": OpenEXR.RLE_COMPRESSION, "type": OpenEXR.scanlineimage,
          "dataWindow": ((0, 0), (w - 1, h - 1)), "displayWindow": ((0, 0), (w - 1, h - 1))}
chroma = ((rows // 2) * 100 + cols // 2).astype(np.float16)
channels = {"Y": (rows * w + cols).astype(np.float16) / 4,
            "RY": OpenEXR.Channel("RY", chroma, 2, 2),
            "BY": OpenEXR.Channel("BY", -chroma, 2, 2)}
with OpenEXR.File(header, channels) as f:
    f.write(sys.argv[1])
"#;
    if !common::python(&["-c".as_ref(), script.as_ref(), path.as_os_str()]) {
        return None;
    }
    Some(std::fs::read(path).expect("generated file"))
}

/// `RY` replicated to every pixel of the part, decoded with `threads`.
fn replicated_chroma(bytes: &[u8], threads: u32) -> Vec<u32> {
    let options = ReadOptions {
        threads,
        ..ReadOptions::default()
    };
    let reader = Reader::from_bytes(bytes.to_vec(), options).expect("open");
    let window = reader.header(0).expect("part").data_window();
    let (_, plane) = decode_f32(&reader, window, "RY", -1.0);
    plane.into_iter().map(f32::to_bits).collect()
}

#[test]
fn damaged_chunks_fill_only_the_pixels_their_samples_cover() {
    let Some(bytes) = luminance_chroma_rle() else {
        return;
    };
    let width = 64;
    let expected = replicated_chroma(&bytes, 1);
    let reader = Reader::from_bytes(bytes.clone(), ReadOptions::default()).expect("open");
    for chunk in [10u64, 11] {
        let info = reader.chunk_info(0, chunk).expect("chunk");
        let mut damaged = bytes.clone();
        let data = info.data_offset as usize..(info.data_offset + info.packed_size) as usize;
        damaged[data].fill(0x7f);
        let results: Vec<Vec<u32>> = [1, 0, 8]
            .iter()
            .map(|&threads| replicated_chroma(&damaged, threads))
            .collect();
        assert!(
            results.iter().all(|r| *r == results[0]),
            "chunk {chunk}: the thread count changed the result"
        );
        for (i, (&got, &want)) in results[0].iter().zip(&expected).enumerate() {
            let row = i / width;
            // Chunk 10 holds the samples of rows 10 and 11; chunk 11 none.
            if chunk == 10 && (10..12).contains(&row) {
                assert_eq!(f32::from_bits(got), -1.0, "chunk {chunk}: pixel {i}");
            } else {
                assert_eq!(got, want, "chunk {chunk}: pixel {i}");
            }
        }
    }
}
