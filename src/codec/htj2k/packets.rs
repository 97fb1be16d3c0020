//! The packets of an HTJ2K tile (ITU-T T.800 Annex B, with the HT coding
//! passes of T.814): which code-blocks of each subband are coded, with how
//! many missing most significant bit-planes and passes, and where their
//! codeword segments are.
//!
//! Packets are read in the codestream's progression order over the
//! tile-parts, each of which holds whole packets. With one quality layer
//! and one precinct per resolution (what OpenEXR writes: maximal
//! precincts, chunks narrower than 2^15), every progression visits the
//! (resolution, component) pairs either resolution first (LRCP, RLCP,
//! RPCL) or component first (PCRL, CPRL). Several precincts in a
//! resolution are `Unsupported` for now.

use super::markers::{Codestream, Coding};
use crate::error::{corrupt, Error, Result};

/// A subband's orientation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Orientation {
    /// Low-pass both ways: resolution 0.
    Ll,
    /// High-pass horizontally.
    Hl,
    /// High-pass vertically.
    Lh,
    /// High-pass both ways.
    Hh,
}

/// One code-block's coded data.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeBlock<'a> {
    /// The first column and row in the subband.
    pub at: (u32, u32),
    /// Columns and rows.
    pub size: (u32, u32),
    /// Most significant bit-planes that hold no coded bit (placeholder
    /// passes included).
    pub missing_msbs: u32,
    /// Coding passes after the placeholder ones: 1 cleanup, 2 with
    /// significance propagation, 3 with magnitude refinement.
    pub passes: u8,
    /// The cleanup segment.
    pub cleanup: &'a [u8],
    /// The refinement segment (empty with one pass).
    pub refinement: &'a [u8],
}

/// A subband of a resolution of a component, and its coded code-blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Subband<'a> {
    /// Which subband.
    pub orientation: Orientation,
    /// Columns and rows.
    pub size: (u32, u32),
    /// Rows of each row of code-blocks (the last may have fewer).
    pub block_height: u32,
    /// The code-blocks that hold coded data, in raster order; the others
    /// are all zero.
    pub blocks: Vec<CodeBlock<'a>>,
}

/// Every subband of every resolution (lowest first) of every component.
pub type Subbands<'a> = Vec<Vec<Vec<Subband<'a>>>>;

/// Reads every packet of the tile of `codestream`.
pub fn read<'a>(codestream: &Codestream<'a>) -> Result<Subbands<'a>> {
    let mut subbands: Subbands<'a> = codestream
        .components
        .iter()
        .zip(&codestream.coding)
        .map(|(component, coding)| resolutions(component.size, coding))
        .collect::<Result<_>>()?;
    let most = codestream
        .coding
        .iter()
        .map(|c| c.levels)
        .max()
        .unwrap_or(0);
    let mut order = Vec::new();
    if codestream.progression <= 2 {
        for r in 0..=most {
            for (c, coding) in codestream.coding.iter().enumerate() {
                if r <= coding.levels {
                    order.push((c, usize::from(r)));
                }
            }
        }
    } else {
        for (c, coding) in codestream.coding.iter().enumerate() {
            order.extend((0..=usize::from(coding.levels)).map(|r| (c, r)));
        }
    }
    let mut parts = codestream.tile_parts.iter().copied();
    let mut data: &'a [u8] = parts.next().unwrap_or_default();
    for (c, r) in order {
        while data.is_empty() {
            match parts.next() {
                Some(next) => data = next,
                None => {
                    corrupt!("HTJ2K tile ends before its packet of component {c}, resolution {r}")
                }
            }
        }
        let blocks = block_exponents(&codestream.coding[c], r);
        let bands = &mut subbands[c][r];
        data = read_packet(data, bands, blocks, codestream.markers)
            .map_err(|e| e.context(format_args!("HTJ2K component {c}, resolution {r}")))?;
    }
    if !data.is_empty() || parts.any(|p| !p.is_empty()) {
        corrupt!("HTJ2K tile holds bytes after its last packet");
    }
    Ok(subbands)
}

