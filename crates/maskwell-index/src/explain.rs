//! Why a token is, or is not, allowed after a text: the answer to "why was this refused?".
//!
//! The index only stores which tokens each token-level state allows; it no longer knows
//! *why*. An explanation goes back to the byte automaton: it determinizes the index's
//! regex on demand (regex-automata's lazy DFA, so a large schema costs what the walk
//! visits), walks the text and then the token byte by byte, and stops at the first byte the
//! language refuses. It reports that byte, its offset, the bytes that would have been
//! accepted there, the forced continuation, and a sample of the tokens the text may be
//! followed by. This is a diagnostic: it allocates and takes milliseconds, and is never
//! on the decode path.

use std::fmt;

use maskwell_vocab::{TokenId, TokenKind, Vocabulary};
use regex_automata::{
    hybrid::{
        dfa::{Cache, DFA},
        LazyStateID,
    },
    util::start,
    Anchored, MatchKind,
};

use crate::{
    automaton::compile_nfa, index::MAX_FORCED_BYTES, Config, Error, Guide, Index, StateId,
};

/// How many allowed tokens an [`Explanation`] lists as examples.
const EXAMPLES: usize = 16;

/// The verdict of an [`Explanation`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The token may follow the text.
    Allowed,
    /// The text itself leaves the language at byte `offset` (of the text): no token can
    /// follow it.
    TextRejected {
        /// Offset of the refused byte in the text.
        offset: usize,
        /// The refused byte.
        byte: u8,
    },
    /// Byte `offset` of the token (counted from the token's first byte) is refused.
    ByteRejected {
        /// Offset of the refused byte in the token.
        offset: usize,
        /// The refused byte.
        byte: u8,
    },
    /// The token is an end-of-sequence token, and the output may not end after the text.
    EndNotAllowed,
    /// The token has no text (a special token that is not an end-of-sequence token), so it
    /// is never allowed.
    NotText,
    /// The automaton accepts every byte of the token, but the index refuses it: from where
    /// it leads, no sequence of tokens of this vocabulary reaches the end (the state was
    /// pruned).
    DeadEnd,
}

/// Why a token is or is not allowed after a text, from [`Index::explain`] or
/// [`Guide::explain`]. Its `Display` is the human-readable report; [`Explanation::to_json`]
/// the machine-readable one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// The token asked about.
    pub token: TokenId,
    /// Its bytes (empty for a special token).
    pub token_bytes: Vec<u8>,
    /// Whether it is an end-of-sequence token of the index.
    pub is_eos: bool,
    /// The text before the token.
    pub text: Vec<u8>,
    /// The verdict.
    pub verdict: Verdict,
    /// Where the automaton stands: the offset, in `text` followed by `token_bytes`, up to
    /// which the bytes were accepted (the refused byte's offset when one was refused).
    pub position: usize,
    /// The index state after the text, when the text came from a guide's tokens.
    pub state: Option<StateId>,
    /// The bytes the language accepts at `position`, as inclusive ranges.
    pub expected: Vec<(u8, u8)>,
    /// Whether the output may end at `position`.
    pub can_end: bool,
    /// The bytes every continuation from `position` starts with (empty when there is a
    /// choice; at most 256).
    pub forced: Vec<u8>,
    /// How many tokens may follow the text (end-of-sequence included); `None` when the text
    /// itself is refused.
    pub allowed_tokens: Option<usize>,
    /// Up to 16 of them, in increasing id order.
    pub examples: Vec<TokenId>,
}

