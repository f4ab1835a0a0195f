//! Compiles a big regex to a Thompson NFA one distinct group at a time.
//!
//! The schema compiler repeats sub-expressions verbatim: every open object carries the same
//! any-JSON-value expression (kilobytes of it), every string the same escape-aware
//! character class. Parsing and compiling each copy again was most of the time to the first
//! mask. [`compile`] splits the pattern at its non-capturing groups; the text of each large
//! group is compiled once into a relocatable NFA fragment ([`Frag`]) and kept in a
//! process-wide cache, so a server compiling many schemas compiles the any-value once; the
//! pattern's NFA is then stitched together from copies of fragments with regex-automata's
//! [`thompson::Builder`].
//!
//! Small pieces are parsed by regex-syntax, under the configuration the whole pattern would
//! be parsed with, and compiled by a plain Thompson construction (UTF-8 classes as
//! suffix-shared byte-range chains). The language is the one regex-automata's compiler
//! gives the whole pattern; the state graph differs. Anything the splitter does not model
//! (an inline flag that changes the rest of a group, look-around, a syntax error, nesting
//! near the limit, an NFA over the size limit) makes it give up, and the caller compiles the
//! whole pattern as before, so errors keep their messages and byte offsets.

use std::sync::{Arc, Mutex, PoisonError};

use regex_automata::{
    nfa::thompson::{self, BuildError, Transition, NFA},
    util::{primitives::StateID, syntax},
};
use regex_syntax::hir::{Class, Hir, HirKind};
use rustc_hash::FxHashMap;

use crate::{automaton::nfa_error, Error};

/// Patterns and groups shorter than this are compiled whole: splitting them saves nothing.
const SMALL: usize = 48;

/// The NFA of `pattern`, or `None` when the caller should compile it whole (too short to
/// gain, or something the splitter does not model). `nfa_size_limit` bounds the NFA's heap
/// bytes, as regex-automata's compiler does.
pub(crate) fn compile(
    pattern: &str,
    config: &syntax::Config,
    nfa_size_limit: Option<usize>,
) -> Option<Result<NFA, Error>> {
    if pattern.len() < 4 * SMALL {
        return None;
    }
    // regex-syntax counts a group, its alternation, a branch's concatenation and a
    // repetition as a level each; past the limit the whole parse reports the error.
    let scan = Scan::new(pattern)?;
    if 4 * scan.depth + 8 >= config.get_nest_limit() as usize {
        return None;
    }
    let limit = nfa_size_limit.map_or(usize::MAX, |bytes| bytes / PART_BYTES);
    let mut splitter = Splitter::new(*config, limit, scan);
    splitter.count(pattern)?;
    let frag = splitter.pattern(pattern)?;
    // Every state id must fit regex-automata's; past that, the whole compile says so.
    StateID::new(frag.parts.len() + 3).ok()?;
    Some(frag.build(nfa_size_limit).map_err(nfa_error))
}

/// About the heap bytes one part costs in an NFA (how `nfa_size_limit` is counted here).
const PART_BYTES: usize = 16;

/// A target of a part: another part of the same fragment, or its exit.
type Target = u32;

/// Where a fragment goes once it has matched: patched to what follows.
const EXIT: Target = u32::MAX;

/// One NFA state of a fragment, its targets local to the fragment.
#[derive(Clone, Copy, Debug)]
enum Part {
    /// Bytes `start..=end`, then `next`.
    Range(u8, u8, Target),
    /// Disjoint, increasing byte ranges, each to its own target: `ranges[start..start + len]`.
    Sparse(u32, u32),
    /// Epsilon transitions, in order of preference: `edges[start..start + len]`.
    Union(u32, u32),
    /// Matches nothing.
    Fail,
}

/// A relocatable piece of NFA: its parts (their union targets and sparse ranges in two
/// arenas, so that a copy is three slice copies with an offset), and the part it starts at
/// ([`EXIT`] when it matches the empty string and nothing else).
#[derive(Debug, Default)]
pub(crate) struct Frag {
    parts: Vec<Part>,
    edges: Vec<Target>,
    ranges: Vec<(u8, u8, Target)>,
    entry: Target,
}

