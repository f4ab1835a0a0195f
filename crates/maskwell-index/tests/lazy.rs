//! A lazily built index answers exactly as the eager one: same tokens, same transitions (up
//! to state numbering), same accepting states and forced bytes, from one thread or many.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use maskwell_index::{BuildMode, Builder, Config, Guide, Index, StateId, Step};
use maskwell_vocab::{TokenId, Vocabulary};
use proptest::prelude::*;

mod common;
use common::regex;

/// EOS at 0, then either every single byte (lazy applies) or only `a`, `b`, `c` (a pattern
/// with `[^a]` then falls back to eager), then random multi-byte tokens.
fn vocabulary() -> impl Strategy<Value = Vocabulary> {
    (
        any::<bool>(),
        proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'd')],
                1..5,
            ),
            0..14,
        ),
    )
        .prop_map(|(all_bytes, extra)| {
            let mut tokens: Vec<Vec<u8>> = vec![b"</s>".to_vec()];
            if all_bytes {
                tokens.extend((0..=255u8).map(|b| vec![b]));
            } else {
                tokens.extend([b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
            }
            tokens.extend(extra);
            Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(tokens).unwrap()
        })
}

fn build(pattern: &str, vocab: &Vocabulary, mode: BuildMode) -> Result<Index, String> {
    Builder::new()
        .configure(Config::new().build_mode(mode).parallel(false))
        .build(pattern, vocab)
        .map_err(|e| e.to_string())
}

fn mask_of(index: &Index, state: StateId) -> Vec<u32> {
    let mut mask = vec![0u32; index.words()];
    index.fill_bitmask(state, &mut mask).unwrap();
    mask
}

/// Walks both indexes side by side from their start states, over every pair of states one
/// token sequence reaches (a lazy DFA is not minimized, so several of its states may stand
/// for one eager state); fails on the first difference.
fn assert_same_language(eager: &Index, lazy: &Index) -> Result<(), TestCaseError> {
    let mut pairs: HashSet<(StateId, StateId)> = HashSet::from([(eager.start(), lazy.start())]);
    let mut queue = VecDeque::from([(eager.start(), lazy.start())]);
    while let Some((e, l)) = queue.pop_front() {
        prop_assert_eq!(eager.allowed_ids(e), lazy.allowed_ids(l));
        prop_assert_eq!(eager.is_accepting(e), lazy.is_accepting(l));
        prop_assert_eq!(eager.forced_bytes(e), lazy.forced_bytes(l));
        prop_assert_eq!(mask_of(eager, e), mask_of(lazy, l));
        for &token in eager.allowed_ids(e) {
            let token = TokenId::new(token);
            match (eager.next(e, token).unwrap(), lazy.next(l, token).unwrap()) {
                (Step::Finished, Step::Finished) => {}
                (Step::Continue(e2), Step::Continue(l2)) => {
                    if pairs.insert((e2, l2)) {
                        queue.push_back((e2, l2));
                    }
                }
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
            }
        }
    }
    let eager_states: HashSet<StateId> = pairs.iter().map(|&(e, _)| e).collect();
    prop_assert_eq!(eager_states.len(), eager.num_states());
    Ok(())
}

/// Every single byte, then every string of one to three bytes over `a`, `b`, `c` and `"`:
/// subtrees whose bytes mostly loop inside a string, with the quote breaking them.
fn dense_vocabulary() -> Vocabulary {
    let mut tokens: Vec<Vec<u8>> = vec![b"</s>".to_vec()];
    tokens.extend((0..=255u8).map(|b| vec![b]));
    let alphabet = [b'a', b'b', b'c', b'"'];
    let mut level: Vec<Vec<u8>> = vec![Vec::new()];
    for _ in 0..3 {
        level = level
            .iter()
            .flat_map(|p| alphabet.iter().map(move |&b| [p.as_slice(), &[b]].concat()))
            .collect();
        tokens.extend(level.iter().filter(|t| t.len() > 1).cloned());
    }
    Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(tokens).unwrap()
}

/// Pieces of JSON string text that tokens are made of.
const PIECES: [&[u8]; 14] = [
    b"a",
    b"b",
    b" ",
    "é".as_bytes(),
    "€".as_bytes(),
    "\u{1F600}".as_bytes(),
    b"\"",
    b"\\",
    b"\n",
    &[0xC3],
    &[0xA9],
    &[0xE2, 0x82],
    &[0x82, 0xAC],
    &[0xF0, 0x9F],
];

/// EOS, every single byte, and tokens made of pieces of JSON string text: ASCII, two-,
/// three- and four-byte characters, characters split across tokens, quotes, escapes and
/// control bytes (what string templates must get right).
fn text_vocabulary() -> impl Strategy<Value = Vocabulary> {
    proptest::collection::vec(proptest::collection::vec(0..PIECES.len(), 1..5), 0..40).prop_map(
        |extra| {
            let mut tokens: Vec<Vec<u8>> = vec![b"</s>".to_vec()];
            tokens.extend((0..=255u8).map(|b| vec![b]));
            tokens
                .extend(extra.iter().map(|p| p.iter().flat_map(|&i| PIECES[i].to_vec()).collect()));
            Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(tokens).unwrap()
        },
    )
}

/// Every token of one or two pieces, alone beside the single bytes, under strings bounded
/// and not: a deterministic sweep of the shapes the drawn vocabularies mix (a token whose
/// characters before its quote outnumber those of every string token, a split character,
/// an escape).
#[test]
fn lazy_answers_as_eager_for_each_small_token() {
    let patterns = [
        format!("\"{CHAR}{{2}}\""),
        format!("\"{CHAR}{{0,3}}\", \"{CHAR}*\""),
        r#""[\x20\x21\x23-\x5B\x5D-\x7E]{1,2}""#.to_owned(),
        r#""[a ][ab]{0,2}""#.to_owned(),
        r#""[^a"\\\x00-\x1F]{0,3}""#.to_owned(),
        format!("\"{CHAR}*a {CHAR}*\""),
    ];
    let pieces: Vec<&[u8]> = PIECES.to_vec();
    let mut tokens: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
    for a in &pieces {
        tokens.extend(pieces.iter().map(|b| [*a, *b].concat()));
        // Two pieces, then a quote or a backslash.
        tokens.extend(pieces.iter().map(|b| [*a, *b, b"\""].concat()));
        tokens.extend(pieces.iter().map(|b| [*a, *b, b"\\"].concat()));
    }
    for token in tokens {
        let mut all: Vec<Vec<u8>> = vec![b"</s>".to_vec()];
        all.extend((0..=255u8).map(|b| vec![b]));
        all.push(token.clone());
        let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(all).unwrap();
        for pattern in &patterns {
            let eager = build(pattern, &vocab, BuildMode::Eager).unwrap();
            let lazy = build(pattern, &vocab, BuildMode::Lazy).unwrap();
            if let Err(e) = assert_same_language(&eager, &lazy) {
                panic!("{pattern} with the token {token:x?}: {e}");
            }
            // Inside each of these strings, rows come from the template, not from walks.
            assert!(lazy.stats().string_rows > 0, "{pattern}: {:?}", lazy.stats());
        }
    }
}

/// A JSON string character, as the schema compiler writes it, and narrower classes.
const CHAR: &str = r#"[^"\\\x00-\x1F]"#;
const KEY_CHAR: &str = r"[\x{20}\x{21}\x{23}-\x{5B}\x{5D}-\x{D7FF}\x{E000}-\x{10FFFF}]";

/// Strings as schemas compile them: unbounded, counted, escaped, open-object keys that
/// exclude declared names (ASCII and not), ASCII-only, with raw bytes that are not
/// characters; then more text after them.
fn string_regex() -> impl Strategy<Value = String> {
    let string = prop_oneof![
        Just(format!("\"{CHAR}*\"")),
        Just(format!(r#""(?:{CHAR}|\\["\\/bfnrt])*""#)),
        (0u8..3, 0u8..6).prop_map(|(lo, extra)| format!("\"{CHAR}{{{lo},{}}}\"", lo + extra)),
        (0u8..4).prop_map(|n| format!("\"{KEY_CHAR}{{0,{n}}}\"")),
        Just(format!(
            "\"(?:|[\\x{{20}}\\x{{21}}\\x{{23}}-\\x{{5B}}\\x{{5D}}-\\x{{60}}c-\\x{{E8}}\\x{{EA}}-\\x{{D7FF}}\\x{{E000}}-\\x{{10FFFF}}]{KEY_CHAR}*|a{KEY_CHAR}+|b(?:|[^a\"\\\\\\x00-\\x1F]{KEY_CHAR}*|a{KEY_CHAR}+)|é{KEY_CHAR}+)\": 1"
        )),
        Just("\"[ab ]*\"".to_owned()),
        Just("\"(?:é|€)*\"".to_owned()),
        // ASCII characters only, unbounded or counted; and ASCII with one longer character.
        Just(r#""[\x20\x21\x23-\x5B\x5D-\x7E]*""#.to_owned()),
        (0u8..5).prop_map(|n| format!(r#""[\x20\x21\x23-\x5B\x5D-\x7E]{{0,{n}}}""#)),
        Just(r#""[\x20\x21\x23-\x5B\x5D-\x7E\x{E9}]*""#.to_owned()),
        // `pattern` classes: characters that die past the first one while others go on,
        // one that lives only first, and a class with longer characters.
        (0u8..4).prop_map(|n| format!(r#""[ab]{{1,{}}}""#, n + 1)),
        Just(r#""[a ][ab]{0,2}""#.to_owned()),
        Just(r#""[^a"\\\x00-\x1F]{0,3}""#.to_owned()),
        Just(r#""[ab]*""#.to_owned()),
        // Patterns searched inside the string: some characters go their own way.
        Just(format!("\"{CHAR}*a {CHAR}*\"")),
        Just(format!("\"{CHAR}{{0,3}}é{CHAR}{{0,2}}\"")),
        Just(r#""[ab ]{0,2}b[a ]{0,3}""#.to_owned()),
        // A string that loops on every character but one, which leads elsewhere.
        Just(r#""(?:[^"\\\x00-\x1Fb]|b[a ])*""#.to_owned()),
        // Bytes no character has, where a character could be: the template must give up.
        Just(format!("\"(?:{CHAR}|(?-u:\\xA9))*\"")),
        Just(format!("\"a(?:{CHAR}|(?-u:\\xE2\\x82))*\"")),
    ];
    (string, prop_oneof![Just(String::new()), Just(", ".to_owned()), Just("\"b\"".to_owned())])
        .prop_map(|(s, tail)| format!("{s}{tail}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Rows assembled from the string template say exactly what walks say.
    #[test]
    fn lazy_answers_as_eager_inside_strings(pattern in string_regex(), vocab in text_vocabulary()) {
        let eager = build(&pattern, &vocab, BuildMode::Eager);
        let lazy = build(&pattern, &vocab, BuildMode::Lazy);
        let (Ok(eager), Ok(lazy)) = (eager, lazy) else {
            prop_assert!(false, "{pattern}: both build");
            unreachable!()
        };
        prop_assert!(lazy.stats().lazy_dfa);
        assert_same_language(&eager, &lazy)?;
        prop_assert_eq!(lazy.to_eager().unwrap(), eager);
    }

    /// Bounded and unbounded strings and the drawn regexes, over
    /// a vocabulary with deep subtrees.
    #[test]
    fn lazy_answers_as_eager_over_deep_subtrees(
        pattern in prop_oneof![
            regex(),
            (0u8..3, 0u8..9, regex()).prop_map(|(lo, extra, tail)| format!("\"[a-c]{{{lo},{}}}\"{tail}", lo + extra)),
            (1u8..6).prop_map(|n| format!("\"(?:[ab]{{2}}|c){{0,{n}}}\"")),
            regex().prop_map(|tail| format!("\"[^\"]*\"{tail}")),
        ],
    ) {
        let vocab = dense_vocabulary();
        let eager = build(&pattern, &vocab, BuildMode::Eager);
        let lazy = build(&pattern, &vocab, BuildMode::Lazy);
        let (Ok(eager), Ok(lazy)) = (eager, lazy) else {
            prop_assert!(build(&pattern, &vocab, BuildMode::Eager).is_err());
            return Ok(());
        };
        prop_assert!(lazy.stats().lazy_dfa);
        assert_same_language(&eager, &lazy)?;
        prop_assert_eq!(lazy.to_eager().unwrap(), eager);
    }

    #[test]
    fn lazy_answers_as_eager(pattern in regex(), vocab in vocabulary()) {
        let eager = build(&pattern, &vocab, BuildMode::Eager);
        let lazy = build(&pattern, &vocab, BuildMode::Lazy);
        let (eager, lazy) = match (eager, lazy) {
            (Ok(e), Ok(l)) => (e, l),
            (Err(a), Err(b)) => { prop_assert_eq!(a, b); return Ok(()); }
            (a, b) => { prop_assert!(false, "{:?} vs {:?}", a.map(|_| ()), b.map(|_| ())); unreachable!() }
        };
        let all_bytes = vocab.width() > 200;
        // Lazy applies whenever every byte is a token; otherwise it may fall back to eager.
        if all_bytes {
            prop_assert!(lazy.is_lazy());
            prop_assert!(lazy.stats().lazy_dfa, "every byte is a token: the DFA is lazy too");
            prop_assert_eq!(lazy.stats().states, 1, "only the start state is walked up front");
        }
        assert_same_language(&eager, &lazy)?;
        // Completing the lazy index gives back the eager one, table for table.
        prop_assert_eq!(lazy.stats().states_pending, 0);
        prop_assert_eq!(lazy.to_eager().unwrap(), eager.clone());
        prop_assert_eq!(Index::from_bytes(&lazy.to_bytes().unwrap(), &vocab).unwrap(), eager);
    }

    #[test]
    fn background_completes_to_the_eager_index(pattern in regex(), vocab in vocabulary()) {
        let (Ok(eager), Ok(background)) = (build(&pattern, &vocab, BuildMode::Eager), build(&pattern, &vocab, BuildMode::Background)) else { return Ok(()) };
        // Guides may run while the background thread works; then wait for it by walking the rest.
        assert_same_language(&eager, &background)?;
        background.build_pending();
        let stats = background.stats();
        prop_assert_eq!(stats.states_pending, 0);
        prop_assert!(stats.states >= eager.num_states(), "{:?}", stats);
        prop_assert_eq!(background.to_eager().unwrap(), eager);
    }
}

/// Many threads decode through one lazy index at once, each on its own random path, and
/// every answer agrees with the eager index.
#[test]
fn concurrent_guides_share_one_lazy_index() {
    let mut tokens: Vec<Vec<u8>> = vec![b"</s>".to_vec()];
    tokens.extend((0..=255u8).map(|b| vec![b]));
    for word in ["\"name\"", "\": ", ", \"", "true", "false", "null", "12", "34", "\"a"] {
        tokens.push(word.as_bytes().to_vec());
    }
    let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(tokens).unwrap();
    let pattern = r#"\{("name": "[a-z]{0,6}", )?"n": (true|false|null|-?[0-9]{1,4}), "l": \[([0-9]{1,3}(, [0-9]{1,3}){0,3})?\]\}"#;
    let eager = Arc::new(build(pattern, &vocab, BuildMode::Eager).unwrap());
    let lazy = Arc::new(build(pattern, &vocab, BuildMode::Lazy).unwrap());
    assert!(lazy.is_lazy());
    std::thread::scope(|scope| {
        for seed in 0..8u64 {
            let (eager, lazy) = (eager.clone(), lazy.clone());
            scope.spawn(move || {
                let mut rng = maskwell_test::XorShift::new(seed);
                for _ in 0..40 {
                    let mut e = Guide::new(eager.clone());
                    let mut l = Guide::new(lazy.clone());
                    while !e.is_finished() {
                        assert_eq!(e.allowed_ids(), l.allowed_ids());
                        let token = TokenId::new(rng.pick(e.allowed_ids()));
                        e.advance(token).unwrap();
                        l.advance(token).unwrap();
                        assert_eq!(e.is_accepting(), l.is_accepting());
                    }
                    assert!(l.is_finished());
                }
            });
        }
    });
    let stats = lazy.stats();
    assert!(stats.states > 1, "{stats:?}");
    assert_eq!(stats.states + stats.states_pending, stats.automaton_states, "{stats:?}");
}

#[test]
fn background_mode_completes_by_itself() {
    let tokens: Vec<Vec<u8>> =
        std::iter::once(b"</s>".to_vec()).chain((0..=255u8).map(|b| vec![b])).collect();
    let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(tokens).unwrap();
    let index = build("[a-z]{0,300}", &vocab, BuildMode::Background).unwrap();
    assert!(index.is_lazy());
    assert_eq!(index.stats().mode, BuildMode::Background);
    // The thread walks 301 states of a 257-token vocabulary: well under a second; allow a
    // loaded machine a minute before calling it stuck.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while index.stats().background_running {
        assert!(std::time::Instant::now() < deadline, "background build still running");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let stats = index.stats();
    assert_eq!((stats.states, stats.states_pending), (301, 0), "{stats:?}");
    // A second completion has nothing left to walk.
    assert_eq!(index.build_pending(), 0);
}
