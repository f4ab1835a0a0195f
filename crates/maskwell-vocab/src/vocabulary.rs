use xxhash_rust::xxh3::Xxh3;

use crate::{Error, Fingerprint, TokenId, TokenSet};

/// What a token id stands for under a constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TokenKind {
    /// A token that emits its bytes; allowed wherever those bytes keep the output valid.
    /// A text token with no bytes is never allowed: it would let a model loop in place.
    Text = 0,
    /// An end-of-sequence (stop) token: allowed exactly where the output may end.
    Eos = 1,
    /// A special token (BOS, chat markers, padding, ...): never allowed.
    Special = 2,
    /// An id the tokenizer does not use (a gap, or logits padding past the tokenizer): never
    /// allowed.
    Absent = 3,
}

/// The largest vocabulary width accepted: ids must fit the index's 32-bit arrays with room to
/// spare, and no real model comes near it.
const MAX_WIDTH: usize = 1 << 24;

/// A model's vocabulary as a constraint sees it: the bytes of every token id, and which ids
/// end a sequence or may never be sampled.
///
/// The width is the number of logits the model produces, which can exceed the tokenizer's
/// id range (models pad their output layer); those extra ids are [`TokenKind::Absent`].
/// Immutable once built; share it by reference or `Arc`.
///
/// ```
/// use maskwell_vocab::{TokenId, TokenKind, Vocabulary};
///
/// let vocab = Vocabulary::builder()
///     .eos([TokenId::new(0)])
///     .special([TokenId::new(1)])
///     .width(8)
///     .build_from_tokens([&b"</s>"[..], b"<s>", b"{", b"}", b"\"a\""])?;
/// assert_eq!(vocab.kind(TokenId::new(1)), Some(TokenKind::Special));
/// assert_eq!(vocab.kind(TokenId::new(6)), Some(TokenKind::Absent));
/// assert_eq!(vocab.text_tokens().count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Vocabulary {
    /// All token bytes, concatenated in id order.
    bytes: Vec<u8>,
    /// `offsets[i]..offsets[i + 1]` is token `i`'s range in `bytes`; `width + 1` entries.
    offsets: Vec<u32>,
    kinds: Vec<TokenKind>,
    eos: Vec<TokenId>,
    eos_set: TokenSet,
    fingerprint: Fingerprint,
    /// Where the vocabulary came from, for messages (`<memory>` when built from tokens).
    source: String,
}

impl Vocabulary {
    /// A [`Builder`] to set the end-of-sequence ids, special ids and width.
    #[must_use]
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Loads a HuggingFace `tokenizer.json` with default settings: the end-of-sequence set
    /// is every special token with a well-known stop name (`</s>`, `<|endoftext|>`,
    /// `<|eot_id|>`, `<|im_end|>`, ...), the width is the tokenizer's largest id + 1.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or parsed, a token's bytes cannot be determined, or no
    /// end-of-sequence token is found.
    #[cfg(feature = "hf")]
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Vocabulary, Error> {
        Builder::default().build_from_file(path)
    }

    /// The number of token ids (the width of a logits row this vocabulary masks).
    #[must_use]
    pub fn width(&self) -> usize {
        self.kinds.len()
    }

    /// The bytes token `id` emits; `None` when the id is past the width. Special, absent
    /// and end-of-sequence tokens return their literal text (possibly empty): use
    /// [`Vocabulary::kind`] to tell them apart.
    #[must_use]
    pub fn token_bytes(&self, id: TokenId) -> Option<&[u8]> {
        let i = id.as_usize();
        let start = *self.offsets.get(i)? as usize;
        let end = *self.offsets.get(i + 1)? as usize;
        Some(&self.bytes[start..end])
    }

    /// What token `id` stands for; `None` when the id is past the width.
    #[must_use]
    pub fn kind(&self, id: TokenId) -> Option<TokenKind> {
        self.kinds.get(id.as_usize()).copied()
    }

    /// Whether `id` ends a sequence.
    #[must_use]
    pub fn is_eos(&self, id: TokenId) -> bool {
        self.eos_set.contains(id)
    }

    /// The end-of-sequence ids, in increasing order.
    #[must_use]
    pub fn eos(&self) -> &[TokenId] {
        &self.eos
    }

    /// The end-of-sequence ids as a set.
    #[must_use]
    pub fn eos_set(&self) -> &TokenSet {
        &self.eos_set
    }

