//! `maskwell bench maskbench`: the MaskBench procedure, as the field scores mask engines.
//!
//! For each file: time from the schema to the first mask (TTFM: schema → regex → automaton →
//! index → a filled bitmask), then for each test instance, serialized as Python's
//! `json.dumps(data, ensure_ascii=False)` writes it and tokenized without special tokens,
//! time every mask (TBM: fill the bitmask, check the token's bit, advance). A valid instance
//! must be accepted at every token and end in an accepting state; an invalid one must be
//! refused at some token or end incomplete. A file passes when every instance comes out
//! right. One JSON line per file goes to `--jsonl`; the summary to stdout.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand};
use maskwell::index::BuildMode;
use maskwell::vocab::encode_continuation;
use maskwell::{Config, Guide, Index, Source};
use serde_json::{json, Value};

use crate::{SchemaArgs, VocabArgs};

#[derive(Subcommand, Debug)]
pub(crate) enum BenchCommand {
    /// Run the MaskBench procedure over files of `{"schema": .., "tests": [..]}`.
    Maskbench(MaskbenchArgs),
}

#[derive(Args, Debug)]
pub(crate) struct MaskbenchArgs {
    /// MaskBench files, or directories of them (every `*.json` inside, in name order).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// A file listing the file names to run, one per line (resolved against the
    /// directories given), e.g. a sample of the corpus.
    #[arg(long, value_name = "FILE")]
    files: Option<PathBuf>,
    /// Run at most this many files (after `--files`), for a quick look.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Skip files without test instances.
    #[arg(long)]
    with_tests: bool,
    /// When index rows are computed: `lazy` (the start state at compile time, every other
    /// state when first reached), `eager` (all states before the first mask) or
    /// `background` (lazy, completed by another thread meanwhile).
    #[arg(long, value_name = "MODE", default_value = "lazy")]
    build: BuildMode,
    /// Minimize the DFA (`true` or `false`; default: the index's own choice for the build
    /// mode).
    #[arg(long, value_name = "BOOL")]
    minimize: Option<bool>,
    /// Save each index to a file and decode with the index loaded back from it, as a
    /// server with precompiled indexes does; the load times are reported (LOAD). Implies
    /// that the file is written in the eager layout (a lazy index is completed first).
    #[arg(long)]
    via_file: bool,
    /// Seconds an eager token-level walk may take per file (eager builds, and completing a
    /// lazy index for `--via-file`); a file past it counts as a timeout. `0`: no limit.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    time_limit: f64,
    /// Threads for eager builds (default 1: the procedure is single-threaded).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// Write one JSON object per file here.
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    schema_options: SchemaArgs,
    #[command(flatten)]
    vocab: VocabArgs,
}

pub(crate) fn bench(command: &BenchCommand) -> Result<std::process::ExitCode> {
    match command {
        BenchCommand::Maskbench(args) => maskbench(args),
    }
}

/// How one file came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Pass,
    CompileError,
    ValidRejected,
    InvalidAccepted,
    TokenizeError,
    Timeout,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::CompileError => "compile_error",
            Outcome::ValidRejected => "valid_rejected",
            Outcome::InvalidAccepted => "invalid_accepted",
            Outcome::TokenizeError => "tokenize_error",
            Outcome::Timeout => "timeout",
        }
    }
}

const OUTCOMES: [Outcome; 6] = [
    Outcome::Pass,
    Outcome::CompileError,
    Outcome::ValidRejected,
    Outcome::InvalidAccepted,
    Outcome::TokenizeError,
    Outcome::Timeout,
];

/// Whether `err` is the index's build time limit running out.
fn is_timeout(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        matches!(
            e.downcast_ref::<maskwell::index::Error>(),
            Some(maskwell::index::Error::Limit { setter: "time_limit", .. })
        )
    })
}

