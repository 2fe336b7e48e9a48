//! The `Range` header: see `netlab::fuzzing::range`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| netlab::fuzzing::range(data));
