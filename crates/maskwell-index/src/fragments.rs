//! Parses a big regex once per distinct group.
//!
//! The schema compiler repeats sub-expressions verbatim: every open object carries the same
//! any-JSON-value expression (kilobytes of it), every string the same escape-aware
//! character class. regex-syntax parses each copy again (an AST, then the HIR, class by
//! class), and for such regexes that is most of the time to the first mask. [`parse`]
//! splits the pattern at its non-capturing groups, hands the text of each distinct group
//! to regex-syntax once, and assembles the HIR from copies of the results.
//!
//! The HIR is the one regex-syntax gives for the whole pattern, built by the same smart
//! constructors under the same configuration. Anything the splitter does not model (an
//! inline flag that changes the rest of a group, a syntax error anywhere, nesting near the
//! limit) makes it give up, and the caller parses the whole pattern as before, so errors
//! keep their messages and byte offsets.

use regex_automata::util::syntax;
use regex_syntax::hir::{Hir, Repetition};
use rustc_hash::FxHashMap;

/// Patterns and groups shorter than this go to regex-syntax whole: splitting them saves
/// nothing.
const SMALL: usize = 48;

/// The HIR of `pattern` under `config`, or `None` when the caller should parse it whole
/// (too short to gain, or something the splitter does not model).
pub(crate) fn parse(pattern: &str, config: &syntax::Config) -> Option<Hir> {
    if pattern.len() < 4 * SMALL {
        return None;
    }
    // regex-syntax counts a group, its alternation, a branch's concatenation and a
    // repetition as a level each; past the limit the whole parse reports the error.
    let depth = max_depth(pattern)?;
    if 4 * depth + 8 >= config.get_nest_limit() as usize {
        return None;
    }
    let mut memo = Memo {
        config: *config,
        seen: FxHashMap::default(),
        pays: FxHashMap::default(),
        groups: FxHashMap::default(),
    };
    memo.count(pattern)?;
    if !memo.pays(pattern) {
        return None;
    }
    memo.expr(pattern)
}

struct Memo<'p> {
    config: syntax::Config,
    /// How often each large `(?:…)` group's inside occurs (its copies inside a repeated
    /// group counted once).
    seen: FxHashMap<&'p str, u32>,
    /// Whether a text holds a repeated large group at some depth, so that splitting it
    /// saves parsing.
    pays: FxHashMap<&'p str, bool>,
    /// The HIR of each repeated group's inside, by its text.
    groups: FxHashMap<&'p str, Hir>,
}

impl<'p> Memo<'p> {
    fn count(&mut self, s: &'p str) -> Option<()> {
        for inner in large_groups(s)? {
            let n = self.seen.entry(inner).or_insert(0);
            *n += 1;
            if *n == 1 {
                self.count(inner)?;
            }
        }
        Some(())
    }

    fn pays(&mut self, s: &'p str) -> bool {
        if let Some(&p) = self.pays.get(s) {
            return p;
        }
        // `count` has scanned every text it is asked about, so the scan succeeds.
        let inners = large_groups(s).unwrap_or_default();
        let p =
            inners.into_iter().any(|g| self.seen.get(g).is_some_and(|&n| n > 1) || self.pays(g));
        self.pays.insert(s, p);
        p
    }

    fn whole(&self, s: &str) -> Option<Hir> {
        syntax::parse_with(s, &self.config).ok()
    }

    /// An alternation (or a single branch).
    fn expr(&mut self, s: &'p str) -> Option<Hir> {
        if s.len() < SMALL {
            return self.whole(s);
        }
        let branches = split_alternation(s)?;
        if branches.len() == 1 {
            return self.concat(s);
        }
        let hirs = branches.into_iter().map(|b| self.concat(b)).collect::<Option<Vec<_>>>()?;
        Some(Hir::alternation(hirs))
    }

    /// A branch without a top-level `|`: runs of plain text, parsed whole, between large
    /// `(?:…)` groups, parsed through the memo.
    fn concat(&mut self, s: &'p str) -> Option<Hir> {
        if s.len() < SMALL {
            return self.whole(s);
        }
        let bytes = s.as_bytes();
        let mut items = Vec::new();
        let mut plain = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'[' => i = skip_class(bytes, i)?,
                b'(' => {
                    let close = matching_paren(bytes, i)?;
                    let (rep, end) = quantifier(bytes, close + 1)?;
                    let group = bytes[i + 1..].starts_with(b"?:");
                    let inner = &s[(i + 3).min(close)..close];
                    let repeated = self.seen.get(inner).is_some_and(|&n| n > 1);
                    if group && close - i >= SMALL && (repeated || self.pays(inner)) {
                        if plain < i {
                            items.push(self.whole(&s[plain..i])?);
                        }
                        let sub = if !repeated {
                            self.expr(inner)?
                        } else if let Some(h) = self.groups.get(inner) {
                            h.clone()
                        } else {
                            let h = self.expr(inner)?;
                            self.groups.insert(inner, h.clone());
                            h
                        };
                        items.push(match rep {
                            Some((min, max, greedy)) => {
                                Hir::repetition(Repetition { min, max, greedy, sub: Box::new(sub) })
                            }
                            None => sub,
                        });
                        plain = end;
                    }
                    i = end;
                }
                _ => i += 1,
            }
        }
        if plain < bytes.len() {
            items.push(self.whole(&s[plain..])?);
        }
        Some(Hir::concat(items))
    }
}

