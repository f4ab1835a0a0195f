"""The transformers LogitsProcessor on a tiny randomly initialised Llama (no download)."""

from __future__ import annotations

import json
import re

import pytest

import maskwell
from conftest import BYTELEVEL4K, PERSON, check_person, needs_transformers

pytestmark = needs_transformers

EOS = 4258


@pytest.fixture(scope="module")
def setup():  # type: ignore[no-untyped-def]
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(BYTELEVEL4K), eos_token="<|im_end|>", pad_token="<|endoftext|>",
        padding_side="left",
    )
    config = LlamaConfig(
        vocab_size=4352,  # wider than the tokenizer's 4259 ids, as real models pad
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=None,
        eos_token_id=EOS,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    vocab = maskwell.Vocabulary.from_tokenizer(tokenizer)
    return torch, tokenizer, model, vocab


def generated_texts(vocab: maskwell.Vocabulary, out, prompt_len: int) -> list[str]:  # type: ignore[no-untyped-def]
    texts = []
    for row in out[:, prompt_len:].tolist():
        # The output ends at the first end-of-sequence token of the vocabulary (4256 or
        # 4258); generate itself stops at 4258, so 4256 may be followed by more EOS tokens.
        ends = [i for i, t in enumerate(row) if t in vocab.eos_token_ids]
        assert ends, f"generation did not finish: {row}"
        body = row[: ends[0]]
        assert all(t in vocab.eos_token_ids or t == 4256 for t in row[ends[0]:]), row
        texts.append(b"".join(vocab.token_bytes(t) or b"" for t in body).decode("utf-8"))
    return texts


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_json_schema_processor_sampling(setup, seed: int) -> None:  # type: ignore[no-untyped-def]
    from maskwell.integrations.transformers import JsonSchemaLogitsProcessor

    torch, tokenizer, model, vocab = setup
    processor = JsonSchemaLogitsProcessor(PERSON, tokenizer)
    prompts = tokenizer(["Person:", "Another person, please:"], return_tensors="pt", padding=True)
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(
            **prompts,
            logits_processor=[processor],
            do_sample=True,
            max_new_tokens=160,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=EOS,
        )
    texts = generated_texts(vocab, out, prompts["input_ids"].shape[1])
    assert len(texts) == 2
    for text in texts:
        check_person(json.loads(text))


def test_regex_processor_greedy_and_reuse(setup) -> None:  # type: ignore[no-untyped-def]
    from maskwell.integrations.transformers import RegexLogitsProcessor

    torch, tokenizer, model, vocab = setup
    pattern = r"(yes|no), [0-9]{1,3}"
    processor = RegexLogitsProcessor(pattern, vocab=vocab)
    prompts = tokenizer(["Answer:"], return_tensors="pt")
    for _ in range(2):
        processor.reset()
        with torch.no_grad():
            out = model.generate(
                **prompts, logits_processor=[processor], do_sample=False, max_new_tokens=20,
                pad_token_id=tokenizer.pad_token_id, eos_token_id=EOS,
            )
        (text,) = generated_texts(vocab, out, prompts["input_ids"].shape[1])
        assert re.fullmatch(pattern, text), text


def test_processor_num_return_sequences_and_beams(setup) -> None:  # type: ignore[no-untyped-def]
    from maskwell.integrations.transformers import JsonSchemaLogitsProcessor

    torch, tokenizer, model, vocab = setup
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": False,
    }
    prompts = tokenizer(["Q:"], return_tensors="pt")
    torch.manual_seed(5)
    with torch.no_grad():
        out = model.generate(
            **prompts, logits_processor=[JsonSchemaLogitsProcessor(schema, tokenizer)],
            do_sample=True, num_return_sequences=3, max_new_tokens=20,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=EOS,
        )
        texts = generated_texts(vocab, out, prompts["input_ids"].shape[1])
        assert all(json.loads(t)["ok"] in (True, False) for t in texts)
        out = model.generate(
            **prompts, logits_processor=[JsonSchemaLogitsProcessor(schema, tokenizer)],
            do_sample=False, num_beams=2, max_new_tokens=20,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=EOS,
        )
        (text,) = generated_texts(vocab, out, prompts["input_ids"].shape[1])
        assert json.loads(text)["ok"] in (True, False)
