//! Huffman code lengths chosen as OpenEXR chooses them, so that blocks come
//! out the size OpenEXR makes them.
//!
//! The tree is built the textbook way, always joining the two least
//! frequent nodes, with ties settled by a total order: nodes compare by
//! frequency, then by the symbol that stands for them. A leaf stands for
//! itself; a joined node for the symbol of the second (more frequent or,
//! on a tie, higher) of the two it joins. With a total order the joins, and
//! so the lengths, do not depend on how the priority queue works.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Bits of a queue key below the frequency: the representing symbol.
const SYMBOL_BITS: u32 = 17;
const SYMBOL_MASK: u64 = (1 << SYMBOL_BITS) - 1;

/// Buffers kept between blocks.
#[derive(Default)]
pub struct Scratch {
    /// Nodes to join, keyed by frequency, then representing symbol.
    queue: BinaryHeap<Reverse<u64>>,
    /// The node each symbol represents now, by symbol.
    node_of: Vec<u32>,
    /// Each node's parent; leaves first, in symbol order, then joined nodes
    /// in the order they were made, the root last.
    parent: Vec<u32>,
    /// Each node's depth.
    depth: Vec<u8>,
}

/// Fills `lengths` with the code length of each symbol of `counts` (0 for
/// symbols with a count of 0); returns the longest. Counts must be below
/// 2^46 in total, and the symbols at most 2^17.
pub fn build(counts: &[u32], lengths: &mut Vec<u8>, scratch: &mut Scratch) -> u32 {
    lengths.clear();
    lengths.resize(counts.len(), 0);
    let Scratch {
        queue,
        node_of,
        parent,
        depth,
    } = scratch;
    queue.clear();
    node_of.clear();
    node_of.resize(counts.len(), 0);
    parent.clear();
    for (symbol, &count) in counts.iter().enumerate() {
        if count > 0 {
            node_of[symbol] = parent.len() as u32;
            parent.push(u32::MAX);
            queue.push(Reverse(u64::from(count) << SYMBOL_BITS | symbol as u64));
        }
    }
    let leaves = parent.len();
    if leaves == 1 {
        // A single symbol still needs a one-bit code.
        if let Some(symbol) = counts.iter().position(|&c| c > 0) {
            lengths[symbol] = 1;
        }
        return 1;
    }
    while let (Some(Reverse(low)), Some(Reverse(high))) = (queue.pop(), queue.pop()) {
        let node = parent.len() as u32;
        parent.push(u32::MAX);
        let (low_symbol, high_symbol) =
            ((low & SYMBOL_MASK) as usize, (high & SYMBOL_MASK) as usize);
        parent[node_of[low_symbol] as usize] = node;
        parent[node_of[high_symbol] as usize] = node;
        node_of[high_symbol] = node;
        let frequency = (low >> SYMBOL_BITS) + (high >> SYMBOL_BITS);
        queue.push(Reverse(frequency << SYMBOL_BITS | high_symbol as u64));
        if queue.len() == 1 {
            break;
        }
    }
    // Parents come after their children, so one pass from the root down
    // finds every depth.
    depth.clear();
    depth.resize(parent.len(), 0);
    let mut longest = 0;
    for node in (0..parent.len().saturating_sub(1)).rev() {
        let d = depth[parent[node] as usize].saturating_add(1);
        depth[node] = d;
        if node < leaves {
            longest = longest.max(u32::from(d));
        }
    }
    let mut leaf = 0;
    for (length, &count) in lengths.iter_mut().zip(counts) {
        if count > 0 {
            *length = depth[leaf];
            leaf += 1;
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths(counts: &[u32]) -> Vec<u8> {
        let mut lengths = Vec::new();
        build(counts, &mut lengths, &mut Scratch::default());
        lengths
    }

    /// Whether `lengths` describe a complete prefix code.
    fn complete(lengths: &[u8]) -> bool {
        let sum: f64 = lengths
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 0.5f64.powi(i32::from(l)))
            .sum();
        (sum - 1.0).abs() < 1e-12
    }

    #[test]
    fn ties_go_to_the_lower_symbol_first() {
        // All equal: 0 and 1 join (into 1), then 2 and 3 (into 3), then 4
        // and the pair of symbol 1, which ranks before the pair of 3.
        assert_eq!(lengths(&[1, 1, 1, 1, 1]), [3, 3, 2, 2, 2]);
        // Two of 2: leaf 1 (2, symbol 1) goes before the joined node of 0
        // and 2 (2, symbol 2).
        assert_eq!(lengths(&[1, 2, 1]), [2, 1, 2]);
        assert_eq!(lengths(&[2, 1, 1]), [1, 2, 2]);
    }

    #[test]
    fn unused_symbols_get_no_code() {
        assert_eq!(lengths(&[0, 5, 0, 0, 1, 0]), [0, 1, 0, 0, 1, 0]);
        assert_eq!(lengths(&[0, 0, 7]), [0, 0, 1]);
        assert_eq!(lengths(&[0, 0]), [0, 0]);
    }

    #[test]
    fn lengths_form_complete_codes_of_optimal_cost() {
        let mut state = 99u32;
        for n in [2usize, 3, 17, 300, 65537] {
            let counts: Vec<u32> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 8) % 1000
                })
                .collect();
            let lengths = lengths(&counts);
            assert!(complete(&lengths), "{n}");
            // Any Huffman code costs the same; compare with one built by
            // a plain sorted merge.
            let mut frequencies: Vec<u64> = counts
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| u64::from(c))
                .collect();
            let mut optimal = 0u64;
            let mut queue: BinaryHeap<Reverse<u64>> = frequencies.drain(..).map(Reverse).collect();
            while queue.len() > 1 {
                let (Some(Reverse(a)), Some(Reverse(b))) = (queue.pop(), queue.pop()) else {
                    break;
                };
                optimal += a + b;
                queue.push(Reverse(a + b));
            }
            let cost: u64 = counts
                .iter()
                .zip(&lengths)
                .map(|(&c, &l)| u64::from(c) * u64::from(l))
                .sum();
            assert_eq!(cost, optimal, "{n}");
        }
    }

    #[test]
    fn fibonacci_counts_give_one_code_per_length() {
        let (mut a, mut b) = (1u32, 1u32);
        let mut counts = Vec::new();
        for _ in 0..40 {
            counts.push(a);
            (a, b) = (b, a + b);
        }
        let mut lengths_out = Vec::new();
        let longest = build(&counts, &mut lengths_out, &mut Scratch::default());
        assert_eq!(longest, 39);
        assert!(complete(&lengths_out));
    }
}
