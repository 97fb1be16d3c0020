//! Luminance/chroma to RGBA, bit for bit as OpenEXR's `RgbaInputFile`
//! converts a part whose channels include `RY` or `BY`.
//!
//! Such a part stores luminance `Y` and alpha `A` per pixel and the chroma
//! differences `RY = (R - Y) / Y` and `BY = (B - Y) / Y` once per 2x2 pixels,
//! at even columns of even rows. RgbaInputFile turns it back into RGBA in
//! four steps, holding every intermediate value as `half`; so does this
//! module (keeping the halves in `f32` for speed), rounding where it rounds
//! and summing in its order:
//!
//! 1. Each even row's chroma is filled in at odd columns by a symmetric
//!    filter over the row's samples at odd distances up to 13 (a 27-pixel
//!    window).
//! 2. Each odd row's chroma comes from the same filter run down the column
//!    over the even rows at odd distances up to 13.
//! 3. `Y`, `RY` and `BY` become R, G and B with luminance weights from the
//!    part's `chromaticities` attribute (Rec. 709 primaries and D65 white
//!    when it has none). Zero chroma gives grey with R = G = B = Y exactly.
//! 4. A pixel much more saturated than its four diagonal neighbours is
//!    pulled toward grey, keeping its luminance.
//!
//! A part without `Y` reads luminance 0.5, without `A` alpha 1, and without
//! one of `RY`/`BY` that chroma as 0, as RgbaInputFile fills them.
//!
//! Edges of the data window (OpenEXR requires 2x2-sampled channels to have
//! an even origin and size): columns beyond either side take the chroma of
//! the first or last sample of the row; rows above the top read as the top
//! row, and rows below the bottom read as the last even row, so the row after
//! the last is a copy of the one two above it (RgbaInputFile's choice, kept
//! for exactness). The saturation fix repeats edge pixels as neighbours.
//! A window smaller than the data window has no edges of its own: the
//! filters read up to 14 rows and columns past it inside the data window,
//! so each of its pixels equals the same pixel of a whole-image decode.
//!
//! Memory: [`YcaRows`] holds the decoded rows of one band plus the 28 rows
//! of filter reach from the band before, about 9 bytes per pixel of the
//! input columns (half `Y` and `A`, compact chroma samples, and chroma
//! filled in across even rows); [`RowConverter`] holds a few rows of RGBA
//! per worker. Nothing is proportional to the image's height.

use std::ops::{Add, Div, Mul, Sub};

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::FrameBuffer;
use crate::error::{try_resize, Error, Result};
use crate::meta::types::Box2i;
use crate::meta::value::Chromaticities;

/// How far the chroma filter reaches on each side of the value it makes, in
/// columns or rows.
pub const FILTER_REACH: i32 = 13;

/// The filter's weights for the samples at distances 13, 11, ..., 3, 1 (it
/// is symmetric and skips the even distances, where there are no samples).
const WEIGHTS: [f32; 7] = [
    0.002128, -0.007540, 0.019597, -0.043159, 0.087929, -0.186077, 0.627123,
];

/// Number of samples the filter reads: odd distances 1 to 13 on both sides.
const TAPS: usize = 14;

/// The weight of tap `k` (0 to 13), which reads the sample at offset
/// `2k - 13`.
fn weight(k: usize) -> f32 {
    WEIGHTS[k.min(TAPS - 1 - k)]
}

/// `v` rounded to the nearest `half` (ties to even, overflow to infinity),
/// as `f32`.
fn to_half(v: f32) -> f32 {
    f16::from_f32(v).to_f32()
}

/// Rounds every value of `values` to the nearest `half`, using `scratch`.
fn round_to_half(values: &mut [f32], scratch: &mut Vec<f16>) {
    scratch.clear();
    scratch.resize(values.len(), f16::ZERO);
    scratch.convert_from_f32_slice(values);
    scratch.convert_to_f32_slice(values);
}

/// `f32` arithmetic for the conversion: plain `f32`, or [`Sse`] to redo a
/// computation whose result is NaN.
trait Arith:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// The value `v`.
    fn of(v: f32) -> Self;
    /// The value as `f32`.
    fn get(self) -> f32;
}

impl Arith for f32 {
    fn of(v: f32) -> Self {
        v
    }
    fn get(self) -> f32 {
        self
    }
}

