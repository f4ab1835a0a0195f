//! `Index`: the compiled constraint, shared by guides and threads.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use maskwell::{Config, Index, Source};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::errors::{guard, index_error, schema_error};
use crate::vocab::PyVocabulary;
use crate::PARALLEL;

#[pyclass(name = "Index", module = "maskwell", frozen)]
#[derive(Debug)]
pub(crate) struct PyIndex {
    pub(crate) inner: Arc<Index>,
    /// What the schema compiler ignored or bounded (empty for regexes and loaded files).
    warnings: Vec<(String, String, String, String)>,
}

const INDEX_OPTIONS: &[&str] = &[
    "regex_len_limit",
    "nfa_size_limit",
    "dfa_size_limit",
    "determinize_size_limit",
    "max_dfa_states",
    "max_index_states",
    "index_size_limit",
    "minimize",
    "minimize_limit",
    "parallel",
    "build",
    "time_limit",
];

/// Splits `options` into the index `Config` and the rest (schema options), rejecting
/// unknown names when `rest` is not wanted.
fn index_config<'py>(
    options: Option<&Bound<'py, PyDict>>,
    allow_rest: bool,
) -> PyResult<(Config, Option<Bound<'py, PyDict>>)> {
    let mut config = Config::new();
    if !PARALLEL.load(Ordering::Relaxed) {
        config = config.parallel(false);
    }
    let Some(options) = options else { return Ok((config, None)) };
    let rest = PyDict::new(options.py());
    for (key, value) in options.iter() {
        let name: String = key.extract()?;
        let size = || -> PyResult<usize> {
            value.extract().map_err(|_| {
                PyTypeError::new_err(format!("option {name} must be a non-negative int"))
            })
        };
        config = match name.as_str() {
            "regex_len_limit" => config.regex_len_limit(size()?),
            "nfa_size_limit" => config.nfa_size_limit(size()?),
            "dfa_size_limit" => config.dfa_size_limit(size()?),
            "determinize_size_limit" => config.determinize_size_limit(size()?),
            "max_dfa_states" => config.max_dfa_states(size()?),
            "max_index_states" => config.max_index_states(size()?),
            "index_size_limit" => config.index_size_limit(size()?),
            "minimize" => config.minimize(value.extract()?),
            "minimize_limit" => config.minimize_limit(size()?),
            "time_limit" => {
                let seconds: Option<f64> = value.extract().map_err(|_| {
                    PyTypeError::new_err("option time_limit must be seconds (a float) or None")
                })?;
                let limit = seconds
                    .map(|s| {
                        std::time::Duration::try_from_secs_f64(s).map_err(|_| {
                            PyValueError::new_err(format!(
                                "option time_limit must be a non-negative number of seconds, not {s}"
                            ))
                        })
                    })
                    .transpose()?;
                config.time_limit(limit)
            }
            "build" => {
                let mode: String = value.extract().map_err(|_| {
                    PyTypeError::new_err(
                        "option build must be \"eager\", \"lazy\" or \"background\"",
                    )
                })?;
                config.build_mode(mode.parse().map_err(PyValueError::new_err)?)
            }
            "parallel" => {
                config.parallel(value.extract::<bool>()? && PARALLEL.load(Ordering::Relaxed))
            }
            _ if allow_rest => {
                rest.set_item(key, value)?;
                config
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "unknown option {name:?}; expected one of {}",
                    INDEX_OPTIONS.join(", ")
                )))
            }
        };
    }
    Ok((config, Some(rest)))
}

fn json_dumps(value: &Bound<'_, PyAny>) -> PyResult<String> {
    value.py().import("json")?.call_method1("dumps", (value,))?.extract()
}

