//! QOI encoding, byte for byte as the reference `qoi_encode` does it.

use super::header::{Channels, Header, END_MARKER};
use super::{hash, MAX_RUN, OP_DIFF, OP_INDEX, OP_LUMA, OP_RGB, OP_RGBA, OP_RUN, START};
use crate::error::{Error, Result};

/// Pixels encoded between two checks that the output has room for them.
const BLOCK_PIXELS: usize = 4096;

/// The most bytes one pixel's ops take: a run it ends, then an RGBA op,
/// rounded up so every pixel gets a fixed window.
const WINDOW: usize = 8;

/// Encodes one QOI image from rows of pixels given in order, into one buffer
/// reserved once for the worst case ([`Header::max_file_size`]).
///
/// The ops are those the reference encoder chooses, in its order of
/// preference: a run of the previous pixel, an index slot holding the pixel,
/// a small difference (DIFF, then LUMA), new colours (RGB), a new pixel
/// (RGBA). A repeated pixel always extends a run, so no two INDEX ops in a
/// row name the same slot.
#[derive(Debug, Clone)]
pub struct Encoder {
    header: Header,
    /// The file so far; its length runs ahead of `len` with zeros, so
    /// that each pixel's window is in bounds.
    out: Vec<u8>,
    /// Bytes of `out` written.
    len: usize,
    /// The previous pixel.
    prev: [u8; 4],
    /// Pixels the encoder wrote into each slot of its hash.
    index: [[u8; 4]; 64],
    /// Repeats of `prev` not yet written as a run op.
    run: usize,
    /// Pixels not given yet.
    pixels_left: u64,
}

impl Encoder {
    /// An encoder for an image with `header`, with its output buffer
    /// reserved ([`Error::OutOfMemory`] when that fails, or
    /// [`Error::LimitExceeded`] when the size does not fit in memory) and the
    /// header written.
    pub fn new(header: Header) -> Result<Self> {
        let max = usize::try_from(header.max_file_size()).map_err(|_| {
            Error::LimitExceeded(format!(
                "a {} x {} QOI image may need more bytes than memory holds",
                header.width(),
                header.height()
            ))
        })?;
        let mut out = Vec::new();
        out.try_reserve_exact(max)?;
        out.extend_from_slice(&header.to_bytes());
        Ok(Self {
            header,
            len: out.len(),
            out,
            prev: START,
            index: [[0; 4]; 64],
            run: 0,
            pixels_left: header.pixel_count(),
        })
    }

    /// The header being written.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Pixels still to give before [`Encoder::finish`].
    pub fn pixels_left(&self) -> u64 {
        self.pixels_left
    }

    /// Encodes the next pixels of the image, row after row from the top, red,
    /// green, blue (and alpha) bytes per pixel in the header's
    /// [`Channels`] layout. A call may hold any whole number of pixels: a
    /// row, a band of rows, the whole image. Part of a pixel, or more pixels
    /// than are left, is [`Error::InvalidArgument`].
    pub fn encode_pixels(&mut self, pixels: &[u8]) -> Result<()> {
        let channels = self.header.channels().count();
        let count = pixels.len() / channels;
        if pixels.len() % channels != 0 || count as u64 > self.pixels_left {
            return Err(Error::InvalidArgument(format!(
                "{} bytes are not a whole number of {channels}-byte pixels up to the {} left",
                pixels.len(),
                self.pixels_left
            )));
        }
        for block in pixels.chunks(BLOCK_PIXELS * channels) {
            // Zeros for the block's windows: the pixels' worst case plus a
            // run carried from before. Within the reserved capacity.
            let room = self.len + 1 + block.len() / channels * (channels + 1) + WINDOW;
            if self.out.len() < room {
                self.out.resize(room, 0);
            }
            match self.header.channels() {
                Channels::Rgb => self.encode_block::<3>(block),
                Channels::Rgba => self.encode_block::<4>(block),
            }
        }
        self.pixels_left -= count as u64;
        Ok(())
    }

    /// Ends the last run, writes the end marker and returns the file. Its
    /// capacity stays the worst case reserved at the start. Before every
    /// pixel is given it is [`Error::BadState`].
    pub fn finish(mut self) -> Result<Vec<u8>> {
        if self.pixels_left != 0 {
            return Err(Error::BadState(format!(
                "{} of the QOI image's {} pixels were never given",
                self.pixels_left,
                self.header.pixel_count()
            )));
        }
        self.out.truncate(self.len);
        if self.run > 0 {
            self.out.push(run_op(self.run));
        }
        self.out.extend_from_slice(&END_MARKER);
        Ok(self.out)
    }

