//! Test support: an anchored byte matcher built from a compiled regex (a lazily
//! determinized DFA, as the engine's lazy indexes use), and a JSON reader that keeps
//! numbers as written so instances can be re-serialized exactly as Python's
//! `json.dumps(json.loads(text), ensure_ascii=False)` would.

#![allow(dead_code)]

use std::cell::RefCell;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};

/// An anchored, whole-string matcher.
pub struct Matcher {
    dfa: DFA,
    cache: RefCell<Cache>,
}

impl Matcher {
    /// Builds the matcher with the given size limit (bytes) for the NFA and the lazy DFA's
    /// cache. The cache is never cleared: a string that would need more states than the
    /// limit allows counts as not accepted (and [`Matcher::accepts`] says so).
    pub fn new(regex: &str, limit: usize) -> Result<Matcher, String> {
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(limit)
                    .skip_cache_capacity_check(true)
                    .minimum_cache_clear_count(Some(0)),
            )
            .syntax(syntax::Config::new().unicode(true).utf8(true).nest_limit(10_000))
            .thompson(
                thompson::Config::new()
                    .nfa_size_limit(Some(limit))
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build(regex)
            .map_err(|e| e.to_string())?;
        let cache = RefCell::new(dfa.create_cache());
        Ok(Matcher { dfa, cache })
    }

    /// Whether the whole `text` is in the language.
    ///
    /// # Panics
    ///
    /// When the lazy DFA outgrows its cache: a test must not read that as a rejection.
    pub fn accepts(&self, text: &str) -> bool {
        self.try_accepts(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Whether the whole `text` is in the language, or why that cannot be told (the lazy
    /// DFA outgrew its cache).
    pub fn try_accepts(&self, text: &str) -> Result<bool, String> {
        let mut cache = self.cache.borrow_mut();
        let cache = &mut *cache;
        let input = Input::new(text).anchored(Anchored::Yes);
        let full = |e: regex_automata::hybrid::CacheError| format!("matcher cache full: {e}");
        let Ok(mut sid) = self.dfa.start_state_forward(cache, &input) else { return Ok(false) };
        for &b in text.as_bytes() {
            sid = self.dfa.next_state(cache, sid, b).map_err(full)?;
            if sid.is_dead() {
                return Ok(false);
            }
        }
        sid = self.dfa.next_eoi_state(cache, sid).map_err(full)?;
        Ok(sid.is_match())
    }

    /// How many leading bytes of `text` the language can still continue (all of them when
    /// the text is a prefix of some string in it): where a rejected instance went wrong.
    pub fn live_prefix(&self, text: &str) -> usize {
        let mut cache = self.cache.borrow_mut();
        let cache = &mut *cache;
        let input = Input::new(text).anchored(Anchored::Yes);
        let Ok(mut sid) = self.dfa.start_state_forward(cache, &input) else { return 0 };
        for (i, &b) in text.as_bytes().iter().enumerate() {
            match self.dfa.next_state(cache, sid, b) {
                Ok(next) if !next.is_dead() => sid = next,
                _ => return i,
            }
        }
        text.len()
    }

    /// Heap bytes of the lazy DFA and its cache.
    pub fn memory_usage(&self) -> usize {
        self.dfa.memory_usage() + self.cache.borrow().memory_usage()
    }
}

/// A JSON value with numbers kept as written and object members in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Raw>),
    Obj(Vec<(String, Raw)>),
}

impl Raw {
    pub fn get(&self, key: &str) -> Option<&Raw> {
        match self {
            Raw::Obj(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Raw]> {
        match self {
            Raw::Arr(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Raw::Str(s) => Some(s),
            _ => None,
        }
    }
    /// Standard JSON text (for handing to serde_json).
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, false);
        s
    }
    /// `json.dumps(json.loads(text), ensure_ascii=False)`.
    pub fn python_dumps(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, true);
        s
    }
    fn write(&self, out: &mut String, py: bool) {
        match self {
            Raw::Null => out.push_str("null"),
            Raw::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Raw::Num(n) => {
                if !py {
                    out.push_str(n);
                } else if n.contains(['.', 'e', 'E']) {
                    let f: f64 = n.parse().unwrap_or(0.0);
                    out.push_str(&maskwell_schema::python_float(f));
                } else if n == "-0" {
                    out.push('0');
                } else {
                    out.push_str(n);
                }
            }
            Raw::Str(s) => out.push_str(&maskwell_schema::python_string(s)),
            Raw::Arr(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if py { ", " } else { "," });
                    }
                    x.write(out, py);
                }
                out.push(']');
            }
            Raw::Obj(m) => {
                out.push('{');
                // Python dicts keep the first position of a duplicated key, with the last value.
                let mut seen: Vec<&str> = Vec::new();
                let mut first = true;
                for (k, _) in m {
                    if seen.contains(&k.as_str()) {
                        continue;
                    }
                    seen.push(k);
                    if !first {
                        out.push_str(if py { ", " } else { "," });
                    }
                    first = false;
                    out.push_str(&maskwell_schema::python_string(k));
                    out.push_str(if py { ": " } else { ":" });
                    self.get(k).unwrap_or(&Raw::Null).write(out, py);
                }
                out.push('}');
            }
        }
    }
}

/// Parses JSON text keeping numbers as written.
pub fn parse_raw(text: &str) -> Result<Raw, String> {
    let mut p = P { s: text.as_bytes(), i: 0, text };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("trailing data at {}", p.i));
    }
    Ok(v)
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn value(&mut self, depth: usize) -> Result<Raw, String> {
        if depth > 1000 {
            return Err("too deep".into());
        }
        let c = *self.s.get(self.i).ok_or("eof")?;
        match c {
            b'n' => self.lit("null", Raw::Null),
            b't' => self.lit("true", Raw::Bool(true)),
            b'f' => self.lit("false", Raw::Bool(false)),
            b'"' => Ok(Raw::Str(self.string()?)),
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Raw::Arr(v));
                }
                loop {
                    self.ws();
                    v.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Raw::Arr(v));
                        }
                        _ => return Err(format!("bad array at {}", self.i)),
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Raw::Obj(v));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err(format!("expected ':' at {}", self.i));
                    }
                    self.i += 1;
                    self.ws();
                    let x = self.value(depth + 1)?;
                    v.push((k, x));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Raw::Obj(v));
                        }
                        _ => return Err(format!("bad object at {}", self.i)),
                    }
                }
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(self.s[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    self.i += 1;
                }
                if start == self.i {
                    return Err(format!("unexpected byte at {start}"));
                }
                Ok(Raw::Num(self.text[start..self.i].to_string()))
            }
        }
    }
    fn lit(&mut self, word: &str, v: Raw) -> Result<Raw, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }
    fn string(&mut self) -> Result<String, String> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(format!("expected string at {}", self.i));
        }
        self.i += 1;
        let start = self.i;
        // Find the end, then let serde_json decode escapes (including surrogate pairs).
        while self.i < self.s.len() && self.s[self.i] != b'"' {
            if self.s[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        let lit = &self.text[start - 1..=self.i.min(self.s.len() - 1)];
        self.i += 1;
        serde_json::from_str::<String>(lit).or_else(|_| {
            // Lone surrogates: keep the replacement character.
            Ok(lit[1..lit.len() - 1].to_string())
        })
    }
}
