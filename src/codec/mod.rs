//! Codecs: one module per compression, each turning a chunk's packed bytes
//! into its unpacked bytes.
//!
//! Unpacked bytes are laid out as OpenEXR lays them out before compression:
//! for each line of the chunk's region from top to bottom, for each channel in
//! name order that has samples on that line, the channel's samples of that
//! line in little-endian order.

#![forbid(unsafe_code)]

mod b44;
mod byte_planes;
mod dwa;
mod htj2k;
mod piz;
mod predictor;
mod pxr24;
mod rle;
mod zip;
mod zstd;

use crate::error::{corrupt, try_resize, Error, Result};
use crate::meta::channel::Channel;
use crate::meta::compression::Compression;
use crate::meta::sampling::{first_sample_index, is_sampled, sampled_count};
use crate::meta::text::Text;
use crate::meta::types::{Box2i, PixelType};

/// What a codec needs to know about one channel of the block it unpacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelLayout {
    /// How each sample is stored.
    pub pixel_type: PixelType,
    /// Horizontal subsampling.
    pub x_sampling: i32,
    /// Vertical subsampling.
    pub y_sampling: i32,
    /// Whether the channel is perceptually linear (B44 codes such channels
    /// differently).
    pub p_linear: bool,
    /// Samples on each line of the region that has samples.
    pub width: usize,
    /// Lines of the region that have samples.
    pub height: usize,
}

impl ChannelLayout {
    /// Whether line `y` of the image holds samples of this channel.
    pub fn has_line(&self, y: i32) -> bool {
        is_sampled(y, self.y_sampling)
    }

    /// The x coordinate of the first sample on a line of a region that
    /// starts at `min_x`.
    pub fn first_x(&self, min_x: i32) -> i64 {
        first_sample_index(min_x, self.x_sampling) * i64::from(self.x_sampling)
    }

    /// Bytes of one line of samples.
    pub fn line_bytes(&self) -> usize {
        self.width * self.pixel_type.size()
    }

    /// Bytes of all the channel's samples in the block.
    pub fn bytes(&self) -> usize {
        self.line_bytes() * self.height
    }
}

/// The shape of one block of pixels: its region and its channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockLayout {
    /// The pixels the block covers.
    pub region: Box2i,
    /// The part's channels, in name order.
    pub channels: Vec<ChannelLayout>,
    /// The channels' names, in the same order (DWA codes a channel by its
    /// name).
    pub names: Vec<Text>,
    /// Bytes of the unpacked block.
    pub unpacked_size: usize,
}

impl BlockLayout {
    /// The layout of `region` for a part with `channels`; fails when the
    /// block would not fit in memory.
    pub fn new(channels: &[Channel], region: Box2i) -> Result<Self> {
        let mut total = 0usize;
        let mut layouts = Vec::with_capacity(channels.len());
        for c in channels {
            let width = sampled_count(region.min_x, region.max_x, c.x_sampling);
            let height = sampled_count(region.min_y, region.max_y, c.y_sampling);
            let (Ok(width), Ok(height)) = (usize::try_from(width), usize::try_from(height)) else {
                return Err(too_big(region));
            };
            let layout = ChannelLayout {
                pixel_type: c.pixel_type,
                x_sampling: c.x_sampling.max(1),
                y_sampling: c.y_sampling.max(1),
                p_linear: c.p_linear,
                width,
                height,
            };
            total = width
                .checked_mul(height)
                .and_then(|n| n.checked_mul(c.pixel_type.size()))
                .and_then(|n| n.checked_add(total))
                .ok_or_else(|| too_big(region))?;
            layouts.push(layout);
        }
        Ok(Self {
            region,
            channels: layouts,
            names: channels.iter().map(|c| c.name.clone()).collect(),
            unpacked_size: total,
        })
    }

    /// The lines of the region, top to bottom.
    pub fn lines(&self) -> std::ops::RangeInclusive<i32> {
        self.region.min_y..=self.region.max_y
    }

