//! DWAA and DWAB: DreamWorks Animation's lossy codec, as OpenEXR 3.5 codes
//! it (DWAA in chunks of 32 lines, DWAB of 256).
//!
//! A chunk starts with eleven little-endian `u64`: version, lossless bytes
//! unpacked and packed, AC bytes packed, DC bytes packed, RLE bytes packed,
//! RLE bytes after inflating and after expanding the runs, AC words, DC
//! words, and how the AC words are packed (0 static Huffman, 1 deflate).
//! Version 2 chunks then hold their channel rules (see [`rules`]). The
//! sections follow in that order:
//! - lossless channels (see [`rules::Scheme`]): each channel's lines in
//!   turn, deflated as one zlib stream;
//! - the AC words of the lossy channels (see [`lossy`]), Huffman coded as
//!   PIZ codes its words, or deflated;
//! - their DC words, predicted and interleaved as ZIP does, then deflated;
//! - run-length coded channels: each channel's bytes as planes (every
//!   sample's first byte, then every second byte...), runs coded as RLE
//!   codes them, then deflated.
//!
//! Both directions follow OpenEXR's arithmetic exactly (see [`dct`],
//! [`half`], [`quantize`] and [`tables`]), in portable code, so decoding
//! gives its pixels and encoding its bytes on any CPU.

mod dct;
mod half;
mod lossy;
mod lossy_encode;
mod quantize;
mod rules;
mod tables;

use libdeflater::Decompressor;

use super::byte_planes;
use super::piz::{huffman, huffman_encode};
use super::predictor::{deinterleave, interleave_and_predict, undo_predictor};
use super::rle::{expand_runs, pack_runs};
use super::zip::{inflate_exact, Deflaters};
use super::BlockLayout;
use crate::cpu::{self, Vectors};
use crate::error::{corrupt, grown, Error, Result};
use crate::meta::types::PixelType;
use rules::{ChannelInfo, Scheme};

/// Buffers kept between blocks.
#[derive(Default)]
pub struct Scratch {
    inflater: Option<Decompressor>,
    deflate: Deflate,
    huffman: huffman::Scratch,
    huffman_encode: huffman_encode::Scratch,
    bytes: Vec<u8>,
    planes: Vec<u8>,
    ac: Vec<u16>,
    dc: Vec<u16>,
    /// Which build of the lossy loops runs (the best but in tests that
    /// hold the portable one to the same bits).
    vectors: Vectors,
}

impl Scratch {
    /// Bytes of block-sized buffers held.
    pub fn retained_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.deflate.packed.capacity()
            + self.planes.capacity()
            + 2 * (self.ac.capacity() + self.dc.capacity())
    }
}

/// The eleven counts at the start of a chunk.
#[derive(Default)]
struct Counts {
    version: u64,
    lossless_unpacked: u64,
    lossless_packed: u64,
    ac_packed: u64,
    dc_packed: u64,
    rle_packed: u64,
    rle_inflated: u64,
    rle_expanded: u64,
    ac_words: u64,
    dc_words: u64,
    ac_coding: u64,
}

/// Bytes of the counts.
const COUNTS_BYTES: usize = 11 * 8;

/// AC words packed with PIZ's Huffman coder, and with deflate.
const AC_HUFFMAN: u64 = 0;
const AC_DEFLATE: u64 = 1;

impl Counts {
    fn to_words(&self) -> [u64; 11] {
        [
            self.version,
            self.lossless_unpacked,
            self.lossless_packed,
            self.ac_packed,
            self.dc_packed,
            self.rle_packed,
            self.rle_inflated,
            self.rle_expanded,
            self.ac_words,
            self.dc_words,
            self.ac_coding,
        ]
    }

    fn from_words(words: [u64; 11]) -> Self {
        let [version, lossless_unpacked, lossless_packed, ac_packed, dc_packed, rle_packed, rle_inflated, rle_expanded, ac_words, dc_words, ac_coding] =
            words;
        Self {
            version,
            lossless_unpacked,
            lossless_packed,
            ac_packed,
            dc_packed,
            rle_packed,
            rle_inflated,
            rle_expanded,
            ac_words,
            dc_words,
            ac_coding,
        }
    }

