//! Rows of states inside a JSON string, assembled from a template instead of walked.
//!
//! Most first visits that cost a full trie walk are states inside a string: almost every
//! token is allowed there, and the trie has no dead branch to skip. What such a row says is
//! the same in every schema: a token made only of string characters reads some number of
//! characters and may stop inside a multi-byte one; where it leads depends only on that
//! (characters read, UTF-8 state) pair, not on the token. So the vocabulary is classified
//! once ([`StringTokens`]: a code per token, masks of tokens by length), and for a given
//! state the automaton is asked only where each pair leads ([`explore`]): a few hundred
//! transitions instead of a walk over every trie node. Tokens with a byte no string
//! character has (`"`, `\`, control bytes) are few and still walked.
//!
//! The template is only used where it is exact: [`explore`] checks every transition of the
//! automaton from every (characters, UTF-8 state) pair against the UTF-8 decoder below, and
//! gives up at the first disagreement (a `pattern` string, a counted string whose bound
//! falls inside a multi-byte character, ...), and the state is walked as before. One
//! disagreement is allowed at the first byte (an open object's key: keys that start like a
//! declared property name go their own way): those first bytes are walked.

use std::sync::{Arc, Mutex, PoisonError};

use crate::trie::{ByteSet, TokenTrie};

/// States of the UTF-8 decoder of string characters, per Unicode's table of well-formed
/// byte sequences (surrogates and overlong forms excluded, as regex-automata compiles them).
pub(crate) const UTF8_STATES: usize = 8;
/// Between characters.
pub(crate) const BOUNDARY: u8 = 0;
const NEED1: u8 = 1;
const NEED2: u8 = 2;
const NEED3: u8 = 3;
const AFTER_E0: u8 = 4;
const AFTER_ED: u8 = 5;
const AFTER_F0: u8 = 6;
const AFTER_F4: u8 = 7;

/// The code of a token that is not a run of string characters.
pub(crate) const NONE: u16 = u16::MAX;

/// What one byte does to the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    /// A character is complete (the decoder is back at [`BOUNDARY`]).
    Char,
    /// Inside a multi-byte character, in this state.
    Partial(u8),
    /// Not a string character.
    Dead,
}

/// The decoder's step on `byte` from `state`. A string character is any scalar value but
/// `"`, `\` and the control characters below U+0020 (JSON's unescaped characters).
pub(crate) fn step(state: u8, byte: u8) -> Step {
    let continuation = |lo: u8, hi: u8, then: Step| {
        if (lo..=hi).contains(&byte) {
            then
        } else {
            Step::Dead
        }
    };
    match state {
        BOUNDARY => match byte {
            b'"' | b'\\' => Step::Dead,
            0x20..=0x7F => Step::Char,
            0xC2..=0xDF => Step::Partial(NEED1),
            0xE0 => Step::Partial(AFTER_E0),
            0xE1..=0xEC | 0xEE..=0xEF => Step::Partial(NEED2),
            0xED => Step::Partial(AFTER_ED),
            0xF0 => Step::Partial(AFTER_F0),
            0xF1..=0xF3 => Step::Partial(NEED3),
            0xF4 => Step::Partial(AFTER_F4),
            _ => Step::Dead,
        },
        NEED1 => continuation(0x80, 0xBF, Step::Char),
        NEED2 => continuation(0x80, 0xBF, Step::Partial(NEED1)),
        NEED3 => continuation(0x80, 0xBF, Step::Partial(NEED2)),
        AFTER_E0 => continuation(0xA0, 0xBF, Step::Partial(NEED1)),
        AFTER_ED => continuation(0x80, 0x9F, Step::Partial(NEED1)),
        AFTER_F0 => continuation(0x90, 0xBF, Step::Partial(NEED2)),
        AFTER_F4 => continuation(0x80, 0x8F, Step::Partial(NEED2)),
        _ => Step::Dead,
    }
}

/// Every byte that can occur in a string character.
pub(crate) fn char_bytes() -> ByteSet {
    let mut set = ByteSet::default();
    for b in 0..=255u8 {
        if (0..UTF8_STATES as u8).any(|u| step(u, b) != Step::Dead) {
            set.insert(b);
        }
    }
    set
}

