//! Which DWA scheme codes each channel: the rules that match a channel's
//! name suffix and type, and the R, G, B sets coded together as Y'CbCr.
//!
//! Chunks of version 2 carry their rules; older ones use the legacy rules.
//! A rule is stored as its NUL-terminated suffix, a byte holding the
//! colour index plus one (high nibble), the scheme (bits 2-3) and a
//! case-insensitivity flag (bit 0), and a byte holding the pixel type.

use crate::error::{corrupt, Result};
use crate::meta::types::PixelType;

/// How DWA codes a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Kept exactly, deflated with the other such channels.
    Lossless,
    /// Quantised DCT coefficients.
    LossyDct,
    /// Byte planes, run-length coded and deflated.
    Rle,
}

impl Scheme {
    fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Lossless),
            1 => Some(Self::LossyDct),
            2 => Some(Self::Rle),
            _ => None,
        }
    }

    fn code(self) -> u8 {
        match self {
            Self::Lossless => 0,
            Self::LossyDct => 1,
            Self::Rle => 2,
        }
    }
}

/// One classification rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The channel name suffix (after the last '.') the rule matches.
    suffix: Vec<u8>,
    scheme: Scheme,
    pixel_type: PixelType,
    /// Which of R, G, B (0, 1, 2) a matching channel is in a colour set.
    colour: Option<u8>,
    case_insensitive: bool,
}

/// Longest suffix a stored rule may have.
const MAX_SUFFIX: usize = 128;

/// Most rules a chunk may carry. OpenEXR writes the few that match its
/// channels (15 at most); classifying costs channels times rules for every
/// chunk, so a table of thousands is refused rather than slowly obeyed.
const MAX_RULES: usize = 1024;

impl Rule {
    fn matches(&self, suffix: &[u8], pixel_type: PixelType) -> bool {
        self.pixel_type == pixel_type
            && if self.case_insensitive {
                self.suffix.eq_ignore_ascii_case(suffix)
            } else {
                self.suffix == suffix
            }
    }

    /// Appends the rule as a chunk stores it.
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.suffix);
        out.push(0);
        let colour = self.colour.map_or(0, |c| c + 1);
        out.push(colour << 4 | self.scheme.code() << 2 | u8::from(self.case_insensitive));
        out.push(self.pixel_type as u8);
    }

    /// Reads one rule from the start of `bytes`; returns it and the rest.
    fn read(bytes: &[u8]) -> Result<(Self, &[u8])> {
        if bytes.len() <= 3 {
            corrupt!("DWA channel rule of {} bytes is cut short", bytes.len());
        }
        let Some(end) = bytes.iter().take(MAX_SUFFIX + 1).position(|&b| b == 0) else {
            corrupt!("DWA channel rule has no suffix of at most {MAX_SUFFIX} bytes");
        };
        let (suffix, rest) = bytes.split_at(end);
        let Some(&[_, value, pixel_type]) = rest.get(..3) else {
            corrupt!(
                "DWA channel rule '{}' is cut short",
                String::from_utf8_lossy(suffix)
            );
        };
        let colour = match value >> 4 {
            0 => None,
            c @ 1..=3 => Some(c - 1),
            c => corrupt!("DWA channel rule has colour index {}", i32::from(c) - 1),
        };
        let Some(scheme) = Scheme::from_code((value >> 2) & 3) else {
            corrupt!("DWA channel rule has unknown scheme {}", (value >> 2) & 3);
        };
        let pixel_type = match pixel_type {
            0 => PixelType::Uint,
            1 => PixelType::Half,
            2 => PixelType::Float,
            t => corrupt!("DWA channel rule has pixel type {t}"),
        };
        let rule = Self {
            suffix: suffix.to_vec(),
            scheme,
            pixel_type,
            colour,
            case_insensitive: value & 1 != 0,
        };
        Ok((rule, &rest[3..]))
    }
}

/// A rule written in a table below.
struct RuleSpec {
    suffix: &'static str,
    scheme: Scheme,
    pixel_type: PixelType,
    colour: Option<u8>,
    case_insensitive: bool,
}

