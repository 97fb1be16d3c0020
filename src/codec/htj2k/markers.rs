//! The J2K codestream of an HTJ2K chunk: its main header (ITU-T T.800
//! Annex A, with the HT code-blocks of T.814 and the non-linearity marker
//! of T.801), read into what the decoder needs, and the packet data of its
//! tile-parts.
//!
//! OpenEXR writes one tile covering the chunk, split into tile-parts, with
//! SIZ, CAP, COD, QCD, NLT (for HALF and FLOAT components), COM and TLM in
//! the main header. Everything a decoder of such codestreams needs is read
//! and checked; markers that only help other readers (CAP, COM, TLM, PLM,
//! PLT, CRG) are skipped; features OpenEXR never writes (several tiles or
//! quality layers, progression changes, packed packet headers,
//! Part 1 code-blocks) are `Unsupported`, and anything that breaks the
//! syntax is `Corrupt`. Every length is checked against the bytes left
//! before it is used.

use crate::error::{corrupt, Error, Result};

/// How a component's decoded samples map to the stored ones, from NLT.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Nonlinearity<'a> {
    /// As decoded.
    None,
    /// Negative samples in sign-magnitude (type 3, as OpenEXR stores HALF
    /// and FLOAT bit patterns losslessly).
    SignMagnitude,
    /// Through a table (type 4, as lossy HTJ2K stores them): the marker's
    /// parameters after its type.
    Table(&'a [u8]),
}

/// One component's samples, from SIZ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component<'a> {
    /// Bits per sample.
    pub depth: u8,
    /// Whether samples are signed.
    pub signed: bool,
    /// Horizontal and vertical subsampling.
    pub sampling: (u8, u8),
    /// Samples per line and lines.
    pub size: (u32, u32),
    /// What the non-linearity marker asks for.
    pub nonlinearity: Nonlinearity<'a>,
}

/// How a component is coded, from COD or its COC.
#[derive(Debug, Clone, PartialEq)]
pub struct Coding {
    /// Wavelet decomposition levels.
    pub levels: u8,
    /// Log2 of the code-block width and height.
    pub block: (u8, u8),
    /// The reversible 5/3 wavelet (else the irreversible 9/7).
    pub reversible: bool,
    /// Log2 of the precinct width and height at each resolution, lowest
    /// first.
    pub precincts: Vec<(u8, u8)>,
}

/// How a component's subbands are quantised, from QCD or its QCC.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    /// Guard bits.
    pub guard_bits: u8,
    /// Each subband's exponent and mantissa (mantissa 0 without
    /// quantisation), LL first, then HL, LH, HH from the lowest resolution
    /// up; a single entry when derived from the LL one.
    pub steps: Vec<(u8, u16)>,
    /// Whether the steps of the other subbands derive from the LL step.
    pub derived: bool,
}

/// A codestream's header, checked, and its tile's packet data.
#[derive(Debug, PartialEq)]
pub struct Codestream<'a> {
    /// Image width and height.
    pub size: (u32, u32),
    /// The components, in codestream order.
    pub components: Vec<Component<'a>>,
    /// Each component's coding.
    pub coding: Vec<Coding>,
    /// Each component's quantisation.
    pub quantization: Vec<Quantization>,
    /// Whether components 0 to 2 go through the colour transform.
    pub colour_transform: bool,
    /// The progression order (0 LRCP, 1 RLCP, 2 RPCL, 3 PCRL, 4 CPRL).
    pub progression: u8,
    /// Whether packets may start with SOP markers and their headers end
    /// with EPH markers.
    pub markers: (bool, bool),
    /// Columns and rows OpenEXR's lossy HTJ2K adds to the right and the
    /// bottom of the chunk before coding it, from its COM marker
    /// "OpenEXR LJ2K padding: rows=R cols=C".
    pub padding: (u32, u32),
    /// The packet data of each tile-part, in order.
    pub tile_parts: Vec<&'a [u8]>,
}

