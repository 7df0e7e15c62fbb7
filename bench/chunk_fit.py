"""Does a chunk fit the embedder's window? MiniLM word pieces per chunk, for several chunk sizes.

all-MiniLM-L6-v2 reads at most 256 word pieces (``max_seq_length``); whatever a chunk has beyond
that is silently not embedded. Chunk sizes are set in cl100k tokens, and news English costs
more word pieces than cl100k tokens (names, numbers), so the fit has to be measured on what is
actually embedded: ``title + chunk`` (``index.chunk.embedding_text``).

Corpora: the sample articles and one RealTime QA week (skipped with a message when absent).
Only the tokenizer runs (no embedding), so this takes seconds.

    .venv/bin/python bench/chunk_fit.py [--sizes 128,180,220,256] [--week 20230929] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASET = SHARED_BENCH / "realtimeqa-2023"


def percentile(values: Sequence[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0


def measure(articles: Sequence, size: int, overlap: int, embedder) -> dict:
    from index.chunk import Chunker, embedding_text

    chunker = Chunker(size, overlap)
    window = embedder.max_seq_length
    pieces = [
        embedder.count_wordpieces(embedding_text(a.title, c.text))
        for a in articles
        for c in chunker.split(a)
    ]
    over = sum(1 for p in pieces if p > window)
    return {
        "chunk_tokens": size,
        "overlap": overlap,
        "chunks": len(pieces),
        "wordpieces_p50": percentile(pieces, 0.5),
        "wordpieces_p95": percentile(pieces, 0.95),
        "wordpieces_max": max(pieces, default=0),
        "window": window,
        "truncated_share": round(over / len(pieces), 4) if pieces else 0.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="128,180,220,256,320")
    parser.add_argument("--overlap-share", type=float, default=1 / 6, help="overlap / size")
    parser.add_argument("--week", default="20230929")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    from index.embed import make_embedder
    from index.sources import load_paths

    embedder = make_embedder("all-MiniLM-L6-v2")
    corpora = {"samples": [REPO / "data" / "articles"]}
    week_file = DATASET / args.week / "articles.jsonl"
    if week_file.is_file():
        corpora[f"realtimeqa {args.week}"] = [week_file]
    else:
        print(f"skipped the RealTime QA week: {week_file} not found")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    for name, paths in corpora.items():
        articles = load_paths(paths, max_bytes=200_000_000).articles
        for size in sizes:
            row = measure(articles, size, round(size * args.overlap_share), embedder)
            results.append({"corpus": name, **row})
    if args.json:
        print(json.dumps(results))
        return 0
    header = (
        f"{'corpus':24s}{'tokens':>7s}{'chunks':>8s}{'wp p50':>8s}{'wp p95':>8s}"
        f"{'wp max':>8s}{'> window':>10s}"
    )
    print(f"MiniLM window: {results[0]['window'] if results else '?'} word pieces\n")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['corpus']:24s}{r['chunk_tokens']:7d}{r['chunks']:8d}{r['wordpieces_p50']:8d}"
            f"{r['wordpieces_p95']:8d}{r['wordpieces_max']:8d}{r['truncated_share']:10.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
