//! ECMA-262 regular expressions (the dialect of JSON Schema's `pattern`): a parser into a
//! small AST, a translator to regex-syntax over the *JSON-encoded* string content, and a
//! set-based matcher used to test literal strings (property names, enum values).
//!
//! Character escapes are translated to the intersection of what ECMA-262 and Python's `re`
//! mean by them, so the result is sound for both families of validators: `\d` is `[0-9]`,
//! `\w` is `[0-9A-Za-z_]`, `\D`/`\W` only match ASCII characters, and `.` matches anything
//! but `\n`, `\r`, U+2028 and U+2029.

use crate::re::{self, Lang};

/// A set of code points as sorted, disjoint, inclusive ranges (never surrogates).
pub(crate) type Ranges = Vec<(u32, u32)>;

/// The pattern AST.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Matches the empty string.
    Empty,
    /// One code point from the set.
    Class(Ranges),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
    /// `^`.
    Start,
    /// `$`.
    End,
}

/// A parse failure: byte offset and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError {
    pub offset: usize,
    pub reason: String,
}

fn perr(offset: usize, reason: impl Into<String>) -> PatternError {
    PatternError { offset, reason: reason.into() }
}

const MAX_CP: u32 = 0x10FFFF;

pub(crate) fn normalize(mut r: Ranges) -> Ranges {
    // Remove surrogates and merge.
    let mut out: Ranges = Vec::new();
    let mut split: Ranges = Vec::new();
    for (a, b) in r.drain(..) {
        if a > b {
            continue;
        }
        if a < 0xD800 && b > 0xDFFF {
            split.push((a, 0xD7FF));
            split.push((0xE000, b));
        } else if a >= 0xD800 && b <= 0xDFFF {
        } else if (0xD800..=0xDFFF).contains(&a) {
            split.push((0xE000, b));
        } else if (0xD800..=0xDFFF).contains(&b) {
            split.push((a, 0xD7FF));
        } else {
            split.push((a, b));
        }
    }
    split.sort_unstable();
    for (a, b) in split {
        if let Some(last) = out.last_mut() {
            if a <= last.1.saturating_add(1) {
                last.1 = last.1.max(b);
                continue;
            }
        }
        out.push((a, b));
    }
    out
}

pub(crate) fn negate(r: &Ranges) -> Ranges {
    let r = normalize(r.clone());
    let mut out = Vec::new();
    let mut next = 0u32;
    for &(a, b) in &r {
        if a > next {
            out.push((next, a - 1));
        }
        next = b + 1;
    }
    if next <= MAX_CP {
        out.push((next, MAX_CP));
    }
    normalize(out)
}

pub(crate) fn intersect(x: &Ranges, y: &Ranges) -> Ranges {
    let mut out = Vec::new();
    for &(a, b) in x {
        for &(c, d) in y {
            let lo = a.max(c);
            let hi = b.min(d);
            if lo <= hi {
                out.push((lo, hi));
            }
        }
    }
    normalize(out)
}