/// The order in which a layer's decoder states are settled: each partial state after the
/// states that lead to it within the layer.
const ORDER: [u8; UTF8_STATES] =
    [BOUNDARY, AFTER_E0, AFTER_ED, AFTER_F0, AFTER_F4, NEED3, NEED2, NEED1];

/// A token's template code: `chars * 8 + utf8_state`.
#[inline]
fn code(chars: usize, state: u8) -> Option<u16> {
    u16::try_from(chars * UTF8_STATES + state as usize).ok().filter(|&c| c != NONE)
}

/// Some bits of a mask: (word index, bits), increasing.
type MaskWords = Box<[(u32, u32)]>;

/// The vocabulary classified as runs of string characters: per token its code (characters
/// completed, decoder state at its end) or [`NONE`], and masks to assemble rows from.
#[derive(Debug)]
pub(crate) struct StringTokens {
    /// Per token id: its code, or [`NONE`].
    codes: Arc<[u16]>,
    /// Per token id: its first byte (meaningful for string tokens).
    first: Arc<[u8]>,
    /// The tokens of each code, as ranges of `by_code`.
    code_start: Box<[u32]>,
    by_code: Box<[u32]>,
    /// `started[k]`: the mask of string tokens that begin at most `k` characters (a
    /// character left incomplete counts). What a counted string allows is one of these.
    started: Box<[Box<[u32]>]>,
    /// The string tokens made of ASCII characters only (what a template that kills every
    /// longer character allows at most).
    ascii: Box<[u32]>,
    /// Per code: every byte that follows a trie path of that code, or of the same decoder
    /// state and more characters (what [`explore`] must check from there).
    follow: Box<[ByteSet]>,
    /// Per first byte: the string tokens that start with it, as (word, bits) of a mask, so
    /// that a template exception clears them in one pass.
    by_first: Box<[MaskWords]>,
    /// The tokens that are not runs of string characters, by the first byte they have
    /// that no character has (`"`, `\\`, a control byte, ...): a trie each, so that a
    /// state with a template walks only those whose byte it can take after characters.
    rest: Vec<(u8, TokenTrie)>,
    /// Masks of [`StringTokens::avoiding`], most recently used last.
    avoiding: Mutex<Vec<(ByteSet, Arc<[u32]>)>>,
}

/// Masks of [`StringTokens::avoiding`] kept per vocabulary.
const AVOIDING_KEPT: usize = 32;

