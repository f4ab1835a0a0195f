//! Apply maskwell token bitmasks to logits.
//!
//! A bitmask is `ceil(vocab / 32)` 32-bit words; bit `i % 32` of word `i / 32` is set when
//! token `i` may be sampled (the layout [`Guide::fill_bitmask`] writes, and the one vLLM,
//! SGLang and llguidance pass around). Masking sets every other logit to −∞, so softmax gives
//! it probability zero whatever the sampler does next.
//!
//! Logits rows may be wider than the vocabulary (models pad their output layer to a multiple
//! of 64 or 128): columns past the bitmask are always −∞.
//!
//! [`Guide::fill_bitmask`]: https://docs.rs/maskwell-index
//!
//! ```
//! use maskwell_mask::apply_bitmask;
//!
//! let mut logits = vec![1.0f32; 40];
//! let bitmask = [0b101u32]; // tokens 0 and 2 of a 32-token vocabulary
//! apply_bitmask(&mut logits, &bitmask)?;
//! assert_eq!(logits[0], 1.0);
//! assert_eq!(logits[1], f32::NEG_INFINITY);
//! assert_eq!(logits[2], 1.0);
//! assert_eq!(logits[39], f32::NEG_INFINITY); // padding column
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "candle")]
mod tensor;
#[cfg(feature = "candle")]
pub use tensor::{apply_bitmask_tensor, masked_logits, masked_logits_by_tensor};

/// Why a mask could not be applied. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bitmask covers more tokens than the logits row has columns.
    #[error("bitmask of {words} words covers up to {} tokens, but the logits row has only {columns} columns", words * 32)]
    RowTooNarrow {
        /// Bitmask words per row.
        words: usize,
        /// Logits per row.
        columns: usize,
    },
    /// A tensor is not `[columns]` or `[rows, columns]`, or its data type is not a float.
    #[error("cannot mask a tensor of shape {shape:?} and type {dtype}: {reason}")]
    Tensor {
        /// The tensor's dimensions.
        shape: Vec<usize>,
        /// Its data type.
        dtype: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The tensor library failed.
    #[error("tensor operation failed: {0}")]
    Backend(String),
    /// Buffers do not split into the given number of rows.
    #[error("batch of {rows} rows: {what} has {len} elements, not a multiple of {rows}")]
    Batch {
        /// Rows requested.
        rows: usize,
        /// `logits` or `bitmask`.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

impl Error {
    /// A stable snake_case code, the same in Rust, Python and the CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::RowTooNarrow { .. } => "row_too_narrow",
            Error::Batch { .. } => "batch_shape",
            Error::Tensor { .. } => "tensor",
            Error::Backend(_) => "backend",
        }
    }
}

/// Sets `logits[i]` to −∞ for every token `i` whose bit is clear in `bitmask`, and for every
/// column past `bitmask.len() * 32`.
///
/// Runs at memory speed: whole words of allowed or disallowed tokens are handled without
/// looking at single bits.
///
/// # Errors
///
/// [`Error::RowTooNarrow`] when `bitmask` has more words than `logits` needs
/// (`logits.len().div_ceil(32)`); nothing is written then.
pub fn apply_bitmask(logits: &mut [f32], bitmask: &[u32]) -> Result<(), Error> {
    if bitmask.len() > logits.len().div_ceil(32) {
        return Err(Error::RowTooNarrow { words: bitmask.len(), columns: logits.len() });
    }
    mask_row(logits, bitmask, f32::NEG_INFINITY);
    Ok(())
}

/// Writes `neg_inf` where `bitmask` disallows, and in the padding past it. The caller has
/// checked that `bitmask` is not longer than the row needs.
#[inline]
pub(crate) fn mask_row<T: Copy>(logits: &mut [T], bitmask: &[u32], neg_inf: T) {
    let (masked, padding) = logits.split_at_mut((bitmask.len() * 32).min(logits.len()));
    let mut w = 0;
    while w < bitmask.len() {
        let word = bitmask[w];
        // Runs of whole words are one skip or one fill (a memset), not a loop per word.
        let run = bitmask[w..].iter().take_while(|&&x| x == word).count();
        let start = (w * 32).min(masked.len());
        let end = ((w + run) * 32).min(masked.len());
        match word {
            u32::MAX => {}
            0 => masked[start..end].fill(neg_inf),
            // A select, not a branch per bit: mixed words have random bits, and a
            // mispredicted branch per token cost more than the whole memory pass.
            _ => {
                for chunk in masked[start..end].chunks_mut(32) {
                    for (i, logit) in chunk.iter_mut().enumerate() {
                        let keep = word >> i & 1 == 1;
                        *logit = if keep { *logit } else { neg_inf };
                    }
                }
            }
        }
        w += run;
    }
    padding.fill(neg_inf);
}