impl Frag {
    /// Appends a copy of `frag`, its exit patched to `exit`; returns where it starts.
    fn append(&mut self, frag: &Frag, exit: Target) -> Target {
        let base = self.parts.len() as u32;
        let (edges, ranges) = (self.edges.len() as u32, self.ranges.len() as u32);
        let at = |t: Target| if t == EXIT { exit } else { base + t };
        self.parts.extend(frag.parts.iter().map(|p| match *p {
            Part::Range(a, b, t) => Part::Range(a, b, at(t)),
            Part::Sparse(start, len) => Part::Sparse(start + ranges, len),
            Part::Union(start, len) => Part::Union(start + edges, len),
            Part::Fail => Part::Fail,
        }));
        self.edges.extend(frag.edges.iter().map(|&t| at(t)));
        self.ranges.extend(frag.ranges.iter().map(|&(a, b, t)| (a, b, at(t))));
        at(frag.entry)
    }

    fn push(&mut self, part: Part) -> Target {
        self.parts.push(part);
        (self.parts.len() - 1) as Target
    }

    /// A chain reading `bytes`, then `exit`; returns where it starts.
    fn literal(&mut self, bytes: &[u8], exit: Target) -> Target {
        bytes.iter().rev().fold(exit, |next, &b| self.push(Part::Range(b, b, next)))
    }

    /// A union of `targets`, in order of preference.
    fn union(&mut self, targets: &[Target]) -> Target {
        let start = self.edges.len() as u32;
        self.edges.extend_from_slice(targets);
        self.push(Part::Union(start, targets.len() as u32))
    }

    /// A union of two targets not known yet: set them with [`Frag::set_pair`].
    fn pair(&mut self) -> Target {
        self.union(&[EXIT, EXIT])
    }

    fn set_pair(&mut self, union: Target, first: Target, second: Target) {
        if let Part::Union(start, 2) = self.parts[union as usize] {
            self.edges[start as usize] = first;
            self.edges[start as usize + 1] = second;
        }
    }

    /// One state reading any of `ranges` (disjoint, increasing, each to its own target).
    fn dispatch(&mut self, ranges: &[(u8, u8, Target)]) -> Target {
        match ranges {
            [] => self.push(Part::Fail),
            [(a, b, t)] => self.push(Part::Range(*a, *b, *t)),
            _ => {
                let start = self.ranges.len() as u32;
                self.ranges.extend_from_slice(ranges);
                self.push(Part::Sparse(start, ranges.len() as u32))
            }
        }
    }

    /// `frag` repeated per `q`, then `exit`; returns where it starts, or `None` when that
    /// would take this fragment past `limit` parts (checked before anything is copied).
    fn repeat(
        &mut self,
        frag: &Frag,
        q: &Quantifier,
        exit: Target,
        limit: usize,
    ) -> Option<Target> {
        let copies = q.max.unwrap_or(q.min).max(1) as usize;
        let parts = copies.saturating_mul(frag.parts.len() + 1);
        if self.parts.len().saturating_add(parts) > limit {
            return None;
        }
        let mut cur = exit;
        let optional = |this: &mut Frag, union: Target, body: Target| {
            let (first, second) = if q.greedy { (body, exit) } else { (exit, body) };
            this.set_pair(union, first, second);
        };
        match q.max {
            None => {
                let looped = self.pair();
                let body = self.append(frag, looped);
                optional(self, looped, body);
                cur = looped;
            }
            Some(max) => {
                // X{0,n}: (X(X(…)?)?)?, each optional copy skipping to the exit.
                for _ in q.min..max {
                    let body = self.append(frag, cur);
                    cur = self.pair();
                    optional(self, cur, body);
                }
            }
        }
        for _ in 0..q.min {
            cur = self.append(frag, cur);
        }
        Some(cur)
    }

    /// The NFA of this fragment as a whole pattern: anchored start at the entry, an
    /// unanchored start before it (any bytes, lazily), the exit a match.
    #[allow(clippy::result_large_err)] // regex-automata's own error, as its compiler returns it
    fn build(&self, nfa_size_limit: Option<usize>) -> Result<NFA, BuildError> {
        let mut b = thompson::Builder::new();
        b.set_utf8(false);
        b.set_size_limit(nfa_size_limit)?;
        // `(?s-u:.)*?` first, for unanchored searches; it leads to the start once known.
        let unanchored = b.add_union(Vec::new())?;
        let any = b.add_range(Transition { start: 0, end: 255, next: unanchored })?;
        b.start_pattern()?;
        // Ids are handed out in order: part `i` becomes `base + i`, the match comes after.
        let base = any.as_usize() + 1;
        // `compile` checked that every id fits.
        let id = |t: Target| StateID::must(base + t as usize);
        let exit = id(self.parts.len() as Target);
        let to = |t: Target| if t == EXIT { exit } else { id(t) };
        for part in &self.parts {
            match *part {
                Part::Range(start, end, next) => {
                    b.add_range(Transition { start, end, next: to(next) })?
                }
                Part::Sparse(at, len) => b.add_sparse(
                    self.ranges[at as usize..(at + len) as usize]
                        .iter()
                        .map(|&(start, end, next)| Transition { start, end, next: to(next) })
                        .collect(),
                )?,
                Part::Union(at, len) => b.add_union(
                    self.edges[at as usize..(at + len) as usize].iter().map(|&t| to(t)).collect(),
                )?,
                Part::Fail => b.add_fail()?,
            };
        }
        let matched = b.add_match()?;
        debug_assert_eq!(matched, exit);
        let start = to(self.entry);
        b.finish_pattern(start)?;
        b.patch(unanchored, start)?;
        b.patch(unanchored, any)?;
        b.build(start, unanchored)
    }
}

