//! MaskBench corpus check at the automaton level.
//!
//! ```text
//! cargo run -p maskwell-schema --release --example maskbench -- /path/to/maskbench [options]
//!   --lenient                 lenient mode
//!   --unknown-format ignore   treat unknown formats as annotations
//!   --closed-objects          close objects that do not say additionalProperties
//!   --max-regex-len N         Config::max_regex_len (default 1 MiB)
//!   --any-value-depth N       Config::any_value_depth (default 2)
//!   --whitespace flexible     Whitespace::Flexible { max_run: 4 } (default: spaced)
//!   --filter TEXT             only files whose name contains TEXT
//!   --files LIST              only the files named in LIST (one name per line)
//!   --jobs N                  worker threads (default 1)
//!   --json FILE               per-file results as JSON Lines
//!   --verbose                 print every failing instance
//! ```
//!
//! For each file: compile the schema, build an anchored lazy DFA (64 MiB limits), then
//! serialize every instance as `json.dumps(data, ensure_ascii=False)` does and check that
//! valid instances are accepted as a whole and invalid ones rejected. A file passes when
//! it compiles and every instance comes out right (files without instances pass when they
//! compile).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use common::{parse_raw, Matcher, Raw};
use maskwell_schema::{Compiler, Config, UnknownFormat, Whitespace};

#[derive(Default, Clone)]
struct Row {
    files: u64,
    compiled: u64,
    passing: u64,
    valid_rejected_files: u64,
    invalid_accepted_files: u64,
    valid_rejected: u64,
    invalid_accepted: u64,
    instances: u64,
}

