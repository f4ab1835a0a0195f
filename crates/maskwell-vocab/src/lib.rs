//! Token vocabularies for maskwell.
//!
//! A language model samples token ids; a constraint is defined over bytes. This crate is
//! the bridge: a [`Vocabulary`] knows, for every token id the model can produce, the exact
//! bytes that token emits, which ids end a sequence, and which ids may never be sampled
//! under a constraint (special tokens, gaps in the id space, padding columns of the logits).
//!
//! Key types:
//!
//! - [`Vocabulary`]: id → bytes, the end-of-sequence set, a stable [`Fingerprint`].
//! - [`TokenId`]: a token id, a `u32` newtype.
//! - [`TokenSet`]: a set of token ids stored as a packed `u32` bitmask, bit `i % 32` of word
//!   `i / 32` for token `i`, the layout inference runtimes pass around.
//!
//! With the `hf` feature (on by default), [`Vocabulary::from_file`] reads a HuggingFace
//! `tokenizer.json`: byte-level BPE (GPT-2 alphabet, `Ġ` for space), SentencePiece (`▁` for
//! space, `<0xNN>` byte-fallback tokens) and added tokens. Nothing is ever downloaded.
//!
//! ```
//! use maskwell_vocab::{TokenId, Vocabulary};
//!
//! // A vocabulary from explicit token bytes: ids 0..3 are text, id 3 is the end of sequence.
//! let vocab = Vocabulary::builder()
//!     .eos([TokenId::new(3)])
//!     .build_from_tokens([b"a".as_slice(), b"b", b"ab", b""])?;
//! assert_eq!(vocab.token_bytes(TokenId::new(2)), Some(b"ab".as_slice()));
//! assert!(vocab.is_eos(TokenId::new(3)));
//! assert_eq!(vocab.width(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod fingerprint;
#[cfg(feature = "hf")]
mod hf;
mod set;
mod token;
mod vocabulary;

pub use error::{Error, ErrorKind};
pub use fingerprint::Fingerprint;
#[cfg(feature = "hf")]
pub use hf::{encode_continuation, load_tokenizer};
pub use set::TokenSet;
pub use token::TokenId;
#[cfg(feature = "hf")]
pub use tokenizers::Tokenizer;
pub use vocabulary::{Builder, TokenKind, Vocabulary};
