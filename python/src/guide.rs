//! `Guide`: one sequence's cursor, and the batch bitmask fill.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use maskwell::{Guide, GuideError as RustGuideError, Step, TokenId};
use numpy::PyArray1;
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::buffers::Bitmask;
use crate::errors::{
    error, guard, guide_error, index_error, mask_error, panic_error, GuideError, InternalError,
};
use crate::index::PyIndex;
use crate::PARALLEL;

#[pyclass(name = "Guide", module = "maskwell")]
#[derive(Debug)]
pub(crate) struct PyGuide {
    inner: Guide,
    index: Py<PyIndex>,
    /// Set when a call panicked: the guide's state can no longer be trusted, and every
    /// later call raises `InternalError`.
    poisoned: bool,
}

/// A token id from Python; ids that are negative or do not fit 32 bits are out of range.
fn token_id(token: i64, width: usize) -> Result<TokenId, RustGuideError> {
    u32::try_from(token)
        .map(TokenId::new)
        .map_err(|_| RustGuideError::OutOfRange { token: TokenId::new(u32::MAX), width })
}

fn out_of_range(py: Python<'_>, token: i64, width: usize) -> PyErr {
    error::<GuideError>(
        py,
        "token_out_of_range",
        format!("token {token} is outside the vocabulary of width {width}"),
    )
}

/// Writes `guide`'s allowed tokens into `row`: the index's words, then zeros for the
/// padding columns a model's logits may have past the vocabulary.
fn fill_row(guide: &Guide, row: &mut [u32]) -> Result<(), RustGuideError> {
    let words = guide.index().words();
    let (head, tail) = row.split_at_mut(words);
    guide.fill_bitmask(head)?;
    tail.fill(0);
    Ok(())
}

impl PyGuide {
    fn check(&self, py: Python<'_>) -> PyResult<()> {
        if self.poisoned {
            return Err(error::<InternalError>(
                py,
                "poisoned",
                "this guide hit an internal error earlier and cannot be used; create a new one",
            ));
        }
        Ok(())
    }

    /// Runs a state-changing call; a panic poisons the guide.
    fn mutate<T>(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(&mut Guide) -> PyResult<T>,
    ) -> PyResult<T> {
        self.check(py)?;
        match catch_unwind(AssertUnwindSafe(|| f(&mut self.inner))) {
            Ok(result) => result,
            Err(payload) => {
                self.poisoned = true;
                Err(panic_error(&*payload))
            }
        }
    }
}

#[pymethods]
impl PyGuide {
    #[new]
    fn new(index: Bound<'_, PyIndex>) -> PyGuide {
        let inner = Guide::new(index.get().inner.clone());
        PyGuide { inner, index: index.unbind(), poisoned: false }
    }

    fn advance(&mut self, py: Python<'_>, token: i64) -> PyResult<bool> {
        self.mutate(py, |g| {
            let width = g.index().width();
            let id = token_id(token, width).map_err(|_| out_of_range(py, token, width))?;
            match g.advance(id) {
                Ok(step) => Ok(step == Step::Finished),
                Err(e) => Err(guide_error(e)),
            }
        })
    }

    fn accept_tokens(&mut self, py: Python<'_>, tokens: Vec<i64>) -> PyResult<bool> {
        self.mutate(py, |g| {
            let width = g.index().width();
            let Ok(ids) = tokens.iter().map(|&t| token_id(t, width)).collect::<Result<Vec<_>, _>>()
            else {
                return Ok(false);
            };
            // Checked first, then applied: all or nothing without relying on an undo.
            if g.validate_tokens(&ids) != ids.len() {
                return Ok(false);
            }
            for &id in &ids {
                g.advance(id).map_err(guide_error)?;
            }
            Ok(true)
        })
    }

