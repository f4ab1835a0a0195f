//! The lazily built index: a state's row is walked the first time any guide reaches it, then
//! cached for every guide of the index.
//!
//! States are numbered by the automaton the rows are walked over: a dense [`Automaton`]
//! (built whole, pruned) or a [`Hybrid`] lazy DFA (determinized as walks reach new states,
//! so nothing but the start state is paid for before the first mask). Each state has a
//! [`OnceLock`] slot, in chunks allocated as states are discovered: a cached row costs two
//! atomic loads to find, and two guides that reach a new state at once walk it once (the
//! second waits for the first). Rows are never evicted, so memory grows with the states
//! decoding visits, never past the automaton's size.
//!
//! Walking on demand skips the eager build's token-level pruning, so it is only exact when
//! every automaton state can be finished with tokens. That holds when each byte the
//! automaton uses is a one-byte token ([`covers_bytes`], [`covers_all_bytes`]); the
//! builder falls back to an eager build otherwise.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::{
    automaton::DEAD,
    hybrid::{Hybrid, WalkError, Walked, WALKED},
    index::{forced_path, scatter, FINISHED},
    strings::{StringTokens, NONE},
    trie::TokenTrie,
    walk::Walker,
    Automaton, BuildMode, Config, Index, Stats,
};

/// One state's allowed tokens (end-of-sequence included where the output may end), where
/// each leads, and what a guide needs to answer without walking again.
#[derive(Debug)]
pub(crate) struct LazyRow {
    pub(crate) next: Next,
    pub(crate) forced: Box<[u8]>,
    pub(crate) accepting: bool,
    /// Why the state could not be walked (its row is then empty).
    pub(crate) failed: Option<WalkError>,
}

/// Where each allowed token leads, stored for the row's size. Next states are states of the
/// table or [`FINISHED`].
#[derive(Debug)]
pub(crate) enum Next {
    /// Few tokens: increasing ids and, aligned, their next states.
    Sparse { tokens: Box<[u32]>, next: Box<[u32]> },
    /// Many tokens, few distinct next states (inside a string, most tokens lead to one or
    /// two): the bitmask, and per token id an index into `states` (meaningful where the
    /// bit is set). A row costs the mask and a byte per token, not 8 bytes per allowed one.
    Dense {
        mask: Box<[u32]>,
        index: Box<[u8]>,
        states: Box<[u32]>,
        /// The allowed ids, listed the first time someone asks (not the decode loop).
        tokens: OnceLock<Box<[u32]>>,
    },
    /// Many tokens and more than 256 distinct next states: per token id its next state.
    Wide { mask: Box<[u32]>, next: Box<[u32]>, tokens: OnceLock<Box<[u32]>> },
    /// Inside a string ([`crate::strings`]): a string token's next state is its template
    /// code's, looked up in a table of a few hundred entries (one table per group of first
    /// bytes); the vocabulary's codes are shared by every such row. Other allowed tokens
    /// are listed.
    Strings {
        mask: Box<[u32]>,
        /// Per token id: its template code and first byte (shared, per vocabulary).
        codes: Arc<[u16]>,
        first: Arc<[u8]>,
        /// Per table, per code: the state its tokens lead to, or [`DEAD`].
        tables: Box<[Box<[u32]>]>,
        /// Per first byte: its table, or [`WALKED`] (its tokens are listed).
        table_of: Box<[u8; 256]>,
        /// Per table: whether some listed tokens would use it (they are looked up in the
        /// list first).
        overridden: Box<[bool]>,
        /// Allowed tokens no table answers for (not string tokens, tokens under a walked
        /// byte, end of sequence), increasing, and their next states.
        extra_tokens: Box<[u32]>,
        extra_next: Box<[u32]>,
        tokens: OnceLock<Box<[u32]>>,
    },
}

