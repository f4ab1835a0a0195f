//! Compiler options.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

/// How much whitespace the generated JSON may contain between tokens.
///
/// Whitespace inside strings is content and is not governed by this. Every mode is bounded,
/// so a model can never loop on whitespace.
///
/// Deserializes from `"compact"`, `"spaced"`, `{"flexible": {"max_run": 4}}` or
/// `{"pretty": {"indent": 2}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Whitespace {
    /// No whitespace at all: `{"a":1,"b":[1,2]}`.
    Compact,
    /// Exactly one space after `,` and `:`, none elsewhere: `{"a": 1, "b": [1, 2]}`. This is
    /// what Python's `json.dumps(data)` writes, and what the MaskBench corpus is scored on.
    /// The default.
    #[default]
    Spaced,
    /// Up to `max_run` characters of `[ \t\n\r]` before and after every structural token
    /// (`{ } [ ] , :`) and around the whole value.
    Flexible {
        /// The longest whitespace run allowed at one place.
        max_run: u32,
    },
    /// Pretty-printed the way `json.dumps(data, indent=N)` writes it: a newline and
    /// `indent` spaces per nesting level before each member, `": "` after keys, and
    /// empty containers as `{}` and `[]`.
    Pretty {
        /// Spaces per nesting level.
        indent: u32,
    },
}

/// What to do with a `format` this compiler does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnknownFormat {
    /// Fail with an `unsupported_keyword` error (a warning in lenient mode). The default.
    #[default]
    Error,
    /// Treat the format as an annotation, as the specification (and the common validators)
    /// do for formats they do not know, and report a warning. Formats that common
    /// validators do assert but this crate cannot generate (`regex`, `iri`,
    /// `iri-reference`, `uri-template`, `idn-email`, `idn-hostname`,
    /// `relative-json-pointer`, ...) still fail.
    Ignore,
}

/// Documents that `$ref` may point to outside the schema being compiled.
///
/// Nothing is ever fetched from the network: a reference resolves only to a document
/// inserted here, or to a file under a registered directory.
///
/// ```
/// use maskwell_schema::{Compiler, Config, Registry};
/// let mut registry = Registry::new();
/// registry.insert("https://example.com/int.json", serde_json::json!({"type": "integer"}));
/// let cfg = Config::new().registry(registry);
/// let c = Compiler::new().configure(cfg).compile_str(r#"{"$ref": "https://example.com/int.json"}"#)?;
/// assert!(c.regex().contains("[1-9]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Registry {
    documents: BTreeMap<String, Value>,
    directories: Vec<RegistryDirectory>,
}

/// One directory of a [`Registry`]: URIs starting with `base` map to files under `path`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDirectory {
    /// URI prefix, for example `http://localhost:1234/`.
    pub base: String,
    /// Directory the rest of the URI is looked up in.
    pub path: PathBuf,
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `document` under `uri` (any fragment is ignored).
    pub fn insert(&mut self, uri: &str, document: Value) -> &mut Registry {
        let uri = uri.split('#').next().unwrap_or("").to_string();
        self.documents.insert(uri, document);
        self
    }

    /// Maps every URI that starts with `base` to the file `path/<rest of the URI>`.
    pub fn add_directory(&mut self, base: &str, path: impl Into<PathBuf>) -> &mut Registry {
        self.directories.push(RegistryDirectory { base: base.to_string(), path: path.into() });
        self
    }

    pub(crate) fn document(&self, uri: &str) -> Option<&Value> {
        self.documents.get(uri)
    }

    pub(crate) fn directories(&self) -> &[RegistryDirectory] {
        &self.directories
    }
}

/// Options of the [`Compiler`](crate::Compiler).
///
/// Deserializable (all fields optional, unknown fields rejected), so the same options can
/// come from a CLI flag or from Python:
///
/// ```
/// use maskwell_schema::{Config, Whitespace};
/// let cfg: Config = serde_json::from_str(r#"{"whitespace": "compact", "lenient": true}"#)?;
/// assert_eq!(cfg.get_whitespace(), Whitespace::Compact);
/// assert!(cfg.get_lenient());
/// assert!(serde_json::from_str::<Config>(r#"{"lenientt": true}"#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    whitespace: Whitespace,
    additional_properties: bool,
    lenient: bool,
    unknown_format: UnknownFormat,
    max_recursion_depth: usize,
    max_regex_len: usize,
    max_enum_size: usize,
    max_nesting_depth: usize,
    max_repeat: u32,
    max_alternatives: usize,
    any_value_depth: usize,
    registry: Registry,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            whitespace: Whitespace::Spaced,
            additional_properties: true,
            lenient: false,
            unknown_format: UnknownFormat::Error,
            max_recursion_depth: 3,
            max_regex_len: 1 << 20,
            max_enum_size: 10_000,
            max_nesting_depth: 128,
            max_repeat: 1_000,
            max_alternatives: 4_096,
            any_value_depth: 2,
            registry: Registry::default(),
        }
    }
}

impl Config {
    /// The default configuration.
    #[must_use]
    pub fn new() -> Config {
        Config::default()
    }

    /// Whitespace policy. Default: [`Whitespace::Spaced`] (`", "` and `": "`, as
    /// `json.dumps` writes).
    #[must_use]
    pub fn whitespace(mut self, ws: Whitespace) -> Config {
        self.whitespace = ws;
        self
    }

