//! Random sequences of guide operations, checked against the reference model.

use std::sync::{Arc, OnceLock};

use maskwell_index::{BuildMode, Config, ErrorKind, Guide, GuideError, Index, Snapshot, Step};
use maskwell_vocab::TokenId;

use crate::reference::Reference;
use crate::vocab;

/// The languages the guide is driven through: JSON-like structure, bounded and unbounded
/// repetition, Unicode classes and multi-byte characters, raw non-UTF-8 bytes,
/// alternations with shared prefixes, an optional (empty-matching) language, and one that
/// the tiny vocabulary only partly expresses.
const REGEXES: &[&str] = &[
    r#"\{"a": (true|false|[0-9]{1,3})\}"#,
    "[a-z]{0,5}(,[a-z]{1,3}){0,3}",
    r"\p{Greek}{1,2}|[é日😀]+",
    "(abc|abd|ab|a)(b|c)*",
    "(true|tr[a-z]|false)?",
    r#""([^"\\]|\\["\\n])*""#,
    r"-?(0|[1-9][0-9]*)(\.[0-9]+)?",
    r"\[(null|[0-9])(, (null|[0-9])){0,4}\]",
    ".{0,3}",
    r"(?-u:[\x80-\xff])(a|b)",
    "(a|b)*abb",
    "(c|x)+y?",
];

/// One regex over one vocabulary: its reference model, its eager index, and a lazy index
/// shared by every input (so later inputs also meet rows that earlier ones walked), built
/// once.
struct Case {
    pattern: &'static str,
    full_bytes: bool,
    reference: Reference,
    eager: Option<Arc<Index>>,
    lazy: Option<Arc<Index>>,
}

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        [false, true]
            .into_iter()
            .flat_map(|full| REGEXES.iter().map(move |&p| (p, full)))
            .map(|(pattern, full_bytes)| {
                let reference = Reference::new(pattern, vocab::pick(full_bytes))
                    .expect("the harness regexes compile");
                let eager = build(pattern, full_bytes, BuildMode::Eager, &reference).map(Arc::new);
                let lazy = build(pattern, full_bytes, BuildMode::Lazy, &reference).map(Arc::new);
                Case { pattern, full_bytes, reference, eager, lazy }
            })
            .collect()
    })
}

/// Builds the index and checks that it fails exactly when the reference says no output is
/// possible; `None` then.
fn build(pattern: &str, full_bytes: bool, mode: BuildMode, reference: &Reference) -> Option<Index> {
    let config = Config::new().parallel(false).build_mode(mode);
    match Index::builder().configure(config).build(pattern, vocab::pick(full_bytes)) {
        Ok(index) => {
            assert!(reference.is_expressible(), "{pattern}: built an index of an empty language");
            Some(index)
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Inexpressible, "{pattern}: {e}");
            assert!(!reference.is_expressible(), "{pattern}: refused an expressible language");
            None
        }
    }
}

/// Drives a [`Guide`] through operations decoded from the input and checks every result
/// against the reference model (see `reference.rs`).
///
/// Byte 0 picks the regex and vocabulary, byte 1 the index: the shared eager or lazy one
/// (cheap, so most inputs), or a fresh lazy or background build (a few milliseconds);
/// every following operation is an opcode byte and its arguments: advance (an allowed token
/// or any id, out of range included), peek, accept and validate token lists, draft
/// bitmasks, rollback, reset, snapshot and restore, clone, and the read-only queries (mask,
/// allowed ids, forced bytes and token, acceptance). After each operation the guide's
/// tokens and status must equal the model's; refused operations must leave it unchanged
/// and fail with the error the model predicts.
pub fn guide_ops(data: &[u8]) {
    let [pick, mode, ops @ ..] = data else { return };
    let all = cases();
    let case = &all[usize::from(*pick) % all.len()];
    let fresh = |mode| build(case.pattern, case.full_bytes, mode, &case.reference).map(Arc::new);
    let index = match mode % 8 {
        0..=3 => case.eager.clone(),
        4 | 5 => case.lazy.clone(),
        6 => fresh(BuildMode::Lazy),
        _ => fresh(BuildMode::Background),
    };
    let Some(index) = index else { return };
    let mut run = Run::new(index, &case.reference);
    let mut input = ops.iter().copied();
    while let Some(op) = input.next() {
        run.apply(op, &mut input);
        run.check_status();
    }
}

