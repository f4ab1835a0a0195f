//! The token trie: every text token's bytes in one prefix tree, flattened in preorder.
//!
//! Walking a DFA state over the trie steps each shared prefix once, and a byte that kills
//! the DFA skips the whole subtree below it in one jump (`subtree_end`). Preorder arrays
//! keep the walk a single forward scan over memory, with the DFA state of every depth on a
//! small stack.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use maskwell_vocab::{TokenId, Vocabulary};

use crate::strings::StringTokens;

/// Subtrees of fewer nodes than this are walked even when every byte below loops: see
/// [`TokenTrie::loops_below`].
const SKIP_NODES: usize = 8;

/// How many vocabularies' tries [`TokenTrie::shared`] keeps.
const CACHED_TRIES: usize = 4;

/// Tries of the vocabularies indexed most recently, newest last, keyed by fingerprint and
/// width: a server compiles many schemas for one model, and sorting a 128k vocabulary into
/// a trie costs more than walking a state.
static TRIES: Mutex<Vec<(u64, usize, Arc<TokenTrie>)>> = Mutex::new(Vec::new());

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
    /// Node `i`'s entry in `byte_sets`: every byte on an edge below `i`.
    below: Vec<u32>,
    /// Distinct byte sets (256 bits each); entry 0 is the empty set.
    byte_sets: Vec<ByteSet>,
    /// Per first byte: the node of depth 0 with that byte, or `u32::MAX` (an index of the
    /// top level, whose nodes lie far apart in the arrays).
    roots: Box<[u32; 256]>,
    /// The vocabulary's width (token ids are below it).
    width: usize,
    /// The tokens classified as runs of string characters, made on first use.
    strings: OnceLock<Arc<StringTokens>>,
}

/// A set of bytes, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    /// The bytes 0x80 to 0xFF.
    pub(crate) const NON_ASCII: ByteSet = ByteSet([0, 0, u64::MAX, u64::MAX]);

    #[inline]
    pub(crate) fn insert(&mut self, byte: u8) {
        self.0[byte as usize >> 6] |= 1 << (byte & 63);
    }

    #[inline]
    pub(crate) fn contains(&self, byte: u8) -> bool {
        self.0[byte as usize >> 6] >> (byte & 63) & 1 == 1
    }

    #[inline]
    pub(crate) fn intersects(&self, other: &ByteSet) -> bool {
        (0..4).any(|i| self.0[i] & other.0[i] != 0)
    }

    #[inline]
    pub(crate) fn is_subset(&self, other: &ByteSet) -> bool {
        (0..4).all(|i| self.0[i] & !other.0[i] == 0)
    }

    pub(crate) fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    pub(crate) fn union(&mut self, other: &ByteSet) {
        for i in 0..4 {
            self.0[i] |= other.0[i];
        }
    }
}

