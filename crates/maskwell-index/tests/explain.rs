//! `Index::explain` and `Guide::explain`: each verdict, the expected bytes, and agreement
//! with the token table across build modes.

use std::sync::Arc;

use maskwell_index::{BuildMode, Config, ErrorKind, Guide, Index, Verdict};
use maskwell_vocab::{TokenId, Vocabulary};

fn vocab() -> Vocabulary {
    Vocabulary::builder()
        .eos([TokenId::new(0)])
        .special([TokenId::new(1)])
        .build_from_tokens([
            "</s>", "<pad>", "{", "}", "\"", "a", "b", ":", "1", "12", "x", "\"a\":",
        ])
        .unwrap()
}

const RE: &str = r#"\{"[ab]+":[0-9]{1,3}\}"#;

fn index(mode: BuildMode) -> Index {
    Index::builder().configure(Config::new().build_mode(mode)).build(RE, &vocab()).unwrap()
}

#[test]
fn allowed_token_reports_where_it_leads() {
    let why = index(BuildMode::Eager).explain(&vocab(), br#"{"a"#, TokenId::new(6)).unwrap();
    assert_eq!(why.verdict, Verdict::Allowed);
    assert!(why.is_allowed());
    assert_eq!(why.position, 4);
    assert_eq!(why.accepted(), br#"{"ab"#);
    // After `{"ab`: another letter or the closing quote.
    assert_eq!(why.expected, [(b'"', b'"'), (b'a', b'b')]);
    assert!(!why.can_end);
    // After the text `{"a`: "a", "b", `"` and `"a":`? No: `"a":` starts with a quote, then
    // "a" is refused after `{"a"`. Counted: `"`, "a", "b".
    assert_eq!(why.allowed_tokens, Some(3));
    assert_eq!(why.examples, [TokenId::new(4), TokenId::new(5), TokenId::new(6)]);
}

#[test]
fn refused_byte_is_located_in_the_token() {
    // `"a":` after `{"a`: the quote is fine, then "a" is refused where ':' was expected.
    let why = index(BuildMode::Eager).explain(&vocab(), br#"{"a"#, TokenId::new(11)).unwrap();
    assert_eq!(why.verdict, Verdict::ByteRejected { offset: 1, byte: b'a' });
    assert_eq!(why.position, 4);
    assert_eq!(why.expected, [(b':', b':')]);
    assert_eq!(why.forced, b":");
    let text = why.to_string();
    assert!(text.contains("refused at its byte 1"), "{text}");
    assert!(text.contains("forced continuation: \":\""), "{text}");
    let json = why.to_json();
    assert_eq!(json["verdict"], "byte_rejected");
    assert_eq!(json["rejected_byte"], "a");
    assert_eq!(json["expected"][0], "\":\"");
}

#[test]
fn refused_text_and_end() {
    let index = index(BuildMode::Eager);
    let why = index.explain(&vocab(), br#"{"x"#, TokenId::new(5)).unwrap();
    assert_eq!(why.verdict, Verdict::TextRejected { offset: 2, byte: b'x' });
    assert_eq!(why.expected, [(b'a', b'b')]);
    assert_eq!(why.allowed_tokens, None);

    let why = index.explain(&vocab(), br#"{"a":1"#, TokenId::new(0)).unwrap();
    assert_eq!(why.verdict, Verdict::EndNotAllowed);
    assert_eq!(why.expected, [(b'0', b'9'), (b'}', b'}')]);
    let why = index.explain(&vocab(), br#"{"a":1}"#, TokenId::new(0)).unwrap();
    assert_eq!(why.verdict, Verdict::Allowed);
    assert!(why.can_end);

    let why = index.explain(&vocab(), b"{", TokenId::new(1)).unwrap();
    assert_eq!(why.verdict, Verdict::NotText);
}

#[test]
fn bad_token_and_vocabulary_are_errors() {
    let index = index(BuildMode::Eager);
    let err = index.explain(&vocab(), b"", TokenId::new(99)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenOutOfRange);
    let other =
        Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "{"]).unwrap();
    let err = index.explain(&other, b"", TokenId::new(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::VocabularyMismatch);
}

#[test]
fn dead_end_is_told_apart_from_a_refused_byte() {
    // "a" is in the language's prefixes, but no token can write the "b" that must follow.
    let vocab = Vocabulary::builder()
        .eos([TokenId::new(0)])
        .build_from_tokens(["</s>", "a", "c", "cd", "d"])
        .unwrap();
    let index = Arc::new(Index::new("ab|cd", &vocab).unwrap());
    let guide = Guide::new(index.clone());
    let why = guide.explain(&vocab, TokenId::new(1)).unwrap();
    assert_eq!(why.verdict, Verdict::DeadEnd);
    assert_eq!(why.state, Some(index.start()));
    assert_eq!(why.allowed_tokens, Some(2)); // "c", "cd"
                                             // By text alone the automaton cannot see it.
    assert_eq!(index.explain(&vocab, b"", TokenId::new(1)).unwrap().verdict, Verdict::Allowed);
}

#[test]
fn guide_explains_its_own_position_in_every_build_mode() {
    let vocab = vocab();
    for mode in [BuildMode::Eager, BuildMode::Lazy] {
        let index = Arc::new(index(mode));
        let mut guide = Guide::new(index.clone());
        for t in [2, 4, 5] {
            guide.advance(TokenId::new(t)).unwrap();
        }
        for t in 0..vocab.width() as u32 {
            let token = TokenId::new(t);
            let why = guide.explain(&vocab, token).unwrap();
            assert_eq!(why.is_allowed(), guide.peek(token).is_ok(), "{mode:?} token {t}: {why}");
            assert_eq!(why.text, br#"{"a"#);
            assert_eq!(why.allowed_tokens, Some(guide.allowed_ids().len()));
        }
        guide.advance(TokenId::new(4)).unwrap();
        guide.advance(TokenId::new(7)).unwrap();
        guide.advance(TokenId::new(8)).unwrap();
        guide.advance(TokenId::new(3)).unwrap();
        guide.advance(TokenId::new(0)).unwrap();
        let err = guide.explain(&vocab, TokenId::new(3)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Finished);
    }
}
