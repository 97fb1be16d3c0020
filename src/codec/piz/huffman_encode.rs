//! PIZ's Huffman coding of 16-bit words, the encoding side of [`huffman`]
//! (whose documentation describes the stream).
//!
//! The code comes from the words' counts plus a count of one for the run
//! symbol (one past the largest word), with lengths chosen as OpenEXR
//! chooses them (see [`code_lengths`]). A word repeated `n` more times, up
//! to 255, is coded as the word, the run symbol and `n` in 8 bits when that
//! is shorter than repeating its code.
//!
//! [`huffman`]: super::huffman
//! [`code_lengths`]: super::code_lengths

use super::code_lengths;
use super::huffman::{HEADER_BYTES, LONG_RUN, MAX_LENGTH, SHORTEST_LONG_RUN, SHORT_RUN};
use crate::error::{Error, Result};

/// Every 16-bit word plus the run symbol.
const SYMBOLS: usize = (1 << 16) + 1;
/// Most symbols without a code one length field can skip.
const LONGEST_ZERO_RUN: usize = 255 + SHORTEST_LONG_RUN as usize;
/// Longest code that fits a `u32` as `code << 6 | length`.
const SHORT_CODE: u32 = 26;
/// Most repeats one run codes.
const LONGEST_RUN: usize = 255;

/// Buffers kept between blocks.
#[derive(Default)]
pub struct Scratch {
    /// Occurrences of each symbol.
    counts: Vec<u32>,
    /// Code length of each symbol from the first used one on.
    lengths: Vec<u8>,
    /// Each symbol's code, `code << 6 | length`; current for the symbols
    /// of the block being coded only.
    codes: Vec<u64>,
    /// The same in 32 bits, when no code is longer than [`SHORT_CODE`]:
    /// half the memory for the lookups by word, which miss the caches.
    short_codes: Vec<u32>,
    tree: code_lengths::Scratch,
}

/// Appends the coded stream of `words` to `out`; writes nothing when there
/// are no words. Returns `false`, with `out` holding unspecified bytes past
/// its old length, when the coded data would have more bits than the
/// stream's 32-bit count can say.
pub fn encode(words: &[u16], out: &mut Vec<u8>, scratch: &mut Scratch) -> Result<bool> {
    let Some(&first_word) = words.first() else {
        return Ok(true);
    };
    // Every word takes at least a bit, and at least one in 256 a whole code.
    if words.len() / 256 >= u32::MAX as usize {
        return Ok(false);
    }
    let counts = count(words, &mut scratch.counts)?;
    let first = counts.iter().position(|&c| c > 0).unwrap_or(0);
    let run = counts.iter().rposition(|&c| c > 0).unwrap_or(0) + 1;
    counts[run] = 1;
    let longest = code_lengths::build(
        &counts[first..=run],
        &mut scratch.lengths,
        &mut scratch.tree,
    );
    if longest as usize > MAX_LENGTH {
        return Err(Error::Internal(format!(
            "PIZ Huffman code of {longest} bits for {} words",
            words.len()
        )));
    }
    let codes = assign_codes(first, &scratch.lengths, &mut scratch.codes)?;

    let start = out.len();
    out.resize(start + HEADER_BYTES, 0);
    let mut table = BitWriter::new(out);
    pack_lengths(&scratch.lengths, &mut table);
    let table_bytes = table.finish().div_ceil(8);
    let mut data = BitWriter::new(out);
    if longest <= SHORT_CODE {
        let short = &mut scratch.short_codes;
        short.resize(SYMBOLS, 0);
        for (to, &code) in short[first..=run].iter_mut().zip(&codes[first..=run]) {
            // Fits: the code has at most 26 bits.
            *to = code as u32;
        }
        let short: &[u32; SYMBOLS] = short
            .as_slice()
            .try_into()
            .map_err(|_| Error::Internal("Huffman code table has the wrong size".into()))?;
        code_words(words, first_word, short, codes[run], &mut data);
    } else {
        code_words(words, first_word, codes, codes[run], &mut data);
    }
    let Ok(bits) = u32::try_from(data.finish()) else {
        return Ok(false);
    };
    let header = [first as u32, run as u32, table_bytes as u32, bits, 0];
    for (field, value) in out[start..start + HEADER_BYTES]
        .chunks_exact_mut(4)
        .zip(header)
    {
        field.copy_from_slice(&value.to_le_bytes());
    }
    Ok(true)
}

