//! Loading HuggingFace `tokenizer.json` files.
//!
//! A tokenizer file stores tokens as strings in one of a few encodings; what the model emits
//! is bytes. The decoder section says which encoding applies:
//!
//! - **byte-level BPE** (GPT-2, Llama 3, Qwen, o200k, tekken): every byte is written as one
//!   printable character of the GPT-2 alphabet (`Ġ` = space, `Ċ` = newline);
//! - **SentencePiece** (Llama 2, Mistral v1/v3): `▁` stands for a space, `<0xNN>` tokens are
//!   single raw bytes (byte fallback), everything else is UTF-8 text;
//! - **no decoder** (word-level toy tokenizers): tokens are UTF-8 text.
//!
//! Added tokens are literal text, whatever the model's encoding; special ones are never
//! allowed under a constraint, and the end-of-sequence set is taken from them.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tokenizers::{ModelWrapper, Tokenizer};

use crate::{Builder, Error, TokenId, TokenKind, Vocabulary};

/// Special-token names that end a sequence in the tokenizers of common model families.
const EOS_NAMES: &[&str] = &[
    "</s>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|im_end|>",
    "<|end|>",
    "<eos>",
    "<end_of_turn>",
    "<|return|>",
    "<|call|>",
];

/// How model-token strings map to bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    ByteLevel,
    SentencePiece { space: char, byte_fallback: bool },
    Text,
}

impl Builder {
    /// Loads a HuggingFace `tokenizer.json` file; see [`Vocabulary::from_file`].
    ///
    /// # Errors
    ///
    /// When the file cannot be read or parsed, its decoder is not one maskwell understands, a
    /// token's bytes cannot be determined, an id is out of range, or no end-of-sequence token
    /// is found or given.
    pub fn build_from_file(self, path: impl AsRef<Path>) -> Result<Vocabulary, Error> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let tokenizer = parse(&bytes, path)?;
        self.build_from_tokenizer_at(&tokenizer, path.to_path_buf())
    }

    /// Builds from a tokenizer already loaded with the `tokenizers` crate.
    ///
    /// # Errors
    ///
    /// As [`Builder::build_from_file`], less the reading and parsing.
    pub fn build_from_tokenizer(self, tokenizer: &Tokenizer) -> Result<Vocabulary, Error> {
        self.build_from_tokenizer_at(tokenizer, PathBuf::from("<memory>"))
    }

    fn build_from_tokenizer_at(
        self,
        tokenizer: &Tokenizer,
        path: PathBuf,
    ) -> Result<Vocabulary, Error> {
        let encoding = encoding(tokenizer, &path)?;
        // The model's own tokens only: added tokens are literal text, not written in the
        // model's encoding (DeepSeek's `<｜begin▁of▁sentence｜>` is not byte-level), so they
        // must not be decoded as model tokens.
        let vocab = tokenizer.get_vocab(false);
        let added = tokenizer.get_added_tokens_decoder();
        let needed =
            vocab.values().chain(added.keys()).map(|&id| id as usize + 1).max().unwrap_or(0);
        if needed > (1 << 24) {
            return Err(Error::TooLarge {
                what: "largest token id + 1",
                value: needed,
                limit: 1 << 24,
            });
        }
        let mut raw: Vec<(TokenKind, Vec<u8>)> = vec![(TokenKind::Absent, Vec::new()); needed];
        for (text, &id) in &vocab {
            if added.contains_key(&id) {
                continue;
            }
            let entry = &mut raw[id as usize];
            *entry = (
                TokenKind::Text,
                decode(text, encoding).map_err(|reason| Error::BadToken {
                    path: path.clone(),
                    id: TokenId::new(id),
                    text: text.clone(),
                    reason,
                })?,
            );
        }
        let mut detected_eos = Vec::new();
        for (&id, token) in &added {
            let kind = if token.special { TokenKind::Special } else { TokenKind::Text };
            raw[id as usize] = (kind, token.content.as_bytes().to_vec());
            if token.special && EOS_NAMES.contains(&token.content.as_str()) {
                detected_eos.push(TokenId::new(id));
            }
        }
        let source = path
            .file_name()
            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        self.assemble(raw, detected_eos, source)
    }
}

