//! Soundness on real schemas: random walks through the automata of a third of the committed
//! MaskBench sample (`benches/maskbench-sample.txt`), 20 walks each, must all be valid
//! instances by the `jsonschema` crate with formats asserted. The whole corpus runs with
//! `cargo run -p maskwell-e2e --release --example soundness -- ../shared/jsonschemabench/maskbench`.

use maskwell_e2e::soundness::{check_schema, Verdict};

#[test]
fn random_walks_give_valid_instances() {
    let Some(shared) = maskwell_test::shared_dir_or_skip("soundness") else { return };
    let dir = shared.join("jsonschemabench/maskbench");
    let list = maskwell_test::workspace_root().join("benches/maskbench-sample.txt");
    let names: Vec<String> = std::fs::read_to_string(&list)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let (mut sound, mut walks, mut skipped) = (0, 0, 0);
    let mut violations = Vec::new();
    for (i, name) in names.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
        match check_schema(&file["schema"], 20, i as u64) {
            Verdict::Sound { walks: n } => {
                sound += 1;
                walks += n;
            }
            Verdict::Violation { text, reason } => {
                violations.push(format!("{name}: {reason}\n  {text}"))
            }
            Verdict::Skipped(_) => skipped += 1,
        }
    }
    eprintln!(
        "soundness: {sound} schemas sound ({walks} walks), {skipped} skipped, {} violations",
        violations.len()
    );
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // Most of the sample compiles and determinizes: a vacuous pass would show here.
    assert!(sound >= 60 && walks >= 60 * 15, "{sound} schemas, {walks} walks");
}
