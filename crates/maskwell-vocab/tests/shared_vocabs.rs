//! The real tokenizers of the shared data folder (`../shared/vocab/`, or
//! `$MASKWELL_SHARED/vocab/`), checked against the facts `index.json` records. Each test
//! skips with a printed reason when the folder is absent.
//!
//! One test per file, so they run in parallel and a failure names the file; a new file in
//! `index.json` needs a line in `shared_files!` ([`index_lists_only_tested_files`] checks).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use maskwell_test::{SharedVocab, TokenBytes, VocabKind};
use maskwell_vocab::{TokenId, TokenKind, Vocabulary};

/// Loads each file's vocabulary once per test binary, whichever test asks first.
fn vocabulary(entry: &SharedVocab) -> Arc<Vocabulary> {
    type Cache = Mutex<HashMap<String, Arc<OnceLock<Arc<Vocabulary>>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cell = CACHE
        .get_or_init(Cache::default)
        .lock()
        .unwrap()
        .entry(entry.file.clone())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let vocab =
            Vocabulary::from_file(&entry.path).unwrap_or_else(|e| panic!("{}: {e}", entry.file));
        Arc::new(vocab)
    })
    .clone()
}

/// The `index.json` entry for `file`, or `None` (after saying why) when the shared folder or
/// the entry is absent.
fn entry(file: &str) -> Option<SharedVocab> {
    maskwell_test::shared_dir_or_skip(file)?;
    let found = maskwell_test::shared_vocabs().into_iter().find(|v| v.file == file);
    if found.is_none() {
        eprintln!("skipping: {file} is not listed in the shared vocab/index.json");
    }
    found
}

fn bytes_of(vocab: &Vocabulary, ids: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    for &id in ids {
        out.extend_from_slice(vocab.token_bytes(TokenId::new(id)).expect("id within the width"));
    }
    out
}

/// Everything checked on one file.
fn check(file: &str) {
    let Some(entry) = entry(file) else { return };
    let tokenizer = maskwell_test::load_tokenizer(&entry.path);
    let vocab = vocabulary(&entry);
    let reader = TokenBytes::new(&tokenizer);
    let kind =
        reader.kind().unwrap_or_else(|| panic!("{file}: neither byte-level nor SentencePiece"));

    // Width is the largest id + 1, however many entries there are.
    assert_eq!(vocab.width(), entry.width, "{file}: width");
    assert_eq!(vocab.source(), file);
    let used = (0..vocab.width() as u32)
        .filter(|&i| vocab.kind(TokenId::new(i)) != Some(TokenKind::Absent))
        .count();
    assert_eq!(used, entry.entries, "{file}: ids in use");

    // The end-of-sequence set detected by default is the one index.json lists.
    let mut eos = entry.eos_ids.clone();
    eos.sort_unstable();
    assert_eq!(vocab.eos().iter().map(|id| id.as_u32()).collect::<Vec<_>>(), eos, "{file}: eos");

    // Kinds: added special tokens are special (or end-of-sequence), the rest is text, and
    // every id's bytes agree with the harness's independent reading of the tokenizer.
    let added = tokenizer.get_added_tokens_decoder();
    for i in 0..vocab.width() as u32 {
        let id = TokenId::new(i);
        let got = vocab.kind(id).unwrap();
        let want = match added.get(&i) {
            _ if eos.contains(&i) => TokenKind::Eos,
            Some(token) if token.special => TokenKind::Special,
            Some(_) => TokenKind::Text,
            None if tokenizer.id_to_token(i).is_some() => TokenKind::Text,
            None => TokenKind::Absent,
        };
        assert_eq!(got, want, "{file}: kind of id {i}");
        match reader.bytes(i) {
            Some(bytes) => {
                assert_eq!(vocab.token_bytes(id), Some(bytes.as_slice()), "{file}: bytes of id {i}")
            }
            None => {
                assert_eq!(vocab.token_bytes(id), Some(&[][..]), "{file}: bytes of absent id {i}")
            }
        }
    }
    if let Some(bos) = entry.bos_id {
        assert_eq!(vocab.kind(TokenId::new(bos)), Some(TokenKind::Special), "{file}: BOS");
    }

    // Every byte is emitted by a single text token.
    let mut by_byte: Vec<Vec<u32>> = vec![Vec::new(); 256];
    for (id, bytes) in vocab.text_tokens() {
        if let [b] = bytes {
            by_byte[*b as usize].push(id.as_u32());
        }
    }
    for (b, ids) in by_byte.iter().enumerate() {
        match kind {
            VocabKind::ByteLevel => assert_eq!(ids.len(), 1, "{file}: byte {b:#04x}: {ids:?}"),
            VocabKind::SentencePiece => {
                let fallback = tokenizer.token_to_id(&format!("<0x{b:02X}>")).unwrap();
                assert!(ids.contains(&fallback), "{file}: byte {b:#04x}: {ids:?}");
            }
        }
    }

    // Round trips: as a continuation, exact; as a prompt, with SentencePiece's dummy-prefix
    // space in front. Text is compared in the tokenizer's Unicode normal form (NFC for Qwen).
    for item in maskwell_test::corpus() {
        let text = maskwell_test::unicode_normalize(&tokenizer, &item.text);
        let ids = maskwell_test::encode_continuation(&tokenizer, &text)
            .unwrap_or_else(|| panic!("{file}: {}: no exact encoding", item.name));
        assert_eq!(bytes_of(&vocab, &ids), text.as_bytes(), "{file}: {}", item.name);
        assert!(
            ids.iter().all(|&id| vocab.kind(TokenId::new(id)) == Some(TokenKind::Text)),
            "{file}: {}: a non-text token",
            item.name
        );
        let plain = tokenizer.encode_fast(item.text.as_str(), false).unwrap();
        let mut want = text.into_bytes();
        if kind == VocabKind::SentencePiece && !want.is_empty() {
            want.insert(0, b' ');
        }
        assert_eq!(
            bytes_of(&vocab, plain.get_ids()),
            want,
            "{file}: {} (plain encoding)",
            item.name
        );
    }

    // The fingerprint is the same for a second, independent load.
    let again = Vocabulary::builder().build_from_tokenizer(&tokenizer).unwrap();
    assert_eq!(again.fingerprint(), vocab.fingerprint(), "{file}: fingerprint");
}

