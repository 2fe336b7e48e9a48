//! The web connection handler on arbitrary bytes: see `netlab::fuzzing::web_conn`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netlab::fuzzing::web_conn(netlab::fuzzing::Fixture::shared(), data);
});
