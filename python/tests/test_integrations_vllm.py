"""The vLLM-style backend, driven through the call sequence vLLM's scheduler and model
runner perform (bitmask per step, speculative draft tokens validated, filled with
accept-then-rollback, verified tokens accepted), without vLLM installed."""

from __future__ import annotations

import enum
import json
import re

import numpy as np
import pytest

import maskwell
from conftest import BYTELEVEL4K, PERSON, check_person, needs_transformers
from maskwell.integrations.vllm import MaskwellBackend, MaskwellGrammar, choice_regex

FLAG = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}
MODEL_VOCAB = 4352  # the model's logits width: the tokenizer's 4259 ids, padded
EOS = 4258


class StructuredOutputOptions(enum.Enum):
    """The request types, as vLLM names them."""

    JSON = enum.auto()
    JSON_OBJECT = enum.auto()
    REGEX = enum.auto()
    GRAMMAR = enum.auto()
    CHOICE = enum.auto()


class Request:
    def __init__(self, request_id: str, grammar: MaskwellGrammar) -> None:
        self.request_id = request_id
        self.grammar = grammar
        self.output: list[int] = []
        self.spec_tokens: list[int] = []


def run(backend: MaskwellBackend, requests: list[Request], seed: int, max_steps: int = 200) -> None:
    """A miniature engine loop: what vLLM does with a structured-output grammar."""
    rng = np.random.default_rng(seed)
    num_spec = 3
    bitmask = backend.allocate_token_bitmask(len(requests) * (num_spec + 1))
    for _ in range(max_steps):
        active = [r for r in requests if not r.grammar.is_terminated()]
        if not active:
            return
        # Scheduler: draft tokens from a proposer are trimmed to what the grammar accepts.
        for r in active:
            draft = list(rng.integers(0, MODEL_VOCAB, size=num_spec))
            if rng.random() < 0.7:  # a good drafter: propose what the grammar allows
                g = r.grammar.guide.copy()
                draft = []
                for _ in range(num_spec):
                    if g.is_finished():
                        break
                    allowed = g.allowed_tokens()
                    draft.append(int(rng.choice(allowed)))
                    g.advance(draft[-1])
            r.spec_tokens = r.grammar.validate_tokens([int(t) for t in draft])
        # grammar_bitmask(): one row per position; accept each draft token to reach the
        # next position's state, then roll all of them back.
        rows: dict[str, int] = {}
        index = 0
        for r in active:
            rows[r.request_id] = index
            advanced = 0
            for token in r.spec_tokens + [None]:
                r.grammar.fill_bitmask(bitmask, index)
                if token is not None and not r.grammar.is_terminated() and r.grammar.accept_tokens(r.request_id, [token]):
                    advanced += 1
                index += 1
            if advanced:
                r.grammar.rollback(advanced)
        # Model runner: masked logits, sample, verify the draft.
        logits = rng.standard_normal((index, MODEL_VOCAB)).astype(np.float32)
        maskwell.apply_bitmask(logits, np.asarray(bitmask)[:index])
        for r in active:
            row = rows[r.request_id]
            accepted: list[int] = []
            for i in range(len(r.spec_tokens) + 1):
                p = np.exp(logits[row + i] - logits[row + i].max())
                sampled = int(rng.choice(MODEL_VOCAB, p=p / p.sum()))
                accepted.append(sampled)
                # A rejected draft token ends verification; a stop token ends the request.
                if i == len(r.spec_tokens) or sampled != r.spec_tokens[i] or sampled == EOS:
                    break
            # Scheduler update_from_output(): the verified tokens advance the grammar.
            assert r.grammar.accept_tokens(r.request_id, accepted), (r.output, accepted)
            r.output.extend(accepted)
    raise AssertionError("requests did not terminate")


def text(vocab: maskwell.Vocabulary, tokens: list[int]) -> str:
    assert tokens[-1] in vocab.eos_token_ids
    return b"".join(vocab.token_bytes(t) or b"" for t in tokens[:-1]).decode("utf-8")


