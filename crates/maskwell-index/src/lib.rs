//! Regex → byte DFA → token index, and the per-sequence [`Guide`].
//!
//! Everything expensive happens once, when the [`Index`] is built: regex-automata
//! determinizes the regex into a byte DFA, states that can no longer reach a match are
//! pruned ([`Automaton`]), and a breadth-first search over DFA states walks each one over a
//! prefix tree of the vocabulary (in parallel with rayon, one BFS level at a time) to find the
//! tokens whose whole byte string keeps the output inside the language, and the state each
//! leads to. End-of-sequence tokens are allowed exactly where the output may end. States from
//! which no token sequence can complete the output are pruned too, so a guide never walks
//! into a dead end.
//!
//! Decoding is then a table look-up: [`Guide::fill_bitmask`] copies a ready bitmask,
//! [`Guide::advance`] finds one token's next state (a popcount over a few bitmask words for
//! a large token set, a binary search for a small one).
//!
//! A new schema need not wait for all of that: with [`BuildMode::Lazy`] the DFA is
//! determinized on demand (regex-automata's lazy DFA) and only the start state is walked
//! before the index is returned; every other state is walked the first time any guide reaches
//! it, then cached and shared (a cached row is found with two atomic loads, no lock).
//! [`BuildMode::Background`] also completes the rest on another thread while decoding runs.
//!
//! Key types:
//!
//! - [`Index`]: the immutable, shareable compiled constraint; [`Builder`] and [`Config`] set
//!   limits and parallelism; saved and loaded with [`Index::save`] / [`Index::load`].
//! - [`Guide`]: one sequence's cursor over an `Arc<Index>`.
//! - [`Automaton`]: the pruned byte DFA, for tools and tests.
//!
//! The decode loop:
//!
//! ```
//! use std::sync::Arc;
//! use maskwell_index::{Guide, Index};
//! use maskwell_vocab::{TokenId, Vocabulary};
//!
//! let vocab = Vocabulary::builder()
//!     .eos([TokenId::new(0)])
//!     .build_from_tokens(["</s>", "{", "}", "\"", "a", "b", ":", "1", "2"])?;
//! let index = Arc::new(Index::new(r#"\{"[ab]+":[12]\}"#, &vocab)?);
//! let mut guide = Guide::new(index.clone());
//! let mut mask = vec![0u32; index.words()];
//! while !guide.is_finished() {
//!     guide.fill_bitmask(&mut mask)?;
//!     // A model would sample from logits masked by `mask`; take the lowest allowed id.
//!     let token = (0..index.width() as u32).find(|&t| mask[t as usize / 32] >> (t % 32) & 1 == 1).unwrap();
//!     guide.advance(TokenId::new(token))?;
//! }
//! assert_eq!(guide.num_tokens(), 8); // { " a " : 1 } </s>
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod automaton;
mod config;
mod error;
mod explain;
mod file;
mod fragments;
mod guide;
mod hybrid;
mod index;
mod lazy;
pub mod metrics;
mod snapshot;
mod strings;
mod trie;
mod walk;

pub use automaton::{compile_nfa, Automaton, DEAD};
pub use config::{BuildMode, Config};
pub use error::{Error, ErrorKind, GuideError};
pub use explain::{Explanation, Verdict};
pub use file::FORMAT_VERSION;
pub use guide::Guide;
pub use index::{Builder, Index, Progress, Source, StateId, Stats, Step};
pub use snapshot::{Snapshot, SNAPSHOT_FORMAT};