impl RuleSpec {
    const fn new(
        suffix: &'static str,
        scheme: Scheme,
        pixel_type: PixelType,
        colour: Option<u8>,
        case_insensitive: bool,
    ) -> Self {
        Self {
            suffix,
            scheme,
            pixel_type,
            colour,
            case_insensitive,
        }
    }

    fn rule(&self) -> Rule {
        Rule {
            suffix: self.suffix.as_bytes().to_vec(),
            scheme: self.scheme,
            pixel_type: self.pixel_type,
            colour: self.colour,
            case_insensitive: self.case_insensitive,
        }
    }
}

use PixelType::{Float, Half, Uint};
use Scheme::{LossyDct, Rle};

/// The rules OpenEXR writes into version 2 chunks: R, G, B, Y, BY and RY
/// lossy; A run-length coded; everything else lossless.
const DEFAULT_RULES: [RuleSpec; 15] = [
    RuleSpec::new("R", LossyDct, Half, Some(0), false),
    RuleSpec::new("R", LossyDct, Float, Some(0), false),
    RuleSpec::new("G", LossyDct, Half, Some(1), false),
    RuleSpec::new("G", LossyDct, Float, Some(1), false),
    RuleSpec::new("B", LossyDct, Half, Some(2), false),
    RuleSpec::new("B", LossyDct, Float, Some(2), false),
    RuleSpec::new("Y", LossyDct, Half, None, false),
    RuleSpec::new("Y", LossyDct, Float, None, false),
    RuleSpec::new("BY", LossyDct, Half, None, false),
    RuleSpec::new("BY", LossyDct, Float, None, false),
    RuleSpec::new("RY", LossyDct, Half, None, false),
    RuleSpec::new("RY", LossyDct, Float, None, false),
    RuleSpec::new("A", Rle, Uint, None, false),
    RuleSpec::new("A", Rle, Half, None, false),
    RuleSpec::new("A", Rle, Float, None, false),
];

/// The rules of chunks before version 2, which do not store theirs.
const LEGACY_RULES: [RuleSpec; 25] = [
    RuleSpec::new("r", LossyDct, Half, Some(0), true),
    RuleSpec::new("r", LossyDct, Float, Some(0), true),
    RuleSpec::new("red", LossyDct, Half, Some(0), true),
    RuleSpec::new("red", LossyDct, Float, Some(0), true),
    RuleSpec::new("g", LossyDct, Half, Some(1), true),
    RuleSpec::new("g", LossyDct, Float, Some(1), true),
    RuleSpec::new("grn", LossyDct, Half, Some(1), true),
    RuleSpec::new("grn", LossyDct, Float, Some(1), true),
    RuleSpec::new("green", LossyDct, Half, Some(1), true),
    RuleSpec::new("green", LossyDct, Float, Some(1), true),
    RuleSpec::new("b", LossyDct, Half, Some(2), true),
    RuleSpec::new("b", LossyDct, Float, Some(2), true),
    RuleSpec::new("blu", LossyDct, Half, Some(2), true),
    RuleSpec::new("blu", LossyDct, Float, Some(2), true),
    RuleSpec::new("blue", LossyDct, Half, Some(2), true),
    RuleSpec::new("blue", LossyDct, Float, Some(2), true),
    RuleSpec::new("y", LossyDct, Half, None, true),
    RuleSpec::new("y", LossyDct, Float, None, true),
    RuleSpec::new("by", LossyDct, Half, None, true),
    RuleSpec::new("by", LossyDct, Float, None, true),
    RuleSpec::new("ry", LossyDct, Half, None, true),
    RuleSpec::new("ry", LossyDct, Float, None, true),
    RuleSpec::new("a", Rle, Uint, None, true),
    RuleSpec::new("a", Rle, Half, None, true),
    RuleSpec::new("a", Rle, Float, None, true),
];

/// The rules OpenEXR 3.5 encodes with.
pub fn default_rules() -> Vec<Rule> {
    DEFAULT_RULES.iter().map(RuleSpec::rule).collect()
}

/// The rules chunks of versions 0 and 1 are decoded with.
pub fn legacy_rules() -> Vec<Rule> {
    LEGACY_RULES.iter().map(RuleSpec::rule).collect()
}

