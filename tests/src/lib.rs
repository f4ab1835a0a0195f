//! End-to-end tests of the maskwell workspace live in `tests/`: real tokenizers through the
//! whole pipeline, index files, and bad input of every kind. This library holds what they
//! share.

use maskwell::vocab::{encode_continuation, Tokenizer};
use maskwell::{Automaton, Config, Guide, GuideError, TokenId, Vocabulary};

pub mod soundness;

/// A JSON-object regex in the style the schema compiler emits: escapes, Unicode strings, an
/// array, numbers, booleans, bounded whitespace.
pub const JSON_REGEX: &str = concat!(
    r#"\{[ ]?"name":[ ]?"([^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}){0,40}","#,
    r#"[ ]?"tags":[ ]?\[("[a-z0-9 ]{0,12}"(,[ ]?"[a-z0-9 ]{0,12}"){0,4})?\],"#,
    r#"[ ]?"n":[ ]?-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,4})?,[ ]?"ok":[ ]?(true|false)\}"#,
);

/// Texts [`JSON_REGEX`] matches.
pub const MATCHING: &[&str] = &[
    r#"{"name": "Ada", "tags": ["math", "engines"], "n": 36, "ok": true}"#,
    r#"{"name":"","tags":[],"n":0,"ok":false}"#,
    r#"{"name": "Grüße, 世界 👩‍👩‍👧 \"quoted\" \\ \u00e9", "tags": ["a"], "n": -12.5, "ok": true}"#,
    r#"{"name": "tab\there", "tags": ["x y", "z"], "n": 100000, "ok": false}"#,
];

/// Texts [`JSON_REGEX`] does not match, each failing at some byte.
pub const NOT_MATCHING: &[&str] = &[
    r#"{"name": "Ada", "tags": ["math"], "n": 036, "ok": true}"#,
    r#"{"name": "Ada", "tags": ["Math"], "n": 1, "ok": true}"#,
    r#"{"name": "Ada", "tags": [], "n": 1, "ok": yes}"#,
    "{\"name\": \"raw\nnewline\", \"tags\": [], \"n\": 1, \"ok\": true}",
    r#"{"name": "Ada", "tags": [], "n": 1, "ok": true}}"#,
    r#"{"name": "Ada",  "tags": [], "n": 1, "ok": true}"#,
];

/// What happened when a text's tokens were fed to a guide.
#[derive(Debug, PartialEq, Eq)]
pub enum Walk {
    /// Every token was accepted and the end of sequence was allowed after them.
    Complete,
    /// Every token was accepted but the text is only a prefix.
    Incomplete,
    /// The token at this position was refused.
    RejectedAt(usize),
}

/// Feeds `tokens` to `guide`, checking at every step that the bitmask agrees with the
/// guide's decision.
///
/// # Panics
///
/// When the bitmask and `advance` disagree.
pub fn walk(guide: &mut Guide, tokens: &[TokenId]) -> Walk {
    let mut mask = vec![0u32; guide.index().words()];
    for (i, &token) in tokens.iter().enumerate() {
        guide.fill_bitmask(&mut mask).expect("mask of the right size");
        let bit = mask[token.as_usize() / 32] >> (token.as_u32() % 32) & 1 == 1;
        match guide.advance(token) {
            Ok(_) => assert!(bit, "token {token} accepted but not in the mask"),
            Err(GuideError::NotAllowed { .. }) => {
                assert!(!bit, "token {token} refused but in the mask");
                return Walk::RejectedAt(i);
            }
            Err(e) => panic!("unexpected guide error {e}"),
        }
    }
    if guide.is_accepting() {
        Walk::Complete
    } else {
        Walk::Incomplete
    }
}

/// What a byte-level check says should happen to `tokens`: the first token whose bytes take
/// the output out of the language of `regex`.
///
/// # Panics
///
/// When the regex does not compile.
pub fn expected_walk(regex: &str, vocab: &Vocabulary, tokens: &[TokenId]) -> Walk {
    let automaton = Automaton::from_regex(regex, &Config::new()).expect("regex compiles");
    let mut state = automaton.start();
    for (i, &token) in tokens.iter().enumerate() {
        match automaton.walk(state, vocab.token_bytes(token).expect("token in range")) {
            Some(next) => state = next,
            None => return Walk::RejectedAt(i),
        }
    }
    if automaton.is_accepting(state) {
        Walk::Complete
    } else {
        Walk::Incomplete
    }
}

/// The continuation tokens of `text`.
///
/// # Panics
///
/// When the tokenizer cannot reproduce the text exactly.
#[must_use]
pub fn tokens(tokenizer: &Tokenizer, vocab: &Vocabulary, text: &str) -> Vec<TokenId> {
    encode_continuation(tokenizer, vocab, text).unwrap_or_else(|e| panic!("{e}"))
}