macro_rules! shared_files {
    ($($test:ident => $file:literal,)*) => {
        const TESTED_FILES: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                check($file);
            }
        )*
    };
}

shared_files! {
    llama3 => "llama3.tokenizer.json",
    qwen3 => "qwen3.tokenizer.json",
    o200k_base => "o200k_base.tokenizer.json",
    mistral_tekken_240718 => "mistral_tekken_240718.tokenizer.json",
    mistral_sp32000_v1 => "mistral_sp32000_v1.tokenizer.json",
    mistral_sp32768_v3 => "mistral_sp32768_v3.tokenizer.json",
}

#[test]
fn index_lists_only_tested_files() {
    maskwell_test::require_shared!();
    let listed: Vec<String> = maskwell_test::shared_vocabs().into_iter().map(|v| v.file).collect();
    assert!(!listed.is_empty());
    for file in &listed {
        assert!(
            TESTED_FILES.contains(&file.as_str()),
            "{file} has no test: add it to shared_files!"
        );
    }
}

#[test]
fn o200k_gaps_are_absent() {
    let Some(entry) = entry("o200k_base.tokenizer.json") else { return };
    let vocab = vocabulary(&entry);
    assert_eq!(vocab.width(), 200_019);
    for i in std::iter::once(199_998).chain(200_000..=200_017) {
        let id = TokenId::new(i);
        assert_eq!(vocab.kind(id), Some(TokenKind::Absent), "id {i}");
        assert_eq!(vocab.token_bytes(id), Some(&[][..]), "id {i}");
        assert!(!vocab.text_tokens().any(|(t, _)| t == id));
    }
    assert_eq!(vocab.kind(TokenId::new(199_999)), Some(TokenKind::Eos));
    assert_eq!(vocab.token_bytes(TokenId::new(199_999)), Some(&b"<|endoftext|>"[..]));
    assert_eq!(vocab.kind(TokenId::new(200_018)), Some(TokenKind::Special));
    assert_eq!(vocab.token_bytes(TokenId::new(200_018)), Some(&b"<|endofprompt|>"[..]));
    assert_eq!(vocab.kind(TokenId::new(200_019)), None);
}

#[test]
fn sentencepiece_v3_user_defined_pieces_are_text() {
    let Some(entry) = entry("mistral_sp32768_v3.tokenizer.json") else { return };
    let vocab = vocabulary(&entry);
    // `[REFERENCE_DOC_19]`..`[REFERENCE_DOC_0]` are non-special added tokens, ids 751..=770;
    // the byte tokens are 771..=1026.
    for i in 751..=770 {
        assert_eq!(vocab.kind(TokenId::new(i)), Some(TokenKind::Text));
        let text = format!("[REFERENCE_DOC_{}]", 770 - i);
        assert_eq!(vocab.token_bytes(TokenId::new(i)), Some(text.as_bytes()));
    }
    assert_eq!(vocab.token_bytes(TokenId::new(771)), Some(&[0u8][..]));
    assert_eq!(vocab.token_bytes(TokenId::new(1026)), Some(&[0xffu8][..]));
    assert_eq!(vocab.kind(TokenId::new(3)), Some(TokenKind::Special));
}

#[test]
fn fingerprints_differ_between_files() {
    maskwell_test::require_shared!();
    let mut seen = HashMap::new();
    for entry in maskwell_test::shared_vocabs() {
        let fingerprint = vocabulary(&entry).fingerprint();
        if let Some(other) = seen.insert(fingerprint, entry.file.clone()) {
            panic!("{} and {other} have the same fingerprint {fingerprint}", entry.file);
        }
    }
    // And differ from the fixtures' (sp32000 is a copy of mistral_sp32000_v1: the same).
    let fixtures: HashSet<_> = maskwell_test::FIXTURES
        .iter()
        .map(|f| {
            (f.file, Vocabulary::from_file(maskwell_test::fixture(f.file)).unwrap().fingerprint())
        })
        .collect();
    for (file, fingerprint) in fixtures {
        let same = seen.get(&fingerprint).map(String::as_str);
        let want = (file == maskwell_test::SP32000).then_some("mistral_sp32000_v1.tokenizer.json");
        assert_eq!(same, want, "{file}");
    }
}

#[test]
fn index_json_facts() {
    maskwell_test::require_shared!();
    let vocabs = maskwell_test::shared_vocabs();
    let llama = vocabs.iter().find(|v| v.file == "llama3.tokenizer.json").unwrap();
    assert_eq!(llama.eos_ids, [128_001, 128_008, 128_009]);
    assert_eq!(llama.bos_id, Some(128_000));
    assert_eq!(llama.width, 128_256);
    let o200k = vocabs.iter().find(|v| v.file == "o200k_base.tokenizer.json").unwrap();
    assert_eq!((o200k.width, o200k.entries, o200k.bos_id), (200_019, 200_000, None));
    for v in &vocabs {
        assert!(v.path.is_file(), "{}", v.path.display());
        assert_eq!(v.sha256.len(), 64);
    }
}
