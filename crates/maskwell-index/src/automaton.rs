//! Regex → byte DFA → a compact table of the states that can still reach a match.
//!
//! regex-automata determinizes the regex; this module then keeps only what the index
//! needs: the states reachable from the anchored start state that can still reach an
//! accepting state (a state that cannot is as good as dead: entering it would trap the
//! model), renumbered densely, with transitions over byte classes. The table is the
//! index's only view of the language, so other constructions (products, complements) can
//! produce one too.

use std::collections::VecDeque;

use regex_automata::{
    dfa::{dense, Automaton as _, StartKind},
    nfa::thompson,
    util::{start, syntax},
    Anchored, MatchKind,
};

use crate::{Config, Error};

/// The state number that stands for "no match is possible any more".
pub const DEAD: u32 = u32::MAX;

/// A deterministic automaton over bytes whose every state can reach an accepting state.
///
/// Built from a regex with [`Automaton::from_regex`]; the language is the set of byte
/// strings the *whole* of which match the regex (anchored at both ends).
///
/// ```
/// use maskwell_index::{Automaton, Config};
///
/// let dfa = Automaton::from_regex(r#"\{"a":[0-9]+\}"#, &Config::new())?;
/// assert!(dfa.matches(br#"{"a":42}"#));
/// assert!(!dfa.matches(br#"{"a":}"#));
/// assert!(!dfa.matches(br#"{"a":42}x"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Automaton {
    classes: [u8; 256],
    num_classes: usize,
    /// `trans[state * num_classes + class]`: the next state or [`DEAD`].
    trans: Vec<u32>,
    accepting: Vec<bool>,
    start: u32,
    /// States of the underlying DFA before pruning (for statistics).
    dfa_states: usize,
    dfa_memory: usize,
}

impl Automaton {
    /// Compiles a regex (regex-automata syntax, Unicode mode) to a byte automaton.
    ///
    /// # Errors
    ///
    /// [`Error::Regex`] when the regex does not parse or uses a feature a DFA cannot
    /// implement (Unicode `\b`); [`Error::Limit`] when it exceeds one of the configured
    /// size limits; [`Error::Inexpressible`] when its language is empty.
    pub fn from_regex(pattern: &str, config: &Config) -> Result<Automaton, Error> {
        Automaton::from_nfa(&compile_nfa(pattern, config)?, config)
    }

    /// Determinizes an NFA compiled by [`compile_nfa`] (a lazy build that could not use a
    /// lazy DFA falls back here without compiling the regex again).
    pub(crate) fn from_nfa(nfa: &thompson::NFA, config: &Config) -> Result<Automaton, Error> {
        let _span = tracing::debug_span!("dfa", nfa_states = nfa.states().len()).entered();
        let determinize = |minimize: bool| {
            dense::Builder::new()
                .configure(
                    dense::Config::new()
                        .start_kind(StartKind::Anchored)
                        .match_kind(MatchKind::All)
                        .byte_classes(true)
                        .accelerate(false)
                        .minimize(minimize)
                        .dfa_size_limit(Some(config.get_dfa_size_limit()))
                        .determinize_size_limit(Some(config.get_determinize_size_limit())),
                )
                .build_from_nfa(nfa)
                .map_err(|e| dfa_error(&e, config))
        };
        let automaton = Automaton::from_dfa(&determinize(false)?, config)?;
        if !config.get_minimize() || automaton.dfa_states > config.get_minimize_limit() {
            return Ok(automaton);
        }
        tracing::debug!(states = automaton.dfa_states, "minimizing");
        Automaton::from_dfa(&determinize(true)?, config)
    }

