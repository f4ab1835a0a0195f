"""Explain (why a token is refused) and the process-wide metrics."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import maskwell


SCHEMA = {
    "type": "object",
    "properties": {"n": {"$ref": "#/$defs/count"}},
    "required": ["n"],
    "$defs": {"count": {"type": "integer", "minimum": 0}},
}


@pytest.fixture(scope="module")
def schema_vocab() -> maskwell.Vocabulary:
    return maskwell.Vocabulary.from_tokens(
        ["</s>", "{", "}", '"n"', ": ", "1", "-", "x", '{"'], eos_token_ids=[0]
    )


def test_index_explain_names_byte_and_schema_node(schema_vocab: maskwell.Vocabulary) -> None:
    index = maskwell.Index.from_schema(SCHEMA, schema_vocab)
    why = index.explain(schema_vocab, '{"n": ', 6)  # "-"
    assert why["allowed"] is False
    assert why["verdict"] == "byte_rejected"
    assert why["rejected_offset"] == 0 and why["rejected_byte"] == "-"
    assert why["expected"] == ["[0-9]"]
    assert why["accepted_text"] == '{"n": '
    assert why["location"]["instance"] == "/n"
    assert [n["pointer"] for n in why["location"]["schemas"]] == ["/$defs/count"]
    assert "minimum" in why["location"]["schemas"][0]["summary"]
    assert "refused at its byte 0" in why["message"]
    json.dumps(why)  # plain JSON types only

    ok = index.explain(schema_vocab, b'{"n": ', 5)
    assert ok["allowed"] is True and ok["verdict"] == "allowed"
    end = index.explain(schema_vocab, "{", 0)
    assert end["verdict"] == "end_not_allowed" and end["forced"] == '"n": '
    bad_text = index.explain(schema_vocab, "x", 1)
    assert bad_text["verdict"] == "text_rejected" and bad_text["allowed_tokens"] is None


def test_explain_errors(schema_vocab: maskwell.Vocabulary, tiny: maskwell.Vocabulary) -> None:
    index = maskwell.Index.from_schema(SCHEMA, schema_vocab)
    with pytest.raises(maskwell.GuideError) as err:
        index.explain(schema_vocab, "", 99)
    assert err.value.kind == "token_out_of_range"
    with pytest.raises(maskwell.GuideError):
        index.explain(schema_vocab, "", -1)
    with pytest.raises(maskwell.IndexFileError) as err:
        index.explain(tiny, "", 1)
    assert err.value.kind == "vocabulary_mismatch"
    with pytest.raises(TypeError):
        index.explain(schema_vocab, 3, 1)  # type: ignore[arg-type]


def test_guide_explain_agrees_with_the_guide(schema_vocab: maskwell.Vocabulary) -> None:
    index = maskwell.Index.from_schema(SCHEMA, schema_vocab)
    guide = maskwell.Guide(index)
    guide.accept_tokens([1, 3, 4])  # {"n":
    allowed = set(guide.allowed_tokens().tolist())
    for token in range(schema_vocab.width):
        why = guide.explain(schema_vocab, token)
        assert why["allowed"] == (token in allowed), why["message"]
        assert why["state"] is not None
        assert why["allowed_tokens"] == len(allowed)
    guide.accept_tokens([5, 2, 0])
    with pytest.raises(maskwell.GuideError) as err:
        guide.explain(schema_vocab, 0)
    assert err.value.kind == "finished"


def test_regex_index_has_no_location(tiny: maskwell.Vocabulary, sum_index: maskwell.Index) -> None:
    why = sum_index.explain(tiny, "1", 10)  # "12" after "1"
    assert why["verdict"] == "byte_rejected" and why["location"] is None
    assert why["can_end"] is True


def test_metrics_count_builds_fills_and_refusals(tiny: maskwell.Vocabulary) -> None:
    before = maskwell.metrics()
    index = maskwell.Index.from_regex("[12]+", tiny, build="lazy")
    guide = maskwell.Guide(index)
    bitmask = maskwell.allocate_bitmask(1, tiny.width)
    for _ in range(5):
        guide.fill_bitmask(bitmask)
    with pytest.raises(maskwell.GuideError):
        guide.advance(3)
    guide.advance(1)
    guide.fill_bitmask(bitmask)
    index.save  # noqa: B018 - attribute exists
    loaded = maskwell.Index.from_bytes(maskwell.Index.from_regex("1", tiny).to_bytes(), tiny)
    assert loaded.width == tiny.width
    after = maskwell.metrics()
    assert after["compiles"] >= before["compiles"] + 2
    assert after["mask_fills"] >= before["mask_fills"] + 6
    assert after["row_cache_hits"] >= before["row_cache_hits"] + 4
    assert after["rows_walked"] >= before["rows_walked"] + 1
    assert after["rejected_tokens"] >= before["rejected_tokens"] + 1
    assert after["index_loads"] >= before["index_loads"] + 1
    hist = after["compile_time"]
    assert hist["count"] >= 2 and sum(hist["buckets"]) == hist["count"]
    assert hist["p50_us"] <= hist["max_us"]


def test_metrics_switch_and_threads(tiny: maskwell.Vocabulary, sum_index: maskwell.Index) -> None:
    bitmask = maskwell.allocate_bitmask(1, tiny.width)

    def fill(n: int) -> None:
        guide = maskwell.Guide(sum_index)
        for _ in range(n):
            guide.fill_bitmask(bitmask.copy())

    before = maskwell.metrics()["mask_fills"]
    threads = [threading.Thread(target=fill, args=(50,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert maskwell.metrics()["mask_fills"] >= before + 200  # exited threads still count
    maskwell.set_metrics_enabled(False)
    try:
        # Other tests may run concurrently in other processes, not threads of this one.
        start = maskwell.metrics()["mask_fills"]
        fill(20)
        assert maskwell.metrics()["mask_fills"] == start
    finally:
        maskwell.set_metrics_enabled(True)
    assert np.all(bitmask == 0)
