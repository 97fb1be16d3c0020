//! QOI decoding: one pass over the ops, rows written straight into the
//! caller's memory.

use super::header::{Channels, Header, END_MARKER, HEADER_SIZE};
use super::{add_bytes, hash, pixel, Pixel, MAX_RUN, OP_RGB, OP_RGBA, START, START_SLOT};
use crate::error::{corrupt, try_resize, Error, Result};

/// How a [`Decoder`] treats files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Largest image, in pixels, accepted (0: no limit). Larger ones are
    /// [`Error::LimitExceeded`] before anything is allocated.
    pub max_pixels: u64,
    /// Require the end marker right after the last pixel's op, and nothing
    /// after it. Otherwise the last 8 bytes may hold anything and whatever
    /// lies between the last pixel's op and them is ignored, as the
    /// reference decoder ignores them. Either way no op is read from the
    /// last 8 bytes.
    pub strict: bool,
}

impl Default for DecodeOptions {
    /// No more than 2^31 pixels (as `ReadOptions`), end marker not required.
    fn default() -> Self {
        Self {
            max_pixels: 1 << 31,
            strict: false,
        }
    }
}

/// Decodes one QOI image held in memory, rows in order from the top, in
/// bands of any height into memory the caller owns.
///
/// Every file codes full RGBA pixels whatever its header's channels say, so
/// each band may be asked for in either [`Channels`] layout: RGB drops alpha.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    header: Header,
    /// Op bytes not yet read: everything after the header but the last 8
    /// bytes, which the end marker takes and from which the reference
    /// decoder never reads an op, whatever they hold.
    ops: &'a [u8],
    /// Whether the last 8 bytes are the end marker.
    end_marker: bool,
    strict: bool,
    /// The current pixel.
    px: Pixel,
    /// The 64 most recently seen pixels, each in the slot of its hash.
    index: [Pixel; 64],
    /// Pixels still owed by a run op that went past the last row decoded.
    run: usize,
    /// Rows given so far.
    rows_done: u32,
    /// Whether a band failed, which leaves the decoder unusable.
    failed: bool,
    /// Whether the pixels last decoded took less than a byte each.
    sparse: bool,
}