    /// Every line of every channel in the unpacked block's order: the line's
    /// y, the channel's index and the line's bytes in the block.
    pub fn segments(
        &self,
    ) -> impl Iterator<Item = (i32, usize, std::ops::Range<usize>)> + Clone + '_ {
        self.lines()
            .flat_map(move |y| {
                self.channels
                    .iter()
                    .enumerate()
                    .filter(move |(_, c)| c.has_line(y))
                    .map(move |(i, c)| (y, i, c.line_bytes()))
            })
            .scan(0usize, |offset, (y, i, len)| {
                let range = *offset..*offset + len;
                *offset += len;
                Some((y, i, range))
            })
    }
}

/// Names `c0`, `c1`, ... for the layouts unit tests write out.
#[cfg(test)]
pub(crate) fn test_names(count: usize) -> Vec<Text> {
    (0..count)
        .map(|i| Text::new(format!("c{i}").as_bytes()))
        .collect()
}

fn too_big(region: Box2i) -> Error {
    Error::LimitExceeded(format!("a block of {region:?} does not fit in memory"))
}

/// Buffers a worker thread keeps between blocks so that decoding allocates
/// only while blocks grow.
#[derive(Default)]
pub struct Scratch {
    bytes: Vec<u8>,
    zip: zip::Scratch,
    piz: piz::Scratch,
    pxr24: pxr24::Scratch,
    b44: b44::Scratch,
    dwa: dwa::Scratch,
    zstd: zstd::Scratch,
    htj2k: htj2k::Scratch,
}

impl Scratch {
    /// Bytes of buffers held that grow with the blocks decoded.
    pub fn retained_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.zip.retained_bytes()
            + self.piz.retained_bytes()
            + self.pxr24.retained_bytes()
            + self.b44.retained_bytes()
            + self.dwa.retained_bytes()
            + self.zstd.retained_bytes()
            + self.htj2k.retained_bytes()
    }
}

/// Buffers one thread reuses from block to block, decoding or encoding:
/// packed and unpacked bytes, a line of caller samples, a deep chunk's
/// sample counts and packed count table, and the codecs' own scratch.
#[derive(Default)]
pub(crate) struct BlockScratch {
    pub packed: Vec<u8>,
    pub unpacked: Vec<u8>,
    pub line: Vec<u8>,
    pub counts: Vec<u32>,
    pub table: Vec<u8>,
    pub codec: Scratch,
}

/// Block scratch above this size is released after each block rather than
/// kept for the next.
const KEEP_LIMIT: usize = 64 << 20;

thread_local! {
    static BLOCK_SCRATCH: std::cell::Cell<Option<Box<BlockScratch>>> =
        const { std::cell::Cell::new(None) };
}

/// Runs `f` with this thread's block scratch. Taking it out of the
/// thread-local keeps a re-entrant call (say, from a progress callback)
/// safe: it simply gets fresh buffers.
pub(crate) fn with_block_scratch<R>(f: impl FnOnce(&mut BlockScratch) -> R) -> R {
    let mut scratch = BLOCK_SCRATCH
        .with(std::cell::Cell::take)
        .unwrap_or_default();
    let result = f(&mut scratch);
    let held = scratch.packed.capacity()
        + scratch.unpacked.capacity()
        + scratch.line.capacity()
        + 4 * scratch.counts.capacity()
        + scratch.table.capacity()
        + scratch.codec.retained_bytes();
    if held <= KEEP_LIMIT {
        BLOCK_SCRATCH.with(|cell| cell.set(Some(scratch)));
    }
    result
}