/// The text before the padding OpenEXR's lossy HTJ2K states in a COM
/// marker.
const PADDING: &[u8] = b"OpenEXR LJ2K padding: ";

const SOC: u16 = 0xff4f;
const SIZ: u16 = 0xff51;
const CAP: u16 = 0xff50;
const COD: u16 = 0xff52;
const COC: u16 = 0xff53;
const TLM: u16 = 0xff55;
const PLM: u16 = 0xff57;
const PLT: u16 = 0xff58;
const QCD: u16 = 0xff5c;
const QCC: u16 = 0xff5d;
const POC: u16 = 0xff5f;
const PPM: u16 = 0xff60;
const PPT: u16 = 0xff61;
const CRG: u16 = 0xff63;
const COM: u16 = 0xff64;
const NLT: u16 = 0xff76;
const SOT: u16 = 0xff90;
const SOD: u16 = 0xff93;
const EOC: u16 = 0xffd9;

/// Bytes read from the front of a slice, every read checked.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.0.len() {
            corrupt!("HTJ2K codestream ends inside its {what}");
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A marker segment's body: its length field counts itself.
    fn segment(&mut self, what: &str) -> Result<Bytes<'a>> {
        let length = usize::from(self.u16(what)?);
        if length < 2 {
            corrupt!("HTJ2K {what} marker of length {length}");
        }
        Ok(Bytes(self.take(length - 2, what)?))
    }

    /// Fails unless the segment was read to its end.
    fn done(&self, what: &str) -> Result<()> {
        if !self.0.is_empty() {
            corrupt!("HTJ2K {what} marker has {} bytes too many", self.0.len());
        }
        Ok(())
    }
}

fn unsupported<T>(what: &str) -> Result<T> {
    Err(Error::Unsupported(format!(
        "HTJ2K codestreams with {what} are not read (OpenEXR does not write them)"
    )))
}

