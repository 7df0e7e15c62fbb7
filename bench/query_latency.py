"""Warm `ask` latency, in-process (issue 14): p50 / p95 of retrieve, answer and their total over
N questions against an existing index, with the embedder's own query-embedding time shown
apart (it is part of retrieve), and the process's resident memory.

    .venv/bin/python bench/query_latency.py --index-dir DIR [--questions 300] [--warmup 5]
        [--questions-file Q.jsonl ...] [--dump answers.jsonl] [--pin-dense hits.json]
        [--profile out.prof] [--json]

The service is the one `newsdesk ask` builds (settings' locale, the learned ranker and refusal
model, top k), with the extractive answerer whatever the LLM settings say. Questions are the
``questions.jsonl`` beside the indexed ``articles.jsonl`` files (RealTime QA weeks), then, to
make up N, those of the data sets' other weeks (off-topic: the refusal path), unless
``--questions-file`` names others; records carry the text in ``question``. ``--dump`` writes
each answer (passages, citations, text; no timings) as JSON lines, so two runs, before and
after a change, can be compared byte for byte with ``cmp``. Chroma's HNSW search is not the same from one
process to the next (the same query vector may bring back a few other chunks), so such a
comparison also takes ``--pin-dense FILE``: the first run records each dense search's ids and
distances there, later runs replay them (the chunks' texts still read from Chroma).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.answer.confidence import load_refusal_model
from bot.answer.extractive import ExtractiveAnswerer
from bot.app import App
from bot.service import QAService
from config.settings import load_settings
from index.embed import Embedder, make_embedder

# Issue 14's targets for warm retrieve + answer, in ms, and for the serving process's RSS.
TARGET_P50_MS, TARGET_P95_MS = 30.0, 80.0
TARGET_RSS_MB = 1024.0


class TimedEmbedder:
    """The real embedder, with the time of each call recorded (query embedding is part of
    retrieve, but it is the embedder's cost, not the search's)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls_ms: list[float] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        t0 = time.perf_counter()
        vectors = self.inner.embed(texts)
        self.calls_ms.append((time.perf_counter() - t0) * 1000)
        return vectors


class PinnedDense:
    """A Chroma collection whose ``query`` answers are recorded in ``path`` on the first run and
    replayed on later ones (see the module docstring); everything else goes to the collection.
    Hits are keyed by the query vector, ``n_results`` and the filter."""

    def __init__(self, inner: Any, path: Path) -> None:
        self.inner = inner
        self.path = path
        self.hits: dict[str, list[list[Any]]] = (
            json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        )
        self.recorded = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        key = hashlib.sha1(
            json.dumps(
                [kwargs["query_embeddings"], kwargs["n_results"], kwargs.get("where")],
                sort_keys=True,
            ).encode()
        ).hexdigest()
        include = list(kwargs.get("include") or [])
        if key not in self.hits:
            got = self.inner.query(**{**kwargs, "include": [*include, "distances"]})
            self.hits[key] = [got["ids"][0], got["distances"][0]]
            self.recorded += 1
        ids, distances = self.hits[key]
        out: dict[str, Any] = {"ids": [ids], "distances": [distances]}
        fields = [f for f in include if f in ("documents", "metadatas")]
        if fields:
            got = self.inner.get(ids=ids, include=fields)
            row = {cid: i for i, cid in enumerate(got["ids"])}
            for f in fields:
                out[f] = [[got[f][row[cid]] for cid in ids]]
        return out

    def save(self) -> None:
        if self.recorded:
            self.path.write_text(json.dumps(self.hits), encoding="utf-8")


def question_files(index_dir: Path) -> tuple[list[Path], list[Path]]:
    """The ``questions.jsonl`` beside each article file the live generation indexed, and
    those of the other weeks of the same data sets (asked too when N needs more questions:
    mostly off-topic there, so they exercise the refusal path)."""
    gen = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    folders = sorted({Path(a["path"]).parent for a in manifest["articles"].values()})
    indexed = [f / "questions.jsonl" for f in folders if (f / "questions.jsonl").is_file()]
    siblings = sorted(
        {q for f in folders for q in f.parent.glob("*/questions.jsonl")} - set(indexed)
    )
    return indexed, siblings


