//! Replays the fuzzers' seeds and every input they found through the harness functions,
//! on stable, so that fixed bugs stay fixed without a nightly toolchain or cargo-fuzz.
//!
//! Inputs live in `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` at the root of
//! the repository; `fuzz/regressions/pending/` holds inputs of bugs not fixed yet and is not
//! replayed.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files directly under `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs every input of `target` from seeds and regressions; a panic names the file.
fn replay(target: &str) {
    let (_, harness) =
        maskwell_fuzz::TARGETS.iter().find(|(name, _)| *name == target).expect("a known target");
    let mut count = 0;
    for kind in ["seeds", "regressions"] {
        for path in inputs(&fuzz_dir().join(kind).join(target)) {
            let data = std::fs::read(&path).expect("readable input");
            let result = std::panic::catch_unwind(|| harness(&data));
            assert!(result.is_ok(), "{target}: {} panicked", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "{target}: no seeds found under {}", fuzz_dir().display());
}

#[test]
fn schema_compiler() {
    replay("schema_compiler");
}

#[test]
fn regex_path() {
    replay("regex_path");
}

#[test]
fn index_file() {
    replay("index_file");
}

#[test]
fn tokenizer_file() {
    replay("tokenizer_file");
}

#[test]
fn guide_ops() {
    replay("guide_ops");
}

/// Every target has a seed directory, and nothing sits in a regression directory of a
/// target that does not exist (it would never be replayed).
#[test]
fn every_directory_is_a_target() {
    for kind in ["seeds", "regressions"] {
        for dir in std::fs::read_dir(fuzz_dir().join(kind)).into_iter().flatten().flatten() {
            let name = dir.file_name().to_string_lossy().into_owned();
            let known = maskwell_fuzz::TARGETS.iter().any(|(t, _)| *t == name);
            assert!(known || name == "pending", "fuzz/{kind}/{name} is not a fuzz target");
        }
    }
}

/// The valid index files among the `index_file` seeds load with this version (so the
/// mutations start from a file that passes every check). After a format change, rewrite
/// them with `MASKWELL_WRITE_SEEDS=1 cargo test -p maskwell-fuzz index_seeds_load`.
#[test]
fn index_seeds_load() {
    let dir = fuzz_dir().join("seeds/index_file");
    let write = std::env::var_os("MASKWELL_WRITE_SEEDS").is_some();
    for (name, mode, regex) in [
        ("valid_json_tiny", 0u8, r#"\{"a": (true|false|[0-9]{1,3})\}"#),
        ("valid_lists_bytes", 2, "[a-c]{0,5}(,[a-c]{1,3}){0,3}"),
    ] {
        let path = dir.join(name);
        let full_bytes = mode & 2 != 0;
        if write {
            let mut data = vec![mode];
            data.extend(maskwell_fuzz::index_seed(regex, full_bytes));
            std::fs::write(&path, data).expect("writable seed directory");
        }
        let stored = std::fs::read(&path).expect("the seed exists");
        assert!(
            stored.first() == Some(&mode)
                && maskwell_fuzz::index_seed_loads(&stored[1..], full_bytes),
            "{} does not load: rewrite it with MASKWELL_WRITE_SEEDS=1 cargo test -p maskwell-fuzz \
             index_seeds_load",
            path.display()
        );
    }
}
