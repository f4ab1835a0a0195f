//! Guide snapshots: a snapshot taken anywhere on a walk restores the same position, through
//! the same index or another build of the same regex; anything else is a typed error.

use std::sync::Arc;

use maskwell_index::{BuildMode, Builder, Config, Error, Guide, Index, Snapshot, SNAPSHOT_FORMAT};
use maskwell_vocab::{TokenId, Vocabulary};

const REGEX: &str = r#"\{"[ab]{1,4}": (1|12|2)\}"#;

fn vocab() -> Vocabulary {
    let mut tokens: Vec<Vec<u8>> = vec![b"</s>".to_vec()];
    tokens.extend((0..=255u8).map(|b| vec![b]));
    for t in ["{\"", "\": ", "ab", "12", "}"] {
        tokens.push(t.as_bytes().to_vec());
    }
    Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(tokens).unwrap()
}

fn build(mode: BuildMode, regex: &str, vocab: &Vocabulary) -> Arc<Index> {
    Arc::new(Builder::new().configure(Config::new().build_mode(mode)).build(regex, vocab).unwrap())
}

#[test]
fn snapshots_restore_the_position_in_any_build() {
    let vocab = vocab();
    let eager = build(BuildMode::Eager, REGEX, &vocab);
    let lazy = build(BuildMode::Lazy, REGEX, &vocab);
    for seed in 1..20u64 {
        let mut rng = maskwell_test::XorShift::new(seed);
        let mut guide = Guide::new(eager.clone());
        loop {
            let text = guide.snapshot().to_json();
            let snapshot = Snapshot::from_json(&text).unwrap();
            assert_eq!(snapshot, guide.snapshot());
            assert_eq!(snapshot.format, SNAPSHOT_FORMAT);
            for index in [&eager, &lazy] {
                let restored = Guide::restore(index.clone(), &snapshot).unwrap();
                assert_eq!(restored.tokens(), guide.tokens());
                assert_eq!(restored.allowed_ids(), guide.allowed_ids());
                assert_eq!(restored.is_accepting(), guide.is_accepting());
                assert_eq!(restored.is_finished(), guide.is_finished());
            }
            if guide.is_finished() {
                assert!(snapshot.finished && snapshot.state.is_none());
                break;
            }
            guide.advance(TokenId::new(rng.pick(guide.allowed_ids()))).unwrap();
        }
    }
}

#[test]
fn snapshots_that_do_not_fit_are_errors() {
    let vocab = vocab();
    let index = build(BuildMode::Eager, REGEX, &vocab);
    let mut guide = Guide::new(index.clone());
    guide.advance(TokenId::new(257)).unwrap(); // {"
    let snapshot = guide.snapshot();

    // Another regex over the same vocabulary.
    let other = build(BuildMode::Eager, r#"\{"[ab]+": 1\}"#, &vocab);
    let err = Guide::restore(other, &snapshot).unwrap_err();
    assert_eq!(err.kind().code(), "snapshot");
    assert!(err.to_string().contains("another regex"), "{err}");

    // Another vocabulary.
    let small = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "a"]);
    let small_index = Arc::new(Index::new("a+", &small.unwrap()).unwrap());
    let err = Guide::restore(small_index, &snapshot).unwrap_err();
    assert!(matches!(err, Error::VocabularyMismatch { .. }), "{err}");

    // A token the index refuses: the step and the guide's own error are kept.
    let mut refused = snapshot.clone();
    refused.tokens.push(257);
    let err = Guide::restore(index.clone(), &refused).unwrap_err();
    assert!(err.to_string().contains("step 1"), "{err}");
    let source = std::error::Error::source(&err).expect("the guide error is the source");
    assert!(source.to_string().contains("not allowed"), "{source}");

    // A claimed end that the replay does not reach.
    let mut ended = snapshot.clone();
    ended.finished = true;
    assert!(Guide::restore(index.clone(), &ended).unwrap_err().to_string().contains("ended"));

    // Not a snapshot, or another format version.
    for text in
        ["", "[]", "{\"format\": 1}", &snapshot.to_json().replace("\"format\":1", "\"format\":9")]
    {
        let err = Snapshot::from_json(text).unwrap_err();
        assert_eq!(err.kind().code(), "snapshot", "{text}: {err}");
    }
    let extra = snapshot.to_json().replacen('{', "{\"extra\":0,", 1);
    assert!(Snapshot::from_json(&extra).is_err(), "unknown fields are refused");
}
