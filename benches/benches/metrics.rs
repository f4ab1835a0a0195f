//! The cost of the process-wide metrics on the decode path: one step (`fill_bitmask`, then
//! `advance` and `rollback(1)`) in each benchmark state of the JSON-object index over the
//! Llama-3 vocabulary, eager and lazy, with counting on and off (`metrics::set_enabled`).
//!
//! Besides criterion's figures, the bench prints the ratio of medians of on/off measured in
//! alternating rounds in one loop (the fairest comparison on a shared, noisy machine).
//!
//! Run with `cargo bench -p maskwell-bench --bench metrics`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use maskwell::index::{BuildMode, Config};
use maskwell::vocab::encode_continuation;
use maskwell::{metrics, Guide, Index, TokenId};
use maskwell_bench::{bench_states, bench_vocab, json_object_regex, JSON_OBJECT_INSTANCE};

/// One decode step from `guide`'s state, leaving it where it was.
#[inline]
fn step(guide: &mut Guide, next: TokenId, out: &mut [u32]) {
    guide.fill_bitmask(out).expect("bitmask");
    black_box(&mut *out);
    guide.advance(black_box(next)).expect("allowed");
    guide.rollback(1).expect("rollback");
}

/// Median nanoseconds per step with counting on and off, and the median of the on/off
/// ratios of adjacent rounds (pairs share the machine's state of the moment, so the ratio
/// is robust to noise that the medians are not).
fn interleaved(guide: &mut Guide, next: TokenId, out: &mut [u32]) -> (f64, f64, f64) {
    const PAIRS: usize = 301;
    const STEPS: u32 = 1000;
    let mut time = |enabled: bool| {
        metrics::set_enabled(enabled);
        let started = Instant::now();
        for _ in 0..STEPS {
            step(guide, next, out);
        }
        started.elapsed().as_secs_f64() * 1e9 / f64::from(STEPS)
    };
    let (mut on, mut off, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..PAIRS {
        // Alternate which goes first, so neither always runs on a warmer cache.
        let (a, b) = if pair % 2 == 0 {
            let a = time(true);
            (a, time(false))
        } else {
            let b = time(false);
            (time(true), b)
        };
        on.push(a);
        off.push(b);
        ratios.push(a / b);
    }
    metrics::set_enabled(true);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut on), median(&mut off), median(&mut ratios))
}

fn overhead(c: &mut Criterion) {
    let bench = bench_vocab();
    for mode in [BuildMode::Eager, BuildMode::Lazy] {
        let index = Arc::new(
            Index::builder()
                .configure(Config::new().build_mode(mode))
                .build(&json_object_regex(), &bench.vocab)
                .expect("index"),
        );
        let states = bench_states(&index, &bench.tokenizer, &bench.vocab);
        let mut out = vec![0u32; index.words()];
        let mut group = c.benchmark_group(format!("metrics/{}/{}", mode.name(), bench.name));
        group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
        for state in &states {
            let rest = &JSON_OBJECT_INSTANCE[state.prefix.len()..];
            let next =
                encode_continuation(&bench.tokenizer, &bench.vocab, rest).expect("tokens")[0];
            let mut guide = state.guide.clone();
            // Walk the next state once so that a lazy index measures cached rows.
            step(&mut guide, next, &mut out);
            let (on, off, ratio) = interleaved(&mut guide, next, &mut out);
            eprintln!(
                "metrics overhead {} {}: on {on:.1} ns, off {off:.1} ns per step (medians), \
                 median paired ratio {ratio:.4}",
                mode.name(),
                state.name,
            );
            for enabled in [true, false] {
                let name = format!("{}/{}", state.name, if enabled { "on" } else { "off" });
                group.bench_function(name, |b| {
                    metrics::set_enabled(enabled);
                    b.iter(|| step(&mut guide, next, &mut out));
                    metrics::set_enabled(true);
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, overhead);
criterion_main!(benches);
