//! From a request target to a file beneath the root: see `netlab::fuzzing::path_resolution`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netlab::fuzzing::path_resolution(netlab::fuzzing::Fixture::shared(), data);
});
