//! What share of the tokens of real JSON documents a runtime could append without sampling:
//! MaskBench's valid instances, tokenized as the model writes them, walked through the index
//! of their schema; a token counts as forced when all of its bytes lie inside the forced
//! bytes of the state before it.
//!
//! `cargo run --release -p maskwell --example forced_share -- DIR TOKENIZER [MAX_FILES]`
//! with DIR the MaskBench folder (`../shared/jsonschemabench/maskbench`). Schemas whose index
//! exceeds the limits below are skipped and counted.

use std::path::PathBuf;
use std::sync::Arc;

use maskwell::vocab::{encode_continuation, load_tokenizer};
use maskwell::{Builder, Config, Guide, Vocabulary};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(tokenizer_path)) = (args.next(), args.next()) else {
        return Err("usage: forced_share DIR TOKENIZER [MAX_FILES]".into());
    };
    let max_files: usize = args.next().map_or(Ok(usize::MAX), |n| n.parse())?;
    let tokenizer = load_tokenizer(&tokenizer_path)?;
    let vocab = Vocabulary::builder().build_from_tokenizer(&tokenizer)?;
    let builder = Builder::new().configure(
        Config::new().max_index_states(20_000).dfa_size_limit(64 << 20).index_size_limit(256 << 20),
    );
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let (mut forced, mut total, mut instances, mut used, mut skipped) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")).take(max_files)
    {
        let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let valid: Vec<String> = file["tests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["valid"] == true)
            .map(|t| maskwell::schema::python_dumps(&t["data"]))
            .collect();
        if valid.is_empty() {
            continue;
        }
        let Ok((index, _)) =
            maskwell::build_schema_index(&file["schema"], &vocab, &Default::default(), &builder)
        else {
            skipped += 1;
            continue;
        };
        used += 1;
        let index = Arc::new(index);
        for text in valid {
            let Ok(tokens) = encode_continuation(&tokenizer, &vocab, &text) else { continue };
            let mut guide = Guide::new(index.clone());
            let (mut f, mut n) = (0, 0);
            for &token in &tokens {
                let bytes = vocab.token_bytes(token).unwrap_or_default();
                let in_forced = guide.forced_bytes().starts_with(bytes);
                if guide.advance(token).is_err() {
                    break;
                }
                f += usize::from(in_forced);
                n += 1;
            }
            if n == tokens.len() {
                forced += f;
                total += n;
                instances += 1;
            }
        }
    }
    println!(
        "schemas used {used}, skipped at the limits {skipped}; instances {instances}; tokens {total}; forced {forced} ({:.1}%)",
        100.0 * forced as f64 / total.max(1) as f64
    );
    Ok(())
}