/// Fragments of group texts compiled so far, by text (process-wide: schemas compiled one
/// after the other share their any-value and string expressions), at most
/// [`CACHED_PARTS`] parts in all.
static CACHE: Mutex<Option<FragCache>> = Mutex::new(None);

/// Parts the fragment cache holds at most (about 16 bytes each).
const CACHED_PARTS: usize = 1 << 20;

/// Fragments bigger than this are not kept: one counted repetition of a large group could
/// otherwise push out every fragment that is shared.
const CACHED_FRAG_PARTS: usize = 1 << 16;

/// Fragments by text, each with the syntax options it was parsed under
/// ([`config_key`]) and when it was last used.
#[derive(Default)]
struct FragCache {
    frags: FxHashMap<String, (Arc<Frag>, u64, u64)>,
    parts: usize,
    clock: u64,
}

impl FragCache {
    fn get(&mut self, text: &str, config: u64) -> Option<Arc<Frag>> {
        self.clock += 1;
        let clock = self.clock;
        let (frag, under, used) = self.frags.get_mut(text)?;
        (*under == config).then(|| {
            *used = clock;
            frag.clone()
        })
    }

    fn insert(&mut self, text: &str, config: u64, frag: Arc<Frag>) {
        self.parts += frag.parts.len();
        self.clock += 1;
        if let Some((old, _, _)) = self.frags.insert(text.to_owned(), (frag, config, self.clock)) {
            self.parts -= old.parts.len();
        }
        // Past the bound, drop the least recently used half.
        if self.parts > CACHED_PARTS {
            let mut used: Vec<u64> = self.frags.values().map(|(_, _, u)| *u).collect();
            used.sort_unstable();
            let cut = used[used.len() / 2];
            self.frags.retain(|_, (_, _, u)| *u > cut);
            self.parts = self.frags.values().map(|(f, _, _)| f.parts.len()).sum();
        }
    }
}

fn with_cache<R>(f: impl FnOnce(&mut FragCache) -> R) -> R {
    f(CACHE.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_with(FragCache::default))
}

/// What a cache entry was compiled under: the syntax options that change a parse.
fn config_key(config: &syntax::Config) -> u64 {
    u64::from(config.get_case_insensitive())
        | u64::from(config.get_multi_line()) << 1
        | u64::from(config.get_dot_matches_new_line()) << 2
        | u64::from(config.get_crlf()) << 3
        | u64::from(config.get_swap_greed()) << 4
        | u64::from(config.get_ignore_whitespace()) << 5
        | u64::from(config.get_unicode()) << 6
        | u64::from(config.get_utf8()) << 7
        | u64::from(config.get_octal()) << 8
        | u64::from(config.get_line_terminator()) << 9
}

struct Splitter<'p> {
    config: syntax::Config,
    /// Whether a leaf of plain characters is the literal of its bytes under `config`.
    plain_literals: bool,
    /// Parts the NFA may have (its size limit).
    limit: usize,
    /// How often each large group's inside occurs in the pattern (its copies inside a
    /// repeated group counted once): a repeated one is compiled once and copied.
    seen: FxHashMap<&'p str, u32>,
    /// Where the pattern's groups and classes end.
    scan: Scan<'p>,
}

