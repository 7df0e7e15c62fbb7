"""Fit the learned chunk ranker (``index/rank.py``) on the tune split, choose its regularisation
by leave-one-week-out cross-validation there, write ``index/data/ranker.json``, and report the
hand-set fusion and the learned ranker side by side on the report split.

One command; the fit is deterministic on given candidates (lbfgs logistic regression, weeks in
date order), but Chroma's approximate dense search can return a slightly different candidate
set from one run to the next, which moves the weights by about 1e-4:

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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.retrieval_quality import (  # noqa: E402
    build_week_index,
    default_locale,
    load_score_module,
    quiet_logging,
    read_jsonl,
)
from bench.splits import SHARED_BENCH, split_weeks, week_dir  # noqa: E402
from bench.unanswerable import Probe, probes  # noqa: E402
from index.embed import BACKENDS, DEFAULT_BACKEND  # noqa: E402

C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
TOP_K = 10
# Answerable questions (whose passages hold the gold) refused on the tune split: the refusal
# threshold is the highest that keeps them at or below this share.
MAX_FALSE_REFUSALS = 0.05


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
    searcher: Any  # without a model: its ``rank`` is the hand-set fusion


_SEARCHERS: dict[str, Any] = {}


def searcher_for(week: str, cache_dir: Path, embedder: Any) -> Any:
    """The week's searcher (hand-set fusion; the fit script ranks with its own models)."""
    from bot.app import make_searcher

    if week not in _SEARCHERS:
        store, _, _ = build_week_index(week, cache_dir, embedder, 180, 30)
        _SEARCHERS[week] = make_searcher(store, embedder, default_locale(), learned=False)
    return _SEARCHERS[week]


def questions(week: str) -> list[dict[str, Any]]:
    return read_jsonl(week_dir(week) / "questions.jsonl")


