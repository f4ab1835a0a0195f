//! The `maskwell` command: compile token indexes ahead of time, inspect them, and check texts
//! against them.
//!
//! Exit codes: 0 success (or text accepted), 1 text rejected, 2 error.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// mimalloc rather than the system allocator: over thousands of compiles in one process
/// glibc's malloc fragments and moves its mmap threshold, and every compile got slower
/// (`bench maskbench`: a median first mask 1.35 ms after 4,000 files against 0.81 ms in a
/// fresh process).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod generate;

use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};
use maskwell::vocab::{encode_continuation, load_tokenizer, Tokenizer};
use maskwell::{Config, Guide, Index, Source, Stats, TokenId, TokenKind, Vocabulary};
use serde_json::json;

#[derive(Parser, Debug)]
#[command(
    name = "maskwell",
    version,
    about = "Constrained decoding: compile, inspect and check token indexes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log compile stages and their timings to standard error (`-v` info, `-vv` debug,
    /// `-vvv` trace; `RUST_LOG` overrides, e.g. `RUST_LOG=maskwell_index=trace`).
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// How logs are written: `text` or `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

/// Installs a subscriber writing to standard error when `-v` or `RUST_LOG` asks for logs;
/// spans report their duration when they close.
fn init_logging(verbose: u8, format: LogFormat) {
    use tracing_subscriber::fmt::format::FmtSpan;
    let env = std::env::var("RUST_LOG").ok().filter(|v| !v.is_empty());
    let directive = match (env, verbose) {
        (Some(env), _) => env,
        (None, 0) => return,
        (None, 1) => "info".to_owned(),
        (None, 2) => "debug".to_owned(),
        (None, _) => "trace".to_owned(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directive)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_span_events(FmtSpan::CLOSE)
        .with_target(true);
    // A subscriber installed already (never, in this binary) keeps its place.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build the token index of a JSON Schema or a regex over a tokenizer's vocabulary and
    /// save it.
    Compile(CompileArgs),
    /// Print the regex a JSON Schema compiles to (warnings on standard error).
    Regex(RegexArgs),
    /// Show an index file's header, sizes and statistics.
    Inspect(InspectArgs),
    /// Tokenize a text as a model would write it and walk it through an index.
    Check(CheckArgs),
    /// Sample from a model (a local checkpoint or a random one) under a constraint.
    Generate(generate::GenerateArgs),
    /// Restore a guide from a snapshot and show where it stands: the text so far, its
    /// state, and what may come next.
    Replay(ReplayArgs),
    /// Say why a token is or is not allowed after a text: where the automaton stands, the
    /// refused byte, what the schema expected there, and the allowed continuations.
    Explain(ExplainArgs),
    /// Measure compile and mask times on a corpus (`bench maskbench DIR --tokenizer T`).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Which tokenizer, and how to read its vocabulary.
#[derive(Args, Debug)]
struct VocabArgs {
    /// The HuggingFace tokenizer.json file.
    #[arg(long, short = 't', value_name = "FILE")]
    tokenizer: PathBuf,
    /// End-of-sequence token id (repeatable); replaces the ids detected from the tokenizer's
    /// special tokens.
    #[arg(long = "eos", value_name = "ID")]
    eos: Vec<u32>,
    /// Extra stop token id (repeatable), added to the end-of-sequence set.
    #[arg(long = "stop", value_name = "ID")]
    stop: Vec<u32>,
    /// Logits width, when the model pads its vocabulary past the tokenizer's ids.
    #[arg(long, value_name = "N")]
    width: Option<usize>,
}

impl VocabArgs {
    fn load(&self) -> Result<(Tokenizer, Vocabulary)> {
        let tokenizer = load_tokenizer(&self.tokenizer)?;
        let mut builder =
            Vocabulary::builder().stop_tokens(self.stop.iter().copied().map(TokenId::new));
        if !self.eos.is_empty() {
            builder = builder.eos(self.eos.iter().copied().map(TokenId::new));
        }
        if let Some(width) = self.width {
            builder = builder.width(width);
        }
        let vocab = builder
            .build_from_tokenizer(&tokenizer)
            .with_context(|| format!("reading {}", self.tokenizer.display()))?;
        Ok((tokenizer, vocab))
    }
}

/// How a JSON Schema is compiled.
#[derive(Args, Debug)]
struct SchemaArgs {
    /// Whitespace the output may contain: `compact` (none), `spaced` (", " and ": ", as
    /// Python's json.dumps writes), `flexible[:N]` (up to N whitespace characters around
    /// every token, default 2), `pretty[:N]` (indented by N spaces, default 2).
    #[arg(long, value_name = "POLICY", default_value = "spaced", value_parser = parse_whitespace)]
    whitespace: maskwell::schema::Whitespace,
    /// Ignore keywords that cannot be compiled exactly (each is reported) instead of failing.
    #[arg(long)]
    lenient: bool,
    /// Close objects without `additionalProperties` to their declared properties (by
    /// default they may hold undeclared ones after them, as the specification says).
    #[arg(long)]
    closed_objects: bool,
    /// Treat unknown `format` values as annotations (reported) instead of errors.
    #[arg(long)]
    ignore_unknown_formats: bool,
    /// Resolve `$ref`s to other documents from this directory (`BASE=DIR` maps URIs starting
    /// with BASE to files under DIR; a bare DIR serves relative references). Repeatable.
    #[arg(long, value_name = "[BASE=]DIR")]
    schema_dir: Vec<String>,
}

impl SchemaArgs {
    fn config(&self) -> maskwell::schema::Config {
        let mut registry = maskwell::schema::Registry::new();
        for dir in &self.schema_dir {
            match dir.split_once('=') {
                Some((base, path)) => registry.add_directory(base, path),
                None => registry.add_directory("", dir),
            };
        }
        let unknown = if self.ignore_unknown_formats {
            maskwell::schema::UnknownFormat::Ignore
        } else {
            maskwell::schema::UnknownFormat::Error
        };
        maskwell::schema::Config::new()
            .whitespace(self.whitespace)
            .lenient(self.lenient)
            .additional_properties(!self.closed_objects)
            .unknown_format(unknown)
            .registry(registry)
    }
}

fn parse_whitespace(text: &str) -> Result<maskwell::schema::Whitespace, String> {
    use maskwell::schema::Whitespace;
    let (name, n) = match text.split_once(':') {
        Some((name, n)) => (name, Some(n.parse::<u32>().map_err(|e| format!("{n:?}: {e}"))?)),
        None => (text, None),
    };
    match name {
        "compact" => Ok(Whitespace::Compact),
        "spaced" => Ok(Whitespace::Spaced),
        "flexible" => Ok(Whitespace::Flexible { max_run: n.unwrap_or(2) }),
        "pretty" => Ok(Whitespace::Pretty { indent: n.unwrap_or(2) }),
        _ => Err(format!("unknown whitespace policy {name:?}: expected compact, spaced, flexible[:N] or pretty[:N]")),
    }
}

/// Reads and parses a schema file.
fn read_schema(path: &std::path::Path) -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

fn print_warnings(warnings: &[maskwell::schema::Warning]) {
    for warning in warnings {
        eprintln!("maskwell: warning: {warning}");
    }
}

#[derive(Args, Debug)]
struct RegexArgs {
    /// The JSON Schema file.
    #[arg(long, short = 's', value_name = "FILE")]
    schema: PathBuf,
    #[command(flatten)]
    options: SchemaArgs,
}

#[derive(Args, Debug)]
struct CompileArgs {
    /// The regular expression (regex-automata syntax); the whole output must match it.
    #[arg(
        long,
        value_name = "REGEX",
        conflicts_with = "schema",
        required_unless_present = "schema"
    )]
    regex: Option<String>,
    /// The JSON Schema file; the output must be a valid instance.
    #[arg(long, short = 's', value_name = "FILE")]
    schema: Option<PathBuf>,
    #[command(flatten)]
    schema_options: SchemaArgs,
    #[command(flatten)]
    vocab: VocabArgs,
    /// Where to write the index.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
    /// Threads for the index build (default: all cores; 1 builds serially).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// DFA size limit in bytes (default 256 MiB).
    #[arg(long, value_name = "BYTES")]
    dfa_size_limit: Option<usize>,
    /// Most token-level states (default 1,048,576).
    #[arg(long, value_name = "N")]
    max_states: Option<usize>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// The index file.
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// The index file.
    #[arg(long, short = 'i', value_name = "FILE")]
    index: PathBuf,
    #[command(flatten)]
    vocab: VocabArgs,
    /// The text to check.
    #[arg(long, value_name = "TEXT", conflicts_with = "file", required_unless_present = "file")]
    text: Option<String>,
    /// Read the text from a file instead (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
    /// Write the guide's snapshot (where it stopped: at the refused token, or at the end)
    /// to this file, for `maskwell replay`.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// The index file.
    #[arg(long, short = 'i', value_name = "FILE")]
    index: PathBuf,
    #[command(flatten)]
    vocab: VocabArgs,
    /// The output so far, as bytes (not re-tokenized): the token is asked about after it.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    text: String,
    /// The token id, or `eos` for the first end-of-sequence token.
    #[arg(long, value_name = "ID", required_unless_present = "token_text")]
    token: Option<String>,
    /// The token by its exact text instead (e.g. `--token-text '"name'`).
    #[arg(long, value_name = "TEXT", conflicts_with = "token")]
    token_text: Option<String>,
    /// Print the explanation as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// The index file the snapshot was taken on (or one of the same regex and vocabulary).
    #[arg(long, short = 'i', value_name = "FILE")]
    index: PathBuf,
    #[command(flatten)]
    vocab: VocabArgs,
    /// The snapshot (as `maskwell check --snapshot` or `Guide::snapshot` write it).
    #[arg(long, value_name = "FILE")]
    snapshot: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.log_format);
    let result = match cli.command {
        Command::Compile(args) => compile(&args),
        Command::Regex(args) => regex(&args),
        Command::Inspect(args) => inspect(&args),
        Command::Check(args) => check(&args),
        Command::Replay(args) => replay(&args),
        Command::Explain(args) => explain(&args),
        Command::Generate(args) => generate::generate(&args),
        Command::Bench(command) => bench::bench(&command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("maskwell: {}", describe(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line. A regex error already names the problem and its
/// byte offset; its sources would repeat the whole regex over several lines.
fn describe(err: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in err.chain() {
        parts.push(cause.to_string());
        if matches!(
            cause.downcast_ref::<maskwell::index::Error>(),
            Some(maskwell::index::Error::Regex { .. })
        ) {
            break;
        }
    }
    parts.join(": ")
}

fn compile(args: &CompileArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let (_, vocab) = args.vocab.load()?;
    let mut config = Config::new();
    if let Some(limit) = args.dfa_size_limit {
        config = config.dfa_size_limit(limit);
    }
    if let Some(states) = args.max_states {
        config = config.max_index_states(states);
    }
    if args.threads == Some(1) {
        config = config.parallel(false);
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("compiling the regex");
    let progress_bar = bar.clone();
    let builder = Index::builder().configure(config).progress(move |p| {
        progress_bar.set_message(format!(
            "walking states: {} of {} known, {} transitions",
            p.states_done, p.states_known, p.transitions
        ));
        progress_bar.tick();
    });
    let build = || -> Result<Index> {
        match (&args.regex, &args.schema) {
            (Some(regex), _) => Ok(builder.build(regex, &vocab)?),
            (None, Some(path)) => {
                let schema = read_schema(path)?;
                let (index, warnings) = maskwell::build_schema_index(
                    &schema,
                    &vocab,
                    &args.schema_options.config(),
                    &builder,
                )
                .with_context(|| format!("compiling {}", path.display()))?;
                print_warnings(&warnings);
                Ok(index)
            }
            (None, None) => unreachable!("clap requires --regex or --schema"),
        }
    };
    let index = match args.threads {
        Some(n) if n > 1 => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("starting the thread pool")?
            .install(build),
        _ => build(),
    };
    bar.finish_and_clear();
    let index = index?;
    index.save(&args.output)?;
    let stats = index.stats();
    let file_size = std::fs::metadata(&args.output).map(|m| m.len()).unwrap_or(0);
    if args.json {
        let mut value = stats_json(&index, &stats);
        value["file"] = json!(args.output.display().to_string());
        value["file_bytes"] = json!(file_size);
        value["total_ms"] = json!(started.elapsed().as_secs_f64() * 1e3);
        println!("{value}");
    } else {
        eprintln!(
            "compiled {} states, {} transitions, {} token sets, {} in memory, automaton {:.1} ms, index {:.1} ms -> {} ({})",
            stats.states,
            stats.transitions,
            stats.unique_sets,
            human_bytes(stats.memory as u64),
            stats.automaton_time.as_secs_f64() * 1e3,
            stats.index_time.as_secs_f64() * 1e3,
            args.output.display(),
            human_bytes(file_size),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn regex(args: &RegexArgs) -> Result<ExitCode> {
    let schema = read_schema(&args.schema)?;
    let compiled = maskwell::schema::Compiler::new()
        .configure(args.options.config())
        .compile(&schema)
        .with_context(|| format!("compiling {}", args.schema.display()))?;
    print_warnings(compiled.warnings());
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", compiled.regex())?;
    Ok(ExitCode::SUCCESS)
}

fn inspect(args: &InspectArgs) -> Result<ExitCode> {
    let index = Index::load_unbound(&args.file)?;
    let stats = index.stats();
    let file_size = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut value = stats_json(&index, &stats);
        value["file"] = json!(args.file.display().to_string());
        value["file_bytes"] = json!(file_size);
        value["format_version"] = json!(maskwell::index::FORMAT_VERSION);
        writeln!(out, "{value}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let (kind, regex) = match index.source() {
        Source::Schema { regex, .. } => ("JSON Schema", regex.as_str()),
        Source::Regex(regex) => ("regex", regex.as_str()),
        _ => ("other", index.source().regex()),
    };
    let shown: String = regex.chars().take(200).collect();
    let ellipsis = if shown.len() < regex.len() { "…" } else { "" };
    writeln!(out, "file              {} ({})", args.file.display(), human_bytes(file_size))?;
    writeln!(out, "format version    {}", maskwell::index::FORMAT_VERSION)?;
    writeln!(
        out,
        "vocabulary        fingerprint {}, width {}, eos {:?}",
        index.fingerprint(),
        stats.width,
        index.eos()
    )?;
    writeln!(out, "source            {kind}: {shown}{ellipsis}")?;
    writeln!(
        out,
        "states            {} ({} accepting, {} pruned as dead ends)",
        stats.states, stats.accepting_states, stats.pruned_states
    )?;
    writeln!(out, "transitions       {}", stats.transitions)?;
    writeln!(
        out,
        "token sets        {} unique ({} stored as bitmasks)",
        stats.unique_sets, stats.dense_sets
    )?;
    writeln!(
        out,
        "automaton         {} states ({} in the DFA before pruning)",
        stats.automaton_states, stats.dfa_states
    )?;
    writeln!(
        out,
        "build time        automaton {:.1} ms, index {:.1} ms",
        stats.automaton_time.as_secs_f64() * 1e3,
        stats.index_time.as_secs_f64() * 1e3
    )?;
    writeln!(out, "memory            {}", human_bytes(stats.memory as u64))?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    let text = match (&args.text, &args.file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            std::io::read_to_string(std::io::stdin()).context("reading standard input")?
        }
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        (None, None) => unreachable!("clap requires --text or --file"),
    };
    let (tokenizer, vocab) = args.vocab.load()?;
    let index = Arc::new(Index::load(&args.index, &vocab)?);
    let tokens = encode_continuation(&tokenizer, &vocab, &text)?;
    let mut guide = Guide::new(index.clone());
    let mut offset = 0usize;
    let shown = |id: TokenId| token_text(&vocab, id);
    let save_snapshot = |guide: &Guide| -> Result<()> {
        if let Some(path) = &args.snapshot {
            std::fs::write(path, guide.snapshot().to_json() + "\n")
                .with_context(|| format!("writing the snapshot to {}", path.display()))?;
        }
        Ok(())
    };
    for (position, &token) in tokens.iter().enumerate() {
        if let Err(err) = guide.advance(token) {
            save_snapshot(&guide)?;
            let allowed = guide.allowed_ids();
            let examples = allowed_examples(&vocab, allowed);
            let eos_allowed = allowed.iter().any(|&t| vocab.is_eos(TokenId::new(t)));
            if args.json {
                println!(
                    "{}",
                    json!({"accepted": false, "reason": "token_not_allowed", "token_position": position, "token": token.as_u32(),
                           "token_text": shown(token), "byte_offset": offset, "allowed_count": allowed.len(),
                           "allowed_examples": examples, "eos_allowed": eos_allowed, "error": err.to_string()})
                );
            } else {
                println!(
                    "rejected at token {position} (id {token}, {:?}) at byte {offset}: {err}",
                    shown(token)
                );
                println!(
                    "accepted so far: {:?}",
                    String::from_utf8_lossy(&text.as_bytes()[..offset])
                );
                let end = if eos_allowed { " (end of sequence also allowed)" } else { "" };
                println!(
                    "allowed here: {} tokens{end}, e.g. {}",
                    allowed.len(),
                    examples.join(" ")
                );
                if let Ok(why) = maskwell::explain_guide(&guide, &vocab, token) {
                    print!("why: {why}");
                }
            }
            return Ok(ExitCode::from(1));
        }
        offset += vocab.token_bytes(token).map_or(0, <[u8]>::len);
    }
    save_snapshot(&guide)?;
    let complete = guide.is_accepting();
    if args.json {
        println!(
            "{}",
            json!({"accepted": complete, "reason": if complete { "complete" } else { "incomplete" }, "tokens": tokens.len(), "bytes": offset})
        );
    } else if complete {
        println!("accepted: {} tokens, {} bytes", tokens.len(), offset);
    } else {
        println!("rejected: all {} tokens are allowed, but the text is incomplete (the end of sequence is not allowed after it)", tokens.len());
    }
    Ok(if complete { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// A token's bytes as text (lossy), for messages.
fn token_text(vocab: &Vocabulary, id: TokenId) -> String {
    String::from_utf8_lossy(vocab.token_bytes(id).unwrap_or_default()).into_owned()
}

/// Up to 12 of the allowed text tokens, quoted, for "allowed here" messages.
fn allowed_examples(vocab: &Vocabulary, allowed: &[u32]) -> Vec<String> {
    allowed
        .iter()
        .map(|&t| TokenId::new(t))
        .filter(|&t| vocab.kind(t) == Some(TokenKind::Text))
        .take(12)
        .map(|t| format!("{:?}", token_text(vocab, t)))
        .collect()
}

/// The token an `explain` is about: an id, `eos`, or a token's exact text.
fn parse_token(vocab: &Vocabulary, args: &ExplainArgs) -> Result<TokenId> {
    if let Some(text) = &args.token_text {
        return (0..vocab.width() as u32)
            .map(TokenId::new)
            .find(|&id| vocab.token_bytes(id) == Some(text.as_bytes()))
            .with_context(|| format!("no token of the vocabulary is exactly {text:?}"));
    }
    match args.token.as_deref() {
        Some("eos") => {
            vocab.eos().first().copied().context("the vocabulary has no end-of-sequence token")
        }
        Some(id) => id
            .parse::<u32>()
            .map(TokenId::new)
            .with_context(|| format!("--token {id:?} is not a token id (see --token-text)")),
        None => anyhow::bail!("give --token or --token-text"),
    }
}

fn explain(args: &ExplainArgs) -> Result<ExitCode> {
    let (_, vocab) = args.vocab.load()?;
    let index = Index::load(&args.index, &vocab)?;
    let token = parse_token(&vocab, args)?;
    let diagnosis = maskwell::explain(&index, &vocab, args.text.as_bytes(), token)?;
    if args.json {
        let mut json = diagnosis.to_json();
        json["examples_text"] = json!(diagnosis
            .explanation
            .examples
            .iter()
            .map(|&t| token_text(&vocab, t))
            .collect::<Vec<_>>());
        println!("{json}");
    } else {
        print!("{diagnosis}");
        let examples = allowed_examples(
            &vocab,
            &diagnosis.explanation.examples.iter().map(|t| t.as_u32()).collect::<Vec<_>>(),
        );
        if !examples.is_empty() {
            println!("  example tokens: {}", examples.join(" "));
        }
    }
    Ok(if diagnosis.explanation.is_allowed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn replay(args: &ReplayArgs) -> Result<ExitCode> {
    let (_, vocab) = args.vocab.load()?;
    let index = Arc::new(Index::load(&args.index, &vocab)?);
    let text = std::fs::read_to_string(&args.snapshot)
        .with_context(|| format!("reading {}", args.snapshot.display()))?;
    let snapshot = maskwell::Snapshot::from_json(&text)
        .with_context(|| format!("reading {}", args.snapshot.display()))?;
    let guide = Guide::restore(index, &snapshot)
        .with_context(|| format!("replaying {}", args.snapshot.display()))?;
    let so_far: String = guide.tokens().iter().map(|&t| token_text(&vocab, t)).collect();
    let allowed = guide.allowed_ids();
    let examples = allowed_examples(&vocab, allowed);
    let state = guide.state().map(|s| s.as_u32());
    if args.json {
        println!(
            "{}",
            json!({"tokens": snapshot.tokens.len(), "text": so_far, "state": state,
                   "finished": guide.is_finished(), "accepting": guide.is_accepting(),
                   "allowed_count": allowed.len(), "allowed_examples": examples})
        );
    } else {
        println!("replayed {} tokens: {so_far:?}", snapshot.tokens.len());
        match state {
            Some(s) => println!(
                "state {s}{}; allowed next: {} tokens, e.g. {}",
                if guide.is_accepting() { " (the output may end here)" } else { "" },
                allowed.len(),
                examples.join(" ")
            ),
            None => println!("the sequence has ended"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stats_json(index: &Index, stats: &Stats) -> serde_json::Value {
    let (schema, regex) = match index.source() {
        Source::Schema { schema, regex } => (Some(schema.as_str()), regex.as_str()),
        other => (None, other.regex()),
    };
    json!({
        "fingerprint": index.fingerprint().to_string(),
        "width": stats.width,
        "eos": index.eos(),
        "regex": regex,
        "schema": schema,
        "states": stats.states,
        "accepting_states": stats.accepting_states,
        "pruned_states": stats.pruned_states,
        "transitions": stats.transitions,
        "unique_sets": stats.unique_sets,
        "dense_sets": stats.dense_sets,
        "automaton_states": stats.automaton_states,
        "dfa_states": stats.dfa_states,
        "automaton_ms": stats.automaton_time.as_secs_f64() * 1e3,
        "index_ms": stats.index_time.as_secs_f64() * 1e3,
        "memory_bytes": stats.memory,
        "build": stats.mode.name(),
        "states_pending": stats.states_pending,
        "lazy_dfa": stats.lazy_dfa,
        "string_rows": stats.string_rows,
    })
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
