//! The token-level index: for every state a guide can reach, the allowed tokens and where
//! each one leads.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use maskwell_vocab::{Fingerprint, TokenId, TokenSet, Vocabulary};
use rayon::prelude::*;
use regex_automata::nfa::thompson::NFA;
use xxhash_rust::xxh3::xxh3_64;

use crate::{
    automaton::compile_nfa,
    automaton::DEAD,
    hybrid::{Hybrid, WalkError},
    lazy::{covers_all_bytes, covers_bytes, Lazy},
    trie::TokenTrie,
    walk::{Row, Walker},
    Automaton, BuildMode, Config, Error, GuideError,
};

/// The next-state value of an end-of-sequence token: the sequence is finished.
pub(crate) const FINISHED: u32 = u32::MAX;

/// Words per counted block of a large set's bitmask (see `Index::mask_ranks`).
const RANK_BLOCK: usize = 8;

/// A state of an [`Index`]: a position in the language reached by a sequence of tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct StateId(u32);

impl StateId {
    /// Wraps a raw state number.
    #[must_use]
    pub const fn new(id: u32) -> StateId {
        StateId(id)
    }

    /// The raw state number.
    #[must_use]
    pub const fn as_u32(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for StateId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a token leads from a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Into another state; more tokens follow.
    Continue(StateId),
    /// The token ends the sequence (an end-of-sequence token in an accepting state).
    Finished,
}

/// What an index was built from, recorded in index files and shown by `inspect`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A regular expression.
    Regex(String),
    /// A JSON Schema, and the regex it compiled to.
    Schema {
        /// The schema text.
        schema: String,
        /// The regex it compiled to.
        regex: String,
    },
}

impl Source {
    /// The regex the automaton was built from.
    #[must_use]
    pub fn regex(&self) -> &str {
        match self {
            Source::Regex(r) | Source::Schema { regex: r, .. } => r,
        }
    }
}

/// A progress report during an eager build, after each breadth-first level.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Progress {
    /// States whose tokens have been walked.
    pub states_done: usize,
    /// States discovered so far (walked or waiting).
    pub states_known: usize,
    /// Allowed (state, token) pairs found so far.
    pub transitions: usize,
}

/// Sizes and timings of an index, for `inspect` views and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Number of token ids (logits width).
    pub width: usize,
    /// Token-level states (lazy modes: the states walked so far).
    pub states: usize,
    /// States where the output may end.
    pub accepting_states: usize,
    /// Allowed (state, token) pairs, end-of-sequence included.
    pub transitions: usize,
    /// Distinct allowed-token sets (states with equal sets share one).
    pub unique_sets: usize,
    /// Sets stored with a precomputed bitmask.
    pub dense_sets: usize,
    /// States of the pruned byte automaton (with a lazy DFA: the states discovered so far).
    pub automaton_states: usize,
    /// States of the DFA before pruning.
    pub dfa_states: usize,
    /// Token-level states removed because no token sequence leads from them to the end.
    pub pruned_states: usize,
    /// Time to build the automaton from the regex.
    pub automaton_time: Duration,
    /// Time to build the token index from the automaton.
    pub index_time: Duration,
    /// Heap bytes held by the index.
    pub memory: usize,
    /// How the rows were built: [`BuildMode::Eager`] for an index loaded from a file or
    /// built eagerly (also when a lazy build fell back to eager, see
    /// [`Config::build_mode`]).
    pub mode: BuildMode,
    /// Lazy modes: automaton states whose row is not walked yet (every one of them can be
    /// reached by some output). Zero for an eager index.
    pub states_pending: usize,
    /// Background mode: whether the completion thread is still running.
    pub background_running: bool,
    /// Lazy modes: whether the byte automaton itself is determinized on demand (a lazy
    /// DFA, whose states are counted as they are discovered) rather than built whole.
    pub lazy_dfa: bool,
    /// Lazy modes: rows of states inside a JSON string assembled from the vocabulary's
    /// string template (its tokens classified once by characters) rather than walked
    /// token by token; each is a few hundred automaton transitions instead of a walk of
    /// the whole vocabulary. Zero for an eager index.
    pub string_rows: usize,
}

/// Build-time facts kept with the index (and in its file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BuildInfo {
    pub(crate) automaton_states: u32,
    pub(crate) dfa_states: u32,
    pub(crate) pruned_states: u32,
    pub(crate) automaton_micros: u64,
    pub(crate) index_micros: u64,
}

