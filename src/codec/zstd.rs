//! ZSTD (compression 13), as OpenEXR 3.5 packs a chunk: its samples
//! grouped by size, each group's bytes split into byte planes, and the
//! whole in one zstd frame behind a 24-byte prefix.
//!
//! A chunk is a sequence of runs: one channel's samples on one line (a
//! deep chunk's line holds every pixel's samples of the channel; its
//! sample count table is one run of 4-byte counts per line). The 2-byte
//! runs come first, in chunk order, then the 4-byte ones. In flat chunks
//! each sample of a run but the first is stored as its difference from the
//! one before (wrapping, as an integer). Each group is then stored as its
//! byte planes (every sample's first byte, then every second byte, ...)
//! behind its length as a 64-bit count; a chunk with samples of one size
//! is one group.
//!
//! The prefix: the magic `zstd-exr`, a format (1: no differences; 2: with
//! flag bit 0 set, differences), and the frame's length, all little-endian
//! integers. A chunk that would not be smaller is stored raw.

use super::{byte_planes, Unpacked};
use crate::error::{corrupt, grown, Error, Result};

/// One channel's samples on one line of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Bytes per sample: 2 or 4.
    pub size: usize,
    /// Samples in the run.
    pub count: usize,
}

/// The zstd level OpenEXR 3.5 uses when none is set.
pub(crate) const DEFAULT_LEVEL: i32 = 5;

/// The zstd levels a part may ask for, as OpenEXR allows them.
pub(crate) const LEVELS: std::ops::RangeInclusive<i32> = 1..=22;

/// `zstd-exr` as a little-endian integer.
const MAGIC: u64 = u64::from_le_bytes(*b"zstd-exr");

/// Bytes of the prefix: magic, format, flags and frame length.
const PREFIX_BYTES: usize = 24;

/// Format 1: runs stored as they are.
const FORMAT_PLAIN: u32 = 1;

/// Format 2: runs may be stored as differences (flag [`FLAG_DELTA`]).
const FORMAT_FLAGGED: u32 = 2;

/// Flag of format 2: each run's samples are differences.
const FLAG_DELTA: u32 = 1;

/// Contexts and buffers a thread keeps between chunks.
#[derive(Default)]
pub struct Scratch {
    compressor: Option<zstd_safe::CCtx<'static>>,
    decompressor: Option<zstd_safe::DCtx<'static>>,
    /// The planes, each group behind its length: what the frame holds.
    inner: Vec<u8>,
    /// The frame, on its way into the chunk.
    frame: Vec<u8>,
}

impl Scratch {
    /// Bytes of buffers held that grow with the chunks.
    pub fn retained_bytes(&self) -> usize {
        self.inner.capacity() + self.frame.capacity()
    }
}

/// One group of the inner stream: samples of one size.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Group {
    size: usize,
    bytes: usize,
}

/// The groups a chunk's runs fall into: 2-byte then 4-byte samples, or
/// one group when only one size is present (4 for an empty chunk).
fn groups(runs: impl Iterator<Item = Run>, total: usize) -> Result<Vec<Group>> {
    let (mut half, mut full) = (0usize, 0usize);
    for run in runs {
        let bytes = run
            .count
            .checked_mul(run.size)
            .ok_or_else(|| Error::Corrupt("a ZSTD run does not fit in memory".into()))?;
        let sum = match run.size {
            2 => &mut half,
            4 => &mut full,
            other => {
                return Err(Error::Internal(format!(
                    "ZSTD runs hold 2- or 4-byte samples, not {other}"
                )))
            }
        };
        *sum = sum
            .checked_add(bytes)
            .ok_or_else(|| Error::Corrupt("a ZSTD chunk does not fit in memory".into()))?;
    }
    if half.checked_add(full) != Some(total) {
        corrupt!(
            "ZSTD chunk of {total} bytes whose lines hold {} bytes",
            half.saturating_add(full)
        );
    }
    Ok(match (half, full) {
        (0, _) => vec![Group {
            size: 4,
            bytes: full,
        }],
        (_, 0) => vec![Group {
            size: 2,
            bytes: half,
        }],
        _ => vec![
            Group {
                size: 2,
                bytes: half,
            },
            Group {
                size: 4,
                bytes: full,
            },
        ],
    })
}