/// The part of a row that a string template answers (see [`crate::strings`]).
#[derive(Debug)]
pub(crate) struct StringPart {
    pub(crate) strings: Arc<StringTokens>,
    /// Per table, per template code: the state its tokens lead to, or [`DEAD`].
    pub(crate) tables: Box<[Box<[u32]>]>,
    /// Per first byte: its table, or [`WALKED`] (its tokens were walked).
    pub(crate) table_of: Box<[u8; 256]>,
    /// The string tokens allowed.
    pub(crate) mask: Box<[u32]>,
}

/// Sets a walk's scratch back to [`DEAD`]: entry by entry when few were touched.
pub(crate) fn reset(next_by_token: &mut [u32], touched: &mut Vec<u32>, few: bool) {
    if few {
        touched.iter().for_each(|&t| next_by_token[t as usize] = DEAD);
    } else {
        next_by_token.fill(DEAD);
    }
    touched.clear();
}

impl Next {
    /// Drains a walk's scratch (`next_by_token[t]` for the `touched` tokens, [`DEAD`]
    /// elsewhere; both reset), adds `eos` (allowed, leading to [`FINISHED`]) and the string
    /// tokens a template answers for, if any.
    pub(crate) fn from_scratch(
        next_by_token: &mut [u32],
        touched: &mut Vec<u32>,
        eos: &[u32],
        strings: Option<StringPart>,
    ) -> Next {
        let width = next_by_token.len();
        let words = width.div_ceil(32);
        let count = touched.len() + eos.len();
        if let Some(StringPart { strings, tables, table_of, mut mask }) = strings {
            let (extra_tokens, extra_next) = drain_sorted(next_by_token, touched, eos);
            scatter(&mut mask, &extra_tokens);
            let codes = strings.codes().clone();
            let first = strings.first().clone();
            let mut overridden = vec![false; tables.len()];
            for &t in extra_tokens.iter().filter(|&&t| codes[t as usize] != NONE) {
                if let Some(o) = overridden.get_mut(table_of[first[t as usize] as usize] as usize) {
                    *o = true;
                }
            }
            return Next::Strings {
                mask,
                codes,
                first,
                tables,
                table_of,
                overridden: overridden.into(),
                extra_tokens,
                extra_next,
                tokens: OnceLock::new(),
            };
        }
        if count <= words / 4 {
            let (tokens, next) = drain_sorted(next_by_token, touched, eos);
            return Next::Sparse { tokens, next };
        }
        // FINISHED and DEAD are the same value: the end-of-sequence tokens go in after the
        // scan. Past 256 distinct next states the row is wide: the scan then only marks.
        let mut mask = vec![0u32; words];
        let mut index = vec![0u8; width];
        let mut states: Vec<u32> = Vec::new();
        // A direct-mapped cache of state → index in front of the search of `states`.
        let mut seen = [(DEAD, 0u8); 64];
        let mut wide = false;
        let mut add = |t: usize, next: u32| {
            if next == DEAD {
                return;
            }
            mask[t >> 5] |= 1 << (t & 31);
            if wide {
                return;
            }
            let slot = (next.wrapping_mul(0x9E37_79B9) >> 26) as usize;
            if seen[slot].0 == next {
                index[t] = seen[slot].1;
                return;
            }
            let i = match states.iter().position(|&s| s == next) {
                Some(i) => i,
                None if states.len() < 256 => {
                    states.push(next);
                    states.len() - 1
                }
                None => {
                    wide = true;
                    return;
                }
            };
            seen[slot] = (next, i as u8);
            index[t] = i as u8;
        };
        // The touched tokens when they are few (any order will do), else the whole scratch
        // in order; and the scratch reset the same way.
        let few = touched.len() < width / 8;
        if few {
            touched.iter().for_each(|&t| add(t as usize, next_by_token[t as usize]));
        } else {
            next_by_token.iter().enumerate().for_each(|(t, &next)| add(t, next));
        }
        scatter(&mut mask, eos);
        if !eos.is_empty() && !wide {
            if states.len() < 256 {
                states.push(FINISHED);
                eos.iter().for_each(|&t| index[t as usize] = (states.len() - 1) as u8);
            } else {
                wide = true;
            }
        }
        if wide {
            // `next_by_token` holds DEAD, which is FINISHED, for the end-of-sequence tokens.
            let next: Box<[u32]> = next_by_token.to_vec().into();
            reset(next_by_token, touched, few);
            return Next::Wide { mask: mask.into(), next, tokens: OnceLock::new() };
        }
        reset(next_by_token, touched, few);
        Next::Dense {
            mask: mask.into(),
            index: index.into(),
            states: states.into(),
            tokens: OnceLock::new(),
        }
    }

