//! The 14-byte QOI header and the sizes that follow from it.

use super::{DecodeOptions, MAX_RUN};
use crate::error::{corrupt, Error, Result};

/// The four bytes every QOI file starts with.
pub const MAGIC: [u8; 4] = *b"qoif";
/// Bytes of the header: magic, width, height, channels, colour space.
pub const HEADER_SIZE: usize = 14;
/// The eight bytes that end a QOI file: seven zeros and a one.
pub const END_MARKER: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 1];

/// Whether `bytes` start with the QOI magic.
pub fn is_qoi(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Channels of a QOI image, and the layout of 8-bit pixels in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Channels {
    /// Red, green, blue: 3 bytes per pixel.
    Rgb = 3,
    /// Red, green, blue, alpha: 4 bytes per pixel.
    Rgba = 4,
}

impl Channels {
    /// Bytes per pixel: 3 or 4.
    pub const fn count(self) -> usize {
        self as usize
    }
}

/// How a QOI file says its pixels are to be read. Informative only: it
/// changes nothing in how they are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ColorSpace {
    /// sRGB colours with linear alpha.
    Srgb = 0,
    /// Every channel linear.
    Linear = 1,
}

/// What a QOI header says: a valid one, as [`Header::new`] and
/// [`Header::parse`] only give valid ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    width: u32,
    height: u32,
    channels: Channels,
    color_space: ColorSpace,
}

