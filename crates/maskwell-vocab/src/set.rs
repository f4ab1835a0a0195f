use bitvec::prelude::{BitVec, Lsb0};

use crate::TokenId;

/// A set of token ids over a fixed width, stored as packed `u32` words.
///
/// Bit `i % 32` of word `i / 32` is set when token `i` is in the set: the bitmask layout
/// that vLLM, SGLang, llguidance and XGrammar exchange, so [`TokenSet::as_words`] can be
/// copied straight into a runtime's buffer.
///
/// ```
/// use maskwell_vocab::{TokenId, TokenSet};
///
/// let mut set = TokenSet::new(40);
/// set.insert(TokenId::new(1));
/// set.insert(TokenId::new(33));
/// assert!(set.contains(TokenId::new(33)));
/// assert_eq!(set.as_words(), &[0b10, 0b10]);
/// assert_eq!(set.iter().map(TokenId::as_u32).collect::<Vec<_>>(), vec![1, 33]);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenSet {
    bits: BitVec<u32, Lsb0>,
}

impl TokenSet {
    /// An empty set of tokens `0..width`.
    #[must_use]
    pub fn new(width: usize) -> TokenSet {
        TokenSet { bits: BitVec::repeat(false, width) }
    }

    /// A set from packed words, as produced by [`TokenSet::as_words`]. Bits past `width` in
    /// the last word are cleared. Returns `None` when `words` has not exactly
    /// `width.div_ceil(32)` words.
    #[must_use]
    pub fn from_words(words: &[u32], width: usize) -> Option<TokenSet> {
        if words.len() != width.div_ceil(32) {
            return None;
        }
        let mut words = words.to_vec();
        // `truncate` only shortens the length: clear the dead bits of the last word too, so
        // that `as_words` returns them as 0.
        if let (Some(last), tail @ 1..) = (words.last_mut(), width % 32) {
            *last &= (1u32 << tail) - 1;
        }
        let mut bits = BitVec::from_vec(words);
        bits.truncate(width);
        Some(TokenSet { bits })
    }

    /// The number of token ids the set ranges over.
    #[must_use]
    pub fn width(&self) -> usize {
        self.bits.len()
    }

    /// Adds a token. Ids at or past the width are ignored and `false` is returned.
    pub fn insert(&mut self, token: TokenId) -> bool {
        match self.bits.get_mut(token.as_usize()) {
            Some(mut bit) => {
                *bit = true;
                true
            }
            None => false,
        }
    }

    /// Removes a token.
    pub fn remove(&mut self, token: TokenId) {
        if let Some(mut bit) = self.bits.get_mut(token.as_usize()) {
            *bit = false;
        }
    }

    /// Whether the token is in the set; ids past the width are not.
    #[must_use]
    pub fn contains(&self, token: TokenId) -> bool {
        self.bits.get(token.as_usize()).is_some_and(|b| *b)
    }

    /// The number of tokens in the set.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bits.count_ones()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bits.not_any()
    }

    /// The tokens in increasing id order.
    pub fn iter(&self) -> impl Iterator<Item = TokenId> + '_ {
        self.bits.iter_ones().map(|i| TokenId::new(i as u32))
    }

    /// Adds every token of `other` (which must have the same width; extra bits are ignored).
    pub fn union_with(&mut self, other: &TokenSet) {
        let n = self.bits.len().min(other.bits.len());
        let mut head = self.bits[..n].to_bitvec();
        head |= &other.bits[..n];
        self.bits[..n].copy_from_bitslice(&head);
    }

    /// The packed words, `width.div_ceil(32)` of them; unused high bits of the last word are 0.
    #[must_use]
    pub fn as_words(&self) -> &[u32] {
        self.bits.as_raw_slice()
    }

    /// Bytes of heap memory held.
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        self.bits.as_raw_slice().len() * 4
    }
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSet(width={}, len={}, ", self.width(), self.len())?;
        f.debug_list().entries(self.iter().take(16).map(TokenId::as_u32)).finish()?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn words_match_layout(width in 1usize..300, ids in proptest::collection::vec(0u32..320, 0..40)) {
            let mut set = TokenSet::new(width);
            for &id in &ids {
                let inserted = set.insert(TokenId::new(id));
                prop_assert_eq!(inserted, (id as usize) < width);
            }
            let words = set.as_words();
            prop_assert_eq!(words.len(), width.div_ceil(32));
            for i in 0..width {
                let bit = words[i / 32] >> (i % 32) & 1 == 1;
                prop_assert_eq!(bit, ids.contains(&(i as u32)));
                prop_assert_eq!(set.contains(TokenId::new(i as u32)), bit);
            }
            let back = TokenSet::from_words(words, width).unwrap();
            prop_assert_eq!(back, set);
        }
    }

    #[test]
    fn union_and_remove() {
        let mut a = TokenSet::new(70);
        let mut b = TokenSet::new(70);
        a.insert(TokenId::new(3));
        b.insert(TokenId::new(69));
        a.union_with(&b);
        assert_eq!(a.iter().map(TokenId::as_u32).collect::<Vec<_>>(), vec![3, 69]);
        a.remove(TokenId::new(3));
        assert_eq!(a.len(), 1);
        assert!(!a.is_empty());
        assert!(TokenSet::from_words(&[0], 70).is_none());
    }
}
