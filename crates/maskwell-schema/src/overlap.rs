//! Whether string languages can overlap: a product of small DFAs, for `oneOf`.
//!
//! `oneOf` is exact only when at most one branch accepts each instance. For string
//! branches that differ by `pattern` (`^https?://` against `^git://`, `^ALIAS$` against
//! `^BLANK$`), no keyword comparison proves it, but the languages themselves can: each
//! branch is an intersection of regexes over the decoded value, and two branches are
//! disjoint when no string matches all the regexes of both. That is an emptiness check on
//! the product of their DFAs, a breadth-first search that stops at the first string in
//! common. DFAs and the search are bounded; past a bound the answer is "unknown", which
//! the caller treats as "may overlap".

use std::collections::{HashMap, HashSet, VecDeque};

use regex_automata::{
    dfa::{dense, Automaton, StartKind},
    nfa::thompson,
    util::{primitives::StateID, start},
    Anchored, MatchKind,
};

/// Memory for each DFA's transition table and for its determinization.
const DFA_BYTES: usize = 1 << 20;
/// Product states explored before giving up.
const MAX_PRODUCT_STATES: usize = 20_000;
/// Regexes in one product (each side's constraints together).
const MAX_REGEXES: usize = 8;

/// At most this many distinct questions per [`Overlaps`] (then "unknown").
const MAX_QUESTIONS: usize = 256;

/// Emptiness answers and the DFAs behind them, kept for one compile: recursive schemas
/// ask the same `oneOf` question at every level of their unrolling, and the branches of
/// one `oneOf` share their DFAs across pairs.
#[derive(Default)]
pub(crate) struct Overlaps {
    dfas: HashMap<String, Option<dense::DFA<Vec<u32>>>>,
    answers: HashMap<Vec<String>, Option<bool>>,
}

impl Overlaps {
    /// Whether no string matches every regex in `all` (each matched against the whole
    /// string). `None` when a regex does not compile within the bounds, the search would
    /// exceed them, or this compile has asked too many questions.
    pub(crate) fn empty_intersection(&mut self, all: Vec<String>) -> Option<bool> {
        if let Some(answer) = self.answers.get(&all) {
            return *answer;
        }
        if self.answers.len() >= MAX_QUESTIONS || all.is_empty() || all.len() > MAX_REGEXES {
            return None;
        }
        for r in &all {
            if !self.dfas.contains_key(r) {
                self.dfas.insert(r.clone(), build(r));
            }
        }
        let dfas: Option<Vec<&dense::DFA<Vec<u32>>>> =
            all.iter().map(|r| self.dfas.get(r).and_then(Option::as_ref)).collect();
        let answer = dfas.and_then(|d| search(&d));
        self.answers.insert(all, answer);
        answer
    }
}

/// Breadth-first search of the product of `dfas` for a string they all match.
fn search(dfas: &[&dense::DFA<Vec<u32>>]) -> Option<bool> {
    let starts: Vec<StateID> = dfas
        .iter()
        .map(|d| d.start_state(&start::Config::new().anchored(Anchored::Yes)).ok())
        .collect::<Option<_>>()?;
    let mut seen: HashSet<Vec<StateID>> = HashSet::new();
    let mut queue = VecDeque::from([starts.clone()]);
    seen.insert(starts);
    while let Some(tuple) = queue.pop_front() {
        if dfas.iter().zip(&tuple).all(|(d, &s)| d.is_match_state(d.next_eoi_state(s))) {
            return Some(false);
        }
        for byte in 0..=255u8 {
            let next: Vec<StateID> =
                dfas.iter().zip(&tuple).map(|(d, &s)| d.next_state(s, byte)).collect();
            if dfas.iter().zip(&next).any(|(d, &s)| d.is_dead_state(s)) || seen.contains(&next) {
                continue;
            }
            if seen.len() >= MAX_PRODUCT_STATES {
                return None;
            }
            seen.insert(next.clone());
            queue.push_back(next);
        }
    }
    Some(true)
}

fn build(regex: &str) -> Option<dense::DFA<Vec<u32>>> {
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Anchored)
                .match_kind(MatchKind::All)
                .dfa_size_limit(Some(DFA_BYTES))
                .determinize_size_limit(Some(DFA_BYTES)),
        )
        .thompson(thompson::Config::new().nfa_size_limit(Some(DFA_BYTES)))
        .build(&format!("(?:{regex})$"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::Overlaps;

    fn disjoint(a: &str, b: &str) -> Option<bool> {
        Overlaps::default().empty_intersection(vec![a.to_owned(), b.to_owned()])
    }

    #[test]
    fn anchored_prefixes() {
        assert_eq!(disjoint("https?://.*", "git://.*"), Some(true));
        assert_eq!(disjoint("https?://.*", "http.*"), Some(false));
        assert_eq!(disjoint("ALIAS", "BLANK"), Some(true));
    }

    #[test]
    fn the_whole_string_must_match() {
        // "ab" matches neither `a` as a whole: no common string is "a" + something.
        assert_eq!(disjoint("a", "ab"), Some(true));
        assert_eq!(disjoint("a.*", ".*b"), Some(false));
        assert_eq!(disjoint("[0-9]+", "[a-z]+"), Some(true));
        assert_eq!(disjoint("", "x?"), Some(false));
    }

    #[test]
    fn unicode_classes_meet_on_characters() {
        assert_eq!(disjoint("é", "[à-ÿ]"), Some(false));
        assert_eq!(disjoint("é", "[a-z]"), Some(true));
    }

    fn pattern(p: &str) -> String {
        crate::ecma::to_value_regex(&crate::ecma::parse_wide(p).unwrap()).unwrap()
    }

    #[test]
    fn patterns_are_searched_not_matched() {
        // Unanchored patterns meet in a string that contains both.
        assert_eq!(disjoint(&pattern("customer"), &pattern("maker")), Some(false));
        assert_eq!(disjoint(&pattern("^https?://"), &pattern("^git://")), Some(true));
        assert_eq!(disjoint(&pattern("^ALIAS$"), &pattern("^BLANK$")), Some(true));
        // Lower- and upper-case hex meet on digits.
        assert_eq!(disjoint(&pattern("^[0-9a-f]{8}$"), &pattern("^[0-9A-F]{8}$")), Some(false));
        // `$` ends the value (or its final newline): `^a$` and `^a.` share no string...
        assert_eq!(disjoint(&pattern("^a$"), &pattern("^a.")), Some(true));
        // ... but `^a$` and `^a\s` do, "a\n" for a validator with Python's `$`.
        assert_eq!(disjoint(&pattern("^a$"), &pattern("^a\\s")), Some(false));
        // `\d` may be a Unicode digit: it meets Arabic-Indic digits.
        assert_eq!(disjoint(&pattern("^\\d$"), &pattern("^[٠-٩]$")), Some(false));
    }

    #[test]
    fn answers_are_remembered() {
        let mut o = Overlaps::default();
        let q = vec!["a+".to_owned(), "b+".to_owned()];
        assert_eq!(o.empty_intersection(q.clone()), Some(true));
        assert_eq!(o.empty_intersection(q), Some(true));
        assert_eq!((o.answers.len(), o.dfas.len()), (1, 2));
    }

    #[test]
    fn bounds_give_unknown() {
        assert_eq!(Overlaps::default().empty_intersection(vec![]), None);
        assert_eq!(disjoint("(", "a"), None);
    }
}
