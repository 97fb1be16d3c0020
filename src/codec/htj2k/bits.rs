//! The three bit-streams of an HT cleanup segment (T.814 clause 7.1):
//! MagSgn read forward from the segment's start, MEL read forward from the
//! end of MagSgn, and VLC read backward from the segment's end. Each skips
//! the stuffed bits its encoder inserted and, past its bytes, reads filler
//! (1s for MagSgn and MEL, 0s for VLC) instead of failing: a valid
//! stream never needs them, and a damaged one decodes to some samples of
//! the block's size without reading outside the segment.

/// The MagSgn stream: least significant bit of each byte first; a byte
/// after 0xFF gives its 7 low bits only.
#[derive(Clone, Copy)]
pub(super) struct MagSgn<'a> {
    bytes: &'a [u8],
    at: usize,
    acc: u64,
    count: u32,
    after_ff: bool,
}

impl<'a> MagSgn<'a> {
    /// Reads `bytes`, the segment's first `Pcup` bytes.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            acc: 0,
            count: 0,
            after_ff: false,
        }
    }

    /// The next `n` bits (at most 56), first bit in bit 0.
    #[inline]
    pub fn take(&mut self, n: u32) -> u64 {
        debug_assert!(n <= 56);
        if self.count < n {
            self.refill();
        }
        let bits = self.acc & ((1u64 << n) - 1);
        self.acc >>= n;
        self.count -= n;
        bits
    }

    /// Adds whole bytes while at least 8 bits are free: 8 at a time where
    /// no stuffed bit is among them, else one by one (out of line, by
    /// value, so that the reader's fields can live in registers).
    #[inline]
    fn refill(&mut self) {
        let free = ((64 - self.count) / 8) as usize;
        if let Some(word) = self.bytes.get(self.at..self.at + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            // Bytes that are 0xFF, each marked by its top bit.
            let ff = (!word).wrapping_sub(0x0101_0101_0101_0101) & word & 0x8080_8080_8080_8080;
            // The first `free` bytes are plain unless one of them follows 0xFF.
            let before_last = if free >= 8 {
                u64::MAX >> 8
            } else {
                (1u64 << (8 * (free - 1))) - 1
            };
            if !self.after_ff && ff & before_last == 0 {
                let taken = if free >= 8 {
                    word
                } else {
                    word & ((1u64 << (8 * free)) - 1)
                };
                self.acc |= taken << self.count;
                self.count += 8 * free as u32;
                self.at += free;
                self.after_ff = word >> (8 * (free - 1)) & 0xFF == 0xFF;
                return;
            }
        }
        *self = self.refilled_bytewise();
    }

    #[inline(never)]
    fn refilled_bytewise(mut self) -> Self {
        while self.count <= 56 {
            let byte = self.bytes.get(self.at).copied().unwrap_or(0xFF);
            self.at += 1;
            let (value, width) = if self.after_ff {
                (byte & 0x7F, 7)
            } else {
                (byte, 8)
            };
            self.after_ff = byte == 0xFF;
            self.acc |= u64::from(value) << self.count;
            self.count += width;
        }
        self
    }
}

/// The MEL stream: most significant bit of each byte first; a byte after
/// 0xFF gives its 7 low bits only. Its last byte is shared with VLC, whose
/// 4 bits there read as 1s.
#[derive(Clone, Copy)]
pub(super) struct Mel<'a> {
    bytes: &'a [u8],
    at: usize,
    acc: u64,
    count: u32,
    after_ff: bool,
}

impl<'a> Mel<'a> {
    /// Reads `bytes`: from the end of MagSgn up to and including the
    /// segment's last byte but one.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            acc: 0,
            count: 0,
            after_ff: false,
        }
    }

    /// The next `n` bits (at most 8), first bit highest.
    pub fn take(&mut self, n: u32) -> u32 {
        debug_assert!(n <= 8);
        while self.count < n {
            let byte = match self.bytes.get(self.at) {
                Some(&b) if self.at + 1 == self.bytes.len() => b | 0x0F,
                Some(&b) => b,
                None => 0xFF,
            };
            self.at += 1;
            let (value, width) = if self.after_ff {
                (byte & 0x7F, 7)
            } else {
                (byte, 8)
            };
            self.after_ff = byte == 0xFF;
            self.acc = self.acc << width | u64::from(value);
            self.count += width;
        }
        self.count -= n;
        let bits = (self.acc >> self.count) as u32 & ((1u32 << n) - 1);
        self.acc &= (1u64 << self.count) - 1;
        bits
    }
}

