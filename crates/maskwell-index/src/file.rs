//! Index files: a versioned, checksummed binary format.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! 0   magic      8 bytes  \x89MWI\r\n\x1a\n  (catches text-mode mangling, like PNG's)
//! 8   version    u32      1
//! 12  reserved   u32      0
//! 16  length     u64      bytes of payload that follow the header
//! 24  checksum   u64      xxh3-64 of the payload
//! 32  payload:
//!     fingerprint u64, width u32, start u32
//!     automaton_states u32, dfa_states u32, pruned_states u32, reserved u32
//!     automaton_micros u64, index_micros u64
//!     source kind u32 (0 regex, 1 schema), then its strings (u32 length + UTF-8)
//!     arrays (u32 count + u32 items): eos, state_set, state_next, set_offsets,
//!     set_tokens, next_states, forced_offsets
//!     forced bytes (u32 length + bytes)
//! ```
//!
//! Loading checks everything before anything is trusted: magic, version, length, checksum,
//! every count against the bytes left (so a corrupt count cannot trigger a huge
//! allocation), and every offset, id and state number against its range, so a loaded index
//! can never index out of bounds. The vocabulary fingerprint must match the vocabulary the
//! caller supplies. Files are written to a temporary file beside the target and renamed into
//! place, so a reader never sees half a file.

use std::io::Write as _;
use std::path::Path;

use maskwell_vocab::{Fingerprint, Vocabulary};
use xxhash_rust::xxh3::xxh3_64;

use crate::index::{BuildInfo, FINISHED};
use crate::{Error, Index, Source};

const MAGIC: &[u8; 8] = b"\x89MWI\r\n\x1a\n";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 32;

impl Index {
    /// The index as bytes in the index file format. A lazy index is first completed into
    /// the eager layout ([`Index::to_eager`]).
    ///
    /// # Errors
    ///
    /// As [`Index::to_eager`] for a lazy index; never for an eager one.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        if self.is_lazy() {
            return self.to_eager()?.to_bytes();
        }
        let mut p = Vec::with_capacity(64 + 4 * (self.set_tokens.len() + self.next_states.len()));
        p.extend_from_slice(&self.fingerprint.as_u64().to_le_bytes());
        for v in [
            self.width as u32,
            self.start,
            self.info.automaton_states,
            self.info.dfa_states,
            self.info.pruned_states,
            0,
        ] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.extend_from_slice(&self.info.automaton_micros.to_le_bytes());
        p.extend_from_slice(&self.info.index_micros.to_le_bytes());
        let put_str = |p: &mut Vec<u8>, s: &str| {
            p.extend_from_slice(&(s.len() as u32).to_le_bytes());
            p.extend_from_slice(s.as_bytes());
        };
        match &self.source {
            Source::Regex(regex) => {
                p.extend_from_slice(&0u32.to_le_bytes());
                put_str(&mut p, regex);
            }
            Source::Schema { schema, regex } => {
                p.extend_from_slice(&1u32.to_le_bytes());
                put_str(&mut p, schema);
                put_str(&mut p, regex);
            }
        }
        for array in [
            &self.eos,
            &self.state_set,
            &self.state_next,
            &self.set_offsets,
            &self.set_tokens,
            &self.next_states,
            &self.forced_offsets,
        ] {
            p.extend_from_slice(&(array.len() as u32).to_le_bytes());
            for v in array.iter() {
                p.extend_from_slice(&v.to_le_bytes());
            }
        }
        p.extend_from_slice(&(self.forced_bytes.len() as u32).to_le_bytes());
        p.extend_from_slice(&self.forced_bytes);
        let mut out = Vec::with_capacity(HEADER_LEN + p.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(p.len() as u64).to_le_bytes());
        out.extend_from_slice(&xxh3_64(&p).to_le_bytes());
        out.extend_from_slice(&p);
        Ok(out)
    }

    /// Writes the index to `path` atomically (a temporary file in the same directory,
    /// renamed into place).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be written; as [`Index::to_eager`] for a lazy
    /// index.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_path_buf(), action: "write", source };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let bytes = self.to_bytes()?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.write_all(&bytes).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Reads an index file and checks it was built for `vocab`.
    ///
    /// ```
    /// use maskwell_index::Index;
    /// use maskwell_vocab::{TokenId, Vocabulary};
    ///
    /// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "a", "b"])?;
    /// let index = Index::new("a+b", &vocab)?;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("ab.mwi");
    /// index.save(&path)?;
    /// let loaded = Index::load(&path, &vocab)?;
    /// assert_eq!(loaded.to_bytes()?, index.to_bytes()?);
    ///
    /// let other = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(["</s>", "b", "a"])?;
    /// assert!(Index::load(&path, &other).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::BadFile`] when it is not a valid
    /// index file of this format version, [`Error::VocabularyMismatch`] when it was built for
    /// another vocabulary.
    pub fn load(path: impl AsRef<Path>, vocab: &Vocabulary) -> Result<Index, Error> {
        let index = Index::load_unbound(path)?;
        index.check_vocabulary(vocab)?;
        Ok(index)
    }

    /// Reads an index file without a vocabulary to check it against, for inspection. The
    /// file is fully validated otherwise.
    ///
    /// # Errors
    ///
    /// As [`Index::load`], less the vocabulary check.
    pub fn load_unbound(path: impl AsRef<Path>) -> Result<Index, Error> {
        let path = path.as_ref();
        let started = std::time::Instant::now();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        let index = parse(&bytes, path)?;
        crate::metrics::loaded(started.elapsed());
        Ok(index)
    }

    /// Parses index file bytes and checks them against `vocab`.
    ///
    /// # Errors
    ///
    /// As [`Index::load`].
    pub fn from_bytes(bytes: &[u8], vocab: &Vocabulary) -> Result<Index, Error> {
        let started = std::time::Instant::now();
        let index = parse(bytes, Path::new("<memory>"))?;
        index.check_vocabulary(vocab)?;
        crate::metrics::loaded(started.elapsed());
        Ok(index)
    }

    /// Checks that this index was built for `vocab`.
    ///
    /// # Errors
    ///
    /// [`Error::VocabularyMismatch`] when the fingerprints or widths differ.
    pub fn check_vocabulary(&self, vocab: &Vocabulary) -> Result<(), Error> {
        if self.fingerprint == vocab.fingerprint() && self.width == vocab.width() {
            Ok(())
        } else {
            Err(Error::VocabularyMismatch {
                expected: self.fingerprint.to_string(),
                expected_width: self.width,
                actual: vocab.fingerprint().to_string(),
                actual_width: vocab.width(),
            })
        }
    }
}