    /// The allowed ids, increasing.
    pub(crate) fn tokens(&self) -> &[u32] {
        match self {
            Next::Sparse { tokens, .. } => tokens,
            Next::Dense { mask, tokens, .. }
            | Next::Wide { mask, tokens, .. }
            | Next::Strings { mask, tokens, .. } => tokens.get_or_init(|| ids_of(mask)),
        }
    }

    /// Where `token` leads, when it is allowed.
    #[inline]
    pub(crate) fn get(&self, token: u32) -> Option<u32> {
        match self {
            Next::Sparse { tokens, next } => tokens.binary_search(&token).ok().map(|pos| next[pos]),
            Next::Dense { mask, index, states, .. } => {
                let t = token as usize;
                let word = *mask.get(t >> 5)?;
                (word >> (t & 31) & 1 == 1).then(|| states[index[t] as usize])
            }
            Next::Wide { mask, next, .. } => {
                let t = token as usize;
                let word = *mask.get(t >> 5)?;
                (word >> (t & 31) & 1 == 1).then(|| next[t])
            }
            Next::Strings {
                mask,
                codes,
                first,
                tables,
                table_of,
                overridden,
                extra_tokens,
                extra_next,
                ..
            } => {
                let t = token as usize;
                if *mask.get(t >> 5)? >> (t & 31) & 1 == 0 {
                    return None;
                }
                let code = codes[t] as usize;
                let table =
                    if code == NONE as usize { WALKED } else { table_of[first[t] as usize] };
                if table != WALKED && !overridden[table as usize] {
                    return Some(tables[table as usize][code]);
                }
                match extra_tokens.binary_search(&token) {
                    Ok(i) => Some(extra_next[i]),
                    Err(_) => tables.get(table as usize)?.get(code).copied(),
                }
            }
        }
    }

    /// Writes the bitmask; `out` has the row's number of words.
    #[inline]
    pub(crate) fn fill(&self, out: &mut [u32]) {
        match self {
            Next::Sparse { tokens, .. } => {
                out.fill(0);
                scatter(out, tokens);
            }
            Next::Dense { mask, .. } | Next::Wide { mask, .. } | Next::Strings { mask, .. } => {
                out.copy_from_slice(mask);
            }
        }
    }

