//! Process-wide counters and histograms, cheap enough to leave on in production.
//!
//! An inference server wants to know how many indexes it compiled and how long that took,
//! how often a lazy index had to walk a state while a sequence waited, and how many tokens
//! its guides refused, without a debugger and without slowing decoding. Everything here is
//! an atomic; the one counter on the decode path (mask fills, and the lazy row look-ups
//! they make) is kept per thread, so that counting costs an uncontended load and store on a
//! cache line the thread owns: no lock, no shared write, no allocation. A snapshot sums the
//! threads, under a lock that only [`metrics`] and thread start and exit take.
//!
//! Counting can be switched off with [`set_enabled`] (one relaxed load on the hot path
//! remains); it is on by default. The `metrics` benchmark in `benches/` measures the
//! overhead on `fill_bitmask` + `advance`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Switches counting on or off for the whole process (on by default). Counts taken so far
/// are kept.
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Relaxed);
}

/// Whether counting is on.
#[must_use]
pub fn is_enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// Histogram buckets: bucket `i` counts durations below 2^i µs (the last one, all others).
const BUCKETS: usize = 32;

/// A latency histogram with power-of-two microsecond buckets.
struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    sum_micros: AtomicU64,
    max_micros: AtomicU64,
}

impl Histogram {
    const fn new() -> Histogram {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
            max_micros: AtomicU64::new(0),
        }
    }

    fn record(&self, elapsed: Duration) {
        if !is_enabled() {
            return;
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = (u64::BITS - micros.leading_zeros()) as usize;
        self.buckets[bucket.min(BUCKETS - 1)].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(micros, Relaxed);
        self.max_micros.fetch_max(micros, Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            count: self.count.load(Relaxed),
            sum: Duration::from_micros(self.sum_micros.load(Relaxed)),
            max: Duration::from_micros(self.max_micros.load(Relaxed)),
            buckets: self.buckets.iter().map(|b| b.load(Relaxed)).collect(),
        }
    }
}

/// A snapshot of a latency histogram (power-of-two microsecond buckets).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistogramSnapshot {
    /// How many durations were recorded.
    pub count: u64,
    /// Their sum.
    pub sum: Duration,
    /// The longest.
    pub max: Duration,
    /// `buckets[i]`: how many were below 2^i µs and at least 2^(i-1) µs (`buckets[0]`:
    /// under 1 µs; the last bucket also holds everything longer).
    pub buckets: Vec<u64>,
}

impl HistogramSnapshot {
    /// The mean, or zero when empty.
    #[must_use]
    pub fn mean(&self) -> Duration {
        if self.count == 0 {
            Duration::ZERO
        } else {
            self.sum / u32::try_from(self.count).unwrap_or(u32::MAX)
        }
    }

    /// An upper bound on the `q` quantile (`0.0..=1.0`): the upper edge of the bucket it
    /// falls in, capped by the maximum. Zero when empty.
    #[must_use]
    pub fn quantile(&self, q: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_micros(1u64 << i).min(self.max);
            }
        }
        self.max
    }

    /// The histogram as JSON: count, sum, mean, max, p50, p99 (microseconds) and buckets.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        serde_json::json!({
            "count": self.count,
            "sum_us": micros(self.sum),
            "mean_us": micros(self.mean()),
            "max_us": micros(self.max),
            "p50_us": micros(self.quantile(0.5)),
            "p99_us": micros(self.quantile(0.99)),
            "buckets": self.buckets,
        })
    }
}

/// Per-thread counters of the decode path. Only the owning thread writes them.
#[derive(Default)]
struct Local {
    mask_fills: AtomicU64,
    row_hits: AtomicU64,
}

/// The live threads' counters, and what exited threads left.
struct Threads {
    live: Vec<Arc<Local>>,
    retired_fills: u64,
    retired_hits: u64,
}

static THREADS: Mutex<Threads> =
    Mutex::new(Threads { live: Vec::new(), retired_fills: 0, retired_hits: 0 });

fn threads() -> std::sync::MutexGuard<'static, Threads> {
    THREADS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A thread's registration: folds its counts into the totals when the thread exits.
struct Registered(Arc<Local>);

impl Registered {
    fn new() -> Registered {
        let local = Arc::new(Local::default());
        threads().live.push(local.clone());
        Registered(local)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut threads = threads();
        threads.retired_fills += self.0.mask_fills.load(Relaxed);
        threads.retired_hits += self.0.row_hits.load(Relaxed);
        threads.live.retain(|l| !Arc::ptr_eq(l, &self.0));
    }
}

thread_local! {
    static LOCAL: Registered = Registered::new();
}

/// Adds one to a counter only this thread writes: a plain load and store, no locked
/// instruction.
#[inline]
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

#[inline]
pub(crate) fn mask_fills(n: u64) {
    if is_enabled() {
        let _ = LOCAL.try_with(|l| bump(&l.0.mask_fills, n));
    }
}

#[inline]
pub(crate) fn row_hit() {
    if is_enabled() {
        let _ = LOCAL.try_with(|l| bump(&l.0.row_hits, 1));
    }
}

/// Counters off the decode path: shared atomics.
struct Global {
    compiles: AtomicU64,
    compile_errors: AtomicU64,
    rows_walked: AtomicU64,
    rejected_tokens: AtomicU64,
    index_loads: AtomicU64,
    compile_time: Histogram,
    row_walk_time: Histogram,
    load_time: Histogram,
}

static GLOBAL: Global = Global {
    compiles: AtomicU64::new(0),
    compile_errors: AtomicU64::new(0),
    rows_walked: AtomicU64::new(0),
    rejected_tokens: AtomicU64::new(0),
    index_loads: AtomicU64::new(0),
    compile_time: Histogram::new(),
    row_walk_time: Histogram::new(),
    load_time: Histogram::new(),
};