fn digit() -> Ranges {
    vec![(0x30, 0x39)]
}
fn word() -> Ranges {
    normalize(vec![(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
}
/// Whitespace in the sense of both ECMA-262 and Python (intersection).
fn space() -> Ranges {
    normalize(vec![
        (0x09, 0x0D),
        (0x20, 0x20),
        (0xA0, 0xA0),
        (0x1680, 0x1680),
        (0x2000, 0x200A),
        (0x2028, 0x2029),
        (0x202F, 0x202F),
        (0x205F, 0x205F),
        (0x3000, 0x3000),
    ])
}
/// Non-whitespace for both (complement of the union).
fn not_space() -> Ranges {
    let union = normalize(vec![
        (0x09, 0x0D),
        (0x1C, 0x20),
        (0x85, 0x85),
        (0xA0, 0xA0),
        (0x1680, 0x1680),
        (0x2000, 0x200A),
        (0x2028, 0x2029),
        (0x202F, 0x202F),
        (0x205F, 0x205F),
        (0x3000, 0x3000),
        (0xFEFF, 0xFEFF),
    ]);
    negate(&union)
}
fn ascii_not(r: &Ranges) -> Ranges {
    intersect(&negate(r), &vec![(0, 0x7F)])
}
fn dot() -> Ranges {
    negate(&vec![(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)])
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Classes as the *union* of what ECMA-262 and Python mean (see [`parse_wide`]).
    wide: bool,
}

/// Parses an ECMA-262 pattern (no flags).
pub(crate) fn parse(src: &str) -> Result<Node, PatternError> {
    parse_with(src, false)
}

/// Parses a pattern with every class at its widest reading: `\d`, `\w` and their
/// negations also match any non-ASCII character, `\s` is the union of both families'
/// whitespace, `.` matches all but `\n`. A language that is a superset of what any
/// validator accepts, for proofs of disjointness.
pub(crate) fn parse_wide(src: &str) -> Result<Node, PatternError> {
    parse_with(src, true)
}

fn parse_with(src: &str, wide: bool) -> Result<Node, PatternError> {
    let mut p = Parser { src, pos: 0, wide };
    let n = p.disjunction(0)?;
    if p.pos < src.len() {
        return Err(perr(p.pos, "unbalanced `)`"));
    }
    Ok(n)
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }
    fn peek_at(&self, k: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(k)
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn eat(&mut self, s: &str) -> bool {
        if self.src[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn disjunction(&mut self, depth: usize) -> Result<Node, PatternError> {
        if depth > 64 {
            return Err(perr(self.pos, "groups nest too deeply"));
        }
        let mut alts = vec![self.alternative(depth)?];
        while self.eat("|") {
            alts.push(self.alternative(depth)?);
        }
        Ok(if alts.len() == 1 { alts.pop().unwrap_or(Node::Empty) } else { Node::Alt(alts) })
    }

    fn alternative(&mut self, depth: usize) -> Result<Node, PatternError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let start = self.pos;
            let atom = self.term(depth)?;
            let atom = self.quantifier(atom, start)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn quantifier(&mut self, atom: Node, start: usize) -> Result<Node, PatternError> {
        let q_at = self.pos;
        let (min, max) = match self.peek() {
            Some('*') => {
                self.bump();
                (0, None)
            }
            Some('+') => {
                self.bump();
                (1, None)
            }
            Some('?') => {
                self.bump();
                (0, Some(1))
            }
            Some('{') => match self.braces() {
                Some(q) => q,
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        self.eat("?"); // lazy: irrelevant for the language
        if matches!(atom, Node::Start | Node::End) {
            return Err(perr(start, "quantified assertion"));
        }
        if matches!(self.peek(), Some('*' | '+' | '?')) {
            return Err(perr(self.pos, "nothing to repeat"));
        }
        if let Some(m) = max {
            if m < min {
                return Err(perr(q_at, "numbers out of order in `{}` quantifier"));
            }
        }
        Ok(Node::Repeat(Box::new(atom), min, max))
    }

    /// `{n}`, `{n,}`, `{n,m}`; `None` (and nothing consumed) if this is a literal `{`.
    fn braces(&mut self) -> Option<(u32, Option<u32>)> {
        let rest = &self.src[self.pos..];
        let close = rest.find('}')?;
        let inner = &rest[1..close];
        let (a, b) = match inner.split_once(',') {
            Some((a, b)) => (a, Some(b)),
            None => (inner, None),
        };
        if a.is_empty() || !a.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if let Some(b) = b {
            if !b.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
        }
        let min: u32 = a.parse().unwrap_or(u32::MAX);
        let max = match b {
            None => Some(min),
            Some("") => None,
            Some(b) => Some(b.parse().unwrap_or(u32::MAX)),
        };
        self.pos += close + 1;
        Some((min, max))
    }

    fn term(&mut self, depth: usize) -> Result<Node, PatternError> {
        let start = self.pos;
        let c = self.bump().ok_or_else(|| perr(start, "unexpected end"))?;
        Ok(match c {
            '^' => Node::Start,
            '$' => Node::End,
            '.' if self.wide => Node::Class(negate(&vec![(0x0A, 0x0A)])),
            '.' => Node::Class(dot()),
            '(' => {
                if self.eat("?:") {
                } else if self.eat("?=") || self.eat("?!") || self.eat("?<=") || self.eat("?<!") {
                    return Err(perr(start, "lookaround assertions are not regular"));
                } else if self.eat("?<") {
                    let end = self.src[self.pos..]
                        .find('>')
                        .ok_or_else(|| perr(start, "unterminated group name"))?;
                    self.pos += end + 1;
                } else if self.peek() == Some('?') {
                    return Err(perr(start, "unknown group syntax"));
                }
                let inner = self.disjunction(depth + 1)?;
                if !self.eat(")") {
                    return Err(perr(start, "unclosed group"));
                }
                inner
            }
            ')' => return Err(perr(start, "unbalanced `)`")),
            '[' => Node::Class(self.class(start)?),
            '*' | '+' | '?' => return Err(perr(start, "nothing to repeat")),
            '{' => {
                self.pos = start;
                if self.braces().is_some() {
                    return Err(perr(start, "nothing to repeat"));
                }
                self.pos = start + 1;
                Node::Class(vec![(u32::from('{'), u32::from('{'))])
            }
            '\\' => self.atom_escape(start)?,
            c => Node::Class(vec![(c as u32, c as u32)]),
        })
    }

    fn atom_escape(&mut self, start: usize) -> Result<Node, PatternError> {
        let c = self.peek().ok_or_else(|| perr(start, "trailing backslash"))?;
        match c {
            'b' | 'B' => Err(perr(start, "word boundary assertions are not supported")),
            '1'..='9' => Err(perr(start, "backreferences are not regular")),
            'k' if self.peek_at(1) == Some('<') => {
                Err(perr(start, "backreferences are not regular"))
            }
            _ => Ok(Node::Class(self.class_escape(start, false)?)),
        }
    }

    /// After a backslash; returns the set of code points.
    fn class_escape(&mut self, start: usize, in_class: bool) -> Result<Ranges, PatternError> {
        let c = self.bump().ok_or_else(|| perr(start, "trailing backslash"))?;
        let one = |c: u32| Ok(vec![(c, c)]);
        let non_ascii = vec![(0x80, MAX_CP)];
        match c {
            'd' | 'w' if self.wide => {
                Ok(normalize([if c == 'd' { digit() } else { word() }, non_ascii].concat()))
            }
            'D' if self.wide => Ok(negate(&digit())),
            'W' if self.wide => Ok(negate(&word())),
            's' if self.wide => Ok(negate(&not_space())),
            'S' if self.wide => Ok(negate(&space())),
            'd' => Ok(digit()),
            'D' => Ok(ascii_not(&digit())),
            'w' => Ok(word()),
            'W' => Ok(ascii_not(&word())),
            's' => Ok(space()),
            'S' => Ok(not_space()),
            'n' => one(0x0A),
            'r' => one(0x0D),
            't' => one(0x09),
            'v' => one(0x0B),
            'f' => one(0x0C),
            'b' if in_class => one(0x08),
            '0' if !matches!(self.peek(), Some('0'..='9')) => one(0),
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.bump();
                    one(l as u32 % 32)
                }
                _ => Err(perr(start, "bad `\\c` escape")),
            },
            'x' => {
                let h = self.hex(2).ok_or_else(|| perr(start, "bad `\\x` escape"))?;
                one(h)
            }
            'u' => {
                if self.eat("{") {
                    let end = self.src[self.pos..]
                        .find('}')
                        .ok_or_else(|| perr(start, "bad `\\u{}` escape"))?;
                    let h = u32::from_str_radix(&self.src[self.pos..self.pos + end], 16)
                        .ok()
                        .filter(|&h| h <= MAX_CP)
                        .ok_or_else(|| perr(start, "bad `\\u{}` escape"))?;
                    self.pos += end + 1;
                    return one(h);
                }
                let h = self.hex(4).ok_or_else(|| perr(start, "bad `\\u` escape"))?;
                if (0xD800..=0xDBFF).contains(&h) && self.src[self.pos..].starts_with("\\u") {
                    let save = self.pos;
                    self.pos += 2;
                    if let Some(l) = self.hex(4) {
                        if (0xDC00..=0xDFFF).contains(&l) {
                            return one(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00));
                        }
                    }
                    self.pos = save;
                }
                if (0xD800..=0xDFFF).contains(&h) {
                    return Err(perr(start, "lone surrogate escape"));
                }
                one(h)
            }
            'p' | 'P' => Err(perr(start, "unicode property escapes are not supported")),
            '1'..='9' | '0' => {
                Err(perr(start, "octal escapes and backreferences are not supported"))
            }
            c if c.is_ascii_alphanumeric() => Err(perr(start, format!("unknown escape `\\{c}`"))),
            c => one(c as u32),
        }
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let s = self.src.get(self.pos..self.pos + n)?;
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += n;
        u32::from_str_radix(s, 16).ok()
    }

    fn class(&mut self, start: usize) -> Result<Ranges, PatternError> {
        let negated = self.eat("^");
        let mut set: Ranges = Vec::new();
        loop {
            let c_at = self.pos;
            let Some(c) = self.bump() else {
                return Err(perr(start, "unclosed character class"));
            };
            if c == ']' {
                break;
            }
            let lo =
                if c == '\\' { self.class_escape(c_at, true)? } else { vec![(c as u32, c as u32)] };
            // Range?
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                let single = lo.len() == 1 && lo[0].0 == lo[0].1;
                self.bump();
                let h_at = self.pos;
                let h = self.bump().ok_or_else(|| perr(start, "unclosed character class"))?;
                let hi = if h == '\\' {
                    self.class_escape(h_at, true)?
                } else {
                    vec![(h as u32, h as u32)]
                };
                let hi_single = hi.len() == 1 && hi[0].0 == hi[0].1;
                if single && hi_single {
                    if lo[0].0 > hi[0].0 {
                        return Err(perr(c_at, "range out of order in character class"));
                    }
                    set.push((lo[0].0, hi[0].0));
                } else {
                    // Annex B: `[\d-x]` is a union with a literal `-`.
                    set.extend(lo);
                    set.push((0x2D, 0x2D));
                    set.extend(hi);
                }
            } else {
                set.extend(lo);
            }
        }
        let set = normalize(set);
        Ok(if negated { negate(&set) } else { set })
    }
}

// ---------------------------------------------------------------------------------------
// Matching literal strings (set-of-positions simulation, no backtracking blow-up).

/// Whether `node` matches somewhere in `s` (ECMA `RegExp.prototype.test` semantics), or
/// `None` when the work budget ran out.
pub(crate) fn search(node: &Node, s: &str) -> Option<bool> {
    let chars: Vec<u32> = s.chars().map(|c| c as u32).collect();
    let starts: Vec<bool> = vec![true; chars.len() + 1];
    let mut budget: u64 = 2_000_000;
    let ends = step(node, &chars, starts, &mut budget)?;
    Some(ends.iter().any(|&b| b))
}

fn in_ranges(r: &Ranges, c: u32) -> bool {
    r.binary_search_by(|&(a, b)| {
        if b < c {
            std::cmp::Ordering::Less
        } else if a > c {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    })
    .is_ok()
}

fn step(node: &Node, s: &[u32], pos: Vec<bool>, budget: &mut u64) -> Option<Vec<bool>> {
    *budget = budget.checked_sub(s.len() as u64 + 1)?;
    let n = s.len();
    Some(match node {
        Node::Empty => pos,
        Node::Start => {
            let mut out = vec![false; n + 1];
            out[0] = pos[0];
            out
        }
        Node::End => {
            let mut out = vec![false; n + 1];
            out[n] = pos[n];
            out
        }
        Node::Class(r) => {
            let mut out = vec![false; n + 1];
            for i in 0..n {
                if pos[i] && in_ranges(r, s[i]) {
                    out[i + 1] = true;
                }
            }
            out
        }
        Node::Concat(items) => {
            let mut cur = pos;
            for it in items {
                cur = step(it, s, cur, budget)?;
            }
            cur
        }
        Node::Alt(items) => {
            let mut out = vec![false; n + 1];
            for it in items {
                let r = step(it, s, pos.clone(), budget)?;
                for i in 0..=n {
                    out[i] |= r[i];
                }
            }
            out
        }
        Node::Repeat(inner, min, max) => {
            let mut cur = pos;
            for _ in 0..*min {
                cur = step(inner, s, cur, budget)?;
                if !cur.iter().any(|&b| b) {
                    return Some(cur);
                }
            }
            let mut acc = cur.clone();
            let extra = max.map(|m| m - min);
            let mut k = 0u32;
            loop {
                if extra.is_some_and(|e| k >= e) {
                    break;
                }
                let next = step(inner, s, cur, budget)?;
                let mut grew = false;
                for i in 0..=n {
                    if next[i] && !acc[i] {
                        acc[i] = true;
                        grew = true;
                    }
                }
                if !grew {
                    break;
                }
                cur = next;
                k += 1;
            }
            acc
        }
    })
}

// ---------------------------------------------------------------------------------------
// Translation to regex-syntax over JSON string content.

/// Regex for one JSON string character (raw or escaped) whose decoded code point is in `r`.
pub(crate) fn json_char_class(r: &Ranges) -> Lang {
    let r = normalize(r.clone());
    if r == negate(&vec![]) {
        return Some(ANY_CHAR.to_string());
    }
    let raw_ok = normalize(vec![(0x20, 0x21), (0x23, 0x5B), (0x5D, MAX_CP)]);
    let raw = intersect(&r, &raw_ok);
    let mut parts: Vec<Lang> = Vec::new();
    if !raw.is_empty() {
        parts.push(Some(print_class(&raw)));
    }
    let mut short = String::new();
    if in_ranges(&r, 0x22) {
        short.push('"');
    }
    if in_ranges(&r, 0x5C) {
        short.push_str("\\\\");
    }
    if in_ranges(&r, 0x2F) {
        short.push('/');
    }
    for (c, e) in [(0x08, 'b'), (0x0C, 'f'), (0x0A, 'n'), (0x0D, 'r'), (0x09, 't')] {
        if in_ranges(&r, c) {
            short.push(e);
        }
    }
    if !short.is_empty() {
        parts.push(Some(format!("\\\\[{short}]")));
    }
    let controls = intersect(&r, &vec![(0, 0x1F)]);
    if controls == vec![(0, 0x1F)] {
        parts.push(Some("\\\\u00[01][0-9a-fA-F]".to_string()));
    } else {
        for (a, b) in controls {
            for c in a..=b {
                let hi = c >> 4;
                let lo = c & 0xF;
                let lo_s = if lo < 10 {
                    format!("{lo}")
                } else {
                    let l = char::from(b'a' + (lo - 10) as u8);
                    format!("[{l}{}]", l.to_ascii_uppercase())
                };
                parts.push(Some(format!("\\\\u00{hi}{lo_s}")));
            }
        }
    }
    re::alt(parts)
}

pub(crate) fn class_char(c: u32) -> String {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii_alphanumeric() => ch.to_string(),
        _ => format!("\\x{{{c:X}}}"),
    }
}

/// Prints a non-empty set as a regex-syntax class.
pub(crate) fn print_class(r: &Ranges) -> String {
    if r.len() == 1 && r[0].0 == r[0].1 {
        let ch = char::from_u32(r[0].0).unwrap_or('\u{FFFD}');
        return re::lit(&ch.to_string());
    }
    let mut s = String::from("[");
    for &(a, b) in r {
        s.push_str(&class_char(a));
        if b > a {
            if b > a + 1 {
                s.push('-');
            }
            s.push_str(&class_char(b));
        }
    }
    s.push(']');
    s
}

/// Any JSON string character: raw, or a short escape, or a `\u` escape of a non-surrogate.
pub(crate) const ANY_CHAR: &str = r#"(?:[^"\\\x00-\x1F]|\\["\\/bfnrt]|\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))"#;

/// Translates a parsed pattern into the language of JSON string *contents* (without the
/// quotes) whose decoded value contains a match (search semantics, `^`/`$` anchors).
pub(crate) fn to_json_content(node: &Node, max_repeat: u32) -> Result<Lang, PatternError> {
    let branches = split_anchors(node)?;
    let any = format!("{ANY_CHAR}*");
    // Branches with the same anchoring share one prefix and suffix.
    let mut groups: Vec<((bool, bool), Vec<Lang>)> = Vec::new();
    for (start, body, end) in branches {
        let b = emit(&body, max_repeat)?;
        match groups.iter_mut().find(|(k, _)| *k == (start, end)) {
            Some((_, v)) => v.push(b),
            None => groups.push(((start, end), vec![b])),
        }
    }
    let mut alts = Vec::new();
    for ((start, end), bodies) in groups {
        alts.push(re::cat([
            Some(if start { String::new() } else { any.clone() }),
            re::alt(bodies),
            Some(if end { String::new() } else { any.clone() }),
        ]));
    }
    Ok(re::alt(alts))
}

/// Translates a parsed pattern into a regex over the decoded string *value* that matches
/// the whole value when the pattern finds a match in it (search semantics, `$` also
/// before a final newline): for deciding whether two string schemas overlap, where JSON
/// escapes do not matter. With [`parse_wide`] the language covers every validator's.
pub(crate) fn to_value_regex(node: &Node) -> Result<String, PatternError> {
    value_regex_with(node, true)
}

/// [`to_value_regex`] with `$` only at the very end: with [`parse`], the language that
/// every validator accepts, for proofs that one pattern implies another.
pub(crate) fn to_strict_value_regex(node: &Node) -> Result<String, PatternError> {
    value_regex_with(node, false)
}

fn value_regex_with(node: &Node, final_newline: bool) -> Result<String, PatternError> {
    let mut alts = Vec::new();
    for (start, body, end) in split_anchors(node)? {
        let any = "(?s:.)*";
        // Python's `$` also matches before a final newline.
        alts.push(format!(
            "{}(?:{}){}",
            if start { "" } else { any },
            value_regex(&body),
            match (end, final_newline) {
                (true, true) => "\\n?",
                (true, false) => "",
                (false, _) => any,
            }
        ));
    }
    Ok(format!("(?:{})", alts.join("|")))
}

fn value_regex(node: &Node) -> String {
    match node {
        Node::Empty | Node::Start | Node::End => String::new(),
        Node::Class(r) => {
            // Surrogates are no characters of a decoded value.
            let r = intersect(&normalize(r.clone()), &vec![(0, 0xD7FF), (0xE000, MAX_CP)]);
            if r.is_empty() {
                r"[^\x{0}-\x{10FFFF}]".to_owned()
            } else {
                print_class(&r)
            }
        }
        Node::Concat(items) => items.iter().map(|n| format!("(?:{})", value_regex(n))).collect(),
        Node::Alt(items) => {
            format!("(?:{})", items.iter().map(value_regex).collect::<Vec<_>>().join("|"))
        }
        Node::Repeat(inner, min, max) => match max {
            Some(max) => format!("(?:{}){{{min},{max}}}", value_regex(inner)),
            None => format!("(?:{}){{{min},}}", value_regex(inner)),
        },
    }
}

fn has_anchor(n: &Node) -> bool {
    match n {
        Node::Start | Node::End => true,
        Node::Empty | Node::Class(_) => false,
        Node::Concat(v) | Node::Alt(v) => v.iter().any(has_anchor),
        Node::Repeat(i, _, _) => has_anchor(i),
    }
}

/// `(anchored start, body, anchored end)` branches of a pattern; an error for anchors
/// anywhere else (inside a repetition, in the middle of a concatenation).
pub(crate) fn split_anchors(node: &Node) -> Result<Vec<(bool, Node, bool)>, PatternError> {
    match node {
        Node::Alt(bs) => {
            let mut out = Vec::new();
            for b in bs {
                out.extend(split_anchors(b)?);
            }
            Ok(out)
        }
        Node::Start => Ok(vec![(true, Node::Empty, false)]),
        Node::End => Ok(vec![(false, Node::Empty, true)]),
        Node::Concat(items) => {
            let mut i = 0;
            let mut j = items.len();
            let mut start = false;
            let mut end = false;
            while i < j && items[i] == Node::Start {
                start = true;
                i += 1;
            }
            while j > i && items[j - 1] == Node::End {
                end = true;
                j -= 1;
            }
            let rest = &items[i..j];
            if rest.len() == 1 && matches!(rest[0], Node::Alt(_)) && has_anchor(&rest[0]) {
                let inner = split_anchors(&rest[0])?;
                return Ok(inner.into_iter().map(|(s, b, e)| (s || start, b, e || end)).collect());
            }
            if rest.iter().any(has_anchor) {
                // `^` after something that can only match empty, e.g. `(?:)^a`, is rare.
                return Err(perr(0, "anchors in the middle of a pattern are not supported"));
            }
            Ok(vec![(start, Node::Concat(rest.to_vec()), end)])
        }
        n if has_anchor(n) => Err(perr(0, "anchors inside a repetition are not supported")),
        n => Ok(vec![(false, n.clone(), false)]),
    }
}

fn emit(node: &Node, max_repeat: u32) -> Result<Lang, PatternError> {
    Ok(match node {
        Node::Empty => Some(String::new()),
        Node::Class(r) => json_char_class(r),
        Node::Concat(items) => {
            let mut parts = Vec::new();
            for it in items {
                parts.push(emit(it, max_repeat)?);
            }
            re::cat(parts)
        }
        Node::Alt(items) => {
            let mut parts = Vec::new();
            for it in items {
                parts.push(emit(it, max_repeat)?);
            }
            re::alt(parts)
        }
        Node::Repeat(inner, min, max) => {
            if *min > max_repeat {
                return Err(perr(
                    0,
                    format!("repetition minimum {min} exceeds `max_repeat` ({max_repeat})"),
                ));
            }
            let max = max.map(|m| m.min(max_repeat));
            match emit(inner, max_repeat)? {
                None => {
                    if *min == 0 {
                        Some(String::new())
                    } else {
                        None
                    }
                }
                Some(s) => Some(re::rep(&s, u64::from(*min), max.map(u64::from))),
            }
        }
        Node::Start | Node::End => {
            return Err(perr(0, "anchors in the middle of a pattern are not supported"))
        }
    })
}

/// Whether the pattern's repetitions exceed `max_repeat` (so the translation is bounded).
pub(crate) fn exceeds_repeat(node: &Node, max_repeat: u32) -> bool {
    match node {
        Node::Repeat(i, _, m) => m.is_some_and(|m| m > max_repeat) || exceeds_repeat(i, max_repeat),
        Node::Concat(v) | Node::Alt(v) => v.iter().any(|n| exceeds_repeat(n, max_repeat)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        search(&parse(p).unwrap(), s).unwrap()
    }

    #[test]
    fn matcher() {
        assert!(m("^a+$", "aaa"));
        assert!(!m("^a+$", "aab"));
        assert!(m("b", "abc"));
        assert!(m("^[a-z]{2,3}$", "ab"));
        assert!(!m("^[a-z]{2,3}$", "abcd"));
        assert!(m("^\\d{3}-\\d{4}$", "555-1234"));
        assert!(m("^(foo|bar)$", "bar"));
        assert!(m("x{", "ax{"));
        assert!(m("^[^]$", "q"));
        assert!(!m("^[]$", "q"));
        assert!(m("^\\u00e9$", "é"));
        assert!(m("^[\\w-]+$", "a-b_c"));
    }

    #[test]
    fn errors() {
        assert!(parse("(?=a)").is_err());
        assert!(parse("(a)\\1").is_err());
        assert!(parse("a)").is_err());
        assert!(parse("[a").is_err());
        assert!(parse("*a").is_err());
        assert_eq!(parse("ab\\b").unwrap_err().offset, 2);
    }

    #[test]
    fn translate() {
        let n = parse("^a\"b$").unwrap();
        assert_eq!(to_json_content(&n, 100).unwrap().unwrap(), "a\\\\[\"]b");
        let n = parse("x").unwrap();
        let s = to_json_content(&n, 100).unwrap().unwrap();
        assert!(s.starts_with(ANY_CHAR));
    }
}
