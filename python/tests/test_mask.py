"""apply_bitmask on numpy arrays and torch tensors, one row or a batch, in place."""

from __future__ import annotations

import numpy as np
import pytest

import maskwell
from conftest import needs_torch

NEG = float("-inf")


def reference(logits: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = logits.astype(np.float64).copy().reshape(-1, logits.shape[-1])
    words = mask.reshape(out.shape[0], -1).view(np.uint32)
    for r in range(out.shape[0]):
        for i in range(out.shape[1]):
            if i >= 32 * words.shape[1] or not (words[r, i // 32] >> (i % 32)) & 1:
                out[r, i] = NEG
    return out.reshape(logits.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
@pytest.mark.parametrize("shape", [(70,), (3, 70), (2, 64)])
def test_numpy(dtype: type, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal(shape).astype(dtype)
    words = (shape[-1] + 31) // 32
    mask = rng.integers(-(2**31), 2**31, size=shape[:-1] + (words,), dtype=np.int64).astype(np.int32)
    mask.reshape(-1, words)[0, 0] = -1
    expected = reference(logits, mask)
    before = logits.__array_interface__["data"][0]
    maskwell.apply_bitmask(logits, mask)
    assert logits.__array_interface__["data"][0] == before  # in place
    np.testing.assert_array_equal(logits.astype(np.float64), expected)


def test_narrow_bitmask_masks_padding_columns() -> None:
    logits = np.zeros((2, 100), dtype=np.float32)
    mask = np.full((2, 2), -1, dtype=np.int32)  # covers 64 of the 100 columns
    maskwell.apply_bitmask(logits, mask)
    assert (logits[:, :64] == 0).all() and (logits[:, 64:] == NEG).all()


@pytest.mark.parametrize(
    ("logits", "mask", "kind"),
    [
        (np.zeros((2, 64), np.float32), np.zeros((3, 2), np.int32), "shape"),
        (np.zeros((2, 64), np.float32), np.zeros((2, 3), np.int32), "row_too_narrow"),
        (np.zeros((2, 64), np.float32), np.zeros((2, 2), np.int64), "dtype"),
        (np.zeros((2, 64), np.int32), np.zeros((2, 2), np.int32), "dtype"),
        (np.zeros((4, 64), np.float32)[::2], np.zeros((2, 2), np.int32), "not_contiguous"),
        (np.zeros((2, 64), np.float16), np.zeros((3, 2), np.int32), "shape"),
        (np.zeros((2, 64), np.float16), np.zeros((2, 2), np.float32), "dtype"),
        ([0.0] * 32, np.zeros(1, np.int32), "dtype"),
    ],
)
def test_errors(logits: object, mask: np.ndarray, kind: str) -> None:
    with pytest.raises(maskwell.MaskError) as e:
        maskwell.apply_bitmask(logits, mask)
    assert e.value.kind == kind


def test_same_buffer_is_refused() -> None:
    buf = np.zeros(64, dtype=np.float32)
    with pytest.raises(maskwell.MaskError):
        maskwell.apply_bitmask(buf, buf[:2].view(np.int32))


def test_with_guide(sum_index: maskwell.Index) -> None:
    g = maskwell.Guide(sum_index)
    mask = maskwell.allocate_bitmask(2, sum_index.width)
    assert mask.shape == (2, 1) and mask.dtype == np.int32
    maskwell.fill_bitmask_batch([g, g], mask)
    logits = np.zeros((2, 16), dtype=np.float32)
    maskwell.apply_bitmask(logits, mask)
    assert [i for i in range(16) if logits[0, i] == 0] == [1, 2]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_torch(dtype: str) -> None:
    import torch

    torch.manual_seed(0)
    logits = torch.randn((3, 70)).to(getattr(torch, dtype))
    mask = torch.randint(-(2**31), 2**31 - 1, (3, 3), dtype=torch.int32)
    expected = reference(logits.float().numpy(), mask.numpy())
    ptr = logits.data_ptr()
    maskwell.apply_bitmask(logits, mask)
    assert logits.data_ptr() == ptr
    np.testing.assert_array_equal(logits.float().numpy().astype(np.float64), expected.astype(np.float32).astype(np.float64) if dtype == "float32" else logits.float().numpy())
    finite = np.isfinite(expected)
    assert (np.isfinite(logits.float().numpy()) == finite).all()
    # numpy bitmask with torch logits
    logits2 = torch.zeros((1, 32))
    maskwell.apply_bitmask(logits2, np.array([[5]], dtype=np.int32))
    assert [i for i in range(32) if logits2[0, i] == 0] == [0, 2]
    with pytest.raises(maskwell.MaskError):
        maskwell.apply_bitmask(torch.zeros((2, 32)), torch.zeros((1, 1), dtype=torch.int32))
    with pytest.raises(maskwell.MaskError):
        maskwell.apply_bitmask(torch.zeros((2, 32), dtype=torch.float16), torch.zeros((2, 1), dtype=torch.int64))
