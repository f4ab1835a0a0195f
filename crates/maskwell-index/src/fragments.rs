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
        inside: FxHashMap::default(),
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
    /// The large groups at the top level of each text `count` scanned.
    inside: FxHashMap<&'p str, Vec<&'p str>>,
    /// Whether a text holds a repeated large group at some depth, so that splitting it
    /// saves parsing.
    pays: FxHashMap<&'p str, bool>,
    /// The HIR of each repeated group's inside, by its text.
    groups: FxHashMap<&'p str, Hir>,
}

impl<'p> Memo<'p> {
    fn count(&mut self, s: &'p str) -> Option<()> {
        let inners: Vec<&str> = top_level(s)?.iter().filter_map(|t| t.large).collect();
        for &inner in &inners {
            let n = self.seen.entry(inner).or_insert(0);
            *n += 1;
            if *n == 1 {
                self.count(inner)?;
            }
        }
        self.inside.insert(s, inners);
        Some(())
    }

    fn repeated(&self, inner: &str) -> bool {
        self.seen.get(inner).is_some_and(|&n| n > 1)
    }

    fn pays(&mut self, s: &'p str) -> bool {
        if let Some(&p) = self.pays.get(s) {
            return p;
        }
        // `count` has scanned every text this is asked about.
        let inners = self.inside.get(s).cloned().unwrap_or_default();
        let p = inners.into_iter().any(|g| self.repeated(g) || self.pays(g));
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
        let tops = top_level(s)?;
        let mut branches = Vec::new();
        let (mut start, mut first) = (0, 0);
        for (i, t) in tops.iter().enumerate() {
            if t.bar {
                branches.push(self.concat(s, start, t.open, &tops[first..i])?);
                (start, first) = (t.open + 1, i + 1);
            }
        }
        if branches.is_empty() {
            return self.concat(s, 0, s.len(), &tops);
        }
        branches.push(self.concat(s, start, s.len(), &tops[first..])?);
        Some(Hir::alternation(branches))
    }

    /// The branch `s[start..end]` (no top-level `|` inside): runs of plain text, parsed
    /// whole, between the large groups worth splitting, parsed through the memo. `tops` is
    /// what sits at the top level of the branch.
    fn concat(&mut self, s: &'p str, start: usize, end: usize, tops: &[Top<'p>]) -> Option<Hir> {
        if end - start < SMALL {
            return self.whole(&s[start..end]);
        }
        let mut items = Vec::new();
        let mut plain = start;
        for t in tops {
            let Some(inner) = t.large else { continue };
            let repeated = self.repeated(inner);
            if !repeated && !self.pays(inner) {
                continue;
            }
            let (rep, after) = quantifier(s.as_bytes(), t.close + 1)?;
            if plain < t.open {
                items.push(self.whole(&s[plain..t.open])?);
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
                Some(Quantifier { min, max, greedy }) => {
                    Hir::repetition(Repetition { min, max, greedy, sub: Box::new(sub) })
                }
                None => sub,
            });
            plain = after;
        }
        if plain < end {
            items.push(self.whole(&s[plain..end])?);
        }
        Some(Hir::concat(items))
    }
}

/// A group or a `|` at the top level of a pattern.
struct Top<'p> {
    /// Where the group's `(` or the `|` is.
    open: usize,
    /// Where the group's `)` is (`open` for a `|`).
    close: usize,
    /// The inside of a large `(?:…)` group.
    large: Option<&'p str>,
    bar: bool,
}

/// The groups and `|`s at the top level of `s`, in order; `None` when the splitter does
/// not model it (see [`matching_paren`]) or it is unbalanced.
fn top_level(s: &str) -> Option<Vec<Top<'_>>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => i = skip_class(bytes, i)?,
            b'(' => {
                let close = matching_paren(bytes, i)?;
                let large = (bytes[i + 1..].starts_with(b"?:") && close - i >= SMALL)
                    .then(|| &s[i + 3..close]);
                out.push(Top { open: i, close, large, bar: false });
                i = close + 1;
            }
            b'|' => {
                out.push(Top { open: i, close: i, large: None, bar: true });
                i += 1;
            }
            _ => i += 1,
        }
    }
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

/// A repetition operator after a group.
struct Quantifier {
    min: u32,
    max: Option<u32>,
    greedy: bool,
}

/// The repetition operator at `at`, if any, and the index past it; `None` when it is
/// malformed (regex-syntax will say how).
fn quantifier(bytes: &[u8], at: usize) -> Option<(Option<Quantifier>, usize)> {
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
    Some((Some(Quantifier { min, max, greedy }), end))
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
