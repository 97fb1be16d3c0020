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

#![forbid(unsafe_code)]

mod decode;
mod encode;
mod header;
mod part;

pub use decode::{decode, DecodeOptions, Decoder};
pub use encode::{encode, Encoder};
pub use header::{is_qoi, Channels, ColorSpace, Header, END_MARKER, HEADER_SIZE, MAGIC};
pub use part::part_header;

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

/// A pixel: its red, green, blue and alpha bytes read as a little-endian
/// `u32`, so red is the low byte.
type Pixel = u32;

/// The pixel both directions start from: opaque black.
const START: Pixel = 0xff00_0000;
/// The index slot of [`START`]: 255 * 11 % 64.
const START_SLOT: usize = 53;

/// Slot of `px` in the 64-entry index: `(r * 3 + g * 5 + b * 7 + a * 11) % 64`.
///
/// The four products are summed in the top byte of one 64-bit multiply:
/// red, blue, green and alpha sit at bits 0, 16, 40 and 56 and the factor
/// holds 3, 7, 5 and 11 at bits 56, 40, 16 and 0, so each colour meets its
/// own weight at bit 56; every other product lands below bit 54 (no carry
/// reaches bit 56) or beyond bit 63.
#[inline(always)]
fn hash(px: Pixel) -> usize {
    let v = u64::from(px);
    let spread = (v & 0x00ff_00ff) | ((v & 0xff00_ff00) << 32);
    (spread.wrapping_mul(0x0300_0700_0005_000b) >> 56) as usize & 63
}

/// `a + b` byte by byte, each byte wrapping on its own.
#[inline(always)]
fn add_bytes(a: Pixel, b: Pixel) -> Pixel {
    // Seven-bit sums cannot carry into the next byte; the top bits are
    // added without carry by the exclusive or.
    ((a & 0x7f7f_7f7f) + (b & 0x7f7f_7f7f)) ^ ((a ^ b) & 0x8080_8080)
}

/// The pixel of red, green, blue and alpha bytes `rgba`.
#[inline(always)]
fn pixel(rgba: [u8; 4]) -> Pixel {
    u32::from_le_bytes(rgba)
}

/// Test images for the unit tests.
#[cfg(test)]
mod samples {
    use super::{Channels, ColorSpace, Header};

    /// Images of every op: for both channel layouts, pixels drawn from
    /// small palettes, small and larger steps, new alphas and repeats.
    pub fn images() -> Vec<(Header, Vec<u8>)> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut images = Vec::new();
        for channels in [Channels::Rgb, Channels::Rgba] {
            for palette in [2u64, 5, 300, 1 << 32] {
                let (width, height) = (1 + next(300) as u32, 1 + next(40) as u32);
                let header = Header::new(width, height, channels, ColorSpace::Srgb).unwrap();
                let count = (width * height) as usize;
                let mut pixels: Vec<[u8; 4]> = Vec::with_capacity(count);
                let mut px = [0u8, 0, 0, 255];
                while pixels.len() < count {
                    let step = |c: u8, n: u64| c.wrapping_add(n as u8).wrapping_sub((n / 2) as u8);
                    match next(4) {
                        0 => {
                            px = (next(palette) as u32)
                                .wrapping_mul(0x9e37_79b9)
                                .to_le_bytes()
                        }
                        1 => px = [step(px[0], 4), step(px[1], 4), step(px[2], 4), px[3]],
                        2 => {
                            let n = 1 + next(60);
                            px = [step(px[0], n), step(px[1], n), step(px[2], n), px[3]];
                        }
                        _ => {}
                    }
                    for _ in 0..1 + next(5) {
                        pixels.push(px);
                    }
                }
                pixels.truncate(count);
                let bytes = pixels
                    .iter()
                    .flat_map(|p| p[..channels.count()].to_vec())
                    .collect();
                images.push((header, bytes));
            }
        }
        images
    }
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
                    let expected = (r * 3 + g * 5 + b * 7 + a * 11) % 64;
                    assert_eq!(hash(pixel(px)), expected, "{px:?}");
                }
            }
        }
    }

    #[test]
    fn start_slot_is_the_hash_of_start() {
        assert_eq!(hash(START), START_SLOT);
    }

    #[test]
    fn bytes_add_on_their_own() {
        for (a, b) in [
            (0u8, 0u8),
            (1, 255),
            (255, 255),
            (128, 128),
            (127, 1),
            (200, 100),
        ] {
            for place in 0..4 {
                let mut x = [9u8, 250, 128, 0];
                let mut y = [0u8, 7, 128, 255];
                x[place] = a;
                y[place] = b;
                let expected: [u8; 4] = std::array::from_fn(|i| x[i].wrapping_add(y[i]));
                assert_eq!(add_bytes(pixel(x), pixel(y)), pixel(expected));
            }
        }
    }
}