fn count(counter: &AtomicU64) {
    if is_enabled() {
        counter.fetch_add(1, Relaxed);
    }
}

pub(crate) fn compiled(elapsed: Duration, ok: bool) {
    count(if ok { &GLOBAL.compiles } else { &GLOBAL.compile_errors });
    if ok {
        GLOBAL.compile_time.record(elapsed);
    }
}

pub(crate) fn row_walked(elapsed: Duration) {
    count(&GLOBAL.rows_walked);
    GLOBAL.row_walk_time.record(elapsed);
}

#[cold]
pub(crate) fn token_rejected() {
    count(&GLOBAL.rejected_tokens);
}

pub(crate) fn loaded(elapsed: Duration) {
    count(&GLOBAL.index_loads);
    GLOBAL.load_time.record(elapsed);
}

/// A snapshot of the process-wide counters, from [`metrics`]. Counts only grow (they wrap
/// at 2^64); compare two snapshots for rates.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Indexes built (eager, lazy or background; loading a file is not a build).
    pub compiles: u64,
    /// Builds that failed (invalid regex, a limit, an inexpressible language).
    pub compile_errors: u64,
    /// Time from regex to a usable index, per successful build (the automaton and, for an
    /// eager build, every row; for a lazy one, the start row).
    pub compile_time: HistogramSnapshot,
    /// Index files loaded.
    pub index_loads: u64,
    /// Time to read, check and set up an index file, per load.
    pub load_time: HistogramSnapshot,
    /// Bitmask rows written ([`Guide::fill_bitmask`](crate::Guide::fill_bitmask),
    /// [`Index::fill_bitmask`](crate::Index::fill_bitmask), batch and draft rows).
    pub mask_fills: u64,
    /// Lazy indexes: rows found already walked when a mask was filled (the row cache's
    /// hits; its misses are [`Metrics::rows_walked`]).
    pub row_cache_hits: u64,
    /// Lazy indexes: states walked on demand or in the background.
    pub rows_walked: u64,
    /// Time to walk one lazy row.
    pub row_walk_time: HistogramSnapshot,
    /// Tokens a guide refused ([`GuideError::NotAllowed`](crate::GuideError) and
    /// [`GuideError::Finished`](crate::GuideError)).
    pub rejected_tokens: u64,
}

impl Metrics {
    /// The snapshot as JSON, for logs, the CLI and the Python binding.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "compiles": self.compiles,
            "compile_errors": self.compile_errors,
            "compile_time": self.compile_time.to_json(),
            "index_loads": self.index_loads,
            "load_time": self.load_time.to_json(),
            "mask_fills": self.mask_fills,
            "row_cache_hits": self.row_cache_hits,
            "rows_walked": self.rows_walked,
            "row_walk_time": self.row_walk_time.to_json(),
            "rejected_tokens": self.rejected_tokens,
        })
    }
}

/// The process-wide counters now.
///
/// ```
/// use std::sync::Arc;
/// use maskwell_index::{metrics, Guide, Index};
/// use maskwell_vocab::{TokenId, Vocabulary};
///
/// let before = metrics::metrics();
/// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "a", "b"])?;
/// let guide = Guide::new(Arc::new(Index::new("ab", &vocab)?));
/// let mut mask = vec![0u32; 1];
/// guide.fill_bitmask(&mut mask)?;
/// let after = metrics::metrics();
/// assert!(after.compiles > before.compiles);
/// assert!(after.mask_fills > before.mask_fills);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn metrics() -> Metrics {
    let (mask_fills, row_cache_hits) = {
        let threads = threads();
        threads.live.iter().fold((threads.retired_fills, threads.retired_hits), |(f, h), l| {
            (f.wrapping_add(l.mask_fills.load(Relaxed)), h.wrapping_add(l.row_hits.load(Relaxed)))
        })
    };
    Metrics {
        compiles: GLOBAL.compiles.load(Relaxed),
        compile_errors: GLOBAL.compile_errors.load(Relaxed),
        compile_time: GLOBAL.compile_time.snapshot(),
        index_loads: GLOBAL.index_loads.load(Relaxed),
        load_time: GLOBAL.load_time.snapshot(),
        mask_fills,
        row_cache_hits,
        rows_walked: GLOBAL.rows_walked.load(Relaxed),
        row_walk_time: GLOBAL.row_walk_time.snapshot(),
        rejected_tokens: GLOBAL.rejected_tokens.load(Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_bucket_upper_bounds() {
        let h = Histogram::new();
        for micros in [0, 3, 3, 3, 100, 5000] {
            h.record(Duration::from_micros(micros));
        }
        let s = h.snapshot();
        assert_eq!(s.count, 6);
        assert_eq!(s.sum, Duration::from_micros(5109));
        assert_eq!(s.max, Duration::from_micros(5000));
        assert_eq!(s.buckets[0], 1); // 0 µs
        assert_eq!(s.buckets[2], 3); // 3 µs: [2, 4)
        assert_eq!(s.quantile(0.5), Duration::from_micros(4));
        assert_eq!(s.quantile(1.0), Duration::from_micros(5000));
        assert_eq!(HistogramSnapshot { count: 0, ..s.clone() }.quantile(0.5), Duration::ZERO);
    }

    #[test]
    fn exited_threads_keep_their_counts() {
        let before = metrics().mask_fills;
        std::thread::spawn(|| mask_fills(7)).join().unwrap();
        assert!(metrics().mask_fills >= before + 7);
    }
}