/// The subbands of each resolution of a component of `size` samples,
/// without code-blocks yet: LL at resolution 0; HL, LH and HH above.
fn resolutions<'a>(size: (u32, u32), coding: &Coding) -> Result<Vec<Vec<Subband<'a>>>> {
    let levels = u32::from(coding.levels);
    let mut all = Vec::with_capacity(levels as usize + 1);
    for r in 0..=levels {
        let shift = levels - r;
        let extent = |n: u32| {
            if shift >= 32 {
                u32::from(n > 0)
            } else {
                n.div_ceil(1 << shift)
            }
        };
        let (w, h) = (extent(size.0), extent(size.1));
        let (precinct_w, precinct_h) = coding
            .precincts
            .get(r as usize)
            .copied()
            .unwrap_or((15, 15));
        if w.div_ceil(1 << precinct_w) > 1 || h.div_ceil(1 << precinct_h) > 1 {
            return Err(Error::Unsupported(
                "HTJ2K resolutions of several precincts are not read yet".into(),
            ));
        }
        let block_height = 1 << block_exponents(coding, r as usize).1;
        let band = |orientation, size| Subband {
            orientation,
            size,
            block_height,
            blocks: Vec::new(),
        };
        all.push(if r == 0 {
            vec![band(Orientation::Ll, (w, h))]
        } else {
            let (low, high) = ((w.div_ceil(2), h.div_ceil(2)), (w / 2, h / 2));
            vec![
                band(Orientation::Hl, (high.0, low.1)),
                band(Orientation::Lh, (low.0, high.1)),
                band(Orientation::Hh, (high.0, high.1)),
            ]
        });
    }
    Ok(all)
}

/// Log2 of the code-block width and height at resolution `r` (T.800
/// B.7): no larger than half the precinct above resolution 0.
fn block_exponents(coding: &Coding, r: usize) -> (u32, u32) {
    let (pw, ph) = coding.precincts.get(r).copied().unwrap_or((15, 15));
    let cap = |p: u8| if r > 0 { p.saturating_sub(1) } else { p };
    (
        u32::from(coding.block.0.min(cap(pw))),
        u32::from(coding.block.1.min(cap(ph))),
    )
}

/// Bits of a packet header, most significant first, with the bit stuffed
/// after every 0xFF byte skipped.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Bits left in `bytes[at]`.
    left: u8,
}

impl<'a> Bits<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            left: 8,
        }
    }

    fn bit(&mut self) -> Result<u32> {
        if self.left == 0 {
            let stuffed = self.bytes.get(self.at) == Some(&0xff);
            self.at += 1;
            self.left = if stuffed { 7 } else { 8 };
        }
        let Some(&byte) = self.bytes.get(self.at) else {
            corrupt!("HTJ2K packet header runs past its tile-part");
        };
        self.left -= 1;
        Ok(u32::from(byte >> self.left) & 1)
    }

    fn bits(&mut self, n: u32) -> Result<u32> {
        (0..n).try_fold(0, |value, _| Ok(value << 1 | self.bit()?))
    }

    /// The bytes after the header: the rest of the last byte is padding,
    /// and a last byte of 0xFF is followed by a stuffed byte.
    fn rest(&self) -> Result<&'a [u8]> {
        let mut end = self.at + 1;
        if self.bytes.get(self.at) == Some(&0xff) {
            end += 1;
        }
        match self.bytes.get(end.min(self.bytes.len())..) {
            Some(rest) if end <= self.bytes.len() => Ok(rest),
            _ => corrupt!("HTJ2K packet header runs past its tile-part"),
        }
    }
}

/// A tag tree over a grid of code-blocks (T.800 B.10.2): every node's
/// lower bound and whether it is known, level by level from the leaves.
struct TagTree {
    levels: Vec<(u32, Vec<(u32, bool)>)>,
}

impl TagTree {
    fn new(width: u32, height: u32) -> Self {
        let mut levels = Vec::new();
        let (mut w, mut h) = (width.max(1), height.max(1));
        loop {
            levels.push((w, vec![(0, false); (w * h) as usize]));
            if w == 1 && h == 1 {
                break;
            }
            (w, h) = (w.div_ceil(2), h.div_ceil(2));
        }
        Self { levels }
    }

