//! The `maskwell` binary end to end: compile, inspect, check; exit codes and messages.

use std::path::Path;
use std::process::{Command, Output};

const REGEX: &str = r#"\{"name": "[a-zA-Z ]{1,20}", "age": (0|[1-9][0-9]{0,2})\}"#;

fn maskwell(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maskwell")).args(args).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tokenizer() -> String {
    maskwell_test::fixture(maskwell_test::BYTELEVEL4K).display().to_string()
}

/// `maskwell <command> --index INDEX --tokenizer <fixture> ARGS..`.
fn on_index(command: &str, index: &str, args: &[&str]) -> Output {
    let tok = tokenizer();
    maskwell(&[&[command, "--index", index, "--tokenizer", &tok][..], args].concat())
}

fn compile(dir: &Path) -> String {
    let out = dir.join("person.mwi").display().to_string();
    let run = maskwell(&["compile", "--regex", REGEX, "--tokenizer", &tokenizer(), "-o", &out]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("states")
            && stderr.contains("transitions")
            && stderr.contains("person.mwi"),
        "{stderr}"
    );
    out
}

#[test]
fn compile_inspect_check() {
    let dir = tempfile::tempdir().unwrap();
    let index = compile(dir.path());

    let run = maskwell(&["inspect", &index]);
    assert!(run.status.success());
    let shown = text(&run.stdout);
    for field in [
        "format version",
        "fingerprint",
        "width 4259",
        "states",
        "transitions",
        "token sets",
        "memory",
        REGEX,
    ] {
        assert!(shown.contains(field), "{field} missing from:\n{shown}");
    }
    let run = maskwell(&["inspect", "--json", &index]);
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["width"], 4259);
    assert_eq!(json["regex"], REGEX);
    assert!(json["states"].as_u64().unwrap() > 10);

    let run = on_index("check", &index, &["--text", r#"{"name": "Ada", "age": 36}"#]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    assert!(text(&run.stdout).starts_with("accepted"));

    let run = on_index("check", &index, &["--text", r#"{"name": "Ada", "age": 036}"#]);
    assert_eq!(run.status.code(), Some(1));
    let out = text(&run.stdout);
    assert!(out.starts_with("rejected at token") && out.contains(r#""3") at byte 24"#), "{out}");
    assert!(out.contains(r#"allowed here: 1 tokens, e.g. "}""#), "{out}");

    let run = on_index("check", &index, &["--json", "--text", r#"{"name": "Ada", "age": 3"#]);
    assert_eq!(run.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["accepted"], false);
    assert_eq!(json["reason"], "incomplete");

    let file = dir.path().join("doc.json");
    std::fs::write(&file, r#"{"name": "Bo", "age": 0}"#).unwrap();
    let run = on_index("check", &index, &["--json", "--file", &file.display().to_string()]);
    assert_eq!(run.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["accepted"], true);
}

/// `check --snapshot` records where a text was refused; `replay` restores that guide from
/// the file and shows the same place.
#[test]
fn check_writes_a_snapshot_that_replay_restores() {
    let dir = tempfile::tempdir().unwrap();
    let index = compile(dir.path());
    let snapshot = dir.path().join("refused.json").display().to_string();
    let refused = r#"{"name": "Ada", "age": 036}"#;
    let run = on_index("check", &index, &["--snapshot", &snapshot, "--text", refused]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    let run = on_index("replay", &index, &["--snapshot", &snapshot]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    assert!(out.contains(r#"{\"name\": \"Ada\", \"age\": 0"#), "{out}");
    assert!(out.contains(r#"allowed next: 1 tokens, e.g. "}""#), "{out}");
    let run = on_index("replay", &index, &["--json", "--snapshot", &snapshot]);
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["text"], r#"{"name": "Ada", "age": 0"#);
    assert_eq!(json["allowed_count"], 1);
    assert_eq!(json["finished"], false);
    // A snapshot that is not one: exit 2 with the file named.
    std::fs::write(&snapshot, "{}").unwrap();
    let run = on_index("replay", &index, &["--snapshot", &snapshot]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("refused.json"), "{}", text(&run.stderr));
}

#[test]
fn errors_exit_2_and_say_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.mwi").display().to_string();

    let run = maskwell(&["compile", "--regex", "ab(c", "--tokenizer", &tokenizer(), "-o", &out]);
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(text(&run.stderr).trim(), "maskwell: invalid regex: unclosed group at byte 2");

    let run = maskwell(&[
        "compile",
        "--regex",
        "a",
        "--tokenizer",
        "/no/such/tokenizer.json",
        "-o",
        &out,
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("/no/such/tokenizer.json"), "{}", text(&run.stderr));

    let bogus = dir.path().join("bogus.mwi");
    std::fs::write(&bogus, b"not an index").unwrap();
    let run = maskwell(&["inspect", &bogus.display().to_string()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("bad magic number"), "{}", text(&run.stderr));

    // An index checked with another tokenizer.
    let index = compile(dir.path());
    let sp = maskwell_test::fixture(maskwell_test::SP32000).display().to_string();
    let run = maskwell(&["check", "--index", &index, "--tokenizer", &sp, "--text", "{}"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("index was built for vocabulary"), "{}", text(&run.stderr));

    let run = maskwell(&[
        "compile",
        "--regex",
        "[a-z]*a[a-z]{12}",
        "--dfa-size-limit",
        "4096",
        "--tokenizer",
        &tokenizer(),
        "-o",
        &out,
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("dfa_size_limit"), "{}", text(&run.stderr));
}

#[test]
fn threads_do_not_change_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}.mwi")).display().to_string();
        let run = maskwell(&[
            "compile",
            "--json",
            "--threads",
            threads,
            "--regex",
            REGEX,
            "--tokenizer",
            &tokenizer(),
            "-o",
            &out,
        ]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        files.push(summary);
    }
    for key in ["fingerprint", "states", "transitions", "unique_sets", "accepting_states"] {
        assert_eq!(files[0][key], files[1][key], "{key}");
    }
}

/// `bench maskbench` scores each file as the MaskBench procedure says: a schema that does
/// not compile, a valid instance refused, an invalid one accepted, and passing files.
#[test]
fn bench_maskbench_scores_files() {
    let dir = tempfile::tempdir().unwrap();
    let person = serde_json::json!({
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 8}, "age": {"type": "integer", "minimum": 0}},
        "required": ["name", "age"],
    });
    let files = [
        // Passes: the valid instance is accepted, both invalid ones refused.
        (
            "A---pass.json",
            serde_json::json!({"schema": person, "tests": [
                {"valid": true, "data": {"name": "Ada", "age": 36}},
                {"valid": false, "data": {"name": "Ada", "age": -1}},
                {"valid": false, "data": {"name": "Ada"}},
            ]}),
        ),
        // An unknown format is a compile error.
        (
            "A---broken.json",
            serde_json::json!({"schema": {"type": "string", "format": "no-such-format"}, "tests": []}),
        ),
        // The valid instance has its keys in another order than the schema's: refused.
        (
            "B---order.json",
            serde_json::json!({"schema": person, "tests": [
                {"valid": true, "data": {"age": 36, "name": "Ada"}},
            ]}),
        ),
    ];
    for (name, content) in &files {
        std::fs::write(dir.path().join(name), content.to_string()).unwrap();
    }
    let jsonl = dir.path().join("out.jsonl");
    let (folder, tok) = (dir.path().display().to_string(), tokenizer());
    let bench = |extra: &[&str]| {
        let mut args = vec!["bench", "maskbench", &folder, "--tokenizer", &tok];
        args.extend_from_slice(extra);
        maskwell(&args)
    };
    for build in ["lazy", "eager", "background"] {
        let run = bench(&["--build", build, "--json", "--jsonl", &jsonl.display().to_string()]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(summary["files"], 3);
        assert_eq!(summary["outcomes"]["pass"], 1, "{summary}");
        assert_eq!(summary["outcomes"]["compile_error"], 1, "{summary}");
        assert_eq!(summary["outcomes"]["valid_rejected"], 1, "{summary}");
        assert_eq!(summary["outcomes"]["invalid_accepted"], 0, "{summary}");
        assert_eq!(summary["ttfm_us"]["count"], 2, "{summary}");
        assert!(summary["tbm_us"]["count"].as_u64().unwrap() > 10, "{summary}");
        assert_eq!(summary["build"], build);
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let status: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| (l["file"].as_str().unwrap(), l["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            status,
            [
                ("A---broken.json", "compile_error"),
                ("A---pass.json", "pass"),
                ("B---order.json", "valid_rejected")
            ]
        );
        assert_eq!(lines[1]["subset"], "A");
        assert!(lines[0]["error"].as_str().unwrap().contains("format"), "{}", lines[0]);
    }
    // Through an index file: the same verdicts, and the load times measured.
    let run = bench(&["--via-file", "--json"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["outcomes"]["pass"], 1, "{summary}");
    assert_eq!(summary["load_us"]["count"], 2, "{summary}");
    // Out of time for the eager walk (built eagerly, or completed for the file): timeouts,
    // counted apart from compile errors.
    for extra in [&["--build", "eager"][..], &["--via-file"][..]] {
        let run = bench(&[extra, &["--time-limit", "0.000000001", "--json"]].concat());
        assert!(run.status.success(), "{}", text(&run.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(summary["outcomes"]["timeout"], 2, "{extra:?}: {summary}");
        assert_eq!(summary["outcomes"]["compile_error"], 1, "{extra:?}: {summary}");
    }
    // The text table names every figure.
    let run = bench(&[]);
    let table = text(&run.stdout);
    for word in ["TTFM", "TBM", "p99.9", "passing 1", "compile errors 1", "timeouts 0"] {
        assert!(table.contains(word), "{word} missing from:\n{table}");
    }
    // Not a MaskBench file: an error naming it.
    std::fs::write(dir.path().join("C---bad.json"), "[1, 2]").unwrap();
    let run = bench(&[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("C---bad.json"), "{}", text(&run.stderr));
}

#[test]
fn explain_names_the_refused_byte_and_the_schema_node() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("s.json");
    std::fs::write(
        &schema,
        r##"{"type": "object", "properties": {"name": {"type": "string"},
            "age": {"$ref": "#/$defs/age"}}, "required": ["name", "age"],
            "$defs": {"age": {"type": "integer", "minimum": 0}}}"##,
    )
    .unwrap();
    let index = dir.path().join("s.mwi").display().to_string();
    let run = maskwell(&[
        "-v",
        "compile",
        "--schema",
        &schema.display().to_string(),
        "--tokenizer",
        &tokenizer(),
        "-o",
        &index,
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    // -v logs each compile stage with its duration.
    let log = text(&run.stderr);
    assert!(log.contains("schema") && log.contains("time.busy"), "{log}");

    let prefix = r#"{"name": "Ada", "age": "#;
    let run = on_index("explain", &index, &["--text", prefix, "--token-text", "-"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    assert!(out.contains("refused at its byte 0 (\"-\")"), "{out}");
    assert!(out.contains("expected: one of [0-9]"), "{out}");
    assert!(out.contains("output location: /age"), "{out}");
    assert!(out.contains(r##"schema /$defs/age: {"type": "integer", "minimum": 0}"##), "{out}");

    let run = on_index("explain", &index, &["--json", "--text", prefix, "--token-text", "1"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["allowed"], true);
    assert_eq!(json["location"]["instance"], "/age");
    assert!(json["allowed_tokens"].as_u64().unwrap() >= 10);

    let run =
        on_index("explain", &index, &["--json", "--text", r#"{"name": "Ada""#, "--token", "eos"]);
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["verdict"], "end_not_allowed");
    assert_eq!(json["forced"], ", \"age\": ");

    let run = on_index("explain", &index, &["--text", "{", "--token-text", "no such token text"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("no token of the vocabulary is exactly"));

    // `check` says why when it refuses.
    let run = on_index("check", &index, &["--text", r#"{"name": "Ada", "age": -1}"#]);
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stdout).contains("why: token"), "{}", text(&run.stdout));

    // Logs as JSON lines.
    let run = maskwell(&[
        "--log-format",
        "json",
        "-vv",
        "compile",
        "--regex",
        "[ab]+",
        "--tokenizer",
        &tokenizer(),
        "-o",
        &dir.path().join("r.mwi").display().to_string(),
    ]);
    assert!(run.status.success());
    let first = text(&run.stderr).lines().next().unwrap_or_default().to_owned();
    let line: serde_json::Value = serde_json::from_str(&first).expect("a JSON log line");
    assert!(line.get("level").is_some(), "{first}");
}
