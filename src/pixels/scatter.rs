//! Writing one unpacked block into a frame buffer: each channel's samples
//! converted into every slice that asks for it, and fill values where the
//! part has no such channel.

use super::convert::{convert_samples, fill_bytes};
use super::framebuffer::{FrameBuffer, Slice};
use crate::codec::{BlockLayout, ChannelLayout};
use crate::error::{Error, Result};
use crate::meta::channel::Channel;
use crate::meta::sampling::{first_sample_index, first_sampled, last_covered};
use crate::meta::types::Box2i;

/// How a slice takes its channel's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One slice sample per channel sample.
    Compact,
    /// Each channel sample repeated over the pixels it covers.
    Replicate,
}

/// The decisions of one decode: which slices take which channel.
pub(crate) struct Plan<'f, 'a> {
    fb: &'f FrameBuffer<'a>,
    /// For each channel of the part, the slices it feeds and how.
    targets: Vec<Vec<(usize, Mode)>>,
    /// Slices whose channel the part lacks.
    missing: Vec<usize>,
    /// Largest subsampling among the channels that feed replicating slices.
    reach: (i32, i32),
}

impl<'f, 'a> Plan<'f, 'a> {
    /// Matches the slices of `fb` with the part's `channels`.
    pub fn new(channels: &[Channel], fb: &'f FrameBuffer<'a>) -> Result<Self> {
        let mut targets = vec![Vec::new(); channels.len()];
        let mut missing = Vec::new();
        let mut reach = (1, 1);
        for (i, slice) in fb.slices.iter().enumerate() {
            let Some(c) = channels
                .iter()
                .position(|c| c.name.as_bytes() == slice.channel)
            else {
                missing.push(i);
                continue;
            };
            let channel = &channels[c];
            let own = (channel.x_sampling, channel.y_sampling);
            let mode = match (slice.x_sampling, slice.y_sampling) {
                s if s == own => Mode::Compact,
                (1, 1) => Mode::Replicate,
                (x, y) => {
                    return Err(Error::InvalidArgument(format!(
                        "slice '{}' asks for sampling {x}x{y}; the channel has {}x{}, so use that or 1x1",
                        channel.name, own.0, own.1
                    )))
                }
            };
            if mode == Mode::Replicate {
                reach = (reach.0.max(own.0), reach.1.max(own.1));
            }
            targets[c].push((i, mode));
        }
        Ok(Self {
            fb,
            targets,
            missing,
            reach,
        })
    }

    /// The window grown so that it meets every block whose samples a
    /// replicating slice spreads into it.
    pub fn reach_window(&self) -> Box2i {
        let w = self.fb.window();
        Box2i {
            min_x: w.min_x.saturating_sub(self.reach.0 - 1),
            min_y: w.min_y.saturating_sub(self.reach.1 - 1),
            ..w
        }
    }

    /// Writes the unpacked `block` of `layout` into every slice, and fills
    /// the slices of missing channels over the block.
    ///
    /// # Safety
    /// The frame buffer's slices must be valid as `FrameBuffer::add_raw`
    /// requires, and nothing else may write the pixels of this block while
    /// the call runs.
    pub unsafe fn write_block(&self, layout: &BlockLayout, block: &[u8]) {
        for (y, c, bytes) in layout.segments() {
            let (Some(line), Some(channel)) = (block.get(bytes), layout.channels.get(c)) else {
                return;
            };
            for &(s, mode) in &self.targets[c] {
                let slice = &self.fb.slices[s];
                // SAFETY: forwarded from the caller.
                unsafe { write_line(slice, mode, channel, layout.region, y, line) };
            }
        }
        // SAFETY: forwarded from the caller.
        unsafe { self.fill_missing(layout) };
    }

