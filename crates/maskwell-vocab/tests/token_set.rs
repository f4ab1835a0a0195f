use maskwell_vocab::{TokenId, TokenSet};

#[test]
fn from_words_clears_bits_past_width() {
    let set = TokenSet::from_words(&[u32::MAX], 5).unwrap();
    assert_eq!(set.len(), 5);
    assert_eq!(set.as_words(), &[0b11111]);
    let mut other = TokenSet::new(5);
    for i in 0..5 {
        other.insert(TokenId::new(i));
    }
    assert_eq!(set, other);
}

#[test]
fn from_words_round_trips_at_every_width() {
    for width in 0..100usize {
        let words: Vec<u32> =
            (0..width.div_ceil(32)).map(|i| 0xdead_beef_u32.rotate_left(i as u32)).collect();
        let set = TokenSet::from_words(&words, width).unwrap();
        assert_eq!(set.width(), width);
        for i in 0..width {
            assert_eq!(set.contains(TokenId::new(i as u32)), words[i / 32] >> (i % 32) & 1 == 1);
        }
        // High bits past the width read back as 0, and the set equals one built bit by bit.
        let mut built = TokenSet::new(width);
        set.iter().for_each(|id| {
            built.insert(id);
        });
        assert_eq!(set.as_words(), built.as_words(), "width {width}");
        assert_eq!(set, built);
        assert!(TokenSet::from_words(&words, width + 32).is_none());
    }
}
