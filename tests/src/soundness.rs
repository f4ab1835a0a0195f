//! Random walks through a compiled schema's automaton, for soundness checks: every string a
//! walk produces is in the language, so it must be a valid instance of the schema.
//!
//! The automaton is the one lazy indexes use: regex-automata's lazy DFA over the Thompson NFA
//! of the compiled regex, determinized one state at a time as the walk reaches it, so a
//! schema whose full DFA would be huge is walked as cheaply as a small one.
//!
//! A walk starts at the start state and, at each step, picks one of the states the live
//! bytes lead to (uniformly, then a byte among those leading there), so that a string state
//! closes its quote about as often as it takes another character. At an accepting state it
//! stops with probability 1/8; past a soft length it only takes bytes that bring an accepting
//! state closer, so every walk ends. How close a lazy DFA state is cannot be known without
//! exploring what lies beyond it, which grows exponentially in an open object; the Thompson
//! NFA knows it exactly: each NFA state's distance to the match is one backward search over a
//! graph linear in the regex, and a DFA state's is the least over the NFA states it stands
//! for. The tail of a walk therefore follows the NFA state set along with the DFA, and checks
//! that the two agree.

use std::collections::{HashMap, VecDeque};

use regex_automata::{
    hybrid::{
        dfa::{Cache, DFA},
        LazyStateID,
    },
    nfa::thompson,
    util::{primitives::StateID, start},
    Anchored, MatchKind,
};

/// A small, seedable generator (xorshift64*): walks are reproducible from their seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (any value; zero is remapped).
    #[must_use]
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// Why a walk could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkError {
    /// The regex does not compile to an NFA the walker can use (the message says why).
    Build(String),
    /// The lazy DFA's cache reached its capacity ([`CACHE_CAPACITY`]).
    CacheFull,
    /// The walk reached a state from which no accepting state can be reached, or the lazy
    /// DFA and the NFA disagree on where it is: a bug either way.
    NoWayOut {
        /// The bytes walked so far.
        prefix: Vec<u8>,
    },
}

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalkError::Build(message) => write!(f, "{message}"),
            WalkError::CacheFull => write!(f, "lazy DFA cache over {CACHE_CAPACITY} bytes"),
            WalkError::NoWayOut { prefix } => write!(
                f,
                "a dead end, or the lazy DFA and the NFA disagree, after {:?}",
                String::from_utf8_lossy(prefix)
            ),
        }
    }
}

/// Heap bytes the lazy DFA's cache may grow to before a check gives up (it is never
/// cleared: the walk keeps state ids across steps).
pub const CACHE_CAPACITY: usize = 512 << 20;

/// A compiled regex prepared for random walks.
#[derive(Debug)]
pub struct Walker {
    nfa: thompson::NFA,
    /// Per NFA state: the fewest bytes from it to the match (`u32::MAX`: none).
    distance: Vec<u32>,
    /// Per NFA state: the last closure that reached it (see [`Walker::closure`]).
    mark: Vec<u32>,
    generation: u32,
    dfa: DFA,
    cache: Cache,
    start: LazyStateID,
    /// Per byte class, its bytes.
    classes: Vec<Vec<u8>>,
    /// Per state seen: whether the output may end there.
    accepting: HashMap<LazyStateID, bool>,
    /// Per state seen: the live states its bytes lead to, each with the classes leading there.
    successors: HashMap<LazyStateID, Vec<(LazyStateID, Vec<u16>)>>,
}