impl StringTokens {
    /// Classifies the tokens of `trie` (ids below `width`), one pass in preorder.
    pub(crate) fn new(trie: &TokenTrie, width: usize) -> StringTokens {
        let mut codes = vec![NONE; width];
        // The decoder after the path to depth `d`: (characters, state), or `None` once dead.
        let mut at: Vec<Option<(usize, u8)>> = vec![None; trie.max_depth() + 1];
        at[0] = Some((0, BOUNDARY));
        let mut ascii = vec![0u32; width.div_ceil(32)];
        // Whether the path to depth `d` is ASCII only.
        let mut plain: Vec<bool> = vec![true; trie.max_depth() + 1];
        let mut num_codes = 0;
        let mut follow: Vec<ByteSet> = Vec::new();
        for node in 0..trie.len() {
            let depth = trie.depth(node);
            let byte = trie.byte(node);
            if let Some(c) = at[depth].and_then(|(chars, state)| code(chars, state)) {
                if follow.len() <= c as usize {
                    follow.resize(c as usize + 1, ByteSet::default());
                }
                follow[c as usize].insert(byte);
            }
            let here = at[depth].and_then(|(chars, state)| match step(state, byte) {
                Step::Char => Some((chars + 1, BOUNDARY)),
                Step::Partial(next) => Some((chars, next)),
                Step::Dead => None,
            });
            at[depth + 1] = here;
            plain[depth + 1] = plain[depth] && byte.is_ascii();
            let Some(c) = here.and_then(|(chars, state)| code(chars, state)) else { continue };
            for &token in trie.tokens_at(node) {
                if let Some(slot) = codes.get_mut(token as usize) {
                    *slot = c;
                    num_codes = num_codes.max(c as usize + 1);
                    if plain[depth + 1] {
                        ascii[token as usize >> 5] |= 1 << (token & 31);
                    }
                }
            }
        }
        // Tokens by code (counting sort) and by characters begun.
        let mut code_start = vec![0u32; num_codes + 1];
        for &c in codes.iter().filter(|&&c| c != NONE) {
            code_start[c as usize + 1] += 1;
        }
        for i in 0..num_codes {
            code_start[i + 1] += code_start[i];
        }
        let mut fill = code_start.clone();
        let mut by_code = vec![0u32; code_start[num_codes] as usize];
        let words = width.div_ceil(32);
        let layers = num_codes.div_ceil(UTF8_STATES);
        let mut started = vec![vec![0u32; words]; layers + 1];
        for (token, &c) in codes.iter().enumerate() {
            if c == NONE {
                continue;
            }
            by_code[fill[c as usize] as usize] = token as u32;
            fill[c as usize] += 1;
            let begun = started_chars(c);
            started[begun][token >> 5] |= 1 << (token & 31);
        }
        for k in 1..started.len() {
            let (below, here) = started.split_at_mut(k);
            for (w, &b) in here[0].iter_mut().zip(&below[k - 1]) {
                *w |= b;
            }
        }
        // The string tokens under each first byte, grouped by mask word.
        let mut by_first: Vec<MaskWords> = vec![Box::default(); 256];
        let mut first = vec![0u8; width];
        for byte in 0..=255u8 {
            let range = trie.root(byte);
            if range.is_empty() {
                continue;
            }
            let mut ids: Vec<u32> = trie
                .tokens_in_subtree(range.start)
                .iter()
                .copied()
                .filter(|&t| codes.get(t as usize).is_some_and(|&c| c != NONE))
                .collect();
            for &t in &ids {
                first[t as usize] = byte;
            }
            ids.sort_unstable();
            let mut words: Vec<(u32, u32)> = Vec::new();
            for t in ids {
                match words.last_mut() {
                    Some((w, bits)) if *w == t >> 5 => *bits |= 1 << (t & 31),
                    _ => words.push((t >> 5, 1 << (t & 31))),
                }
            }
            by_first[byte as usize] = words.into();
        }
        // Each code's set also covers the same state with more characters.
        for c in (0..follow.len().saturating_sub(UTF8_STATES)).rev() {
            let deeper = follow[c + UTF8_STATES];
            follow[c].union(&deeper);
        }
        // Per node: the first byte on its path that no character has, and the set of such
        // first bytes of the tokens at or below it.
        let chars = char_bytes();
        let mut path_first: Vec<Option<u8>> = vec![None; trie.max_depth() + 1];
        let mut parents: Vec<u32> = vec![u32::MAX; trie.max_depth() + 1];
        let mut first_out: Vec<Option<u8>> = Vec::with_capacity(trie.len());
        let mut parent: Vec<u32> = Vec::with_capacity(trie.len());
        for node in 0..trie.len() {
            let depth = trie.depth(node);
            let byte = trie.byte(node);
            let here = path_first[depth].or((!chars.contains(byte)).then_some(byte));
            path_first[depth + 1] = here;
            first_out.push(here);
            parent.push(if depth == 0 { u32::MAX } else { parents[depth] });
            parents[depth + 1] = node as u32;
        }
        let mut below = vec![ByteSet::default(); trie.len()];
        for node in (0..trie.len()).rev() {
            if let (Some(x), false) = (first_out[node], trie.tokens_at(node).is_empty()) {
                below[node].insert(x);
            }
            if let Some(&p) = parent.get(node).filter(|&&p| p != u32::MAX) {
                let set = below[node];
                below[p as usize].union(&set);
            }
        }
        let mut outside = ByteSet::default();
        below.iter().for_each(|set| outside.union(set));
        let rest = (0..=255u8)
            .filter(|&x| outside.contains(x))
            .map(|x| {
                let sub = trie.restricted(
                    |node| below[node].contains(x),
                    |node, _| first_out[node] == Some(x),
                );
                (x, sub)
            })
            .collect();
        StringTokens {
            ascii: ascii.into(),
            rest,
            first: first.into(),
            by_first: by_first.into(),
            follow: follow.into(),
            codes: codes.into(),
            code_start: code_start.into(),
            by_code: by_code.into(),
            started: started.into_iter().map(Vec::into_boxed_slice).collect(),
            avoiding: Mutex::new(Vec::new()),
        }
    }

