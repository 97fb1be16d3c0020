//! DWA's 8x8 inverse DCT, computed exactly as OpenEXR 3.5 computes it on
//! x86-64 CPUs with AVX (its `dctInverse8x8_avx_*` kernels, the path PyPI's
//! OpenEXR takes on such machines): the same constants, the same products
//! and sums in the same order, and the same shortcuts when the last rows of
//! coefficients are zero. Plain `f32` arithmetic in IEEE order gives those
//! bits on any CPU, so every machine decodes DWA to the same pixels.

/// OpenEXR's constants, as it writes them: a = cos(pi/4)/2, b, d, e, g =
/// cos(k pi/16)/2 for k = 1, 3, 5, 7 and c, f = cos(k pi/8)/2 for k = 1, 3.
const A: f32 = 3.535_536e-1;
const B: f32 = 4.903_927e-1;
const C: f32 = 4.619_398e-1;
const D: f32 = 4.157_349e-1;
const E: f32 = 2.777_855e-1;
const F: f32 = 1.913_422e-1;
const G: f32 = 9.754_573e-2;

/// Row-major position of each zig-zag index: coefficient `i` in the stream
/// goes to `ZIGZAG[i]` of the 8x8 block.
pub(super) const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// How many leading rows of the block can hold a non-zero coefficient
/// when the last non-zero one has zig-zag index `last`: OpenEXR picks its
/// kernel by this.
pub fn rows_in_use(last: usize) -> usize {
    match last {
        0..=1 => 1,
        2 => 2,
        3..=8 => 3,
        9 => 4,
        10..=19 => 5,
        20 => 6,
        21..=34 => 7,
        _ => 8,
    }
}

/// The value of every sample of a block whose only coefficient is `dc`.
pub fn inverse_dc_only(dc: f32) -> f32 {
    dc * A * A
}

/// Whether any of `values` is a NaN, checked without branching.
#[inline(always)]
pub fn any_nan(values: &[f32; 64]) -> bool {
    values.iter().fold(false, |any, v| any | v.is_nan())
}

/// Gives every NaN a transform left in `block` the bits OpenEXR gets on
/// x86-64 CPUs when its `inputs` hold at most one NaN payload: the first
/// NaN input, made quiet, or where there is none (the NaNs came from
/// infinities cancelling) x86's default NaN. Which of two NaN operands an
/// operation passes on is up to the CPU and the compiler, so without this
/// the bits of such blocks would differ between machines and builds.
#[inline(always)]
pub fn settle_nans(block: &mut [f32; 64], inputs: impl Iterator<Item = f32>) {
    if !any_nan(block) {
        return;
    }
    settle(block, inputs);
}

#[cold]
fn settle(block: &mut [f32; 64], mut inputs: impl Iterator<Item = f32>) {
    let nan = inputs
        .find(|v| v.is_nan())
        .map_or(X86_DEFAULT_NAN, |v| v.to_bits() | QUIET);
    for v in block.iter_mut().filter(|v| v.is_nan()) {
        *v = f32::from_bits(nan);
    }
}

/// The NaN x86 CPUs give for an invalid operation such as inf - inf.
const X86_DEFAULT_NAN: u32 = 0xffc0_0000;
/// The bit that makes a NaN quiet.
const QUIET: u32 = 0x0040_0000;

/// Eight values, one per row or column, operated on lane by lane (which
/// the compiler turns into vector instructions without changing a bit).
type Lanes = [f32; 8];

#[inline(always)]
fn mul(k: f32, v: &Lanes) -> Lanes {
    v.map(|x| k * x)
}

#[inline(always)]
fn add(a: Lanes, b: Lanes) -> Lanes {
    std::array::from_fn(|i| a[i] + b[i])
}

#[inline(always)]
fn sub(a: Lanes, b: Lanes) -> Lanes {
    std::array::from_fn(|i| a[i] - b[i])
}

/// `a + b` where the kernel computes term `b`, `a` where it skips it.
#[inline(always)]
fn plus(a: Lanes, b: Option<Lanes>) -> Lanes {
    b.map_or(a, |b| add(a, b))
}

#[inline(always)]
fn minus(a: Lanes, b: Option<Lanes>) -> Lanes {
    b.map_or(a, |b| sub(a, b))
}

/// Inverts the block in place; rows at and past `rows` are all zero.
#[inline(always)]
pub fn inverse(block: &mut [f32; 64], rows: usize) {
    match rows {
        0 | 1 => inverse_first_row(block),
        2 => inverse_rows::<2>(block),
        3 => inverse_rows::<3>(block),
        4 => inverse_rows::<4>(block),
        5 => inverse_rows::<5>(block),
        6 => inverse_rows::<6>(block),
        7 => inverse_rows::<7>(block),
        _ => inverse_rows::<8>(block),
    }
}

/// The block's columns: lane `r` of column `c` is row `r`'s value there.
#[inline(always)]
fn columns(block: &[f32; 64]) -> [Lanes; 8] {
    std::array::from_fn(|c| std::array::from_fn(|r| block[r * 8 + c]))
}

