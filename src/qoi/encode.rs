//! QOI encoding, byte for byte as the reference `qoi_encode` does it.

use super::header::{Channels, Header, END_MARKER};
use super::{hash, Pixel, MAX_RUN, OP_DIFF, OP_INDEX, OP_LUMA, OP_RGB, OP_RGBA, OP_RUN, START};
use crate::error::{Error, Result};

/// Pixels encoded into one [`BlockOut`].
const BLOCK_PIXELS: usize = 1024;

/// Bytes each pixel's op is stored as. An op is worked out as a `u64`, its
/// bytes from the low end and its length in the top byte; all eight bytes
/// are stored, and the output moves on by the op's 1 to 5, so the ops that
/// follow overwrite the rest.
const WINDOW: usize = 8;

/// A power of two above the bytes one block's ops can take: five per pixel
/// at most, one more for a run carried into the block, and a [`WINDOW`].
/// Positions in a block's output are taken modulo this, which never wraps
/// them but lets the compiler see that every store is in bounds.
const BLOCK_SPAN: usize = 8192;

const _: () = assert!(BLOCK_PIXELS * 5 + 1 + WINDOW <= BLOCK_SPAN);

/// The output of one block: [`BLOCK_SPAN`] positions, each with room for a
/// whole [`WINDOW`] after it.
type BlockOut = [u8; BLOCK_SPAN + WINDOW];

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
    /// that each block's output is in bounds.
    out: Vec<u8>,
    /// Bytes of `out` written.
    len: usize,
    /// Where the ops stand.
    ops: OpState,
    /// Pixels not given yet.
    pixels_left: u64,
}

/// What the choice of the next op depends on.
#[derive(Debug, Clone)]
struct OpState {
    /// The previous pixel.
    prev: Pixel,
    /// Pixels the encoder wrote into each slot of its hash.
    index: [Pixel; 64],
    /// Repeats of `prev` not yet written as a run op.
    run: usize,
    /// Whether the last block took less than a byte per pixel.
    sparse: bool,
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
            ops: OpState {
                prev: START,
                index: [0; 64],
                run: 0,
                sparse: true,
            },
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
            self.encode_block(block);
        }
        self.pixels_left -= count as u64;
        Ok(())
    }

    /// Encodes one block of whole pixels, in place in `out` while the
    /// capacity reserved holds a whole [`BlockOut`] after the bytes written;
    /// near the end of a file whose ops come close to the worst case, into a
    /// [`BlockOut`] of its own, then copied.
    fn encode_block(&mut self, block: &[u8]) {
        let channels = self.header.channels();
        let end = self.len + std::mem::size_of::<BlockOut>();
        if end <= self.out.capacity() && self.out.len() < end {
            self.out.resize(end, 0);
        }
        let in_place = self
            .out
            .get_mut(self.len..end)
            .and_then(|window| <&mut BlockOut>::try_from(window).ok());
        if let Some(window) = in_place {
            self.len += self.ops.encode_block(channels, block, window);
            return;
        }
        let mut own: BlockOut = [0; BLOCK_SPAN + WINDOW];
        let written = self.ops.encode_block(channels, block, &mut own);
        self.out.truncate(self.len);
        self.out
            .extend_from_slice(own.get(..written).unwrap_or_default());
        self.len = self.out.len();
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
        if self.ops.run > 0 {
            self.out.push(run_op(self.ops.run));
        }
        self.out.extend_from_slice(&END_MARKER);
        Ok(self.out)
    }
}

impl OpState {
    /// Encodes a block of at most [`BLOCK_PIXELS`] pixels in `channels`
    /// into `out` and returns the bytes written.
    ///
    /// Blocks that take less than a byte per pixel (drawings, screenshots:
    /// long runs) are coded with branches, which their regular patterns let
    /// the processor predict; the others (photographs) choose their ops
    /// without branches. Either way the ops are the same; which way a block
    /// goes depends on the block before it.
    #[inline(never)]
    fn encode_block(&mut self, channels: Channels, block: &[u8], out: &mut BlockOut) -> usize {
        let written = match (channels, self.sparse) {
            (Channels::Rgb, true) => self.encode_with::<3, true>(block, out),
            (Channels::Rgb, false) => self.encode_with::<3, false>(block, out),
            (Channels::Rgba, true) => self.encode_with::<4, true>(block, out),
            (Channels::Rgba, false) => self.encode_with::<4, false>(block, out),
        };
        self.sparse = written < block.len() / channels.count();
        written
    }

