//! Schema compile time (JSON Schema → regex), the step before the automaton is built.
//!
//! Ids:
//! - `schema_compile/person_example`: the README's example schema (`schemas/examples/`).
//! - `schema_compile/sample_p50`, `sample_p90`, `sample_p99`: the files of the committed
//!   MaskBench sample (`maskbench-sample.txt`) whose one-shot compile time sits at that
//!   percentile among the sample's compiling files (which file is printed before timing), when
//!   the shared data folder is present.
//! - `schema_compile/deep_nesting_limit`: a schema nested 10,000 levels deep, refused at the
//!   compiler's depth limit: the time to an error, which must stay small.
//!
//! The corpus-wide figures (p50 and p99 over all 11,305 files) come from
//! `cargo run -p maskwell-schema --release --example maskbench`; see `docs/json-schema.md`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use maskwell::schema::Compiler;

fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample's compiling schemas with one compile time each, fastest first.
fn sample_schemas() -> Vec<(String, serde_json::Value, Duration)> {
    let Some(shared) = maskwell_test::shared_dir() else {
        println!("schema bench: shared data folder absent, sample benches skipped");
        return Vec::new();
    };
    let dir = shared.join("jsonschemabench/maskbench");
    let list = maskwell_test::workspace_root().join("benches/maskbench-sample.txt");
    let names = std::fs::read_to_string(&list).expect("benches/maskbench-sample.txt");
    let mut timed: Vec<(String, serde_json::Value, Duration)> = names
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|name| {
            let schema = read_json(&dir.join(name))["schema"].clone();
            let started = Instant::now();
            Compiler::new().compile(&schema).ok()?;
            Some((name.to_owned(), schema, started.elapsed()))
        })
        .collect();
    timed.sort_by_key(|(_, _, t)| *t);
    timed
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("schema_compile");
    let person = read_json(&maskwell_test::schemas_dir().join("examples/person.schema.json"));
    group.bench_function("person_example", |b| {
        b.iter(|| Compiler::new().compile(&person).expect("the example compiles"));
    });

    let sample = sample_schemas();
    for (label, percentile) in [("sample_p50", 50), ("sample_p90", 90), ("sample_p99", 99)] {
        let Some((name, schema, once)) = sample.get(sample.len() * percentile / 100) else {
            continue;
        };
        println!("{label}: {name} (one compile: {once:?}, of {} files)", sample.len());
        group.bench_function(label, |b| {
            b.iter(|| Compiler::new().compile(schema).expect("compiled before"));
        });
    }

    // Built by moving each level into the next (`json!` would copy the subtree every level).
    let mut deep = serde_json::json!({"type": "integer"});
    for _ in 0..10_000 {
        let mut level = serde_json::Map::new();
        level.insert("type".to_owned(), "array".into());
        level.insert("items".to_owned(), deep);
        deep = serde_json::Value::Object(level);
    }
    group.bench_function("deep_nesting_limit", |b| {
        b.iter(|| Compiler::new().compile(&deep).expect_err("over the depth limit"));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = compile
}
criterion_main!(benches);
