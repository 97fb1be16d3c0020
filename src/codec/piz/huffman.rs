//! PIZ's Huffman coding of 16-bit words.
//!
//! A coded stream starts with five little-endian `u32`: the first and last
//! symbol with a code, the bytes of the code-length table (unused: readers
//! find its end by parsing it, as OpenEXR does), the bits of coded data and
//! a reserved word. The code lengths of the symbols from first to last
//! follow as 6-bit fields, most significant bit first: 0 to 58 is a length,
//! 59 to 62 a run of 2 to 5 symbols without a code, and 63 followed by 8
//! bits `n` a run of `n + 6`. The coded data start at the next byte.
//!
//! The code is canonical: within a length, codes increase with the symbol;
//! shorter codes, padded with zeros to the right, are greater than longer
//! ones. The last symbol is the run symbol: its code is followed by 8 bits
//! `n`, and the previous word repeats `n` more times.

use crate::error::{corrupt, Error, Result};

/// Longest code a length field can describe.
pub(super) const MAX_LENGTH: usize = 58;
/// Length fields from this one up stand for runs of symbols without a code.
pub(super) const SHORT_RUN: u8 = 59;
/// The length field followed by 8 bits of run length.
pub(super) const LONG_RUN: u8 = 63;
/// Symbols in the shortest run a [`LONG_RUN`] field describes.
pub(super) const SHORTEST_LONG_RUN: u32 = 6;
/// Every 16-bit word plus the run symbol.
const SYMBOL_LIMIT: u32 = 1 << 16;
/// Bytes before the code-length table.
pub(super) const HEADER_BYTES: usize = 20;
/// Most bits a single table lookup resolves; longer codes take a slower
/// search. Blocks whose codes are all shorter use a smaller table.
const TABLE_BITS: u32 = 12;
// The decoder takes four short codes from one refill of 56 bits.
const _: () = assert!(4 * TABLE_BITS <= 56);
const TABLE_SIZE: usize = 1 << TABLE_BITS;

/// Buffers kept between blocks.
#[derive(Default)]
pub struct Scratch {
    /// Symbols with a code, in increasing order, each as `symbol << 6 |
    /// length`.
    coded: Vec<u32>,
    /// Symbols with a code, by code length, then by symbol.
    symbols: Vec<u32>,
    table: Table,
}

/// What the codes starting with each prefix of a code's table bits are,
/// one entry per prefix so that decoding takes one load for one or two
/// short codes. An entry's low byte is its kind: the length of the short
/// code the prefix starts with, or of the two short codes of words it
/// starts with; or [`RUN`] plus the length of the run symbol's code; or
/// [`LONG`] plus the shortest length of the longer codes that start with
/// the prefix. Then, byte by byte: how many words the prefix decodes to,
/// the first word (two bytes), the second word (two bytes), and the length
/// of the first code alone.
#[derive(Default)]
struct Table {
    entries: Vec<u64>,
}

/// The entry of a prefix whose first code is a short code of `word`,
/// `length` bits long.
fn single_entry(word: u32, length: usize) -> u64 {
    length as u64 | 1 << 8 | u64::from(word) << 16 | (length as u64) << 48
}

/// The first code of an entry that starts with a word's short code: its
/// word and length.
fn first_code(entry: u64) -> (u64, u64) {
    ((entry >> 16) & 0xffff, (entry >> 48) & 0xff)
}

/// Kind flag of the run symbol's code.
const RUN: u8 = 0x40;
/// Kind of prefixes of codes longer than the table's bits.
const LONG: u8 = 0x80;
/// Kind bits holding the code length.
const LENGTH_MASK: u8 = 0x3f;