fn subset(name: &str) -> String {
    if let Some((s, _)) = name.split_once("---") {
        return s.to_string();
    }
    let stem = name.trim_end_matches(".json");
    match stem.rfind('_') {
        Some(i) if stem[i + 1..].bytes().all(|b| b.is_ascii_digit()) => stem[..i].to_string(),
        _ => stem.to_string(),
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut cfg = Config::new();
    let mut filter = String::new();
    let mut jobs = 1usize;
    let mut json_out: Option<PathBuf> = None;
    let mut verbose = false;
    let mut only: Option<Vec<String>> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--lenient" => cfg = cfg.lenient(true),
            "--unknown-format" => {
                if args.next().as_deref() == Some("ignore") {
                    cfg = cfg.unknown_format(UnknownFormat::Ignore);
                }
            }
            "--closed-objects" => cfg = cfg.additional_properties(false),
            "--any-value-depth" => {
                let n = args.next().and_then(|n| n.parse().ok());
                cfg = cfg.any_value_depth(n.expect("--any-value-depth takes a depth"));
            }
            "--max-regex-len" => {
                let n = args.next().and_then(|n| n.parse().ok());
                cfg = cfg.max_regex_len(n.expect("--max-regex-len takes a byte count"));
            }
            "--whitespace" => {
                if args.next().as_deref() == Some("flexible") {
                    cfg = cfg.whitespace(Whitespace::Flexible { max_run: 4 });
                }
            }
            "--filter" => filter = args.next().unwrap_or_default(),
            "--files" => {
                // A file with one file name per line: only those.
                let list =
                    std::fs::read_to_string(args.next().unwrap_or_default()).unwrap_or_default();
                only = Some(list.lines().map(str::to_string).collect());
            }
            "--jobs" => jobs = args.next().and_then(|j| j.parse().ok()).unwrap_or(1),
            "--json" => json_out = args.next().map(PathBuf::from),
            "--verbose" => verbose = true,
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: maskbench DIR [options]");
        std::process::exit(2);
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("cannot read directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(&filter)))
        .filter(|p| {
            only.as_ref().is_none_or(|o| {
                p.file_name().is_some_and(|n| o.iter().any(|x| *x == n.to_string_lossy()))
            })
        })
        .collect();
    files.sort();
    let compiler = Compiler::new().configure(cfg);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let table: Mutex<BTreeMap<String, Row>> = Mutex::new(BTreeMap::new());
    let errors: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    // Schema → regex compile times (µs): of files that compiled, and of those that failed.
    let times: Mutex<(Vec<u128>, Vec<u128>)> = Mutex::new((Vec::new(), Vec::new()));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                let sub = subset(&name);
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let Ok(raw) = parse_raw(&text) else { continue };
                let schema: serde_json::Value =
                    serde_json::from_str(&raw.get("schema").map(Raw::to_json).unwrap_or_default())
                        .unwrap_or(serde_json::Value::Null);
                let tests: Vec<Raw> =
                    raw.get("tests").and_then(Raw::as_array).map(<[Raw]>::to_vec).unwrap_or_default();
                let t0 = Instant::now();
                let compiled = compiler.compile(&schema);
                let compile_us = t0.elapsed().as_micros();
                let mut row = Row { files: 1, ..Row::default() };
                let mut status = "pass".to_string();
                let mut error = String::new();
                let mut dfa_us = 0;
                let mut regex_len = 0;
                {
                    let mut t = times.lock().unwrap();
                    if compiled.is_ok() { t.0.push(compile_us) } else { t.1.push(compile_us) }
                }
                match compiled {
                    Err(e) => {
                        status = "compile_error".into();
                        error = e.to_string();
                        let key = format!("{} {}", e.code(), e.keyword().unwrap_or("-"));
                        *errors.lock().unwrap().entry(key).or_default() += 1;
                    }
                    Ok(c) => {
                        regex_len = c.regex().len();
                        let t1 = Instant::now();
                        match Matcher::new(c.regex(), 64 << 20) {
                            Err(e) => {
                                status = "dfa_error".into();
                                error = e;
                                *errors.lock().unwrap().entry("dfa_error -".into()).or_default() += 1;
                            }
                            Ok(m) => {
                                dfa_us = t1.elapsed().as_micros();
                                row.compiled = 1;
                                let mut overflow = None;
                                for t in &tests {
                                    let valid = t.get("valid") == Some(&Raw::Bool(true));
                                    let inst = t.get("data").map(Raw::python_dumps).unwrap_or_default();
                                    row.instances += 1;
                                    let ok = match m.try_accepts(&inst) {
                                        Ok(ok) => ok,
                                        Err(e) => {
                                            overflow = Some(e);
                                            break;
                                        }
                                    };
                                    if valid && !ok {
                                        row.valid_rejected += 1;
                                        if verbose {
                                            let at = m.live_prefix(&inst);
                                            let (head, tail) = inst.split_at(at);
                                            let from = (head.len().saturating_sub(80)..head.len()).find(|&i| head.is_char_boundary(i)).unwrap_or(head.len());
                                            let to = (tail.len().min(40)..=tail.len()).find(|&i| tail.is_char_boundary(i)).unwrap_or(tail.len());
                                            let (head, tail) = (&head[from..], &tail[..to]);
                                            println!("VALID REJECTED {name} at byte {at}: …{head} ⟨HERE⟩ {tail}");
                                        }
                                    }
                                    if !valid && ok {
                                        row.invalid_accepted += 1;
                                        println!("INVALID ACCEPTED {name}: {inst}");
                                    }
                                }
                                row.valid_rejected_files = u64::from(row.valid_rejected > 0);
                                row.invalid_accepted_files = u64::from(row.invalid_accepted > 0);
                                if let Some(e) = overflow {
                                    status = "dfa_error".into();
                                    error = e;
                                    *errors.lock().unwrap().entry("dfa_error -".into()).or_default() += 1;
                                } else if row.invalid_accepted > 0 {
                                    status = "invalid_accepted".into();
                                } else if row.valid_rejected > 0 {
                                    status = "valid_rejected".into();
                                } else {
                                    row.passing = 1;
                                }
                            }
                        }
                    }
                }
                let line = format!(
                    "{{\"file\": {}, \"subset\": {}, \"status\": {}, \"error\": {}, \"regex_len\": {regex_len}, \"compile_us\": {compile_us}, \"dfa_us\": {dfa_us}, \"valid_rejected\": {}, \"invalid_accepted\": {}}}",
                    json_str(&name),
                    json_str(&sub),
                    json_str(&status),
                    json_str(&error),
                    row.valid_rejected,
                    row.invalid_accepted
                );
                if t0.elapsed().as_secs_f64() > 2.0 {
                    eprintln!("slow: {name} {:.1}s (compile {:.1}s) regex {regex_len} bytes", t0.elapsed().as_secs_f64(), compile_us as f64 / 1e6);
                }
                results.lock().unwrap().push((name, line));
                let mut t = table.lock().unwrap();
                let e = t.entry(sub).or_default();
                e.files += row.files;
                e.compiled += row.compiled;
                e.passing += row.passing;
                e.valid_rejected_files += row.valid_rejected_files;
                e.invalid_accepted_files += row.invalid_accepted_files;
                e.valid_rejected += row.valid_rejected;
                e.invalid_accepted += row.invalid_accepted;
                e.instances += row.instances;
            });
        }
    });
    let table = table.into_inner().unwrap();
    println!(
        "{:<24} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "subset",
        "files",
        "compiled",
        "passing",
        "vrej_files",
        "vrej_inst",
        "iacc_files",
        "iacc_inst"
    );
    let mut tot = Row::default();
    for (k, r) in &table {
        println!(
            "{:<24} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10}",
            k,
            r.files,
            r.compiled,
            r.passing,
            r.valid_rejected_files,
            r.valid_rejected,
            r.invalid_accepted_files,
            r.invalid_accepted
        );
        tot.files += r.files;
        tot.compiled += r.compiled;
        tot.passing += r.passing;
        tot.valid_rejected_files += r.valid_rejected_files;
        tot.valid_rejected += r.valid_rejected;
        tot.invalid_accepted_files += r.invalid_accepted_files;
        tot.invalid_accepted += r.invalid_accepted;
        tot.instances += r.instances;
    }
    println!(
        "{:<24} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "TOTAL",
        tot.files,
        tot.compiled,
        tot.passing,
        tot.valid_rejected_files,
        tot.valid_rejected,
        tot.invalid_accepted_files,
        tot.invalid_accepted
    );
    println!(
        "instances checked: {}; wall time {:.1}s",
        tot.instances,
        started.elapsed().as_secs_f64()
    );
    let (mut ok_times, mut err_times) = times.into_inner().unwrap();
    for (what, t) in [("compiled", &mut ok_times), ("failed", &mut err_times)] {
        t.sort_unstable();
        let at = |q: f64| {
            t.get(((q * t.len() as f64).ceil() as usize).clamp(1, t.len().max(1)) - 1)
                .copied()
                .unwrap_or(0)
        };
        println!(
            "schema compile time, {what} ({} files): p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
            t.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            t.last().copied().unwrap_or(0)
        );
    }
    let mut errs: Vec<(String, u64)> = errors.into_inner().unwrap().into_iter().collect();
    errs.sort_by_key(|e| std::cmp::Reverse(e.1));
    println!("failures to compile (code keyword: files):");
    for (k, n) in errs.iter().take(25) {
        println!("  {k}: {n}");
    }
    if let Some(out) = json_out {
        let mut rs = results.into_inner().unwrap();
        rs.sort();
        let text: String = rs.into_iter().map(|(_, l)| l + "\n").collect();
        std::fs::write(out, text).expect("cannot write --json output");
    }
}
