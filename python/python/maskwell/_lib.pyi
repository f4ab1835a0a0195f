"""Type stubs and documentation of the native module ``maskwell._lib``.

Checked against the compiled module by ``python -m mypy.stubtest maskwell._lib``.
"""

from os import PathLike
from typing import Any, Optional, Sequence, Union, final

import numpy as np
import numpy.typing as npt


# pyo3 lists every name added to the module, private helpers included.
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
    "_bench_fill_advance",
    "_set_parallel",
    "apply_bitmask_f32",
    "build_profile",
    "fill_bitmask_batch",
    "metrics",
    "set_metrics_enabled",
]

__version__: str
build_profile: str

_Path = Union[str, "PathLike[str]"]
#: An int32 numpy array or CPU torch tensor, shape ``(words,)`` or ``(batch, words)``.
_Bitmask = Any

class MaskwellError(Exception):
    """Base class of every maskwell error."""

    #: The stable snake_case code of the error kind, the same in Rust, Python and the CLI.
    kind: str

class VocabularyError(MaskwellError):
    """A tokenizer could not be loaded, or a vocabulary could not be built (kinds ``io``,
    ``tokenizer``, ``unsupported_decoder``, ``bad_token``, ``id_out_of_range``, ``no_eos``,
    ``width_too_small``, ``too_large``, ``encode``, ``no_tokenizer``)."""

class SchemaError(MaskwellError):
    """A JSON Schema could not be compiled (kinds ``unsupported_keyword``,
    ``invalid_schema``, ``unresolvable_ref``, ``limit_exceeded``, ``too_deep``,
    ``bad_pattern``, ``unsatisfiable``, ``json_parse``, ``io``)."""

    #: JSON Pointer of the schema node at fault (``""`` for the root).
    pointer: str
    #: The keyword at fault, when there is one.
    keyword: Optional[str]

class BuildError(MaskwellError):
    """An index could not be built (kinds ``regex``, ``limit``, ``inexpressible``)."""

class IndexFileError(MaskwellError):
    """An index file could not be read or written, is corrupt, or was built for another
    vocabulary (kinds ``io``, ``bad_file``, ``vocabulary_mismatch``)."""

class GuideError(MaskwellError):
    """A guide refused a token or an operation; its state is unchanged (kinds
    ``token_not_allowed``, ``token_out_of_range``, ``finished``, ``rollback``, ``snapshot``)."""

class MaskError(MaskwellError):
    """A bitmask or logits buffer is unusable (kinds ``type``, ``dtype``, ``shape``,
    ``not_contiguous``, ``not_aligned``, ``read_only``, ``borrowed``, ``device``,
    ``row_out_of_range``, ``row_too_narrow``, ``batch_shape``)."""

class InternalError(MaskwellError):
    """A bug in maskwell: a Rust panic caught at the boundary (kind ``panic``), or a guide
    used after one (kind ``poisoned``)."""