/// Decodes the coded stream `coded` into exactly `out.len()` words.
pub fn decode(coded: &[u8], out: &mut [u16], scratch: &mut Scratch) -> Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let Some((header, rest)) = coded.split_first_chunk::<HEADER_BYTES>() else {
        corrupt!("Huffman data of {} bytes has no header", coded.len());
    };
    let word =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let (first, last, bit_count) = (word(0), word(4), word(12));
    if first > last || last > SYMBOL_LIMIT {
        corrupt!("Huffman symbols {first} to {last} are out of range");
    }
    let (table_bytes, count) = read_lengths(rest, first, last, &mut scratch.coded)?;
    let data_bytes = bit_count.div_ceil(8) as usize;
    let Some(data) = rest.get(table_bytes..).and_then(|d| d.get(..data_bytes)) else {
        corrupt!("Huffman data of {bit_count} bits runs past the end of the block");
    };
    let code = Code::new(count, last, &scratch.coded, &mut scratch.symbols)?;
    let table = code.fill_table(&scratch.symbols, &mut scratch.table)?;
    let used = code.decode(table, &scratch.symbols, data, out)?;
    if used > u64::from(bit_count) {
        corrupt!("Huffman data of {bit_count} bits ends before its last word");
    }
    Ok(())
}

/// Reads the code lengths of the symbols `first..=last` from the start of
/// `table` into `coded`; returns the bytes they take and the number of codes
/// of each length.
fn read_lengths(
    table: &[u8],
    first: u32,
    last: u32,
    coded: &mut Vec<u32>,
) -> Result<(usize, [u64; MAX_LENGTH + 1])> {
    let mut count = [0u64; MAX_LENGTH + 1];
    let mut fields = Bits::new(table);
    coded.clear();
    let mut symbol = first;
    while symbol <= last {
        fields.refill();
        let field = fields.peek(6) as u8;
        fields.consume(6);
        let run = match field {
            0 => 1,
            length @ 1..SHORT_RUN => {
                count[usize::from(length)] += 1;
                coded.push(symbol << 6 | u32::from(length));
                1
            }
            LONG_RUN => {
                let n = fields.peek(8) as u32;
                fields.consume(8);
                n + SHORTEST_LONG_RUN
            }
            short => u32::from(short - SHORT_RUN) + 2,
        };
        // Zeros read past the end of `table` are caught below; they cannot
        // make this loop longer than the symbols.
        if run > last - symbol + 1 {
            corrupt!("Huffman code-length run goes past the last symbol");
        }
        symbol += run;
    }
    let bytes = fields.position().div_ceil(8);
    if bytes > table.len() as u64 {
        corrupt!("Huffman code-length table runs past the end of the block");
    }
    Ok((bytes as usize, count))
}

/// A canonical code, by code length.
struct Code {
    /// Longest code length in use.
    max_length: u32,
    /// Bits the lookup table resolves.
    table_bits: u32,
    /// Codes of each length.
    count: [u64; MAX_LENGTH + 1],
    /// First (lowest) code of each length.
    start: [u64; MAX_LENGTH + 1],
    /// First code of each length, left-aligned in 64 bits: a bit string
    /// starts with a code of the shortest length whose entry it reaches.
    aligned: [u64; MAX_LENGTH + 1],
    /// Index in the sorted symbols of the first symbol of each length.
    first_symbol: [usize; MAX_LENGTH + 1],
    /// The run symbol.
    run: u32,
}

impl Code {
    /// The code with `count` codes of each length for the symbols in
    /// `coded`, whose last is `run`; fills `symbols` with them sorted by
    /// length, then value. Fails unless the lengths describe a complete
    /// prefix code, as every Huffman code is.
    fn new(
        count: [u64; MAX_LENGTH + 1],
        run: u32,
        coded: &[u32],
        symbols: &mut Vec<u32>,
    ) -> Result<Self> {
        let max_length = count.iter().rposition(|&n| n > 0).unwrap_or(0) as u32;
        // Lowest codes from the longest length up: the codes of one length
        // continue, one bit shorter, where those of the next length end.
        let mut start = [0u64; MAX_LENGTH + 1];
        let mut aligned = [0u64; MAX_LENGTH + 1];
        let mut next = 0u64;
        for length in (1..=MAX_LENGTH).rev() {
            start[length] = next;
            aligned[length] = next << (64 - length);
            let end = next + count[length];
            if end % 2 != 0 {
                corrupt!("Huffman code lengths do not form a complete code");
            }
            next = end / 2;
        }
        if next != 1 {
            corrupt!("Huffman code lengths do not form a complete code");
        }
        let mut first_symbol = [0usize; MAX_LENGTH + 1];
        let mut total = 0usize;
        for length in 1..=MAX_LENGTH {
            first_symbol[length] = total;
            total += count[length] as usize;
        }
        symbols.clear();
        symbols.resize(total, 0);
        let mut slot = first_symbol;
        for &entry in coded {
            // Lengths in `coded` are 1 to 58 and counted in `count`.
            let length = (entry & 0x3f) as usize;
            symbols[slot[length]] = entry >> 6;
            slot[length] += 1;
        }
        Ok(Self {
            max_length,
            table_bits: max_length.clamp(1, TABLE_BITS),
            count,
            start,
            aligned,
            first_symbol,
            run,
        })
    }

