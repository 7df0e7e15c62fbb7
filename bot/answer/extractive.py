"""The default answerer: pick the sentences that answer the question, cite them, verify.

Every step but one is measurable string work; the choice of sentences is a small learned model
(``bot/answer/choice.py``, fitted by ``bench/fit_choice.py``). The most similar sentence often
restates the question instead of answering it (ARCHITECTURE.md, "Hard parts"), so the model
weighs what a sentence and its neighbours cover of the question against the kind of answer
each holds (a new number for "how many", a date for "when", a new name for "who"/"where").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from bot.answer.choice import FEATURES, ChoiceModel, load_choice_model, sentence_features
from bot.answer.citations import cited_answer
from bot.answer.lexicon import Locale
from bot.answer.models import REFUSAL_TEXT, Answer
from bot.answer.question import QuestionInfo, analyze_question
from bot.answer.relevance import (
    Relevance,
    SentenceEvidence,
    assess_passages,
    term_weights,
)
from bot.answer.sentences import is_question
from bot.answer.terms import content_terms, term_in, terms_vocabulary
from index.dates import asks_about_now, newest_date, years
from index.models import Passage

logger = logging.getLogger(__name__)


# Asked about now ("this week", "latest"), a sentence from an article this many days older than
# the newest passage is an earlier episode of the story (last year's recall, an old final).
STALE_DAYS = 60
# Sentences sharing this share of content terms are the same news told twice.
NEAR_DUPLICATE_JACCARD = 0.6
# ...and so are two whose own news (content terms beyond the question's) overlap this much,
# measured on the shorter one: "Kim made the remark during a meeting with Shoigu in Pyongyang"
# after "Kim made the comment during a meeting with Shoigu" (0.62; distinct facts of one story
# share 0.05-0.2).
SAME_NEWS_OVERLAP = 0.5
SAME_NEWS_MIN_SHARED = 3
MIN_WORDS, MAX_WORDS = 5, 80


@dataclass(frozen=True)
class Candidate:
    """A sentence that may answer the question, with where it came from and its score."""

    sentence: str
    passage_index: int  # 0-based position in the given (ranked) passages
    score: float
    terms: frozenset[str]
    position: int  # 0-based position among its passage's sentences

    def follows(self, other: Candidate) -> bool:
        """The sentence comes straight after ``other`` in the same passage."""
        return self.passage_index == other.passage_index and self.position == other.position + 1


@dataclass(frozen=True)
class Found:
    """A readable sentence of a relevant passage, where it stands (the choice scores it)."""

    text: str
    passage_index: int
    position: int


@dataclass(frozen=True)
class Now:
    """The archive's present, for questions about "this week" or "the latest"."""

    newest: date  # publication date of the newest passage

    def is_stale(self, passage: Passage) -> bool:
        return passage.published is not None and (
            (self.newest - passage.published).days > STALE_DAYS
        )

    def dates_the_past(self, sentence: str) -> bool:
        """The sentence is dated only to years before the present ("1987 — The Twins won")."""
        stated = years(sentence)
        return bool(stated) and max(stated) < self.newest.year


def present(
    info: QuestionInfo, passages: Sequence[Passage], *, today: date | None = None
) -> Now | None:
    """The archive's present when the question asks about now and names no year itself: the
    newest passage date not after ``today`` (a date in the future is a typo, not the present)."""
    if info.years or not asks_about_now(info.question):
        return None
    newest = newest_date((p.published for p in passages), until=today or date.today())
    return Now(newest) if newest else None