    fn write(&self, out: &mut [u8]) {
        for (dst, word) in out.chunks_exact_mut(8).zip(self.to_words()) {
            dst.copy_from_slice(&word.to_le_bytes());
        }
    }

    fn read(packed: &[u8]) -> Result<(Self, &[u8])> {
        let Some((head, rest)) = packed.split_first_chunk::<COUNTS_BYTES>() else {
            corrupt!("DWA chunk of {} bytes has no counts", packed.len());
        };
        let words = std::array::from_fn(|i| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&head[i * 8..i * 8 + 8]);
            u64::from_le_bytes(word)
        });
        let counts = Self::from_words(words);
        if counts.version > 2 {
            corrupt!(
                "DWA chunk of version {} (at most 2 is known)",
                counts.version
            );
        }
        Ok((counts, rest))
    }
}

/// Converts a count from the file to `usize`, failing when it exceeds
/// `limit` (a size the block itself bounds).
fn bounded(count: u64, limit: usize, what: &str) -> Result<usize> {
    match usize::try_from(count) {
        Ok(n) if n <= limit => Ok(n),
        _ => corrupt!("DWA {what} of {count} exceeds the {limit} the block can hold"),
    }
}

/// Takes the first `len` bytes of `bytes` as a section.
fn section<'a>(bytes: &mut &'a [u8], len: u64, what: &str) -> Result<&'a [u8]> {
    let Some((head, rest)) = usize::try_from(len)
        .ok()
        .and_then(|n| (n <= bytes.len()).then(|| bytes.split_at(n)))
    else {
        corrupt!(
            "DWA {what} section of {len} bytes runs past the {} bytes left",
            bytes.len()
        );
    };
    *bytes = rest;
    Ok(head)
}

/// Unpacks one DWAA or DWAB block into `out`, which holds
/// `layout.unpacked_size` bytes.
pub fn decompress(
    layout: &BlockLayout,
    packed: &[u8],
    out: &mut [u8],
    scratch: &mut Scratch,
) -> Result<()> {
    let (counts, rest) = Counts::read(packed)?;
    let (rules, mut rest) = if counts.version >= 2 {
        rules::read_rules(rest)?
    } else {
        (rules::legacy_rules(), rest)
    };
    let infos = channel_infos(layout)?;
    let classes = rules::classify(&rules, &infos);
    let lossless = section(&mut rest, counts.lossless_packed, "lossless")?;
    let ac = section(&mut rest, counts.ac_packed, "AC")?;
    let dc = section(&mut rest, counts.dc_packed, "DC")?;
    let rle = section(&mut rest, counts.rle_packed, "RLE")?;

    let lines = line_offsets(layout, out.len())?;
    let groups = lossy_groups(layout, &classes)?;
    // Every byte of `out` is a line of some channel, and each scheme's
    // section fills all of its channels' lines or the block fails: no
    // byte keeps what `out` held.
    let bytes_of = |scheme| -> usize {
        layout
            .channels
            .iter()
            .zip(&classes.schemes)
            .filter(|(_, &s)| s == scheme)
            .map(|(c, _)| c.bytes())
            .sum()
    };
    let lossless_bytes = bytes_of(Scheme::Lossless);
    let rle_bytes = bytes_of(Scheme::Rle);
    check_section(
        "lossless",
        lossless_bytes,
        counts.lossless_packed,
        counts.lossless_unpacked,
        0,
    )?;
    check_section(
        "RLE",
        rle_bytes,
        counts.rle_packed,
        counts.rle_expanded,
        counts.rle_inflated,
    )?;

    if counts.lossless_packed > 0 {
        let n = bounded(
            counts.lossless_unpacked,
            layout.unpacked_size,
            "lossless size",
        )?;
        let bytes = grown(&mut scratch.bytes, n)?;
        inflate_exact(&mut scratch.inflater, lossless, bytes)?;
        copy_lossless(layout, &classes.schemes, &lines, bytes, out)?;
    }
    if counts.rle_expanded > 0 {
        // Run-length coding at most doubles its input.
        let inflated = bounded(counts.rle_inflated, 2 * rle_bytes + 16, "RLE size")?;
        let expanded = bounded(counts.rle_expanded, rle_bytes, "RLE size")?;
        let bytes = grown(&mut scratch.bytes, inflated)?;
        inflate_exact(&mut scratch.inflater, rle, bytes)?;
        let planes = grown(&mut scratch.planes, expanded)?;
        expand_runs(bytes, planes)?;
        copy_planes(layout, &classes.schemes, &lines, planes, out)?;
    }

    // Each 8x8 block of a lossy channel has one DC word and at most 63 AC
    // words; the block's own lossy samples bound both.
    let blocks = layout
        .channels
        .iter()
        .zip(&classes.schemes)
        .filter(|(_, &s)| s == Scheme::LossyDct)
        .map(|(c, _)| c.width.div_ceil(8).saturating_mul(c.height.div_ceil(8)))
        .fold(0usize, usize::saturating_add);
    let ac_words = read_ac(&counts, ac, blocks.saturating_mul(63), scratch)?;
    let dc_words = read_dc(&counts, dc, blocks, scratch)?;
    let mut streams = lossy::Streams {
        ac: &scratch.ac[..ac_words],
        dc: &scratch.dc[..dc_words],
    };
    decode_lossy(layout, &groups, &lines, &mut streams, out, scratch.vectors)
}

