//! `maskwell generate`: a real sampling loop with candle, masked by a guide at every step.
//!
//! With `--model DIR` it loads a local Llama- or Qwen2-style checkpoint (`config.json` and
//! `*.safetensors`); without it, it builds a small randomly initialised model of the same
//! architecture in memory, seeded, so that random logits (the adversarial case) must still
//! give valid output. The text goes to stdout; speed and the time spent masking to stderr.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::generation::LogitsProcessor;
use candle_transformers::models::{llama, qwen2};
use clap::{Args, ValueEnum};
use maskwell::{apply_bitmask_tensor, Guide, Index, TokenId};
use rand::{Rng as _, SeedableRng as _};

use crate::{read_schema, SchemaArgs, VocabArgs};

#[derive(Args, Debug)]
pub(crate) struct GenerateArgs {
    /// The JSON Schema the output must satisfy.
    #[arg(long, short = 's', value_name = "FILE", conflicts_with = "regex", required_unless_present_any = ["regex", "index", "unconstrained"])]
    schema: Option<PathBuf>,
    /// A regex the whole output must match (instead of a schema).
    #[arg(long, value_name = "REGEX")]
    regex: Option<String>,
    /// A prebuilt index file (instead of compiling the schema or regex).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["schema", "regex"])]
    index: Option<PathBuf>,
    #[command(flatten)]
    schema_options: SchemaArgs,
    #[command(flatten)]
    vocab: VocabArgs,
    /// A local checkpoint directory (config.json and *.safetensors, Llama or Qwen2). Without
    /// it, a small randomly initialised model is built in memory.
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Architecture of the random model (a checkpoint's is read from its config.json).
    #[arg(long, value_enum, default_value = "llama")]
    arch: Arch,
    /// Seed for the random model and the sampler: the same seed gives the same output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 512)]
    max_tokens: usize,
    /// Sampling temperature (0 for greedy).
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Text the model continues.
    #[arg(long, default_value = "Answer in JSON:\n")]
    prompt: String,
    /// Generate without any constraint (to measure what masking costs).
    #[arg(long)]
    unconstrained: bool,
    /// When the index of `--schema` or `--regex` is built: `eager` (every state before the
    /// first token), `lazy` (each state when first reached) or `background` (lazy, completed
    /// by another thread meanwhile).
    #[arg(long, value_name = "MODE", default_value = "eager")]
    build: maskwell::index::BuildMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Arch {
    Llama,
    Qwen2,
}

enum Model {
    Llama(Box<llama::Llama>, llama::Cache),
    Qwen2(Box<qwen2::ModelForCausalLM>),
}

impl Model {
    /// The next-token logits after `input`, as a `[vocab]` f32 tensor.
    fn forward(&mut self, input: &[u32], position: usize) -> Result<Tensor> {
        let input = Tensor::new(input, &Device::Cpu)?.unsqueeze(0)?;
        let logits = match self {
            Model::Llama(model, cache) => model.forward(&input, position, cache)?,
            Model::Qwen2(model) => model.forward(&input, position)?,
        };
        Ok(logits.flatten_all()?.to_dtype(DType::F32)?)
    }
}

pub(crate) fn generate(args: &GenerateArgs) -> Result<std::process::ExitCode> {
    let (tokenizer, vocab) = args.vocab.load()?;
    let builder = Index::builder().configure(maskwell::Config::new().build_mode(args.build));
    let index = match (&args.index, &args.schema, &args.regex) {
        _ if args.unconstrained => None,
        (Some(path), _, _) => Some(Index::load(path, &vocab)?),
        (None, Some(path), _) => {
            let schema = read_schema(path)?;
            let (index, warnings) = maskwell::build_schema_index(
                &schema,
                &vocab,
                &args.schema_options.config(),
                &builder,
            )
            .with_context(|| format!("compiling {}", path.display()))?;
            crate::print_warnings(&warnings);
            Some(index)
        }
        (None, None, Some(regex)) => Some(builder.build(regex, &vocab)?),
        (None, None, None) => bail!("give --schema, --regex, --index or --unconstrained"),
    };
    let mut model = match &args.model {
        Some(dir) => load_model(dir)?,
        None => random_model(args.arch, vocab.width(), args.seed)?,
    };

    let prompt = tokenizer
        .encode_fast(args.prompt.as_str(), true)
        .map_err(|e| anyhow::anyhow!("tokenizing the prompt: {e}"))?;
    let mut input: Vec<u32> = prompt.get_ids().to_vec();
    let mut position = 0;
    let mut guide = index.map(|index| Guide::new(Arc::new(index)));
    let mut bitmask = vec![0u32; vocab.width().div_ceil(32)];
    let temperature = (args.temperature > 0.0).then_some(args.temperature);
    let mut sampler = LogitsProcessor::new(args.seed, temperature, None);
    let mut output = Vec::new();
    let (mut masking, mut generated, mut finished) = (Duration::ZERO, 0usize, false);
    let started = Instant::now();
    while generated < args.max_tokens {
        let logits = model.forward(&input, position)?;
        if logits.dim(0)? < vocab.width() {
            bail!(
                "the model produces {} logits, fewer than the vocabulary's {} tokens",
                logits.dim(0)?,
                vocab.width()
            );
        }
        position += input.len();
        let t = Instant::now();
        if let Some(guide) = &guide {
            guide.fill_bitmask(&mut bitmask)?;
            apply_bitmask_tensor(&logits, &bitmask)?;
        }
        masking += t.elapsed();
        let token = sampler.sample(&logits)?;
        generated += 1;
        let t = Instant::now();
        let done = match &mut guide {
            Some(guide) => {
                guide.advance(TokenId::new(token))?;
                guide.is_finished()
            }
            None => vocab.is_eos(TokenId::new(token)),
        };
        masking += t.elapsed();
        if done {
            finished = true;
            break;
        }
        output.extend_from_slice(vocab.token_bytes(TokenId::new(token)).unwrap_or_default());
        input = vec![token];
    }
    let elapsed = started.elapsed();
    std::io::stdout().lock().write_all(&output)?;
    let per_token = |d: Duration| d.as_secs_f64() * 1e6 / generated.max(1) as f64;
    eprintln!(
        "maskwell: {generated} tokens in {:.2} s ({:.1} tokens/s), masking {:.1} µs/token ({:.2}% of the loop){}",
        elapsed.as_secs_f64(),
        generated as f64 / elapsed.as_secs_f64().max(1e-9),
        per_token(masking),
        100.0 * masking.as_secs_f64() / elapsed.as_secs_f64().max(1e-9),
        if args.unconstrained { ", unconstrained" } else { "" },
    );
    if !finished {
        eprintln!(
            "maskwell: stopped after --max-tokens {} before the end of the output",
            args.max_tokens
        );
        return Ok(std::process::ExitCode::from(1));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Loads `config.json` and every `*.safetensors` of a checkpoint directory.
fn load_model(dir: &Path) -> Result<Model> {
    let config_path = dir.join("config.json");
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let raw: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", config_path.display()))?;
    let mut tensors = HashMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no *.safetensors file", dir.display());
    }
    for file in &files {
        tensors.extend(
            candle_core::safetensors::load(file, &Device::Cpu)
                .with_context(|| format!("reading {}", file.display()))?,
        );
    }
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
    match raw.get("model_type").and_then(|t| t.as_str()) {
        Some("llama") => {
            let config: llama::LlamaConfig = serde_json::from_value(raw)
                .with_context(|| format!("{}: not a Llama config", config_path.display()))?;
            let config = config.into_config(false);
            let cache = llama::Cache::new(true, DType::F32, &config, &Device::Cpu)?;
            Ok(Model::Llama(Box::new(llama::Llama::load(vb, &config)?), cache))
        }
        Some("qwen2") => {
            let config: qwen2::Config = serde_json::from_value(raw)
                .with_context(|| format!("{}: not a Qwen2 config", config_path.display()))?;
            Ok(Model::Qwen2(Box::new(qwen2::ModelForCausalLM::new(&config, vb)?)))
        }
        other => {
            bail!("{}: model_type {other:?} is not supported (llama, qwen2)", config_path.display())
        }
    }
}

/// A small model of `arch` with seeded random weights.
fn random_model(arch: Arch, vocab_size: usize, seed: u64) -> Result<Model> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let mut model = match arch {
        Arch::Llama => {
            let config = tiny_llama(vocab_size).into_config(false);
            let cache = llama::Cache::new(true, DType::F32, &config, &Device::Cpu)?;
            Model::Llama(Box::new(llama::Llama::load(vb, &config)?), cache)
        }
        Arch::Qwen2 => {
            Model::Qwen2(Box::new(qwen2::ModelForCausalLM::new(&tiny_qwen2(vocab_size), vb)?))
        }
    };
    // The variables were created with unseeded random values: overwrite them, in name order.
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let vars = varmap.data().lock().map_err(|_| anyhow::anyhow!("variable map poisoned"))?;
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        let var = &vars[name];
        let values: Vec<f32> =
            (0..var.elem_count()).map(|_| rng.random_range(-0.5f32..0.5)).collect();
        var.set(&Tensor::from_vec(values, var.shape(), &Device::Cpu)?)?;
    }
    drop(vars);
    if let Model::Qwen2(m) = &mut model {
        m.clear_kv_cache();
    }
    Ok(model)
}

/// The configuration of the random Llama: 2 layers, 64 wide.
pub(crate) fn tiny_llama(vocab_size: usize) -> llama::LlamaConfig {
    serde_json::from_value(serde_json::json!({
        "hidden_size": 64, "intermediate_size": 128, "vocab_size": vocab_size,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "tie_word_embeddings": true
    }))
    .expect("a valid Llama configuration")
}

/// The configuration of the random Qwen2: 2 layers, 64 wide.
pub(crate) fn tiny_qwen2(vocab_size: usize) -> qwen2::Config {
    serde_json::from_value(serde_json::json!({
        "vocab_size": vocab_size, "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 2048, "sliding_window": 2048, "max_window_layers": 2,
        "tie_word_embeddings": true, "rope_theta": 10000.0, "rms_norm_eps": 1e-6,
        "use_sliding_window": false, "hidden_act": "silu"
    }))
    .expect("a valid Qwen2 configuration")
}