    /// Whether objects whose schema does not say `additionalProperties` (nor
    /// `patternProperties`) may contain properties beyond `properties`.
    ///
    /// Default: `true`, the specification's default, so that every instance a validator
    /// accepts in the generated property order is accepted. Extra properties follow the
    /// declared ones; their keys differ from every declared name and their values are any
    /// JSON value up to [`Config::any_value_depth`]. When the open schema does not compile
    /// (extra members multiply the size of nested objects past [`Config::max_regex_len`],
    /// or a keyword cannot be made exact with them), such objects are closed instead (a
    /// sound restriction, reported as a `Bounded` warning that quotes the open error).
    ///
    /// `false` closes them ("closed objects"): fewer instances, a smaller automaton, and a
    /// model that is not offered undeclared keys. `additionalProperties: false` or a schema
    /// is always honoured, and an object that declares no `properties`,
    /// `patternProperties` or `required` stays open either way.
    #[must_use]
    pub fn additional_properties(mut self, yes: bool) -> Config {
        self.additional_properties = yes;
        self
    }

    /// Lenient mode: ignore keywords that cannot be translated and report each one as a
    /// [`Warning`](crate::Warning) of kind `Ignored`, instead of failing. The regex may then
    /// accept instances that the ignored keywords would reject. Default: `false`.
    #[must_use]
    pub fn lenient(mut self, yes: bool) -> Config {
        self.lenient = yes;
        self
    }

    /// What to do with an unknown `format`. Default: [`UnknownFormat::Error`].
    #[must_use]
    pub fn unknown_format(mut self, policy: UnknownFormat) -> Config {
        self.unknown_format = policy;
        self
    }

    /// How many times the same `$ref` target may be open on the expansion stack of a
    /// recursive schema. Deeper levels are cut off (the recursive alternative is not
    /// generated, so the regex stays sound) and a `Bounded` warning says so. If the
    /// resulting regex is longer than `max_regex_len`, the depth is lowered step by step.
    /// Default: `3`.
    #[must_use]
    pub fn max_recursion_depth(mut self, depth: usize) -> Config {
        self.max_recursion_depth = depth;
        self
    }

    /// Longest regex produced, in bytes; past it compilation fails with `limit_exceeded`.
    /// Checked as the regex is built: once an object's members or a union's branches
    /// add up past it, the compile stops there (the error then gives the length reached so
    /// far, not the whole regex's). Default: 1 MiB (larger regexes rarely determinize
    /// within practical DFA limits).
    #[must_use]
    pub fn max_regex_len(mut self, bytes: usize) -> Config {
        self.max_regex_len = bytes;
        self
    }

    /// Most values an `enum` may list. Default: `10_000`.
    #[must_use]
    pub fn max_enum_size(mut self, n: usize) -> Config {
        self.max_enum_size = n;
        self
    }

    /// Deepest nesting of schema nodes visited while compiling (guards the stack).
    /// Default: `128`.
    #[must_use]
    pub fn max_nesting_depth(mut self, depth: usize) -> Config {
        self.max_nesting_depth = depth;
        self
    }

    /// Largest counted repetition emitted (`maxLength`, `maxItems`, `maxProperties`).
    /// A larger upper bound is lowered to this value with a `Bounded` warning (sound: fewer
    /// instances); a lower bound above it is a `limit_exceeded` error. Default: `1_000`.
    #[must_use]
    pub fn max_repeat(mut self, n: u32) -> Config {
        self.max_repeat = n;
        self
    }

    /// Most branches produced when distributing `anyOf`/`oneOf`/`if` over each other.
    /// Default: `4_096`.
    #[must_use]
    pub fn max_alternatives(mut self, n: usize) -> Config {
        self.max_alternatives = n;
        self
    }

    /// Nesting depth of arrays and objects generated for an unconstrained value (the `true`
    /// or `{}` schema). Default: `2`.
    #[must_use]
    pub fn any_value_depth(mut self, depth: usize) -> Config {
        self.any_value_depth = depth;
        self
    }

    /// Documents for external `$ref`s. Default: empty.
    #[must_use]
    pub fn registry(mut self, registry: Registry) -> Config {
        self.registry = registry;
        self
    }

    /// See [`Config::whitespace`].
    #[must_use]
    pub fn get_whitespace(&self) -> Whitespace {
        self.whitespace
    }
    /// See [`Config::additional_properties`].
    #[must_use]
    pub fn get_additional_properties(&self) -> bool {
        self.additional_properties
    }
    /// See [`Config::lenient`].
    #[must_use]
    pub fn get_lenient(&self) -> bool {
        self.lenient
    }
    /// See [`Config::unknown_format`].
    #[must_use]
    pub fn get_unknown_format(&self) -> UnknownFormat {
        self.unknown_format
    }
    /// See [`Config::max_recursion_depth`].
    #[must_use]
    pub fn get_max_recursion_depth(&self) -> usize {
        self.max_recursion_depth
    }
    /// See [`Config::max_regex_len`].
    #[must_use]
    pub fn get_max_regex_len(&self) -> usize {
        self.max_regex_len
    }
    /// See [`Config::max_enum_size`].
    #[must_use]
    pub fn get_max_enum_size(&self) -> usize {
        self.max_enum_size
    }
    /// See [`Config::max_nesting_depth`].
    #[must_use]
    pub fn get_max_nesting_depth(&self) -> usize {
        self.max_nesting_depth
    }
    /// See [`Config::max_repeat`].
    #[must_use]
    pub fn get_max_repeat(&self) -> u32 {
        self.max_repeat
    }
    /// See [`Config::max_alternatives`].
    #[must_use]
    pub fn get_max_alternatives(&self) -> usize {
        self.max_alternatives
    }
    /// See [`Config::any_value_depth`].
    #[must_use]
    pub fn get_any_value_depth(&self) -> usize {
        self.any_value_depth
    }
    /// See [`Config::registry`].
    #[must_use]
    pub fn get_registry(&self) -> &Registry {
        &self.registry
    }
}