    /// Fills the lookup table for codes of up to `table_bits` bits.
    fn fill_table<'t>(
        &self,
        symbols: &[u32],
        table: &'t mut Table,
    ) -> Result<&'t [u64; TABLE_SIZE]> {
        table.entries.resize(TABLE_SIZE, 0);
        let used = 1 << self.table_bits;
        let entries = table.entries.get_mut(..used).unwrap_or_default();
        entries.fill(u64::from(LONG));
        let short = self.table_bits as usize;
        // Prefixes of long codes remember the shortest length sharing them,
        // where the search for the code's length starts. Longer codes have
        // lower values, so shorter lengths are written last and win.
        for length in (short + 1..=self.max_length as usize).rev() {
            if self.count[length] == 0 {
                continue;
            }
            let shift = length - short;
            let first = (self.start[length] >> shift) as usize;
            let last = ((self.start[length] + self.count[length] - 1) >> shift) as usize;
            if let Some(prefixes) = entries.get_mut(first..=last) {
                prefixes.fill(u64::from(LONG) | length as u64);
            }
        }
        for length in 1..=short {
            let first = self.first_symbol[length];
            let codes = self.start[length]..self.start[length] + self.count[length];
            let shift = short - length;
            // A complete code has fewer than 2^length codes of each length.
            for (code, &symbol) in codes.zip(&symbols[first..]) {
                let prefixes = (code << shift) as usize..((code + 1) << shift) as usize;
                // Every symbol but the run symbol is below 65536.
                let entry = if symbol == self.run {
                    u64::from(RUN) | length as u64
                } else {
                    single_entry(symbol, length)
                };
                entries[prefixes].fill(entry);
            }
        }
        // A prefix whose bits after its first word's code hold a whole
        // second word's code decodes both. Entries made pairs keep their
        // first code, so the order they change in does not matter.
        let flags = u64::from(RUN | LONG);
        for index in 0..used {
            let entry = entries[index];
            let (word, length) = first_code(entry);
            if entry & flags != 0 || length as usize >= short {
                continue;
            }
            let next = entries[(index << length) & (used - 1)];
            let (second, second_length) = first_code(next);
            if next & flags != 0 || (length + second_length) as usize > short {
                continue;
            }
            entries[index] =
                (length + second_length) | 2 << 8 | word << 16 | second << 32 | length << 48;
        }
        let error = |_| Error::Internal("Huffman lookup table has the wrong size".into());
        table.entries.as_slice().try_into().map_err(error)
    }

    /// The symbol and length of the code longer than `table_bits` that
    /// starts `window`, searching lengths from `shortest` on.
    #[inline(always)]
    fn long_code(&self, symbols: &[u32], window: u64, shortest: u32) -> Result<(u32, u32)> {
        for length in shortest.max(self.table_bits + 1)..=self.max_length {
            let l = length as usize;
            if window >= self.aligned[l] {
                let index = (window >> (64 - length)).wrapping_sub(self.start[l]);
                if index >= self.count[l] {
                    break;
                }
                let Some(&symbol) = symbols.get(self.first_symbol[l] + index as usize) else {
                    break;
                };
                return Ok((symbol, length));
            }
        }
        corrupt!("invalid Huffman code")
    }

    /// Decodes `data` into all of `out`; returns the bits it took, which may
    /// exceed the data's.
    fn decode(
        &self,
        table: &[u64; TABLE_SIZE],
        symbols: &[u32],
        data: &[u8],
        out: &mut [u16],
    ) -> Result<u64> {
        let mut bits = Bits::new(data);
        let prefix = |bits: &Bits| bits.peek(self.table_bits) as usize & (TABLE_SIZE - 1);
        let flags = u64::from(RUN | LONG);
        let mut written = 0usize;
        while written < out.len() {
            bits.refill();
            // With 56 bits buffered, four entries of short codes (each at
            // most the table's bits) need no refill in between. Both words
            // of an entry are stored; a second that is not the entry's is
            // overwritten by the next word.
            let mut entry = table[prefix(&bits)];
            let mut taken = 0;
            while entry & flags == 0 && taken < 4 {
                let Some(slots) = out.get_mut(written..written + 2) else {
                    break;
                };
                bits.consume((entry & 0xff) as u32);
                slots[0] = (entry >> 16) as u16;
                slots[1] = (entry >> 32) as u16;
                written += ((entry >> 8) & 0xff) as usize;
                taken += 1;
                entry = table[prefix(&bits)];
            }
            if taken > 0 {
                continue;
            }
            if entry & flags == 0 {
                // The last word of the block.
                let (word, length) = first_code(entry);
                bits.consume(length as u32);
                out[written] = word as u16;
                written += 1;
                continue;
            }
            let kind = entry as u8;
            let symbol = if kind & LONG == 0 {
                bits.consume(u32::from(kind & LENGTH_MASK));
                self.run
            } else {
                let shortest = u32::from(kind & LENGTH_MASK);
                let (symbol, length) =
                    self.long_code(symbols, bits.window(self.max_length), shortest)?;
                bits.skip(length);
                symbol
            };
            if symbol != self.run {
                // Only the run symbol can be 65536.
                out[written] = symbol as u16;
                written += 1;
                continue;
            }
            bits.refill();
            let repeats = bits.peek(8) as usize;
            bits.consume(8);
            let Some(&previous) = written.checked_sub(1).and_then(|i| out.get(i)) else {
                corrupt!("Huffman data starts with a run");
            };
            let Some(run) = out.get_mut(written..written + repeats) else {
                corrupt!("Huffman run goes past the end of the block");
            };
            if repeats == 0 {
                corrupt!("Huffman run of no words");
            }
            run.fill(previous);
            written += repeats;
        }
        Ok(bits.position())
    }
}

