//! Where each chunk of a part lies: resolution levels, lines per chunk,
//! tiles per level, and the mapping between chunk indices and pixel regions.

use super::types::{Box2i, LevelMode, RoundingMode, TileDesc};
use crate::error::{corrupt, Error, Result};

/// The pixels one chunk covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRegion {
    /// Horizontal resolution level (0 for scanline parts).
    pub level_x: u32,
    /// Vertical resolution level (0 for scanline parts).
    pub level_y: u32,
    /// Tile column within the level (0 for scanline parts).
    pub tile_x: u32,
    /// Tile row within the level, or the chunk's block index for scanline parts.
    pub tile_y: u32,
    /// The pixels, in the coordinates of the level (the data window's origin
    /// is kept at every level).
    pub pixels: Box2i,
}

/// The chunks of one level whose pixels meet a window: a grid of tiles, or
/// a column of scanline blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkGrid {
    level: (u32, u32),
    tiles_x: (u32, u32),
    tiles_y: (u32, u32),
}

impl ChunkGrid {
    /// How many chunks the grid holds.
    pub fn count(&self) -> u64 {
        u64::from(self.tiles_x.1 - self.tiles_x.0) * u64::from(self.tiles_y.1 - self.tiles_y.0)
    }
}

/// The chunk layout of one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    data_window: Box2i,
    layout: Layout,
    chunk_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Layout {
    Scanlines {
        lines_per_chunk: u32,
    },
    Tiles {
        desc: TileDesc,
        level_count_x: u32,
        level_count_y: u32,
        /// First chunk index of each level in file order, plus the total.
        level_starts: Vec<u64>,
    },
}

/// `floor(log2(x))` or `ceil(log2(x))` for `x >= 1`.
fn round_log2(x: u64, rounding: RoundingMode) -> u32 {
    let floor = 63 - x.max(1).leading_zeros();
    match rounding {
        RoundingMode::Down => floor,
        RoundingMode::Up if x.is_power_of_two() => floor,
        RoundingMode::Up => floor + 1,
    }
}

/// The size of a dimension of `size` pixels at `level`, never below 1.
pub fn level_dimension(size: u64, level: u32, rounding: RoundingMode) -> u64 {
    if level >= 64 {
        return 1;
    }
    let shifted = size >> level;
    let rounded = match rounding {
        RoundingMode::Up if shifted << level < size => shifted + 1,
        _ => shifted,
    };
    rounded.max(1)
}

impl Geometry {
    /// Layout of a scanline part (flat or deep).
    pub fn scanlines(data_window: Box2i, lines_per_chunk: u32) -> Result<Self> {
        let height = positive_extent(data_window.height(), "height")?;
        positive_extent(data_window.width(), "width")?;
        let lines = u64::from(lines_per_chunk.max(1));
        Ok(Self {
            data_window,
            layout: Layout::Scanlines {
                lines_per_chunk: lines_per_chunk.max(1),
            },
            chunk_count: height.div_ceil(lines),
        })
    }

    /// Layout of a tiled part (flat or deep).
    pub fn tiles(data_window: Box2i, desc: TileDesc) -> Result<Self> {
        let width = positive_extent(data_window.width(), "width")?;
        let height = positive_extent(data_window.height(), "height")?;
        if desc.width == 0 || desc.height == 0 {
            corrupt!("tile size {}x{} is empty", desc.width, desc.height);
        }
        let (level_count_x, level_count_y) = match desc.level_mode {
            LevelMode::One => (1, 1),
            LevelMode::Mipmap => {
                let n = round_log2(width.max(height), desc.rounding_mode) + 1;
                (n, n)
            }
            LevelMode::Ripmap => (
                round_log2(width, desc.rounding_mode) + 1,
                round_log2(height, desc.rounding_mode) + 1,
            ),
        };
        let mut geometry = Self {
            data_window,
            layout: Layout::Tiles {
                desc,
                level_count_x,
                level_count_y,
                level_starts: Vec::new(),
            },
            chunk_count: 0,
        };
        let mut starts = vec![0u64];
        let mut total = 0u64;
        for (lx, ly) in geometry.levels_in_file_order() {
            let (tiles_x, tiles_y) = geometry.tile_counts(lx, ly);
            total = tiles_x
                .checked_mul(tiles_y)
                .and_then(|n| n.checked_add(total))
                .ok_or_else(|| crate::Error::Corrupt("the tile count overflows".into()))?;
            starts.push(total);
        }
        geometry.chunk_count = total;
        if let Layout::Tiles { level_starts, .. } = &mut geometry.layout {
            *level_starts = starts;
        }
        Ok(geometry)
    }