    /// Encodes whole `N`-byte pixels; `out` has room for each one's window.
    #[inline(always)]
    fn encode_block<const N: usize>(&mut self, block: &[u8]) {
        let out = self.out.as_mut_slice();
        let index = &mut self.index;
        let mut at = self.len;
        let mut prev = self.prev;
        let mut run = self.run;
        for pixel in block.chunks_exact(N) {
            let mut px = prev;
            px[..N].copy_from_slice(pixel);
            if px == prev {
                run += 1;
                if run == MAX_RUN {
                    out[at] = run_op(run);
                    at += 1;
                    run = 0;
                }
                continue;
            }
            if run > 0 {
                out[at] = run_op(run);
                at += 1;
                run = 0;
            }
            let window = &mut out[at..at + WINDOW];
            let slot = hash(px);
            at += if index[slot] == px {
                window[0] = OP_INDEX | slot as u8;
                1
            } else {
                index[slot] = px;
                put_new(window, px, prev)
            };
            prev = px;
        }
        self.len = at;
        self.prev = prev;
        self.run = run;
    }
}

/// The op for a run of `run` (1 to 62) repeats.
fn run_op(run: usize) -> u8 {
    OP_RUN | (run - 1) as u8
}

/// Writes the op for `px`, which no index slot holds, after `prev` into
/// `window` ([`WINDOW`] bytes) and returns its length: DIFF, LUMA or RGB
/// when alpha is unchanged, RGBA otherwise.
#[inline(always)]
fn put_new(window: &mut [u8], px: [u8; 4], prev: [u8; 4]) -> usize {
    if px[3] != prev[3] {
        window[..5].copy_from_slice(&[OP_RGBA, px[0], px[1], px[2], px[3]]);
        return 5;
    }
    let vr = px[0].wrapping_sub(prev[0]) as i8;
    let vg = px[1].wrapping_sub(prev[1]) as i8;
    let vb = px[2].wrapping_sub(prev[2]) as i8;
    let vg_r = vr.wrapping_sub(vg);
    let vg_b = vb.wrapping_sub(vg);
    let small = |v: i8| (-2..=1).contains(&v);
    let near = |v: i8| (-8..=7).contains(&v);
    if small(vr) && small(vg) && small(vb) {
        window[0] = OP_DIFF | ((vr + 2) as u8) << 4 | ((vg + 2) as u8) << 2 | (vb + 2) as u8;
        1
    } else if near(vg_r) && (-32..=31).contains(&vg) && near(vg_b) {
        window[0] = OP_LUMA | (vg + 32) as u8;
        window[1] = ((vg_r + 8) as u8) << 4 | (vg_b + 8) as u8;
        2
    } else {
        window[..4].copy_from_slice(&[OP_RGB, px[0], px[1], px[2]]);
        4
    }
}

