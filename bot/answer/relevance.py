"""The evidence gate: does any passage hold what the question asks for?

Similarity scores do not separate on-topic noise from evidence (ARCHITECTURE.md, "Hard parts"):
last year's final and a preview written before the result score as high as the report of the
result. So the gate checks what is measurable in the text itself:

1. every year the question names occurs in the passage (or its title, or its publication year);
2. the question's named entities occur in the passage (one of two or three, or a third of more,
   may be missing: "Pyongyang" stands for "North Korea", and "... GOP debate" survives a
   passage that never says "GOP");
3. at least half of the question's content terms occur in the passage;
4. some sentence of the passage, read with the two sentences before it and the title, covers the
   question's key content -- weighted by rarity among the given passages, so the entity that
   distinguishes the question ("Iran" among passages that all say "Russia") must be there --
   and, for who / when / where / how-many questions, that sentence or the one after it holds a
   fitting answer: a number the question does not already state, a date, a name the question
   does not contain.

Passages that fail are not evidence; if none passes, the answerer refuses.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from bot.answer.lexicon import Locale
from bot.answer.names import Name, is_title_or_calendar, iter_names
from bot.answer.places import is_known_place, is_located
from bot.answer.quantities import counts, is_unit, measured, stated, stated_money, unit_after
from bot.answer.question import AnswerKind, QuestionInfo, analyze_question
from bot.answer.sentences import refers_back, refers_back_to_thing, split_sentences
from bot.answer.terms import (
    Vocabulary,
    content_terms,
    is_country,
    term_in,
    terms_vocabulary,
    text_vocabulary,
    word_term,
)
from index.dates import has_date, without_dates, years
from index.models import Passage

logger = logging.getLogger(__name__)

# Passage level: share of the question's content terms that must occur in the passage. Only
# 40%, because a question paraphrases its source ("shells ... sent" for "shipped ... rounds of
# artillery"); entities and years are checked separately and strictly. Hand-set, like the
# window thresholds below: the gate is the part of the answerer not yet fitted.
MIN_PASSAGE_TERM_COVERAGE = 0.4
# Sentence window (sentence + two previous sentences + title): rarity-weighted share of the question's
# terms (0.4, paraphrase again) and of its entity weight (0.5: the distinguishing entity must be
# there, while "North Korea sent ... troops" may omit the ubiquitous "Russia").
MIN_WINDOW_TERM_COVERAGE = 0.4
MIN_WINDOW_ENTITY_COVERAGE = 0.5
CONTEXT_SENTENCES = 2
# Answer-type strength (0..1) a sentence needs to count as answering a typed question.
MIN_ANSWER_TYPE = 0.5
# Asked where, a new name that is neither a known place (a country, a US state) nor put on the
# map by "in"/"from"/"near" may still be one ("Plains"), so it passes, below a placed name.
WHERE_UNPLACED_NAME = 0.6

_TYPED_KINDS = frozenset(
    {AnswerKind.WHO, AnswerKind.WHEN, AnswerKind.WHERE, AnswerKind.HOW_MANY, AnswerKind.HOW_MUCH}
)


@dataclass(frozen=True)
class SentenceEvidence:
    """One sentence of a passage judged against a question."""

    text: str
    index: int  # position of the sentence in the passage
    # Rarity-weighted share of question terms in the sentence alone, with the names of the
    # sentence before when it speaks of them by a pronoun.
    term_coverage: float
    window_term_coverage: float  # ... in sentence + two previous sentences + title
    window_entity_coverage: float  # rarity-weighted share of question entities in the window
    answer_type: float  # 0..1, see answer_type_score

    @property
    def supports(self) -> bool:
        """The window covers the question's key content (answer type not considered)."""
        return (
            self.window_term_coverage >= MIN_WINDOW_TERM_COVERAGE
            and self.window_entity_coverage >= MIN_WINDOW_ENTITY_COVERAGE
        )


