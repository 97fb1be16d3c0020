//! Pixels: sample type conversion, the scatter of unpacked blocks into
//! callers' frame buffers, and the luminance/chroma to RGB conversion.

pub mod convert;
pub mod framebuffer;
pub(crate) mod gather;
pub(crate) mod rgba_rows;
pub(crate) mod scatter;
pub(crate) mod yca;

pub use convert::Sample;
pub use framebuffer::{ChannelBuffers, FrameBuffer, RawSlice};
