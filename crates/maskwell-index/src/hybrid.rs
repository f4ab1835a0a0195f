//! The byte automaton determinized on demand, for lazy indexes.
//!
//! A dense DFA is built whole before the first token: for a large schema, determinizing and
//! minimizing takes longer than everything else together, and most of its states are never
//! visited. regex-automata's lazy DFA determinizes one state the first time a transition
//! reaches it, so the cost follows what decoding actually visits. Its state ids live in a
//! cache that the DFA may clear when full; this module forbids clearing (the cache may grow
//! to [`Config::dfa_size_limit`](crate::Config) and then the walk reports
//! [`WalkError::CacheFull`]), so an id, once handed out, stays valid for the life of the
//! index. Ids are renumbered densely (`0` is the start state) for the index's tables.
//!
//! A dense [`Automaton`](crate::Automaton) prunes states that can no longer reach a match;
//! a lazy DFA cannot know that without exploring. For NFAs without `Fail` or look-around
//! states it need not: every state of such a Thompson NFA lies on a path to its match
//! state, so a DFA state with any NFA state in it can still reach a match. The one other
//! kind of state is the one regex-automata enters a byte after a match, to report it (its
//! matches are delayed by a byte): it holds no NFA state, so every byte kills it and the
//! input cannot end there either. [`Inner::traps`] remembers which match-tagged states are
//! of that kind, and walks treat them as dead. [`Hybrid::new`] declines other NFAs, which
//! then go the dense way.

use rustc_hash::FxHashMap as HashMap;
use std::sync::{Mutex, PoisonError};

use regex_automata::{
    hybrid::{
        dfa::{Cache, DFA},
        LazyStateID,
    },
    nfa::thompson::{self, NFA},
    util::start,
    Anchored, MatchKind,
};

use crate::{
    automaton::DEAD,
    index::MAX_FORCED_BYTES,
    trie::{ByteSet, TokenTrie},
    Config, Error,
};

/// Why a state could not be walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WalkError {
    /// The lazy DFA's cache reached its capacity.
    CacheFull,
    /// More states than [`Config::max_dfa_states`](crate::Config) were discovered.
    TooManyStates,
}

/// One walked state: what was made of its allowed text tokens and the state each leads to
/// (see [`Hybrid::walk`]), whether the output may end there, and its forced bytes.
#[derive(Debug)]
pub(crate) struct Walked<R> {
    pub(crate) row: R,
    pub(crate) accepting: bool,
    pub(crate) forced: Vec<u8>,
}

/// A lazily determinized DFA shared by all guides of an index.
#[derive(Debug)]
pub(crate) struct Hybrid {
    dfa: DFA,
    inner: Mutex<Inner>,
    max_states: usize,
    /// Per byte class: one of its bytes, and all of them.
    classes: Vec<(u8, ByteSet)>,
}

/// Everything a walk mutates, behind one lock taken only to walk a new state.
#[derive(Debug)]
struct Inner {
    cache: Cache,
    /// Dense ids of the lazy DFA's states, and back.
    ids: HashMap<LazyStateID, u32>,
    sids: Vec<LazyStateID>,
    /// The DFA state at each trie depth along the current path.
    stack: Vec<LazyStateID>,
    next_by_token: Vec<u32>,
    touched: Vec<u32>,
    /// Per trie depth, the last state a token there led to and its dense id: tokens at one
    /// depth mostly lead to one state (inside a bounded string, the state for that many more
    /// characters).
    memo: Vec<Option<(LazyStateID, u32)>>,
    /// Match-tagged states, and whether each only reports the match before it (a trap).
    traps: HashMap<LazyStateID, bool>,
}

