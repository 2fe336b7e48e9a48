//! `urldecode` in every mode: see `netlab::fuzzing::urldecode`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| netlab::fuzzing::urldecode(data));