    /// The leaf at (`x`, `y`)'s value if it is below `threshold`, else
    /// `threshold` (reading only the bits that tell so).
    fn decode(&mut self, bits: &mut Bits<'_>, x: u32, y: u32, threshold: u32) -> Result<u32> {
        let mut floor = 0;
        for depth in (0..self.levels.len()).rev() {
            let (w, nodes) = &mut self.levels[depth];
            let index = ((y >> depth) * *w + (x >> depth)) as usize;
            let Some(node) = nodes.get_mut(index) else {
                corrupt!("HTJ2K tag tree node out of range");
            };
            node.0 = node.0.max(floor);
            while !node.1 && node.0 < threshold {
                if bits.bit()? == 1 {
                    node.1 = true;
                } else {
                    node.0 += 1;
                }
            }
            floor = node.0;
        }
        Ok(floor.min(threshold))
    }
}

/// The most missing bit-planes a code-block can have: magnitudes of up to
/// 38-bit samples, plus guard bits.
const MOST_MISSING: u32 = 74;

/// Reads one packet (one precinct of a resolution of a component, one
/// layer) from the front of `data` into `bands`, whose code-blocks measure
/// 2^`blocks.0` x 2^`blocks.1`; returns what follows it.
fn read_packet<'a>(
    mut data: &'a [u8],
    bands: &mut [Subband<'a>],
    blocks: (u32, u32),
    (sop, eph): (bool, bool),
) -> Result<&'a [u8]> {
    if sop && data.starts_with(&[0xff, 0x91]) {
        data = data.get(6..).unwrap_or_default();
    }
    let mut bits = Bits::new(data);
    // Each coded block's band, the block and its segment lengths.
    let mut coded = Vec::new();
    if bits.bit()? == 1 {
        for (b, band) in bands.iter().enumerate() {
            let (w, h) = band.size;
            if w == 0 || h == 0 {
                continue;
            }
            let (nx, ny) = (w.div_ceil(1 << blocks.0), h.div_ceil(1 << blocks.1));
            let mut inclusion = TagTree::new(nx, ny);
            let mut zero_planes = TagTree::new(nx, ny);
            for y in 0..ny {
                for x in 0..nx {
                    // One layer: a block is in it or never coded.
                    if inclusion.decode(&mut bits, x, y, 1)? > 0 {
                        continue;
                    }
                    let missing = zero_planes.decode(&mut bits, x, y, MOST_MISSING + 1)?;
                    if missing > MOST_MISSING {
                        corrupt!("HTJ2K code-block misses more than {MOST_MISSING} bit-planes");
                    }
                    let passes = read_passes(&mut bits)?;
                    let mut lblock = 3;
                    while bits.bit()? == 1 {
                        lblock += 1;
                        if lblock > 32 {
                            corrupt!("HTJ2K code-block length of more than 32 bits");
                        }
                    }
                    // Leading sets of three placeholder passes carry no
                    // data; each stands for one more missing bit-plane.
                    let placeholders = (passes - 1) / 3;
                    let own = passes - 3 * placeholders;
                    let cleanup = bits.bits(lblock + (3 * placeholders + 1).ilog2())?;
                    let refinement = match own {
                        1 => 0,
                        n => bits.bits(lblock + (n - 1).ilog2())?,
                    };
                    if !(2..65535).contains(&cleanup) || refinement >= 2047 {
                        corrupt!("HTJ2K code-block segments of {cleanup} and {refinement} bytes");
                    }
                    let at = (x << blocks.0, y << blocks.1);
                    let block = CodeBlock {
                        at,
                        size: ((w - at.0).min(1 << blocks.0), (h - at.1).min(1 << blocks.1)),
                        missing_msbs: missing + placeholders,
                        passes: own as u8,
                        cleanup: &[],
                        refinement: &[],
                    };
                    coded.push((b, block, cleanup as usize, refinement as usize));
                }
            }
        }
    }
    let mut rest = bits.rest()?;
    if eph {
        let Some(after) = rest.strip_prefix(&[0xff, 0x92]) else {
            corrupt!("HTJ2K packet header is not followed by EPH");
        };
        rest = after;
    }
    for (b, mut block, cleanup, refinement) in coded {
        let (Some(c), Some(r)) = (rest.get(..cleanup), rest.get(cleanup..cleanup + refinement))
        else {
            corrupt!("HTJ2K code-block data runs past its tile-part");
        };
        (block.cleanup, block.refinement) = (c, r);
        rest = &rest[cleanup + refinement..];
        bands[b].blocks.push(block);
    }
    Ok(rest)
}

