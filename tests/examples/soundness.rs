//! Soundness over a whole corpus: for every MaskBench file whose schema compiles, random
//! walks through its automaton (the lazy DFA, determinized as the walks go) must all be
//! valid instances (the `jsonschema` crate, formats asserted).
//!
//! ```text
//! cargo run -p maskwell-e2e --release --example soundness -- DIR [--walks N] [--jobs N] [--verbose]
//! ```
//!
//! Prints one line per violation, per-subset counts and why files were skipped (`--verbose`:
//! one line per skipped file); exits 1 when any walk is invalid.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use maskwell_e2e::soundness::{check_schema, Verdict};

#[derive(Default)]
struct Counts {
    files: usize,
    sound: usize,
    walks: usize,
    skipped: usize,
    violations: usize,
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let (mut walks, mut jobs, mut verbose) = (20usize, 1usize, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--walks" => walks = args.next().and_then(|v| v.parse().ok()).unwrap_or(walks),
            "--jobs" => jobs = args.next().and_then(|v| v.parse().ok()).unwrap_or(jobs),
            "--verbose" => verbose = true,
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: soundness DIR [--walks N] [--jobs N] [--verbose]");
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
    let next = AtomicUsize::new(0);
    let counts: Mutex<BTreeMap<String, Counts>> = Mutex::new(BTreeMap::new());
    let skips: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let name =
                    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                // `Subset---id.json`, or `BFCL_java_12.json` for the subsets without `---`.
                let subset = name.split("---").next().unwrap_or("").trim_end_matches(".json");
                let subset =
                    subset.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches('_');
                let subset = subset.to_owned();
                let verdict = match std::fs::read_to_string(path)
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                {
                    Some(file) => check_schema(&file["schema"], walks, i as u64),
                    None => Verdict::Skipped("not a JSON file".to_owned()),
                };
                let mut counts = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let c = counts.entry(subset).or_default();
                c.files += 1;
                match verdict {
                    Verdict::Sound { walks } => {
                        c.sound += 1;
                        c.walks += walks;
                    }
                    Verdict::Violation { text, reason } => {
                        c.violations += 1;
                        println!("VIOLATION {name}: {reason}\n  {text}");
                    }
                    Verdict::Skipped(why) => {
                        c.skipped += 1;
                        if verbose {
                            println!("SKIPPED {name}: {why}");
                        }
                        // The reason up to its first detail: "does not compile", "walk", ...
                        let kind = why.split(':').next().unwrap_or("").to_owned();
                        drop(counts);
                        let mut skips =
                            skips.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        *skips.entry(kind).or_default() += 1;
                    }
                }
            });
        }
    });
    let counts = counts.into_inner().unwrap_or_default();
    println!(
        "{:<28} {:>6} {:>6} {:>8} {:>8} {:>10}",
        "subset", "files", "sound", "walks", "skipped", "violations"
    );
    let mut total = Counts::default();
    for (subset, c) in &counts {
        println!(
            "{subset:<28} {:>6} {:>6} {:>8} {:>8} {:>10}",
            c.files, c.sound, c.walks, c.skipped, c.violations
        );
        total.files += c.files;
        total.sound += c.sound;
        total.walks += c.walks;
        total.skipped += c.skipped;
        total.violations += c.violations;
    }
    println!(
        "{:<28} {:>6} {:>6} {:>8} {:>8} {:>10}",
        "total", total.files, total.sound, total.walks, total.skipped, total.violations
    );
    for (kind, n) in skips.into_inner().unwrap_or_default() {
        println!("skipped, {kind}: {n}");
    }
    if total.violations == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}