/// The deflate level OpenEXR packs the lossless, RLE and deflated AC
/// sections at (the DC section takes the part's zip level).
const SECTION_LEVEL: u32 = 9;

/// How a DWA block is packed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The compression level: the base error is `level / 100000`.
    pub level: f32,
    /// Deflate the AC words instead of Huffman coding them (OpenEXR does
    /// so for tiled DWAA parts).
    pub deflate_ac: bool,
    /// The deflate level of the DC section.
    pub zip_level: u32,
}

/// Packs one block into `out` as OpenEXR 3.5 packs it: version 2 with the
/// default channel rules. Returns `false` (with `out` unspecified) when
/// the block has to be stored raw because its AC words do not fit the
/// Huffman coder's 32-bit bit count.
pub fn compress(
    layout: &BlockLayout,
    unpacked: &[u8],
    settings: Settings,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<bool> {
    let rules = rules::default_rules();
    let infos = channel_infos(layout)?;
    let classes = rules::classify(&rules, &infos);
    let lines = line_offsets(layout, unpacked.len())?;
    let groups = lossy_groups(layout, &classes)?;
    out.clear();
    out.resize(COUNTS_BYTES, 0);
    rules::write_rules(&rules, &infos, out)?;
    let mut counts = Counts {
        version: 2,
        ac_coding: if settings.deflate_ac {
            AC_DEFLATE
        } else {
            AC_HUFFMAN
        },
        ..Counts::default()
    };
    let Scratch {
        deflate,
        bytes,
        planes,
        ac,
        dc,
        huffman_encode,
        vectors,
        ..
    } = scratch;

    gather_lossless(layout, &classes.schemes, &lines, unpacked, bytes);
    if !bytes.is_empty() {
        counts.lossless_unpacked = bytes.len() as u64;
        counts.lossless_packed = deflate.append(SECTION_LEVEL, bytes, out)?;
    }

    ac.clear();
    dc.clear();
    let coded = (&mut *ac, &mut *dc);
    encode_lossy(
        layout,
        &groups,
        &lines,
        unpacked,
        settings.level,
        coded,
        *vectors,
    );
    if !ac.is_empty() {
        counts.ac_words = ac.len() as u64;
        counts.ac_packed = if settings.deflate_ac {
            words_as_bytes(ac, bytes);
            deflate.append(SECTION_LEVEL, bytes, out)?
        } else {
            let start = out.len();
            if !huffman_encode::encode(ac, out, huffman_encode)? {
                return Ok(false);
            }
            (out.len() - start) as u64
        };
    }
    if !dc.is_empty() {
        counts.dc_words = dc.len() as u64;
        words_as_bytes(dc, bytes);
        interleave_and_predict(bytes, planes);
        counts.dc_packed = deflate.append(settings.zip_level, planes, out)?;
    }

    gather_planes(layout, &classes.schemes, &lines, unpacked, planes);
    if !planes.is_empty() {
        counts.rle_expanded = planes.len() as u64;
        bytes.clear();
        pack_runs(planes, bytes);
        counts.rle_inflated = bytes.len() as u64;
        counts.rle_packed = deflate.append(SECTION_LEVEL, bytes, out)?;
    }
    counts.write(&mut out[..COUNTS_BYTES]);
    Ok(true)
}

/// Deflaters and a buffer for the sections an encoder appends.
#[derive(Default)]
struct Deflate {
    deflaters: Deflaters,
    packed: Vec<u8>,
}

impl Deflate {
    /// Deflates `input` at `level` onto the end of `out`; returns the
    /// bytes appended.
    fn append(&mut self, level: u32, input: &[u8], out: &mut Vec<u8>) -> Result<u64> {
        self.deflaters.zlib(level, input, &mut self.packed)?;
        out.extend_from_slice(&self.packed);
        Ok(self.packed.len() as u64)
    }
}

/// Fills `words` from the little-endian pairs of `bytes`.
fn bytes_as_words(bytes: &[u8], words: &mut [u16]) {
    for (word, pair) in words.iter_mut().zip(bytes.chunks_exact(2)) {
        *word = u16::from_le_bytes([pair[0], pair[1]]);
    }
}

/// Replaces the contents of `bytes` with `words`, little-endian.
fn words_as_bytes(words: &[u16], bytes: &mut Vec<u8>) {
    bytes.clear();
    bytes.extend(words.iter().flat_map(|w| w.to_le_bytes()));
}

/// The lossless channels' lines, channel after channel, into `bytes`.
fn gather_lossless(
    layout: &BlockLayout,
    schemes: &[Scheme],
    lines: &[Vec<usize>],
    unpacked: &[u8],
    bytes: &mut Vec<u8>,
) {
    bytes.clear();
    for ((c, scheme), starts) in layout.channels.iter().zip(schemes).zip(lines) {
        if *scheme == Scheme::Lossless {
            for &at in starts {
                bytes.extend_from_slice(&unpacked[at..at + c.line_bytes()]);
            }
        }
    }
}

/// The run-length coded channels as byte planes (see [`byte_planes`]),
/// channel after channel, into `planes`.
fn gather_planes(
    layout: &BlockLayout,
    schemes: &[Scheme],
    lines: &[Vec<usize>],
    unpacked: &[u8],
    planes: &mut Vec<u8>,
) {
    planes.clear();
    for ((c, scheme), starts) in layout.channels.iter().zip(schemes).zip(lines) {
        if *scheme != Scheme::Rle {
            continue;
        }
        let base = planes.len();
        planes.resize(base + starts.len() * c.line_bytes(), 0);
        let channel = &mut planes[base..];
        for (row, &at) in starts.iter().enumerate() {
            let line = &unpacked[at..at + c.line_bytes()];
            match c.pixel_type.size() {
                2 => byte_planes::split(line, false, row_of::<2>(channel, row, c.width)),
                _ => byte_planes::split(line, false, row_of::<4>(channel, row, c.width)),
            }
        }
    }
}

/// Row `row` (of `width` samples) in each byte plane of a channel's
/// `SIZE`-byte samples, whose planes fill `channel`.
fn row_of<const SIZE: usize>(channel: &mut [u8], row: usize, width: usize) -> [&mut [u8]; SIZE] {
    let plane_len = channel.len() / SIZE;
    let mut planes = channel.chunks_exact_mut(plane_len.max(1));
    std::array::from_fn(|_| {
        planes
            .next()
            .and_then(|plane| plane.get_mut(row * width..(row + 1) * width))
            .unwrap_or_default()
    })
}

/// Encodes the lossy channels, group by group, into `ac` and `dc`.
fn encode_lossy(
    layout: &BlockLayout,
    groups: &[LossyGroup],
    lines: &[Vec<usize>],
    unpacked: &[u8],
    level: f32,
    (ac, dc): (&mut Vec<u16>, &mut Vec<u16>),
    vectors: Vectors,
) {
    for group in groups {
        let sources = group.lines(layout, lines);
        let curve = group.perceptual.then(tables::to_nonlinear);
        let height = group.height(layout);
        let blocks = lossy_encode::Blocks {
            sources: &sources,
            height,
            unpacked,
            level,
            to_nonlinear: curve,
            ac,
            dc,
        };
        cpu::run(blocks, vectors);
    }
}

/// One channel's lines in the unpacked block, as the lossy coder sees
/// them.
pub struct ChannelLines<'a> {
    /// Byte offset of each of the channel's lines.
    pub lines: &'a [usize],
    /// HALF or FLOAT (the decoder refuses others).
    pub pixel_type: PixelType,
    /// Samples per line.
    pub width: usize,
}

