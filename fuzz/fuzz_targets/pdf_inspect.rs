//! Fuzzes what the `pdf-check` child runs on every upload: parse, check, plan the stamp.
//! Any panic, abort or timeout found here is a file that would get 422 `hostile` from the
//! server (the child dies, the server does not), but is worth a lopdf issue or a check of ours.
#![no_main]

use ecabinet::documents::pdf::{Limits, inspect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_pages: 1_000,
        max_objects: 100_000,
        max_decompressed_bytes: 16 << 20,
    };
    let _ = inspect(data, &limits);
});
