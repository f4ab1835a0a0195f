use std::path::PathBuf;

use crate::TokenId;

/// Why a vocabulary could not be loaded or built.
///
/// Each variant has a stable [`ErrorKind`] code (see [`Error::kind`]) that the Python
/// exceptions and the CLI expose.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The tokenizer file could not be read.
    #[error("cannot read tokenizer file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The `tokenizers` crate rejected the file (malformed JSON, unknown model, ...).
    #[error("{}: not a valid tokenizer.json: {message}", path.display())]
    Tokenizer {
        /// The file, or `<memory>`.
        path: PathBuf,
        /// The tokenizer library's message.
        message: String,
    },
    /// The tokenizer's decoder does not say how tokens map to bytes.
    #[error("{}: unsupported tokenizer decoder {decoder:?}: maskwell needs byte-level BPE, SentencePiece (metaspace / byte fallback) or plain text tokens", path.display())]
    UnsupportedDecoder {
        /// The file, or `<memory>`.
        path: PathBuf,
        /// The decoder's `type` as written in the file.
        decoder: String,
    },
    /// A token's text cannot be turned into bytes under the tokenizer's scheme.
    #[error("{}: token {id} {text:?}: {reason}", path.display())]
    BadToken {
        /// The file, or `<memory>`.
        path: PathBuf,
        /// The token id.
        id: TokenId,
        /// The token as the tokenizer writes it.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An end-of-sequence or special id lies outside the vocabulary.
    #[error("{what} token id {id} is outside the vocabulary of width {width}")]
    IdOutOfRange {
        /// `end-of-sequence` or `special`.
        what: &'static str,
        /// The id given.
        id: TokenId,
        /// The vocabulary width.
        width: usize,
    },
    /// No end-of-sequence token was given or found.
    #[error("no end-of-sequence token: none of the tokenizer's special tokens is a known end-of-sequence marker; pass the ids explicitly (`Builder::eos`)")]
    NoEos,
    /// The requested width is smaller than the tokenizer's id range.
    #[error("vocabulary width {width} is smaller than the tokenizer's {needed} ids")]
    WidthTooSmall {
        /// The width asked for.
        width: usize,
        /// The number of ids the tokenizer uses (largest id + 1).
        needed: usize,
    },
    /// A text has no tokenization that reproduces it exactly as a continuation.
    #[error("cannot tokenize {text:?} as a continuation: {reason}")]
    Encode {
        /// The beginning of the text (at most 80 characters).
        text: String,
        /// Why.
        reason: String,
    },
    /// The vocabulary exceeds what an index can address.
    #[error("vocabulary too large: {what} is {value}, the limit is {limit}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// How many.
        value: usize,
        /// The limit.
        limit: usize,
    },
}

/// The stable, matchable kind of an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Io`]
    Io,
    /// [`Error::Tokenizer`]
    Tokenizer,
    /// [`Error::UnsupportedDecoder`]
    UnsupportedDecoder,
    /// [`Error::BadToken`]
    BadToken,
    /// [`Error::IdOutOfRange`]
    IdOutOfRange,
    /// [`Error::NoEos`]
    NoEos,
    /// [`Error::WidthTooSmall`]
    WidthTooSmall,
    /// [`Error::TooLarge`]
    TooLarge,
    /// [`Error::Encode`]
    Encode,
}

impl ErrorKind {
    /// A stable snake_case code, the same in Rust, Python and the CLI's JSON output.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Tokenizer => "tokenizer",
            ErrorKind::UnsupportedDecoder => "unsupported_decoder",
            ErrorKind::BadToken => "bad_token",
            ErrorKind::IdOutOfRange => "id_out_of_range",
            ErrorKind::NoEos => "no_eos",
            ErrorKind::WidthTooSmall => "width_too_small",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Encode => "encode",
        }
    }
}

impl Error {
    /// The kind of error, for matching and for its stable code.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } => ErrorKind::Io,
            Error::Tokenizer { .. } => ErrorKind::Tokenizer,
            Error::UnsupportedDecoder { .. } => ErrorKind::UnsupportedDecoder,
            Error::BadToken { .. } => ErrorKind::BadToken,
            Error::IdOutOfRange { .. } => ErrorKind::IdOutOfRange,
            Error::NoEos => ErrorKind::NoEos,
            Error::WidthTooSmall { .. } => ErrorKind::WidthTooSmall,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::Encode { .. } => ErrorKind::Encode,
        }
    }
}
