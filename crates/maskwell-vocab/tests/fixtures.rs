//! The tokenizer files of `vocab-fixtures/`: kinds, widths, end-of-sequence ids, byte
//! coverage, and text round-tripping through the token bytes. Always run.

use std::collections::HashSet;

use maskwell_test::tokenizers::Tokenizer;
use maskwell_test::{FixtureVocab, VocabKind, FIXTURES};
use maskwell_vocab::{TokenId, TokenKind, Vocabulary};

fn load(fixture: &FixtureVocab) -> (Vocabulary, Tokenizer) {
    let path = maskwell_test::fixture(fixture.file);
    let vocab = Vocabulary::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", fixture.file));
    (vocab, maskwell_test::load_tokenizer(&path))
}

fn bytes_of(vocab: &Vocabulary, ids: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    for &id in ids {
        out.extend_from_slice(vocab.token_bytes(TokenId::new(id)).expect("id within the width"));
    }
    out
}

#[test]
fn width_eos_and_kinds() {
    for fixture in FIXTURES {
        let (vocab, _) = load(fixture);
        let name = fixture.file;
        assert_eq!(vocab.width(), fixture.width, "{name}");
        assert_eq!(vocab.source(), name);
        let eos: Vec<u32> = vocab.eos().iter().map(|id| id.as_u32()).collect();
        assert_eq!(eos, fixture.eos_ids, "{name}");
        assert_eq!(
            vocab.eos_set().iter().map(TokenId::as_u32).collect::<Vec<_>>(),
            fixture.eos_ids
        );
        for i in 0..vocab.width() as u32 {
            let id = TokenId::new(i);
            let want = if fixture.eos_ids.contains(&i) {
                TokenKind::Eos
            } else if fixture.special_ids.contains(&i) {
                TokenKind::Special
            } else {
                TokenKind::Text
            };
            assert_eq!(vocab.kind(id), Some(want), "{name}: id {i}");
            assert_eq!(vocab.is_eos(id), want == TokenKind::Eos, "{name}: id {i}");
        }
        let past = TokenId::new(vocab.width() as u32);
        assert_eq!(vocab.kind(past), None);
        assert_eq!(vocab.token_bytes(past), None);
        assert!(!vocab.is_eos(past));
        // Every text token emits at least one byte; specials keep their literal text.
        let text = fixture.width - fixture.special_ids.len();
        assert_eq!(vocab.text_tokens().count(), text, "{name}");
        if let Some(bos) = fixture.bos_id {
            assert_eq!(vocab.token_bytes(TokenId::new(bos)), Some(&b"<s>"[..]));
        }
        for &eos in fixture.eos_ids {
            assert!(!vocab.token_bytes(TokenId::new(eos)).unwrap().is_empty(), "{name}: {eos}");
        }
    }
}

#[test]
fn special_tokens_keep_their_text() {
    let (vocab, _) = load(&FIXTURES[1]);
    assert_eq!(vocab.token_bytes(TokenId::new(4256)), Some(&b"<|endoftext|>"[..]));
    assert_eq!(vocab.token_bytes(TokenId::new(4257)), Some(&b"<|im_start|>"[..]));
    assert_eq!(vocab.token_bytes(TokenId::new(4258)), Some(&b"<|im_end|>"[..]));
    let (vocab, _) = load(&FIXTURES[2]);
    assert_eq!(vocab.token_bytes(TokenId::new(0)), Some(&b"<unk>"[..]));
    assert_eq!(vocab.token_bytes(TokenId::new(2)), Some(&b"</s>"[..]));
}

#[test]
fn every_byte_has_a_single_token() {
    for fixture in FIXTURES {
        let (vocab, tokenizer) = load(fixture);
        let mut by_byte: Vec<Vec<u32>> = vec![Vec::new(); 256];
        for (id, bytes) in vocab.text_tokens() {
            if let [b] = bytes {
                by_byte[*b as usize].push(id.as_u32());
            }
        }
        for (b, ids) in by_byte.iter().enumerate() {
            let name = fixture.file;
            match fixture.kind {
                // Exactly one token per byte; in a tiktoken-ranked file, the first 256 ids.
                VocabKind::ByteLevel => {
                    assert_eq!(ids.len(), 1, "{name}: byte {b:#04x}: {ids:?}");
                    assert!(ids[0] < 256, "{name}: byte {b:#04x}: {ids:?}");
                    assert_eq!(tokenizer.id_to_token(ids[0]).unwrap().chars().count(), 1);
                }
                // The byte-fallback token `<0xNN>` at id 3 + NN, and for some bytes also a
                // piece (`▁` for the space, `a` for 0x61, ...).
                VocabKind::SentencePiece => {
                    let fallback = tokenizer.token_to_id(&format!("<0x{b:02X}>")).unwrap();
                    assert_eq!(fallback, 3 + b as u32, "{name}");
                    assert!(ids.contains(&fallback), "{name}: byte {b:#04x}: {ids:?}");
                    assert!(ids.len() <= 2, "{name}: byte {b:#04x}: {ids:?}");
                }
            }
        }
    }
}

