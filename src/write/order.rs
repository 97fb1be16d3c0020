//! The order chunks must reach the file in, and the buffer that holds
//! chunks arriving early until their turn.

use std::collections::BTreeMap;

use crate::meta::header::Header;
use crate::meta::types::LineOrder;

/// Where chunk `index` of a part comes in the file's order: chunk index
/// order for increasing y; for decreasing y, bottom rows first (scanline
/// blocks in reverse; tiles of each level row by row from the bottom, left
/// to right within a row). The mapping is its own inverse.
pub(crate) fn rank(header: &Header, index: u64) -> u64 {
    if header.line_order() != LineOrder::DecreasingY {
        return index;
    }
    let geometry = header.geometry();
    let count = geometry.chunk_count();
    let Some(region) = geometry.chunk_region(index) else {
        return index;
    };
    if geometry.tile_desc().is_none() {
        return count - 1 - index;
    }
    let (level_x, level_y) = (region.level_x, region.level_y);
    let Some((across, down)) = geometry.tiles_in_level(level_x, level_y) else {
        return index;
    };
    let first = geometry.tile_chunk(0, 0, level_x, level_y).unwrap_or(index);
    let row = u64::from(region.tile_y);
    first + (down - 1 - row) * across + u64::from(region.tile_x)
}

/// Chunks of one part on their way to the file.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    /// The rank of the next chunk the file takes.
    pub next: u64,
    /// Chunks that arrived before their turn, by rank.
    pub early: BTreeMap<u64, Vec<u8>>,
}
