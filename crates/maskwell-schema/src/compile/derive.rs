//! Intersection with a pattern that fixes how a string starts, by derivatives.
//!
//! The common pair of string constraints that no keyword comparison can merge is a
//! format (or a long pattern) and a short pattern that pins the start: `format: uri` with
//! `^https?://`, `format: uri` with `^mailto:`, `^tuple$` with `^[a-z]+$`. The short side
//! is a finite set of words `W`, each either the whole string or a prefix. The strings of
//! the long side `L` that start with `w` are `w` followed by the *derivative* of `L` by
//! `w` (Brzozowski), which is computed on the pattern AST itself and stays about the size
//! of `L`. The intersection is exact: `⋃ w·(w⁻¹L)` over the prefix words, plus the whole
//! words that `L` accepts.

use crate::ecma::{self, split_anchors, Node};

/// Most words the fixed side may expand to.
const MAX_WORDS: usize = 32;
/// Most characters of one character class the fixed side may expand.
const MAX_CLASS: u32 = 8;
/// How much larger than the long side the result may grow, in AST nodes.
const GROWTH: usize = 4;
const SLACK: usize = 256;

/// `a ∩ b` when one of them is a finite set of anchored words or word prefixes; `None`
/// when neither is, or the result would grow past the bounds. An empty intersection is
/// returned as a pattern that matches nothing.
pub(super) fn intersect_prefixed(a: &Node, b: &Node) -> Option<Node> {
    for (fixed, long) in [(a, b), (b, a)] {
        let Some(words) = fixed_words(fixed) else { continue };
        let Some(long) = full_match(long) else { continue };
        let limit = size(&long) * GROWTH + SLACK;
        let mut alts = Vec::new();
        for (word, open_end) in words {
            let mut rest = long.clone();
            for &c in &word {
                rest = derive(&rest, c);
                if is_nothing(&rest) || size(&rest) > limit {
                    break;
                }
            }
            if is_nothing(&rest) {
                continue;
            }
            if size(&rest) > limit {
                return None;
            }
            let lit = word.iter().map(|&c| Node::Class(vec![(c, c)]));
            if open_end {
                alts.push(concat(lit.chain([rest]).collect()));
            } else if nullable(&rest) {
                alts.push(concat(lit.collect()));
            }
        }
        return Some(Node::Concat(vec![Node::Start, alt(alts), Node::End]));
    }
    None
}

/// The words of a pattern whose every branch is anchored at the start and spells a small
/// finite set, with whether each may be followed by anything (no `$`).
fn fixed_words(n: &Node) -> Option<Vec<(Vec<u32>, bool)>> {
    let mut out = Vec::new();
    for (start, body, end) in split_anchors(n).ok()? {
        if !start {
            return None;
        }
        for w in words(&body)? {
            out.push((w, !end));
            if out.len() > MAX_WORDS {
                return None;
            }
        }
    }
    Some(out)
}

/// Every string of a finite language, or `None` when it is infinite or too large.
fn words(n: &Node) -> Option<Vec<Vec<u32>>> {
    Some(match n {
        Node::Empty | Node::Start | Node::End => vec![vec![]],
        Node::Class(r) => {
            let count: u32 = r.iter().map(|&(a, b)| b - a + 1).sum();
            if count > MAX_CLASS {
                return None;
            }
            r.iter().flat_map(|&(a, b)| a..=b).map(|c| vec![c]).collect()
        }
        Node::Concat(items) => {
            let mut acc = vec![vec![]];
            for item in items {
                acc = product(&acc, &words(item)?)?;
            }
            acc
        }
        Node::Alt(items) => {
            let mut acc = Vec::new();
            for item in items {
                acc.extend(words(item)?);
                if acc.len() > MAX_WORDS {
                    return None;
                }
            }
            acc
        }
        Node::Repeat(inner, lo, hi) => {
            let hi = (*hi)?;
            let once = words(inner)?;
            let mut acc = Vec::new();
            let mut power = vec![vec![]];
            for k in 0..=hi {
                if k >= *lo {
                    acc.extend(power.iter().cloned());
                }
                if k == hi {
                    break;
                }
                power = product(&power, &once)?;
            }
            if acc.len() > MAX_WORDS {
                return None;
            }
            acc
        }
    })
}

/// Every word of `heads` followed by every word of `tails`, unless that is too many.
fn product(heads: &[Vec<u32>], tails: &[Vec<u32>]) -> Option<Vec<Vec<u32>>> {
    if heads.len() * tails.len() > MAX_WORDS {
        return None;
    }
    Some(heads.iter().flat_map(|h| tails.iter().map(move |t| [h.as_slice(), t].concat())).collect())
}

/// The pattern as a node without anchors that matches whole strings (search semantics
/// made explicit: an unanchored side may be followed or preceded by anything).
fn full_match(n: &Node) -> Option<Node> {
    let any = || Node::Repeat(Box::new(Node::Class(ecma::negate(&vec![]))), 0, None);
    let branches = split_anchors(n).ok()?;
    Some(alt(branches
        .into_iter()
        .map(|(start, body, end)| {
            let mut items = Vec::new();
            if !start {
                items.push(any());
            }
            items.push(body);
            if !end {
                items.push(any());
            }
            concat(items)
        })
        .collect()))
}

