//! The per-state walk: which tokens a DFA state allows, and where each one leads.
//!
//! [`Walker::walk`] is a pure function of (automaton, trie, state); the scratch buffers it
//! owns are only reused between calls. Eager builds run it for every reachable state in
//! parallel; a lazy index can run the very same code the first time a guide enters a state.

use crate::{
    automaton::DEAD,
    trie::{ByteSet, TokenTrie},
    Automaton,
};

/// The allowed tokens of one automaton state, in increasing id order, and the automaton
/// state each one leads to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) tokens: Vec<u32>,
    pub(crate) next: Vec<u32>,
}

/// Reusable scratch space for walks over one trie.
#[derive(Debug)]
pub(crate) struct Walker {
    /// DFA state at each trie depth along the current path.
    stack: Vec<u32>,
    /// `next_by_token[t]`: the state token `t` leads to, or [`DEAD`].
    next_by_token: Vec<u32>,
    touched: Vec<u32>,
}

impl Walker {
    pub(crate) fn new(trie: &TokenTrie, width: usize) -> Walker {
        Walker {
            stack: vec![DEAD; trie.max_depth() + 1],
            next_by_token: vec![DEAD; width],
            touched: Vec::new(),
        }
    }

    /// Walks the trie from `state` and returns its row.
    pub(crate) fn walk(&mut self, automaton: &Automaton, trie: &TokenTrie, state: u32) -> Row {
        self.walk_scratch(automaton, trie, state);
        self.collect()
    }

    /// Walks the trie from `state`, leaving the result in the scratch ([`Walker::scratch`]):
    /// the next state of every touched token, [`DEAD`] for the others.
    pub(crate) fn walk_scratch(&mut self, automaton: &Automaton, trie: &TokenTrie, state: u32) {
        let classes = automaton.classes();
        let mut loops = ByteSet::default();
        for b in 0..=255u8 {
            if automaton.next(state, b) == state {
                loops.insert(b);
            }
        }
        self.stack[0] = state;
        let n = trie.len();
        let mut node = 0;
        while node < n {
            let depth = trie.depth(node);
            let parent = self.stack[depth];
            let next = automaton.row(parent)[classes[trie.byte(node) as usize] as usize];
            if next == DEAD {
                node = trie.subtree_end(node);
                continue;
            }
            if next == state && trie.loops_below(node, &loops) {
                // Every byte below loops back to `state`: so does every token of the subtree.
                for &token in trie.tokens_in_subtree(node) {
                    self.next_by_token[token as usize] = next;
                    self.touched.push(token);
                }
                node = trie.subtree_end(node);
                continue;
            }
            self.stack[depth + 1] = next;
            for &token in trie.tokens_at(node) {
                self.next_by_token[token as usize] = next;
                self.touched.push(token);
            }
            node += 1;
        }
    }

    /// The per-token next states and the tokens touched by the last
    /// [`Walker::walk_scratch`]; whoever drains them must reset them to [`DEAD`] and empty.
    pub(crate) fn scratch(&mut self) -> (&mut [u32], &mut Vec<u32>) {
        (&mut self.next_by_token, &mut self.touched)
    }

    /// Drains the touched tokens into a row sorted by id, resetting the scratch.
    fn collect(&mut self) -> Row {
        let count = self.touched.len();
        let mut row = Row { tokens: Vec::with_capacity(count), next: Vec::with_capacity(count) };
        if count > self.next_by_token.len() / 16 {
            // Dense: a scan in id order is cheaper than sorting.
            for (token, next) in self.next_by_token.iter_mut().enumerate() {
                if *next != DEAD {
                    row.tokens.push(token as u32);
                    row.next.push(*next);
                    *next = DEAD;
                }
            }
        } else {
            self.touched.sort_unstable();
            for &token in &self.touched {
                let next = &mut self.next_by_token[token as usize];
                row.tokens.push(token);
                row.next.push(*next);
                *next = DEAD;
            }
        }
        self.touched.clear();
        row
    }
}
