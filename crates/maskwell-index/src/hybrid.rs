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
use std::sync::{Arc, Mutex, PoisonError};

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
    lazy::StringPart,
    strings::{self, StringTokens, Template, Transitions},
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
    /// The classes split by what the string template's decoder does with them
    /// ([`strings::joint_classes`]).
    string_classes: Vec<(u8, ByteSet)>,
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
    /// Pairs of states compared by [`Explorer::equivalent`], and the answer.
    equivalent: HashMap<(LazyStateID, LazyStateID), bool>,
}

/// One state's walk over trie nodes, recording each allowed token's next state in the
/// scratch.
struct Walk<'a> {
    hybrid: &'a Hybrid,
    cache: &'a mut Cache,
    traps: &'a mut HashMap<LazyStateID, bool>,
    ids: &'a mut HashMap<LazyStateID, u32>,
    sids: &'a mut Vec<LazyStateID>,
    stack: &'a mut [LazyStateID],
    memo: &'a mut [Option<(LazyStateID, u32)>],
    next_by_token: &'a mut [u32],
    touched: &'a mut Vec<u32>,
    /// The state walked, as the lazy DFA and the index number it.
    sid: LazyStateID,
    state: u32,
    /// The bytes that loop back to `sid`.
    loops: ByteSet,
}

impl Walk<'_> {
    /// Walks the nodes `range` of `trie` (whole subtrees, the first at depth 0), skipping
    /// the subtrees of the depth-0 bytes in `skip`.
    fn nodes(
        &mut self,
        trie: &TokenTrie,
        range: std::ops::Range<usize>,
        skip: &ByteSet,
    ) -> Result<(), WalkError> {
        let full = |_| WalkError::CacheFull;
        let dfa = &self.hybrid.dfa;
        self.stack[0] = self.sid;
        self.memo.fill(None);
        let mut node = range.start;
        while node < range.end {
            let depth = trie.depth(node);
            let byte = trie.byte(node);
            if depth == 0 && skip.contains(byte) {
                node = trie.subtree_end(node);
                continue;
            }
            let next = dfa.next_state(self.cache, self.stack[depth], byte).map_err(full)?;
            if next.is_dead()
                || (next.is_match() && self.hybrid.is_trap(self.cache, self.traps, next)?)
            {
                node = trie.subtree_end(node);
                continue;
            }
            if next == self.sid && trie.bytes_below(node).is_subset(&self.loops) {
                // Every byte below loops back to the state: so does every token below.
                for &token in trie.tokens_in_subtree(node) {
                    self.next_by_token[token as usize] = self.state;
                    self.touched.push(token);
                }
                node = trie.subtree_end(node);
                continue;
            }
            self.stack[depth + 1] = next;
            let tokens = trie.tokens_at(node);
            if !tokens.is_empty() {
                let id = match self.memo[depth] {
                    Some((s, id)) if s == next => id,
                    _ => {
                        let id = intern(self.ids, self.sids, next, self.hybrid.max_states)?;
                        self.memo[depth] = Some((next, id));
                        id
                    }
                };
                for &token in tokens {
                    self.next_by_token[token as usize] = id;
                    self.touched.push(token);
                }
            }
            node += 1;
        }
        Ok(())
    }
}

/// The lazy DFA as a [string template](crate::strings) explores it: traps are dead.
struct Explorer<'a> {
    hybrid: &'a Hybrid,
    cache: &'a mut Cache,
    traps: &'a mut HashMap<LazyStateID, bool>,
    equivalent: &'a mut HashMap<(LazyStateID, LazyStateID), bool>,
}

