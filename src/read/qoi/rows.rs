//! The direct way from a QOI file into a frame buffer of [`RgbaRows`]. U8
//! rows in the file's layout are decoded straight into the caller's memory;
//! rows of other types, or with an alpha the file lacks, take one
//! conversion from a band of decoded RGBA rows.

use half::f16;

use crate::error::{try_resize, Result};
use crate::meta::types::PixelType;
use crate::pixels::convert::Sample;
use crate::pixels::rgba_rows::RgbaRows;
use crate::qoi::{Channels, Decoder};

/// Decodes every row of the image from the top to row `last` (the last the
/// window holds) into `rows`, writing those inside the window, in bands of
/// up to `band_rows` rows. `alpha_fill` is the A slice's fill where the
/// file has no alpha; `band` is scratch. On an error every row the decoder
/// wholly decoded before it is written, and no other.
///
/// # Safety
/// The frame buffer `rows` comes from must be valid as
/// `FrameBuffer::add_raw` requires, and nothing else may write its pixels
/// while the call runs.
pub(super) unsafe fn decode(
    rows: &RgbaRows,
    alpha_fill: Option<f64>,
    decoder: &mut Decoder<'_>,
    last: i64,
    band_rows: usize,
    band: &mut Vec<u8>,
) -> Result<()> {
    let first = i64::from(rows.window.min_y).max(0);
    if first > last {
        return Ok(());
    }
    let width = decoder.header().width() as usize;
    let rgba_row = width.saturating_mul(4);
    let count = (last - first + 1) as usize;
    // Rows above the window, decoded and dropped.
    let above = first as usize;
    if above > 0 {
        try_resize(band, rgba_row.saturating_mul(above.min(band_rows)))?;
    }
    while i64::from(decoder.rows_done()) < first {
        let left = (first - i64::from(decoder.rows_done())) as usize;
        let skip = &mut band[..rgba_row * left.min(band_rows)];
        decoder.decode_rows(skip, rgba_row, Channels::Rgba)?;
    }
    // Rows of the window above the image are left alone.
    let skipped = (first - i64::from(rows.window.min_y)) as usize;
    let direct = match (rows.pixel_type, rows.samples, alpha_fill) {
        (PixelType::U8, 3, _) => Some(Channels::Rgb),
        (PixelType::U8, 4, None) => Some(Channels::Rgba),
        _ => None,
    };
    if let Some(layout) = direct {
        // SAFETY: forwarded from the caller.
        return unsafe { decode_direct(rows, decoder, layout, skipped, count, width) };
    }
    let band_rows = count.min(band_rows);
    try_resize(band, rgba_row.saturating_mul(band_rows))?;
    let mut done = 0;
    while done < count {
        let wanted = (count - done).min(band_rows);
        let before = decoder.rows_done();
        let result = decoder.decode_rows(&mut band[..wanted * rgba_row], rgba_row, Channels::Rgba);
        let decoded = (decoder.rows_done() - before) as usize;
        for (i, rgba) in band.chunks_exact(rgba_row).take(decoded).enumerate() {
            let start = rows.row_address(skipped + done + i);
            // SAFETY: forwarded from the caller; the row is inside the
            // window and the image.
            unsafe { convert_row(rows, alpha_fill, start, rgba) };
        }
        result?;
        if decoded == 0 {
            break;
        }
        done += decoded;
    }
    Ok(())
}

/// Decodes `count` rows of U8 samples in `layout` straight into the
/// window's rows from row `skipped`, run by run ([`RgbaRows::runs`]).
///
/// # Safety
/// As for [`decode`]; the rows must be inside the window and the image.
unsafe fn decode_direct(
    rows: &RgbaRows,
    decoder: &mut Decoder<'_>,
    layout: Channels,
    skipped: usize,
    count: usize,
    width: usize,
) -> Result<()> {
    let row_bytes = width * rows.samples;
    for (start, len) in rows.runs(skipped, count, row_bytes) {
        // SAFETY: every byte of a run is a sample of the caller's frame
        // buffer inside its window, which this call alone writes.
        let out = unsafe { std::slice::from_raw_parts_mut(start, len) };
        decoder.decode_rows(out, row_bytes, layout)?;
    }
    Ok(())
}

/// Converts one row of decoded RGBA bytes into the row at `start`.
///
/// # Safety
/// As for [`decode`]; `start` must be the address of a row of the window
/// inside the image.
unsafe fn convert_row(rows: &RgbaRows, alpha_fill: Option<f64>, start: *mut u8, rgba: &[u8]) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match rows.pixel_type {
            PixelType::U8 => convert_samples::<u8>(rows.samples, alpha_fill, start, rgba),
            PixelType::Half => convert_samples::<f16>(rows.samples, alpha_fill, start, rgba),
            PixelType::Float => convert_samples::<f32>(rows.samples, alpha_fill, start, rgba),
            PixelType::Uint => convert_samples::<u32>(rows.samples, alpha_fill, start, rgba),
        }
    }
}

/// Writes the first `samples` bytes of each RGBA pixel as `T` from
/// `start`, the alpha as `alpha_fill` where given.
///
/// # Safety
/// As for [`convert_row`].
unsafe fn convert_samples<T: Sample>(
    samples: usize,
    alpha_fill: Option<f64>,
    start: *mut u8,
    rgba: &[u8],
) {
    let size = std::mem::size_of::<T>();
    // Converted whether or not it is used, from a value always set.
    let fill = T::from_float(alpha_fill.unwrap_or_default() as f32);
    let filled = alpha_fill.is_some();
    for (x, pixel) in rgba.chunks_exact(4).enumerate() {
        let at = x * samples * size;
        for (c, &byte) in pixel.iter().take(samples).enumerate() {
            let value = if c == 3 && filled {
                fill
            } else {
                T::from_u8(byte)
            };
            // SAFETY: sample `c` of pixel `x` of the row is a sample of
            // slice `c` inside the window, valid for `size` bytes.
            unsafe { value.write(start.add(at + c * size)) };
        }
    }
}
