//! Index files from arbitrary or corrupted bytes.

use std::sync::{Arc, OnceLock};

use maskwell_index::{Guide, Index};
use maskwell_vocab::{TokenId, Vocabulary};
use xxhash_rust::xxh3::xxh3_64;

use crate::vocab;

/// Regexes of the valid files the mutating mode starts from: with and without large
/// token sets (bitmask rows), forced bytes, and a schema-like source.
const BASES: &[&str] = &[
    r#"\{"a": (true|false|[0-9]{1,3})\}"#,
    "[a-c]{0,5}(,[a-c]{1,3}){0,3}",
    r"(?s:.){0,2}",
    "ab|abc|a",
];

/// The header: magic, version, reserved, payload length, checksum.
const HEADER_LEN: usize = 32;

/// Loads the input as an index file and, when it loads, uses it: every state's allowed
/// tokens, transitions, masks and forced bytes must be consistent, a guide walks a few
/// steps, and the index survives a round trip through the format.
///
/// The first byte chooses the mode. Even: the rest is the file, which mostly exercises the
/// header checks. Odd: a valid file is built (the byte picks which), and the rest of the
/// input is a list of edits (xor, overwrite, insert, delete, truncate at a position); the
/// payload length and checksum are then fixed up (unless the edit list asks not to), so
/// that the corruption reaches the structural validation behind the checksum.
pub fn index_file(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let vocab = vocab::pick(mode & 2 != 0);
    let bytes = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        let Some(base) = base_file(usize::from(mode >> 2) % BASES.len(), mode & 2 != 0) else {
            return;
        };
        corrupt(base, rest)
    };
    let Ok(index) = Index::from_bytes(&bytes, vocab) else { return };
    check_loaded(Arc::new(index), vocab, rest);
}

/// The file of one base regex over one vocabulary, built once per process.
fn base_file(which: usize, full_bytes: bool) -> Option<&'static [u8]> {
    static FILES: OnceLock<Vec<Option<Vec<u8>>>> = OnceLock::new();
    let files = FILES.get_or_init(|| {
        [false, true]
            .into_iter()
            .flat_map(|full| BASES.iter().map(move |re| (full, re)))
            .map(|(full, re)| Index::new(re, vocab::pick(full)).ok()?.to_bytes().ok())
            .collect()
    });
    files[usize::from(full_bytes) * BASES.len() + which].as_deref()
}

/// Applies the edits of `script` to `file`: each edit is an opcode byte and a 16-bit
/// position (and a value byte for xor, overwrite and insert). A first script byte with the
/// top bit set leaves the header untouched, so the checksum check itself gets fuzzed too.
fn corrupt(file: &[u8], script: &[u8]) -> Vec<u8> {
    let mut out = file.to_vec();
    let keep_header = script.first().is_some_and(|&b| b & 0x80 != 0);
    let mut ops = script.iter().copied().skip(1);
    while let (Some(op), Some(hi), Some(lo)) = (ops.next(), ops.next(), ops.next()) {
        if out.is_empty() {
            break;
        }
        let at = usize::from(u16::from_be_bytes([hi, lo])) % out.len();
        match op % 5 {
            0 => out[at] ^= ops.next().unwrap_or(1),
            1 => out[at] = ops.next().unwrap_or(0xff),
            2 => out.insert(at, ops.next().unwrap_or(0)),
            3 => {
                out.remove(at);
            }
            _ => out.truncate(at.max(HEADER_LEN)),
        }
    }
    if !keep_header && out.len() >= HEADER_LEN {
        let len = (out.len() - HEADER_LEN) as u64;
        out[16..24].copy_from_slice(&len.to_le_bytes());
        let sum = xxh3_64(&out[HEADER_LEN..]);
        out[24..32].copy_from_slice(&sum.to_le_bytes());
    }
    out
}

/// Everything a caller may do with a loaded index must work without a panic, and the
/// index's derived tables must agree with its stored ones.
fn check_loaded(index: Arc<Index>, vocab: &Vocabulary, path: &[u8]) {
    let _ = (index.stats(), index.memory_usage(), format!("{index:?}"));
    let mut mask = vec![0u32; index.words()];
    for s in 0..index.num_states().min(256) {
        check_state(&index, maskwell_index::StateId::new(s as u32), &mut mask);
    }
    let mut guide = Guide::new(index.clone());
    for &choice in path.iter().take(16) {
        guide.fill_bitmask(&mut mask).expect("the mask has the index's width");
        let _ = (guide.forced_bytes(), guide.forced_token(), guide.is_accepting());
        let allowed = guide.allowed_ids();
        if guide.is_finished() || allowed.is_empty() {
            break;
        }
        let token = TokenId::new(allowed[usize::from(choice) % allowed.len()]);
        guide.advance(token).expect("an allowed token is accepted");
    }
    let bytes = index.to_bytes().expect("a loaded index serializes");
    let again = Index::from_bytes(&bytes, vocab).expect("a rewritten index loads");
    assert!(again == *index, "the index changed through a second round trip");
}

/// The state's mask, allowed ids and transitions must describe the same token set.
fn check_state(index: &Index, state: maskwell_index::StateId, mask: &mut [u32]) {
    index.fill_bitmask(state, mask).expect("the mask has the index's width");
    let allowed = index.allowed_ids(state);
    let from_mask: Vec<u32> =
        (0..index.width() as u32).filter(|&t| mask[t as usize / 32] >> (t % 32) & 1 == 1).collect();
    assert_eq!(allowed, from_mask.as_slice(), "state {state}: mask and allowed ids differ");
    for t in 0..index.width() as u32 {
        let next = index.next(state, TokenId::new(t));
        assert_eq!(next.is_some(), allowed.binary_search(&t).is_ok(), "state {state}, token {t}");
    }
    let accepting = index.eos().iter().any(|e| allowed.binary_search(e).is_ok());
    assert_eq!(index.is_accepting(state), accepting, "state {state}: acceptance");
    let _ = index.forced_bytes(state);
}

/// The file of `regex` over the tiny vocabulary (or the one with every byte), for writing
/// the seeds of the `index_file` target.
///
/// # Panics
///
/// When the regex does not build (the seeds use fixed regexes that do).
#[must_use]
pub fn index_seed(regex: &str, full_bytes: bool) -> Vec<u8> {
    let index = Index::new(regex, vocab::pick(full_bytes)).expect("the seed regex builds");
    index.to_bytes().expect("an eager index serializes")
}

/// Whether `file` loads as an index over the tiny vocabulary (or the one with every byte):
/// the valid seeds of the `index_file` target must, so that their mutations start from a
/// file that passes every check.
#[must_use]
pub fn index_seed_loads(file: &[u8], full_bytes: bool) -> bool {
    Index::from_bytes(file, vocab::pick(full_bytes)).is_ok()
}
