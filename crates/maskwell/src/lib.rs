//! maskwell makes a language model's output match a JSON Schema or a regular expression,
//! token by token, inside the sampling loop.
//!
//! Everything expensive happens once: the regex becomes a byte DFA, and the DFA is walked over
//! the whole vocabulary to build an [`Index`] of the tokens allowed in every state. Decoding is
//! then a table look-up per token: [`Guide::fill_bitmask`] writes which tokens may come next,
//! [`apply_bitmask`] sets the others' logits to −∞, [`Guide::advance`] moves on.
//!
//! Key types, re-exported from the crates that own them:
//!
//! - [`Vocabulary`] (from [`vocab`]): token id → bytes, end-of-sequence ids, fingerprint.
//! - [`schema::Compiler`] (from [`schema`]): JSON Schema → regex; [`index_from_schema`] and
//!   [`build_schema_index`] go from a schema to an [`Index`] in one call.
//! - [`Index`], [`Guide`], [`Config`] (from [`index`]): the compiled constraint and the
//!   per-sequence cursor; index files.
//! - [`apply_bitmask`], [`apply_bitmask_batch`] (from [`mask`]): logits masking.
//!
//! ```
//! use maskwell::{apply_bitmask, TokenId, Vocabulary};
//!
//! let vocab = Vocabulary::builder()
//!     .eos([TokenId::new(0)])
//!     .build_from_tokens(["</s>", "yes", "no", "maybe"])?;
//! let mut guide = maskwell::guide_from_regex("yes|no", &vocab)?;
//! let mut bitmask = vec![0u32; guide.index().words()];
//! let mut logits = vec![0.0f32; vocab.width()];
//! guide.fill_bitmask(&mut bitmask)?;
//! apply_bitmask(&mut logits, &bitmask)?;
//! assert_eq!(logits, [f32::NEG_INFINITY, 0.0, 0.0, f32::NEG_INFINITY]);
//! guide.advance(TokenId::new(2))?;
//! guide.advance(TokenId::new(0))?;
//! assert!(guide.is_finished());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::sync::Arc;

mod explain;

pub use explain::{explain, explain_guide, Diagnosis};

pub use maskwell_index as index;
pub use maskwell_index::metrics;
pub use maskwell_mask as mask;
pub use maskwell_schema as schema;
pub use maskwell_vocab as vocab;

pub use maskwell_index::{
    Automaton, Builder, Config, Explanation, Guide, GuideError, Index, Snapshot, Source, StateId,
    Stats, Step, Verdict,
};
pub use maskwell_mask::{apply_bitmask, apply_bitmask_batch};
#[cfg(feature = "candle")]
pub use maskwell_mask::{apply_bitmask_tensor, masked_logits, masked_logits_by_tensor};
pub use maskwell_vocab::{Fingerprint, TokenId, TokenKind, TokenSet, Vocabulary};

/// Any error of the maskwell crates, with its source kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Loading or building a vocabulary failed.
    #[error(transparent)]
    Vocab(#[from] maskwell_vocab::Error),
    /// Building, saving or loading an index failed.
    #[error(transparent)]
    Index(#[from] maskwell_index::Error),
    /// A guide refused an operation.
    #[error(transparent)]
    Guide(#[from] GuideError),
    /// Compiling a JSON Schema failed.
    #[error(transparent)]
    Schema(#[from] maskwell_schema::Error),
    /// Masking logits failed.
    #[error(transparent)]
    Mask(#[from] maskwell_mask::Error),
}

impl Error {
    /// The stable snake_case code of the underlying error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::Vocab(e) => e.kind().code(),
            Error::Index(e) => e.kind().code(),
            Error::Guide(e) => e.kind().code(),
            Error::Mask(e) => e.code(),
            Error::Schema(e) => e.code(),
        }
    }
}

/// Builds the index of `regex` over `vocab` with the default [`Config`] and returns a guide at
/// its start. For many sequences under one constraint, build the [`Index`] once and create a
/// [`Guide`] per sequence instead.
///
/// # Errors
///
/// When the regex is invalid, exceeds a limit, or cannot be written with the vocabulary.
pub fn guide_from_regex(regex: &str, vocab: &Vocabulary) -> Result<Guide, Error> {
    Ok(Guide::new(Arc::new(Index::new(regex, vocab)?)))
}

/// Compiles a JSON Schema with the default settings and builds its index over `vocab`.
///
/// ```
/// use maskwell::{Guide, TokenId, Vocabulary};
/// use std::sync::Arc;
///
/// let vocab = Vocabulary::builder()
///     .eos([TokenId::new(0)])
///     .build_from_tokens(["</s>", "{", "}", "\"ok\"", ": ", "true", "false"])?;
/// let schema = serde_json::json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]});
/// let index = Arc::new(maskwell::index_from_schema(&schema, &vocab)?);
/// let mut guide = Guide::new(index);
/// guide.accept_tokens(&[1, 3, 4, 6, 2, 0].map(TokenId::new))?; // {"ok": false}
/// assert!(guide.is_finished());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// When the schema uses a keyword the compiler cannot translate soundly, or the index
/// cannot be built (see [`build_schema_index`] for settings and warnings).
pub fn index_from_schema(schema: &serde_json::Value, vocab: &Vocabulary) -> Result<Index, Error> {
    build_schema_index(schema, vocab, &schema::Config::new(), &Builder::new())
        .map(|(index, _)| index)
}

/// Compiles a JSON Schema with `schema_config` and builds its index over `vocab` with
/// `builder`; returns the index and the compiler's warnings (keywords ignored in lenient
/// mode, recursion bounded). The index records the schema and its regex as its source.
///
/// # Errors
///
/// As [`index_from_schema`].
pub fn build_schema_index(
    schema: &serde_json::Value,
    vocab: &Vocabulary,
    schema_config: &schema::Config,
    builder: &Builder,
) -> Result<(Index, Vec<schema::Warning>), Error> {
    let compiled = schema::Compiler::new().configure(schema_config.clone()).compile(schema)?;
    let warnings = compiled.warnings().to_vec();
    let source = Source::Schema { schema: schema.to_string(), regex: compiled.into_regex() };
    Ok((builder.build_with_source(source, vocab)?, warnings))
}

/// The tokens to append without sampling when every continuation starts with the same bytes
/// (`"name": "` after `{` in an object whose first property is required, say): the forced
/// bytes as the tokenizer itself would write them, less the last token, which the bytes that
/// follow might merge into a longer token; the model's context stays canonically tokenized.
/// Empty when the next byte is a choice.
///
/// # Errors
///
/// [`Error::Vocab`] when the tokenizer fails on the forced text.
#[cfg(feature = "hf")]
pub fn forced_tokens(
    guide: &Guide,
    tokenizer: &vocab::Tokenizer,
    vocab: &Vocabulary,
) -> Result<Vec<TokenId>, Error> {
    let bytes = guide.forced_bytes();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // A forced path can end inside a character: keep the whole characters before it.
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut tokens = vocab::encode_continuation(tokenizer, vocab, text)?;
    tokens.pop();
    let valid = guide.validate_tokens(&tokens);
    tokens.truncate(valid);
    Ok(tokens)
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