impl Hybrid {
    /// A lazy DFA for `nfa`, or `None` when the NFA has states that could make a live-looking
    /// DFA state a dead end (see the module docs).
    ///
    /// # Errors
    ///
    /// [`Error::Regex`] when regex-automata refuses the NFA; [`Error::Inexpressible`] when the
    /// language is empty.
    pub(crate) fn new(
        nfa: &NFA,
        config: &Config,
        trie: &TokenTrie,
        width: usize,
    ) -> Result<Option<Hybrid>, Error> {
        let trap = nfa
            .states()
            .iter()
            .any(|s| matches!(s, thompson::State::Fail | thompson::State::Look { .. }));
        if trap {
            return Ok(None);
        }
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .byte_classes(true)
                    .cache_capacity(config.get_dfa_size_limit())
                    .skip_cache_capacity_check(true)
                    .minimum_cache_clear_count(Some(0)),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| Error::Regex { message: e.to_string(), offset: None, source: None })?;
        let mut cache = dfa.create_cache();
        let start = dfa
            .start_state(&mut cache, &start::Config::new().anchored(Anchored::Yes))
            .map_err(|e| Error::Regex { message: e.to_string(), offset: None, source: None })?;
        if start.is_dead() {
            return Err(Error::Inexpressible { detail: ": the regex matches nothing".to_owned() });
        }
        let byte_classes = dfa.byte_classes();
        let mut classes: Vec<(u8, ByteSet)> = Vec::new();
        let mut slot: Vec<Option<usize>> = vec![None; byte_classes.alphabet_len()];
        for b in 0..=255u8 {
            let class = byte_classes.get(b) as usize;
            let i = *slot[class].get_or_insert_with(|| {
                classes.push((b, ByteSet::default()));
                classes.len() - 1
            });
            classes[i].1.insert(b);
        }
        let inner = Inner {
            cache,
            ids: HashMap::from_iter([(start, 0)]),
            sids: vec![start],
            stack: vec![start; trie.max_depth() + 1],
            next_by_token: vec![DEAD; width],
            touched: Vec::new(),
            memo: vec![None; trie.max_depth() + 1],
            traps: HashMap::default(),
        };
        Ok(Some(Hybrid {
            dfa,
            inner: Mutex::new(inner),
            max_states: config.get_max_dfa_states(),
            classes,
        }))
    }

    /// The dense id of the start state.
    pub(crate) fn start(&self) -> u32 {
        0
    }

    /// States discovered so far (walked or waiting to be).
    pub(crate) fn num_states(&self) -> usize {
        self.lock().sids.len()
    }

    /// Heap bytes of the lazy DFA and its cache.
    pub(crate) fn memory_usage(&self) -> usize {
        let inner = self.lock();
        self.dfa.memory_usage()
            + inner.cache.memory_usage()
            + inner.sids.capacity() * 4
            + inner.ids.capacity() * 12
            + inner.next_by_token.capacity() * 4
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Walks the trie from the dense state `state`, determinizing what it reaches, and hands
    /// the result to `finish` as the per-token next states ([`DEAD`] for tokens not
    /// allowed), the tokens touched (both of which `finish` must reset to [`DEAD`] and
    /// empty) and whether the output may end in `state`.
    pub(crate) fn walk<R>(
        &self,
        state: u32,
        trie: &TokenTrie,
        finish: impl FnOnce(&mut [u32], &mut Vec<u32>, bool) -> R,
    ) -> Result<Walked<R>, WalkError> {
        let mut guard = self.lock();
        let Inner { cache, ids, sids, stack, next_by_token, touched, memo, traps } = &mut *guard;
        let Some(&sid) = sids.get(state as usize) else {
            panic!("state {state} is not a state of this index ({} states)", sids.len())
        };
        stack[0] = sid;
        memo.fill(None);
        let n = trie.len();
        let mut node = 0;
        let walked = (|| {
            let full = |_| WalkError::CacheFull;
            // The bytes that loop back to `sid`: a subtree below only those needs no walk.
            let mut loops = ByteSet::default();
            for (byte, bytes) in &self.classes {
                if self.dfa.next_state(cache, sid, *byte).map_err(full)? == sid {
                    loops.union(bytes);
                }
            }
            while node < n {
                let depth = trie.depth(node);
                let next =
                    self.dfa.next_state(cache, stack[depth], trie.byte(node)).map_err(full)?;
                if next.is_dead() || (next.is_match() && self.is_trap(cache, traps, next)?) {
                    node = trie.subtree_end(node);
                    continue;
                }
                if next == sid && trie.bytes_below(node).is_subset(&loops) {
                    let id = state;
                    for &token in trie.tokens_in_subtree(node) {
                        next_by_token[token as usize] = id;
                        touched.push(token);
                    }
                    node = trie.subtree_end(node);
                    continue;
                }
                stack[depth + 1] = next;
                let tokens = trie.tokens_at(node);
                if !tokens.is_empty() {
                    let id = match memo[depth] {
                        Some((s, id)) if s == next => id,
                        _ => {
                            let id = intern(ids, sids, next, self.max_states)?;
                            memo[depth] = Some((next, id));
                            id
                        }
                    };
                    for &token in tokens {
                        next_by_token[token as usize] = id;
                        touched.push(token);
                    }
                }
                node += 1;
            }
            let accepting = self.dfa.next_eoi_state(cache, sid).map_err(full)?.is_match();
            let forced = self.forced(cache, sid).map_err(full)?;
            Ok((accepting, forced))
        })();
        match walked {
            Ok((accepting, forced)) => {
                Ok(Walked { row: finish(next_by_token, touched, accepting), accepting, forced })
            }
            Err(e) => {
                // Reset the scratch, so the next walk starts clean.
                for &t in touched.iter() {
                    next_by_token[t as usize] = DEAD;
                }
                touched.clear();
                Err(e)
            }
        }
    }

    /// Whether the match-tagged state `sid` only reports the match one byte before it: the
    /// input cannot end there and every byte kills it.
    fn is_trap(
        &self,
        cache: &mut Cache,
        traps: &mut HashMap<LazyStateID, bool>,
        sid: LazyStateID,
    ) -> Result<bool, WalkError> {
        if let Some(&trap) = traps.get(&sid) {
            return Ok(trap);
        }
        let full = |_| WalkError::CacheFull;
        let mut trap = !self.dfa.next_eoi_state(cache, sid).map_err(full)?.is_match();
        if trap {
            for (byte, _) in &self.classes {
                if !self.dfa.next_state(cache, sid, *byte).map_err(full)?.is_dead() {
                    trap = false;
                    break;
                }
            }
        }
        traps.insert(sid, trap);
        Ok(trap)
    }

    /// The forced byte path from `sid`, as [`forced_path`](crate::index) computes it for a
    /// dense automaton: bytes appended while the state is not accepting and exactly one byte
    /// keeps a match possible. (Traps follow accepting states only, where the path stops, so
    /// they need no check here.)
    fn forced(
        &self,
        cache: &mut Cache,
        mut sid: LazyStateID,
    ) -> Result<Vec<u8>, regex_automata::hybrid::CacheError> {
        let mut out = Vec::new();
        while out.len() < MAX_FORCED_BYTES && !self.dfa.next_eoi_state(cache, sid)?.is_match() {
            let mut only = None;
            for (byte, bytes) in &self.classes {
                let next = self.dfa.next_state(cache, sid, *byte)?;
                if !next.is_dead() {
                    if only.is_some() || bytes.len() > 1 {
                        return Ok(out);
                    }
                    only = Some((*byte, next));
                }
            }
            let Some((byte, next)) = only else { break };
            out.push(byte);
            sid = next;
        }
        Ok(out)
    }
}

fn intern(
    ids: &mut HashMap<LazyStateID, u32>,
    sids: &mut Vec<LazyStateID>,
    sid: LazyStateID,
    max_states: usize,
) -> Result<u32, WalkError> {
    if let Some(&id) = ids.get(&sid) {
        return Ok(id);
    }
    if sids.len() >= max_states {
        return Err(WalkError::TooManyStates);
    }
    let id = sids.len() as u32;
    ids.insert(sid, id);
    sids.push(sid);
    Ok(id)
}
