//! JSON Schema → regular expression, for constrained decoding.
//!
//! `maskwell-schema` compiles a JSON Schema into one regular expression (regex-syntax
//! dialect, as used by `regex-automata`) that is meant to be matched against a *whole*
//! output, anchored at both ends. Its language is a **subset** of the schema's valid
//! instances: nothing the regex accepts is ever rejected by the schema. Where a keyword
//! cannot be translated exactly, the compiler either translates a sound restriction of it
//! (reported as a `Bounded` [`Warning`] where it matters), or fails with an [`Error`] naming
//! the JSON Pointer and keyword; [`Config::lenient`] turns those failures into `Ignored`
//! warnings instead.
//!
//! The crate knows nothing about automata or tokens; `maskwell-index` turns the regex into
//! a byte DFA.
//!
//! # Key types
//!
//! - [`Compiler`]: compiles a schema with a [`Config`].
//! - [`Config`]: whitespace policy ([`Whitespace`]), closed or open objects, lenient mode,
//!   recursion depth, size limits and the [`Registry`] of external `$ref` documents.
//! - [`Compiled`]: the regex and the [`Warning`]s.
//! - [`Error`] and [`ErrorKind`]: what failed, where, with a stable `code()`.
//!
//! # Example
//!
//! ```
//! use maskwell_schema::{Compiler, Config, Whitespace};
//!
//! let schema = serde_json::json!({
//!     "type": "object",
//!     "properties": {
//!         "name": {"type": "string", "maxLength": 20},
//!         "age": {"type": "integer", "minimum": 0, "maximum": 150}
//!     },
//!     "required": ["name"]
//! });
//! let compiled = Compiler::new().compile(&schema)?;
//! // `{"name": "Ada", "age": 36}` (json.dumps style) is in the language.
//! assert!(compiled.regex().starts_with(r"\{"));
//! assert!(compiled.warnings().is_empty());
//!
//! let compact = Compiler::new()
//!     .configure(Config::new().whitespace(Whitespace::Compact))
//!     .compile(&schema)?;
//! assert!(!compact.regex().contains(", "));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! This crate has no cargo features.
//!
//! See `docs/json-schema.md` in the repository for the supported keywords, the departures
//! from the specification and measured coverage.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod compile;
mod config;
mod depth;
mod ecma;
mod error;
mod format;
mod json;
mod locate;
mod number;
mod overlap;
mod re;
mod resolve;

pub use config::{Config, Registry, RegistryDirectory, UnknownFormat, Whitespace};
pub use error::{Error, ErrorKind, Warning, WarningKind};
pub use json::{python_dumps, python_float, python_string};
pub use locate::{locate, Expecting, Location, SchemaNode};

use serde_json::Value;

/// Compiles JSON Schemas to regexes.
///
/// ```
/// use maskwell_schema::Compiler;
/// let c = Compiler::new().compile_str(r#"{"enum": ["red", "green", null]}"#)?;
/// assert_eq!(c.regex(), r#"(?:"red"|"green"|null)"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Compiler {
    config: Config,
}

impl Compiler {
    /// A compiler with the default [`Config`].
    #[must_use]
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// The default configuration, to be adjusted and passed to [`Compiler::configure`].
    #[must_use]
    pub fn config() -> Config {
        Config::new()
    }

    /// Replaces the configuration.
    #[must_use]
    pub fn configure(mut self, config: Config) -> Compiler {
        self.config = config;
        self
    }

    /// The configuration in use.
    #[must_use]
    pub fn get_config(&self) -> &Config {
        &self.config
    }