/// Reads `codestream`.
pub fn read(codestream: &[u8]) -> Result<Codestream<'_>> {
    let mut bytes = Bytes(codestream);
    if bytes.u16("start")? != SOC {
        corrupt!("HTJ2K codestream does not start with SOC");
    }
    if bytes.u16("SIZ")? != SIZ {
        corrupt!("HTJ2K codestream does not start with SIZ");
    }
    let (size, mut components) = read_siz(&mut bytes.segment("SIZ")?)?;
    let count = components.len();
    let mut cod = None;
    let mut qcd = None;
    let mut cocs: Vec<Option<Coding>> = vec![None; count];
    let mut qccs: Vec<Option<Quantization>> = vec![None; count];
    let mut nlts: Vec<Option<(u8, Nonlinearity<'_>)>> = vec![None; count];
    let mut nlt_all = None;
    let mut padding = (0, 0);
    loop {
        let marker = bytes.u16("main header")?;
        match marker {
            SOT => break,
            COD => {
                if cod.is_some() {
                    corrupt!("HTJ2K codestream has two COD markers");
                }
                cod = Some(read_cod(&mut bytes.segment("COD")?)?);
            }
            COC => {
                let mut segment = bytes.segment("COC")?;
                let c = component_index(&mut segment, count, "COC")?;
                let scoc = segment.u8("COC")?;
                cocs[c] = Some(read_coding(&mut segment, scoc & 1 != 0, "COC")?);
                segment.done("COC")?;
            }
            QCD => {
                if qcd.is_some() {
                    corrupt!("HTJ2K codestream has two QCD markers");
                }
                qcd = Some(read_quantization(&mut bytes.segment("QCD")?, "QCD")?);
            }
            QCC => {
                let mut segment = bytes.segment("QCC")?;
                let c = component_index(&mut segment, count, "QCC")?;
                qccs[c] = Some(read_quantization(&mut segment, "QCC")?);
            }
            NLT => {
                let mut segment = bytes.segment("NLT")?;
                let c = segment.u16("NLT")?;
                let depth = segment.u8("NLT")?;
                let kind = segment.u8("NLT")?;
                let mapping = match kind {
                    0 | 3 => {
                        segment.done("NLT")?;
                        if kind == 0 {
                            Nonlinearity::None
                        } else {
                            Nonlinearity::SignMagnitude
                        }
                    }
                    4 => Nonlinearity::Table(segment.0),
                    other => return unsupported(&format!("non-linearity type {other}")),
                };
                match c {
                    0xffff => nlt_all = Some((depth, mapping)),
                    c => match nlts.get_mut(usize::from(c)) {
                        Some(slot) => *slot = Some((depth, mapping)),
                        None => corrupt!("HTJ2K NLT marker names component {c} of {count}"),
                    },
                }
            }
            COM => {
                let mut segment = bytes.segment("COM")?;
                let _registration = segment.u16("COM")?;
                if let Some(text) = segment.0.strip_prefix(PADDING) {
                    padding = read_padding(text)?;
                }
            }
            CAP | TLM | PLM | CRG => {
                bytes.segment("marker")?;
            }
            POC => return unsupported("progression order changes"),
            PPM => return unsupported("packed packet headers"),
            other => corrupt!("HTJ2K main header holds unknown marker {other:04X}"),
        }
    }
    let Some((cod, colour_transform, progression, markers)) = cod else {
        corrupt!("HTJ2K codestream has no COD marker");
    };
    let Some(qcd) = qcd else {
        corrupt!("HTJ2K codestream has no QCD marker");
    };
    if colour_transform {
        let first = components.first().copied();
        let alike = count >= 3
            && components[..3].iter().all(|c| {
                Some((c.depth, c.signed, c.sampling))
                    == first.map(|f| (f.depth, f.signed, f.sampling))
            });
        if !alike {
            corrupt!("HTJ2K colour transform over components that differ");
        }
    }
    for (c, component) in components.iter_mut().enumerate() {
        if let Some((depth, mapping)) = nlts[c].or(nlt_all) {
            let expected = (component.depth - 1) | if component.signed { 0x80 } else { 0 };
            if depth != expected {
                corrupt!("HTJ2K NLT marker of depth {depth:#x} for a component of {expected:#x}");
            }
            component.nonlinearity = mapping;
        }
    }
    let coding: Vec<Coding> = cocs
        .into_iter()
        .map(|coc| coc.unwrap_or_else(|| cod.clone()))
        .collect();
    let quantization: Vec<Quantization> = qccs
        .into_iter()
        .map(|qcc| qcc.unwrap_or_else(|| qcd.clone()))
        .collect();
    for (c, (coding, quantization)) in coding.iter().zip(&quantization).enumerate() {
        let subbands = 1 + 3 * usize::from(coding.levels);
        if !quantization.derived && quantization.steps.len() != subbands {
            corrupt!(
                "HTJ2K component {c} has {} quantisation steps for its {subbands} subbands",
                quantization.steps.len()
            );
        }
    }
    let tile_parts = read_tile_parts(codestream, codestream.len() - bytes.0.len() - 2)?;
    Ok(Codestream {
        size,
        components,
        coding,
        quantization,
        colour_transform,
        progression,
        markers,
        padding,
        tile_parts,
    })
}

/// Reads "rows=R cols=C", the padding after [`PADDING`], as (C, R).
fn read_padding(text: &[u8]) -> Result<(u32, u32)> {
    let text = std::str::from_utf8(text).unwrap_or_default();
    let number = |field: &str| {
        text.split_whitespace()
            .find_map(|f| f.strip_prefix(field))
            .and_then(|n| n.parse::<u32>().ok())
    };
    match (number("cols="), number("rows=")) {
        (Some(cols), Some(rows)) => Ok((cols, rows)),
        _ => corrupt!("HTJ2K padding comment {text:?} does not give rows and columns"),
    }
}