impl TokenTrie {
    /// The trie of `vocab`, shared with earlier builds over the same vocabulary.
    pub(crate) fn shared(vocab: &Vocabulary) -> Arc<TokenTrie> {
        let key = (vocab.fingerprint().as_u64(), vocab.width());
        {
            let mut cache = TRIES.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(pos) = cache.iter().position(|(f, w, _)| (*f, *w) == key) {
                let entry = cache.remove(pos);
                let trie = entry.2.clone();
                cache.push(entry);
                return trie;
            }
        }
        // Built outside the lock: another vocabulary's build need not wait for this one. The
        // string classification comes with it, so that no first mask waits for it.
        let trie = Arc::new(TokenTrie::new(vocab));
        trie.strings();
        let mut cache = TRIES.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHED_TRIES {
            cache.remove(0);
        }
        cache.push((key.0, key.1, trie.clone()));
        trie
    }

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
            below: Vec::new(),
            byte_sets: Vec::new(),
            roots: Box::new([u32::MAX; 256]),
            width: vocab.width(),
            strings: OnceLock::new(),
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
        trie.index_bytes_below();
        trie.index_roots();
        trie
    }

    /// The sub-trie of the nodes `keep` accepts (with their ancestors, which must be kept
    /// too: `keep` is closed upwards), holding only the tokens `keep_token` accepts.
    pub(crate) fn restricted(
        &self,
        keep: impl Fn(usize) -> bool,
        keep_token: impl Fn(usize, u32) -> bool,
    ) -> TokenTrie {
        let mut sub = TokenTrie {
            bytes: Vec::new(),
            depth: Vec::new(),
            subtree_end: Vec::new(),
            token_start: Vec::new(),
            tokens: Vec::new(),
            max_depth: 0,
            below: Vec::new(),
            byte_sets: Vec::new(),
            roots: Box::new([u32::MAX; 256]),
            width: self.width,
            strings: OnceLock::new(),
        };
        // Kept nodes on the path to the current one, by depth, to close their subtrees.
        let mut path: Vec<u32> = Vec::new();
        let mut node = 0;
        while node < self.len() {
            if !keep(node) {
                node = self.subtree_end(node);
                continue;
            }
            let depth = self.depth(node);
            for open in path.drain(depth..) {
                sub.subtree_end[open as usize] = sub.bytes.len() as u32;
            }
            path.push(sub.bytes.len() as u32);
            sub.bytes.push(self.bytes[node]);
            sub.depth.push(depth as u32);
            sub.subtree_end.push(0);
            sub.token_start.push(sub.tokens.len() as u32);
            sub.tokens.extend(self.tokens_at(node).iter().filter(|&&t| keep_token(node, t)));
            sub.max_depth = sub.max_depth.max(depth + 1);
            node += 1;
        }
        for open in path {
            sub.subtree_end[open as usize] = sub.bytes.len() as u32;
        }
        sub.token_start.push(sub.tokens.len() as u32);
        sub.index_bytes_below();
        sub.index_roots();
        sub
    }

    /// Fills `roots` from the top-level nodes.
    fn index_roots(&mut self) {
        let mut node = 0;
        while node < self.len() {
            self.roots[self.bytes[node] as usize] = node as u32;
            node = self.subtree_end(node);
        }
    }

    /// The nodes of the subtree under first byte `byte` (empty when no token starts with
    /// it).
    pub(crate) fn root(&self, byte: u8) -> std::ops::Range<usize> {
        match self.roots[byte as usize] {
            u32::MAX => 0..0,
            node => node as usize..self.subtree_end(node as usize),
        }
    }

    /// The children of `node`, as (byte, subtree range).
    pub(crate) fn children(
        &self,
        node: usize,
    ) -> impl Iterator<Item = (u8, std::ops::Range<usize>)> + '_ {
        let end = self.subtree_end(node);
        let mut child = node + 1;
        std::iter::from_fn(move || {
            (child < end).then(|| {
                let range = child..self.subtree_end(child);
                child = range.end;
                (self.bytes[range.start], range)
            })
        })
    }

    /// Computes, for every node, the set of bytes on the edges below it (children first:
    /// a node's set is its children's bytes and sets), stored deduplicated.
    fn index_bytes_below(&mut self) {
        let n = self.bytes.len();
        let mut sets = vec![ByteSet::default(); n];
        for node in (0..n).rev() {
            let mut set = ByteSet::default();
            let mut child = node + 1;
            while child < self.subtree_end[node] as usize {
                set.insert(self.bytes[child]);
                set.union(&sets[child]);
                child = self.subtree_end[child] as usize;
            }
            sets[node] = set;
        }
        let mut ids: std::collections::HashMap<ByteSet, u32> =
            std::collections::HashMap::from([(ByteSet::default(), 0)]);
        self.byte_sets = vec![ByteSet::default()];
        self.below = sets
            .iter()
            .map(|set| {
                *ids.entry(*set).or_insert_with(|| {
                    self.byte_sets.push(*set);
                    (self.byte_sets.len() - 1) as u32
                })
            })
            .collect();
    }

    /// The tokens classified as runs of JSON string characters (see [`crate::strings`]),
    /// made the first time a walk asks, then kept with the trie.
    pub(crate) fn strings(&self) -> &Arc<StringTokens> {
        self.strings.get_or_init(|| Arc::new(StringTokens::new(self, self.width)))
    }

    /// Every byte on an edge below `node`.
    #[inline]
    pub(crate) fn bytes_below(&self, node: usize) -> &ByteSet {
        &self.byte_sets[self.below[node] as usize]
    }

    /// Whether the subtree below `node` is worth skipping because every byte on it is in
    /// `loops` (bytes that keep a DFA state where it is): only subtrees of a few nodes or
    /// more, where the skip can save more transitions than looking up their byte set costs
    /// (a load from a table of distinct sets, mostly a cache miss).
    #[inline]
    pub(crate) fn loops_below(&self, node: usize, loops: &ByteSet) -> bool {
        self.subtree_end[node] as usize - node >= SKIP_NODES
            && self.bytes_below(node).is_subset(loops)
    }

    /// The tokens that end at `node` or below it (contiguous in preorder).
    #[inline]
    pub(crate) fn tokens_in_subtree(&self, node: usize) -> &[u32] {
        let end = self.subtree_end[node] as usize;
        &self.tokens[self.token_start[node] as usize..self.token_start[end] as usize]
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
        let below = |node: usize| -> Vec<u8> {
            (0..=255u8)
                .filter(|&b| {
                    let mut one = ByteSet::default();
                    one.insert(b);
                    one.is_subset(trie.bytes_below(node))
                })
                .collect()
        };
        assert_eq!(below(0), b"bc");
        assert_eq!(below(2), b"");
        assert_eq!(below(3), b"a");
        assert_eq!(trie.tokens_in_subtree(0), &[1, 0, 4, 3]);
        assert_eq!(trie.tokens_in_subtree(3), &[2, 6]);
    }
}