    /// The mask of the tokens of `trie` none of whose bytes past the first is in `dead`:
    /// what a template whose characters `dead` die after the first one allows at most.
    /// Kept per set: every position of a counted `pattern` class asks for the same one.
    pub(crate) fn avoiding(&self, trie: &TokenTrie, dead: &ByteSet) -> Arc<[u32]> {
        let lock = || self.avoiding.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let mut kept = lock();
            if let Some(i) = kept.iter().position(|(d, _)| d == dead) {
                let entry = kept.remove(i);
                let mask = entry.1.clone();
                kept.push(entry);
                return mask;
            }
        }
        let mut mask = vec![0u32; self.codes.len().div_ceil(32)];
        // Preorder, skipping the subtree below a dead byte past the first.
        let mut node = 0;
        while node < trie.len() {
            let depth = trie.depth(node);
            if depth >= 1 && dead.contains(trie.byte(node)) {
                node = trie.subtree_end(node);
                continue;
            }
            for &t in trie.tokens_at(node) {
                mask[t as usize >> 5] |= 1 << (t & 31);
            }
            node += 1;
        }
        let mask: Arc<[u32]> = mask.into();
        let mut kept = lock();
        if kept.len() >= AVOIDING_KEPT {
            kept.remove(0);
        }
        kept.push((*dead, mask.clone()));
        mask
    }

    /// Codes in use: every code of a string token is below this.
    pub(crate) fn num_codes(&self) -> usize {
        self.code_start.len() - 1
    }

    /// Layers of characters a template must cover: as many characters as a string token
    /// has (its codes are `< layers() * 8`), or a trie path has before a byte no character
    /// has (what a walk of the other tokens starts from).
    pub(crate) fn layers(&self) -> usize {
        self.num_codes().max(self.follow.len()).div_ceil(UTF8_STATES)
    }

    /// The bytes that follow a trie path of `chars` characters (or more) ending in decoder
    /// state `state`.
    fn follow(&self, chars: usize, state: u8) -> ByteSet {
        let c = chars * UTF8_STATES + state as usize;
        self.follow.get(c).copied().unwrap_or_default()
    }

    /// Per token id: its code, or [`NONE`].
    pub(crate) fn codes(&self) -> &Arc<[u16]> {
        &self.codes
    }

    /// Per token id: its first byte (meaningful for string tokens).
    pub(crate) fn first(&self) -> &Arc<[u8]> {
        &self.first
    }

    /// Whether some token has code `c`.
    pub(crate) fn is_used(&self, c: usize) -> bool {
        self.code_start[c] < self.code_start[c + 1]
    }

    /// The tokens that are not runs of string characters, a trie per first byte that no
    /// character has.
    pub(crate) fn rest(&self) -> &[(u8, TokenTrie)] {
        &self.rest
    }

    /// The mask of the string tokens whose code `alive` accepts, into `mask` (overwritten).
    /// One copy when the codes accepted are those of at most `k` characters begun (every
    /// string, a counted one included), otherwise a bit per token.
    /// With `ascii`, only tokens made of ASCII characters.
    pub(crate) fn mask_into(&self, mask: &mut [u32], ascii: bool, alive: impl Fn(usize) -> bool) {
        match self.prefix(&alive, ascii) {
            Some(Some(k)) => mask.copy_from_slice(&self.started[k]),
            Some(None) => mask.fill(0),
            None => {
                mask.fill(0);
                for c in (0..self.num_codes()).filter(|&c| alive(c)) {
                    let range = self.code_start[c] as usize..self.code_start[c + 1] as usize;
                    for &t in &self.by_code[range] {
                        mask[t as usize >> 5] |= 1 << (t & 31);
                    }
                }
            }
        }
        if ascii {
            mask.iter_mut().zip(self.ascii.iter()).for_each(|(m, a)| *m &= a);
        }
    }

    /// Adds to `mask` the string tokens that start with `byte` and whose code `alive`
    /// accepts (`alive` may accept any code no such token has); with `ascii`, only those
    /// made of ASCII characters.
    pub(crate) fn mask_first_into(
        &self,
        mask: &mut [u32],
        byte: u8,
        ascii: bool,
        alive: impl Fn(usize) -> bool,
    ) {
        let words = &self.by_first[byte as usize];
        let only = |w: u32| if ascii { self.ascii[w as usize] } else { u32::MAX };
        match self.prefix(&alive, ascii) {
            Some(Some(k)) => {
                let started = &self.started[k];
                for &(w, bits) in words.iter() {
                    mask[w as usize] |= bits & started[w as usize] & only(w);
                }
            }
            Some(None) => {}
            None => {
                for &(w, bits) in words.iter() {
                    let mut rest = bits & only(w);
                    while rest != 0 {
                        let t = (w << 5 | rest.trailing_zeros()) as usize;
                        if alive(self.codes[t] as usize) {
                            mask[w as usize] |= 1 << (t & 31);
                        }
                        rest &= rest - 1;
                    }
                }
            }
        }
    }

    /// When the codes `alive` accepts are exactly those of at most `k` characters begun:
    /// `Some(Some(k))`; `Some(None)` when it accepts none; `None` otherwise.
    /// With `ascii`, only codes that end on a character boundary are looked at: those are
    /// the codes of ASCII tokens, and a template that kills longer characters kills every
    /// partial code, which would otherwise make the mask a bit per token.
    fn prefix(&self, alive: &impl Fn(usize) -> bool, ascii: bool) -> Option<Option<usize>> {
        let looked_at = |c: usize| !ascii || c % UTF8_STATES == BOUNDARY as usize;
        // Per number of characters begun: whether some code is alive, and some dead.
        let mut begun_alive = vec![(false, false); self.layers() + 1];
        for c in (0..self.num_codes()).filter(|&c| looked_at(c) && self.is_used(c)) {
            let entry = &mut begun_alive[started_chars(c as u16)];
            if alive(c) {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
        let mut limit = None;
        let mut dead_seen = false;
        for (begun, &(any_alive, any_dead)) in begun_alive.iter().enumerate() {
            if any_alive && (any_dead || dead_seen) {
                return None;
            }
            dead_seen |= any_dead;
            if any_alive {
                limit = Some(begun);
            }
        }
        Some(limit)
    }

    /// Clears from `mask` the string tokens among `tokens`.
    pub(crate) fn clear(&self, mask: &mut [u32], tokens: &[u32]) {
        for &t in tokens {
            if self.codes[t as usize] != NONE {
                mask[t as usize >> 5] &= !(1 << (t & 31));
            }
        }
    }

    /// Clears from `mask` the string tokens that start with a byte of `first`. When those
    /// tokens outnumber the others (a template whose first character may be a digit and
    /// nothing else has some ninety exceptional first bytes), the others are gathered and
    /// kept instead: a pass over the mask's words rather than over most of the vocabulary.
    pub(crate) fn clear_first(&self, mask: &mut [u32], first: &ByteSet) {
        // The (word, bits) lists of the first bytes in `first`, or of the others.
        let lists = |inside: bool| {
            self.by_first
                .iter()
                .enumerate()
                .filter(move |(byte, _)| first.contains(*byte as u8) == inside)
                .map(|(_, words)| words)
        };
        let entries = |inside: bool| lists(inside).map(|words| words.len()).sum::<usize>();
        if entries(true) <= entries(false) + mask.len() {
            for &(w, bits) in lists(true).flat_map(|words| words.iter()) {
                mask[w as usize] &= !bits;
            }
            return;
        }
        let mut keep = vec![0u32; mask.len()];
        for &(w, bits) in lists(false).flat_map(|words| words.iter()) {
            keep[w as usize] |= bits;
        }
        mask.iter_mut().zip(&keep).for_each(|(m, k)| *m &= k);
    }
}

/// Characters a token of code `c` begins (an incomplete last one counts).
fn started_chars(c: u16) -> usize {
    let (chars, state) = (c as usize / UTF8_STATES, c as usize % UTF8_STATES);
    chars + usize::from(state != BOUNDARY as usize)
}

/// Splits the automaton's byte classes (a representative and its members) by what the
/// decoder does with them, keeping only bytes a string character can have: within one of
/// these, every byte is alike to both.
pub(crate) fn joint_classes(classes: &[(u8, ByteSet)]) -> Vec<(u8, ByteSet)> {
    let chars = char_bytes();
    let mut out: Vec<([Step; UTF8_STATES], u8, ByteSet)> = Vec::new();
    for (_, members) in classes {
        let mut split: Vec<([Step; UTF8_STATES], u8, ByteSet)> = Vec::new();
        for b in (0..=255u8).filter(|&b| members.contains(b) && chars.contains(b)) {
            let key: [Step; UTF8_STATES] = std::array::from_fn(|u| step(u as u8, b));
            match split.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, set)) => set.insert(b),
                None => {
                    let mut set = ByteSet::default();
                    set.insert(b);
                    split.push((key, b, set));
                }
            }
        }
        out.extend(split);
    }
    out.into_iter().map(|(_, rep, set)| (rep, set)).collect()
}