/// The compiled constraint: for every reachable state, the allowed tokens and the state each
/// leads to.
///
/// Immutable, `Send + Sync`, shared by all guides through an `Arc`. Token sets that occur in
/// several states are stored once; large ones also as a ready bitmask, so filling a mask
/// costs a copy.
///
/// ```
/// use maskwell_index::{Index, Step};
/// use maskwell_vocab::{TokenId, Vocabulary};
///
/// let vocab = Vocabulary::builder()
///     .eos([TokenId::new(0)])
///     .build_from_tokens(["</s>", "a", "b", "ab"])?;
/// let index = Index::new("(ab)+", &vocab)?;
/// let start = index.start();
/// assert_eq!(index.allowed_ids(start), &[1, 3]); // "a", "ab"
/// let Step::Continue(after_ab) = index.next(start, TokenId::new(3)).unwrap() else { panic!() };
/// assert!(index.is_accepting(after_ab));
/// assert_eq!(index.next(after_ab, TokenId::new(0)), Some(Step::Finished));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Index {
    pub(crate) width: usize,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) eos: Vec<u32>,
    pub(crate) source: Source,
    pub(crate) start: u32,
    /// Per state: its token set.
    pub(crate) state_set: Vec<u32>,
    /// Per state: where its next states start in `next_states`.
    pub(crate) state_next: Vec<u32>,
    /// Per set: `set_tokens[set_offsets[s]..set_offsets[s + 1]]`, increasing ids.
    pub(crate) set_offsets: Vec<u32>,
    pub(crate) set_tokens: Vec<u32>,
    /// Per (state, allowed token), aligned with the state's set: the next state or
    /// [`FINISHED`].
    pub(crate) next_states: Vec<u32>,
    /// Per state: `forced_bytes[forced_offsets[s]..forced_offsets[s + 1]]` is the byte
    /// string every continuation from `s` starts with (empty when there is a choice).
    pub(crate) forced_offsets: Vec<u32>,
    pub(crate) forced_bytes: Vec<u8>,
    /// Derived: per set, the offset of its bitmask in `masks`, or `u32::MAX`.
    pub(crate) set_mask: Vec<u32>,
    pub(crate) masks: Vec<u32>,
    /// Derived: per bitmask in `masks` (one per [`RANK_BLOCK`] words), how many of its bits
    /// lie before each block: a token's position in a large set is then a popcount of a
    /// few words away instead of a binary search over up to 128k tokens (17 cache misses).
    pub(crate) mask_ranks: Vec<u32>,
    /// Derived: the end-of-sequence tokens as a bitmask (what a finished guide allows).
    pub(crate) eos_mask: Vec<u32>,
    pub(crate) accepting: Vec<bool>,
    pub(crate) info: BuildInfo,
    /// Lazy modes: the table the rows are walked into (the arrays above are then empty,
    /// except `eos` and `eos_mask`).
    pub(crate) lazy: Option<Arc<Lazy>>,
}

