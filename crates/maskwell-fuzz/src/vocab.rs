//! The small vocabularies the harnesses build indexes over.

use std::sync::OnceLock;

use maskwell_vocab::{TokenId, Vocabulary};

/// Token 0 is the end of sequence; the rest mix JSON punctuation, words that share
/// prefixes, multi-byte UTF-8 characters and lone bytes of one (`\xc3`, `\xa9`), so that
/// tokens split characters and overlap each other as real vocabularies do.
const TINY: &[&[u8]] = &[
    b"</s>",
    b"{",
    b"}",
    b"\"",
    b":",
    b",",
    b" ",
    b"[",
    b"]",
    b"a",
    b"b",
    b"c",
    b"ab",
    b"abc",
    b"true",
    b"false",
    b"tr",
    b"ue",
    b"0",
    b"1",
    b"12",
    b"9",
    b"-",
    b".",
    b"\\",
    b"\n",
    b"null",
    b"z",
    b", \"",
    b"\": ",
    "é".as_bytes(),
    "日".as_bytes(),
    "😀".as_bytes(),
    b"\xc3",
    b"\xa9",
];

/// The tiny vocabulary (35 tokens, end of sequence 0). It lacks most bytes, so indexes
/// over it are always built eagerly (a lazy build needs every byte as a token) and many
/// languages are only partly expressible.
pub(crate) fn tiny() -> &'static Vocabulary {
    static VOCAB: OnceLock<Vocabulary> = OnceLock::new();
    VOCAB.get_or_init(|| build(TINY.iter().map(|t| t.to_vec()).collect()))
}

/// The tiny vocabulary plus every single byte not already in it (about 290 tokens), like
/// a byte-level BPE vocabulary: every language is expressible and lazy builds stay lazy.
pub(crate) fn bytes() -> &'static Vocabulary {
    static VOCAB: OnceLock<Vocabulary> = OnceLock::new();
    VOCAB.get_or_init(|| {
        let mut tokens: Vec<Vec<u8>> = TINY.iter().map(|t| t.to_vec()).collect();
        for b in 0..=255u8 {
            if !tokens.iter().skip(1).any(|t| t == &[b]) {
                tokens.push(vec![b]);
            }
        }
        build(tokens)
    })
}

/// One of the two vocabularies, by a selector bit.
pub(crate) fn pick(full_bytes: bool) -> &'static Vocabulary {
    if full_bytes {
        bytes()
    } else {
        tiny()
    }
}

fn build(tokens: Vec<Vec<u8>>) -> Vocabulary {
    Vocabulary::builder()
        .eos([TokenId::new(0)])
        .build_from_tokens(tokens)
        .expect("the harness vocabulary is valid")
}
