//! The C ABI: every `extern "C"` function and C type, and nothing else.
//! Each export checks its pointers, runs its body under a panic guard and
//! maps errors to `exrkit_status`; the format logic lives in the rest of the
//! crate. `include/exrkit.h` is generated from this module by cbindgen.

#![allow(non_camel_case_types)]

pub mod attribute;
pub mod decode;
pub mod deep;
mod guard;
mod handle;
pub mod options;
pub mod reader;
pub mod status;
pub mod stream;
pub mod types;
pub mod version;
pub mod writer;
pub mod writer_attributes;