/// Encodes a whole image of tightly packed rows in the header's
/// [`Channels`] layout into a new QOI file.
pub fn encode(header: &Header, pixels: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = Encoder::new(*header)?;
    encoder.encode_pixels(pixels)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qoi::{decode, ColorSpace, DecodeOptions, HEADER_SIZE};

    /// The ops `encode` writes for a one-row RGBA image of `pixels`.
    fn ops(pixels: &[[u8; 4]]) -> Vec<u8> {
        let header = Header::new(pixels.len() as u32, 1, Channels::Rgba, ColorSpace::Srgb).unwrap();
        let file = encode(&header, pixels.as_flattened()).unwrap();
        assert_eq!(file[..HEADER_SIZE], header.to_bytes());
        assert_eq!(file[file.len() - 8..], END_MARKER);
        file[HEADER_SIZE..file.len() - 8].to_vec()
    }

    const BLACK: [u8; 4] = [0, 0, 0, 255];

    #[test]
    fn opaque_black_first_is_a_run() {
        assert_eq!(ops(&[BLACK; 3]), [OP_RUN | 2]);
    }

    #[test]
    fn runs_split_at_62_and_end_with_the_image() {
        let pixels = [[200, 5, 90, 255]; 1 + 62 + 62 + 3];
        assert_eq!(
            ops(&pixels),
            [OP_RGB, 200, 5, 90, OP_RUN | 61, OP_RUN | 61, OP_RUN | 2]
        );
    }

    #[test]
    fn a_seen_pixel_is_an_index_op() {
        // (100 * 3 + 50 * 5 + 200 * 7 + 255 * 11) % 64 = 19.
        let a = [100, 50, 200, 255];
        assert_eq!(
            ops(&[a, [0, 150, 0, 255], a]),
            [OP_RGB, 100, 50, 200, OP_RGB, 0, 150, 0, OP_INDEX | 19]
        );
    }

    #[test]
    fn transparent_black_first_is_index_zero() {
        // The empty index holds (0, 0, 0, 0) in every slot, and it hashes
        // to slot 0.
        assert_eq!(ops(&[[0; 4], [0; 4]]), [OP_INDEX, OP_RUN]);
    }

    #[test]
    fn runs_leave_the_index_alone() {
        // The reference encoder never stores the opaque black it starts
        // from, so coming back to it after a run of it is not an INDEX op.
        assert_eq!(
            ops(&[BLACK, [10, 0, 0, 255], BLACK]),
            [OP_RUN, OP_RGB, 10, 0, 0, OP_RGB, 0, 0, 0]
        );
    }

    #[test]
    fn small_changes_are_diff_ops_with_wrapping() {
        assert_eq!(
            ops(&[[254, 1, 0, 255], [255, 0, 0, 255]]),
            [OP_DIFF | 0b00_11_10, OP_DIFF | 0b11_01_10]
        );
    }

    #[test]
    fn luma_covers_green_within_32_and_red_and_blue_within_8_of_it() {
        assert_eq!(
            ops(&[[216, 224, 231, 255], [247, 255, 6, 255]]),
            [OP_LUMA, 0x0f, OP_LUMA | 63, 0x88]
        );
        // One step further each way is an RGB op.
        assert_eq!(ops(&[[0, 32, 0, 255]])[0], OP_RGB);
        assert_eq!(ops(&[[215, 224, 232, 255]])[0], OP_RGB);
        assert_eq!(ops(&[[32, 24, 24, 255]])[0], OP_RGB);
    }

    #[test]
    fn a_new_alpha_is_an_rgba_op() {
        assert_eq!(ops(&[[0, 0, 0, 254]]), [OP_RGBA, 0, 0, 0, 254]);
    }

    #[test]
    fn rgb_pixels_are_opaque() {
        let header = Header::new(2, 1, Channels::Rgb, ColorSpace::Srgb).unwrap();
        let file = encode(&header, &[0, 0, 0, 99, 9, 9]).unwrap();
        assert_eq!(
            file[HEADER_SIZE..file.len() - 8],
            [OP_RUN, OP_RGB, 99, 9, 9]
        );
    }

    #[test]
    fn random_pixels_come_back_and_stay_within_the_worst_case() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for channels in [Channels::Rgb, Channels::Rgba] {
            for palette in [2u64, 5, 300, 1 << 32] {
                let (width, height) = (1 + next() % 300, 1 + next() % 40);
                let header =
                    Header::new(width as u32, height as u32, channels, ColorSpace::Srgb).unwrap();
                let count = (width * height) as usize * channels.count();
                let mut pixels = Vec::with_capacity(count);
                while pixels.len() < count {
                    let colour = (next() % palette).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    let repeat = 1 + next() % 4;
                    for _ in 0..repeat * channels.count() as u64 {
                        pixels.push((colour >> (8 * (pixels.len() % 4))) as u8);
                    }
                }
                pixels.truncate(count);
                let file = encode(&header, &pixels).unwrap();
                assert!(file.len() as u64 <= header.max_file_size());
                let (_, back) = decode(&file, &DecodeOptions::default(), channels).unwrap();
                assert!(back == pixels, "{channels:?} palette {palette}");
            }
        }
    }

    #[test]
    fn pixels_must_be_whole_and_all_given() {
        let header = Header::new(2, 2, Channels::Rgba, ColorSpace::Srgb).unwrap();
        let mut encoder = Encoder::new(header).unwrap();
        let part = encoder.encode_pixels(&[0; 6]);
        assert!(matches!(part, Err(Error::InvalidArgument(_))));
        let many = encoder.encode_pixels(&[0; 20]);
        assert!(matches!(many, Err(Error::InvalidArgument(_))));
        encoder.encode_pixels(&[0; 12]).unwrap();
        assert_eq!(encoder.pixels_left(), 1);
        let early = encoder.clone().finish();
        assert!(matches!(early, Err(Error::BadState(_))));
        encoder.encode_pixels(&[]).unwrap();
        encoder.encode_pixels(&[0; 4]).unwrap();
        let file = encoder.finish().unwrap();
        assert_eq!(file[HEADER_SIZE..file.len() - 8], [OP_INDEX, OP_RUN | 2]);
    }
}
