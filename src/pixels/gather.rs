//! Reading one block's samples out of a caller's frame buffer into the
//! unpacked layout an encoder takes: the inverse of the scatter.

use super::convert::convert_samples;
use super::framebuffer::{FrameBuffer, Slice};
use crate::codec::{BlockLayout, ChannelLayout};
use crate::error::{Error, Result};
use crate::meta::channel::Channel;
use crate::meta::types::Box2i;

/// Where each channel of a part takes its samples from.
pub(crate) struct Source<'f, 'a> {
    fb: &'f FrameBuffer<'a>,
    /// For each channel, its slice and the distance in slice samples
    /// between the channel's samples (1 for compact slices, the sampling
    /// for 1x1 slices of subsampled channels).
    feeds: Vec<Option<(usize, i64, i64)>>,
}

impl<'f, 'a> Source<'f, 'a> {
    /// Matches the part's `channels` with the slices of `fb`; channels
    /// without a slice are written as zeros.
    pub fn new(channels: &[Channel], fb: &'f FrameBuffer<'a>) -> Result<Self> {
        let mut feeds = Vec::with_capacity(channels.len());
        for channel in channels {
            let Some(s) = fb
                .slices
                .iter()
                .position(|s| s.channel == channel.name.as_bytes())
            else {
                feeds.push(None);
                continue;
            };
            let slice = &fb.slices[s];
            let own = (channel.x_sampling, channel.y_sampling);
            let steps = match (slice.x_sampling, slice.y_sampling) {
                s if s == own => (1, 1),
                (1, 1) => (i64::from(own.0), i64::from(own.1)),
                (x, y) => {
                    return Err(Error::InvalidArgument(format!(
                    "slice '{}' has sampling {x}x{y}; the channel has {}x{}, so use that or 1x1",
                    channel.name, own.0, own.1
                )))
                }
            };
            feeds.push(Some((s, steps.0, steps.1)));
        }
        Ok(Self { fb, feeds })
    }

    /// Fails unless the frame buffer's window holds every pixel of `region`.
    pub fn check_covers(&self, region: Box2i) -> Result<()> {
        let w = self.fb.window();
        if w.contains(region) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "the frame buffer's window {w:?} does not cover the block's pixels {region:?}"
            )))
        }
    }

    /// Fills `out` (exactly `layout.unpacked_size` bytes) with the block's
    /// samples, converted to each channel's type; `line` is scratch.
    ///
    /// # Safety
    /// The frame buffer's slices must be valid for reads of every sample
    /// they address, and the window must cover `layout.region`.
    pub unsafe fn read_block(&self, layout: &BlockLayout, out: &mut [u8], line: &mut Vec<u8>) {
        for (y, c, bytes) in layout.segments() {
            let (Some(to), Some(channel)) = (out.get_mut(bytes), layout.channels.get(c)) else {
                return;
            };
            match self.feeds.get(c).copied().flatten() {
                None => to.fill(0),
                Some((s, step_x, step_y)) => {
                    let slice = &self.fb.slices[s];
                    // SAFETY: forwarded from the caller.
                    unsafe {
                        read_line(slice, channel, layout.region, y, (step_x, step_y), to, line)
                    };
                }
            }
        }
    }
}

/// Reads the samples of line `y` of `channel` from `slice` into `to`.
///
/// # Safety
/// As for [`Source::read_block`].
unsafe fn read_line(
    slice: &Slice,
    channel: &ChannelLayout,
    region: Box2i,
    y: i32,
    (step_x, step_y): (i64, i64),
    to: &mut [u8],
    line: &mut Vec<u8>,
) {
    let xs = i64::from(channel.x_sampling);
    let first_x = channel.first_x(region.min_x);
    // Slice coordinates of the line's first sample: compact slices count
    // samples, 1x1 slices count pixels.
    let (column, row) = if step_x == 1 && step_y == 1 {
        (
            first_x.div_euclid(xs) - slice.first_column,
            i64::from(y).div_euclid(i64::from(channel.y_sampling)) - slice.first_row,
        )
    } else {
        (first_x - slice.first_column, i64::from(y) - slice.first_row)
    };
    let size = slice.pixel_type.size();
    let stride = slice.x_stride * step_x as isize;
    let from = slice.at(column.max(0) as u64, row.max(0) as u64);
    if slice.pixel_type == channel.pixel_type && stride == size as isize {
        // SAFETY: the window covers the region, so the line's samples lie
        // contiguously in the slice; `to` holds exactly as many bytes.
        unsafe { std::ptr::copy_nonoverlapping(from, to.as_mut_ptr(), to.len()) };
        return;
    }
    line.clear();
    line.resize(channel.width * size, 0);
    // SAFETY: the window covers the region, so every sample of the line is
    // one the slice addresses.
    unsafe {
        match size {
            2 => gather_samples::<2>(from, stride, line),
            4 => gather_samples::<4>(from, stride, line),
            _ => gather_samples::<1>(from, stride, line),
        }
    }
    // SAFETY: `to` holds exactly `channel.width` samples of the channel's type.
    unsafe {
        convert_samples(
            line,
            slice.pixel_type,
            to.as_mut_ptr(),
            channel.pixel_type,
            channel.pixel_type.size() as isize,
            channel.width,
        )
    };
}

/// Copies samples of `N` bytes, `stride` bytes apart from `from` on, into
/// `line`.
///
/// # Safety
/// Every address `from + i * stride` for the samples of `line` must be
/// readable for `N` bytes.
unsafe fn gather_samples<const N: usize>(from: *const u8, stride: isize, line: &mut [u8]) {
    let mut from = from;
    for sample in line.chunks_exact_mut(N) {
        // SAFETY: per this function's contract; the read is unaligned.
        let bytes: [u8; N] = unsafe { from.cast::<[u8; N]>().read_unaligned() };
        sample.copy_from_slice(&bytes);
        from = from.wrapping_offset(stride);
    }
}
