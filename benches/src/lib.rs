//! Shared setup for maskwell's criterion benchmarks (`benches/index.rs`, `benches/mask.rs`).
//!
//! - [`json_object_regex`] and [`JSON_OBJECT_INSTANCE`]: the constraint both benches use, a
//!   JSON object with string, integer, boolean, enum and string-array fields, and a document
//!   that matches it.
//! - [`bench_vocab`]: the Llama-3 tokenizer from the shared data folder, or the bundled
//!   4k-token fixture (with a printed skip line) when the folder is absent.
//! - [`synthetic_vocab`]: deterministic vocabularies of any size, for scaling curves.
//! - [`prefix_state`]: the guide state reached after a prefix of the document, tokenized as a
//!   model would emit it.
//! - [`synthetic_bitmask`]: bitmask rows with a chosen share of allowed words.
//!
//! Everything here panics with a clear message on a broken setup: it runs before the timing
//! starts and only in benchmarks.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use maskwell::vocab::{encode_continuation, Tokenizer};
use maskwell::{Guide, Index, TokenId, Vocabulary};

/// Bounded JSON whitespace, as the schema compiler emits it.
const WS: &str = r"[ \t\n]{0,2}";
/// A JSON string: any character but `"`, `\` and controls, or an escape.
const STRING: &str = r#""([^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*""#;

/// The benchmark constraint: a JSON object
/// `{"name": string, "age": integer, "active": boolean, "role": "admin"|"editor"|"viewer",
/// "tags": [string, ...]}` in that property order, with `[ \t\n]{0,2}` whitespace around
/// every token and full JSON string escapes.
#[must_use]
pub fn json_object_regex() -> String {
    let integer = r"-?(0|[1-9][0-9]{0,15})";
    let boolean = r"(true|false)";
    let role = r#"("admin"|"editor"|"viewer")"#;
    let array = format!(r"\[{WS}({STRING}({WS},{WS}{STRING})*)?{WS}\]");
    let field = |name: &str, value: &str| format!(r#""{name}"{WS}:{WS}{value}"#);
    let fields = [
        field("name", STRING),
        field("age", integer),
        field("active", boolean),
        field("role", role),
        field("tags", &array),
    ];
    format!(r"\{{{WS}{}{WS}\}}", fields.join(&format!("{WS},{WS}")))
}

/// A document that matches [`json_object_regex`].
pub const JSON_OBJECT_INSTANCE: &str =
    "{\"name\": \"Ada Lovelace \\\"the Enchantress\\\"\", \"age\": 36, \
    \"active\": true, \"role\": \"editor\", \"tags\": [\"math\", \"poetry\\u00e9\", \"engines\"]}";

/// The vocabulary a benchmark runs on.
#[derive(Debug)]
pub struct BenchVocab {
    /// A short name for benchmark ids: `llama3-128k` or `bytelevel4k-fixture`.
    pub name: &'static str,
    /// The tokenizer file.
    pub path: PathBuf,
    /// The vocabulary.
    pub vocab: Vocabulary,
    /// The tokenizer, for [`prefix_state`].
    pub tokenizer: Tokenizer,
}

/// The Llama-3 tokenizer (`vocab/llama3.tokenizer.json` in the shared data folder, 128,256
/// tokens), or, when the shared folder or the file is absent, the bundled
/// `vocab-fixtures/bytelevel4k.tokenizer.json` after printing a line saying so.
///
/// # Panics
///
/// When the chosen file does not load.
#[must_use]
pub fn bench_vocab() -> BenchVocab {
    let llama3 = maskwell_test::shared_dir_or_skip("maskwell-bench")
        .map(|shared| shared.join("vocab").join("llama3.tokenizer.json"))
        .filter(|path| path.is_file());
    let (name, path) = match llama3 {
        Some(path) => ("llama3-128k", path),
        None => {
            eprintln!(
                "maskwell-bench: skipping Llama-3 (shared vocab/llama3.tokenizer.json not found); \
                 benchmarking the bundled {} instead",
                maskwell_test::BYTELEVEL4K
            );
            ("bytelevel4k-fixture", maskwell_test::fixture(maskwell_test::BYTELEVEL4K))
        }
    };
    let vocab = Vocabulary::from_file(&path)
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    let tokenizer = maskwell::vocab::load_tokenizer(&path)
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    BenchVocab { name, path, vocab, tokenizer }
}

/// A deterministic vocabulary of exactly `size` tokens: the 256 single bytes (ids 0..=255),
/// then distinct pseudo-random strings of 2 to 10 bytes, mostly printable ASCII (letters,
/// digits, space, JSON punctuation, backslash escapes) with some arbitrary bytes, and last an
/// end-of-sequence token. The same `size` always gives the same vocabulary.
///
/// # Panics
///
/// When `size` is not above 257.
#[must_use]
pub fn synthetic_vocab(size: usize) -> Vocabulary {
    assert!(size > 257, "a synthetic vocabulary needs more than 257 tokens, not {size}");
    const ALPHABET: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789     \"\",,::{}[]\\-._";
    let mut rng = SplitMix64(0x6d61_736b_7765_6c6c ^ size as u64);
    let mut seen: HashSet<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    while tokens.len() < size - 1 {
        let len = 2 + (rng.next() % 9) as usize;
        let token: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r % 16 == 0 {
                    (r >> 8) as u8
                } else {
                    ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                }
            })
            .collect();
        if seen.insert(token.clone()) {
            tokens.push(token);
        }
    }
    tokens.push(b"</s>".to_vec());
    Vocabulary::builder()
        .eos([TokenId::new(size as u32 - 1)])
        .build_from_tokens(tokens)
        .unwrap_or_else(|e| panic!("cannot build a synthetic vocabulary of {size} tokens: {e}"))
}

