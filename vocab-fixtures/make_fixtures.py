#!/usr/bin/env python3
"""Regenerate the derived byte-level BPE fixtures in this folder.

Reads the Qwen3 tokenizer (byte-level BPE over tiktoken ranks, MIT) from the shared
vocabulary folder and writes two reduced tokenizers that keep its byte alphabet,
pre-tokenizer, NFC normalizer, decoder and BPE options:

* ``bytelevel4k.tokenizer.json``: the 256 single-byte tokens, the next 4,000 tokens by
  rank, and the special tokens ``<|endoftext|>``, ``<|im_start|>``, ``<|im_end|>``;
* ``bytelevel300.tokenizer.json``: the 256 single-byte tokens, the next 44 tokens, and the
  same three special tokens, for very fast tests.

A merge is kept only when both of its parts and its result are kept tokens. The merges of
the source are ordered by the rank of the token they produce, so keeping a prefix of the
ranks keeps a vocabulary that encodes the way tiktoken would with the same ranks.

Python 3 standard library only; the output is byte-for-byte deterministic.

Usage::

    python3 vocab-fixtures/make_fixtures.py [--source PATH_TO/qwen3.tokenizer.json] [--out DIR]

The source defaults to ``$MASKWELL_SHARED/vocab/qwen3.tokenizer.json``, else
``../shared/vocab/qwen3.tokenizer.json`` beside the repository.
"""

import argparse
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_SHA256 = "855cfec06d87af836082da83893edd38a4ceac5b4aca5eb6c1c5c7d3ea407234"
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# (output file, number of regular tokens kept after the 256 single-byte tokens)
FIXTURES = [("bytelevel4k.tokenizer.json", 4000), ("bytelevel300.tokenizer.json", 44)]


def gpt2_alphabet():
    """The GPT-2 byte-to-unicode table: byte -> the character that writes it."""
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table = {b: chr(b) for b in printable}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(0x100 + n)
            n += 1
    return table


def default_source():
    shared = os.environ.get("MASKWELL_SHARED")
    if not shared:
        shared = os.path.join(HERE, "..", "..", "shared")
    return os.path.normpath(os.path.join(shared, "vocab", "qwen3.tokenizer.json"))


def reduce(source, regular):
    """A copy of ``source`` (a parsed tokenizer.json) with ``256 + regular`` model tokens."""
    model = source["model"]
    assert model["type"] == "BPE", "the source must be a BPE tokenizer"
    by_id = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    alphabet = set(gpt2_alphabet().values())
    singles = [t for t, i in by_id if len(t) == 1 and t in alphabet]
    assert len(singles) == 256, "the source must have all 256 single-byte tokens"

    keep_n = 256 + regular
    # Keep the lowest ids; in tiktoken-ranked files the 256 single bytes are ids 0..255.
    added_ids = {t["id"] for t in source["added_tokens"]}
    kept = [(t, i) for t, i in by_id if i not in added_ids][:keep_n]
    assert all(i == n for n, (_, i) in enumerate(kept)), "the kept ids must be 0..n"
    assert all(t in dict(kept) for t in singles), "single-byte tokens must be among the kept"
    vocab = dict(kept)

    merges = []
    for merge in model["merges"]:
        left, right = merge.split(" ") if isinstance(merge, str) else merge
        if left in vocab and right in vocab and left + right in vocab:
            merges.append(merge)

    by_content = {t["content"]: t for t in source["added_tokens"]}
    added = []
    for n, content in enumerate(SPECIALS):
        token = dict(by_content[content])
        token["id"] = keep_n + n
        added.append(token)
        # As in the source, added tokens are also in the model vocab, so their ids hold.
        vocab[content] = keep_n + n

    out = {}
    for key, value in source.items():
        if key == "added_tokens":
            out[key] = added
        elif key == "model":
            out[key] = {k: v for k, v in model.items() if k not in ("vocab", "merges")}
            out[key]["vocab"] = vocab
            out[key]["merges"] = merges
        else:
            out[key] = value
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=default_source())
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()

    with open(args.source, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"warning: {args.source} has sha256 {digest}, expected {SOURCE_SHA256}", file=sys.stderr)
    source = json.loads(raw.decode("utf-8"))

    for name, regular in FIXTURES:
        reduced = reduce(source, regular)
        text = json.dumps(reduced, ensure_ascii=False, indent=1) + "\n"
        path = os.path.join(args.out, name)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        data = text.encode("utf-8")
        print(
            f"{name}: {len(reduced['model']['vocab'])} tokens, {len(reduced['model']['merges'])} merges, "
            f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"
        )


if __name__ == "__main__":
    main()