    fn explain<'py>(
        &self,
        py: Python<'py>,
        vocab: &crate::vocab::PyVocabulary,
        token: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check(py)?;
        let token = crate::index::explain_token(token, self.inner.index().width())?;
        let vocab = vocab.inner.clone();
        let guide = &self.inner;
        let diagnosis = py.detach(|| {
            guard(|| {
                maskwell::explain_guide(guide, &vocab, token)
                    .map_err(|e| crate::errors::maskwell_error(&e))
            })
        })?;
        crate::index::diagnosis_to_py(py, &diagnosis)
    }

    fn validate_tokens(&self, py: Python<'_>, tokens: Vec<i64>) -> PyResult<usize> {
        self.check(py)?;
        let width = self.inner.index().width();
        let valid = tokens.iter().take_while(|&&t| token_id(t, width).is_ok()).count();
        let ids: Vec<TokenId> = tokens[..valid].iter().map(|&t| TokenId::new(t as u32)).collect();
        guard(|| Ok(self.inner.validate_tokens(&ids)))
    }

    fn rollback(&mut self, py: Python<'_>, n: usize) -> PyResult<()> {
        self.mutate(py, |g| g.rollback(n).map_err(guide_error))
    }

    fn reset(&mut self, py: Python<'_>) -> PyResult<()> {
        self.mutate(py, |g| {
            g.reset();
            Ok(())
        })
    }

    #[pyo3(signature = (bitmask, row=0))]
    fn fill_bitmask(&self, py: Python<'_>, bitmask: &Bound<'_, PyAny>, row: usize) -> PyResult<()> {
        self.check(py)?;
        let (mut buffer, rows, cols) = Bitmask::borrow(bitmask)?;
        let words = self.inner.index().words();
        if row >= rows {
            return Err(mask_error(
                "row_out_of_range",
                format!("row {row} is outside a bitmask of {rows} rows"),
            ));
        }
        if cols < words {
            return Err(mask_error(
                "shape",
                format!(
                    "bitmask rows have {cols} words, but the vocabulary of width {} needs {words}",
                    self.inner.index().width()
                ),
            ));
        }
        let all = buffer.words()?;
        guard(|| fill_row(&self.inner, &mut all[row * cols..(row + 1) * cols]).map_err(guide_error))
    }

    fn allowed_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<i32>>> {
        self.check(py)?;
        let ids: &[i32] = bytemuck::cast_slice(self.inner.allowed_ids());
        Ok(PyArray1::from_slice(py, ids))
    }

    fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    fn is_accepting(&self) -> bool {
        self.inner.is_accepting()
    }

    #[getter]
    fn tokens(&self) -> Vec<u32> {
        self.inner.tokens().iter().map(|t| t.as_u32()).collect()
    }

    #[getter]
    fn index(&self, py: Python<'_>) -> Py<PyIndex> {
        self.index.clone_ref(py)
    }

    /// This guide's position as one line of JSON (see `Guide.restore`).
    fn snapshot(&self, py: Python<'_>) -> PyResult<String> {
        self.check(py)?;
        Ok(self.inner.snapshot().to_json())
    }

    #[staticmethod]
    fn restore(index: Bound<'_, PyIndex>, snapshot: &str) -> PyResult<PyGuide> {
        let shared = index.get().inner.clone();
        let restored = maskwell::Snapshot::from_json(snapshot)
            .and_then(|s| Guide::restore(shared, &s))
            .map_err(|e| index_error(&e))?;
        Ok(PyGuide { inner: restored, index: index.unbind(), poisoned: false })
    }

    fn copy(&self, py: Python<'_>) -> PyResult<PyGuide> {
        self.check(py)?;
        Ok(PyGuide { inner: self.inner.clone(), index: self.index.clone_ref(py), poisoned: false })
    }

    fn __copy__(&self, py: Python<'_>) -> PyResult<PyGuide> {
        self.copy(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Guide(tokens={}, accepting={}, finished={})",
            self.inner.num_tokens(),
            self.inner.is_accepting(),
            self.inner.is_finished()
        )
    }
}

/// Fills row `i` of `bitmask` from `guides[i]` (a `None` entry leaves its row untouched),
/// with the GIL released, rows in parallel when the batch is large.
#[pyfunction]
pub(crate) fn fill_bitmask_batch(
    py: Python<'_>,
    guides: Vec<Option<PyRef<'_, PyGuide>>>,
    bitmask: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let (mut buffer, rows, cols) = Bitmask::borrow(bitmask)?;
    if guides.len() > rows {
        return Err(mask_error(
            "shape",
            format!("{} guides but the bitmask has only {rows} rows", guides.len()),
        ));
    }
    let mut refs: Vec<Option<&Guide>> = Vec::with_capacity(guides.len());
    for guide in &guides {
        match guide {
            Some(g) => {
                g.check(py)?;
                let words = g.inner.index().words();
                if cols < words {
                    return Err(mask_error(
                        "shape",
                        format!("bitmask rows have {cols} words, but a guide's vocabulary needs {words}"),
                    ));
                }
                refs.push(Some(&g.inner));
            }
            None => refs.push(None),
        }
    }
    let all = buffer.words()?;
    if cols == 0 {
        return Ok(());
    }
    let parallel = PARALLEL.load(Ordering::Relaxed) && refs.len() * cols >= 1 << 16;
    py.detach(|| {
        guard(|| {
            let work = |(row, guide): (&mut [u32], &Option<&Guide>)| match guide {
                Some(g) => fill_row(g, row),
                None => Ok(()),
            };
            let result = if parallel {
                all.par_chunks_mut(cols).zip(refs.par_iter()).try_for_each(work)
            } else {
                all.chunks_mut(cols).zip(refs.iter()).try_for_each(work)
            };
            result.map_err(guide_error)
        })
    })
}

/// The same loop as a Python `fill_bitmask` + `advance` loop, run entirely in Rust: resets
/// `guide`, then for each of `tokens` fills row 0 of `bitmask` and advances, `repeats`
/// times. Returns the seconds taken; the benchmark's baseline for the Python overhead.
#[pyfunction]
pub(crate) fn _bench_fill_advance(
    py: Python<'_>,
    guide: &Bound<'_, PyGuide>,
    tokens: Vec<u32>,
    bitmask: &Bound<'_, PyAny>,
    repeats: usize,
) -> PyResult<f64> {
    let mut guide = guide.borrow_mut();
    guide.check(py)?;
    let (mut buffer, _, cols) = Bitmask::borrow(bitmask)?;
    let words = guide.inner.index().words();
    if cols < words {
        return Err(mask_error("shape", "bitmask row too narrow"));
    }
    let row = &mut buffer.words()?[..cols];
    let ids: Vec<TokenId> = tokens.into_iter().map(TokenId::new).collect();
    let g = &mut guide.inner;
    let start = std::time::Instant::now();
    for _ in 0..repeats {
        g.reset();
        for &id in &ids {
            fill_row(g, std::hint::black_box(&mut *row)).map_err(guide_error)?;
            g.advance(id).map_err(guide_error)?;
        }
    }
    Ok(start.elapsed().as_secs_f64())
}
