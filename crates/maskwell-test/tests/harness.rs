//! The harness's own helpers, on the fixtures (and the shared folder when present).

use std::collections::HashSet;

use maskwell_test::{
    corpus, encode_continuation, fixture, load_tokenizer, TokenBytes, VocabKind, FIXTURES,
};

#[test]
fn paths() {
    let root = maskwell_test::workspace_root();
    assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
    assert!(root.join("vocab-fixtures").is_dir());
    for f in FIXTURES {
        assert!(fixture(f.file).is_file());
    }
    assert_eq!(maskwell_test::schemas_dir(), root.join("schemas"));
}

#[test]
#[should_panic(expected = "fixture")]
fn missing_fixture_panics_clearly() {
    let _ = fixture("no-such.tokenizer.json");
}

#[test]
fn shared_dir_when_present() {
    let Some(dir) = maskwell_test::shared_dir_or_skip("shared_dir_when_present") else { return };
    assert!(dir.is_dir());
    let vocabs = maskwell_test::shared_vocabs();
    assert!(!vocabs.is_empty());
    for v in &vocabs {
        assert!(v.path.starts_with(&dir));
        assert!(!v.eos_ids.is_empty(), "{}", v.file);
        assert!(v.eos_ids.iter().all(|&id| (id as usize) < v.width), "{}", v.file);
        assert!(v.entries <= v.width);
    }
}

#[test]
fn require_shared_returns_a_value_or_the_given_one() {
    fn inner() -> Result<bool, String> {
        let dir = maskwell_test::require_shared!(Ok(false));
        Ok(dir.is_dir())
    }
    assert_eq!(inner(), Ok(maskwell_test::shared_dir().is_some()));
}

#[test]
fn fixture_kinds_and_eos() {
    for f in FIXTURES {
        let tokenizer = load_tokenizer(fixture(f.file));
        assert_eq!(maskwell_test::vocab_kind(&tokenizer), Some(f.kind), "{}", f.file);
        assert_eq!(tokenizer.get_vocab(true).len(), f.width, "{}", f.file);
        for &id in f.special_ids {
            let token = tokenizer.get_added_tokens_decoder().get(&id).cloned().unwrap();
            assert!(token.special, "{}: {id}", f.file);
        }
    }
}

#[test]
fn token_bytes_reader() {
    let sp = load_tokenizer(fixture(maskwell_test::SP32000));
    let reader = TokenBytes::new(&sp);
    assert_eq!(reader.kind(), Some(VocabKind::SentencePiece));
    assert_eq!(reader.bytes(3), Some(vec![0]));
    assert_eq!(reader.bytes(13), Some(b"\n".to_vec()));
    assert_eq!(reader.bytes(2), Some(b"</s>".to_vec()));
    assert_eq!(reader.bytes(32000), None);
    let bl = load_tokenizer(fixture(maskwell_test::BYTELEVEL300));
    let reader = TokenBytes::new(&bl);
    assert_eq!(reader.kind(), Some(VocabKind::ByteLevel));
    let all: HashSet<Vec<u8>> = (0..256).map(|id| reader.bytes(id).unwrap()).collect();
    assert_eq!(all.len(), 256, "the 256 single-byte tokens are distinct");
    assert!(all.iter().all(|b| b.len() == 1));
    assert_eq!(
        maskwell_test::tokens_bytes(&bl, &[300, 302]),
        Some(b"<|endoftext|><|im_end|>".to_vec())
    );
}

#[test]
fn continuation_on_every_fixture() {
    for f in FIXTURES {
        let tokenizer = load_tokenizer(fixture(f.file));
        let reader = TokenBytes::new(&tokenizer);
        for item in corpus() {
            let text = maskwell_test::unicode_normalize(&tokenizer, &item.text);
            let ids = encode_continuation(&tokenizer, &text)
                .unwrap_or_else(|| panic!("{}: {}", f.file, item.name));
            assert_eq!(reader.concat(&ids).unwrap(), text.as_bytes());
            assert!(ids.iter().all(|id| !f.special_ids.contains(id)));
        }
        // A continuation of SentencePiece text after a space, a newline or a word.
        let ids = encode_continuation(&tokenizer, "  two spaces").unwrap();
        assert_eq!(reader.concat(&ids).unwrap(), b"  two spaces");
        // `▁` itself is read as a space by SentencePiece: no exact encoding there.
        assert_eq!(
            encode_continuation(&tokenizer, "a\u{2581}b").is_some(),
            f.kind == VocabKind::ByteLevel
        );
    }
}

#[test]
fn corpus_is_varied() {
    let texts = corpus();
    let names: HashSet<&str> = texts.iter().map(|t| t.name).collect();
    assert_eq!(names.len(), texts.len(), "names are unique");
    let all: String = texts.iter().map(|t| t.text.as_str()).collect();
    for needle in [
        "\u{200d}",
        "\u{a0}",
        "\u{301}",
        "\u{1f1ef}",
        "\t",
        "\r\n",
        "\\\"",
        "\\u",
        "\u{0}",
        "中",
        "\u{20000}",
    ] {
        assert!(all.contains(needle), "{needle:?}");
    }
    assert!(!all.contains('\u{2581}'));
    let nfc = load_tokenizer(fixture(maskwell_test::BYTELEVEL300));
    assert!(texts.iter().any(|t| maskwell_test::unicode_normalize(&nfc, &t.text) != t.text));
    let sp = load_tokenizer(fixture(maskwell_test::SP32000));
    assert!(texts.iter().all(|t| maskwell_test::unicode_normalize(&sp, &t.text) == t.text));
}