/// Builds an [`Index`] with a [`Config`] and an optional progress callback.
///
/// ```
/// use maskwell_index::{Builder, Config};
/// use maskwell_vocab::{TokenId, Vocabulary};
///
/// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "0", "1", "10"])?;
/// let index = Builder::new().configure(Config::new().parallel(false)).build("1[01]*", &vocab)?;
/// assert!(!index.is_accepting(index.start()));
/// assert_eq!(index.allowed_ids(index.start()), &[2, 3]); // "1", "10"
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct Builder {
    config: Config,
    progress: Option<Box<dyn Fn(Progress) + Send + Sync>>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Builder {
    /// A builder with the default [`Config`].
    #[must_use]
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Replaces the configuration.
    #[must_use]
    pub fn configure(mut self, config: Config) -> Builder {
        self.config = config;
        self
    }

    /// Calls `f` after each breadth-first level of the build (from the building thread).
    #[must_use]
    pub fn progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Builder {
        self.progress = Some(Box::new(f));
        self
    }

    /// Compiles `pattern` and builds its index over `vocab`.
    ///
    /// # Errors
    ///
    /// As [`Automaton::from_regex`] and [`Builder::build_from_automaton`].
    pub fn build(&self, pattern: &str, vocab: &Vocabulary) -> Result<Index, Error> {
        self.build_with_source(Source::Regex(pattern.to_owned()), vocab)
    }

    /// Compiles the regex of `source` and builds its index over `vocab`, recording the
    /// source (for example the JSON Schema the regex came from).
    ///
    /// # Errors
    ///
    /// As [`Automaton::from_regex`] and [`Builder::build_from_automaton`].
    pub fn build_with_source(&self, source: Source, vocab: &Vocabulary) -> Result<Index, Error> {
        let started = Instant::now();
        let built = self.build_with_source_inner(source, vocab, started);
        crate::metrics::compiled(started.elapsed(), built.is_ok());
        built
    }

    fn build_with_source_inner(
        &self,
        source: Source,
        vocab: &Vocabulary,
        started: Instant,
    ) -> Result<Index, Error> {
        let nfa = compile_nfa(source.regex(), &self.config)?;
        if self.config.get_build_mode() != BuildMode::Eager {
            if let Some(lazy) = self.build_hybrid(&nfa, vocab)? {
                let automaton_time = started.elapsed();
                let mut index = self.finish_lazy(lazy, vocab, source, BuildInfo::default())?;
                index.info.automaton_micros = automaton_time.as_micros() as u64;
                return Ok(index);
            }
        }
        let automaton = Automaton::from_nfa(&nfa, &self.config)?;
        let automaton_time = started.elapsed();
        let mut index = self.build_owned(automaton, vocab, source)?;
        index.info.automaton_micros = automaton_time.as_micros() as u64;
        Ok(index)
    }

    /// Builds the index of an automaton over `vocab`.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] when the index exceeds [`Config::max_index_states`] or
    /// [`Config::index_size_limit`]; [`Error::Inexpressible`] when no sequence of the
    /// vocabulary's tokens spells a string of the language.
    pub fn build_from_automaton(
        &self,
        automaton: &Automaton,
        vocab: &Vocabulary,
        source: Source,
    ) -> Result<Index, Error> {
        if self.config.get_build_mode() == BuildMode::Eager {
            let trie = TokenTrie::shared(vocab);
            self.build_eager(automaton, &trie, vocab, source)
        } else {
            self.build_owned(automaton.clone(), vocab, source)
        }
    }

    fn build_owned(
        &self,
        automaton: Automaton,
        vocab: &Vocabulary,
        source: Source,
    ) -> Result<Index, Error> {
        let trie = TokenTrie::shared(vocab);
        if self.config.get_build_mode() == BuildMode::Eager || !covers_bytes(&automaton, &trie) {
            return self.build_eager(&automaton, &trie, vocab, source);
        }
        let eos: Vec<u32> = vocab.eos().iter().map(|t| t.as_u32()).collect();
        let info = BuildInfo {
            automaton_states: automaton.num_states() as u32,
            dfa_states: automaton.dfa_states() as u32,
            ..BuildInfo::default()
        };
        let lazy = Lazy::dense(automaton, trie, vocab.width(), &eos, &self.config);
        self.finish_lazy(lazy, vocab, source, info)
    }

    /// A lazy build over a lazily determinized automaton, when the vocabulary and the regex
    /// allow one (see the `hybrid` module); `None` when they do not.
    fn build_hybrid(&self, nfa: &NFA, vocab: &Vocabulary) -> Result<Option<Lazy>, Error> {
        let trie = TokenTrie::shared(vocab);
        if !covers_all_bytes(&trie) {
            return Ok(None);
        }
        let Some(hybrid) = Hybrid::new(nfa, &self.config, &trie, vocab.width())? else {
            return Ok(None);
        };
        let eos: Vec<u32> = vocab.eos().iter().map(|t| t.as_u32()).collect();
        Ok(Some(Lazy::hybrid(hybrid, trie, vocab.width(), &eos, &self.config)))
    }

    /// Walks the start state of a lazy table (the first mask is asked for at once) and wraps
    /// it in an index.
    fn finish_lazy(
        &self,
        lazy: Lazy,
        vocab: &Vocabulary,
        source: Source,
        info: BuildInfo,
    ) -> Result<Index, Error> {
        let mode = self.config.get_build_mode();
        let _span = tracing::info_span!(
            "index",
            mode = mode.name(),
            hybrid = lazy.is_hybrid(),
            width = vocab.width()
        )
        .entered();
        let started = Instant::now();
        let lazy = Arc::new(lazy);
        let start = lazy.start();
        if let Some(failed) = lazy.row(start).failed {
            return Err(walk_limit(failed, &self.config));
        }
        let eos: Vec<u32> = vocab.eos().iter().map(|t| t.as_u32()).collect();
        let mut eos_mask = vec![0; vocab.width().div_ceil(32)];
        scatter(&mut eos_mask, &eos);
        let mut index = Index {
            width: vocab.width(),
            fingerprint: vocab.fingerprint(),
            eos,
            source,
            start,
            state_set: Vec::new(),
            state_next: Vec::new(),
            set_offsets: vec![0],
            set_tokens: Vec::new(),
            next_states: Vec::new(),
            forced_offsets: vec![0],
            forced_bytes: Vec::new(),
            set_mask: Vec::new(),
            masks: Vec::new(),
            mask_ranks: Vec::new(),
            eos_mask,
            accepting: Vec::new(),
            info,
            lazy: Some(lazy.clone()),
        };
        index.info.index_micros = started.elapsed().as_micros() as u64;
        if mode == BuildMode::Background {
            lazy.complete_in_background(
                self.config.get_parallel(),
                self.config.get_index_size_limit(),
            );
        }
        Ok(index)
    }

    fn build_eager(
        &self,
        automaton: &Automaton,
        trie: &TokenTrie,
        vocab: &Vocabulary,
        source: Source,
    ) -> Result<Index, Error> {
        let eos: Vec<u32> = vocab.eos().iter().map(|t| t.as_u32()).collect();
        self.build_eager_with_eos(automaton, trie, vocab.width(), vocab.fingerprint(), &eos, source)
    }

    /// The eager build from the parts of a vocabulary it needs (a lazy index keeps these,
    /// not the vocabulary).
    pub(crate) fn build_eager_with_eos(
        &self,
        automaton: &Automaton,
        trie: &TokenTrie,
        width: usize,
        fingerprint: Fingerprint,
        eos: &[u32],
        source: Source,
    ) -> Result<Index, Error> {
        let _span = tracing::info_span!(
            "index",
            mode = "eager",
            automaton_states = automaton.num_states(),
            width
        )
        .entered();
        let started = Instant::now();
        let (order, rows) = self.explore(automaton, trie, width)?;
        let target = Target { width, fingerprint, eos };
        let mut index = assemble(automaton, trie, &target, source, &order, rows)?;
        index.info.automaton_states = automaton.num_states() as u32;
        index.info.dfa_states = automaton.dfa_states() as u32;
        index.info.index_micros = started.elapsed().as_micros() as u64;
        tracing::debug!(states = index.num_states(), sets = index.num_sets(), "index built");
        Ok(index)
    }

    /// Breadth-first search over automaton states reachable by tokens. Returns the
    /// automaton state of each index state (BFS order, start first) and its row.
    fn explore(
        &self,
        automaton: &Automaton,
        trie: &TokenTrie,
        width: usize,
    ) -> Result<(Vec<u32>, Vec<Row>), Error> {
        let config = &self.config;
        let mut index_of = vec![DEAD; automaton.num_states()];
        index_of[automaton.start() as usize] = 0;
        let mut order = vec![automaton.start()];
        let mut rows: Vec<Row> = Vec::new();
        let mut transitions = 0usize;
        let started = Instant::now();
        let limit = config.get_time_limit();
        let skipped = std::sync::atomic::AtomicBool::new(false);
        // Past the time limit, states are left unwalked (and the build fails).
        let walk = |w: &mut Walker, s: u32| {
            if limit.is_some_and(|limit| started.elapsed() >= limit) {
                skipped.store(true, std::sync::atomic::Ordering::Relaxed);
                Row::default()
            } else {
                w.walk(automaton, trie, s)
            }
        };
        while rows.len() < order.len() {
            let frontier = &order[rows.len()..];
            let level: Vec<Row> = if config.get_parallel() && frontier.len() > 1 {
                frontier
                    .par_iter()
                    .map_init(|| Walker::new(trie, width), |w, &s| walk(w, s))
                    .collect()
            } else {
                let mut w = Walker::new(trie, width);
                frontier.iter().map(|&s| walk(&mut w, s)).collect()
            };
            if skipped.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(Error::Limit {
                    limit: "build time limit",
                    setter: "time_limit",
                    detail: format!(
                        "{} of at least {} states walked in {:.1?}, the limit is {:.1?}",
                        rows.len(),
                        order.len(),
                        started.elapsed(),
                        limit.unwrap_or_default()
                    ),
                });
            }
            for row in &level {
                transitions += row.tokens.len();
                for &t in &row.next {
                    if index_of[t as usize] == DEAD {
                        index_of[t as usize] = order.len() as u32;
                        order.push(t);
                    }
                }
            }
            rows.extend(level);
            if order.len() > config.get_max_index_states() {
                return Err(Error::Limit {
                    limit: "index state limit",
                    setter: "max_index_states",
                    detail: format!(
                        "more than {} token-level states",
                        config.get_max_index_states()
                    ),
                });
            }
            let bytes = transitions * 8;
            if bytes > config.get_index_size_limit() {
                return Err(Error::Limit {
                    limit: "index size limit",
                    setter: "index_size_limit",
                    detail: format!(
                        "{transitions} transitions need more than {bytes} bytes, the limit is {}",
                        config.get_index_size_limit()
                    ),
                });
            }
            if let Some(progress) = &self.progress {
                progress(Progress {
                    states_done: rows.len(),
                    states_known: order.len(),
                    transitions,
                });
            }
        }
        Ok((order, rows))
    }
}