/// A bounds-checked little-endian reader that reports the payload offset of what failed.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn fail(&self, what: &str) -> Error {
        Error::bad_file(
            self.path,
            format!("truncated or corrupt at byte {}: {what}", HEADER_LEN + self.pos),
        )
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.fail(what))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self, what: &str) -> Result<u32, Error> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64, Error> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn string(&mut self, what: &str) -> Result<String, Error> {
        let len = self.u32(what)? as usize;
        let at = HEADER_LEN + self.pos;
        let b = self.take(len, what)?;
        String::from_utf8(b.to_vec())
            .map_err(|_| Error::bad_file(self.path, format!("{what} at byte {at} is not UTF-8")))
    }

    fn array(&mut self, what: &str) -> Result<Vec<u32>, Error> {
        let count = self.u32(what)? as usize;
        let b = self.take(count.checked_mul(4).ok_or_else(|| self.fail(what))?, what)?;
        Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
}

fn parse(bytes: &[u8], path: &Path) -> Result<Index, Error> {
    let bad = |reason: String| Error::bad_file(path, reason);
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        if bytes.len() >= 8 && bytes[..8] == MAGIC[..] {
            return Err(bad(format!(
                "truncated header: {} bytes, expected at least {HEADER_LEN}",
                bytes.len()
            )));
        }
        return Err(bad("not a maskwell index file (bad magic number)".to_owned()));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(bad(format!("index format version {version} is not supported (this build reads version {FORMAT_VERSION}); rebuild the index")));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[16..24]);
    let len = u64::from_le_bytes(len);
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != len {
        return Err(bad(format!(
            "truncated or padded: the header announces {len} payload bytes, the file has {}",
            payload.len()
        )));
    }
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&bytes[24..32]);
    if xxh3_64(payload) != u64::from_le_bytes(sum) {
        return Err(bad("checksum mismatch: the file is corrupt".to_owned()));
    }

    let mut r = Reader { bytes: payload, pos: 0, path };
    let fingerprint = Fingerprint::from_u64(r.u64("fingerprint")?);
    let width = r.u32("width")? as usize;
    let start = r.u32("start state")?;
    let automaton_states = r.u32("automaton states")?;
    let dfa_states = r.u32("dfa states")?;
    let pruned_states = r.u32("pruned states")?;
    r.u32("reserved")?;
    let automaton_micros = r.u64("automaton time")?;
    let index_micros = r.u64("index time")?;
    let source = match r.u32("source kind")? {
        0 => Source::Regex(r.string("regex")?),
        1 => Source::Schema { schema: r.string("schema")?, regex: r.string("regex")? },
        k => return Err(bad(format!("unknown source kind {k}"))),
    };
    let eos = r.array("eos tokens")?;
    let state_set = r.array("state sets")?;
    let state_next = r.array("state offsets")?;
    let set_offsets = r.array("set offsets")?;
    let set_tokens = r.array("set tokens")?;
    let next_states = r.array("next states")?;
    let forced_offsets = r.array("forced byte offsets")?;
    let forced_len = r.u32("forced bytes")? as usize;
    let forced_bytes = r.take(forced_len, "forced bytes")?.to_vec();
    if r.pos != payload.len() {
        return Err(bad(format!("{} unexpected bytes after the index", payload.len() - r.pos)));
    }

    let index = Index {
        width,
        fingerprint,
        eos,
        source,
        start,
        state_set,
        state_next,
        set_offsets,
        set_tokens,
        next_states,
        forced_offsets,
        forced_bytes,
        set_mask: Vec::new(),
        masks: Vec::new(),
        mask_ranks: Vec::new(),
        eos_mask: Vec::new(),
        accepting: Vec::new(),
        info: BuildInfo {
            automaton_states,
            dfa_states,
            pruned_states,
            automaton_micros,
            index_micros,
        },
        lazy: None,
    };
    validate(&index).map_err(|reason| bad(format!("inconsistent index: {reason}")))?;
    let mut index = index;
    index.derive();
    Ok(index)
}