impl<'p> Splitter<'p> {
    fn new(config: syntax::Config, limit: usize, scan: Scan<'p>) -> Splitter<'p> {
        let plain_literals = !config.get_case_insensitive() && !config.get_ignore_whitespace();
        Splitter { config, plain_literals, limit, seen: FxHashMap::default(), scan }
    }

    /// Counts the large groups of `s` and, the first time each is seen, of its inside.
    fn count(&mut self, s: &'p str) -> Option<()> {
        for t in self.scan.top_level(s)? {
            let Some(inner) = t.large else { continue };
            let n = self.seen.entry(inner).or_insert(0);
            *n += 1;
            if *n == 1 {
                self.count(inner)?;
            }
        }
        Some(())
    }

    /// The whole pattern as one fragment.
    fn pattern(&mut self, s: &'p str) -> Option<Frag> {
        let mut frag = Frag::default();
        frag.entry = self.alternation(&mut frag, s, EXIT)?;
        Some(frag)
    }

    /// The fragment of a large group's inside `s`, to copy: from the cache, or compiled
    /// (and cached when it occurs more than once).
    fn shared(&mut self, s: &'p str) -> Option<Arc<Frag>> {
        let config = config_key(&self.config);
        if let Some(frag) = with_cache(|cache| cache.get(s, config)) {
            return Some(frag);
        }
        let frag = Arc::new(self.pattern(s)?);
        let repeated = self.seen.get(s).is_some_and(|&n| n > 1);
        if repeated && frag.parts.len() <= CACHED_FRAG_PARTS {
            with_cache(|cache| cache.insert(s, config, frag.clone()));
        }
        Some(frag)
    }

    /// A large group's inside `s` into `frag`, then `exit`: a copy of its fragment when it
    /// is cached or repeated, else compiled in place.
    fn group(&mut self, frag: &mut Frag, s: &'p str, exit: Target) -> Option<Target> {
        let shared = if self.seen.get(s).is_some_and(|&n| n > 1) {
            Some(self.shared(s)?)
        } else {
            with_cache(|cache| cache.get(s, config_key(&self.config)))
        };
        match shared {
            Some(shared) => Some(frag.append(&shared, exit)),
            None => self.alternation(frag, s, exit),
        }
    }

    /// `s`, split at its top-level `|`s and large groups, into `frag`, then `exit`.
    fn alternation(&mut self, frag: &mut Frag, s: &'p str, exit: Target) -> Option<Target> {
        let tops = self.scan.top_level(s)?;
        if tops.iter().all(|t| t.large.is_none()) {
            return self.leaf(frag, s, exit);
        }
        let mut entries = Vec::new();
        let (mut start, mut first) = (0, 0);
        for (i, t) in tops.iter().enumerate() {
            if t.bar {
                entries.push(self.concat(frag, s, start..t.open, &tops[first..i], exit)?);
                (start, first) = (t.open + 1, i + 1);
            }
        }
        entries.push(self.concat(frag, s, start..s.len(), &tops[first..], exit)?);
        let entry = match entries.as_slice() {
            [one] => *one,
            _ => frag.union(&entries),
        };
        (frag.parts.len() <= self.limit).then_some(entry)
    }

    /// The branch `s[range]` (no top-level `|` inside) into `frag`, then `exit`, back to
    /// front. `X(SX)*` (the items just before a starred group are the last ones inside it:
    /// how a list is written) becomes one loop through a single copy of `X`. `tops` is
    /// what sits at the top level of the branch.
    fn concat(
        &mut self,
        frag: &mut Frag,
        s: &'p str,
        range: std::ops::Range<usize>,
        tops: &[Top<'p>],
        exit: Target,
    ) -> Option<Target> {
        let items = items(s, range, tops)?;
        let mut cur = exit;
        let mut k = items.len();
        while k > 0 {
            let item = &items[k - 1];
            if let Some((m, body)) = folds(&self.scan, &items[..k - 1], item)? {
                // X (S X)*: the loop goes X, then S X again or out.
                let looped = frag.pair();
                let x = self.emit(frag, &items[k - 1 - m..k - 1], looped)?;
                let again = self.emit(frag, &body, x)?;
                frag.set_pair(looped, again, cur);
                cur = x;
                k -= 1 + m;
            } else {
                cur = self.emit(frag, std::slice::from_ref(item), cur)?;
                k -= 1;
            }
            if frag.parts.len() > self.limit {
                return None;
            }
        }
        Some(cur)
    }

    /// `items` into `frag`, back to front, then `exit`; returns where they start.
    fn emit(&mut self, frag: &mut Frag, items: &[Item<'p>], exit: Target) -> Option<Target> {
        let mut cur = exit;
        for item in items.iter().rev() {
            cur = match (item.inner, &item.rep) {
                (Some(inner), Some(q)) => {
                    let shared = self.shared(inner)?;
                    frag.repeat(&shared, q, cur, self.limit)?
                }
                (Some(inner), None) => self.group(frag, inner, cur)?,
                (None, _) => self.leaf(frag, item.text, cur)?,
            };
            if frag.parts.len() > self.limit {
                return None;
            }
        }
        Some(cur)
    }

    /// A piece with no large group to split at, into `frag`, then `exit`: parsed by
    /// regex-syntax, compiled here.
    fn leaf(&mut self, frag: &mut Frag, s: &str, exit: Target) -> Option<Target> {
        if self.plain_literals {
            if let Some(entry) = plain_literal(frag, s, exit) {
                return Some(entry);
            }
        }
        // Leaves recur across schemas (key-trie nodes, numbers, formats): parsed once per
        // process, like groups.
        let config = config_key(&self.config);
        if let Some(cached) = with_cache(|cache| cache.get(s, config)) {
            return Some(frag.append(&cached, exit));
        }
        let hir = syntax::parse_with(s, &self.config).ok()?;
        let mut sub = Frag::default();
        sub.entry = self.hir(&mut sub, &hir, EXIT)?;
        let sub = Arc::new(sub);
        if sub.parts.len() <= CACHED_FRAG_PARTS {
            with_cache(|cache| cache.insert(s, config, sub.clone()));
        }
        Some(frag.append(&sub, exit))
    }

    /// The Thompson construction of `hir` into `frag`, then `exit`; returns its start.
    fn hir(&mut self, frag: &mut Frag, hir: &Hir, exit: Target) -> Option<Target> {
        if frag.parts.len() > self.limit {
            return None;
        }
        Some(match hir.kind() {
            HirKind::Empty => exit,
            HirKind::Literal(literal) => frag.literal(&literal.0, exit),
            HirKind::Class(Class::Bytes(class)) => {
                let ranges: Vec<_> =
                    class.ranges().iter().map(|r| (r.start(), r.end(), exit)).collect();
                frag.dispatch(&ranges)
            }
            HirKind::Class(Class::Unicode(class)) => unicode_class(frag, class, exit),
            HirKind::Look(_) => return None,
            HirKind::Capture(capture) => self.hir(frag, &capture.sub, exit)?,
            HirKind::Concat(items) => {
                let mut cur = exit;
                for item in items.iter().rev() {
                    cur = self.hir(frag, item, cur)?;
                }
                cur
            }
            HirKind::Alternation(branches) => {
                let entries: Vec<Target> =
                    branches.iter().map(|b| self.hir(frag, b, exit)).collect::<Option<_>>()?;
                frag.union(&entries)
            }
            HirKind::Repetition(rep) => {
                let mut sub = Frag::default();
                sub.entry = self.hir(&mut sub, &rep.sub, EXIT)?;
                let q = Quantifier { min: rep.min, max: rep.max, greedy: rep.greedy };
                frag.repeat(&sub, &q, exit, self.limit)?
            }
        })
    }
}

/// `s` as a chain of its bytes into `frag`, then `exit`, when it is plain text (characters
/// without a special meaning, and escaped metacharacters): most leaves of a schema's regex
/// are keys and punctuation, and regex-syntax's parse costs more than they do. `None`, and
/// nothing added, when it is anything else. Only for case-sensitive parses without
/// ignored whitespace, where a character stands for its UTF-8 bytes.
fn plain_literal(frag: &mut Frag, s: &str, exit: Target) -> Option<Target> {
    let special = |c: char| {
        matches!(c, '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']')
            || matches!(c, '{' | '}' | '^' | '$' | '\\')
    };
    let mut literal = [0u8; 64];
    let mut len = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let c = match c {
            '\\' => chars.next().filter(|&e| regex_syntax::is_meta_character(e))?,
            c if special(c) => return None,
            c => c,
        };
        let end = len + c.len_utf8();
        c.encode_utf8(literal.get_mut(len..end)?);
        len = end;
    }
    Some(frag.literal(&literal[..len], exit))
}

/// When `item` is a greedy `(?:…)*` whose inside ends with the last items of `before`
/// (whole items, at least one): how many, and the items of the inside before them.
fn folds<'p>(
    scan: &Scan<'p>,
    before: &[Item<'p>],
    item: &Item<'p>,
) -> Option<Option<(usize, Vec<Item<'p>>)>> {
    let (Some(inner), Some(Quantifier { min: 0, max: None, greedy: true })) =
        (item.inner, &item.rep)
    else {
        return Some(None);
    };
    let tops = scan.top_level(inner)?;
    if tops.iter().any(|t| t.bar) {
        return Some(None);
    }
    let inside = items(inner, 0..inner.len(), &tops)?;
    let m =
        before.iter().rev().zip(inside.iter().rev()).take_while(|(a, b)| a.text == b.text).count();
    if m == 0 {
        return Some(None);
    }
    Some(Some((m, inside[..inside.len() - m].to_vec())))
}

/// A class of scalar values as UTF-8: a chain of byte ranges per encoded sequence, chains
/// sharing their common tails, their first bytes read by one state when no two chains
/// start on overlapping ranges (as in every class the schema compiler writes).
fn unicode_class(frag: &mut Frag, class: &regex_syntax::hir::ClassUnicode, exit: Target) -> Target {
    let mut firsts: Vec<(u8, u8, Target)> = Vec::new();
    let mut tails: FxHashMap<(u8, u8, Target), Target> = FxHashMap::default();
    for range in class.ranges() {
        for seq in regex_syntax::utf8::Utf8Sequences::new(range.start(), range.end()) {
            let (first, rest) = seq.as_slice().split_first().expect("a sequence is not empty");
            let mut next = exit;
            for r in rest.iter().rev() {
                next = *tails
                    .entry((r.start, r.end, next))
                    .or_insert_with(|| frag.push(Part::Range(r.start, r.end, next)));
            }
            firsts.push((first.start, first.end, next));
        }
    }
    firsts.sort_unstable();
    if firsts.windows(2).all(|w| w[0].1 < w[1].0) {
        return frag.dispatch(&firsts);
    }
    let heads: Vec<Target> =
        firsts.into_iter().map(|(a, b, next)| frag.push(Part::Range(a, b, next))).collect();
    frag.union(&heads)
}

/// One item of a branch: a run of plain text, or a large group and its quantifier.
#[derive(Clone, Debug)]
struct Item<'p> {
    /// Its text (a group's with its parentheses and quantifier).
    text: &'p str,
    /// A group's inside; `None` for plain text.
    inner: Option<&'p str>,
    rep: Option<Quantifier>,
}

/// The items of the branch `s[range]`, whose top level holds `tops` (no `|`).
fn items<'p>(s: &'p str, range: std::ops::Range<usize>, tops: &[Top<'p>]) -> Option<Vec<Item<'p>>> {
    let mut out = Vec::new();
    let mut plain = range.start;
    for t in tops {
        let Some(inner) = t.large else { continue };
        let (rep, after) = quantifier(s.as_bytes(), t.close + 1)?;
        if plain < t.open {
            out.push(Item { text: &s[plain..t.open], inner: None, rep: None });
        }
        out.push(Item { text: &s[t.open..after], inner: Some(inner), rep });
        plain = after;
    }
    if plain < range.end {
        out.push(Item { text: &s[plain..range.end], inner: None, rep: None });
    }
    Some(out)
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

/// Where each group and class of a pattern ends, found in one pass: the splitter looks at
/// each group's top level once per nesting level, and scanning each inside again there
/// made deep patterns (an open object's key trie) quadratic.
struct Scan<'p> {
    pattern: &'p str,
    /// For each `(`: the index of its `)` ([`FLAGS`] for a bare flag group such as `(?i)`,
    /// which changes the rest of its enclosing group); for each `[`: the index just past
    /// its class. Zero elsewhere.
    ends: Vec<u32>,
    /// The deepest nesting of groups and classes.
    depth: usize,
}

/// See [`Scan::ends`].
const FLAGS: u32 = u32::MAX;

impl<'p> Scan<'p> {
    /// `None` when the pattern is unbalanced or too long for the table (regex-syntax will
    /// say what is wrong).
    fn new(pattern: &'p str) -> Option<Scan<'p>> {
        let bytes = pattern.as_bytes();
        u32::try_from(bytes.len()).ok().filter(|&n| n < FLAGS)?;
        let mut ends = vec![0u32; bytes.len()];
        let mut open: Vec<usize> = Vec::new();
        let mut depth = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'[' => {
                    let end = skip_class(bytes, i)?;
                    ends[i] = end as u32;
                    depth = depth.max(open.len() + 1);
                    i = end;
                }
                b'(' => {
                    open.push(i);
                    depth = depth.max(open.len());
                    i += 1;
                }
                b')' => {
                    let at = open.pop()?;
                    ends[at] = if is_bare_flags(&bytes[at..=i]) { FLAGS } else { i as u32 };
                    i += 1;
                }
                _ => i += 1,
            }
        }
        open.is_empty().then_some(Scan { pattern, ends, depth })
    }

    /// Where `s` (a slice of the scanned pattern) starts in it.
    fn offset(&self, s: &str) -> usize {
        let offset = s.as_ptr() as usize - self.pattern.as_ptr() as usize;
        debug_assert!(offset + s.len() <= self.pattern.len(), "a slice of the pattern");
        offset
    }

    /// The groups and `|`s at the top level of `s` (a slice of the pattern), in order;
    /// `None` when the splitter does not model it (a bare flag group).
    fn top_level(&self, s: &'p str) -> Option<Vec<Top<'p>>> {
        let (bytes, base) = (s.as_bytes(), self.offset(s));
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'[' => i = self.ends[base + i] as usize - base,
                b'(' => {
                    let end = self.ends[base + i];
                    if end == FLAGS {
                        return None;
                    }
                    let close = end as usize - base;
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
}

/// Whether the group `(…)` is a bare flag group such as `(?i)`.
fn is_bare_flags(group: &[u8]) -> bool {
    group.starts_with(b"(?")
        && group[2..group.len() - 1].iter().all(|b| b.is_ascii_alphabetic() || *b == b'-')
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

/// A repetition operator after a group.
#[derive(Clone, Debug)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::{
        dfa::{dense, Automaton as _, StartKind},
        Anchored, Input, MatchKind,
    };

    fn config() -> syntax::Config {
        syntax::Config::new().utf8(false).nest_limit(250)
    }

    /// regex-automata's own NFA for the whole pattern.
    fn whole(p: &str) -> NFA {
        whole_under(p, config())
    }

    fn whole_under(p: &str, config: syntax::Config) -> NFA {
        thompson::Compiler::new()
            .syntax(config)
            .configure(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
            .build(p)
            .unwrap()
    }

    fn dfa(nfa: &NFA) -> dense::DFA<Vec<u32>> {
        dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .byte_classes(false),
            )
            .build_from_nfa(nfa)
            .unwrap()
    }

    /// Whether two NFAs accept the same strings (anchored): a walk over pairs of states of
    /// their DFAs, which must agree on matching everywhere.
    fn same_language(a: &NFA, b: &NFA) -> bool {
        let (da, db) = (dfa(a), dfa(b));
        let input = Input::new("").anchored(Anchored::Yes);
        let start =
            (da.start_state_forward(&input).unwrap(), db.start_state_forward(&input).unwrap());
        let mut seen = std::collections::HashSet::from([start]);
        let mut pending = vec![start];
        while let Some((x, y)) = pending.pop() {
            if da.is_match_state(da.next_eoi_state(x)) != db.is_match_state(db.next_eoi_state(y)) {
                return false;
            }
            for byte in 0..=255u8 {
                let pair = (da.next_state(x, byte), db.next_state(y, byte));
                if da.is_match_state(pair.0) != db.is_match_state(pair.1)
                    || da.is_dead_state(pair.0) != db.is_dead_state(pair.1)
                {
                    return false;
                }
                if seen.insert(pair) {
                    pending.push(pair);
                }
            }
        }
        true
    }

    fn same_as_whole(p: &str) {
        let split = compile(p, &config(), None).expect("split").unwrap();
        assert!(same_language(&split, &whole(p)), "{p}");
    }

    const STRING: &str = r#""(?:[^"\\\x00-\x1F]|\\["\\/bfnrt]|\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))*""#;

    #[test]
    fn split_patterns_match_what_the_whole_pattern_matches() {
        let value = format!("(?:null|true|false|-?(?:0|[1-9][0-9]*)|{STRING})");
        let member = format!("{STRING}: {value}");
        let object = format!(r"\{{(?:{member}(?:, {member}){{0,3}})?\}}");
        same_as_whole(&format!(r#"\{{"a": {object}, "b": (?:{object}|\[{value}*?\])\}}"#));
        same_as_whole(&format!("(?:{value})+|(?:{value}){{2,}}|x(?:{value}){{3}}y|"));
        same_as_whole(&format!(
            "(?:{value}){{0,2}}(?:{value})??é[é-ü]+(?-u:\\xFF)(?:{value}){{1,2}}?"
        ));
        // The same language, and not some other: a changed pattern is told apart.
        let p = format!("(?:{value})(?:{value}){{0,2}}");
        let q = format!("(?:{value})(?:{value}){{0,3}}");
        assert!(!same_language(&compile(&p, &config(), None).unwrap().unwrap(), &whole(&q)));
    }

    #[test]
    fn plain_leaves_are_their_bytes_and_nothing_else() {
        let group = format!("(?:{})", "x|y".repeat(2 * SMALL));
        let long = "k".repeat(80);
        for leaf in [r#"\{"key": "#, r"é日本\.\$\-\#", "a#b&c~d-e", r"\}\]", &long, "a\\db", "a.b"]
        {
            same_as_whole(&format!("{leaf}{group}{leaf}|{group}{leaf}"));
        }
        // Under case-insensitive parsing a letter is a class: regex-syntax parses it.
        let insensitive = config().case_insensitive(true);
        let pattern = format!("ab{group}");
        let split = compile(&pattern, &insensitive, None).expect("split").unwrap();
        assert!(same_language(&split, &whole_under(&pattern, insensitive)));
        let upper = "ABX";
        let d = dfa(&split);
        let mut state = d.start_state_forward(&Input::new("").anchored(Anchored::Yes)).unwrap();
        for b in upper.bytes() {
            state = d.next_state(state, b);
        }
        assert!(d.is_match_state(d.next_eoi_state(state)), "AB then X under (?i)");
    }

    #[test]
    fn lists_are_one_loop_over_one_copy() {
        // An any-value two levels deep, written as the schema compiler writes lists:
        // `X(, X)*` for array items and object members.
        let scalar = format!("(?:null|true|false|-?(?:0|[1-9][0-9]*)|{STRING})");
        let level = |inner: &str| {
            format!(
                r"(?:{scalar}|\[\]|\[(?:{inner})(?:, (?:{inner}))*\]|\{{\}}|\{{{STRING}: (?:{inner})(?:, {STRING}: (?:{inner}))*\}})"
            )
        };
        let pattern = level(&level(&scalar));
        let split = compile(&pattern, &config(), None).unwrap().unwrap();
        let whole = whole(&pattern);
        assert!(same_language(&split, &whole));
        // Each level keeps one copy of its items instead of two.
        assert!(
            split.states().len() * 2 < whole.states().len(),
            "{} states against {}",
            split.states().len(),
            whole.states().len()
        );
    }

    #[test]
    fn compiled_groups_are_cached_and_reused() {
        let group = format!("(?:{})", "[a-c]x|".repeat(SMALL));
        let pattern = format!("{group}y{group}z{group}");
        same_as_whole(&pattern);
        let inner = &group[3..group.len() - 1];
        let cached = with_cache(|c| c.get(inner, config_key(&config()))).expect("cached");
        // Another pattern with the same group gets the very same fragment.
        let mut splitter = Splitter::new(config(), usize::MAX, Scan::new(inner).unwrap());
        let again = splitter.shared(inner).unwrap();
        assert!(Arc::ptr_eq(&cached, &again));
    }

    #[test]
    fn what_it_does_not_model_goes_whole() {
        let long = "a".repeat(4 * SMALL);
        assert!(compile(&format!("(?i){long}"), &config(), None).is_none());
        assert!(compile(&format!("{long}(?:b"), &config(), None).is_none());
        assert!(compile(&format!("{long}[b"), &config(), None).is_none());
        assert!(compile(&format!("{long}(?:b){{3,2}}"), &config(), None).is_none());
        assert!(compile(&format!("{long}(?:{long}\\"), &config(), None).is_none());
        assert!(compile(&format!("{long}(?:^{long})"), &config(), None).is_none(), "look-around");
        assert!(compile("ab", &config(), None).is_none());
        // Over the size limit: the whole compile reports it.
        assert!(compile(&format!("(?:{long}){{50}}"), &config(), Some(4096)).is_none());
    }

    #[test]
    fn classes_and_named_groups_hide_their_parentheses() {
        let long = "(?:x|y)".repeat(2 * SMALL);
        same_as_whole(&format!(
            r"[()|][]a(][^]|)][[:alpha:]&&[^b]](?:{long})(?i:A|b)(?P<n>c|{long})(?:{long})"
        ));
        same_as_whole(&format!(r"\((?:{long}\)|\|)|(?:\[{long})|(?:{long}\)|\|)"));
    }

    #[test]
    fn drawn_inputs_get_the_verdict_of_the_whole_pattern() {
        let value = format!("(?:null|-?[1-9][0-9]{{0,2}}|{STRING})");
        let p = format!(r"\[(?:{value}(?:, {value})*)?\]");
        let (ours, theirs) =
            (dfa(&compile(&p, &config(), None).unwrap().unwrap()), dfa(&whole(&p)));
        let matches = |d: &dense::DFA<Vec<u32>>, s: &str| {
            let input = Input::new(s).anchored(Anchored::Yes);
            d.try_search_fwd(&input).unwrap().is_some_and(|m| m.offset() == s.len())
        };
        let pieces = ["null", "-12", "\"a\\n\"", "0", "\"é\"", "1234", "\"\\x\"", ", ", "]"];
        let mut seed = 7u64;
        let mut accepted = 0;
        for _ in 0..2000 {
            let mut s = String::from("[");
            for _ in 0..seed % 5 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            s.push(']');
            assert_eq!(matches(&ours, &s), matches(&theirs, &s), "{s}");
            accepted += usize::from(matches(&ours, &s));
        }
        assert!(accepted > 100, "the drawn inputs exercise both verdicts ({accepted} accepted)");
    }
}
