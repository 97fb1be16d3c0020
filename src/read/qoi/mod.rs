//! QOI files through the reader: recognised by their magic, presented as
//! one scanline part of U8 channels (see [`format::part_header`]), and
//! decoded in one pass, band by band, either straight into rows of
//! interleaved samples ([`rows`]) or through the same scatter as EXR blocks
//! ([`blocks`]), so every frame buffer type, stride and window works as for
//! EXR.

mod blocks;
mod rows;

use super::Reader;
use crate::chunk::table::OffsetTables;
use crate::codec::{self, BlockLayout};
use crate::error::{try_resize, Error, Result};
use crate::io::ReadAt;
use crate::meta::header::Header;
use crate::meta::types::Box2i;
use crate::meta::version::VersionFlags;
use crate::parallel::Workers;
use crate::pixels::rgba_rows::RgbaRows;
use crate::pixels::scatter::Plan;
use crate::pixels::FrameBuffer;
use crate::qoi::{self as format, Channels, DecodeOptions, Decoder, HEADER_SIZE, MAGIC};
use crate::ReadOptions;

/// Rows decoded per band: small enough to stay in cache, large enough that
/// the per-band work does not show.
const BAND_ROWS: usize = 16;

/// Whether `source` starts with QOI's magic.
pub(super) fn starts_with_magic(source: &dyn ReadAt) -> bool {
    let mut magic = [0u8; 4];
    source.len() >= magic.len() as u64
        && source.read_exact_at(0, &mut magic).is_ok()
        && magic == MAGIC
}

/// The decoder's options from the reader's.
fn decode_options(options: &ReadOptions) -> DecodeOptions {
    DecodeOptions {
        max_pixels: options.max_image_pixels,
        strict: options.strict,
    }
}

/// Where a QOI file's bytes are.
pub(super) enum QoiBytes {
    /// In the reader's source, which holds them in memory.
    InSource,
    /// Read from the source when the file was opened.
    Read(Vec<u8>),
}

impl Reader {
    /// Opens a QOI file: checks its header against its size and the limits,
    /// then keeps its bytes unless the source holds them in memory (QOI
    /// decodes only from the start, in one pass).
    pub(super) fn from_qoi(source: Box<dyn ReadAt>, options: ReadOptions) -> Result<Self> {
        let len = source.len();
        let mut head = [0u8; HEADER_SIZE];
        if len < HEADER_SIZE as u64 {
            return Err(Error::Corrupt(format!(
                "a QOI file of {len} bytes ends inside its {HEADER_SIZE}-byte header"
            )));
        }
        source.read_exact_at(0, &mut head)?;
        let qoi = format::Header::parse(&head)?;
        qoi.check(len, &decode_options(&options))?;
        let bytes = match source.as_bytes() {
            Some(_) => QoiBytes::InSource,
            None => {
                let size = usize::try_from(len)
                    .map_err(|_| Error::LimitExceeded(format!("a QOI file of {len} bytes")))?;
                let mut bytes = Vec::new();
                try_resize(&mut bytes, size)?;
                source.read_exact_at(0, &mut bytes)?;
                QoiBytes::Read(bytes)
            }
        };
        let header = format::part_header(&qoi)?;
        Ok(Self {
            source,
            flags: VersionFlags::default(),
            headers: vec![header],
            tables: OffsetTables {
                offsets: vec![Vec::new()],
                end: 0,
            },
            workers: Workers::new(options.threads),
            options,
            path: None,
            qoi: Some(bytes),
        })
    }

    /// Decodes the rows of a QOI file that meet the window of `fb`: every
    /// row from the top down to the last the window holds (QOI decodes only
    /// in order). Rows of interleaved R, G, B (and A) samples of one type
    /// take the direct way ([`RgbaRows`]); other frame buffers get each band
    /// rearranged into an EXR block of U8 channels and scattered.
    ///
    /// When the data fails, the window's rows the decoder did not wholly
    /// decode are left at each slice's fill value, whichever way they took,
    /// and the error is returned.
    pub(super) fn decode_qoi(&self, header: &Header, fb: &mut FrameBuffer<'_>) -> Result<()> {
        let bytes = match &self.qoi {
            Some(QoiBytes::InSource) => self.source.as_bytes(),
            Some(QoiBytes::Read(bytes)) => Some(&bytes[..]),
            None => None,
        };
        let Some(bytes) = bytes else {
            return Err(Error::Internal("not a QOI file".into()));
        };
        let mut decoder = Decoder::new(bytes, &decode_options(&self.options))?;
        let window = fb.window();
        let last = i64::from(window.max_y).min(i64::from(decoder.header().height()) - 1);
        if last < i64::from(window.min_y).max(0) {
            return Ok(());
        }
        let decoded = match RgbaRows::of(fb, decoder.header().width()) {
            Some(rows) => {
                let alpha_fill = match (decoder.header().channels(), fb.slices.get(3)) {
                    (Channels::Rgb, Some(alpha)) => Some(alpha.fill),
                    _ => None,
                };
                codec::with_block_scratch(|scratch| {
                    // SAFETY: the frame buffer is valid (its constructors
                    // require it), and this call alone writes, holding it
                    // exclusively.
                    unsafe {
                        rows::decode(
                            &rows,
                            alpha_fill,
                            &mut decoder,
                            last,
                            BAND_ROWS,
                            &mut scratch.line,
                        )
                    }
                })
            }
            None => {
                let plan = Plan::new(header.channels(), fb)?;
                blocks::scatter(header, &plan, &mut decoder, last, BAND_ROWS)
            }
        };
        if decoded.is_err() && i64::from(decoder.rows_done()) <= last {
            let region = Box2i {
                min_y: decoder.rows_done() as i32,
                max_y: last as i32,
                ..header.data_window()
            };
            let layout = BlockLayout::new(header.channels(), region)?;
            let plan = Plan::new(header.channels(), fb)?;
            // SAFETY: as above.
            unsafe { plan.fill_block(&layout) };
        }
        decoded
    }
}
