"""Retrieval quality on RealTime QA: newsdesk hybrid search against the four baselines.

Each week (``../shared/bench/realtimeqa-2023`` and ``-2024``) is indexed on its own (its
articles only) and asked that week's questions. Systems, all over the same packaged MiniLM:

1. ``llamaindex-defaults``: ``VectorStoreIndex.from_documents`` over the raw articles with
   ``SentenceSplitter(chunk_size=1024, chunk_overlap=200)``, retriever top 10.
2. ``bm25-256``, ``dense-256``, ``rrf-256``: BM25, dense and their RRF (k=60) over 256-token
   chunks (bench/splits.py).
3. ``bm25``, ``dense`` (diagnostics, not baselines): our keyword sidecar alone and Chroma
   dense search alone, over the chunks newsdesk indexes.
4. ``newsdesk``: ``Searcher.search`` (dense + BM25 fused, article evidence, near-dup removal).

Weeks: ``--split dev`` (realtimeqa-2023, the default), ``tune``, ``report`` or ``both`` (tune
and report side by side; bench/splits.py), ``--sample N`` weeks spread over each half, or
``--weeks`` by name. Ranked passages go to a temporary JSONL scored by
``../shared/bench/score.py`` (all weeks of a half pooled). The target: newsdesk >= 1.15x the
best baseline on mrr@10 and recall@1024tok, on the report half. A benchmark, not a test: it
always exits 0 and skips (with a message) without the data.

    .venv/bin/python bench/retrieval_quality.py [--split dev|tune|report|both] [--sample N]
        [--weeks 20230929,20231006] [--chunk-tokens 180 --chunk-overlap 30]
        [--systems newsdesk,bm25-256] [--cache-dir DIR] [--json]
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
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from index.embed import BACKENDS, DEFAULT_BACKEND  # noqa: E402

SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASET = SHARED_BENCH / "realtimeqa-2023"
SCORE_PY = SHARED_BENCH / "score.py"

BASELINES = ("llamaindex-defaults", "bm25-256", "dense-256", "rrf-256")
DIAGNOSTICS = ("bm25", "dense")  # over newsdesk's own chunks: not among the baselines
SYSTEMS = (*BASELINES, *DIAGNOSTICS, "newsdesk")
METRICS = ("mrr@10", "hit@10", "recall@512tok", "recall@1024tok", "recall@2048tok")
TARGET_METRICS = ("mrr@10", "recall@1024tok")
TARGET_RATIO = 1.15
TOP_K = 10

Retrieve = Callable[[str], list[str]]

from bench.splits import (  # noqa: E402 - after the sys.path line above
    SPLITS,
    baselines_256,
    sample,
    split_weeks,
    week_dir,
)


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


@lru_cache(maxsize=1)  # read once: the fit scripts ask for it per question
def default_locale() -> Any:
    """The answerers' locale as the app builds it from config/defaults.toml (home country,
    framing words), so benchmarks measure what ``newsdesk ask`` does."""
    from bot.answer.lexicon import Locale

    data = tomllib.loads((REPO / "config" / "defaults.toml").read_text(encoding="utf-8"))
    return Locale.build(
        home_country=data.get("home_country", []), framing_words=data.get("framing_words")
    )


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
    retrieve = llamaindex_retriever(week_dir(week) / "articles.jsonl", embed_model)
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
    from index.embed import INT8_SUFFIX
    from index.keyword import KeywordIndex
    from index.onnx_embed import EXPORT_RECIPE
    from index.store import IndexStore

    # int8 vectors differ from torch/fp32 ones, and a little from one export recipe to the
    # next (the benchmarks measure the current one), so each gets its own cached index.
    tag = f"-int8r{EXPORT_RECIPE}" if embedder.name.endswith(INT8_SUFFIX) else ""
    index_dir = cache_dir / f"{week}-c{chunk_tokens}-o{chunk_overlap}{tag}"
    reused = (index_dir / "CURRENT").is_file()
    store = IndexStore(index_dir)
    builder = IndexBuilder(
        store, embedder, Chunker(chunk_tokens, chunk_overlap), max_file_bytes=200_000_000
    )
    report = builder.build([week_dir(week) / "articles.jsonl"])
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
        searcher = make_searcher(store, embedder, default_locale())
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


def run_weeks(
    weeks: Sequence[str], systems: Sequence[str], args: argparse.Namespace, embedder: Any
) -> dict[str, Any]:
    """Every system on ``weeks`` (each week indexed on its own); scores pooled over them."""
    score_mod = load_score_module()
    llama_embed = make_llama_embedding(embedder) if "llamaindex-defaults" in systems else None
    build_s = llama_build_s = baseline_s = 0.0
    chunks_total = n_questions = 0
    query_s: dict[str, float] = dict.fromkeys(systems, 0.0)
    tmp = tempfile.TemporaryDirectory(prefix="newsdesk-bench-")
    cache_dir = args.cache_dir or Path(tmp.name) / "cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    ranked_path = Path(tmp.name) / "ranked.jsonl"
    try:
        with ranked_path.open("w", encoding="utf-8") as out:
            for week in weeks:
                questions = read_jsonl(week_dir(week) / "questions.jsonl")
                retrievers: dict[str, Retrieve] = {}
                if set(systems) & {"bm25", "dense", "newsdesk"}:
                    t0 = time.perf_counter()
                    store, _, chunks = build_week_index(
                        week, cache_dir, embedder, args.chunk_tokens, args.chunk_overlap
                    )
                    build_s += time.perf_counter() - t0
                    chunks_total += chunks
                    retrievers.update(our_retrievers(store, embedder, systems))
                if set(systems) & {"bm25-256", "dense-256", "rrf-256"}:
                    t0 = time.perf_counter()
                    retrievers.update(baselines_256(week, embedder, args.cache_dir, systems))
                    baseline_s += time.perf_counter() - t0
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
    scores = score_mod.score(rows) if rows else {}
    return {
        "weeks": list(weeks),
        "questions": n_questions,
        "chunks": chunks_total,
        "scores": scores,
        "ratio_vs_best_baseline": ratios(scores),
        "timings": {
            "newsdesk_index_build_s": round(build_s, 1),
            "baselines_256_s": round(baseline_s, 1),
            "llamaindex_build_s": round(llama_build_s, 1),
        },
        "query_ms": {s: round(1000 * v / max(n_questions, 1), 1) for s, v in query_s.items()},
    }


def print_side_by_side(halves: dict[str, dict[str, Any]]) -> None:
    """The target metrics of each half next to each other, with newsdesk / best baseline."""
    names = list(halves)
    cols = [(half, m) for m in TARGET_METRICS for half in names]
    header = f"{'system':22s}" + "".join(f"{m + ' ' + h:>24s}" for h, m in cols)
    print(header)
    print("-" * len(header))
    for system in SYSTEMS:
        if not any(system in halves[h]["scores"] for h in names):
            continue
        cells = []
        for half, metric in cols:
            row = halves[half]["scores"].get(system)
            cells.append(f"{row[metric]:24.4f}" if row else f"{'-':>24s}")
        print(f"{system:22s}" + "".join(cells))
    cells = []
    for half, metric in cols:
        value = halves[half]["ratio_vs_best_baseline"].get(metric)
        cells.append(f"{(f'{value:.3f}x' if value is not None else '-'):>24s}")
    print(f"{'newsdesk / best base':22s}" + "".join(cells))


def main(argv: Sequence[str] | None = None) -> int:
    default_tokens, default_overlap = default_chunking()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--split",
        choices=[*SPLITS, "both"],
        help="dev (realtimeqa-2023; the default), tune, report, or both halves side by side",
    )
    parser.add_argument("--sample", type=int, help="N weeks spread evenly over each half")
    parser.add_argument(
        "--weeks", help="comma-separated week folders (with --split: those of each half)"
    )
    parser.add_argument("--chunk-tokens", type=int, default=default_tokens)
    parser.add_argument("--chunk-overlap", type=int, default=default_overlap)
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"subset of {','.join(SYSTEMS)}"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="keep built week indexes here across runs (default: tmp)"
    )
    parser.add_argument("--keep-ranked", type=Path, help="also write the ranked JSONL here")
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="the MiniLM's runtime"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    if not SCORE_PY.is_file():
        print(f"skipped: evaluation data not found at {SHARED_BENCH}")
        return 0
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        print(f"unknown systems: {', '.join(unknown)} (known: {', '.join(SYSTEMS)})")
        return 0
    chosen = [w.strip() for w in args.weeks.split(",") if w.strip()] if args.weeks else None
    if chosen and args.split is None:
        halves = {"weeks": chosen}
    else:
        split = args.split or "dev"
        names = ["tune", "report"] if split == "both" else [split]
        halves = {
            name: sample(
                [w for w in split_weeks(name) if chosen is None or w in chosen], args.sample
            )
            for name in names
        }
    missing = []
    for weeks in halves.values():
        for week in weeks:
            try:
                week_dir(week)
            except KeyError:
                missing.append(week)
    if missing or not any(halves.values()):
        print(f"unknown or no weeks: {', '.join(missing) or '(none found)'}")
        return 0

    quiet_logging()

    from index.embed import make_embedder

    started = time.perf_counter()
    embedder = make_embedder("all-MiniLM-L6-v2", backend=args.backend)
    embedder.embed(["warm up"])
    load_s = time.perf_counter() - started

    results = {name: run_weeks(weeks, systems, args, embedder) for name, weeks in halves.items()}
    for result in results.values():
        result["target"] = {
            m: (result["ratio_vs_best_baseline"].get(m) or 0) >= TARGET_RATIO
            for m in TARGET_METRICS
        }
    meta = {
        "chunk_tokens": args.chunk_tokens,
        "chunk_overlap": args.chunk_overlap,
        "model_load_s": round(load_s, 2),
        "total_s": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps({**meta, "halves": results}, indent=1))
        return 0
    for name, result in results.items():
        print(
            f"\n{name}: {len(result['weeks'])} week(s) ({', '.join(result['weeks'])}), "
            f"{result['questions']} questions; newsdesk chunks {args.chunk_tokens}/"
            f"{args.chunk_overlap} tokens ({result['chunks']} chunks)\n"
        )
        print_table(result["scores"], result["ratio_vs_best_baseline"])
        print(
            "\ntimings: "
            + ", ".join(f"{k}={v}" for k, v in result["timings"].items())
            + "\nmean query ms: "
            + ", ".join(f"{k}={v}" for k, v in result["query_ms"].items())
        )
    if len(results) > 1:
        print()
        print_side_by_side(results)
    print(f"\nmodel load {meta['model_load_s']} s, total {meta['total_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
