//! Random walks through a compiled schema's automaton, for soundness checks: every string a
//! walk produces is in the language, so it must be a valid instance of the schema.
//!
//! A walk starts at the start state and, at each step, picks one of the states the live
//! bytes lead to (uniformly, then a byte among those leading there), so that a string state
//! closes its quote about as often as it takes another character. At an accepting state it
//! stops with probability 1/8; past a soft length it only takes bytes that bring an accepting
//! state closer (distances from a backward breadth-first search), so every walk ends.

use maskwell::{index::DEAD, Automaton};

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

/// An automaton prepared for random walks.
#[derive(Debug)]
pub struct Walker {
    automaton: Automaton,
    /// Per state: the fewest bytes to an accepting state.
    distance: Vec<u32>,
}

impl Walker {
    /// Prepares `automaton` (every state of which can reach an accepting one).
    #[must_use]
    pub fn new(automaton: Automaton) -> Walker {
        let n = automaton.num_states();
        let mut reverse: Vec<Vec<u32>> = vec![Vec::new(); n];
        for s in 0..n as u32 {
            let mut seen = std::collections::HashSet::new();
            for b in 0..=255u8 {
                let t = automaton.next(s, b);
                if t != DEAD && seen.insert(t) {
                    reverse[t as usize].push(s);
                }
            }
        }
        let mut distance = vec![u32::MAX; n];
        let mut queue = std::collections::VecDeque::new();
        for s in 0..n as u32 {
            if automaton.is_accepting(s) {
                distance[s as usize] = 0;
                queue.push_back(s);
            }
        }
        while let Some(t) = queue.pop_front() {
            for &s in &reverse[t as usize] {
                if distance[s as usize] == u32::MAX {
                    distance[s as usize] = distance[t as usize] + 1;
                    queue.push_back(s);
                }
            }
        }
        Walker { automaton, distance }
    }

    /// The automaton walked.
    #[must_use]
    pub fn automaton(&self) -> &Automaton {
        &self.automaton
    }

    /// One walk from the start state; `soft_len` bytes in, it heads for the nearest end.
    pub fn walk(&self, rng: &mut Rng, soft_len: usize) -> Vec<u8> {
        let a = &self.automaton;
        let mut state = a.start();
        let mut out = Vec::new();
        let mut targets: Vec<(u32, Vec<u8>)> = Vec::new();
        loop {
            if a.is_accepting(state) && (out.len() >= soft_len || rng.below(8) == 0) {
                return out;
            }
            targets.clear();
            for b in 0..=255u8 {
                let next = a.next(state, b);
                if next == DEAD {
                    continue;
                }
                if out.len() >= soft_len
                    && self.distance[next as usize] >= self.distance[state as usize]
                {
                    continue;
                }
                match targets.iter_mut().find(|(t, _)| *t == next) {
                    Some((_, bytes)) => bytes.push(b),
                    None => targets.push((next, vec![b])),
                }
            }
            let Some((next, bytes)) = (!targets.is_empty()).then(|| {
                let (next, bytes) = &targets[rng.below(targets.len())];
                (*next, bytes)
            }) else {
                // Only an accepting state can have no way on; stop there.
                return out;
            };
            out.push(bytes[rng.below(bytes.len())]);
            state = next;
        }
    }
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
    /// The schema could not be checked: it does not compile, its automaton is over the
    /// budget, or the validator refuses the schema.
    Skipped(String),
}

/// Most automaton states a soundness check walks (the distance table is per state).
pub const MAX_STATES: usize = 50_000;

/// Compiles `schema` with the default options, walks its automaton `walks` times from
/// `seed`, and validates every output with the `jsonschema` crate, formats asserted.
#[must_use]
pub fn check_schema(schema: &serde_json::Value, walks: usize, seed: u64) -> Verdict {
    let compiled = match maskwell::schema::Compiler::new().compile(schema) {
        Ok(compiled) => compiled,
        Err(e) => return Verdict::Skipped(format!("does not compile: {e}")),
    };
    let config = maskwell::Config::new()
        .dfa_size_limit(64 << 20)
        .determinize_size_limit(64 << 20)
        .max_dfa_states(MAX_STATES)
        .minimize(false);
    let automaton = match Automaton::from_regex(compiled.regex(), &config) {
        Ok(automaton) => automaton,
        Err(e) => return Verdict::Skipped(format!("automaton: {e}")),
    };
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&with_nullable_types(schema))
    {
        Ok(validator) => validator,
        Err(e) => return Verdict::Skipped(format!("validator: {e}")),
    };
    let walker = Walker::new(automaton);
    let mut rng = Rng::new(seed);
    let mut checked = 0;
    for _ in 0..walks {
        let bytes = walker.walk(&mut rng, 256);
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
