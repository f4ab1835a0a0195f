//! A batch sampling loop under a JSON Schema: one shared index, one guide per sequence,
//! bitmasks filled for the whole batch, logits masked, tokens sampled and fed back.
//!
//! Run with `cargo run -p maskwell --example sampling_loop` from the repository root. The
//! "model" here returns pseudo-random logits; a real runtime puts its forward pass there.

use std::sync::Arc;

use maskwell::{apply_bitmask_batch, Guide, TokenId, Vocabulary};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let vocab = Vocabulary::from_file("vocab-fixtures/bytelevel4k.tokenizer.json")?;
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 16},
            "population": {"type": "integer", "minimum": 0, "maximum": 100000000}
        },
        "required": ["city", "population"]
    });
    let index = Arc::new(maskwell::index_from_schema(&schema, &vocab)?);

    let (batch, width, words) = (4, vocab.width(), index.words());
    let mut guides: Vec<Guide> = (0..batch).map(|_| Guide::new(index.clone())).collect();
    let mut bitmask = vec![0u32; batch * words];
    let mut logits = vec![0f32; batch * width];
    let mut outputs = vec![Vec::new(); batch];
    let mut seed = 0x2545_f491_4f6c_dd1du64;

    while guides.iter().any(|g| !g.is_finished()) {
        // 1. The model's forward pass for every row (here: noise).
        for logit in logits.iter_mut() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *logit = (seed >> 40) as f32 / (1u64 << 24) as f32;
        }
        // 2. Which tokens each row may take, and −∞ for all others.
        Guide::fill_bitmask_batch(&guides, &mut bitmask)?;
        apply_bitmask_batch(&mut logits, &bitmask, batch)?;
        // 3. Sample (greedy here) and advance each unfinished sequence.
        for (row, guide) in guides.iter_mut().enumerate().filter(|(_, g)| !g.is_finished()) {
            let row_logits = &logits[row * width..(row + 1) * width];
            let (best, _) =
                row_logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
            let token = TokenId::new(best as u32);
            guide.advance(token)?;
            if !vocab.is_eos(token) {
                outputs[row].extend_from_slice(vocab.token_bytes(token).unwrap_or_default());
            }
        }
    }
    for output in outputs {
        println!("{}", String::from_utf8_lossy(&output));
    }
    Ok(())
}