    /// The distinct states the row leads to ([`FINISHED`] included), maybe repeated.
    pub(crate) fn successors(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Next::Sparse { next, .. } => Box::new(next.iter().copied()),
            Next::Dense { states, .. } => Box::new(states.iter().copied()),
            Next::Wide { next, .. } => Box::new(next.iter().copied().filter(|&n| n != DEAD)),
            Next::Strings { tables, extra_next, .. } => Box::new(
                tables
                    .iter()
                    .flat_map(|t| t.iter().copied())
                    .filter(|&n| n != DEAD)
                    .chain(extra_next.iter().copied()),
            ),
        }
    }

    /// How many tokens are allowed.
    pub(crate) fn len(&self) -> usize {
        match self {
            Next::Sparse { tokens, .. } => tokens.len(),
            Next::Dense { mask, .. } | Next::Wide { mask, .. } | Next::Strings { mask, .. } => {
                mask.iter().map(|w| w.count_ones() as usize).sum()
            }
        }
    }

    /// How the row is stored, for logs: `sparse`, `dense`, `wide` or `strings` (a string
    /// template answered for the string tokens).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Next::Sparse { .. } => "sparse",
            Next::Dense { .. } => "dense",
            Next::Wide { .. } => "wide",
            Next::Strings { .. } => "strings",
        }
    }

    pub(crate) fn is_dense(&self) -> bool {
        !matches!(self, Next::Sparse { .. })
    }

    /// Heap bytes held.
    fn memory(&self) -> usize {
        match self {
            Next::Sparse { tokens, next } => (tokens.len() + next.len()) * 4,
            Next::Dense { mask, index, states, .. } => {
                mask.len() * 4 + index.len() + states.len() * 4
            }
            Next::Wide { mask, next, .. } => (mask.len() + next.len()) * 4,
            Next::Strings { mask, tables, extra_tokens, extra_next, .. } => {
                let tables: usize = tables.iter().map(|t| t.len()).sum();
                (mask.len() + tables + extra_tokens.len() + extra_next.len()) * 4 + 256
            }
        }
    }
}

/// Drains the touched tokens of a walk's scratch, with `eos` (leading to [`FINISHED`]),
/// into increasing ids and their next states, resetting the scratch.
fn drain_sorted(
    next_by_token: &mut [u32],
    touched: &mut Vec<u32>,
    eos: &[u32],
) -> (Box<[u32]>, Box<[u32]>) {
    touched.sort_unstable();
    let count = touched.len() + eos.len();
    let mut tokens = Vec::with_capacity(count);
    let mut next = Vec::with_capacity(count);
    let mut e = 0;
    for &t in touched.iter() {
        while e < eos.len() && eos[e] < t {
            tokens.push(eos[e]);
            next.push(FINISHED);
            e += 1;
        }
        tokens.push(t);
        next.push(std::mem::replace(&mut next_by_token[t as usize], DEAD));
    }
    for &t in &eos[e..] {
        tokens.push(t);
        next.push(FINISHED);
    }
    touched.clear();
    (tokens.into(), next.into())
}

/// The set bits of a bitmask, as ids.
fn ids_of(mask: &[u32]) -> Box<[u32]> {
    let mut ids = Vec::new();
    for (w, &word) in mask.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            ids.push((w as u32) << 5 | bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
    ids.into()
}

/// What rows are walked over.
#[derive(Debug)]
enum Machine {
    Dense {
        automaton: Box<Automaton>,
        /// Scratch for walks, reused across first visits (taken only when a row is missing).
        walkers: Mutex<Vec<Walker>>,
    },
    Hybrid(Box<Hybrid>),
}

/// States per slot chunk.
const CHUNK: usize = 1024;

type Slot = OnceLock<Box<LazyRow>>;

/// The shared, growing table of a lazy index.
#[derive(Debug)]
pub(crate) struct Lazy {
    machine: Machine,
    trie: Arc<TokenTrie>,
    width: usize,
    eos: Vec<u32>,
    /// The configuration the index was built with (for [`Index::to_eager`]).
    config: Config,
    chunks: Box<[OnceLock<Box<[Slot]>>]>,
    built: AtomicUsize,
    /// Rows assembled from a string template.
    string_rows: AtomicUsize,
    transitions: AtomicUsize,
    memory: AtomicUsize,
    walk_nanos: AtomicU64,
    background_started: AtomicBool,
    background_running: AtomicBool,
}

/// A snapshot of a lazy index's counters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LazyCounters {
    pub(crate) built: usize,
    pub(crate) transitions: usize,
    pub(crate) memory: usize,
    pub(crate) walk_nanos: u64,
    pub(crate) background_started: bool,
    pub(crate) background_running: bool,
}

