"""A transformers ``LogitsProcessor`` that keeps ``model.generate`` output inside a JSON
Schema or a regex.

::

    from maskwell.integrations.transformers import JsonSchemaLogitsProcessor

    processor = JsonSchemaLogitsProcessor(schema, tokenizer)
    out = model.generate(**inputs, logits_processor=[processor], max_new_tokens=200)

One processor serves one ``generate`` call (any batch size, sampling or greedy, several
return sequences); it is batch-aware and keeps one :class:`maskwell.Guide` per row. Call
:meth:`MaskwellLogitsProcessor.reset` (or make a new processor; the index is cached and
shared) before reusing it. Rows are re-synchronised from ``input_ids`` on every step, so
beam search, which reorders rows, is handled too.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np
import torch
from transformers import LogitsProcessor

from .. import Guide, Index, Vocabulary, apply_bitmask, bitmask_words, fill_bitmask_batch

__all__ = ["JsonSchemaLogitsProcessor", "MaskwellLogitsProcessor", "RegexLogitsProcessor"]


class MaskwellLogitsProcessor(LogitsProcessor):  # type: ignore[misc]
    """Masks the scores of every row with the tokens its guide allows."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._guides: list[Guide] = []
        self._prompt_len: Optional[int] = None
        self._bitmask: Optional[np.ndarray] = None

    def reset(self) -> None:
        """Forgets the current generation, so the processor can serve another."""
        self._guides = []
        self._prompt_len = None

    def _sync(self, guide: Guide, generated: list[int]) -> None:
        done = guide.tokens
        if generated[: len(done)] != done:
            guide.reset()
            done = []
        for token in generated[len(done) :]:
            if guide.is_finished():
                # Finished rows are padded by generate; nothing more to constrain.
                break
            guide.advance(token)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        batch, columns = scores.shape
        if self._prompt_len is None or len(self._guides) != batch:
            self._prompt_len = int(input_ids.shape[1])
            self._guides = [Guide(self.index) for _ in range(batch)]
        ids = input_ids[:, self._prompt_len :].tolist()
        for guide, generated in zip(self._guides, ids):
            self._sync(guide, generated)
        words = bitmask_words(columns)
        if self._bitmask is None or self._bitmask.shape != (batch, words):
            self._bitmask = np.zeros((batch, words), dtype=np.int32)
        fill_bitmask_batch(self._guides, self._bitmask)
        apply_bitmask(scores, torch.from_numpy(self._bitmask))
        return scores


def _vocabulary(tokenizer: Any, vocab: Optional[Vocabulary]) -> Vocabulary:
    return vocab if vocab is not None else Vocabulary.from_tokenizer(tokenizer)


class JsonSchemaLogitsProcessor(MaskwellLogitsProcessor):
    """Constrains generation to instances of ``schema`` (a dict or JSON string).

    ``tokenizer`` is a transformers fast tokenizer (or a ``tokenizers.Tokenizer``); pass
    ``vocab`` instead to reuse a :class:`maskwell.Vocabulary`. ``options`` go to
    :meth:`maskwell.Index.from_schema` (for example ``whitespace="compact"``).
    """

    def __init__(
        self,
        schema: Union[str, dict[str, Any]],
        tokenizer: Any = None,
        *,
        vocab: Optional[Vocabulary] = None,
        **options: Any,
    ) -> None:
        super().__init__(Index.from_schema(schema, _vocabulary(tokenizer, vocab), **options))


class RegexLogitsProcessor(MaskwellLogitsProcessor):
    """Constrains generation to the language of ``regex`` (matched against the whole
    output)."""

    def __init__(
        self,
        regex: str,
        tokenizer: Any = None,
        *,
        vocab: Optional[Vocabulary] = None,
        **options: Any,
    ) -> None:
        super().__init__(Index.from_regex(regex, _vocabulary(tokenizer, vocab), **options))