/// Counts the occurrences of each word in `counts` (which it returns as a
/// table of every symbol).
fn count<'c>(words: &[u16], counts: &'c mut Vec<u32>) -> Result<&'c mut [u32; SYMBOLS]> {
    counts.clear();
    counts.resize(SYMBOLS, 0);
    let table: &mut [u32; SYMBOLS] = counts
        .as_mut_slice()
        .try_into()
        .map_err(|_| Error::Internal("Huffman count table has the wrong size".into()))?;
    // Runs of one word (flat areas turn into runs of zeros) would make
    // each increment wait for the previous one; count them at once.
    let mut rest = words;
    while let Some((&w, tail)) = rest.split_first() {
        let same = tail.iter().take_while(|&&v| v == w).count();
        // Fewer than 2^32 words.
        table[usize::from(w)] += same as u32 + 1;
        rest = &tail[same..];
    }
    Ok(table)
}

/// Gives each symbol with a length the canonical code: within a length,
/// codes increase with the symbol, and the codes of each length start where
/// the longer ones end, halved. `lengths` starts at symbol `first`.
fn assign_codes<'c>(
    first: usize,
    lengths: &[u8],
    codes: &'c mut Vec<u64>,
) -> Result<&'c [u64; SYMBOLS]> {
    let mut per_length = [0u64; MAX_LENGTH + 1];
    for &l in lengths {
        per_length[usize::from(l)] += 1;
    }
    let mut next = [0u64; MAX_LENGTH + 1];
    let mut code = 0u64;
    for length in (1..=MAX_LENGTH).rev() {
        next[length] = code;
        code = (code + per_length[length]) >> 1;
    }
    codes.resize(SYMBOLS, 0);
    for (slot, &l) in codes[first..].iter_mut().zip(lengths) {
        if l > 0 {
            let l = usize::from(l);
            *slot = next[l] << 6 | l as u64;
            next[l] += 1;
        }
    }
    codes
        .as_slice()
        .try_into()
        .map_err(|_| Error::Internal("Huffman code table has the wrong size".into()))
}

/// Writes the 6-bit length fields of `lengths`, whose last symbol has a
/// code, with runs of symbols without one shortened.
fn pack_lengths(lengths: &[u8], out: &mut BitWriter) {
    let mut rest = lengths;
    while let Some((&length, tail)) = rest.split_first() {
        if length > 0 {
            out.put(6, u64::from(length));
            rest = tail;
            continue;
        }
        let zeros = rest
            .iter()
            .take(LONGEST_ZERO_RUN)
            .take_while(|&&l| l == 0)
            .count();
        match zeros {
            1 => out.put(6, 0),
            2..=5 => out.put(6, u64::from(SHORT_RUN) + zeros as u64 - 2),
            _ => {
                out.put(6, u64::from(LONG_RUN));
                out.put(8, (zeros - SHORTEST_LONG_RUN as usize) as u64);
            }
        }
        rest = &rest[zeros..];
    }
}

/// Codes `words`, whose first is `first_word`, with runs where a run is
/// shorter than the repeated codes.
fn code_words<Code: Copy + Into<u64>>(
    words: &[u16],
    first_word: u16,
    codes: &[Code; SYMBOLS],
    run_code: u64,
    out: &mut BitWriter,
) {
    let run_length = run_code & 63;
    let mut word = first_word;
    let mut repeats = 0usize;
    for &next in &words[1..] {
        if next == word && repeats < LONGEST_RUN {
            repeats += 1;
            continue;
        }
        code_run(
            codes[usize::from(word)].into(),
            repeats,
            run_code,
            run_length,
            out,
        );
        word = next;
        repeats = 0;
    }
    code_run(
        codes[usize::from(word)].into(),
        repeats,
        run_code,
        run_length,
        out,
    );
}

/// Codes a word with `code`, then `repeats` more of it.
#[inline(always)]
fn code_run(code: u64, repeats: usize, run_code: u64, run_length: u64, out: &mut BitWriter) {
    let length = code & 63;
    if length + run_length + 8 < length * repeats as u64 {
        out.put_code(code);
        out.put_code(run_code);
        out.put(8, repeats as u64);
    } else {
        for _ in 0..=repeats {
            out.put_code(code);
        }
    }
}