/// Reads a `tokenizer.json` file with the `tokenizers` crate, special-token strings in text
/// being tokenized as text (a constraint never lets a model emit a special token by
/// spelling it).
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, [`Error::Tokenizer`] when it does not parse.
pub fn load_tokenizer(path: impl AsRef<Path>) -> Result<Tokenizer, Error> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut tokenizer = parse(&bytes, path)?;
    tokenizer.set_encode_special_tokens(true);
    Ok(tokenizer)
}

/// The tokens a model emits to write exactly `text` after a prompt: no BOS, and for
/// SentencePiece tokenizers (whose normalizer adds a space before the first word) the
/// tokenization `text` gets in the middle of a document.
///
/// ```no_run
/// use maskwell_vocab::{encode_continuation, load_tokenizer, Vocabulary};
///
/// let tokenizer = load_tokenizer("tokenizer.json")?;
/// let vocab = Vocabulary::builder().build_from_tokenizer(&tokenizer)?;
/// let ids = encode_continuation(&tokenizer, &vocab, r#"{"a": 1}"#)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::Encode`] when the tokenizer fails, or no tokenization reproduces the text's
/// bytes exactly (for example when the tokenizer normalizes it, as Qwen's applies NFC).
pub fn encode_continuation(
    tokenizer: &Tokenizer,
    vocab: &Vocabulary,
    text: &str,
) -> Result<Vec<TokenId>, Error> {
    let fail = |reason: String| Error::Encode { text: text.chars().take(80).collect(), reason };
    let encode = |input: &str| -> Result<Vec<TokenId>, Error> {
        let encoding = tokenizer.encode_fast(input, false).map_err(|e| fail(e.to_string()))?;
        Ok(encoding.get_ids().iter().map(|&id| TokenId::new(id)).collect())
    };
    let concat = |ids: &[TokenId]| -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for &id in ids {
            if vocab.kind(id)? != TokenKind::Text {
                return None;
            }
            out.extend_from_slice(vocab.token_bytes(id)?);
        }
        Some(out)
    };
    let direct = encode(text)?;
    if concat(&direct).as_deref() == Some(text.as_bytes()) {
        return Ok(direct);
    }
    // A dummy prefix lands before a leading newline; what follows is tokenized as anywhere
    // in a document. Cut after the tokens that spell the prefix.
    let prefix = concat(&encode("\n")?)
        .ok_or_else(|| fail("the tokenizer does not spell a newline with text tokens".into()))?;
    let ids = encode(&format!("\n{text}"))?;
    let mut len = 0;
    for (i, &id) in ids.iter().enumerate() {
        if len == prefix.len() {
            let rest = ids[i..].to_vec();
            if concat(&ids[..i]).as_deref() == Some(&prefix[..])
                && concat(&rest).as_deref() == Some(text.as_bytes())
            {
                return Ok(rest);
            }
            break;
        }
        len += vocab.token_bytes(id).map_or(usize::MAX / 2, <[u8]>::len);
        if len > prefix.len() {
            break;
        }
    }
    Err(fail("the tokenizer's output does not spell the text's bytes exactly (it normalizes the text or emits special tokens)".into()))
}

/// Parses the file, turning the tokenizer library's errors (and, defensively, panics) into
/// [`Error::Tokenizer`].
fn parse(bytes: &[u8], path: &Path) -> Result<Tokenizer, Error> {
    let err = |message: String| Error::Tokenizer { path: path.to_path_buf(), message };
    match std::panic::catch_unwind(|| Tokenizer::from_bytes(bytes)) {
        Ok(Ok(tokenizer)) => Ok(tokenizer),
        Ok(Err(e)) => Err(err(e.to_string())),
        Err(_) => Err(err("the tokenizer library panicked while reading it".to_owned())),
    }
}

