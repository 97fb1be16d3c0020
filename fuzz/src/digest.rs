//! A running digest of what an exercise saw: statuses and sample bits, so
//! that two ways of decoding one input can be compared in one number.

/// A multiply-rotate hash over everything fed to it, eight bytes at a time
/// (order-sensitive; not for adversaries, only to compare two runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    /// Feeds bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut le = [0u8; 8];
            le.copy_from_slice(word);
            self.word(u64::from_le_bytes(le));
        }
        for &b in words.remainder() {
            self.word(u64::from(b));
        }
        self.word(bytes.len() as u64);
    }

    fn word(&mut self, value: u64) {
        self.0 = (self.0 ^ value)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }

    /// Feeds a number.
    pub fn u64(&mut self, value: u64) {
        self.word(value);
    }

    /// Feeds the bits of every sample.
    pub fn f32s(&mut self, samples: &[f32]) {
        for s in samples {
            self.word(u64::from(s.to_bits()));
        }
    }

    /// Feeds whether a call succeeded.
    pub fn status<T, E>(&mut self, result: &Result<T, E>) {
        self.u64(u64::from(result.is_ok()));
    }
}