/// Packs `unpacked`, made of `runs`, at zstd level `level` into `out`
/// (replacing its contents), storing differences when `delta` (OpenEXR
/// does for flat chunks). The caller stores the chunk raw when `out` is
/// not smaller.
pub fn compress<I>(
    runs: I,
    unpacked: &[u8],
    delta: bool,
    level: i32,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<()>
where
    I: Iterator<Item = Run> + Clone,
{
    let groups = groups(runs.clone(), unpacked.len())?;
    // Every byte is written below: the buffer only grows, and is not
    // zeroed again for each chunk.
    let len = groups.iter().map(|g| 8 + g.bytes).sum::<usize>();
    let inner = grown(&mut scratch.inner, len)?;
    let mut rest = &mut inner[..];
    for group in &groups {
        let (length, tail) = std::mem::take(&mut rest).split_at_mut(8);
        length.copy_from_slice(&(group.bytes as u64).to_le_bytes());
        let (planes, tail) = tail.split_at_mut(group.bytes);
        match group.size {
            2 => split_planes::<2>(runs.clone(), unpacked, delta, planes),
            _ => split_planes::<4>(runs.clone(), unpacked, delta, planes),
        }
        rest = tail;
    }
    let inner = &*inner;
    let compressor = match &mut scratch.compressor {
        Some(c) => c,
        empty => empty.insert(
            zstd_safe::CCtx::try_create()
                .ok_or_else(|| Error::OutOfMemory("could not create a zstd compressor".into()))?,
        ),
    };
    let frame = &mut scratch.frame;
    frame.clear();
    frame.try_reserve(zstd_safe::compress_bound(inner.len()))?;
    compressor
        .compress(frame, inner, level)
        .map_err(|code| Error::Internal(format!("zstd: {}", zstd_safe::get_error_name(code))))?;
    let (format, flags) = if delta {
        (FORMAT_FLAGGED, FLAG_DELTA)
    } else {
        (FORMAT_PLAIN, 0)
    };
    out.clear();
    out.try_reserve(PREFIX_BYTES + frame.len())?;
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&format.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&(frame.len() as u64).to_le_bytes());
    out.extend_from_slice(frame);
    Ok(())
}