impl Header {
    /// A header for an image of `width` x `height` pixels; both must be
    /// above zero ([`Error::InvalidArgument`] otherwise).
    pub fn new(
        width: u32,
        height: u32,
        channels: Channels,
        color_space: ColorSpace,
    ) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::InvalidArgument(format!(
                "a QOI image of {width} x {height} pixels is empty"
            )));
        }
        Ok(Self {
            width,
            height,
            channels,
            color_space,
        })
    }

    /// Parses the header at the start of `bytes`. Data that does not start
    /// with [`MAGIC`] is [`Error::UnknownFormat`]; a short header, a zero
    /// width or height, channels other than 3 or 4 or a colour space above
    /// 1 are [`Error::Corrupt`]. Sizes are not checked against any limit:
    /// see [`Header::check`].
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if !is_qoi(bytes) {
            return Err(Error::UnknownFormat(
                "the data does not start with \"qoif\"".into(),
            ));
        }
        let Some(&[_, _, _, _, w0, w1, w2, w3, h0, h1, h2, h3, channels, color_space]) =
            bytes.get(..HEADER_SIZE)
        else {
            corrupt!(
                "the QOI header needs {HEADER_SIZE} bytes; the data has {}",
                bytes.len()
            );
        };
        let width = u32::from_be_bytes([w0, w1, w2, w3]);
        let height = u32::from_be_bytes([h0, h1, h2, h3]);
        if width == 0 || height == 0 {
            corrupt!("the QOI image is {width} x {height} pixels");
        }
        let channels = match channels {
            3 => Channels::Rgb,
            4 => Channels::Rgba,
            n => corrupt!("the QOI header gives {n} channels; only 3 and 4 exist"),
        };
        let color_space = match color_space {
            0 => ColorSpace::Srgb,
            1 => ColorSpace::Linear,
            n => corrupt!("the QOI header gives colour space {n}; only 0 and 1 exist"),
        };
        Ok(Self {
            width,
            height,
            channels,
            color_space,
        })
    }

    /// The header as it is stored: [`HEADER_SIZE`] bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut bytes = [0u8; HEADER_SIZE];
        bytes[..4].copy_from_slice(&MAGIC);
        bytes[4..8].copy_from_slice(&self.width.to_be_bytes());
        bytes[8..12].copy_from_slice(&self.height.to_be_bytes());
        bytes[12] = self.channels as u8;
        bytes[13] = self.color_space as u8;
        bytes
    }

    /// Pixels per row, above zero.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Rows, above zero.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The channels the file says it has. Every QOI file codes full RGBA
    /// pixels, so a decoder may give either layout whatever this says.
    pub fn channels(&self) -> Channels {
        self.channels
    }

    /// The colour space the file says its pixels are in.
    pub fn color_space(&self) -> ColorSpace {
        self.color_space
    }

    /// Width times height.
    pub fn pixel_count(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The fewest bytes a file with this header can have: the header, one
    /// op byte per 62 pixels (the longest run one byte codes; no op codes
    /// more pixels per byte), and the 8 bytes of the end marker, from which
    /// no op is read whatever they hold (as the reference decoder reads).
    pub fn min_file_size(&self) -> u64 {
        let ops = self.pixel_count().div_ceil(MAX_RUN as u64);
        (HEADER_SIZE + END_MARKER.len()) as u64 + ops
    }

    /// The most bytes the reference encoder (and [`Encoder`](super::Encoder))
    /// may write for this header: the header, every pixel as an op of
    /// channels + 1 bytes, and the end marker; [`u64::MAX`] when that does
    /// not fit.
    pub fn max_file_size(&self) -> u64 {
        let op = self.channels.count() as u64 + 1;
        self.pixel_count()
            .saturating_mul(op)
            .saturating_add((HEADER_SIZE + END_MARKER.len()) as u64)
    }

    /// Checks the header against `options` before anything is allocated for
    /// its pixels: more pixels than `options.max_pixels` is
    /// [`Error::LimitExceeded`], and a `file_size` below
    /// [`Header::min_file_size`] is [`Error::Corrupt`].
    pub fn check(&self, file_size: u64, options: &DecodeOptions) -> Result<()> {
        let pixels = self.pixel_count();
        if options.max_pixels != 0 && pixels > options.max_pixels {
            return Err(Error::LimitExceeded(format!(
                "the QOI image holds {pixels} pixels, more than the limit of {}",
                options.max_pixels
            )));
        }
        let needed = self.min_file_size();
        if file_size < needed {
            corrupt!(
                "a {} x {} QOI image needs at least {needed} bytes; the file has {file_size}",
                self.width,
                self.height
            );
        }
        Ok(())
    }

    /// Bytes of one row of pixels in `layout`.
    pub(super) fn row_bytes(&self, layout: Channels) -> Result<usize> {
        usize::try_from(self.width)
            .ok()
            .and_then(|w| w.checked_mul(layout.count()))
            .ok_or_else(|| {
                Error::LimitExceeded(format!(
                    "a row of {} pixels does not fit in memory",
                    self.width
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(width: u32, height: u32, channels: u8, color_space: u8) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[channels, color_space]);
        b
    }

    #[test]
    fn parses_what_it_writes() {
        let header = Header::new(0x0102_0304, 5, Channels::Rgb, ColorSpace::Linear).unwrap();
        let stored = header.to_bytes();
        assert_eq!(stored.to_vec(), bytes(0x0102_0304, 5, 3, 1));
        assert_eq!(Header::parse(&stored).unwrap(), header);
    }

    #[test]
    fn other_magic_is_an_unknown_format() {
        for data in [&b""[..], b"qoi", b"qoig\0\0\0\x01\0\0\0\x01\x04\0"] {
            assert!(matches!(Header::parse(data), Err(Error::UnknownFormat(_))));
        }
    }

    #[test]
    fn bad_fields_and_short_headers_are_corrupt() {
        let good = bytes(1, 1, 4, 0);
        assert!(Header::parse(&good).is_ok());
        for data in [
            &good[..13],
            &good[..4],
            &bytes(0, 1, 4, 0),
            &bytes(1, 0, 4, 0),
            &bytes(1, 1, 2, 0),
            &bytes(1, 1, 5, 0),
            &bytes(1, 1, 4, 2),
        ] {
            assert!(matches!(Header::parse(data), Err(Error::Corrupt(_))));
        }
    }

    #[test]
    fn empty_images_are_invalid_arguments() {
        for (w, h) in [(0, 1), (1, 0)] {
            let header = Header::new(w, h, Channels::Rgba, ColorSpace::Srgb);
            assert!(matches!(header, Err(Error::InvalidArgument(_))));
        }
    }

    #[test]
    fn sizes_follow_from_the_pixel_count() {
        let header = Header::new(62, 2, Channels::Rgb, ColorSpace::Srgb).unwrap();
        assert_eq!(header.min_file_size(), 14 + 2 + 8);
        assert_eq!(header.max_file_size(), 14 + 124 * 4 + 8);
        let odd = Header::new(63, 1, Channels::Rgba, ColorSpace::Srgb).unwrap();
        assert_eq!(odd.min_file_size(), 14 + 2 + 8);
        assert_eq!(odd.max_file_size(), 14 + 63 * 5 + 8);
    }

    #[test]
    fn the_largest_header_saturates_its_worst_case() {
        let header = Header::new(u32::MAX, u32::MAX, Channels::Rgba, ColorSpace::Srgb).unwrap();
        assert_eq!(
            header.pixel_count(),
            u64::from(u32::MAX) * u64::from(u32::MAX)
        );
        assert_eq!(header.max_file_size(), u64::MAX);
    }

    #[test]
    fn check_applies_the_limit_then_the_size() {
        let header = Header::new(1000, 1000, Channels::Rgba, ColorSpace::Srgb).unwrap();
        let limited = DecodeOptions {
            max_pixels: 999_999,
            strict: false,
        };
        let need = header.min_file_size();
        assert!(matches!(
            header.check(u64::MAX, &limited),
            Err(Error::LimitExceeded(_))
        ));
        for strict in [false, true] {
            let open = DecodeOptions {
                max_pixels: 0,
                strict,
            };
            assert!(header.check(need, &open).is_ok());
            assert!(matches!(
                header.check(need - 1, &open),
                Err(Error::Corrupt(_))
            ));
        }
    }
}