/// What the automaton does with string characters from one state: per number of characters
/// read and decoder state, the automaton state reached (`None`: dead).
#[derive(Debug)]
pub(crate) struct Template<S> {
    layers: Vec<Layer<S>>,
    /// Whether layers past the last repeat it (an unbounded string); otherwise they are dead.
    repeats: bool,
    /// First bytes whose subtrees the template does not cover: walk them.
    exceptions: ByteSet,
    /// Whether every character longer than a byte dies: then a token's code says where it
    /// leads only if it is ASCII (the decoder's model lets a dead multi-byte path reach a
    /// live count of characters).
    ascii: bool,
    /// ASCII characters that die after the first character while others go on (a
    /// `pattern` class such as `[0-9a-z_-]{1,255}`): only tokens without them past their
    /// first byte can be allowed by the template.
    dead_chars: ByteSet,
}

/// One layer of a template: per decoder state, its slot.
type Layer<S> = [Slot<S>; UTF8_STATES];

/// One (characters, decoder state) pair: not reached yet, dead, or a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot<S> {
    Unset,
    Dead,
    At(S),
}

impl<S: Copy + Eq> Template<S> {
    /// Every slot's state through `f` (each once), `None` for dead ones.
    pub(crate) fn map_states<T: Copy, E>(
        &self,
        mut f: impl FnMut(S) -> Result<T, E>,
    ) -> Result<Vec<[Option<T>; UTF8_STATES]>, E> {
        let mut out = Vec::with_capacity(self.layers.len());
        let mut last: Option<(S, T)> = None;
        for layer in &self.layers {
            let mut mapped = [None; UTF8_STATES];
            for (m, slot) in mapped.iter_mut().zip(layer) {
                if let Slot::At(s) = *slot {
                    *m = Some(match last {
                        Some((l, t)) if l == s => t,
                        _ => {
                            let t = f(s)?;
                            last = Some((s, t));
                            t
                        }
                    });
                }
            }
            out.push(mapped);
        }
        Ok(out)
    }