/// Fails with `EXRKIT_ERR_UNSUPPORTED` naming the codec unless this build
/// reads `compression`'s chunks (HTJ2K's are read and checked, and then
/// answered `EXRKIT_ERR_UNSUPPORTED` by the codec: issue 15).
pub fn require_decoder(compression: Compression) -> Result<()> {
    match compression {
        Compression::None
        | Compression::Rle
        | Compression::Zips
        | Compression::Zip
        | Compression::Piz
        | Compression::Pxr24
        | Compression::B44
        | Compression::B44a
        | Compression::Dwaa
        | Compression::Dwab
        | Compression::Zstd
        | Compression::Htj2k256
        | Compression::Htj2k32
        | Compression::LossyHtj2k => Ok(()),
        other => Err(Error::Unsupported(format!(
            "{} compression is not supported yet",
            other.name()
        ))),
    }
}

/// Checks what a compressed chunk says of itself against its block before
/// the block is allocated: an HTJ2K chunk's headers (its length says
/// nothing of the block's size, see [`max_unpacked_size`]).
pub fn check_chunk(compression: Compression, layout: &BlockLayout, packed: &[u8]) -> Result<()> {
    match compression {
        Compression::Htj2k256 | Compression::Htj2k32 | Compression::LossyHtj2k => {
            htj2k::check(compression, layout, packed).map(drop)
        }
        _ => Ok(()),
    }
}

/// The most bytes `packed_len` bytes compressed with `compression` can
/// expand to: deflate expands at most 1032-fold, PXR24 adds a third for
/// 24-bit floats, a PIZ Huffman run of up to 255 samples costs at least ten
/// bits, RLE runs expand 64-fold, B44A codes 32 bytes in 3, and a DWA
/// block of 64 FLOAT samples can end in one deflated AC word, and a zstd
/// block of 128 KiB can be one repeated byte in 4. Checked before a block's
/// buffer is allocated, so a hostile chunk cannot make the decoder reserve
/// more than this multiple of the bytes the file holds. HTJ2K has no such
/// bound: [`check_chunk`] holds its headers to the block instead.
pub fn max_unpacked_size(compression: Compression, packed_len: usize) -> usize {
    let factor = match compression {
        Compression::None => 1,
        Compression::Rle => 64,
        Compression::B44 | Compression::B44a => 11,
        Compression::Zips | Compression::Zip => 1032,
        Compression::Pxr24 => 1376,
        // A deflated AC word ending a block of 64 FLOAT samples: 1032 x 128.
        Compression::Dwaa | Compression::Dwab => 132_096,
        Compression::Zstd => 32_768,
        // A flat image's codestream is little more than its headers,
        // whatever its size; `check_chunk` holds the headers to the block.
        Compression::Htj2k256 | Compression::Htj2k32 | Compression::LossyHtj2k => usize::MAX,
        _ => 2048,
    };
    packed_len.saturating_mul(factor).saturating_add(64)
}

/// The deflate level OpenEXR 3.5 uses when none is set.
pub(crate) const DEFAULT_ZIP_LEVEL: u32 = 4;

/// Whether `compression` stores every block of channels of these types
/// raw: NONE, and B44 or B44A without a HALF channel (they pack only HALF
/// samples and copy the others, so never shrink such a block).
pub(crate) fn stores_raw(
    compression: Compression,
    mut pixel_types: impl Iterator<Item = PixelType>,
) -> bool {
    match compression {
        Compression::None => true,
        Compression::B44 | Compression::B44a => pixel_types.all(|t| t != PixelType::Half),
        _ => false,
    }
}

pub(crate) use zstd::{DEFAULT_LEVEL as DEFAULT_ZSTD_LEVEL, LEVELS as ZSTD_LEVELS};

/// The DWA compression level OpenEXR 3.5 uses when none is set.
pub(crate) const DEFAULT_DWA_LEVEL: f32 = 45.0;

/// What a part asks of the codec besides its compression.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PackSettings {
    /// Deflate level (1 to 12) for ZIP, ZIPS, PXR24 and DWA's DC values;
    /// `None` for OpenEXR's default, 4.
    pub zip_level: Option<u32>,
    /// DWA compression level (at least 0); `None` for OpenEXR's default,
    /// 45.
    pub dwa_level: Option<f32>,
    /// zstd level (1 to 22) for ZSTD; `None` for OpenEXR's default, 5.
    pub zstd_level: Option<i32>,
    /// Whether the part is tiled (OpenEXR deflates the AC values of tiled
    /// DWAA parts rather than Huffman coding them).
    pub tiled: bool,
}

