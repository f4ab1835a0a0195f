"""Classes with the methods vLLM's structured-output backend and grammar objects expect
(vLLM v1, ``vllm/v1/structured_output/backend_types.py``), so that plugging maskwell into
vLLM is a thin registration. vLLM itself is not imported.

``MaskwellBackend(vllm_config, tokenizer, vocab_size)`` compiles grammars
(``compile_grammar(request_type, grammar_spec)``) and allocates the shared bitmask
(``allocate_token_bitmask(max_num_seqs)``); each request gets a :class:`MaskwellGrammar`
with ``accept_tokens``, ``validate_tokens``, ``rollback``, ``fill_bitmask``,
``is_terminated`` and ``reset``. Compiled indexes are cached per (request type, spec).

Supported request types: ``json`` (a JSON Schema), ``json_object`` (any JSON object),
``regex`` and ``choice`` (a JSON list of strings). ``grammar`` and ``structural_tag`` raise
``ValueError``.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Optional

import numpy as np

from .. import Guide, Index, Vocabulary, bitmask_words

__all__ = ["MaskwellBackend", "MaskwellGrammar", "choice_regex"]

_META = set("\\.+*?()|[]{}^$#&-~")


def choice_regex(choices: list[str]) -> str:
    """A regex matching exactly one of ``choices``."""
    def escape(text: str) -> str:
        out = []
        for c in text:
            if c in _META:
                out.append("\\" + c)
            elif ord(c) < 0x20 or c == " ":
                out.append("\\x{%x}" % ord(c))
            else:
                out.append(c)
        return "".join(out)

    return "(?:" + "|".join(escape(c) for c in choices) + ")"


def _kind(request_type: Any) -> str:
    name = getattr(request_type, "name", None) or getattr(request_type, "value", None) or request_type
    return str(name).lower()


class MaskwellGrammar:
    """One request's grammar state (vLLM's ``StructuredOutputGrammar``)."""

    def __init__(self, index: Index) -> None:
        self.guide = Guide(index)
        self.num_processed_tokens = 0

    def accept_tokens(self, request_id: str, tokens: list[int]) -> bool:
        """Accepts all of ``tokens`` (atomically); ``False`` and no change when one is not
        allowed or the grammar already terminated."""
        if self.guide.is_finished():
            return False
        if not self.guide.accept_tokens(tokens):
            return False
        self.num_processed_tokens += len(tokens)
        return True

    def validate_tokens(self, tokens: list[int]) -> list[int]:
        """The longest prefix of ``tokens`` that would be accepted; no state change."""
        return list(tokens[: self.guide.validate_tokens(tokens)])

    def rollback(self, num_tokens: int) -> None:
        """Undoes the last ``num_tokens`` accepted tokens."""
        self.guide.rollback(num_tokens)
        self.num_processed_tokens -= num_tokens

    def fill_bitmask(self, bitmask: Any, idx: int) -> None:
        """Writes this request's allowed tokens into row ``idx`` of ``bitmask``."""
        self.guide.fill_bitmask(bitmask, idx)

    def is_terminated(self) -> bool:
        """Whether an end-of-sequence token was accepted."""
        return self.guide.is_finished()

    def reset(self) -> None:
        """Back to the start."""
        self.guide.reset()
        self.num_processed_tokens = 0


class MaskwellBackend:
    """vLLM's ``StructuredOutputBackend`` for maskwell."""

    def __init__(self, vllm_config: Any, tokenizer: Any, vocab_size: int, *, vocab: Optional[Vocabulary] = None, **options: Any) -> None:
        self.vllm_config = vllm_config
        self.tokenizer = tokenizer
        self.vocab_size = vocab_size
        self.vocab = vocab if vocab is not None else Vocabulary.from_tokenizer(tokenizer, vocab_size=vocab_size)
        self.options = options
        self._cache: dict[tuple[str, str], Index] = {}
        self._lock = threading.Lock()

    def _index(self, kind: str, spec: str) -> Index:
        key = (kind, spec)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        if kind == "json":
            index = Index.from_schema(spec, self.vocab, **self.options)
        elif kind == "json_object":
            index = Index.from_schema({"type": "object"}, self.vocab, **self.options)
        elif kind == "regex":
            index = Index.from_regex(spec, self.vocab)
        elif kind == "choice":
            index = Index.from_regex(choice_regex(json.loads(spec)), self.vocab)
        else:
            raise ValueError(f"maskwell does not support {kind} requests")
        with self._lock:
            self._cache[key] = index
        return index

    def compile_grammar(self, request_type: Any, grammar_spec: str) -> MaskwellGrammar:
        """A fresh grammar for one request; the index behind it is compiled once per spec."""
        return MaskwellGrammar(self._index(_kind(request_type), grammar_spec))

    def allocate_token_bitmask(self, max_num_seqs: int) -> Any:
        """An int32 bitmask of shape ``(max_num_seqs, ceil(vocab_size / 32))``, all tokens
        allowed: a CPU torch tensor when torch is installed, else a numpy array."""
        shape = (max_num_seqs, bitmask_words(self.vocab_size))
        try:
            import torch
        except ImportError:
            return np.full(shape, -1, dtype=np.int32)
        return torch.full(shape, -1, dtype=torch.int32)

    def destroy(self) -> None:
        """Drops the cached indexes."""
        with self._lock:
            self._cache.clear()