    /// Every token that can appear in constrained output, with its bytes: text tokens with
    /// at least one byte, in id order.
    pub fn text_tokens(&self) -> impl Iterator<Item = (TokenId, &[u8])> + '_ {
        self.kinds.iter().enumerate().filter_map(move |(i, kind)| {
            let start = self.offsets[i] as usize;
            let end = self.offsets[i + 1] as usize;
            (*kind == TokenKind::Text && end > start)
                .then(|| (TokenId::new(i as u32), &self.bytes[start..end]))
        })
    }

    /// The stable identity of this vocabulary (ids, kinds, bytes, end-of-sequence set).
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Where the vocabulary was loaded from (a file name) or `<memory>`.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Bytes of heap memory held.
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        self.bytes.capacity()
            + self.offsets.capacity() * 4
            + self.kinds.capacity()
            + self.eos.capacity() * 4
            + self.eos_set.memory_usage()
    }
}

impl std::fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocabulary")
            .field("source", &self.source)
            .field("width", &self.width())
            .field("text_tokens", &self.text_tokens().count())
            .field("eos", &self.eos)
            .field("fingerprint", &self.fingerprint.to_string())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Vocabulary`] from a tokenizer file or from explicit token bytes.
///
/// Settings not given keep their defaults: end-of-sequence ids detected from the tokenizer
/// (or none for [`Builder::build_from_tokens`]), no extra stop ids, no extra special ids,
/// width equal to the tokenizer's id range.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    eos: Option<Vec<TokenId>>,
    stop: Vec<TokenId>,
    special: Vec<TokenId>,
    width: Option<usize>,
}

impl Builder {
    /// Replaces the end-of-sequence set (by default detected from the tokenizer's special
    /// tokens). Stop ids added with [`Builder::stop_tokens`] are still added.
    #[must_use]
    pub fn eos(mut self, ids: impl IntoIterator<Item = TokenId>) -> Builder {
        self.eos = Some(ids.into_iter().collect());
        self
    }

    /// Adds ids that also end a sequence (a chat model's end-of-turn token, say). Default:
    /// none.
    #[must_use]
    pub fn stop_tokens(mut self, ids: impl IntoIterator<Item = TokenId>) -> Builder {
        self.stop.extend(ids);
        self
    }

    /// Marks ids as special: never allowed. Default: the tokenizer's special tokens.
    #[must_use]
    pub fn special(mut self, ids: impl IntoIterator<Item = TokenId>) -> Builder {
        self.special.extend(ids);
        self
    }

    /// Sets the width, the number of logits the model produces. Default: the tokenizer's
    /// largest id + 1. Ids past the tokenizer are [`TokenKind::Absent`].
    #[must_use]
    pub fn width(mut self, width: usize) -> Builder {
        self.width = Some(width);
        self
    }

    /// Builds from the bytes of each token, token `i` being the `i`-th item. Every token is
    /// text except the ids given to [`Builder::eos`], [`Builder::stop_tokens`] and
    /// [`Builder::special`].
    ///
    /// # Errors
    ///
    /// When an end-of-sequence or special id is out of range, none is given, or the width
    /// is too small.
    pub fn build_from_tokens<B: AsRef<[u8]>>(
        self,
        tokens: impl IntoIterator<Item = B>,
    ) -> Result<Vocabulary, Error> {
        let raw = tokens.into_iter().map(|b| (TokenKind::Text, b.as_ref().to_vec())).collect();
        self.assemble(raw, Vec::new(), "<memory>".to_owned())
    }

    /// Assembles the vocabulary from per-id `(kind, bytes)` entries and the detected
    /// end-of-sequence ids (used when [`Builder::eos`] was not called).
    pub(crate) fn assemble(
        self,
        mut raw: Vec<(TokenKind, Vec<u8>)>,
        detected_eos: Vec<TokenId>,
        source: String,
    ) -> Result<Vocabulary, Error> {
        let needed = raw.len();
        let width = self.width.unwrap_or(needed);
        if width < needed {
            return Err(Error::WidthTooSmall { width, needed });
        }
        if width > MAX_WIDTH {
            return Err(Error::TooLarge { what: "width", value: width, limit: MAX_WIDTH });
        }
        raw.resize(width, (TokenKind::Absent, Vec::new()));

        let mut eos = self.eos.unwrap_or(detected_eos);
        eos.extend(self.stop);
        eos.sort_unstable();
        eos.dedup();
        if eos.is_empty() {
            return Err(Error::NoEos);
        }
        for &id in &eos {
            let entry = raw.get_mut(id.as_usize()).ok_or(Error::IdOutOfRange {
                what: "end-of-sequence",
                id,
                width,
            })?;
            entry.0 = TokenKind::Eos;
        }
        for &id in &self.special {
            let entry = raw.get_mut(id.as_usize()).ok_or(Error::IdOutOfRange {
                what: "special",
                id,
                width,
            })?;
            if entry.0 != TokenKind::Eos {
                entry.0 = TokenKind::Special;
            }
        }

        let total: usize = raw.iter().map(|(_, b)| b.len()).sum();
        if total > u32::MAX as usize {
            return Err(Error::TooLarge {
                what: "total token bytes",
                value: total,
                limit: u32::MAX as usize,
            });
        }
        let mut bytes = Vec::with_capacity(total);
        let mut offsets = Vec::with_capacity(width + 1);
        let mut kinds = Vec::with_capacity(width);
        offsets.push(0);
        for (kind, b) in raw {
            bytes.extend_from_slice(&b);
            offsets.push(bytes.len() as u32);
            kinds.push(kind);
        }
        let mut eos_set = TokenSet::new(width);
        for &id in &eos {
            eos_set.insert(id);
        }
        let fingerprint = fingerprint(&bytes, &offsets, &kinds, &eos);
        Ok(Vocabulary { bytes, offsets, kinds, eos, eos_set, fingerprint, source })
    }
}

fn fingerprint(bytes: &[u8], offsets: &[u32], kinds: &[TokenKind], eos: &[TokenId]) -> Fingerprint {
    let mut h = Xxh3::new();
    h.update(b"maskwell-vocab-v1");
    h.update(&(kinds.len() as u64).to_le_bytes());
    for (i, kind) in kinds.iter().enumerate() {
        let token = &bytes[offsets[i] as usize..offsets[i + 1] as usize];
        h.update(&[*kind as u8]);
        h.update(&(token.len() as u32).to_le_bytes());
        h.update(token);
    }
    h.update(&(eos.len() as u64).to_le_bytes());
    for id in eos {
        h.update(&id.as_u32().to_le_bytes());
    }
    Fingerprint::from_u64(h.digest())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Builder {
        Vocabulary::builder().eos([TokenId::new(2)])
    }

    #[test]
    fn kinds_and_bytes() {
        let v = tiny()
            .special([TokenId::new(3)])
            .width(6)
            .build_from_tokens(["a", "", "</s>", "<s>", "bc"])
            .unwrap();
        assert_eq!(v.width(), 6);
        assert_eq!(v.kind(TokenId::new(0)), Some(TokenKind::Text));
        assert_eq!(v.kind(TokenId::new(2)), Some(TokenKind::Eos));
        assert_eq!(v.kind(TokenId::new(3)), Some(TokenKind::Special));
        assert_eq!(v.kind(TokenId::new(5)), Some(TokenKind::Absent));
        assert_eq!(v.kind(TokenId::new(6)), None);
        assert_eq!(v.token_bytes(TokenId::new(4)), Some(&b"bc"[..]));
        assert_eq!(v.token_bytes(TokenId::new(9)), None);
        // The empty text token is not offered.
        let text: Vec<u32> = v.text_tokens().map(|(id, _)| id.as_u32()).collect();
        assert_eq!(text, vec![0, 4]);
        assert_eq!(v.eos(), &[TokenId::new(2)]);
    }

    #[test]
    fn fingerprint_sees_every_part() {
        let base = tiny().build_from_tokens(["a", "b", "c"]).unwrap().fingerprint();
        assert_eq!(base, tiny().build_from_tokens(["a", "b", "c"]).unwrap().fingerprint());
        assert_ne!(base, tiny().build_from_tokens(["a", "x", "c"]).unwrap().fingerprint());
        assert_ne!(base, tiny().width(4).build_from_tokens(["a", "b", "c"]).unwrap().fingerprint());
        assert_ne!(
            base,
            tiny()
                .stop_tokens([TokenId::new(1)])
                .build_from_tokens(["a", "b", "c"])
                .unwrap()
                .fingerprint()
        );
        // Moving bytes between neighbours changes it too.
        assert_ne!(
            tiny().build_from_tokens(["ab", "", "c"]).unwrap().fingerprint(),
            tiny().build_from_tokens(["a", "b", "c"]).unwrap().fingerprint()
        );
    }

    #[test]
    fn errors() {
        let e = Vocabulary::builder().build_from_tokens(["a"]).unwrap_err();
        assert_eq!(e.kind().code(), "no_eos");
        let e = Vocabulary::builder().eos([TokenId::new(7)]).build_from_tokens(["a"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "end-of-sequence token id 7 is outside the vocabulary of width 1"
        );
        let e = tiny().width(2).build_from_tokens(["a", "b", "c"]).unwrap_err();
        assert_eq!(e.kind().code(), "width_too_small");
        let e = tiny().special([TokenId::new(3)]).build_from_tokens(["a", "b", "c"]).unwrap_err();
        assert_eq!(e.kind().code(), "id_out_of_range");
    }
}