@final
class Vocabulary:
    """A model's vocabulary as a constraint sees it: the exact bytes of every token id,
    the end-of-sequence ids, and the ids never allowed (special tokens, padding).

    Immutable and shareable between threads.
    """

    @staticmethod
    def from_file(
        path: _Path,
        eos_token_ids: Optional[Sequence[int]] = None,
        vocab_size: Optional[int] = None,
    ) -> "Vocabulary":
        """Reads a HuggingFace ``tokenizer.json``. Never touches the network.

        ``eos_token_ids`` replaces the end-of-sequence set (default: the special tokens
        with a well-known stop name, such as ``</s>``, ``<|endoftext|>``, ``<|eot_id|>``).
        ``vocab_size`` is the width of the model's logits when it exceeds the tokenizer's
        ids; the extra ids are never allowed.

        Raises :class:`VocabularyError`.
        """

    @staticmethod
    def from_tokenizer(
        tokenizer: Any,
        eos_token_ids: Optional[Sequence[int]] = None,
        vocab_size: Optional[int] = None,
    ) -> "Vocabulary":
        """From a ``tokenizers.Tokenizer`` or a transformers fast tokenizer (its
        ``eos_token_id`` joins the detected end-of-sequence set). Otherwise as
        :meth:`from_file`."""

    @staticmethod
    def from_tokens(
        tokens: Sequence[Union[str, bytes]],
        eos_token_ids: Sequence[int],
        vocab_size: Optional[int] = None,
    ) -> "Vocabulary":
        """From the bytes of each token (token ``i`` is ``tokens[i]``); every token is text
        except ``eos_token_ids``."""

    @property
    def width(self) -> int:
        """The number of token ids: the width of a logits row."""

    @property
    def eos_token_ids(self) -> list[int]:
        """The end-of-sequence ids, increasing."""

    @property
    def fingerprint(self) -> str:
        """A stable hash of the ids, bytes and end-of-sequence set, recorded in indexes."""

    def token_bytes(self, token: int) -> Optional[bytes]:
        """The bytes ``token`` emits; ``None`` past the width."""

    def token_kind(self, token: int) -> Optional[str]:
        """``"text"``, ``"eos"``, ``"special"`` or ``"absent"``; ``None`` past the width."""

    def encode(self, text: str) -> list[int]:
        """The tokens a model emits to write exactly ``text`` after a prompt (no BOS).
        Only for vocabularies read from a tokenizer."""

    def __len__(self) -> int: ...