def collect(weeks: Sequence[str], cache_dir: Path, embedder: Any) -> list[Item]:
    from index.rank import candidate_ids, features

    items: list[Item] = []
    for week in weeks:
        t0 = time.perf_counter()
        searcher = searcher_for(week, cache_dir, embedder)
        for q in questions(week):
            golds = [a.lower() for a in q["answers"]]
            retrieved = searcher.retrieve(q["question"], TOP_K)
            ids = candidate_ids(retrieved.signals)
            x = features(retrieved.signals, ids)
            y = np.array(
                [any(g in retrieved.signals.passages[c].text.lower() for g in golds) for c in ids],
                dtype=np.int8,
            )
            items.append(Item(week, q["id"], q["answers"], retrieved, ids, x, y, searcher))
        print(f"  {week}: {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    return items


def fit(items: Sequence[Item], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    from index.rank import FEATURES, LinearRanker

    used = [it for it in items if it.y.any()]
    x = np.vstack([it.x for it in used])
    y = np.concatenate([it.y for it in used])
    # Unknown values (an undated article's age) are the average, as LinearRanker.score reads them.
    mean = np.nanmean(x, axis=0)
    x = np.where(np.isnan(x), mean, x)
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
    searcher = item.searcher
    if ranker is None:
        ranking = searcher.rank(item.retrieved)
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


# -- refusal ---------------------------------------------------------------------------------
_GOLD_ARTICLES: dict[tuple[str, tuple[str, ...]], set[str]] = {}


def articles_holding(week: str, golds: Sequence[str]) -> set[str]:
    """Ids of the week's articles whose title or text contains a gold answer."""
    key = (week, tuple(golds))
    if key not in _GOLD_ARTICLES:
        wanted = [g.lower() for g in golds]
        _GOLD_ARTICLES[key] = {
            str(r["id"])
            for r in read_jsonl(week_dir(week) / "articles.jsonl")
            if any(g in f"{r.get('title') or ''}\n{r.get('text') or ''}".lower() for g in wanted)
        }
    return _GOLD_ARTICLES[key]


@dataclass
class Asked:
    probe: Probe
    passages: list[Any]  # what the answerer reads
    x: np.ndarray  # refusal features
    holds_gold: bool  # a gold answer is in the passages an answerer reads


def ask_probes(items: Sequence[Probe], ranker: Any, cache_dir: Path, embedder: Any) -> list[Asked]:
    """Each probe retrieved and ranked as the app would (the answerer's context: k passages,
    one chunk at least), with the gold articles hidden where the probe says so."""
    from bot.answer.confidence import refusal_features
    from index.rank import candidate_ids, features

    out: list[Asked] = []
    for probe in items:
        searcher = searcher_for(probe.asked_of, cache_dir, embedder)
        retrieved = searcher.retrieve(probe.question, TOP_K)
        hidden = articles_holding(probe.asked_of, probe.hide) if probe.hide else set()
        ids = [
            c
            for c in candidate_ids(retrieved.signals)
            if retrieved.signals.passages[c].article_id not in hidden
        ]
        if ranker is None:  # today's hand-set fusion, for comparison
            keep = set(ids)
            ranking = [(c, s) for c, s in searcher.rank(retrieved) if c in keep]
        else:
            scores = ranker.score(features(retrieved.signals, ids)) if ids else np.zeros(0)
            ranking = sorted(zip(ids, scores.tolist(), strict=True), key=lambda x: -x[1])
        passages = searcher.passages(retrieved, ranking, TOP_K, min_chunks=1)
        golds = [g.lower() for g in probe.answers]
        holds = any(g in p.text.lower() for p in passages for g in golds)
        out.append(Asked(probe, passages, refusal_features(probe.question, passages), holds))
    return out


def fit_refusal(asked: Sequence[Asked], info: dict[str, object]) -> Any:
    """Answerable questions whose passages hold the gold (1) against unanswerable ones (0);
    the threshold keeps at most MAX_FALSE_REFUSALS of the former refused."""
    from sklearn.linear_model import LogisticRegression

    from bot.answer.confidence import RefusalModel

    rows = [a for a in asked if not a.probe.answerable or a.holds_gold]
    x = np.vstack([a.x for a in rows])
    y = np.array([a.probe.answerable for a in rows], dtype=np.int8)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    fitted = RefusalModel(model.coef_[0].astype(np.float64), float(model.intercept_[0]), 0.0, info)
    positives = [fitted.probability_of(a.x) for a in rows if a.probe.answerable]
    threshold = float(np.quantile(positives, MAX_FALSE_REFUSALS)) if positives else 0.0
    return replace(fitted, threshold=threshold)


def refusal_report(asked: Sequence[Asked], model: Any) -> dict[str, object]:
    def rate(group: list[Asked]) -> str:
        if not group:
            return "-"
        refused = sum(model.probability_of(a.x) < model.threshold for a in group)
        return f"{refused / len(group):.3f} ({refused}/{len(group)})"

    answerable = [a for a in asked if a.probe.answerable]
    return {
        "unanswerable refused (other week)": rate(
            [a for a in asked if a.probe.kind == "other-week"]
        ),
        "unanswerable refused (other year)": rate(
            [a for a in asked if a.probe.kind == "other-year"]
        ),
        "answerable, gold in passages, refused": rate([a for a in answerable if a.holds_gold]),
        "answerable, all, refused": rate(answerable),
    }


def system_report(asked: Sequence[Asked], refusal: Any, answerer: Any) -> dict[str, str]:
    """The whole answer path on each probe: the refusal model, then the answerer (whose own
    evidence gate may refuse too), as ``QAService.ask`` runs them."""

    def share(hits: int, n: int) -> str:
        return f"{hits / n:.3f} ({hits}/{n})" if n else "-"

    tally: dict[str, list[int]] = {}

    def count(key: str, hit: bool) -> None:
        tally.setdefault(key, [0, 0])
        tally[key][0] += hit
        tally[key][1] += 1

    for a in asked:
        golds = [g.lower() for g in a.probe.answers]
        if refusal is not None and refusal.probability_of(a.x) < refusal.threshold:
            refused, text, cited = True, "", []
        else:
            answer = answerer.answer(a.probe.question, a.passages)
            refused = answer.refused
            text = answer.text.lower()
            cited = [c.passage.text.lower() for c in answer.citations]
        if a.probe.answerable:
            count("answerable: gold in the answer", any(g in text for g in golds))
            count(
                "answerable: gold in a cited passage",
                any(g in c for c in cited for g in golds),
            )
            count("answerable: refused (false refusals)", refused)
            if a.holds_gold:
                count(
                    "gold in passages: answered with it cited",
                    not refused and any(g in c for c in cited for g in golds),
                )
        else:
            count(f"unanswerable ({a.probe.kind}): refused", refused)
    return {key: share(*v) for key, v in sorted(tally.items())}


def pick(weeks: list[str], wanted: str | None) -> list[str]:
    """``weeks`` (one half), or those of them named in ``wanted`` (comma-separated)."""
    if not wanted:
        return weeks
    names = set(wanted.split(","))
    return [w for w in weeks if w in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--tune-weeks", help="comma-separated yyyymmdd (default: all tune weeks)")
    parser.add_argument("--report-weeks", help="comma-separated yyyymmdd (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "index" / "data" / "ranker.json")
    parser.add_argument(
        "--refusal-out",
        type=Path,
        default=REPO / "bot" / "answer" / "data" / "refusal.json",
    )
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="the MiniLM's runtime"
    )
    args = parser.parse_args(argv)
    if not (SHARED_BENCH / "realtimeqa-2024").is_dir():
        print(f"skipped: no benchmark data at {SHARED_BENCH}")
        return 0
    quiet_logging()
    from index.embed import make_embedder

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    tune = pick(split_weeks("tune"), args.tune_weeks)
    report = pick(split_weeks("report"), args.report_weeks)
    embedder = make_embedder("all-MiniLM-L6-v2", backend=args.backend)
    score_mod = load_score_module()

    print(f"tune: {len(tune)} weeks", file=sys.stderr)
    tune_items = collect(tune, args.cache_dir, embedder)
    cv = cross_validate(tune_items, score_mod)
    best_c = max(C_GRID, key=lambda c: (cv[c]["mrr@10"] + cv[c]["recall@1024tok"], -c))
    model = fit(tune_items, best_c)
    hand_tune = evaluate(tune_items, None, score_mod, "hand")
    info = {
        "fitted": datetime.now(UTC).date().isoformat(),
        "tune_weeks": list(tune),
        "questions": len(tune_items),
        "positive_questions": sum(bool(it.y.any()) for it in tune_items),
        "C": best_c,
        "cv": cv[best_c],
        "hand_fusion_on_tune": hand_tune,
    }
    model = replace(model, info=info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (C={best_c})", file=sys.stderr)

    print("refusal: tune probes", file=sys.stderr)
    tune_asked = ask_probes(probes(tune), model, args.cache_dir, embedder)
    refusal = fit_refusal(
        tune_asked,
        {
            "fitted": info["fitted"],
            "tune_weeks": info["tune_weeks"],
            "probes": len(tune_asked),
            "max_false_refusals": MAX_FALSE_REFUSALS,
        },
    )
    args.refusal_out.parent.mkdir(parents=True, exist_ok=True)
    args.refusal_out.write_text(json.dumps(refusal.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.refusal_out} (threshold {refusal.threshold:.3f})", file=sys.stderr)

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
    report_asked = ask_probes(probes(report), model, args.cache_dir, embedder)
    print()
    print(f"{'refusal':40s}{'tune':>20s}{'report':>20s}")
    tune_rep, report_rep = (
        refusal_report(tune_asked, refusal),
        refusal_report(report_asked, refusal),
    )
    for key in tune_rep:
        print(f"{key:40s}{tune_rep[key]:>20s}{report_rep[key]:>20s}")
    from bot.answer.extractive import ExtractiveAnswerer

    answerer = ExtractiveAnswerer(locale=default_locale())  # as the app reads questions
    tune_sys = system_report(tune_asked, refusal, answerer)
    report_sys = system_report(report_asked, refusal, answerer)
    # Today's path for comparison: hand-set fusion, no refusal model, the same answerer.
    hand_tune = system_report(
        ask_probes(probes(tune), None, args.cache_dir, embedder), None, answerer
    )
    hand_report = system_report(
        ask_probes(probes(report), None, args.cache_dir, embedder), None, answerer
    )
    print()
    print(
        f"{'answers (extractive answerer)':44s}{'tune hand':>16s}{'tune learned':>16s}"
        f"{'report hand':>16s}{'report learned':>16s}"
    )
    for key in tune_sys:
        print(
            f"{key:44s}{hand_tune.get(key, '-'):>16s}{tune_sys[key]:>16s}"
            f"{hand_report.get(key, '-'):>16s}{report_sys.get(key, '-'):>16s}"
        )
    print("features (standardised coefficients):")
    for name, coef in sorted(
        zip(model.feature_names, model.coef, strict=True), key=lambda x: -abs(x[1])
    ):
        print(f"  {name:14s} {coef:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
