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
pub const ZIGZAG: [usize; 64] = [
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

/// Inverts the block in place; rows at and past `rows` are all zero.
pub fn inverse(block: &mut [f32; 64], rows: usize) {
    if rows <= 1 {
        let first = row_pass(&block[..8]);
        for row in block.chunks_exact_mut(8) {
            for (out, v) in row.iter_mut().zip(first) {
                *out = v * A;
            }
        }
        return;
    }
    let mut r = [[0f32; 8]; 8];
    for (out, row) in r.iter_mut().zip(block.chunks_exact(8)).take(rows) {
        *out = row_pass(row);
    }
    for column in 0..8 {
        let x = r.map(|row| row[column]);
        let out = column_pass(&x, rows);
        for (row, v) in out.into_iter().enumerate() {
            block[row * 8 + column] = v;
        }
    }
}

/// The 1D inverse of one row, as the row pass of the AVX kernel forms it:
/// each output a sum of two sums of products.
fn row_pass(x: &[f32]) -> [f32; 8] {
    let even = [
        (A * x[0] + C * x[2]) + (A * x[4] + F * x[6]),
        (A * x[0] + F * x[2]) + (-A * x[4] + -C * x[6]),
        (A * x[0] + -F * x[2]) + (-A * x[4] + C * x[6]),
        (A * x[0] + -C * x[2]) + (A * x[4] + -F * x[6]),
    ];
    let odd = [
        (B * x[1] + D * x[3]) + (E * x[5] + G * x[7]),
        (D * x[1] + -G * x[3]) + (-B * x[5] + -E * x[7]),
        (E * x[1] + -B * x[3]) + (G * x[5] + D * x[7]),
        (G * x[1] + -E * x[3]) + (D * x[5] + -B * x[7]),
    ];
    [
        even[0] + odd[0],
        even[1] + odd[1],
        even[2] + odd[2],
        even[3] + odd[3],
        even[3] - odd[3],
        even[2] - odd[2],
        even[1] - odd[1],
        even[0] - odd[0],
    ]
}

/// `a + b` where `b` is a term the kernel computes, `a` where it skips it.
fn plus(a: f32, b: Option<f32>) -> f32 {
    b.map_or(a, |b| a + b)
}

fn minus(a: f32, b: Option<f32>) -> f32 {
    b.map_or(a, |b| a - b)
}

/// The 1D inverse of one column whose rows at and past `rows` (at least
/// 2) are zero, skipping the terms of those rows exactly as the kernel
/// does (which matters for the sign of zero results).
fn column_pass(x: &[f32; 8], rows: usize) -> [f32; 8] {
    let term = |k: f32, row: usize| (row < rows).then(|| k * x[row]);
    let [r3, r5, r7] = [3, 5, 7].map(|row| (row < rows).then_some(x[row]));
    let odd = [
        {
            let high = term(E, 5).map(|t| plus(t, term(G, 7)));
            plus(plus(B * x[1], term(D, 3)), high)
        },
        {
            let middle = r3.map(|r3| plus(G * r3, term(B, 5)));
            minus(minus(D * x[1], middle), term(E, 7))
        },
        plus(plus(minus(E * x[1], term(B, 3)), term(G, 5)), term(D, 7)),
        {
            let back = r3.map(|r3| plus(E * r3, r7.map(|r7| B * r7)));
            minus(plus(G * x[1], r5.map(|r5| D * r5)), back)
        },
    ];
    let a0 = A * x[0];
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
    [
        even[0] + odd[0],
        even[1] + odd[1],
        even[2] + odd[2],
        even[3] + odd[3],
        even[3] - odd[3],
        even[2] - odd[2],
        even[1] - odd[1],
        even[0] - odd[0],
    ]
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