    /// The caller's memory for each segment of the block of `layout`, in
    /// segment order, when every segment lands whole in exactly one slice
    /// at its own type, as samples side by side: a codec can then unpack
    /// straight into it. `None` when any segment needs more (a conversion,
    /// replication, clipping to the window, a channel that no slice or
    /// several slices take, a sample stride other than the sample's size,
    /// or a big-endian CPU); the block is then unpacked and written by
    /// [`Plan::write_block`]. Slices of missing channels are left to
    /// [`Plan::fill_missing`].
    ///
    /// # Safety
    /// As for [`Plan::write_block`], for as long as the returned slices
    /// live.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn direct_runs(&self, layout: &BlockLayout) -> Option<Vec<&mut [u8]>> {
        // Codecs unpack little-endian samples; slices hold native ones.
        if cfg!(target_endian = "big") {
            return None;
        }
        let mut runs = Vec::new();
        for (y, c, bytes) in layout.segments() {
            let channel = layout.channels.get(c)?;
            let &[(s, Mode::Compact)] = self.targets.get(c)?.as_slice() else {
                return None;
            };
            let slice = self.fb.slices.get(s)?;
            let size = channel.pixel_type.size();
            if slice.pixel_type != channel.pixel_type || slice.x_stride != size as isize {
                return None;
            }
            let row = i64::from(y).div_euclid(i64::from(channel.y_sampling)) - slice.first_row;
            let column = channel
                .first_x(layout.region.min_x)
                .div_euclid(i64::from(channel.x_sampling))
                - slice.first_column;
            let fits = (0..slice.rows as i64).contains(&row)
                && column >= 0
                && (column as u64).checked_add(channel.width as u64)? <= slice.columns
                && bytes.len() == channel.width * size;
            if !fits {
                return None;
            }
            let start = slice.at(column as u64, row as u64);
            // SAFETY: the samples from `column` on in row `row` lie inside
            // the slice's window, side by side since the stride is the
            // sample size; the caller guarantees they are valid for writes
            // and that nothing else touches them, and `FrameBuffer::add_raw`
            // that no other slice shares them, so no two runs overlap.
            runs.push(unsafe { std::slice::from_raw_parts_mut(start, bytes.len()) });
        }
        Some(runs)
    }

    /// Fills the slices of missing channels over the block of `layout`:
    /// what [`Plan::write_block`] does besides writing the channels.
    ///
    /// # Safety
    /// As for [`Plan::write_block`].
    pub unsafe fn fill_missing(&self, layout: &BlockLayout) {
        for &s in &self.missing {
            // SAFETY: forwarded from the caller.
            unsafe { fill(&self.fb.slices[s], layout.region) };
        }
    }

    /// Fills every slice over `region` (and, for replicating slices, the
    /// pixels its samples would cover): how a damaged block is left.
    ///
    /// # Safety
    /// As for [`Plan::write_block`].
    pub unsafe fn fill_block(&self, layout: &BlockLayout) {
        for (c, targets) in self.targets.iter().enumerate() {
            for &(s, mode) in targets {
                let mut region = layout.region;
                if let (Mode::Replicate, Some(channel)) = (mode, layout.channels.get(c)) {
                    // The pixels this block's samples cover: from its first
                    // sample on (those above and left of it belong to the
                    // samples of the block before) to the reach of its last.
                    let (xs, ys) = (channel.x_sampling, channel.y_sampling);
                    region = Box2i {
                        min_x: first_sampled(region.min_x, xs),
                        min_y: first_sampled(region.min_y, ys),
                        max_x: last_covered(region.max_x, xs),
                        max_y: last_covered(region.max_y, ys),
                    };
                    if region.is_empty() {
                        continue;
                    }
                }
                // SAFETY: forwarded from the caller.
                unsafe { fill(&self.fb.slices[s], region) };
            }
        }
        // SAFETY: forwarded from the caller.
        unsafe { self.fill_missing(layout) };
    }
}

/// The range of `min..=max` (with samples every `step`) inside `lo..=hi`,
/// as indices `k` of the samples `first + k * step`.
fn sample_range(first: i64, count: u64, step: i64, lo: i64, hi: i64) -> Option<(u64, u64)> {
    let last = first + (count as i64 - 1) * step;
    let (from, to) = (lo.max(first), hi.min(last));
    if count == 0 || from > to {
        return None;
    }
    let k0 = (from - first + step - 1).div_euclid(step);
    let k1 = (to - first).div_euclid(step);
    (k0 <= k1).then_some((k0 as u64, k1 as u64))
}

