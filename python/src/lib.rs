//! Python bindings of maskwell, built with maturin as `maskwell._lib`.
//!
//! The Python package (`python/maskwell/`) re-exports this module and adds the torch and
//! framework adapters; the docstrings of the public API live in `_lib.pyi`.
//!
//! Every caller-owned buffer is checked (dtype, rank, contiguity, alignment, writability)
//! by the `numpy` crate before a slice is taken, so this crate holds no `unsafe` code.
//! Rust panics are caught at the boundary and raised as `maskwell.InternalError`.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;

mod buffers;
mod errors;
mod guide;
mod index;
mod vocab;

/// Whether index builds and batch fills may use the rayon pool. Cleared in a forked child
/// (the parent's worker threads do not exist there), by `os.register_at_fork` in
/// `maskwell/__init__.py`.
pub(crate) static PARALLEL: AtomicBool = AtomicBool::new(true);

/// Turns rayon parallelism on or off for this process.
#[pyfunction]
fn _set_parallel(enabled: bool) {
    PARALLEL.store(enabled, Ordering::Relaxed);
}

/// Sets `logits[r, i]` to -inf for every token `i` not allowed by `bitmask[r]` (and for the
/// columns past the bitmask), in place, with the GIL released.
#[pyfunction]
fn apply_bitmask_f32(
    py: Python<'_>,
    logits: &Bound<'_, PyAny>,
    bitmask: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let (mut logits, rows, _) = buffers::borrow_logits(logits)?;
    let (mask, mask_rows, _) = buffers::BitmaskRef::borrow(bitmask)?;
    if mask_rows != rows {
        return Err(errors::mask_error(
            "shape",
            format!("logits have {rows} rows but the bitmask has {mask_rows}"),
        ));
    }
    let words = mask.words()?;
    let values = logits
        .as_slice_mut()
        .map_err(|_| errors::mask_error("not_aligned", "logits memory is not aligned"))?;
    py.detach(|| {
        errors::guard(|| {
            maskwell::apply_bitmask_batch(values, words, rows).map_err(errors::apply_error)
        })
    })
}

/// A JSON value as the Python objects `json.loads` makes of it.
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    value: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (value.to_string(),))
}

/// The process-wide counters and histograms (see `maskwell_index::metrics`).
#[pyfunction]
fn metrics(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    json_to_py(py, &maskwell::metrics::metrics().to_json())
}

/// Switches the process-wide counters on or off.
#[pyfunction]
fn set_metrics_enabled(enabled: bool) {
    maskwell::metrics::set_enabled(enabled);
}

#[pymodule]
fn _lib(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("build_profile", if cfg!(debug_assertions) { "debug" } else { "release" })?;
    errors::register(m)?;
    m.add_class::<vocab::PyVocabulary>()?;
    m.add_class::<index::PyIndex>()?;
    m.add_class::<guide::PyGuide>()?;
    m.add_function(wrap_pyfunction!(guide::fill_bitmask_batch, m)?)?;
    m.add_function(wrap_pyfunction!(apply_bitmask_f32, m)?)?;
    m.add_function(wrap_pyfunction!(_set_parallel, m)?)?;
    m.add_function(wrap_pyfunction!(metrics, m)?)?;
    m.add_function(wrap_pyfunction!(set_metrics_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(guide::_bench_fill_advance, m)?)?;
    Ok(())
}
