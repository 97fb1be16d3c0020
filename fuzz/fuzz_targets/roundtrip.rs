//! Fuzzer-chosen part descriptions and samples, written then read back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| exrkit_fuzz::roundtrip::run(data));
