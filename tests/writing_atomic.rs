//! Files appear whole or not at all: an unfinished or failed write leaves
//! the target as it was, and a stream's finish callback runs only for a
//! complete file.

mod common;

use std::ffi::c_void;

use exrkit::ffi::decode::{exrkit_framebuffer, exrkit_slice};
use exrkit::ffi::status::EXRKIT_OK;
use exrkit::ffi::stream::exrkit_output_stream;
use exrkit::ffi::types::{exrkit_box2i, exrkit_channel, EXRKIT_PIXEL_HALF};
use exrkit::ffi::writer::*;
use exrkit::meta::channel::Channel;
use exrkit::meta::compression::Compression;
use exrkit::meta::text::Text;
use exrkit::meta::types::{Box2i, PixelType};
use exrkit::pixels::FrameBuffer;
use exrkit::{PartDesc, ReadOptions, Reader, WriteOptions, Writer};

const WINDOW: Box2i = Box2i {
    min_x: 0,
    min_y: 0,
    max_x: 31,
    max_y: 19,
};

fn start(path: &std::path::Path) -> Writer {
    let mut writer = Writer::create(path, WriteOptions::default()).expect("create");
    let mut desc = PartDesc::scanline(WINDOW);
    desc.compression = Compression::None;
    let part = writer.add_part(desc).expect("part");
    let channel = Channel {
        name: Text::new(b"Y"),
        pixel_type: PixelType::Float,
        p_linear: false,
        x_sampling: 1,
        y_sampling: 1,
    };
    writer.add_channel(part, channel).expect("channel");
    writer.write_header().expect("header");
    writer
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("exrkit-tmp"))
        .collect()
}

#[test]
fn an_unfinished_writer_leaves_the_target_as_it_was() {
    let dir = common::scratch_dir("writing-atomic");
    let target = dir.join("image.exr");
    std::fs::write(&target, b"the old file").expect("old file");
    let mut plane = vec![0.5f32; WINDOW.area() as usize];
    {
        let writer = start(&target);
        let mut fb = FrameBuffer::new(WINDOW).expect("window");
        fb.add("Y", &mut plane, 0.0).expect("slice");
        writer.write_block(0, 0, &fb).expect("first chunk");
        writer.write_block(0, 1, &fb).expect("second chunk");
    }
    assert_eq!(std::fs::read(&target).expect("target"), b"the old file");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    let mut writer = start(&target);
    let error = writer.finish().expect_err("chunks are missing");
    assert!(matches!(error, exrkit::Error::BadState(_)), "{error}");
    let mut fb = FrameBuffer::new(WINDOW).expect("window");
    fb.add("Y", &mut plane, 0.0).expect("slice");
    writer.write_image(0, 0, 0, &fb).expect("image");
    drop(fb);
    writer.finish().expect("finish");
    assert!(leftovers(&dir).is_empty());
    let reader = Reader::open(&target, ReadOptions::default()).expect("the new file");
    let mut back = vec![0f32; WINDOW.area() as usize];
    let mut fb = FrameBuffer::new(WINDOW).expect("window");
    fb.add("Y", &mut back, 0.0).expect("slice");
    reader.decode_image(0, 0, 0, &mut fb).expect("decode");
    drop(fb);
    assert!(back.iter().all(|&v| v == 0.5));
}

/// A stream that keeps bytes in memory, fails its `fail_at`-th write, and
/// counts finish and release calls.
#[derive(Default)]
struct Stream {
    bytes: Vec<u8>,
    writes: usize,
    fail_at: usize,
    finished: usize,
    released: usize,
}

unsafe extern "C" fn write_at(
    user: *mut c_void,
    offset: u64,
    buffer: *const c_void,
    size: usize,
) -> i32 {
    // SAFETY: `user` is the test's Stream; `buffer` holds `size` bytes.
    let (stream, data) = unsafe {
        (
            &mut *user.cast::<Stream>(),
            std::slice::from_raw_parts(buffer.cast::<u8>(), size),
        )
    };
    stream.writes += 1;
    if stream.writes == stream.fail_at {
        return -1;
    }
    let end = offset as usize + size;
    if stream.bytes.len() < end {
        stream.bytes.resize(end, 0);
    }
    stream.bytes[offset as usize..end].copy_from_slice(data);
    0
}