/// Unpacks a ZSTD chunk made of `runs` into `out`, which holds exactly
/// the unpacked size, run after run (the caller copies raw chunks).
pub fn decompress<I>(
    runs: I,
    packed: &[u8],
    out: &mut Unpacked<'_, '_>,
    scratch: &mut Scratch,
) -> Result<()>
where
    I: Iterator<Item = Run> + Clone,
{
    let Some((prefix, frame)) = packed.split_first_chunk::<PREFIX_BYTES>() else {
        corrupt!(
            "ZSTD chunk of {} bytes is shorter than its prefix",
            packed.len()
        );
    };
    let word = |at: usize| {
        u32::from_le_bytes([prefix[at], prefix[at + 1], prefix[at + 2], prefix[at + 3]])
    };
    let long = |at: usize| u64::from(word(at)) | u64::from(word(at + 4)) << 32;
    if long(0) != MAGIC {
        corrupt!("ZSTD chunk does not start with 'zstd-exr'");
    }
    let (format, flags) = (word(8), word(12));
    let delta = match (format, flags) {
        (FORMAT_PLAIN, 0) => false,
        (FORMAT_FLAGGED, f) if f & !FLAG_DELTA == 0 => f == FLAG_DELTA,
        _ => corrupt!("ZSTD chunk of unknown format {format} (flags {flags:#x})"),
    };
    if long(16) != frame.len() as u64 {
        corrupt!(
            "ZSTD chunk declares a frame of {} bytes but holds {}",
            long(16),
            frame.len()
        );
    }
    let groups = groups(runs.clone(), out.len())?;
    // Every group's length and bytes: all the frame may produce.
    let expected = groups.iter().map(|g| 8 + g.bytes).sum::<usize>();
    let inner = grown(&mut scratch.inner, expected)?;
    let decompressor = match &mut scratch.decompressor {
        Some(d) => d,
        empty => empty
            .insert(zstd_safe::DCtx::try_create().ok_or_else(|| {
                Error::OutOfMemory("could not create a zstd decompressor".into())
            })?),
    };
    let produced = decompressor
        .decompress(&mut *inner, frame)
        .map_err(|code| {
            Error::Corrupt(format!(
                "ZSTD frame does not unpack to the chunk's {expected} bytes: {}",
                zstd_safe::get_error_name(code)
            ))
        })?;
    if produced != expected {
        corrupt!("ZSTD frame unpacks to {produced} bytes where the chunk needs {expected}");
    }
    let mut rest = &inner[..];
    for group in &groups {
        let Some((length, tail)) = rest.split_first_chunk::<8>() else {
            corrupt!("ZSTD chunk ends before its sample groups");
        };
        if u64::from_le_bytes(*length) != group.bytes as u64 {
            corrupt!(
                "ZSTD group of {} bytes where the chunk's {}-byte samples need {}",
                u64::from_le_bytes(*length),
                group.size,
                group.bytes
            );
        }
        let (planes, tail) = tail.split_at(group.bytes);
        match group.size {
            2 => join_planes::<2>(runs.clone(), planes, delta, out),
            _ => join_planes::<4>(runs.clone(), planes, delta, out),
        }
        rest = tail;
    }
    Ok(())
}

/// Writes the `SIZE`-byte runs of `unpacked` into `planes` as byte planes,
/// as differences when `delta`. `planes` holds exactly those runs' bytes.
fn split_planes<const SIZE: usize>(
    runs: impl Iterator<Item = Run>,
    unpacked: &[u8],
    delta: bool,
    planes: &mut [u8],
) {
    let samples = planes.len() / SIZE;
    let mut planes: [&mut [u8]; SIZE] = byte_planes::cut(planes, samples);
    for (_, offset, at, n) in placed::<SIZE>(runs) {
        let (Some(src), true) = (
            unpacked.get(offset..offset + n * SIZE),
            planes.iter().all(|p| p.len() >= at + n),
        ) else {
            return;
        };
        let out = planes.each_mut().map(|p| &mut p[at..at + n]);
        byte_planes::split(src, delta, out);
    }
}

/// Reads the `SIZE`-byte runs of a chunk from their byte planes into
/// `out`, adding up differences when `delta`.
fn join_planes<const SIZE: usize>(
    runs: impl Iterator<Item = Run>,
    planes: &[u8],
    delta: bool,
    out: &mut Unpacked<'_, '_>,
) {
    let samples = planes.len() / SIZE;
    let planes: [&[u8]; SIZE] = std::array::from_fn(|b| &planes[b * samples..][..samples]);
    for (index, offset, at, n) in placed::<SIZE>(runs) {
        let (Some(dst), true) = (
            out.run(index, offset, n * SIZE),
            planes.iter().all(|p| p.len() >= at + n),
        ) else {
            return;
        };
        let planes = planes.map(|p| &p[at..at + n]);
        if delta {
            byte_planes::join_summed(planes, dst);
        } else {
            byte_planes::join(planes, dst);
        }
    }
}