    /// Whether layers past the last repeat it.
    pub(crate) fn repeats(&self) -> bool {
        self.repeats
    }

    /// Whether only ASCII tokens can be allowed by the template.
    pub(crate) fn ascii(&self) -> bool {
        self.ascii
    }

    /// ASCII characters that die after the first character (see [`StringTokens::avoiding`]).
    pub(crate) fn dead_chars(&self) -> &ByteSet {
        &self.dead_chars
    }

    /// First bytes whose subtrees must be walked.
    pub(crate) fn exceptions(&self) -> &ByteSet {
        &self.exceptions
    }

    /// The states of the template's slots (some maybe more than once).
    pub(crate) fn states(&self) -> impl Iterator<Item = S> + '_ {
        self.layers.iter().flatten().filter_map(|s| match s {
            Slot::At(s) => Some(*s),
            Slot::Unset | Slot::Dead => None,
        })
    }

    /// Whether any string token can be allowed: some slot lives besides the start's own
    /// (no token reads nothing at all).
    pub(crate) fn is_live(&self) -> bool {
        self.layers.iter().flatten().skip(1).any(|s| matches!(s, Slot::At(_)))
    }
}

/// An automaton as [`explore`] sees it.
pub(crate) trait Transitions {
    /// A state.
    type State: Copy + Eq;
    /// Why a transition could not be taken.
    type Error;
    /// The state `byte` leads to from `state`; `None` when the input can no longer match.
    fn next(&mut self, state: Self::State, byte: u8) -> Result<Option<Self::State>, Self::Error>;
    /// Whether two states are interchangeable (`false` when unsure): a lazy DFA is not
    /// minimized, and two paths through one string class can reach distinct states that
    /// go to the same place on every byte.
    fn equivalent(&mut self, a: Self::State, b: Self::State) -> Result<bool, Self::Error>;
}

