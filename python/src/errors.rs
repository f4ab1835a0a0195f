//! The exception hierarchy and the conversions from the Rust errors.
//!
//! Every exception derives from `MaskwellError` and carries `.kind`, the stable snake_case
//! code of the Rust error kind (the same code the CLI prints).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{create_exception, PyTypeInfo};

create_exception!(
    maskwell,
    MaskwellError,
    PyException,
    "Base class of every maskwell error. `.kind` is a stable snake_case code."
);
create_exception!(
    maskwell,
    VocabularyError,
    MaskwellError,
    "A tokenizer could not be loaded, or a vocabulary could not be built."
);
create_exception!(
    maskwell,
    SchemaError,
    MaskwellError,
    "A JSON Schema could not be compiled. `.pointer` and `.keyword` say where."
);
create_exception!(
    maskwell,
    BuildError,
    MaskwellError,
    "An index could not be built: bad regex, a limit exceeded, or nothing expressible."
);
create_exception!(
    maskwell,
    IndexFileError,
    MaskwellError,
    "An index file could not be read or written, is corrupt, or belongs to another vocabulary."
);
create_exception!(
    maskwell,
    GuideError,
    MaskwellError,
    "A guide refused a token or an operation; its state is unchanged."
);
create_exception!(
    maskwell,
    MaskError,
    MaskwellError,
    "A bitmask or logits buffer has the wrong type, dtype, shape, layout or device."
);
create_exception!(
    maskwell,
    InternalError,
    MaskwellError,
    "A bug in maskwell (a Rust panic caught at the boundary). Please report it."
);

/// An exception of type `E` with `.kind = kind`.
pub(crate) fn error<E: PyTypeInfo>(
    py: Python<'_>,
    kind: &str,
    message: impl Into<String>,
) -> PyErr {
    let err = PyErr::new::<E, _>(message.into());
    // Setting an attribute on a fresh exception instance cannot fail in practice; if it did,
    // the class default `kind` remains.
    let _ = err.value(py).setattr("kind", kind);
    err
}

pub(crate) fn mask_error(kind: &str, message: impl Into<String>) -> PyErr {
    Python::attach(|py| error::<MaskError>(py, kind, message))
}

pub(crate) fn vocab_error(e: &maskwell::vocab::Error) -> PyErr {
    Python::attach(|py| error::<VocabularyError>(py, e.kind().code(), e.to_string()))
}

pub(crate) fn index_error(e: &maskwell::index::Error) -> PyErr {
    use maskwell::index::ErrorKind;
    let code = e.kind().code();
    Python::attach(|py| match e.kind() {
        ErrorKind::Io | ErrorKind::BadFile | ErrorKind::VocabularyMismatch => {
            error::<IndexFileError>(py, code, e.to_string())
        }
        ErrorKind::Snapshot => {
            // The refused token's own error is the source: keep it in the message.
            let message = match std::error::Error::source(e) {
                Some(source) => format!("{e}: {source}"),
                None => e.to_string(),
            };
            error::<GuideError>(py, code, message)
        }
        ErrorKind::TokenNotAllowed
        | ErrorKind::TokenOutOfRange
        | ErrorKind::Finished
        | ErrorKind::Rollback
        | ErrorKind::StateLimit => error::<GuideError>(py, code, e.to_string()),
        _ => error::<BuildError>(py, code, e.to_string()),
    })
}

/// Any error of the facade crate, as the exception its underlying crate's error maps to.
pub(crate) fn maskwell_error(e: &maskwell::Error) -> PyErr {
    match e {
        maskwell::Error::Vocab(e) => vocab_error(e),
        maskwell::Error::Index(e) => index_error(e),
        maskwell::Error::Guide(e) => guide_error(*e),
        maskwell::Error::Schema(e) => schema_error(e),
        maskwell::Error::Mask(e) => mask_error(e.code(), e.to_string()),
        other => Python::attach(|py| error::<BuildError>(py, other.code(), other.to_string())),
    }
}

pub(crate) fn guide_error(e: maskwell::GuideError) -> PyErr {
    use maskwell::index::ErrorKind;
    Python::attach(|py| match e.kind() {
        ErrorKind::BufferSize => error::<MaskError>(py, "shape", e.to_string()),
        kind => error::<GuideError>(py, kind.code(), e.to_string()),
    })
}

pub(crate) fn apply_error(e: maskwell::mask::Error) -> PyErr {
    mask_error(e.code(), e.to_string())
}

pub(crate) fn schema_error(e: &maskwell_schema::Error) -> PyErr {
    Python::attach(|py| {
        let err = error::<SchemaError>(py, e.code(), e.to_string());
        let value = err.value(py);
        let _ = value.setattr("pointer", e.pointer());
        let _ = value.setattr("keyword", e.keyword());
        err
    })
}

/// Runs `f`, turning a panic into `InternalError` (kind `panic`) instead of letting it
/// unwind into the interpreter.
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_error(&*payload)))
}

pub(crate) fn panic_error(payload: &(dyn std::any::Any + Send)) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Python::attach(|py| error::<InternalError>(py, "panic", format!("internal error: {what}")))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes = [
        (MaskwellError::type_object(py), "unknown"),
        (VocabularyError::type_object(py), "unknown"),
        (SchemaError::type_object(py), "unknown"),
        (BuildError::type_object(py), "unknown"),
        (IndexFileError::type_object(py), "unknown"),
        (GuideError::type_object(py), "unknown"),
        (MaskError::type_object(py), "unknown"),
        (InternalError::type_object(py), "panic"),
    ];
    for (class, kind) in classes {
        class.setattr("kind", kind)?;
        m.add(class.name()?, class)?;
    }
    let schema = SchemaError::type_object(py);
    schema.setattr("pointer", "")?;
    schema.setattr("keyword", py.None())?;
    Ok(())
}