/// The `SIZE`-byte runs among `runs`: the index of each one among all
/// runs, the offset of its first byte in the chunk, of its first sample in
/// its group's planes, and its sample count (the runs' sizes were checked
/// by [`groups`]).
fn placed<const SIZE: usize>(
    runs: impl Iterator<Item = Run>,
) -> impl Iterator<Item = (usize, usize, usize, usize)> {
    runs.scan((0usize, 0usize), |(offset, at), run| {
        let start = (*offset, *at);
        *offset = offset.saturating_add(run.count.saturating_mul(run.size));
        if run.size == SIZE {
            *at += run.count;
        }
        Some((run, start))
    })
    .enumerate()
    .filter(|(_, (run, _))| run.size == SIZE)
    .map(|(index, (run, (offset, at)))| (index, offset, at, run.count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs() -> impl Iterator<Item = Run> + Clone {
        [
            Run { size: 2, count: 3 },
            Run { size: 4, count: 2 },
            Run { size: 2, count: 1 },
        ]
        .into_iter()
    }

    #[test]
    fn chunks_round_trip_with_and_without_differences() {
        let unpacked: Vec<u8> = (0..3 * 2 + 2 * 4 + 2).map(|i| (i * 37 + 5) as u8).collect();
        let mut scratch = Scratch::default();
        for delta in [false, true] {
            let mut packed = Vec::new();
            compress(runs(), &unpacked, delta, 5, &mut packed, &mut scratch).unwrap();
            assert_eq!(&packed[..8], b"zstd-exr");
            let mut back = vec![0; unpacked.len()];
            decompress(
                runs(),
                &packed,
                &mut Unpacked::Block(&mut back),
                &mut scratch,
            )
            .unwrap();
            assert_eq!(back, unpacked);
        }
    }

    #[test]
    fn groups_put_halves_first_and_planes_split_bytes() {
        // Two halves 0x0201, 0x0403 after a float 0x08070605.
        let runs = [Run { size: 4, count: 1 }, Run { size: 2, count: 2 }].into_iter();
        let unpacked = [5, 6, 7, 8, 1, 2, 3, 4];
        let mut scratch = Scratch::default();
        let mut packed = Vec::new();
        compress(runs.clone(), &unpacked, true, 5, &mut packed, &mut scratch).unwrap();
        let inner = &scratch.inner;
        assert_eq!(&inner[..8], &4u64.to_le_bytes());
        // Differences: 0x0201, then 0x0403 - 0x0201 = 0x0202; low bytes first.
        assert_eq!(&inner[8..12], &[1, 2, 2, 2]);
        assert_eq!(&inner[12..20], &4u64.to_le_bytes());
        assert_eq!(&inner[20..24], &[5, 6, 7, 8]);
    }

    #[test]
    fn damaged_prefixes_and_frames_are_corrupt() {
        let unpacked = vec![7u8; 64];
        let runs = std::iter::once(Run { size: 4, count: 16 });
        let mut scratch = Scratch::default();
        let mut packed = Vec::new();
        compress(runs.clone(), &unpacked, false, 5, &mut packed, &mut scratch).unwrap();
        let mut out = vec![0; 64];
        for (at, value) in [(0, b'Z'), (8, 4), (12, 2), (16, 1), (30, 0xff)] {
            let mut bad = packed.clone();
            bad[at] ^= value;
            let error = decompress(
                runs.clone(),
                &bad,
                &mut Unpacked::Block(&mut out),
                &mut scratch,
            )
            .unwrap_err();
            assert!(matches!(error, Error::Corrupt(_)), "byte {at}: {error}");
        }
        // A frame that unpacks to more than the chunk needs stops there.
        let long = vec![7u8; 128];
        let mut big = Vec::new();
        compress(
            std::iter::once(Run { size: 4, count: 32 }),
            &long,
            false,
            5,
            &mut big,
            &mut scratch,
        )
        .unwrap();
        let error =
            decompress(runs, &big, &mut Unpacked::Block(&mut out), &mut scratch).unwrap_err();
        assert!(matches!(error, Error::Corrupt(_)), "{error}");
    }
}
