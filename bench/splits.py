"""The tune / report protocol of ``../shared/bench/README.md`` and the baselines it names.

- **tune**: ``realtimeqa-2023`` (13 weeks) and ``realtimeqa-2024`` 2024-01-05 .. 2024-06-28:
  tune, fit and choose on these.
- **report**: ``realtimeqa-2024`` 2024-07-05 .. 2024-12-27: report on these, never tune.
- **dev**: ``realtimeqa-2023`` alone, the development set the figures before the split were
  measured on (part of tune).

Week folder names are dates, unique across the two data sets, so a week names its folder.

Baselines over 256-token chunks (cl100k, LlamaIndex ``SentenceSplitter(256, 32)`` over title
+ text; the overlap is not fixed by the protocol, 32 is an eighth): BM25 (bm25s, English
stopwords, the Snowball stemmer), dense MiniLM (cosine over normalised vectors, chunk vectors
cached per week in the cache dir), and reciprocal rank fusion (k = 60) of their top 100.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASETS = ("realtimeqa-2023", "realtimeqa-2024")
REPORT_FROM = "20240705"  # first week of the report half
SPLITS = ("dev", "tune", "report")

CHUNK_256 = (256, 32)
RRF_K = 60
FUSE_DEPTH = 100

Retrieve = Callable[[str], list[str]]


def week_dir(week: str) -> Path:
    """The folder of ``week`` in whichever data set holds it."""
    for dataset in DATASETS:
        path = SHARED_BENCH / dataset / week
        if (path / "questions.jsonl").is_file():
            return path
    raise KeyError(week)


def _weeks(dataset: str) -> list[str]:
    root = SHARED_BENCH / dataset
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "questions.jsonl").is_file())


def split_weeks(split: str) -> list[str]:
    """The weeks of one half of the protocol (or of the 2023 development set)."""
    if split == "dev":
        return _weeks("realtimeqa-2023")
    later = _weeks("realtimeqa-2024")
    if split == "tune":
        return _weeks("realtimeqa-2023") + [w for w in later if w < REPORT_FROM]
    if split == "report":
        return [w for w in later if w >= REPORT_FROM]
    raise ValueError(f"unknown split {split!r} (known: {', '.join(SPLITS)})")


def sample(weeks: Sequence[str], n: int | None) -> list[str]:
    """``n`` weeks spread evenly over ``weeks`` (all when ``n`` is None or not smaller)."""
    if n is None or n >= len(weeks):
        return list(weeks)
    if n <= 0:
        return []
    step = len(weeks) / n
    return [weeks[int(i * step + step / 2)] for i in range(n)]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def chunks_256(articles_path: Path) -> list[str]:
    """Every article (title + text) cut into 256-token sentence chunks."""
    from llama_index.core import Document
    from llama_index.core.node_parser import SentenceSplitter

    from index.chunk import cl100k

    size, overlap = CHUNK_256
    splitter = SentenceSplitter(chunk_size=size, chunk_overlap=overlap, tokenizer=cl100k())
    docs = [
        Document(text=f"{r.get('title') or ''}\n\n{r.get('text') or ''}".strip(), id_=str(r["id"]))
        for r in _read_jsonl(articles_path)
    ]
    return [node.get_content() for node in splitter.get_nodes_from_documents(docs)]


def baselines_256(
    week: str, embedder: Any, cache_dir: Path | None, systems: Sequence[str]
) -> dict[str, Retrieve]:
    """``bm25-256``, ``dense-256`` and ``rrf-256`` over the week's 256-token chunks (those of
    ``systems`` asked for)."""
    import bm25s
    import numpy as np

    from index.stemmer import snowball

    texts = chunks_256(week_dir(week) / "articles.jsonl")
    out: dict[str, Retrieve] = {}
    depth = min(FUSE_DEPTH, len(texts))

    bm25 = bm25s.BM25()
    bm25.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=snowball(), show_progress=False),
        show_progress=False,
    )

    def bm25_ids(q: str) -> list[int]:
        tokens = bm25s.tokenize([q], stopwords="en", stemmer=snowball(), show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = bm25.retrieve(tokens, k=depth, show_progress=False, n_threads=1)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    need_dense = {"dense-256", "rrf-256"} & set(systems)
    vectors: Any = None
    if need_dense:
        path = cache_dir / f"dense256-{week}.npy" if cache_dir else None
        if path is not None and path.is_file():
            vectors = np.load(path)
        if vectors is None or len(vectors) != len(texts):
            vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
            if path is not None:
                np.save(path, vectors)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def dense_ids(q: str) -> list[int]:
        query = np.asarray(embedder.embed([q])[0], dtype=np.float32)
        sims = vectors @ (query / max(float(np.linalg.norm(query)), 1e-12))
        return [int(i) for i in np.argsort(-sims)[:depth]]

    def rrf_ids(q: str) -> list[int]:
        scores: dict[int, float] = {}
        for ids in (bm25_ids(q), dense_ids(q)):
            for rank, i in enumerate(ids):
                scores[i] = scores.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        return sorted(scores, key=lambda i: -scores[i])

    if "bm25-256" in systems:
        out["bm25-256"] = lambda q: [texts[i] for i in bm25_ids(q)]
    if "dense-256" in systems:
        out["dense-256"] = lambda q: [texts[i] for i in dense_ids(q)]
    if "rrf-256" in systems:
        out["rrf-256"] = lambda q: [texts[i] for i in rrf_ids(q)]
    return out