/// `f32` with x86 SSE's NaN rules applied to the operands in the order the
/// expression is written: a NaN operand comes through quieted, the left one
/// when both are, and an invalid operation gives the default NaN (negative,
/// quiet).
///
/// Only the sign and payload of NaN results depend on this. The compiler
/// may swap the operands of `+` and `*`, and which of two NaNs survives
/// depends on that; RgbaInputFile's build keeps the written order, so
/// results that come out NaN are recomputed with this type to match its
/// bits. Results that are not NaN are the same either way.
#[derive(Debug, Clone, Copy)]
struct Sse(f32);

/// The default NaN of x86 arithmetic.
const DEFAULT_NAN: u32 = 0xffc0_0000;

/// The result of an SSE operation on `a` and `b` whose IEEE result is `r`.
fn sse(a: f32, b: f32, r: f32) -> Sse {
    let quiet = |v: f32| f32::from_bits(v.to_bits() | 0x0040_0000);
    Sse(if a.is_nan() {
        quiet(a)
    } else if b.is_nan() {
        quiet(b)
    } else if r.is_nan() {
        f32::from_bits(DEFAULT_NAN)
    } else {
        r
    })
}

impl Add for Sse {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        sse(self.0, o.0, self.0 + o.0)
    }
}

impl Sub for Sse {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        sse(self.0, o.0, self.0 - o.0)
    }
}

impl Mul for Sse {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        sse(self.0, o.0, self.0 * o.0)
    }
}

impl Div for Sse {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        sse(self.0, o.0, self.0 / o.0)
    }
}

impl Arith for Sse {
    fn of(v: f32) -> Self {
        Sse(v)
    }
    fn get(self) -> f32 {
        self.0
    }
}

/// Runs the filter in `T` over the 14 samples at offsets -13, -11, ..., 11,
/// 13, summing in that order from the first tap as OpenEXR does (not
/// rounded to `half`).
fn filter_in<T: Arith>(sample: impl Fn(usize) -> f32) -> f32 {
    let tap = |k: usize| T::of(sample(k)) * T::of(weight(k));
    (1..TAPS).fold(tap(0), |sum, k| sum + tap(k)).get()
}

/// The filter over the 14 samples at offsets -13, -11, ..., 11, 13 (not
/// rounded to `half`).
fn filter(sample: impl Fn(usize) -> f32) -> f32 {
    let sum = filter_in::<f32>(&sample);
    if sum.is_nan() {
        filter_in::<Sse>(sample)
    } else {
        sum
    }
}

/// OpenEXR's default chromaticities: Rec. 709 primaries, D65 white.
const REC709: Chromaticities = Chromaticities {
    red: [0.64, 0.33],
    green: [0.30, 0.60],
    blue: [0.15, 0.06],
    white: [0.3127, 0.3290],
};

/// The weights that make luminance from linear R, G and B under
/// `chromaticities` (Rec. 709 primaries and D65 white when `None`): the Y row
/// of the RGB to XYZ matrix for a white of luminance 1, scaled to sum to 1.
///
/// Fails, as OpenEXR does, when the white point's y is zero or the
/// primaries are collinear. The arithmetic runs in `f32` in OpenEXR's order
/// so the weights, and every pixel made with them, match its own.
pub fn luminance_weights(chromaticities: Option<&Chromaticities>) -> Result<[f32; 3]> {
    let c = chromaticities.unwrap_or(&REC709);
    let [wx, wy] = c.white;
    if wy.abs() <= 1.0 && wx.abs() >= wy.abs() * f32::MAX {
        return Err(Error::Unsupported(format!(
            "chromaticities: white point ({wx}, {wy}) has y = 0, so luminance cannot be computed"
        )));
    }
    let v = Sse;
    let one = v(1.0);
    let ([rx, ry], [gx, gy], [bx, by]) = (c.red.map(v), c.green.map(v), c.blue.map(v));
    // XYZ of the white point at luminance 1.
    let x = v(wx) / v(wy);
    let z = (one - v(wx) - v(wy)) / v(wy);
    let xz = x + z;
    // Each primary's share of the white, by Cramer's rule: a common
    // denominator and one numerator per primary, each built from the other
    // two primaries' terms `(p.y - 1) + p.y * (X + Z)`.
    let term = |py: Sse| (py - one) + py * xz;
    let det = rx * (by - gy) + bx * (gy - ry) + gx * (ry - by);
    let red = x * (by - gy) - gx * term(by) + bx * term(gy);
    let green = x * (ry - by) + rx * term(by) - bx * term(ry);
    let blue = x * (gy - ry) - rx * term(gy) + gx * term(ry);
    let limit = det.0.abs() * f32::MAX;
    if det.0.abs() < 1.0 && [red, green, blue].iter().any(|n| n.0.abs() >= limit) {
        return Err(Error::Unsupported(
            "chromaticities: the primaries are collinear, so luminance cannot be computed".into(),
        ));
    }
    let y = [(red / det) * ry, (green / det) * gy, (blue / det) * by];
    let sum = y[0] + y[1] + y[2];
    Ok(y.map(|c| (c / sum).0))
}

