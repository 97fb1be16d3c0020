//! QOI, the "Quite OK Image" format: a 14-byte [`Header`], a stream of
//! byte-aligned ops over 8-bit RGBA pixels, and an 8-byte [`END_MARKER`].
//!
//! Both directions follow the reference `qoi.h` (phoboslab/qoi) exactly:
//! [`Decoder`] gives the pixels `qoi_decode` gives for every file it
//! accepts, and [`Encoder`] writes the bytes `qoi_encode` writes. The decoder
//! is stricter where the reference pads: data that ends before the last
//! pixel is [`Error::Corrupt`](crate::Error::Corrupt).
//!
//! Decoding is one pass straight into the caller's memory, a band of rows at
//! a time ([`Decoder::decode_rows`]), so a caller converting into its own
//! frame buffer needs only one band of 8-bit rows besides it. Encoding takes
//! rows in order and writes into one buffer sized once for the worst case.
//!
//! ```
//! use exrkit::qoi::{self, Channels, ColorSpace, DecodeOptions, Decoder, Header};
//!
//! let header = Header::new(2, 1, Channels::Rgba, ColorSpace::Srgb)?;
//! let file = qoi::encode(&header, &[255, 0, 0, 255, 255, 0, 0, 255])?;
//! let mut decoder = Decoder::new(&file, &DecodeOptions::default())?;
//! let mut rgb = [0u8; 6];
//! decoder.decode_rows(&mut rgb, 6, Channels::Rgb)?;
//! assert_eq!(rgb, [255, 0, 0, 255, 0, 0]);
//! # Ok::<(), exrkit::Error>(())
//! ```

mod decode;
mod encode;
mod header;

pub use decode::{decode, DecodeOptions, Decoder};
pub use encode::{encode, Encoder};
pub use header::{is_qoi, Channels, ColorSpace, Header, END_MARKER, HEADER_SIZE, MAGIC};

/// `00xxxxxx`: the pixel in slot `x` of the index.
const OP_INDEX: u8 = 0x00;
/// `01rrggbb`: each of red, green and blue changes by -2..=1 (`value - 2`).
const OP_DIFF: u8 = 0x40;
/// `10gggggg rrrrbbbb`: green changes by -32..=31, red and blue by green's
/// change plus -8..=7.
const OP_LUMA: u8 = 0x80;
/// `11xxxxxx` (x below 62): the previous pixel `x + 1` times.
const OP_RUN: u8 = 0xc0;
/// `11111110 r g b`: new red, green and blue, alpha kept.
const OP_RGB: u8 = 0xfe;
/// `11111111 r g b a`: a new pixel.
const OP_RGBA: u8 = 0xff;
/// The longest run one op codes.
const MAX_RUN: usize = 62;

/// The pixel both directions start from: opaque black.
const START: [u8; 4] = [0, 0, 0, 255];

/// Slot of `px` in the 64-entry index: `(r * 3 + g * 5 + b * 7 + a * 11) % 64`.
///
/// The four products are summed in the top byte of one 64-bit multiply:
/// red, blue, green and alpha sit at bits 0, 16, 40 and 56 and the factor
/// holds 3, 7, 5 and 11 at bits 56, 40, 16 and 0, so each colour meets its
/// own weight at bit 56; every other product lands below bit 54 (no carry
/// reaches bit 56) or beyond bit 63.
#[inline(always)]
fn hash(px: [u8; 4]) -> usize {
    let v = u64::from(u32::from_le_bytes(px));
    let spread = (v & 0x00ff_00ff) | ((v & 0xff00_ff00) << 32);
    (spread.wrapping_mul(0x0300_0700_0005_000b) >> 56) as usize & 63
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_the_formula_for_every_byte_value_in_every_place() {
        for v in 0..=255u8 {
            for place in 0..4 {
                for base in [[0u8; 4], [255; 4], [1, 2, 3, 4], [250, 7, 129, 64]] {
                    let mut px = base;
                    px[place] = v;
                    let [r, g, b, a] = px.map(usize::from);
                    assert_eq!(hash(px), (r * 3 + g * 5 + b * 7 + a * 11) % 64, "{px:?}");
                }
            }
        }
    }
}