    /// Compiles a schema.
    ///
    /// # Errors
    ///
    /// An [`Error`] when the schema is invalid, uses a keyword that cannot be translated
    /// soundly (outside lenient mode), has an unresolvable `$ref`, admits no instance, or
    /// exceeds a limit of the [`Config`].
    ///
    /// ```
    /// use maskwell_schema::Compiler;
    /// let schema = serde_json::json!({"type": "array", "items": {"type": "boolean"}, "maxItems": 2});
    /// let c = Compiler::new().compile(&schema)?;
    /// assert_eq!(c.regex(), r"(?:\[\]|\[(?:true|false)(?:, (?:true|false))?\])");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(&self, schema: &Value) -> Result<Compiled, Error> {
        let span = tracing::info_span!(
            "schema",
            regex_len = tracing::field::Empty,
            warnings = tracing::field::Empty
        );
        let _entered = span.enter();
        let compiled = self.compile_inner(schema);
        if let Ok(compiled) = &compiled {
            span.record("regex_len", compiled.regex.len());
            span.record("warnings", compiled.warnings.len());
        }
        compiled
    }

    fn compile_inner(&self, schema: &Value) -> Result<Compiled, Error> {
        depth::check(schema, self.config.get_max_nesting_depth())?;
        let mut depth = self.config.get_max_recursion_depth();
        // Objects opened by default are closed (a sound restriction) when the open schema
        // does not compile: extra members multiply the size of nested objects, and some
        // keywords (`dependentSchemas`, `not`, `oneOf`) cannot be made exact with them.
        let closed_config = std::cell::OnceCell::new();
        let mut closed: Option<Error> = None;
        loop {
            let config = if closed.is_some() {
                closed_config.get_or_init(|| self.config.clone().additional_properties(false))
            } else {
                &self.config
            };
            let attempt = tracing::debug_span!(
                "attempt",
                recursion_depth = depth,
                closed = closed.is_some(),
                regex_len = tracing::field::Empty
            );
            let _attempt = attempt.enter();
            let mut ctx = compile::Ctx::new(config, schema, depth);
            let result = ctx.compile_root();
            match &result {
                Ok(regex) => {
                    attempt.record("regex_len", regex.len());
                }
                Err(e) => tracing::debug!(error = %e, "attempt failed"),
            }
            if let Some(open_error) = &closed {
                ctx.warnings.insert(
                    0,
                    Warning {
                        kind: WarningKind::Bounded,
                        pointer: open_error.pointer().to_owned(),
                        keyword: "additionalProperties".into(),
                        message: format!(
                            "objects that do not say `additionalProperties` were closed, as \
                             with them open: {open_error}"
                        ),
                    },
                );
            }
            match result {
                Ok(regex) => {
                    // The output must be a regex-syntax pattern. Parsing it costs as much as
                    // compiling the schema, and the engine parses it again anyway, so
                    // release builds trust the compiler and debug builds (the tests) check.
                    if !cfg!(debug_assertions) {
                        return Ok(Compiled { regex, warnings: ctx.warnings });
                    }
                    let max_nest =
                        u32::try_from(config.get_max_nesting_depth() * 8).unwrap_or(u32::MAX);
                    regex_syntax::ParserBuilder::new()
                        .nest_limit(max_nest.max(1000))
                        .build()
                        .parse(&regex)
                        .map_err(|e| {
                            Error::new(
                                ErrorKind::LimitExceeded {
                                    limit: "max_nesting_depth",
                                    max: self.config.get_max_nesting_depth(),
                                    value: regex.len(),
                                },
                                "",
                                None,
                            )
                            .with_source(e)
                        })?;
                    return Ok(Compiled { regex, warnings: ctx.warnings });
                }
                Err(e) => {
                    let too_big =
                        matches!(e.kind(), ErrorKind::LimitExceeded { limit: "max_regex_len", .. });
                    let untranslatable = matches!(e.kind(), ErrorKind::Unsupported { .. });
                    if (too_big || untranslatable) && ctx.opened_by_default && closed.is_none() {
                        closed = Some(e);
                        continue;
                    }
                    if too_big && ctx.recursion_bounded && depth > 1 {
                        depth -= 1;
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Parses `schema` as JSON and compiles it.
    ///
    /// # Errors
    ///
    /// A `json_parse` error if the text is not JSON, otherwise as [`Compiler::compile`].
    ///
    /// ```
    /// use maskwell_schema::Compiler;
    /// let c = Compiler::new().compile_str(r#"{"type": "integer", "minimum": 1, "maximum": 12}"#)?;
    /// assert_eq!(c.regex(), "(?:[1-9]|1[0-2])");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile_str(&self, schema: &str) -> Result<Compiled, Error> {
        let v: Value = serde_json::from_str(schema).map_err(|e| {
            Error::new(ErrorKind::Json { reason: e.to_string() }, "", None).with_source(e)
        })?;
        self.compile(&v)
    }
}

/// The result of a compilation.
///
/// Today it always holds a regex; fields are private so that a later version can also
/// carry an automaton (for example one built by DFA product or complement for keywords a
/// single regex cannot express) without breaking callers.
///
/// ```
/// use maskwell_schema::Compiler;
/// let c = Compiler::new().compile_str(r#"{"type": "boolean"}"#)?;
/// assert_eq!(c.regex(), "(?:true|false)");
/// let regex: String = c.into_regex();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    regex: String,
    warnings: Vec<Warning>,
}

impl Compiled {
    /// The regex (regex-syntax dialect, Unicode mode), to be matched against the whole
    /// output: anchored at the start and required to end in a match state.
    #[must_use]
    pub fn regex(&self) -> &str {
        &self.regex
    }

    /// Consumes the result and returns the regex.
    #[must_use]
    pub fn into_regex(self) -> String {
        self.regex
    }

    /// What was ignored (lenient mode) or bounded, in the order encountered.
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}