/// Reads coded data most significant bit first, 56 or more bits at a time;
/// reads past the end see zeros (callers check [`Bits::position`]).
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte to load.
    next: usize,
    /// Unread bits, left-aligned; bits past `count` are zero or the bits
    /// that follow.
    buffer: u64,
    /// Valid bits in `buffer`, below 64.
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            next: 0,
            buffer: 0,
            count: 0,
        }
    }

    /// Tops the buffer up to at least 56 bits.
    #[inline(always)]
    fn refill(&mut self) {
        self.buffer |= load(self.data, self.next) >> self.count;
        self.next += ((63 - self.count) >> 3) as usize;
        self.count |= 56;
    }

    /// The next `n` bits, `n` at most the buffer's count.
    #[inline(always)]
    fn peek(&self, n: u32) -> u64 {
        self.buffer >> (64 - n)
    }

    /// Skips `n` bits, at most the buffer's count.
    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.count -= n;
    }

    /// Skips `n` bits.
    fn skip(&mut self, n: u32) {
        if n <= self.count {
            self.consume(n);
        } else {
            self.seek(self.position() + u64::from(n));
        }
    }

    /// 64 bits from the reader's position on, of which at least the first
    /// `n` (up to 64) are the data's.
    fn window(&self, n: u32) -> u64 {
        if n <= self.count {
            self.buffer
        } else {
            self.window_at(self.position())
        }
    }

    /// Bits read so far.
    fn position(&self) -> u64 {
        self.next as u64 * 8 - u64::from(self.count)
    }

    /// 64 bits from bit `position` on.
    fn window_at(&self, position: u64) -> u64 {
        let byte = (position / 8) as usize;
        let high = u128::from(load(self.data, byte)) << 64;
        let both = high | u128::from(load(self.data, byte + 8));
        ((both << (position % 8)) >> 64) as u64
    }

    /// Moves to bit `position`.
    fn seek(&mut self, position: u64) {
        self.next = (position / 8) as usize;
        self.buffer = 0;
        self.count = 0;
        self.refill();
        self.consume((position % 8) as u32);
    }
}

