//! The official JSON Schema Test Suite (draft 2020-12 and draft 7) against a ratchet
//! baseline in `schemas/baselines/json-schema-test-suite.json`.
//!
//! For every test group whose schema compiles, each instance is serialized the way the
//! default policy generates (`json.dumps` style, instance key order) and must be accepted
//! if valid; an invalid instance that is accepted fails the test unconditionally
//! (soundness). Per-file counts may not drop below the baseline; set
//! `MASKWELL_UPDATE_BASELINE=1` to rewrite it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{parse_raw, Matcher};
use maskwell_schema::{Compiler, Config, Registry};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    groups: u64,
    compiled: u64,
    tests: u64,
    passed: u64,
    valid_rejected: u64,
    invalid_accepted: u64,
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/json-schema-test-suite");
    p.is_dir().then_some(p)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn json_schema_test_suite() {
    let Some(root) = shared() else {
        println!("skipping: ../shared/json-schema-test-suite not found");
        return;
    };
    let mut registry = Registry::new();
    registry.add_directory("http://localhost:1234/", root.join("remotes"));
    let compiler = Compiler::new().configure(Config::new().registry(registry));
    let mut table: BTreeMap<String, Counts> = BTreeMap::new();
    let mut unsound = Vec::new();
    for draft in ["draft2020-12", "draft7"] {
        let dir = root.join("tests").join(draft);
        for f in files(&dir) {
            let name = format!("{draft}/{}", f.strip_prefix(&dir).unwrap().display());
            let text = std::fs::read_to_string(&f).unwrap();
            let raw = parse_raw(&text).unwrap();
            let mut c = Counts::default();
            for group in raw.as_array().unwrap() {
                c.groups += 1;
                let mut schema: serde_json::Value =
                    serde_json::from_str(&group.get("schema").unwrap().to_json()).unwrap();
                // The suite's draft 7 schemas assume draft 7 without saying so.
                if draft == "draft7" {
                    if let Some(o) = schema.as_object_mut() {
                        o.entry("$schema")
                            .or_insert("http://json-schema.org/draft-07/schema#".into());
                    }
                }
                let Ok(compiled) = compiler.compile(&schema) else { continue };
                let Ok(m) = Matcher::new(compiled.regex(), 64 << 20) else { continue };
                c.compiled += 1;
                for t in group.get("tests").and_then(|t| t.as_array()).unwrap_or(&[]) {
                    let valid = t.get("valid") == Some(&common::Raw::Bool(true));
                    let text = t.get("data").unwrap().python_dumps();
                    let ok = m.accepts(&text);
                    c.tests += 1;
                    match (valid, ok) {
                        (true, true) | (false, false) => c.passed += 1,
                        (true, false) => c.valid_rejected += 1,
                        (false, true) => {
                            c.invalid_accepted += 1;
                            unsound.push(format!(
                                "{name}: {:?} / {:?}: {text}",
                                group.get("description").and_then(|d| d.as_str()),
                                t.get("description").and_then(|d| d.as_str())
                            ));
                        }
                    }
                }
            }
            table.insert(name, c);
        }
    }
    let total = table.values().fold(Counts::default(), |a, c| Counts {
        groups: a.groups + c.groups,
        compiled: a.compiled + c.compiled,
        tests: a.tests + c.tests,
        passed: a.passed + c.passed,
        valid_rejected: a.valid_rejected + c.valid_rejected,
        invalid_accepted: a.invalid_accepted + c.invalid_accepted,
    });
    println!(
        "json-schema-test-suite: groups {} compiled {} tests {} passed {} valid-rejected {} invalid-accepted {}",
        total.groups, total.compiled, total.tests, total.passed, total.valid_rejected, total.invalid_accepted
    );
    assert!(unsound.is_empty(), "invalid instances accepted:\n{}", unsound.join("\n"));

    // Ratchet.
    let baseline_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/baselines/json-schema-test-suite.json");
    let current: BTreeMap<String, serde_json::Value> = table
        .iter()
        .map(|(k, c)| {
            (
                k.clone(),
                serde_json::json!({"groups": c.groups, "compiled": c.compiled, "tests": c.tests, "passed": c.passed}),
            )
        })
        .collect();
    if std::env::var("MASKWELL_UPDATE_BASELINE").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(baseline_path.parent().unwrap()).unwrap();
        let mut text = serde_json::to_string_pretty(&current).unwrap();
        text.push('\n');
        std::fs::write(&baseline_path, text).unwrap();
        println!("baseline written to {}", baseline_path.display());
        return;
    }
    let Ok(text) = std::fs::read_to_string(&baseline_path) else {
        panic!("no baseline at {}; run with MASKWELL_UPDATE_BASELINE=1", baseline_path.display());
    };
    let baseline: BTreeMap<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut drops = Vec::new();
    for (k, b) in &baseline {
        let cur = current.get(k);
        for field in ["compiled", "passed"] {
            let want = b[field].as_u64().unwrap_or(0);
            let got = cur.and_then(|c| c[field].as_u64()).unwrap_or(0);
            if got < want {
                drops.push(format!("{k}: {field} {got} < baseline {want}"));
            } else if got > want {
                println!("improved: {k}: {field} {got} > baseline {want} (update the baseline)");
            }
        }
    }
    assert!(drops.is_empty(), "regressions against the baseline:\n{}", drops.join("\n"));
}
