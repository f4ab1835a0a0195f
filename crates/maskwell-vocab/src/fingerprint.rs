use std::fmt;

/// A stable 64-bit identity of a [`Vocabulary`](crate::Vocabulary).
///
/// It hashes (xxh3) the width, every token's kind and bytes, and the end-of-sequence set, so
/// two vocabularies with the same fingerprint produce the same index for the same regex. Index
/// files record it and refuse to load against another vocabulary. The value is stable across
/// platforms and releases of this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// Wraps a raw value, as read back from an index file.
    #[must_use]
    pub const fn from_u64(value: u64) -> Fingerprint {
        Fingerprint(value)
    }

    /// The raw value.
    #[must_use]
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}
