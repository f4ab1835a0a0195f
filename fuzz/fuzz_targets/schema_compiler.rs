#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maskwell_fuzz::schema_compiler(data));
