//! Channels and the `chlist` attribute that lists them.

use super::text::Text;
use super::types::PixelType;
use crate::error::{corrupt, Result};

/// Longest channel name OpenEXR accepts, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 255;

/// One channel of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// The channel's name, e.g. `R` or `diffuse.G`.
    pub name: Text,
    /// How each sample is stored.
    pub pixel_type: PixelType,
    /// Hint that the channel is perceptually linear.
    pub p_linear: bool,
    /// Horizontal subsampling: one sample per this many columns.
    pub x_sampling: i32,
    /// Vertical subsampling: one sample per this many rows.
    pub y_sampling: i32,
}

/// Decodes the bytes of a `chlist` attribute.
pub fn parse_channel_list(mut bytes: &[u8]) -> Result<Vec<Channel>> {
    let mut channels = Vec::new();
    loop {
        let Some(name_len) = bytes.iter().position(|&b| b == 0) else {
            corrupt!("channel list is not terminated");
        };
        if name_len == 0 {
            if bytes.len() != 1 {
                corrupt!(
                    "{} bytes follow the end of the channel list",
                    bytes.len() - 1
                );
            }
            return Ok(channels);
        }
        if name_len > MAX_NAME_LEN {
            corrupt!("channel name of {name_len} bytes is longer than {MAX_NAME_LEN}");
        }
        let name = Text::new(&bytes[..name_len]);
        let Some((fields, rest)) = bytes[name_len + 1..].split_first_chunk::<16>() else {
            corrupt!("channel '{name}' is cut short");
        };
        let word =
            |i: usize| i32::from_le_bytes([fields[i], fields[i + 1], fields[i + 2], fields[i + 3]]);
        let pixel_type = PixelType::from_file_code(word(0))
            .map_err(|e| e.context(format_args!("channel '{name}'")))?;
        if fields[4] > 1 {
            corrupt!(
                "channel '{name}' has pLinear {}; it must be 0 or 1",
                fields[4]
            );
        }
        channels.push(Channel {
            name,
            pixel_type,
            p_linear: fields[4] != 0,
            x_sampling: word(8),
            y_sampling: word(12),
        });
        bytes = rest;
    }
}