/// The insides of the large `(?:…)` groups at the top level of `s`.
fn large_groups(s: &str) -> Option<Vec<&str>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => i = skip_class(bytes, i)?,
            b'(' => {
                let close = matching_paren(bytes, i)?;
                if bytes[i + 1..].starts_with(b"?:") && close - i >= SMALL {
                    out.push(&s[i + 3..close]);
                }
                i = close + 1;
            }
            _ => i += 1,
        }
    }
    Some(out)
}

/// The branches of `s` at its top level.
fn split_alternation(s: &str) -> Option<Vec<&str>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => i = skip_class(bytes, i)?,
            b'(' => i = matching_paren(bytes, i)? + 1,
            b'|' => {
                out.push(&s[start..i]);
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push(&s[start..]);
    Some(out)
}

/// The index just past the class that opens at `open`, nested classes included.
fn skip_class(bytes: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    if bytes.get(i) == Some(&b'^') {
        i += 1;
    }
    if bytes.get(i) == Some(&b']') {
        i += 1; // a leading `]` is literal
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => i = skip_class(bytes, i)?,
            b']' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The index of the `)` that closes the group opening at `open`; `None` for a bare flag
/// group such as `(?i)`, which changes the rest of its enclosing group.
fn matching_paren(bytes: &[u8], open: usize) -> Option<usize> {
    if bytes.get(open + 1) == Some(&b'?') {
        let flags_end = bytes[open + 2..].iter().position(|b| matches!(b, b')' | b':' | b'<'))?;
        if bytes[open + 2 + flags_end] == b')' {
            return None;
        }
    }
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => i = skip_class(bytes, i)?,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// The repetition operator at `at`, if any (`min`, `max`, greedy), and the index past it.
#[allow(clippy::type_complexity)]
fn quantifier(bytes: &[u8], at: usize) -> Option<(Option<(u32, Option<u32>, bool)>, usize)> {
    let (min, max, mut end) = match bytes.get(at) {
        Some(b'*') => (0, None, at + 1),
        Some(b'+') => (1, None, at + 1),
        Some(b'?') => (0, Some(1), at + 1),
        Some(b'{') => {
            let close = at + bytes[at..].iter().position(|&b| b == b'}')?;
            let body = std::str::from_utf8(&bytes[at + 1..close]).ok()?;
            let (min, max) = match body.split_once(',') {
                None => {
                    let n = body.parse().ok()?;
                    (n, Some(n))
                }
                Some((lo, "")) => (lo.parse().ok()?, None),
                Some((lo, hi)) => (lo.parse().ok()?, Some(hi.parse().ok()?)),
            };
            if max.is_some_and(|m| m < min) {
                return None; // let regex-syntax report it
            }
            (min, max, close + 1)
        }
        _ => return Some((None, at)),
    };
    let greedy = bytes.get(end) != Some(&b'?');
    if !greedy {
        end += 1;
    }
    Some((Some((min, max, greedy)), end))
}

/// The deepest nesting of groups and classes in `pattern`; `None` when it is unbalanced
/// (regex-syntax will say where).
fn max_depth(pattern: &str) -> Option<usize> {
    let bytes = pattern.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => {
                i = skip_class(bytes, i)?;
                max = max.max(depth + 1);
            }
            b'(' => {
                depth += 1;
                max = max.max(depth);
                i += 1;
            }
            b')' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (depth == 0).then_some(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> syntax::Config {
        syntax::Config::new().utf8(false).nest_limit(250)
    }

    fn same_as_whole(p: &str) {
        let whole = syntax::parse_with(p, &config()).unwrap();
        let split = parse(p, &config()).expect("split");
        assert_eq!(split, whole, "{p}");
    }

    const STRING: &str = r#""(?:[^"\\\x00-\x1F]|\\["\\/bfnrt]|\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))*""#;

    #[test]
    fn repeated_groups_give_the_whole_patterns_hir() {
        let value = format!("(?:null|true|false|-?(?:0|[1-9][0-9]*)|{STRING})");
        let member = format!("{STRING}: {value}");
        let object = format!(r"\{{(?:{member}(?:, {member}){{0,3}})?\}}");
        same_as_whole(&format!(r#"\{{"a": {object}, "b": (?:{object}|\[{value}*?\])\}}"#));
        same_as_whole(&format!("(?:{value})+|(?:{value}){{2,}}|x(?:{value}){{3}}y|"));
    }

    #[test]
    fn what_it_does_not_model_goes_whole() {
        let long = "a".repeat(4 * SMALL);
        assert!(parse(&format!("(?i){long}"), &config()).is_none());
        assert!(parse(&format!("{long}(?:b"), &config()).is_none());
        assert!(parse(&format!("{long}[b"), &config()).is_none());
        assert!(parse(&format!("{long}(?:b){{3,2}}"), &config()).is_none());
        assert!(parse(&format!("{long}(?:{long}\\"), &config()).is_none());
        assert!(parse("ab", &config()).is_none());
        // Nothing repeated: splitting would only add work.
        assert!(parse(&format!("(?:{long}x)(?:{long}y)"), &config()).is_none());
    }

    #[test]
    fn classes_and_named_groups_hide_their_parentheses() {
        let long = "(?:x|y)".repeat(2 * SMALL);
        same_as_whole(&format!(
            r"[()|][]a(][^]|)][[:alpha:]&&[^b]](?:{long})(?i:A|b)(?P<n>c|{long})(?:{long})"
        ));
        same_as_whole(&format!(r"\((?:{long}\)|\|)|(?:\[{long})|(?:{long}\)|\|)"));
    }
}