@final
class Index:
    """A compiled constraint: for every state, the allowed tokens and where each leads.

    Immutable and shareable: any number of guides, in any threads, can use one index.
    Building releases the GIL.
    """

    @staticmethod
    def from_regex(regex: str, vocab: Vocabulary, **options: Any) -> "Index":
        """Builds the index of ``regex`` (regex-automata syntax, matched against the whole
        output) over ``vocab``.

        Options (all optional): ``regex_len_limit``, ``nfa_size_limit``,
        ``dfa_size_limit``, ``determinize_size_limit``, ``index_size_limit`` (bytes),
        ``max_dfa_states``, ``max_index_states``, ``minimize_limit`` (counts: the largest DFA
        that is minimized), ``minimize``, ``parallel`` (bools), ``build`` (``"eager"``, the
        default: every state walked before the call returns; ``"lazy"``: the start state
        now, every other state the first time a guide reaches it, cached for all guides;
        ``"background"``: lazy, completed by a background thread meanwhile), ``time_limit``
        (seconds the eager walk may take, or ``None``, the default: past it the build raises
        :class:`BuildError` with ``kind == "limit"``). An unknown option raises
        ``TypeError``, an unknown build mode or a negative time limit ``ValueError``.

        Raises :class:`BuildError`.
        """

    @staticmethod
    def from_schema(
        schema: Union[str, dict[str, Any], bool], vocab: Vocabulary, **options: Any
    ) -> "Index":
        """Compiles a JSON Schema (a JSON string or a dict) to a regex and builds its index.

        Besides :meth:`from_regex`'s options, the schema compiler's: ``whitespace``
        (``"compact"``, ``"spaced"`` (default, as ``json.dumps`` writes),
        ``{"flexible": {"max_run": n}}``, ``{"pretty": {"indent": n}}``),
        ``additional_properties``, ``lenient``, ``unknown_format`` (``"error"`` or
        ``"ignore"``), ``max_recursion_depth``, ``max_regex_len``, ``max_enum_size``,
        ``max_nesting_depth``, ``max_repeat``, ``max_alternatives``, ``any_value_depth``,
        ``registry``.

        Raises :class:`SchemaError` or :class:`BuildError`.
        """

    @staticmethod
    def load(path: _Path, vocab: Vocabulary) -> "Index":
        """Loads an index file written by :meth:`save`, checking that it was built for
        ``vocab``. Raises :class:`IndexFileError`."""

    @staticmethod
    def from_bytes(data: bytes, vocab: Vocabulary) -> "Index":
        """As :meth:`load`, from the bytes of an index file."""

    def save(self, path: _Path) -> None:
        """Writes the index file (atomically). Raises :class:`IndexFileError`."""

    def to_bytes(self) -> bytes:
        """The bytes :meth:`save` writes."""

    def explain(self, vocab: Vocabulary, text: Union[str, bytes], token: int) -> dict[str, Any]:
        """Why ``token`` is or is not allowed after ``text`` (bytes of the output so far, not
        re-tokenized), judged by the index's byte automaton. Keys: ``allowed``, ``verdict``
        (``allowed``, ``byte_rejected``, ``text_rejected``, ``end_not_allowed``,
        ``not_text``, ``dead_end``), ``rejected_offset`` and ``rejected_byte``, ``position``
        and ``accepted_text`` (where the automaton stands), ``expected`` (the accepted bytes
        there, as ranges), ``can_end``, ``forced``, ``allowed_tokens`` and ``examples``,
        ``location`` (for schema indexes: ``instance`` pointer, ``expecting``, ``schemas``
        with each node's ``pointer`` and ``summary``; else ``None``), ``summary`` and
        ``message`` (the human-readable report). A diagnostic: it takes milliseconds.

        Raises :class:`IndexFileError` (kind ``vocabulary_mismatch``) for another
        vocabulary, :class:`GuideError` (kind ``token_out_of_range``) for a bad id."""

    def stats(self) -> dict[str, Any]:
        """Sizes and build timings: ``width``, ``states``, ``accepting_states``,
        ``transitions``, ``unique_sets``, ``dense_sets``, ``automaton_states``,
        ``dfa_states``, ``pruned_states``, ``automaton_seconds``, ``index_seconds``,
        ``memory`` (bytes), ``build`` (``"eager"``, ``"lazy"`` or ``"background"``),
        ``states_pending`` (lazy: states not walked yet), ``background_running``,
        ``string_rows`` (lazy: rows assembled from the string template)."""

    @property
    def width(self) -> int:
        """The vocabulary width the index was built for."""

    @property
    def words(self) -> int:
        """32-bit words per bitmask row: ``ceil(width / 32)``."""

    @property
    def eos_token_ids(self) -> list[int]:
        """The end-of-sequence ids."""

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the vocabulary the index was built for."""

    @property
    def regex(self) -> str:
        """The regex the index was built from (compiled from the schema, for schemas)."""

    @property
    def schema(self) -> Optional[str]:
        """The schema text, for indexes built from a schema."""

    @property
    def schema_warnings(self) -> list[dict[str, str]]:
        """What the schema compiler ignored (lenient mode) or bounded: dicts with ``kind``,
        ``pointer``, ``keyword``, ``message``. Empty for loaded indexes."""

@final
class Guide:
    """One sequence's cursor over an :class:`Index`.

    Cheap to create and to copy. Not meant to be shared between threads (use one guide per
    sequence); concurrent use raises ``RuntimeError`` rather than corrupting it.
    """

    def __new__(cls, index: Index) -> "Guide": ...
    def advance(self, token: int) -> bool:
        """Accepts ``token``; returns whether it ended the sequence (an end-of-sequence
        token). Raises :class:`GuideError` (state unchanged) when it is not allowed."""

    def accept_tokens(self, tokens: Sequence[int]) -> bool:
        """Accepts all of ``tokens`` and returns ``True``, or none of them and returns
        ``False``."""

    def validate_tokens(self, tokens: Sequence[int]) -> int:
        """How many of ``tokens``, from the first, would be accepted; the state is
        unchanged."""

    def rollback(self, n: int) -> None:
        """Undoes the last ``n`` accepted tokens. Raises :class:`GuideError` (kind
        ``rollback``) when fewer were accepted."""

    def reset(self) -> None:
        """Back to the start state."""

    def fill_bitmask(self, bitmask: _Bitmask, row: int = 0) -> None:
        """Writes the allowed tokens into row ``row`` of ``bitmask`` in place, without a
        copy: bit ``i % 32`` of word ``i // 32`` is set when token ``i`` is allowed.

        ``bitmask`` is a C-contiguous, writable int32 numpy array or CPU torch tensor of
        shape ``(words,)`` or ``(batch, words)`` with at least :attr:`Index.words` words
        per row; words past that (logits padding) are cleared. Anything else raises
        :class:`MaskError`. A finished guide allows only the end-of-sequence tokens.
        """

    def explain(self, vocab: Vocabulary, token: int) -> dict[str, Any]:
        """Why ``token`` is or is not allowed next, after this guide's tokens: as
        :meth:`Index.explain`, with the verdict and the allowed tokens from the index (which
        can refuse a token the automaton accepts: verdict ``dead_end``) and ``state`` set.
        Raises :class:`GuideError` (kind ``finished``) once the guide has ended."""

    def allowed_tokens(self) -> npt.NDArray[np.int32]:
        """The allowed token ids, increasing."""

    def is_finished(self) -> bool:
        """Whether an end-of-sequence token was accepted."""

    def is_accepting(self) -> bool:
        """Whether the output so far is complete (an end-of-sequence token is allowed)."""

    @property
    def tokens(self) -> list[int]:
        """The tokens accepted so far."""

    @property
    def index(self) -> Index:
        """The index this guide walks."""

    def snapshot(self) -> str:
        """This guide's position as one line of JSON: the index's vocabulary fingerprint and
        width, a hash of its regex, the tokens accepted so far. Log it with a failing request
        and replay it later, or in another process, with :meth:`Guide.restore` (or
        ``maskwell replay``)."""

    @staticmethod
    def restore(index: Index, snapshot: str) -> "Guide":
        """A guide over ``index`` that has accepted the snapshot's tokens.

        Raises :class:`IndexFileError` (kind ``vocabulary_mismatch``) for an index over another
        vocabulary, :class:`GuideError` (kind ``snapshot``) for text that is not a snapshot, an
        index of another regex, or a token the index refuses during the replay.
        """

    def copy(self) -> "Guide":
        """An independent guide in the same state."""

    def __copy__(self) -> "Guide": ...

def fill_bitmask_batch(guides: Sequence[Optional[Guide]], bitmask: _Bitmask) -> None:
    """Fills row ``i`` of ``bitmask`` from ``guides[i]`` (``None`` leaves the row as is),
    with the GIL released and, for large batches, rows in parallel. ``bitmask`` must have
    at least ``len(guides)`` rows; see :meth:`Guide.fill_bitmask`."""

def apply_bitmask_f32(logits: Any, bitmask: _Bitmask) -> None:
    """Masks float32 CPU logits in place (see :func:`maskwell.apply_bitmask`, which
    dispatches here)."""

def metrics() -> dict[str, Any]:
    """The process-wide counters: ``compiles``, ``compile_errors``, ``index_loads``,
    ``mask_fills``, ``row_cache_hits``, ``rows_walked`` (lazy rows walked on demand),
    ``rejected_tokens``, and the histograms ``compile_time``, ``load_time`` and
    ``row_walk_time`` (dicts with ``count``, ``sum_us``, ``mean_us``, ``max_us``,
    ``p50_us``, ``p99_us`` and power-of-two microsecond ``buckets``). Counts only grow."""

def set_metrics_enabled(enabled: bool) -> None:
    """Switches the counters on or off for the process (on by default; counting costs
    well under 2% of a mask fill)."""

def _set_parallel(enabled: bool) -> None: ...
def _bench_fill_advance(guide: Guide, tokens: Sequence[int], bitmask: _Bitmask, repeats: int) -> float:
    """Benchmark baseline: the ``fill_bitmask`` + ``advance`` loop run in Rust; seconds."""