/// [`apply_bitmask`] on each of `rows` rows: `logits` is `[rows, columns]` and `bitmask` is
/// `[rows, words]`, both row-major and contiguous.
///
/// ```
/// use maskwell_mask::apply_bitmask_batch;
///
/// let mut logits = vec![0.5f32; 2 * 32];
/// apply_bitmask_batch(&mut logits, &[0b1, 0b10], 2)?;
/// assert_eq!(logits[0], 0.5);
/// assert_eq!(logits[32 + 1], 0.5);
/// assert_eq!(logits[32], f32::NEG_INFINITY);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::Batch`] when either buffer does not split into `rows` rows (or `rows` is 0 with
/// non-empty buffers); [`Error::RowTooNarrow`] as for one row. Nothing is written on error.
pub fn apply_bitmask_batch(logits: &mut [f32], bitmask: &[u32], rows: usize) -> Result<(), Error> {
    if rows == 0 {
        return if logits.is_empty() && bitmask.is_empty() {
            Ok(())
        } else {
            Err(Error::Batch { rows, what: "logits", len: logits.len() })
        };
    }
    if logits.len() % rows != 0 {
        return Err(Error::Batch { rows, what: "logits", len: logits.len() });
    }
    if bitmask.len() % rows != 0 {
        return Err(Error::Batch { rows, what: "bitmask", len: bitmask.len() });
    }
    let (columns, words) = (logits.len() / rows, bitmask.len() / rows);
    if words > columns.div_ceil(32) {
        return Err(Error::RowTooNarrow { words, columns });
    }
    for_each_row(logits, bitmask, rows, |row, mask| mask_row(row, mask, f32::NEG_INFINITY));
    Ok(())
}

/// Splits a checked `[rows, columns]` / `[rows, words]` pair into rows; in parallel on the
/// current rayon pool when the batch is large enough to pay for it.
pub(crate) fn for_each_row<T: Send>(
    logits: &mut [T],
    bitmask: &[u32],
    rows: usize,
    f: impl Fn(&mut [T], &[u32]) + Sync + Send,
) {
    use rayon::prelude::*;
    let (columns, words) = (logits.len() / rows, bitmask.len() / rows);
    if columns == 0 {
        return;
    }
    let row_mask = |r: usize| &bitmask[r * words..(r + 1) * words];
    if rows >= 8 && columns * rows >= 1 << 20 {
        logits.par_chunks_mut(columns).enumerate().for_each(|(r, row)| f(row, row_mask(r)));
    } else {
        logits.chunks_mut(columns).enumerate().for_each(|(r, row)| f(row, row_mask(r)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_bit_by_bit_reference(columns in 0usize..200, seed in proptest::collection::vec(any::<u32>(), 0..8), pick in 0u8..4) {
            let words = columns.div_ceil(32).min(seed.len());
            let mask: Vec<u32> = seed[..words].iter().map(|&w| match pick { 0 => 0, 1 => u32::MAX, _ => w }).collect();
            let mut logits: Vec<f32> = (0..columns).map(|i| i as f32).collect();
            apply_bitmask(&mut logits, &mask).unwrap();
            for (i, &l) in logits.iter().enumerate() {
                let allowed = i / 32 < mask.len() && mask[i / 32] >> (i % 32) & 1 == 1;
                prop_assert_eq!(l, if allowed { i as f32 } else { f32::NEG_INFINITY });
            }
        }
    }

    #[test]
    fn shape_errors_write_nothing() {
        let mut logits = vec![1.0f32; 33];
        assert_eq!(apply_bitmask(&mut logits, &[0, 0, 0]).unwrap_err().code(), "row_too_narrow");
        assert!(logits.iter().all(|&l| l == 1.0));
        let e = apply_bitmask_batch(&mut logits, &[0, 0], 2).unwrap_err();
        assert_eq!(e.to_string(), "batch of 2 rows: logits has 33 elements, not a multiple of 2");
        let mut logits = vec![1.0f32; 64];
        assert_eq!(
            apply_bitmask_batch(&mut logits, &[0, 0, 0], 2).unwrap_err().code(),
            "batch_shape"
        );
        assert_eq!(
            apply_bitmask_batch(&mut logits, &[0, 0, 0, 0], 2).unwrap_err().code(),
            "row_too_narrow"
        );
        assert!(logits.iter().all(|&l| l == 1.0));
        assert!(apply_bitmask_batch(&mut [], &[], 0).is_ok());
        assert!(apply_bitmask_batch(&mut logits, &[], 0).is_err());
    }
}