/// [`Template::at`] over layers already mapped by [`Template::map_states`].
pub(crate) fn at_in<T: Copy>(
    layers: &[[Option<T>; UTF8_STATES]],
    repeats: bool,
    c: usize,
) -> Option<T> {
    let (chars, state) = (c / UTF8_STATES, c % UTF8_STATES);
    match layers.get(chars) {
        Some(layer) => layer[state],
        None if repeats => layers.last()?[state],
        None => None,
    }
}

/// Matches the decoder against `machine` from `start`, for every (characters, decoder
/// state) pair and byte that some trie path of `strings` has, with `classes` from
/// [`joint_classes`]. `Ok(None)` when they disagree past the first byte.
pub(crate) fn explore<M: Transitions>(
    machine: &mut M,
    start: M::State,
    classes: &[(u8, ByteSet)],
    strings: &StringTokens,
) -> Result<Option<Template<M::State>>, M::Error> {
    let layers = strings.layers();
    let mut table: Vec<[Slot<M::State>; UTF8_STATES]> = vec![[Slot::Unset; UTF8_STATES]; 2];
    table[0][BOUNDARY as usize] = Slot::At(start);
    let mut exceptions = ByteSet::default();
    let mut ascii = false;

    // The first byte: a character goes where most first characters that live go (by
    // bytes); one that goes elsewhere, and any other first byte that disagrees, is an
    // exception.
    let root_follow = strings.follow(0, BOUNDARY);
    let mut targets: Vec<(Slot<M::State>, u32)> = Vec::new();
    let mut firsts: Vec<(usize, Slot<M::State>)> = Vec::new();
    for (i, (rep, members)) in classes.iter().enumerate() {
        if !members.intersects(&root_follow) {
            continue;
        }
        let target = slot(machine.next(start, *rep)?);
        if step(BOUNDARY, *rep) == Step::Char {
            match targets.iter_mut().find(|(t, _)| *t == target) {
                Some((_, n)) => *n += members.len(),
                None => targets.push((target, members.len())),
            }
        }
        firsts.push((i, target));
    }
    // Live targets first: a `pattern` class may have fewer characters than those it kills.
    let consensus = targets
        .iter()
        .max_by_key(|(t, n)| (matches!(t, Slot::At(_)), *n))
        .map_or(Slot::Dead, |(t, _)| *t);
    table[1][BOUNDARY as usize] = consensus;
    for (i, target) in firsts {
        let (rep, members) = &classes[i];
        let agrees = match step(BOUNDARY, *rep) {
            Step::Char => target == consensus,
            Step::Dead => target == Slot::Dead,
            Step::Partial(p) => settle(machine, &mut table[0][p as usize], target)?,
        };
        if !agrees {
            exceptions.union(members);
        }
    }

    // ASCII characters that die after the first while others go on, and those that go on:
    // no character may be in both (in any two layers whose next one lives).
    let (mut dead_chars, mut live_chars) = (ByteSet::default(), ByteSet::default());
    let mut k = 0;
    loop {
        let (mut dead_here, mut live_here) = (ByteSet::default(), ByteSet::default());
        for &u in &ORDER {
            if k == 0 && u == BOUNDARY {
                continue;
            }
            let here = table[k][u as usize];
            if here == Slot::Unset {
                continue;
            }
            let follow = strings.follow(k, u);
            for (rep, members) in classes {
                if !members.intersects(&follow) {
                    continue;
                }
                let target = match here {
                    Slot::At(s) => slot(machine.next(s, *rep)?),
                    _ => Slot::Dead,
                };
                let agrees = match step(u, *rep) {
                    Step::Dead => target == Slot::Dead,
                    Step::Char if u == BOUNDARY && k >= 1 && target == Slot::Dead => {
                        dead_here.union(members);
                        true
                    }
                    Step::Char => {
                        if u == BOUNDARY {
                            live_here.union(members);
                        }
                        settle(machine, &mut table[k + 1][BOUNDARY as usize], target)?
                    }
                    Step::Partial(p) => settle(machine, &mut table[k][p as usize], target)?,
                };
                if !agrees && here == Slot::Dead && u != BOUNDARY {
                    // A dead multi-byte character says nothing of where characters lead:
                    // fine if every multi-byte character dies (checked at the end).
                    ascii = true;
                } else if !agrees {
                    return Ok(None);
                }
            }
        }
        if k >= 1 && table[k][BOUNDARY as usize] != Slot::Unset {
            let next = &mut table[k + 1][BOUNDARY as usize];
            if matches!(next, Slot::At(_)) {
                // Some characters go on: one that dies here must die wherever it is read.
                dead_chars.union(&dead_here);
                live_chars.union(&live_here);
                if dead_chars.intersects(&live_chars) {
                    return Ok(None);
                }
            } else if dead_here != ByteSet::default() {
                // Every ASCII character dies here (the end of a counted string).
                if !settle(machine, next, Slot::Dead)? {
                    return Ok(None);
                }
            }
        }
        // Layer `k` is settled, every transition from it checked. Stop once nothing lives,
        // once it repeats the layer before (the bytes checked from a layer cover those of
        // every later one, so all later layers repeat it too), or past the longest path.
        let dead = |l: &Layer<M::State>| l.iter().all(|s| !matches!(s, Slot::At(_)));
        let end = if dead(&table[k]) {
            Some((k + 1, false))
        } else if k >= 1 && table[k] == table[k - 1] {
            Some((k, true))
        } else if k + 1 >= layers {
            Some((k + 1, false))
        } else {
            None
        };
        if let Some((len, repeats)) = end {
            table.truncate(len);
            let partial_lives = table.iter().any(|layer| {
                layer.iter().zip(0u8..).any(|(s, u)| u != BOUNDARY && matches!(s, Slot::At(_)))
            });
            if ascii && partial_lives {
                return Ok(None);
            }
            return Ok(Some(Template { layers: table, repeats, exceptions, ascii, dead_chars }));
        }
        k += 1;
        table.push([Slot::Unset; UTF8_STATES]);
    }
}