/// Writes the samples of one line of `channel` (line `y` of `region`) into
/// `slice`.
///
/// # Safety
/// As for [`Plan::write_block`].
unsafe fn write_line(
    slice: &Slice,
    mode: Mode,
    channel: &ChannelLayout,
    region: Box2i,
    y: i32,
    line: &[u8],
) {
    let xs = i64::from(channel.x_sampling);
    let first_x = channel.first_x(region.min_x);
    let size = channel.pixel_type.size();
    match mode {
        Mode::Compact => {
            let row = i64::from(y).div_euclid(i64::from(channel.y_sampling)) - slice.first_row;
            if row < 0 || row as u64 >= slice.rows {
                return;
            }
            let first_column = first_x.div_euclid(xs) - slice.first_column;
            let Some((k0, k1)) = sample_range(
                first_column,
                channel.width as u64,
                1,
                0,
                slice.columns as i64 - 1,
            ) else {
                return;
            };
            let from = &line[k0 as usize * size..];
            let to = slice.at((first_column + k0 as i64) as u64, row as u64);
            // SAFETY: the samples lie inside the slice's window, which the
            // caller guarantees is writable.
            unsafe {
                convert_samples(
                    from,
                    channel.pixel_type,
                    to,
                    slice.pixel_type,
                    slice.x_stride,
                    (k1 - k0 + 1) as usize,
                )
            };
        }
        Mode::Replicate => {
            let ys = i64::from(channel.y_sampling);
            let (min_x, max_x) = (
                slice.first_column,
                slice.first_column + slice.columns as i64 - 1,
            );
            let (min_y, max_y) = (slice.first_row, slice.first_row + slice.rows as i64 - 1);
            let y = i64::from(y);
            for k in 0..channel.width {
                let x = first_x + k as i64 * xs;
                let mut value = [0u8; 4];
                // SAFETY: one sample into a local of four bytes.
                unsafe {
                    convert_samples(
                        &line[k * size..],
                        channel.pixel_type,
                        value.as_mut_ptr(),
                        slice.pixel_type,
                        0,
                        1,
                    )
                };
                for row in y.max(min_y)..=(y + ys - 1).min(max_y) {
                    for column in x.max(min_x)..=(x + xs - 1).min(max_x) {
                        let to = slice.at((column - min_x) as u64, (row - min_y) as u64);
                        // SAFETY: inside the slice's window.
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                value.as_ptr(),
                                to,
                                slice.pixel_type.size(),
                            )
                        };
                    }
                }
            }
        }
    }
}