/// Packs the unpacked block `unpacked` (laid out as `layout` says) with
/// `compression` into `out`, replacing its contents, as `settings` asks.
/// When compressing does not make the block smaller, OpenEXR stores it
/// raw: returns the bytes to store, `out`'s or `unpacked` itself.
pub fn compress<'a>(
    compression: Compression,
    settings: &PackSettings,
    layout: &BlockLayout,
    unpacked: &'a [u8],
    out: &'a mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<&'a [u8]> {
    if unpacked.len() != layout.unpacked_size {
        return Err(Error::Internal(format!(
            "block of {} bytes for a layout of {}",
            unpacked.len(),
            layout.unpacked_size
        )));
    }
    out.clear();
    let level = settings.zip_level.unwrap_or(DEFAULT_ZIP_LEVEL);
    if stores_raw(compression, layout.channels.iter().map(|c| c.pixel_type)) {
        return Ok(unpacked);
    }
    match compression {
        Compression::Piz => piz::compress(layout, unpacked, out, &mut scratch.piz)?,
        Compression::Pxr24 => pxr24::compress(layout, unpacked, level, out, &mut scratch.pxr24)?,
        Compression::B44 => b44::compress(layout, unpacked, false, out, &mut scratch.b44)?,
        Compression::B44a => b44::compress(layout, unpacked, true, out, &mut scratch.b44)?,
        Compression::Dwaa | Compression::Dwab => {
            let dwa = dwa::Settings {
                level: settings.dwa_level.unwrap_or(DEFAULT_DWA_LEVEL),
                deflate_ac: compression == Compression::Dwaa && settings.tiled,
                zip_level: level,
            };
            if !dwa::compress(layout, unpacked, dwa, out, &mut scratch.dwa)? {
                return Ok(unpacked);
            }
        }
        Compression::Zstd => zstd::compress(
            flat_runs(layout),
            unpacked,
            true,
            settings.zstd_level.unwrap_or(DEFAULT_ZSTD_LEVEL),
            out,
            &mut scratch.zstd,
        )?,
        _ => {
            return compress_bytes(
                compression,
                settings,
                DeepBytes::Table,
                unpacked,
                out,
                scratch,
            )
        }
    }
    Ok(smaller(unpacked, out))
}

/// What a block is stored as: `packed` if compressing made it smaller,
/// else `unpacked` itself.
fn smaller<'a>(unpacked: &'a [u8], packed: &'a [u8]) -> &'a [u8] {
    if packed.len() >= unpacked.len() {
        unpacked
    } else {
        packed
    }
}

/// The runs of a flat block for ZSTD: each channel's samples on each line.
fn flat_runs(layout: &BlockLayout) -> impl Iterator<Item = zstd::Run> + Clone + '_ {
    layout.segments().map(|(_, channel, bytes)| {
        let size = layout.channels[channel].pixel_type.size();
        zstd::Run {
            size,
            count: bytes.len() / size,
        }
    })
}

/// What a deep chunk's bytes are, for ZSTD, which groups samples by size
/// (the other deep codecs see a stream of bytes).
#[derive(Debug, Clone, Copy)]
pub(crate) enum DeepBytes<'a> {
    /// A sample count table: 4-byte counts.
    Table,
    /// Samples: for each line, each channel's samples of the line's pixels.
    Samples {
        /// Samples of each line's pixels, top to bottom.
        lines: &'a [usize],
        /// Bytes of one sample of each channel, in the part's order.
        sizes: &'a [usize],
    },
}