/// One pixel: red, green, blue and alpha, each a `half` value held as
/// `f32`.
pub type Pixel = [f32; 4];

/// The largest of R, G and B, comparing as C++'s `std::max` does (a NaN
/// in the first place wins, one in the second loses).
fn max_rgb(p: &Pixel) -> f32 {
    let gb = if p[1] < p[2] { p[2] } else { p[1] };
    if p[0] < gb {
        gb
    } else {
        p[0]
    }
}

/// The smallest of R, G and B, comparing as C++'s `std::min` does.
fn min_rgb(p: &Pixel) -> f32 {
    let gb = if p[2] < p[1] { p[2] } else { p[1] };
    if gb < p[0] {
        gb
    } else {
        p[0]
    }
}

/// How far from grey a pixel is: 0 for grey, 1 when a component is 0.
fn saturation(p: &Pixel) -> f32 {
    let max = max_rgb(p);
    if max > 0.0 {
        1.0 - min_rgb(p) / max
    } else {
        0.0
    }
}

/// Whether R, G or B is NaN.
fn has_nan(p: &Pixel) -> bool {
    p[..3].iter().any(|c| c.is_nan())
}

/// Luminance under `weights`, in `T`.
fn luminance<T: Arith>(p: &Pixel, weights: &[f32; 3]) -> T {
    let c = |i: usize| T::of(p[i]) * T::of(weights[i]);
    c(0) + c(1) + c(2)
}

/// The pixel with its distance from its largest component scaled by
/// `factor`, then rescaled to its former luminance.
fn desaturated(p: &Pixel, factor: f32, weights: &[f32; 3]) -> Pixel {
    let out = desaturated_in::<f32>(p, factor, weights);
    if has_nan(&out) {
        desaturated_in::<Sse>(p, factor, weights)
    } else {
        out
    }
}

/// [`desaturated`] computed in `T`.
fn desaturated_in<T: Arith>(p: &Pixel, factor: f32, weights: &[f32; 3]) -> Pixel {
    let max = T::of(max_rgb(p));
    let pull = |c: f32| {
        let v = (max - (max - T::of(c)) * T::of(factor)).get();
        to_half(if v < 0.0 { 0.0 } else { v })
    };
    let mut out = [pull(p[0]), pull(p[1]), pull(p[2]), p[3]];
    let before: T = luminance(p, weights);
    let after: T = luminance(&out, weights);
    if after.get() > 0.0 {
        for c in &mut out[..3] {
            *c = to_half((T::of(*c) * (before / after)).get());
        }
    }
    out
}

/// RGB from luminance `y` and chroma `[RY, BY]`, with alpha `a` (all half
/// values), before R, G and B are rounded to half.
fn to_rgb(weights: &[f32; 3], y: f32, chroma: [f32; 2], a: f32) -> Pixel {
    if chroma[0] == 0.0 && chroma[1] == 0.0 {
        return [y, y, y, a];
    }
    let out = to_rgb_in::<f32>(weights, y, chroma, a);
    if has_nan(&out) {
        to_rgb_in::<Sse>(weights, y, chroma, a)
    } else {
        out
    }
}

/// [`to_rgb`] for chroma that is not all zero, computed in `T`.
fn to_rgb_in<T: Arith>(weights: &[f32; 3], y: f32, chroma: [f32; 2], a: f32) -> Pixel {
    let (one, w, y) = (T::of(1.0), weights.map(T::of), T::of(y));
    let r = (T::of(chroma[0]) + one) * y;
    let b = (T::of(chroma[1]) + one) * y;
    let g = (y - r * w[0] - b * w[2]) / w[1];
    [r.get(), g.get(), b.get(), a]
}