/// What an index is built for: the parts of the vocabulary the stored tables record.
struct Target<'a> {
    width: usize,
    fingerprint: Fingerprint,
    eos: &'a [u32],
}

/// Turns explored rows into the stored index: EOS tokens in accepting states, states that
/// cannot reach the end pruned, token sets deduplicated.
fn assemble(
    automaton: &Automaton,
    trie: &TokenTrie,
    target: &Target<'_>,
    source: Source,
    order: &[u32],
    mut rows: Vec<Row>,
) -> Result<Index, Error> {
    let mut index_of: HashMap<u32, u32> = HashMap::with_capacity(order.len());
    for (i, &s) in order.iter().enumerate() {
        index_of.insert(s, i as u32);
    }
    let accepting: Vec<bool> = order.iter().map(|&s| automaton.is_accepting(s)).collect();
    for row in &mut rows {
        for next in &mut row.next {
            *next = index_of[next];
        }
    }

    // Token-level liveness: a state is live when some token sequence from it ends the output.
    let n = rows.len();
    let mut predecessors: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (s, row) in rows.iter().enumerate() {
        let mut succ = row.next.clone();
        succ.sort_unstable();
        succ.dedup();
        for t in succ {
            predecessors[t as usize].push(s as u32);
        }
    }
    let mut live = accepting.clone();
    let mut stack: Vec<u32> = (0..n as u32).filter(|&s| live[s as usize]).collect();
    while let Some(t) = stack.pop() {
        for &s in &predecessors[t as usize] {
            if !live[s as usize] {
                live[s as usize] = true;
                stack.push(s);
            }
        }
    }
    if !live[0] {
        return Err(Error::Inexpressible { detail: inexpressible_detail(automaton, trie) });
    }
    let mut renumber = vec![DEAD; n];
    let mut kept = 0u32;
    for s in 0..n {
        if live[s] {
            renumber[s] = kept;
            kept += 1;
        }
    }
    let pruned = n - kept as usize;

    let mut index = Index {
        width: target.width,
        fingerprint: target.fingerprint,
        eos: target.eos.to_vec(),
        source,
        start: 0,
        state_set: Vec::with_capacity(kept as usize),
        state_next: Vec::with_capacity(kept as usize),
        set_offsets: vec![0],
        set_tokens: Vec::new(),
        next_states: Vec::new(),
        set_mask: Vec::new(),
        masks: Vec::new(),
        mask_ranks: Vec::new(),
        eos_mask: Vec::new(),
        accepting: Vec::new(),
        forced_offsets: vec![0],
        forced_bytes: Vec::new(),
        info: BuildInfo { pruned_states: pruned as u32, ..BuildInfo::default() },
        lazy: None,
    };
    let mut sets: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut tokens: Vec<u32> = Vec::new();
    let mut next: Vec<u32> = Vec::new();
    for (s, row) in rows.iter().enumerate() {
        if !live[s] {
            continue;
        }
        tokens.clear();
        next.clear();
        // Text tokens and end-of-sequence tokens, merged in id order.
        let eos_here: &[u32] = if accepting[s] { &index.eos } else { &[] };
        let mut e = 0;
        for (&t, &to) in row.tokens.iter().zip(&row.next) {
            while e < eos_here.len() && eos_here[e] < t {
                tokens.push(eos_here[e]);
                next.push(FINISHED);
                e += 1;
            }
            if live[to as usize] {
                tokens.push(t);
                next.push(renumber[to as usize]);
            }
        }
        for &t in &eos_here[e..] {
            tokens.push(t);
            next.push(FINISHED);
        }
        let set = index.intern_set(&mut sets, &tokens);
        index.state_set.push(set);
        index.state_next.push(index.next_states.len() as u32);
        index.next_states.extend_from_slice(&next);
        forced_path(automaton, order[s], &mut index.forced_bytes);
        index.forced_offsets.push(index.forced_bytes.len() as u32);
    }
    index.derive();
    Ok(index)
}

