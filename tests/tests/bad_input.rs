//! Bad input of every kind gives an error that says what and where; nothing panics.

use std::sync::Arc;

use maskwell::{Config, Guide, Index, TokenId, Vocabulary};
use xxhash_rust::xxh3::xxh3_64;

fn vocab() -> Vocabulary {
    Vocabulary::builder()
        .eos([TokenId::new(0)])
        .build_from_tokens(["</s>", "{", "}", "\"", "a", "b", ":", "1", "12", "\"a\""])
        .unwrap()
}

const REGEX: &str = r#"\{"[ab]{1,3}":(1|12)\}"#;

#[test]
fn malformed_regexes_name_the_byte() {
    for (regex, message) in [
        ("ab(c", "invalid regex: unclosed group at byte 2"),
        (
            "a{3,1}",
            "invalid regex: invalid repetition count range, the start must be <= the end at byte 1",
        ),
        (
            r"[z-a]",
            "invalid regex: invalid character class range, the start must be <= the end at byte 1",
        ),
        (r"\p{NoSuchClass}", "invalid regex: Unicode property not found at byte 0"),
    ] {
        let err = Index::new(regex, &vocab()).unwrap_err();
        assert_eq!(err.to_string(), message);
        assert_eq!(err.kind().code(), "regex");
    }
    let err = Index::new(r"a(?=b)", &vocab()).unwrap_err();
    assert_eq!(err.kind().code(), "regex", "{err}");
}

#[test]
fn limits_are_errors_that_name_the_setting() {
    let err = Index::builder()
        .configure(Config::new().dfa_size_limit(4096))
        .build("[a-z]*a[a-z]{12}", &vocab())
        .unwrap_err();
    assert_eq!(err.kind().code(), "limit");
    assert!(err.to_string().contains("dfa_size_limit"), "{err}");
    let err = Index::builder()
        .configure(Config::new().max_index_states(2))
        .build(REGEX, &vocab())
        .unwrap_err();
    assert!(err.to_string().contains("max_index_states"), "{err}");
    let err = Index::builder()
        .configure(Config::new().index_size_limit(16))
        .build(REGEX, &vocab())
        .unwrap_err();
    assert!(err.to_string().contains("index_size_limit"), "{err}");
    // An eager walk that runs out of time stops with the limit named, lazy or not.
    let out_of_time = Config::new().time_limit(Some(std::time::Duration::ZERO));
    let err = Index::builder().configure(out_of_time.clone()).build(REGEX, &vocab()).unwrap_err();
    assert_eq!(err.kind().code(), "limit");
    assert!(err.to_string().contains("time_limit"), "{err}");
    let roomy = Config::new().time_limit(Some(std::time::Duration::from_secs(600)));
    let index = Index::builder().configure(roomy).build(REGEX, &vocab()).unwrap();
    assert_eq!(index, Index::new(REGEX, &vocab()).unwrap());
    // A huge counted repetition stops at the NFA limit instead of exhausting memory.
    let err = Index::new("(?:[a-z]{1000}){1000}", &vocab()).unwrap_err();
    assert!(err.to_string().contains("nfa_size_limit"), "{err}");
}

