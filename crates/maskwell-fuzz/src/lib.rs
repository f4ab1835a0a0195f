//! Fuzz harnesses for maskwell.
//!
//! Each public function takes arbitrary bytes, drives one entry point that handles untrusted
//! input, and panics only when maskwell misbehaves: a panic inside maskwell, or a result
//! that contradicts an independent model. Errors returned by maskwell are expected and
//! ignored. The cargo-fuzz targets in `fuzz/` are one-line wrappers around these functions,
//! and `tests/regressions.rs` replays the seeds and every input the fuzzers found on stable,
//! so the harness logic lives here, where the normal build and test run check it.
//!
//! Every harness keeps the work per input small (tiny vocabularies, low limits), so the
//! fuzzer runs thousands of inputs a second.

mod guide;
mod index_file;
mod reference;
mod regex;
mod schema;
mod tokenizer;
mod vocab;

pub use guide::guide_ops;
pub use index_file::{index_file, index_seed, index_seed_loads};
pub use regex::regex_path;
pub use schema::schema_compiler;
pub use tokenizer::{tokenizer_file, unwinds_inside_tokenizers};

/// A harness: one fuzz input in, a panic out when maskwell misbehaves.
pub type Harness = fn(&[u8]);

/// The harness function of each fuzz target, by target name (for replaying inputs).
pub const TARGETS: &[(&str, Harness)] = &[
    ("schema_compiler", schema_compiler),
    ("regex_path", regex_path),
    ("index_file", index_file),
    ("tokenizer_file", tokenizer_file),
    ("guide_ops", guide_ops),
];
