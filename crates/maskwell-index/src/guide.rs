//! The per-sequence cursor over a shared index.

use std::sync::Arc;

use maskwell_vocab::TokenId;

use crate::{index::FINISHED, GuideError, Index, StateId, Step};

/// Walks one sequence through an [`Index`]: which tokens may come next, and accepting them.
///
/// Cheap to create and to clone (a pointer and a small history); many guides share one
/// index. `advance` and `fill_bitmask` take no lock and allocate nothing (the history grows
/// amortized, like a `Vec`). A refused token leaves the guide unchanged and returns an
/// error value.
///
/// ```
/// use std::sync::Arc;
/// use maskwell_index::{Guide, Index};
/// use maskwell_vocab::{TokenId, Vocabulary};
///
/// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "1", "2", "+"])?;
/// let index = Arc::new(Index::new(r"[12](\+[12])*", &vocab)?);
/// let mut guide = Guide::new(index.clone());
/// let mut mask = vec![0u32; index.words()];
///
/// guide.fill_bitmask(&mut mask)?;
/// assert_eq!(mask[0], 0b0110); // "1" or "2"
/// guide.advance(TokenId::new(1))?;
/// assert!(guide.advance(TokenId::new(2)).is_err()); // "12" is not in the language
/// guide.advance(TokenId::new(3))?;
/// guide.advance(TokenId::new(2))?;
/// guide.advance(TokenId::new(0))?; // end of sequence
/// assert!(guide.is_finished());
/// guide.rollback(2)?;
/// assert_eq!(guide.num_tokens(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Guide {
    index: Arc<Index>,
    /// The state before each accepted token, then the current state ([`FINISHED`] after an
    /// end-of-sequence token). Never empty.
    states: Vec<u32>,
    tokens: Vec<TokenId>,
}

impl Guide {
    /// A guide at the start state of `index`.
    #[must_use]
    pub fn new(index: Arc<Index>) -> Guide {
        let start = index.start().as_u32();
        let mut states = Vec::with_capacity(64);
        states.push(start);
        Guide { index, states, tokens: Vec::with_capacity(63) }
    }

    /// The shared index.
    #[must_use]
    pub fn index(&self) -> &Arc<Index> {
        &self.index
    }

    #[inline]
    fn current(&self) -> u32 {
        *self.states.last().unwrap_or(&FINISHED)
    }

    /// The current state, or `None` once the sequence is finished.
    #[must_use]
    pub fn state(&self) -> Option<StateId> {
        match self.current() {
            FINISHED => None,
            s => Some(StateId::new(s)),
        }
    }

    /// Where `token` would lead, without accepting it.
    ///
    /// # Errors
    ///
    /// As [`Guide::advance`].
    #[inline]
    pub fn peek(&self, token: TokenId) -> Result<Step, GuideError> {
        let state = self.current();
        if state == FINISHED {
            return Err(GuideError::Finished { token });
        }
        if token.as_usize() >= self.index.width() {
            return Err(GuideError::OutOfRange { token, width: self.index.width() });
        }
        let state = StateId::new(state);
        self.index.next(state, token).ok_or_else(|| {
            self.index
                .walk_error(state)
                .unwrap_or(GuideError::NotAllowed { token, state: state.as_u32() })
        })
    }

    /// Accepts `token`.
    ///
    /// # Errors
    ///
    /// [`GuideError::NotAllowed`] when the token would leave the language,
    /// [`GuideError::OutOfRange`] for an id past the vocabulary, [`GuideError::Finished`]
    /// after an end-of-sequence token. The guide is unchanged.
    #[inline]
    pub fn advance(&mut self, token: TokenId) -> Result<Step, GuideError> {
        let step = match self.peek(token) {
            Ok(step) => step,
            Err(e) => {
                if matches!(e, GuideError::NotAllowed { .. } | GuideError::Finished { .. }) {
                    crate::metrics::token_rejected();
                }
                return Err(e);
            }
        };
        self.states.push(match step {
            Step::Continue(s) => s.as_u32(),
            Step::Finished => FINISHED,
        });
        self.tokens.push(token);
        Ok(step)
    }

