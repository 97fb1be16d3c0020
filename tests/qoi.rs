//! The QOI codec against the official test images and their PNGs, and
//! against damaged files.

mod common;

use common::rng::XorShift;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use exrkit::qoi::{self, Channels, ColorSpace, DecodeOptions, Decoder, Header};
use exrkit::Error;

/// The system allocator, noting the largest allocation of each thread.
struct Counting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: as for `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note(size: usize) {
    // Ignored while the thread's local is being torn down.
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The largest allocation `f` makes on this thread.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.with(|largest| largest.set(0));
    f();
    LARGEST.with(Cell::get)
}

/// The pixels of the PNG beside `qoi` as RGBA, with its size.
fn png_rgba(qoi: &Path) -> (u32, u32, Vec<u8>) {
    let png = qoi.with_extension("png");
    let file = std::io::BufReader::new(std::fs::File::open(&png).expect("open png"));
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png pixels");
    buf.truncate(info.buffer_size());
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", png.display());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("{}: unexpected colour type {other:?}", png.display()),
    };
    (info.width, info.height, rgba)
}

/// RGBA pixels without their alpha.
fn rgb(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

fn images() -> Option<Vec<(PathBuf, Vec<u8>)>> {
    Some(
        common::qoi_images()?
            .into_iter()
            .map(|path| {
                let bytes = std::fs::read(&path).expect("read qoi");
                (path, bytes)
            })
            .collect(),
    )
}

#[test]
fn every_test_image_decodes_to_its_png_as_rgba_and_rgb() {
    let Some(images) = images() else { return };
    for (path, bytes) in &images {
        let (width, height, expected) = png_rgba(path);
        for strict in [false, true] {
            let options = DecodeOptions {
                strict,
                ..DecodeOptions::default()
            };
            let (header, rgba) = qoi::decode(bytes, &options, Channels::Rgba).expect("decode");
            assert_eq!((header.width(), header.height()), (width, height));
            assert!(
                rgba == expected,
                "{}: RGBA differs from the PNG",
                name(path)
            );
            let (_, three) = qoi::decode(bytes, &options, Channels::Rgb).expect("decode");
            assert!(three == rgb(&expected), "{}: RGB differs", name(path));
        }
    }
}

/// Decodes `bytes` in bands of `band` rows into rows `stride` bytes apart,
/// checking that the padding between rows stays untouched, and returns the
/// rows tightly packed.
fn decode_in_bands(bytes: &[u8], layout: Channels, band: usize, pad: usize) -> Vec<u8> {
    let mut decoder = Decoder::new(bytes, &DecodeOptions::default()).expect("header");
    let row = decoder.header().width() as usize * layout.count();
    let stride = row + pad;
    let mut buffer = vec![0xa5; stride * band];
    let mut rows = Vec::new();
    while decoder.rows_left() > 0 {
        let before = decoder.rows_left();
        let n = decoder
            .decode_rows(&mut buffer, stride, layout)
            .expect("band") as usize;
        assert_eq!(n, band.min(before as usize));
        for line in buffer.chunks(stride).take(n) {
            rows.extend_from_slice(&line[..row]);
            assert!(line[row..].iter().all(|&b| b == 0xa5), "padding written");
        }
    }
    assert_eq!(
        decoder.decode_rows(&mut buffer, stride, layout).ok(),
        Some(0)
    );
    rows
}

#[test]
fn bands_of_any_height_and_stride_give_the_whole_image() {
    let Some(images) = images() else { return };
    for (path, bytes) in &images {
        for layout in [Channels::Rgba, Channels::Rgb] {
            let (_, whole) = qoi::decode(bytes, &DecodeOptions::default(), layout).expect("decode");
            for (band, pad) in [(1, 0), (3, 5), (16, 1), (1000, 0)] {
                let banded = decode_in_bands(bytes, layout, band, pad);
                assert!(
                    banded == whole,
                    "{}: bands of {band} rows differ",
                    name(path)
                );
            }
        }
    }
}

/// A header like the reference file's for the PNG's pixels, in the file's
/// channel layout.
fn source(path: &Path, reference: &[u8]) -> (Header, Vec<u8>) {
    let header = Header::parse(reference).expect("reference header");
    let (width, height, rgba) = png_rgba(path);
    assert_eq!((header.width(), header.height()), (width, height));
    let pixels = match header.channels() {
        Channels::Rgba => rgba,
        Channels::Rgb => rgb(&rgba),
    };
    (header, pixels)
}

#[test]
fn every_png_encodes_to_the_reference_qoi_bytes() {
    let Some(images) = images() else { return };
    for (path, reference) in &images {
        // Crafted by hand, not by the reference encoder.
        if name(path) == "edgecase.qoi" {
            continue;
        }
        let (header, pixels) = source(path, reference);
        let whole = qoi::encode(&header, &pixels).expect("encode");
        assert!(whole == *reference, "{}: bytes differ", name(path));
        // The same bytes when rows come one at a time or split anywhere.
        let pixel = header.channels().count();
        for piece in [header.width() as usize * pixel, 7 * pixel] {
            let mut encoder = qoi::Encoder::new(header).expect("encoder");
            for part in pixels.chunks(piece) {
                encoder.encode_pixels(part).expect("pixels");
            }
            let pieces = encoder.finish().expect("finish");
            assert!(pieces == *reference, "{}: pieces of {piece}", name(path));
        }
    }
}

#[test]
fn encoded_test_images_have_no_two_index_ops_in_a_row_to_one_slot() {
    let Some(images) = images() else { return };
    for (path, reference) in &images {
        let (header, pixels) = source(path, reference);
        let file = qoi::encode(&header, &pixels).expect("encode");
        let mut ops = &file[qoi::HEADER_SIZE..file.len() - qoi::END_MARKER.len()];
        let mut last_index = None;
        while let [op, rest @ ..] = ops {
            let len = match op {
                0xfe => 4,
                0xff => 5,
                0x80..=0xbf => 2,
                _ => 1,
            };
            let index = (*op < 0x40).then_some(*op);
            assert!(
                index.is_none() || index != last_index,
                "{}: INDEX {op} twice",
                name(path)
            );
            last_index = index;
            ops = &rest[len - 1..];
        }
    }
}

#[test]
fn decoded_then_encoded_gives_the_same_pixels() {
    let Some(images) = images() else { return };
    for (path, bytes) in &images {
        let (header, rgba) =
            qoi::decode(bytes, &DecodeOptions::default(), Channels::Rgba).expect("decode");
        let header = Header::new(
            header.width(),
            header.height(),
            Channels::Rgba,
            ColorSpace::Linear,
        )
        .expect("header");
        let file = qoi::encode(&header, &rgba).expect("encode");
        let (again, back) =
            qoi::decode(&file, &DecodeOptions::default(), Channels::Rgba).expect("decode");
        assert_eq!(again, header);
        assert!(back == rgba, "{}: round trip differs", name(path));
    }
}

/// Damages `bytes` in one of several ways.
fn mutate(bytes: &[u8], rng: &mut XorShift) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match rng.below(5) {
        0 => out.truncate(rng.below(bytes.len() + 1)),
        1 => {
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(out.len());
                out[at] ^= 1 << rng.below(8);
            }
        }
        2 => {
            let at = rng.below(out.len());
            out[at] = rng.below(256) as u8;
        }
        3 => {
            // A header byte: sizes, channels or colour space.
            let at = 4 + rng.below(qoi::HEADER_SIZE - 4);
            out[at] = rng.below(256) as u8;
        }
        _ => {
            let at = rng.below(out.len());
            let len = rng.below(64);
            let end = (at + len).min(out.len());
            out.drain(at..end);
        }
    }
    out
}

#[test]
fn mutated_and_truncated_files_fail_cleanly_within_the_pixel_limit() {
    const MAX_PIXELS: u64 = 1 << 20;
    let Some(images) = images() else { return };
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut failed) = (0, 0);
    for (_, bytes) in &images {
        // The small images only: the photographs' decodes take long in the
        // unoptimised suite and exercise nothing the small ones do not.
        let rounds = if bytes.len() < 100_000 { 300 } else { 0 };
        for _ in 0..rounds {
            let damaged = mutate(bytes, &mut rng);
            for strict in [false, true] {
                let options = DecodeOptions {
                    max_pixels: MAX_PIXELS,
                    strict,
                };
                let layout = if rng.below(2) == 0 {
                    Channels::Rgba
                } else {
                    Channels::Rgb
                };
                let largest =
                    largest_allocation(|| match qoi::decode(&damaged, &options, layout) {
                        Ok(_) => ok += 1,
                        Err(
                            Error::Corrupt(_) | Error::LimitExceeded(_) | Error::UnknownFormat(_),
                        ) => {
                            failed += 1;
                        }
                        Err(e) => panic!("unexpected error {e}"),
                    });
                assert!(largest <= MAX_PIXELS as usize * 4, "allocated {largest}");
            }
        }
    }
    eprintln!("{ok} damaged files decoded, {failed} failed cleanly");
    assert!(ok > 100 && failed > 1000, "{ok} decoded, {failed} failed");
}

/// A header for `width` x `height` followed by `ops` and, if `marker`, the
/// end marker.
fn file(width: u32, height: u32, ops: &[u8], marker: bool) -> Vec<u8> {
    let mut bytes = b"qoif".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[4, 0]);
    bytes.extend_from_slice(ops);
    if marker {
        bytes.extend_from_slice(&qoi::END_MARKER);
    }
    bytes
}

#[test]
fn huge_headers_fail_before_allocating() {
    let huge = file(u32::MAX, u32::MAX, &[0xfd; 64], true);
    let largest = largest_allocation(|| {
        let limited = Decoder::new(&huge, &DecodeOptions::default());
        assert!(
            matches!(limited, Err(Error::LimitExceeded(_))),
            "{limited:?}"
        );
        let unlimited = DecodeOptions {
            max_pixels: 0,
            strict: false,
        };
        let short = qoi::decode(&huge, &unlimited, Channels::Rgba);
        assert!(matches!(short, Err(Error::Corrupt(_))), "{short:?}");
    });
    assert!(largest < 4096, "allocated {largest} bytes");
}

#[test]
fn the_smallest_file_for_its_pixels_is_accepted_and_one_byte_less_is_not() {
    // 62 * 3 + 1 pixels: three runs of 62, one of 1.
    let ops = [0xfd, 0xfd, 0xfd, 0xc0];
    let pixels = 62 * 3 + 1;
    for strict in [false, true] {
        let options = DecodeOptions {
            strict,
            ..DecodeOptions::default()
        };
        let good = file(pixels, 1, &ops, true);
        let header = Header::parse(&good).expect("header");
        assert_eq!(header.min_file_size(), good.len() as u64);
        let (_, rgba) = qoi::decode(&good, &options, Channels::Rgba).expect("decode");
        assert!(rgba.chunks(4).all(|p| p == [0, 0, 0, 255]));
        let short = Decoder::new(&good[..good.len() - 1], &options);
        assert!(matches!(short, Err(Error::Corrupt(_))), "{short:?}");
    }
}

/// Opens every test image with exrkit's reader, as an EXR would be.
#[test]
fn the_reader_presents_qoi_files_as_one_part_of_u8_channels() {
    use exrkit::meta::compression::Compression;
    use exrkit::meta::types::{Box2i, PixelType, Storage};
    use exrkit::pixels::FrameBuffer;
    use exrkit::{ReadOptions, Reader};
    let Some(images) = images() else {
        return;
    };
    let mut checked = 0;
    for (path, bytes) in &images {
        let (width, height, want) = png_rgba(path);
        let qoi = Header::parse(bytes).expect("qoi header");
        let reader = Reader::open(path, ReadOptions::default()).expect("open");
        assert!(reader.is_qoi(), "{}", name(path));
        assert_eq!(reader.headers().len(), 1);
        let header = reader.header(0).expect("part");
        assert_eq!(header.compression(), Compression::Qoi);
        assert_eq!(header.storage(), Storage::Scanline);
        let window = Box2i {
            min_x: 0,
            min_y: 0,
            max_x: width as i32 - 1,
            max_y: height as i32 - 1,
        };
        assert_eq!(header.data_window(), window);
        let names: Vec<String> = header
            .channels()
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        let expected_names = match qoi.channels() {
            Channels::Rgb => vec!["B", "G", "R"],
            Channels::Rgba => vec!["A", "B", "G", "R"],
        };
        assert_eq!(names, expected_names, "{}", name(path));
        assert!(header
            .channels()
            .iter()
            .all(|c| c.pixel_type == PixelType::U8));
        let colorspace = header.attribute(b"colorspace").expect("colorspace");
        assert_eq!(
            colorspace.data.as_bytes(),
            (qoi.color_space() as i32).to_le_bytes()
        );

        // U8, interleaved RGBA: the PNG's pixels; A is 255 for RGB files
        // through the fill.
        let mut got = vec![0u8; want.len()];
        let mut fb = FrameBuffer::interleaved(
            window,
            &[("R", 0.0), ("G", 0.0), ("B", 0.0), ("A", 1.0)],
            &mut got,
        )
        .expect("frame buffer");
        reader.decode_image(0, 0, 0, &mut fb).expect("decode");
        drop(fb);
        assert!(got == want, "{}: U8 pixels differ", name(path));

        // FLOAT through decode_rgba: value / 255.
        let mut rgba = vec![0f32; want.len()];
        reader.decode_rgba(0, window, &mut rgba).expect("rgba");
        assert!(
            rgba.iter()
                .zip(&want)
                .all(|(&f, &b)| f == f32::from(b) / 255.0),
            "{}: RGBA floats differ",
            name(path)
        );

        // HALF and UINT: value / 255 rounded to half, and the value itself.
        let count = want.len() / 4;
        let mut halves = vec![half::f16::ZERO; count];
        let mut uints = vec![0u32; count];
        let mut fb = FrameBuffer::new(window).expect("window");
        fb.add("B", &mut halves, 0.0).expect("HALF slice");
        fb.add("G", &mut uints, 0.0).expect("UINT slice");
        reader
            .decode_image(0, 0, 0, &mut fb)
            .expect("HALF and UINT");
        drop(fb);
        let pixels = want.chunks_exact(4);
        assert!(
            pixels
                .clone()
                .zip(&halves)
                .all(|(p, &h)| h == half::f16::from_f32(f32::from(p[2]) / 255.0)),
            "{}: HALF samples differ",
            name(path)
        );
        assert!(
            pixels.zip(&uints).all(|(p, &u)| u == u32::from(p[1])),
            "{}: UINT samples differ",
            name(path)
        );

        // A window in the middle: the same pixels as the whole image.
        let middle = Box2i {
            min_x: width as i32 / 3,
            min_y: height as i32 / 3,
            max_x: width as i32 / 2,
            max_y: height as i32 / 2,
        };
        let mut part = vec![0u8; middle.area() as usize];
        let mut fb = FrameBuffer::new(middle).expect("window");
        fb.add("G", &mut part, 0.0).expect("slice");
        reader.decode_block(0, 0, &mut fb).expect("block");
        drop(fb);
        for y in middle.min_y..=middle.max_y {
            for x in middle.min_x..=middle.max_x {
                let at = (y - middle.min_y) as usize * middle.width() as usize
                    + (x - middle.min_x) as usize;
                let whole = (y as usize * width as usize + x as usize) * 4 + 1;
                assert_eq!(part[at], want[whole], "{} ({x}, {y})", name(path));
            }
        }
        assert!(reader.chunk_info(0, 0).is_err());
        assert!(reader
            .decode_block(0, 1, &mut FrameBuffer::new(middle).expect("fb"))
            .is_err());
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} QOI images");
}

#[test]
fn the_reader_refuses_damaged_qoi_files_cleanly() {
    use exrkit::pixels::FrameBuffer;
    use exrkit::{ReadOptions, Reader};
    let Some(images) = images() else {
        return;
    };
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut decoded, mut refused) = (0, 0);
    for (_, bytes) in &images {
        // The small images only, as in the test above.
        let rounds = if bytes.len() < 100_000 { 80 } else { 0 };
        for _ in 0..rounds {
            let damaged = mutate(bytes, &mut rng);
            let Ok(reader) = Reader::from_bytes(damaged, ReadOptions::default()) else {
                refused += 1;
                continue;
            };
            let window = reader.headers()[0].data_window();
            let mut rgba = vec![0f32; window.area() as usize * 4];
            match reader.decode_rgba(0, window, &mut rgba) {
                Ok(()) => decoded += 1,
                Err(_) => refused += 1,
            }
            let mut one = [0u8; 1];
            let mut fb = FrameBuffer::new(exrkit::meta::types::Box2i {
                min_x: 0,
                min_y: 0,
                max_x: 0,
                max_y: 0,
            })
            .expect("fb");
            fb.add("R", &mut one, 0.0).expect("slice");
            let one_pixel = reader.decode_image(0, 0, 0, &mut fb);
            assert!(
                matches!(one_pixel, Ok(()) | Err(Error::Corrupt(_))),
                "{one_pixel:?}"
            );
        }
    }
    println!("damaged QOI files through the reader: {decoded} decoded, {refused} refused");
    assert!(decoded > 50 && refused > 50);
}

/// Writes `rgba` (width x height) as a QOI file through exrkit's writer,
/// from interleaved slices of `T` made by `to`.
fn write_through_writer<T: exrkit::pixels::Sample + Default + Clone>(
    width: u32,
    height: u32,
    rgba: &[u8],
    channels: Channels,
    color_space: ColorSpace,
    to: impl Fn(u8) -> T,
) -> exrkit::Result<Vec<u8>> {
    use exrkit::meta::types::Box2i;
    use exrkit::pixels::FrameBuffer;
    let window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: width as i32 - 1,
        max_y: height as i32 - 1,
    };
    let mut samples: Vec<T> = rgba.iter().map(|&b| to(b)).collect();
    let slices = [("R", 0.0), ("G", 0.0), ("B", 0.0), ("A", 1.0)];
    let fb = FrameBuffer::interleaved(window, &slices, &mut samples)?;
    write_through_fb((width, height, channels), color_space, &fb)
}

/// Writes the image `fb` holds through a QOI writer of `image`'s size and
/// channels, with `color_space`.
fn write_through_fb(
    image: (u32, u32, Channels),
    color_space: ColorSpace,
    fb: &exrkit::pixels::FrameBuffer<'_>,
) -> exrkit::Result<Vec<u8>> {
    use exrkit::meta::channel::Channel;
    use exrkit::meta::types::{Box2i, PixelType};
    use exrkit::{Format, PartDesc, WriteOptions, Writer};
    let (width, height, channels) = image;
    let data = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: width as i32 - 1,
        max_y: height as i32 - 1,
    };
    let options = WriteOptions {
        format: Format::Qoi,
        ..WriteOptions::default()
    };
    let mut writer = Writer::to_memory(options);
    let part = writer.add_part(PartDesc::scanline(data))?;
    for name in &["R", "G", "B", "A"][..channels.count()] {
        let channel = Channel {
            name: (*name).into(),
            pixel_type: PixelType::U8,
            p_linear: false,
            x_sampling: 1,
            y_sampling: 1,
        };
        writer.add_channel(part, channel)?;
    }
    writer.set_value(
        part,
        "colorspace",
        &exrkit::meta::value::Value::Int(color_space as i32),
    )?;
    writer.write_header()?;
    writer.write_image(part, 0, 0, fb)?;
    writer.finish()?;
    Ok(writer.bytes().unwrap_or_default().to_vec())
}

#[test]
fn the_writer_writes_the_reference_qoi_bytes_from_u8_and_float_slices() {
    let Some(images) = images() else {
        return;
    };
    let mut written = 0;
    for (path, bytes) in &images {
        if name(path) == "edgecase.qoi" {
            continue;
        }
        let (width, height, rgba) = png_rgba(path);
        let qoi = Header::parse(bytes).expect("header");
        let from_u8 = write_through_writer(
            width,
            height,
            &rgba,
            qoi.channels(),
            qoi.color_space(),
            |b| b,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", name(path)));
        assert!(
            from_u8 == *bytes,
            "{}: U8 slices give other bytes",
            name(path)
        );
        let from_float = write_through_writer(
            width,
            height,
            &rgba,
            qoi.channels(),
            qoi.color_space(),
            |b| f32::from(b) / 255.0,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", name(path)));
        assert!(
            from_float == *bytes,
            "{}: FLOAT slices give other bytes",
            name(path)
        );
        written += 1;
    }
    assert!(written >= 7);
}

#[test]
fn the_qoi_writer_refuses_what_qoi_cannot_hold() {
    use exrkit::meta::types::{Box2i, Storage};
    use exrkit::{Format, PartDesc, WriteOptions, Writer};
    let window = Box2i {
        min_x: 0,
        min_y: 0,
        max_x: 3,
        max_y: 3,
    };
    let qoi = || {
        Writer::to_memory(WriteOptions {
            format: Format::Qoi,
            ..WriteOptions::default()
        })
    };
    // Channels other than R, G, B [A].
    let mut writer = qoi();
    let part = writer.add_part(PartDesc::scanline(window)).expect("part");
    writer
        .add_channel(
            part,
            exrkit::meta::channel::Channel {
                name: "Y".into(),
                pixel_type: exrkit::meta::types::PixelType::Half,
                p_linear: false,
                x_sampling: 1,
                y_sampling: 1,
            },
        )
        .expect("channel");
    assert!(matches!(
        writer.write_header(),
        Err(Error::InvalidArgument(_))
    ));
    // Tiled parts, two parts, a window away from the origin.
    let mut tiled = PartDesc::scanline(window);
    tiled.storage = Storage::Tiled;
    let mut moved = PartDesc::scanline(window);
    moved.data_window.min_x = 1;
    for descs in [
        vec![tiled],
        vec![PartDesc::scanline(window), PartDesc::scanline(window)],
        vec![moved],
    ] {
        let mut writer = qoi();
        for (i, mut desc) in descs.into_iter().enumerate() {
            desc.name = Some(format!("p{i}"));
            let part = writer.add_part(desc).expect("part");
            for name in ["R", "G", "B"] {
                writer
                    .add_channel(
                        part,
                        exrkit::meta::channel::Channel {
                            name: name.into(),
                            pixel_type: exrkit::meta::types::PixelType::U8,
                            p_linear: false,
                            x_sampling: 1,
                            y_sampling: 1,
                        },
                    )
                    .expect("channel");
            }
        }
        assert!(writer.write_header().is_err());
    }
    // EXR writers refuse U8 channels.
    let mut exr = Writer::to_memory(WriteOptions::default());
    let part = exr.add_part(PartDesc::scanline(window)).expect("part");
    assert!(exr
        .add_channel(
            part,
            exrkit::meta::channel::Channel {
                name: "R".into(),
                pixel_type: exrkit::meta::types::PixelType::U8,
                p_linear: false,
                x_sampling: 1,
                y_sampling: 1,
            }
        )
        .is_err());
}

/// The window of columns 0 to `width - 1` and rows `min_y` to `max_y`.
fn full_width(width: i32, min_y: i32, max_y: i32) -> exrkit::meta::types::Box2i {
    exrkit::meta::types::Box2i {
        min_x: 0,
        min_y,
        max_x: width - 1,
        max_y,
    }
}

/// A frame buffer over `samples`: rows of interleaved `names` samples of
/// `T`, `stride` samples apart, covering `window`, the A slice's fill
/// `alpha_fill`.
fn rows_frame_buffer<'a, T: exrkit::pixels::Sample>(
    window: exrkit::meta::types::Box2i,
    names: &[&str],
    stride: usize,
    samples: &'a mut [T],
    alpha_fill: f64,
) -> exrkit::pixels::FrameBuffer<'a> {
    use exrkit::pixels::framebuffer::RawSlice;
    let size = std::mem::size_of::<T>();
    let rows = window.height() as usize;
    assert!(samples.len() >= stride * rows && stride >= window.width() as usize * names.len());
    let mut fb = exrkit::pixels::FrameBuffer::new(window).expect("window");
    for (c, name) in names.iter().enumerate() {
        let raw = RawSlice {
            channel: name.as_bytes(),
            pixel_type: T::TYPE,
            base: samples.as_mut_ptr().wrapping_add(c).cast(),
            x_stride: (names.len() * size) as isize,
            y_stride: (stride * size) as isize,
            x_sampling: 1,
            y_sampling: 1,
            fill: if *name == "A" { alpha_fill } else { 0.0 },
        };
        // SAFETY: every sample of the window lies in `samples` (asserted
        // above), borrowed for the frame buffer's lifetime.
        unsafe { fb.add_raw(raw) }.expect("slice");
    }
    fb
}

/// Decodes `file` through the reader into rows of interleaved `names`
/// samples of `T`, `pad` samples between rows beyond the pixels, over
/// `window`, in memory that starts as `sentinel`; returns the samples.
fn decode_rows_of<T: exrkit::pixels::Sample>(
    file: &[u8],
    window: exrkit::meta::types::Box2i,
    names: &[&str],
    pad: usize,
    sentinel: T,
    alpha_fill: f64,
) -> (Vec<T>, usize) {
    use exrkit::{ReadOptions, Reader};
    let reader = Reader::from_bytes(file.to_vec(), ReadOptions::default()).expect("open");
    let stride = window.width() as usize * names.len() + pad;
    let mut samples = vec![sentinel; stride * window.height() as usize];
    let mut fb = rows_frame_buffer(window, names, stride, &mut samples, alpha_fill);
    reader.decode_image(0, 0, 0, &mut fb).expect("decode");
    drop(fb);
    (samples, stride)
}

/// Rows of interleaved R, G, B (and A) samples of `T` from a reader, over
/// windows inside and beyond the image, tight and padded: the PNG's pixels
/// converted with `from_u8`, the alpha fill (0.25 as `T`, `quarter`) where
/// the file has no alpha, and nothing written outside the image.
fn check_rows_of<T>(sentinel: T, from_u8: impl Fn(u8) -> T, quarter: T)
where
    T: exrkit::pixels::Sample + PartialEq + std::fmt::Debug,
{
    let Some(images) = images() else {
        return;
    };
    let Some((path, _)) = images.iter().find(|(p, _)| name(p) == "testcard_rgba.qoi") else {
        panic!("testcard_rgba.qoi not among the QOI test images");
    };
    let (width, height, png) = png_rgba(path);
    let (w, h) = (width as i32, height as i32);
    for channels in [Channels::Rgb, Channels::Rgba] {
        let header = Header::new(width, height, channels, ColorSpace::Srgb).expect("header");
        let pixels = match channels {
            Channels::Rgb => rgb(&png),
            Channels::Rgba => png.clone(),
        };
        let file = qoi::encode(&header, &pixels).expect("encode");
        let windows = [(0, h - 1), (h / 3, h / 2), (-3, h + 2)];
        for (min_y, max_y) in windows {
            let window = full_width(w, min_y, max_y);
            for names in [&["R", "G", "B"][..], &["R", "G", "B", "A"]] {
                for pad in [0, 5] {
                    let (got, stride) =
                        decode_rows_of::<T>(&file, window, names, pad, sentinel, 0.25);
                    for (r, row) in got.chunks_exact(stride).enumerate() {
                        let y = min_y + r as i32;
                        for (i, &sample) in row.iter().enumerate() {
                            let (x, c) = (i / names.len(), i % names.len());
                            let want = if !(0..h).contains(&y) || i >= w as usize * names.len() {
                                sentinel
                            } else if c == 3 && channels == Channels::Rgb {
                                quarter
                            } else {
                                from_u8(png[(y as usize * width as usize + x) * 4 + c])
                            };
                            assert_eq!(
                                sample, want,
                                "{channels:?} file, {names:?} of {}, window rows {min_y}..={max_y}, \
                                 pad {pad}: ({x}, {y}) channel {c}",
                                std::any::type_name::<T>()
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn rows_of_interleaved_samples_of_each_type_decode_to_the_png() {
    check_rows_of::<u8>(7, |v| v, 64);
    check_rows_of::<half::f16>(
        half::f16::from_f32(-9.0),
        |v| half::f16::from_f32(f32::from(v) / 255.0),
        half::f16::from_f32(0.25),
    );
    check_rows_of::<f32>(-9.0, |v| f32::from(v) / 255.0, 0.25);
    check_rows_of::<u32>(99_999, u32::from, 0);
}

/// Writes `samples` (`names.len()` samples of `T` a pixel, rows `stride`
/// samples apart, covering `window`) through a QOI writer of `image`.
fn write_rows_of<T: exrkit::pixels::Sample>(
    image: (u32, u32, Channels),
    window: exrkit::meta::types::Box2i,
    names: &[&str],
    stride: usize,
    samples: &mut [T],
) -> Vec<u8> {
    let fb = rows_frame_buffer(window, names, stride, samples, 0.0);
    write_through_fb(image, ColorSpace::Srgb, &fb).expect("write")
}

#[test]
fn rows_of_interleaved_samples_of_each_type_and_planes_write_the_codecs_bytes() {
    use exrkit::meta::types::Box2i;
    let Some(images) = images() else {
        return;
    };
    let Some((path, _)) = images.iter().find(|(p, _)| name(p) == "testcard_rgba.qoi") else {
        panic!("testcard_rgba.qoi not among the QOI test images");
    };
    let (width, height, png) = png_rgba(path);
    let (w, h) = (width as usize, height as usize);
    for channels in [Channels::Rgb, Channels::Rgba] {
        let header = Header::new(width, height, channels, ColorSpace::Srgb).expect("header");
        let n = channels.count();
        let pixels: Vec<u8> = png.chunks_exact(4).flat_map(|p| p[..n].to_vec()).collect();
        let want = qoi::encode(&header, &pixels).expect("encode");
        let image = (width, height, channels);
        // Windows of the image's rows and of three more above and below.
        for extra in [0, 3] {
            let window = Box2i {
                min_x: 0,
                min_y: -(extra as i32),
                max_x: w as i32 - 1,
                max_y: (h + extra) as i32 - 1,
            };
            for names in [&["R", "G", "B"][..], &["R", "G", "B", "A"]] {
                if names.len() < n {
                    continue;
                }
                for pad in [0, 5] {
                    let stride = w * names.len() + pad;
                    let rows = h + 2 * extra;
                    let sample = |y: usize, i: usize| {
                        let (x, c) = (i / names.len(), i % names.len());
                        let inside = (extra..extra + h).contains(&y) && x < w;
                        inside.then(|| png[((y - extra) * w + x) * 4 + c])
                    };
                    let mut bytes: Vec<u8> = (0..rows * stride)
                        .map(|at| sample(at / stride, at % stride).unwrap_or(0))
                        .collect();
                    let what =
                        format!("{channels:?} file from {names:?}, pad {pad}, {extra} extra rows");
                    let got = write_rows_of(image, window, names, stride, &mut bytes);
                    assert!(got == want, "U8 {what}");
                    let mut floats: Vec<f32> = (0..rows * stride)
                        .map(|at| {
                            sample(at / stride, at % stride).map_or(-1.0, |v| f32::from(v) / 255.0)
                        })
                        .collect();
                    let got = write_rows_of(image, window, names, stride, &mut floats);
                    assert!(got == want, "FLOAT {what}");
                }
            }
        }
        // Planes, one slice per channel: the general gather.
        let mut planes: Vec<Vec<u8>> = (0..n)
            .map(|c| png.chunks_exact(4).map(|p| p[c]).collect())
            .collect();
        let data = Box2i {
            min_x: 0,
            min_y: 0,
            max_x: w as i32 - 1,
            max_y: h as i32 - 1,
        };
        let writer_planes = |planes: &mut [Vec<u8>]| {
            use exrkit::pixels::FrameBuffer;
            let mut fb = FrameBuffer::new(data).expect("window");
            for (plane, name) in planes.iter_mut().zip(["R", "G", "B", "A"]) {
                fb.add(name, plane, 0.0).expect("plane");
            }
            write_through_fb(image, ColorSpace::Srgb, &fb).expect("write")
        };
        assert!(
            writer_planes(&mut planes) == want,
            "{channels:?} from planes"
        );
    }
}

/// Decodes `file` over `window` through the reader three ways: rows of
/// interleaved U8 samples in the file's channels (straight in), rows of
/// interleaved FLOAT R, G, B, A (one conversion) and planes of U8 samples
/// in the order B, G, R, A (the general scatter). Fills are 0 for R and B,
/// 1 for G and A. Returns each way's status and samples as U8 (FLOAT as
/// `v * 255`), rows of the window one after another.
fn decode_three_ways(
    file: &[u8],
    window: exrkit::meta::types::Box2i,
) -> [(Result<(), String>, Vec<u8>); 3] {
    use exrkit::pixels::FrameBuffer;
    use exrkit::{ReadOptions, Reader};
    const SENTINEL: u8 = 77;
    let open = || Reader::from_bytes(file.to_vec(), ReadOptions::default()).expect("open");
    let samples = open().headers()[0].channels().len();
    let names = &["R", "G", "B", "A"][..samples];
    let fill = |name: &str| if name == "G" || name == "A" { 1.0 } else { 0.0 };
    let pixels = window.area() as usize;
    let status = |r: exrkit::Result<()>| {
        r.map_err(|e| {
            format!("{e:?}")
                .split('(')
                .next()
                .unwrap_or_default()
                .to_string()
        })
    };

    let mut direct = vec![SENTINEL; pixels * samples];
    let slices: Vec<(&str, f64)> = names.iter().map(|&n| (n, fill(n))).collect();
    let mut fb = FrameBuffer::interleaved(window, &slices, &mut direct).expect("fb");
    let direct_status = status(open().decode_image(0, 0, 0, &mut fb));
    drop(fb);

    let mut floats = vec![f32::from(SENTINEL) / 255.0; pixels * 4];
    let all: Vec<(&str, f64)> = ["R", "G", "B", "A"].iter().map(|&n| (n, fill(n))).collect();
    let mut fb = FrameBuffer::interleaved(window, &all, &mut floats).expect("fb");
    let float_status = status(open().decode_image(0, 0, 0, &mut fb));
    drop(fb);
    let floats: Vec<u8> = floats
        .chunks_exact(4)
        .flat_map(|p| {
            p[..samples]
                .iter()
                .map(|&v| (v * 255.0).round() as u8)
                .collect::<Vec<_>>()
        })
        .collect();

    let mut planes = vec![vec![SENTINEL; pixels]; samples];
    let mut fb = FrameBuffer::new(window).expect("fb");
    for (plane, name) in planes.iter_mut().zip(names).rev() {
        fb.add(name, plane, fill(name)).expect("plane");
    }
    let planar_status = status(open().decode_image(0, 0, 0, &mut fb));
    drop(fb);
    let planar: Vec<u8> = (0..pixels)
        .flat_map(|i| planes.iter().map(move |plane| plane[i]))
        .collect();

    [
        (direct_status, direct),
        (float_status, floats),
        (planar_status, planar),
    ]
}

#[test]
fn damaged_files_decode_alike_every_way_over_every_window() {
    let Some(images) = images() else { return };
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let (mut decoded, mut failed) = (0, 0);
    for (path, bytes) in &images {
        if !["testcard.qoi", "qoi_logo.qoi"].contains(&name(path).as_str()) {
            continue;
        }
        let header = Header::parse(bytes).expect("header");
        let (w, h) = (header.width() as i32, header.height() as i32);
        let windows = [
            (0, h - 1),
            (0, h / 2),
            (h / 3, h / 3 + 5),
            (-4, h + 3),
            (h + 2, h + 9),
        ];
        for round in 0..25 {
            let damaged = if round == 0 {
                bytes.clone()
            } else {
                mutate(bytes, &mut rng)
            };
            let opens = exrkit::Reader::from_bytes(damaged.clone(), Default::default()).is_ok();
            let Ok(found) = Header::parse(&damaged) else {
                continue;
            };
            if !opens || found.width() != header.width() || found.height() != header.height() {
                continue;
            }
            for (min_y, max_y) in windows {
                let window = full_width(w, min_y, max_y);
                let [direct, floats, planar] = decode_three_ways(&damaged, window);
                let what = format!("{} round {round}, rows {min_y}..={max_y}", name(path));
                assert_eq!(
                    direct.0, planar.0,
                    "{what}: statuses, straight in and planes"
                );
                assert_eq!(
                    floats.0, planar.0,
                    "{what}: statuses, FLOAT rows and planes"
                );
                assert!(
                    direct.1 == planar.1,
                    "{what}: samples, straight in and planes"
                );
                assert!(
                    floats.1 == planar.1,
                    "{what}: samples, FLOAT rows and planes"
                );
                match planar.0 {
                    Ok(()) => decoded += 1,
                    Err(_) => failed += 1,
                }
            }
        }
    }
    eprintln!("damaged QOI files over windows: {decoded} decoded alike, {failed} failed alike");
    assert!(
        decoded > 20 && failed > 20,
        "{decoded} decoded, {failed} failed"
    );
}