@dataclass(frozen=True)
class Relevance:
    """The gate's verdict on one passage, with the reason for a rejection."""

    passage: Passage
    relevant: bool
    reason: str
    term_coverage: float = 0.0
    entity_coverage: float = 0.0
    evidence: tuple[SentenceEvidence, ...] = ()


def _vocabulary(text: str) -> Vocabulary:
    return text_vocabulary(text)


def _asked(info: QuestionInfo) -> tuple[str, ...]:
    """What the checks look for in a text: the question's terms and its entities' tokens."""
    return tuple(dict.fromkeys((*info.terms, *(t for e in info.entities for t in e))))


def passage_text(passage: Passage) -> str:
    """The passage with its title, so a title that names the subject counts as context."""
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text


def term_weights(info: QuestionInfo, passages: Sequence[Passage]) -> dict[str, float]:
    """IDF-like weight of each question term across the given passages.

    A term every passage contains tells nothing about which passage answers; a term only one
    passage contains is what the question is really about. A name no passage contains gets the
    top weight (it is what is missing); an ordinary word no passage contains gets half of it,
    being mostly the question's own wording ("shells" where the articles say "rounds").
    """
    vocabularies = [_vocabulary(passage_text(p)) for p in passages]
    n = max(len(vocabularies), 1)
    top = math.log(1.0 + n)
    names = info.entity_terms
    weights: dict[str, float] = {}
    for term in info.terms:
        df = sum(1 for vocab in vocabularies if term_in(term, vocab))
        if df:
            weights[term] = math.log(1.0 + n / df)
        else:
            weights[term] = top if term in names else top / 2
    return weights


# The checks below take ``held``: those of the question's terms (see ``_asked``) a text holds,
# found once per text with ``Vocabulary.held``, so that a window of sentences is the union of
# its sentences' sets rather than a vocabulary of its own to search again.


def _weighted_coverage(
    terms: Iterable[str], held: AbstractSet[str], weights: Mapping[str, float]
) -> float:
    terms = list(dict.fromkeys(terms))
    total = sum(weights.get(t, 1.0) for t in terms)
    if total == 0:
        return 1.0
    found = sum(weights.get(t, 1.0) for t in terms if t in held)
    return found / total


def _entity_found(entity: tuple[str, ...], held: AbstractSet[str]) -> bool:
    """An entity is found when at least half its tokens are ("Sergei Shoigu" ~ "Shoigu"); a
    country of several words by the word that qualifies it, written first ("the North" is
    North Korea, while "North Korea" holds only the "Korea" of South Korea, another country)."""
    if is_country(entity) and len(entity) > 1:
        return entity[0] in held
    hits = sum(1 for token in entity if token in held)
    return hits * 2 >= len(entity)


def _entity_coverage(
    info: QuestionInfo, held: AbstractSet[str], weights: Mapping[str, float]
) -> float:
    """Rarity-weighted share of the question's entities found (``held``: see above)."""
    if not info.entities:
        return 1.0
    total = found = 0.0
    for entity in info.entities:
        weight = max(weights.get(token, 1.0) for token in entity)
        total += weight
        if _entity_found(entity, held):
            found += weight
    return found / total if total else 1.0


def _new_names(info: QuestionInfo, sentence: str) -> Iterator[tuple[Name, int, bool]]:
    """Each name run in ``sentence`` with tokens the question lacks: (name, count of its
    tokens but titles, is a lone sentence-initial word).

    Title words ("Minister"), calendar words and the question's own terms are not new. Lazy:
    a caller that has seen what it needs (a full name, a place) reads no further.
    """
    asked = terms_vocabulary(info.terms)
    for name in iter_names(sentence):
        proper = [t for t in name.terms if not is_title_or_calendar(t)]
        if any(not asked.holds(t) for t in proper):
            yield name, len(proper), name.lone_opening


