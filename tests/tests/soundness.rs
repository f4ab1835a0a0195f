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

/// Every walk is in the language, ends past the soft length by the shortest way, and varies
/// with the seed: checked against the dense automaton of the same regex.
#[test]
fn walks_stay_in_the_language_and_end() {
    use maskwell_e2e::soundness::{Rng, Walker};
    let config = maskwell::Config::new();
    for regex in [r"a|ab", r"x[0-9]{300}y", r#"\{("k":[0-9]+,?)*\}"#, r"(ab|cd)*e"] {
        let dense = maskwell::Automaton::from_regex(regex, &config).unwrap();
        let mut walker = Walker::new(regex, &config).unwrap();
        let mut seen = std::collections::HashSet::new();
        for seed in 0..50 {
            let walk = walker.walk(&mut Rng::new(seed), 8).unwrap();
            assert!(dense.matches(&walk), "{regex}: {:?}", String::from_utf8_lossy(&walk));
            seen.insert(walk);
        }
        assert!(seen.len() > 1, "{regex}: every walk alike");
    }
    // Past the soft length the way out is a shortest one: the 300 digits and the `y`.
    let mut walker = Walker::new(r"x[0-9]{300}y", &config).unwrap();
    assert_eq!(walker.walk(&mut Rng::new(1), 8).unwrap().len(), 302);
}

/// A regex the walker cannot walk soundly is refused with a reason, not walked.
#[test]
fn walker_refuses_look_around() {
    let err = maskwell_e2e::soundness::Walker::new(r"a\b", &maskwell::Config::new()).unwrap_err();
    assert!(err.to_string().contains("look-around"), "{err}");
}