/// The longest forced byte path from an automaton state: bytes appended while the state is
/// not accepting and exactly one byte keeps a match possible (capped at
/// [`MAX_FORCED_BYTES`]).
pub(crate) fn forced_path(automaton: &Automaton, mut state: u32, out: &mut Vec<u8>) {
    let start = out.len();
    while out.len() - start < MAX_FORCED_BYTES && !automaton.is_accepting(state) {
        let mut only = None;
        for b in 0..=255u8 {
            let next = automaton.next(state, b);
            if next != DEAD {
                if only.is_some() {
                    return;
                }
                only = Some((b, next));
            }
        }
        let Some((b, next)) = only else { return };
        out.push(b);
        state = next;
    }
}

/// The most forced bytes recorded per state.
pub(crate) const MAX_FORCED_BYTES: usize = 256;

/// Explains an empty index: the bytes the language can start with that no token starts with.
fn inexpressible_detail(automaton: &Automaton, trie: &TokenTrie) -> String {
    let mut first = [false; 256];
    let mut node = 0;
    while node < trie.len() {
        first[trie.byte(node) as usize] = true;
        node = trie.subtree_end(node);
    }
    let missing: Vec<String> = (0..=255u8)
        .filter(|&b| automaton.next(automaton.start(), b) != DEAD && !first[b as usize])
        .take(8)
        .map(|b| format!("{:?}", b as char))
        .collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(" (no token starts with {})", missing.join(", "))
    }
}

impl Index {
    /// Builds the index of `pattern` over `vocab` with the default [`Config`].
    ///
    /// # Errors
    ///
    /// See [`Builder::build`].
    pub fn new(pattern: &str, vocab: &Vocabulary) -> Result<Index, Error> {
        Builder::new().build(pattern, vocab)
    }

    /// A [`Builder`] for settings and progress reports.
    #[must_use]
    pub fn builder() -> Builder {
        Builder::new()
    }

    fn intern_set(&mut self, sets: &mut HashMap<u64, Vec<u32>>, tokens: &[u32]) -> u32 {
        let hash = xxh3_64(bytemuck::cast_slice(tokens));
        let candidates = sets.entry(hash).or_default();
        for &set in candidates.iter() {
            if self.set(set) == tokens {
                return set;
            }
        }
        let id = (self.set_offsets.len() - 1) as u32;
        self.set_tokens.extend_from_slice(tokens);
        self.set_offsets.push(self.set_tokens.len() as u32);
        candidates.push(id);
        id
    }