/// The saturation fix of one row: `row` with each pixel checked against
/// the saturation of its diagonal neighbours in the rows above and below.
/// Saturations of all three rows are given; edges repeat the outermost
/// pixel.
fn fix_saturation(
    weights: &[f32; 3],
    above: &[f32],
    (row, own): (&[Pixel], &[f32]),
    below: &[f32],
    out: &mut [Pixel],
) {
    let last = row.len().saturating_sub(1);
    for (i, ((pixel, &s), out)) in row.iter().zip(own).zip(out.iter_mut()).enumerate() {
        let (l, r) = (i.saturating_sub(1), (i + 1).min(last));
        let mean = 0.25 * (above[l] + above[r] + below[l] + below[r]);
        let mean = if mean < 1.0 { mean } else { 1.0 };
        *out = *pixel;
        if s > mean {
            let limit = 1.0 - (1.0 - mean) * 0.25;
            let limit = if limit < 1.0 { limit } else { 1.0 };
            if s > limit {
                *out = desaturated(pixel, limit / s, weights);
            }
        }
    }
}

/// Whether `v` is even (for negative values too).
fn is_even(v: i32) -> bool {
    v.rem_euclid(2) == 0
}

/// Where a conversion reads and writes, in the file's coordinates.
#[derive(Debug, Clone, Copy)]
pub struct YcaLayout {
    /// The part's data window (even origin and size).
    data: Box2i,
    /// The pixels to produce: the requested window inside the data window.
    output: Box2i,
    /// First and last column of RGB that the output needs (its own and one
    /// neighbour each side, inside the data window).
    rgb_columns: (i32, i32),
    /// The pixels to decode: the output grown by the filters' reach (and
    /// the saturation fix's), inside the data window, starting at an even
    /// column and row.
    input: Box2i,
}

impl YcaLayout {
    /// The layout for producing `window` of a part with data window `data`,
    /// or `None` when they do not meet. `data` must have an even origin and
    /// size, as 2x2-sampled channels require.
    pub fn new(data: Box2i, window: Box2i) -> Option<Self> {
        let output = Box2i {
            min_x: window.min_x.max(data.min_x),
            min_y: window.min_y.max(data.min_y),
            max_x: window.max_x.min(data.max_x),
            max_y: window.max_y.min(data.max_y),
        };
        if output.is_empty() {
            return None;
        }
        // One more for the saturation fix's neighbours.
        let reach = FILTER_REACH + 1;
        let rgb_columns = (
            output.min_x.saturating_sub(1).max(data.min_x),
            output.max_x.saturating_add(1).min(data.max_x),
        );
        let even_floor = |v: i32| v - v.rem_euclid(2);
        let input = Box2i {
            min_x: even_floor(output.min_x.saturating_sub(reach).max(data.min_x)),
            min_y: even_floor(output.min_y.saturating_sub(reach).max(data.min_y)),
            max_x: output.max_x.saturating_add(reach).min(data.max_x),
            max_y: output.max_y.saturating_add(reach).min(data.max_y),
        };
        Some(Self {
            data,
            output,
            rgb_columns,
            input,
        })
    }

    /// The pixels produced.
    pub fn output(&self) -> Box2i {
        self.output
    }

    /// The pixels decoded.
    pub fn input(&self) -> Box2i {
        self.input
    }

    /// The last output row whose input is all held once the input rows up
    /// to `loaded` are (below the first output row when none is).
    pub fn last_ready(&self, loaded: i32) -> i32 {
        if loaded >= self.input.max_y {
            self.output.max_y
        } else {
            self.output
                .max_y
                .min(loaded.saturating_sub(FILTER_REACH + 1))
        }
    }

    /// The first input row that output row `y` needs.
    pub fn first_row_needed(&self, y: i32) -> i32 {
        y.saturating_sub(FILTER_REACH + 1).max(self.data.min_y)
    }

    /// The data row that row `y` reads, for `y` at most 14 rows outside the
    /// data window: above the top, the top row; below the bottom, the last
    /// even row.
    fn source_row(&self, y: i32) -> i32 {
        if y < self.data.min_y {
            self.data.min_y
        } else if y > self.data.max_y {
            self.data.max_y - 1
        } else {
            y
        }
    }