@pytest.fixture(scope="module")
def backend() -> MaskwellBackend:
    vocab = maskwell.Vocabulary.from_file(BYTELEVEL4K, eos_token_ids=[EOS], vocab_size=MODEL_VOCAB)
    return MaskwellBackend(None, None, MODEL_VOCAB, vocab=vocab)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_driver(backend: MaskwellBackend, seed: int) -> None:
    choices = ["red", "green light", "a+b (c)"]
    requests = [
        Request("json", backend.compile_grammar(StructuredOutputOptions.JSON, json.dumps(PERSON))),
        Request("regex", backend.compile_grammar(StructuredOutputOptions.REGEX, r"[0-9]{2,4}-[a-z]{1,5}")),
        Request("choice", backend.compile_grammar(StructuredOutputOptions.CHOICE, json.dumps(choices))),
        Request("flag", backend.compile_grammar(StructuredOutputOptions.JSON, json.dumps(FLAG))),
    ]
    run(backend, requests, seed)
    v = backend.vocab
    check_person(json.loads(text(v, requests[0].output)))
    assert re.fullmatch(r"[0-9]{2,4}-[a-z]{1,5}", text(v, requests[1].output))
    assert text(v, requests[2].output) in choices
    assert json.loads(text(v, requests[3].output))["ok"] in (True, False)
    for r in requests:
        assert r.grammar.num_processed_tokens == len(r.output)
        assert r.grammar.accept_tokens(r.request_id, [EOS]) is False  # terminated


def test_grammar_methods(backend: MaskwellBackend) -> None:
    g = backend.compile_grammar("regex", "ab|ac")
    assert backend.compile_grammar("regex", "ab|ac").guide.index is g.guide.index  # cached
    a, b, c = (backend.vocab.encode(x)[0] for x in "abc")
    assert g.validate_tokens([a, c, EOS, a]) == [a, c, EOS]
    assert g.validate_tokens([b]) == []
    assert g.accept_tokens("r", [a, b]) is True
    assert g.num_processed_tokens == 2
    g.rollback(1)
    assert g.accept_tokens("r", [c, EOS]) is True
    assert g.is_terminated()
    g.reset()
    assert not g.is_terminated() and g.num_processed_tokens == 0
    with pytest.raises(ValueError):
        backend.compile_grammar(StructuredOutputOptions.GRAMMAR, "root ::= 'a'")
    mask = backend.allocate_token_bitmask(2)
    assert tuple(mask.shape) == (2, MODEL_VOCAB // 32)
    assert int(mask[0, 0]) == -1
    backend.destroy()


def test_json_object(backend: MaskwellBackend) -> None:
    # Any JSON object: random logits would rarely close its strings, so walk a known one.
    g = backend.compile_grammar(StructuredOutputOptions.JSON_OBJECT, "")
    tokens = backend.vocab.encode('{"a": [1, {"b": null}], "c": "d"}') + [EOS]
    assert g.validate_tokens(tokens) == tokens
    assert g.accept_tokens("o", tokens) and g.is_terminated()
    assert backend.compile_grammar("json_object", "").validate_tokens(backend.vocab.encode("[1]")) == []


def test_choice_regex_escapes() -> None:
    assert choice_regex(["a.b", "x y"]) == r"(?:a\.b|x\x{20}y)"


@needs_transformers
def test_backend_from_transformers_tokenizer() -> None:
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_file=str(BYTELEVEL4K), eos_token="<|im_end|>")
    b = MaskwellBackend(None, tok, MODEL_VOCAB)
    assert b.vocab.width == MODEL_VOCAB
    g = b.compile_grammar(StructuredOutputOptions.REGEX, "[0-9]+")
    requests = [Request("r", g)]
    run(b, requests, seed=4)
    assert text(b.vocab, requests[0].output).isdigit()
