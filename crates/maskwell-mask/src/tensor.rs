//! Masking candle tensors.
//!
//! On the CPU the mask is written into the tensor's own storage ([`apply_bitmask_tensor`]):
//! one pass over the logits, no allocation. On other devices (CUDA, Metal) the mask is
//! expanded to a `u8` row on the host, uploaded, and applied with `where_cond`
//! ([`masked_logits`]), which returns a new tensor on the logits' device.

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
    let backend = |e: candle_core::Error| Error::Backend(e.to_string());
    if matches!(logits.device(), Device::Cpu) {
        let copy = logits.copy().map_err(backend)?;
        copy.inplace_op1(&MaskOp { bitmask, rows }).map_err(backend)?;
        return Ok(copy);
    }
    masked_by_select(logits, bitmask, rows)
}

/// The device-independent path: a host-built `u8` mask uploaded and applied with
/// `where_cond`.
fn masked_by_select(logits: &Tensor, bitmask: &[u32], rows: usize) -> Result<Tensor, Error> {
    let backend = |e: candle_core::Error| Error::Backend(e.to_string());
    let columns = logits.elem_count() / rows.max(1);
    let words = bitmask.len() / rows.max(1);
    let mut allowed = vec![0u8; logits.elem_count()];
    if columns > 0 {
        for (r, row) in allowed.chunks_mut(columns).enumerate() {
            for (i, a) in row.iter_mut().enumerate().take(words * 32) {
                *a = u8::from(bitmask[r * words + i / 32] >> (i % 32) & 1 == 1);
            }
        }
    }
    let device = logits.device();
    let mask = Tensor::from_vec(allowed, logits.shape(), device).map_err(backend)?;
    let neg_inf = Tensor::full(f32::NEG_INFINITY, logits.shape(), device)
        .and_then(|t| t.to_dtype(logits.dtype()))
        .map_err(backend)?;
    mask.where_cond(logits, &neg_inf).map_err(backend)
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

fn tensor_error(logits: &Tensor, reason: &'static str) -> Error {
    Error::Tensor { shape: logits.dims().to_vec(), dtype: logits.dtype().as_str(), reason }
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
            apply_bitmask_tensor(&t, &bitmask).unwrap();
            for result in [t, out, selected] {
                let got: Vec<f32> =
                    result.to_dtype(DType::F32).unwrap().flatten_all().unwrap().to_vec1().unwrap();
                assert_eq!(got, expected, "{dtype:?}");
            }
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
