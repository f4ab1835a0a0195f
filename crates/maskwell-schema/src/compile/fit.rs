//! Length constraints on pattern languages: sub-languages of a pattern AST whose strings
//! fit `minLength`/`maxLength` (by raising or bounding repetitions), and simple pattern
//! intersections. Every result is a subset of the input language.

use crate::ecma::{self, Node};

/// Intersection of two patterns where one of them only restricts the character set and
/// is anchored at both ends (`^[a-z]*$`, `^\S+$`): restrict every class of the other.
pub(super) fn intersect_simple(a: &Node, b: &Node) -> Option<Node> {
    fn charset_only(n: &Node) -> Option<(ecma::Ranges, u32, Option<u32>)> {
        let Node::Concat(items) = n else { return None };
        if items.len() != 3 || items[0] != Node::Start || items[2] != Node::End {
            return None;
        }
        match &items[1] {
            Node::Repeat(inner, lo, hi) => match inner.as_ref() {
                Node::Class(r) => Some((r.clone(), *lo, *hi)),
                _ => None,
            },
            _ => None,
        }
    }
    fn restrict(n: &Node, r: &ecma::Ranges) -> Node {
        match n {
            Node::Class(c) => Node::Class(ecma::intersect(c, r)),
            Node::Concat(v) => Node::Concat(v.iter().map(|x| restrict(x, r)).collect()),
            Node::Alt(v) => Node::Alt(v.iter().map(|x| restrict(x, r)).collect()),
            Node::Repeat(i, lo, hi) => Node::Repeat(Box::new(restrict(i, r)), *lo, *hi),
            other => other.clone(),
        }
    }
    for (x, y) in [(a, b), (b, a)] {
        if let Some((r, lo, hi)) = charset_only(x) {
            if lo == 0 && hi.is_none() {
                // Unanchored parts of y become restricted too: make y anchored.
                let branches = ecma::split_anchors(y).ok()?;
                let mut alts = Vec::new();
                for (s, body, e) in branches {
                    let any = Node::Repeat(Box::new(Node::Class(r.clone())), 0, None);
                    let mut items = vec![Node::Start];
                    if !s {
                        items.push(any.clone());
                    }
                    items.push(restrict(&body, &r));
                    if !e {
                        items.push(any);
                    }
                    items.push(Node::End);
                    alts.push(Node::Concat(items));
                }
                return Some(Node::Alt(alts));
            }
            if lo <= 1 && hi.is_none() {
                // `+`: non-empty, which the other pattern must also guarantee.
                let n = intersect_simple(
                    &Node::Concat(vec![
                        Node::Start,
                        Node::Repeat(Box::new(Node::Class(r.clone())), 0, None),
                        Node::End,
                    ]),
                    y,
                )?;
                let (min, _) = len_range(&n);
                if min >= 1 {
                    return Some(n);
                }
                return fit_length(&Node::Concat(vec![n]), 1, None).map(|n| Node::Concat(vec![n]));
            }
        }
    }
    None
}