/// Reads the rule table at the start of `bytes` (a little-endian `u16`
/// byte count that includes itself, then the rules); returns the rules and
/// the bytes after the table.
pub fn read_rules(bytes: &[u8]) -> Result<(Vec<Rule>, &[u8])> {
    let Some((size, _)) = bytes.split_first_chunk::<2>().filter(|_| bytes.len() > 2) else {
        corrupt!("DWA chunk ends before its channel rules");
    };
    let size = usize::from(u16::from_le_bytes(*size));
    let Some(mut table) = bytes.get(2..size) else {
        corrupt!(
            "DWA channel rules of {size} bytes do not fit the {} bytes left",
            bytes.len()
        );
    };
    let mut rules = Vec::new();
    while !table.is_empty() {
        if rules.len() == MAX_RULES {
            corrupt!("DWA channel rules number more than {MAX_RULES}");
        }
        let (rule, rest) = Rule::read(table)?;
        rules.push(rule);
        table = rest;
    }
    Ok((rules, &bytes[size..]))
}

/// Appends the rule table an encoder stores: the rules of `rules` that
/// match at least one of `channels`, in order, after their byte count.
pub fn write_rules(rules: &[Rule], channels: &[ChannelInfo<'_>], out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&[0, 0]);
    for rule in rules {
        if channels
            .iter()
            .any(|c| rule.matches(suffix_of(c.name), c.pixel_type))
        {
            rule.write(out);
        }
    }
    let Ok(size) = u16::try_from(out.len() - start) else {
        return Err(crate::error::Error::LimitExceeded(format!(
            "DWA channel rules of {} bytes exceed 65535",
            out.len() - start
        )));
    };
    out[start..start + 2].copy_from_slice(&size.to_le_bytes());
    Ok(())
}

/// The part of a channel name after its last '.'.
fn suffix_of(name: &[u8]) -> &[u8] {
    name.iter()
        .rposition(|&b| b == b'.')
        .map_or(name, |dot| &name[dot + 1..])
}

/// A channel as DWA classifies it.
#[derive(Debug, Clone, Copy)]
pub struct ChannelInfo<'a> {
    /// The full channel name.
    pub name: &'a [u8],
    /// How its samples are stored.
    pub pixel_type: PixelType,
    /// Its sampling rates, x and y.
    pub sampling: (i32, i32),
}

/// How a block's channels are coded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// Each channel's scheme, in channel order.
    pub schemes: Vec<Scheme>,
    /// The channels coded together as Y'CbCr: indices of R, G and B, in
    /// the order their layers first appear.
    pub colour_sets: Vec<[usize; 3]>,
}