#[pymethods]
impl PyIndex {
    #[staticmethod]
    #[pyo3(signature = (regex, vocab, **options))]
    fn from_regex(
        py: Python<'_>,
        regex: &str,
        vocab: &PyVocabulary,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyIndex> {
        let (config, _) = index_config(options, false)?;
        let vocab = vocab.inner.clone();
        py.detach(|| {
            guard(|| {
                let index = Index::builder()
                    .configure(config)
                    .build(regex, &vocab)
                    .map_err(|e| index_error(&e))?;
                Ok(PyIndex { inner: Arc::new(index), warnings: Vec::new() })
            })
        })
    }

    #[staticmethod]
    #[pyo3(signature = (schema, vocab, **options))]
    fn from_schema(
        py: Python<'_>,
        schema: &Bound<'_, PyAny>,
        vocab: &PyVocabulary,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyIndex> {
        let text = match schema.cast::<PyString>() {
            Ok(s) => s.extract::<String>()?,
            Err(_)
                if schema.is_instance_of::<PyDict>()
                    || schema.is_instance_of::<pyo3::types::PyBool>() =>
            {
                json_dumps(schema)?
            }
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "schema must be a JSON string or a dict, not {}",
                    schema.get_type().name()?
                )))
            }
        };
        let (config, rest) = index_config(options, true)?;
        let schema_config: maskwell_schema::Config = match rest {
            Some(rest) if !rest.is_empty() => serde_json::from_str(&json_dumps(rest.as_any())?)
                .map_err(|e| PyTypeError::new_err(format!("invalid schema option: {e}")))?,
            _ => maskwell_schema::Config::new(),
        };
        let vocab = vocab.inner.clone();
        py.detach(|| {
            guard(|| {
                let compiled = maskwell_schema::Compiler::new()
                    .configure(schema_config)
                    .compile_str(&text)
                    .map_err(|e| schema_error(&e))?;
                let warnings = compiled
                    .warnings()
                    .iter()
                    .map(|w| {
                        (
                            w.kind().code().to_owned(),
                            w.pointer().to_owned(),
                            w.keyword().to_owned(),
                            w.message().to_owned(),
                        )
                    })
                    .collect();
                let source = Source::Schema { schema: text, regex: compiled.into_regex() };
                let index = Index::builder()
                    .configure(config)
                    .build_with_source(source, &vocab)
                    .map_err(|e| index_error(&e))?;
                Ok(PyIndex { inner: Arc::new(index), warnings })
            })
        })
    }

    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf, vocab: &PyVocabulary) -> PyResult<PyIndex> {
        let vocab = vocab.inner.clone();
        py.detach(|| {
            guard(|| {
                let index = Index::load(&path, &vocab).map_err(|e| index_error(&e))?;
                Ok(PyIndex { inner: Arc::new(index), warnings: Vec::new() })
            })
        })
    }

    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8], vocab: &PyVocabulary) -> PyResult<PyIndex> {
        let vocab = vocab.inner.clone();
        py.detach(|| {
            guard(|| {
                let index = Index::from_bytes(data, &vocab).map_err(|e| index_error(&e))?;
                Ok(PyIndex { inner: Arc::new(index), warnings: Vec::new() })
            })
        })
    }

    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| guard(|| self.inner.save(&path).map_err(|e| index_error(&e))))
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = py.detach(|| guard(|| self.inner.to_bytes().map_err(|e| index_error(&e))))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[pyo3(signature = (vocab, text, token))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        vocab: &PyVocabulary,
        text: &Bound<'py, PyAny>,
        token: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text: Vec<u8> = match text.cast::<PyString>() {
            Ok(s) => s.to_cow()?.as_bytes().to_vec(),
            Err(_) => {
                text.extract().map_err(|_| PyTypeError::new_err("text must be str or bytes"))?
            }
        };
        let token = explain_token(token, self.inner.width())?;
        let vocab = vocab.inner.clone();
        let diagnosis = py.detach(|| {
            guard(|| {
                maskwell::explain(&self.inner, &vocab, &text, token)
                    .map_err(|e| crate::errors::maskwell_error(&e))
            })
        })?;
        diagnosis_to_py(py, &diagnosis)
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("width", s.width)?;
        d.set_item("states", s.states)?;
        d.set_item("accepting_states", s.accepting_states)?;
        d.set_item("transitions", s.transitions)?;
        d.set_item("unique_sets", s.unique_sets)?;
        d.set_item("dense_sets", s.dense_sets)?;
        d.set_item("automaton_states", s.automaton_states)?;
        d.set_item("dfa_states", s.dfa_states)?;
        d.set_item("pruned_states", s.pruned_states)?;
        d.set_item("automaton_seconds", s.automaton_time.as_secs_f64())?;
        d.set_item("index_seconds", s.index_time.as_secs_f64())?;
        d.set_item("memory", s.memory)?;
        d.set_item("build", s.mode.name())?;
        d.set_item("states_pending", s.states_pending)?;
        d.set_item("background_running", s.background_running)?;
        d.set_item("string_rows", s.string_rows)?;
        Ok(d)
    }

    #[getter]
    fn width(&self) -> usize {
        self.inner.width()
    }

    #[getter]
    fn words(&self) -> usize {
        self.inner.words()
    }

    #[getter]
    fn eos_token_ids(&self) -> Vec<u32> {
        self.inner.eos().to_vec()
    }

    #[getter]
    fn fingerprint(&self) -> String {
        self.inner.fingerprint().to_string()
    }

    #[getter]
    fn regex(&self) -> &str {
        self.inner.source().regex()
    }

    #[getter]
    fn schema(&self) -> Option<&str> {
        match self.inner.source() {
            Source::Schema { schema, .. } => Some(schema),
            _ => None,
        }
    }

    #[getter]
    fn schema_warnings<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.warnings
            .iter()
            .map(|(kind, pointer, keyword, message)| {
                let d = PyDict::new(py);
                d.set_item("kind", kind)?;
                d.set_item("pointer", pointer)?;
                d.set_item("keyword", keyword)?;
                d.set_item("message", message)?;
                Ok(d)
            })
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "Index(width={}, states={}, fingerprint='{}')",
            self.inner.width(),
            self.inner.num_states(),
            self.inner.fingerprint()
        )
    }
}

/// A token id for `explain`: ids that do not fit 32 bits are out of range.
pub(crate) fn explain_token(token: i64, width: usize) -> PyResult<maskwell::TokenId> {
    u32::try_from(token).map(maskwell::TokenId::new).map_err(|_| {
        Python::attach(|py| {
            crate::errors::error::<crate::errors::GuideError>(
                py,
                "token_out_of_range",
                format!("token {token} is outside the vocabulary of width {width}"),
            )
        })
    })
}

/// A diagnosis as a dict: its JSON fields and `message`, the human-readable report.
pub(crate) fn diagnosis_to_py<'py>(
    py: Python<'py>,
    diagnosis: &maskwell::Diagnosis,
) -> PyResult<Bound<'py, PyAny>> {
    let dict = crate::json_to_py(py, &diagnosis.to_json())?;
    dict.set_item("message", diagnosis.to_string())?;
    Ok(dict)
}