impl Walker {
    /// Prepares `regex`, compiled to the NFA an index compiles it to
    /// ([`maskwell::index::compile_nfa`], within `config`'s limits).
    ///
    /// # Errors
    ///
    /// [`WalkError::Build`] when the regex does not compile, or its NFA has look-around or
    /// fail states (a lazy DFA state of such an NFA may be a dead end that looks alive).
    pub fn new(regex: &str, config: &maskwell::Config) -> Result<Walker, WalkError> {
        let nfa = maskwell::index::compile_nfa(regex, config)
            .map_err(|e| WalkError::Build(format!("NFA: {e}")))?;
        if nfa
            .states()
            .iter()
            .any(|s| matches!(s, thompson::State::Fail | thompson::State::Look { .. }))
        {
            return Err(WalkError::Build("the NFA has look-around or fail states".to_owned()));
        }
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .byte_classes(true)
                    .cache_capacity(CACHE_CAPACITY)
                    .skip_cache_capacity_check(true)
                    .minimum_cache_clear_count(Some(0)),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| WalkError::Build(format!("lazy DFA: {e}")))?;
        let mut cache = dfa.create_cache();
        let start = dfa
            .start_state(&mut cache, &start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| WalkError::CacheFull)?;
        let byte_classes = dfa.byte_classes();
        let mut classes = vec![Vec::new(); byte_classes.alphabet_len()];
        for b in 0..=255u8 {
            classes[byte_classes.get(b) as usize].push(b);
        }
        classes.retain(|c| !c.is_empty());
        let distance = nfa_distances(&nfa);
        Ok(Walker {
            mark: vec![0; nfa.states().len()],
            generation: 0,
            nfa,
            distance,
            dfa,
            cache,
            start,
            classes,
            accepting: HashMap::new(),
            successors: HashMap::new(),
        })
    }

    /// States determinized so far.
    #[must_use]
    pub fn num_states(&self) -> usize {
        self.successors.len().max(self.accepting.len())
    }

    /// Whether the output may end in `state` (regex-automata reports a match one transition
    /// late: at the end of input, that is the end-of-input transition).
    fn is_accepting(&mut self, state: LazyStateID) -> Result<bool, WalkError> {
        if let Some(&a) = self.accepting.get(&state) {
            return Ok(a);
        }
        let eoi =
            self.dfa.next_eoi_state(&mut self.cache, state).map_err(|_| WalkError::CacheFull)?;
        self.accepting.insert(state, eoi.is_match());
        Ok(eoi.is_match())
    }

    /// The live states `state`'s bytes lead to. A state with no NFA state in it (the one
    /// regex-automata enters a byte past a match, only to report it) has no way on and does
    /// not accept: it is left out. Every other non-dead state lies on a path to a match, the
    /// NFA having no fail or look-around states.
    fn successors(&mut self, state: LazyStateID) -> Result<&[(LazyStateID, Vec<u16>)], WalkError> {
        if !self.successors.contains_key(&state) {
            let mut out: Vec<(LazyStateID, Vec<u16>)> = Vec::new();
            for (class, bytes) in self.classes.clone().iter().enumerate() {
                let next = self
                    .dfa
                    .next_state(&mut self.cache, state, bytes[0])
                    .map_err(|_| WalkError::CacheFull)?;
                if next.is_dead() || next.is_quit() {
                    continue;
                }
                match out.iter_mut().find(|(t, _)| *t == next) {
                    Some((_, cs)) => cs.push(class as u16),
                    None => out.push((next, vec![class as u16])),
                }
            }
            let mut live = Vec::with_capacity(out.len());
            for (next, cs) in out {
                if !self.is_trap(next)? {
                    live.push((next, cs));
                }
            }
            self.successors.insert(state, live);
        }
        Ok(&self.successors[&state])
    }

    /// Whether `state` is a dead end: no byte leads anywhere and the input cannot end there.
    fn is_trap(&mut self, state: LazyStateID) -> Result<bool, WalkError> {
        if !state.is_match() || self.is_accepting(state)? {
            return Ok(false);
        }
        for bytes in &self.classes {
            let next = self
                .dfa
                .next_state(&mut self.cache, state, bytes[0])
                .map_err(|_| WalkError::CacheFull)?;
            if !next.is_dead() && !next.is_quit() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// One walk from the start state; `soft_len` bytes in, it heads for the nearest end.
    ///
    /// # Errors
    ///
    /// [`WalkError::CacheFull`] or [`WalkError::NoWayOut`] (see there).
    pub fn walk(&mut self, rng: &mut Rng, soft_len: usize) -> Result<Vec<u8>, WalkError> {
        let mut state = self.start;
        let mut out = Vec::new();
        while out.len() < soft_len {
            if self.is_accepting(state)? && rng.below(8) == 0 {
                return Ok(out);
            }
            let successors = self.successors(state)?;
            if successors.is_empty() {
                // Only an accepting state can have no way on; stop there.
                return Ok(out);
            }
            let (next, classes) = &successors[rng.below(successors.len())];
            let (next, class) = (*next, classes[rng.below(classes.len())]);
            let bytes = &self.classes[class as usize];
            out.push(bytes[rng.below(bytes.len())]);
            state = next;
        }
        // The tail: the NFA state set the prefix leads to, then down its distance.
        let no_way = |out: &[u8]| WalkError::NoWayOut { prefix: out.to_vec() };
        let mut set = self.closure(&[self.nfa.start_anchored()]);
        for &b in &out {
            set = self.step(&set, b);
        }
        let mut distance = self.set_distance(&set);
        while distance > 0 {
            if distance == u32::MAX {
                return Err(no_way(&out));
            }
            let mut closer = Vec::new();
            for class in 0..self.classes.len() {
                if self.distance_after(&set, self.classes[class][0]) == distance - 1 {
                    closer.push(class);
                }
            }
            let Some(&class) = closer.get(rng.below(closer.len().max(1))) else {
                return Err(no_way(&out));
            };
            let bytes = &self.classes[class];
            let byte = bytes[rng.below(bytes.len())];
            set = self.step(&set, byte);
            distance -= 1;
            out.push(byte);
            state = self
                .dfa
                .next_state(&mut self.cache, state, byte)
                .map_err(|_| WalkError::CacheFull)?;
            if state.is_dead() {
                return Err(no_way(&out));
            }
        }
        if !self.is_accepting(state)? {
            return Err(no_way(&out));
        }
        Ok(out)
    }

    /// The NFA states `from` reaches without reading a byte: the ones that read a byte or
    /// match.
    fn closure(&mut self, from: &[StateID]) -> Vec<StateID> {
        use thompson::State;
        // A state is seen in this closure when its mark is this closure's generation.
        self.generation += 1;
        let mut stack = from.to_vec();
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut self.mark[id.as_usize()], self.generation) == self.generation
            {
                continue;
            }
            match self.nfa.state(id) {
                State::Union { alternates } => stack.extend(alternates.iter().rev()),
                State::BinaryUnion { alt1, alt2 } => stack.extend([*alt2, *alt1]),
                State::Capture { next, .. } | State::Look { next, .. } => {
                    stack.push(*next);
                }
                State::Fail => {}
                State::ByteRange { .. }
                | State::Sparse(_)
                | State::Dense(_)
                | State::Match { .. } => {
                    out.push(id);
                }
            }
        }
        out
    }

    /// The NFA state set after reading `byte` in `set`.
    fn step(&mut self, set: &[StateID], byte: u8) -> Vec<StateID> {
        let next: Vec<StateID> = set.iter().filter_map(|&id| self.target(id, byte)).collect();
        self.closure(&next)
    }

    /// Where the NFA state `id` goes on `byte`, before its closure.
    fn target(&self, id: StateID, byte: u8) -> Option<StateID> {
        match self.nfa.state(id) {
            thompson::State::ByteRange { trans } => trans.matches_byte(byte).then_some(trans.next),
            thompson::State::Sparse(t) => t.matches_byte(byte),
            thompson::State::Dense(t) => t.matches_byte(byte),
            _ => None,
        }
    }

    /// The fewest bytes to the match after reading `byte` in `set`: a state's distance
    /// already counts the free edges out of it, so no closure is needed.
    fn distance_after(&self, set: &[StateID], byte: u8) -> u32 {
        set.iter()
            .filter_map(|&id| self.target(id, byte))
            .map(|id| self.distance[id.as_usize()])
            .min()
            .unwrap_or(u32::MAX)
    }

    /// The fewest bytes from `set` to the match.
    fn set_distance(&self, set: &[StateID]) -> u32 {
        set.iter().map(|id| self.distance[id.as_usize()]).min().unwrap_or(u32::MAX)
    }
}