# What a number counts is written right after it ("9 million rounds of mixed artillery").
COUNTED_WORDS = 5
# ... or, after "of them", in the sentence before ("10,000 soldiers were sent. 8,000 of them
# are in Kursk"): a partitive pronoun counts part of what was just named.
_PARTITIVE = re.compile(r"\s*(?:of|among)\s+(?:them|these|those|whom)\b", re.IGNORECASE)


def _prices_what_is_asked(info: QuestionInfo, sentence: str, before: str) -> bool:
    """The sentence speaks of what the question prices: "Tickets cost $550" is no price of a
    plane, even after a sentence on the plane; "It cost $40 million" speaks of what the
    sentence ``before`` named."""
    said = content_terms(sentence)
    if refers_back_to_thing(sentence):
        said += content_terms(before)
    priced = terms_vocabulary(info.priced)
    return any(priced.holds(t) for t in said)


def _count_score(info: QuestionInfo, sentence: str, before: str = "") -> float:
    """1.0 for a new number followed by what the question counts ("how many shells": "9
    million rounds of artillery"; "8,000 of them" when the sentence ``before`` named it), 0.5
    for a new number of something else ("11,000 troops"), 0 for none. Dates and times are not
    counts ("June 4", "7:25 p.m."), nor a name's number ("Boeing 777"), nor the question's own
    numbers; asked how many of a thing, nor a measure ("80 miles"). Asked about money, only an
    amount of money counts ("$550", not "550 passengers"). Nothing counts when the sentence
    (and the one before) tells another event than the question's ("10,000 soldiers have been
    sent" asked how many were killed), or prices another thing."""
    if info.event and not info.event & {*content_terms(sentence), *content_terms(before)}:
        return 0.0
    if info.priced and not _prices_what_is_asked(info, sentence, before):
        return 0.0
    text = without_dates(sentence)
    found = stated_money(text) if info.asks_money else counts(text)
    fresh = [(v, end) for v, end in found if v not in info.numbers]
    if info.counted and not any(is_unit(t) for t in info.counted):
        # Asked how many of a thing, a measure ("80 miles", "an eight-hour flight") or an
        # amount of money ("$550") counts none.
        money = {end for _, end in stated_money(text)}
        fresh = [(v, end) for v, end in fresh if end not in money and not unit_after(text, end)]
    if not fresh:
        return 0.0
    if not info.counted:
        return 1.0
    counted = terms_vocabulary(info.counted)
    for _, end in fresh:
        if _PARTITIVE.match(text, end):
            after = before
        else:
            after = " ".join(text[end:].split()[:COUNTED_WORDS])
        if any(counted.holds(t) for t in content_terms(after)):
            return 1.0
    return 0.5


def _measure_score(info: QuestionInfo, sentence: str, before: str = "") -> float:
    """Asked for a measure ("What is the population of Norvale?"): 1.0 for a new number
    stated in a word of that measure ("120,000 residents"), or any new number when the
    sentence or the one ``before`` names the measure ("Its population grew. It now has
    120,000."); 0 otherwise: "80 miles from the border" states no population."""
    text = without_dates(sentence)
    fresh = [(v, end) for v, end in stated(text) if v not in info.numbers]
    if not fresh:
        return 0.0
    if any(v not in info.numbers for v, _ in measured(text, info.measure)):
        return 1.0
    named = terms_vocabulary((word_term(info.measure),))
    said = content_terms(sentence) + content_terms(before)
    return 1.0 if any(named.holds(t) for t in said) else 0.0