    /// The number of chunks the part must have.
    pub fn chunk_count(&self) -> u64 {
        self.chunk_count
    }

    /// Scanlines per chunk, or `None` for tiled parts.
    pub fn lines_per_chunk(&self) -> Option<u32> {
        match self.layout {
            Layout::Scanlines { lines_per_chunk } => Some(lines_per_chunk),
            Layout::Tiles { .. } => None,
        }
    }

    /// The tile description, or `None` for scanline parts.
    pub fn tile_desc(&self) -> Option<TileDesc> {
        match self.layout {
            Layout::Tiles { desc, .. } => Some(desc),
            Layout::Scanlines { .. } => None,
        }
    }

    /// Number of horizontal and vertical levels (1, 1 for scanline parts).
    pub fn level_counts(&self) -> (u32, u32) {
        match self.layout {
            Layout::Tiles {
                level_count_x,
                level_count_y,
                ..
            } => (level_count_x, level_count_y),
            Layout::Scanlines { .. } => (1, 1),
        }
    }

    /// Whether `(level_x, level_y)` is a level of this part.
    pub fn has_level(&self, level_x: u32, level_y: u32) -> bool {
        let (nx, ny) = self.level_counts();
        match self.tile_desc().map(|d| d.level_mode) {
            Some(LevelMode::Mipmap) => level_x == level_y && level_x < nx,
            _ => level_x < nx && level_y < ny,
        }
    }

    /// Width and height of a level in pixels, or `None` if there is no such level.
    pub fn level_size(&self, level_x: u32, level_y: u32) -> Option<(u64, u64)> {
        if !self.has_level(level_x, level_y) {
            return None;
        }
        let width = self.data_window.width().max(1) as u64;
        let height = self.data_window.height().max(1) as u64;
        let rounding = self
            .tile_desc()
            .map_or(RoundingMode::Down, |d| d.rounding_mode);
        Some((
            level_dimension(width, level_x, rounding),
            level_dimension(height, level_y, rounding),
        ))
    }

    /// Width and height of a level in pixels; [`Error::InvalidArgument`]
    /// naming the level counts if there is no such level.
    pub fn existing_level_size(&self, level_x: u32, level_y: u32) -> Result<(u64, u64)> {
        self.level_size(level_x, level_y).ok_or_else(|| {
            let (nx, ny) = self.level_counts();
            Error::InvalidArgument(format!(
                "level ({level_x}, {level_y}) does not exist; the part has {nx}x{ny} levels"
            ))
        })
    }

    /// Levels in the order their chunks appear in the offset table.
    fn levels_in_file_order(&self) -> impl Iterator<Item = (u32, u32)> {
        let (nx, ny) = self.level_counts();
        let mode = self.tile_desc().map(|d| d.level_mode);
        let diagonal = mode == Some(LevelMode::Mipmap);
        (0..ny).flat_map(move |ly| {
            (0..nx).filter_map(move |lx| (!diagonal || lx == ly).then_some((lx, ly)))
        })
    }

    /// Tiles across and down at a level.
    fn tile_counts(&self, level_x: u32, level_y: u32) -> (u64, u64) {
        let (w, h) = self.level_size(level_x, level_y).unwrap_or((1, 1));
        match self.layout {
            Layout::Tiles { desc, .. } => (
                w.div_ceil(u64::from(desc.width)),
                h.div_ceil(u64::from(desc.height)),
            ),
            Layout::Scanlines { .. } => (1, self.chunk_count),
        }
    }

    /// Tiles across and down at a level, or `None` if there is no such level.
    pub fn tiles_in_level(&self, level_x: u32, level_y: u32) -> Option<(u64, u64)> {
        self.has_level(level_x, level_y)
            .then(|| self.tile_counts(level_x, level_y))
    }

    /// The chunk holding scanline `y`, for scanline parts.
    pub fn scanline_chunk(&self, y: i32) -> Option<u64> {
        let Layout::Scanlines { lines_per_chunk } = self.layout else {
            return None;
        };
        let dy = i64::from(y) - i64::from(self.data_window.min_y);
        (dy >= 0 && dy < self.data_window.height()).then(|| dy as u64 / u64::from(lines_per_chunk))
    }

