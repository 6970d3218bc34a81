//! Any bytes as `parley_protocol::fuzz::client_frame` reads them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| parley_protocol::fuzz::client_frame(data));
