//! Caller-owned buffers: int32 bitmasks and float32 logits, from numpy arrays or CPU torch
//! tensors, checked (type, dtype, rank, contiguity, alignment, writability, aliasing) before
//! any slice is handed to the engine. Nothing here copies the caller's data.

use numpy::{
    PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyReadwriteArrayDyn, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;

use crate::errors::mask_error;

/// A numpy array, or the numpy view (same memory) of a CPU torch tensor.
fn as_ndarray<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyUntypedArray>> {
    if let Ok(array) = obj.cast::<PyUntypedArray>() {
        return Ok(array.clone());
    }
    // A torch tensor (checked by duck typing, so torch stays optional).
    if let (Ok(device), true) = (obj.getattr("device"), obj.hasattr("numpy")?) {
        let kind: String = device.getattr("type").and_then(|t| t.extract()).unwrap_or_default();
        if kind != "cpu" {
            return Err(mask_error(
                "device",
                format!("{what} is a tensor on {kind}: maskwell writes into CPU memory; fill a CPU (pinned) tensor and copy it to the device"),
            ));
        }
        let view = obj.call_method0("numpy")?;
        if let Ok(array) = view.cast::<PyUntypedArray>() {
            return Ok(array.clone());
        }
    }
    Err(mask_error(
        "type",
        format!(
            "{what} must be a numpy array or a CPU torch tensor, not {}",
            obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        ),
    ))
}

fn check_layout(array: &Bound<'_, PyUntypedArray>, what: &str) -> PyResult<(usize, usize)> {
    let shape = array.shape();
    let (rows, cols) = match *shape {
        [cols] => (1, cols),
        [rows, cols] => (rows, cols),
        _ => {
            return Err(mask_error(
                "shape",
                format!("{what} must have 1 or 2 dimensions, not shape {shape:?}"),
            ))
        }
    };
    if !array.is_c_contiguous() {
        return Err(mask_error(
            "not_contiguous",
            format!("{what} must be C-contiguous (row-major, no strides); pass a contiguous array"),
        ));
    }
    Ok((rows, cols))
}

fn dtype_name(array: &Bound<'_, PyUntypedArray>) -> String {
    array.dtype().str().map(|s| s.to_string()).unwrap_or_default()
}

fn borrow_error(e: numpy::BorrowError, what: &str) -> PyErr {
    let message = e.to_string();
    if message.contains("writeable") {
        mask_error("read_only", format!("{what} is read-only"))
    } else {
        mask_error("borrowed", format!("{what} is in use by another maskwell call: {message}"))
    }
}

/// A writable bitmask buffer of shape `(rows, cols)` words.
pub(crate) enum Bitmask<'py> {
    I32(PyReadwriteArrayDyn<'py, i32>),
    U32(PyReadwriteArrayDyn<'py, u32>),
}

impl std::fmt::Debug for Bitmask<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bitmask")
    }
}

impl<'py> Bitmask<'py> {
    /// Borrows `obj` for writing: an int32 (or uint32) array of shape `(words,)` or
    /// `(batch, words)`. Returns it with its row count and row width.
    pub(crate) fn borrow(obj: &Bound<'py, PyAny>) -> PyResult<(Bitmask<'py>, usize, usize)> {
        const WHAT: &str = "bitmask";
        let array = as_ndarray(obj, WHAT)?;
        let (rows, cols) = check_layout(&array, WHAT)?;
        let bitmask = if let Ok(a) = array.cast::<PyArrayDyn<i32>>() {
            Bitmask::I32(a.try_readwrite().map_err(|e| borrow_error(e, WHAT))?)
        } else if let Ok(a) = array.cast::<PyArrayDyn<u32>>() {
            Bitmask::U32(a.try_readwrite().map_err(|e| borrow_error(e, WHAT))?)
        } else {
            return Err(mask_error(
                "dtype",
                format!("bitmask must have dtype int32, not {}", dtype_name(&array)),
            ));
        };
        Ok((bitmask, rows, cols))
    }

    /// All words, row-major.
    pub(crate) fn words(&mut self) -> PyResult<&mut [u32]> {
        let slice = match self {
            Bitmask::I32(a) => a.as_slice_mut().map(bytemuck::cast_slice_mut),
            Bitmask::U32(a) => a.as_slice_mut(),
        };
        slice.map_err(|_| mask_error("not_aligned", "bitmask memory is not aligned to 4 bytes"))
    }
}

/// Writable float32 logits of shape `(columns,)` or `(rows, columns)`.
pub(crate) fn borrow_logits<'py>(
    obj: &Bound<'py, PyAny>,
) -> PyResult<(PyReadwriteArrayDyn<'py, f32>, usize, usize)> {
    const WHAT: &str = "logits";
    let array = as_ndarray(obj, WHAT)?;
    let (rows, cols) = check_layout(&array, WHAT)?;
    let Ok(typed) = array.cast::<PyArrayDyn<f32>>() else {
        return Err(mask_error(
            "dtype",
            format!("logits must have dtype float32 here, not {}", dtype_name(&array)),
        ));
    };
    Ok((typed.try_readwrite().map_err(|e| borrow_error(e, WHAT))?, rows, cols))
}

/// A read-only int32/uint32 bitmask, copied to `u32` words only when its dtype is int32
/// (a reinterpretation, no allocation: the words are borrowed).
pub(crate) enum BitmaskRef<'py> {
    I32(PyReadonlyArrayDyn<'py, i32>),
    U32(PyReadonlyArrayDyn<'py, u32>),
}

impl std::fmt::Debug for BitmaskRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BitmaskRef")
    }
}

impl<'py> BitmaskRef<'py> {
    pub(crate) fn borrow(obj: &Bound<'py, PyAny>) -> PyResult<(BitmaskRef<'py>, usize, usize)> {
        const WHAT: &str = "bitmask";
        let array = as_ndarray(obj, WHAT)?;
        let (rows, cols) = check_layout(&array, WHAT)?;
        let bitmask = if let Ok(a) = array.cast::<PyArrayDyn<i32>>() {
            BitmaskRef::I32(a.try_readonly().map_err(|e| borrow_error(e, WHAT))?)
        } else if let Ok(a) = array.cast::<PyArrayDyn<u32>>() {
            BitmaskRef::U32(a.try_readonly().map_err(|e| borrow_error(e, WHAT))?)
        } else {
            return Err(mask_error(
                "dtype",
                format!("bitmask must have dtype int32, not {}", dtype_name(&array)),
            ));
        };
        Ok((bitmask, rows, cols))
    }

    pub(crate) fn words(&self) -> PyResult<&[u32]> {
        let slice = match self {
            BitmaskRef::I32(a) => a.as_slice().map(bytemuck::cast_slice),
            BitmaskRef::U32(a) => a.as_slice(),
        };
        slice.map_err(|_| mask_error("not_aligned", "bitmask memory is not aligned to 4 bytes"))
    }
}