    /// Accepts all of `tokens`, or none of them.
    ///
    /// # Errors
    ///
    /// The first token's error, as [`Guide::advance`]; the guide is then unchanged.
    pub fn accept_tokens(&mut self, tokens: &[TokenId]) -> Result<(), GuideError> {
        for (i, &token) in tokens.iter().enumerate() {
            if let Err(e) = self.advance(token) {
                self.truncate(i);
                return Err(e);
            }
        }
        Ok(())
    }

    /// How many of `tokens`, from the first, would be accepted; the guide is unchanged.
    #[must_use]
    pub fn validate_tokens(&self, tokens: &[TokenId]) -> usize {
        let mut state = self.current();
        for (i, &token) in tokens.iter().enumerate() {
            match self.step_from(state, token) {
                Some(next) => state = next,
                None => return i,
            }
        }
        tokens.len()
    }

    /// The raw state `token` leads to from the raw `state` ([`FINISHED`] after an
    /// end-of-sequence token), or `None` when it is refused there.
    #[inline]
    fn step_from(&self, state: u32, token: TokenId) -> Option<u32> {
        if state == FINISHED || token.as_usize() >= self.index.width() {
            return None;
        }
        match self.index.next(StateId::new(state), token)? {
            Step::Continue(s) => Some(s.as_u32()),
            Step::Finished => Some(FINISHED),
        }
    }

    /// The tokens allowed now, in increasing id order; only the end-of-sequence tokens once
    /// finished (so a finished row of a batch can keep sampling them harmlessly).
    #[must_use]
    pub fn allowed_ids(&self) -> &[u32] {
        match self.current() {
            FINISHED => self.index.eos(),
            s => self.index.allowed_ids(StateId::new(s)),
        }
    }

    /// Writes the allowed tokens as a bitmask (bit `i % 32` of word `i / 32` for token
    /// `i`); see [`Guide::allowed_ids`] for a finished guide.
    ///
    /// # Errors
    ///
    /// [`GuideError::BufferSize`] when `out` does not have [`Index::words`] words.
    #[inline]
    pub fn fill_bitmask(&self, out: &mut [u32]) -> Result<(), GuideError> {
        match self.current() {
            FINISHED => self.index.fill_eos_bitmask(out),
            s => self.index.fill_bitmask(StateId::new(s), out),
        }
    }

    /// The one token allowed now, when there is exactly one (an end-of-sequence token
    /// included): a runtime can append it without running the model.
    #[must_use]
    pub fn forced_token(&self) -> Option<TokenId> {
        match self.allowed_ids() {
            [only] if !self.is_finished() => Some(TokenId::new(*only)),
            _ => None,
        }
    }

    /// The bytes every continuation starts with from here (empty when the next byte is a
    /// choice, and once finished); see [`Index::forced_bytes`].
    #[must_use]
    pub fn forced_bytes(&self) -> &[u8] {
        match self.current() {
            FINISHED => &[],
            s => self.index.forced_bytes(StateId::new(s)),
        }
    }