    /// Computes the derived tables (bitmasks, accepting flags) from the stored ones.
    pub(crate) fn derive(&mut self) {
        let words = self.words();
        self.set_mask.clear();
        self.masks.clear();
        self.mask_ranks.clear();
        for set in 0..self.num_sets() {
            let tokens = &self.set_tokens
                [self.set_offsets[set] as usize..self.set_offsets[set + 1] as usize];
            if tokens.len() > words / 4 {
                self.set_mask.push(self.masks.len() as u32);
                let start = self.masks.len();
                self.masks.resize(start + words, 0);
                scatter(&mut self.masks[start..], tokens);
                let mut before = 0u32;
                for block in self.masks[start..].chunks(RANK_BLOCK) {
                    self.mask_ranks.push(before);
                    before += block.iter().map(|w| w.count_ones()).sum::<u32>();
                }
            } else {
                self.set_mask.push(u32::MAX);
            }
        }
        self.eos_mask = vec![0; words];
        scatter(&mut self.eos_mask, &self.eos);
        self.accepting = (0..self.state_set.len())
            .map(|s| {
                let set = self.set(self.state_set[s]);
                self.eos.iter().any(|e| set.binary_search(e).is_ok())
            })
            .collect();
    }

    #[inline]
    pub(crate) fn set(&self, set: u32) -> &[u32] {
        let set = set as usize;
        &self.set_tokens[self.set_offsets[set] as usize..self.set_offsets[set + 1] as usize]
    }

    pub(crate) fn num_sets(&self) -> usize {
        self.set_offsets.len() - 1
    }

    /// The number of 32-bit words of a bitmask over this vocabulary.
    #[must_use]
    pub fn words(&self) -> usize {
        self.width.div_ceil(32)
    }

    /// The start state.
    #[must_use]
    pub fn start(&self) -> StateId {
        StateId(self.start)
    }

    /// The number of states: for a lazy index, the automaton states a guide may reach
    /// (walked or not; see [`Stats::states`] for how many are walked).
    #[must_use]
    pub fn num_states(&self) -> usize {
        match &self.lazy {
            Some(lazy) => lazy.num_states(),
            None => self.state_set.len(),
        }
    }

    /// Whether the rows are walked on demand ([`BuildMode::Lazy`] or
    /// [`BuildMode::Background`]).
    #[must_use]
    pub fn is_lazy(&self) -> bool {
        self.lazy.is_some()
    }

    /// Lazy modes: walks every state no guide has reached yet, in parallel when
    /// [`Config::parallel`] was set, so that later look-ups never walk. Returns the states
    /// walked now; an eager index returns 0 at once.
    pub fn build_pending(&self) -> usize {
        let Some(lazy) = &self.lazy else { return 0 };
        let before = lazy.counters().built;
        lazy.build_all(lazy.config().get_parallel(), usize::MAX, || true);
        lazy.counters().built - before
    }

    /// This index with every row walked and stored in the eager layout (token sets shared,
    /// token-level states numbered breadth-first): what [`Index::save`] writes. An eager
    /// index is returned as a clone.
    ///
    /// # Errors
    ///
    /// The limits of an eager build ([`Config::max_index_states`],
    /// [`Config::index_size_limit`], and the DFA limits when the lazy index determinized its
    /// automaton on demand), as the index was configured.
    pub fn to_eager(&self) -> Result<Index, Error> {
        let Some(lazy) = &self.lazy else { return Ok(self.clone()) };
        let config = lazy.config().clone().build_mode(BuildMode::Eager);
        let determinized;
        let automaton = match lazy.automaton() {
            Some(automaton) => automaton,
            None => {
                determinized = Automaton::from_regex(self.source.regex(), &config)?;
                &determinized
            }
        };
        let mut index = Builder::new().configure(config).build_eager_with_eos(
            automaton,
            lazy.trie(),
            self.width,
            self.fingerprint,
            &self.eos,
            self.source.clone(),
        )?;
        index.info.automaton_micros = self.info.automaton_micros;
        Ok(index)
    }

    /// The vocabulary width (logits row length) this index masks.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// The fingerprint of the vocabulary the index was built for.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// What the index was built from.
    #[must_use]
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The end-of-sequence token ids.
    #[must_use]
    pub fn eos(&self) -> &[u32] {
        &self.eos
    }

    fn check_state(&self, state: StateId) -> usize {
        let s = state.0 as usize;
        assert!(
            s < self.state_set.len(),
            "state {s} is not a state of this index ({} states)",
            self.state_set.len()
        );
        s
    }

