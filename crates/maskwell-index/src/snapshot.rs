//! Guide snapshots: a guide's position as a small serializable record, for post-mortems.
//!
//! When a request goes wrong in production (a token refused that the caller expected to
//! pass, a mask that looks wrong), the guide's state id alone says little: ids differ between
//! a lazy and an eager build of the same index. A [`Snapshot`] records what identifies the
//! index (vocabulary fingerprint and width, a hash of the source regex) and the tokens the
//! guide accepted; [`Guide::restore`] replays them through the same index, here or in another
//! process, so the failing step can be reproduced exactly (`maskwell replay` does it from the
//! command line).

use std::sync::Arc;

use maskwell_vocab::TokenId;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::{Error, Guide, Index};

/// The snapshot format this version writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// A guide's position: which index, and the tokens accepted so far (see the module docs).
///
/// ```
/// use std::sync::Arc;
/// use maskwell_index::{Guide, Index, Snapshot};
/// use maskwell_vocab::{TokenId, Vocabulary};
///
/// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "a", "b"])?;
/// let index = Arc::new(Index::new("a+b", &vocab)?);
/// let mut guide = Guide::new(index.clone());
/// guide.advance(TokenId::new(1))?;
/// let text = guide.snapshot().to_json();
///
/// let restored = Guide::restore(index, &Snapshot::from_json(&text)?)?;
/// assert_eq!(restored.tokens(), guide.tokens());
/// assert_eq!(restored.allowed_ids(), guide.allowed_ids());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// [`SNAPSHOT_FORMAT`] when written.
    pub format: u32,
    /// The vocabulary fingerprint of the index (16 hex digits).
    pub vocabulary: String,
    /// The index's width (logits row length).
    pub width: usize,
    /// xxh3 of the index's source regex (16 hex digits): a snapshot replays only through an
    /// index of the same language.
    pub source: String,
    /// The index state the guide was in (informative: ids depend on the build mode);
    /// `None` once the sequence ended.
    pub state: Option<u32>,
    /// The tokens accepted, in order (an end-of-sequence token last when it ended).
    pub tokens: Vec<u32>,
    /// Whether the sequence had ended.
    pub finished: bool,
}

impl Snapshot {
    /// The snapshot as one line of JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // A struct of strings, integers and booleans always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a snapshot written by [`Snapshot::to_json`].
    ///
    /// # Errors
    ///
    /// [`Error::Snapshot`] when the text is not a snapshot (with the line and column) or is
    /// of another format version.
    pub fn from_json(text: &str) -> Result<Snapshot, Error> {
        let snapshot: Snapshot = serde_json::from_str(text)
            .map_err(|e| Error::snapshot(format!("not a guide snapshot: {e}")))?;
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(Error::snapshot(format!(
                "snapshot format {} is not supported (this version reads {SNAPSHOT_FORMAT})",
                snapshot.format
            )));
        }
        Ok(snapshot)
    }
}

fn source_hash(index: &Index) -> String {
    format!("{:016x}", xxh3_64(index.source().regex().as_bytes()))
}

impl Guide {
    /// Records this guide's position; see [`Snapshot`]. Hashes the index's regex, so it is
    /// meant for the rare failing request, not for every step.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let index = self.index();
        Snapshot {
            format: SNAPSHOT_FORMAT,
            vocabulary: index.fingerprint().to_string(),
            width: index.width(),
            source: source_hash(index),
            state: self.state().map(|s| s.as_u32()),
            tokens: self.tokens().iter().map(|t| t.as_u32()).collect(),
            finished: self.is_finished(),
        }
    }

    /// A guide over `index` that has accepted the snapshot's tokens.
    ///
    /// # Errors
    ///
    /// [`Error::VocabularyMismatch`] when the index is over another vocabulary;
    /// [`Error::Snapshot`] when it has another source regex, or when a token is refused
    /// during the replay (the step and the guide's error are kept).
    pub fn restore(index: Arc<Index>, snapshot: &Snapshot) -> Result<Guide, Error> {
        if snapshot.vocabulary != index.fingerprint().to_string() || snapshot.width != index.width()
        {
            return Err(Error::VocabularyMismatch {
                expected: snapshot.vocabulary.clone(),
                expected_width: snapshot.width,
                actual: index.fingerprint().to_string(),
                actual_width: index.width(),
            });
        }
        let here = source_hash(&index);
        if snapshot.source != here {
            return Err(Error::snapshot(format!(
                    "the snapshot was taken on an index of another regex (source {}, this index {here})",
                    snapshot.source
                )));
        }
        let mut guide = Guide::new(index);
        for (step, &token) in snapshot.tokens.iter().enumerate() {
            guide.advance(TokenId::new(token)).map_err(|e| Error::Snapshot {
                reason: format!("replaying token {token} at step {step}"),
                source: Some(e),
            })?;
        }
        if guide.is_finished() != snapshot.finished {
            return Err(Error::snapshot(format!(
                "the replayed sequence {} ended, the snapshot says it {}",
                if guide.is_finished() { "has" } else { "has not" },
                if snapshot.finished { "had" } else { "had not" }
            )));
        }
        Ok(guide)
    }
}