impl Lazy {
    fn with_machine(
        machine: Machine,
        max_states: usize,
        trie: Arc<TokenTrie>,
        width: usize,
        eos: &[u32],
        config: &Config,
    ) -> Lazy {
        let chunks = (0..max_states.div_ceil(CHUNK).max(1)).map(|_| OnceLock::new()).collect();
        Lazy {
            machine,
            trie,
            width,
            eos: eos.to_vec(),
            config: config.clone(),
            chunks,
            built: AtomicUsize::new(0),
            string_rows: AtomicUsize::new(0),
            transitions: AtomicUsize::new(0),
            memory: AtomicUsize::new(0),
            walk_nanos: AtomicU64::new(0),
            background_started: AtomicBool::new(false),
            background_running: AtomicBool::new(false),
        }
    }

    /// Rows over a dense automaton.
    pub(crate) fn dense(
        automaton: Automaton,
        trie: Arc<TokenTrie>,
        width: usize,
        eos: &[u32],
        config: &Config,
    ) -> Lazy {
        let states = automaton.num_states();
        let machine =
            Machine::Dense { automaton: Box::new(automaton), walkers: Mutex::new(Vec::new()) };
        Lazy::with_machine(machine, states, trie, width, eos, config)
    }

    /// Rows over a lazy DFA.
    pub(crate) fn hybrid(
        hybrid: Hybrid,
        trie: Arc<TokenTrie>,
        width: usize,
        eos: &[u32],
        config: &Config,
    ) -> Lazy {
        let machine = Machine::Hybrid(Box::new(hybrid));
        Lazy::with_machine(machine, config.get_max_dfa_states(), trie, width, eos, config)
    }

    pub(crate) fn start(&self) -> u32 {
        match &self.machine {
            Machine::Dense { automaton, .. } => automaton.start(),
            Machine::Hybrid(hybrid) => hybrid.start(),
        }
    }

    /// The dense automaton, when the rows are walked over one.
    pub(crate) fn automaton(&self) -> Option<&Automaton> {
        match &self.machine {
            Machine::Dense { automaton, .. } => Some(automaton),
            Machine::Hybrid(_) => None,
        }
    }

