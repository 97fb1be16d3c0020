//! Pixels: sample type conversion and the scatter of unpacked blocks into
//! callers' frame buffers.

pub mod convert;
pub mod framebuffer;
pub(crate) mod scatter;

pub use convert::Sample;
pub use framebuffer::{FrameBuffer, RawSlice};