/// Per NFA state, the fewest bytes from it to the match: a breadth-first search backwards
/// from the match states, reading a byte costing one and every other edge nothing.
fn nfa_distances(nfa: &thompson::NFA) -> Vec<u32> {
    use thompson::State;
    let n = nfa.states().len();
    // Reverse edges, each with its cost.
    let mut reverse: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
    let mut add = |from: usize, to: StateID, cost: u32| {
        reverse[to.as_usize()].push((from as u32, cost));
    };
    for (from, state) in nfa.states().iter().enumerate() {
        match state {
            State::ByteRange { trans } => add(from, trans.next, 1),
            State::Sparse(t) => t.transitions.iter().for_each(|t| add(from, t.next, 1)),
            State::Dense(t) => {
                let mut targets: Vec<_> =
                    t.transitions.iter().filter(|&&id| id != StateID::ZERO).collect();
                targets.sort_unstable();
                targets.dedup();
                targets.into_iter().for_each(|&id| add(from, id, 1));
            }
            State::Union { alternates } => alternates.iter().for_each(|&id| add(from, id, 0)),
            State::BinaryUnion { alt1, alt2 } => {
                add(from, *alt1, 0);
                add(from, *alt2, 0);
            }
            State::Capture { next, .. } | State::Look { next, .. } => {
                add(from, *next, 0);
            }
            State::Fail | State::Match { .. } => {}
        }
    }
    let mut distance = vec![u32::MAX; n];
    let mut queue = VecDeque::new();
    for (id, state) in nfa.states().iter().enumerate() {
        if matches!(state, State::Match { .. }) {
            distance[id] = 0;
            queue.push_back(id as u32);
        }
    }
    // 0-1 breadth-first search: free edges go to the front of the queue.
    while let Some(to) = queue.pop_front() {
        let d = distance[to as usize];
        for &(from, cost) in &reverse[to as usize] {
            if d + cost < distance[from as usize] {
                distance[from as usize] = d + cost;
                if cost == 0 {
                    queue.push_front(from);
                } else {
                    queue.push_back(from);
                }
            }
        }
    }
    distance
}

