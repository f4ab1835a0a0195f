//! `Vocabulary`: token id → bytes, end-of-sequence ids, fingerprint.

use std::path::PathBuf;
use std::sync::Arc;

use maskwell::vocab::{self, Tokenizer};
use maskwell::{TokenId, TokenKind, Vocabulary};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::{error, guard, vocab_error, VocabularyError};

#[pyclass(name = "Vocabulary", module = "maskwell", frozen)]
#[derive(Debug)]
pub(crate) struct PyVocabulary {
    pub(crate) inner: Arc<Vocabulary>,
    /// The tokenizer the vocabulary was read from, for `encode`; `None` when built from
    /// token bytes.
    tokenizer: Option<Arc<Tokenizer>>,
}

fn builder(eos_token_ids: Option<Vec<u32>>, vocab_size: Option<usize>) -> vocab::Builder {
    let mut builder = Vocabulary::builder();
    if let Some(ids) = eos_token_ids {
        builder = builder.eos(ids.into_iter().map(TokenId::new));
    }
    if let Some(width) = vocab_size {
        builder = builder.width(width);
    }
    builder
}

fn parse_tokenizer(json: &str) -> PyResult<Tokenizer> {
    let parsed = std::panic::catch_unwind(|| json.parse::<Tokenizer>());
    let message = match parsed {
        Ok(Ok(mut tokenizer)) => {
            // As `load_tokenizer` does: special-token strings inside text are text.
            tokenizer.set_encode_special_tokens(true);
            return Ok(tokenizer);
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the tokenizer library panicked while reading it".to_owned(),
    };
    Err(Python::attach(|py| {
        error::<VocabularyError>(py, "tokenizer", format!("not a valid tokenizer: {message}"))
    }))
}

#[pymethods]
impl PyVocabulary {
    #[staticmethod]
    #[pyo3(signature = (path, eos_token_ids=None, vocab_size=None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        eos_token_ids: Option<Vec<u32>>,
        vocab_size: Option<usize>,
    ) -> PyResult<PyVocabulary> {
        py.detach(|| {
            guard(|| {
                let tokenizer = vocab::load_tokenizer(&path).map_err(|e| vocab_error(&e))?;
                let inner = builder(eos_token_ids, vocab_size)
                    .build_from_tokenizer(&tokenizer)
                    .map_err(|e| vocab_error(&e))?;
                Ok(PyVocabulary { inner: Arc::new(inner), tokenizer: Some(Arc::new(tokenizer)) })
            })
        })
    }

    #[staticmethod]
    #[pyo3(signature = (tokenizer, eos_token_ids=None, vocab_size=None))]
    fn from_tokenizer(
        py: Python<'_>,
        tokenizer: &Bound<'_, PyAny>,
        eos_token_ids: Option<Vec<u32>>,
        vocab_size: Option<usize>,
    ) -> PyResult<PyVocabulary> {
        // A transformers fast tokenizer wraps a `tokenizers.Tokenizer` and knows its EOS id.
        let (backend, extra_eos) = match tokenizer.getattr("backend_tokenizer") {
            Ok(backend) => {
                let eos: Option<u32> =
                    tokenizer.getattr("eos_token_id").ok().and_then(|id| id.extract().ok());
                (backend, eos)
            }
            Err(_) => (tokenizer.clone(), None),
        };
        let json: String = match backend.call_method0("to_str") {
            Ok(s) => s.extract()?,
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "expected a tokenizers.Tokenizer or a transformers fast tokenizer, not {}",
                    tokenizer.get_type().name()?
                )))
            }
        };
        py.detach(|| {
            guard(|| {
                let parsed = parse_tokenizer(&json)?;
                let mut b = builder(eos_token_ids.clone(), vocab_size);
                if eos_token_ids.is_none() {
                    b = b.stop_tokens(extra_eos.map(TokenId::new));
                }
                let inner = b.build_from_tokenizer(&parsed).map_err(|e| vocab_error(&e))?;
                Ok(PyVocabulary { inner: Arc::new(inner), tokenizer: Some(Arc::new(parsed)) })
            })
        })
    }

    #[staticmethod]
    #[pyo3(signature = (tokens, eos_token_ids, vocab_size=None))]
    fn from_tokens(
        tokens: Vec<Bound<'_, PyAny>>,
        eos_token_ids: Vec<u32>,
        vocab_size: Option<usize>,
    ) -> PyResult<PyVocabulary> {
        let mut raw: Vec<Vec<u8>> = Vec::with_capacity(tokens.len());
        for token in &tokens {
            if let Ok(s) = token.cast::<PyString>() {
                raw.push(s.extract::<String>()?.into_bytes());
            } else if let Ok(b) = token.cast::<PyBytes>() {
                raw.push(b.as_bytes().to_vec());
            } else {
                return Err(PyTypeError::new_err("tokens must be str or bytes"));
            }
        }
        guard(|| {
            let inner = builder(Some(eos_token_ids), vocab_size)
                .build_from_tokens(raw)
                .map_err(|e| vocab_error(&e))?;
            Ok(PyVocabulary { inner: Arc::new(inner), tokenizer: None })
        })
    }

    #[getter]
    fn width(&self) -> usize {
        self.inner.width()
    }

    #[getter]
    fn eos_token_ids(&self) -> Vec<u32> {
        self.inner.eos().iter().map(|id| id.as_u32()).collect()
    }

    #[getter]
    fn fingerprint(&self) -> String {
        self.inner.fingerprint().to_string()
    }

    fn token_bytes<'py>(&self, py: Python<'py>, token: i64) -> Option<Bound<'py, PyBytes>> {
        let id = u32::try_from(token).ok()?;
        self.inner.token_bytes(TokenId::new(id)).map(|b| PyBytes::new(py, b))
    }

    fn token_kind(&self, token: i64) -> Option<&'static str> {
        let id = u32::try_from(token).ok()?;
        self.inner.kind(TokenId::new(id)).map(|kind| match kind {
            TokenKind::Text => "text",
            TokenKind::Eos => "eos",
            TokenKind::Special => "special",
            TokenKind::Absent => "absent",
        })
    }

    fn encode(&self, py: Python<'_>, text: &str) -> PyResult<Vec<u32>> {
        let Some(tokenizer) = &self.tokenizer else {
            return Err(error::<VocabularyError>(
                py,
                "no_tokenizer",
                "this vocabulary was built from token bytes and has no tokenizer to encode with",
            ));
        };
        py.detach(|| {
            guard(|| {
                let ids = vocab::encode_continuation(tokenizer, &self.inner, text)
                    .map_err(|e| vocab_error(&e))?;
                Ok(ids.into_iter().map(TokenId::as_u32).collect())
            })
        })
    }

    fn __len__(&self) -> usize {
        self.inner.width()
    }

    fn __repr__(&self) -> String {
        format!(
            "Vocabulary(width={}, eos_token_ids={:?}, fingerprint='{}')",
            self.inner.width(),
            self.eos_token_ids(),
            self.inner.fingerprint()
        )
    }
}
