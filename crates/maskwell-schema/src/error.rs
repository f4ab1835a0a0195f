//! The crate's error type and the warnings a compilation reports.

use std::fmt;

/// What went wrong while compiling a schema.
///
/// The variants carry the details a caller may want to match on; the JSON Pointer of the
/// offending node and the keyword live on [`Error`] itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A keyword (or a use of a keyword) that this compiler cannot translate soundly.
    Unsupported {
        /// The keyword, for example `uniqueItems`.
        keyword: String,
        /// Why it cannot be translated.
        reason: String,
    },
    /// The schema is not a valid JSON Schema (wrong type for a keyword, bad value, ...).
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// A `$ref` whose target could not be found in the document or the registry.
    UnresolvableRef {
        /// The reference as written, resolved against its base URI.
        reference: String,
    },
    /// A size limit from [`Config`](crate::Config) was hit.
    LimitExceeded {
        /// The name of the limit (the `Config` setter).
        limit: &'static str,
        /// The limit's value.
        max: usize,
        /// The value that exceeded it (a lower bound where the work stopped early).
        value: usize,
    },
    /// The schema nests deeper than `Config::max_nesting_depth`.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A `pattern` (or `patternProperties` key) that cannot be translated.
    Pattern {
        /// The ECMA-262 pattern as written.
        pattern: String,
        /// Byte offset into `pattern` where the problem was found.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// The schema (as far as this compiler can represent it) accepts no instance at all.
    Unsatisfiable {
        /// Why no instance can be generated.
        reason: String,
    },
    /// The schema text is not valid JSON.
    Json {
        /// The parser's message.
        reason: String,
    },
    /// Reading an external `$ref` document from a registry directory failed.
    Io {
        /// The file that could not be read.
        path: String,
    },
}

impl ErrorKind {
    /// A stable snake_case code for this kind, for bindings and logs.
    ///
    /// ```
    /// let err = maskwell_schema::Compiler::new().compile_str("{").unwrap_err();
    /// assert_eq!(err.kind().code(), "json_parse");
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Unsupported { .. } => "unsupported_keyword",
            ErrorKind::Invalid { .. } => "invalid_schema",
            ErrorKind::UnresolvableRef { .. } => "unresolvable_ref",
            ErrorKind::LimitExceeded { .. } => "limit_exceeded",
            ErrorKind::TooDeep { .. } => "too_deep",
            ErrorKind::Pattern { .. } => "bad_pattern",
            ErrorKind::Unsatisfiable { .. } => "unsatisfiable",
            ErrorKind::Json { .. } => "json_parse",
            ErrorKind::Io { .. } => "io",
        }
    }
}

/// The error returned when a schema cannot be compiled.
///
/// It names the kind of failure ([`Error::kind`]), the JSON Pointer of the schema node
/// ([`Error::pointer`]) and the keyword involved ([`Error::keyword`]).
///
/// ```
/// use maskwell_schema::Compiler;
/// let err = Compiler::new()
///     .compile_str(r#"{"properties": {"a": {"type": "strin"}}}"#)
///     .unwrap_err();
/// assert_eq!(err.kind().code(), "invalid_schema");
/// assert_eq!(err.pointer(), "/properties/a");
/// assert_eq!(err.keyword(), Some("type"));
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    pointer: String,
    keyword: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, pointer: &str, keyword: Option<&str>) -> Error {
        Error {
            kind,
            pointer: pointer.to_string(),
            keyword: keyword.map(str::to_string),
            source: None,
        }
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn unsupported(pointer: &str, keyword: &str, reason: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::Unsupported { keyword: keyword.to_string(), reason: reason.into() },
            pointer,
            Some(keyword),
        )
    }

    pub(crate) fn invalid(
        pointer: &str,
        keyword: Option<&str>,
        reason: impl Into<String>,
    ) -> Error {
        Error::new(ErrorKind::Invalid { reason: reason.into() }, pointer, keyword)
    }

    pub(crate) fn unsat(pointer: &str, reason: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsatisfiable { reason: reason.into() }, pointer, None)
    }

    pub(crate) fn limit(pointer: &str, limit: &'static str, max: usize, value: usize) -> Error {
        Error::new(ErrorKind::LimitExceeded { limit, max, value }, pointer, None)
    }

    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The JSON Pointer (RFC 6901) of the schema node that failed, `""` for the root.
    ///
    /// Inside a `$ref` target this is the pointer of the target in its document.
    #[must_use]
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The keyword involved, when there is one.
    #[must_use]
    pub fn keyword(&self) -> Option<&str> {
        self.keyword.as_deref()
    }

    /// Shorthand for `self.kind().code()`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

