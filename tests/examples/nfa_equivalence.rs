//! The NFA the index builds (`maskwell::index::compile_nfa`, which compiles a schema's
//! regex one distinct group at a time) against regex-automata's compile of the whole
//! pattern, for every MaskBench schema that compiles: both must accept the same strings.
//!
//! ```text
//! cargo run -p maskwell-e2e --release --example nfa_equivalence -- DIR [--pairs N] [--jobs N]
//! ```
//!
//! Walks pairs of states of the two lazy DFAs breadth-first from their start states (up to
//! `--pairs`, default 100,000, per file) and stops at the first pair that disagrees on dead,
//! match or end of input, printing the string that leads there. Exits 1 on any difference.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use maskwell::index::{compile_nfa, Config};
use regex_automata::{
    hybrid::dfa::{Cache, DFA},
    nfa::thompson::{self, NFA},
    util::{start, syntax},
    Anchored, MatchKind,
};

#[derive(Default)]
struct Counts {
    equal: usize,
    equal_so_far: usize,
    differ: usize,
    /// No regex (the schema does not compile).
    no_regex: usize,
    /// The index's NFA is over a limit.
    ours_over: usize,
    /// Only regex-automata's whole compile is over its limit: nothing to compare with.
    only_whole_over: usize,
    /// A lazy DFA over its cache.
    dfa_over: usize,
}

enum Skip {
    NoRegex,
    OursOver,
    OnlyWholeOver,
    DfaOver,
}

/// What regex-automata compiles of the whole pattern, under the index's options.
fn whole(regex: &str, config: &Config) -> Option<NFA> {
    thompson::Compiler::new()
        .syntax(syntax::Config::new().utf8(false).nest_limit(config.get_nest_limit()))
        .configure(
            thompson::Config::new()
                .nfa_size_limit(Some(config.get_nfa_size_limit()))
                .which_captures(thompson::WhichCaptures::None),
        )
        .build(regex)
        .ok()
}

enum Verdict {
    Equal,
    EqualSoFar,
    Differ(Vec<u8>),
}

/// A breadth-first walk over pairs of lazy DFA states.
fn compare(a: &NFA, b: &NFA, max_pairs: usize) -> Option<Verdict> {
    let dfa = |nfa: &NFA| {
        DFA::builder()
            .configure(DFA::config().match_kind(MatchKind::All).cache_capacity(256 << 20))
            .build_from_nfa(nfa.clone())
            .ok()
    };
    let (da, db) = (dfa(a)?, dfa(b)?);
    let (mut ca, mut cb): (Cache, Cache) = (da.create_cache(), db.create_cache());
    let anchored = start::Config::new().anchored(Anchored::Yes);
    let start =
        (da.start_state(&mut ca, &anchored).ok()?, db.start_state(&mut cb, &anchored).ok()?);
    // Each pair, with the pair and byte it was first reached from.
    let mut parent = HashMap::from([(start, None)]);
    let mut queue = VecDeque::from([start]);
    let witness = |parent: &HashMap<_, Option<(_, u8)>>, mut at, last: Option<u8>| {
        let mut bytes: Vec<u8> = last.into_iter().collect();
        while let Some(&Some((from, byte))) = parent.get(&at) {
            bytes.push(byte);
            at = from;
        }
        bytes.reverse();
        bytes
    };
    while let Some((x, y)) = queue.pop_front() {
        let eoi = (da.next_eoi_state(&mut ca, x).ok()?, db.next_eoi_state(&mut cb, y).ok()?);
        if eoi.0.is_match() != eoi.1.is_match() {
            return Some(Verdict::Differ(witness(&parent, (x, y), None)));
        }
        for byte in 0..=255u8 {
            let pair =
                (da.next_state(&mut ca, x, byte).ok()?, db.next_state(&mut cb, y, byte).ok()?);
            if pair.0.is_dead() != pair.1.is_dead() || pair.0.is_match() != pair.1.is_match() {
                return Some(Verdict::Differ(witness(&parent, (x, y), Some(byte))));
            }
            if pair.0.is_dead() || parent.contains_key(&pair) {
                continue;
            }
            if parent.len() >= max_pairs {
                return Some(Verdict::EqualSoFar);
            }
            parent.insert(pair, Some(((x, y), byte)));
            queue.push_back(pair);
        }
    }
    Some(Verdict::Equal)
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let (mut max_pairs, mut jobs) = (100_000usize, 1usize);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--pairs" => max_pairs = args.next().and_then(|v| v.parse().ok()).unwrap_or(max_pairs),
            "--jobs" => jobs = args.next().and_then(|v| v.parse().ok()).unwrap_or(jobs),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: nfa_equivalence DIR [--pairs N] [--jobs N]");
        return std::process::ExitCode::from(2);
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return std::process::ExitCode::from(2);
        }
    };
    files.sort();
    let config = Config::new();
    let next = AtomicUsize::new(0);
    let counts = Mutex::new(Counts::default());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                while let Some(path) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let verdict = (|| {
                        let regex = std::fs::read_to_string(path)
                            .ok()
                            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                            .and_then(|file| {
                                maskwell::schema::Compiler::new().compile(file.get("schema")?).ok()
                            })
                            .ok_or(Skip::NoRegex)?;
                        let ours =
                            compile_nfa(regex.regex(), &config).map_err(|_| Skip::OursOver)?;
                        let whole = whole(regex.regex(), &config).ok_or(Skip::OnlyWholeOver)?;
                        compare(&ours, &whole, max_pairs).ok_or(Skip::DfaOver)
                    })();
                    let mut counts = counts.lock().unwrap();
                    match verdict {
                        Ok(Verdict::Equal) => counts.equal += 1,
                        Ok(Verdict::EqualSoFar) => counts.equal_so_far += 1,
                        Ok(Verdict::Differ(witness)) => {
                            counts.differ += 1;
                            println!(
                                "DIFFER {}: {:?}",
                                path.display(),
                                String::from_utf8_lossy(&witness)
                            );
                        }
                        Err(Skip::NoRegex) => counts.no_regex += 1,
                        Err(Skip::OursOver) => counts.ours_over += 1,
                        Err(Skip::OnlyWholeOver) => counts.only_whole_over += 1,
                        Err(Skip::DfaOver) => counts.dfa_over += 1,
                    }
                }
            });
        }
    });
    let c = counts.into_inner().unwrap();
    println!(
        "files {}: equal {}, equal over the first {max_pairs} pairs {}, differ {}; \
         skipped: no regex {}, NFA over its limit {}, only regex-automata's whole compile \
         over its limit {}, a lazy DFA over its cache {}",
        files.len(),
        c.equal,
        c.equal_so_far,
        c.differ,
        c.no_regex,
        c.ours_over,
        c.only_whole_over,
        c.dfa_over,
    );
    if c.differ > 0 {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