/// Lossy channels coded together: a colour set (R, G, B as Y'CbCr) or one
/// channel alone.
struct LossyGroup {
    channels: Vec<usize>,
    /// Whether the samples go through the perceptual curve (always for
    /// colour sets, as OpenEXR does; alone, unless pLinear).
    perceptual: bool,
}

impl LossyGroup {
    fn lines<'a>(&self, layout: &BlockLayout, lines: &'a [Vec<usize>]) -> Vec<ChannelLines<'a>> {
        self.channels
            .iter()
            .map(|&i| ChannelLines {
                lines: &lines[i],
                pixel_type: layout.channels[i].pixel_type,
                width: layout.channels[i].width,
            })
            .collect()
    }

    fn height(&self, layout: &BlockLayout) -> usize {
        self.channels
            .first()
            .map_or(0, |&i| layout.channels[i].height)
    }
}

/// The lossy channels in the order their coefficients are stored: the
/// colour sets, then the other lossy channels in name order.
fn lossy_groups(layout: &BlockLayout, classes: &rules::Classification) -> Result<Vec<LossyGroup>> {
    let mut groups = Vec::new();
    let mut in_set = vec![false; layout.channels.len()];
    for set in &classes.colour_sets {
        if set.iter().any(|&i| classes.schemes[i] != Scheme::LossyDct) {
            corrupt!("DWA colour set of channels that are not all lossy");
        }
        for &i in set {
            in_set[i] = true;
        }
        groups.push(LossyGroup {
            channels: set.to_vec(),
            perceptual: true,
        });
    }
    for (i, c) in layout.channels.iter().enumerate() {
        if !in_set[i] && classes.schemes[i] == Scheme::LossyDct {
            groups.push(LossyGroup {
                channels: vec![i],
                perceptual: !c.p_linear,
            });
        }
    }
    Ok(groups)
}