    /// Width of the RGB rows.
    fn rgb_width(&self) -> usize {
        (self.rgb_columns.1 - self.rgb_columns.0 + 1) as usize
    }

    /// Width of the input rows.
    fn input_width(&self) -> usize {
        self.input.width() as usize
    }

    /// Chroma samples in an input row (one per even column).
    fn input_samples(&self) -> usize {
        self.input_width().div_ceil(2)
    }
}

/// `rows * width`, or an error when the product overflows.
fn checked_len(rows: usize, width: usize) -> Result<usize> {
    rows.checked_mul(width)
        .ok_or_else(|| Error::LimitExceeded("luminance/chroma rows larger than memory".into()))
}

/// Decoded input of a run of rows, loaded band by band from the top and
/// forgotten from the top once no output row needs it.
#[derive(Debug)]
pub struct YcaRows {
    layout: YcaLayout,
    /// First row held; always even.
    first: i32,
    /// Rows held.
    count: usize,
    /// `Y` per pixel of the input columns.
    luminance: Vec<f16>,
    /// `A` per pixel of the input columns.
    alpha: Vec<f16>,
    /// `RY` per sample (even columns) of each even row.
    ry: Vec<f16>,
    /// `BY` per sample of each even row.
    by: Vec<f16>,
    /// `[RY, BY]` of each even row across the RGB columns, filled in
    /// between the samples.
    chroma: Vec<[f32; 2]>,
}

impl YcaRows {
    /// No rows yet; the first load starts at the layout's first input row.
    pub fn new(layout: YcaLayout) -> Self {
        Self {
            layout,
            first: layout.input.min_y,
            count: 0,
            luminance: Vec::new(),
            alpha: Vec::new(),
            ry: Vec::new(),
            by: Vec::new(),
            chroma: Vec::new(),
        }
    }

    /// The row after the last one held: where the next load starts.
    pub fn end(&self) -> i32 {
        self.first + self.count as i32
    }

    /// Makes room for rows `end()..=last` and returns a frame buffer that
    /// decodes `Y`, `A`, `RY` and `BY` of those rows into place, with
    /// RgbaInputFile's fill values for missing channels. `end()` must be
    /// even. Call [`YcaRows::fill_in_chroma`] for the rows once decoded.
    pub fn load(&mut self, last: i32) -> Result<FrameBuffer<'_>> {
        let start = self.end();
        if !is_even(start) || last < start {
            return Err(Error::Internal(format!(
                "luminance/chroma rows {start}..={last} cannot be loaded"
            )));
        }
        let added = (last - start + 1) as usize;
        let old_pairs = self.count / 2;
        let rows = self.count + added;
        let pairs = rows.div_ceil(2);
        let (width, samples) = (self.layout.input_width(), self.layout.input_samples());
        try_resize(&mut self.luminance, checked_len(rows, width)?)?;
        try_resize(&mut self.alpha, checked_len(rows, width)?)?;
        try_resize(&mut self.ry, checked_len(pairs, samples)?)?;
        try_resize(&mut self.by, checked_len(pairs, samples)?)?;
        try_resize(
            &mut self.chroma,
            checked_len(pairs, self.layout.rgb_width())?,
        )?;
        self.count = rows;
        let window = Box2i {
            min_y: start,
            max_y: last,
            ..self.layout.input
        };
        let mut fb = FrameBuffer::new(window)?;
        let at = (rows - added) * width;
        fb.add("Y", &mut self.luminance[at..], 0.5)?;
        fb.add("A", &mut self.alpha[at..], 1.0)?;
        fb.add_sampled("RY", &mut self.ry[old_pairs * samples..], 2, 2, 0.0)?;
        fb.add_sampled("BY", &mut self.by[old_pairs * samples..], 2, 2, 0.0)?;
        Ok(fb)
    }

    /// The chroma samples of the even rows from `from` on (an even row
    /// held), the rows their filled-in chroma goes to, and the length of
    /// one such row, for [`ChromaSamples::fill_in`].
    pub fn fill_in_chroma(&mut self, from: i32) -> (ChromaSamples<'_>, &mut [[f32; 2]], usize) {
        let pair = ((from - self.first).max(0) / 2) as usize;
        let samples = self.layout.input_samples();
        let width = self.layout.rgb_width();
        let from_sample = (pair * samples).min(self.ry.len());
        let source = ChromaSamples {
            layout: self.layout,
            ry: &self.ry[from_sample..],
            by: &self.by[from_sample..],
        };
        let from_entry = (pair * width).min(self.chroma.len());
        (source, &mut self.chroma[from_entry..], width)
    }

    /// Forgets the rows before `row` (rounded down to even).
    pub fn forget_before(&mut self, row: i32) {
        let row = row - row.rem_euclid(2);
        if row <= self.first {
            return;
        }
        let dropped = ((row - self.first) as usize).min(self.count);
        let dropped = dropped - dropped % 2;
        let (width, samples) = (self.layout.input_width(), self.layout.input_samples());
        let pairs = dropped / 2;
        for v in [&mut self.luminance, &mut self.alpha] {
            v.drain(..(dropped * width).min(v.len()));
        }
        for v in [&mut self.ry, &mut self.by] {
            v.drain(..(pairs * samples).min(v.len()));
        }
        let n = (pairs * self.layout.rgb_width()).min(self.chroma.len());
        self.chroma.drain(..n);
        self.first += dropped as i32;
        self.count -= dropped;
    }

    /// Index of data row `y` among the rows held.
    fn index(&self, y: i32) -> usize {
        (y - self.first) as usize
    }

    /// `Y` and `A` of data row `y` across the RGB columns.
    fn luminance_alpha(&self, y: i32) -> (&[f16], &[f16]) {
        let layout = &self.layout;
        let from = self.index(y) * layout.input_width()
            + (layout.rgb_columns.0 - layout.input.min_x) as usize;
        let range = from..from + layout.rgb_width();
        (&self.luminance[range.clone()], &self.alpha[range])
    }

    /// Filled-in chroma of even data row `y` across the RGB columns.
    fn chroma_row(&self, y: i32) -> &[[f32; 2]] {
        let width = self.layout.rgb_width();
        let from = self.index(y) / 2 * width;
        &self.chroma[from..from + width]
    }
}

