//! The header OpenEXR puts before an HTJ2K chunk's codestream. Unlike the
//! rest of the file it is big-endian:
//!
//! | bytes | field |
//! | --- | --- |
//! | 2 | the magic: "HT" for HTJ2K256 and HTJ2K32, "HL" for lossy HTJ2K (which OpenEXR 3.5.0 and 3.5.1 wrote as "HT") |
//! | 4 | the length of what follows it up to the codestream |
//! | 2 | the number of channels, as in the part |
//! | 2 per channel | for each codestream component in turn, the index of its channel in the part's (name-ordered) channel list |
//! | the rest of the length | extension bytes, skipped |
//!
//! The J2K codestream fills the rest of the chunk.

use crate::error::{corrupt, Result};

/// The magic at the start of the header of lossless chunks, and of lossy
/// ones from OpenEXR 3.5.0 and 3.5.1 (whose 9/7 components, not decoded
/// yet, will need OpenEXR's legacy transfer function undone; issue 15).
const MAGIC: [u8; 2] = *b"HT";
/// The magic of lossy chunks as OpenEXR 3.5.3 writes them; it refuses it
/// in lossless parts.
const LOSSY_MAGIC: [u8; 2] = *b"HL";

/// A chunk split into its header's channel map and its codestream.
#[derive(Debug, PartialEq)]
pub struct Chunk<'a> {
    /// For each codestream component, the index of its channel.
    pub channel_of: Vec<usize>,
    /// The J2K codestream.
    pub codestream: &'a [u8],
}

/// Reads the header of a chunk, `lossy` or not, of a part with `channels`
/// channels: every channel must be some component's, once.
pub fn read(packed: &[u8], channels: usize, lossy: bool) -> Result<Chunk<'_>> {
    let Some((magic, rest)) = packed.split_first_chunk::<2>() else {
        corrupt!("HTJ2K chunk of {} bytes has no header", packed.len());
    };
    if !(*magic == MAGIC || lossy && *magic == LOSSY_MAGIC) {
        corrupt!(
            "HTJ2K chunk does not start with 'HT'{}",
            if lossy { " or 'HL'" } else { "" }
        );
    }
    let Some((length, rest)) = rest.split_first_chunk::<4>() else {
        corrupt!("HTJ2K chunk header ends before its length");
    };
    let length = u32::from_be_bytes(*length) as usize;
    let (Some(payload), Some(codestream)) = (rest.get(..length), rest.get(length..)) else {
        corrupt!(
            "HTJ2K chunk header of {length} bytes runs past the chunk's {}",
            packed.len()
        );
    };
    let Some((count, mut map)) = payload.split_first_chunk::<2>() else {
        corrupt!("HTJ2K chunk header of {length} bytes has no channel count");
    };
    let count = usize::from(u16::from_be_bytes(*count));
    if count != channels {
        corrupt!("HTJ2K chunk maps {count} channels where the part has {channels}");
    }
    let mut taken = vec![false; channels];
    let mut channel_of = Vec::with_capacity(channels);
    for component in 0..count {
        let Some((index, rest)) = map.split_first_chunk::<2>() else {
            corrupt!("HTJ2K chunk header ends inside its channel map");
        };
        map = rest;
        let index = usize::from(u16::from_be_bytes(*index));
        match taken.get_mut(index) {
            Some(seen @ false) => *seen = true,
            Some(true) => corrupt!("HTJ2K chunk maps channel {index} twice"),
            None => corrupt!("HTJ2K component {component} maps to channel {index} of {channels}"),
        }
        channel_of.push(index);
    }
    if codestream.is_empty() {
        corrupt!("HTJ2K chunk holds no codestream");
    }
    Ok(Chunk {
        channel_of,
        codestream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(length: u32, count: u16, map: &[u16]) -> Vec<u8> {
        let mut bytes = b"HT".to_vec();
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&count.to_be_bytes());
        for &m in map {
            bytes.extend_from_slice(&m.to_be_bytes());
        }
        bytes
    }

    #[test]
    fn headers_map_components_to_channels() {
        let mut bytes = header(10, 4, &[3, 2, 1, 0]);
        bytes.extend_from_slice(&[0xff, 0x4f]);
        let chunk = read(&bytes, 4, false).expect("header");
        assert_eq!(chunk.channel_of, [3, 2, 1, 0]);
        assert_eq!(chunk.codestream, [0xff, 0x4f]);
        // Extension bytes are skipped.
        let mut bytes = header(8, 2, &[1, 0]);
        bytes.extend_from_slice(&[9, 9, 0xff, 0x4f]);
        assert_eq!(
            read(&bytes, 2, false).expect("header").codestream,
            [0xff, 0x4f]
        );
        // Lossy chunks start with "HL" (or "HT" from OpenEXR 3.5.0 and
        // 3.5.1), lossless ones with "HT" only.
        assert!(read(&bytes, 2, true).is_ok());
        bytes[1] = b'L';
        assert_eq!(
            read(&bytes, 2, true).expect("header").codestream,
            [0xff, 0x4f]
        );
        assert!(read(&bytes, 2, false).is_err());
    }

    #[test]
    fn damaged_headers_are_corrupt() {
        let cases: [(Vec<u8>, usize); 7] = [
            (b"H".to_vec(), 1),
            (
                [b"XT".as_slice(), &header(4, 1, &[0])[2..], &[0xff]].concat(),
                1,
            ),
            ([header(4000, 1, &[0]), vec![0xff]].concat(), 1),
            ([header(4, 2, &[0]), vec![0xff]].concat(), 1),
            ([header(6, 2, &[0, 0]), vec![0xff]].concat(), 2),
            ([header(6, 2, &[0, 2]), vec![0xff]].concat(), 2),
            (header(4, 1, &[0]), 1),
        ];
        for (i, (bytes, channels)) in cases.iter().enumerate() {
            let error = read(bytes, *channels, false).expect_err("damaged");
            assert!(
                matches!(error, crate::Error::Corrupt(_)),
                "case {i}: {error}"
            );
        }
    }
}