    /// Converts a regex-automata dense DFA (which must support anchored starts) into a
    /// pruned automaton.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] when more than [`Config::max_dfa_states`] states can reach a match;
    /// [`Error::Inexpressible`] when none can; [`Error::Regex`] when the DFA has no anchored
    /// start state.
    pub fn from_dfa(dfa: &dense::DFA<Vec<u32>>, config: &Config) -> Result<Automaton, Error> {
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .map_err(|e| Error::Regex { message: e.to_string(), offset: None, source: None })?;
        let byte_classes = dfa.byte_classes();
        let reps: Vec<u8> =
            byte_classes.representatives(0..=255).filter_map(|u| u.as_u8()).collect();
        let num_classes = reps.len();
        let mut classes = [0u8; 256];
        for (b, class) in classes.iter_mut().enumerate() {
            let rep = byte_classes.get(b as u8);
            *class = reps.iter().position(|&r| byte_classes.get(r) == rep).unwrap_or(0) as u8;
        }
        let is_gone = |s| dfa.is_dead_state(s) || dfa.is_quit_state(s);

        // Forward: every state reachable from the start, numbered in BFS order.
        let mut ids = std::collections::HashMap::new();
        let mut order = Vec::new();
        let mut queue = VecDeque::new();
        if !is_gone(start) {
            ids.insert(start, 0u32);
            order.push(start);
            queue.push_back(start);
        }
        let mut edges: Vec<u32> = Vec::new();
        while let Some(s) = queue.pop_front() {
            for &rep in &reps {
                let t = dfa.next_state(s, rep);
                let id = if is_gone(t) {
                    DEAD
                } else if let Some(&id) = ids.get(&t) {
                    id
                } else {
                    let id = order.len() as u32;
                    if order.len() >= config.get_max_dfa_states() {
                        return Err(Error::Limit {
                            limit: "DFA state limit",
                            setter: "max_dfa_states",
                            detail: format!("more than {} DFA states", config.get_max_dfa_states()),
                        });
                    }
                    ids.insert(t, id);
                    order.push(t);
                    queue.push_back(t);
                    id
                };
                edges.push(id);
            }
        }
        let n = order.len();
        let accepting: Vec<bool> =
            order.iter().map(|&s| dfa.is_match_state(dfa.next_eoi_state(s))).collect();

        // Backward: which states can reach an accepting one.
        let mut reverse: Vec<Vec<u32>> = vec![Vec::new(); n];
        for s in 0..n {
            for &t in &edges[s * num_classes..(s + 1) * num_classes] {
                if t != DEAD {
                    reverse[t as usize].push(s as u32);
                }
            }
        }
        let mut live = accepting.clone();
        let mut stack: Vec<u32> = (0..n as u32).filter(|&s| live[s as usize]).collect();
        while let Some(t) = stack.pop() {
            for &s in &reverse[t as usize] {
                if !live[s as usize] {
                    live[s as usize] = true;
                    stack.push(s);
                }
            }
        }
        if n == 0 || !live[0] {
            return Err(Error::Inexpressible { detail: ": the regex matches nothing".to_owned() });
        }

        // Renumber the live states, keeping BFS order (so the start state stays 0).
        let mut renumber = vec![DEAD; n];
        let mut next_id = 0u32;
        for s in 0..n {
            if live[s] {
                renumber[s] = next_id;
                next_id += 1;
            }
        }
        let mut trans = Vec::with_capacity(next_id as usize * num_classes);
        let mut acc = Vec::with_capacity(next_id as usize);
        for s in (0..n).filter(|&s| live[s]) {
            trans.extend(edges[s * num_classes..(s + 1) * num_classes].iter().map(|&t| {
                if t == DEAD {
                    DEAD
                } else {
                    renumber[t as usize]
                }
            }));
            acc.push(accepting[s]);
        }
        Ok(Automaton {
            classes,
            num_classes,
            trans,
            accepting: acc,
            start: 0,
            dfa_states: n,
            dfa_memory: dfa.memory_usage(),
        })
    }

    /// The start state.
    #[must_use]
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The state after `byte` from `state`, or [`DEAD`].
    ///
    /// # Panics
    ///
    /// When `state` is not a state of this automaton.
    #[inline]
    #[must_use]
    pub fn next(&self, state: u32, byte: u8) -> u32 {
        self.trans[state as usize * self.num_classes + self.classes[byte as usize] as usize]
    }

    /// Whether the input may end in `state`.
    #[must_use]
    pub fn is_accepting(&self, state: u32) -> bool {
        self.accepting.get(state as usize).copied().unwrap_or(false)
    }

