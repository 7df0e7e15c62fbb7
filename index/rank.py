"""Learned ranking of candidate chunks: the signals search already computes, weighed by a small
model fitted on the tune split (``bench/fit_ranker.py``) instead of by hand.

Candidates are the union of the dense list, the keyword list, the archive's last week (asked
about the present) and the answer-type list. Each gets a row of :data:`FEATURES`; a logistic
model, standardised and stored as JSON beside this module, turns the row into the probability
that the chunk holds the answer. Everything here is pure (no I/O but :func:`load_ranker`), so
the fit script and the searcher compute the very same features.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.chunk import embedding_text
from index.keyword import tokenize
from index.models import Passage

logger = logging.getLogger(__name__)

DEFAULT_MODEL = Path(__file__).with_name("data") / "ranker.json"

# One name per column, in order. A model names the features it was fitted on, and loading one
# fitted on other columns fails loudly rather than scoring the wrong numbers.
FEATURES: tuple[str, ...] = (
    "dense_rr",  # 1 / (1 + rank) in the dense list, 0 if absent
    "dense_sim",  # cosine similarity to the question (the list's worst if absent)
    "dense_gap",  # best similarity minus this one
    "kw_rr",  # 1 / (1 + rank) in the keyword list, 0 if absent
    "kw_norm",  # BM25 score / the best BM25 score
    "both",  # in both lists
    "rrf",  # plain reciprocal-rank fusion of the two lists (k=60), scaled to [0, 1]
    "recent_rr",  # 1 / (1 + rank) in the last-week keyword list (asked about now), else 0
    "typed",  # holds the kind of answer asked for (who/where), when the question asks one
    "asks_type",  # the question asks for a kind of answer
    "undated",  # the article has no date
    "fresh7",  # exp(-age / 7 days), age before the archive's newest date; unknown if undated
    "fresh30",  # exp(-age / 30 days)
    "now_fresh7",  # fresh7 when the question asks about the present, else 0
    "past_fresh7",  # fresh7 when the question names an earlier year, else 0
    "year_in_text",  # the chunk states a year the question names
    "art_evidence",  # best two rrf scores of the article's other candidate chunks
    "art_chunks",  # log(1 + the article's candidate chunks)
    "coverage",  # share of the question's keyword terms found in title + chunk
    "title_cov",  # share of the question's keyword terms found in the title
    "lede",  # exp(-start offset / 1500 chars): the first paragraphs summarise a story
)


# (chunk ids, keyword terms) -> for each chunk, how many of the terms it holds, or None.
KeywordHeld = Callable[[Sequence[str], Collection[str]], list[int | None]]


@dataclass(frozen=True)
class Signals:
    """What search knows about one question's candidates before ranking them."""

    dense: Sequence[Passage]  # dense list in rank order, score = cosine similarity
    keyword: Sequence[tuple[str, float]]  # (chunk id, BM25 score) in rank order
    recent: Sequence[str]  # last-week keyword list (empty unless asked about now)
    typed: Collection[str] | None  # chunk ids holding the asked-for kind of answer, or None
    passages: Mapping[str, Passage]  # every candidate by chunk id
    newest: date | None  # the archive's newest date
    asks_now: bool
    names_past_year: bool
    question_years: Collection[int]
    question_terms: Collection[str]  # the question's keyword terms (stemmed)
    # How many of some keyword terms each chunk's title + text holds, read off the keyword
    # index (None for a chunk it does not hold); None: features tokenize the candidates.
    keyword_held: KeywordHeld | None = None


def candidate_ids(signals: Signals) -> list[str]:
    """The candidates, each once, in first-seen order (dense, keyword, recent)."""
    seen: dict[str, None] = {}
    for cid in (
        *(p.chunk_id for p in signals.dense),
        *(cid for cid, _ in signals.keyword),
        *signals.recent,
    ):
        if cid in signals.passages:
            seen.setdefault(cid, None)
    return list(seen)