def answer_type_score(info: QuestionInfo, sentence: str, before: str = "") -> float:
    """How well ``sentence`` holds the kind of answer the question expects (0..1); ``before``:
    the sentence before it, if known (what "8,000 of them" counts).

    how many / how much: a number the question does not already contain, outside dates (a
    year or "June 4" is a date, not a count), best one followed by what the question counts. when: a date expression. who: a new name, best a
    multi-word one (a person's full name; a country or state is no person, though a nation or
    a team may be the answer: it counts as a single word), weaker a single word, weakest a lone
    sentence-initial capital (could be any word).
    where: a new name that is a known place or follows "in"/"from"/"near" (1.0), another new name
    (0.6). Other kinds: 1.0 when the sentence adds at least two new content words.
    """
    kind = info.kind
    if info.measure:
        return _measure_score(info, sentence, before)
    if kind in (AnswerKind.HOW_MANY, AnswerKind.HOW_MUCH):
        return _count_score(info, sentence, before)
    if kind is AnswerKind.WHEN:
        stripped = sentence
        for year in info.years:
            stripped = stripped.replace(str(year), "")
        return 1.0 if has_date(stripped) else 0.0
    if kind is AnswerKind.WHERE:
        best = 0.0
        for name, _, initial_only in _new_names(info, sentence):
            if is_known_place(name.text) or is_located(name.text, sentence):
                return 1.0
            best = max(best, 0.3 if initial_only else WHERE_UNPLACED_NAME)
        return best
    if kind is AnswerKind.WHO:
        best = 0.0
        head = terms_vocabulary((info.head,)) if info.head else None
        for name, size, initial_only in _new_names(info, sentence):
            if initial_only:
                best = max(best, 0.3)
            elif size >= 2 and not (is_country(name.terms) or is_known_place(name.text)):
                # A full name with a word the question lacks is someone else: "Kim Yo-jong"
                # asked about Kim Jong Un. The most there is: the names after it need not be read.
                return 1.0
            elif head is not None and any(head.holds(t) for t in name.terms):
                return 1.0  # asked "which airline", a name of one: "Alaska Airlines"
            else:
                best = max(best, 0.7)
        return best
    asked = terms_vocabulary(info.terms)
    fresh_terms = {t for t in content_terms(sentence) if not asked.holds(t)}
    return 1.0 if len(fresh_terms) >= 2 else 0.5


def sentence_evidence(
    info: QuestionInfo, passage: Passage, weights: Mapping[str, float]
) -> list[SentenceEvidence]:
    """Judge every sentence of ``passage`` against the question."""
    asked = _asked(info)
    title_held = _vocabulary(passage.title).held(asked) if passage.title else frozenset()
    sentences = split_sentences(passage.text)
    held = [_vocabulary(s).held(asked) for s in sentences]
    names = info.entity_terms
    out: list[SentenceEvidence] = []
    for i, sentence in enumerate(sentences):
        # The two sentences before carry what "it", "the flight", "the two ministers" refer to.
        window = held[i] | title_held
        for j in range(max(0, i - CONTEXT_SENTENCES), i):
            window |= held[j]
        # "In May, he unveiled a resort": he is whom the sentence before named.
        own = held[i] | (held[i - 1] & names) if i and refers_back(sentence) else held[i]
        out.append(
            SentenceEvidence(
                text=sentence,
                index=i,
                term_coverage=_weighted_coverage(info.terms, own, weights),
                window_term_coverage=_weighted_coverage(info.terms, window, weights),
                window_entity_coverage=_entity_coverage(info, window, weights),
                answer_type=answer_type_score(info, sentence, sentences[i - 1] if i else ""),
            )
        )
    return out


def _years_present(info: QuestionInfo, passage: Passage) -> bool:
    found = years(passage_text(passage))
    if passage.published is not None:
        found.add(passage.published.year)
    return all(y in found for y in info.years)


def _may_go_by_another_name(entity: tuple[str, ...]) -> bool:
    """A country ("Pyongyang" for North Korea) or a one-word name ("GOP" in a story that says
    "Republican") may be written otherwise; a name given in full ("Xi Jinping") is not: a
    passage that has none of its words is not about it."""
    return len(entity) == 1 or is_country(entity)