/// The VLC stream, read from the segment's end towards its start: least
/// significant bit of each byte first. After a byte above 0x8F, a byte
/// whose 7 low bits are all 1 gives those 7 bits only. It starts with the
/// 4 high bits of the segment's last byte but one (the low 4 and the last
/// byte hold the length of MEL and VLC).
#[derive(Clone, Copy)]
pub(super) struct Vlc<'a> {
    bytes: &'a [u8],
    /// Bytes not read yet: `bytes[..left]`.
    left: usize,
    acc: u64,
    count: u32,
    after_big: bool,
}

impl<'a> Vlc<'a> {
    /// Reads `bytes`: from the end of MagSgn up to and including the
    /// segment's last byte but one, which must exist.
    pub fn new(bytes: &'a [u8]) -> Self {
        let last = bytes.last().copied().unwrap_or(0) | 0x0F;
        let mut vlc = Self {
            bytes,
            left: bytes.len().saturating_sub(1),
            acc: u64::from(last >> 4),
            count: 4,
            after_big: last > 0x8F,
        };
        // The segment's very last byte, 0xFF once its length bits are
        // masked, is above 0x8F: the first nibble may hold a stuffed bit.
        if last & 0x7F == 0x7F {
            vlc.acc &= 0x7;
            vlc.count = 3;
        }
        vlc
    }

    /// The next `n` bits (at most 32) without consuming them, first bit in
    /// bit 0.
    #[inline]
    pub fn peek(&mut self, n: u32) -> u32 {
        self.fill(n);
        (self.acc & ((1u64 << n) - 1)) as u32
    }

    /// Consumes `n` bits (at most 32).
    #[inline]
    pub fn skip(&mut self, n: u32) {
        self.fill(n);
        self.acc >>= n;
        self.count -= n;
    }

    /// The next `n` bits (at most 32), first bit in bit 0.
    #[inline]
    pub fn take(&mut self, n: u32) -> u32 {
        self.fill(n);
        let bits = (self.acc & ((1u64 << n) - 1)) as u32;
        self.acc >>= n;
        self.count -= n;
        bits
    }

    #[inline]
    fn fill(&mut self, n: u32) {
        debug_assert!(n <= 32);
        if self.count < n {
            self.refill();
        }
    }

