//! Malformed and unsupported tokenizer files: each gives an error of the right kind, naming
//! the file, and nothing panics.

use std::path::{Path, PathBuf};

use maskwell_vocab::{Error, ErrorKind, TokenId, TokenKind, Vocabulary};
use serde_json::{json, Value};

/// A fresh folder for this test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("maskwell-vocab-bad-input").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// The small byte-level fixture, parsed, to edit.
fn bytelevel300() -> Value {
    let text =
        std::fs::read_to_string(maskwell_test::fixture(maskwell_test::BYTELEVEL300)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Loads `path`, expecting an error of `kind` whose message names the file.
#[track_caller]
fn expect_error(path: &Path, kind: ErrorKind) -> Error {
    let err = match Vocabulary::from_file(path) {
        Ok(vocab) => panic!("{} loaded: {vocab:?}", path.display()),
        Err(err) => err,
    };
    assert_eq!(err.kind(), kind, "{}: {err}", path.display());
    assert_eq!(err.kind().code(), kind.code());
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(err.to_string().contains(name), "message does not name the file: {err}");
    err
}

#[test]
fn missing_file() {
    let dir = scratch("missing_file");
    let err = expect_error(&dir.join("no-such.tokenizer.json"), ErrorKind::Io);
    assert_eq!(err.kind().code(), "io");
    let source = std::error::Error::source(&err).expect("the io error is the source");
    assert!(source.to_string().contains("No such file"), "{source}");
}

#[test]
fn directory() {
    let dir = scratch("directory");
    let sub = dir.join("a-directory.json");
    std::fs::create_dir_all(&sub).unwrap();
    expect_error(&sub, ErrorKind::Io);
}

#[test]
fn empty_file() {
    let dir = scratch("empty_file");
    let err = expect_error(&write(&dir, "empty.json", ""), ErrorKind::Tokenizer);
    assert_eq!(err.kind().code(), "tokenizer");
}

#[test]
fn not_json() {
    let dir = scratch("not_json");
    expect_error(&write(&dir, "binary.json", [0xff, 0xfe, 0, 1, 2]), ErrorKind::Tokenizer);
    expect_error(&write(&dir, "text.json", "hello, world"), ErrorKind::Tokenizer);
}

#[test]
fn truncated_json() {
    let dir = scratch("truncated_json");
    let full = std::fs::read(maskwell_test::fixture(maskwell_test::BYTELEVEL300)).unwrap();
    // Cut at many places, including inside multi-byte characters.
    let step = full.len() / 97;
    for cut in (1..full.len() - 2).step_by(step).chain([1, full.len() / 2, full.len() - 3]) {
        let path = write(&dir, "truncated.tokenizer.json", &full[..cut]);
        expect_error(&path, ErrorKind::Tokenizer);
    }
}

#[test]
fn json_that_is_not_a_tokenizer() {
    let dir = scratch("json_that_is_not_a_tokenizer");
    for (i, value) in [
        json!({"hello": 1}),
        json!([1, 2, 3]),
        json!("tokenizer"),
        json!(null),
        json!({"version": "1.0", "model": {"type": "NoSuchModel"}}),
        json!({"version": "1.0", "added_tokens": [], "model": {"type": "BPE", "vocab": 7, "merges": []}}),
    ]
    .iter()
    .enumerate()
    {
        let path = write(&dir, &format!("not-a-tokenizer-{i}.json"), value.to_string());
        expect_error(&path, ErrorKind::Tokenizer);
    }
}

fn wordpiece(decoder: Value) -> Value {
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [
            {"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
        ],
        "normalizer": null,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": null,
        "decoder": decoder,
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {"[UNK]": 0, "</s>": 1, "a": 2, "##b": 3, "ab": 4}
        }
    })
}