def _ranks(ids: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for rank, cid in enumerate(ids):
        out.setdefault(cid, rank)
    return out


TYPED = FEATURES.index("typed")


def features(signals: Signals, ids: Sequence[str]) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate id."""
    rows = _untyped_features(signals, ids)
    if signals.typed is not None:
        rows[:, TYPED] = [float(cid in signals.typed) for cid in ids]
    return rows


def _untyped_features(signals: Signals, ids: Sequence[str]) -> np.ndarray:
    """:func:`features` with the ``typed`` column 0: whether a candidate holds the kind of
    answer asked for is the one costly signal (a pass over its names), left to the caller."""
    dense_rank = _ranks([p.chunk_id for p in signals.dense])
    dense_sim = {p.chunk_id: p.score for p in signals.dense}
    best_sim = max(dense_sim.values(), default=0.0)
    worst_sim = min(dense_sim.values(), default=0.0)
    kw_rank = _ranks([cid for cid, _ in signals.keyword])
    kw_score = dict(signals.keyword)
    best_kw = max(kw_score.values(), default=0.0) or 1.0
    recent_rank = _ranks(signals.recent)
    rrf = {
        cid: (
            (1 / (61 + dense_rank[cid]) if cid in dense_rank else 0.0)
            + (1 / (61 + kw_rank[cid]) if cid in kw_rank else 0.0)
        )
        * 30.5
        for cid in ids
    }
    by_article: dict[str, list[float]] = defaultdict(list)
    for cid in ids:
        by_article[signals.passages[cid].article_id].append(rrf[cid])
    q_terms = set(signals.question_terms)
    # The question's keyword terms in each candidate (title + chunk, as BM25 reads it) and in
    # its title: computed here, so the hand-set fusion, which reads none of them, pays nothing.
    held = _keyword_held(signals, ids, q_terms)
    rows = np.zeros((len(ids), len(FEATURES)), dtype=np.float64)
    for i, cid in enumerate(ids):
        p = signals.passages[cid]
        sim = dense_sim.get(cid, worst_sim)
        others = sorted(by_article[p.article_id], reverse=True)
        others.remove(rrf[cid])
        if p.published is None or signals.newest is None:
            age = None
        else:
            age = max(0, (signals.newest - p.published).days)
        # An undated article's age is unknown, not old: NaN, which the model reads as the
        # average candidate's (LinearRanker.score), so it is neither raised nor sunk.
        fresh7 = math.exp(-age / 7) if age is not None else math.nan
        rows[i] = (
            1 / (1 + dense_rank[cid]) if cid in dense_rank else 0.0,
            sim,
            best_sim - sim,
            1 / (1 + kw_rank[cid]) if cid in kw_rank else 0.0,
            kw_score.get(cid, 0.0) / best_kw,
            float(cid in dense_rank and cid in kw_rank),
            rrf[cid],
            1 / (1 + recent_rank[cid]) if cid in recent_rank else 0.0,
            0.0,  # typed: see features
            float(signals.typed is not None),
            float(p.published is None),
            fresh7,
            math.exp(-age / 30) if age is not None else math.nan,
            fresh7 if signals.asks_now else 0.0,
            fresh7 if signals.names_past_year else 0.0,
            float(any(str(y) in p.text for y in signals.question_years)),
            sum(others[:2]),
            math.log1p(len(by_article[p.article_id])),
            held[i] / len(q_terms) if q_terms else 0.0,
            len(q_terms & title_terms(p.title)) / len(q_terms) if q_terms else 0.0,
            math.exp(-p.start / 1500),
        )
    return rows


def _keyword_held(signals: Signals, ids: Sequence[str], q_terms: set[str]) -> list[int]:
    """How many of ``q_terms`` each candidate's title + chunk holds as BM25 reads it: from the
    keyword index where it holds the candidate (a few array lookups), else by tokenizing the
    candidate (~150 per query: most of the cost of ranking when done for all)."""
    if not q_terms:
        return [0] * len(ids)
    lookup = signals.keyword_held
    held = lookup(ids, q_terms) if lookup is not None else [None] * len(ids)
    missing = [i for i, count in enumerate(held) if count is None]
    if missing:
        passages = [signals.passages[ids[i]] for i in missing]
        tokens = tokenize([embedding_text(p.title, p.text) for p in passages])
        for i, terms in zip(missing, tokens, strict=True):
            held[i] = len(q_terms & set(terms))
    return [int(count or 0) for count in held]


def ranking(ranker: LinearRanker, signals: Signals) -> Iterator[tuple[str, float]]:
    """The candidates best first with the model's probabilities: the order and scores of
    ``ranker.score(features(signals, ids))`` sorted (ties in candidate order), yielded lazily.

    Whether a candidate holds the kind of answer asked for (``signals.typed``, a pass over its
    names) is asked only of candidates that might come next: every candidate is scored both
    ways, the better of the two is its bound, and a candidate is tested only when its bound
    leads all others (a threshold algorithm). A caller that reads the first few passages so
    tests a few of ~150 candidates. The scores are the very numbers the full matrix gives:
    scoring is row by row, and both matrices have the full matrix's shape."""
    ids = candidate_ids(signals)
    if not ids:
        return
    rows = _untyped_features(signals, ids)
    typed = signals.typed
    if typed is None:
        scores = ranker.score(rows).tolist()
        yield from sorted(zip(ids, scores, strict=True), key=lambda x: -x[1])
        return
    without = ranker.score(rows).tolist()
    rows[:, TYPED] = 1.0
    with_type = ranker.score(rows).tolist()
    # (-score, candidate index, exact): the lowest entry is the best bound, ties in candidate
    # order as a stable sort puts them; a bound that ties an exact score is tested first.
    heap = [
        (-max(lo, hi), i, False) for i, (lo, hi) in enumerate(zip(without, with_type, strict=True))
    ]
    heapq.heapify(heap)
    while heap:
        neg, i, exact = heapq.heappop(heap)
        if exact:
            yield ids[i], -neg
        else:
            score = with_type[i] if ids[i] in typed else without[i]
            heapq.heappush(heap, (-score, i, True))


# Titles recur across a story's chunks and across questions: their keyword terms are kept.
@lru_cache(maxsize=1 << 12)
def title_terms(title: str) -> frozenset[str]:
    """The keyword terms of a title, as BM25 tokenizes it."""
    return frozenset(tokenize([title])[0])


@dataclass(frozen=True)
class LinearRanker:
    """A standardised logistic model: ``sigmoid(((x - mean) / scale) . coef + intercept)``."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    info: Mapping[str, object]

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Probability that each candidate holds the answer; an unknown value (NaN: the age of
        an undated article) weighs as the fitted candidates' average."""
        if rows.size == 0:
            return np.zeros(0)
        rows = np.where(np.isnan(rows), self.mean, rows)
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.feature_names),
            "mean": self.mean.round(8).tolist(),
            "scale": self.scale.round(8).tolist(),
            "coef": self.coef.round(8).tolist(),
            "intercept": round(float(self.intercept), 8),
            "info": dict(self.info),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> LinearRanker:
        names = tuple(data["features"])  # type: ignore[arg-type]
        if names != FEATURES:
            raise ValueError(
                f"ranker fitted on other features ({len(names)} columns); "
                "refit it with bench/fit_ranker.py"
            )
        return cls(
            feature_names=names,
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
            info=dict(data.get("info") or {}),  # type: ignore[call-overload]
        )


def load_ranker(path: Path = DEFAULT_MODEL) -> LinearRanker | None:
    """The committed model, or None (search falls back to hand-set fusion) if there is none."""
    if not path.is_file():
        logger.info("no ranking model at %s: using the hand-set fusion", path)
        return None
    return LinearRanker.from_json(json.loads(path.read_text(encoding="utf-8")))