/// Stores the slice's fill value at every sample it addresses in `region`.
///
/// # Safety
/// As for [`Plan::write_block`].
unsafe fn fill(slice: &Slice, region: Box2i) {
    let value = fill_bytes(slice.fill, slice.pixel_type);
    let size = slice.pixel_type.size();
    let (xs, ys) = (i64::from(slice.x_sampling), i64::from(slice.y_sampling));
    let rows = sample_range(
        slice.first_row,
        slice.rows,
        1,
        first_sample_index(region.min_y, slice.y_sampling),
        i64::from(region.max_y).div_euclid(ys),
    );
    let columns = sample_range(
        slice.first_column,
        slice.columns,
        1,
        first_sample_index(region.min_x, slice.x_sampling),
        i64::from(region.max_x).div_euclid(xs),
    );
    let (Some((r0, r1)), Some((c0, c1))) = (rows, columns) else {
        return;
    };
    for row in r0..=r1 {
        for column in c0..=c1 {
            // SAFETY: inside the slice's window.
            unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), slice.at(column, row), size) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::types::PixelType;

    fn channel(name: &str, pixel_type: PixelType, sampling: i32) -> Channel {
        Channel {
            name: name.into(),
            pixel_type,
            p_linear: false,
            x_sampling: sampling,
            y_sampling: sampling,
        }
    }

    /// A frame buffer of G, R, Y (2x2) and a channel the part lacks.
    fn frame<'a>(
        window: Box2i,
        g: &'a mut [f32],
        r: &'a mut [half::f16],
        y: &'a mut [half::f16],
        missing: &'a mut [u32],
    ) -> FrameBuffer<'a> {
        let mut fb = FrameBuffer::new(window).expect("window");
        fb.add("G", g, 0.0).expect("G");
        fb.add("R", r, 0.0).expect("R");
        fb.add_sampled("Y", y, 2, 2, 0.0).expect("Y");
        fb.add("none", missing, 7.0).expect("missing");
        fb
    }

    /// Lines handed out straight land in the caller's buffers where the
    /// scatter would put them; anything the scatter must convert, clip
    /// or duplicate gets none.
    #[test]
    fn direct_runs_are_the_callers_lines() {
        let window = Box2i {
            min_x: -2,
            min_y: 3,
            max_x: 5,
            max_y: 8,
        };
        let channels = [
            channel("G", PixelType::Float, 1),
            channel("R", PixelType::Half, 1),
            channel("Y", PixelType::Half, 2),
        ];
        let block = Box2i {
            min_y: 4,
            max_y: 7,
            ..window
        };
        let layout = BlockLayout::new(&channels, block).expect("layout");
        let mut g = vec![0f32; 48];
        let mut r = vec![half::f16::ZERO; 48];
        let mut y = vec![half::f16::ZERO; 12];
        let mut missing = vec![0u32; 48];
        let fb = frame(window, &mut g, &mut r, &mut y, &mut missing);
        let plan = Plan::new(&channels, &fb).expect("plan");
        // SAFETY: the frame buffer's slices borrow the vectors above, which
        // nothing else touches until it is dropped.
        let mut runs = unsafe { plan.direct_runs(&layout) }.expect("straight");
        assert_eq!(runs.len(), layout.segments().count());
        for ((_, c, bytes), run) in layout.segments().zip(&mut runs) {
            assert_eq!(run.len(), bytes.len());
            let value = (c as u8 + 1) * 16 + bytes.start as u8 % 16;
            run.fill(value);
        }
        drop(runs);
        // SAFETY: as above.
        unsafe { plan.fill_missing(&layout) };
        let mut block_bytes = vec![0u8; layout.unpacked_size];
        for (_, c, bytes) in layout.segments() {
            let value = (c as u8 + 1) * 16 + bytes.start as u8 % 16;
            block_bytes[bytes].fill(value);
        }
        let straight = (g.clone(), r.clone(), y.clone(), missing.clone());
        g.fill(0.0);
        r.fill(half::f16::ZERO);
        y.fill(half::f16::ZERO);
        missing.fill(0);
        let fb = frame(window, &mut g, &mut r, &mut y, &mut missing);
        let plan = Plan::new(&channels, &fb).expect("plan");
        // SAFETY: as above.
        unsafe { plan.write_block(&layout, &block_bytes) };
        drop(fb);
        let g_bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(g_bits(&straight.0), g_bits(&g));
        assert_eq!(straight.1, r);
        assert_eq!(straight.2, y);
        assert_eq!(straight.3, missing);
        assert!(missing[8..40].iter().all(|&v| v == 7));

        // A conversion, a duplicate slice or a clipped window: no runs.
        let mut as_float = vec![0f32; 48];
        let mut fb = FrameBuffer::new(window).expect("window");
        fb.add("R", &mut as_float, 0.0).expect("R");
        let plan = Plan::new(&channels, &fb).expect("plan");
        // SAFETY: as above.
        assert!(unsafe { plan.direct_runs(&layout) }.is_none());
        drop(fb);
        let (mut one, mut two) = (vec![0f32; 48], vec![0f32; 48]);
        let mut fb = FrameBuffer::new(window).expect("window");
        fb.add("G", &mut one, 0.0).expect("G");
        fb.add("G", &mut two, 0.0).expect("G again");
        let plan = Plan::new(&channels[..1], &fb).expect("plan");
        // SAFETY: as above.
        assert!(unsafe { plan.direct_runs(&layout) }.is_none());
        drop(fb);
        let narrow = Box2i { min_x: 0, ..window };
        let mut clipped = vec![0f32; 36];
        let mut fb = FrameBuffer::new(narrow).expect("window");
        fb.add("G", &mut clipped, 0.0).expect("G");
        let plan = Plan::new(&channels[..1], &fb).expect("plan");
        let layout = BlockLayout::new(&channels[..1], block).expect("layout");
        // SAFETY: as above.
        assert!(unsafe { plan.direct_runs(&layout) }.is_none());
    }
}