    /// Adds whole bytes while at least 8 bits are free: 8 at a time where
    /// none can hold a stuffed bit, else one by one (out of line, by value).
    #[inline]
    fn refill(&mut self) {
        let free = ((64 - self.count) / 8) as usize;
        if let Some(start) = self.left.checked_sub(8) {
            let word = &self.bytes[start..self.left];
            // The byte nearest the end first, in the low bits.
            let word = u64::from_be_bytes(word.try_into().unwrap_or_default());
            // Bytes whose 7 low bits are all 1, each marked by its top bit:
            // only those can hold a stuffed bit.
            let ones = !(word | 0x8080_8080_8080_8080);
            let sevens = ones.wrapping_sub(0x0101_0101_0101_0101) & !ones & 0x8080_8080_8080_8080;
            let taken_mask = if free >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * free)) - 1
            };
            if sevens & taken_mask == 0 {
                self.acc |= (word & taken_mask) << self.count;
                self.count += 8 * free as u32;
                self.left = start + 8 - free;
                self.after_big = word >> (8 * (free - 1)) & 0xFF > 0x8F;
                return;
            }
        }
        *self = self.refilled_bytewise();
    }

    #[inline(never)]
    fn refilled_bytewise(mut self) -> Self {
        while self.count <= 56 {
            let byte = match self.left.checked_sub(1) {
                Some(i) => {
                    self.left = i;
                    self.bytes.get(i).copied().unwrap_or(0)
                }
                None => 0,
            };
            let (value, width) = if self.after_big && byte & 0x7F == 0x7F {
                (byte & 0x7F, 7)
            } else {
                (byte, 8)
            };
            self.after_big = byte > 0x8F;
            self.acc |= u64::from(value) << self.count;
            self.count += width;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magsgn_reads_low_bits_first_and_drops_the_stuffed_bit() {
        let mut bits = MagSgn::new(&[0b1010_0110, 0xFF, 0x7F, 0x01]);
        assert_eq!(bits.take(3), 0b110);
        assert_eq!(bits.take(5), 0b10100);
        assert_eq!(bits.take(8), 0xFF);
        // 0x7F after 0xFF carries 7 bits, then 0x01 all 8.
        assert_eq!(bits.take(7), 0x7F);
        assert_eq!(bits.take(8), 0x01);
        // Past the end: 1s, again 7 bits after the filler's 0xFF.
        assert_eq!(bits.take(20), 0xF_FFFF);
    }

    #[test]
    fn mel_reads_high_bits_first_and_masks_its_last_byte() {
        let mut bits = Mel::new(&[0b1001_0110, 0xFF, 0x35, 0xA0]);
        assert_eq!(bits.take(3), 0b100);
        assert_eq!(bits.take(5), 0b10110);
        assert_eq!(bits.take(8), 0xFF);
        assert_eq!(bits.take(7), 0x35);
        // The last byte is shared with VLC: its low nibble reads as 1s.
        assert_eq!(bits.take(8), 0xAF);
        assert_eq!(bits.take(8), 0xFF);
    }

    #[test]
    fn vlc_reads_backward_from_the_high_nibble() {
        // Last byte 0x5? starts with nibble 5; then 0x12 and 0x34 below.
        let mut bits = Vlc::new(&[0x34, 0x12, 0x53]);
        assert_eq!(bits.take(4), 0x5);
        assert_eq!(bits.take(8), 0x12);
        assert_eq!(bits.take(8), 0x34);
        assert_eq!(bits.take(8), 0);
        // A high nibble of 7 after the masked 0xFF is 3 bits and a stuffed one.
        let mut bits = Vlc::new(&[0x01, 0x70]);
        assert_eq!(bits.take(3), 0b111);
        assert_eq!(bits.take(8), 0x01);
        // After a byte above 0x8F, 0x7F gives 7 bits.
        let mut bits = Vlc::new(&[0x01, 0x7F, 0x90]);
        assert_eq!(bits.take(4), 0x9);
        assert_eq!(bits.peek(7), 0x7F);
        assert_eq!(bits.take(7), 0x7F);
        assert_eq!(bits.take(8), 0x01);
    }

    /// The bits a stream of `bytes` carries, one by one: each byte's `keep`
    /// low bits (7 or 8, given the byte before it), least significant
    /// first; `filler` after the end.
    fn model(bytes: &[u8], filler: u8, keep: impl Fn(Option<u8>, u8) -> u32) -> Vec<u64> {
        let mut bits = Vec::new();
        let mut before = None;
        for byte in bytes
            .iter()
            .copied()
            .chain(std::iter::repeat_n(filler, 300))
        {
            bits.extend((0..keep(before, byte)).map(|i| u64::from(byte >> i & 1)));
            before = Some(byte);
        }
        bits
    }

    /// Random streams, many of their bytes 0xFF or with 7 low bits set.
    fn streams() -> impl Iterator<Item = (Vec<u8>, Vec<u32>)> {
        let mut state = 0x9E37_79B9u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        (0..300).map(move |round| {
            let len = (next() % 40) as usize + round % 3;
            let bytes = (0..len)
                .map(|_| match next() % 6 {
                    0 => 0xFF,
                    1 => 0x7F,
                    2 => 0x90 | (next() as u8 & 0x6F),
                    _ => next() as u8,
                })
                .collect();
            let widths = (0..60).map(|_| next() % 33).collect();
            (bytes, widths)
        })
    }

    #[test]
    fn magsgn_word_refills_read_what_bytes_do() {
        for (bytes, widths) in streams() {
            let expected = model(
                &bytes,
                0xFF,
                |before, _| if before == Some(0xFF) { 7 } else { 8 },
            );
            let mut reader = MagSgn::new(&bytes);
            assert_reads(&expected, &widths, |n| reader.take(n), &bytes);
        }
    }

    #[test]
    fn vlc_word_refills_read_what_bytes_do() {
        for (bytes, widths) in streams() {
            let Some((&last, below)) = bytes.split_last() else {
                continue;
            };
            // The model reads the last byte's high nibble (3 bits of it
            // after the masked 0xFF when its low 7 bits are all 1), then
            // whole bytes backward from the last but one.
            let last = last | 0x0F;
            let nibble = if last & 0x7F == 0x7F { 4..7 } else { 4..8 };
            let mut expected: Vec<u64> = nibble.map(|i| u64::from(last >> i & 1)).collect();
            let below: Vec<u8> = below.iter().rev().copied().collect();
            expected.extend(model(&below, 0, |before, byte| {
                if before.unwrap_or(last) > 0x8F && byte & 0x7F == 0x7F {
                    7
                } else {
                    8
                }
            }));
            let mut reader = Vlc::new(&bytes);
            assert_reads(&expected, &widths, |n| u64::from(reader.take(n)), &bytes);
        }
    }

    /// Reads `widths` bits at a time with `take` and checks each value
    /// against the next bits of `expected`, first bit lowest.
    fn assert_reads(
        expected: &[u64],
        widths: &[u32],
        mut take: impl FnMut(u32) -> u64,
        bytes: &[u8],
    ) {
        let mut at = 0;
        for &n in widths {
            let value: u64 = expected[at..at + n as usize]
                .iter()
                .enumerate()
                .map(|(i, b)| b << i)
                .sum();
            assert_eq!(take(n), value, "{bytes:02x?} at bit {at}");
            at += n as usize;
        }
    }
}