fn ptr_display(p: &str) -> &str {
    if p.is_empty() {
        "#"
    } else {
        p
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = ptr_display(&self.pointer);
        match &self.kind {
            ErrorKind::Unsupported { keyword, reason } => {
                write!(f, "unsupported keyword `{keyword}` at {at}: {reason}")
            }
            ErrorKind::Invalid { reason } => match &self.keyword {
                Some(k) => write!(f, "invalid schema at {at} (`{k}`): {reason}"),
                None => write!(f, "invalid schema at {at}: {reason}"),
            },
            ErrorKind::UnresolvableRef { reference } => {
                write!(f, "cannot resolve `$ref` {reference:?} at {at}")
            }
            ErrorKind::LimitExceeded { limit, max, value } => {
                write!(f, "limit `{limit}` exceeded at {at}: {value} > {max}")
            }
            ErrorKind::TooDeep { limit } => {
                write!(f, "schema nests deeper than `max_nesting_depth` ({limit}) at {at}")
            }
            ErrorKind::Pattern { pattern, offset, reason } => {
                let kw = self.keyword.as_deref().unwrap_or("pattern");
                write!(f, "bad `{kw}` {pattern:?} at {at}, byte {offset}: {reason}")
            }
            ErrorKind::Unsatisfiable { reason } => {
                write!(f, "schema at {at} admits no instance: {reason}")
            }
            ErrorKind::Json { reason } => write!(f, "schema is not valid json: {reason}"),
            ErrorKind::Io { path } => write!(f, "cannot read schema document {path:?}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What a [`Warning`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// Lenient mode ignored an unsupported keyword: the regex may accept instances that
    /// the keyword would reject.
    Ignored,
    /// A bound was tightened (recursion unrolled to a depth, a large `maxLength` capped,
    /// ...): the regex accepts fewer instances than the schema, never more.
    Bounded,
}

impl WarningKind {
    /// A stable snake_case code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            WarningKind::Ignored => "ignored",
            WarningKind::Bounded => "bounded",
        }
    }
}

/// Something the compiler ignored (lenient mode) or bounded, with where and why.
///
/// ```
/// use maskwell_schema::{Compiler, Config, WarningKind};
/// let schema = r#"{"type": "array", "items": {"type": "integer"}, "uniqueItems": true}"#;
/// let compiled = Compiler::new().configure(Config::new().lenient(true)).compile_str(schema)?;
/// let w = &compiled.warnings()[0];
/// assert_eq!(w.kind(), WarningKind::Ignored);
/// assert_eq!(w.keyword(), "uniqueItems");
/// assert_eq!(w.pointer(), "");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    pub(crate) kind: WarningKind,
    pub(crate) pointer: String,
    pub(crate) keyword: String,
    pub(crate) message: String,
}

impl Warning {
    /// Ignored or bounded.
    #[must_use]
    pub fn kind(&self) -> WarningKind {
        self.kind
    }
    /// JSON Pointer of the schema node.
    #[must_use]
    pub fn pointer(&self) -> &str {
        &self.pointer
    }
    /// The keyword concerned.
    #[must_use]
    pub fn keyword(&self) -> &str {
        &self.keyword
    }
    /// A lowercase description of what was ignored or bounded.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}` at {}: {}",
            self.kind.code(),
            self.keyword,
            ptr_display(&self.pointer),
            self.message
        )
    }
}