    /// The tokens allowed in `state`, in increasing id order, end-of-sequence included where
    /// the output may end.
    ///
    /// # Panics
    ///
    /// When `state` is not a state of this index (states come from [`Index::start`] and
    /// [`Index::next`], never from user input).
    #[must_use]
    pub fn allowed_ids(&self, state: StateId) -> &[u32] {
        if let Some(lazy) = &self.lazy {
            return lazy.row(state.0).next.tokens();
        }
        self.set(self.state_set[self.check_state(state)])
    }

    /// The tokens allowed in `state` as a [`TokenSet`] (allocates; for inspection, not for
    /// the decode loop, which should use [`Index::fill_bitmask`]).
    ///
    /// # Panics
    ///
    /// As [`Index::allowed_ids`].
    #[must_use]
    pub fn allowed(&self, state: StateId) -> TokenSet {
        let mut set = TokenSet::new(self.width);
        for &t in self.allowed_ids(state) {
            set.insert(TokenId::new(t));
        }
        set
    }

    /// Where `token` leads from `state`; `None` when it is not allowed there.
    ///
    /// # Panics
    ///
    /// As [`Index::allowed_ids`].
    #[inline]
    #[must_use]
    pub fn next(&self, state: StateId, token: TokenId) -> Option<Step> {
        if let Some(lazy) = &self.lazy {
            return match lazy.row(state.0).next.get(token.as_u32())? {
                FINISHED => Some(Step::Finished),
                next => Some(Step::Continue(StateId(next))),
            };
        }
        let s = self.check_state(state);
        let set = self.state_set[s];
        let pos = match self.set_mask[set as usize] {
            u32::MAX => self.set(set).binary_search(&token.as_u32()).ok()?,
            offset => self.rank_in_mask(offset as usize, token.as_usize())?,
        };
        match self.next_states[self.state_next[s] as usize + pos] {
            FINISHED => Some(Step::Finished),
            next => Some(Step::Continue(StateId(next))),
        }
    }

    /// The position of `token` in the set whose bitmask starts at `offset` in `masks`, or
    /// `None` when the token is not in it.
    #[inline]
    fn rank_in_mask(&self, offset: usize, token: usize) -> Option<usize> {
        let words = self.words();
        let (word, bit) = (token / 32, 1u32 << (token % 32));
        let mask = self.masks.get(offset..offset + words)?;
        if mask.get(word)? & bit == 0 {
            return None;
        }
        let block = word / RANK_BLOCK;
        let before = self.mask_ranks[offset / words * words.div_ceil(RANK_BLOCK) + block];
        let within: u32 = mask[block * RANK_BLOCK..word].iter().map(|w| w.count_ones()).sum();
        Some((before + within + (mask[word] & (bit - 1)).count_ones()) as usize)
    }

    /// Whether the output may end in `state` (end-of-sequence is allowed there).
    ///
    /// # Panics
    ///
    /// As [`Index::allowed_ids`].
    #[must_use]
    pub fn is_accepting(&self, state: StateId) -> bool {
        if let Some(lazy) = &self.lazy {
            return lazy.row(state.0).accepting;
        }
        self.accepting[self.check_state(state)]
    }

    /// Writes the allowed tokens of `state` as a bitmask: bit `i % 32` of word `i / 32` is
    /// set when token `i` is allowed. Costs a copy of the mask for large sets, a clear and a
    /// few bit sets for small ones; allocates nothing.
    ///
    /// # Errors
    ///
    /// [`GuideError::BufferSize`] when `out` does not have [`Index::words`] words.
    ///
    /// # Panics
    ///
    /// As [`Index::allowed_ids`].
    #[inline]
    pub fn fill_bitmask(&self, state: StateId, out: &mut [u32]) -> Result<(), GuideError> {
        self.check_words(out)?;
        crate::metrics::mask_fills(1);
        if let Some(lazy) = &self.lazy {
            let row = lazy.row_for_mask(state.0);
            if let Some(failed) = row.failed {
                return Err(guide_limit(state.0, failed));
            }
            row.next.fill(out);
            return Ok(());
        }
        let set = self.state_set[self.check_state(state)];
        match self.set_mask[set as usize] {
            u32::MAX => {
                out.fill(0);
                scatter(out, self.set(set));
            }
            offset => {
                out.copy_from_slice(&self.masks[offset as usize..offset as usize + out.len()])
            }
        }
        Ok(())
    }

    /// Writes the end-of-sequence tokens as a bitmask (what a finished sequence allows).
    ///
    /// # Errors
    ///
    /// [`GuideError::BufferSize`] when `out` does not have [`Index::words`] words.
    pub fn fill_eos_bitmask(&self, out: &mut [u32]) -> Result<(), GuideError> {
        self.check_words(out)?;
        crate::metrics::mask_fills(1);
        out.copy_from_slice(&self.eos_mask);
        Ok(())
    }

    fn check_words(&self, out: &[u32]) -> Result<(), GuideError> {
        if out.len() == self.words() {
            Ok(())
        } else {
            Err(GuideError::BufferSize {
                expected: self.words(),
                actual: out.len(),
                width: self.width,
            })
        }
    }