    /// Encodes whole `N`-byte pixels into `out`, choosing ops with branches
    /// if `BRANCHES`, and returns the bytes written.
    #[inline(always)]
    fn encode_with<const N: usize, const BRANCHES: bool>(
        &mut self,
        block: &[u8],
        out: &mut BlockOut,
    ) -> usize {
        let index = &mut self.index;
        let mut at = 0;
        let mut prev = self.prev;
        let mut run = self.run;
        let mut rest = block;
        while let Some((pixel, tail)) = rest.split_first_chunk::<N>() {
            rest = tail;
            let mut bytes = prev.to_le_bytes();
            bytes[..N].copy_from_slice(pixel);
            let px = Pixel::from_le_bytes(bytes);
            if px == prev {
                run += 1;
                if BRANCHES {
                    // Drawings repeat pixels for long stretches: take the
                    // whole stretch before coding it.
                    let more = repeats::<N>(rest, px);
                    run += more;
                    rest = rest.get(more * N..).unwrap_or_default();
                }
                while run >= MAX_RUN {
                    out[at % BLOCK_SPAN] = run_op(MAX_RUN);
                    at += 1;
                    run -= MAX_RUN;
                }
                continue;
            }
            if run > 0 {
                out[at % BLOCK_SPAN] = run_op(run);
                at += 1;
                run = 0;
            }
            let slot = hash(px);
            let op = if BRANCHES {
                if index[slot] == px {
                    index_op(slot)
                } else {
                    index[slot] = px;
                    new_op::<true>(px, prev)
                }
            } else {
                let seen = index[slot] == px;
                index[slot] = px;
                pick(seen, index_op(slot), new_op::<false>(px, prev))
            };
            let window = at % BLOCK_SPAN;
            out[window..window + WINDOW].copy_from_slice(&op.to_le_bytes());
            at += (op >> 56) as usize;
            prev = px;
        }
        self.prev = prev;
        self.run = run;
        at
    }
}

/// How many pixels at the start of `pixels` are `px`, compared four at a
/// time: the first four that differ anywhere end the stretch, and the
/// lowest differing byte says which of them is the first other pixel.
#[inline(always)]
fn repeats<const N: usize>(pixels: &[u8], px: Pixel) -> usize {
    let one = if N == 4 { px } else { px & 0x00ff_ffff };
    let pattern = u128::from(one) * (1 | 1 << (8 * N) | 1 << (16 * N) | 1 << (24 * N));
    let mut chunks = pixels.chunks_exact(4 * N);
    let mut count = 0;
    for chunk in &mut chunks {
        let differ = four_pixels(chunk) ^ pattern;
        if differ != 0 {
            return count + differ.trailing_zeros() as usize / (8 * N);
        }
        count += 4;
    }
    let last = chunks.remainder().chunks_exact(N);
    count + last.take_while(|&p| p == &px.to_le_bytes()[..N]).count()
}

/// The 12 or 16 bytes of four pixels as the low bytes of a `u128`.
#[inline(always)]
fn four_pixels(chunk: &[u8]) -> u128 {
    let (low, high) = chunk.split_at(chunk.len().min(8));
    let low = low.try_into().map_or(0, u64::from_le_bytes);
    let high = match high.len() {
        8 => high.try_into().map_or(0, u64::from_le_bytes),
        _ => high.try_into().map_or(0, u32::from_le_bytes).into(),
    };
    u128::from(low) | u128::from(high) << 64
}

/// The op for a run of `run` (1 to 62) repeats.
fn run_op(run: usize) -> u8 {
    OP_RUN | (run - 1) as u8
}

/// The INDEX op for `slot`, its length (1) in the top byte.
#[inline(always)]
fn index_op(slot: usize) -> u64 {
    u64::from(OP_INDEX) | slot as u64 | 1 << 56
}

/// The op for `px`, which no index slot holds, after `prev`, as its bytes
/// in a little-endian `u64` with its length in the top byte: RGBA if alpha
/// changes, else [`same_alpha`].
#[inline(always)]
fn new_op<const BRANCHES: bool>(px: Pixel, prev: Pixel) -> u64 {
    if (px ^ prev) >> 24 != 0 {
        u64::from(px) << 8 | u64::from(OP_RGBA) | 5 << 56
    } else {
        same_alpha::<BRANCHES>(px, prev)
    }
}

/// The DIFF, LUMA or RGB op for `px` after `prev` of the same alpha, the
/// first that fits, with its length in the top byte. Without `BRANCHES`
/// every candidate is computed and the choice made by masks.
#[inline(always)]
fn same_alpha<const BRANCHES: bool>(px: Pixel, prev: Pixel) -> u64 {
    let [r, g, b, _] = px.to_le_bytes();
    let [pr, pg, pb, _] = prev.to_le_bytes();
    let (vr, vg, vb) = (r.wrapping_sub(pr), g.wrapping_sub(pg), b.wrapping_sub(pb));
    // Each difference moved so its range starts at zero.
    let (dr, dg, db) = (vr.wrapping_add(2), vg.wrapping_add(2), vb.wrapping_add(2));
    let lg = vg.wrapping_add(32);
    let lr = vr.wrapping_sub(vg).wrapping_add(8);
    let lb = vb.wrapping_sub(vg).wrapping_add(8);
    let is_diff = (dr | dg | db) < 4;
    let is_luma = (lg < 64) & ((lr | lb) < 16);
    let diff = || u64::from(OP_DIFF | dr << 4 | dg << 2 | db) | 1 << 56;
    let luma = || u64::from(OP_LUMA | lg) | u64::from(lr << 4 | lb) << 8 | 2 << 56;
    let rgb = || u64::from(px & 0x00ff_ffff) << 8 | u64::from(OP_RGB) | 4 << 56;
    if !BRANCHES {
        return pick(is_diff, diff(), pick(is_luma, luma(), rgb()));
    }
    if is_diff {
        diff()
    } else if is_luma {
        luma()
    } else {
        rgb()
    }
}

