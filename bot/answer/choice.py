"""Learned choice of answer sentences: does this sentence, read with its neighbours, answer the
question?

Every readable sentence of a passage the evidence gate lets through is a candidate, not only
those whose own window covers the question: the answer is often one sentence away from the one
that restates the question ("It carried 1,200 passengers" after "The ferry made its first
day"). Its signals (coverage of the question, the kind of answer it holds, what it adds, dates,
the passage's rank) and those of the sentences before and after it are weighed by a small
linear model fitted on the tune split by ``bench/fit_choice.py``: pairwise, so that within one
question a sentence holding the answer outscores one that does not. Pure functions but
:func:`load_choice_model`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.answer.quantities import numbers
from bot.answer.question import AnswerKind, QuestionInfo
from bot.answer.relevance import SentenceEvidence
from bot.answer.sentences import quotations
from bot.answer.terms import content_terms, terms_vocabulary, text_vocabulary
from index.dates import years
from index.models import Passage

if TYPE_CHECKING:
    from bot.answer.extractive import Now

DEFAULT_MODEL = Path(__file__).with_name("data") / "choice.json"

TYPED_KINDS = frozenset(
    {AnswerKind.WHO, AnswerKind.WHEN, AnswerKind.WHERE, AnswerKind.HOW_MANY, AnswerKind.HOW_MUCH}
)
# Long sentences are capped here: past it, length says nothing more.
LENGTH_SCALE = 40

FEATURES: tuple[str, ...] = (
    "coverage",  # rarity-weighted share of the question's terms in the sentence
    "window",  # ... in the sentence, the two before it and the title
    "answer_type",  # holds the kind of answer asked for (0..1), typed questions only
    "typed",  # the question asks for a kind of answer (who, when, how many, ...)
    "fresh",  # share of the sentence's content terms the question does not have
    "restates",  # fewer than two terms the question does not have: adds nothing
    "other_year",  # states years, none of them the question's
    "past",  # asked about now, dated only to earlier years than the archive's newest
    "stale",  # asked about now, from an article long before the newest
    "figures",  # share of the question's own figures ("$700 million") it states
    "rank_rr",  # 1 / (1 + the passage's rank)
    "passage_rel",  # the passage's score over the best passage's
    "length",  # words / LENGTH_SCALE, capped at 1
    "position",  # 1 / (1 + the sentence's position in its passage)
    "prev_coverage",  # the sentence before: its coverage (0 if none) ...
    "prev_answer_type",  # ... and its answer type
    "next_coverage",  # the sentence after
    "next_answer_type",
    "supports",  # its window (it, the two before, the title) covers the question's key content
    "window_entities",  # rarity-weighted share of the question's entities in that window
    "prev_supports",  # the sentence before supports the question (this one may continue it)
    # Asked what someone said ("what did she call it?"), it quotes someone's words and its
    # window supports the question (a quotation about something else answers nothing); asked
    # what she said of something ("... warn the situation could become?"), the quotation
    # speaks of it.
    "quotes",
)


# Share of the said clause's terms a quotation must hold to speak of what was asked.
MIN_CLAUSE_QUOTED = 0.5


def quotes_what_was_asked(info: QuestionInfo, sentence: str) -> bool:
    """Asked what someone said, the sentence quotes words that answer: any quotation when the
    question asks for her words ("what did she call it?"), one that speaks of the clause when
    it asks what she said of something ("what did she warn the situation could become?")."""
    quoted = quotations(sentence)
    if not info.asks_words or not quoted:
        return False
    if not info.said_clause:
        return True
    held = text_vocabulary(" ".join(quoted)).held(info.said_clause)
    return len(held) >= MIN_CLAUSE_QUOTED * len(set(info.said_clause))


def _fresh(info: QuestionInfo, terms: Sequence[str]) -> set[str]:
    asked = terms_vocabulary(info.terms)
    return {t for t in terms if not asked.holds(t)}


def sentence_features(
    info: QuestionInfo,
    evidence: Sequence[SentenceEvidence],
    i: int,
    rank: int,
    *,
    passage: Passage,
    best_score: float,
    now: Now | None = None,
) -> np.ndarray:
    """One row of :data:`FEATURES` for sentence ``i`` of a passage judged as ``evidence`` (all
    its sentences, in order), the passage being ``rank``-th (0-based) of those given."""
    ev = evidence[i]
    typed = info.kind in TYPED_KINDS
    terms = content_terms(ev.text)
    fresh = _fresh(info, terms)
    # Share of the sentence's words the question lacks (1 - the hand-set score's "focus").
    fresh_share = sum(1 for t in terms if t in fresh) / len(terms) if terms else 0.0
    stated = years(ev.text)
    figures = len(info.figures & numbers(ev.text)) / len(info.figures) if info.figures else 0.0
    prev = evidence[i - 1] if i > 0 else None
    nxt = evidence[i + 1] if i + 1 < len(evidence) else None

    def typed_score(e: SentenceEvidence | None) -> float:
        return e.answer_type if e is not None and typed else 0.0

    return np.array(
        [
            ev.term_coverage,
            ev.window_term_coverage,
            typed_score(ev),
            float(typed),
            fresh_share,
            float(len(fresh) < 2),
            float(bool(info.years) and bool(stated) and not stated & info.years),
            float(now is not None and now.dates_the_past(ev.text)),
            float(now is not None and now.is_stale(passage)),
            figures,
            1.0 / (1 + rank),
            passage.score / best_score if best_score > 0 else 0.0,
            min(1.0, len(ev.text.split()) / LENGTH_SCALE),
            1.0 / (1 + i),
            prev.term_coverage if prev is not None else 0.0,
            typed_score(prev),
            nxt.term_coverage if nxt is not None else 0.0,
            typed_score(nxt),
            float(ev.supports),
            ev.window_entity_coverage,
            float(prev is not None and prev.supports),
            float(ev.supports and quotes_what_was_asked(info, ev.text)),
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class ChoiceModel:
    """``score = sigmoid(((x - mean) / scale) . coef + intercept)``, higher for the sentence
    likelier to hold the answer (fitted on pairs, so it orders the sentences of one question;
    it is not a probability across questions, which is the refusal's job); a further sentence
    joins the answer only above ``min_relative`` of the best one's score."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    min_relative: float
    info: Mapping[str, object]

    def probability(self, rows: np.ndarray) -> np.ndarray:
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "mean": self.mean.round(8).tolist(),
            "scale": self.scale.round(8).tolist(),
            "coef": self.coef.round(8).tolist(),
            "intercept": round(self.intercept, 8),
            "min_relative": self.min_relative,
            "info": dict(self.info),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ChoiceModel:
        if tuple(data["features"]) != FEATURES:  # type: ignore[arg-type]
            raise ValueError("choice model fitted on other features; refit bench/fit_choice.py")
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
            min_relative=float(data["min_relative"]),  # type: ignore[arg-type]
            info=dict(data.get("info") or {}),  # type: ignore[call-overload]
        )


def load_choice_model(path: Path = DEFAULT_MODEL) -> ChoiceModel:
    """The fitted model at ``path`` (by default the committed one, package data)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the sentence-choice model {path}: {exc}") from exc
    return ChoiceModel.from_json(data)
