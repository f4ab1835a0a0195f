//! Masking candle tensors.
//!
//! On the CPU the mask is written into the tensor's own storage ([`apply_bitmask_tensor`]):
//! one pass over the logits, no allocation. On other devices (CUDA, Metal) only the bitmask
//! travels (16 KB for a 128k vocabulary, an eighth of a `u8` row): it is uploaded as a `u32`
//! tensor, or is already there, and expanded to one flag per column on the device, where
//! `where_cond` applies it ([`masked_logits`], [`masked_logits_by_tensor`]); the result is
//! a new tensor on the logits' device.

use candle_core::{CpuStorage, DType, Device, InplaceOp1, Layout, Tensor, WithDType};

use crate::{for_each_row, mask_row, Error};

/// Sets disallowed logits of a CPU tensor to −∞ in place.
///
/// `logits` is `[columns]` or `[rows, columns]`, contiguous, `f32`, `f16` or `bf16`;
/// `bitmask` holds `rows × words` words, row-major, `words ≤ columns.div_ceil(32)`. Columns
/// past a row's bitmask (padding) become −∞.
///
/// ```
/// use candle_core::{Device, Tensor};
/// use maskwell_mask::apply_bitmask_tensor;
///
/// let logits = Tensor::zeros((2, 40), candle_core::DType::BF16, &Device::Cpu)?;
/// apply_bitmask_tensor(&logits, &[0b1, 0b10])?;
/// let row: Vec<f32> = logits.to_dtype(candle_core::DType::F32)?.get(1)?.to_vec1()?;
/// assert_eq!(row[1], 0.0);
/// assert!(row[0].is_infinite() && row[39].is_infinite());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::Tensor`] for a tensor that is not on the CPU, not contiguous, not 1- or
/// 2-dimensional, or not a float type; the shape errors of [`apply_bitmask_batch`](crate::apply_bitmask_batch).
pub fn apply_bitmask_tensor(logits: &Tensor, bitmask: &[u32]) -> Result<(), Error> {
    let rows = check(logits, bitmask)?;
    if !matches!(logits.device(), Device::Cpu) {
        return Err(tensor_error(
            logits,
            "in-place masking needs a CPU tensor; use masked_logits on other devices",
        ));
    }
    logits.inplace_op1(&MaskOp { bitmask, rows }).map_err(|e| Error::Backend(e.to_string()))
}

/// Returns `logits` with disallowed tokens set to −∞, on the logits' own device (CPU, CUDA,
/// Metal). Same shapes as [`apply_bitmask_tensor`]; the input is left unchanged.
///
/// # Errors
///
/// As [`apply_bitmask_tensor`], less the CPU requirement, plus [`Error::Backend`] when the
/// device fails.
pub fn masked_logits(logits: &Tensor, bitmask: &[u32]) -> Result<Tensor, Error> {
    let rows = check(logits, bitmask)?;
    if matches!(logits.device(), Device::Cpu) {
        let copy = logits.copy().map_err(backend)?;
        copy.inplace_op1(&MaskOp { bitmask, rows }).map_err(backend)?;
        return Ok(copy);
    }
    masked_by_select(logits, bitmask, rows)
}

/// Returns `logits` masked by a bitmask that is already a tensor on the logits' device: a
/// `u32` tensor of `[words]` or `[rows, words]`, as [`apply_bitmask_tensor`] takes it on
/// the host. A sampling loop on a GPU fills the bitmask into pinned memory, copies it once,
/// and masks without any other transfer.
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use maskwell_mask::masked_logits_by_tensor;
///
/// let device = Device::Cpu; // or Device::new_cuda(0)?
/// let logits = Tensor::zeros((2, 40), DType::F32, &device)?;
/// let bitmask = Tensor::new(&[[0b1u32, 0], [0b10, 0]], &device)?;
/// let row: Vec<f32> = masked_logits_by_tensor(&logits, &bitmask)?.get(1)?.to_vec1()?;
/// assert_eq!(row[1], 0.0);
/// assert!(row[0].is_infinite() && row[39].is_infinite());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`masked_logits`]; [`Error::Tensor`] when `bitmask` is not `u32`, not on the logits'
/// device, or not shaped as the logits' rows.
pub fn masked_logits_by_tensor(logits: &Tensor, bitmask: &Tensor) -> Result<Tensor, Error> {
    if bitmask.dtype() != DType::U32 {
        return Err(tensor_error(bitmask, "the bitmask tensor must be u32"));
    }
    if !bitmask.device().same_device(logits.device()) {
        return Err(tensor_error(bitmask, "the bitmask must be on the logits' device"));
    }
    let (rows, words) = match *bitmask.dims() {
        [words] if logits.rank() == 1 => (1, words),
        [rows, words] if logits.rank() == 2 => (rows, words),
        _ => return Err(tensor_error(bitmask, "the bitmask must have the logits' rank")),
    };
    let logits_rows = if logits.rank() == 2 { logits.dims()[0] } else { 1 };
    if rows != logits_rows {
        return Err(Error::Batch { rows: logits_rows, what: "bitmask", len: rows * words });
    }
    // The other checks on a stand-in of the right length: the words stay on the device.
    check(logits, &vec![0u32; rows * words])?;
    masked_by_bits(logits, &bitmask.reshape((rows, words)).map_err(backend)?)
}