#[test]
fn languages_the_vocabulary_cannot_write() {
    let err = Index::new("xyz", &vocab()).unwrap_err();
    assert_eq!(err.kind().code(), "inexpressible");
    assert!(err.to_string().contains("no token starts with 'x'"), "{err}");
    // One branch is writable, the other needs a byte no token has: the dead branch is pruned.
    let index = Index::new(r#"\{"a":1\}|\{"a":1x"#, &vocab()).unwrap();
    let mut guide = Guide::new(Arc::new(index));
    for t in [1, 9, 6, 7, 2, 0] {
        guide.advance(TokenId::new(t)).unwrap();
    }
    assert!(guide.is_finished());
}

#[test]
fn token_ids_out_of_range_are_errors() {
    let index = Arc::new(Index::new(REGEX, &vocab()).unwrap());
    let mut guide = Guide::new(index.clone());
    for id in [10, 11, 1 << 20, u32::MAX] {
        let err = guide.advance(TokenId::new(id)).unwrap_err();
        assert_eq!(err.kind().code(), "token_out_of_range", "{err}");
    }
    assert_eq!(guide.validate_tokens(&[TokenId::new(1), TokenId::new(u32::MAX)]), 1);
    let err = guide.fill_bitmask(&mut [0u32; 2]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bitmask buffer has 2 words, expected 1 for a vocabulary of width 10"
    );
    assert_eq!(guide.rollback(1).unwrap_err().kind().code(), "rollback");
    assert_eq!(guide.num_tokens(), 0);
}

/// Rewrites the checksum after editing the payload, to reach the structural checks.
fn reseal(bytes: &mut [u8]) {
    let sum = xxh3_64(&bytes[32..]);
    bytes[24..32].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn corrupt_and_mismatched_index_files() {
    let vocab = vocab();
    let good = Index::new(REGEX, &vocab).unwrap().to_bytes().unwrap();
    let code = |bytes: &[u8]| {
        Index::from_bytes(bytes, &vocab).map(|_| ()).map_err(|e| (e.kind().code(), e.to_string()))
    };

    assert_eq!(code(b"").unwrap_err().1, "<memory>: not a maskwell index file (bad magic number)");
    assert!(code(b"{\"not\": \"an index\"}").unwrap_err().1.contains("bad magic"));
    for len in [8, 20, 31, 32, 40, good.len() / 2, good.len() - 1] {
        let (kind, message) = code(&good[..len]).unwrap_err();
        assert_eq!(kind, "bad_file");
        assert!(message.contains("truncated"), "{len}: {message}");
    }
    let mut padded = good.clone();
    padded.push(0);
    assert!(code(&padded).unwrap_err().1.contains("truncated or padded"));

    let mut version = good.clone();
    version[8] = 9;
    assert!(code(&version).unwrap_err().1.contains("version 9 is not supported"));

    for at in [32, 40, 60, good.len() - 1] {
        let mut flipped = good.clone();
        flipped[at] ^= 0x40;
        assert!(code(&flipped).unwrap_err().1.contains("checksum mismatch"), "byte {at}");
    }

    // Every single-byte change that keeps a valid checksum is either harmless or refused.
    for at in 32..good.len() {
        for delta in [1u8, 0x80] {
            let mut edited = good.clone();
            edited[at] = edited[at].wrapping_add(delta);
            reseal(&mut edited);
            if let Ok(index) = Index::from_bytes(&edited, &vocab) {
                exercise(Arc::new(index));
            }
        }
    }

    let other = Vocabulary::builder()
        .eos([TokenId::new(0)])
        .build_from_tokens(["</s>", "{", "}", "\"", "b", "a", ":", "1", "12", "\"a\""])
        .unwrap();
    let (kind, message) = Index::from_bytes(&good, &other)
        .map(|_| ())
        .map_err(|e| (e.kind().code(), e.to_string()))
        .unwrap_err();
    assert_eq!(kind, "vocabulary_mismatch");
    assert!(
        message.contains(&vocab.fingerprint().to_string())
            && message.contains(&other.fingerprint().to_string()),
        "{message}"
    );
}

/// Drives a guide over every token from every reachable state: a loaded index must never panic.
fn exercise(index: Arc<Index>) {
    let mut guide = Guide::new(index.clone());
    let mut mask = vec![0u32; index.words()];
    for _ in 0..8 {
        guide.fill_bitmask(&mut mask).unwrap();
        let allowed = guide.allowed_ids().to_vec();
        for t in 0..index.width() as u32 + 1 {
            let _ = guide.validate_tokens(&[TokenId::new(t)]);
        }
        match allowed.first() {
            Some(&t) if !guide.is_finished() => {
                guide.advance(TokenId::new(t)).unwrap();
            }
            _ => break,
        }
    }
}

#[test]
fn index_files_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let vocab = vocab();
    let index = Index::new(REGEX, &vocab).unwrap();
    let path = dir.path().join("x.mwi");
    index.save(&path).unwrap();
    assert_eq!(Index::load(&path, &vocab).unwrap(), index);
    // Only the file itself is left behind: the temporary file was renamed into place.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let missing = dir.path().join("missing.mwi");
    let err = Index::load(&missing, &vocab).unwrap_err();
    assert_eq!(err.kind().code(), "io");
    assert!(err.to_string().contains("missing.mwi"), "{err}");
    let err = Index::load(dir.path(), &vocab).unwrap_err();
    assert_eq!(err.kind().code(), "io");
    let err = index.save(dir.path().join("no/such/dir/x.mwi")).unwrap_err();
    assert_eq!(err.kind().code(), "io");
    std::fs::write(&path, b"garbage").unwrap();
    let err = Index::load(&path, &vocab).unwrap_err();
    assert!(err.to_string().starts_with(&path.display().to_string()), "{err}");
}
