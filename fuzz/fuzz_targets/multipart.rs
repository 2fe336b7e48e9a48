//! The upload form's multipart parser: see `netlab::fuzzing::multipart`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| netlab::fuzzing::multipart(data));