impl<'a> Decoder<'a> {
    /// Parses the header of the QOI file `data` and checks it against
    /// `options` and the size of `data` ([`Header::parse`],
    /// [`Header::check`]). Allocates nothing.
    pub fn new(data: &'a [u8], options: &DecodeOptions) -> Result<Self> {
        let header = Header::parse(data)?;
        header.check(data.len() as u64, options)?;
        let body = data.get(HEADER_SIZE..).unwrap_or_default();
        let (ops, marker) = body.split_at(body.len().saturating_sub(END_MARKER.len()));
        let end_marker = marker == END_MARKER;
        let mut index = [0; 64];
        // Each op puts its pixel in the index, a run as well; runs repeat the
        // pixel of the op before, which already has, except at the start.
        if let [0xc0..=0xfd, ..] = ops {
            index[START_SLOT] = START;
        }
        Ok(Self {
            header,
            ops,
            end_marker,
            strict: options.strict,
            px: START,
            index,
            run: 0,
            rows_done: 0,
            failed: false,
            sparse: true,
        })
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Rows decoded so far; the next band starts at this row. After an
    /// error in the data, the rows wholly decoded before it.
    pub fn rows_done(&self) -> u32 {
        self.rows_done
    }

    /// Rows not decoded yet.
    pub fn rows_left(&self) -> u32 {
        self.header.height() - self.rows_done
    }

    /// Decodes the next rows into `out`, as many as it holds and the image
    /// has left, and returns how many (0 once every row is done).
    ///
    /// Row `i` of the band goes to `out[i * stride..]`: width x
    /// `layout.count()` bytes, red, green, blue (and alpha) per pixel.
    /// Bytes between rows are left alone. A `stride` shorter than a row is
    /// [`Error::InvalidArgument`]; an `out` too short for one row, while
    /// rows are left, is [`Error::BufferTooSmall`].
    ///
    /// Data that ends before a pixel is [`Error::Corrupt`], and so, with
    /// [`DecodeOptions::strict`], is anything but the end marker after the
    /// last pixel (checked with the band that holds the last row). After an
    /// error in the data every call is [`Error::BadState`].
    pub fn decode_rows(&mut self, out: &mut [u8], stride: usize, layout: Channels) -> Result<u32> {
        if self.failed {
            return Err(Error::BadState(
                "an earlier error in the QOI data stopped the decode".into(),
            ));
        }
        let row_bytes = self.header.row_bytes(layout)?;
        if stride < row_bytes {
            return Err(Error::InvalidArgument(format!(
                "a stride of {stride} bytes is shorter than a row of {row_bytes}"
            )));
        }
        let left = self.rows_left();
        if left == 0 {
            return Ok(0);
        }
        let Some(room) = out.len().checked_sub(row_bytes) else {
            return Err(Error::BufferTooSmall(format!(
                "{} bytes cannot hold a row of {row_bytes}",
                out.len()
            )));
        };
        let rows = u32::try_from(room / stride + 1).map_or(left, |fit| fit.min(left));
        let width = self.header.width() as usize;
        // Rows that follow each other in memory are decoded a few thousand
        // pixels at a time, others one by one.
        let per_segment = if stride == row_bytes {
            (SEGMENT_PIXELS / width).max(1)
        } else {
            1
        };
        let mut left = rows as usize;
        for segment in out.chunks_mut(per_segment * stride) {
            let count = per_segment.min(left);
            if count == 0 {
                break;
            }
            left -= count;
            let pixels = &mut segment[..(count - 1) * stride + row_bytes];
            self.decode_segment(pixels, layout)?;
            self.rows_done += count as u32;
        }
        if self.rows_left() == 0 {
            self.check_end()?;
        }
        Ok(rows)
    }

    /// Decodes the rows that `pixels` holds back to back (in `layout`) at
    /// [`Decoder::rows_done`].
    fn decode_segment(&mut self, pixels: &mut [u8], layout: Channels) -> Result<()> {
        let before = self.ops.len();
        let decoded = match (layout, self.sparse) {
            (Channels::Rgb, true) => self.decode_pixels::<3, true>(pixels),
            (Channels::Rgb, false) => self.decode_pixels::<3, false>(pixels),
            (Channels::Rgba, true) => self.decode_pixels::<4, true>(pixels),
            (Channels::Rgba, false) => self.decode_pixels::<4, false>(pixels),
        };
        match decoded {
            Ok(()) => {
                self.sparse = before - self.ops.len() < pixels.len() / layout.count();
                Ok(())
            }
            Err(at) => {
                self.failed = true;
                let width = self.header.width() as usize;
                let (x, y) = (at % width, self.rows_done as usize + at / width);
                // The rows wholly decoded before the error count as done.
                self.rows_done += (at / width) as u32;
                corrupt!(
                    "the QOI data ends at pixel ({x}, {y}) of {width} x {}",
                    self.header.height()
                );
            }
        }
    }

    /// With [`DecodeOptions::strict`], checks that exactly the end marker
    /// follows the last pixel's op.
    fn check_end(&mut self) -> Result<()> {
        if !self.strict {
            return Ok(());
        }
        if !self.end_marker {
            self.failed = true;
            corrupt!("the QOI data does not end with the end marker");
        }
        if !self.ops.is_empty() {
            self.failed = true;
            corrupt!(
                "{} bytes follow the last pixel of the QOI image before the end marker",
                self.ops.len()
            );
        }
        Ok(())
    }

    /// Decodes the next `N`-byte pixels. Fails with the pixel's place in
    /// `pixels` where the ops end (or end inside an op) before `pixels`
    /// does.
    ///
    /// Drawings take few op bytes per pixel (long runs), and their ops come
    /// in patterns the processor predicts, so `BRANCHES` decodes each op on
    /// its own path. Photographs take more than a byte per pixel in a mix of
    /// INDEX, DIFF and LUMA ops that defeats prediction, so without
    /// `BRANCHES` those three are decoded together and one result chosen by
    /// masks.
    #[inline(never)]
    fn decode_pixels<const N: usize, const BRANCHES: bool>(
        &mut self,
        pixels: &mut [u8],
    ) -> Result<(), usize> {
        let count = pixels.len() / N;
        let mut px = self.px;
        let mut ops = self.ops;
        let index = &mut self.index;
        let mut rest = pixels;
        // The rest of a run begun before.
        let mut run = repeat::<N>(&mut rest, px, self.run);
        while let Some((out, tail)) = std::mem::take(&mut rest).split_first_chunk_mut::<N>() {
            rest = tail;
            if let (false, &[b1 @ 0x00..=0xbf, b2, ref after @ ..]) = (BRANCHES, ops) {
                px = index_diff_or_luma(px, index, b1, b2);
                // Two bytes or more are left: the second and after it.
                ops = if b1 < 0x80 { &ops[1..] } else { after };
                index[hash(px)] = px;
                *out = first::<N>(px);
                continue;
            }
            match *ops {
                [b1 @ 0x00..=0x3f, ref tail @ ..] => {
                    px = index[usize::from(b1 & 0x3f)];
                    // Every pixel in the index sits in the slot of its hash,
                    // except the (0, 0, 0, 0) of empty slots, whose slot is 0.
                    if px == 0 {
                        index[0] = px;
                    }
                    *out = first::<N>(px);
                    ops = tail;
                    continue;
                }
                [b1 @ 0xc0..=0xfd, ref tail @ ..] => {
                    *out = first::<N>(px);
                    let mut more = usize::from(b1 & 0x3f);
                    let mut tail = tail;
                    if b1 == LONGEST_RUN {
                        // Long stretches of one colour come as many of these
                        // in a row: take those that fit in `rest` at once.
                        let fit = rest.len() / N / MAX_RUN;
                        let longest = tail
                            .iter()
                            .take(fit)
                            .take_while(|&&b| b == LONGEST_RUN)
                            .count();
                        more += longest * MAX_RUN;
                        tail = tail.get(longest..).unwrap_or_default();
                    }
                    run = repeat::<N>(&mut rest, px, more);
                    // Any other op put `px` in the index already; a run
                    // that starts the data found it there from `new`.
                    ops = tail;
                    continue;
                }
                [b1 @ 0x40..=0x7f, ref tail @ ..] => {
                    px = add_bytes(px, DIFF[usize::from(b1 & 0x3f)]);
                    ops = tail;
                }
                [b1 @ 0x80..=0xbf, b2, ref tail @ ..] => {
                    px = add_bytes(px, luma_delta(b1, b2));
                    ops = tail;
                }
                [OP_RGB, r, g, b, ref tail @ ..] => {
                    px = px & 0xff00_0000 | pixel([r, g, b, 0]);
                    ops = tail;
                }
                [OP_RGBA, r, g, b, a, ref tail @ ..] => {
                    px = pixel([r, g, b, a]);
                    ops = tail;
                }
                _ => return Err(count - rest.len() / N - 1),
            }
            index[hash(px)] = px;
            *out = first::<N>(px);
        }
        self.px = px;
        self.ops = ops;
        self.run = run;
        Ok(())
    }
}

/// The pixel an INDEX, DIFF or LUMA op `b1` (followed by `b2`) makes of
/// `px`: all three worked out, one chosen by masks.
#[inline(always)]
fn index_diff_or_luma(px: Pixel, index: &[Pixel; 64], b1: u8, b2: u8) -> Pixel {
    let slot = usize::from(b1 & 0x3f);
    let luma = add_bytes(px, luma_delta(b1, b2));
    let diff = add_bytes(px, DIFF[slot]);
    pick(b1 < 0x40, index[slot], pick(b1 < 0x80, diff, luma))
}

/// Fills the first `more` pixels of `rest` with `px`, as many as it holds,
/// moves `rest` past them and returns how many did not fit.
///
/// Where `rest` has room, a repeat shorter than the longest run op is
/// stored as one block of a fixed size, [`SHORT_BLOCK`] bytes for a few
/// pixels and [`LONG_BLOCK`] for more, whatever `more` is: stores the
/// processor streams rather than a loop whose length it mispredicts.
/// Pixels past the `more` are written again by the ops after.
#[inline(always)]
fn repeat<const N: usize>(rest: &mut &mut [u8], px: Pixel, more: usize) -> usize {
    let here = more.min(rest.len() / N);
    let whole = std::mem::take(rest);
    let block_fits = (SHORT_RUN + 1..MAX_RUN).contains(&more);
    if let (true, Some(block)) = (more <= SHORT_RUN, whole.first_chunk_mut::<SHORT_BLOCK>()) {
        spread::<N, SHORT_BLOCK>(block, px);
    } else if let (true, Some(block)) = (block_fits, whole.first_chunk_mut::<LONG_BLOCK>()) {
        spread::<N, LONG_BLOCK>(block, px);
    } else if let Some(stretch) = whole.get_mut(..here * N) {
        fill::<N>(stretch, px);
    }
    *rest = whole
        .split_at_mut_checked(here * N)
        .map_or(&mut [], |(_, after)| after);
    more - here
}

/// Writes `px` at every `N`-byte step of `block` where its four bytes fit,
/// which for an `N` of 3 leaves a byte or so at the end unwritten.
#[inline(always)]
fn spread<const N: usize, const B: usize>(block: &mut [u8; B], px: Pixel) {
    let bytes = px.to_le_bytes();
    for step in 0..(B - 4) / N + 1 {
        block[step * N..step * N + 4].copy_from_slice(&bytes);
    }
}

/// The op of a run of [`MAX_RUN`] pixels.
const LONGEST_RUN: u8 = 0xfd;

/// Repeats of at most this many pixels are stored as a block of
/// [`SHORT_BLOCK`] bytes.
const SHORT_RUN: usize = 4;

/// Bytes that [`spread`] fills with at least [`SHORT_RUN`] pixels of 3 or 4
/// bytes.
const SHORT_BLOCK: usize = 4 * SHORT_RUN;

/// Bytes that [`spread`] fills with at least the longest run's pixels of 3
/// or 4 bytes.
const LONG_BLOCK: usize = 4 * MAX_RUN;

/// What each DIFF op adds to the pixel: `((op >> 4) & 3) - 2` to red,
/// `((op >> 2) & 3) - 2` to green, `(op & 3) - 2` to blue, by the op's low
/// six bits.
const DIFF: [Pixel; 64] = {
    const fn delta(op: u32, shift: u32) -> u32 {
        ((op >> shift) & 3).wrapping_sub(2) & 0xff
    }
    let mut table = [0; 64];
    let mut op = 0;
    while op < 64 {
        table[op as usize] = delta(op, 4) | delta(op, 2) << 8 | delta(op, 0) << 16;
        op += 1;
    }
    table
};

/// What the LUMA op `b1 b2` adds to the pixel: `(b1 & 0x3f) - 32` to
/// green, that plus `(b2 >> 4) - 8` to red and plus `(b2 & 0x0f) - 8` to
/// blue.
#[inline(always)]
fn luma_delta(b1: u8, b2: u8) -> Pixel {
    let vg = (b1 & 0x3f).wrapping_sub(32);
    let base = vg.wrapping_sub(8);
    pixel([
        base.wrapping_add(b2 >> 4),
        vg,
        base.wrapping_add(b2 & 0x0f),
        0,
    ])
}

/// `a` if `choose`, else `b`, by masks rather than a branch.
#[inline(always)]
fn pick(choose: bool, a: Pixel, b: Pixel) -> Pixel {
    let mask = u32::from(choose).wrapping_neg();
    a & mask | b & !mask
}

/// The first `N` bytes of `px`.
#[inline(always)]
fn first<const N: usize>(px: Pixel) -> [u8; N] {
    let bytes = px.to_le_bytes();
    std::array::from_fn(|i| bytes[i])
}

/// Fills `pixels` with copies of the first `N` bytes of `px`.
#[inline(always)]
fn fill<const N: usize>(pixels: &mut [u8], px: Pixel) {
    let px = first::<N>(px);
    for out in pixels.chunks_exact_mut(N) {
        out.copy_from_slice(&px);
    }
}

/// Pixels decoded between two choices of how to decode, when rows follow
/// each other in memory.
const SEGMENT_PIXELS: usize = 4096;

/// Decodes the whole QOI file `data` into a new buffer of tightly packed
/// rows in `layout`, checked as [`Decoder::new`] and
/// [`Decoder::decode_rows`] check it.
pub fn decode(data: &[u8], options: &DecodeOptions, layout: Channels) -> Result<(Header, Vec<u8>)> {
    let mut decoder = Decoder::new(data, options)?;
    let header = *decoder.header();
    let row_bytes = header.row_bytes(layout)?;
    let len = usize::try_from(header.height())
        .ok()
        .and_then(|h| h.checked_mul(row_bytes))
        .ok_or_else(|| {
            Error::LimitExceeded(format!(
                "{} x {} pixels do not fit in memory",
                header.width(),
                header.height()
            ))
        })?;
    let mut pixels = Vec::new();
    try_resize(&mut pixels, len)?;
    decoder.decode_rows(&mut pixels, row_bytes, layout)?;
    Ok((header, pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLACK: [u8; 4] = [0, 0, 0, 255];

    /// A file of `width` x `height` pixels with `channels` in its header,
    /// then `ops` and `tail`.
    fn file(width: u32, height: u32, channels: u8, ops: &[u8], tail: &[u8]) -> Vec<u8> {
        let mut bytes = b"qoif".to_vec();
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[channels, 0]);
        bytes.extend_from_slice(ops);
        bytes.extend_from_slice(tail);
        bytes
    }

    /// The RGBA pixels of a one-row image coded by `ops`, the same both
    /// ways of decoding.
    fn pixels(ops: &[u8]) -> Vec<[u8; 4]> {
        let count = decode_count(ops);
        let data = file(count, 1, 4, ops, &END_MARKER);
        let strict = DecodeOptions {
            strict: true,
            ..DecodeOptions::default()
        };
        let (_, rgba) = decode(&data, &strict, Channels::Rgba).unwrap();
        assert_eq!(decode_one_way::<4, true>(&data), rgba);
        assert_eq!(decode_one_way::<4, false>(&data), rgba);
        rgba.chunks(4).map(|p| p.try_into().unwrap()).collect()
    }

    /// Pixels `ops` code, runs counted in full.
    fn decode_count(mut ops: &[u8]) -> u32 {
        let mut count = 0;
        while let [op, rest @ ..] = ops {
            let (pixels, len) = match op {
                0xfe => (1, 4),
                0xff => (1, 5),
                0x80..=0xbf => (1, 2),
                0xc0..=0xfd => (u32::from(op & 0x3f) + 1, 1),
                _ => (1, 1),
            };
            count += pixels;
            ops = &rest[len - 1..];
        }
        count
    }

    fn is_corrupt<T: std::fmt::Debug>(result: Result<T>) -> bool {
        matches!(result, Err(Error::Corrupt(_)))
    }

    #[test]
    fn rgb_and_rgba_ops_set_colours_and_rgb_keeps_alpha() {
        let ops = [0xfe, 1, 2, 3, 0xff, 4, 5, 6, 7, 0xfe, 8, 9, 10];
        assert_eq!(pixels(&ops), [[1, 2, 3, 255], [4, 5, 6, 7], [8, 9, 10, 7]]);
    }

    #[test]
    fn diff_changes_each_colour_by_minus_two_to_one_wrapping() {
        // From opaque black: -2, -1, 0 then +1, +1, +1.
        let ops = [0x40 | 0b00_01_10, 0x40 | 0b11_11_11];
        assert_eq!(pixels(&ops), [[254, 255, 0, 255], [255, 0, 1, 255]]);
    }

    #[test]
    fn luma_changes_green_and_red_and_blue_with_it() {
        // Green -32, red -32 - 8, blue -32 + 7; then green +31, red and blue
        // +31 + 0.
        let ops = [0x80, 0x0f, 0x80 | 63, 0x88];
        assert_eq!(pixels(&ops), [[216, 224, 231, 255], [247, 255, 6, 255]]);
    }

    #[test]
    fn run_repeats_the_previous_pixel_up_to_62_times() {
        let ops = [0xfe, 9, 9, 9, 0xc0 | 61, 0xc0];
        let px = pixels(&ops);
        assert_eq!(px.len(), 64);
        assert!(px.iter().all(|&p| p == [9, 9, 9, 255]));
    }

    #[test]
    fn longest_runs_in_a_row_repeat_across_bands_and_stop_at_the_image_end() {
        // 9 x 200 pixels: red, 20 runs of 62 and one of 2 (1243 red pixels),
        // then green and 20 more runs of 62, which the image cuts short.
        let mut ops = vec![0xfe, 255, 0, 0];
        ops.extend([LONGEST_RUN; 20]);
        ops.extend([0xc0 | 1, 0xfe, 0, 255, 0]);
        ops.extend([LONGEST_RUN; 20]);
        let data = file(9, 200, 4, &ops, &END_MARKER);
        let expected: Vec<u8> = (0..1800)
            .flat_map(|i| {
                if i < 1243 {
                    [255, 0, 0, 255]
                } else {
                    [0, 255, 0, 255]
                }
            })
            .collect();
        let (_, whole) = decode(&data, &DecodeOptions::default(), Channels::Rgba).unwrap();
        assert!(whole == expected);
        for band_rows in [1, 7, 13] {
            let mut decoder = Decoder::new(&data, &DecodeOptions::default()).unwrap();
            let mut bands = Vec::new();
            let mut band = vec![0u8; 36 * band_rows];
            while let Ok(rows @ 1..) = decoder.decode_rows(&mut band, 36, Channels::Rgba) {
                bands.extend_from_slice(&band[..36 * rows as usize]);
            }
            assert!(bands == expected, "bands of {band_rows} rows");
        }
        // The runs after the one that reaches the last pixel are not part
        // of the image.
        let strict = DecodeOptions {
            strict: true,
            ..DecodeOptions::default()
        };
        assert!(is_corrupt(decode(&data, &strict, Channels::Rgba)));
        let exact = file(9, 200, 4, &ops[..ops.len() - 11], &END_MARKER);
        assert!(decode(&exact, &strict, Channels::Rgba).unwrap().1 == expected);
    }

    #[test]
    fn a_run_first_repeats_opaque_black() {
        assert_eq!(pixels(&[0xc0 | 2]), [BLACK; 3]);
    }

    #[test]
    fn index_on_an_empty_slot_gives_transparent_black() {
        assert_eq!(pixels(&[0x05]), [[0, 0, 0, 0]]);
    }

    #[test]
    fn index_gives_the_pixel_last_seen_with_that_hash() {
        // (1, 2, 3, 255): (3 + 10 + 21 + 2805) % 64 = 23.
        let ops = [0xfe, 1, 2, 3, 0xfe, 7, 7, 7, 23];
        assert_eq!(pixels(&ops)[2], [1, 2, 3, 255]);
    }

    #[test]
    fn a_run_puts_its_pixel_in_the_index() {
        // Opaque black lands in slot 53 only through the run.
        let ops = [0xc0, 0xfe, 7, 7, 7, 53];
        assert_eq!(pixels(&ops)[2], BLACK);
    }

    #[test]
    fn an_index_op_puts_its_pixel_in_the_index() {
        // Slot 0 holds (0, 0, 0, 0) after an INDEX op on any empty slot, even
        // where it held another pixel: (64, 0, 0, 0) hashes to 0 as well.
        let ops = [0xff, 64, 0, 0, 0, 0x09, 0xfe, 1, 1, 1, 0x00];
        assert_eq!(pixels(&ops)[3], [0, 0, 0, 0]);
    }

    #[test]
    fn three_channel_files_keep_the_alpha_their_ops_set() {
        let data = file(2, 1, 3, &[0xff, 1, 2, 3, 4, 0xc0], &END_MARKER);
        let (_, rgba) = decode(&data, &DecodeOptions::default(), Channels::Rgba).unwrap();
        assert_eq!(rgba, [1, 2, 3, 4, 1, 2, 3, 4]);
        let (_, rgb) = decode(&data, &DecodeOptions::default(), Channels::Rgb).unwrap();
        assert_eq!(rgb, [1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn runs_go_on_across_rows_and_stop_at_the_image_end() {
        // 3 x 3: a run of 5, then red, then a run of 10 that the image cuts.
        let data = file(3, 3, 4, &[0xc0 | 4, 0xfe, 255, 0, 0, 0xc0 | 9], &END_MARKER);
        let mut decoder = Decoder::new(&data, &DecodeOptions::default()).unwrap();
        let mut rows = Vec::new();
        let mut row = [0u8; 12];
        while decoder.decode_rows(&mut row, 12, Channels::Rgba).unwrap() == 1 {
            rows.extend_from_slice(&row);
        }
        let px: Vec<&[u8]> = rows.chunks(4).collect();
        assert!(px[..5].iter().all(|p| *p == BLACK));
        assert!(px[5..].iter().all(|p| *p == [255, 0, 0, 255]));
        assert_eq!(px.len(), 9);
    }

    #[test]
    fn data_ending_before_the_last_pixel_is_corrupt() {
        // Two pixels, then the end marker: no padding stands in for the third.
        let data = file(3, 1, 4, &[0xfe, 1, 1, 1, 0xc0], &END_MARKER);
        assert!(is_corrupt(decode(
            &data,
            &DecodeOptions::default(),
            Channels::Rgba
        )));
        // An op cut short.
        for cut in 1..5 {
            let data = file(2, 1, 4, &[0xc0, 0xff, 1, 2, 3, 4][..6 - cut], &[]);
            assert!(is_corrupt(decode(
                &data,
                &DecodeOptions::default(),
                Channels::Rgba
            )));
        }
        let data = file(2, 1, 4, &[0xc0, 0x80], &[]);
        assert!(is_corrupt(decode(
            &data,
            &DecodeOptions::default(),
            Channels::Rgba
        )));
    }

    #[test]
    fn a_failed_decode_counts_the_rows_wholly_decoded_before_it() {
        // 4 x 3: two rows and one pixel, then the data ends.
        let data = file(4, 3, 4, &[0xc0 | 8], &END_MARKER);
        let mut decoder = Decoder::new(&data, &DecodeOptions::default()).unwrap();
        let mut band = [0u8; 48];
        assert!(is_corrupt(decoder.decode_rows(
            &mut band,
            16,
            Channels::Rgba
        )));
        assert_eq!(decoder.rows_done(), 2);
    }

    #[test]
    fn a_failed_decode_leaves_the_decoder_unusable() {
        let data = file(1, 2, 4, &[0xc0], &END_MARKER);
        let mut decoder = Decoder::new(&data, &DecodeOptions::default()).unwrap();
        let mut band = [0u8; 8];
        assert!(is_corrupt(decoder.decode_rows(
            &mut band,
            4,
            Channels::Rgba
        )));
        let again = decoder.decode_rows(&mut band, 4, Channels::Rgba);
        assert!(matches!(again, Err(Error::BadState(_))));
    }

    #[test]
    fn only_strict_decoding_requires_the_end_marker_right_after_the_pixels() {
        let ops = [0xfe, 1, 2, 3];
        let strict = DecodeOptions {
            strict: true,
            ..DecodeOptions::default()
        };
        let good = file(1, 1, 4, &ops, &END_MARKER);
        assert!(decode(&good, &strict, Channels::Rgba).is_ok());
        let tails: [&[u8]; 3] = [
            &[0, 0, 0, 0, 0, 0, 0, 2],
            &[0xc0, 0, 0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 0, 1, 0],
        ];
        for tail in tails {
            let data = file(1, 1, 4, &ops, tail);
            let (_, lax) = decode(&data, &DecodeOptions::default(), Channels::Rgba).unwrap();
            assert_eq!(lax, [1, 2, 3, 255], "{tail:?}");
            assert!(
                is_corrupt(decode(&data, &strict, Channels::Rgba)),
                "{tail:?}"
            );
        }
    }

    #[test]
    fn no_op_is_read_from_the_last_8_bytes() {
        // As the reference decoder reads files: the second pixel's op lies in
        // the last 8 bytes, so the data ends before that pixel.
        let data = file(2, 1, 4, &[0xfe, 1, 2, 3], &[0xfe, 4, 5, 6, 0, 0, 0, 0]);
        let lax = DecodeOptions::default();
        assert!(is_corrupt(decode(&data, &lax, Channels::Rgba)));
        // A file too short for its pixels' fewest ops and the 8 bytes.
        let data = file(1, 1, 4, &[0xfe, 1, 2, 3], &[]);
        assert!(is_corrupt(Decoder::new(&data, &lax)));
        // Long enough for that, not for the op it holds.
        let data = file(1, 1, 4, &[0xfe, 1, 2, 3], &END_MARKER[..7]);
        assert!(is_corrupt(decode(&data, &lax, Channels::Rgba)));
    }

    /// `file` decoded in one segment, with or without `BRANCHES`.
    fn decode_one_way<const N: usize, const BRANCHES: bool>(file: &[u8]) -> Vec<u8> {
        let mut decoder = Decoder::new(file, &DecodeOptions::default()).unwrap();
        let mut pixels = vec![0; decoder.header().pixel_count() as usize * N];
        decoder.decode_pixels::<N, BRANCHES>(&mut pixels).unwrap();
        pixels
    }

    #[test]
    fn both_ways_of_decoding_agree() {
        for (header, pixels) in crate::qoi::samples::images() {
            let file = crate::qoi::encode(&header, &pixels).unwrap();
            let (_, rgba) = decode(&file, &DecodeOptions::default(), Channels::Rgba).unwrap();
            assert!(decode_one_way::<4, true>(&file) == rgba, "{header:?}");
            assert!(decode_one_way::<4, false>(&file) == rgba, "{header:?}");
            let (_, rgb) = decode(&file, &DecodeOptions::default(), Channels::Rgb).unwrap();
            assert!(decode_one_way::<3, true>(&file) == rgb, "{header:?}");
            assert!(decode_one_way::<3, false>(&file) == rgb, "{header:?}");
        }
    }

    #[test]
    fn bands_need_a_stride_and_room_for_a_row() {
        let data = file(2, 2, 4, &[0xc0 | 3], &END_MARKER);
        let mut decoder = Decoder::new(&data, &DecodeOptions::default()).unwrap();
        let mut out = [0u8; 16];
        let short = decoder.decode_rows(&mut out, 7, Channels::Rgba);
        assert!(matches!(short, Err(Error::InvalidArgument(_))));
        let small = decoder.decode_rows(&mut out[..7], 8, Channels::Rgba);
        assert!(matches!(small, Err(Error::BufferTooSmall(_))));
        // A last row needs no stride after it.
        assert_eq!(
            decoder
                .decode_rows(&mut out[..14], 6, Channels::Rgb)
                .unwrap(),
            2
        );
        assert_eq!(decoder.rows_done(), 2);
        assert_eq!(decoder.decode_rows(&mut out, 8, Channels::Rgba).unwrap(), 0);
    }
}