def _allowed_missing(n_entities: int) -> int:
    """Entities a passage may lack: one of two or three (aliases: "Pyongyang" for "North Korea",
    "Washington" for "the US"), a third of more. The sentence check then demands the rarer ones.
    """
    return 0 if n_entities < 2 else max(1, n_entities // 3)


def assess(info: QuestionInfo, passage: Passage, weights: Mapping[str, float]) -> Relevance:
    """Apply the four checks of the module docstring to one passage."""
    if not _years_present(info, passage):
        return Relevance(passage, False, "year not mentioned")
    held = _vocabulary(passage_text(passage)).held(_asked(info))
    missing = [e for e in info.entities if not _entity_found(e, held)]
    entity_cov = 1.0 - len(missing) / len(info.entities) if info.entities else 1.0
    unaliased = [e for e in missing if not _may_go_by_another_name(e)]
    if unaliased or len(missing) > _allowed_missing(len(info.entities)):
        lost = (unaliased or missing)[0]
        return Relevance(passage, False, "entity missing: " + " ".join(lost), 0.0, entity_cov)
    term_cov = sum(1 for t in info.terms if t in held) / len(info.terms) if info.terms else 0.0
    if term_cov < MIN_PASSAGE_TERM_COVERAGE:
        return Relevance(passage, False, "too few question terms", term_cov, entity_cov)
    evidence = tuple(sentence_evidence(info, passage, weights))
    supporting = [e for e in evidence if e.supports]
    if not supporting:
        return Relevance(passage, False, "no sentence covers the question", term_cov, entity_cov)
    # The answer may be one sentence on: "10,000 soldiers were sent. 8,000 of them are in
    # Kursk." covers the question in the first and answers it in the second.
    answering = {e.index for e in supporting} | {e.index + 1 for e in supporting}
    if (info.kind in _TYPED_KINDS or info.measure) and not any(
        e.answer_type >= MIN_ANSWER_TYPE for e in evidence if e.index in answering
    ):
        return Relevance(
            passage,
            False,
            f"no sentence holds a {info.measure or info.kind.value} answer",
            term_cov,
            entity_cov,
        )
    return Relevance(passage, True, "ok", term_cov, entity_cov, evidence)


def assess_passages(
    question: str | QuestionInfo,
    passages: Sequence[Passage],
    weights: Mapping[str, float] | None = None,
    *,
    locale: Locale | None = None,
) -> list[Relevance]:
    """The gate's verdict on each passage, in the given order (``weights``: the
    :func:`term_weights` of these passages, when the caller has them already; ``locale``: for
    a question given as text)."""
    info = question if isinstance(question, QuestionInfo) else analyze_question(question, locale)
    if not info.terms and not info.entities:
        return [Relevance(p, False, "question has no content words") for p in passages]
    if info.attribute and not any(
        _vocabulary(passage_text(p)).holds(info.attribute) for p in passages
    ):
        # "What is the population of Vladivostok?" and no passage speaks of a population:
        # whatever they say of Vladivostok, it is not that.
        reason = f"no passage names what is asked: {info.attribute}"
        return [Relevance(p, False, reason) for p in passages]
    if weights is None:
        weights = term_weights(info, passages)
    verdicts = [assess(info, p, weights) for p in passages]
    for verdict in verdicts:
        logger.debug("gate %s %s: %s", verdict.passage.chunk_id, verdict.relevant, verdict.reason)
    return verdicts


def relevant_passages(
    question: str | QuestionInfo, passages: Sequence[Passage], *, locale: Locale | None = None
) -> list[Passage]:
    """The passages that hold evidence for the question, in the given (ranked) order.

    An empty list means: refuse ("I couldn't find this in the archive").
    """
    return [v.passage for v in assess_passages(question, passages, locale=locale) if v.relevant]


def answer_type_hint(locale: Locale | None = None) -> Callable[[str], Callable[[str], bool] | None]:
    """For retrieval (``index.search.AnswerTypeHint``): given a query asking who or where, a
    test of whether a text names a new person or place; None for other questions."""

    def hint(query: str) -> Callable[[str], bool] | None:
        info = analyze_question(query, locale)
        if info.kind not in (AnswerKind.WHO, AnswerKind.WHERE):
            return None
        return lambda text: answer_type_score(info, text) >= 1.0

    return hint