def readable(evidence: SentenceEvidence) -> bool:
    """The sentence can be quoted as an answer at all: a statement of readable length (whether
    it answers is the model's call, its neighbours' coverage included)."""
    n_words = len(evidence.text.split())
    # A question asserts nothing ("Who is Emmett Shear, the interim CEO?").
    return MIN_WORDS <= n_words <= MAX_WORDS and not is_question(evidence.text)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def same_news(a: frozenset[str], b: frozenset[str], question_terms: Sequence[str]) -> bool:
    """Two sentences (as content terms) tell the same news, the question's words aside."""
    if _jaccard(a, b) >= NEAR_DUPLICATE_JACCARD:
        return True
    asked = terms_vocabulary(tuple(question_terms))
    own_a = {t for t in a if not asked.holds(t)}
    own_b = {t for t in b if not asked.holds(t)}
    shared = len(own_a & own_b)
    # A short sentence shares a name and a weekday with anything on its story.
    if shared < SAME_NEWS_MIN_SHARED:
        return False
    return shared / min(len(own_a), len(own_b)) >= SAME_NEWS_OVERLAP


def anchor_term(best: Candidate, weights: Mapping[str, float]) -> str | None:
    """The rarest question term the best sentence holds: what the answer is about."""
    held = [t for t in weights if term_in(t, best.terms)]
    return max(held, key=lambda t: weights[t]) if held else None


def _select(
    candidates: list[Candidate],
    limit: int,
    weights: Mapping[str, float] | None,
    question_terms: Sequence[str],
    min_relative: float,
) -> list[Candidate]:
    """Best first; further picks from other passages where possible, none telling the same
    news as a sentence already picked.

    A further sentence must hold the best one's anchor term: asked how many *shells* were
    sent, a sentence on how many troops were sent is on topic but answers something else. The
    sentence straight after the best one need not: it goes on about the same thing, often
    without naming it again ("8,000 of them are in Kursk" after "10,000 were sent, according
    to Blinken")."""
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    floor = best.score * min_relative
    anchor = anchor_term(best, weights) if weights else None
    for require_new_passage in (True, False):
        for cand in ranked[1:]:
            if len(chosen) >= limit or cand.score < floor:
                break
            if cand in chosen:
                continue
            if anchor and not term_in(anchor, cand.terms) and not cand.follows(best):
                continue
            if require_new_passage and any(c.passage_index == cand.passage_index for c in chosen):
                continue
            if any(same_news(cand.terms, c.terms, question_terms) for c in chosen):
                continue
            chosen.append(cand)
    return chosen


def _untold(candidates: list[Candidate], told: Collection[str]) -> list[Candidate]:
    """Candidates that neither repeat nor restate a sentence already told (a repeat has the
    same terms, so ``same_news`` catches both). All their terms count here: asked for more on
    a story, its own names are no longer news either."""
    told_terms = [frozenset(content_terms(s)) for s in told]
    return [c for c in candidates if not any(same_news(c.terms, terms, ()) for terms in told_terms)]


# The sentence's final stop and any closing quotes or bracket after it.
_TRAILING_PUNCT = re.compile(r"[.!?][\"'”’)]*$")


def _with_marker(sentence: str, k: int) -> str:
    """Put ``[k]`` before the final full stop ("... 9 million rounds [3].", "... in the
    coming days [3].”")."""
    sentence = sentence.strip()
    end = _TRAILING_PUNCT.search(sentence)
    if end:
        return f"{sentence[: end.start()]} [{k}]{end.group()}"
    # A headline has no full stop; without one the citation check would read it and the next
    # sentence as one claim.
    return f"{sentence} [{k}]."


def candidate_rows(
    info: QuestionInfo, verdicts: Sequence[Relevance], now: Now | None
) -> tuple[list[Found], np.ndarray]:
    """Every readable sentence of the relevant passages, with its row of
    :data:`bot.answer.choice.FEATURES` (the fit script reads the very same rows)."""
    best_score = max((v.passage.score for v in verdicts), default=0.0)
    found: list[Found] = []
    rows: list[np.ndarray] = []
    for rank, verdict in enumerate(verdicts):
        if not verdict.relevant:
            continue
        for i, evidence in enumerate(verdict.evidence):
            if readable(evidence):
                found.append(Found(evidence.text, rank, i))
                rows.append(
                    sentence_features(
                        info,
                        verdict.evidence,
                        i,
                        rank,
                        passage=verdict.passage,
                        best_score=best_score,
                        now=now,
                    )
                )
    return found, np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))


