"""English word lists of the answerers, read from ``bot/answer/data/lexicon.json`` once on first
use, and the locale: word lists that depend on where the archive's news comes from (its home
country) or on how its questions are phrased (framing words), built from settings by the
composition root and passed in, never read at import."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from index.stemmer import stem


@dataclass(frozen=True)
class Lexicon:
    """Facts of English the answerers rely on (each list documented where it is used)."""

    stopwords: frozenset[str]
    irregular_forms: dict[str, str]  # "sent" -> "send": what a stemmer cannot undo
    abbreviations: frozenset[str]
    sentence_openers: frozenset[str]
    title_words: frozenset[str]
    name_connectors: frozenset[str]
    framing_words: tuple[str, ...]
    place_nouns: frozenset[str]
    person_nouns: frozenset[str]
    time_nouns: frozenset[str]
    count_nouns: frozenset[str]
    auxiliaries: frozenset[str]
    phrase_breaks: frozenset[str]
    demonym_endings: tuple[str, ...]
    claim_openers: frozenset[str]
    speech_verbs: frozenset[str]  # "what did she call it?" asks for her words
    # ... unless the verb takes a clause that holds the question: "what did she say the plan
    # was?" asks for the plan.
    clause_verbs: frozenset[str]
    addressee_verbs: frozenset[str]  # "told reporters the plan was ...": whom, then the clause
    adverbial_openers: frozenset[str]  # "say about", "told reporters on Monday"
    money_words: frozenset[str]  # "how much did it cost?" asks for an amount of money
    currency_words: frozenset[str]  # "40 million euros", "USD 3bn": the number is money
    unit_words: frozenset[str]  # "80 miles", "an eight-hour flight": the number measures
    # "What is the population of ...?": a quantity the text states as a number ("a city of
    # 600,000"), mostly without naming it.
    measure_nouns: frozenset[str]
    # ... and the words that state each measure after a number ("600,000 residents" is a
    # population, "80 miles" is none); a measure without an entry is not checked.
    measure_units: dict[str, frozenset[str]]
    # Spellings of one name, lower-cased variant -> the form it is read as ("kiev" -> "Kyiv").
    name_variants: dict[str, str]
    # "How many were taken prisoner?": a verb that says little alone; the word after it does.
    light_verbs: frozenset[str]
    # Groups of words telling one event ("killed", "dead", "deaths"): a count answers "how many
    # were killed?" when its sentence tells the same event.
    event_synonyms: tuple[frozenset[str], ...]


def read_data(name: str) -> Any:
    """A JSON file from the package's ``data`` folder."""
    text = resources.files("bot.answer").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = read_data("lexicon.json")
    sets = {
        "stopwords",
        "abbreviations",
        "sentence_openers",
        "title_words",
        "name_connectors",
        "place_nouns",
        "person_nouns",
        "time_nouns",
        "count_nouns",
        "auxiliaries",
        "phrase_breaks",
        "claim_openers",
        "speech_verbs",
        "clause_verbs",
        "addressee_verbs",
        "adverbial_openers",
        "money_words",
        "currency_words",
        "unit_words",
        "measure_nouns",
        "light_verbs",
    }
    return Lexicon(
        **{key: frozenset(data[key]) for key in sets},
        irregular_forms=dict(data["irregular_forms"]),
        name_variants={
            variant.lower(): name
            for name, variants in data["name_variants"].items()
            if not name.startswith("_")
            for variant in variants
        },
        event_synonyms=tuple(
            frozenset(words)
            for name, words in data["event_synonyms"].items()
            if not name.startswith("_")
        ),
        measure_units={
            noun: frozenset(words)
            for noun, words in data["measure_units"].items()
            if not noun.startswith("_")
        },
        framing_words=tuple(data["framing_words"]),
        demonym_endings=tuple(data["demonym_endings"]),
    )


@dataclass(frozen=True)
class Locale:
    """Word lists that depend on the archive, not on English.

    ``home_country``: the country the archive's news is written from, as canonical name terms
    (see :func:`bot.answer.terms.name_key`). US news rarely spells out "US" ("the House", "the
    presidential race"), so a question's "US" qualifies the setting rather than naming what a
    passage must contain. ``framing``: stems of words that date the question rather than the
    event ("this week", "recently"): the article says "Saturday", so as terms they only dilute.
    """

    home_country: frozenset[tuple[str, ...]] = frozenset()
    framing: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls, *, home_country: Iterable[str] = (), framing_words: Iterable[str] | None = None
    ) -> Locale:
        """From settings: country names in any form ("United States", "USA", "American") and
        framing words (None: the lexicon's English list)."""
        from bot.answer.terms import name_key  # terms needs the lexicon: imported late

        words = lexicon().framing_words if framing_words is None else tuple(framing_words)
        homes = frozenset(key for key in (name_key(c) for c in home_country) if key)
        return cls(home_country=homes, framing=frozenset(stem(w) for w in words))


@lru_cache(maxsize=1)
def default_locale() -> Locale:
    """No home country, the English framing words: for callers that have no settings."""
    return Locale.build()