fn list_files(args: &MaskbenchArgs) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for path in &args.paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            inside.sort();
            dirs.push(path.clone());
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
    }
    if let Some(list) = &args.files {
        let text =
            std::fs::read_to_string(list).with_context(|| format!("reading {}", list.display()))?;
        let mut chosen = Vec::new();
        for name in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let found = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
            match found {
                Some(path) => chosen.push(path),
                None if Path::new(name).is_file() => chosen.push(PathBuf::from(name)),
                None => bail!("{}: {name} is in none of the directories given", list.display()),
            }
        }
        files = chosen;
    }
    if let Some(limit) = args.limit {
        files.truncate(limit);
    }
    Ok(files)
}

/// The subset a MaskBench file belongs to, from its name (`Github_easy---o1.json`,
/// `BFCL_simple_12.json`).
fn subset(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some((s, _)) = name.split_once("---") {
        return s.to_owned();
    }
    let stem = name.trim_end_matches(".json");
    match stem.rfind('_') {
        Some(i) if stem[i + 1..].bytes().all(|b| b.is_ascii_digit()) => stem[..i].to_owned(),
        _ => stem.to_owned(),
    }
}

fn maskbench(args: &MaskbenchArgs) -> Result<std::process::ExitCode> {
    let (tokenizer, vocab) = args.vocab.load()?;
    let files = list_files(args)?;
    if files.is_empty() {
        bail!("no MaskBench files found in the paths given");
    }
    let schema_config = args.schema_options.config();
    let mut config = Config::new().build_mode(args.build).parallel(args.threads > 1);
    if args.time_limit > 0.0 {
        let limit = Duration::try_from_secs_f64(args.time_limit)
            .with_context(|| format!("--time-limit {} is not a duration", args.time_limit))?;
        config = config.time_limit(Some(limit));
    }
    if let Some(minimize) = args.minimize {
        config = config.minimize(minimize);
    }
    let builder = Index::builder().configure(config);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.max(1))
        .build()
        .context("starting the thread pool")?;
    let mut jsonl = match &args.jsonl {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => None,
    };
    // Warm the vocabulary's shared token trie, as a server does once per model.
    Index::builder().build("a", &vocab).context("warming up")?;

    let mut ttfm: Vec<Duration> = Vec::new();
    let mut tbm: Vec<Duration> = Vec::new();
    let mut load: Vec<Duration> = Vec::new();
    let mut counts = [0usize; OUTCOMES.len()];
    let mut with_tests = 0usize;
    let mut passing_with_tests = 0usize;
    let mut mask = vec![0u32; vocab.width().div_ceil(32)];
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    let started = Instant::now();
    for path in &files {
        bar.inc(1);
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let Some(schema) = file.get("schema") else {
            bail!("{}: no \"schema\" member: not a MaskBench file", path.display());
        };
        let tests: &[Value] = file.get("tests").and_then(Value::as_array).map_or(&[], |v| v);
        if args.with_tests && tests.is_empty() {
            continue;
        }

        // Time to first mask: everything from the schema to a filled bitmask.
        let t0 = Instant::now();
        let build = || -> Result<Index> {
            let compiled = maskwell::schema::Compiler::new()
                .configure(schema_config.clone())
                .compile(schema)?;
            let source =
                Source::Schema { schema: schema.to_string(), regex: compiled.into_regex() };
            Ok(builder.build_with_source(source, &vocab)?)
        };
        // One thread: on this one, as a server's request handler would (handing the build
        // to a pool thread woke it and moved the index between threads, about 0.4 ms).
        let built = if args.threads > 1 { pool.install(build) } else { build() };
        let mut fail = |outcome: Outcome, err: anyhow::Error| -> Result<()> {
            let record = json!({
                "file": path.file_name().map(|n| n.to_string_lossy()),
                "subset": subset(path), "status": outcome.name(),
                "error": format!("{err:#}"), "tests": tests.len(),
            });
            counts[outcome as usize] += 1;
            with_tests += usize::from(!tests.is_empty());
            if let Some(out) = &mut jsonl {
                writeln!(out, "{record}")?;
            }
            Ok(())
        };
        let (index, first_mask, at_first_mask) = match built {
            Ok(index) => {
                let index = Arc::new(index);
                Guide::new(index.clone()).fill_bitmask(&mut mask)?;
                let first_mask = t0.elapsed();
                (index.clone(), first_mask, index.stats())
            }
            Err(err) => {
                let outcome =
                    if is_timeout(&err) { Outcome::Timeout } else { Outcome::CompileError };
                fail(outcome, err)?;
                continue;
            }
        };
        let (index, load_time) = if args.via_file {
            let file = tempfile::NamedTempFile::new().context("creating a temporary index file")?;
            let saved = index
                .save(file.path())
                .with_context(|| format!("saving the index of {}", path.display()));
            if let Err(err) = saved {
                if !is_timeout(&err) {
                    return Err(err);
                }
                fail(Outcome::Timeout, err)?;
                continue;
            }
            ttfm.push(first_mask);
            let t = Instant::now();
            let loaded = Arc::new(Index::load(file.path(), &vocab)?);
            let took = t.elapsed();
            load.push(took);
            (loaded, Some(took))
        } else {
            ttfm.push(first_mask);
            (index, None)
        };

        let mut outcome = Outcome::Pass;
        let mut file_tbm: Vec<Duration> = Vec::new();
        let mut detail = None;
        let mut guide = Guide::new(index.clone());
        for (i, test) in tests.iter().enumerate() {
            let valid = test.get("valid").and_then(Value::as_bool).unwrap_or(false);
            let data = test.get("data").unwrap_or(&Value::Null);
            let instance = maskwell::schema::python_dumps(data);
            let tokens = match encode_continuation(&tokenizer, &vocab, &instance) {
                Ok(tokens) => tokens,
                Err(err) => {
                    outcome = Outcome::TokenizeError;
                    detail = Some(format!("test {i}: {err}"));
                    break;
                }
            };
            guide.reset();
            let mut refused_at = None;
            for (position, &token) in tokens.iter().enumerate() {
                let t = Instant::now();
                guide.fill_bitmask(&mut mask)?;
                let allowed = mask[token.as_usize() / 32] >> (token.as_usize() % 32) & 1 == 1;
                let advanced = allowed && guide.advance(token).is_ok();
                file_tbm.push(t.elapsed());
                if allowed && !advanced {
                    bail!(
                        "{}: token {token} is in the mask but advance refused it",
                        path.display()
                    );
                }
                if !advanced {
                    refused_at = Some(position);
                    break;
                }
            }
            let accepted = refused_at.is_none() && guide.is_accepting();
            if valid && !accepted {
                outcome = Outcome::ValidRejected;
                detail = Some(match refused_at {
                    Some(p) => format!("test {i}: valid instance refused at token {p}"),
                    None => format!("test {i}: valid instance ends incomplete"),
                });
                break;
            }
            if !valid && accepted {
                outcome = Outcome::InvalidAccepted;
                detail = Some(format!("test {i}: invalid instance accepted"));
                break;
            }
        }
        let stats = index.stats();
        counts[outcome as usize] += 1;
        if !tests.is_empty() {
            with_tests += 1;
            passing_with_tests += usize::from(outcome == Outcome::Pass);
        }
        if let Some(out) = &mut jsonl {
            let micros = |d: &Duration| d.as_secs_f64() * 1e6;
            let record = json!({
                "file": path.file_name().map(|n| n.to_string_lossy()),
                "subset": subset(path), "status": outcome.name(), "error": detail,
                "tests": tests.len(), "ttfm_us": micros(&first_mask),
                "load_us": load_time.as_ref().map(micros),
                "tokens": file_tbm.len(),
                "tbm_avg_us": if file_tbm.is_empty() { 0.0 } else { file_tbm.iter().map(micros).sum::<f64>() / file_tbm.len() as f64 },
                "tbm_max_us": file_tbm.iter().map(micros).fold(0.0, f64::max),
                "automaton_us": micros(&at_first_mask.automaton_time),
                "index_us": micros(&at_first_mask.index_time),
                "automaton_states": stats.automaton_states, "dfa_states": stats.dfa_states,
                "states_built": stats.states, "string_rows": stats.string_rows,
                "memory_bytes": stats.memory, "mode": stats.mode.name(),
            });
            writeln!(out, "{record}")?;
        }
        tbm.extend(file_tbm);
    }
    bar.finish_and_clear();
    if let Some(out) = &mut jsonl {
        out.flush()?;
    }

    let summary = json!({
        "files": files.len(),
        "with_tests": with_tests,
        "passing_with_tests": passing_with_tests,
        "outcomes": OUTCOMES.iter().map(|o| (o.name().to_owned(), json!(counts[*o as usize])))
            .collect::<serde_json::Map<String, Value>>(),
        "ttfm_us": distribution(&mut ttfm),
        "tbm_us": distribution(&mut tbm),
        "load_us": distribution(&mut load),
        "build": args.build.name(),
        "threads": args.threads,
        "peak_rss_bytes": peak_rss(),
        "wall_s": started.elapsed().as_secs_f64(),
    });
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{summary}")?;
    } else {
        print_table(&mut out, &summary)?;
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Percentiles (nearest rank), maximum and mean, in microseconds.
fn distribution(samples: &mut [Duration]) -> Value {
    if samples.is_empty() {
        return json!({"count": 0});
    }
    samples.sort_unstable();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| {
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        micros(samples[rank - 1])
    };
    let mean = samples.iter().map(|&d| micros(d)).sum::<f64>() / samples.len() as f64;
    json!({
        "count": samples.len(),
        "p25": at(0.25), "p50": at(0.5), "p75": at(0.75), "p90": at(0.9),
        "p99": at(0.99), "p99.9": at(0.999), "max": micros(samples[samples.len() - 1]),
        "avg": mean,
    })
}

/// The process's peak resident memory, from `/proc` where there is one.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn print_table(out: &mut impl std::io::Write, s: &Value) -> Result<()> {
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    writeln!(
        out,
        "files {}  with tests {}  passing with tests {} ({:.1}%)  build {}  threads {}  wall {:.1} s",
        n(&s["files"]),
        n(&s["with_tests"]),
        n(&s["passing_with_tests"]),
        100.0 * n(&s["passing_with_tests"]) as f64 / n(&s["with_tests"]).max(1) as f64,
        s["build"].as_str().unwrap_or(""),
        n(&s["threads"]),
        s["wall_s"].as_f64().unwrap_or(0.0),
    )?;
    let outcomes = &s["outcomes"];
    writeln!(
        out,
        "passing {}  compile errors {}  valid rejected {}  invalid accepted {}  tokenize errors {}  timeouts {}",
        n(&outcomes["pass"]),
        n(&outcomes["compile_error"]),
        n(&outcomes["valid_rejected"]),
        n(&outcomes["invalid_accepted"]),
        n(&outcomes["tokenize_error"]),
        n(&outcomes["timeout"]),
    )?;
    const STATS: [&str; 8] = ["p25", "p50", "p75", "p90", "p99", "p99.9", "max", "avg"];
    let mut line = |name: &str, count: &str, cells: [String; 8]| -> std::io::Result<()> {
        write!(out, "{name:<10} {count:>9}")?;
        for cell in cells {
            write!(out, " {cell:>10}")?;
        }
        writeln!(out)
    };
    line("µs", "count", STATS.map(str::to_owned))?;
    for (name, key) in [("TTFM", "ttfm_us"), ("TBM", "tbm_us"), ("LOAD", "load_us")] {
        let d = &s[key];
        if n(&d["count"]) == 0 {
            continue;
        }
        let f = |k: &str| d[k].as_f64().map_or("-".to_owned(), |v| format!("{v:.1}"));
        line(name, &n(&d["count"]).to_string(), STATS.map(f))?;
    }
    if let Some(rss) = s["peak_rss_bytes"].as_u64() {
        writeln!(out, "peak memory {:.1} MiB", rss as f64 / (1 << 20) as f64)?;
    }
    Ok(())
}
