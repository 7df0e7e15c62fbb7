"""Refusal as a calibrated probability: do the passages an answerer reads hold the answer?

The learned ranker (``index/rank.py``) scores each chunk with the probability that it holds the
answer; a passage carries its best chunk's. On-topic noise (last year's final, a preview written
before the result) ranks high but with a lower probability than the report of the result, and
a question about a year the passages never mention is not answered by them. A small logistic
model over those few signals, fitted by ``bench/fit_ranker.py`` on the tune split's answerable
and unanswerable questions, gives the probability; the threshold that keeps false refusals at
5% there is stored with it. Pure functions but :func:`load_refusal_model`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.dates import years
from index.models import Passage

logger = logging.getLogger(__name__)

DEFAULT_MODEL = Path(__file__).with_name("data") / "refusal.json"

FEATURES: tuple[str, ...] = (
    "top_p",  # the best passage's probability of holding the answer
    "mean3_p",  # mean of the best three
    "strong",  # passages above one half, over three (capped at 1)
    "year_missing",  # the question names a year no passage states nor was published in
    "year_missing_top",  # ... that the best passage does not state nor was published in
)


def refusal_features(question: str, passages: Sequence[Passage]) -> np.ndarray:
    """One row of :data:`FEATURES`; passages' scores must be ranker probabilities."""
    scores = sorted((p.score for p in passages), reverse=True)
    top3 = scores[:3]
    asked = years(question)

    def stated(p: Passage) -> set[int]:
        return years(p.title) | years(p.text) | ({p.published.year} if p.published else set())

    anywhere = set().union(*(stated(p) for p in passages)) if passages else set()
    best = max(passages, key=lambda p: p.score) if passages else None
    return np.array(
        [
            scores[0] if scores else 0.0,
            sum(top3) / len(top3) if top3 else 0.0,
            min(1.0, sum(s > 0.5 for s in scores) / 3),
            float(bool(asked) and not asked <= anywhere),
            float(bool(asked) and (best is None or not asked <= stated(best))),
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class RefusalModel:
    """``P(answerable) = sigmoid(x . coef + intercept)``; refuse below ``threshold``."""

    coef: np.ndarray
    intercept: float
    threshold: float
    info: Mapping[str, object]

    def probability_of(self, row: np.ndarray) -> float:
        z = float(row @ self.coef + self.intercept)
        return 1.0 / (1.0 + float(np.exp(-z)))

    def probability(self, question: str, passages: Sequence[Passage]) -> float:
        if not passages:
            return 0.0
        return self.probability_of(refusal_features(question, passages))

    def refuses(self, question: str, passages: Sequence[Passage]) -> bool:
        return self.probability(question, passages) < self.threshold

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "coef": self.coef.round(8).tolist(),
            "intercept": round(self.intercept, 8),
            "threshold": round(self.threshold, 6),
            "info": dict(self.info),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RefusalModel:
        if tuple(data["features"]) != FEATURES:  # type: ignore[arg-type]
            raise ValueError("refusal model fitted on other features; refit bench/fit_ranker.py")
        return cls(
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
            threshold=float(data["threshold"]),  # type: ignore[arg-type]
            info=dict(data.get("info") or {}),  # type: ignore[call-overload]
        )


def load_refusal_model(path: Path = DEFAULT_MODEL) -> RefusalModel | None:
    if not path.is_file():
        logger.info("no refusal model at %s: the evidence gate alone decides", path)
        return None
    return RefusalModel.from_json(json.loads(path.read_text(encoding="utf-8")))