impl Explanation {
    /// Whether the token is allowed.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        self.verdict == Verdict::Allowed
    }

    /// The text and the token's bytes up to [`Explanation::position`]: what was accepted.
    #[must_use]
    pub fn accepted(&self) -> Vec<u8> {
        let mut out = self.text.clone();
        out.extend_from_slice(&self.token_bytes);
        out.truncate(self.position);
        out
    }

    /// One line saying the verdict.
    #[must_use]
    pub fn summary(&self) -> String {
        let token = format!("token {} {}", self.token, quote(&self.token_bytes));
        match &self.verdict {
            Verdict::Allowed => format!("{token} is allowed"),
            Verdict::TextRejected { offset, byte } => format!(
                "the text itself is refused at byte {offset} ({}), so no token can follow it",
                quote(&[*byte])
            ),
            Verdict::ByteRejected { offset, byte } => format!(
                "{token} is refused at its byte {offset} ({}), text offset {}",
                quote(&[*byte]),
                self.position
            ),
            Verdict::EndNotAllowed => {
                format!("{token} ends the output, and the output cannot end here")
            }
            Verdict::NotText => {
                format!("{token} is a special token with no text and not an end-of-sequence token")
            }
            Verdict::DeadEnd => format!(
                "{token} keeps the text in the language, but no sequence of tokens of this \
                 vocabulary can complete the output from there"
            ),
        }
    }

    /// The explanation as JSON (bytes as strings, invalid UTF-8 replaced), for `explain
    /// --json` and the Python binding.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let (kind, offset, byte) = match &self.verdict {
            Verdict::Allowed => ("allowed", None, None),
            Verdict::TextRejected { offset, byte } => ("text_rejected", Some(*offset), Some(*byte)),
            Verdict::ByteRejected { offset, byte } => ("byte_rejected", Some(*offset), Some(*byte)),
            Verdict::EndNotAllowed => ("end_not_allowed", None, None),
            Verdict::NotText => ("not_text", None, None),
            Verdict::DeadEnd => ("dead_end", None, None),
        };
        serde_json::json!({
            "token": self.token.as_u32(),
            "token_text": String::from_utf8_lossy(&self.token_bytes),
            "is_eos": self.is_eos,
            "allowed": self.is_allowed(),
            "verdict": kind,
            "rejected_offset": offset,
            "rejected_byte": byte.map(|b| String::from_utf8_lossy(&[b]).into_owned()),
            "summary": self.summary(),
            "position": self.position,
            "accepted_text": String::from_utf8_lossy(&self.accepted()),
            "state": self.state.map(StateId::as_u32),
            "expected": self.expected.iter().map(|&(lo, hi)| range_text(lo, hi)).collect::<Vec<_>>(),
            "can_end": self.can_end,
            "forced": String::from_utf8_lossy(&self.forced),
            "allowed_tokens": self.allowed_tokens,
            "examples": self.examples.iter().map(|t| t.as_u32()).collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary())?;
        let accepted = self.accepted();
        let tail = accepted.len().saturating_sub(60);
        writeln!(
            f,
            "  position: byte {} of the text{}, after {}{}",
            self.position,
            if self.position > self.text.len() { " and token" } else { "" },
            if tail > 0 { "…" } else { "" },
            quote(&accepted[tail..])
        )?;
        if let Some(state) = self.state {
            writeln!(f, "  index state: {state}")?;
        }
        let expected: Vec<String> =
            self.expected.iter().map(|&(lo, hi)| range_text(lo, hi)).collect();
        let end = if self.can_end { " or the end of the output" } else { "" };
        if expected.is_empty() {
            writeln!(f, "  expected: nothing more{end}")?;
        } else {
            writeln!(f, "  expected: one of {}{end}", expected.join(" "))?;
        }
        if !self.forced.is_empty() {
            writeln!(f, "  forced continuation: {}", quote(&self.forced))?;
        }
        if let Some(n) = self.allowed_tokens {
            let ids: Vec<String> = self.examples.iter().map(ToString::to_string).collect();
            write!(f, "  tokens allowed after the text: {n}")?;
            if !ids.is_empty() {
                write!(f, " (e.g. {})", ids.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The bytes a token writes into the output: none for special, absent and
/// end-of-sequence tokens.
fn text_of(vocab: &Vocabulary, token: TokenId) -> &[u8] {
    match vocab.kind(token) {
        Some(TokenKind::Text) => vocab.token_bytes(token).unwrap_or_default(),
        _ => &[],
    }
}

/// A byte string as a quoted, escaped literal.
fn quote(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

fn range_text(lo: u8, hi: u8) -> String {
    let one = |b: u8| {
        if b.is_ascii_graphic() || b == b' ' {
            (b as char).to_string()
        } else {
            format!("\\x{b:02X}")
        }
    };
    if lo == hi {
        format!("{:?}", one(lo)).replace("\\\\x", "\\x")
    } else {
        format!("[{}-{}]", one(lo), one(hi))
    }
}

/// The index's language as a lazy DFA, walked byte by byte.
struct Walker {
    dfa: DFA,
    cache: Cache,
}

/// The automaton's cache filled up: the explanation stops where it got to.
struct Full;

impl Walker {
    fn new(index: &Index) -> Result<Walker, Error> {
        let config = index.lazy.as_ref().map_or_else(Config::default, |l| l.config().clone());
        let nfa = compile_nfa(index.source().regex(), &config)?;
        let regex_error = |e: &dyn std::fmt::Display| Error::Regex {
            message: e.to_string(),
            offset: None,
            source: None,
        };
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(config.get_dfa_size_limit())
                    .skip_cache_capacity_check(true)
                    .minimum_cache_clear_count(Some(0)),
            )
            .build_from_nfa(nfa)
            .map_err(|e| regex_error(&e))?;
        let cache = dfa.create_cache();
        Ok(Walker { dfa, cache })
    }

    fn start(&mut self) -> Result<LazyStateID, Full> {
        self.dfa
            .start_state(&mut self.cache, &start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| Full)
    }

    /// The state after `byte`, or `None` when no match can follow.
    fn step(&mut self, sid: LazyStateID, byte: u8) -> Result<Option<LazyStateID>, Full> {
        let next = self.dfa.next_state(&mut self.cache, sid, byte).map_err(|_| Full)?;
        if next.is_dead() || next.is_quit() || (next.is_match() && self.is_trap(next)?) {
            return Ok(None);
        }
        Ok(Some(next))
    }

    /// A match-tagged state that only reports the match one byte back (see the `hybrid`
    /// module): the output cannot end there and every byte kills it.
    fn is_trap(&mut self, sid: LazyStateID) -> Result<bool, Full> {
        if self.can_end(sid)? {
            return Ok(false);
        }
        for b in 0..=255u8 {
            if !self.dfa.next_state(&mut self.cache, sid, b).map_err(|_| Full)?.is_dead() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn can_end(&mut self, sid: LazyStateID) -> Result<bool, Full> {
        Ok(self.dfa.next_eoi_state(&mut self.cache, sid).map_err(|_| Full)?.is_match())
    }

    /// Walks `bytes` from `sid`: the state after all of them, or the offset of the first
    /// refused byte and the state before it.
    fn walk(
        &mut self,
        mut sid: LazyStateID,
        bytes: &[u8],
    ) -> Result<Result<LazyStateID, (usize, LazyStateID)>, Full> {
        for (i, &b) in bytes.iter().enumerate() {
            match self.step(sid, b)? {
                Some(next) => sid = next,
                None => return Ok(Err((i, sid))),
            }
        }
        Ok(Ok(sid))
    }

    /// The accepted bytes at `sid` as inclusive ranges.
    fn expected(&mut self, sid: LazyStateID) -> Result<Vec<(u8, u8)>, Full> {
        let mut ranges: Vec<(u8, u8)> = Vec::new();
        for b in 0..=255u8 {
            if self.step(sid, b)?.is_some() {
                match ranges.last_mut() {
                    Some((_, hi)) if *hi + 1 == b => *hi = b,
                    _ => ranges.push((b, b)),
                }
            }
        }
        Ok(ranges)
    }

    /// The forced byte path from `sid` (as the index computes it).
    fn forced(&mut self, mut sid: LazyStateID) -> Result<Vec<u8>, Full> {
        let mut out = Vec::new();
        while out.len() < MAX_FORCED_BYTES && !self.can_end(sid)? {
            let mut only = None;
            for b in 0..=255u8 {
                if let Some(next) = self.step(sid, b)? {
                    if only.is_some() {
                        return Ok(out);
                    }
                    only = Some((b, next));
                }
            }
            let Some((b, next)) = only else { break };
            out.push(b);
            sid = next;
        }
        Ok(out)
    }
}

impl Index {
    /// Explains why `token` is or is not allowed after `text`, judged by the byte
    /// automaton of the index's regex (see the [`Explanation`] fields). The text need not
    /// be a token sequence; [`Guide::explain`] asks about a guide's own tokens and also
    /// consults the token table (which can refuse a token the automaton accepts, see
    /// [`Verdict::DeadEnd`]).
    ///
    /// A diagnostic, not for the decode loop: it rebuilds the automaton from the regex
    /// (milliseconds) and walks every token of `vocab` after the text.
    ///
    /// ```
    /// use maskwell_index::{Index, Verdict};
    /// use maskwell_vocab::{TokenId, TokenKind, Vocabulary};
    ///
    /// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "1", "2", "+", "1+"])?;
    /// let index = Index::new(r"[12](\+[12])*", &vocab)?;
    /// let why = index.explain(&vocab, b"1", TokenId::new(4))?; // "1" then "1+"
    /// assert_eq!(why.verdict, Verdict::ByteRejected { offset: 0, byte: b'1' });
    /// assert_eq!(why.expected, [(b'+', b'+')]); // after "1": a "+", or the end
    /// assert!(why.can_end);
    /// assert_eq!(why.allowed_tokens, Some(2)); // "+" and "</s>"
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::VocabularyMismatch`] when `vocab` is not the index's vocabulary; a
    /// [`GuideError::OutOfRange`](crate::GuideError) (as [`Error::Guide`]) for a token id
    /// outside it; the regex and limit errors of building the automaton.
    pub fn explain(
        &self,
        vocab: &Vocabulary,
        text: &[u8],
        token: TokenId,
    ) -> Result<Explanation, Error> {
        self.explain_at(vocab, text, token, None)
    }

    fn explain_at(
        &self,
        vocab: &Vocabulary,
        text: &[u8],
        token: TokenId,
        state: Option<StateId>,
    ) -> Result<Explanation, Error> {
        self.check_vocabulary(vocab)?;
        if token.as_usize() >= self.width {
            return Err(crate::GuideError::OutOfRange { token, width: self.width }.into());
        }
        let _span = tracing::debug_span!("explain", token = token.as_u32(), text_len = text.len())
            .entered();
        let token_bytes = text_of(vocab, token).to_vec();
        let is_eos = self.eos.binary_search(&token.as_u32()).is_ok();
        let mut walker = Walker::new(self)?;
        let mut explanation = Explanation {
            token,
            token_bytes,
            is_eos,
            text: text.to_vec(),
            verdict: Verdict::Allowed,
            position: 0,
            state,
            expected: Vec::new(),
            can_end: false,
            forced: Vec::new(),
            allowed_tokens: None,
            examples: Vec::new(),
        };
        // A full cache stops the walk where it got to; what was found is still reported.
        let _ = explain_walk(&mut walker, vocab, self, &mut explanation);
        Ok(explanation)
    }
}

fn explain_walk(
    walker: &mut Walker,
    vocab: &Vocabulary,
    index: &Index,
    out: &mut Explanation,
) -> Result<(), Full> {
    let start = walker.start()?;
    let after_text = match walker.walk(start, &out.text)? {
        Ok(sid) => sid,
        Err((offset, sid)) => {
            out.verdict = Verdict::TextRejected { offset, byte: out.text[offset] };
            out.position = offset;
            out.expected = walker.expected(sid)?;
            out.can_end = walker.can_end(sid)?;
            out.forced = walker.forced(sid)?;
            return Ok(());
        }
    };
    let mut at = after_text;
    out.position = out.text.len();
    if out.is_eos {
        if !walker.can_end(after_text)? {
            out.verdict = Verdict::EndNotAllowed;
        }
    } else if out.token_bytes.is_empty() {
        out.verdict = Verdict::NotText;
    } else {
        match walker.walk(after_text, &out.token_bytes)? {
            Ok(sid) => {
                out.position += out.token_bytes.len();
                at = sid;
            }
            Err((offset, sid)) => {
                out.verdict = Verdict::ByteRejected { offset, byte: out.token_bytes[offset] };
                out.position += offset;
                at = sid;
            }
        }
    }
    out.expected = walker.expected(at)?;
    out.can_end = walker.can_end(at)?;
    out.forced = walker.forced(at)?;
    // The tokens after the text: from the index row when the state is known, otherwise by
    // walking every token through the automaton.
    if let Some(state) = out.state {
        let ids = index.allowed_ids(state);
        out.allowed_tokens = Some(ids.len());
        out.examples = ids.iter().take(EXAMPLES).map(|&t| TokenId::new(t)).collect();
        return Ok(());
    }
    let mut count = 0;
    let can_end = walker.can_end(after_text)?;
    for id in 0..index.width as u32 {
        let token = TokenId::new(id);
        let allowed = if index.eos.binary_search(&id).is_ok() {
            can_end
        } else {
            let bytes = text_of(vocab, token);
            !bytes.is_empty() && walker.walk(after_text, bytes)?.is_ok()
        };
        if allowed {
            count += 1;
            if out.examples.len() < EXAMPLES {
                out.examples.push(token);
            }
        }
    }
    out.allowed_tokens = Some(count);
    Ok(())
}

impl Guide {
    /// Explains why `token` is or is not allowed next: as [`Index::explain`] with the text
    /// of the tokens accepted so far, and the token table consulted for the verdict and the
    /// allowed tokens. `vocab` must be the index's vocabulary (the index keeps no token
    /// text).
    ///
    /// # Errors
    ///
    /// As [`Index::explain`]; [`GuideError::Finished`](crate::GuideError) (as
    /// [`Error::Guide`]) when the guide already ended.
    pub fn explain(&self, vocab: &Vocabulary, token: TokenId) -> Result<Explanation, Error> {
        let Some(state) = self.state() else {
            return Err(crate::GuideError::Finished { token }.into());
        };
        let mut text = Vec::new();
        for &t in self.tokens() {
            text.extend_from_slice(text_of(vocab, t));
        }
        let mut explanation = self.index().explain_at(vocab, &text, token, Some(state))?;
        let allowed =
            token.as_usize() < self.index().width() && self.index().next(state, token).is_some();
        if !allowed && explanation.verdict == Verdict::Allowed {
            explanation.verdict = Verdict::DeadEnd;
        }
        Ok(explanation)
    }
}