/// Chroma samples of consecutive even rows, read to fill in their rows.
#[derive(Debug)]
pub struct ChromaSamples<'a> {
    layout: YcaLayout,
    ry: &'a [f16],
    by: &'a [f16],
}

impl ChromaSamples<'_> {
    /// Fills `out` (the RGB columns) with row `pair`'s chroma: samples at
    /// even columns, the filter rounded to half at odd ones, the first or
    /// last sample of the data window beyond its edges.
    pub fn fill_in(&self, pair: usize, out: &mut [[f32; 2]]) {
        let layout = &self.layout;
        let samples = layout.input_samples();
        let from = pair * samples;
        let (Some(ry), Some(by)) = (
            self.ry.get(from..from + samples),
            self.by.get(from..from + samples),
        ) else {
            return;
        };
        // The samples at every even column the filter reaches from the RGB
        // columns, beyond the data window's edges repeating the first or
        // last sample, as f32.
        let (lo, hi) = (layout.data.min_x, layout.data.max_x - 1);
        let (reach_lo, reach_hi) = (
            layout.rgb_columns.0 - FILTER_REACH,
            layout.rgb_columns.1 + FILTER_REACH,
        );
        let start = reach_lo - reach_lo.rem_euclid(2);
        let count = ((reach_hi - start) / 2 + 1) as usize;
        let origin = layout.input.min_x;
        let mut values = vec![0f32; 2 * count];
        for (j, pair) in values.chunks_exact_mut(2).enumerate() {
            let at = ((start + 2 * j as i32).clamp(lo, hi) - origin) as usize / 2;
            pair.copy_from_slice(&[ry[at].to_f32(), by[at].to_f32()]);
        }
        let sample = |x: i32| ((x - start) / 2) as usize;
        for (x, out) in (layout.rgb_columns.0..=layout.rgb_columns.1).zip(out.iter_mut()) {
            *out = if is_even(x) {
                let at = 2 * sample(x);
                [values[at], values[at + 1]]
            } else {
                let first = sample(x - FILTER_REACH);
                let taps = &values[2 * first..2 * (first + TAPS)];
                [filter(|k| taps[2 * k]), filter(|k| taps[2 * k + 1])]
            };
        }
        round_to_half(out.as_flattened_mut(), &mut Vec::new());
    }
}