/// Length range (in code points) of a node's language.
pub(super) fn len_range(n: &Node) -> (u64, Option<u64>) {
    match n {
        Node::Empty | Node::Start | Node::End => (0, Some(0)),
        Node::Class(_) => (1, Some(1)),
        Node::Concat(v) => v.iter().fold((0, Some(0)), |(a, b), x| {
            let (c, d) = len_range(x);
            (a + c, b.and_then(|b| d.map(|d| b + d)))
        }),
        Node::Alt(v) => {
            let mut lo = u64::MAX;
            let mut hi = Some(0);
            for x in v {
                let (c, d) = len_range(x);
                lo = lo.min(c);
                hi = match (hi, d) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            (if v.is_empty() { 0 } else { lo }, hi)
        }
        Node::Repeat(i, a, b) => {
            let (c, d) = len_range(i);
            (
                c.saturating_mul(u64::from(*a)),
                match (b, d) {
                    (Some(b), Some(d)) => Some(d.saturating_mul(u64::from(*b))),
                    (_, Some(0)) => Some(0),
                    _ => None,
                },
            )
        }
    }
}

/// A sub-language of `n` whose strings have between `min` and `max` code points.
pub(super) fn fit_length(n: &Node, min: u64, max: Option<u64>) -> Option<Node> {
    let (lo, _) = len_range(n);
    let n = if lo < min { raise(n, min - lo)? } else { n.clone() };
    match max {
        None => Some(n),
        Some(m) => {
            let (_, hi) = len_range(&n);
            if hi.is_some_and(|h| h <= m) {
                Some(n)
            } else {
                cap(&n, m)
            }
        }
    }
}

/// Raises minimum lengths by `need` code points.
pub(super) fn raise(n: &Node, need: u64) -> Option<Node> {
    match n {
        Node::Repeat(i, a, b) => {
            let (l, h) = len_range(i);
            if l == 0 || h != Some(l) {
                return None;
            }
            let extra = need.div_ceil(l);
            let na = u64::from(*a) + extra;
            if b.is_some_and(|b| u64::from(b) < na) || na > u64::from(u32::MAX) {
                return None;
            }
            Some(Node::Repeat(i.clone(), na as u32, *b))
        }
        Node::Concat(v) => {
            // Prefer the last repetition (usually the pattern's own, not the `.*` padding).
            for idx in (0..v.len()).rev() {
                if let Some(r) = raise(&v[idx], need) {
                    let mut w = v.clone();
                    w[idx] = r;
                    return Some(Node::Concat(w));
                }
            }
            None
        }
        Node::Alt(v) => {
            let w: Vec<Node> = v
                .iter()
                .filter_map(|x| {
                    let (lo, _) = len_range(x);
                    if lo >= len_range(n).0 + need {
                        Some(x.clone())
                    } else {
                        raise(x, len_range(n).0 + need - lo)
                    }
                })
                .collect();
            if w.is_empty() {
                None
            } else {
                Some(Node::Alt(w))
            }
        }
        _ => None,
    }
}

/// A sub-language of `n` with at most `budget` code points per string.
pub(super) fn cap(n: &Node, budget: u64) -> Option<Node> {
    let (lo, hi) = len_range(n);
    if lo > budget {
        return None;
    }
    if hi.is_some_and(|h| h <= budget) {
        return Some(n.clone());
    }
    match n {
        Node::Alt(v) => {
            let w: Vec<Node> = v.iter().filter_map(|x| cap(x, budget)).collect();
            if w.is_empty() {
                None
            } else {
                Some(Node::Alt(w))
            }
        }
        Node::Concat(v) => {
            let mins: Vec<u64> = v.iter().map(|x| len_range(x).0).collect();
            let total: u64 = mins.iter().sum();
            let slack = budget - total;
            let variable: Vec<usize> =
                (0..v.len()).filter(|&i| len_range(&v[i]).1 != Some(mins[i])).collect();
            let share = if variable.is_empty() { 0 } else { slack / variable.len() as u64 };
            let mut extra_left = slack - share * variable.len() as u64;
            let mut w = Vec::new();
            for (i, x) in v.iter().enumerate() {
                if variable.contains(&i) {
                    // Give the remainder to the last variable part.
                    let mut b = mins[i] + share;
                    if Some(&i) == variable.last() {
                        b += extra_left;
                        extra_left = 0;
                    }
                    w.push(cap(x, b)?);
                } else {
                    w.push(x.clone());
                }
            }
            Some(Node::Concat(w))
        }
        Node::Repeat(i, a, b) => {
            if *a == 0 && len_range(i).0 > budget {
                return Some(Node::Empty);
            }
            let per = budget / u64::from((*a).max(1));
            let inner = cap(i, per)?;
            let (il, ih) = len_range(&inner);
            let ih = ih.unwrap_or(per).max(1);
            let reps = (budget / ih).min(b.map_or(u64::MAX, u64::from));
            if reps < u64::from(*a) {
                let _ = il;
                return None;
            }
            Some(Node::Repeat(Box::new(inner), *a, Some(reps.min(u64::from(u32::MAX)) as u32)))
        }
        _ => None,
    }
}
