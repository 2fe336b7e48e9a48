//! netlab's integration tests, as one test binary (`cargo test --test it`): each module is what
//! used to be a binary of its own, and every module drives the real `netlab` binary (or the
//! library's `netlab::fuzzing`) through the shared [`harness`].
//!
//! Run one module with `cargo test --test it web_peers::`, one test with its full name.

mod harness;

mod access;
mod assets;
mod bench;
mod bench_requests;
mod bench_tls;
mod connect;
mod connect_eof;
mod connect_listen;
mod connect_proxy;
mod connect_starttls;
mod explain;
mod explain_more;
mod fetch;
mod fetch_cookies;
mod fetch_faults;
mod fetch_forms;
mod fetch_many;
mod fetch_print_curl;
mod fetch_retry;
mod fetch_timing;
mod first_hour;
mod fuzz_corpus;
mod mtls;
mod package;
mod properties;
mod regressions;
mod security_md;
mod serve;
mod serve_chat;
mod serve_exec;
mod serve_forward;
mod tls;
mod tls_browser;
mod tls_client;
mod tls_leaks;
mod tls_peers;
mod tls_reload;
mod tour;
mod url;
mod url_options;
mod urldecode;
mod urldecode_whatwg;
mod web;
mod web_archives;
mod web_auth;
mod web_browser;
mod web_compress;
mod web_knobs;
mod web_listing;
mod web_multipart;
mod web_peers;
mod web_upload;
