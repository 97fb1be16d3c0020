//! A writer's calls through the C API when callers break its threading
//! rule: a call that must be alone on the writer while another runs, and
//! chunk writes racing exrkit_finish. The stream's callbacks (or the
//! progress callback) hold one call inside the library while the test
//! makes the other, so every race is met, not hoped for; the late call
//! gets EXRKIT_ERR_BAD_STATE, the first completes, and the file comes out
//! whole.

use std::ffi::{c_void, CStr};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use exrkit::ffi::decode::{exrkit_framebuffer, exrkit_slice};
use exrkit::ffi::status::{exrkit_last_error_message, EXRKIT_ERR_BAD_STATE, EXRKIT_OK};
use exrkit::ffi::stream::exrkit_output_stream;
use exrkit::ffi::types::{
    exrkit_box2i, exrkit_channel, EXRKIT_COMPRESSION_NONE, EXRKIT_PIXEL_FLOAT,
};
use exrkit::ffi::writer::*;
use exrkit::meta::types::Box2i;
use exrkit::pixels::FrameBuffer;
use exrkit::{ReadOptions, Reader};

const WIDTH: i32 = 16;
const HEIGHT: i32 = 8;
const WINDOW: exrkit_box2i = exrkit_box2i {
    min_x: 0,
    min_y: 0,
    max_x: WIDTH - 1,
    max_y: HEIGHT - 1,
};

/// What a busy writer says.
const BUSY: &str = "another call is running on this writer";

/// An output stream in memory whose next callback, once armed, stops
/// until the test lets it go: the call that made it stays inside the
/// library, holding the writer, meanwhile.
struct Stream {
    bytes: Mutex<Vec<u8>>,
    armed: AtomicBool,
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
    finished: AtomicUsize,
}

/// The test's side of a [`Stream`]'s gate.
struct Gate {
    entered: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
}

fn stream() -> (Stream, Gate) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let stream = Stream {
        bytes: Mutex::new(Vec::new()),
        armed: AtomicBool::new(false),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
        finished: AtomicUsize::new(0),
    };
    let gate = Gate {
        entered: entered_rx,
        release: release_tx,
    };
    (stream, gate)
}

impl Stream {
    /// Stops here, if armed, until the test releases the gate.
    fn pause_if_armed(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.entered.lock().unwrap().send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
    }
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
            &*user.cast::<Stream>(),
            std::slice::from_raw_parts(buffer.cast::<u8>(), size),
        )
    };
    stream.pause_if_armed();
    let mut bytes = stream.bytes.lock().unwrap();
    let (start, end) = (offset as usize, offset as usize + size);
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[start..end].copy_from_slice(data);
    0
}

unsafe extern "C" fn finish(user: *mut c_void) -> i32 {
    // SAFETY: `user` is the test's Stream.
    unsafe { &*user.cast::<Stream>() }
        .finished
        .fetch_add(1, Ordering::SeqCst);
    0
}

/// A writer pointer another thread may use: the library, not this type,
/// decides what it may do with it.
#[derive(Clone, Copy)]
struct Handle(*mut exrkit_writer);

// SAFETY: exrkit_writer's calls are safe from any thread; that is what
// these tests check.
unsafe impl Send for Handle {}

impl Handle {
    /// The pointer, taken through the whole handle (so that closures
    /// capture the handle, not its field).
    fn ptr(self) -> *mut exrkit_writer {
        self.0
    }
}

/// The pixels written: sample i of the window is i.
fn pixels() -> Vec<f32> {
    (0..WIDTH * HEIGHT).map(|i| i as f32).collect()
}