    /// Whether the whole of `bytes` is in the language.
    #[must_use]
    pub fn matches(&self, bytes: &[u8]) -> bool {
        self.walk(self.start, bytes).is_some_and(|s| self.is_accepting(s))
    }

    /// The state after `bytes` from `state`, or `None` when no match remains possible.
    #[must_use]
    pub fn walk(&self, mut state: u32, bytes: &[u8]) -> Option<u32> {
        for &b in bytes {
            if state as usize >= self.accepting.len() {
                return None;
            }
            state = self.next(state, b);
        }
        (state != DEAD).then_some(state)
    }

    /// The number of states (all of them can reach an accepting state).
    #[must_use]
    pub fn num_states(&self) -> usize {
        self.accepting.len()
    }

    /// The number of byte equivalence classes.
    #[must_use]
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The byte-class map: bytes with the same class behave alike in every state.
    pub(crate) fn classes(&self) -> &[u8; 256] {
        &self.classes
    }

    /// The transition row of `state`, indexed by class.
    #[inline]
    pub(crate) fn row(&self, state: u32) -> &[u32] {
        let start = state as usize * self.num_classes;
        &self.trans[start..start + self.num_classes]
    }

    /// The number of states regex-automata's DFA had reachable before pruning dead ends.
    #[must_use]
    pub fn dfa_states(&self) -> usize {
        self.dfa_states
    }

    /// Heap memory held by this table, in bytes.
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        self.trans.capacity() * 4 + self.accepting.capacity()
    }

    /// Heap memory regex-automata's DFA used before conversion, in bytes.
    #[must_use]
    pub fn dfa_memory_usage(&self) -> usize {
        self.dfa_memory
    }
}

impl std::fmt::Debug for Automaton {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Automaton")
            .field("states", &self.num_states())
            .field("classes", &self.num_classes)
            .field("dfa_states", &self.dfa_states)
            .finish_non_exhaustive()
    }
}

/// Compiles a regex to the Thompson NFA both automata are built from: bytes, not UTF-8
/// (tokens may split a character), no captures, within the configured limits.
///
/// Public for tools that must walk exactly the automaton an index walks (the soundness
/// checks do); the NFA is regex-automata's type.
///
/// ```
/// let nfa = maskwell_index::compile_nfa("a|bc", &maskwell_index::Config::new())?;
/// assert!(nfa.states().len() > 3);
/// # Ok::<(), maskwell_index::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Limit`] when the regex is over [`Config::regex_len_limit`] or its NFA over
/// [`Config::nfa_size_limit`]; [`Error::Regex`] when it does not parse.
pub fn compile_nfa(pattern: &str, config: &Config) -> Result<thompson::NFA, Error> {
    if pattern.len() > config.get_regex_len_limit() {
        return Err(Error::Limit {
            limit: "regex length limit",
            setter: "regex_len_limit",
            detail: format!(
                "the regex is {} bytes, the limit is {}",
                pattern.len(),
                config.get_regex_len_limit()
            ),
        });
    }
    let span =
        tracing::debug_span!("nfa", regex_len = pattern.len(), nfa_states = tracing::field::Empty);
    let _entered = span.enter();
    let syntax = syntax::Config::new().utf8(false).nest_limit(config.get_nest_limit());
    let mut compiler = thompson::Compiler::new();
    compiler.syntax(syntax).configure(
        thompson::Config::new()
            .nfa_size_limit(Some(config.get_nfa_size_limit()))
            .which_captures(thompson::WhichCaptures::None),
    );
    // A schema's regex repeats big groups verbatim: compile each distinct one once.
    let limit = Some(config.get_nfa_size_limit());
    let nfa = match crate::fragments::compile(pattern, &syntax, limit) {
        Some(built) => built?,
        None => compiler.build(pattern).map_err(nfa_error)?,
    };
    span.record("nfa_states", nfa.states().len());
    Ok(nfa)
}