    pub(crate) fn trie(&self) -> &TokenTrie {
        &self.trie
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// States known so far: all of a dense automaton's, the discovered ones of a lazy DFA.
    pub(crate) fn num_states(&self) -> usize {
        match &self.machine {
            Machine::Dense { automaton, .. } => automaton.num_states(),
            Machine::Hybrid(hybrid) => hybrid.num_states(),
        }
    }

    /// Whether the automaton is determinized on demand.
    pub(crate) fn is_hybrid(&self) -> bool {
        matches!(self.machine, Machine::Hybrid(_))
    }

    #[inline]
    fn slot(&self, state: u32) -> Option<&Slot> {
        let chunk = self.chunks.get(state as usize / CHUNK)?;
        let slots = match chunk.get() {
            Some(slots) => slots,
            None => chunk.get_or_init(|| (0..CHUNK).map(|_| OnceLock::new()).collect()),
        };
        Some(&slots[state as usize % CHUNK])
    }

    /// The row of `state`, walking it first if no guide has reached it yet.
    ///
    /// # Panics
    ///
    /// When `state` was never handed out by this index (states come from the index itself).
    #[inline]
    pub(crate) fn row(&self, state: u32) -> &LazyRow {
        self.row_and_hit(state).0
    }

    /// As [`Lazy::row`], counting a row cache hit (for [`metrics`](crate::metrics)) when the
    /// row was walked already.
    #[inline]
    pub(crate) fn row_for_mask(&self, state: u32) -> &LazyRow {
        let (row, hit) = self.row_and_hit(state);
        if hit {
            crate::metrics::row_hit();
        }
        row
    }

    #[inline]
    fn row_and_hit(&self, state: u32) -> (&LazyRow, bool) {
        let known = (state as usize) < self.num_states_hint();
        let slot = match self.slot(state) {
            Some(slot) if known => slot,
            _ => panic!("state {state} is not a state of this index"),
        };
        match slot.get() {
            Some(row) => (row, true),
            None => (slot.get_or_init(|| Box::new(self.walk(state))), false),
        }
    }

    /// An upper bound on valid state numbers, without taking a lock.
    #[inline]
    fn num_states_hint(&self) -> usize {
        match &self.machine {
            Machine::Dense { automaton, .. } => automaton.num_states(),
            Machine::Hybrid(_) => self.chunks.len() * CHUNK,
        }
    }

    fn walk(&self, state: u32) -> LazyRow {
        let started = Instant::now();
        let eos = |accepting: bool| -> &[u32] {
            if accepting {
                &self.eos
            } else {
                &[]
            }
        };
        let walked = match &self.machine {
            Machine::Dense { automaton, walkers } => {
                let mut walker = walkers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop()
                    .unwrap_or_else(|| Walker::new(&self.trie, self.width));
                walker.walk_scratch(automaton, &self.trie, state);
                let accepting = automaton.is_accepting(state);
                let (next_by_token, touched) = walker.scratch();
                let row = Next::from_scratch(next_by_token, touched, eos(accepting), None);
                walkers.lock().unwrap_or_else(PoisonError::into_inner).push(walker);
                let mut forced = Vec::new();
                forced_path(automaton, state, &mut forced);
                Ok(Walked { row, accepting, forced })
            }
            Machine::Hybrid(hybrid) => {
                hybrid.walk(state, &self.trie, |next_by_token, touched, accepting, strings| {
                    Next::from_scratch(next_by_token, touched, eos(accepting), strings)
                })
            }
        };
        let walked = match walked {
            Ok(walked) => walked,
            Err(failed) => {
                tracing::warn!(state, ?failed, "a state of a lazy index could not be walked");
                return LazyRow {
                    next: Next::Sparse { tokens: Box::new([]), next: Box::new([]) },
                    forced: Box::new([]),
                    accepting: false,
                    failed: Some(failed),
                };
            }
        };
        let Walked { row, accepting, forced } = walked;
        let memory = row.memory() + forced.len() + std::mem::size_of::<LazyRow>();
        self.built.fetch_add(1, Ordering::Relaxed);
        if matches!(row, Next::Strings { .. }) {
            self.string_rows.fetch_add(1, Ordering::Relaxed);
        }
        self.transitions.fetch_add(row.len(), Ordering::Relaxed);
        self.memory.fetch_add(memory, Ordering::Relaxed);
        let elapsed = started.elapsed();
        tracing::trace!(
            state,
            micros = elapsed.as_micros() as u64,
            allowed = row.len(),
            kind = row.kind(),
            "state walked"
        );
        self.walk_nanos.fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
        crate::metrics::row_walked(elapsed);
        LazyRow {
            next: row,
            forced: forced.into_boxed_slice(),
            accepting: accepting && !self.eos.is_empty(),
            failed: None,
        }
    }

    fn built_rows(&self) -> impl Iterator<Item = &LazyRow> {
        self.chunks
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|slots| slots.iter().filter_map(|slot| slot.get().map(|row| &**row)))
    }

