"""Vocabulary: loading tokenizer files and tokenizer objects, token bytes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import maskwell
from conftest import BYTELEVEL4K, SP32000, needs_tokenizers, needs_transformers


def test_from_file(vocab: maskwell.Vocabulary) -> None:
    assert vocab.width == len(vocab) == 4259
    assert vocab.eos_token_ids == [4256, 4258]
    assert vocab.token_kind(4257) == "special"
    assert vocab.token_kind(4258) == "eos"
    assert vocab.token_kind(0) == "text"
    assert vocab.token_kind(5000) is None
    assert vocab.token_kind(-1) is None
    assert vocab.token_bytes(4259) is None
    assert len(vocab.fingerprint) > 0
    assert "Vocabulary(width=4259" in repr(vocab)


def test_from_file_pathlike_and_options() -> None:
    v = maskwell.Vocabulary.from_file(Path(BYTELEVEL4K), eos_token_ids=[4258], vocab_size=4352)
    assert v.width == 4352
    assert v.eos_token_ids == [4258]
    assert v.token_kind(4300) == "absent"
    assert v.fingerprint != maskwell.Vocabulary.from_file(BYTELEVEL4K).fingerprint


def test_sentencepiece_bytes() -> None:
    v = maskwell.Vocabulary.from_file(SP32000)
    assert v.eos_token_ids == [2]
    assert v.token_bytes(3 + 0x0A) == b"\n"  # <0x0A> byte fallback
    assert v.token_kind(1) == "special"


def test_token_bytes_and_encode(vocab: maskwell.Vocabulary) -> None:
    ids = vocab.encode('{"name": "Ada", "age": 36}')
    text = b"".join(vocab.token_bytes(i) or b"" for i in ids)
    assert text == b'{"name": "Ada", "age": 36}'


def test_from_tokens() -> None:
    v = maskwell.Vocabulary.from_tokens(["</s>", "a", b"\xff"], eos_token_ids=[0], vocab_size=8)
    assert v.width == 8
    assert v.token_bytes(2) == b"\xff"
    assert v.token_kind(7) == "absent"
    with pytest.raises(maskwell.VocabularyError) as e:
        v.encode("a")
    assert e.value.kind == "no_tokenizer"
    with pytest.raises(TypeError):
        maskwell.Vocabulary.from_tokens([1, 2], eos_token_ids=[0])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        (lambda: maskwell.Vocabulary.from_file("/nonexistent/tokenizer.json"), "io"),
        (lambda: maskwell.Vocabulary.from_file(BYTELEVEL4K, eos_token_ids=[99999]), "id_out_of_range"),
        (lambda: maskwell.Vocabulary.from_file(BYTELEVEL4K, vocab_size=10), "width_too_small"),
        (lambda: maskwell.Vocabulary.from_tokens(["a"], eos_token_ids=[]), "no_eos"),
        (lambda: maskwell.Vocabulary.from_tokens(["a"], eos_token_ids=[0], vocab_size=1 << 25), "too_large"),
    ],
)
def test_errors(call, kind: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(maskwell.VocabularyError) as e:
        call()
    assert e.value.kind == kind
    assert str(e.value)


def test_bad_tokenizer_file(tmp_path: Path) -> None:
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"model": 1}')
    with pytest.raises(maskwell.VocabularyError) as e:
        maskwell.Vocabulary.from_file(bad)
    assert e.value.kind == "tokenizer"


def test_from_tokenizer_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="tokenizers.Tokenizer"):
        maskwell.Vocabulary.from_tokenizer(object())


@needs_tokenizers
def test_from_tokenizers_tokenizer(vocab: maskwell.Vocabulary) -> None:
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(str(BYTELEVEL4K))
    v = maskwell.Vocabulary.from_tokenizer(tok)
    assert v.fingerprint == vocab.fingerprint
    assert v.encode("[1, 2]") == vocab.encode("[1, 2]")


@needs_transformers
def test_from_transformers_tokenizer(vocab: maskwell.Vocabulary) -> None:
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_file=str(BYTELEVEL4K), eos_token="<|im_end|>")
    v = maskwell.Vocabulary.from_tokenizer(tok, vocab_size=4352)
    assert v.width == 4352
    assert v.eos_token_ids == [4256, 4258]
    v2 = maskwell.Vocabulary.from_tokenizer(tok, eos_token_ids=[4258])
    assert v2.eos_token_ids == [4258]