/// Reads SIZ: the image size (which one tile must cover) and the
/// components.
fn read_siz<'a>(siz: &mut Bytes<'a>) -> Result<((u32, u32), Vec<Component<'a>>)> {
    let _capabilities = siz.u16("SIZ")?;
    let (x_end, y_end) = (siz.u32("SIZ")?, siz.u32("SIZ")?);
    let (x0, y0) = (siz.u32("SIZ")?, siz.u32("SIZ")?);
    let (tile_w, tile_h) = (siz.u32("SIZ")?, siz.u32("SIZ")?);
    let (tile_x0, tile_y0) = (siz.u32("SIZ")?, siz.u32("SIZ")?);
    let count = usize::from(siz.u16("SIZ")?);
    if x0 >= x_end || y0 >= y_end || count == 0 {
        corrupt!("HTJ2K image from ({x0}, {y0}) to ({x_end}, {y_end}) with {count} components");
    }
    let covers = |t0: u32, size: u32, start: u32, end: u32| {
        t0 <= start && u64::from(t0) + u64::from(size) >= u64::from(end)
    };
    if !covers(tile_x0, tile_w, x0, x_end) || !covers(tile_y0, tile_h, y0, y_end) {
        return unsupported("several tiles");
    }
    if (x0, y0) != (0, 0) {
        return unsupported("an image origin other than (0, 0)");
    }
    if siz.0.len() != 3 * count {
        corrupt!(
            "HTJ2K SIZ marker of {} component bytes for {count} components",
            siz.0.len()
        );
    }
    let mut components = Vec::with_capacity(count);
    for _ in 0..count {
        let depth = siz.u8("SIZ")?;
        let sampling = (siz.u8("SIZ")?, siz.u8("SIZ")?);
        if sampling.0 == 0 || sampling.1 == 0 || depth & 0x7f > 37 {
            corrupt!("HTJ2K component of depth {depth:#x} and sampling {sampling:?}");
        }
        let span = |end: u32, start: u32, step: u8| {
            end.div_ceil(u32::from(step)) - start.div_ceil(u32::from(step))
        };
        components.push(Component {
            depth: (depth & 0x7f) + 1,
            signed: depth & 0x80 != 0,
            sampling,
            size: (span(x_end, x0, sampling.0), span(y_end, y0, sampling.1)),
            nonlinearity: Nonlinearity::None,
        });
    }
    Ok(((x_end - x0, y_end - y0), components))
}

/// Reads COD: the default coding, the colour transform, the progression
/// and whether SOP and EPH markers are used.
fn read_cod(cod: &mut Bytes<'_>) -> Result<(Coding, bool, u8, (bool, bool))> {
    let style = cod.u8("COD")?;
    let progression = cod.u8("COD")?;
    let layers = cod.u16("COD")?;
    let transform = cod.u8("COD")?;
    if progression > 4 || transform > 1 || style & !0x07 != 0 {
        corrupt!("HTJ2K COD marker with style {style:#x}, progression {progression}, colour transform {transform}");
    }
    if layers != 1 {
        return unsupported(&format!("{layers} quality layers"));
    }
    let coding = read_coding(cod, style & 1 != 0, "COD")?;
    cod.done("COD")?;
    Ok((
        coding,
        transform == 1,
        progression,
        (style & 2 != 0, style & 4 != 0),
    ))
}

