//! QOI through its codec: any bytes decoded (as RGBA and as the file's own
//! channels, whole and row by row), and decoded images encoded again, which
//! must decode to the same pixels; and any pixels encoded, which must decode
//! back exactly.

use exrkit::qoi::{self, Channels, ColorSpace, DecodeOptions, Header};

use crate::MAX_IMAGE_PIXELS;

/// Decode options with the fuzzing limit.
fn options() -> DecodeOptions {
    DecodeOptions {
        max_pixels: MAX_IMAGE_PIXELS,
        ..DecodeOptions::default()
    }
}

/// Decodes `data` every way; re-encodes what decodes and checks the round
/// trip.
pub fn decode(data: &[u8]) {
    let options = options();
    let whole = qoi::decode(data, &options, Channels::Rgba);
    let Ok((header, pixels)) = whole else {
        return;
    };
    let rgba = Header::new(
        header.width(),
        header.height(),
        Channels::Rgba,
        header.color_space(),
    )
    .expect("a decoded header is valid");
    let encoded = qoi::encode(&rgba, &pixels).expect("decoded pixels encode");
    let (_, again) = qoi::decode(&encoded, &options, Channels::Rgba).expect("own file decodes");
    assert!(again == pixels, "QOI re-encode changed the pixels");
    by_rows(data, &options, header.channels(), &pixels);
}

/// Decodes `data` a few rows at a time in the file's own channels and
/// checks the rows against `rgba`.
fn by_rows(data: &[u8], options: &DecodeOptions, channels: Channels, rgba: &[u8]) {
    let Ok(mut decoder) = qoi::Decoder::new(data, options) else {
        panic!("a file that decodes whole opens for rows");
    };
    let width = decoder.header().width() as usize;
    let size = channels.count();
    let stride = width * size;
    let mut rows = vec![0u8; stride * 3];
    let mut row = 0usize;
    while decoder.rows_left() > 0 {
        let done = decoder
            .decode_rows(&mut rows, stride, channels)
            .expect("rows of a file that decodes whole") as usize;
        assert!(done > 0, "decode_rows makes progress");
        for (i, got) in rows.chunks(stride).take(done).enumerate() {
            let want = &rgba[(row + i) * width * 4..][..width * 4];
            for (g, w) in got.chunks(size).zip(want.chunks(4)) {
                assert_eq!(
                    g,
                    &w[..size],
                    "row {} decodes alike whole and by rows",
                    row + i
                );
            }
        }
        row += done;
    }
}

/// Encodes pixels made from `data` (the first bytes choose the size and
/// channels) and checks that they decode back exactly.
pub fn encode(data: &[u8]) {
    let [w, h, flags, rest @ ..] = data else {
        return;
    };
    let channels = if flags & 1 == 0 {
        Channels::Rgb
    } else {
        Channels::Rgba
    };
    let color_space = if flags & 2 == 0 {
        ColorSpace::Srgb
    } else {
        ColorSpace::Linear
    };
    let (width, height) = (u32::from(*w) + 1, u32::from(*h % 64) + 1);
    let len = (width * height) as usize * channels.count();
    let mut pixels = Vec::with_capacity(len);
    if !rest.is_empty() {
        pixels.extend(rest.iter().cycle().take(len));
    }
    pixels.resize(len, 0);
    let header = Header::new(width, height, channels, color_space).expect("a small header");
    let encoded = qoi::encode(&header, &pixels).expect("encode");
    assert!(encoded.len() as u64 <= header.max_file_size());
    let (decoded_header, decoded) = qoi::decode(&encoded, &options(), channels).expect("decode");
    assert_eq!(decoded_header, header);
    assert!(
        decoded == pixels,
        "QOI encode then decode changed the pixels"
    );
}
