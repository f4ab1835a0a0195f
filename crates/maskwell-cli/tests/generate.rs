//! `maskwell generate` on tiny Llama and Qwen2 checkpoints written by the test, and on
//! random in-memory models: every output validates against its schema, and a seed fixes the
//! output.

use std::path::Path;
use std::process::Command;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::{llama, qwen2};

const SCHEMAS: &[&str] = &[
    r#"{"type": "object", "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 24},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 3},
        "score": {"type": "integer", "minimum": -10, "maximum": 10}}, "required": ["name", "age"],
        "additionalProperties": false}"#,
    r#"{"type": "array", "minItems": 1, "maxItems": 4, "items": {"type": "object",
        "properties": {"id": {"type": "integer", "minimum": 1, "maximum": 9999}, "ok": {"type": "boolean"},
        "note": {"type": ["string", "null"], "maxLength": 12}}, "required": ["id", "ok"],
        "additionalProperties": false}}"#,
    r#"{"enum": ["red", "green", {"mix": [1, 2]}, null]}"#,
];

fn maskwell(args: &[&str]) -> (Option<i32>, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_maskwell")).args(args).output().expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tokenizer() -> String {
    maskwell_test::fixture(maskwell_test::BYTELEVEL4K).display().to_string()
}

const WIDTH: usize = 4259;

/// Writes a tiny checkpoint of `arch` (config.json and model.safetensors) into `dir`.
fn write_checkpoint(dir: &Path, arch: &str) {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let common = serde_json::json!({
        "vocab_size": WIDTH, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 1024,
        "rms_norm_eps": 1e-5, "tie_word_embeddings": false,
    });
    let mut config = common.as_object().unwrap().clone();
    config.insert("model_type".into(), arch.into());
    match arch {
        "llama" => {
            let c: llama::LlamaConfig = serde_json::from_value(config.clone().into()).unwrap();
            llama::Llama::load(vb, &c.into_config(false)).unwrap();
        }
        _ => {
            for (k, v) in [
                ("sliding_window", 1024.into()),
                ("max_window_layers", 1.into()),
                ("rope_theta", 10000.0.into()),
                ("use_sliding_window", false.into()),
                ("hidden_act", "silu".into()),
            ] {
                config.insert(k.into(), v);
            }
            let c: qwen2::Config = serde_json::from_value(config.clone().into()).unwrap();
            qwen2::ModelForCausalLM::new(&c, vb).unwrap();
        }
    }
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config).unwrap())
        .unwrap();
    varmap.save(dir.join("model.safetensors")).unwrap();
}

fn check_outputs(model_args: &[&str], dir: &Path) {
    let tok = tokenizer();
    for (i, schema) in SCHEMAS.iter().enumerate() {
        let path = dir.join(format!("schema{i}.json"));
        std::fs::write(&path, schema).unwrap();
        let path = path.display().to_string();
        let schema_value: serde_json::Value = serde_json::from_str(schema).unwrap();
        let validator = jsonschema::validator_for(&schema_value).unwrap();
        for seed in ["1", "2", "3"] {
            let mut args = vec![
                "generate",
                "--schema",
                &path,
                "--tokenizer",
                &tok,
                "--seed",
                seed,
                "--max-tokens",
                "400",
            ];
            args.extend_from_slice(model_args);
            let (code, out, err) = maskwell(&args);
            assert_eq!(code, Some(0), "schema {i} seed {seed}: {err}");
            assert!(err.contains("tokens/s") && err.contains("masking"), "{err}");
            let value: serde_json::Value =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
            assert!(validator.is_valid(&value), "schema {i} seed {seed}: {out}");
            let (_, again, _) = maskwell(&args);
            assert_eq!(again, out, "seed {seed} is reproducible");
        }
    }
}

#[test]
fn random_models_of_each_architecture() {
    let dir = tempfile::tempdir().unwrap();
    check_outputs(&["--arch", "llama"], dir.path());
    check_outputs(&["--arch", "qwen2"], dir.path());
}

#[test]
fn checkpoints_written_to_disk() {
    for arch in ["llama", "qwen2"] {
        let dir = tempfile::tempdir().unwrap();
        write_checkpoint(dir.path(), arch);
        let model = dir.path().display().to_string();
        check_outputs(&["--model", &model], dir.path());
    }
}

#[test]
fn bad_checkpoints_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().display().to_string();
    let tok = tokenizer();
    let (code, _, err) =
        maskwell(&["generate", "--regex", "a", "--tokenizer", &tok, "--model", &model]);
    assert_eq!(code, Some(2));
    assert!(err.contains("config.json"), "{err}");
    std::fs::write(dir.path().join("config.json"), r#"{"model_type": "gpt9"}"#).unwrap();
    std::fs::write(dir.path().join("model.safetensors"), b"junk").unwrap();
    let (code, _, err) =
        maskwell(&["generate", "--regex", "a", "--tokenizer", &tok, "--model", &model]);
    assert_eq!(code, Some(2));
    assert!(err.contains("model.safetensors") || err.contains("gpt9"), "{err}");
}

/// Writes the first test schema into `dir` and returns its path.
fn first_schema(dir: &Path) -> String {
    let path = dir.join("schema.json");
    std::fs::write(&path, SCHEMAS[0]).unwrap();
    path.display().to_string()
}

/// The masks of a lazy index are the eager one's: the same seed samples the same output.
#[test]
fn lazy_builds_sample_what_eager_samples() {
    let dir = tempfile::tempdir().unwrap();
    let tok = tokenizer();
    let path = first_schema(dir.path());
    let run = |build: &str| {
        let (code, out, err) = maskwell(&[
            "generate",
            "--schema",
            &path,
            "--tokenizer",
            &tok,
            "--seed",
            "5",
            "--max-tokens",
            "300",
            "--build",
            build,
        ]);
        assert_eq!(code, Some(0), "{build}: {err}");
        out
    };
    let eager = run("eager");
    assert!(serde_json::from_str::<serde_json::Value>(&eager).is_ok(), "{eager}");
    assert_eq!(run("lazy"), eager);
    assert_eq!(run("background"), eager);
}

/// The README's demo: `generate --index FILE` samples from a precompiled index alone.
#[test]
fn generate_from_an_index_file() {
    let dir = tempfile::tempdir().unwrap();
    let tok = tokenizer();
    let schema = first_schema(dir.path());
    let index = dir.path().join("schema.mwi").display().to_string();
    let (code, _, err) =
        maskwell(&["compile", "--schema", &schema, "--tokenizer", &tok, "-o", &index]);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) =
        maskwell(&["generate", "--index", &index, "--tokenizer", &tok, "--seed", "7"]);
    assert_eq!(code, Some(0), "{err}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let validator = jsonschema::validator_for(&serde_json::from_str(SCHEMAS[0]).unwrap()).unwrap();
    assert!(validator.is_valid(&value), "{out}");
}
