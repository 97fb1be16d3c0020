//! The general way from a QOI file into a frame buffer: each band of
//! decoded RGBA rows rearranged into an EXR block of U8 channels and
//! scattered as EXR blocks are, for any slice types, strides and windows.

use crate::codec::{self, BlockLayout};
use crate::error::{try_resize, Error, Result};
use crate::meta::header::Header;
use crate::meta::types::Box2i;
use crate::pixels::scatter::Plan;
use crate::qoi::{Channels, Decoder};

/// Decodes rows 0 to `last` in bands of up to `band_rows` rows,
/// rearranges each band that meets the plan's window into an EXR block of
/// U8 channels and scatters it; on an error, the rows the decoder wholly
/// decoded before it.
pub(super) fn scatter(
    header: &Header,
    plan: &Plan<'_, '_>,
    decoder: &mut Decoder<'_>,
    last: i64,
    band_rows: usize,
) -> Result<()> {
    let width = decoder.header().width() as usize;
    let reach = plan.reach_window();
    // Byte of each of the part's channels (A, B, G, R order) in RGBA.
    let rgba_index: Vec<usize> = header
        .channels()
        .iter()
        .map(|c| match c.name.as_bytes() {
            b"R" => 0,
            b"G" => 1,
            b"B" => 2,
            _ => 3,
        })
        .collect();
    let row_bytes = width
        .checked_mul(4)
        .ok_or_else(|| Error::LimitExceeded("QOI row larger than memory".into()))?;
    let band_rows = usize::try_from(last + 1).map_or(band_rows, |rows| rows.min(band_rows));
    codec::with_block_scratch(|scratch| {
        try_resize(&mut scratch.line, row_bytes.saturating_mul(band_rows))?;
        let mut y = 0i64;
        while y <= last {
            let wanted = usize::try_from(last - y + 1).map_or(band_rows, |n| n.min(band_rows));
            let band = &mut scratch.line[..wanted * row_bytes];
            let before = decoder.rows_done();
            let result = decoder.decode_rows(band, row_bytes, Channels::Rgba);
            let rows = match result {
                Ok(rows) => rows,
                Err(_) => decoder.rows_done() - before,
            };
            let band_last = y + i64::from(rows) - 1;
            if rows > 0 && band_last >= i64::from(reach.min_y) {
                let region = Box2i {
                    min_y: y as i32,
                    max_y: band_last as i32,
                    ..header.data_window()
                };
                let layout = BlockLayout::new(header.channels(), region)?;
                scratch.unpacked.clear();
                for row in scratch.line.chunks_exact(row_bytes).take(rows as usize) {
                    for &index in &rgba_index {
                        scratch
                            .unpacked
                            .extend(row.chunks_exact(4).map(|pixel| pixel[index]));
                    }
                }
                // SAFETY: the frame buffer's slices are valid (its
                // constructors require it), and this call alone writes.
                unsafe { plan.write_block(&layout, &scratch.unpacked) };
            }
            result?;
            if rows == 0 {
                break;
            }
            y = band_last + 1;
        }
        Ok(())
    })
}
