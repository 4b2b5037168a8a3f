//! Any bytes as `villages.csv` (UTF-8, GBK or anything else) for the default rules: loading
//! and validating must report problems, never panic.
#![no_main]

#[path = "common/data_file.rs"]
mod data_file;

libfuzzer_sys::fuzz_target!(|data: &[u8]| data_file::load_as("villages.csv", data));