/// Reads the coding parameters shared by COD and COC.
fn read_coding(segment: &mut Bytes<'_>, precincts: bool, what: &str) -> Result<Coding> {
    let levels = segment.u8(what)?;
    let (x, y) = (segment.u8(what)?, segment.u8(what)?);
    let style = segment.u8(what)?;
    let wavelet = segment.u8(what)?;
    if levels > 32 || x > 8 || y > 8 || x + y > 8 || wavelet > 1 {
        corrupt!(
            "HTJ2K {what} marker with {levels} levels, code-blocks 2^{} x 2^{}, wavelet {wavelet}",
            x + 2,
            y + 2
        );
    }
    if style & 0x40 == 0 || style & !0x48 != 0 {
        return unsupported(&format!(
            "code-block style {style:#x} (not HT code-blocks alone)"
        ));
    }
    let precincts = (0..=levels)
        .map(|_| match precincts {
            true => segment.u8(what).map(|p| (p & 0x0f, p >> 4)),
            false => Ok((15, 15)),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Coding {
        levels,
        block: (x + 2, y + 2),
        reversible: wavelet == 1,
        precincts,
    })
}

/// Reads the quantisation shared by QCD and QCC.
fn read_quantization(segment: &mut Bytes<'_>, what: &str) -> Result<Quantization> {
    let style = segment.u8(what)?;
    let guard_bits = style >> 5;
    let steps = match style & 0x1f {
        0 => segment.0.iter().map(|&b| (b >> 3, 0)).collect(),
        1 | 2 => {
            if segment.0.len() % 2 != 0 {
                corrupt!("HTJ2K {what} marker of an odd length");
            }
            segment
                .0
                .chunks_exact(2)
                .map(|p| (p[0] >> 3, u16::from(p[0] & 7) << 8 | u16::from(p[1])))
                .collect::<Vec<_>>()
        }
        other => corrupt!("HTJ2K {what} marker of quantisation style {other}"),
    };
    let derived = style & 0x1f == 1;
    if steps.is_empty() || (derived && steps.len() != 1) {
        corrupt!("HTJ2K {what} marker with {} steps", steps.len());
    }
    Ok(Quantization {
        guard_bits,
        steps,
        derived,
    })
}

/// Reads a COC or QCC component index: one byte, or two with more than
/// 256 components.
fn component_index(segment: &mut Bytes<'_>, count: usize, what: &str) -> Result<usize> {
    let c = if count > 256 {
        usize::from(segment.u16(what)?)
    } else {
        usize::from(segment.u8(what)?)
    };
    if c >= count {
        corrupt!("HTJ2K {what} marker names component {c} of {count}");
    }
    Ok(c)
}

/// The packet data of each tile-part, from the first SOT (at `start`, the
/// offset of its marker) to EOC or the end of the codestream.
fn read_tile_parts(codestream: &[u8], start: usize) -> Result<Vec<&[u8]>> {
    let mut parts = Vec::new();
    let mut at = start;
    loop {
        let Some(rest) = codestream.get(at..) else {
            corrupt!("HTJ2K tile-part starts past the end of the codestream");
        };
        let mut bytes = Bytes(rest);
        match rest {
            [] => break,
            [0xff, 0xd9] => break,
            _ => {}
        }
        if bytes.u16("tile-part")? != SOT {
            corrupt!("HTJ2K tile-part does not start with SOT");
        }
        let mut sot = bytes.segment("SOT")?;
        let tile = sot.u16("SOT")?;
        let length = sot.u32("SOT")? as usize;
        let index = sot.u8("SOT")?;
        let _parts = sot.u8("SOT")?;
        sot.done("SOT")?;
        if tile != 0 {
            return unsupported("several tiles");
        }
        if usize::from(index) != parts.len() {
            corrupt!(
                "HTJ2K tile-part {index} where part {} comes next",
                parts.len()
            );
        }
        loop {
            match bytes.u16("tile-part header")? {
                SOD => break,
                COM | PLT => {
                    bytes.segment("marker")?;
                }
                PPT => return unsupported("packed packet headers"),
                COD | COC | QCD | QCC | POC | NLT => {
                    return unsupported("coding or quantisation set in a tile-part")
                }
                other => corrupt!("HTJ2K tile-part header holds unknown marker {other:04X}"),
            }
        }
        let data_start = codestream.len() - bytes.0.len();
        let end = match length {
            // Psot 0: the last tile-part, up to EOC.
            0 => match codestream.strip_suffix(&EOC.to_be_bytes()) {
                Some(before) => before.len(),
                None => codestream.len(),
            },
            n => match at.checked_add(n) {
                Some(end) if end <= codestream.len() && end >= data_start => end,
                _ => corrupt!("HTJ2K tile-part of {n} bytes runs past the codestream"),
            },
        };
        let Some(data) = codestream.get(data_start..end) else {
            corrupt!("HTJ2K tile-part data ends before it starts");
        };
        parts.push(data);
        if length == 0 {
            break;
        }
        at = end;
    }
    if parts.is_empty() {
        corrupt!("HTJ2K codestream has no tile-part");
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u16, body: &[u8]) -> Vec<u8> {
        let mut bytes = marker.to_be_bytes().to_vec();
        bytes.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    /// SIZ for a `width` x `height` image of `components` (Ssiz, XRsiz,
    /// YRsiz), one tile.
    fn siz(width: u32, height: u32, components: &[[u8; 3]]) -> Vec<u8> {
        let mut body = 0x4000u16.to_be_bytes().to_vec();
        for v in [width, height, 0, 0, width, height, 0, 0] {
            body.extend_from_slice(&v.to_be_bytes());
        }
        body.extend_from_slice(&(components.len() as u16).to_be_bytes());
        body.extend(components.iter().flatten());
        segment(SIZ, &body)
    }

    /// What OpenEXR writes: RPCL, one layer, 5 levels, 128x32 HT blocks,
    /// 5/3, with or without the colour transform.
    fn cod(colour: u8) -> Vec<u8> {
        segment(COD, &[0, 2, 0, 1, colour, 5, 5, 3, 0x40, 1])
    }

    fn qcd(guard: u8, exponents: usize) -> Vec<u8> {
        let mut body = vec![guard << 5];
        body.extend(std::iter::repeat_n(18 << 3, exponents));
        segment(QCD, &body)
    }

    fn tile_part(index: u8, parts: u8, data: &[u8]) -> Vec<u8> {
        let length = (12 + 2 + data.len()) as u32;
        let mut body = 0u16.to_be_bytes().to_vec();
        body.extend_from_slice(&length.to_be_bytes());
        body.extend_from_slice(&[index, parts]);
        let mut bytes = segment(SOT, &body);
        bytes.extend_from_slice(&SOD.to_be_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    fn rgb_half() -> Vec<u8> {
        let mut bytes = SOC.to_be_bytes().to_vec();
        bytes.extend(siz(77, 32, &[[0x8f, 1, 1]; 3]));
        bytes.extend(segment(CAP, &[0, 2, 0, 0, 0, 0x0b]));
        bytes.extend(cod(1));
        bytes.extend(qcd(1, 16));
        for c in 0..3u8 {
            bytes.extend(segment(NLT, &[0, c, 0x8f, 3]));
        }
        bytes.extend(segment(COM, b"\x00\x01a comment"));
        bytes.extend(tile_part(0, 2, &[1, 2, 3]));
        bytes.extend(tile_part(1, 2, &[4, 5]));
        bytes.extend_from_slice(&EOC.to_be_bytes());
        bytes
    }

    #[test]
    fn openexrs_headers_are_read() {
        let bytes = rgb_half();
        let codestream = read(&bytes).expect("codestream");
        assert_eq!(codestream.size, (77, 32));
        assert!(codestream.colour_transform);
        assert_eq!(codestream.progression, 2);
        assert_eq!(codestream.components.len(), 3);
        let component = codestream.components[2];
        assert_eq!((component.depth, component.signed), (16, true));
        assert_eq!((component.size, component.sampling), ((77, 32), (1, 1)));
        assert_eq!(component.nonlinearity, Nonlinearity::SignMagnitude);
        assert_eq!(codestream.padding, (0, 0));
        let coding = &codestream.coding[1];
        assert_eq!(
            (coding.levels, coding.block, coding.reversible),
            (5, (7, 5), true)
        );
        assert_eq!(coding.precincts, [(15, 15); 6]);
        let quantization = &codestream.quantization[0];
        assert_eq!((quantization.guard_bits, quantization.steps.len()), (1, 16));
        assert_eq!(quantization.steps[0], (18, 0));
        assert_eq!(codestream.tile_parts, [&[1u8, 2, 3][..], &[4, 5][..]]);
    }

    #[test]
    fn lossy_tables_and_padding_are_read() {
        let mut bytes = SOC.to_be_bytes().to_vec();
        bytes.extend(siz(97, 65, &[[0x8f, 1, 1]]));
        bytes.extend(segment(COD, &[0, 2, 0, 1, 0, 5, 5, 3, 0x40, 0]));
        bytes.extend(segment(QCD, &[0x21, 0x96, 0x09]));
        bytes.extend(segment(NLT, &[0, 0, 0x8f, 4, 2, 7, 7]));
        bytes.extend(segment(
            COM,
            b"\x00\x01OpenEXR LJ2K padding: rows=20 cols=30",
        ));
        bytes.extend(tile_part(0, 1, &[9]));
        let codestream = read(&bytes).expect("codestream");
        assert_eq!(codestream.padding, (30, 20));
        assert_eq!(
            codestream.components[0].nonlinearity,
            Nonlinearity::Table(&[2, 7, 7])
        );
        assert!(!codestream.coding[0].reversible);
        assert!(codestream.quantization[0].derived);
    }

    #[test]
    fn subsampled_components_count_their_own_samples() {
        let mut bytes = SOC.to_be_bytes().to_vec();
        bytes.extend(siz(7, 5, &[[0x1f, 1, 1], [0x8f, 2, 2]]));
        bytes.extend(cod(0));
        bytes.extend(qcd(4, 16));
        bytes.extend(tile_part(0, 1, &[]));
        let codestream = read(&bytes).expect("codestream");
        assert_eq!(codestream.components[0].size, (7, 5));
        assert_eq!(codestream.components[1].size, (4, 3));
        assert_eq!(codestream.components[1].nonlinearity, Nonlinearity::None);
    }

    #[test]
    fn broken_and_foreign_codestreams_are_refused() {
        let good = rgb_half();
        let at = |marker: u16| {
            good.windows(2)
                .position(|w| w == marker.to_be_bytes())
                .expect("marker")
        };
        let with = |at: usize, byte: u8| {
            let mut bytes = good.clone();
            bytes[at] = byte;
            bytes
        };
        let corrupt = [
            good[..1].to_vec(),
            with(1, 0x50),
            with(at(SIZ) + 3, 0x10),
            with(at(COD) + 5, 7),
            with(at(QCD) + 3, 0x7f),
            with(at(NLT) + 6, 0x9f),
            with(at(SOT) + 6, 0xff),
            with(at(SOT) + 10, 1),
            good[..at(SOT)].to_vec(),
            good[..at(SOD) + 1].to_vec(),
        ];
        for (i, bytes) in corrupt.iter().enumerate() {
            let error = read(bytes).expect_err("broken");
            assert!(matches!(error, Error::Corrupt(_)), "case {i}: {error}");
        }
        let unsupported = [
            with(at(COD) + 6, 2),
            with(at(COD) + 12, 0),
            with(at(NLT) + 7, 2),
            with(at(SOT) + 4, 1),
            with(at(SIZ) + 25, 1),
        ];
        for (i, bytes) in unsupported.iter().enumerate() {
            let error = read(bytes).expect_err("foreign");
            assert!(matches!(error, Error::Unsupported(_)), "case {i}: {error}");
        }
    }
}
