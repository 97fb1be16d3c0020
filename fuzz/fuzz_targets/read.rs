//! Any bytes through the Rust reader: everything the file holds, on the
//! calling thread and on the global pool, which must decode alike.
#![no_main]

use exrkit::Reader;
use exrkit_fuzz::{read_options, rust_api};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(single) = Reader::from_bytes(data.to_vec(), read_options(1)) else {
        return;
    };
    let one = rust_api::exercise(&single);
    let pooled = Reader::from_bytes(data.to_vec(), read_options(0))
        .expect("a file that opened once opens again");
    assert_eq!(
        one,
        rust_api::exercise(&pooled),
        "one thread and the global pool decode alike"
    );
});
