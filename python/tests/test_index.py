"""Index: building from regexes and schemas, options, files, stats, errors, threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

import maskwell
from conftest import PERSON


def test_from_regex(tiny: maskwell.Vocabulary, sum_index: maskwell.Index) -> None:
    assert sum_index.width == tiny.width == 11
    assert sum_index.words == 1
    assert sum_index.regex == r"[12](\+[12])*"
    assert sum_index.schema is None
    assert sum_index.eos_token_ids == [0]
    assert sum_index.fingerprint == tiny.fingerprint
    assert sum_index.schema_warnings == []
    assert "Index(width=11" in repr(sum_index)


def test_from_regex_options(tiny: maskwell.Vocabulary) -> None:
    a = maskwell.Index.from_regex("[12]+", tiny, minimize=False, parallel=False, dfa_size_limit=1 << 20)
    b = maskwell.Index.from_regex("[12]+", tiny)
    assert a.to_bytes() == b.to_bytes() or a.stats()["states"] >= b.stats()["states"]
    with pytest.raises(TypeError, match="unknown option"):
        maskwell.Index.from_regex("a", tiny, whitespace="compact")
    with pytest.raises(TypeError, match="non-negative"):
        maskwell.Index.from_regex("a", tiny, dfa_size_limit=-1)


def test_time_limit(tiny: maskwell.Vocabulary) -> None:
    """An eager walk out of time raises a limit error naming the option."""
    with pytest.raises(maskwell.BuildError, match="time_limit") as err:
        maskwell.Index.from_regex("[12]+", tiny, time_limit=1e-9)
    assert err.value.kind == "limit"
    roomy = maskwell.Index.from_regex("[12]+", tiny, time_limit=600.0, minimize_limit=0)
    assert roomy.stats()["states"] >= maskwell.Index.from_regex("[12]+", tiny).stats()["states"]
    assert maskwell.Index.from_regex("[12]+", tiny, time_limit=None).stats()["states"] > 0
    with pytest.raises(ValueError, match="non-negative number of seconds"):
        maskwell.Index.from_regex("a", tiny, time_limit=-1.0)
    with pytest.raises(TypeError, match="seconds"):
        maskwell.Index.from_regex("a", tiny, time_limit="soon")


@pytest.mark.parametrize(
    ("regex", "options", "kind"),
    [
        ("(", {}, "regex"),
        ("[a-z]{1000}[0-9]{1000}", {"dfa_size_limit": 1000}, "limit"),
        ("z", {}, "inexpressible"),
    ],
)
def test_build_errors(tiny: maskwell.Vocabulary, regex: str, options: dict, kind: str) -> None:
    with pytest.raises(maskwell.BuildError) as e:
        maskwell.Index.from_regex(regex, tiny, **options)
    assert e.value.kind == kind


def test_from_schema_dict_and_str(vocab: maskwell.Vocabulary, person_index: maskwell.Index) -> None:
    assert person_index.schema is not None
    assert json.loads(person_index.schema) == PERSON
    from_str = maskwell.Index.from_schema(json.dumps(PERSON), vocab)
    assert from_str.regex == person_index.regex
    compact = maskwell.Index.from_schema(PERSON, vocab, whitespace="compact", parallel=False)
    assert ", " not in compact.regex
    flexible = maskwell.Index.from_schema(PERSON, vocab, whitespace={"flexible": {"max_run": 2}})
    assert flexible.regex != compact.regex
    assert maskwell.Index.from_schema(True, vocab, max_recursion_depth=1).stats()["states"] > 0


def test_schema_options_rejected(vocab: maskwell.Vocabulary) -> None:
    with pytest.raises(TypeError, match="lenientt"):
        maskwell.Index.from_schema(PERSON, vocab, lenientt=True)
    with pytest.raises(TypeError):
        maskwell.Index.from_schema(3, vocab)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("schema", "kind", "pointer"),
    [
        ("{", "json_parse", ""),
        ({"properties": {"a": {"type": "strin"}}}, "invalid_schema", "/properties/a"),
        ({"$ref": "#/definitions/missing"}, "unresolvable_ref", ""),
        ({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, "unsupported_keyword", ""),
    ],
)
def test_schema_errors(vocab: maskwell.Vocabulary, schema: object, kind: str, pointer: str) -> None:
    with pytest.raises(maskwell.SchemaError) as e:
        maskwell.Index.from_schema(schema, vocab)  # type: ignore[arg-type]
    assert e.value.kind == kind
    assert e.value.pointer == pointer


def test_lenient_warnings(vocab: maskwell.Vocabulary) -> None:
    schema = {"type": "array", "items": {"type": "integer"}, "uniqueItems": True, "maxItems": 2}
    index = maskwell.Index.from_schema(schema, vocab, lenient=True)
    (warning,) = index.schema_warnings
    assert warning["kind"] == "ignored"
    assert warning["keyword"] == "uniqueItems"


def test_save_load(tmp_path: Path, vocab: maskwell.Vocabulary, person_index: maskwell.Index) -> None:
    path = tmp_path / "person.mwi"
    person_index.save(path)
    loaded = maskwell.Index.load(path, vocab)
    assert loaded.to_bytes() == person_index.to_bytes()
    assert loaded.schema == person_index.schema
    assert loaded.stats()["states"] == person_index.stats()["states"]
    again = maskwell.Index.from_bytes(person_index.to_bytes(), vocab)
    assert again.regex == person_index.regex
    # str paths work too
    loaded2 = maskwell.Index.load(str(path), vocab)
    assert loaded2.fingerprint == vocab.fingerprint


def test_file_errors(tmp_path: Path, vocab: maskwell.Vocabulary, tiny: maskwell.Vocabulary, person_index: maskwell.Index) -> None:
    path = tmp_path / "person.mwi"
    person_index.save(path)
    with pytest.raises(maskwell.IndexFileError) as e:
        maskwell.Index.load(path, tiny)
    assert e.value.kind == "vocabulary_mismatch"
    with pytest.raises(maskwell.IndexFileError) as e:
        maskwell.Index.load(tmp_path / "missing.mwi", vocab)
    assert e.value.kind == "io"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(maskwell.IndexFileError) as e:
        maskwell.Index.from_bytes(bytes(data), vocab)
    assert e.value.kind == "bad_file"
    with pytest.raises(maskwell.IndexFileError) as e:
        maskwell.Index.from_bytes(b"not an index", vocab)
    assert e.value.kind == "bad_file"
    with pytest.raises(maskwell.IndexFileError) as e:
        person_index.save(tmp_path / "no" / "such" / "dir" / "x.mwi")
    assert e.value.kind == "io"


def test_stats(person_index: maskwell.Index) -> None:
    stats = person_index.stats()
    assert set(stats) == {
        "width", "states", "accepting_states", "transitions", "unique_sets", "dense_sets",
        "automaton_states", "dfa_states", "pruned_states", "automaton_seconds",
        "index_seconds", "memory", "build", "states_pending", "background_running",
        "string_rows",
    }
    assert stats["build"] == "eager"
    assert stats["states_pending"] == 0
    assert stats["string_rows"] == 0
    assert stats["width"] == 4259
    assert stats["states"] > 10
    assert stats["accepting_states"] >= 1
    assert stats["memory"] > 0
    assert stats["index_seconds"] >= 0.0


@pytest.mark.parametrize("build", ["lazy", "background"])
def test_lazy_build_allows_what_eager_allows(vocab: maskwell.Vocabulary, build: str) -> None:
    """A lazy index walks states on first use and answers exactly as an eager one."""
    eager = maskwell.Index.from_schema(PERSON, vocab)
    lazy = maskwell.Index.from_schema(PERSON, vocab, build=build)
    stats = lazy.stats()
    assert stats["build"] == build
    assert stats["states"] + stats["states_pending"] == stats["automaton_states"]
    doc = json.dumps({"name": "Ada", "age": 36, "tags": ["x"]})
    tokens = vocab.encode(doc) + [4258]
    g_eager, g_lazy = maskwell.Guide(eager), maskwell.Guide(lazy)
    m_eager = np.zeros(eager.words, dtype=np.int32)
    m_lazy = np.zeros(lazy.words, dtype=np.int32)
    for t in tokens:
        g_eager.fill_bitmask(m_eager)
        g_lazy.fill_bitmask(m_lazy)
        assert (m_eager == m_lazy).all()
        g_eager.advance(t)
        g_lazy.advance(t)
    assert g_lazy.is_finished()
    if build == "lazy":
        assert lazy.stats()["states"] > stats["states"]
        # Inside "Ada" the rows came from the string template, not from walks.
        assert lazy.stats()["string_rows"] > 0
    # Saving completes the index into the eager layout: the same tables as the eager build.
    saved = maskwell.Index.from_bytes(lazy.to_bytes(), vocab).stats()
    for key in ["states", "transitions", "unique_sets", "accepting_states"]:
        assert saved[key] == eager.stats()[key], key
    with pytest.raises(ValueError, match="unknown build mode"):
        maskwell.Index.from_schema(PERSON, vocab, build="sometimes")


def test_threads_share_one_index(vocab: maskwell.Vocabulary, person_index: maskwell.Index) -> None:
    """Many threads walk their own guides over one index; results match a serial walk."""
    docs = [{"name": f"n{i}", "age": i, "tags": ["x", "y"][: i % 3]} for i in range(16)]
    sequences = [vocab.encode(json.dumps(d)) + [4258] for d in docs]

    def walk(tokens: list[int]) -> list[int]:
        guide = maskwell.Guide(person_index)
        mask = np.zeros(person_index.words, dtype=np.int32)
        counts = []
        for t in tokens:
            guide.fill_bitmask(mask)
            counts.append(int(np.unpackbits(mask.view(np.uint8)).sum()))
            guide.advance(t)
        assert guide.is_finished()
        return counts

    expected = [walk(s) for s in sequences]
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            for _ in range(5):
                results[i] = walk(sequences[i])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(sequences))]
    # Build indexes concurrently too (the build releases the GIL).
    builders = [
        threading.Thread(target=lambda: maskwell.Index.from_regex("[a-z]{1,8}", vocab)) for _ in range(2)
    ]
    for t in threads + builders:
        t.start()
    for t in threads + builders:
        t.join()
    assert not errors, errors
    assert [results[i] for i in range(len(sequences))] == expected
