"""Fit the learned choice of answer sentences (``bot/answer/choice.py``) on the tune split,
choose its regularisation and its relative floor by leave-one-week-out cross-validation there,
write ``bot/answer/data/choice.json``, and report the model it replaces (the committed one) and
the new one side by side on both splits.

    .venv/bin/python bench/fit_choice.py --cache-dir var/bench [--backend torch] \\
        [--tune-weeks W,W] [--report-weeks W,W]

Each question (and the unanswerable probes of ``bench/unanswerable.py``) is retrieved and
ranked as the app does, with the committed ranker and refusal (fit those first:
``bench/fit_ranker.py``). A candidate is a readable sentence of a passage the evidence gate
lets through, exactly as the answerer sees it; it is positive when it contains a gold answer
(case-insensitive, the benchmark's criterion). The model is fitted on pairs: within each
question, every positive candidate against every negative one (a logistic regression on the
differences of their standardised rows, each question weighing the same), because the answer
is the best sentence *of its question*, not a sentence likely in general. Questions without a
positive candidate teach nothing about the choice and are left out of the fit, not out of the
scores. Deterministic on given passages (lbfgs, weeks in date order). Never fitted on the
report split.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fit_ranker import Asked, ask_probes, pick, system_report  # noqa: E402
from bench.retrieval_quality import default_locale, quiet_logging  # noqa: E402
from bench.splits import SHARED_BENCH, split_weeks  # noqa: E402
from bench.unanswerable import probes  # noqa: E402
from index.embed import BACKENDS, DEFAULT_BACKEND  # noqa: E402

C_GRID = (0.01, 0.1, 1.0)
# A further sentence joins the answer above this share of the best one's score.
MIN_RELATIVE_GRID = (0.75, 0.85, 0.9, 0.95)
# Longer answers hold the gold more often, and a reader pays for every sentence: the floor is
# chosen among those whose answers quote at most this many sentences on average (a Discord
# reply of one or two sentences).
MAX_CITATIONS_PER_ANSWER = 1.75


@dataclass
class Question:
    """One answerable probe as the answerer sees it: its gate verdicts, candidate sentences
    with their feature rows and labels. Computed once; every model of the search only scores
    the rows and composes the answer."""

    asked: Asked
    info: Any
    weights: dict[str, float]
    found: list[Any]  # bot.answer.extractive.Found
    x: np.ndarray
    y: np.ndarray

    @property
    def week(self) -> str:
        return self.asked.probe.asked_of


def prepare(asked: Asked) -> Question:
    from bot.answer.extractive import candidate_rows, present
    from bot.answer.question import analyze_question
    from bot.answer.relevance import assess_passages, term_weights

    # The locale of the app's settings (home country, framing words): the app reads its
    # questions so, and the model must be fitted on the rows the app computes.
    info = analyze_question(asked.probe.question, default_locale())
    weights = term_weights(info, asked.passages)
    verdicts = assess_passages(info, asked.passages, weights)
    found, x = candidate_rows(info, verdicts, present(info, asked.passages))
    golds = [g.lower() for g in asked.probe.answers]
    y = np.array([any(g in f.text.lower() for g in golds) for f in found], dtype=np.int8)
    return Question(asked, info, weights, found, x, y)


def answer_with(q: Question, answerer: Any) -> Any:
    """What ``answerer.answer`` returns for the question, from the cached candidates."""
    from bot.answer.extractive import scored_candidates

    candidates = scored_candidates(answerer.choice, q.found, q.x)
    return answerer.compose(q.asked.probe.question, q.info, q.asked.passages, q.weights, candidates)


def fit(questions: Sequence[Question], c: float, min_relative: float) -> Any:
    """Pairwise logistic regression (no intercept: only differences within a question count)."""
    from sklearn.linear_model import LogisticRegression

    from bot.answer.choice import ChoiceModel

    used = [q for q in questions if q.y.any() and not q.y.all()]
    x = np.vstack([q.x for q in used])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    diffs: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for q in used:
        z = (q.x - mean) / scale
        pos, neg = z[q.y == 1], z[q.y == 0]
        d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, z.shape[1])
        diffs.append(d)
        weights.append(np.full(len(d), 1.0 / len(d)))  # each question weighs the same
    # Each pair both ways round (positive first: label 1; negative first: label 0).
    dx = np.vstack([*diffs, *(-d for d in diffs)])
    dy = np.repeat([1, 0], len(dx) // 2)
    sw = np.concatenate([*weights, *weights])
    model = LogisticRegression(C=c, max_iter=3000, fit_intercept=False)
    model.fit(dx, dy, sample_weight=sw / sw.mean())
    return ChoiceModel(
        mean=mean,
        scale=scale,
        coef=model.coef_[0].astype(np.float64),
        intercept=0.0,
        min_relative=min_relative,
        info={},
    )


def answer_rates(asked: Sequence[Asked], refusal: Any, answerer: Any) -> dict[str, float]:
    """Answerable probes through the refusal and the answerer (as ``system_report``): gold in
    the answer, gold in a cited passage, refused, sentences per answer."""
    gold = cited = refused = sentences = n = 0
    for a in asked:
        if not a.probe.answerable:
            continue
        n += 1
        if refusal is not None and refusal.probability_of(a.x) < refusal.threshold:
            refused += 1
            continue
        answer = answerer.answer(a.probe.question, a.passages)
        golds = [g.lower() for g in a.probe.answers]
        gold += any(g in answer.text.lower() for g in golds)
        cited += any(g in c.passage.text.lower() for c in answer.citations for g in golds)
        refused += answer.refused
        sentences += len(answer.citations) if not answer.refused else 0
    return {
        "gold_in_answer": round(gold / n, 4) if n else 0.0,
        "gold_in_cited": round(cited / n, 4) if n else 0.0,
        "refused": round(refused / n, 4) if n else 0.0,
        "citations_per_answer": round(sentences / max(n - refused, 1), 3),
        "n": n,
    }


def cross_validate(
    questions: Sequence[Question], refusal: Any
) -> dict[tuple[float, float], dict[str, float]]:
    """Leave one week out: fit on the other tune weeks, answer the held-out week's questions
    (those the refusal model lets through; the others count as refused)."""
    from bot.answer.extractive import ExtractiveAnswerer

    weeks = sorted({q.week for q in questions})
    out: dict[tuple[float, float], dict[str, float]] = {}
    for c in C_GRID:
        folds = {w: fit([q for q in questions if q.week != w], c, 0.0) for w in weeks}
        for floor in MIN_RELATIVE_GRID:
            gold = cited = refused = quoted = 0
            for q in questions:
                a = q.asked
                if refusal is not None and refusal.probability_of(a.x) < refusal.threshold:
                    refused += 1
                    continue
                answerer = ExtractiveAnswerer(
                    choice=replace(folds[q.week], min_relative=floor), locale=default_locale()
                )
                answer = answer_with(q, answerer)
                golds = [g.lower() for g in a.probe.answers]
                gold += any(g in answer.text.lower() for g in golds)
                cited += any(g in x.passage.text.lower() for x in answer.citations for g in golds)
                refused += answer.refused
                quoted += len(answer.citations)
            n = len(questions)
            out[(c, floor)] = {
                "gold_in_answer": round(gold / n, 4),
                "gold_in_cited": round(cited / n, 4),
                "refused": round(refused / n, 4),
                "citations_per_answer": round(quoted / max(n - refused, 1), 3),
                "n": n,
            }
            print(f"  C={c} floor={floor}: {out[(c, floor)]}", file=sys.stderr)
    return out


def run(
    tune_asked: Sequence[Asked],
    report_asked: Sequence[Asked],
    out_path: Path | None,
) -> Any:
    """Cross-validate, fit, write the model (unless ``out_path`` is None), print the report."""
    from bot.answer.choice import FEATURES, load_choice_model
    from bot.answer.confidence import load_refusal_model
    from bot.answer.extractive import ExtractiveAnswerer

    refusal = load_refusal_model()
    questions = [prepare(a) for a in tune_asked if a.probe.answerable]
    cv = cross_validate(questions, refusal)
    short = [k for k in cv if cv[k]["citations_per_answer"] <= MAX_CITATIONS_PER_ANSWER] or list(cv)
    best_c, best_floor = max(
        short, key=lambda k: (cv[k]["gold_in_answer"], cv[k]["gold_in_cited"], -k[0], k[1])
    )
    try:
        committed = ExtractiveAnswerer(choice=load_choice_model(), locale=default_locale())
    except ValueError as exc:  # fitted on other features: nothing to compare with
        print(f"the committed model is not comparable: {exc}", file=sys.stderr)
        committed = None
    committed_tune = answer_rates(tune_asked, refusal, committed) if committed else {}
    weeks = sorted({a.probe.asked_of for a in tune_asked})
    model = fit(questions, best_c, best_floor)
    model = replace(
        model,
        info={
            "fitted": datetime.now(UTC).date().isoformat(),
            "tune_weeks": weeks,
            "questions": len(questions),
            "positive_questions": sum(bool(q.y.any()) for q in questions),
            "C": best_c,
            "cv": cv[(best_c, best_floor)],
        },
    )
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out_path} (C={best_c}, floor={best_floor})", file=sys.stderr)

    learned = ExtractiveAnswerer(choice=model, locale=default_locale())
    print(f"\n{'answers (learned ranker + refusal)':44s}", end="")
    columns = {
        "tune committed": system_report(tune_asked, refusal, committed) if committed else {},
        "tune cv": {},
        "tune refit": system_report(tune_asked, refusal, learned),
        "report committed": system_report(report_asked, refusal, committed) if committed else {},
        "report refit": system_report(report_asked, refusal, learned),
    }
    cv_best = cv[(best_c, best_floor)]
    n = int(cv_best["n"])
    columns["tune cv"] = {
        "answerable: gold in the answer": f"{cv_best['gold_in_answer']:.3f} (n={n})",
        "answerable: gold in a cited passage": f"{cv_best['gold_in_cited']:.3f} (n={n})",
        "answerable: refused (false refusals)": f"{cv_best['refused']:.3f} (n={n})",
    }
    # Longer answers hold the gold more often: the two models must quote about as much.
    print(
        "citations per answer on tune: committed",
        committed_tune.get("citations_per_answer", "-"),
        "refit (cv)",
        cv_best["citations_per_answer"],
    )
    print("".join(f"{name:>18s}" for name in columns))
    for key in columns["tune refit"]:
        print(f"{key:44s}" + "".join(f"{col.get(key, '-'):>18s}" for col in columns.values()))
    print("features (standardised coefficients):")
    for name, coef in sorted(zip(FEATURES, model.coef, strict=True), key=lambda x: -abs(x[1])):
        print(f"  {name:18s} {coef:+.3f}")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--tune-weeks", help="comma-separated yyyymmdd (default: all tune weeks)")
    parser.add_argument("--report-weeks", help="comma-separated yyyymmdd (default: all)")
    parser.add_argument(
        "--out", type=Path, default=REPO / "bot" / "answer" / "data" / "choice.json"
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
    from index.rank import load_ranker

    ranker = load_ranker()
    if ranker is None:
        print("no ranker model: run bench/fit_ranker.py first", file=sys.stderr)
        return 1
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    tune = pick(split_weeks("tune"), args.tune_weeks)
    report = pick(split_weeks("report"), args.report_weeks)
    embedder = make_embedder("all-MiniLM-L6-v2", backend=args.backend)
    print(f"tune: {len(tune)} weeks; report: {len(report)} weeks", file=sys.stderr)
    tune_asked = ask_probes(probes(tune), ranker, args.cache_dir, embedder)
    report_asked = ask_probes(probes(report), ranker, args.cache_dir, embedder)
    run(tune_asked, report_asked, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
