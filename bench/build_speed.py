"""Index build speed: full build and no-change rebuild, each into a fresh temporary index.

Corpora: the five sample articles in ``data/articles`` and one week of RealTime QA
(``../shared/bench/realtimeqa-2023/<week>/articles.jsonl``; skipped with a message when the
evaluation data is absent). The embedding model is loaded once, before any timing.

    .venv/bin/python bench/build_speed.py [--week 20230929] [--no-week] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASET = SHARED_BENCH / "realtimeqa-2023"


def measure(name: str, path: Path, embedder: object, chunk_tokens: int, overlap: int) -> dict:
    from index.build import IndexBuilder
    from index.chunk import Chunker
    from index.store import IndexStore

    with tempfile.TemporaryDirectory(prefix="newsdesk-build-") as tmp:
        store = IndexStore(Path(tmp) / "index")
        builder = IndexBuilder(
            store, embedder, Chunker(chunk_tokens, overlap), max_file_bytes=200_000_000
        )
        t0 = time.perf_counter()
        full = builder.build([path])
        full_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = builder.build([path])
        again_s = time.perf_counter() - t0
    articles = full.added + full.updated + full.unchanged
    return {
        "corpus": name,
        "articles": articles,
        "chunks": full.chunks,
        "full_s": round(full_s, 2),
        "chunks_per_s": round(full.chunks / full_s, 1) if full_s else None,
        "nochange_s": round(again_s, 3),
        "nochange_embedded": again.embedded_chunks,
        "ratio_nochange_full": round(again_s / full_s, 4) if full_s else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    defaults = tomllib.loads((REPO / "config" / "defaults.toml").read_text(encoding="utf-8"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--week", default="20230929", help="RealTime QA week to build")
    parser.add_argument("--no-week", action="store_true", help="only the sample articles")
    parser.add_argument("--chunk-tokens", type=int, default=int(defaults["chunk_tokens"]))
    parser.add_argument("--chunk-overlap", type=int, default=int(defaults["chunk_overlap"]))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING)
    for noisy in ("index", "chromadb", "llama_index", "sentence_transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from index.embed import make_embedder

    t0 = time.perf_counter()
    embedder = make_embedder("all-MiniLM-L6-v2")
    embedder.embed(["warm up"])
    load_s = time.perf_counter() - t0

    corpora: list[tuple[str, Path]] = [("samples (data/articles)", REPO / "data" / "articles")]
    notes: list[str] = []
    if not args.no_week:
        week_file = DATASET / args.week / "articles.jsonl"
        if week_file.is_file():
            corpora.append((f"realtimeqa {args.week}", week_file))
        else:
            notes.append(f"skipped the RealTime QA week: {week_file} not found")
    results = [
        measure(name, path, embedder, args.chunk_tokens, args.chunk_overlap)
        for name, path in corpora
    ]
    if args.json:
        print(json.dumps({"model_load_s": round(load_s, 2), "results": results, "notes": notes}))
        return 0
    for note in notes:
        print(note)
    print(
        f"chunks {args.chunk_tokens}/{args.chunk_overlap} tokens, MiniLM on CPU "
        f"(model load {load_s:.1f} s, not counted)\n"
    )
    header = (
        f"{'corpus':26s}{'articles':>9s}{'chunks':>8s}{'full s':>9s}{'chunks/s':>10s}"
        f"{'no-change s':>13s}{'no-change/full':>16s}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['corpus']:26s}{r['articles']:9d}{r['chunks']:8d}{r['full_s']:9.2f}"
            f"{r['chunks_per_s']:10.1f}{r['nochange_s']:13.3f}{r['ratio_nochange_full']:16.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
