//! Arbitrary regexes through the index builder.

use std::sync::Arc;
use std::time::Duration;

use maskwell_index::{BuildMode, Config, Guide, Index};
use maskwell_vocab::{TokenId, Vocabulary};

use crate::vocab;

/// Limits small enough that one input builds in milliseconds, and no parallelism (the
/// fuzzer runs one input at a time; a panic on a worker thread would be reported the same).
pub(crate) fn small_index_config() -> Config {
    Config::new()
        .regex_len_limit(4096)
        .nest_limit(256)
        .nfa_size_limit(1 << 20)
        .dfa_size_limit(512 << 10)
        .determinize_size_limit(512 << 10)
        .max_dfa_states(1_000)
        .max_index_states(1_000)
        .index_size_limit(4 << 20)
        .minimize_limit(300)
        .parallel(false)
        .time_limit(Some(Duration::from_millis(200)))
}

/// Builds an index of the input, read as a regex (invalid UTF-8 replaced), over a small
/// vocabulary, and checks that building never panics and that a lazy build allows exactly
/// what the eager build allows.
///
/// Errors (bad syntax, limits, an inexpressible language) are expected. The input's
/// length picks the vocabulary: the tiny one (partly expressible languages, eager only) or
/// the one with every byte (lazy builds stay lazy). When the eager build succeeds, the lazy
/// build of the same regex is walked in lockstep with it along a path chosen by the input,
/// comparing the allowed tokens, acceptance and forced bytes at every step, and the eager
/// index must survive a round trip through its file format.
pub fn regex_path(data: &[u8]) {
    let pattern = String::from_utf8_lossy(data);
    let vocab = vocab::pick(data.len() % 2 == 1);
    let Ok(eager) = build(&pattern, vocab, BuildMode::Eager) else { return };
    let eager = Arc::new(eager);
    check_round_trip(&eager, vocab);
    let Ok(lazy) = build(&pattern, vocab, BuildMode::Lazy) else { return };
    walk_in_lockstep(eager, Arc::new(lazy), data);
}

fn build(
    pattern: &str,
    vocab: &Vocabulary,
    mode: BuildMode,
) -> Result<Index, maskwell_index::Error> {
    Index::builder().configure(small_index_config().build_mode(mode)).build(pattern, vocab)
}

fn check_round_trip(index: &Index, vocab: &Vocabulary) {
    let bytes = index.to_bytes().expect("an eager index serializes");
    let loaded = Index::from_bytes(&bytes, vocab).expect("a written index loads");
    assert!(loaded == *index, "the index changed through its file format");
}

/// Walks both guides along the same tokens (chosen by `path` among the allowed ones) and
/// asserts they agree at every step.
fn walk_in_lockstep(eager: Arc<Index>, lazy: Arc<Index>, path: &[u8]) {
    let mut a = Guide::new(eager.clone());
    let mut b = Guide::new(lazy);
    let mut mask_a = vec![0u32; eager.words()];
    let mut mask_b = mask_a.clone();
    for &choice in path.iter().take(32) {
        assert_eq!(a.allowed_ids(), b.allowed_ids(), "eager and lazy allow different tokens");
        assert_eq!(a.is_accepting(), b.is_accepting());
        assert_eq!(a.forced_bytes(), b.forced_bytes());
        let filled = b.fill_bitmask(&mut mask_b);
        if filled.is_err() {
            // A lazy state hit a limit of the lazy automaton; the eager build did not.
            return;
        }
        a.fill_bitmask(&mut mask_a).expect("the mask has the index's width");
        assert_eq!(mask_a, mask_b, "eager and lazy masks differ");
        let allowed = a.allowed_ids();
        if a.is_finished() || allowed.is_empty() {
            return;
        }
        let token = TokenId::new(allowed[usize::from(choice) % allowed.len()]);
        a.advance(token).expect("an allowed token is accepted");
        match b.advance(token) {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.kind(), maskwell_index::ErrorKind::StateLimit, "lazy refused {token}");
                return;
            }
        }
    }
}