/// A guide and the model's account of where it is.
struct Run<'a> {
    guide: Guide,
    reference: &'a Reference,
    /// The model node before each accepted token, then the current one (`None` once an
    /// end-of-sequence token was accepted), as the guide keeps its states.
    nodes: Vec<Option<usize>>,
    tokens: Vec<u32>,
    mask: Vec<u32>,
}

impl<'a> Run<'a> {
    fn new(index: Arc<Index>, reference: &'a Reference) -> Run<'a> {
        let mask = vec![0; index.words()];
        Run {
            guide: Guide::new(index),
            reference,
            nodes: vec![Some(reference.start())],
            tokens: Vec::new(),
            mask,
        }
    }

    fn width(&self) -> usize {
        self.guide.index().width()
    }

    fn current(&self) -> Option<usize> {
        *self.nodes.last().expect("never empty")
    }

    fn apply(&mut self, op: u8, input: &mut impl Iterator<Item = u8>) {
        let arg = input.next().unwrap_or(0);
        match op % 16 {
            0..=2 => {
                let token = self.allowed_or_any(self.current(), arg);
                self.advance(token);
            }
            3 => self.advance(self.any_token(arg)),
            4 => self.peek(self.any_token(arg)),
            5 => {
                let tokens = self.token_list(arg, input);
                self.accept_tokens(&tokens);
            }
            6 => {
                let tokens = self.token_list(arg, input);
                self.validate_tokens(&tokens);
            }
            7 => {
                let tokens = self.token_list(arg, input);
                self.draft_bitmasks(&tokens);
            }
            8 => self.rollback(usize::from(arg % 6)),
            9 => {
                self.guide.reset();
                self.nodes.truncate(1);
                self.tokens.clear();
            }
            10 => self.snapshot_and_restore(),
            11 => self.clone_is_independent(arg),
            12 => self.check_forced(),
            13 => {
                let short = vec![0u32; self.mask.len() + 1];
                let e = self.guide.fill_bitmask(&mut { short }).expect_err("wrong buffer size");
                assert_eq!(e.kind(), ErrorKind::BufferSize);
            }
            _ => self.check_allowed(),
        }
    }

    /// An allowed token (by `arg`) when the model allows any, else any id.
    fn allowed_or_any(&self, node: Option<usize>, arg: u8) -> u32 {
        let allowed = node.map(|n| self.reference.allowed(n)).unwrap_or_default();
        if allowed.is_empty() {
            self.any_token(arg)
        } else {
            allowed[usize::from(arg) % allowed.len()]
        }
    }

    /// Any id, a few past the width included.
    fn any_token(&self, arg: u8) -> u32 {
        (usize::from(arg) % (self.width() + 3)) as u32
    }

    /// Up to 4 tokens, each allowed along the path so far (top bit clear) or any id.
    fn token_list(&self, len: u8, input: &mut impl Iterator<Item = u8>) -> Vec<u32> {
        let mut node = self.current();
        let mut out = Vec::new();
        for _ in 0..len % 5 {
            let b = input.next().unwrap_or(0);
            let token =
                if b & 0x80 == 0 { self.allowed_or_any(node, b) } else { self.any_token(b & 0x7f) };
            node = node.and_then(|n| self.reference.step(n, token)).flatten();
            out.push(token);
        }
        out
    }

    /// What the model says `token` does from `node`: the next node (`None` for the end of
    /// sequence), or the error the guide must return.
    fn expect_step(&self, node: Option<usize>, token: u32) -> Result<Option<usize>, ErrorKind> {
        let Some(node) = node else { return Err(ErrorKind::Finished) };
        if token as usize >= self.width() {
            return Err(ErrorKind::TokenOutOfRange);
        }
        self.reference.step(node, token).ok_or(ErrorKind::TokenNotAllowed)
    }

    fn advance(&mut self, token: u32) {
        let expected = self.expect_step(self.current(), token);
        let got = self.guide.advance(TokenId::new(token));
        self.compare_step(token, expected, got);
        if let Ok(next) = expected {
            self.nodes.push(next);
            self.tokens.push(token);
        }
    }

    fn peek(&mut self, token: u32) {
        let expected = self.expect_step(self.current(), token);
        let got = self.guide.peek(TokenId::new(token));
        self.compare_step(token, expected, got);
    }

    fn compare_step(
        &self,
        token: u32,
        expected: Result<Option<usize>, ErrorKind>,
        got: Result<Step, GuideError>,
    ) {
        match (expected, got) {
            (Ok(None), Ok(Step::Finished)) | (Ok(Some(_)), Ok(Step::Continue(_))) => {}
            (Err(kind), Err(e)) => assert_eq!(kind, e.kind(), "token {token}: {e}"),
            (expected, got) => panic!(
                "token {token} after {:?}: the model expects {expected:?}, the guide gave {got:?}",
                self.tokens
            ),
        }
    }

    /// How many of `tokens` the model accepts in a row, and the error of the first refused.
    fn expect_prefix(&self, tokens: &[u32]) -> (Vec<Option<usize>>, Option<ErrorKind>) {
        let mut node = self.current();
        let mut path = Vec::new();
        for &t in tokens {
            match self.expect_step(node, t) {
                Ok(next) => {
                    path.push(next);
                    node = next;
                }
                Err(kind) => return (path, Some(kind)),
            }
        }
        (path, None)
    }

    fn accept_tokens(&mut self, tokens: &[u32]) {
        let (path, refused) = self.expect_prefix(tokens);
        let ids: Vec<TokenId> = tokens.iter().map(|&t| TokenId::new(t)).collect();
        match (refused, self.guide.accept_tokens(&ids)) {
            (None, Ok(())) => {
                self.nodes.extend(path);
                self.tokens.extend_from_slice(tokens);
            }
            (Some(kind), Err(e)) => assert_eq!(kind, e.kind(), "{tokens:?}: {e}"),
            (refused, got) => panic!("accept {tokens:?}: model {refused:?}, guide {got:?}"),
        }
    }

    fn validate_tokens(&self, tokens: &[u32]) {
        let (path, _) = self.expect_prefix(tokens);
        let ids: Vec<TokenId> = tokens.iter().map(|&t| TokenId::new(t)).collect();
        assert_eq!(self.guide.validate_tokens(&ids), path.len(), "validate {tokens:?}");
    }

    /// Row `i` is the mask after the first `i` draft tokens; rows past the first refused
    /// token repeat the last valid row.
    fn draft_bitmasks(&self, tokens: &[u32]) {
        let (path, _) = self.expect_prefix(tokens);
        let ids: Vec<TokenId> = tokens.iter().map(|&t| TokenId::new(t)).collect();
        let words = self.mask.len();
        let mut rows = vec![0u32; (tokens.len() + 1) * words];
        let valid = self.guide.fill_draft_bitmasks(&ids, &mut rows).expect("rows fit");
        assert_eq!(valid, path.len(), "draft {tokens:?}");
        let nodes: Vec<Option<usize>> = std::iter::once(self.current()).chain(path).collect();
        for (i, row) in rows.chunks(words).enumerate() {
            let node = nodes[i.min(nodes.len() - 1)];
            assert_eq!(decode(row), self.expect_allowed(node), "draft {tokens:?} row {i}");
        }
    }

    fn rollback(&mut self, n: usize) {
        let before = self.guide.allowed_ids().to_vec();
        match self.guide.rollback(n) {
            Ok(()) => {
                assert!(n <= self.tokens.len(), "rolled back {n} of {:?}", self.tokens);
                self.nodes.truncate(self.nodes.len() - n);
                self.tokens.truncate(self.tokens.len() - n);
            }
            Err(e) => {
                assert!(n > self.tokens.len(), "refused to roll back {n}: {e}");
                assert_eq!(e.kind(), ErrorKind::Rollback);
                assert_eq!(self.guide.allowed_ids(), before, "a refused rollback moved");
            }
        }
        self.check_allowed();
    }

    fn snapshot_and_restore(&mut self) {
        let text = self.guide.snapshot().to_json();
        let snapshot = Snapshot::from_json(&text).expect("a written snapshot reads back");
        let restored = Guide::restore(self.guide.index().clone(), &snapshot)
            .expect("a snapshot restores on its own index");
        assert_eq!(restored.tokens(), self.guide.tokens());
        assert_eq!(restored.allowed_ids(), self.guide.allowed_ids());
        assert_eq!(restored.is_finished(), self.guide.is_finished());
        self.guide = restored;
    }

    /// Advancing a clone must leave the original where it was.
    fn clone_is_independent(&self, arg: u8) {
        let mut clone = self.guide.clone();
        let token = self.allowed_or_any(self.current(), arg);
        let _ = clone.advance(TokenId::new(token));
        clone.reset();
        assert_eq!(self.guide.tokens().len(), self.tokens.len());
        assert_eq!(self.guide.allowed_ids(), self.expect_allowed(self.current()));
    }

    /// Forced bytes must be empty where the output may end, and every allowed token's
    /// bytes must agree with them (one a prefix of the other); a forced token is the only
    /// allowed one.
    fn check_forced(&self) {
        let forced = self.guide.forced_bytes();
        let allowed = self.expect_allowed(self.current());
        if self.guide.is_accepting() {
            assert!(forced.is_empty(), "forced bytes {forced:?} where the output may end");
        }
        let vocab = vocab_of(self.guide.index());
        for &t in &allowed {
            let Some(bytes) =
                vocab.token_bytes(TokenId::new(t)).filter(|_| !vocab.is_eos(TokenId::new(t)))
            else {
                continue;
            };
            let n = bytes.len().min(forced.len());
            assert_eq!(&bytes[..n], &forced[..n], "token {t} disagrees with forced bytes");
        }
        let forced_token = self.guide.forced_token().map(|t| t.as_u32());
        let only = (allowed.len() == 1 && self.current().is_some()).then(|| allowed[0]);
        assert_eq!(forced_token, only, "forced token");
    }

    fn check_allowed(&mut self) {
        let expected = self.expect_allowed(self.current());
        assert_eq!(self.guide.allowed_ids(), expected, "allowed ids after {:?}", self.tokens);
        self.guide.fill_bitmask(&mut self.mask).expect("the mask has the index's width");
        assert_eq!(decode(&self.mask), expected, "mask after {:?}", self.tokens);
    }

    /// The model's allowed tokens; only the end-of-sequence tokens once finished.
    fn expect_allowed(&self, node: Option<usize>) -> Vec<u32> {
        match node {
            Some(n) => self.reference.allowed(n),
            None => self.guide.index().eos().to_vec(),
        }
    }

    fn check_status(&self) {
        let tokens: Vec<u32> = self.guide.tokens().iter().map(|t| t.as_u32()).collect();
        assert_eq!(tokens, self.tokens, "the guide's tokens");
        assert_eq!(self.guide.is_finished(), self.current().is_none(), "finished");
        let accepting = self.current().is_none_or(|n| self.reference.is_accepting(n));
        assert_eq!(self.guide.is_accepting(), accepting, "accepting after {tokens:?}");
    }
}

/// The vocabulary an index of this harness was built over (told apart by width).
fn vocab_of(index: &Index) -> &'static maskwell_vocab::Vocabulary {
    vocab::pick(index.width() != vocab::tiny().width())
}

fn decode(mask: &[u32]) -> Vec<u32> {
    (0..mask.len() as u32 * 32).filter(|&t| mask[t as usize / 32] >> (t % 32) & 1 == 1).collect()
}