    /// The chunk index of a tile, or `None` if the tile does not exist.
    pub fn tile_chunk(&self, tile_x: u32, tile_y: u32, level_x: u32, level_y: u32) -> Option<u64> {
        let Layout::Tiles {
            level_starts,
            level_count_x,
            desc,
            ..
        } = &self.layout
        else {
            return None;
        };
        let (tiles_x, tiles_y) = self.tiles_in_level(level_x, level_y)?;
        if u64::from(tile_x) >= tiles_x || u64::from(tile_y) >= tiles_y {
            return None;
        }
        let level_index = match desc.level_mode {
            LevelMode::Ripmap => level_y as usize * *level_count_x as usize + level_x as usize,
            _ => level_x as usize,
        };
        let start = *level_starts.get(level_index)?;
        Some(start + u64::from(tile_y) * tiles_x + u64::from(tile_x))
    }

    /// The chunks of level (`level_x`, `level_y`) whose pixels meet `window`
    /// (in the level's coordinates), or `None` if there is no such level.
    pub fn chunks_meeting(&self, level_x: u32, level_y: u32, window: Box2i) -> Option<ChunkGrid> {
        let (width, height) = self.level_size(level_x, level_y)?;
        let (tile_w, tile_h) = match &self.layout {
            Layout::Tiles { desc, .. } => (i64::from(desc.width), i64::from(desc.height)),
            Layout::Scanlines { lines_per_chunk } => (width as i64, i64::from(*lines_per_chunk)),
        };
        let span = |lo: i32, hi: i32, origin: i32, extent: u64, step: i64| -> (u32, u32) {
            let lo = (i64::from(lo) - i64::from(origin)).max(0);
            let hi = (i64::from(hi) - i64::from(origin)).min(extent as i64 - 1);
            if lo > hi {
                return (0, 0);
            }
            ((lo / step) as u32, (hi / step + 1) as u32)
        };
        let dw = self.data_window;
        Some(ChunkGrid {
            level: (level_x, level_y),
            tiles_x: span(window.min_x, window.max_x, dw.min_x, width, tile_w),
            tiles_y: span(window.min_y, window.max_y, dw.min_y, height, tile_h),
        })
    }

    /// The `i`-th chunk of `grid`, row by row.
    pub fn grid_chunk(&self, grid: &ChunkGrid, i: u64) -> Option<u64> {
        let across = u64::from(grid.tiles_x.1 - grid.tiles_x.0);
        let tx = grid.tiles_x.0 + u32::try_from(i.checked_rem(across)?).ok()?;
        let ty = grid.tiles_y.0 + u32::try_from(i / across).ok()?;
        match self.layout {
            Layout::Tiles { .. } => self.tile_chunk(tx, ty, grid.level.0, grid.level.1),
            Layout::Scanlines { .. } => Some(u64::from(ty)),
        }
    }

    /// The pixels chunk `index` covers; [`Error::InvalidArgument`] naming
    /// the chunk count if there is no such chunk.
    pub fn existing_chunk_region(&self, index: u64) -> Result<ChunkRegion> {
        self.chunk_region(index).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "chunk {index} does not exist; the part has {}",
                self.chunk_count
            ))
        })
    }

    /// The pixels chunk `index` covers, or `None` if there is no such chunk.
    pub fn chunk_region(&self, index: u64) -> Option<ChunkRegion> {
        if index >= self.chunk_count {
            return None;
        }
        let dw = self.data_window;
        match &self.layout {
            Layout::Scanlines { lines_per_chunk } => {
                let min_y = i64::from(dw.min_y) + index as i64 * i64::from(*lines_per_chunk);
                let max_y = (min_y + i64::from(*lines_per_chunk) - 1).min(i64::from(dw.max_y));
                Some(ChunkRegion {
                    level_x: 0,
                    level_y: 0,
                    tile_x: 0,
                    tile_y: u32::try_from(index).ok()?,
                    pixels: Box2i {
                        min_x: dw.min_x,
                        min_y: i32::try_from(min_y).ok()?,
                        max_x: dw.max_x,
                        max_y: i32::try_from(max_y).ok()?,
                    },
                })
            }
            Layout::Tiles {
                desc, level_starts, ..
            } => {
                let level = level_starts.partition_point(|&start| start <= index) - 1;
                let (lx, ly) = self.levels_in_file_order().nth(level)?;
                let within = index - level_starts.get(level)?;
                let (tiles_x, _) = self.tile_counts(lx, ly);
                let (tx, ty) = (within % tiles_x, within / tiles_x);
                let (w, h) = self.level_size(lx, ly)?;
                let tw = u64::from(desc.width);
                let th = u64::from(desc.height);
                let x0 = tx * tw;
                let y0 = ty * th;
                let x1 = (x0 + tw).min(w) - 1;
                let y1 = (y0 + th).min(h) - 1;
                let at = |origin: i32, offset: u64| {
                    i32::try_from(i64::from(origin) + offset as i64).ok()
                };
                Some(ChunkRegion {
                    level_x: lx,
                    level_y: ly,
                    tile_x: u32::try_from(tx).ok()?,
                    tile_y: u32::try_from(ty).ok()?,
                    pixels: Box2i {
                        min_x: at(dw.min_x, x0)?,
                        min_y: at(dw.min_y, y0)?,
                        max_x: at(dw.min_x, x1)?,
                        max_y: at(dw.min_y, y1)?,
                    },
                })
            }
        }
    }
}