/// Eight bytes of `data` from `at` on, big-endian, zeros past the end.
#[inline(always)]
fn load(data: &[u8], at: usize) -> u64 {
    let rest = data.get(at..).unwrap_or_default();
    if let Some(bytes) = rest.first_chunk::<8>() {
        return u64::from_be_bytes(*bytes);
    }
    let mut bytes = [0u8; 8];
    for (b, &r) in bytes.iter_mut().zip(rest) {
        *b = r;
    }
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
pub(super) mod tests {
    use std::cmp::Reverse;
    use std::collections::{BTreeMap, BinaryHeap};

    use super::*;

    /// Writes fields most significant bit first.
    #[derive(Default)]
    struct BitWriter {
        bytes: Vec<u8>,
        bits: u64,
    }

    impl BitWriter {
        fn put(&mut self, n: u32, value: u64) {
            for i in (0..n).rev() {
                if self.bits % 8 == 0 {
                    self.bytes.push(0);
                }
                let bit = (value >> i & 1) as u8;
                if let Some(last) = self.bytes.last_mut() {
                    *last |= bit << (7 - self.bits % 8);
                }
                self.bits += 1;
            }
        }
    }

    /// Huffman code lengths for symbols with `frequencies`.
    fn lengths_for(frequencies: &BTreeMap<u32, u64>) -> BTreeMap<u32, u8> {
        let symbols: Vec<u32> = frequencies.keys().copied().collect();
        let mut parent: Vec<usize> = vec![usize::MAX; symbols.len()];
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = frequencies
            .values()
            .enumerate()
            .map(|(i, &f)| Reverse((f, i)))
            .collect();
        while let (Some(Reverse((fa, a))), Some(Reverse((fb, b)))) = (heap.pop(), heap.pop()) {
            let node = parent.len();
            parent.push(usize::MAX);
            parent[a] = node;
            parent[b] = node;
            heap.push(Reverse((fa + fb, node)));
        }
        let depth = |mut i: usize| {
            let mut d = 0;
            while parent[i] != usize::MAX {
                i = parent[i];
                d += 1;
            }
            d
        };
        symbols
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, depth(i)))
            .collect()
    }

    /// Canonical codes for `lengths`, as the format assigns them.
    fn codes_for(lengths: &BTreeMap<u32, u8>) -> BTreeMap<u32, u64> {
        let mut count = [0u64; MAX_LENGTH + 2];
        for &l in lengths.values() {
            count[usize::from(l)] += 1;
        }
        let mut next = [0u64; MAX_LENGTH + 2];
        let mut code = 0;
        for l in (1..=MAX_LENGTH).rev() {
            next[l] = code;
            code = (code + count[l]) >> 1;
        }
        lengths
            .iter()
            .map(|(&s, &l)| {
                let c = next[usize::from(l)];
                next[usize::from(l)] += 1;
                (s, c)
            })
            .collect()
    }

    /// Packs the code lengths of `first..=last` as the format does.
    fn pack_lengths(out: &mut BitWriter, lengths: &BTreeMap<u32, u8>, first: u32, last: u32) {
        let mut symbol = first;
        while symbol <= last {
            let length = lengths.get(&symbol).copied().unwrap_or(0);
            if length > 0 {
                out.put(6, u64::from(length));
                symbol += 1;
                continue;
            }
            let zeros = (symbol..=last)
                .take_while(|s| !lengths.contains_key(s))
                .take(255 + 6)
                .count() as u32;
            match zeros {
                1 => out.put(6, 0),
                2..=5 => out.put(6, u64::from(zeros - 2 + 59)),
                _ => {
                    out.put(6, 63);
                    out.put(8, u64::from(zeros - 6));
                }
            }
            symbol += zeros;
        }
    }

    /// Codes `words` with the code of `lengths`, whose last symbol is the
    /// run symbol, using runs of repeated words where they are shorter.
    pub fn encode_with(words: &[u16], lengths: &BTreeMap<u32, u8>) -> Vec<u8> {
        let first = *lengths.keys().next().unwrap();
        let run = *lengths.keys().last().unwrap();
        let codes = codes_for(lengths);
        let mut table = BitWriter::default();
        pack_lengths(&mut table, lengths, first, run);
        let mut data = BitWriter::default();
        let put = |data: &mut BitWriter, s: u32| data.put(u32::from(lengths[&s]), codes[&s]);
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let repeats = words[i + 1..]
                .iter()
                .take(255)
                .take_while(|&&v| v == w)
                .count();
            let (lw, lr) = (u64::from(lengths[&u32::from(w)]), u64::from(lengths[&run]));
            put(&mut data, u32::from(w));
            if repeats > 0 && lw + lr + 8 < lw * repeats as u64 {
                put(&mut data, run);
                data.put(8, repeats as u64);
            } else {
                for _ in 0..repeats {
                    put(&mut data, u32::from(w));
                }
            }
            i += 1 + repeats;
        }
        let mut out = Vec::new();
        for v in [first, run, table.bytes.len() as u32, data.bits as u32, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&table.bytes);
        out.extend_from_slice(&data.bytes);
        out
    }

    /// Codes `words` with a Huffman code built from their frequencies.
    pub fn encode(words: &[u16]) -> Vec<u8> {
        let mut frequencies = BTreeMap::new();
        for &w in words {
            *frequencies.entry(u32::from(w)).or_insert(0) += 1;
        }
        let run = frequencies.keys().last().map_or(0, |&m| m + 1);
        frequencies.insert(run, 1);
        encode_with(words, &lengths_for(&frequencies))
    }

    fn decoded(coded: &[u8], n: usize) -> Result<Vec<u16>> {
        let mut out = vec![0u16; n];
        decode(coded, &mut out, &mut Scratch::default())?;
        Ok(out)
    }

    /// Words from a generator with the given seed, below `limit`.
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
    fn words_round_trip() {
        let cases: Vec<Vec<u16>> = vec![
            vec![7],
            vec![0; 1000],
            vec![65535, 0, 65535, 65535, 65535, 65535, 65535, 65535, 1],
            noise(5000, 3, 1),
            noise(5000, 70_000, 2),
            noise(20_000, 600, 3).iter().map(|&w| w / 37 * 37).collect(),
        ];
        for words in cases {
            let coded = encode(&words);
            assert_eq!(decoded(&coded, words.len()).unwrap(), words);
        }
    }

    #[test]
    fn pairs_of_short_codes_decode_to_the_last_word() {
        // Few symbols give short codes, most prefixes decode two words;
        // across the lengths, blocks end inside and after pairs.
        let words: Vec<u16> = noise(300, 5, 4).iter().map(|&w| w * 1000).collect();
        for len in 1..words.len() {
            let coded = encode(&words[..len]);
            assert_eq!(decoded(&coded, len).unwrap(), &words[..len], "{len} words");
        }
    }

    #[test]
    fn codes_longer_than_the_table_decode() {
        // Fibonacci frequencies give one code of each length up to 25.
        let (mut a, mut b) = (1u64, 1u64);
        let mut words = Vec::new();
        for symbol in 0..26u16 {
            words.extend(std::iter::repeat(symbol * 3).take(a as usize));
            (a, b) = (b, a + b);
        }
        // Interleave so that runs do not hide the long codes.
        let order = noise(words.len(), u32::MAX, 9);
        let mut keyed: Vec<(u16, u16)> = order.into_iter().zip(words).collect();
        keyed.sort_unstable();
        let words: Vec<u16> = keyed.into_iter().map(|(_, w)| w).collect();
        let coded = encode(&words);
        assert_eq!(decoded(&coded, words.len()).unwrap(), words);
    }

    #[test]
    fn codes_of_58_bits_decode() {
        // Lengths 1, 2, ..., 57, 58, 58 make a complete code.
        let mut lengths: BTreeMap<u32, u8> = (0..58).map(|s| (s, s as u8 + 1)).collect();
        lengths.insert(58, 58);
        let words = [57, 56, 0, 57, 1, 55, 57, 30, 57];
        let coded = encode_with(&words, &lengths);
        assert_eq!(decoded(&coded, words.len()).unwrap(), words);
    }

    fn header(first: u32, last: u32, bits: u32) -> Vec<u8> {
        [first, last, 0, bits, 0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    fn lengths_of(first: u32, last: u32, fields: &[(u32, u64)]) -> Result<Vec<u32>> {
        let mut table = BitWriter::default();
        for &(n, v) in fields {
            table.put(n, v);
        }
        let mut coded = Vec::new();
        read_lengths(&table.bytes, first, last, &mut coded)?;
        Ok(coded)
    }

    #[test]
    fn length_table_runs_expand() {
        // 3, a run of 2 (59), a run of 5 (62), a long run of 6 + 1, then 9.
        let fields = [(6, 3), (6, 59), (6, 62), (6, 63), (8, 1), (6, 9)];
        let coded = lengths_of(10, 25, &fields).unwrap();
        assert_eq!(coded, vec![10 << 6 | 3, 25 << 6 | 9]);
    }

    #[test]
    fn length_table_errors() {
        // A run past the last symbol.
        assert!(lengths_of(0, 3, &[(6, 1), (6, 62)]).is_err());
        assert!(lengths_of(0, 4, &[(6, 63), (8, 0)]).is_err());
        // Fewer fields than symbols.
        assert!(lengths_of(0, 9, &[(6, 1), (6, 1)]).is_err());
        // A long run missing its count.
        assert!(lengths_of(0, 300, &[(6, 1), (2, 3)]).is_err());
    }

    #[test]
    fn incomplete_or_oversubscribed_codes_are_corrupt() {
        for lengths in [vec![1u8], vec![1, 2], vec![1, 1, 1], vec![2, 2, 2, 2, 2]] {
            let fields: Vec<(u32, u64)> = lengths.iter().map(|&l| (6, u64::from(l))).collect();
            let mut table = BitWriter::default();
            for &(n, v) in &fields {
                table.put(n, v);
            }
            let mut coded = header(0, lengths.len() as u32 - 1, 8);
            coded.extend_from_slice(&table.bytes);
            coded.push(0);
            assert!(decoded(&coded, 1).is_err(), "{lengths:?}");
        }
    }

    #[test]
    fn bad_streams_are_corrupt() {
        let words = noise(300, 20, 4);
        let coded = encode(&words);
        // Too many words for the data.
        assert!(decoded(&coded, words.len() + 1).is_err());
        // A header cut short, symbols out of range.
        assert!(decoded(&coded[..19], 1).is_err());
        assert!(decoded(&header(5, 4, 0), 1).is_err());
        assert!(decoded(&header(0, 65537, 0), 1).is_err());
        // Data shorter than its bit count says.
        assert!(decoded(&coded[..coded.len() - 1], words.len()).is_err());
        // A run first, a run past the end, a run of nothing: symbols 0 and
        // 1 (the run symbol) have 1-bit codes 0 and 1.
        let lengths: BTreeMap<u32, u8> = [(0, 1), (1, 1)].into();
        let stream = |bits: &[(u32, u64)]| {
            let mut data = BitWriter::default();
            for &(n, v) in bits {
                data.put(n, v);
            }
            let mut table = BitWriter::default();
            pack_lengths(&mut table, &lengths, 0, 1);
            let mut coded = header(0, 1, data.bits as u32);
            coded.extend_from_slice(&table.bytes);
            coded.extend_from_slice(&data.bytes);
            coded
        };
        assert_eq!(
            decoded(&stream(&[(1, 0), (1, 1), (8, 3)]), 4).unwrap(),
            [0; 4]
        );
        assert!(decoded(&stream(&[(1, 1), (8, 3)]), 3).is_err());
        assert!(decoded(&stream(&[(1, 0), (1, 1), (8, 9)]), 4).is_err());
        assert!(decoded(&stream(&[(1, 0), (1, 1), (8, 0), (1, 0)]), 2).is_err());
    }

    #[test]
    fn no_words_need_no_data() {
        assert_eq!(decoded(&[], 0).unwrap(), Vec::<u16>::new());
    }
}
