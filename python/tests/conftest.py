"""Shared fixtures: the tokenizer fixtures of the repository, and small vocabularies."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import maskwell

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "vocab-fixtures"
BYTELEVEL4K = FIXTURES / "bytelevel4k.tokenizer.json"
SP32000 = FIXTURES / "sp32000.tokenizer.json"

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_TRANSFORMERS = importlib.util.find_spec("transformers") is not None
HAS_TOKENIZERS = importlib.util.find_spec("tokenizers") is not None

needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (pip install torch)")
needs_transformers = pytest.mark.skipif(
    not (HAS_TORCH and HAS_TRANSFORMERS),
    reason="torch and transformers are not installed (pip install torch transformers)",
)
needs_tokenizers = pytest.mark.skipif(
    not HAS_TOKENIZERS, reason="tokenizers is not installed (pip install tokenizers)"
)


@pytest.fixture(scope="session")
def vocab() -> maskwell.Vocabulary:
    """The 4,259-token byte-level BPE fixture (EOS 4256 and 4258)."""
    return maskwell.Vocabulary.from_file(BYTELEVEL4K)


@pytest.fixture(scope="session")
def tiny() -> maskwell.Vocabulary:
    """``</s> 1 2 +`` and ``{ } " a b :`` : small enough to reason about bit by bit."""
    return maskwell.Vocabulary.from_tokens(
        ["</s>", "1", "2", "+", "{", "}", '"', "a", "b", ":", "12"], eos_token_ids=[0]
    )


@pytest.fixture(scope="session")
def sum_index(tiny: maskwell.Vocabulary) -> maskwell.Index:
    """``[12](\\+[12])*`` over ``tiny``."""
    return maskwell.Index.from_regex(r"[12](\+[12])*", tiny)


PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 8},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "tags": {"type": "array", "items": {"enum": ["x", "y"]}, "maxItems": 3},
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}


def check_person(value: object) -> None:
    """Validates ``value`` against ``PERSON`` (a hand-written check; no validator needed)."""
    assert isinstance(value, dict), value
    assert set(value) <= {"name", "age", "tags"} and {"name", "age"} <= set(value), value
    assert isinstance(value["name"], str) and len(value["name"]) <= 8, value
    age = value["age"]
    assert isinstance(age, int) and not isinstance(age, bool) and 0 <= age <= 120, value
    if "tags" in value:
        assert isinstance(value["tags"], list) and len(value["tags"]) <= 3, value
        assert all(t in ("x", "y") for t in value["tags"]), value


@pytest.fixture(scope="session")
def person_index(vocab: maskwell.Vocabulary) -> maskwell.Index:
    return maskwell.Index.from_schema(PERSON, vocab)
