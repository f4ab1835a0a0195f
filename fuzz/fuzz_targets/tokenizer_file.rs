#![no_main]

// maskwell catches the tokenizer library's panics on purpose; libFuzzer's hook would abort
// on them before they are caught, so they are let through to unwind (see the function).
libfuzzer_sys::fuzz_target!(
    init: maskwell_fuzz::unwinds_inside_tokenizers(),
    |data: &[u8]| maskwell_fuzz::tokenizer_file(data)
);