/// A named guide state for the mask benchmarks.
#[derive(Debug, Clone)]
pub struct NamedState {
    /// A short name for benchmark ids.
    pub name: &'static str,
    /// The output so far.
    pub prefix: &'static str,
    /// A guide that has accepted the prefix's tokens.
    pub guide: Guide,
}

/// The states the mask benchmarks measure, each reached by advancing a guide over the
/// tokens a model emits for a prefix of [`JSON_OBJECT_INSTANCE`]:
///
/// - `start`: nothing written yet (`{` and whitespace allowed);
/// - `in_string`: inside the `name` string (almost every token allowed);
/// - `after_key`: right after the `"age"` key (whitespace and `:`);
/// - `before_value`: after `"age": ` (digits, `-`, whitespace);
/// - `in_array`: inside the `tags` array, after its first string.
///
/// # Panics
///
/// When a prefix cannot be tokenized exactly or a token is refused.
#[must_use]
pub fn bench_states(
    index: &Arc<Index>,
    tokenizer: &Tokenizer,
    vocab: &Vocabulary,
) -> Vec<NamedState> {
    [
        ("start", ""),
        ("in_string", "{\"name\": \"Ada Love"),
        ("after_key", "{\"name\": \"Ada Lovelace \\\"the Enchantress\\\"\", \"age\""),
        ("before_value", "{\"name\": \"Ada Lovelace \\\"the Enchantress\\\"\", \"age\": "),
        (
            "in_array",
            "{\"name\": \"Ada Lovelace \\\"the Enchantress\\\"\", \"age\": 36, \"active\": true, \
             \"role\": \"editor\", \"tags\": [\"math\"",
        ),
    ]
    .into_iter()
    .map(|(name, prefix)| NamedState {
        name,
        prefix,
        guide: prefix_state(index, tokenizer, vocab, prefix),
    })
    .collect()
}

/// A guide over `index` that has accepted the tokens a model emits to write `prefix`.
///
/// # Panics
///
/// When `prefix` cannot be tokenized exactly or the guide refuses one of its tokens.
#[must_use]
pub fn prefix_state(
    index: &Arc<Index>,
    tokenizer: &Tokenizer,
    vocab: &Vocabulary,
    prefix: &str,
) -> Guide {
    let mut guide = Guide::new(index.clone());
    if prefix.is_empty() {
        return guide;
    }
    let tokens = encode_continuation(tokenizer, vocab, prefix)
        .unwrap_or_else(|e| panic!("cannot tokenize {prefix:?}: {e}"));
    guide
        .accept_tokens(&tokens)
        .unwrap_or_else(|e| panic!("the guide refuses the tokens of {prefix:?}: {e}"));
    guide
}

/// `rows` bitmask rows of `words` words each, deterministic: about `ones_percent` percent of
/// the words are all ones (every token allowed), about `mixed_percent` percent are mixed, the
/// rest zero.
#[must_use]
pub fn synthetic_bitmask(
    words: usize,
    rows: usize,
    ones_percent: u64,
    mixed_percent: u64,
) -> Vec<u32> {
    let mut rng = SplitMix64(words as u64 * 31 + ones_percent * 101 + mixed_percent);
    (0..words * rows)
        .map(|_| {
            let r = rng.next();
            match r % 100 {
                p if p < ones_percent => u32::MAX,
                p if p < ones_percent + mixed_percent => (r >> 32) as u32 | 1,
                _ => 0,
            }
        })
        .collect()
}

/// SplitMix64: a tiny, well-mixed, reproducible generator.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_vocab_is_deterministic_and_sized() {
        let a = synthetic_vocab(1000);
        let b = synthetic_vocab(1000);
        assert_eq!(a.width(), 1000);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.token_bytes(TokenId::new(65)), Some(&b"A"[..]));
    }

    #[test]
    fn regex_indexes_on_the_fixture_and_accepts_the_instance() {
        let path = maskwell_test::fixture(maskwell_test::BYTELEVEL4K);
        let vocab = Vocabulary::from_file(&path).unwrap();
        let tokenizer = maskwell::vocab::load_tokenizer(&path).unwrap();
        let index = Arc::new(Index::new(&json_object_regex(), &vocab).unwrap());
        let states = bench_states(&index, &tokenizer, &vocab);
        assert_eq!(states.len(), 5);
        let guide = prefix_state(&index, &tokenizer, &vocab, JSON_OBJECT_INSTANCE);
        assert!(guide.is_accepting());
    }
}
