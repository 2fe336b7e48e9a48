//! `connect`'s `--hexdump`, `--crlf` and HOST:PORT handling: see `netlab::fuzzing::connect`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| netlab::fuzzing::connect(data));
