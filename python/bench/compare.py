"""maskwell against outlines-core, llguidance and xgrammar on MaskBench schemas.

The comparison engines are installed from PyPI for this script only; they are never
dependencies of maskwell::

    pip install outlines-core llguidance xgrammar transformers torch
    python python/bench/compare.py --limit 100

Follows the MaskBench procedure (``../shared/jsonschemabench/README.md``): for each schema
file, time the compilation (TTFM, time to first mask); for each test instance, serialize
``data`` as ``json.dumps(data, ensure_ascii=False)``, tokenize it with the Llama-3 tokenizer
without special tokens (the same token ids for every engine), then for every token fill a
bitmask, check that the token is allowed and advance (TBM: the fill + advance time per
token). A valid instance must be accepted at every token and end in a state where the
end-of-sequence token is allowed (stricter than the published harness, which skips this
end check); an invalid one must be rejected somewhere. A schema passes when all its
instances come out right. Everything runs single-threaded in one process; there is no
per-schema time limit, so keep ``--limit`` modest for the slower engines.

Engines that are not installed are skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

import maskwell

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
LLAMA3 = SHARED / "vocab" / "llama3.tokenizer.json"
MASKBENCH = SHARED / "jsonschemabench" / "maskbench"


class Engine:
    """compile(schema) -> a matcher factory; a matcher has fill(), allowed(t), advance(t)."""

    name = ""

    def compile(self, schema: dict) -> Callable[[], Any]:
        raise NotImplementedError


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def bit(mask: np.ndarray, token: int) -> bool:
    return bool((int(mask.reshape(-1)[token // 32]) >> (token % 32)) & 1)


class Maskwell(Engine):
    name = f"maskwell {maskwell.__version__}"

    def __init__(
        self, vocab: maskwell.Vocabulary, eos: int, build: str, options: dict[str, Any]
    ) -> None:
        self.vocab, self.eos, self.build, self.options = vocab, eos, build, options
        extra = "".join(f", {k}={v}" for k, v in options.items())
        self.name = f"maskwell {maskwell.__version__} ({build}{extra})"

    def compile(self, schema: dict) -> Callable[[], Any]:
        index = maskwell.Index.from_schema(
            schema, self.vocab, parallel=False, build=self.build, **self.options
        )
        mask = np.zeros(index.words, dtype=np.int32)

        class M:
            def __init__(self) -> None:
                self.g = maskwell.Guide(index)

            def fill(self) -> np.ndarray:
                self.g.fill_bitmask(mask)
                return mask

            def advance(self, t: int) -> None:
                self.g.advance(t)

        return M


class OutlinesCore(Engine):
    def __init__(self, vocab: maskwell.Vocabulary, eos: int) -> None:
        import outlines_core
        from outlines_core.json_schema import build_regex_from_schema

        self.name = f"outlines-core {_version('outlines-core')}"
        self.oc, self.build = outlines_core, build_regex_from_schema
        tokens: dict[bytes, list[int]] = {}
        for t in range(vocab.width):
            if vocab.token_kind(t) == "text" and vocab.token_bytes(t):
                tokens.setdefault(vocab.token_bytes(t) or b"", []).append(t)
        self.vocabulary = outlines_core.Vocabulary(eos, tokens)
        self.width = vocab.width

    def compile(self, schema: dict) -> Callable[[], Any]:
        regex = self.build(json.dumps(schema), whitespace_pattern=r"[ ]?")
        index = self.oc.Index(regex, self.vocabulary)
        oc, width = self.oc, self.width
        mask = np.zeros((width + 31) // 32, dtype=np.int32)

        class M:
            def __init__(self) -> None:
                self.g = oc.Guide(index)

            def fill(self) -> np.ndarray:
                self.g.write_mask_into(mask.ctypes.data, mask.size, 4)
                return mask

            def advance(self, t: int) -> None:
                self.g.advance(t, return_tokens=False)

        return M


class LLGuidance(Engine):
    def __init__(self, hf_tokenizer: Any, eos: int, width: int) -> None:
        import llguidance
        import llguidance.hf
        import llguidance.numpy

        self.name = f"llguidance {_version('llguidance')}"
        self.ll, self.fill = llguidance, llguidance.numpy.fill_next_token_bitmask
        self.tok = llguidance.hf.from_tokenizer(hf_tokenizer, n_vocab=width, eos_token=eos)
        self.width = width

    def compile(self, schema: dict) -> Callable[[], Any]:
        ll, fill, tok = self.ll, self.fill, self.tok
        grammar = ll.LLMatcher.grammar_from_json_schema(
            schema, defaults={"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
        )
        ok, message = ll.LLMatcher.validate_grammar(grammar, tok), None
        if isinstance(ok, str):  # llguidance 1.x: the error message, empty when valid
            ok, message = ok == "", ok
        elif isinstance(ok, tuple):
            ok, message = ok
        if not ok:
            raise ValueError(message or "grammar rejected")
        mask = ll.numpy.allocate_token_bitmask(1, self.width)
        # Building the first matcher is part of compilation.
        ll.LLMatcher(tok, grammar)

        class M:
            def __init__(self) -> None:
                self.m = ll.LLMatcher(tok, grammar)
                if self.m.is_error():
                    raise ValueError(self.m.get_error())

            def fill(self) -> np.ndarray:
                fill(self.m, mask, 0)
                return mask

            def advance(self, t: int) -> None:
                if not self.m.consume_token(t):
                    raise ValueError(self.m.get_error())

        return M


class XGrammar(Engine):
    def __init__(self, hf_tokenizer: Any, eos: int, width: int) -> None:
        import xgrammar as xgr

        self.name = f"xgrammar {_version('xgrammar')}"
        self.xgr = xgr
        info = xgr.TokenizerInfo.from_huggingface(hf_tokenizer, vocab_size=width, stop_token_ids=[eos])
        self.compiler = xgr.GrammarCompiler(info, max_threads=1)
        self.width = width

    def compile(self, schema: dict) -> Callable[[], Any]:
        xgr = self.xgr
        compiled = self.compiler.compile_json_schema(
            json.dumps(schema), any_whitespace=False, separators=(", ", ": ")
        )
        mask = xgr.allocate_token_bitmask(1, self.width)

        class M:
            def __init__(self) -> None:
                self.m = xgr.GrammarMatcher(compiled)

            def fill(self) -> np.ndarray:
                self.m.fill_next_token_bitmask(mask)
                return mask.numpy()

            def advance(self, t: int) -> None:
                if not self.m.accept_token(t):
                    raise ValueError("rejected")

        return M


def run_instance(factory: Callable[[], Any], tokens: list[int], eos: int, tbm: list[float]) -> bool:
    """Whether the whole instance is accepted (and may end); TBM samples appended."""
    m = factory()
    for t in tokens:
        start = time.perf_counter()
        mask = m.fill()
        allowed = bit(mask, t)
        if allowed:
            try:
                m.advance(t)
            except Exception:  # noqa: BLE001
                allowed = False
        tbm.append(time.perf_counter() - start)
        if not allowed:
            return False
    return bit(m.fill(), eos)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.array(values) * 1e6, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", type=Path, default=LLAMA3)
    parser.add_argument("--maskbench", type=Path, default=MASKBENCH)
    parser.add_argument("--limit", type=int, default=100, help="schema files, spread evenly over the corpus")
    parser.add_argument("--files", type=Path, help="a list of file names to run instead (e.g. benches/maskbench-sample.txt)")
    parser.add_argument("--build", default="lazy", help="maskwell's build mode: lazy, eager or background")
    parser.add_argument("--engines", default="maskwell,outlines-core,llguidance,xgrammar")
    parser.add_argument(
        "--options", default="{}", help='maskwell schema options as JSON, e.g. \'{"additional_properties": false}\''
    )
    args = parser.parse_args()
    if not args.maskbench.is_dir() or not args.tokenizer.is_file():
        raise SystemExit(f"needs {args.maskbench} and {args.tokenizer} (the shared data folder)")

    vocab = maskwell.Vocabulary.from_file(args.tokenizer)
    eos = 128009 if vocab.width > 128009 else vocab.eos_token_ids[-1]  # <|eot_id|> for Llama 3
    vocab = maskwell.Vocabulary.from_file(args.tokenizer, eos_token_ids=[eos])
    files = sorted(args.maskbench.glob("*.json"))
    if args.files:
        names = [line.strip() for line in args.files.read_text().splitlines()]
        wanted_names = {n for n in names if n and not n.startswith("#")}
        chosen = [p for p in files if p.name in wanted_names][: args.limit]
    else:
        chosen = files[:: max(1, len(files) // args.limit)][: args.limit]
    cases = []
    for path in chosen:
        doc = json.loads(path.read_text())
        tests = []
        for test in doc.get("tests", []):
            try:
                tests.append((test["valid"], vocab.encode(json.dumps(test["data"], ensure_ascii=False))))
            except maskwell.VocabularyError:
                pass
        if tests:
            cases.append((path.name, doc["schema"], tests))

    hf_tokenizer = None
    wanted = args.engines.split(",")
    engines: list[Engine] = []
    for name in wanted:
        try:
            if name == "maskwell":
                engines.append(Maskwell(vocab, eos, args.build, json.loads(args.options)))
            elif name == "outlines-core":
                engines.append(OutlinesCore(vocab, eos))
            elif name in ("llguidance", "xgrammar"):
                if hf_tokenizer is None:
                    from transformers import PreTrainedTokenizerFast

                    hf_tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(args.tokenizer))
                engines.append(LLGuidance(hf_tokenizer, eos, vocab.width) if name == "llguidance" else XGrammar(hf_tokenizer, eos, vocab.width))
        except ImportError as e:
            print(f"skipping {name}: {e}")

    print(f"{len(cases)} schema files with tokenizable instances, tokenizer {args.tokenizer.name}")
    header = ["engine", "passing", "compile errors", "valid rejected", "invalid accepted", "TTFM p50 µs", "TTFM p99 µs", "TTFM max µs", "TBM p50 µs", "TBM p99 µs", "TBM p99.9 µs", "TBM avg µs"]
    rows = []
    for engine in engines:
        ttfm: list[float] = []
        tbm: list[float] = []
        passing = errors = valid_rejected = invalid_accepted = 0
        for name, schema, tests in cases:
            print(f"  {engine.name}: {name}", file=sys.stderr, flush=True)
            start = time.perf_counter()
            try:
                factory = engine.compile(schema)
                factory()
            except Exception:  # noqa: BLE001
                errors += 1
                continue
            ttfm.append(time.perf_counter() - start)
            ok = True
            vr = ia = False
            for valid, tokens in tests:
                accepted = run_instance(factory, tokens, eos, tbm)
                if valid and not accepted:
                    vr = True
                if not valid and accepted:
                    ia = True
            ok = not (vr or ia)
            passing += ok
            valid_rejected += vr
            invalid_accepted += ia
        avg = statistics.fmean(tbm) * 1e6 if tbm else float("nan")
        rows.append([engine.name, passing, errors, valid_rejected, invalid_accepted, pct(ttfm, 50), pct(ttfm, 99), pct(ttfm, 100), pct(tbm, 50), pct(tbm, 99), pct(tbm, 99.9), avg])
        print(f"done: {engine.name}", flush=True)

    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