impl Transitions for Explorer<'_> {
    type State = LazyStateID;
    type Error = WalkError;

    fn next(&mut self, state: LazyStateID, byte: u8) -> Result<Option<LazyStateID>, WalkError> {
        let next = self
            .hybrid
            .dfa
            .next_state(self.cache, state, byte)
            .map_err(|_| WalkError::CacheFull)?;
        let dead = next.is_dead()
            || (next.is_match() && self.hybrid.is_trap(self.cache, self.traps, next)?);
        Ok((!dead).then_some(next))
    }

    /// Equal when both accept the same end of input and every byte leads both to one
    /// state: what two paths through copies of one class reach.
    fn equivalent(&mut self, a: LazyStateID, b: LazyStateID) -> Result<bool, WalkError> {
        let key = (a.min(b), a.max(b));
        if let Some(&known) = self.equivalent.get(&key) {
            return Ok(known);
        }
        let dfa = &self.hybrid.dfa;
        let full = |_| WalkError::CacheFull;
        let mut same = dfa.next_eoi_state(self.cache, a).map_err(full)?.is_match()
            == dfa.next_eoi_state(self.cache, b).map_err(full)?.is_match();
        for &(byte, _) in &self.hybrid.classes {
            if !same {
                break;
            }
            same = self.next(a, byte)? == self.next(b, byte)?;
        }
        self.equivalent.insert(key, same);
        Ok(same)
    }
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
            equivalent: HashMap::default(),
        };
        Ok(Some(Hybrid {
            dfa,
            inner: Mutex::new(inner),
            max_states: config.get_max_dfa_states(),
            string_classes: strings::joint_classes(&classes),
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
    /// empty), whether the output may end in `state`, and the string tokens' part of the
    /// row when a [string template](crate::strings) covers them (those tokens are then
    /// not in the scratch).
    pub(crate) fn walk<R>(
        &self,
        state: u32,
        trie: &TokenTrie,
        finish: impl FnOnce(&mut [u32], &mut Vec<u32>, bool, Option<StringPart>) -> R,
    ) -> Result<Walked<R>, WalkError> {
        let mut guard = self.lock();
        let Inner { cache, ids, sids, stack, next_by_token, touched, memo, traps, equivalent } =
            &mut *guard;
        let Some(&sid) = sids.get(state as usize) else {
            panic!("state {state} is not a state of this index ({} states)", sids.len())
        };
        stack[0] = sid;
        memo.fill(None);
        let strings = trie.strings();
        let walked = (|| {
            let full = |_| WalkError::CacheFull;
            let mut explorer = Explorer { hybrid: self, cache, traps, equivalent };
            let template = strings::explore(&mut explorer, sid, &self.string_classes, strings)?
                .filter(Template::is_live);
            // The bytes that loop back to `sid`: a subtree below only those needs no walk.
            let mut loops = ByteSet::default();
            for (byte, bytes) in &self.classes {
                if self.dfa.next_state(cache, sid, *byte).map_err(full)? == sid {
                    loops.union(bytes);
                }
            }
            let mut walk = Walk {
                hybrid: self,
                cache,
                traps,
                ids,
                sids,
                stack,
                memo,
                next_by_token,
                touched,
                sid,
                state,
                loops,
            };
            match &template {
                // The template answers for the string tokens: walk the others, and the
                // whole subtrees of the first bytes it makes exceptions of.
                Some(template) => {
                    let rest = strings.rest();
                    walk.nodes(rest, 0..rest.len(), template.exceptions())?;
                    let mut node = 0;
                    while node < trie.len() {
                        let end = trie.subtree_end(node);
                        if template.exceptions().contains(trie.byte(node)) {
                            walk.nodes(trie, node..end, &ByteSet::default())?;
                        }
                        node = end;
                    }
                }
                None => walk.nodes(trie, 0..trie.len(), &ByteSet::default())?,
            }
            let Walk { cache, ids, sids, next_by_token, .. } = walk;
            let part = match template {
                Some(template) => {
                    Some(string_part(&template, strings, next_by_token.len(), |s| {
                        intern(ids, sids, s, self.max_states)
                    })?)
                }
                None => None,
            };
            let accepting = self.dfa.next_eoi_state(cache, sid).map_err(full)?.is_match();
            let forced = self.forced(cache, sid).map_err(full)?;
            Ok((accepting, forced, part))
        })();
        match walked {
            Ok((accepting, forced, part)) => Ok(Walked {
                row: finish(next_by_token, touched, accepting, part),
                accepting,
                forced,
            }),
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

/// The string tokens' part of a row: per template code the dense id of the state it leads
/// to, and the mask of the string tokens allowed, less those under the template's
/// exceptions (walked, so in the scratch).
fn string_part(
    template: &Template<LazyStateID>,
    strings: &Arc<StringTokens>,
    width: usize,
    intern: impl FnMut(LazyStateID) -> Result<u32, WalkError>,
) -> Result<StringPart, WalkError> {
    // Each state of the template once into the index's ids, then each code its slot's id.
    let ids = template.map_states(intern)?;
    let mut states = vec![DEAD; strings.num_codes()];
    for (c, slot) in states.iter_mut().enumerate() {
        if strings.is_used(c) {
            *slot = strings::at_in(&ids, template.repeats(), c).unwrap_or(DEAD);
        }
    }
    let mut mask = vec![0u32; width.div_ceil(32)];
    strings.mask_into(&mut mask, |c| states[c] != DEAD);
    strings.clear_first(&mut mask, template.exceptions());
    Ok(StringPart { strings: strings.clone(), states: states.into(), mask: mask.into() })
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