/// The name, type and sampling of each channel of `layout`.
fn channel_infos(layout: &BlockLayout) -> Result<Vec<ChannelInfo<'_>>> {
    if layout.names.len() != layout.channels.len() {
        return Err(Error::InvalidArgument(format!(
            "{} names for {} channels",
            layout.names.len(),
            layout.channels.len()
        )));
    }
    Ok(layout
        .channels
        .iter()
        .zip(&layout.names)
        .map(|(c, name)| ChannelInfo {
            name: name.as_bytes(),
            pixel_type: c.pixel_type,
            sampling: (c.x_sampling, c.y_sampling),
        })
        .collect())
}

/// Checks a section's sizes against the bytes its channels hold, as
/// OpenEXR does: with such channels the section must be present and
/// expand to at least their bytes; without them it must be empty.
fn check_section(
    what: &str,
    channel_bytes: usize,
    packed: u64,
    unpacked: u64,
    extra: u64,
) -> Result<()> {
    if channel_bytes > 0 {
        if unpacked < channel_bytes as u64 || packed == 0 {
            corrupt!(
                "DWA {what} section unpacks to {unpacked} bytes where its channels hold {channel_bytes}"
            );
        }
    } else if unpacked > 0 || packed > 0 || extra > 0 {
        corrupt!("DWA {what} section of {packed} bytes where no channel uses it");
    }
    Ok(())
}

/// The byte offset of each line of each channel in an unpacked block of
/// `len` bytes; fails when the layout does not describe such a block.
fn line_offsets(layout: &BlockLayout, len: usize) -> Result<Vec<Vec<usize>>> {
    let mut lines: Vec<Vec<usize>> = layout
        .channels
        .iter()
        .map(|c| Vec::with_capacity(c.height))
        .collect();
    let mut end = 0;
    for (_, channel, range) in layout.segments() {
        lines[channel].push(range.start);
        end = range.end;
    }
    let heights_match = lines
        .iter()
        .zip(&layout.channels)
        .all(|(l, c)| l.len() == c.height);
    if end > len || !heights_match {
        return Err(Error::InvalidArgument(format!(
            "a block layout of {end} bytes ({} channels) does not describe a block of {len}",
            layout.channels.len()
        )));
    }
    Ok(lines)
}

