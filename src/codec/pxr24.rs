//! PXR24 decompression (placeholder until its module lands).

use super::BlockLayout;
use crate::error::{Error, Result};

/// Buffers kept between blocks.
#[derive(Default)]
pub struct Scratch;

/// Unpacks one block.
pub fn decompress(
    _layout: &BlockLayout,
    _packed: &[u8],
    _out: &mut [u8],
    _scratch: &mut Scratch,
) -> Result<()> {
    Err(Error::Unsupported("PXR24 decoding is being written".into()))
}
