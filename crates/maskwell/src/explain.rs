//! "Why is this token not allowed here?", with the schema's answer when there is one.

use std::fmt;

use maskwell_index::{Explanation, Guide, Index, Source};
use maskwell_schema::Location;
use maskwell_vocab::{TokenId, Vocabulary};

use crate::Error;

/// An [`Explanation`] of a token after a text, and, when the index was built from a JSON
/// Schema, where the text stands in it: the output location and the schema nodes (JSON
/// Pointers) that say what was expected. From [`explain`] and [`explain_guide`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnosis {
    /// What the byte automaton says.
    pub explanation: Explanation,
    /// Where the accepted text ([`Explanation::accepted`]) stands in the schema; `None`
    /// for an index built from a regex.
    pub location: Option<Location>,
}

impl Diagnosis {
    fn new(index: &Index, explanation: Explanation) -> Diagnosis {
        let location = match index.source() {
            Source::Schema { schema, .. } => serde_json::from_str(schema)
                .ok()
                .map(|schema| maskwell_schema::locate(&schema, &explanation.accepted())),
            _ => None,
        };
        Diagnosis { explanation, location }
    }

    /// The diagnosis as JSON: the [`Explanation::to_json`] fields, plus `location` (with
    /// `instance`, `expecting` and `schemas`) or `null`.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = self.explanation.to_json();
        json["location"] = match &self.location {
            Some(at) => serde_json::json!({
                "instance": at.instance,
                "expecting": at.expecting.to_string(),
                "schemas": at.schemas.iter().map(|n| serde_json::json!({
                    "pointer": n.pointer,
                    "summary": n.summary,
                })).collect::<Vec<_>>(),
            }),
            None => serde_json::Value::Null,
        };
        json
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.explanation)?;
        if let Some(at) = &self.location {
            write!(f, "{at}")?;
        }
        Ok(())
    }
}

/// Explains why `token` is or is not allowed after `text` ([`Index::explain`]), with the
/// schema location when the index came from a schema.
///
/// ```
/// use maskwell::{TokenId, Vocabulary};
///
/// let vocab = Vocabulary::builder()
///     .eos([TokenId::new(0)])
///     .build_from_tokens(["</s>", "{", "}", "\"n\"", ": ", "1", "-", "x"])?;
/// let schema = serde_json::json!({
///     "type": "object",
///     "properties": {"n": {"type": "integer", "minimum": 0}},
///     "required": ["n"]
/// });
/// let index = maskwell::index_from_schema(&schema, &vocab)?;
/// let why = maskwell::explain(&index, &vocab, br#"{"n": "#, TokenId::new(6))?; // "-"
/// assert!(!why.explanation.is_allowed());
/// let at = why.location.as_ref().unwrap();
/// assert_eq!(at.instance, "/n");
/// assert_eq!(at.schemas[0].pointer, "/properties/n");
/// println!("{why}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`Index::explain`].
pub fn explain(
    index: &Index,
    vocab: &Vocabulary,
    text: &[u8],
    token: TokenId,
) -> Result<Diagnosis, Error> {
    let explanation = index.explain(vocab, text, token)?;
    Ok(Diagnosis::new(index, explanation))
}

/// Explains why `token` is or is not allowed next in `guide` ([`Guide::explain`]), with the
/// schema location when the index came from a schema.
///
/// # Errors
///
/// As [`Guide::explain`].
pub fn explain_guide(
    guide: &Guide,
    vocab: &Vocabulary,
    token: TokenId,
) -> Result<Diagnosis, Error> {
    let explanation = guide.explain(vocab, token)?;
    Ok(Diagnosis::new(guide.index(), explanation))
}