/// Copies the lossless channels' lines, stored channel after channel.
fn copy_lossless(
    layout: &BlockLayout,
    schemes: &[Scheme],
    lines: &[Vec<usize>],
    mut from: &[u8],
    out: &mut [u8],
) -> Result<()> {
    for ((c, scheme), starts) in layout.channels.iter().zip(schemes).zip(lines) {
        if *scheme != Scheme::Lossless {
            continue;
        }
        let len = c.line_bytes();
        for &at in starts {
            let Some((line, rest)) = (len <= from.len()).then(|| from.split_at(len)) else {
                corrupt!("DWA lossless section ends early");
            };
            out[at..at + len].copy_from_slice(line);
            from = rest;
        }
    }
    Ok(())
}

/// Copies the run-length coded channels, each stored as byte planes.
fn copy_planes(
    layout: &BlockLayout,
    schemes: &[Scheme],
    lines: &[Vec<usize>],
    planes: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let mut start = 0;
    for ((c, scheme), starts) in layout.channels.iter().zip(schemes).zip(lines) {
        if *scheme != Scheme::Rle {
            continue;
        }
        let size = c.pixel_type.size();
        let samples = c.width * c.height;
        let Some(channel) = planes.get(start..start + samples * size) else {
            corrupt!("DWA RLE section ends early");
        };
        start += samples * size;
        if samples == 0 {
            continue;
        }
        let row = |plane: usize, row: usize| &channel[plane * samples + row * c.width..][..c.width];
        for (y, &at) in starts.iter().enumerate() {
            let line = &mut out[at..at + c.line_bytes()];
            match size {
                2 => byte_planes::join([row(0, y), row(1, y)], line),
                _ => byte_planes::join([row(0, y), row(1, y), row(2, y), row(3, y)], line),
            }
        }
    }
    Ok(())
}

/// Unpacks the AC words into the start of `scratch.ac`; at most `limit`
/// of them. Returns how many.
fn read_ac(counts: &Counts, packed: &[u8], limit: usize, scratch: &mut Scratch) -> Result<usize> {
    if counts.ac_packed == 0 {
        if counts.ac_words != 0 {
            corrupt!("DWA chunk has {} AC words but no AC data", counts.ac_words);
        }
        return Ok(0);
    }
    let n = bounded(counts.ac_words, limit, "AC word count")?;
    let words = grown(&mut scratch.ac, n)?;
    match counts.ac_coding {
        AC_HUFFMAN => huffman::decode(packed, words, &mut scratch.huffman)?,
        AC_DEFLATE => {
            let bytes = grown(&mut scratch.bytes, 2 * n)?;
            inflate_exact(&mut scratch.inflater, packed, bytes)?;
            bytes_as_words(bytes, words);
        }
        other => corrupt!("DWA AC words packed in unknown way {other}"),
    }
    Ok(n)
}

/// Unpacks the DC words into the start of `scratch.dc`; at most `limit`
/// of them. Returns how many.
fn read_dc(counts: &Counts, packed: &[u8], limit: usize, scratch: &mut Scratch) -> Result<usize> {
    if counts.dc_packed == 0 {
        if counts.dc_words != 0 {
            corrupt!("DWA chunk has {} DC words but no DC data", counts.dc_words);
        }
        return Ok(0);
    }
    let n = bounded(counts.dc_words, limit, "DC word count")?;
    let bytes = grown(&mut scratch.bytes, 2 * n)?;
    inflate_exact(&mut scratch.inflater, packed, bytes)?;
    undo_predictor(bytes);
    let planes = grown(&mut scratch.planes, 2 * n)?;
    deinterleave(bytes, planes);
    bytes_as_words(planes, grown(&mut scratch.dc, n)?);
    Ok(n)
}

/// Decodes the lossy channels, group by group.
fn decode_lossy(
    layout: &BlockLayout,
    groups: &[LossyGroup],
    lines: &[Vec<usize>],
    streams: &mut lossy::Streams<'_>,
    out: &mut [u8],
    vectors: Vectors,
) -> Result<()> {
    for group in groups {
        let targets = group.lines(layout, lines);
        let curve = group.perceptual.then(tables::to_linear);
        lossy::decode(&targets, group.height(layout), streams, curve, out, vectors)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
