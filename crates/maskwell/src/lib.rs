//! maskwell makes a language model's output match a regular expression (and, with the schema
//! compiler, a JSON Schema), token by token, inside the sampling loop.
//!
//! Everything expensive happens once: the regex becomes a byte DFA, and the DFA is walked over
//! the whole vocabulary to build an [`Index`] of the tokens allowed in every state. Decoding is
//! then a table look-up per token: [`Guide::fill_bitmask`] writes which tokens may come next,
//! [`apply_bitmask`] sets the others' logits to −∞, [`Guide::advance`] moves on.
//!
//! Key types, re-exported from the crates that own them:
//!
//! - [`Vocabulary`] (from [`vocab`]): token id → bytes, end-of-sequence ids, fingerprint.
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

pub use maskwell_index as index;
pub use maskwell_mask as mask;
pub use maskwell_vocab as vocab;

pub use maskwell_index::{
    Automaton, Builder, Config, Guide, GuideError, Index, Source, StateId, Stats, Step,
};
pub use maskwell_mask::{apply_bitmask, apply_bitmask_batch};
#[cfg(feature = "candle")]
pub use maskwell_mask::{apply_bitmask_tensor, masked_logits};
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

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
