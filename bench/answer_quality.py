"""Answer quality on RealTime QA 2023: the default (extractive) answerer over each week's index.

The same weekly indexes as ``bench/retrieval_quality.py`` (``--cache-dir`` shares them, so a
cached run takes about a minute); each week's questions go through ``QAService.ask`` and are
judged by ``bot.evaluate`` exactly as ``newsdesk eval`` does: gold in the answer text, gold in
a cited passage, refusals (every question here has an answer in the week's articles).

    .venv/bin/python bench/answer_quality.py [--weeks 20230929,...] [--cache-dir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.retrieval_quality import (  # noqa: E402 - after the sys.path line above
    DATASET,
    all_weeks,
    build_week_index,
    default_chunking,
    default_locale,
    quiet_logging,
)
from index.embed import BACKENDS, DEFAULT_BACKEND  # noqa: E402

TOP_K = 10


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", help="comma-separated week folders (default: all)")
    parser.add_argument("--cache-dir", type=Path, help="week indexes (shared with retrieval)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="the MiniLM's runtime"
    )
    args = parser.parse_args(argv)
    if not DATASET.is_dir():
        print(f"skipped: evaluation data not found at {DATASET}")
        return 0

    quiet_logging("bot")

    from bot.answer.extractive import ExtractiveAnswerer
    from bot.app import make_searcher
    from bot.evaluate import Summary, judge, load_qa
    from bot.service import QAService
    from index.embed import make_embedder

    weeks = [w.strip() for w in args.weeks.split(",")] if args.weeks else all_weeks()
    chunk_tokens, chunk_overlap = default_chunking()
    embedder = make_embedder("all-MiniLM-L6-v2", backend=args.backend)
    summary = Summary(k=TOP_K)
    with tempfile.TemporaryDirectory(prefix="newsdesk-answers-") as tmp:
        cache_dir = args.cache_dir or Path(tmp)
        cache_dir.mkdir(parents=True, exist_ok=True)
        for week in weeks:
            store, _, _ = build_week_index(week, cache_dir, embedder, chunk_tokens, chunk_overlap)
            locale = default_locale()
            searcher = make_searcher(store, embedder, locale)
            service = QAService(searcher, ExtractiveAnswerer(locale=locale), top_k=TOP_K)
            items = load_qa(DATASET / week / "questions.jsonl")
            summary.add(judge(item, service.ask(item.question)) for item in items)
            if not args.json:
                print(f"  week {week}: {len(items)} questions", file=sys.stderr)
    result = {"weeks": weeks, **summary.to_json()}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"\nRealTime QA 2023, {len(weeks)} week(s), extractive answerer, top {TOP_K}\n")
    for key in (
        "questions",
        f"hit@{TOP_K}",
        f"mrr@{TOP_K}",
        "gold_in_answer",
        "gold_in_cited",
        "false_refusals",
    ):
        print(f"  {key:16s} {result[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
