"""Question analysis: what a question asks about (its terms, names, numbers, years) and what
kind of answer it expects (who / when / where / how many ...)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from bot.answer.lexicon import Locale, default_locale, lexicon
from bot.answer.names import is_title_or_calendar, names
from bot.answer.quantities import CURRENCY_SIGN, numbers
from bot.answer.sentences import split_sentences
from bot.answer.terms import content_terms, is_demonym, word_term
from index.dates import years

logger = logging.getLogger(__name__)


class AnswerKind(StrEnum):
    """What kind of thing answers the question; decides which sentences can answer it."""

    WHO = "who"
    WHEN = "when"
    WHERE = "where"
    HOW_MANY = "how many"
    HOW_MUCH = "how much"
    WHAT = "what"
    YES_NO = "yes-no"
    OTHER = "other"


@dataclass(frozen=True)
class QuestionInfo:
    """What a question asks about and what kind of answer it expects."""

    question: str
    terms: tuple[str, ...]  # content terms, entity tokens included, no duplicates
    entities: tuple[tuple[str, ...], ...]  # each named entity as its name terms
    numbers: frozenset[float]
    # Numbers written in digits ("$700 million"): the question's specific figures, where a
    # spelled-out "the two countries" is an ordinary phrase.
    figures: frozenset[float]
    years: frozenset[int]
    kind: AnswerKind
    # "What did the minister call the offensive?": the answer is someone's words, a quotation.
    asks_words: bool = False
    # "What did she warn the situation could become?": the terms of the clause the verb of
    # saying takes (situation, become); a quotation answers only if it speaks of them.
    said_clause: tuple[str, ...] = ()
    # "How many artillery shells ...": the terms of what is counted (the answer is a number
    # followed by them: "9 million rounds of artillery"); empty when the question names none.
    counted: tuple[str, ...] = ()
    # "How much did the tickets cost?": the answer is an amount of money ("$550"), not any
    # number ("550 passengers").
    asks_money: bool = False
    # "Which airline ...?": the noun that says what kind of thing answers, as a term; a name
    # that holds it ("Alaska Airlines", "Howard University") is that very kind of thing.
    head: str = ""
    # "What is the population of Vladivostok?": the attribute asked for, as a term.
    attribute: str = ""
    # ... when that attribute is a measure the text states as a number ("a city of 600,000
    # residents", "a range of 300 km"): the measure noun, as the lexicon spells it.
    measure: str = ""
    # "How many soldiers have been killed ...?": the terms that tell what happened to what is
    # counted (kill, and "dead", "deaths" of the same event); a count of something else done
    # ("10,000 soldiers have been sent") does not answer. Empty when the question says no such
    # thing in the passive.
    event: frozenset[str] = frozenset()
    # "How much did Nordwind pay for its Boeing 777?": the terms of what the money is for; a
    # sum for something else ("tickets costing $550") does not answer.
    priced: tuple[str, ...] = ()

    @property
    def entity_terms(self) -> frozenset[str]:
        return frozenset(t for entity in self.entities for t in entity)


# "What is the name of the spacecraft?", "What was its name?", "Under what name ...?": the
# answer is a name, whatever it names.
_ASKS_NAME = re.compile(
    r"\b(?:what|which)\s+(?:is|was|are|were|will\s+be)\s+(?:the|its|their|his|her)\s+names?\b"
    r"|\b(?:under|by)\s+what\s+names?\b",
    re.IGNORECASE,
)


# "What is the population of Vladivostok?", "Who was the coach of the team?": the noun before
# "of" names what is asked (an attribute of the thing after it).
_ASKS_ATTRIBUTE = re.compile(
    r"\b(?:what|who|which)\s+(?:is|was|are|were|will\s+be)\s+(?:the|its|their|his|her)\s+"
    r"(?:[a-z-]+\s+){0,2}?([a-z-]+)\s+of\b",
    re.IGNORECASE,
)


# "... the name of North Korea's first naval destroyer?": what is named, up to where its noun
# phrase ends (a preposition, a relative word, a verb's auxiliary, a comma).
_NAME_OF = re.compile(r"\bnames?\s+of\s+([^,;:?!]+)", re.IGNORECASE)
_PHRASE_ENDS = frozenset(
    "about after at before between by during for from in into near on over since that "
    "through to under until when where which who whom whose with".split()
)


def _named_kind(question: str) -> str:
    """Asked "What is the name of X?", the noun that says what kind of thing X is ("destroyer"
    of "North Korea's first naval destroyer", "festival" of "the festival that Phish hosts"),
    as a term; "" when X ends in a name, or is a person or a place (a passage calls them by
    their names, not "the player" or "the town")."""
    match = _NAME_OF.search(question)
    if match is None:
        return ""
    lex = lexicon()
    head = ""
    for word in match.group(1).split():
        word = word.strip("\"'“”‘’()")
        if word.lower() in _PHRASE_ENDS or word.lower() in lex.auxiliaries:
            break
        head = word
    if not head or not head.islower() or not head.isalpha() or head in lex.stopwords:
        return ""
    if _is_noun(head, lex.person_nouns) or _is_noun(head, lex.place_nouns):
        return ""
    return word_term(head)


def _attribute(question: str) -> str:
    """The noun naming what "What is the X of Y?" asks for, as a term; "" if none, or if the
    text need not name it: a quantity, a date or an amount of money ("the total amount of",
    "the date of", "the price of": the text states a number, a date, a sum). Asked for a name
    (what something is called), the kind of thing named (:func:`_named_kind`)."""
    if _asks_name(question):
        return _named_kind(question)
    match = _ASKS_ATTRIBUTE.search(question)
    if match is None:
        return ""
    noun = match.group(1).lower()
    lex = lexicon()
    quantities = (lex.count_nouns, lex.time_nouns, lex.money_words, lex.measure_nouns)
    if any(_is_noun(noun, nouns) for nouns in quantities):
        return ""
    return word_term(noun)


def _measure(question: str) -> str:
    """The measure "What is the X of Y?" asks for ("population", "range"), if the lexicon
    knows the words that state it; "" otherwise."""
    match = _ASKS_ATTRIBUTE.search(question)
    if match is None:
        return ""
    noun = match.group(1).lower()
    return noun if noun in lexicon().measure_units else ""


# "How many soldiers have been killed", "how many were taken prisoner", "how much funding was
# awarded": a passive auxiliary, then the participle (and the word after it).
_COUNTED_EVENT = re.compile(
    r"\bhow\s+(?:many|much)\b[^?]*?\b(?:(?:have|has|had)\s+been|were|was|are|is|(?:will|would)"
    r"\s+be)\s+(?:being\s+)?([a-z]+)(?:\s+([a-z]+))?",
    re.IGNORECASE,
)


def _counted_event(question: str) -> frozenset[str]:
    """The terms of what happened to what a how-many question counts: the passive
    participle's ("killed" -> kill, with "die" and "fatal" of the same event), or, after a
    light verb, the word after it ("taken prisoner" -> prisoner, with "capture"). Empty when
    no participle follows the auxiliary ("how many were aboard?")."""
    match = _COUNTED_EVENT.search(question)
    if match is None:
        return frozenset()
    lex = lexicon()
    verb, after = match.group(1).lower(), (match.group(2) or "").lower()
    if not (verb.endswith(("ed", "en", "wn", "rn")) or verb in lex.irregular_forms):
        return frozenset()
    word = verb
    if word_term(verb) in _stems(lex.light_verbs):
        if not after or after in lex.stopwords:
            return frozenset()
        word = after
    term = word_term(word)
    synonyms = [group for group in lex.event_synonyms if term in _stems(group)]
    return frozenset({term}.union(*(_stems(group) for group in synonyms)))


def _asks_name(question: str) -> bool:
    """The question asks what something is called (its answer is a proper name)."""
    return _ASKS_NAME.search(question) is not None


def _question_kind(question: str) -> tuple[AnswerKind, str]:
    """The expected answer kind from the question's wording (first wh-phrase wins), and the
    noun after "which" / "what" that decided it ("airline" of "which airline"; "" if none)."""
    lex = lexicon()
    if _asks_name(question):
        return AnswerKind.WHO, ""
    q = question.strip().lower()
    tokens = re.findall(r"[a-z][a-z\-]*", q)
    if not tokens:
        return AnswerKind.OTHER, ""
    if re.search(r"\bhow\s+(many|large|big|long|far|old)\b", q) and not re.search(
        r"\bhow\s+long\s+(?:ago|since)\b", q
    ):
        return AnswerKind.HOW_MANY, ""
    if re.search(r"\bhow\s+much\b", q):
        return AnswerKind.HOW_MUCH, ""
    for index, token in enumerate(tokens):
        if token in ("who", "whom", "whose"):
            return AnswerKind.WHO, ""
        if token == "when":
            return AnswerKind.WHEN, ""
        if token == "where":
            return AnswerKind.WHERE, ""
        if token in ("which", "what"):
            # The head noun in the next few words: "which European country", "what year".
            for nxt in tokens[index + 1 : index + 5]:
                if _is_noun(nxt, lex.place_nouns):
                    return AnswerKind.WHERE, nxt
                if _is_noun(nxt, lex.person_nouns):
                    return AnswerKind.WHO, nxt
                if _is_noun(nxt, lex.time_nouns):
                    return AnswerKind.WHEN, nxt
                if nxt in lex.count_nouns:
                    return AnswerKind.HOW_MANY, nxt
                # "which golfer this week became": "week" is not what is asked for.
                if nxt in lex.auxiliaries or nxt in lex.phrase_breaks:
                    break
            return AnswerKind.WHAT, ""
    if tokens[0] in lex.auxiliaries:
        return AnswerKind.YES_NO, ""
    if tokens[0] in ("why", "how"):
        return AnswerKind.OTHER, ""
    return (AnswerKind.WHAT if "what" in tokens else AnswerKind.OTHER), ""


_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*")


def _said(question: str) -> tuple[str, ...] | None:
    """What the question asks someone said: None when it asks no such thing, else the terms
    of the clause its verb of saying takes (empty for none).

    "What did the minister call the offensive?", "What did Lee say about the strike?": her
    words, no clause (``()``). "What did Lee warn the situation could become?": the clause
    (situation, become) holds the question; the answer is what she stated, and a quotation
    answers it only if it speaks of that ("“The situation could become explosive,” she
    warned", not "“Our cooperation will expand,” she said")."""
    words = list(_WORD.finditer(question))
    lowered = [w.group().lower() for w in words]
    lex = lexicon()
    # "What did she call it?", and "How did she describe it?" (how, then an auxiliary).
    opener = next(
        (
            i
            for i, w in enumerate(lowered)
            if w == "what" or (w == "how" and lowered[i + 1 : i + 2] in (["did"], ["does"]))
        ),
        None,
    )
    if opener is None:
        return None
    verbs = _stems(lex.speech_verbs)
    for i in range(opener + 1, len(words)):
        token = lowered[i]
        if word_term(token) not in verbs:
            continue
        after = i + 1 + (token in lex.addressee_verbs)  # "told reporters the plan was ..."
        if (
            token in lex.clause_verbs
            and len(words) - after >= 2
            and lowered[after] not in lex.adverbial_openers
        ):
            return tuple(dict.fromkeys(content_terms(question[words[after].start() :])))
        return ()
    return None


_HOW_MANY = re.compile(r"\bhow\s+many\s+([^?,;]*)", re.IGNORECASE)


_RATE_WORDS = frozenset({"a", "an", "per", "each", "every"})


def _counted(question: str) -> tuple[str, ...]:
    """Content terms of the phrase "how many" opens, up to its verb ("How many artillery
    shells has ..." -> artillery, shell)."""
    match = _HOW_MANY.search(question)
    if match is None:
        return ()
    auxiliaries = lexicon().auxiliaries
    phrase: list[str] = []
    for word in match.group(1).split():
        # "How many flights a week": the rate ("a week") is not what is counted.
        if word.lower() in auxiliaries or word.lower() in _RATE_WORDS:
            break
        phrase.append(word)
    return tuple(dict.fromkeys(content_terms(" ".join(phrase))))


def _asks_money(question: str) -> bool:
    """A how-much question about money: it names a price, a cost, a payment or a currency."""
    lex = lexicon()
    if CURRENCY_SIGN.search(question):
        return True
    words = {w.lower() for w in _WORD.findall(question)}
    return bool(words & lex.currency_words) or any(
        word_term(w) in _stems(lex.money_words) for w in words
    )


# What a sum is for: "how much did X pay for Y", "how much does Y cost", "how much is Y worth".
_PRICED = (
    re.compile(
        r"\bhow\s+much\s+(?:did|does|do|will|would|could|has|have|had)\s+.+?\s+"
        r"(?:pay|paid|spend|spent)\b(?:\s+[\w'’-]+){0,3}?\s+(?:for|on)\s+([^?]+)",
        re.IGNORECASE,
    ),
    re.compile(r"\bhow\s+much\s+(?:did|does|do|will|would|could)\s+(.+?)\s+cost\b", re.IGNORECASE),
    re.compile(
        r"\bhow\s+much\s+(?:is|was|are|were|will\s+be)\s+(.+?)\s+"
        r"(?:worth|priced|valued|sold|selling)\b",
        re.IGNORECASE,
    ),
)


def _priced(question: str) -> tuple[str, ...]:
    """Content terms of what a how-much question asks the price of ("its Boeing 777" ->
    Boeing; "tickets for the flight" -> ticket, flight); empty when it names nothing."""
    for pattern in _PRICED:
        match = pattern.search(question)
        if match is not None:
            return tuple(dict.fromkeys(content_terms(match.group(1))))
    return ()


def _is_noun(word: str, nouns: frozenset[str]) -> bool:
    """``word`` is one of ``nouns``, or its plural ("countries", "broadcasters"). Not by stem:
    "broadcasts" are no broadcaster, "placed" is no place."""
    word = word.lower()
    if word in nouns:
        return True
    if word.endswith("ies") and word[:-3] + "y" in nouns:
        return True
    return word.endswith("s") and (
        word[:-1] in nouns or (word.endswith("es") and word[:-2] in nouns)
    )


@lru_cache(maxsize=8)
def _stems(nouns: frozenset[str]) -> frozenset[str]:
    return frozenset(word_term(n) for n in nouns)


def _question_entities(question: str, locale: Locale) -> tuple[tuple[str, ...], ...]:
    """Named entities of a question: capitalised runs, title words stripped.

    A sentence-initial run of two or more words is a name ("Donald Trump said ...?"); a lone
    sentence-initial word may be capitalised only for opening the sentence ("Latest data
    shows ...", "Gun violence continued ..."), as in passages (``names.name_terms``): it stays
    a content term of the question, not a name every passage must hold. (A question that opens
    with its wh-word or an auxiliary has none: they are stopwords, never in a run.) Lone
    letters ("H5N1" comes apart into H, N) are no names either (``Name.proper_terms``).
    """
    endings = lexicon().demonym_endings
    out: list[tuple[str, ...]] = []
    for name in names(question):
        if name.lone_opening:
            continue
        terms = tuple(t for t in name.proper_terms if not is_title_or_calendar(t))
        lone = name.text.split()
        word = lone[0].lower().removesuffix("s") if len(lone) == 1 else ""
        if word and (is_demonym(lone[0]) or word.endswith(endings)):
            # "American football team", "Republican nominee": an adjective, not what the
            # question is about; it stays an ordinary content term.
            continue
        if terms in locale.home_country:
            continue
        if terms and terms not in out:
            out.append(terms)
    return tuple(out)


def analyze_question(question: str, locale: Locale | None = None) -> QuestionInfo:
    """Terms, entities, numbers, years and expected answer kind of ``question``; ``locale``
    (settings) says which country is home and which words only frame the question's time."""
    locale = locale or default_locale()
    entities = _question_entities(question, locale)
    # A question may open with context sentences ("The union went on strike ... Who leads
    # it?"): the kind comes from the sentence that asks.
    asking = [s for s in split_sentences(question) if s.rstrip().endswith("?")]
    asked = asking[-1] if asking else question
    kind, head = _question_kind(asked)
    said = _said(asked) if kind in (AnswerKind.WHAT, AnswerKind.OTHER) else None
    terms: list[str] = []
    for term in content_terms(question):
        if term not in terms and term not in locale.framing and (term,) not in locale.home_country:
            terms.append(term)
    info = QuestionInfo(
        question=question,
        terms=tuple(terms),
        entities=entities,
        numbers=frozenset(numbers(question)),
        figures=frozenset(numbers(question, spelled=False)),
        years=frozenset(years(question)),
        kind=kind,
        asks_words=said is not None,
        said_clause=said or (),
        counted=_counted(asked) if kind is AnswerKind.HOW_MANY else (),
        asks_money=kind is AnswerKind.HOW_MUCH and _asks_money(asked),
        priced=_priced(asked) if kind is AnswerKind.HOW_MUCH else (),
        head=word_term(head) if head else "",
        attribute=_attribute(asked),
        measure=_measure(asked),
        event=_counted_event(asked)
        if kind in (AnswerKind.HOW_MANY, AnswerKind.HOW_MUCH)
        else frozenset(),
    )
    logger.debug("question analysed: %s", info)
    return info