#[test]
fn unsupported_decoder() {
    let dir = scratch("unsupported_decoder");
    let path = write(
        &dir,
        "wordpiece.tokenizer.json",
        wordpiece(json!({"type": "WordPiece", "prefix": "##", "cleanup": true})).to_string(),
    );
    let err = expect_error(&path, ErrorKind::UnsupportedDecoder);
    assert!(err.to_string().contains("WordPiece"), "{err}");
    assert_eq!(err.kind().code(), "unsupported_decoder");

    // Inside a sequence too.
    let path = write(
        &dir,
        "sequence.tokenizer.json",
        wordpiece(json!({"type": "Sequence", "decoders": [
            {"type": "Fuse"},
            {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true}
        ]}))
        .to_string(),
    );
    let err = expect_error(&path, ErrorKind::UnsupportedDecoder);
    assert!(err.to_string().contains("CTC"), "{err}");
}

#[test]
fn no_decoder_means_plain_text_tokens() {
    let dir = scratch("no_decoder");
    let path = write(&dir, "plain.tokenizer.json", wordpiece(Value::Null).to_string());
    let vocab = Vocabulary::from_file(&path).unwrap();
    assert_eq!(vocab.width(), 5);
    assert_eq!(vocab.token_bytes(TokenId::new(3)), Some(&b"##b"[..]));
    assert_eq!(vocab.eos(), &[TokenId::new(1)]);
}

#[test]
fn byte_level_token_outside_the_alphabet() {
    let dir = scratch("byte_level_token_outside_the_alphabet");
    for (i, bad) in ["x€y", "a b", "tab\t", "\u{100}\u{144}"].iter().enumerate() {
        let mut value = bytelevel300();
        value["model"]["vocab"][*bad] = json!(303);
        let path = write(&dir, &format!("bad-char-{i}.tokenizer.json"), value.to_string());
        let err = expect_error(&path, ErrorKind::BadToken);
        let message = err.to_string();
        assert!(message.contains("token 303"), "{message}");
        assert!(message.contains("outside the byte-level alphabet"), "{message}");
        assert_eq!(err.kind().code(), "bad_token");
    }
    // The last character of the alphabet (U+0143 for byte 0xAD) is fine.
    let mut value = bytelevel300();
    value["model"]["vocab"]["\u{143}"] = json!(303);
    let path = write(&dir, "alphabet-edge.tokenizer.json", value.to_string());
    let vocab = Vocabulary::from_file(&path).unwrap();
    assert_eq!(vocab.token_bytes(TokenId::new(303)), Some(&[0xad][..]));
}