/// What random walks found for one schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every walk gave a valid instance (`walks` checked; walks whose numbers overflow a
    /// 64-bit float cannot be parsed for the validator and are not counted).
    Sound {
        /// Walks validated.
        walks: usize,
    },
    /// A walk gave a string that is not a valid instance.
    Violation {
        /// The string.
        text: String,
        /// What the validator (or the JSON parser) said.
        reason: String,
    },
    /// The schema could not be checked: it does not compile, its lazy DFA outgrew
    /// [`CACHE_CAPACITY`], or the validator refuses the schema.
    Skipped(String),
}

/// Compiles `schema` with the default options, walks its automaton `walks` times from
/// `seed`, and validates every output with the `jsonschema` crate, formats asserted.
#[must_use]
pub fn check_schema(schema: &serde_json::Value, walks: usize, seed: u64) -> Verdict {
    let compiled = match maskwell::schema::Compiler::new().compile(schema) {
        Ok(compiled) => compiled,
        Err(e) => return Verdict::Skipped(format!("does not compile: {e}")),
    };
    let mut walker = match Walker::new(compiled.regex(), &maskwell::Config::new()) {
        Ok(walker) => walker,
        Err(e) => return Verdict::Skipped(format!("automaton: {e}")),
    };
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&with_nullable_types(schema))
    {
        Ok(validator) => validator,
        Err(e) => return Verdict::Skipped(format!("validator: {e}")),
    };
    let mut rng = Rng::new(seed);
    let mut checked = 0;
    for _ in 0..walks {
        let bytes = match walker.walk(&mut rng, 256) {
            Ok(bytes) => bytes,
            Err(e @ WalkError::NoWayOut { .. }) => {
                return Verdict::Violation { text: String::new(), reason: e.to_string() }
            }
            Err(e) => return Verdict::Skipped(format!("walk: {e}")),
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                return Verdict::Violation {
                    text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    reason: format!("not UTF-8: {}", e.utf8_error()),
                }
            }
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(value) => value,
            Err(e) if e.to_string().contains("number out of range") => continue,
            Err(e) => return Verdict::Violation { text, reason: format!("not JSON: {e}") },
        };
        if let Some(error) = validator.iter_errors(&value).next() {
            return Verdict::Violation {
                text,
                reason: format!("{error} (at {})", error.instance_path()),
            };
        }
        checked += 1;
    }
    Verdict::Sound { walks: checked }
}

/// `schema` with OpenAPI's `nullable: true` written as JSON Schema says it: `null` added to
/// the node's `type`. The compiler gives `nullable` its OpenAPI meaning; a JSON Schema
/// validator takes it for an annotation.
#[must_use]
pub fn with_nullable_types(schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match schema {
        Value::Object(map) => {
            let mut out: serde_json::Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), with_nullable_types(v))).collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                match out.get_mut("type") {
                    Some(Value::String(t)) => {
                        let t = Value::String(std::mem::take(t));
                        out.insert("type".to_owned(), Value::Array(vec![t, "null".into()]));
                    }
                    Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
                        types.push("null".into());
                    }
                    _ => {}
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(with_nullable_types).collect()),
        other => other.clone(),
    }
}