impl<'a> DeepBytes<'a> {
    /// The runs of `len` bytes of this kind.
    fn runs(self, len: usize) -> impl Iterator<Item = zstd::Run> + Clone + 'a {
        let table = match self {
            Self::Table => Some(zstd::Run {
                size: 4,
                count: len / 4,
            }),
            Self::Samples { .. } => None,
        };
        let (lines, sizes): (&[usize], &[usize]) = match self {
            Self::Table => (&[], &[]),
            Self::Samples { lines, sizes } => (lines, sizes),
        };
        let samples = lines
            .iter()
            .flat_map(move |&count| sizes.iter().map(move |&size| zstd::Run { size, count }));
        table.into_iter().chain(samples)
    }
}

/// Packs `unpacked`, deep data of kind `deep`, with one of the codecs deep
/// parts use (NONE, RLE, ZIPS, ZIP, ZSTD: the first four treat it as a
/// stream of bytes) at the level `settings` give into `out`; returns the
/// bytes to store, as [`compress`] does.
pub(crate) fn compress_bytes<'a>(
    compression: Compression,
    settings: &PackSettings,
    deep: DeepBytes<'_>,
    unpacked: &'a [u8],
    out: &'a mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<&'a [u8]> {
    out.clear();
    let level = settings.zip_level.unwrap_or(DEFAULT_ZIP_LEVEL);
    match compression {
        Compression::None => return Ok(unpacked),
        Compression::Rle => rle::compress(unpacked, out, &mut scratch.bytes)?,
        Compression::Zips | Compression::Zip => {
            zip::compress(unpacked, level, out, &mut scratch.zip)?
        }
        // OpenEXR stores deep samples as they are, without differences.
        Compression::Zstd => zstd::compress(
            deep.runs(unpacked.len()),
            unpacked,
            false,
            settings.zstd_level.unwrap_or(DEFAULT_ZSTD_LEVEL),
            out,
            &mut scratch.zstd,
        )?,
        other => {
            require_decoder(other)?;
            return Err(Error::Internal(format!(
                "{} does not pack a stream of bytes",
                other.name()
            )));
        }
    }
    Ok(smaller(unpacked, out))
}

/// The `len` bytes of deep data of kind `deep` that `packed` unpacks to,
/// packed as [`compress_bytes`] packs it: `packed` itself where it was
/// stored raw, else unpacked into `out`.
pub(crate) fn unpack_bytes<'a>(
    compression: Compression,
    deep: DeepBytes<'_>,
    packed: &'a [u8],
    len: usize,
    out: &'a mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<&'a [u8]> {
    if packed.len() == len {
        return Ok(packed);
    }
    try_resize(out, len)?;
    decompress_bytes(compression, deep, packed, out, scratch)?;
    Ok(out)
}

/// Unpacks `packed`, deep data of kind `deep` packed as [`compress_bytes`]
/// packs it, into `out`, which holds exactly the unpacked size.
fn decompress_bytes(
    compression: Compression,
    deep: DeepBytes<'_>,
    packed: &[u8],
    out: &mut [u8],
    scratch: &mut Scratch,
) -> Result<()> {
    if packed.len() == out.len() {
        // OpenEXR stores data raw whenever compressing it did not make it
        // smaller, whatever the part's compression.
        out.copy_from_slice(packed);
        return Ok(());
    }
    match compression {
        Compression::None => corrupt!(
            "{} bytes of uncompressed data where {} are expected",
            packed.len(),
            out.len()
        ),
        Compression::Rle => rle::decompress(packed, out, &mut scratch.bytes),
        Compression::Zips | Compression::Zip => zip::decompress(packed, out, &mut scratch.zip),
        Compression::Zstd => {
            let runs = deep.runs(out.len());
            zstd::decompress(runs, packed, &mut Unpacked::Block(out), &mut scratch.zstd)
        }
        other => {
            require_decoder(other)?;
            Err(Error::Internal(format!(
                "{} does not pack a stream of bytes",
                other.name()
            )))
        }
    }
}

