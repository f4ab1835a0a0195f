//! Index build time: the JSON-object regex over the Llama-3 vocabulary (1 thread and all
//! threads), and over synthetic vocabularies of 8k, 32k and 128k tokens to show how the
//! build scales with the vocabulary; and the lazy modes: the time to the first mask, and
//! the time to walk every state on demand, against the eager build in the same run.
//!
//! Run with `cargo bench -p maskwell-bench --bench index`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use maskwell::{index::BuildMode, Builder, Config, Guide, Vocabulary};
use maskwell_bench::{bench_vocab, json_object_regex, synthetic_vocab};

/// Synthetic vocabulary sizes.
const SIZES: [usize; 3] = [8 * 1024, 32 * 1024, 128 * 1024];

fn builder(parallel: bool) -> Builder {
    Builder::new().configure(Config::new().parallel(parallel))
}

/// `1_thread` and `parallel_<n>_threads`, `n` the size of rayon's global pool.
fn configurations() -> [(String, bool); 2] {
    [
        ("1_thread".to_owned(), false),
        (format!("parallel_{}_threads", rayon::current_num_threads()), true),
    ]
}

fn describe(name: &str, regex: &str, vocab: &Vocabulary) {
    let stats = builder(false)
        .build(regex, vocab)
        .unwrap_or_else(|e| panic!("cannot index the benchmark regex over {name}: {e}"))
        .stats();
    eprintln!(
        "{name}: width {}, {} index states, {} DFA states, {} unique sets ({} dense), {} KiB; \
         1-thread build: automaton {:?}, index {:?}",
        stats.width,
        stats.states,
        stats.dfa_states,
        stats.unique_sets,
        stats.dense_sets,
        stats.memory / 1024,
        stats.automaton_time,
        stats.index_time,
    );
}

fn real_vocab(c: &mut Criterion) {
    let regex = json_object_regex();
    let bench = bench_vocab();
    describe(bench.name, &regex, &bench.vocab);
    let mut group = c.benchmark_group(format!("index_build/{}", bench.name));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, parallel) in configurations() {
        let builder = builder(parallel);
        group.bench_function(name, |b| {
            b.iter(|| builder.build(black_box(&regex), black_box(&bench.vocab)).expect("index"));
        });
    }
    group.finish();
}

fn synthetic(c: &mut Criterion) {
    let regex = json_object_regex();
    let mut group = c.benchmark_group("index_build/synthetic");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for size in SIZES {
        let vocab = synthetic_vocab(size);
        describe(&format!("synthetic-{size}"), &regex, &vocab);
        group.throughput(Throughput::Elements(size as u64));
        for (name, parallel) in configurations() {
            let builder = builder(parallel);
            group.bench_with_input(BenchmarkId::new(name, size), &vocab, |b, vocab| {
                b.iter(|| builder.build(black_box(&regex), black_box(vocab)).expect("index"));
            });
        }
    }
    group.finish();
}

/// Lazy builds over Llama-3, one thread: the regex to a first filled mask (`first_mask`),
/// and to every state walked (`all_states`, what a completed background build costs), next
/// to the eager build (`eager_1_thread`, every state before the first mask).
fn lazy(c: &mut Criterion) {
    let regex = json_object_regex();
    let bench = bench_vocab();
    let lazy = Builder::new().configure(Config::new().parallel(false).build_mode(BuildMode::Lazy));
    let stats = lazy.build(&regex, &bench.vocab).expect("index").stats();
    eprintln!("{} lazy: {:?} (lazy DFA: {})", bench.name, stats.mode, stats.lazy_dfa);
    let mut group = c.benchmark_group(format!("lazy_build/{}", bench.name));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let eager = builder(false);
    group.bench_function("eager_1_thread", |b| {
        b.iter(|| eager.build(black_box(&regex), black_box(&bench.vocab)).expect("index"));
    });
    let mut mask = vec![0u32; bench.vocab.width().div_ceil(32)];
    group.bench_function("first_mask", |b| {
        b.iter(|| {
            let index = lazy.build(black_box(&regex), black_box(&bench.vocab)).expect("index");
            Guide::new(std::sync::Arc::new(index)).fill_bitmask(&mut mask).expect("mask");
        });
    });
    group.bench_function("all_states", |b| {
        b.iter(|| {
            let index = lazy.build(black_box(&regex), black_box(&bench.vocab)).expect("index");
            index.build_pending()
        });
    });
    group.finish();
}

criterion_group!(benches, real_vocab, synthetic, lazy);
criterion_main!(benches);