#[test]
fn token_bytes_match_an_independent_reading() {
    for fixture in FIXTURES {
        let (vocab, tokenizer) = load(fixture);
        let reader = maskwell_test::TokenBytes::new(&tokenizer);
        assert_eq!(reader.kind(), Some(fixture.kind));
        for i in 0..vocab.width() as u32 {
            let want = reader.bytes(i).unwrap();
            assert_eq!(
                vocab.token_bytes(TokenId::new(i)),
                Some(want.as_slice()),
                "{}: id {i}",
                fixture.file
            );
        }
    }
}

#[test]
fn sentencepiece_spaces_and_byte_tokens() {
    let (vocab, tokenizer) = load(&FIXTURES[2]);
    let id = |t: &str| TokenId::new(tokenizer.token_to_id(t).unwrap_or_else(|| panic!("{t:?}")));
    assert_eq!(vocab.token_bytes(id("▁the")), Some(&b" the"[..]));
    assert_eq!(vocab.token_bytes(id("▁")), Some(&b" "[..]));
    assert_eq!(vocab.token_bytes(id("<0x0A>")), Some(&b"\n"[..]));
    assert_eq!(vocab.token_bytes(id("<0xFF>")), Some(&[0xff][..]));
}

#[test]
fn byte_level_alphabet() {
    let (vocab, tokenizer) = load(&FIXTURES[1]);
    let id = |t: &str| TokenId::new(tokenizer.token_to_id(t).unwrap_or_else(|| panic!("{t:?}")));
    assert_eq!(vocab.token_bytes(id("Ġ")), Some(&b" "[..]));
    assert_eq!(vocab.token_bytes(id("Ċ")), Some(&b"\n"[..]));
    assert_eq!(vocab.token_bytes(id("ĠĠ")), Some(&b"  "[..]));
    assert_eq!(vocab.token_bytes(id("Ġthe")), Some(&b" the"[..]));
    assert_eq!(vocab.token_bytes(id("ĉ")), Some(&b"\t"[..]));
    assert_eq!(vocab.token_bytes(id("Ā")), Some(&[0u8][..]));
    assert_eq!(vocab.token_bytes(id("ÿ")), Some(&[0xffu8][..]));
    assert_eq!(vocab.token_bytes(id("Ń")), Some(&[0xadu8][..]));
}

/// Every corpus text, as a continuation: the tokens' bytes are exactly the text (in the
/// tokenizer's Unicode normal form), all tokens are text tokens, and the bytes agree with the
/// test harness's own reading of the tokens.
#[test]
fn corpus_round_trips() {
    for fixture in FIXTURES {
        let (vocab, tokenizer) = load(fixture);
        for item in maskwell_test::corpus() {
            let text = maskwell_test::unicode_normalize(&tokenizer, &item.text);
            let ids = maskwell_test::encode_continuation(&tokenizer, &text)
                .unwrap_or_else(|| panic!("{}: {}: no exact encoding", fixture.file, item.name));
            assert_eq!(bytes_of(&vocab, &ids), text.as_bytes(), "{}: {}", fixture.file, item.name);
            for &id in &ids {
                assert_eq!(
                    vocab.kind(TokenId::new(id)),
                    Some(TokenKind::Text),
                    "{}: {}",
                    fixture.file,
                    item.name
                );
            }
        }
    }
}

/// The plain encoding (what a prompt gets) also round-trips: for SentencePiece with the
/// dummy-prefix space in front, for NFC tokenizers into the NFC form.
#[test]
fn plain_encoding_round_trips() {
    for fixture in FIXTURES {
        let (vocab, tokenizer) = load(fixture);
        let mut changed_by_nfc = 0;
        for item in maskwell_test::corpus() {
            let encoding = tokenizer.encode_fast(item.text.as_str(), false).unwrap();
            let got = bytes_of(&vocab, encoding.get_ids());
            let mut want = maskwell_test::unicode_normalize(&tokenizer, &item.text);
            changed_by_nfc += usize::from(want != item.text);
            if fixture.kind == VocabKind::SentencePiece && !want.is_empty() {
                want.insert(0, ' ');
            }
            assert_eq!(String::from_utf8_lossy(&got), want, "{}: {}", fixture.file, item.name);
            assert_eq!(got, want.as_bytes(), "{}: {}", fixture.file, item.name);
        }
        // The corpus has text that is not in NFC on purpose; only the Qwen-derived files
        // normalize.
        assert_eq!(changed_by_nfc > 0, fixture.kind == VocabKind::ByteLevel, "{}", fixture.file);
    }
}

