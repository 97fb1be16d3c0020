//! PIZ's range compression: a bitmap of the 16-bit values a block uses, and
//! the tables that map used values to dense indices (encoding) and back
//! (decoding).

use crate::error::{corrupt, Result};

/// Distinct 16-bit values.
const VALUE_COUNT: usize = 1 << 16;
/// Bytes of a bitmap with one bit per 16-bit value.
const BITMAP_BYTES: u16 = 8192;

/// The values a block uses, in increasing order, indexed by the dense
/// indices the encoder wrote in their place. Zero is always the first value.
#[derive(Default)]
pub struct ValueTable {
    /// Index to value; entries past the block's last used index are zero, as
    /// are the entries of unused indices a damaged block may still decode to.
    values: Vec<u16>,
    /// Entries of `values` that may be non-zero.
    used: usize,
}

impl ValueTable {
    /// Reads the bitmap at the start of a PIZ block and fills the table from
    /// it; returns the largest dense index and the bytes after the bitmap.
    pub fn read<'a>(&mut self, packed: &'a [u8]) -> Result<(u16, &'a [u8])> {
        let Some((range, rest)) = packed.split_first_chunk::<4>() else {
            corrupt!("PIZ block of {} bytes has no value bitmap", packed.len());
        };
        let first = u16::from_le_bytes([range[0], range[1]]);
        let last = u16::from_le_bytes([range[2], range[3]]);
        if last >= BITMAP_BYTES {
            corrupt!("PIZ value bitmap ends at byte {last}, past its 8192 bytes");
        }
        let (bitmap, rest) = if first <= last {
            let len = usize::from(last - first) + 1;
            let Some(split) = rest.split_at_checked(len) else {
                corrupt!("PIZ value bitmap of {len} bytes runs past the end of the block");
            };
            split
        } else {
            (&[][..], rest)
        };
        Ok((self.fill(first, bitmap), rest))
    }

    /// Fills the table from `bitmap`, whose first byte covers values
    /// `8 * first` to `8 * first + 7`; returns the largest index.
    fn fill(&mut self, first: u16, bitmap: &[u8]) -> u16 {
        if self.values.len() != VALUE_COUNT {
            self.values = vec![0; VALUE_COUNT];
            self.used = 0;
        }
        // Index 0 stands for zero whether or not the bitmap lists it.
        let mut count = 1usize;
        for (index, &byte) in (usize::from(first)..).zip(bitmap) {
            let mut bits = if index == 0 { byte & !1 } else { byte };
            while bits != 0 {
                // At most 65535 values besides zero have a bit, so `count`
                // stays within the table; `index` is below 8192, so every
                // value fits in 16 bits.
                self.values[count] = (index * 8 + bits.trailing_zeros() as usize) as u16;
                count += 1;
                bits &= bits - 1;
            }
        }
        if let Some(stale) = self.values.get_mut(count..self.used) {
            stale.fill(0);
        }
        self.used = count;
        // `count` is between 1 and 65536.
        u16::try_from(count - 1).unwrap_or(u16::MAX)
    }

    /// The table as an array, so that indexing it with any 16-bit index
    /// needs no check; `None` before the first [`ValueTable::read`].
    pub fn as_array(&self) -> Option<&[u16; VALUE_COUNT]> {
        self.values.as_slice().try_into().ok()
    }
}

/// The values a block uses, as the encoder collects them, and the dense
/// index of each: zero is index 0 whether or not the block uses it, the
/// other used values follow in increasing order.
#[derive(Default)]
pub struct UsedValues {
    /// One bit per value, value `v` at bit `v % 8` of byte `v / 8`.
    bitmap: Vec<u8>,
    /// Value to index; only the entries of used values are current.
    indices: Vec<u16>,
}

impl UsedValues {
    /// Forgets the values of the previous block.
    pub fn clear(&mut self) {
        self.bitmap.clear();
        self.bitmap.resize(usize::from(BITMAP_BYTES), 0);
    }

    /// Marks every word of `words` as used.
    pub fn mark(&mut self, words: &[u16]) {
        let Some(bitmap) = self.bitmap_array() else {
            return;
        };
        for &w in words {
            bitmap[usize::from(w >> 3)] |= 1 << (w & 7);
        }
    }