/// One worker's rows for turning held input into output rows: the RGB of
/// three consecutive rows with their saturations, and room for the result.
#[derive(Debug)]
pub struct RowConverter {
    weights: [f32; 3],
    /// RGB rows `y - 1`, `y`, `y + 1` by `y mod 3`.
    rgb: [Vec<Pixel>; 3],
    saturation: [Vec<f32>; 3],
    /// Luminance and alpha of one row.
    luminance: Vec<f32>,
    alpha: Vec<f32>,
    /// Chroma of an odd row.
    chroma: Vec<[f32; 2]>,
    /// Room for rounding a row to half.
    halves: Vec<f16>,
    fixed: Vec<Pixel>,
}

impl RowConverter {
    /// Buffers for rows of `layout`, converting with luminance `weights`.
    pub fn new(layout: &YcaLayout, weights: [f32; 3]) -> Result<Self> {
        let width = layout.rgb_width();
        let mut converter = Self {
            weights,
            rgb: Default::default(),
            saturation: Default::default(),
            luminance: Vec::new(),
            alpha: Vec::new(),
            chroma: Vec::new(),
            halves: Vec::new(),
            fixed: Vec::new(),
        };
        for (p, s) in converter
            .rgb
            .iter_mut()
            .zip(converter.saturation.iter_mut())
        {
            try_resize(p, width)?;
            try_resize(s, width)?;
        }
        try_resize(&mut converter.luminance, width)?;
        try_resize(&mut converter.alpha, width)?;
        try_resize(&mut converter.chroma, width)?;
        try_resize(&mut converter.halves, checked_len(width, 4)?)?;
        try_resize(&mut converter.fixed, width)?;
        Ok(converter)
    }

    /// Produces output rows `first..=last` from `rows`, which must hold every
    /// input row they need, handing each row's output pixels to `emit`.
    pub fn convert(
        &mut self,
        rows: &YcaRows,
        first: i32,
        last: i32,
        mut emit: impl FnMut(i32, &[Pixel]),
    ) {
        let layout = &rows.layout;
        let skip = (layout.output.min_x - layout.rgb_columns.0) as usize;
        let width = layout.output.width() as usize;
        self.rgb_row(rows, first - 1);
        self.rgb_row(rows, first);
        for y in first..=last {
            self.rgb_row(rows, y + 1);
            let slot = |row: i32| row.rem_euclid(3) as usize;
            fix_saturation(
                &self.weights,
                &self.saturation[slot(y - 1)],
                (&self.rgb[slot(y)], &self.saturation[slot(y)]),
                &self.saturation[slot(y + 1)],
                &mut self.fixed,
            );
            emit(y, &self.fixed[skip..skip + width]);
        }
    }

    /// Computes the RGB row `y` (the data window's rows and one beyond each
    /// edge) and its saturations into their slot.
    fn rgb_row(&mut self, rows: &YcaRows, y: i32) {
        let layout = &rows.layout;
        let source = layout.source_row(y);
        let (luminance, alpha) = rows.luminance_alpha(source);
        luminance.convert_to_f32_slice(&mut self.luminance);
        alpha.convert_to_f32_slice(&mut self.alpha);
        let chroma = if is_even(y) {
            rows.chroma_row(source)
        } else {
            self.odd_row_chroma(rows, y);
            &self.chroma
        };
        let slot = y.rem_euclid(3) as usize;
        let out = &mut self.rgb[slot];
        for (i, out) in out.iter_mut().enumerate() {
            *out = to_rgb(&self.weights, self.luminance[i], chroma[i], self.alpha[i]);
        }
        round_to_half(out.as_flattened_mut(), &mut self.halves);
        for (s, p) in self.saturation[slot].iter_mut().zip(out.iter()) {
            *s = saturation(p);
        }
    }