fn slot<S>(state: Option<S>) -> Slot<S> {
    state.map_or(Slot::Dead, Slot::At)
}

/// Settles a slot: sets it if unset, else checks that it agrees (an equivalent state
/// agrees; the slot keeps the one it has).
fn settle<M: Transitions>(
    machine: &mut M,
    slot: &mut Slot<M::State>,
    value: Slot<M::State>,
) -> Result<bool, M::Error> {
    match (*slot, value) {
        (Slot::Unset, _) => {
            *slot = value;
            Ok(true)
        }
        (Slot::At(a), Slot::At(b)) if a != b => machine.equivalent(a, b),
        (current, _) => Ok(current == value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoder_accepts_exactly_valid_string_characters() {
        // Every scalar value's encoding, and nothing else, decodes as one character.
        let decode = |bytes: &[u8]| -> bool {
            let mut state = BOUNDARY;
            for (i, &b) in bytes.iter().enumerate() {
                match step(state, b) {
                    Step::Char => return i + 1 == bytes.len(),
                    Step::Partial(p) => state = p,
                    Step::Dead => return false,
                }
            }
            false
        };
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            let want = !(c == '"' || c == '\\' || (c as u32) < 0x20);
            assert_eq!(decode(bytes), want, "{c:?}");
        }
        // Surrogates and overlong forms are not characters.
        assert!(!decode(&[0xED, 0xA0, 0x80]));
        assert!(!decode(&[0xC0, 0x80]));
        assert!(!decode(&[0xE0, 0x80, 0x80]));
        assert!(!decode(&[0xF4, 0x90, 0x80, 0x80]));
    }
}
