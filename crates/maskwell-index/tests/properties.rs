//! The index agrees with a brute-force walk of every token's bytes through the automaton,
//! and the automaton agrees with regex-automata's own matcher.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use maskwell_index::{Automaton, Builder, Config, Guide, Index, StateId, Step};
use maskwell_vocab::{TokenId, Vocabulary};
use proptest::prelude::*;

mod common;
use common::regex;
use regex_automata::meta::Regex;

/// A vocabulary with EOS at id 0, the three single bytes (so every string is spellable),
/// and random multi-byte tokens, duplicates included.
fn vocabulary() -> impl Strategy<Value = Vocabulary> {
    proptest::collection::vec(
        proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'd')],
            1..5,
        ),
        0..14,
    )
    .prop_map(|extra| {
        let mut tokens: Vec<Vec<u8>> =
            vec![b"</s>".to_vec(), b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        tokens.extend(extra);
        Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(tokens).unwrap()
    })
}

/// Brute force: the allowed ids after the byte string `path`.
fn brute_allowed(automaton: &Automaton, vocab: &Vocabulary, path: &[u8]) -> Vec<u32> {
    let state = automaton.walk(automaton.start(), path).expect("path stays in the language");
    let mut allowed: Vec<u32> = vocab
        .text_tokens()
        .filter(|(_, bytes)| automaton.walk(state, bytes).is_some())
        .map(|(id, _)| id.as_u32())
        .collect();
    if automaton.is_accepting(state) {
        allowed.extend(vocab.eos().iter().map(|t| t.as_u32()));
    }
    allowed.sort_unstable();
    allowed
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn automaton_matches_regex_automata(pattern in regex(), inputs in proptest::collection::vec("[abcd]{0,7}", 20)) {
        let Ok(automaton) = Automaton::from_regex(&pattern, &Config::new()) else { return Ok(()) };
        let reference = Regex::new(&format!("^(?:{pattern})$")).unwrap();
        for input in &inputs {
            prop_assert_eq!(automaton.matches(input.as_bytes()), reference.is_match(input.as_bytes()), "{} on {:?}", pattern, input);
        }
    }

    #[test]
    fn index_equals_brute_force(pattern in regex(), vocab in vocabulary()) {
        let Ok(automaton) = Automaton::from_regex(&pattern, &Config::new()) else { return Ok(()) };
        let index = Builder::new().build(&pattern, &vocab).unwrap();
        // Visit index states breadth-first from the shortest byte path to each. Every
        // transition is checked: the state it leads to must allow exactly what brute force
        // allows after the longer path.
        let mut paths: HashMap<StateId, Vec<u8>> = HashMap::from([(index.start(), Vec::new())]);
        let mut queue = VecDeque::from([index.start()]);
        while let Some(state) = queue.pop_front() {
            let path = paths[&state].clone();
            let expected = brute_allowed(&automaton, &vocab, &path);
            prop_assert_eq!(index.allowed_ids(state), expected.as_slice(), "{} after {:?}", pattern, path);
            prop_assert_eq!(index.is_accepting(state), automaton.is_accepting(automaton.walk(automaton.start(), &path).unwrap()));
            for &token in index.allowed_ids(state) {
                match index.next(state, TokenId::new(token)).unwrap() {
                    Step::Finished => prop_assert!(vocab.is_eos(TokenId::new(token))),
                    Step::Continue(next) => {
                        let mut longer = path.clone();
                        longer.extend_from_slice(vocab.token_bytes(TokenId::new(token)).unwrap());
                        let expected = brute_allowed(&automaton, &vocab, &longer);
                        prop_assert_eq!(index.allowed_ids(next), expected.as_slice(), "{} after {:?}", pattern, longer);
                        if let std::collections::hash_map::Entry::Vacant(entry) = paths.entry(next) {
                            entry.insert(longer);
                            queue.push_back(next);
                        }
                    }
                }
            }
        }
        // Every state of the index is reachable.
        prop_assert_eq!(paths.len(), index.num_states());
    }

    #[test]
    fn mask_bits_equal_allowed_and_file_round_trips(pattern in regex(), vocab in vocabulary()) {
        let Ok(index) = Index::new(&pattern, &vocab) else { return Ok(()) };
        let mut mask = vec![0u32; index.words()];
        for s in 0..index.num_states() as u32 {
            let state = StateId::new(s);
            index.fill_bitmask(state, &mut mask).unwrap();
            let from_mask: Vec<u32> = (0..index.width() as u32).filter(|&t| mask[t as usize / 32] >> (t % 32) & 1 == 1).collect();
            prop_assert_eq!(from_mask.as_slice(), index.allowed_ids(state));
        }
        let loaded = Index::from_bytes(&index.to_bytes().unwrap(), &vocab).unwrap();
        prop_assert_eq!(&loaded, &index);
        prop_assert_eq!(loaded.to_bytes().unwrap(), index.to_bytes().unwrap());
    }

    #[test]
    fn one_thread_and_many_build_the_same_index(pattern in regex(), vocab in vocabulary()) {
        let serial = Builder::new().configure(Config::new().parallel(false)).build(&pattern, &vocab);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
        let parallel = pool.install(|| Builder::new().configure(Config::new().parallel(true)).build(&pattern, &vocab));
        match (serial, parallel) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }

    #[test]
    fn guide_operations_match_a_reference_model(pattern in regex(), vocab in vocabulary(), ops in proptest::collection::vec((0u8..4, 0u32..20), 1..40)) {
        let Ok(index) = Index::new(&pattern, &vocab) else { return Ok(()) };
        let index = Arc::new(index);
        let mut guide = Guide::new(index.clone());
        // Reference: the list of states, recomputed from the accepted tokens.
        let mut accepted: Vec<TokenId> = Vec::new();
        for (op, arg) in ops {
            match op {
                0 | 1 => {
                    let token = TokenId::new(arg % (index.width() as u32 + 2));
                    let expected = guide.validate_tokens(&[token]) == 1;
                    let result = guide.advance(token);
                    prop_assert_eq!(result.is_ok(), expected);
                    if result.is_ok() { accepted.push(token); }
                }
                2 if arg % 2 == 0 => {
                    // A batch of tokens: all accepted or none.
                    let batch: Vec<TokenId> = (0..1 + arg % 3).map(|k| TokenId::new((arg + k * 7) % (index.width() as u32 + 1))).collect();
                    let valid = guide.validate_tokens(&batch);
                    let result = guide.accept_tokens(&batch);
                    prop_assert_eq!(result.is_ok(), valid == batch.len());
                    if result.is_ok() { accepted.extend_from_slice(&batch); }
                }
                2 => {
                    let n = (arg as usize) % 4;
                    let result = guide.rollback(n);
                    prop_assert_eq!(result.is_ok(), n <= accepted.len());
                    if result.is_ok() { accepted.truncate(accepted.len() - n); }
                }
                _ => {
                    let mut replay = Guide::new(index.clone());
                    replay.accept_tokens(&accepted).unwrap();
                    prop_assert_eq!(replay.allowed_ids(), guide.allowed_ids());
                    prop_assert_eq!(replay.is_finished(), guide.is_finished());
                }
            }
            prop_assert_eq!(guide.tokens(), accepted.as_slice());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn forced_bytes_are_the_only_way_on(pattern in regex(), vocab in vocabulary(), walk in proptest::collection::vec(0usize..64, 0..6)) {
        let Ok(automaton) = Automaton::from_regex(&pattern, &Config::new()) else { return Ok(()) };
        let index = Arc::new(Index::new(&pattern, &vocab).unwrap());
        let mut guide = Guide::new(index.clone());
        let mut path = Vec::new();
        for pick in walk {
            let forced = guide.forced_bytes().to_vec();
            let state = automaton.walk(automaton.start(), &path).unwrap();
            if !forced.is_empty() {
                prop_assert!(!automaton.is_accepting(state));
                // Exactly one byte keeps a match possible after each forced prefix.
                for k in 0..forced.len() {
                    let here = automaton.walk(state, &forced[..k]).unwrap();
                    let live: Vec<u8> = (0..=255u8).filter(|&b| automaton.walk(here, &[b]).is_some()).collect();
                    prop_assert_eq!(live, vec![forced[k]]);
                }
            } else if !automaton.is_accepting(state) {
                let live = (0..=255u8).filter(|&b| automaton.walk(state, &[b]).is_some()).count();
                prop_assert!(live > 1, "{} after {:?}: a single live byte but nothing forced", pattern, path);
            }
            let allowed: Vec<u32> = guide.allowed_ids().iter().copied().filter(|&t| !vocab.is_eos(TokenId::new(t))).collect();
            if allowed.is_empty() { break; }
            let token = TokenId::new(allowed[pick % allowed.len()]);
            guide.advance(token).unwrap();
            path.extend_from_slice(vocab.token_bytes(token).unwrap());
        }
    }

    #[test]
    fn draft_rows_and_batches_equal_single_fills(pattern in regex(), vocab in vocabulary(), draft in proptest::collection::vec(0u32..20, 0..5)) {
        let Ok(index) = Index::new(&pattern, &vocab) else { return Ok(()) };
        let index = Arc::new(index);
        let words = index.words();
        let draft: Vec<TokenId> = draft.into_iter().map(TokenId::new).collect();
        let guide = Guide::new(index.clone());
        let mut rows = vec![0u32; (draft.len() + 1) * words];
        let valid = guide.fill_draft_bitmasks(&draft, &mut rows).unwrap();
        prop_assert_eq!(valid, guide.validate_tokens(&draft));
        let mut replay = Guide::new(index.clone());
        let mut guides = Vec::new();
        let mut row = vec![0u32; words];
        for i in 0..=draft.len() {
            replay.fill_bitmask(&mut row).unwrap();
            prop_assert_eq!(&rows[i * words..(i + 1) * words], row.as_slice(), "row {}", i);
            guides.push(replay.clone());
            if i < valid { replay.advance(draft[i]).unwrap(); }
        }
        let mut batch = vec![0u32; guides.len() * words];
        Guide::fill_bitmask_batch(&guides, &mut batch).unwrap();
        prop_assert_eq!(&batch, &rows);
        prop_assert!(Guide::fill_bitmask_batch(&guides, &mut batch[1..]).is_err());
    }
}
