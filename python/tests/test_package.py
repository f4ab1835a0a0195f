"""The package surface: version, exports, exceptions, optional dependencies, fork."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys

import pytest

import maskwell
from maskwell import _lib


def test_version() -> None:
    assert isinstance(maskwell.__version__, str)
    assert maskwell.__version__.count(".") == 2
    assert _lib.build_profile in ("debug", "release")


def test_exports_exist_and_do_not_shadow_builtins() -> None:
    for name in maskwell.__all__:
        assert hasattr(maskwell, name), name
        if name != "__version__":
            assert not hasattr(builtins, name), f"maskwell.{name} shadows a builtin"


ERRORS = [
    maskwell.VocabularyError,
    maskwell.SchemaError,
    maskwell.BuildError,
    maskwell.IndexFileError,
    maskwell.GuideError,
    maskwell.MaskError,
    maskwell.InternalError,
]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_exception_hierarchy(cls: type) -> None:
    assert issubclass(cls, maskwell.MaskwellError)
    assert issubclass(cls, Exception)
    assert isinstance(cls.kind, str)  # type: ignore[attr-defined]
    err = cls("message")
    assert str(err) == "message"


def test_imports_without_torch_and_transformers() -> None:
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
        "import numpy as np, maskwell\n"
        "v = maskwell.Vocabulary.from_tokens(['</s>', 'a', 'b'], eos_token_ids=[0])\n"
        "g = maskwell.Guide(maskwell.Index.from_regex('a+', v))\n"
        "m = maskwell.allocate_bitmask(1, v.width); g.fill_bitmask(m)\n"
        "x = np.zeros((1, 3), np.float32); maskwell.apply_bitmask(x, m)\n"
        "assert x.tolist() == [[float('-inf'), 0.0, float('-inf')]], x\n"
        "from maskwell.integrations import vllm\n"
        "b = vllm.MaskwellBackend(None, None, 3, vocab=v)\n"
        "assert isinstance(b.allocate_token_bitmask(2), np.ndarray)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_build_in_forked_child(vocab: maskwell.Vocabulary) -> None:
    # Use the rayon pool in the parent first, then build in a child: it must not hang.
    maskwell.Index.from_regex("[a-z]{1,6}( [a-z]{1,6}){0,3}", vocab)
    code = (
        "import os, maskwell\n"
        f"v = maskwell.Vocabulary.from_file({str(vocab_path())!r})\n"
        "maskwell.Index.from_regex('[a-z]{1,6}', v)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    maskwell.Index.from_regex('[0-9]{1,6}( [a-z]{1,6}){0,3}', v)\n"
        "    os._exit(7)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "7"


def vocab_path() -> str:
    from conftest import BYTELEVEL4K

    return str(BYTELEVEL4K)