fn backend(e: candle_core::Error) -> Error {
    Error::Backend(e.to_string())
}

/// The device-independent path: the bitmask uploaded as `u32` words.
fn masked_by_select(logits: &Tensor, bitmask: &[u32], rows: usize) -> Result<Tensor, Error> {
    let words = bitmask.len() / rows;
    let bits = Tensor::from_slice(bitmask, (rows, words), logits.device()).map_err(backend)?;
    masked_by_bits(logits, &bits)
}

/// Expands `[rows, words]` `u32` words to one flag per column on their device and selects
/// between the logits and −∞: bit `i` of a word is `(word / 2^i) mod 2`, in tensor ops every
/// backend has (candle has no bitwise ones).
fn masked_by_bits(logits: &Tensor, bits: &Tensor) -> Result<Tensor, Error> {
    let device = logits.device();
    let (rows, words) = bits.dims2().map_err(backend)?;
    let columns = logits.elem_count() / rows;
    let powers: Vec<u32> = (0..32).map(|i| 1u32 << i).collect();
    let powers = Tensor::from_vec(powers, (1, 1, 32), device).map_err(backend)?;
    let two = Tensor::new(2u32, device).map_err(backend)?;
    let flags = (|| {
        let q = bits.reshape((rows, words, 1))?.broadcast_div(&powers)?;
        let flags = (&q - q.broadcast_div(&two)?.broadcast_mul(&two)?)?;
        let flags = flags.reshape((rows, words * 32))?.narrow(1, 0, columns.min(words * 32))?;
        // Columns past the bitmask (padding) are disallowed.
        let flags = if columns > words * 32 {
            flags.pad_with_zeros(1, 0, columns - words * 32)?
        } else {
            flags
        };
        flags.reshape(logits.shape())
    })()
    .map_err(backend)?;
    let neg_inf = Tensor::new(f32::NEG_INFINITY, device)
        .and_then(|t| t.to_dtype(logits.dtype()))
        .and_then(|t| t.broadcast_as(logits.shape()))
        .map_err(backend)?;
    flags.where_cond(logits, &neg_inf).map_err(backend)
}

/// Checks shape, type and layout; returns the number of rows.
fn check(logits: &Tensor, bitmask: &[u32]) -> Result<usize, Error> {
    if !matches!(logits.dtype(), DType::F32 | DType::F16 | DType::BF16) {
        return Err(tensor_error(logits, "logits must be f32, f16 or bf16"));
    }
    if !logits.is_contiguous() {
        return Err(tensor_error(logits, "logits must be contiguous"));
    }
    let (rows, columns) = match *logits.dims() {
        [columns] => (1, columns),
        [rows, columns] => (rows, columns),
        _ => return Err(tensor_error(logits, "logits must be [columns] or [rows, columns]")),
    };
    if rows == 0 || bitmask.len() % rows != 0 {
        return Err(Error::Batch { rows, what: "bitmask", len: bitmask.len() });
    }
    let words = bitmask.len() / rows;
    if words > columns.div_ceil(32) {
        return Err(Error::RowTooNarrow { words, columns });
    }
    Ok(rows)
}

fn tensor_error(tensor: &Tensor, reason: &'static str) -> Error {
    Error::Tensor { shape: tensor.dims().to_vec(), dtype: tensor.dtype().as_str(), reason }
}

/// The in-place CPU kernel, run by candle on the tensor's storage.
struct MaskOp<'a> {
    bitmask: &'a [u32],
    rows: usize,
}

impl MaskOp<'_> {
    fn apply<T: WithDType>(&self, data: &mut [T], layout: &Layout) -> candle_core::Result<()> {
        let (start, end) = layout
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("logits must be contiguous".into()))?;
        let neg_inf = T::from_f64(f64::NEG_INFINITY);
        for_each_row(&mut data[start..end], self.bitmask, self.rows, |row, mask| {
            mask_row(row, mask, neg_inf)
        });
        Ok(())
    }
}

