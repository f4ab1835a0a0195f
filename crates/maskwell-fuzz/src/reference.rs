//! An independent model of what a guide must allow, for checking the index against.
//!
//! It shares nothing with maskwell-index but the regex syntax: the regex is determinized
//! by regex-automata directly (no pruning, no minimization), and the token-level graph is
//! explored here by walking each token's bytes through that DFA. A token is allowed after
//! the output so far when the output with the token's bytes can still be completed, with
//! tokens, to a full match; an end-of-sequence token when the output is a full match.

use std::collections::HashMap;

use regex_automata::dfa::{dense, Automaton as _, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::util::syntax;
use regex_automata::{Anchored, MatchKind};

use maskwell_vocab::{TokenKind, Vocabulary};

/// More token-level states than this and the model gives up (the harness regexes have
/// a few dozen).
const MAX_NODES: usize = 20_000;

/// The token-level graph of a regex over a vocabulary.
#[derive(Debug)]
pub(crate) struct Reference {
    /// `next[node][token]`: the node a text token leads to, if its bytes stay in the DFA.
    next: Vec<Vec<Option<usize>>>,
    /// Whether the output reaching the node is a full match.
    accepting: Vec<bool>,
    /// Whether some token sequence leads from the node to a full match.
    live: Vec<bool>,
    eos: Vec<u32>,
}

impl Reference {
    /// The model of `pattern` over `vocab`, or `None` when the regex does not compile or
    /// its graph is too big (the harness regexes are fixed, so neither happens there).
    pub(crate) fn new(pattern: &str, vocab: &Vocabulary) -> Option<Reference> {
        let dfa = dense::Builder::new()
            .syntax(syntax::Config::new().utf8(false))
            .thompson(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    .match_kind(MatchKind::All)
                    .minimize(false),
            )
            .build(pattern)
            .ok()?;
        let start = dfa.start_state(&start::Config::new().anchored(Anchored::Yes)).ok()?;
        let tokens: Vec<Option<&[u8]>> = (0..vocab.width() as u32)
            .map(|t| {
                let id = maskwell_vocab::TokenId::new(t);
                (vocab.kind(id) == Some(TokenKind::Text)).then(|| vocab.token_bytes(id)).flatten()
            })
            .collect();
        let mut ids = HashMap::from([(start, 0usize)]);
        let mut order = vec![start];
        let mut next = Vec::new();
        while let Some(&state) = order.get(next.len()) {
            let row = tokens
                .iter()
                .map(|bytes| {
                    let target = walk(&dfa, state, (*bytes)?)?;
                    let id = *ids.entry(target).or_insert_with(|| {
                        order.push(target);
                        order.len() - 1
                    });
                    Some(id)
                })
                .collect();
            next.push(row);
            if order.len() > MAX_NODES {
                return None;
            }
        }
        let accepting: Vec<bool> =
            order.iter().map(|&s| dfa.is_match_state(dfa.next_eoi_state(s))).collect();
        let live = liveness(&next, &accepting);
        let eos = vocab.eos().iter().map(|t| t.as_u32()).collect();
        Some(Reference { next, accepting, live, eos })
    }

    /// The node of the empty output.
    pub(crate) fn start(&self) -> usize {
        0
    }

    /// Whether any output at all is possible (otherwise the index must refuse to build).
    pub(crate) fn is_expressible(&self) -> bool {
        self.live[0]
    }

    /// Whether the output reaching `node` is complete.
    pub(crate) fn is_accepting(&self, node: usize) -> bool {
        self.accepting[node]
    }

    /// What `token` does at `node`: `Some(Some(next))` to continue, `Some(None)` to end the
    /// sequence, `None` when it is not allowed.
    pub(crate) fn step(&self, node: usize, token: u32) -> Option<Option<usize>> {
        if self.eos.binary_search(&token).is_ok() {
            return self.accepting[node].then_some(None);
        }
        let next = (*self.next[node].get(token as usize)?)?;
        self.live[next].then_some(Some(next))
    }

    /// The allowed tokens at `node`, in increasing order.
    pub(crate) fn allowed(&self, node: usize) -> Vec<u32> {
        (0..self.next[node].len() as u32).filter(|&t| self.step(node, t).is_some()).collect()
    }
}

/// The DFA state after `bytes` from `state`, or `None` once the walk dies.
fn walk(dfa: &dense::DFA<Vec<u32>>, mut state: StateID, bytes: &[u8]) -> Option<StateID> {
    for &b in bytes {
        state = dfa.next_state(state, b);
        if dfa.is_dead_state(state) || dfa.is_quit_state(state) {
            return None;
        }
    }
    Some(state)
}

/// Backward reachability of accepting nodes, to a fixed point.
fn liveness(next: &[Vec<Option<usize>>], accepting: &[bool]) -> Vec<bool> {
    let mut live = accepting.to_vec();
    let mut changed = true;
    while changed {
        changed = false;
        for (node, row) in next.iter().enumerate() {
            if !live[node] && row.iter().flatten().any(|&n| live[n]) {
                live[node] = true;
                changed = true;
            }
        }
    }
    live
}
