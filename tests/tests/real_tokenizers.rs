//! A JSON-like regex through the whole pipeline with real tokenizers: the real tokenization of
//! every matching text is accepted, and every other text is refused at exactly the token where
//! its bytes leave the language.

use std::path::Path;
use std::sync::Arc;

use maskwell::vocab::load_tokenizer;
use maskwell::{Guide, Index, Step, TokenId, Vocabulary};
use maskwell_e2e::{expected_walk, tokens, walk, Walk, JSON_REGEX, MATCHING, NOT_MATCHING};

fn check_tokenizer(path: &Path) {
    let tokenizer = load_tokenizer(path).unwrap();
    let vocab = Vocabulary::builder().build_from_tokenizer(&tokenizer).unwrap();
    let index = Arc::new(Index::new(JSON_REGEX, &vocab).unwrap());
    let name = path.file_name().unwrap().to_string_lossy();
    for text in MATCHING {
        let ids = tokens(&tokenizer, &vocab, text);
        let mut guide = Guide::new(index.clone());
        assert_eq!(walk(&mut guide, &ids), Walk::Complete, "{name}: {text}");
        let eos = vocab.eos()[0];
        assert_eq!(guide.advance(eos), Ok(Step::Finished), "{name}: end of sequence after {text}");
        assert!(guide.advance(ids[0]).is_err(), "{name}: nothing follows the end");
    }
    for text in NOT_MATCHING {
        let ids = tokens(&tokenizer, &vocab, text);
        let expected = expected_walk(JSON_REGEX, &vocab, &ids);
        assert!(
            matches!(expected, Walk::RejectedAt(_)),
            "{name}: {text} should leave the language"
        );
        let mut guide = Guide::new(index.clone());
        assert_eq!(walk(&mut guide, &ids), expected, "{name}: {text}");
        // The refused token left the guide where it was: the accepted prefix is intact.
        let Walk::RejectedAt(at) = expected else { unreachable!() };
        assert_eq!(guide.tokens(), &ids[..at]);
    }
}

#[test]
fn bundled_sentencepiece_fixture() {
    check_tokenizer(&maskwell_test::fixture(maskwell_test::SP32000));
}

#[test]
fn bundled_byte_level_fixture() {
    check_tokenizer(&maskwell_test::fixture(maskwell_test::BYTELEVEL4K));
}

#[test]
fn every_shared_tokenizer() {
    maskwell_test::require_shared!();
    let vocabs = maskwell_test::shared_vocabs();
    assert!(vocabs.len() >= 6, "expected the six shared tokenizers");
    for shared in vocabs {
        check_tokenizer(&shared.path);
    }
}

#[test]
fn padded_width_and_extra_stop_tokens() {
    let tokenizer = load_tokenizer(maskwell_test::fixture(maskwell_test::BYTELEVEL4K)).unwrap();
    let base = Vocabulary::builder().build_from_tokenizer(&tokenizer).unwrap();
    let padded_width = base.width().next_multiple_of(64) + 64;
    let stop = TokenId::new(base.width() as u32 - 2);
    let vocab = Vocabulary::builder()
        .width(padded_width)
        .stop_tokens([stop])
        .build_from_tokenizer(&tokenizer)
        .unwrap();
    let index = Arc::new(Index::new(JSON_REGEX, &vocab).unwrap());
    assert_eq!(index.words(), padded_width / 32);
    let mut guide = Guide::new(index.clone());
    let ids = tokens(&tokenizer, &vocab, MATCHING[0]);
    assert_eq!(walk(&mut guide, &ids), Walk::Complete);
    let allowed = guide.allowed_ids();
    // Only the end of sequence is left, every stop id included, no padding id.
    assert!(allowed.iter().all(|&t| vocab.is_eos(TokenId::new(t))));
    assert!(allowed.contains(&stop.as_u32()));
    assert!(allowed.iter().all(|&t| (t as usize) < base.width()));
    assert_eq!(
        guide.advance(TokenId::new(padded_width as u32 - 1)).unwrap_err().kind().code(),
        "token_not_allowed"
    );
    assert_eq!(
        guide.advance(TokenId::new(padded_width as u32)).unwrap_err().kind().code(),
        "token_out_of_range"
    );
}