/// The strings `s` such that `c·s` matches `n`.
fn derive(n: &Node, c: u32) -> Node {
    match n {
        Node::Empty | Node::Start | Node::End => nothing(),
        Node::Class(r) => {
            if r.iter().any(|&(a, b)| a <= c && c <= b) {
                Node::Empty
            } else {
                nothing()
            }
        }
        Node::Alt(items) => alt(items.iter().map(|i| derive(i, c)).collect()),
        Node::Concat(items) => {
            let Some((head, tail)) = items.split_first() else { return nothing() };
            let tail = concat(tail.to_vec());
            let first = concat(vec![derive(head, c), tail.clone()]);
            if nullable(head) {
                alt(vec![first, derive(&tail, c)])
            } else {
                first
            }
        }
        Node::Repeat(inner, lo, hi) => {
            if *hi == Some(0) {
                return nothing();
            }
            let lo = if nullable(inner) { 0 } else { lo.saturating_sub(1) };
            let rest = Node::Repeat(inner.clone(), lo, hi.map(|h| h - 1));
            concat(vec![derive(inner, c), rest])
        }
    }
}

fn nothing() -> Node {
    Node::Class(Vec::new())
}

fn is_nothing(n: &Node) -> bool {
    match n {
        Node::Class(r) => r.is_empty(),
        Node::Concat(items) => items.iter().any(is_nothing),
        Node::Alt(items) => items.iter().all(is_nothing),
        Node::Repeat(inner, lo, _) => *lo > 0 && is_nothing(inner),
        Node::Empty | Node::Start | Node::End => false,
    }
}

fn nullable(n: &Node) -> bool {
    match n {
        Node::Empty | Node::Start | Node::End => true,
        Node::Class(_) => false,
        Node::Concat(items) => items.iter().all(nullable),
        Node::Alt(items) => items.iter().any(nullable),
        Node::Repeat(inner, lo, _) => *lo == 0 || nullable(inner),
    }
}

fn size(n: &Node) -> usize {
    match n {
        Node::Concat(items) | Node::Alt(items) => 1 + items.iter().map(size).sum::<usize>(),
        Node::Repeat(inner, _, _) => 1 + size(inner),
        _ => 1,
    }
}

/// Concatenation that drops empty parts and flattens, and is nothing if a part is.
fn concat(items: Vec<Node>) -> Node {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::Empty | Node::Repeat(_, 0, Some(0)) => {}
            Node::Concat(inner) => out.extend(inner),
            n if is_nothing(&n) => return nothing(),
            n => out.push(n),
        }
    }
    match out.len() {
        0 => Node::Empty,
        1 => out.pop().unwrap_or(Node::Empty),
        _ => Node::Concat(out),
    }
}

/// Alternation that drops branches matching nothing and duplicates, and flattens.
fn alt(items: Vec<Node>) -> Node {
    let mut out: Vec<Node> = Vec::with_capacity(items.len());
    for item in items {
        let parts = match item {
            Node::Alt(inner) => inner,
            n => vec![n],
        };
        for p in parts {
            if !is_nothing(&p) && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    match out.len() {
        0 => nothing(),
        1 => out.pop().unwrap_or_else(nothing),
        _ => Node::Alt(out),
    }
}

#[cfg(test)]
mod tests {
    use super::intersect_prefixed;
    use crate::ecma::{parse, search};

    fn meet(a: &str, b: &str) -> crate::ecma::Node {
        intersect_prefixed(&parse(a).unwrap(), &parse(b).unwrap()).expect("intersects")
    }

    fn accepts(n: &crate::ecma::Node, s: &str) -> bool {
        search(n, s).expect("within budget")
    }

    #[test]
    fn a_prefix_narrows_the_scheme() {
        let uri = "^[A-Za-z][A-Za-z0-9+.-]*://[a-z.]+(?:/[a-z]*)*$";
        let n = meet("^https?://", uri);
        for s in ["http://a.b", "https://x/y"] {
            assert!(accepts(&n, s), "{s}");
        }
        for s in ["ftp://a.b", "https:/a", "httpx://a", "http://A", "xhttp://a"] {
            assert!(!accepts(&n, s), "{s}");
        }
        // Either side may be the fixed one.
        assert!(accepts(&meet(uri, "^(?:https|file)://"), "file://a"));
    }

    #[test]
    fn whole_words_are_kept_when_the_other_side_accepts_them() {
        let n = meet("^(?:tuple|list|x1)$", "^[a-z]+$");
        assert!(accepts(&n, "tuple") && accepts(&n, "list"));
        assert!(!accepts(&n, "x1") && !accepts(&n, "tuples"));
        // Nothing in common: a pattern that matches nothing.
        assert!(!accepts(&meet("^abc$", "^[0-9]+$"), "abc"));
    }

    #[test]
    fn unanchored_long_side_keeps_search_semantics() {
        // `b` anywhere after the prefix, including inside it.
        let n = meet("^ab", "b");
        assert!(accepts(&n, "ab") && accepts(&n, "abzz"));
        let n = meet("^a", "b");
        assert!(accepts(&n, "axxb") && !accepts(&n, "axx"));
    }

    #[test]
    fn counted_repeats_and_nullable_bodies() {
        let n = meet("^ab", "^(?:a?b?){2}c$");
        assert!(accepts(&n, "abc") && accepts(&n, "ababc") && !accepts(&n, "abbbc"));
        let n = meet("^x{2}", "^x{1,3}$");
        assert!(accepts(&n, "xx") && accepts(&n, "xxx") && !accepts(&n, "x"));
    }

    #[test]
    fn open_ended_or_large_fixed_sides_are_not_taken() {
        let p = |s| parse(s).unwrap();
        assert!(intersect_prefixed(&p("^a+"), &p("^b+")).is_none());
        assert!(intersect_prefixed(&p("^[a-z]{3}"), &p("^b+")).is_none());
        assert!(intersect_prefixed(&p("a"), &p("b")).is_none());
    }
}