#[test]
fn added_tokens_are_literal_text_whatever_the_alphabet() {
    // DeepSeek-style special tokens use fullwidth bars and `▁`, and some tokenizers add
    // whitespace tokens: none is written in the byte-level alphabet.
    let dir = scratch("added_tokens_are_literal_text");
    let mut value = bytelevel300();
    let added = value["added_tokens"].as_array_mut().unwrap();
    for (id, content, special) in [
        (303, "<｜begin▁of▁sentence｜>", true),
        (304, "<｜end▁of▁sentence｜>", true),
        (305, "  \n", false),
    ] {
        added.push(json!({"id": id, "content": content, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": false, "special": special}));
    }
    let path = write(&dir, "deepseek-like.tokenizer.json", value.to_string());
    let vocab =
        Vocabulary::builder().stop_tokens([TokenId::new(304)]).build_from_file(&path).unwrap();
    assert_eq!(vocab.width(), 306);
    assert_eq!(vocab.kind(TokenId::new(303)), Some(TokenKind::Special));
    assert_eq!(vocab.token_bytes(TokenId::new(303)), Some("<｜begin▁of▁sentence｜>".as_bytes()));
    assert_eq!(vocab.kind(TokenId::new(304)), Some(TokenKind::Eos));
    assert_eq!(vocab.kind(TokenId::new(305)), Some(TokenKind::Text));
    assert_eq!(vocab.token_bytes(TokenId::new(305)), Some(&b"  \n"[..]));

    // The same when the added tokens are also in the model vocabulary.
    let vocab_map = value["model"]["vocab"].as_object_mut().unwrap();
    vocab_map.insert("<｜begin▁of▁sentence｜>".into(), json!(303));
    vocab_map.insert("<｜end▁of▁sentence｜>".into(), json!(304));
    let path = write(&dir, "deepseek-like-in-vocab.tokenizer.json", value.to_string());
    let vocab =
        Vocabulary::builder().stop_tokens([TokenId::new(304)]).build_from_file(&path).unwrap();
    assert_eq!(vocab.token_bytes(TokenId::new(304)), Some("<｜end▁of▁sentence｜>".as_bytes()));
}

#[test]
fn no_end_of_sequence_token() {
    let dir = scratch("no_end_of_sequence_token");
    let mut value = bytelevel300();
    value["added_tokens"] = json!([]);
    let path = write(&dir, "no-eos.tokenizer.json", value.to_string());
    let err = Vocabulary::from_file(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoEos);
    assert_eq!(err.kind().code(), "no_eos");
    // Given explicitly, it loads.
    let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_file(&path).unwrap();
    assert_eq!(vocab.eos(), &[TokenId::new(0)]);
}

#[test]
fn builder_errors_on_a_file() {
    let path = maskwell_test::fixture(maskwell_test::BYTELEVEL300);
    let err = Vocabulary::builder().eos([TokenId::new(303)]).build_from_file(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IdOutOfRange);
    let err =
        Vocabulary::builder().special([TokenId::new(u32::MAX)]).build_from_file(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IdOutOfRange);
    let err = Vocabulary::builder().width(302).build_from_file(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WidthTooSmall);
    assert!(err.to_string().contains("303"), "{err}");
    let err = Vocabulary::builder().width(usize::MAX).build_from_file(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
}

#[test]
fn huge_ids_are_refused_without_allocating() {
    let dir = scratch("huge_ids");
    for (i, id) in [u64::from(u32::MAX), 1 << 24, 1 << 30].into_iter().enumerate() {
        let mut value = bytelevel300();
        value["model"]["vocab"]["Ġhuge"] = json!(id);
        let path = write(&dir, &format!("huge-model-id-{i}.tokenizer.json"), value.to_string());
        let err = Vocabulary::from_file(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    }
    // An added token's written id counts only when the model vocabulary holds its text;
    // otherwise the tokenizer hands out the next free id, so a huge one is harmless.
    let mut value = bytelevel300();
    value["added_tokens"].as_array_mut().unwrap().push(json!({"id": u32::MAX, "content": "<|end|>",
        "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}));
    let path = write(&dir, "huge-added-id.tokenizer.json", value.to_string());
    let vocab = Vocabulary::from_file(&path).unwrap();
    assert_eq!(vocab.width(), 304);
    assert_eq!(vocab.kind(TokenId::new(303)), Some(TokenKind::Eos));
}

/// Edits of a valid file in many places: whatever happens, an error value or a vocabulary,
/// never a panic.
#[test]
fn mutated_files_never_panic() {
    let dir = scratch("mutated_files_never_panic");
    let full = std::fs::read(maskwell_test::fixture(maskwell_test::BYTELEVEL300)).unwrap();
    let replacements: &[&[u8]] =
        &[b"", b"\"", b"{", b"]", b"null", b"-1", b"1e999", b"\\u0000", b"\xff"];
    let mut outcomes = [0usize; 2];
    for (n, at) in (0..full.len()).step_by(full.len() / 61).enumerate() {
        let replacement = replacements[n % replacements.len()];
        let mut bytes = full[..at].to_vec();
        bytes.extend_from_slice(replacement);
        bytes.extend_from_slice(&full[(at + 1).min(full.len())..]);
        let path = write(&dir, "mutated.tokenizer.json", &bytes);
        let result = std::panic::catch_unwind(|| Vocabulary::from_file(&path).map(|v| v.width()));
        let result = result.unwrap_or_else(|_| panic!("panicked on an edit at byte {at}"));
        outcomes[usize::from(result.is_ok())] += 1;
    }
    assert!(outcomes[0] > 0, "{outcomes:?}");
}
