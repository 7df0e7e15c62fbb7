"""Fit the learned chunk ranker (``index/rank.py``) on the tune split, choose its regularisation
by leave-one-week-out cross-validation there, write ``index/data/ranker.json``, and report the
hand-set fusion and the learned ranker side by side on the report split.

One command, deterministic (lbfgs logistic regression on fixed data; weeks in date order):

    .venv/bin/python bench/fit_ranker.py --cache-dir var/bench [--tune-weeks W,W] [--report-weeks W,W]

Week indexes are built (MiniLM, slow) or reused from ``--cache-dir``. Labels: a candidate chunk
is positive when it contains a gold answer (case-insensitive), the benchmark's own criterion.
Questions without any positive candidate teach nothing about ranking and are left out of the
fit, but not out of the scores. Never fitted on the report split: it is only scored.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import splits  # noqa: E402
from bench.retrieval_quality import load_score_module, quiet_logging  # noqa: E402

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
TOP_K = 10


@dataclass
class Item:
    """One question's candidates, features and labels, with the searcher that made them."""

    week: str
    qid: str
    answers: list[str]
    retrieved: Any
    ids: list[str]
    x: np.ndarray
    y: np.ndarray


def collect(weeks: Sequence[splits.Week], cache_dir: Path, embedder: Any) -> list[Item]:
    from bot.app import make_searcher
    from index.rank import candidate_ids, features

    items: list[Item] = []
    for week in weeks:
        t0 = time.perf_counter()
        store = splits.build_week_index(week, cache_dir, embedder)
        searcher = make_searcher(store, embedder, learned=False)
        for q in week.questions():
            golds = [a.lower() for a in q["answers"]]
            retrieved = searcher.retrieve(q["question"], TOP_K)
            ids = candidate_ids(retrieved.signals)
            x = features(retrieved.signals, ids)
            y = np.array(
                [any(g in retrieved.signals.passages[c].text.lower() for g in golds) for c in ids],
                dtype=np.int8,
            )
            item = Item(week.name, q["id"], q["answers"], retrieved, ids, x, y)
            item.searcher = searcher  # type: ignore[attr-defined]
            items.append(item)
        print(
            f"  {week.name} ({week.split}): {len(week.questions())} questions "
            f"in {time.perf_counter() - t0:.0f}s",
            file=sys.stderr,
        )
    return items


def fit(items: Sequence[Item], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    from index.rank import FEATURES, LinearRanker

    used = [it for it in items if it.y.any()]
    x = np.vstack([it.x for it in used])
    y = np.concatenate([it.y for it in used])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y)
    return LinearRanker(
        feature_names=FEATURES,
        mean=mean,
        scale=scale,
        coef=model.coef_[0].astype(np.float64),
        intercept=float(model.intercept_[0]),
        info={},
    )


def ranked_texts(item: Item, ranker: Any) -> list[str]:
    searcher = item.searcher  # type: ignore[attr-defined]
    if ranker is None:
        ranking = searcher._hand_fusion(item.retrieved)
    else:
        scores = ranker.score(item.x)
        ranking = sorted(zip(item.ids, scores.tolist(), strict=True), key=lambda x: -x[1])
    return [p.text for p in searcher.passages(item.retrieved, ranking, TOP_K)]


def evaluate(items: Sequence[Item], ranker: Any, score_mod: Any, system: str) -> dict[str, float]:
    rows = [
        {
            "system": system,
            "id": it.qid,
            "answers": it.answers,
            "passages": ranked_texts(it, ranker),
        }
        for it in items
    ]
    return score_mod.score(rows)[system] if rows else {}


def cross_validate(items: Sequence[Item], score_mod: Any) -> dict[float, dict[str, float]]:
    """Leave one week out: fit on the other tune weeks, rank the held-out week's questions."""
    weeks = sorted({it.week for it in items})
    out: dict[float, dict[str, float]] = {}
    for c in C_GRID:
        rows = []
        for held in weeks:
            model = fit([it for it in items if it.week != held], c)
            for it in items:
                if it.week == held:
                    passages = ranked_texts(it, model)
                    rows.append(
                        {"system": "cv", "id": it.qid, "answers": it.answers, "passages": passages}
                    )
        out[c] = score_mod.score(rows)["cv"]
        print(f"  C={c}: {out[c]}", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--tune-weeks", help="comma-separated yyyymmdd (default: all tune weeks)")
    parser.add_argument("--report-weeks", help="comma-separated yyyymmdd (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "index" / "data" / "ranker.json")
    args = parser.parse_args(argv)
    if not splits.available():
        print(f"skipped: no benchmark data at {splits.SHARED_BENCH}")
        return 0
    quiet_logging()
    from index.embed import make_embedder

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    tune = splits.weeks("tune", args.tune_weeks.split(",") if args.tune_weeks else None)
    report = splits.weeks("report", args.report_weeks.split(",") if args.report_weeks else None)
    embedder = make_embedder("all-MiniLM-L6-v2")
    score_mod = load_score_module()

    print(f"tune: {len(tune)} weeks", file=sys.stderr)
    tune_items = collect(tune, args.cache_dir, embedder)
    cv = cross_validate(tune_items, score_mod)
    best_c = max(C_GRID, key=lambda c: (cv[c]["mrr@10"] + cv[c]["recall@1024tok"], -c))
    model = fit(tune_items, best_c)
    hand_tune = evaluate(tune_items, None, score_mod, "hand")
    info = {
        "fitted": datetime.now(UTC).date().isoformat(),
        "tune_weeks": [w.name for w in tune],
        "questions": len(tune_items),
        "positive_questions": sum(bool(it.y.any()) for it in tune_items),
        "C": best_c,
        "cv": cv[best_c],
        "hand_fusion_on_tune": hand_tune,
    }
    model = type(model)(
        model.feature_names, model.mean, model.scale, model.coef, model.intercept, info
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (C={best_c})", file=sys.stderr)

    print(f"report: {len(report)} weeks", file=sys.stderr)
    report_items = collect(report, args.cache_dir, embedder)
    table = {
        ("tune (cv)", "learned"): cv[best_c],
        ("tune", "hand-set"): hand_tune,
        ("report", "hand-set"): evaluate(report_items, None, score_mod, "hand"),
        ("report", "learned"): evaluate(report_items, model, score_mod, "learned"),
    }
    metrics = ("mrr@10", "hit@10", "recall@512tok", "recall@1024tok", "recall@2048tok", "n")
    print(f"{'split':10s} {'ranking':10s}" + "".join(f"{m:>16s}" for m in metrics))
    for (split, system), row in table.items():
        print(f"{split:10s} {system:10s}" + "".join(f"{row.get(m, 0):>16}" for m in metrics))
    print("features (standardised coefficients):")
    for name, coef in sorted(
        zip(model.feature_names, model.coef, strict=True), key=lambda x: -abs(x[1])
    ):
        print(f"  {name:14s} {coef:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