/// Unpacks `packed`, compressed with `compression`, into `out`, which holds
/// exactly `layout.unpacked_size` bytes.
pub fn decompress(
    compression: Compression,
    layout: &BlockLayout,
    packed: &[u8],
    out: &mut [u8],
    scratch: &mut Scratch,
) -> Result<()> {
    if out.len() != layout.unpacked_size {
        return Err(Error::Internal(format!(
            "unpacked buffer of {} bytes for a block of {}",
            out.len(),
            layout.unpacked_size
        )));
    }
    if packed.len() == out.len() {
        // Stored raw, as for every codec (see decompress_bytes).
        out.copy_from_slice(packed);
        return Ok(());
    }
    match compression {
        Compression::Piz => piz::decompress(layout, packed, out, &mut scratch.piz),
        Compression::Pxr24 => pxr24::decompress(layout, packed, out, &mut scratch.pxr24),
        Compression::B44 | Compression::B44a => {
            b44::decompress(layout, packed, out, &mut scratch.b44)
        }
        Compression::Dwaa | Compression::Dwab => {
            dwa::decompress(layout, packed, out, &mut scratch.dwa)
        }
        Compression::Htj2k256 | Compression::Htj2k32 | Compression::LossyHtj2k => {
            htj2k::decompress(
                compression,
                layout,
                packed,
                &mut Unpacked::Block(out),
                &mut scratch.htj2k,
            )
        }
        Compression::Zstd => zstd::decompress(
            flat_runs(layout),
            packed,
            &mut Unpacked::Block(out),
            &mut scratch.zstd,
        ),
        _ => decompress_bytes(compression, DeepBytes::Table, packed, out, scratch),
    }
}

/// Whether [`decompress_runs`] unpacks `compression`.
pub(crate) fn unpacks_runs(compression: Compression) -> bool {
    matches!(
        compression,
        Compression::Zstd | Compression::Htj2k256 | Compression::Htj2k32 | Compression::LossyHtj2k
    )
}

/// Unpacks a compressed (not raw) block of `layout` straight into `runs`,
/// one destination for each of the layout's segments in order, each as
/// long as its segment; for the codecs [`unpacks_runs`] accepts.
pub(crate) fn decompress_runs(
    compression: Compression,
    layout: &BlockLayout,
    packed: &[u8],
    runs: &mut [&mut [u8]],
    scratch: &mut Scratch,
) -> Result<()> {
    match compression {
        Compression::Zstd => zstd::decompress(
            flat_runs(layout),
            packed,
            &mut Unpacked::Runs(runs),
            &mut scratch.zstd,
        ),
        Compression::Htj2k256 | Compression::Htj2k32 | Compression::LossyHtj2k => {
            htj2k::decompress(
                compression,
                layout,
                packed,
                &mut Unpacked::Runs(runs),
                &mut scratch.htj2k,
            )
        }
        other => Err(Error::Internal(format!(
            "{} does not unpack run by run",
            other.name()
        ))),
    }
}

/// Where a codec that unpacks run by run (ZSTD, HTJ2K) puts a block: into one
/// buffer, each run at its offset, or each run into a destination of its
/// own (the caller's lines, written without an intermediate copy).
pub(crate) enum Unpacked<'a, 'b> {
    /// The whole block.
    Block(&'a mut [u8]),
    /// One destination per run, in order.
    Runs(&'a mut [&'b mut [u8]]),
}

impl Unpacked<'_, '_> {
    /// Bytes of the whole block.
    fn len(&self) -> usize {
        match self {
            Self::Block(out) => out.len(),
            Self::Runs(runs) => runs.iter().map(|r| r.len()).sum(),
        }
    }

    /// Where run `index`, `len` bytes from `offset` in the block, goes, or
    /// `None` when that does not fit.
    fn run(&mut self, index: usize, offset: usize, len: usize) -> Option<&mut [u8]> {
        match self {
            Self::Block(out) => out.get_mut(offset..offset.checked_add(len)?),
            Self::Runs(runs) => runs
                .get_mut(index)
                .map(|run| &mut **run)
                .filter(|run| run.len() == len),
        }
    }
}