/// Appends bits to a byte vector, most significant bit first.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Bits not yet written, in the low `count` bits.
    pending: u64,
    /// Bits in `pending`, below 32 between calls.
    count: u32,
    /// Whole bytes written.
    bytes: u64,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        Self {
            out,
            pending: 0,
            count: 0,
            bytes: 0,
        }
    }

    /// Writes a code stored as `code << 6 | length`.
    #[inline(always)]
    fn put_code(&mut self, code: u64) {
        self.put((code & 63) as u32, code >> 6);
    }

    /// Writes the low `n` bits of `bits` (n up to 58; bits above them zero).
    #[inline(always)]
    fn put(&mut self, n: u32, bits: u64) {
        if n > 32 {
            self.put_short(n - 32, bits >> 32);
            self.put_short(32, bits & 0xffff_ffff);
        } else {
            self.put_short(n, bits);
        }
    }

    #[inline(always)]
    fn put_short(&mut self, n: u32, bits: u64) {
        self.pending = self.pending << n | bits;
        self.count += n;
        if self.count >= 32 {
            self.count -= 32;
            let word = (self.pending >> self.count) as u32;
            self.out.extend_from_slice(&word.to_be_bytes());
            self.bytes += 4;
        }
    }

    /// Writes the last bits, padded with zeros to a byte; returns the bits
    /// written before the padding.
    fn finish(mut self) -> u64 {
        let bits = self.bytes * 8 + u64::from(self.count);
        while self.count >= 8 {
            self.count -= 8;
            self.out.push((self.pending >> self.count) as u8);
        }
        if self.count > 0 {
            self.out.push((self.pending << (8 - self.count)) as u8);
        }
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::super::huffman;
    use super::*;

    fn encoded(words: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        assert!(encode(words, &mut out, &mut Scratch::default()).unwrap());
        out
    }

    fn decoded(coded: &[u8], n: usize) -> Vec<u16> {
        let mut out = vec![0u16; n];
        huffman::decode(coded, &mut out, &mut huffman::Scratch::default()).unwrap();
        out
    }

    fn noise(n: usize, limit: u32, seed: u32) -> Vec<u16> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((state >> 8) % limit) as u16
            })
            .collect()
    }

    #[test]
    fn words_round_trip_through_the_decoder() {
        let mut runs = vec![3u16; 1000];
        runs.extend([4; 300]);
        runs.extend(noise(50, 6, 1));
        runs.extend([0; 256]);
        runs.extend([0; 257]);
        let cases: Vec<Vec<u16>> = vec![
            vec![7],
            vec![65535],
            vec![0, 65535],
            vec![0; 1000],
            vec![65535; 70_000],
            runs,
            noise(5000, 3, 2),
            noise(5000, 1 << 16, 3),
            (0..=u16::MAX).collect(),
            noise(20_000, 600, 4).iter().map(|&w| w / 37 * 37).collect(),
        ];
        let mut scratch = Scratch::default();
        for words in cases {
            let mut coded = vec![1, 2, 3];
            assert!(encode(&words, &mut coded, &mut scratch).unwrap());
            assert_eq!(coded[..3], [1, 2, 3]);
            assert_eq!(decoded(&coded[3..], words.len()), words);
        }
    }

    #[test]
    fn no_words_write_nothing() {
        assert!(encoded(&[]).is_empty());
    }

    #[test]
    fn stream_fields_are_as_openexr_writes_them() {
        // Words 5 (twice) and 9 and the run symbol 10: 5 gets a one-bit
        // code, 9 and 10 two bits each.
        let coded = encoded(&[5, 9, 5]);
        let field = |i: usize| u32::from_le_bytes(coded[4 * i..4 * i + 4].try_into().unwrap());
        assert_eq!(
            [field(0), field(1), field(2), field(3), field(4)],
            [5, 10, 3, 4, 0]
        );
        // Lengths 1, a run of 3 without a code (60), 2, 2; padded.
        let table = [0b0000_0111, 0b1100_0000, 0b1000_0010];
        assert_eq!(coded[20..23], table);
        // Canonical codes: 5 is 1, 9 is 00, 10 is 01. Data 1 00 1.
        assert_eq!(coded[23..], [0b1001_0000]);
    }

    #[test]
    fn long_runs_use_the_run_symbol_and_long_zero_runs_one_field() {
        let mut words = vec![1000u16; 600];
        words.push(2);
        let coded = encoded(&words);
        // Fields for 2, a run of 997 symbols without a code (three runs
        // of 261 and one of 214, each 63 and 8 bits), 1000 and 1001: 74
        // bits.
        assert_eq!(u32::from_le_bytes(coded[8..12].try_into().unwrap()), 10);
        assert_eq!(decoded(&coded, words.len()), words);
        // 1000 once and 255 more, again, then once and 87 more, each as
        // its code, the run code and 8 bits; then 2.
        let bits = u32::from_le_bytes(coded[12..16].try_into().unwrap());
        assert_eq!(bits, 3 * (1 + 2 + 8) + 2);
    }
}
