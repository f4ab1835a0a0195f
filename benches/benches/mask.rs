//! The per-token path: `Guide::fill_bitmask` in several states of the JSON-object index over
//! the Llama-3 vocabulary, against a plain copy of a bitmask-sized buffer; `Guide::advance`
//! followed by `rollback(1)`; and `apply_bitmask` on f32 logits rows of 128,256 and 151,936
//! columns, batch 1 and 64, against a plain copy of the same number of bytes.
//!
//! Run with `cargo bench -p maskwell-bench --bench mask`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use maskwell::vocab::encode_continuation;
use maskwell::{apply_bitmask, apply_bitmask_batch, Guide, Index};
use maskwell_bench::{
    bench_states, bench_vocab, json_object_regex, synthetic_bitmask, JSON_OBJECT_INSTANCE,
};

/// Logits widths: Llama 3's vocabulary and Qwen2/3's padded logits row.
const WIDTHS: [usize; 2] = [128_256, 151_936];
/// Batch sizes (rows of logits masked in one call).
const BATCHES: [usize; 2] = [1, 64];

fn quick(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
}

fn guide_paths(c: &mut Criterion) {
    let bench = bench_vocab();
    let index = Arc::new(Index::new(&json_object_regex(), &bench.vocab).expect("index"));
    let states = bench_states(&index, &bench.tokenizer, &bench.vocab);
    let words = index.words();

    let mut group = c.benchmark_group(format!("fill_bitmask/{}", bench.name));
    quick(&mut group);
    group.throughput(Throughput::Bytes(words as u64 * 4));
    let source = vec![0x5555_5555u32; words];
    let mut out = vec![0u32; words];
    group.bench_function(format!("copy_{words}_words_baseline"), |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&source));
            black_box(&mut out);
        });
    });
    for state in &states {
        eprintln!(
            "{}: state {:?} after {:?}: {} tokens allowed",
            state.name,
            state.guide.state(),
            state.prefix,
            state.guide.allowed_ids().len()
        );
        let guide = &state.guide;
        group.bench_function(state.name, |b| {
            b.iter(|| {
                black_box(guide).fill_bitmask(&mut out).expect("bitmask");
                black_box(&mut out);
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("advance_rollback/{}", bench.name));
    quick(&mut group);
    for state in &states {
        let rest = &JSON_OBJECT_INSTANCE[state.prefix.len()..];
        let next = encode_continuation(&bench.tokenizer, &bench.vocab, rest).expect("tokens")[0];
        let bytes = bench.vocab.token_bytes(next).unwrap_or_default();
        eprintln!(
            "{}: next token {} {:?}",
            state.name,
            next.as_u32(),
            String::from_utf8_lossy(bytes)
        );
        let mut guide = state.guide.clone();
        group.bench_function(state.name, |b| {
            b.iter(|| {
                guide.advance(black_box(next)).expect("allowed");
                guide.rollback(1).expect("rollback");
            });
        });
    }
    group.finish();
}

fn apply(c: &mut Criterion) {
    for width in WIDTHS {
        let words = width.div_ceil(32);
        for rows in BATCHES {
            let mut group = c.benchmark_group(format!("apply_bitmask/{width}x{rows}"));
            quick(&mut group);
            group.throughput(Throughput::Bytes((width * rows * 4) as u64));
            let source: Vec<f32> = (0..width * rows).map(|i| (i % 1000) as f32 * 0.01).collect();
            let mut logits = source.clone();
            group.bench_function("copy_baseline", |b| {
                b.iter(|| {
                    logits.copy_from_slice(black_box(&source));
                    black_box(&mut logits);
                });
            });
            // Inside a string most tokens are allowed; between values only a few are.
            for (name, ones, mixed) in [("mostly_allowed", 85, 10), ("mostly_masked", 0, 1)] {
                let bitmask = synthetic_bitmask(words, rows, ones, mixed);
                group.bench_function(name, |b| {
                    b.iter(|| {
                        if rows == 1 {
                            apply_bitmask(&mut logits, black_box(&bitmask)).expect("apply");
                        } else {
                            apply_bitmask_batch(&mut logits, black_box(&bitmask), rows)
                                .expect("apply");
                        }
                        black_box(&mut logits);
                    });
                });
            }
            group.finish();
        }
    }
}

/// `Guide::fill_bitmask_batch` over 256 guides spread over the benchmark states, on a rayon
/// pool of 1 thread and of 2, against 256 copies of a bitmask-sized buffer.
fn batch_fill(c: &mut Criterion) {
    let bench = bench_vocab();
    let index = Arc::new(Index::new(&json_object_regex(), &bench.vocab).expect("index"));
    let states = bench_states(&index, &bench.tokenizer, &bench.vocab);
    let guides: Vec<Guide> = (0..256).map(|i| states[i % states.len()].guide.clone()).collect();
    let words = index.words();
    let mut out = vec![0u32; guides.len() * words];
    let source = vec![0x5555_5555u32; guides.len() * words];

    let mut group = c.benchmark_group(format!("fill_bitmask_batch_256/{}", bench.name));
    quick(&mut group);
    group.throughput(Throughput::Elements(guides.len() as u64));
    group.bench_function("copy_256_rows_baseline", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&source));
            black_box(&mut out);
        });
    });
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    Guide::fill_bitmask_batch(black_box(&guides), &mut out).expect("batch")
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, guide_paths, apply, batch_fill);
criterion_main!(benches);