    /// The chroma of odd row `y`: the filter down each column over the even
    /// rows around it, rounded to half.
    fn odd_row_chroma(&mut self, rows: &YcaRows, y: i32) {
        let layout = &rows.layout;
        let taps: [&[[f32; 2]]; TAPS] = std::array::from_fn(|k| {
            rows.chroma_row(layout.source_row(y - FILTER_REACH + 2 * k as i32))
        });
        for (k, row) in taps.iter().enumerate() {
            let w = weight(k);
            if k == 0 {
                for (sum, c) in self.chroma.iter_mut().zip(row.iter()) {
                    *sum = [c[0] * w, c[1] * w];
                }
            } else {
                for (sum, c) in self.chroma.iter_mut().zip(row.iter()) {
                    sum[0] += c[0] * w;
                    sum[1] += c[1] * w;
                }
            }
        }
        for (i, sum) in self.chroma.iter_mut().enumerate() {
            for (c, v) in sum.iter_mut().enumerate() {
                if v.is_nan() {
                    *v = filter_in::<Sse>(|k| taps[k][i][c]);
                }
            }
        }
        round_to_half(self.chroma.as_flattened_mut(), &mut self.halves);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rec709_weights_sum_to_one() {
        let w = luminance_weights(None).expect("weights");
        assert!((w[0] - 0.2126).abs() < 1e-3, "{w:?}");
        assert!((w[1] - 0.7152).abs() < 1e-3, "{w:?}");
        assert!((w[2] - 0.0722).abs() < 1e-3, "{w:?}");
    }

    #[test]
    fn degenerate_chromaticities_fail() {
        let mut c = REC709;
        c.white = [0.3, 0.0];
        assert!(luminance_weights(Some(&c)).is_err());
        let collinear = Chromaticities {
            red: [0.1, 0.2],
            green: [0.2, 0.2],
            blue: [0.3, 0.2],
            white: [0.3, 0.3],
        };
        assert!(luminance_weights(Some(&collinear)).is_err());
    }

    #[test]
    fn zero_chroma_is_exact_grey() {
        let w = luminance_weights(None).expect("weights");
        let y = to_half(0.37);
        assert_eq!(to_rgb(&w, y, [0.0, -0.0], 1.0), [y, y, y, 1.0]);
    }

    #[test]
    fn filter_weights_sum_to_one() {
        let sum: f32 = (0..TAPS).map(weight).sum();
        assert!((sum - 1.0).abs() < 1e-5, "{sum}");
        assert_eq!(to_half(filter(|_| 1.0)), 1.0);
    }

    #[test]
    fn max_and_min_follow_std_ordering_with_nan() {
        // std::max(r, x) keeps r when the comparison fails.
        assert!(max_rgb(&[f32::NAN, 1.0, 0.0, 1.0]).is_nan());
        // std::max(g, b) gives g when the comparison fails, and then
        // std::max(r, NaN) gives r.
        let p = [1.0, f32::NAN, 2.0, 1.0];
        assert_eq!(max_rgb(&p), 1.0);
        assert_eq!(min_rgb(&p), 1.0);
        assert!(max_rgb(&[1.0, 2.0, f32::NAN, 1.0]) == 2.0);
    }

    #[test]
    fn nan_results_follow_the_written_operand_order() {
        let inf = f32::INFINITY;
        // inf - inf makes the default NaN; adding a positive NaN to it keeps
        // the left operand.
        let made = (Sse(inf) - Sse(inf)).0;
        assert_eq!(made.to_bits(), DEFAULT_NAN);
        assert_eq!((Sse(made) + Sse(f32::NAN)).0.to_bits(), DEFAULT_NAN);
        assert_eq!((Sse(1.0) + Sse(f32::NAN)).0.to_bits(), f32::NAN.to_bits());
    }

    #[test]
    fn layout_grows_by_the_filter_reach_inside_the_data() {
        let data = Box2i {
            min_x: -10,
            min_y: 4,
            max_x: 89,
            max_y: 203,
        };
        let window = Box2i {
            min_x: 20,
            min_y: 3,
            max_x: 30,
            max_y: 100,
        };
        let layout = YcaLayout::new(data, window).expect("meets");
        assert_eq!(layout.output().min_y, 4);
        assert_eq!(layout.rgb_columns, (19, 31));
        let input = layout.input();
        assert_eq!((input.min_x, input.max_x), (6, 44));
        assert_eq!((input.min_y, input.max_y), (4, 114));
        assert_eq!(layout.source_row(2), 4);
        assert_eq!(layout.source_row(204), 202);
        assert_eq!(layout.last_ready(60), 46);
        assert_eq!(layout.last_ready(114), 100);
        let outside = Box2i {
            min_x: 100,
            ..window
        };
        assert!(YcaLayout::new(data, outside).is_none());
    }
}