/// The thread's last error message.
fn last_error() -> String {
    // SAFETY: the library returns a NUL-terminated string.
    unsafe { CStr::from_ptr(exrkit_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Asserts that a call failed because the writer was busy.
fn assert_busy(status: u32, what: &str) {
    assert_eq!(status, EXRKIT_ERR_BAD_STATE, "{what}: {}", last_error());
    assert!(last_error().contains(BUSY), "{what}: {}", last_error());
}

/// A Y channel of floats.
fn channel(name: &CStr) -> exrkit_channel {
    exrkit_channel {
        name: name.as_ptr(),
        r#type: EXRKIT_PIXEL_FLOAT,
        x_sampling: 1,
        y_sampling: 1,
        p_linear: false,
    }
}

/// A writer into `stream` (one thread; `options` as changed by `adjust`)
/// with one uncompressed part of a float channel Y, one chunk per row,
/// described but without its header written.
fn describe(stream: &Stream, adjust: impl FnOnce(&mut exrkit_write_options)) -> Handle {
    let callbacks = exrkit_output_stream {
        struct_size: std::mem::size_of::<exrkit_output_stream>(),
        user: std::ptr::from_ref(stream).cast_mut().cast(),
        write_at: Some(write_at),
        finish: Some(finish),
        release: None,
    };
    let mut writer = std::ptr::null_mut();
    let mut options = std::mem::MaybeUninit::<exrkit_write_options>::uninit();
    let mut desc = std::mem::MaybeUninit::<exrkit_part_desc>::uninit();
    let mut part = u32::MAX;
    // SAFETY: every pointer is valid for the call.
    unsafe {
        assert_eq!(exrkit_write_options_init(options.as_mut_ptr()), EXRKIT_OK);
        let mut options = options.assume_init();
        options.threads = 1;
        adjust(&mut options);
        assert_eq!(
            exrkit_create_stream(&callbacks, &options, &mut writer),
            EXRKIT_OK
        );
        assert_eq!(exrkit_part_desc_init(desc.as_mut_ptr()), EXRKIT_OK);
        let mut desc = desc.assume_init();
        desc.compression = EXRKIT_COMPRESSION_NONE;
        desc.data_window = WINDOW;
        desc.display_window = WINDOW;
        assert_eq!(exrkit_add_part(writer, &desc, &mut part), EXRKIT_OK);
        assert_eq!(part, 0);
        assert_eq!(exrkit_add_channel(writer, 0, &channel(c"Y")), EXRKIT_OK);
    }
    Handle(writer)
}

/// Runs `call` on another thread with `stream` armed, so that it stops in
/// its first stream callback; runs `meanwhile` there, then lets it go and
/// gives its status.
fn while_held(
    stream: &Stream,
    gate: &Gate,
    call: impl FnOnce() -> u32 + Send,
    meanwhile: impl FnOnce(),
) -> u32 {
    stream.armed.store(true, Ordering::SeqCst);
    std::thread::scope(|scope| {
        let held = scope.spawn(call);
        gate.entered
            .recv_timeout(Duration::from_secs(60))
            .expect("the held call reaches the stream");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(meanwhile));
        gate.release.send(()).unwrap();
        let status = held.join().expect("the held call returns");
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
        status
    })
}

/// The FLOAT slice of channel Y over `pixels`, rows of WIDTH.
fn y_slice(pixels: &[f32]) -> exrkit_slice {
    exrkit_slice {
        channel: c"Y".as_ptr(),
        r#type: EXRKIT_PIXEL_FLOAT,
        base: pixels.as_ptr().cast_mut().cast(),
        x_stride: 4,
        y_stride: 4 * WIDTH as isize,
        x_sampling: 1,
        y_sampling: 1,
        fill: 0.0,
    }
}

/// A frame buffer of WINDOW holding `slice` alone.
fn frame_buffer(slice: &exrkit_slice) -> exrkit_framebuffer {
    exrkit_framebuffer {
        window: WINDOW,
        slices: slice,
        slice_count: 1,
    }
}

/// exrkit_write_block of `chunk` (row `chunk`) from `pixels`.
fn write_block(writer: Handle, chunk: u64, pixels: &[f32]) -> u32 {
    let slice = y_slice(pixels);
    let fb = frame_buffer(&slice);
    // SAFETY: the frame buffer covers the window; the writer is live.
    unsafe { exrkit_write_block(writer.ptr(), 0, chunk, &fb) }
}

/// Writes every row of `pixels`, finishes and frees the writer (no other
/// call may be running on it), and checks the file `stream` received.
fn write_every_block_and_finish(writer: Handle, pixels: &[f32], stream: &Stream) {
    for chunk in 0..HEIGHT as u64 {
        assert_eq!(
            write_block(writer, chunk, pixels),
            EXRKIT_OK,
            "{}",
            last_error()
        );
    }
    // SAFETY: the writer is live and no call runs on it; freed once.
    unsafe {
        assert_eq!(exrkit_finish(writer.ptr()), EXRKIT_OK, "{}", last_error());
        exrkit_writer_free(writer.ptr());
    }
    assert_whole(stream);
}

/// The file the stream holds decodes to `pixels()` in channel Y alone.
fn assert_whole(stream: &Stream) {
    assert_eq!(stream.finished.load(Ordering::SeqCst), 1, "finish ran once");
    let bytes = stream.bytes.lock().unwrap().clone();
    let reader = Reader::from_bytes(bytes, ReadOptions::default()).expect("a complete file");
    let names: Vec<String> = reader
        .header(0)
        .expect("part 0")
        .channels()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(names, ["Y"]);
    let window = Box2i::from(WINDOW);
    let mut back = vec![-1f32; window.area() as usize];
    let mut fb = FrameBuffer::new(window).expect("window");
    fb.add("Y", &mut back, 0.0).expect("slice");
    reader.decode_image(0, 0, 0, &mut fb).expect("decode");
    drop(fb);
    assert_eq!(back, pixels());
}

#[test]
fn calls_that_must_be_alone_fail_while_the_header_is_written() {
    let (stream, gate) = stream();
    let writer = describe(&stream, |_| {});
    let pixels = pixels();
    // SAFETY: the writer is live until freed below.
    let header = while_held(
        &stream,
        &gate,
        move || unsafe { exrkit_write_header(writer.ptr()) },
        || unsafe {
            assert_busy(
                exrkit_add_channel(writer.ptr(), 0, &channel(c"Z")),
                "add_channel during write_header",
            );
            assert_busy(exrkit_write_header(writer.ptr()), "a second write_header");
            assert_busy(exrkit_finish(writer.ptr()), "finish during write_header");
            assert_busy(
                write_block(writer, 0, &pixels),
                "write_block during write_header",
            );
        },
    );
    assert_eq!(header, EXRKIT_OK, "the held write_header");
    write_every_block_and_finish(writer, &pixels, &stream);
}

#[test]
fn finish_fails_while_a_block_is_written_and_succeeds_after() {
    let (stream, gate) = stream();
    let writer = describe(&stream, |_| {});
    let pixels = &pixels();
    // SAFETY: the writer is live until freed below.
    unsafe { assert_eq!(exrkit_write_header(writer.ptr()), EXRKIT_OK) };
    // Chunk 0 stops in the stream; chunk 2 is written meanwhile, beside
    // it, and held for its turn (chunk 1 would wait for the stream).
    let block = while_held(
        &stream,
        &gate,
        move || write_block(writer, 0, pixels),
        || {
            // SAFETY: the writer is live.
            assert_busy(
                unsafe { exrkit_finish(writer.ptr()) },
                "finish during write_block",
            );
            assert_eq!(
                write_block(writer, 2, pixels),
                EXRKIT_OK,
                "a block beside a block"
            );
        },
    );
    assert_eq!(block, EXRKIT_OK, "the held write_block: {}", last_error());
    for chunk in (1..HEIGHT as u64).filter(|&c| c != 2) {
        assert_eq!(
            write_block(writer, chunk, pixels),
            EXRKIT_OK,
            "{}",
            last_error()
        );
    }
    assert_eq!(stream.finished.load(Ordering::SeqCst), 0);
    // SAFETY: the writer is live; freed once.
    unsafe {
        assert_eq!(exrkit_finish(writer.ptr()), EXRKIT_OK, "{}", last_error());
        exrkit_writer_free(writer.ptr());
    }
    assert_whole(&stream);
}

#[test]
fn blocks_fail_while_finish_runs() {
    let (stream, gate) = stream();
    let writer = describe(&stream, |_| {});
    let pixels = pixels();
    // SAFETY: the writer is live until freed below.
    unsafe { assert_eq!(exrkit_write_header(writer.ptr()), EXRKIT_OK) };
    for chunk in 0..HEIGHT as u64 {
        assert_eq!(
            write_block(writer, chunk, &pixels),
            EXRKIT_OK,
            "{}",
            last_error()
        );
    }
    let finished = while_held(
        &stream,
        &gate,
        // SAFETY: the writer is live.
        move || unsafe { exrkit_finish(writer.ptr()) },
        || {
            assert_busy(write_block(writer, 0, &pixels), "write_block during finish");
            let (mut data, mut size) = (std::ptr::null(), 0usize);
            // SAFETY: the writer is live; the outputs are valid.
            let memory = unsafe { exrkit_writer_memory(writer.ptr(), &mut data, &mut size) };
            assert_busy(memory, "writer_memory during finish");
        },
    );
    assert_eq!(finished, EXRKIT_OK, "the held finish: {}", last_error());
    // SAFETY: the writer is live; freed once.
    unsafe { exrkit_writer_free(writer.ptr()) };
    assert_whole(&stream);
}

#[test]
fn a_writer_freed_while_a_call_runs_is_kept() {
    let (stream, gate) = stream();
    let writer = describe(&stream, |_| {});
    let pixels = pixels();
    let header = while_held(
        &stream,
        &gate,
        // SAFETY: the writer is live.
        move || unsafe { exrkit_write_header(writer.ptr()) },
        || {
            // SAFETY: a live writer, freed too early on purpose.
            unsafe { exrkit_writer_free(writer.ptr()) };
            assert!(last_error().contains(BUSY), "{}", last_error());
            assert!(last_error().contains("kept the writer"), "{}", last_error());
        },
    );
    assert_eq!(header, EXRKIT_OK, "the held write_header");
    write_every_block_and_finish(writer, &pixels, &stream);
}

/// What the progress callback of [`finish_from_a_progress_callback_fails`]
/// shares with it.
struct Progress {
    writer: AtomicPtr<exrkit_writer>,
    statuses: Mutex<Vec<u32>>,
}

unsafe extern "C" fn finish_in_progress(user: *mut c_void, _done: u64, _total: u64) -> bool {
    // SAFETY: `user` is the test's Progress.
    let progress = unsafe { &*user.cast::<Progress>() };
    // SAFETY: the writer is live while it calls back.
    let status = unsafe { exrkit_finish(progress.writer.load(Ordering::SeqCst)) };
    progress.statuses.lock().unwrap().push(status);
    if status != EXRKIT_OK {
        assert!(last_error().contains(BUSY), "{}", last_error());
    }
    true
}

#[test]
fn finish_from_a_progress_callback_fails() {
    let (stream, _gate) = stream();
    let progress = Progress {
        writer: AtomicPtr::new(std::ptr::null_mut()),
        statuses: Mutex::new(Vec::new()),
    };
    let writer = describe(&stream, |options| {
        options.progress = Some(finish_in_progress);
        options.progress_user = std::ptr::from_ref(&progress).cast_mut().cast();
    });
    progress.writer.store(writer.ptr(), Ordering::SeqCst);
    let pixels = pixels();
    let slice = y_slice(&pixels);
    let fb = frame_buffer(&slice);
    // SAFETY: the writer is live until freed; the frame buffer covers the window.
    unsafe {
        assert_eq!(exrkit_write_header(writer.ptr()), EXRKIT_OK);
        assert_eq!(
            exrkit_write_image(writer.ptr(), 0, 0, 0, &fb),
            EXRKIT_OK,
            "{}",
            last_error()
        );
        assert_eq!(
            *progress.statuses.lock().unwrap(),
            vec![EXRKIT_ERR_BAD_STATE; HEIGHT as usize],
            "every finish from inside write_image was refused"
        );
        assert_eq!(exrkit_finish(writer.ptr()), EXRKIT_OK, "{}", last_error());
        exrkit_writer_free(writer.ptr());
    }
    assert_whole(&stream);
}
