//! Any bytes through the C reading functions; the flat parts' levels and
//! RGBA must decode as through the Rust reader.
#![no_main]

use exrkit::Reader;
use exrkit_fuzz::{c_api, read_options, rust_api};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = c_api::exercise(data);
    let rust = Reader::from_bytes(data.to_vec(), read_options(1));
    assert_eq!(c.opened, rust.is_ok(), "C and Rust open alike");
    let Ok(reader) = rust else {
        return;
    };
    let mut pixels = exrkit_fuzz::digest::Digest::default();
    for (part, header) in reader.headers().iter().enumerate() {
        if !header.storage().is_deep() {
            rust_api::flat_levels(&reader, part, header, &mut pixels);
        }
    }
    assert_eq!(c.pixels, pixels, "C and Rust decode alike");
});
