use std::path::PathBuf;

use maskwell_vocab::TokenId;

/// Why an index could not be built, saved or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The regex does not parse, or uses a feature a byte DFA cannot implement.
    #[error("invalid regex: {message}{}", offset.map(|o| format!(" at byte {o}")).unwrap_or_default())]
    Regex {
        /// What is wrong.
        message: String,
        /// The byte offset in the regex where the problem starts, when known.
        offset: Option<usize>,
        /// The regex compiler's error.
        #[source]
        source: Option<Box<regex_automata::nfa::thompson::BuildError>>,
    },
    /// A configured limit was exceeded.
    #[error("{limit} exceeded: {detail} (raise `Config::{setter}` to allow it)")]
    Limit {
        /// Which limit, in words.
        limit: &'static str,
        /// The `Config` setter that raises it.
        setter: &'static str,
        /// What was measured against the limit.
        detail: String,
    },
    /// No string of the language can be written with the vocabulary's tokens (or the
    /// language is empty).
    #[error("the vocabulary cannot produce any string this regex accepts{detail}")]
    Inexpressible {
        /// More context, e.g. which bytes no token starts with.
        detail: String,
    },
    /// The vocabulary and the index (or two indexes) disagree.
    #[error("index was built for vocabulary {expected} (width {expected_width}), not for {actual} (width {actual_width})")]
    VocabularyMismatch {
        /// The fingerprint recorded in the index.
        expected: String,
        /// Its width.
        expected_width: usize,
        /// The fingerprint of the vocabulary given.
        actual: String,
        /// Its width.
        actual_width: usize,
    },
    /// An index file could not be read or written.
    #[error("{}: {action} failed", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// `read` or `write`.
        action: &'static str,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// An index file is not a maskwell index, is from an unsupported version, is truncated
    /// or is corrupt.
    #[error("{}: {reason}", path.display())]
    BadFile {
        /// The file, or `<memory>`.
        path: PathBuf,
        /// What is wrong, with the byte offset where it applies.
        reason: String,
    },
    /// A guide [`Snapshot`](crate::Snapshot) could not be read or replayed.
    #[error("{reason}")]
    Snapshot {
        /// What went wrong.
        reason: String,
        /// The guide's error when a replayed token was refused.
        #[source]
        source: Option<GuideError>,
    },
    /// An operation on a token or a guide that a [`Guide`](crate::Guide) would refuse too
    /// (e.g. [`Index::explain`](crate::Index::explain) of a token outside the vocabulary).
    #[error(transparent)]
    Guide(#[from] GuideError),
}

/// The stable kind of an [`Error`] or [`GuideError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Regex`]
    Regex,
    /// [`Error::Limit`]
    Limit,
    /// [`Error::Inexpressible`]
    Inexpressible,
    /// [`Error::VocabularyMismatch`]
    VocabularyMismatch,
    /// [`Error::Io`]
    Io,
    /// [`Error::BadFile`]
    BadFile,
    /// [`Error::Snapshot`]
    Snapshot,
    /// [`GuideError::NotAllowed`]
    TokenNotAllowed,
    /// [`GuideError::OutOfRange`]
    TokenOutOfRange,
    /// [`GuideError::Finished`]
    Finished,
    /// [`GuideError::Rollback`]
    Rollback,
    /// [`GuideError::BufferSize`]
    BufferSize,
    /// [`GuideError::Limit`]
    StateLimit,
}

impl ErrorKind {
    /// A stable snake_case code, the same in Rust, Python and the CLI's JSON output.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Regex => "regex",
            ErrorKind::Limit => "limit",
            ErrorKind::Inexpressible => "inexpressible",
            ErrorKind::VocabularyMismatch => "vocabulary_mismatch",
            ErrorKind::Io => "io",
            ErrorKind::BadFile => "bad_file",
            ErrorKind::Snapshot => "snapshot",
            ErrorKind::TokenNotAllowed => "token_not_allowed",
            ErrorKind::TokenOutOfRange => "token_out_of_range",
            ErrorKind::Finished => "finished",
            ErrorKind::Rollback => "rollback",
            ErrorKind::BufferSize => "buffer_size",
            ErrorKind::StateLimit => "state_limit",
        }
    }
}

impl Error {
    /// The kind of error, for matching and for its stable code.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Regex { .. } => ErrorKind::Regex,
            Error::Limit { .. } => ErrorKind::Limit,
            Error::Inexpressible { .. } => ErrorKind::Inexpressible,
            Error::VocabularyMismatch { .. } => ErrorKind::VocabularyMismatch,
            Error::Io { .. } => ErrorKind::Io,
            Error::BadFile { .. } => ErrorKind::BadFile,
            Error::Snapshot { .. } => ErrorKind::Snapshot,
            Error::Guide(e) => e.kind(),
        }
    }

    pub(crate) fn bad_file(path: &std::path::Path, reason: impl Into<String>) -> Error {
        Error::BadFile { path: path.to_path_buf(), reason: reason.into() }
    }

    pub(crate) fn snapshot(reason: impl Into<String>) -> Error {
        Error::Snapshot { reason: reason.into(), source: None }
    }
}

/// Why a [`Guide`](crate::Guide) refused an operation. The guide's state is unchanged.
///
/// Small and `Copy`: returning it allocates nothing, so a rejected token costs no more than
/// an accepted one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuideError {
    /// The token would take the output outside the language.
    #[error("token {token} is not allowed in state {state}")]
    NotAllowed {
        /// The token.
        token: TokenId,
        /// The index state the guide is in.
        state: u32,
    },
    /// The token id is not below the vocabulary width.
    #[error("token {token} is outside the vocabulary of width {width}")]
    OutOfRange {
        /// The token.
        token: TokenId,
        /// The vocabulary width.
        width: usize,
    },
    /// The guide already accepted an end-of-sequence token.
    #[error("the sequence already ended; token {token} cannot follow")]
    Finished {
        /// The token offered after the end.
        token: TokenId,
    },
    /// More tokens were asked to be rolled back than were accepted.
    #[error("cannot roll back {requested} tokens: only {available} were accepted")]
    Rollback {
        /// How many were asked for.
        requested: usize,
        /// How many tokens the guide holds.
        available: usize,
    },
    /// A bitmask buffer has the wrong number of 32-bit words.
    #[error(
        "bitmask buffer has {actual} words, expected {expected} for a vocabulary of width {width}"
    )]
    BufferSize {
        /// The words needed: `width.div_ceil(32)`.
        expected: usize,
        /// The words given.
        actual: usize,
        /// The vocabulary width.
        width: usize,
    },
    /// A lazy index could not walk the state the guide is in: its automaton, determinized on
    /// demand, outgrew a limit of the index's [`Config`](crate::Config). The guide cannot go
    /// on from here; an eager build reports the same limit before decoding starts.
    #[error("state {state} of a lazy index could not be built: raise `Config::{limit}`")]
    Limit {
        /// The state.
        state: u32,
        /// The `Config` setter of the limit.
        limit: &'static str,
    },
}

impl GuideError {
    /// The kind of error, for matching and for its stable code.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            GuideError::NotAllowed { .. } => ErrorKind::TokenNotAllowed,
            GuideError::OutOfRange { .. } => ErrorKind::TokenOutOfRange,
            GuideError::Finished { .. } => ErrorKind::Finished,
            GuideError::Rollback { .. } => ErrorKind::Rollback,
            GuideError::BufferSize { .. } => ErrorKind::BufferSize,
            GuideError::Limit { .. } => ErrorKind::StateLimit,
        }
    }
}