# Dated to other years than the question asks about: the question's own year, or, asked about
# now, the present ("1987 - The Larks won the cup" is no answer to "who won this week?").
_OFF_DATE = [FEATURES.index("other_year"), FEATURES.index("past")]


def learned_candidates(
    model: ChoiceModel, info: QuestionInfo, verdicts: Sequence[Relevance], now: Now | None
) -> list[Candidate]:
    """Every readable sentence of the relevant passages, scored by the learned choice."""
    found, rows = candidate_rows(info, verdicts, now)
    return scored_candidates(model, found, rows)


def scored_candidates(
    model: ChoiceModel, found: Sequence[Found], rows: np.ndarray
) -> list[Candidate]:
    """:func:`candidate_rows`' sentences scored by ``model`` (the fit script scores its cached
    rows here too, so its cross-validation answers as the app does).

    A sentence dated to other years than the question's answers only when no other sentence
    can: a matter of what the question asks, not a weight to learn (such sentences are too
    rare in the tune weeks to teach it)."""
    if not found:
        return []
    scores = model.probability(rows)
    off_date = rows[:, _OFF_DATE].any(axis=1)
    keep = ~off_date if not off_date.all() else off_date
    return [
        Candidate(
            f.text, f.passage_index, float(score), frozenset(content_terms(f.text)), f.position
        )
        for f, score, kept in zip(found, scores, keep, strict=True)
        if kept
    ]


class ExtractiveAnswerer:
    """Answers with sentences quoted from the passages, each cited and verified."""

    def __init__(
        self,
        *,
        max_sentences: int = 3,
        locale: Locale | None = None,
        choice: ChoiceModel | None = None,
    ) -> None:
        """``choice``: the learned sentence choice; by default the committed model
        (:func:`bot.answer.choice.load_choice_model`)."""
        if max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")
        self.max_sentences = max_sentences
        self.locale = locale
        self.choice = choice if choice is not None else load_choice_model()

    def candidates(
        self,
        info: QuestionInfo,
        passages: Sequence[Passage],
        weights: Mapping[str, float] | None = None,
    ) -> list[Candidate]:
        """Every sentence of the relevant passages that can answer, scored."""
        verdicts = assess_passages(info, passages, weights)
        return learned_candidates(self.choice, info, verdicts, present(info, passages))

    def answer(
        self, question: str, passages: Sequence[Passage], *, told: Collection[str] = ()
    ) -> Answer:
        """Answer ``question`` from ``passages`` (ranked, best first), or refuse.

        ``told``: sentences the person has already been given ("tell me more" wants news, not
        the same lines again); neither they nor restatements of them are quoted."""
        info = analyze_question(question, self.locale)
        passages = list(passages)
        # One rarity table serves the gate and the choice of further sentences.
        weights = term_weights(info, passages)
        candidates = self.candidates(info, passages, weights)
        if told:
            candidates = _untold(candidates, told)
        return self.compose(question, info, passages, weights, candidates)

    def compose(
        self,
        question: str,
        info: QuestionInfo,
        passages: Sequence[Passage],
        weights: Mapping[str, float],
        candidates: list[Candidate],
    ) -> Answer:
        """The answer from scored candidates: the best ones, cited and checked (the fit script
        scores the same candidates with many models, so it enters here)."""
        chosen = _select(
            candidates, self.max_sentences, weights, info.terms, self.choice.min_relative
        )
        if not chosen:
            logger.info("refusing: no passage holds evidence for %r", question)
            return Answer.refusal(question, passages)
        draft = " ".join(_with_marker(c.sentence, c.passage_index + 1) for c in chosen)
        return cited_answer(question, draft, passages)


__all__ = ["REFUSAL_TEXT", "Candidate", "ExtractiveAnswerer"]
