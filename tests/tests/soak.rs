//! Soak: compiling schemas and decoding through their indexes over and over, in every build
//! mode, keeps the process's memory and thread count flat. A leak (an index kept alive by a
//! cycle, a background thread that never stops, a cache that grows per schema) shows as
//! growth between the end of the warm-up and the end of the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use maskwell::index::BuildMode;
use maskwell::{Config, Guide, Index, Source, TokenId, Vocabulary};

/// Resident memory in KiB, from `/proc` (Linux).
fn rss_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

fn threads() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
}

/// Compiles every schema in every build mode and decodes one pseudo-random path through
/// each index (at most 64 tokens), filling the mask at every step.
fn round(vocab: &Vocabulary, schemas: &[serde_json::Value], seed: u64) {
    let mut rng = maskwell_test::XorShift::new(seed);
    let mut mask = vec![0u32; vocab.width().div_ceil(32)];
    for schema in schemas {
        let regex = maskwell::schema::Compiler::new().compile(schema).unwrap().into_regex();
        for mode in [BuildMode::Eager, BuildMode::Lazy, BuildMode::Background] {
            let source = Source::Schema { schema: schema.to_string(), regex: regex.clone() };
            let index = Index::builder()
                .configure(Config::new().build_mode(mode).parallel(false))
                .build_with_source(source, vocab)
                .unwrap();
            let mut guide = Guide::new(Arc::new(index));
            for _ in 0..64 {
                if guide.is_finished() {
                    break;
                }
                guide.fill_bitmask(&mut mask).unwrap();
                guide.advance(TokenId::new(rng.pick(guide.allowed_ids()))).unwrap();
            }
        }
    }
}

#[test]
fn memory_and_threads_stay_flat() {
    let (Some(_), Some(_)) = (rss_kib(), threads()) else {
        eprintln!("soak: skipped, no /proc on this system");
        return;
    };
    let vocab =
        Vocabulary::from_file(maskwell_test::fixture("bytelevel4k.tokenizer.json")).unwrap();
    let schemas = [
        serde_json::json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 12},
                "age": {"type": "integer", "minimum": 0, "maximum": 150},
                "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 3}
            },
            "required": ["name"]
        }),
        serde_json::json!({
            "anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "boolean"}}]
        }),
    ];
    for seed in 0..10 {
        round(&vocab, &schemas, seed);
    }
    let (rss_before, threads_before) = (rss_kib().unwrap(), threads().unwrap());
    for seed in 10..110 {
        round(&vocab, &schemas, seed);
    }
    // Background threads stop once their index is dropped; give the last ones a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    while threads().unwrap() > threads_before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (rss_after, threads_after) = (rss_kib().unwrap(), threads().unwrap());
    eprintln!(
        "soak: 100 rounds of {} compiles; RSS {rss_before} KiB -> {rss_after} KiB, threads {threads_before} -> {threads_after}",
        schemas.len() * 3
    );
    assert!(threads_after <= threads_before, "threads {threads_before} -> {threads_after}");
    // 600 indexes were built and dropped after the warm-up: a leak of even one index per
    // build (tens of KiB and more over 4k tokens) would exceed this bound.
    assert!(
        rss_after <= rss_before + 4 * 1024,
        "resident memory grew from {rss_before} KiB to {rss_after} KiB"
    );
}