    /// Writes the bitmap as a PIZ block starts: the first and last byte
    /// with a bit other than zero's, as little-endian `u16`, then the bytes
    /// between them (none, and a first byte of 8191 and last of 0, when the
    /// block uses no value but zero). Numbers the used values; returns the
    /// largest index.
    pub fn write(&mut self, out: &mut Vec<u8>) -> u16 {
        self.clear_if_unset();
        if self.indices.len() != VALUE_COUNT {
            self.indices = vec![0; VALUE_COUNT];
        }
        // Zero is implied.
        self.bitmap[0] &= !1;
        let first = self.bitmap.iter().position(|&b| b != 0);
        let last = self.bitmap.iter().rposition(|&b| b != 0);
        let (Some(first), Some(last)) = (first, last) else {
            out.extend_from_slice(&(BITMAP_BYTES - 1).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            return 0;
        };
        // Both are below 8192.
        out.extend_from_slice(&(first as u16).to_le_bytes());
        out.extend_from_slice(&(last as u16).to_le_bytes());
        out.extend_from_slice(&self.bitmap[first..=last]);
        self.indices[0] = 0;
        let mut next = 1u16;
        for (byte, &bits) in self.bitmap[first..=last].iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let value = (first + byte) * 8 + bits.trailing_zeros() as usize;
                self.indices[value] = next;
                // At most 65535 values besides zero, so the last increment
                // may wrap only past the last index.
                next = next.wrapping_add(1);
                bits &= bits - 1;
            }
        }
        next.wrapping_sub(1)
    }

    /// Replaces every word of `words`, each marked and numbered by
    /// [`UsedValues::write`], with its index.
    pub fn apply(&self, words: &mut [u16]) {
        let Ok(indices) = <&[u16; VALUE_COUNT]>::try_from(self.indices.as_slice()) else {
            return;
        };
        for w in words {
            *w = indices[usize::from(*w)];
        }
    }

    fn clear_if_unset(&mut self) {
        if self.bitmap.len() != usize::from(BITMAP_BYTES) {
            self.clear();
        }
    }

    fn bitmap_array(&mut self) -> Option<&mut [u8; BITMAP_BYTES as usize]> {
        self.clear_if_unset();
        self.bitmap.as_mut_slice().try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(first: u16, last: u16, bitmap: &[u8], tail: &[u8]) -> Vec<u8> {
        let mut b = first.to_le_bytes().to_vec();
        b.extend_from_slice(&last.to_le_bytes());
        b.extend_from_slice(bitmap);
        b.extend_from_slice(tail);
        b
    }

    #[test]
    fn bitmap_lists_values_in_order_after_zero() {
        let mut table = ValueTable::default();
        // Byte 1 holds values 8..=15: bits 0 and 3 are 8 and 11. Byte 2
        // holds 16..=23: bit 7 is 23. Bit 0 of byte 0 (zero) is implicit.
        let packed = block(0, 2, &[0b0000_0011, 0b0000_1001, 0b1000_0000], &[9]);
        let (max, rest) = table.read(&packed).unwrap();
        assert_eq!(rest, &[9]);
        assert_eq!(max, 4);
        let values = table.as_array().unwrap();
        assert_eq!(&values[..6], &[0, 1, 8, 11, 23, 0]);
    }

    #[test]
    fn empty_range_leaves_only_zero_and_clears_old_entries() {
        let mut table = ValueTable::default();
        table.read(&block(0, 0, &[0xff], &[])).unwrap();
        let packed = block(1, 0, &[], &[]);
        let (max, rest) = table.read(&packed).unwrap();
        assert_eq!((max, rest), (0, &[][..]));
        assert!(table.as_array().unwrap().iter().all(|&v| v == 0));
    }

    #[test]
    fn full_bitmap_maps_every_value() {
        let mut table = ValueTable::default();
        let (max, _) = table.read(&block(0, 8191, &[0xff; 8192], &[])).unwrap();
        assert_eq!(max, u16::MAX);
        let values = table.as_array().unwrap();
        assert!(values.iter().enumerate().all(|(i, &v)| usize::from(v) == i));
    }

    #[test]
    fn bad_ranges_are_corrupt() {
        let mut table = ValueTable::default();
        assert!(table.read(&[0, 0, 0]).is_err());
        assert!(table.read(&block(0, 8192, &[], &[])).is_err());
        assert!(table.read(&block(3, 5, &[1, 2], &[])).is_err());
    }
}
