//! exrkit reads OpenEXR files (and QOI previews) safely and fast, for Rust
//! callers directly and for C callers through the `exrkit_*` functions of
//! `include/exrkit.h`.
//!
//! Data flows one way: [`io`] sources give bytes at offsets, [`meta`] parses
//! and checks headers, [`chunk`] finds and checks chunks, and [`read`] ties
//! them together in a [`Reader`]. [`qoi`] is the QOI codec. [`ffi`] is the C
//! boundary and holds no format logic.
//!
//! ```no_run
//! let reader = exrkit::Reader::open("image.exr", exrkit::ReadOptions::default())?;
//! for header in reader.headers() {
//!     println!("{:?} {} channels", header.storage(), header.channels().len());
//! }
//! # Ok::<(), exrkit::Error>(())
//! ```

#![deny(missing_docs)]
// Unsafe code lives only in cpu, ffi, parallel, pixels, read and write; the
// other modules forbid it. Every unsafe operation sits in its own
// documented block, even inside an unsafe fn.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod chunk;
pub mod codec;
mod cpu;
pub mod deep;
pub mod error;
pub mod ffi;
pub mod io;
pub mod meta;
mod parallel;
pub mod pixels;
pub mod progress;
pub mod qoi;
pub mod read;
#[cfg(target_arch = "x86_64")]
mod sse2;
pub mod write;

pub use error::{Error, Result};
pub use read::{ReadOptions, Reader};
pub use write::{Format, PartDesc, WriteOptions, Writer};