/// Reads a number of coding passes (T.800 Table B.4).
fn read_passes(bits: &mut Bits<'_>) -> Result<u32> {
    if bits.bit()? == 0 {
        return Ok(1);
    }
    if bits.bit()? == 0 {
        return Ok(2);
    }
    match bits.bits(2)? {
        v @ 0..=2 => Ok(3 + v),
        _ => match bits.bits(5)? {
            v @ 0..=30 => Ok(6 + v),
            _ => Ok(37 + bits.bits(7)?),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(size: (u32, u32)) -> Subband<'static> {
        Subband {
            orientation: Orientation::Ll,
            size,
            block_height: 32,
            blocks: Vec::new(),
        }
    }

    #[test]
    fn a_packet_places_its_coded_blocks() {
        // Four 128x32 blocks; only the first is coded, missing 2
        // bit-planes, one pass of 5 bytes. Header bits: non-empty 1;
        // inclusion root 1, leaf 1; zero planes root 0 0 1, leaf 1; one
        // pass 0; Lblock 3: 0; length 101; the other three leaves 0 0 0.
        let packet = [0b1110_0110, 0b0101_0000, 1, 2, 3, 4, 5, 0xaa];
        let mut bands = [band((200, 40))];
        let rest = read_packet(&packet, &mut bands, (7, 5), (false, false)).expect("packet");
        assert_eq!(rest, [0xaa]);
        let [block] = bands[0].blocks.as_slice() else {
            panic!("{:?}", bands[0].blocks);
        };
        assert_eq!((block.at, block.size), ((0, 0), (128, 32)));
        assert_eq!((block.missing_msbs, block.passes), (2, 1));
        assert_eq!(
            (block.cleanup, block.refinement),
            (&[1u8, 2, 3, 4, 5][..], &[][..])
        );
        // An empty packet is one byte.
        let mut bands = [band((200, 40))];
        let rest = read_packet(&[0, 9], &mut bands, (7, 5), (false, false)).expect("empty");
        assert_eq!((rest, bands[0].blocks.len()), (&[9u8][..], 0));
        // Data shorter than the lengths say is corrupt.
        let error = read_packet(&packet[..5], &mut [band((200, 40))], (7, 5), (false, false));
        assert!(matches!(error, Err(Error::Corrupt(_))));
    }

    #[test]
    fn stuffed_bits_are_skipped() {
        // After 0xFF the next byte holds 7 bits.
        let mut bits = Bits::new(&[0xff, 0x40, 0x11]);
        assert_eq!(bits.bits(8).expect("bits"), 0xff);
        assert_eq!(bits.bits(7).expect("bits"), 0x40);
        assert_eq!(bits.rest().expect("rest"), [0x11]);
    }

    /// The last case crosses a 0xFF byte, whose next byte holds 7 bits.
    #[test]
    fn pass_counts_follow_table_b4() {
        for (bits, passes) in [
            (&[0b0000_0000][..], 1),
            (&[0b1000_0000], 2),
            (&[0b1110_0000], 5),
            (&[0b1111_0000, 0b1000_0000], 7),
            (&[0b1111_1111, 0b0100_0010, 0b0000_0000], 37 + 4),
        ] {
            assert_eq!(read_passes(&mut Bits::new(bits)).expect("passes"), passes);
        }
    }
}