impl InplaceOp1 for MaskOp<'_> {
    fn name(&self) -> &'static str {
        "maskwell-bitmask"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        match storage {
            CpuStorage::F32(data) => self.apply(data, layout),
            CpuStorage::F16(data) => self.apply(data, layout),
            CpuStorage::BF16(data) => self.apply(data, layout),
            _ => Err(candle_core::Error::Msg("logits must be f32, f16 or bf16".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(columns: usize, bitmask: &[u32], rows: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..rows * columns).map(|i| (i % 97) as f32).collect();
        crate::apply_bitmask_batch(&mut v, bitmask, rows).unwrap();
        v
    }

    #[test]
    fn every_float_type_matches_the_slice_path() {
        let (rows, columns) = (3, 70);
        let bitmask: Vec<u32> =
            (0..rows * 2).map(|i| 0x9e37_79b9u32.rotate_left(i as u32 * 7)).collect();
        let expected = reference(columns, &bitmask, rows);
        let base: Vec<f32> = (0..rows * columns).map(|i| (i % 97) as f32).collect();
        for dtype in [DType::F32, DType::F16, DType::BF16] {
            let t = Tensor::from_vec(base.clone(), (rows, columns), &Device::Cpu)
                .unwrap()
                .to_dtype(dtype)
                .unwrap();
            let out = masked_logits(&t, &bitmask).unwrap();
            let selected = masked_by_select(&t, &bitmask, rows).unwrap();
            let words = Tensor::from_slice(&bitmask, (rows, 2), &Device::Cpu).unwrap();
            let by_tensor = masked_logits_by_tensor(&t, &words).unwrap();
            apply_bitmask_tensor(&t, &bitmask).unwrap();
            for result in [t, out, selected, by_tensor] {
                let got: Vec<f32> =
                    result.to_dtype(DType::F32).unwrap().flatten_all().unwrap().to_vec1().unwrap();
                assert_eq!(got, expected, "{dtype:?}");
            }
        }
    }

    /// The device path on a padded row (more columns than bits) and on a row whose bitmask
    /// covers more bits than columns, every bit position set alone.
    #[test]
    fn device_expansion_matches_the_slice_path() {
        for columns in [1usize, 31, 32, 33, 64, 100] {
            for bit in 0..64usize {
                let words = columns.div_ceil(32);
                let mut bitmask = vec![0u32; words];
                if bit < words * 32 {
                    bitmask[bit / 32] |= 1 << (bit % 32);
                }
                bitmask[0] |= 1 << 31; // the top bit, where a signed shift would go wrong
                let expected = reference(columns, &bitmask, 1);
                let base: Vec<f32> = (0..columns).map(|i| (i % 97) as f32).collect();
                let t = Tensor::from_vec(base, columns, &Device::Cpu).unwrap();
                let got: Vec<f32> = masked_by_select(&t, &bitmask, 1).unwrap().to_vec1().unwrap();
                assert_eq!(got, expected, "{columns} columns, bit {bit}");
                // A narrower bitmask: the rest of the row is padding.
                let narrow = &bitmask[..1];
                let got: Vec<f32> = masked_by_select(&t, narrow, 1).unwrap().to_vec1().unwrap();
                assert_eq!(got, reference(columns, narrow, 1), "{columns} columns, 1 word");
            }
        }
    }

    #[test]
    fn bad_bitmask_tensors_are_errors() {
        let t = Tensor::zeros((2, 32), DType::F32, &Device::Cpu).unwrap();
        let floats = Tensor::zeros((2, 1), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(masked_logits_by_tensor(&t, &floats).unwrap_err().code(), "tensor");
        let flat = Tensor::zeros(2, DType::U32, &Device::Cpu).unwrap();
        assert_eq!(masked_logits_by_tensor(&t, &flat).unwrap_err().code(), "tensor");
        let wide = Tensor::zeros((2, 2), DType::U32, &Device::Cpu).unwrap();
        assert_eq!(masked_logits_by_tensor(&t, &wide).unwrap_err().code(), "row_too_narrow");
        for rows in [1, 3, 4] {
            let other = Tensor::zeros((rows, 1), DType::U32, &Device::Cpu).unwrap();
            assert_eq!(masked_logits_by_tensor(&t, &other).unwrap_err().code(), "batch_shape");
        }
    }

    #[test]
    fn bad_tensors_are_errors() {
        let ints = Tensor::zeros((2, 32), DType::U32, &Device::Cpu).unwrap();
        assert_eq!(apply_bitmask_tensor(&ints, &[0, 0]).unwrap_err().code(), "tensor");
        let cube = Tensor::zeros((2, 2, 32), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(apply_bitmask_tensor(&cube, &[0, 0]).unwrap_err().code(), "tensor");
        let t = Tensor::zeros((2, 32), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(apply_bitmask_tensor(&t, &[0, 0, 0]).unwrap_err().code(), "batch_shape");
        assert_eq!(apply_bitmask_tensor(&t, &[0, 0, 0, 0]).unwrap_err().code(), "row_too_narrow");
        let transposed = Tensor::zeros((32, 2), DType::F32, &Device::Cpu).unwrap().t().unwrap();
        assert_eq!(apply_bitmask_tensor(&transposed, &[0, 0]).unwrap_err().code(), "tensor");
    }
}