/// Reads the decoder (and the BPE model's byte-fallback flag) to tell how tokens encode bytes.
fn encoding(tokenizer: &Tokenizer, path: &Path) -> Result<Encoding, Error> {
    let Some(decoder) = tokenizer.get_decoder() else { return Ok(Encoding::Text) };
    let value = serde_json::to_value(decoder).map_err(|e| Error::Tokenizer {
        path: path.to_path_buf(),
        message: format!("cannot read the decoder: {e}"),
    })?;
    let mut parts = Vec::new();
    flatten(&value, &mut parts);
    let has = |t: &str| parts.iter().any(|p| p.get("type").and_then(Value::as_str) == Some(t));
    if has("ByteLevel") {
        return Ok(Encoding::ByteLevel);
    }
    let model_fallback =
        matches!(tokenizer.get_model(), ModelWrapper::BPE(bpe) if bpe.byte_fallback);
    let byte_fallback = has("ByteFallback") || model_fallback;
    let metaspace = parts.iter().find_map(|p| {
        (p.get("type")?.as_str()? == "Metaspace").then(|| {
            p.get("replacement")
                .and_then(Value::as_str)
                .and_then(|s| s.chars().next())
                .unwrap_or('▁')
        })
    });
    let replace = parts.iter().find_map(|p| {
        (p.get("type")?.as_str()? == "Replace" && p.get("content")?.as_str()? == " ")
            .then(|| p.get("pattern")?.get("String")?.as_str()?.chars().next())
            .flatten()
    });
    if let Some(space) = metaspace.or(replace) {
        return Ok(Encoding::SentencePiece { space, byte_fallback });
    }
    if byte_fallback {
        return Ok(Encoding::SentencePiece { space: '▁', byte_fallback });
    }
    let known = ["Fuse", "Strip"];
    match parts.iter().filter_map(|p| p.get("type")?.as_str()).find(|t| !known.contains(t)) {
        None => Ok(Encoding::Text),
        Some(other) => {
            Err(Error::UnsupportedDecoder { path: path.to_path_buf(), decoder: other.to_owned() })
        }
    }
}

fn flatten<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value.get("decoders").and_then(Value::as_array) {
        Some(inner) => inner.iter().for_each(|d| flatten(d, out)),
        None => out.push(value),
    }
}

fn decode(text: &str, encoding: Encoding) -> Result<Vec<u8>, &'static str> {
    match encoding {
        Encoding::Text => Ok(text.as_bytes().to_vec()),
        Encoding::ByteLevel => text
            .chars()
            .map(|c| gpt2_byte(c).ok_or("character outside the byte-level alphabet"))
            .collect(),
        Encoding::SentencePiece { space, byte_fallback } => {
            if byte_fallback {
                if let Some(byte) = byte_token(text) {
                    return Ok(vec![byte]);
                }
            }
            let mut out = Vec::with_capacity(text.len());
            let mut buf = [0u8; 4];
            for c in text.chars() {
                let c = if c == space { ' ' } else { c };
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            Ok(out)
        }
    }
}

/// `<0xNN>` (two hex digits) is a SentencePiece byte-fallback token for byte `NN`.
fn byte_token(text: &str) -> Option<u8> {
    let hex = text.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

/// The byte a character of the GPT-2 byte-level alphabet stands for.
///
/// The alphabet maps the 188 printable bytes (`!`..=`~`, `¡`..=`¬`, `®`..=`ÿ`) to the
/// characters with the same code, and the other 68 bytes, in increasing order, to U+0100
/// onwards, so that every byte is a visible character.
fn gpt2_byte(c: char) -> Option<u8> {
    let code = c as u32;
    let printable = |b: u32| {
        (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b)
    };
    if code <= 0xff {
        return printable(code).then_some(code as u8);
    }
    let n = code.checked_sub(0x100)?;
    (0u32..=0xff).filter(|&b| !printable(b)).nth(n as usize).map(|b| b as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt2_alphabet_is_a_bijection() {
        let mut seen = [false; 256];
        for code in 0..0x200u32 {
            if let Some(b) = char::from_u32(code).and_then(gpt2_byte) {
                assert!(!seen[b as usize], "byte {b} twice");
                seen[b as usize] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(gpt2_byte('Ġ'), Some(b' '));
        assert_eq!(gpt2_byte('Ċ'), Some(b'\n'));
        assert_eq!(gpt2_byte('!'), Some(b'!'));
        assert_eq!(gpt2_byte('\u{ad}'), None);
    }

    #[test]
    fn sentencepiece_tokens() {
        let sp = Encoding::SentencePiece { space: '▁', byte_fallback: true };
        assert_eq!(decode("▁Hello", sp).unwrap(), b" Hello");
        assert_eq!(decode("<0x0A>", sp).unwrap(), b"\n");
        assert_eq!(decode("<0xZZ>", sp).unwrap(), b"<0xZZ>");
        let no_fallback = Encoding::SentencePiece { space: '▁', byte_fallback: false };
        assert_eq!(decode("<0x0A>", no_fallback).unwrap(), b"<0x0A>");
    }
}
