"""Guide: advancing, atomic acceptance, validation, rollback, copies, bitmask buffers."""

from __future__ import annotations

import copy
import json
import threading

import numpy as np
import pytest

import maskwell
from conftest import needs_torch

# tiny: 0 </s>, 1 "1", 2 "2", 3 "+", 4 "{", 5 "}", 6 '"', 7 "a", 8 "b", 9 ":", 10 "12"
ONE, TWO, PLUS, EOS = 1, 2, 3, 0


def bits(mask: np.ndarray) -> list[int]:
    row = mask.reshape(-1).view(np.uint32)
    return [i for i in range(32 * row.size) if row[i // 32] >> (i % 32) & 1]


def test_walk(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    assert g.index is not None and g.index.width == sum_index.width
    assert g.allowed_tokens().tolist() == [ONE, TWO]
    assert g.allowed_tokens().dtype == np.int32
    assert g.advance(ONE) is False
    assert g.is_accepting() and not g.is_finished()
    assert sorted(g.allowed_tokens().tolist()) == [EOS, PLUS]
    assert g.advance(PLUS) is False
    assert not g.is_accepting()
    g.advance(np.int64(TWO))  # numpy integers are ints
    assert g.advance(EOS) is True
    assert g.is_finished() and g.is_accepting()
    assert g.tokens == [ONE, PLUS, TWO, EOS]
    assert g.allowed_tokens().tolist() == [EOS]  # a finished row may keep sampling EOS
    assert "Guide(tokens=4" in repr(g)


@pytest.mark.parametrize(
    ("tokens", "bad", "kind"),
    [
        ([], PLUS, "token_not_allowed"),
        ([ONE], 10, "token_not_allowed"),  # "12" after "1" would spell "112"
        ([], 11, "token_out_of_range"),
        ([], -1, "token_out_of_range"),
        ([], 1 << 40, "token_out_of_range"),
        ([ONE, EOS], ONE, "finished"),
    ],
)
def test_advance_errors(sum_index: maskwell.Index, tokens: list[int], bad: int, kind: str) -> None:
    g = maskwell.Guide(sum_index)
    for t in tokens:
        g.advance(t)
    with pytest.raises(maskwell.GuideError) as e:
        g.advance(bad)
    assert e.value.kind == kind
    assert g.tokens == tokens  # unchanged


def test_accept_tokens_is_atomic(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    assert g.accept_tokens([ONE, PLUS, TWO]) is True
    assert g.accept_tokens([PLUS, ONE, ONE]) is False  # third token not allowed
    assert g.tokens == [ONE, PLUS, TWO]
    assert g.accept_tokens([PLUS, -5]) is False
    assert g.accept_tokens([]) is True
    assert g.tokens == [ONE, PLUS, TWO]


def test_validate_tokens(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    assert g.validate_tokens([ONE, PLUS, TWO, EOS, ONE]) == 4
    assert g.validate_tokens([PLUS]) == 0
    assert g.validate_tokens([ONE, 99, TWO]) == 1
    assert g.validate_tokens([ONE, -1]) == 1
    assert g.validate_tokens([]) == 0
    assert g.tokens == []


def test_rollback_and_reset(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    g.accept_tokens([ONE, PLUS, TWO, EOS])
    g.rollback(2)
    assert g.tokens == [ONE, PLUS]
    with pytest.raises(maskwell.GuideError) as e:
        g.rollback(3)
    assert e.value.kind == "rollback"
    assert g.tokens == [ONE, PLUS]
    g.rollback(0)
    g.reset()
    assert g.tokens == [] and g.allowed_tokens().tolist() == [ONE, TWO]
    with pytest.raises(OverflowError):
        g.rollback(-1)


def test_copy_is_independent(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    g.advance(ONE)
    h = g.copy()
    k = copy.copy(g)
    h.advance(PLUS)
    assert g.tokens == [ONE] and h.tokens == [ONE, PLUS] and k.tokens == [ONE]


def test_snapshot_restores_the_guide(tiny: maskwell.Vocabulary, sum_index: maskwell.Index) -> None:
    """A snapshot replays through the same index, also a lazy build of the same regex."""
    g = maskwell.Guide(sum_index)
    for t in [ONE, PLUS, TWO]:
        g.advance(t)
    text = g.snapshot()
    assert json.loads(text)["tokens"] == [ONE, PLUS, TWO]
    lazy = maskwell.Index.from_regex(r"[12](\+[12])*", tiny, build="lazy")
    for index in [sum_index, lazy]:
        h = maskwell.Guide.restore(index, text)
        assert h.tokens == g.tokens
        assert sorted(h.allowed_tokens().tolist()) == sorted(g.allowed_tokens().tolist())
    g.advance(EOS)
    assert maskwell.Guide.restore(sum_index, g.snapshot()).is_finished()
    other = maskwell.Index.from_regex("[12]+", tiny)
    with pytest.raises(maskwell.GuideError, match="another regex") as err:
        maskwell.Guide.restore(other, text)
    assert err.value.kind == "snapshot"
    refused = json.loads(text)
    refused["tokens"] = [ONE, ONE]
    with pytest.raises(maskwell.GuideError, match="step 1.*not allowed"):
        maskwell.Guide.restore(sum_index, json.dumps(refused))
    with pytest.raises(maskwell.GuideError, match="not a guide snapshot"):
        maskwell.Guide.restore(sum_index, "{}")


def test_fill_bitmask_numpy(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    one = np.zeros(1, dtype=np.int32)
    g.fill_bitmask(one)
    assert bits(one) == [ONE, TWO]
    batch = np.full((3, 4), -1, dtype=np.int32)  # rows wider than the vocabulary
    g.advance(ONE)
    g.fill_bitmask(batch, row=1)
    assert bits(batch[1]) == [EOS, PLUS]
    assert batch[1, 1:].tolist() == [0, 0, 0]  # padding words cleared
    assert batch[0].tolist() == [-1] * 4 and batch[2].tolist() == [-1] * 4
    unsigned = np.zeros((1, 1), dtype=np.uint32)
    g.fill_bitmask(unsigned)
    assert bits(unsigned) == [EOS, PLUS]


def test_fill_bitmask_matches_allowed_tokens(vocab: maskwell.Vocabulary, person_index: maskwell.Index) -> None:
    g = maskwell.Guide(person_index)
    mask = np.zeros((1, person_index.words), dtype=np.int32)
    for t in vocab.encode('{"name": "Bo", "age": 7}') + [4258]:
        g.fill_bitmask(mask)
        assert bits(mask) == g.allowed_tokens().tolist()
        g.advance(t)
    assert g.is_finished()


def bad_buffers() -> list[tuple[object, str]]:
    readonly = np.zeros((1, 1), dtype=np.int32)
    readonly.flags.writeable = False
    unaligned = np.zeros(9, dtype=np.uint8)[1:].view(np.int32)
    return [
        (np.zeros((1, 1), dtype=np.float32), "dtype"),
        (np.zeros((1, 1), dtype=np.int64), "dtype"),
        (np.zeros((1, 1), dtype=">i4"), "dtype"),
        (np.zeros((1, 1, 1), dtype=np.int32), "shape"),
        (np.zeros((1, 0), dtype=np.int32), "shape"),
        (np.zeros((4, 2), dtype=np.int32)[:, :1], "not_contiguous"),
        (np.zeros((2, 2), dtype=np.int32, order="F"), "not_contiguous"),
        (readonly, "read_only"),
        (unaligned, "not_aligned"),
        ([0], "type"),
        (b"\0\0\0\0", "type"),
    ]


@pytest.mark.parametrize(("buffer", "kind"), bad_buffers(), ids=lambda x: str(x)[:20] if isinstance(x, str) else None)
def test_fill_bitmask_rejects_bad_buffers(sum_index: maskwell.Index, buffer: object, kind: str) -> None:
    g = maskwell.Guide(sum_index)
    with pytest.raises(maskwell.MaskError) as e:
        g.fill_bitmask(buffer)
    assert e.value.kind == kind
    assert str(e.value)


def test_fill_bitmask_row_out_of_range(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    with pytest.raises(maskwell.MaskError) as e:
        g.fill_bitmask(np.zeros((2, 1), dtype=np.int32), row=2)
    assert e.value.kind == "row_out_of_range"
    with pytest.raises(OverflowError):
        g.fill_bitmask(np.zeros((2, 1), dtype=np.int32), row=-1)


def test_fill_bitmask_batch(sum_index: maskwell.Index, person_index: maskwell.Index) -> None:
    a, b = maskwell.Guide(sum_index), maskwell.Guide(sum_index)
    b.advance(TWO)
    c = maskwell.Guide(person_index)
    mask = np.full((4, person_index.words), 7, dtype=np.int32)
    maskwell.fill_bitmask_batch([a, None, b, c], mask)
    assert bits(mask[0]) == [ONE, TWO]
    assert mask[1].tolist() == [7] * person_index.words  # None leaves the row untouched
    assert bits(mask[2]) == [EOS, PLUS]
    expected = np.zeros(person_index.words, dtype=np.int32)
    c.fill_bitmask(expected)
    assert mask[3].tolist() == expected.tolist()
    maskwell.fill_bitmask_batch([], mask)
    with pytest.raises(maskwell.MaskError) as e:
        maskwell.fill_bitmask_batch([a] * 5, mask)
    assert e.value.kind == "shape"
    with pytest.raises(maskwell.MaskError) as e:
        maskwell.fill_bitmask_batch([c], np.zeros((1, 1), dtype=np.int32))
    assert e.value.kind == "shape"
    with pytest.raises(TypeError):
        maskwell.fill_bitmask_batch([a, "guide"], mask)  # type: ignore[list-item]


def test_fill_bitmask_batch_large_parallel(vocab: maskwell.Vocabulary, person_index: maskwell.Index) -> None:
    guides = [maskwell.Guide(person_index) for _ in range(600)]
    prefix = vocab.encode('{"name": "A')
    for i, g in enumerate(guides):
        g.accept_tokens(prefix[: i % len(prefix)])
    mask = np.zeros((600, person_index.words), dtype=np.int32)
    maskwell.fill_bitmask_batch(guides, mask)  # 600 x 134 words: the parallel path
    for i in (0, 1, 299, 599):
        row = np.zeros(person_index.words, dtype=np.int32)
        guides[i].fill_bitmask(row)
        assert (mask[i] == row).all()


def test_guide_used_from_two_threads_is_safe(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    mask = np.zeros((1, 1), dtype=np.int32)
    errors: list[BaseException] = []

    def work() -> None:
        for _ in range(2000):
            try:
                g.fill_bitmask(mask)
                if g.validate_tokens([ONE, PLUS]) == 2:
                    g.accept_tokens([ONE, PLUS])
                g.reset()
            except RuntimeError:
                pass  # "Already borrowed": refused, never corrupted
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    g.reset()
    assert g.tokens == []


@needs_torch
def test_fill_bitmask_torch(sum_index: maskwell.Index) -> None:
    import torch

    g = maskwell.Guide(sum_index)
    t = torch.zeros((2, 1), dtype=torch.int32)
    g.fill_bitmask(t, row=1)
    assert t.tolist() == [[0], [(1 << ONE) | (1 << TWO)]]
    maskwell.fill_bitmask_batch([g, g], t)
    assert t[0].item() == t[1].item() == (1 << ONE) | (1 << TWO)
    for bad, kind in [
        (torch.zeros((1, 1), dtype=torch.int64), "dtype"),
        (torch.zeros((1, 1), dtype=torch.float32), "dtype"),
        (torch.zeros((4, 2), dtype=torch.int32)[:, :1], "not_contiguous"),
        (torch.zeros((2, 2), dtype=torch.int32).t(), "not_contiguous"),
    ]:
        with pytest.raises(maskwell.MaskError) as e:
            g.fill_bitmask(bad)
        assert e.value.kind == kind
    if torch.cuda.is_available():
        with pytest.raises(maskwell.MaskError) as e:
            g.fill_bitmask(torch.zeros((1, 1), dtype=torch.int32, device="cuda"))
        assert e.value.kind == "device"