fn positive_extent(extent: i64, what: &str) -> Result<u64> {
    if extent <= 0 {
        corrupt!("the data window's {what} is {extent}");
    }
    Ok(extent as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(w: i32, h: i32) -> Box2i {
        Box2i {
            min_x: -3,
            min_y: 5,
            max_x: w - 4,
            max_y: h + 4,
        }
    }

    fn tiles(level_mode: LevelMode, rounding_mode: RoundingMode, size: u32) -> TileDesc {
        TileDesc {
            width: size,
            height: size,
            level_mode,
            rounding_mode,
        }
    }

    #[test]
    fn level_sizes_follow_rounding() {
        assert_eq!(level_dimension(7, 1, RoundingMode::Down), 3);
        assert_eq!(level_dimension(7, 1, RoundingMode::Up), 4);
        assert_eq!(level_dimension(7, 5, RoundingMode::Down), 1);
        assert_eq!(level_dimension(8, 3, RoundingMode::Up), 1);
        assert_eq!(round_log2(1, RoundingMode::Up), 0);
        assert_eq!(round_log2(5, RoundingMode::Down), 2);
        assert_eq!(round_log2(5, RoundingMode::Up), 3);
    }

    #[test]
    fn scanline_chunks_cover_the_window() {
        let g = Geometry::scanlines(window(10, 33), 16).unwrap();
        assert_eq!(g.chunk_count(), 3);
        let last = g.chunk_region(2).unwrap();
        assert_eq!((last.pixels.min_y, last.pixels.max_y), (37, 37));
        assert_eq!(g.scanline_chunk(37), Some(2));
        assert_eq!(g.scanline_chunk(4), None);
        assert_eq!(g.chunk_region(3), None);
    }

    #[test]
    fn mipmap_levels_match_openexr() {
        // 550x832 with 128x128 tiles, rounded down (MultiResolution/Bonita.exr).
        let g = Geometry::tiles(
            window(550, 832),
            tiles(LevelMode::Mipmap, RoundingMode::Down, 128),
        )
        .unwrap();
        assert_eq!(g.level_counts(), (10, 10));
        assert_eq!(g.level_size(9, 9), Some((1, 1)));
        assert_eq!(g.level_size(1, 1), Some((275, 416)));
        assert_eq!(g.level_size(1, 0), None);
        // 5x7 + 3x4 + 2x2 + 1x1 * 7
        assert_eq!(g.chunk_count(), 35 + 12 + 4 + 7);
        let index = g.tile_chunk(1, 2, 1, 1).unwrap();
        assert_eq!(index, 35 + 2 * 3 + 1);
        let region = g.chunk_region(index).unwrap();
        assert_eq!((region.level_x, region.tile_x, region.tile_y), (1, 1, 2));
        assert_eq!(region.pixels.min_x, -3 + 128);
        assert_eq!(region.pixels.max_x, -3 + 255);
        assert_eq!(region.pixels.max_y, 5 + 383);
    }

    #[test]
    fn ripmap_levels_are_row_major_by_level_y() {
        let g =
            Geometry::tiles(window(9, 4), tiles(LevelMode::Ripmap, RoundingMode::Up, 4)).unwrap();
        assert_eq!(g.level_counts(), (5, 3));
        let index = g.tile_chunk(0, 0, 0, 1).unwrap();
        // level row 0 holds levels 9,5,3,2,1 wide: 3+2+1+1+1 tiles.
        assert_eq!(index, 8);
        let region = g.chunk_region(index).unwrap();
        assert_eq!((region.level_x, region.level_y), (0, 1));
        for i in 0..g.chunk_count() {
            let r = g.chunk_region(i).unwrap();
            assert_eq!(
                g.tile_chunk(r.tile_x, r.tile_y, r.level_x, r.level_y),
                Some(i)
            );
        }
    }
}