pub(crate) fn nfa_error(e: thompson::BuildError) -> Error {
    if let Some(limit) = e.size_limit() {
        return Error::Limit {
            limit: "NFA size limit",
            setter: "nfa_size_limit",
            detail: format!("compiling the regex needs more than {limit} bytes"),
        };
    }
    let syntax =
        std::error::Error::source(&e).and_then(|s| s.downcast_ref::<regex_syntax::Error>());
    let (message, offset) = match syntax {
        Some(regex_syntax::Error::Parse(p)) => (p.kind().to_string(), Some(p.span().start.offset)),
        Some(regex_syntax::Error::Translate(t)) => {
            (t.kind().to_string(), Some(t.span().start.offset))
        }
        _ => (e.to_string(), None),
    };
    Error::Regex { message, offset, source: Some(Box::new(e)) }
}

fn dfa_error(e: &dense::BuildError, config: &Config) -> Error {
    if e.is_size_limit_exceeded() {
        let text = e.to_string();
        let (limit, setter, value) = if text.starts_with("determinization exceeded") {
            (
                "determinization size limit",
                "determinize_size_limit",
                config.get_determinize_size_limit(),
            )
        } else {
            ("DFA size limit", "dfa_size_limit", config.get_dfa_size_limit())
        };
        return Error::Limit { limit, setter, detail: format!("{text} (limit {value} bytes)") };
    }
    Error::Regex { message: e.to_string(), offset: None, source: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dfa(p: &str) -> Automaton {
        Automaton::from_regex(p, &Config::new()).unwrap()
    }

    /// The default nesting limit is safe on a small thread stack, as rayon's workers have.
    #[test]
    fn deepest_default_nesting_fits_a_small_stack() {
        // Each `(?:b|..)*` is three levels: a group, an alternation and a repetition.
        let depth = Config::new().get_nest_limit() as usize / 3 - 1;
        let deep = format!("{}a{}", "(?:b|".repeat(depth), ")*".repeat(depth));
        let handle = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || Automaton::from_regex(&deep, &Config::new()).map(|a| a.matches(b"a")))
            .unwrap();
        assert!(handle.join().unwrap().unwrap());
    }

    #[test]
    fn whole_string_semantics() {
        let a = dfa("a|ab");
        assert!(a.matches(b"a"));
        assert!(a.matches(b"ab"));
        assert!(!a.matches(b"abb"));
        assert!(!a.matches(b""));
        assert!(dfa("x*").matches(b""));
    }

    #[test]
    fn dead_bytes_end_the_walk() {
        // Bytes outside the language lead nowhere; raw bytes work with `(?-u:..)`.
        let a = dfa("a[0-9]|b(?-u:\\xff)(?-u:[\\x00-\\x00])");
        assert!(a.walk(a.start(), b"a").is_some());
        assert!(a.walk(a.start(), b"c").is_none());
        assert!(a.matches(b"b\xff\x00"));
    }

    #[test]
    fn errors_name_place_and_limit() {
        let e = Automaton::from_regex("ab(c", &Config::new()).unwrap_err();
        assert_eq!(e.to_string(), "invalid regex: unclosed group at byte 2");
        let e = Automaton::from_regex("[a-z]{1000}{1000}", &Config::new()).unwrap_err();
        assert_eq!(e.kind().code(), "limit", "{e}");
        let e =
            Automaton::from_regex("[a-z]{200}[0-9]{0,200}x", &Config::new().dfa_size_limit(10_000))
                .unwrap_err();
        assert!(e.to_string().contains("dfa_size_limit"), "{e}");
        let e = Automaton::from_regex("abc", &Config::new().regex_len_limit(2)).unwrap_err();
        assert!(e.to_string().contains("regex_len_limit"), "{e}");
        let deep = format!("{}a{}", "(".repeat(300), ")".repeat(300));
        let e = Automaton::from_regex(&deep, &Config::new().nest_limit(250)).unwrap_err();
        assert!(e.to_string().contains("nested"), "{e}");
        let e = Automaton::from_regex(r"\b", &Config::new()).unwrap_err();
        assert_eq!(e.kind().code(), "regex", "{e}");
        let e = Automaton::from_regex("[a&&b]", &Config::new()).unwrap_err();
        assert_eq!(e.kind().code(), "inexpressible", "{e}");
    }
}
