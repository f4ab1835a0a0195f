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
    lazy::{self, StringPart},
    strings::{self, step, Step, StringTokens, Template, Transitions, BOUNDARY},
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
    /// Tokens in the vocabulary (the walk's scratch has one entry per token).
    width: usize,
    /// The classes split by what the string template's decoder does with them
    /// ([`strings::joint_classes`]).
    string_classes: Vec<(u8, ByteSet)>,
}

/// A walk's per-token next states, [`DEAD`] between walks, taken from a process-wide pool
/// for the walk's length: kept by each index, it cost every lazy build a fill of 4 bytes
/// per token (512 KiB for Llama-3) and every index that much memory for its lifetime.
struct Scratch(Vec<u32>);

/// Scratch buffers not in use (every entry [`DEAD`]), at most [`POOLED`].
static SCRATCH: Mutex<Vec<Vec<u32>>> = Mutex::new(Vec::new());
const POOLED: usize = 16;

impl Scratch {
    fn take(width: usize) -> Scratch {
        let mut pool = SCRATCH.lock().unwrap_or_else(PoisonError::into_inner);
        match pool.iter().rposition(|buf| buf.len() == width) {
            Some(i) => Scratch(pool.swap_remove(i)),
            None => Scratch(vec![DEAD; width]),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // A walk that panicked may have left entries set: that buffer is not reused.
        if std::thread::panicking() {
            return;
        }
        let mut pool = SCRATCH.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < POOLED {
            pool.push(std::mem::take(&mut self.0));
        }
    }
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
    explorer: Explorer<'a>,
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
    /// Walks the nodes `range` of `trie`: whole subtrees, the first at some depth `d`
    /// reached in state `from`, skipping the subtrees of the bytes in `skip` at depth `d`.
    fn nodes(
        &mut self,
        trie: &TokenTrie,
        range: std::ops::Range<usize>,
        from: LazyStateID,
        skip: &ByteSet,
    ) -> Result<(), WalkError> {
        let Some(top) = (!range.is_empty()).then(|| trie.depth(range.start)) else {
            return Ok(());
        };
        self.stack[top] = from;
        self.memo.fill(None);
        let mut node = range.start;
        while node < range.end {
            let depth = trie.depth(node);
            let byte = trie.byte(node);
            if depth == top && skip.contains(byte) {
                node = trie.subtree_end(node);
                continue;
            }
            let Some(next) = self.explorer.next(self.stack[depth], byte)? else {
                node = trie.subtree_end(node);
                continue;
            };
            if next == self.sid && trie.loops_below(node, &self.loops) {
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
                        let id = self.intern(next)?;
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

    fn intern(&mut self, sid: LazyStateID) -> Result<u32, WalkError> {
        intern(self.ids, self.sids, sid, self.hybrid.max_states)
    }

    /// The walk when `template` answers for the string tokens: it walks the other tokens;
    /// a first byte the template makes an exception of gets a template of its own (from
    /// the state after it, when it is a character) or is walked whole.
    fn with_template(
        &mut self,
        template: &Template<LazyStateID>,
        trie: &TokenTrie,
        strings: &Arc<StringTokens>,
    ) -> Result<StringPart, WalkError> {
        let width = self.next_by_token.len();
        let ids = template.map_states(|s| self.intern(s))?;
        let main = code_table(strings, |c| strings::at_in(&ids, template.repeats(), c));
        let mut mask = vec![0u32; width.div_ceil(32)];
        strings.mask_into(&mut mask, template.ascii(), |c| main[c] != DEAD);
        if *template.dead_chars() != ByteSet::default() {
            // Where only ASCII tokens can be allowed, tokens with other bytes need no look:
            // the walk for the mask then stays out of the multi-byte part of the trie.
            let mut dead = *template.dead_chars();
            if template.ascii() {
                dead.union(&ByteSet::NON_ASCII);
            }
            let avoiding = strings.avoiding(trie, &dead);
            mask.iter_mut().zip(avoiding.iter()).for_each(|(m, a)| *m &= a);
        }
        strings.clear_first(&mut mask, template.exceptions());
        let mut tables = vec![main];
        let mut table_of = Box::new([0u8; 256]);
        let exceptions = template.exceptions();
        for byte in (0..=255u8).filter(|&b| exceptions.contains(b)) {
            table_of[byte as usize] = WALKED;
            // A template of its own pays where walking the subtree would cost more.
            let worth = trie.root(byte).len() >= SUB_TEMPLATE_NODES;
            let sub = match (step(BOUNDARY, byte), worth && tables.len() < WALKED as usize) {
                (Step::Char, true) => match self.explorer.next(self.sid, byte)? {
                    Some(after) => strings::explore(
                        &mut self.explorer,
                        after,
                        &self.hybrid.string_classes,
                        strings,
                    )?
                    .filter(|sub| sub.is_live() && *sub.dead_chars() == ByteSet::default())
                    .map(|sub| (after, sub)),
                    None => continue,
                },
                _ => None,
            };
            let Some((after, sub)) = sub else {
                self.nodes(trie, trie.root(byte), self.sid, &ByteSet::default())?;
                continue;
            };
            // One character read: the sub-template's codes are one layer down.
            let sub_ids = sub.map_states(|s| self.intern(s))?;
            let table = code_table(strings, |c| {
                let c = c.checked_sub(strings::UTF8_STATES)?;
                strings::at_in(&sub_ids, sub.repeats(), c)
            });
            strings.mask_first_into(&mut mask, byte, sub.ascii(), |c| {
                c < strings::UTF8_STATES || table[c] != DEAD
            });
            // The sub-template's own exceptions, one byte down, are walked whole.
            let root = trie.root(byte);
            if *sub.exceptions() != ByteSet::default() {
                for (second, range) in trie.children(root.start) {
                    if sub.exceptions().contains(second) {
                        strings.clear(&mut mask, trie.tokens_in_subtree(range.start));
                        self.nodes(trie, range, after, &ByteSet::default())?;
                    }
                }
            }
            let takes = self.takes_outside(&sub, strings)?;
            for (x, rest) in strings.rest() {
                let rest_root = rest.root(byte);
                if !takes.contains(*x) || rest_root.is_empty() {
                    continue;
                }
                for (second, range) in rest.children(rest_root.start) {
                    if !sub.exceptions().contains(second) {
                        self.nodes(rest, range, after, &ByteSet::default())?;
                    }
                }
            }
            table_of[byte as usize] = tables.len() as u8;
            tables.push(table);
        }
        let takes = self.takes_outside(template, strings)?;
        for (x, rest) in strings.rest() {
            if takes.contains(*x) {
                self.nodes(rest, 0..rest.len(), self.sid, exceptions)?;
            }
        }
        Ok(StringPart {
            strings: strings.clone(),
            tables: tables.into(),
            table_of,
            mask: mask.into(),
        })
    }
}

impl Walk<'_> {
    /// The bytes no string character has that some state of `template` takes: a token
    /// whose first such byte is another one dies there, whatever came before it.
    fn takes_outside(
        &mut self,
        template: &Template<LazyStateID>,
        strings: &StringTokens,
    ) -> Result<ByteSet, WalkError> {
        let classes = self.hybrid.dfa.byte_classes();
        // Bytes of one class go alike: one answer per class.
        let mut decided: [Option<bool>; 256] = [None; 256];
        let mut takes = ByteSet::default();
        for &(x, _) in strings.rest() {
            let class = classes.get(x) as usize;
            let alive = match decided[class] {
                Some(alive) => alive,
                None => {
                    let mut alive = false;
                    for s in template.states() {
                        if self.explorer.next(s, x)?.is_some() {
                            alive = true;
                            break;
                        }
                    }
                    decided[class] = Some(alive);
                    alive
                }
            };
            if alive {
                takes.insert(x);
            }
        }
        Ok(takes)
    }
}

/// Trie nodes under a first byte from which that byte's subtree gets a template of its
/// own rather than a walk (a walk costs about 10 ns a node, a template about 10 µs).
const SUB_TEMPLATE_NODES: usize = 2048;

/// The value of a [`StringPart`]'s `table_of` for first bytes walked whole.
pub(crate) const WALKED: u8 = u8::MAX;

/// Per template code: `state(code)`, or [`DEAD`] (also for codes no token has).
fn code_table(strings: &StringTokens, state: impl Fn(usize) -> Option<u32>) -> Box<[u32]> {
    (0..strings.num_codes())
        .map(|c| if strings.is_used(c) { state(c).unwrap_or(DEAD) } else { DEAD })
        .collect()
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

    #[inline]
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
            width,
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
        let Inner { cache, ids, sids, stack, touched, memo, traps, equivalent } = &mut *guard;
        let mut scratch = Scratch::take(self.width);
        let next_by_token = &mut scratch.0[..];
        let Some(&sid) = sids.get(state as usize) else {
            panic!("state {state} is not a state of this index ({} states)", sids.len())
        };
        let strings = trie.strings();
        let walked = (|| {
            let full = |_| WalkError::CacheFull;
            let mut explorer = Explorer { hybrid: self, cache, traps, equivalent };
            let template = strings::explore(&mut explorer, sid, &self.string_classes, strings)?
                .filter(Template::is_live);
            // The bytes that loop back to `sid`: a subtree below only those needs no walk.
            let mut loops = ByteSet::default();
            for (byte, bytes) in &self.classes {
                if explorer.next(sid, *byte)? == Some(sid) {
                    loops.union(bytes);
                }
            }
            let mut walk = Walk {
                hybrid: self,
                explorer,
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
            let part = match template {
                Some(template) => Some(walk.with_template(&template, trie, strings)?),
                None => {
                    walk.nodes(trie, 0..trie.len(), sid, &ByteSet::default())?;
                    None
                }
            };
            let Walk { explorer: Explorer { cache, .. }, .. } = walk;
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
                lazy::reset(next_by_token, touched, true);
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
