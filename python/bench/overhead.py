"""Python overhead of the per-token path: one ``Guide.fill_bitmask`` + ``Guide.advance``
pair called from Python, against the same loop run inside Rust (``_lib._bench_fill_advance``).

Usage::

    python python/bench/overhead.py [--tokenizer PATH] [--repeats N]

Defaults to ``../shared/vocab/llama3.tokenizer.json`` when present (128k tokens, the size the
per-token figures in the README refer to), else the repository's 4k-token fixture. The
schema is a small object with a string, an integer and an array; the token sequence is a
valid instance, tokenized as a model would write it. Prints the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

import maskwell
from maskwell import _lib

ROOT = Path(__file__).resolve().parents[2]
LLAMA3 = ROOT.parent / "shared" / "vocab" / "llama3.tokenizer.json"
FIXTURE = ROOT / "vocab-fixtures" / "bytelevel4k.tokenizer.json"

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "emails": {"type": "array", "items": {"type": "string", "format": "email"}, "maxItems": 4},
    },
    "required": ["name", "age"],
}
INSTANCE = {"name": "Ada Lovelace, Countess of Lovelace", "age": 36, "emails": ["ada@example.com", "a.l@analytical.org"]}


def python_loop(guide: maskwell.Guide, tokens: list[int], bitmask: np.ndarray, repeats: int) -> float:
    fill, advance, reset = guide.fill_bitmask, guide.advance, guide.reset
    start = time.perf_counter()
    for _ in range(repeats):
        reset()
        for t in tokens:
            fill(bitmask)
            advance(t)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", type=Path, default=LLAMA3 if LLAMA3.exists() else FIXTURE)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    vocab = maskwell.Vocabulary.from_file(args.tokenizer)
    t0 = time.perf_counter()
    index = maskwell.Index.from_schema(SCHEMA, vocab, unknown_format="ignore")
    compile_s = time.perf_counter() - t0
    tokens = vocab.encode(json.dumps(INSTANCE)) + [vocab.eos_token_ids[-1]]
    guide = maskwell.Guide(index)
    bitmask = maskwell.allocate_bitmask(1, vocab.width)
    assert guide.accept_tokens(tokens), "the instance is not accepted"

    pairs = len(tokens) * args.repeats
    py, rust = [], []
    for _ in range(args.rounds):
        py.append(python_loop(guide, tokens, bitmask, args.repeats) / pairs)
        rust.append(_lib._bench_fill_advance(guide, tokens, bitmask, args.repeats) / pairs)
    py_ns, rust_ns = statistics.median(py) * 1e9, statistics.median(rust) * 1e9
    print(f"tokenizer        {args.tokenizer.name} (width {vocab.width}, {index.words} words per row)")
    print(f"schema compile   {compile_s * 1e3:.1f} ms ({index.stats()['states']} states)")
    print(f"sequence         {len(tokens)} tokens x {args.repeats} repeats x {args.rounds} rounds")
    print(f"rust loop        {rust_ns:8.1f} ns per fill_bitmask + advance")
    print(f"python loop      {py_ns:8.1f} ns per fill_bitmask + advance")
    print(f"python overhead  {py_ns - rust_ns:8.1f} ns per pair (median)")


if __name__ == "__main__":
    main()