/// Only the first row holds coefficients: the kernel transforms that row
/// and scales it by `a` into every row.
#[inline(always)]
fn inverse_first_row(block: &mut [f32; 64]) {
    let mut first = [0f32; 8];
    first.copy_from_slice(&block[..8]);
    let row = row_pass(&first.map(|v| [v; 8])).map(|lanes| lanes[0] * A);
    for out in block.chunks_exact_mut(8) {
        out.copy_from_slice(&row);
    }
}

#[inline(always)]
fn inverse_rows<const ROWS: usize>(block: &mut [f32; 64]) {
    let transformed = row_pass(&columns(block));
    // Back to rows: lane `c` of row `r` is the row pass's output `c` of
    // row `r`.
    let rows: [Lanes; 8] = std::array::from_fn(|r| std::array::from_fn(|c| transformed[c][r]));
    let out = column_pass::<ROWS>(&rows);
    for (dst, row) in block.chunks_exact_mut(8).zip(out) {
        dst.copy_from_slice(&row);
    }
}

/// The 1D inverse of every row at once (`x[k]` holds column `k` of each
/// row), as the row pass of the AVX kernel forms it: each output a sum of
/// two sums of products. Returns the outputs in the same form.
#[inline(always)]
fn row_pass(x: &[Lanes; 8]) -> [Lanes; 8] {
    let even = [
        add(
            add(mul(A, &x[0]), mul(C, &x[2])),
            add(mul(A, &x[4]), mul(F, &x[6])),
        ),
        add(
            add(mul(A, &x[0]), mul(F, &x[2])),
            add(mul(-A, &x[4]), mul(-C, &x[6])),
        ),
        add(
            add(mul(A, &x[0]), mul(-F, &x[2])),
            add(mul(-A, &x[4]), mul(C, &x[6])),
        ),
        add(
            add(mul(A, &x[0]), mul(-C, &x[2])),
            add(mul(A, &x[4]), mul(-F, &x[6])),
        ),
    ];
    let odd = [
        add(
            add(mul(B, &x[1]), mul(D, &x[3])),
            add(mul(E, &x[5]), mul(G, &x[7])),
        ),
        add(
            add(mul(D, &x[1]), mul(-G, &x[3])),
            add(mul(-B, &x[5]), mul(-E, &x[7])),
        ),
        add(
            add(mul(E, &x[1]), mul(-B, &x[3])),
            add(mul(G, &x[5]), mul(D, &x[7])),
        ),
        add(
            add(mul(G, &x[1]), mul(-E, &x[3])),
            add(mul(D, &x[5]), mul(-B, &x[7])),
        ),
    ];
    butterfly(even, odd)
}

/// Outputs 0-3 are the sums of the even and odd parts, 4-7 their
/// differences in reverse.
#[inline(always)]
fn butterfly(even: [Lanes; 4], odd: [Lanes; 4]) -> [Lanes; 8] {
    [
        add(even[0], odd[0]),
        add(even[1], odd[1]),
        add(even[2], odd[2]),
        add(even[3], odd[3]),
        sub(even[3], odd[3]),
        sub(even[2], odd[2]),
        sub(even[1], odd[1]),
        sub(even[0], odd[0]),
    ]
}

/// The 1D inverse of every column at once (`x[r]` holds row `r`), rows
/// at and past `ROWS` (at least 2) zero: the terms of those rows are
/// skipped exactly as the kernel skips them (which matters for the sign of
/// zero results).
#[inline(always)]
fn column_pass<const ROWS: usize>(x: &[Lanes; 8]) -> [Lanes; 8] {
    let term = |k: f32, row: usize| (row < ROWS).then(|| mul(k, &x[row]));
    let row = |row: usize| (row < ROWS).then_some(&x[row]);
    let odd = [
        {
            let high = term(E, 5).map(|t| plus(t, term(G, 7)));
            plus(plus(mul(B, &x[1]), term(D, 3)), high)
        },
        {
            let middle = row(3).map(|r3| plus(mul(G, r3), term(B, 5)));
            minus(minus(mul(D, &x[1]), middle), term(E, 7))
        },
        plus(
            plus(minus(mul(E, &x[1]), term(B, 3)), term(G, 5)),
            term(D, 7),
        ),
        {
            let back = row(3).map(|r3| plus(mul(E, r3), term(B, 7)));
            minus(plus(mul(G, &x[1]), term(D, 5)), back)
        },
    ];
    let a0 = mul(A, &x[0]);
    let a4 = term(A, 4);
    let (sum, difference) = (plus(a0, a4), minus(a0, a4));
    let c_first = term(C, 2).map(|t| plus(t, term(F, 6)));
    let f_first = term(F, 2).map(|t| minus(t, term(C, 6)));
    let even = [
        plus(sum, c_first),
        plus(difference, f_first),
        minus(difference, f_first),
        minus(sum, c_first),
    ];
    butterfly(even, odd)
}