/// With BOS added by the post-processor, the first token is a special one and the rest
/// round-trips as above.
#[test]
fn bos_is_special() {
    let (vocab, tokenizer) = load(&FIXTURES[2]);
    let encoding = tokenizer.encode_fast("Hello", true).unwrap();
    let ids = encoding.get_ids();
    assert_eq!(ids[0], 1);
    assert_eq!(vocab.kind(TokenId::new(1)), Some(TokenKind::Special));
    assert_eq!(bytes_of(&vocab, &ids[1..]), b" Hello");
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    let mut seen = HashSet::new();
    for fixture in FIXTURES {
        let (a, tokenizer) = load(fixture);
        let b = Vocabulary::from_file(maskwell_test::fixture(fixture.file)).unwrap();
        let c = Vocabulary::builder().build_from_tokenizer(&tokenizer).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint(), "{}", fixture.file);
        assert_eq!(a.fingerprint(), c.fingerprint(), "{}", fixture.file);
        assert_eq!(c.source(), "<memory>");
        assert!(
            seen.insert(a.fingerprint()),
            "{}: same fingerprint as another fixture",
            fixture.file
        );
        // Settings that change what a constraint allows change the fingerprint.
        let wider = Vocabulary::builder()
            .width(fixture.width + 64)
            .build_from_tokenizer(&tokenizer)
            .unwrap();
        assert_ne!(wider.fingerprint(), a.fingerprint());
        let eos = Vocabulary::builder()
            .eos([TokenId::new(fixture.eos_ids[0])])
            .build_from_tokenizer(&tokenizer)
            .unwrap();
        assert_eq!(eos.fingerprint() == a.fingerprint(), fixture.eos_ids.len() == 1);
    }
}

#[test]
fn builder_settings_on_a_fixture() {
    let path = maskwell_test::fixture(maskwell_test::SP32000);
    // Logits padded past the tokenizer: the extra ids are absent, never allowed.
    let vocab = Vocabulary::builder().width(32064).build_from_file(&path).unwrap();
    assert_eq!(vocab.width(), 32064);
    assert_eq!(vocab.kind(TokenId::new(31999)), Some(TokenKind::Text));
    for i in 32000..32064 {
        assert_eq!(vocab.kind(TokenId::new(i)), Some(TokenKind::Absent));
        assert_eq!(vocab.token_bytes(TokenId::new(i)), Some(&[][..]));
    }
    assert_eq!(vocab.text_tokens().count(), 31997);
    // An explicit end-of-sequence set replaces the detected one; stop tokens add to it;
    // special ids are never text.
    let vocab = Vocabulary::builder()
        .eos([TokenId::new(1)])
        .stop_tokens([TokenId::new(13)])
        .special([TokenId::new(29871)])
        .build_from_file(&path)
        .unwrap();
    assert_eq!(vocab.eos(), &[TokenId::new(1), TokenId::new(13)]);
    assert_eq!(vocab.kind(TokenId::new(2)), Some(TokenKind::Special));
    assert_eq!(vocab.kind(TokenId::new(13)), Some(TokenKind::Eos));
    assert_eq!(vocab.kind(TokenId::new(29871)), Some(TokenKind::Special));
    assert!(vocab.memory_usage() > 32000 * 5);
    assert!(format!("{vocab:?}").contains("sp32000.tokenizer.json"));
}

#[test]
fn continuation_helper_drops_the_dummy_prefix() {
    let (vocab, tokenizer) = load(&FIXTURES[2]);
    let ids = maskwell_test::encode_continuation(&tokenizer, "Hello world").unwrap();
    assert_eq!(bytes_of(&vocab, &ids), b"Hello world");
    let first = tokenizer.id_to_token(ids[0]).unwrap();
    assert!(!first.starts_with('▁'), "{first:?}");
    let ids = maskwell_test::encode_continuation(&tokenizer, " world").unwrap();
    assert_eq!(tokenizer.id_to_token(ids[0]).unwrap(), "▁world");
    assert_eq!(maskwell_test::encode_continuation(&tokenizer, ""), Some(vec![]));
    // Special-token strings are plain text with `load_tokenizer`, refused without it.
    let ids = maskwell_test::encode_continuation(&tokenizer, "</s>").unwrap();
    assert!(ids.len() > 1);
    let raw = Tokenizer::from_file(maskwell_test::fixture(maskwell_test::SP32000)).unwrap();
    assert_eq!(maskwell_test::encode_continuation(&raw, "a</s>"), None);
    // Text the NFC normalizer rewrites has no exact encoding.
    let (_, qwen) = load(&FIXTURES[0]);
    assert_eq!(maskwell_test::encode_continuation(&qwen, "e\u{301}"), None);
    assert!(maskwell_test::encode_continuation(&qwen, "\u{e9}").is_some());
}
