//! The sample count table of a deep chunk: for each pixel, row by row, the
//! number of samples of its line up to and including it, as little-endian
//! 32-bit integers (so each line's counts never decrease and its last is
//! the line's total).

use crate::error::{corrupt, try_resize, Error, Result};

/// Checks the unpacked table `table` of a region `width` pixels wide and
/// stores each pixel's own count in `counts`. Returns the region's total.
pub(crate) fn unpack(table: &[u8], width: usize, counts: &mut Vec<u32>) -> Result<u64> {
    let pixels = table.len() / 4;
    if table.len() % 4 != 0 || (width == 0 && pixels != 0) || (width != 0 && pixels % width != 0) {
        corrupt!(
            "a sample count table of {} bytes for lines of {width} pixels",
            table.len()
        );
    }
    try_resize(counts, pixels)?;
    let mut total = 0u64;
    if width == 0 {
        return Ok(0);
    }
    for (y, (line, out)) in table
        .chunks_exact(4 * width)
        .zip(counts.chunks_exact_mut(width))
        .enumerate()
    {
        let mut before = 0u32;
        for (x, (value, count)) in line.chunks_exact(4).zip(out.iter_mut()).enumerate() {
            let so_far = i32::from_le_bytes([value[0], value[1], value[2], value[3]]);
            let Some(own) = u32::try_from(so_far)
                .ok()
                .and_then(|so_far| so_far.checked_sub(before))
            else {
                corrupt!(
                    "the sample count table goes from {before} to {so_far} at pixel ({x}, {y}) of the chunk"
                );
            };
            *count = own;
            before += own;
        }
        total += u64::from(before);
    }
    Ok(total)
}

/// Appends the table of a region `width` pixels wide whose pixels hold
/// `counts` samples (row by row) to `out`.
pub(crate) fn pack(counts: &[u32], width: usize, out: &mut Vec<u8>) -> Result<()> {
    out.try_reserve(counts.len().saturating_mul(4))?;
    for line in counts.chunks(width.max(1)) {
        let mut so_far = 0i32;
        for &count in line {
            so_far = i32::try_from(count)
                .ok()
                .and_then(|count| so_far.checked_add(count))
                .ok_or_else(|| {
                    Error::InvalidArgument(
                        "a line of a deep chunk holds 2^31 samples or more".into(),
                    )
                })?;
            out.extend_from_slice(&so_far.to_le_bytes());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(values: &[i32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn counts_restart_on_every_line() {
        let mut counts = Vec::new();
        let total = unpack(&table(&[0, 2, 5, 1, 1, 4]), 3, &mut counts).unwrap();
        assert_eq!(counts, [0, 2, 3, 1, 0, 3]);
        assert_eq!(total, 9);
        let mut packed = Vec::new();
        pack(&counts, 3, &mut packed).unwrap();
        assert_eq!(packed, table(&[0, 2, 5, 1, 1, 4]));
    }

    #[test]
    fn lying_tables_are_corrupt() {
        let mut counts = Vec::new();
        for (values, width) in [
            (&[3, 2][..], 2),
            (&[-1, 0][..], 2),
            (&[0, 1, 2][..], 2),
            (&[1][..], 0),
        ] {
            let error = unpack(&table(values), width, &mut counts).unwrap_err();
            assert!(matches!(error, Error::Corrupt(_)), "{values:?}: {error}");
        }
        assert!(unpack(&[0, 0, 0], 1, &mut counts).is_err());
    }

    #[test]
    fn lines_past_the_integer_range_are_refused() {
        let mut out = Vec::new();
        let error = pack(&[i32::MAX as u32, 1], 2, &mut out).unwrap_err();
        assert!(matches!(error, Error::InvalidArgument(_)), "{error}");
    }
}