/// The forward transform's constants, OpenEXR's SSE2 kernel's decimals as
/// floats: cos(pi/4), then cos(k pi/16)/2 for k = 1, 2, 3, 5, 6, 7.
const C4: f32 = std::f32::consts::FRAC_1_SQRT_2;
const C1_HALF: f32 = 0.490_392_64;
const C2_HALF: f32 = 0.461_939_77;
const C3_HALF: f32 = 0.415_734_8;
const C5_HALF: f32 = 0.277_785_12;
const C6_HALF: f32 = 0.191_341_72;
const C7_HALF: f32 = 0.097_545_16;

/// Transforms the block in place, exactly as OpenEXR's SSE2 forward
/// kernel (the one every x86-64 build of it uses): the 1D transform down
/// the columns, then along the rows. The coefficients are left transposed:
/// the one of row `r` and column `c` at `c * 8 + r` (so that each pass
/// reads and writes whole rows, which keeps the transform in vectors).
#[inline(always)]
pub fn forward_transposed(block: &mut [f32; 64]) {
    let mut vertical = [0f32; 64];
    // Down the columns: lane `c` of row `k` of `vertical` is coefficient
    // `k` of column `c`.
    forward_pass(block, &mut vertical);
    let transposed: [f32; 64] = std::array::from_fn(|i| vertical[transposed(i)]);
    // Along the rows: lane `k` of row `j` is row coefficient `j` of column
    // coefficient `k`, the coefficient of row `k`, column `j`.
    forward_pass(&transposed, block);
}

/// Where [`forward_transposed`] leaves the coefficient that row-major
/// order has at `i`.
pub const fn transposed(i: usize) -> usize {
    i % 8 * 8 + i / 8
}

/// The 1D forward transform of eight rows of inputs into eight rows of
/// outputs, lane by lane: a loop over the lanes, which the compiler turns
/// into vector instructions.
#[inline(always)]
fn forward_pass(input: &[f32; 64], output: &mut [f32; 64]) {
    for lane in 0..8 {
        let s = |row: usize| input[row * 8 + lane];
        let a0 = s(0) + s(7);
        let a1 = s(1) + s(2);
        let a3 = s(3) + s(4);
        let a5 = s(5) + s(6);
        let a7 = s(0) - s(7);
        let a2 = s(1) - s(2);
        let a4 = s(3) - s(4);
        let a6 = s(5) - s(6);
        let k0 = C4 * (a0 + a3);
        let k1 = C4 * (a1 + a5);
        let out0 = 0.5 * (k0 + k1);
        let out4 = 0.5 * (k0 - k1);
        let x = a2 - a6;
        let y = a0 - a3;
        let out2 = C6_HALF * x + C2_HALF * y;
        let out6 = C6_HALF * y - C2_HALF * x;
        let k0 = C4 * (a1 - a5);
        let k1 = -C4 * (a2 + a6);
        let (x, y) = (a7 - k0, a4 + k1);
        let out3 = C3_HALF * x - C5_HALF * y;
        let out5 = C5_HALF * x + C3_HALF * y;
        let (x, y) = (a7 + k0, k1 - a4);
        let out1 = C1_HALF * x - C7_HALF * y;
        let out7 = C7_HALF * x + C1_HALF * y;
        for (row, value) in [out0, out1, out2, out3, out4, out5, out6, out7]
            .into_iter()
            .enumerate()
        {
            output[row * 8 + lane] = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_floats_openexr_uses() {
        let bits = [A, B, C, D, E, F, G].map(f32::to_bits);
        assert_eq!(
            bits,
            [
                0x3eb5_04fa,
                0x3efb_14c1,
                0x3eec_8360,
                0x3ed4_db34,
                0x3e8e_39e7,
                0x3e43_ef36,
                0x3dc7_c60e
            ]
        );
    }

    #[test]
    fn forward_constants_are_the_floats_openexr_uses() {
        let bits = [C4, C1_HALF, C2_HALF, C3_HALF, C5_HALF, C6_HALF, C7_HALF].map(f32::to_bits);
        assert_eq!(
            bits,
            [
                0x3f35_04f3,
                0x3efb_14be,
                0x3eec_835f,
                0x3ed4_db31,
                0x3e8e_39da,
                0x3e43_ef15,
                0x3dc7_c5c2
            ]
        );
    }

    #[test]
    fn forward_then_inverse_gives_the_block_back() {
        let mut block: [f32; 64] = std::array::from_fn(|i| ((i * 37) % 11) as f32 * 0.25 - 1.0);
        let original = block;
        forward_transposed(&mut block);
        let mut coefficients: [f32; 64] = std::array::from_fn(|i| block[transposed(i)]);
        inverse(&mut coefficients, 8);
        let block = coefficients;
        for (a, b) in block.iter().zip(&original) {
            assert!((a - b).abs() < 1e-4, "{a} {b}");
        }
    }

    #[test]
    fn a_lone_dc_coefficient_inverts_to_a_flat_block() {
        let mut block = [0f32; 64];
        block[0] = 8.0;
        inverse(&mut block, rows_in_use(0));
        let flat = inverse_dc_only(8.0);
        assert!((flat - 1.0).abs() < 1e-5, "{flat}");
        for v in block {
            assert!((v - flat).abs() < 1e-6, "{v} {flat}");
        }
    }
}