/// Classifies `channels` (in name order) by `rules`: the last matching
/// rule gives a channel's scheme; a layer whose R, G and B all match
/// colour rules and share their sampling forms a colour set.
pub fn classify(rules: &[Rule], channels: &[ChannelInfo<'_>]) -> Classification {
    // Layers by name prefix (up to and including the last '.'), in order
    // of first appearance, each with its R, G, B channel indices.
    let mut layers: Vec<(&[u8], [Option<usize>; 3])> = Vec::new();
    let mut schemes = Vec::with_capacity(channels.len());
    for (index, channel) in channels.iter().enumerate() {
        let suffix = suffix_of(channel.name);
        let prefix = &channel.name[..channel.name.len() - suffix.len()];
        let layer = match layers.iter().position(|(p, _)| *p == prefix) {
            Some(i) => i,
            None => {
                layers.push((prefix, [None; 3]));
                layers.len() - 1
            }
        };
        let mut scheme = Scheme::Lossless;
        for rule in rules
            .iter()
            .filter(|r| r.matches(suffix, channel.pixel_type))
        {
            scheme = rule.scheme;
            if let Some(colour) = rule.colour {
                layers[layer].1[usize::from(colour)] = Some(index);
            }
        }
        schemes.push(scheme);
    }
    let colour_sets = layers
        .iter()
        .filter_map(|(_, rgb)| match *rgb {
            [Some(r), Some(g), Some(b)] => Some([r, g, b]),
            _ => None,
        })
        .filter(|rgb| {
            let s = rgb.map(|i| channels[i].sampling);
            s[0] == s[1] && s[1] == s[2]
        })
        .collect();
    Classification {
        schemes,
        colour_sets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, pixel_type: PixelType) -> ChannelInfo<'_> {
        ChannelInfo {
            name: name.as_bytes(),
            pixel_type,
            sampling: (1, 1),
        }
    }

    #[test]
    fn written_rules_are_the_matching_ones_and_read_back() {
        let channels = [info("A", Half), info("diffuse.R", Float), info("Z", Float)];
        let mut table = Vec::new();
        write_rules(&default_rules(), &channels, &mut table).unwrap();
        assert_eq!(table, [10, 0, b'R', 0, 0x14, 2, b'A', 0, 0x08, 1]);
        let (back, rest) = read_rules(&table).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, [DEFAULT_RULES[1].rule(), DEFAULT_RULES[13].rule()]);
    }

    #[test]
    fn stored_rules_read_back() {
        // "R": lossy HALF, red; "a": RLE FLOAT, any case; then other bytes.
        let table = [10, 0, b'R', 0, 0x14, 1, b'a', 0, 0x09, 2, b'x'];
        let (rules, rest) = read_rules(&table).unwrap();
        assert_eq!(rest, b"x");
        let red = Rule {
            suffix: b"R".to_vec(),
            scheme: LossyDct,
            pixel_type: Half,
            colour: Some(0),
            case_insensitive: false,
        };
        let alpha = Rule {
            suffix: b"a".to_vec(),
            scheme: Rle,
            pixel_type: Float,
            colour: None,
            case_insensitive: true,
        };
        assert_eq!(rules, [red, alpha]);
    }

    #[test]
    fn layers_form_colour_sets_and_other_channels_keep_their_scheme() {
        let channels = [
            info("A", Half),
            info("B", Half),
            info("G", Half),
            info("R", Half),
            info("Z", Float),
            info("diffuse.B", Float),
            info("diffuse.G", Float),
            info("diffuse.R", Float),
            info("spec.R", Half),
            info("spec.G", Uint),
        ];
        let c = classify(&legacy_rules(), &channels);
        use Scheme::Lossless;
        assert_eq!(
            c.schemes,
            [
                Rle, LossyDct, LossyDct, LossyDct, Lossless, LossyDct, LossyDct, LossyDct,
                LossyDct, Lossless
            ]
        );
        assert_eq!(c.colour_sets, [[3, 2, 1], [7, 6, 5]]);
    }

    #[test]
    fn legacy_rules_ignore_case() {
        let channels = [info("Blue", Half), info("grn", Half), info("RED", Half)];
        let c = classify(&legacy_rules(), &channels);
        assert_eq!(c.colour_sets, [[2, 1, 0]]);
    }

    #[test]
    fn hostile_rule_tables_are_corrupt() {
        assert!(read_rules(&[5]).is_err());
        assert!(read_rules(&[9, 0, b'R', 0]).is_err());
        assert!(read_rules(&[6, 0, b'R', 0, 0x50, 1]).is_err());
        assert!(read_rules(&[6, 0, b'R', 0, 0x0c, 1]).is_err());
        assert!(read_rules(&[6, 0, b'R', 0, 0x04, 3]).is_err());
        assert!(read_rules(&[5, 0, b'R', 0, 0x04]).is_err());
        let long = [vec![200, 0], vec![b'x'; 198]].concat();
        assert!(read_rules(&long).is_err());
        // 1025 rules "x" of 4 bytes each: one more than allowed.
        let many = 1025 * 4 + 2;
        let mut table = u16::try_from(many).unwrap().to_le_bytes().to_vec();
        for _ in 0..1025 {
            table.extend_from_slice(&[b'x', 0, 0x00, 1]);
        }
        assert!(read_rules(&table).is_err());
        table.truncate(many - 4);
        table[..2].copy_from_slice(&u16::try_from(many - 4).unwrap().to_le_bytes());
        assert_eq!(read_rules(&table).unwrap().0.len(), 1024);
    }
}