/// Checks every invariant the index's methods rely on, so a loaded index cannot panic.
fn validate(ix: &Index) -> Result<(), String> {
    let increasing = |xs: &[u32]| xs.windows(2).all(|w| w[0] < w[1]);
    if ix.width == 0 || ix.width > 1 << 24 {
        return Err(format!("width {} out of range", ix.width));
    }
    if ix.eos.is_empty() || !increasing(&ix.eos) || ix.eos.iter().any(|&t| t as usize >= ix.width) {
        return Err("end-of-sequence ids are empty, unsorted or out of range".to_owned());
    }
    let states = ix.state_set.len();
    if states == 0 || ix.state_next.len() != states || ix.start as usize >= states {
        return Err(format!(
            "{states} states, {} state offsets, start {}",
            ix.state_next.len(),
            ix.start
        ));
    }
    if ix.set_offsets.first() != Some(&0)
        || ix.set_offsets.last().map(|&l| l as usize) != Some(ix.set_tokens.len())
    {
        return Err("set offsets do not span the set tokens".to_owned());
    }
    if ix.set_offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err("set offsets decrease".to_owned());
    }
    let sets = ix.set_offsets.len() - 1;
    for s in 0..sets {
        let tokens = ix.set(s as u32);
        if !increasing(tokens) || tokens.last().is_some_and(|&t| t as usize >= ix.width) {
            return Err(format!("set {s} is unsorted or has a token past the width"));
        }
    }
    let mut offset = 0usize;
    for s in 0..states {
        let set = ix.state_set[s];
        if set as usize >= sets {
            return Err(format!("state {s} refers to set {set} of {sets}"));
        }
        if ix.state_next[s] as usize != offset {
            return Err(format!(
                "state {s} next-state offset {} should be {offset}",
                ix.state_next[s]
            ));
        }
        for (i, &token) in ix.set(set).iter().enumerate() {
            let next =
                ix.next_states.get(offset + i).copied().ok_or("next states are too short")?;
            let is_eos = ix.eos.binary_search(&token).is_ok();
            if is_eos != (next == FINISHED) || (next != FINISHED && next as usize >= states) {
                return Err(format!("state {s}, token {token}: bad next state {next}"));
            }
        }
        offset += ix.set(set).len();
    }
    if offset != ix.next_states.len() {
        return Err(format!("{} next states for {offset} transitions", ix.next_states.len()));
    }
    if ix.forced_offsets.len() != states + 1
        || ix.forced_offsets[0] != 0
        || ix.forced_offsets.windows(2).any(|w| w[0] > w[1])
        || ix.forced_offsets[states] as usize != ix.forced_bytes.len()
    {
        return Err("forced byte offsets do not span the forced bytes".to_owned());
    }
    Ok(())
}
