"""Where newsdesk's retrieval loses the answer on RealTime QA 2023: a diagnostic, not a target.

For each question it runs the shipped ``Searcher.search`` (top 10 passages, one per article)
on the week's cached index and scores, with ``../shared/bench/score.py``:

* ``passages``: what search returns (the figure ``retrieval_quality.py`` reports);
* ``articles``: the same ranking judged by whole articles (does the article of passage i hold
  the gold answer anywhere?) -- the ceiling for better passages from the same ranking;
* ``oracle chunk``: each passage that misses the answer while its article holds it gets its
  lowest-ranked chunk swapped for the article's first gold-bearing chunk (same length) -- what
  a perfect choice of chunks within the returned articles would score.

Questions are split by whether any article at most ``--fresh-days`` older than the week's newest
one names the gold answer ("fresh": the week's own report is in the corpus) or only older ones do.

    .venv/bin/python bench/retrieval_gap.py --cache-dir /tmp/ndcache [--weeks ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.models import Passage

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.retrieval_quality import (  # noqa: E402 - after the sys.path line above
    DATASET,
    SCORE_PY,
    SHARED_BENCH,
    TOP_K,
    all_weeks,
    build_week_index,
    default_chunking,
    default_locale,
    load_score_module,
    quiet_logging,
    read_jsonl,
)
from index.embed import BACKENDS, DEFAULT_BACKEND  # noqa: E402

GROUPS = ("all", "fresh", "older only")
VIEWS = ("passages", "articles", "oracle chunk")
METRICS = ("mrr@10", "hit@10", "recall@1024tok")


def holds(text: str, golds: Sequence[str]) -> bool:
    low = text.lower()
    return any(g in low for g in golds)


def oracle_swap(passage: Passage, chunks: list[Passage], golds: Sequence[str]) -> str:
    """The passage with its last chunk replaced by the article's first gold-bearing chunk."""
    from index.search import stitch

    if holds(passage.text, golds):
        return passage.text
    gold = next((c for c in chunks if holds(c.text, golds)), None)
    if gold is None:
        return passage.text
    ids = passage.chunk_id.split("+")
    kept = [c for c in chunks if c.chunk_id in ids][: len(ids) - 1]
    return stitch([*kept, replace(gold, score=passage.score)]).text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", help="comma-separated week folders (default: all)")
    parser.add_argument("--cache-dir", type=Path, help="week indexes (shared with retrieval)")
    parser.add_argument("--fresh-days", type=int, default=7)
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="the MiniLM's runtime"
    )
    args = parser.parse_args(argv)
    if not DATASET.is_dir() or not SCORE_PY.is_file():
        print(f"skipped: evaluation data not found at {SHARED_BENCH}")
        return 0

    quiet_logging()

    from bot.app import make_searcher
    from index.embed import make_embedder

    score_mod = load_score_module()
    weeks = [w.strip() for w in args.weeks.split(",")] if args.weeks else all_weeks()
    chunk_tokens, chunk_overlap = default_chunking()
    embedder = make_embedder("all-MiniLM-L6-v2", backend=args.backend)
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="newsdesk-gap-") as tmp:
        cache_dir = args.cache_dir or Path(tmp)
        for week in weeks:
            store, _, _ = build_week_index(week, cache_dir, embedder, chunk_tokens, chunk_overlap)
            gen = store.open_current()
            by_article: dict[str, list[Passage]] = defaultdict(list)
            for chunk in gen.iter_all_passages():
                by_article[chunk.article_id].append(chunk)
            for chunks in by_article.values():
                chunks.sort(key=lambda c: c.start)
            dates = [a.published for a in gen.manifest.articles.values() if a.published]
            newest = max(dates) if dates else None
            searcher = make_searcher(store, embedder, default_locale())
            for q in read_jsonl(DATASET / week / "questions.jsonl"):
                golds = [a.lower() for a in q["answers"]]
                gold_articles = {
                    aid
                    for aid, chunks in by_article.items()
                    if holds(" ".join(c.text for c in chunks), golds)
                }
                fresh = newest is not None and any(
                    by_article[aid][0].published is not None
                    and (newest - by_article[aid][0].published).days <= args.fresh_days
                    for aid in gold_articles
                )
                passages = searcher.search(q["question"], TOP_K)
                views = {
                    "passages": [p.text for p in passages],
                    # An article "bears" the answer: give the scorer a passage that says so.
                    "articles": [
                        q["answers"][0] if p.article_id in gold_articles else p.text
                        for p in passages
                    ],
                    "oracle chunk": [
                        oracle_swap(p, by_article[p.article_id], golds) for p in passages
                    ],
                }
                for group in ("all", "fresh" if fresh else "older only"):
                    for view, texts in views.items():
                        rows[group].append(
                            {
                                "system": view,
                                "id": q["id"],
                                "answers": q["answers"],
                                "passages": texts,
                            }
                        )
            print(f"  week {week}", file=sys.stderr)

    print(
        f"\nRealTime QA 2023, {len(weeks)} week(s), top {TOP_K}; fresh = gold in an article "
        f"<= {args.fresh_days} days older than the week's newest\n"
    )
    header = f"{'questions':24s}{'view':16s}" + "".join(f"{m:>16s}" for m in METRICS)
    print(header)
    print("-" * len(header))
    for group in GROUPS:
        if not rows[group]:
            continue
        scores = score_mod.score(rows[group])
        for view in VIEWS:
            label = f"{group} ({scores[view]['n']})" if view == VIEWS[0] else ""
            # Article view: ranks only (its stand-in texts say nothing about token budgets).
            cells = [
                "-" if view == "articles" and m.startswith("recall") else f"{scores[view][m]:.4f}"
                for m in METRICS
            ]
            print(f"{label:24s}{view:16s}" + "".join(f"{c:>16s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