/// `a` if `choose`, else `b`, by masks rather than a branch.
#[inline(always)]
fn pick(choose: bool, a: u64, b: u64) -> u64 {
    let mask = u64::from(choose).wrapping_neg();
    a & mask | b & !mask
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
    use crate::qoi::header::HEADER_SIZE;
    use crate::qoi::{decode, samples, ColorSpace, DecodeOptions};

    /// The ops `encode` writes for a one-row RGBA image of `pixels`, the
    /// same both ways of choosing them.
    fn ops(pixels: &[[u8; 4]]) -> Vec<u8> {
        let header = Header::new(pixels.len() as u32, 1, Channels::Rgba, ColorSpace::Srgb).unwrap();
        let pixels = pixels.as_flattened();
        let file = encode(&header, pixels).unwrap();
        assert_eq!(encode_one_way::<true>(header, pixels), file);
        assert_eq!(encode_one_way::<false>(header, pixels), file);
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
        for (header, pixels) in samples::images() {
            let file = encode(&header, &pixels).unwrap();
            assert!(file.len() as u64 <= header.max_file_size());
            // Sized once: never grown past the worst case.
            assert_eq!(file.capacity() as u64, header.max_file_size());
            let (_, back) = decode(&file, &DecodeOptions::default(), header.channels()).unwrap();
            assert!(back == pixels, "{header:?}");
        }
    }

    /// `pixels` encoded with or without `BRANCHES` in every block.
    fn encode_one_way<const BRANCHES: bool>(header: Header, pixels: &[u8]) -> Vec<u8> {
        let mut encoder = Encoder::new(header).unwrap();
        let channels = header.channels().count();
        for block in pixels.chunks(BLOCK_PIXELS * channels) {
            let mut out = [0; BLOCK_SPAN + WINDOW];
            let written = match header.channels() {
                Channels::Rgb => encoder.ops.encode_with::<3, BRANCHES>(block, &mut out),
                Channels::Rgba => encoder.ops.encode_with::<4, BRANCHES>(block, &mut out),
            };
            encoder.out.extend_from_slice(&out[..written]);
        }
        encoder.len = encoder.out.len();
        encoder.pixels_left = 0;
        encoder.finish().unwrap()
    }

    #[test]
    fn both_ways_of_choosing_ops_agree() {
        for (header, pixels) in samples::images() {
            let file = encode(&header, &pixels).unwrap();
            assert!(
                encode_one_way::<true>(header, &pixels) == file,
                "{header:?}"
            );
            assert!(
                encode_one_way::<false>(header, &pixels) == file,
                "{header:?}"
            );
        }
    }

    #[test]
    fn the_worst_case_fills_the_reserved_buffer_exactly() {
        // Every pixel new, with a new alpha: all RGBA ops.
        let pixels: Vec<[u8; 4]> = (0..200u8).map(|i| [i, 1, 0, i % 2]).collect();
        let header = Header::new(200, 1, Channels::Rgba, ColorSpace::Srgb).unwrap();
        let file = encode(&header, pixels.as_flattened()).unwrap();
        assert_eq!(file.len() as u64, header.max_file_size());
        assert_eq!(file.capacity(), file.len());
    }

    /// `repeats` against counting one pixel at a time.
    fn check_repeats<const N: usize>() {
        let px: Pixel = 0x4433_2211;
        let pixel = &px.to_le_bytes()[..N];
        for len in 0..20 {
            for stretch in 0..=len {
                // Every byte of the first other pixel differs in turn; the
                // alpha byte of RGB pixels is not part of them.
                for byte in 0..N {
                    let mut pixels = pixel.repeat(len);
                    if stretch < len {
                        pixels[stretch * N + byte] ^= 0x80;
                    }
                    let plain = pixels.chunks_exact(N).take_while(|&p| p == pixel).count();
                    assert_eq!(plain, stretch);
                    assert_eq!(repeats::<N>(&pixels, px), stretch, "{N} {len} {byte}");
                }
            }
        }
    }

    #[test]
    fn repeats_counts_the_stretch_of_one_pixel() {
        check_repeats::<3>();
        check_repeats::<4>();
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
