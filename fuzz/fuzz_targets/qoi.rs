//! Any bytes through the QOI decoder (re-encoded where they decode), and
//! any pixels through the QOI encoder (decoded back).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    exrkit_fuzz::qoi::decode(data);
    exrkit_fuzz::qoi::encode(data);
});
