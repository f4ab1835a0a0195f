//! The token trie: every text token's bytes in one prefix tree, flattened in preorder.
//!
//! Walking a DFA state over the trie steps each shared prefix once, and a byte that kills
//! the DFA skips the whole subtree below it in one jump (`subtree_end`). Preorder arrays
//! keep the walk a single forward scan over memory, with the DFA state of every depth on a
//! small stack.

use maskwell_vocab::{TokenId, Vocabulary};

/// A flat prefix tree over the text tokens of a vocabulary.
#[derive(Clone, Debug)]
pub(crate) struct TokenTrie {
    /// Node `i`'s byte (the edge from its parent).
    bytes: Vec<u8>,
    /// Node `i`'s depth: 0 for children of the (implicit) root.
    depth: Vec<u32>,
    /// One past the last node of `i`'s subtree.
    subtree_end: Vec<u32>,
    /// `tokens[token_start[i]..token_start[i + 1]]` end exactly at node `i`.
    token_start: Vec<u32>,
    tokens: Vec<u32>,
    max_depth: usize,
}

impl TokenTrie {
    pub(crate) fn new(vocab: &Vocabulary) -> TokenTrie {
        let mut sorted: Vec<(&[u8], TokenId)> =
            vocab.text_tokens().map(|(id, b)| (b, id)).collect();
        sorted.sort_unstable();

        let mut trie = TokenTrie {
            bytes: Vec::new(),
            depth: Vec::new(),
            subtree_end: Vec::new(),
            token_start: Vec::new(),
            tokens: Vec::with_capacity(sorted.len()),
            max_depth: 0,
        };
        // The nodes on the path to the previous token, by depth.
        let mut path: Vec<u32> = Vec::new();
        let mut prev: &[u8] = &[];
        for (bytes, id) in sorted {
            let common = bytes.iter().zip(prev).take_while(|(a, b)| a == b).count();
            for node in path.drain(common..) {
                trie.subtree_end[node as usize] = trie.bytes.len() as u32;
            }
            for (depth, &b) in bytes.iter().enumerate().skip(common) {
                path.push(trie.bytes.len() as u32);
                trie.bytes.push(b);
                trie.depth.push(depth as u32);
                trie.subtree_end.push(0);
                trie.token_start.push(trie.tokens.len() as u32);
            }
            trie.tokens.push(id.as_u32());
            trie.max_depth = trie.max_depth.max(bytes.len());
            prev = bytes;
        }
        for node in path {
            trie.subtree_end[node as usize] = trie.bytes.len() as u32;
        }
        trie.token_start.push(trie.tokens.len() as u32);
        trie
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    #[inline]
    pub(crate) fn byte(&self, node: usize) -> u8 {
        self.bytes[node]
    }

    #[inline]
    pub(crate) fn depth(&self, node: usize) -> usize {
        self.depth[node] as usize
    }

    #[inline]
    pub(crate) fn subtree_end(&self, node: usize) -> usize {
        self.subtree_end[node] as usize
    }

    /// The tokens whose bytes end exactly at `node`.
    #[inline]
    pub(crate) fn tokens_at(&self, node: usize) -> &[u32] {
        &self.tokens[self.token_start[node] as usize..self.token_start[node + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preorder_with_skips() {
        let vocab = Vocabulary::builder()
            .eos([TokenId::new(5)])
            .build_from_tokens(["ab", "a", "b", "abc", "ab", "</s>", "ba"])
            .unwrap();
        let trie = TokenTrie::new(&vocab);
        // a, ab, abc, b, ba
        assert_eq!(trie.len(), 5);
        let bytes: Vec<u8> = (0..trie.len()).map(|i| trie.byte(i)).collect();
        assert_eq!(bytes, b"abcba");
        let depths: Vec<usize> = (0..trie.len()).map(|i| trie.depth(i)).collect();
        assert_eq!(depths, vec![0, 1, 2, 0, 1]);
        let ends: Vec<usize> = (0..trie.len()).map(|i| trie.subtree_end(i)).collect();
        assert_eq!(ends, vec![3, 3, 3, 5, 5]);
        assert_eq!(trie.tokens_at(0), &[1]);
        assert_eq!(trie.tokens_at(1), &[0, 4]);
        assert_eq!(trie.tokens_at(2), &[3]);
        assert_eq!(trie.tokens_at(3), &[2]);
        assert_eq!(trie.tokens_at(4), &[6]);
        assert_eq!(trie.max_depth(), 3);
    }
}