unsafe extern "C" fn finish(user: *mut c_void) -> i32 {
    // SAFETY: `user` is the test's Stream.
    unsafe { (*user.cast::<Stream>()).finished += 1 };
    0
}

unsafe extern "C" fn release(user: *mut c_void) {
    // SAFETY: `user` is the test's Stream.
    unsafe { (*user.cast::<Stream>()).released += 1 };
}

/// Writes a 32x20 half image through the C API into `stream`; returns the
/// statuses of write_image and finish.
fn write_through_c(stream: &mut Stream) -> (u32, u32) {
    let callbacks = exrkit_output_stream {
        struct_size: std::mem::size_of::<exrkit_output_stream>(),
        user: std::ptr::from_mut(stream).cast(),
        write_at: Some(write_at),
        finish: Some(finish),
        release: Some(release),
    };
    let mut writer = std::ptr::null_mut();
    let mut options = std::mem::MaybeUninit::<exrkit_write_options>::uninit();
    let mut desc = std::mem::MaybeUninit::<exrkit_part_desc>::uninit();
    let mut part = 0u32;
    let pixels = vec![0x3c00u16; 32 * 20];
    let name = c"Y";
    // SAFETY: every pointer is valid for the call; the writer is freed below.
    unsafe {
        assert_eq!(exrkit_write_options_init(options.as_mut_ptr()), EXRKIT_OK);
        let mut options = options.assume_init();
        options.threads = 1;
        assert_eq!(
            exrkit_create_stream(&callbacks, &options, &mut writer),
            EXRKIT_OK
        );
        assert_eq!(exrkit_part_desc_init(desc.as_mut_ptr()), EXRKIT_OK);
        let mut desc = desc.assume_init();
        desc.compression = 0;
        desc.data_window = exrkit_box2i {
            min_x: 0,
            min_y: 0,
            max_x: 31,
            max_y: 19,
        };
        desc.display_window = desc.data_window;
        assert_eq!(exrkit_add_part(writer, &desc, &mut part), EXRKIT_OK);
        let channel = exrkit_channel {
            name: name.as_ptr(),
            r#type: EXRKIT_PIXEL_HALF,
            x_sampling: 1,
            y_sampling: 1,
            p_linear: false,
        };
        assert_eq!(exrkit_add_channel(writer, part, &channel), EXRKIT_OK);
        assert_eq!(exrkit_write_header(writer), EXRKIT_OK);
        let slice = exrkit_slice {
            channel: name.as_ptr(),
            r#type: EXRKIT_PIXEL_HALF,
            base: pixels.as_ptr().cast_mut().cast(),
            x_stride: 2,
            y_stride: 64,
            x_sampling: 1,
            y_sampling: 1,
            fill: 0.0,
        };
        let fb = exrkit_framebuffer {
            window: desc.data_window,
            slices: &slice,
            slice_count: 1,
        };
        let image = exrkit_write_image(writer, part, 0, 0, &fb);
        let finished = exrkit_finish(writer);
        exrkit_writer_free(writer);
        (image, finished)
    }
}

#[test]
fn a_failing_stream_never_sees_its_finish() {
    let mut good = Stream::default();
    assert_eq!(write_through_c(&mut good), (EXRKIT_OK, EXRKIT_OK));
    assert_eq!((good.finished, good.released), (1, 1));
    let reader =
        Reader::from_bytes(good.bytes.clone(), ReadOptions::default()).expect("complete file");
    assert_eq!(reader.header(0).expect("part").data_window(), WINDOW);
    let mut failing = Stream {
        fail_at: 5,
        ..Stream::default()
    };
    let (image, finished) = write_through_c(&mut failing);
    assert_ne!(image, EXRKIT_OK, "the failed write is reported");
    assert_ne!(finished, EXRKIT_OK, "an incomplete file cannot finish");
    assert_eq!((failing.finished, failing.released), (0, 1));
}