    /// Writes `draft.len() + 1` bitmask rows for speculative decoding: row `i` is the mask
    /// after accepting `draft[..i]`, computed from the index directly (the guide itself does
    /// not move). Returns how many draft tokens are valid; rows past the first invalid
    /// token repeat the last valid row, so every row stays samplable.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use maskwell_index::{Guide, Index};
    /// use maskwell_vocab::{TokenId, Vocabulary};
    ///
    /// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "a", "b"])?;
    /// let index = Arc::new(Index::new("ab", &vocab)?);
    /// let guide = Guide::new(index.clone());
    /// let mut rows = vec![0u32; 3 * index.words()];
    /// let valid = guide.fill_draft_bitmasks(&[TokenId::new(1), TokenId::new(1)], &mut rows)?;
    /// assert_eq!(valid, 1); // "a" then "a" again: only the first is valid
    /// assert_eq!(rows, [0b010, 0b100, 0b100]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`GuideError::BufferSize`] when `out` is not `(draft.len() + 1) × words` long.
    pub fn fill_draft_bitmasks(
        &self,
        draft: &[TokenId],
        out: &mut [u32],
    ) -> Result<usize, GuideError> {
        let words = self.index.words();
        if out.len() != (draft.len() + 1) * words {
            return Err(GuideError::BufferSize {
                expected: (draft.len() + 1) * words,
                actual: out.len(),
                width: self.index.width(),
            });
        }
        let mut state = self.current();
        let mut valid = draft.len();
        for (i, row) in out.chunks_mut(words).enumerate() {
            match state {
                FINISHED => self.index.fill_eos_bitmask(row)?,
                s => self.index.fill_bitmask(StateId::new(s), row)?,
            }
            if i == draft.len() {
                break;
            }
            let token = draft[i];
            match self.step_from(state, token) {
                Some(next) => state = next,
                None => {
                    valid = i;
                    let (done, rest) = out.split_at_mut((i + 1) * words);
                    let last = &done[i * words..];
                    for row in rest.chunks_mut(words) {
                        row.copy_from_slice(last);
                    }
                    break;
                }
            }
        }
        Ok(valid)
    }

    /// Fills one bitmask row per guide into `out` (`[guides.len(), words]`, row-major), in
    /// parallel on the current rayon pool for large batches. All guides must mask the same
    /// vocabulary width.
    ///
    /// # Errors
    ///
    /// [`GuideError::BufferSize`] when `out` does not have `guides.len() × words` words or a
    /// guide's index has another width; nothing is guaranteed about `out` then.
    pub fn fill_bitmask_batch<G: std::borrow::Borrow<Guide> + Sync>(
        guides: &[G],
        out: &mut [u32],
    ) -> Result<(), GuideError> {
        use rayon::prelude::*;
        let Some(first) = guides.first() else {
            return if out.is_empty() {
                Ok(())
            } else {
                Err(GuideError::BufferSize { expected: 0, actual: out.len(), width: 0 })
            };
        };
        let words = first.borrow().index.words();
        if out.len() != guides.len() * words || words == 0 {
            return Err(GuideError::BufferSize {
                expected: guides.len() * words,
                actual: out.len(),
                width: first.borrow().index.width(),
            });
        }
        let fill = |(guide, row): (&G, &mut [u32])| guide.borrow().fill_bitmask(row);
        if guides.len() >= 16 {
            guides.par_iter().zip(out.par_chunks_mut(words)).try_for_each(fill)
        } else {
            guides.iter().zip(out.chunks_mut(words)).try_for_each(fill)
        }
    }

    /// Whether an end-of-sequence token was accepted.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.current() == FINISHED
    }

    /// Whether the output so far is complete: an end-of-sequence token would be accepted
    /// now (or already was).
    #[must_use]
    pub fn is_accepting(&self) -> bool {
        match self.current() {
            FINISHED => true,
            s => self.index.is_accepting(StateId::new(s)),
        }
    }

    /// Undoes the last `n` accepted tokens (end-of-sequence included).
    ///
    /// # Errors
    ///
    /// [`GuideError::Rollback`] when fewer than `n` tokens were accepted; the guide is then
    /// unchanged.
    pub fn rollback(&mut self, n: usize) -> Result<(), GuideError> {
        if n > self.tokens.len() {
            return Err(GuideError::Rollback { requested: n, available: self.tokens.len() });
        }
        self.truncate(n);
        Ok(())
    }

    fn truncate(&mut self, n: usize) {
        self.tokens.truncate(self.tokens.len() - n);
        self.states.truncate(self.states.len() - n);
    }

    /// Back to the start state, forgetting all tokens (keeps the history's capacity).
    pub fn reset(&mut self) {
        self.truncate(self.tokens.len());
    }

    /// The tokens accepted so far.
    #[must_use]
    pub fn tokens(&self) -> &[TokenId] {
        &self.tokens
    }

    /// The number of tokens accepted so far.
    #[must_use]
    pub fn num_tokens(&self) -> usize {
        self.tokens.len()
    }
}
