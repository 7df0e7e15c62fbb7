"""Retrieval quality on RealTime QA 2023: newsdesk hybrid search against three baselines.

Each week of ``../shared/bench/realtimeqa-2023`` is indexed on its own (its articles only) and
asked that week's questions. Systems, all over the same packaged MiniLM:

1. ``llamaindex-defaults``: ``VectorStoreIndex.from_documents`` over the raw articles with
   ``SentenceSplitter(chunk_size=1024, chunk_overlap=200)``, retriever top 10.
2. ``bm25``: our keyword sidecar alone, over the chunks newsdesk indexes.
3. ``dense``: Chroma dense search alone, over the same index.
4. ``newsdesk``: ``Searcher.search`` (dense + BM25 fused, article evidence, near-dup removal).

Ranked passages go to a temporary JSONL scored by ``../shared/bench/score.py`` (all weeks
pooled). The target: newsdesk >= 1.15x the best baseline on mrr@10 and recall@1024tok.
A benchmark, not a test: it always exits 0 and skips (with a message) without the data.

    .venv/bin/python bench/retrieval_quality.py [--weeks 20230929,20231006]
        [--chunk-tokens 180 --chunk-overlap 30] [--systems newsdesk,bm25] [--cache-dir DIR]
        [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASET = SHARED_BENCH / "realtimeqa-2023"
SCORE_PY = SHARED_BENCH / "score.py"

BASELINES = ("llamaindex-defaults", "bm25", "dense")
SYSTEMS = (*BASELINES, "newsdesk")
METRICS = ("mrr@10", "hit@10", "recall@512tok", "recall@1024tok", "recall@2048tok")
TARGET_METRICS = ("mrr@10", "recall@1024tok")
TARGET_RATIO = 1.15
TOP_K = 10

Retrieve = Callable[[str], list[str]]


# -- helpers ------------------------------------------------------------------------------
def load_score_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_bench_score", SCORE_PY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def quiet_logging(*extra: str) -> None:
    """Warnings only, and library chatter (and newsdesk's own info logs) off: the figures are
    the output. Configured by each benchmark's entry point, never at import."""
    # The handler filters too: bm25s sets its own logger to DEBUG when it is imported.
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    for noisy in ("index", "chromadb", "llama_index", "sentence_transformers", "bm25s", *extra):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_chunking() -> tuple[int, int]:
    data = tomllib.loads((REPO / "config" / "defaults.toml").read_text(encoding="utf-8"))
    return int(data["chunk_tokens"]), int(data["chunk_overlap"])


def all_weeks() -> list[str]:
    return sorted(p.name for p in DATASET.iterdir() if (p / "questions.jsonl").is_file())


# -- baseline 1: LlamaIndex defaults -------------------------------------------------------
def make_llama_embedding(embedder: Any) -> Any:
    """A LlamaIndex ``BaseEmbedding`` that calls our embedder (never Settings globals)."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class NewsdeskEmbedding(BaseEmbedding):
        _embedder: Any = PrivateAttr()

        def __init__(self, inner: Any, **kwargs: Any) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=64, **kwargs)
            self._embedder = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed([query])[0].tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed(texts).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        async def _aget_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embedding(text)

        async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._get_text_embeddings(texts)

    return NewsdeskEmbedding(embedder)


def llamaindex_retriever(articles_path: Path, embed_model: Any) -> Retrieve:
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    docs = [
        Document(text=f"{r.get('title') or ''}\n\n{r.get('text') or ''}".strip(), id_=str(r["id"]))
        for r in read_jsonl(articles_path)
    ]
    index = VectorStoreIndex.from_documents(
        docs,
        embed_model=embed_model,
        transformations=[SentenceSplitter(chunk_size=1024, chunk_overlap=200)],
    )
    retriever = index.as_retriever(similarity_top_k=TOP_K)
    return lambda q: [n.node.get_content() for n in retriever.retrieve(q)]


def cached_llamaindex(
    week: str, questions: list[dict[str, Any]], cache_dir: Path | None, embed_model: Any
) -> Retrieve:
    """The baseline does not depend on newsdesk's code: with ``--cache-dir`` its ranked
    passages are kept per week, so tuning runs do not re-embed 1024-token chunks."""
    path = cache_dir / f"llamaindex-defaults-{week}.json" if cache_dir else None
    if path and path.is_file():
        ranked: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
        if all(q["question"] in ranked for q in questions):
            return lambda q: ranked[q]
    retrieve = llamaindex_retriever(DATASET / week / "articles.jsonl", embed_model)
    ranked = {q["question"]: retrieve(q["question"]) for q in questions}
    if path:
        path.write_text(json.dumps(ranked), encoding="utf-8")
    return lambda q: ranked[q] if q in ranked else retrieve(q)


# -- our index: built once per week and chunk config ---------------------------------------
def build_week_index(
    week: str, cache_dir: Path, embedder: Any, chunk_tokens: int, chunk_overlap: int
) -> tuple[Any, float, int]:
    """Build (or reuse) the week's index; returns (store, build seconds, chunks)."""
    from index.build import IndexBuilder
    from index.chunk import Chunker
    from index.keyword import KeywordIndex
    from index.store import IndexStore

    index_dir = cache_dir / f"{week}-c{chunk_tokens}-o{chunk_overlap}"
    reused = (index_dir / "CURRENT").is_file()
    store = IndexStore(index_dir)
    builder = IndexBuilder(
        store, embedder, Chunker(chunk_tokens, chunk_overlap), max_file_bytes=200_000_000
    )
    report = builder.build([DATASET / week / "articles.jsonl"])
    if reused:
        # A cached index may predate a change of BM25 tokenisation: refresh the sidecar.
        gen = store.open_current()
        KeywordIndex.build(gen.iter_all_passages()).save(gen.bm25_dir)
    return store, report.seconds, report.chunks


def our_retrievers(store: Any, embedder: Any, systems: Sequence[str]) -> dict[str, Retrieve]:
    from bot.app import make_searcher
    from index.keyword import KeywordIndex

    gen = store.open_current()
    out: dict[str, Retrieve] = {}
    if "bm25" in systems:
        keyword = KeywordIndex.load(gen.bm25_dir)

        def bm25(q: str) -> list[str]:
            ids = [h.chunk_id for h in keyword.search(q, TOP_K)]
            found = gen.get_passages(ids)
            return [found[i].text for i in ids if i in found]

        out["bm25"] = bm25
    if "dense" in systems:
        out["dense"] = lambda q: [p.text for p in gen.dense_search(embedder.embed([q])[0], TOP_K)]
    if "newsdesk" in systems:
        searcher = make_searcher(store, embedder)
        out["newsdesk"] = lambda q: [p.text for p in searcher.search(q, TOP_K)]
    return out


# -- report ---------------------------------------------------------------------------------
def ratios(scores: dict[str, dict[str, float]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    ours = scores.get("newsdesk")
    for metric in METRICS:
        best = max((scores[b][metric] for b in BASELINES if b in scores), default=None)
        if ours is None or best is None:
            out[metric] = None
        else:
            out[metric] = round(ours[metric] / best, 3) if best > 0 else float("inf")
    return out


def print_table(scores: dict[str, dict[str, float]], rat: dict[str, float | None]) -> None:
    header = f"{'system':22s}" + "".join(f"{m:>16s}" for m in METRICS) + f"{'n':>6s}"
    print(header)
    print("-" * len(header))
    for system in SYSTEMS:
        if system in scores:
            row = scores[system]
            print(
                f"{system:22s}"
                + "".join(f"{row[m]:16.4f}" for m in METRICS)
                + f"{int(row['n']):6d}"
            )
    if any(v is not None for v in rat.values()):
        ran = [b for b in BASELINES if b in scores]
        if len(ran) < len(BASELINES):
            print(f"(ratios against the baselines run only: {', '.join(ran)})")
        cells = "".join(f"{(f'{v:.3f}x' if v is not None else '-'):>16s}" for v in rat.values())
        print(f"{'newsdesk / best base':22s}" + cells)
        for metric in TARGET_METRICS:
            value = rat.get(metric)
            if value is None:
                continue
            verdict = "MET" if value >= TARGET_RATIO else "NOT MET"
            print(f"target {TARGET_RATIO}x on {metric}: {verdict} ({value:.3f}x)")


def main(argv: Sequence[str] | None = None) -> int:
    default_tokens, default_overlap = default_chunking()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", help="comma-separated week folders (default: all)")
    parser.add_argument("--chunk-tokens", type=int, default=default_tokens)
    parser.add_argument("--chunk-overlap", type=int, default=default_overlap)
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"subset of {','.join(SYSTEMS)}"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="keep built week indexes here across runs (default: tmp)"
    )
    parser.add_argument("--keep-ranked", type=Path, help="also write the ranked JSONL here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    if not DATASET.is_dir() or not SCORE_PY.is_file():
        print(f"skipped: evaluation data not found at {SHARED_BENCH}")
        return 0
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        print(f"unknown systems: {', '.join(unknown)} (known: {', '.join(SYSTEMS)})")
        return 0
    weeks = [w.strip() for w in args.weeks.split(",")] if args.weeks else all_weeks()
    missing = [w for w in weeks if not (DATASET / w / "questions.jsonl").is_file()]
    if missing:
        print(f"unknown weeks: {', '.join(missing)}")
        return 0

    quiet_logging()

    from index.embed import make_embedder

    score_mod = load_score_module()
    started = time.perf_counter()
    embedder = make_embedder("all-MiniLM-L6-v2")
    embedder.embed(["warm up"])
    load_s = time.perf_counter() - started
    llama_embed = make_llama_embedding(embedder) if "llamaindex-defaults" in systems else None

    timings: dict[str, float] = {"model_load_s": round(load_s, 2)}
    build_s = llama_build_s = 0.0
    chunks_total = 0
    query_s: dict[str, float] = dict.fromkeys(systems, 0.0)
    n_questions = 0

    tmp = tempfile.TemporaryDirectory(prefix="newsdesk-bench-")
    cache_dir = args.cache_dir or Path(tmp.name) / "cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    ranked_path = Path(tmp.name) / "ranked.jsonl"
    try:
        with ranked_path.open("w", encoding="utf-8") as out:
            for week in weeks:
                questions = read_jsonl(DATASET / week / "questions.jsonl")
                retrievers: dict[str, Retrieve] = {}
                if set(systems) & {"bm25", "dense", "newsdesk"}:
                    t0 = time.perf_counter()
                    store, _, chunks = build_week_index(
                        week, cache_dir, embedder, args.chunk_tokens, args.chunk_overlap
                    )
                    build_s += time.perf_counter() - t0
                    chunks_total += chunks
                    retrievers.update(our_retrievers(store, embedder, systems))
                if llama_embed is not None:
                    t0 = time.perf_counter()
                    retrievers["llamaindex-defaults"] = cached_llamaindex(
                        week, questions, args.cache_dir, llama_embed
                    )
                    llama_build_s += time.perf_counter() - t0
                for q in questions:
                    n_questions += 1
                    for system in systems:
                        t0 = time.perf_counter()
                        passages = retrievers[system](q["question"])[:TOP_K]
                        query_s[system] += time.perf_counter() - t0
                        row = {
                            "system": system,
                            "id": q["id"],
                            "answers": q["answers"],
                            "passages": passages,
                        }
                        out.write(json.dumps(row, ensure_ascii=False) + "\n")
                if not args.json:
                    print(f"  week {week}: {len(questions)} questions", file=sys.stderr)
        rows = read_jsonl(ranked_path)
        if args.keep_ranked:
            args.keep_ranked.write_text(ranked_path.read_text(encoding="utf-8"), encoding="utf-8")
    finally:
        tmp.cleanup()

    scores = score_mod.score(rows)
    rat = ratios(scores)
    timings.update(
        {
            "newsdesk_index_build_s": round(build_s, 1),
            "llamaindex_build_s": round(llama_build_s, 1),
            "total_s": round(time.perf_counter() - started, 1),
        }
    )
    per_query_ms = {s: round(1000 * v / max(n_questions, 1), 1) for s, v in query_s.items()}
    result = {
        "weeks": weeks,
        "questions": n_questions,
        "chunk_tokens": args.chunk_tokens,
        "chunk_overlap": args.chunk_overlap,
        "chunks": chunks_total,
        "scores": scores,
        "ratio_vs_best_baseline": rat,
        "target": {m: (rat[m] is not None and rat[m] >= TARGET_RATIO) for m in TARGET_METRICS},
        "timings": timings,
        "query_ms": per_query_ms,
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(
        f"\nRealTime QA 2023: {len(weeks)} week(s), {n_questions} questions; newsdesk chunks "
        f"{args.chunk_tokens}/{args.chunk_overlap} tokens ({chunks_total} chunks)\n"
    )
    print_table(scores, rat)
    print(
        "\ntimings: "
        + ", ".join(f"{k}={v}" for k, v in timings.items())
        + "\nmean query ms: "
        + ", ".join(f"{k}={v}" for k, v in per_query_ms.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
