//! Whether string languages overlap or include one another: a product of small DFAs, for
//! `oneOf` and for intersecting patterns.
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
    inclusions: HashMap<(String, String), Option<bool>>,
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
            self.build_once(r);
        }
        let dfas: Option<Vec<&dense::DFA<Vec<u32>>>> =
            all.iter().map(|r| self.dfas.get(r).and_then(Option::as_ref)).collect();
        let answer = dfas.and_then(|d| search(&d));
        self.answers.insert(all, answer);
        answer
    }

    /// Whether every string that matches `sub` (as a whole) also matches `sup`: two
    /// string constraints where one implies the other intersect to the narrower one, e.g.
    /// `format: date` and `pattern: ^[0-9]{4}(-[0-9]{2})*$`. `None` when unknown, as
    /// for [`Overlaps::empty_intersection`].
    pub(crate) fn includes(&mut self, sup: &str, sub: &str) -> Option<bool> {
        let key = (sup.to_owned(), sub.to_owned());
        if let Some(answer) = self.inclusions.get(&key) {
            return *answer;
        }
        if self.inclusions.len() >= MAX_QUESTIONS {
            return None;
        }
        self.build_once(sup);
        self.build_once(sub);
        let get = |r: &str| self.dfas.get(r).and_then(Option::as_ref);
        let answer = match (get(sup), get(sub)) {
            (Some(sup), Some(sub)) => search_outside(sup, sub),
            _ => None,
        };
        self.inclusions.insert(key, answer);
        answer
    }

    /// Builds the DFA of `regex` unless this compile already tried.
    fn build_once(&mut self, regex: &str) {
        if !self.dfas.contains_key(regex) {
            self.dfas.insert(regex.to_owned(), build(regex));
        }
    }
}

/// Breadth-first search of the product of `sub` and `sup` for a string that `sub`
/// matches and `sup` does not: `Some(true)` when there is none.
fn search_outside(sup: &dense::DFA<Vec<u32>>, sub: &dense::DFA<Vec<u32>>) -> Option<bool> {
    let anchored = start::Config::new().anchored(Anchored::Yes);
    let first = (sub.start_state(&anchored).ok()?, sup.start_state(&anchored).ok()?);
    let mut seen = HashSet::from([first]);
    let mut queue = VecDeque::from([first]);
    while let Some((a, b)) = queue.pop_front() {
        if sub.is_match_state(sub.next_eoi_state(a)) && !sup.is_match_state(sup.next_eoi_state(b)) {
            return Some(false);
        }
        for byte in 0..=255u8 {
            let next = (sub.next_state(a, byte), sup.next_state(b, byte));
            if sub.is_dead_state(next.0) || seen.contains(&next) {
                continue;
            }
            if seen.len() >= MAX_PRODUCT_STATES {
                return None;
            }
            seen.insert(next);
            queue.push_back(next);
        }
    }
    Some(true)
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
    fn inclusion_needs_every_string() {
        let strict =
            |p: &str| crate::ecma::to_strict_value_regex(&crate::ecma::parse(p).unwrap()).unwrap();
        let mut o = Overlaps::default();
        let date = strict("^\\d{4}-\\d{2}-\\d{2}$");
        assert_eq!(o.includes(&strict("^[0-9]{4}(-[0-9]{2})*$"), &date), Some(true));
        assert_eq!(o.includes(&date, &strict("^[0-9]{4}(-[0-9]{2})*$")), Some(false));
        // Search semantics: `@` anywhere.
        assert_eq!(o.includes(&strict("@"), &strict("^[a-z]+@[a-z]+$")), Some(true));
        // A strict `$` does not take a final newline.
        assert_eq!(o.includes(&strict("^a$"), &strict("^a\\n?$")), Some(false));
    }

    #[test]
    fn bounds_give_unknown() {
        assert_eq!(Overlaps::default().empty_intersection(vec![]), None);
        assert_eq!(disjoint("(", "a"), None);
    }
}