    /// The bytes every continuation from `state` starts with: empty when the next byte is a
    /// choice. After `{` in a JSON object with one required first key this is `"name": "`,
    /// say; a runtime can emit such bytes without sampling (see the facade's forced-token
    /// helper).
    ///
    /// # Panics
    ///
    /// As [`Index::allowed_ids`].
    #[must_use]
    pub fn forced_bytes(&self, state: StateId) -> &[u8] {
        if let Some(lazy) = &self.lazy {
            return &lazy.row(state.0).forced;
        }
        let s = self.check_state(state);
        &self.forced_bytes[self.forced_offsets[s] as usize..self.forced_offsets[s + 1] as usize]
    }

    /// Why a lazy index could not walk `state` (a limit), if it could not.
    pub(crate) fn walk_error(&self, state: StateId) -> Option<GuideError> {
        let lazy = self.lazy.as_ref()?;
        lazy.row(state.0).failed.map(|failed| guide_limit(state.0, failed))
    }

    /// Sizes and timings.
    #[must_use]
    pub fn stats(&self) -> Stats {
        if let Some(lazy) = &self.lazy {
            return lazy.stats(self);
        }
        Stats {
            width: self.width,
            states: self.num_states(),
            accepting_states: self.accepting.iter().filter(|&&a| a).count(),
            transitions: self.next_states.len(),
            unique_sets: self.num_sets(),
            dense_sets: self.set_mask.iter().filter(|&&m| m != u32::MAX).count(),
            automaton_states: self.info.automaton_states as usize,
            dfa_states: self.info.dfa_states as usize,
            pruned_states: self.info.pruned_states as usize,
            automaton_time: Duration::from_micros(self.info.automaton_micros),
            index_time: Duration::from_micros(self.info.index_micros),
            memory: self.memory_usage(),
            mode: BuildMode::Eager,
            states_pending: 0,
            string_rows: 0,
            background_running: false,
            lazy_dfa: false,
        }
    }

    /// Heap bytes held by the index.
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        let words = self.eos.capacity()
            + self.state_set.capacity()
            + self.state_next.capacity()
            + self.set_offsets.capacity()
            + self.set_tokens.capacity()
            + self.next_states.capacity()
            + self.set_mask.capacity()
            + self.masks.capacity()
            + self.mask_ranks.capacity() * 4
            + self.eos_mask.capacity()
            + self.forced_offsets.capacity();
        words * 4
            + self.accepting.capacity()
            + self.forced_bytes.capacity()
            + self.source.regex().len()
            + self.lazy.as_ref().map_or(0, |lazy| lazy.counters().memory)
    }
}

/// Two eager indexes are equal when they allow the same tokens with the same transitions, for
/// the same vocabulary and source; build timings are ignored. A lazy index equals only
/// indexes sharing its table (clones); compare [`Index::to_eager`] forms otherwise.
impl PartialEq for Index {
    fn eq(&self, other: &Index) -> bool {
        match (&self.lazy, &other.lazy) {
            (None, None) => {}
            (Some(a), Some(b)) => return Arc::ptr_eq(a, b),
            _ => return false,
        }
        self.width == other.width
            && self.fingerprint == other.fingerprint
            && self.eos == other.eos
            && self.source == other.source
            && self.start == other.start
            && self.state_set == other.state_set
            && self.state_next == other.state_next
            && self.set_offsets == other.set_offsets
            && self.set_tokens == other.set_tokens
            && self.next_states == other.next_states
            && self.forced_offsets == other.forced_offsets
            && self.forced_bytes == other.forced_bytes
    }
}

impl Eq for Index {}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("width", &self.width)
            .field("states", &self.num_states())
            .field("sets", &self.num_sets())
            .field("transitions", &self.next_states.len())
            .field("fingerprint", &self.fingerprint.to_string())
            .field("lazy", &self.is_lazy())
            .finish_non_exhaustive()
    }
}

#[inline]
pub(crate) fn scatter(words: &mut [u32], tokens: &[u32]) {
    for &t in tokens {
        words[t as usize >> 5] |= 1 << (t & 31);
    }
}

/// A lazy walk's failure as a build error (when the start state fails).
fn walk_limit(failed: WalkError, config: &Config) -> Error {
    match failed {
        WalkError::CacheFull => Error::Limit {
            limit: "DFA size limit",
            setter: "dfa_size_limit",
            detail: format!(
                "the lazily determinized DFA needs more than {} bytes",
                config.get_dfa_size_limit()
            ),
        },
        WalkError::TooManyStates => Error::Limit {
            limit: "DFA state limit",
            setter: "max_dfa_states",
            detail: format!("more than {} DFA states", config.get_max_dfa_states()),
        },
    }
}

/// A lazy walk's failure as a guide error.
pub(crate) fn guide_limit(state: u32, failed: WalkError) -> GuideError {
    let limit = match failed {
        WalkError::CacheFull => "dfa_size_limit",
        WalkError::TooManyStates => "max_dfa_states",
    };
    GuideError::Limit { state, limit }
}