    /// The statistics of the lazy `index` this table belongs to.
    pub(crate) fn stats(&self, index: &Index) -> Stats {
        let counters = self.counters();
        let (mut states, mut accepting, mut dense) = (0, 0, 0);
        for row in self.built_rows() {
            states += 1;
            accepting += usize::from(row.accepting);
            dense += usize::from(row.next.is_dense());
        }
        let known = self.num_states();
        Stats {
            width: self.width,
            states,
            accepting_states: accepting,
            transitions: counters.transitions,
            unique_sets: states,
            dense_sets: dense,
            automaton_states: known,
            dfa_states: match &self.machine {
                Machine::Dense { automaton, .. } => automaton.dfa_states(),
                Machine::Hybrid(_) => known,
            },
            pruned_states: 0,
            automaton_time: Duration::from_micros(index.info.automaton_micros),
            index_time: Duration::from_nanos(counters.walk_nanos),
            memory: index.memory_usage(),
            mode: if counters.background_started { BuildMode::Background } else { BuildMode::Lazy },
            states_pending: known.saturating_sub(states),
            background_running: counters.background_running,
            lazy_dfa: self.is_hybrid(),
            string_rows: self.string_rows.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn counters(&self) -> LazyCounters {
        let machine = match &self.machine {
            Machine::Dense { automaton, .. } => automaton.memory_usage(),
            Machine::Hybrid(hybrid) => hybrid.memory_usage(),
        };
        let slots = self.chunks.iter().filter(|c| c.get().is_some()).count()
            * CHUNK
            * std::mem::size_of::<Slot>();
        LazyCounters {
            built: self.built.load(Ordering::Relaxed),
            transitions: self.transitions.load(Ordering::Relaxed),
            memory: self.memory.load(Ordering::Relaxed) + slots + machine,
            walk_nanos: self.walk_nanos.load(Ordering::Relaxed),
            background_started: self.background_started.load(Ordering::Relaxed),
            background_running: self.background_running.load(Ordering::Relaxed),
        }
    }

    /// Walks every state reachable from the start, one breadth-first level at a time, until
    /// all are cached or the table grows past `memory_limit` bytes. `keep_going` is asked
    /// before each level (a background completion stops when the index is dropped).
    /// Returns whether every reachable state is cached.
    pub(crate) fn build_all(
        &self,
        parallel: bool,
        memory_limit: usize,
        mut keep_going: impl FnMut() -> bool,
    ) -> bool {
        // A lazy DFA walks under one lock: threads would only queue for it.
        let parallel = parallel && !self.is_hybrid();
        let mut seen = std::collections::HashSet::new();
        let start = self.start();
        seen.insert(start);
        let mut frontier = vec![start];
        while !frontier.is_empty() {
            if !keep_going() {
                return false;
            }
            if parallel && frontier.len() > 1 {
                frontier.par_iter().for_each(|&s| {
                    self.row(s);
                });
            }
            let mut next_level = Vec::new();
            for &s in &frontier {
                for t in self.row(s).next.successors() {
                    if t != FINISHED && t != DEAD && seen.insert(t) {
                        next_level.push(t);
                    }
                }
            }
            frontier = next_level;
            let memory = self.memory.load(Ordering::Relaxed);
            if memory > memory_limit && !frontier.is_empty() {
                tracing::warn!(
                    memory,
                    memory_limit,
                    pending = frontier.len(),
                    "index completion stopped at index_size_limit; the rest is walked on demand"
                );
                return false;
            }
        }
        true
    }

    /// Starts completing the table on a background thread, which stops at the next level
    /// once it holds the last reference (every index and guide using it was dropped).
    pub(crate) fn complete_in_background(self: &Arc<Lazy>, parallel: bool, memory_limit: usize) {
        let weak: Weak<Lazy> = Arc::downgrade(self);
        self.background_started.store(true, Ordering::Relaxed);
        self.background_running.store(true, Ordering::Relaxed);
        let spawned =
            std::thread::Builder::new().name("maskwell-index".to_owned()).spawn(move || {
                let _span = tracing::debug_span!("index_background").entered();
                let Some(lazy) = weak.upgrade() else { return };
                // This thread's reference is the last one once the index is dropped.
                let done = lazy.build_all(parallel, memory_limit, || Arc::strong_count(&lazy) > 1);
                lazy.background_running.store(false, Ordering::Relaxed);
                tracing::debug!(
                    done,
                    states = lazy.built.load(Ordering::Relaxed),
                    "background build ended"
                );
            });
        if spawned.is_err() {
            // No thread to be had: the index still works, walking states on demand.
            self.background_running.store(false, Ordering::Relaxed);
        }
    }
}

/// Whether every byte that some automaton transition reads is a one-byte text token, so
/// that every byte string of the language (and so every automaton state) can be spelled
/// with tokens.
pub(crate) fn covers_bytes(automaton: &Automaton, trie: &TokenTrie) -> bool {
    let single = single_bytes(trie);
    let mut used = vec![false; automaton.num_classes()];
    for s in 0..automaton.num_states() as u32 {
        for (class, &t) in automaton.row(s).iter().enumerate() {
            if t != DEAD {
                used[class] = true;
            }
        }
    }
    let classes = automaton.classes();
    (0..256).all(|b| !used[classes[b] as usize] || single[b])
}

/// Whether every byte is a one-byte text token (byte-level BPE, SentencePiece with byte
/// fallback): then any automaton's states can all be spelled with tokens.
pub(crate) fn covers_all_bytes(trie: &TokenTrie) -> bool {
    single_bytes(trie).iter().all(|&b| b)
}

fn single_bytes(trie: &TokenTrie) -> [bool; 256] {
    let mut single = [false; 256];
    let mut node = 0;
    while node < trie.len() {
        if !trie.tokens_at(node).is_empty() {
            single[trie.byte(node) as usize] = true;
        }
        node = trie.subtree_end(node);
    }
    single
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a scratch with `(token, next)` pairs, builds a row, and checks every lookup.
    fn check(width: usize, pairs: &[(u32, u32)], eos: &[u32]) -> Next {
        let mut next_by_token = vec![DEAD; width];
        let mut touched = Vec::new();
        for &(t, n) in pairs {
            next_by_token[t as usize] = n;
            touched.push(t);
        }
        let row = Next::from_scratch(&mut next_by_token, &mut touched, eos, None);
        assert!(next_by_token.iter().all(|&n| n == DEAD) && touched.is_empty(), "scratch reset");
        let mut expected: Vec<(u32, u32)> = pairs.to_vec();
        expected.extend(eos.iter().map(|&t| (t, FINISHED)));
        expected.sort_unstable();
        let ids: Vec<u32> = expected.iter().map(|&(t, _)| t).collect();
        assert_eq!(row.tokens(), ids.as_slice());
        assert_eq!(row.len(), ids.len());
        for t in 0..width as u32 {
            let want = expected.iter().find(|&&(e, _)| e == t).map(|&(_, n)| n);
            assert_eq!(row.get(t), want, "token {t}");
        }
        let mut mask = vec![0u32; width.div_ceil(32)];
        row.fill(&mut mask);
        assert_eq!(ids_of(&mask).as_ref(), ids.as_slice());
        row
    }

    #[test]
    fn rows_of_every_shape_answer_alike() {
        // Few tokens: sparse.
        assert!(!check(4096, &[(7, 1), (3, 2)], &[0]).is_dense());
        // Many tokens, two next states: dense with an index per token.
        let many: Vec<(u32, u32)> = (1..3000).map(|t| (t, t % 2)).collect();
        assert!(matches!(check(4096, &many, &[0, 4095]), Next::Dense { .. }));
        // Many tokens, 300 next states: wide.
        let wide: Vec<(u32, u32)> = (1..3000).map(|t| (t, t % 300)).collect();
        assert!(matches!(check(4096, &wide, &[0]), Next::Wide { .. }));
        // Exactly 256 states and end-of-sequence: FINISHED does not fit the index.
        let full: Vec<(u32, u32)> = (1..3000).map(|t| (t, t % 256)).collect();
        assert!(matches!(check(4096, &full, &[0]), Next::Wide { .. }));
        // A one-word vocabulary is dense as soon as anything is allowed.
        assert!(check(4, &[(1, 5)], &[0]).is_dense());
    }
}