def read_questions(groups: Iterable[Sequence[Path]], n: int) -> list[str]:
    """Up to ``n`` questions: each group's in turn, round-robin across its files (every week
    represented)."""
    out: list[str] = []
    for files in groups:
        per_file = []
        for path in files:
            with path.open(encoding="utf-8") as fh:
                per_file.append([json.loads(line)["question"] for line in fh if line.strip()])
        for i in range(max((len(q) for q in per_file), default=0)):
            out.extend(q[i] for q in per_file if i < len(q))
    return out[:n]


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MiB."""
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build_service(index_dir: Path, backend: str | None) -> tuple[QAService, TimedEmbedder]:
    settings = load_settings(index_dir=index_dir)
    embedder = TimedEmbedder(
        make_embedder(
            settings.embed_model,
            backend=backend or settings.embed_backend,
            cache_dir=settings.model_cache,
        )
    )
    app = App(settings, embedder_override=embedder)
    searcher = app.searcher
    refusal = load_refusal_model() if searcher.ranker is not None else None
    answerer = ExtractiveAnswerer(locale=app.locale)
    return QAService(searcher, answerer, top_k=settings.top_k, refusal=refusal), embedder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=300, help="questions timed (N)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed questions asked first")
    parser.add_argument("--questions-file", type=Path, action="append", default=None)
    parser.add_argument("--dump", type=Path, help="write each answer as a JSON line")
    parser.add_argument(
        "--pin-dense", type=Path, help="record (first run) or replay Chroma's dense hits"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed questions")
    parser.add_argument(
        "--backend", help="the embedder's backend (default: settings); must match the index"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    groups = [args.questions_file] if args.questions_file else question_files(args.index_dir)
    questions = read_questions(groups, args.questions)
    if not questions:
        print(f"no questions found beside the articles of {args.index_dir}", file=sys.stderr)
        return 1
    qa, embedder = build_service(args.index_dir, args.backend)
    pinned = None
    if args.pin_dense:
        gen = qa.searcher.generation()
        gen._chroma = pinned = PinnedDense(gen._collection, args.pin_dense)
    for question in questions[: args.warmup]:  # loads the model, the index and the sidecar
        qa.ask(question)
    embedder.calls_ms.clear()

    retrieve, answer, embed, cpu = [], [], [], []
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    profile = cProfile.Profile() if args.profile else None
    for question in questions:
        calls_before = len(embedder.calls_ms)
        if profile:
            profile.enable()
        cpu_start = time.process_time()
        result = qa.ask(question)
        cpu.append((time.process_time() - cpu_start) * 1000)
        if profile:
            profile.disable()
        retrieve.append(result.timings_ms["retrieve"])
        answer.append(result.timings_ms["answer"])
        embed.append(sum(embedder.calls_ms[calls_before:]))
        if dump:
            record = result.to_json()
            record.pop("timings_ms")
            dump.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
    if dump:
        dump.close()
    if profile:
        profile.dump_stats(str(args.profile))
    if pinned:
        pinned.save()

    total = [r + a for r, a in zip(retrieve, answer, strict=True)]
    rows = {
        "query embedding (embedder)": embed,
        "retrieve (incl. embedding)": retrieve,
        "retrieve without embedding": [r - e for r, e in zip(retrieve, embed, strict=True)],
        "answer (extractive)": answer,
        "total = retrieve + answer": total,
        # The process's CPU time per question (all threads): less moved than wall time by
        # other work on a shared machine.
        "total, process CPU time": cpu,
    }
    figures = {
        name: {"p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95)} for name, v in rows.items()
    }
    gen = qa.searcher.generation()
    report = {
        "index_dir": str(args.index_dir),
        "chunks": gen.manifest.chunk_count,
        "questions": len(questions),
        "figures": figures,
        "target_total_ms": {"p50": TARGET_P50_MS, "p95": TARGET_P95_MS},
        "rss_mb": rss_mb(),
        "target_rss_mb": TARGET_RSS_MB,
        "cpu_count": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"{report['chunks']} chunks, {len(questions)} questions, warm, in-process")
    print(f"{'figure':<30} {'p50 ms':>8} {'p95 ms':>8}")
    for name, fig in figures.items():
        print(f"{name:<30} {fig['p50_ms']:>8.1f} {fig['p95_ms']:>8.1f}")
    print(f"{'target (total)':<30} {TARGET_P50_MS:>8.1f} {TARGET_P95_MS:>8.1f}")
    print(f"RSS {report['rss_mb']:.0f} MiB (target <= {TARGET_RSS_MB:.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
