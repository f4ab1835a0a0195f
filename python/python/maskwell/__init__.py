"""maskwell: constrained decoding for language models.

Compile a regular expression or a JSON Schema once into an :class:`Index` over a model's
:class:`Vocabulary`; walk each sequence with a :class:`Guide`, which writes the allowed
tokens into an int32 bitmask (bit ``i % 32`` of word ``i // 32`` for token ``i``), and mask
the logits with :func:`apply_bitmask`::

    import numpy as np
    import maskwell

    vocab = maskwell.Vocabulary.from_file("tokenizer.json")
    index = maskwell.Index.from_schema({"type": "integer"}, vocab)
    guide = maskwell.Guide(index)
    bitmask = maskwell.allocate_bitmask(1, vocab.width)
    guide.fill_bitmask(bitmask)
    maskwell.apply_bitmask(logits, bitmask)      # numpy or torch, in place
    guide.advance(int(logits.argmax()))

numpy is required; torch is optional (only needed to pass torch tensors).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _lib
from ._lib import (
    BuildError,
    Guide,
    GuideError,
    Index,
    IndexFileError,
    InternalError,
    MaskError,
    MaskwellError,
    SchemaError,
    Vocabulary,
    VocabularyError,
    __version__,
    fill_bitmask_batch,
    metrics,
    set_metrics_enabled,
)

__all__ = [
    "BuildError",
    "Guide",
    "GuideError",
    "Index",
    "IndexFileError",
    "InternalError",
    "MaskError",
    "MaskwellError",
    "SchemaError",
    "Vocabulary",
    "VocabularyError",
    "__version__",
    "allocate_bitmask",
    "apply_bitmask",
    "bitmask_words",
    "fill_bitmask_batch",
    "metrics",
    "set_metrics_enabled",
]

# rayon's worker threads do not survive fork(): a forked child builds and fills serially.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _lib._set_parallel(False))


def bitmask_words(vocab_size: int) -> int:
    """The number of 32-bit words one bitmask row needs for ``vocab_size`` tokens."""
    return (vocab_size + 31) // 32


def allocate_bitmask(batch_size: int, vocab_size: int) -> np.ndarray:
    """A zeroed ``int32`` bitmask of shape ``(batch_size, ceil(vocab_size / 32))``.

    For torch, ``torch.from_numpy(allocate_bitmask(...))`` shares the memory; or allocate
    ``torch.zeros((batch, words), dtype=torch.int32)`` directly.
    """
    return np.zeros((batch_size, bitmask_words(vocab_size)), dtype=np.int32)


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "masked_fill_")


def _expand(bitmask: Any, columns: int) -> Any:
    """Unpacks a numpy int32 bitmask ``(rows, words)`` to booleans ``(rows, columns)``."""
    words = np.ascontiguousarray(bitmask, dtype="<i4").reshape(bitmask.shape[0], -1)
    bits = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little").astype(bool)
    if bits.shape[1] < columns:
        pad = np.zeros((bits.shape[0], columns - bits.shape[1]), dtype=bool)
        bits = np.concatenate([bits, pad], axis=1)
    return bits[:, :columns]


def apply_bitmask(logits: Any, bitmask: Any) -> None:
    """Sets ``logits[r, i]`` to ``-inf`` wherever bit ``i`` of ``bitmask[r]`` is clear.

    ``logits`` is a numpy array or torch tensor of shape ``(vocab,)`` or ``(batch, vocab)``,
    modified in place; ``bitmask`` is int32 of shape ``(words,)`` or ``(batch, words)`` with
    the same number of rows. Columns past ``32 * words`` (padding of the model's output
    layer) are set to ``-inf`` too. float32 CPU arrays and tensors are masked in Rust with the
    GIL released; other dtypes and devices (float16, bfloat16, CUDA) by numpy or torch ops.

    Raises :class:`MaskError` for a wrong dtype, shape or layout.
    """
    if _is_torch(logits):
        _apply_torch(logits, bitmask)
        return
    if isinstance(logits, np.ndarray) and logits.dtype == np.float32:
        _lib.apply_bitmask_f32(logits, bitmask)
        return
    if not isinstance(logits, np.ndarray) or logits.dtype.kind != "f":
        raise _mask_error("dtype", f"logits must be a floating-point numpy array or torch tensor, not {type(logits).__name__} {getattr(logits, 'dtype', '')}")
    mask = _check_bitmask(np.asarray(bitmask), logits.ndim, logits.shape[0] if logits.ndim == 2 else 1, logits.shape[-1])
    rows = logits.reshape(-1, logits.shape[-1]) if logits.ndim == 2 else logits.reshape(1, -1)
    rows[~_expand(mask.reshape(rows.shape[0], -1), rows.shape[1])] = -np.inf


def _mask_error(kind: str, message: str) -> MaskError:
    err = MaskError(message)
    err.kind = kind
    return err


def _check_bitmask(mask: Any, ndim: int, rows: int, columns: int) -> Any:
    if str(mask.dtype) not in ("int32", "uint32", "torch.int32"):
        raise _mask_error("dtype", f"bitmask must have dtype int32, not {mask.dtype}")
    if ndim not in (1, 2) or mask.ndim != ndim:
        raise _mask_error("shape", f"logits of {ndim} dimensions need a bitmask of {ndim}, got {tuple(mask.shape)}")
    mask_rows = mask.shape[0] if ndim == 2 else 1
    if mask_rows != rows:
        raise _mask_error("shape", f"logits have {rows} rows but the bitmask has {mask_rows}")
    if mask.shape[-1] > (columns + 31) // 32:
        raise _mask_error("row_too_narrow", f"bitmask of {mask.shape[-1]} words covers more than the {columns} logits columns")
    return mask


def _apply_torch(logits: Any, bitmask: Any) -> None:
    import torch

    if not _is_torch(bitmask):
        bitmask = torch.from_numpy(np.asarray(bitmask))
    if logits.device.type == "cpu" and logits.dtype == torch.float32 and bitmask.device.type == "cpu":
        _lib.apply_bitmask_f32(logits, bitmask)
        return
    if not logits.dtype.is_floating_point:
        raise _mask_error("dtype", f"logits must be floating point, not {logits.dtype}")
    if logits.ndim not in (1, 2):
        raise _mask_error("shape", f"logits must have 1 or 2 dimensions, not {tuple(logits.shape)}")
    rows = logits.shape[0] if logits.ndim == 2 else 1
    _check_bitmask(bitmask, logits.ndim, rows, logits.shape[-1])
    columns = logits.shape[-1]
    words = bitmask.to(device=logits.device, dtype=torch.int32).reshape(rows, -1)
    shifts = torch.arange(32, device=logits.device, dtype=torch.int32)
    bits = ((words.unsqueeze(-1) >> shifts) & 1).bool().reshape(rows, -1)
    if bits.shape[1] < columns:
        pad = torch.zeros((rows, columns - bits.shape[1]), dtype=torch.bool, device=logits.device)
        bits = torch.cat([bits, pad], dim=1)
    logits.view(rows, columns).masked_fill_(~bits[:, :columns], float("-inf"))
