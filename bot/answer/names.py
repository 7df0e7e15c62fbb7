"""Names in a sentence: runs of capitalised words ("Sergei Shoigu", "North Korean Foreign
Minister Choe", "Bank of Japan"), each with its name terms (``bot.answer.terms``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from bot.answer.lexicon import lexicon
from bot.answer.terms import (
    TEXT_CACHE_SIZE,
    country_at,
    name_term,
    split_hyphens,
    words,
)
from index.dates import is_calendar_word

_CAP_TOKEN = re.compile(r"[A-Z\u00C0-\u00DE][\w\u00C0-\u024F'’.\-]*")
# The letters ``_CAP_TOKEN`` starts with: a quicker first test for every word.
_CAPITALS = frozenset(
    [chr(c) for c in range(ord("A"), ord("Z") + 1)] + [chr(c) for c in range(0xC0, 0xDF)]
)
# Stopwords that open place names mid-sentence ("the New York native", "New Zealand").
_NAME_OPENING_STOPWORDS = frozenset({"new"})


@dataclass(frozen=True, slots=True)  # slots: names are kept for recent texts (see _names)
class Name:
    """A run of capitalised words as written, and its name terms (connectors left out)."""

    text: str
    terms: tuple[str, ...]
    sentence_initial: bool

    @property
    def lone_opening(self) -> bool:
        """A single word opening its sentence: capitalised perhaps only for that ("Latest data
        shows ...")."""
        return self.sentence_initial and len(self.terms) == 1

    @property
    def proper_terms(self) -> tuple[str, ...]:
        """Its terms but lone letters: an initial ("G.") or a piece of a code the run split
        ("H5N1", "G7"), which a text writes whole, is no name to look for."""
        return tuple(t for t in self.terms if len(t) > 1)


# Runs recur (the same people and places across a story's sentences): their terms are kept.
@lru_cache(maxsize=1 << 14)
def _run_terms(run: tuple[str, ...]) -> tuple[str, ...]:
    # Country forms read as one name ("North Korean" -> "North Korea"), read before connectors
    # go: some forms have one ("Republic of Korea"). "New" stays in the text ("New York" is a
    # place) but, a stopword, not in the terms, which are matched against stopword-free
    # vocabularies; nor do connectors ("Bank of Japan" -> Bank, Japan).
    dropped = lexicon().name_connectors | _NAME_OPENING_STOPWORDS
    terms: list[str] = []
    i = 0
    while i < len(run):
        found = country_at(run, i)
        if found is not None:
            parts, size = found
        elif run[i].lower() in dropped:
            parts, size = (), 1
        else:
            parts, size = (run[i],), 1
        terms.extend(name_term(part) for word in parts for part in split_hyphens(word))
        i += size
    return tuple(terms)


# The same runs come back in every chunk of a story: a kept Name (immutable) is shared.
@lru_cache(maxsize=1 << 14)
def _name(run: tuple[str, ...], sentence_initial: bool) -> Name:
    return Name(" ".join(run), _run_terms(run), sentence_initial)


def names(sentence: str) -> list[Name]:
    """Runs of capitalised words in one sentence, connectors allowed inside ("Bank of Japan").

    Stopwords are never part of a run ("The", "However"); a run that starts the sentence is
    flagged so callers can treat a lone sentence-initial word as an ordinary word.
    """
    return list(_names(sentence))


# The answerers ask this of every sentence they read and the same texts come back: kept for
# recent texts (pure, like the terms).
@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _names(sentence: str) -> tuple[Name, ...]:
    return tuple(iter_names(sentence))


# Punctuation ends a name: "... with the ROK,' Ms. Kim said" names the ROK and Ms. Kim, not
# one "ROK Ms Kim". An apostrophe inside a word ("Korea's") is part of the word, and so is a
# full stop (within one sentence it ends an abbreviation or initial: "Ms.", "U.S.").
_NAME_BREAK = re.compile(r"[,;:!?()\[\]\"“”—–]|(?<![A-Za-z])['’‘]|['’‘](?![A-Za-z])")


def iter_names(sentence: str) -> Iterator[Name]:
    """:func:`names`, one at a time and not kept: for a caller that may stop at the first name
    that will do (retrieval reads every candidate chunk of a who/where question that way)."""
    first = True
    for part in _NAME_BREAK.split(sentence):
        toks = words(part)
        if toks:
            yield from _part_names(toks, opens_sentence=first)
            first = False


def _part_names(toks: list[str], *, opens_sentence: bool) -> Iterator[Name]:
    """The names among the words of one stretch of a sentence without punctuation."""
    stopwords = lexicon().stopwords
    connectors = lexicon().name_connectors
    current: list[str] = []
    initial = False
    last = len(toks) - 1
    for index, token in enumerate(toks):
        # Most words are lower-case: no name, and read only to end a run.
        capitalised = token[0] in _CAPITALS and _CAP_TOKEN.fullmatch(token) is not None
        if not capitalised and not current:
            continue
        low = token.lower()
        is_cap = capitalised and (
            low not in stopwords
            or (token.isupper() and len(token) > 1)
            or (
                low in _NAME_OPENING_STOPWORDS
                and (index > 0 or not opens_sentence)
                and index < last
                and bool(_CAP_TOKEN.fullmatch(toks[index + 1]))
            )
        )
        if is_cap and (not token.isupper() or len(token) <= 5):
            if not current:
                initial = opens_sentence and index == 0
            current.append(token)
        elif current and low in connectors:
            current.append(token)
        elif current:
            if name := _run_name(current, initial):
                yield name
            current = []
    if name := _run_name(current, initial):
        yield name


def _run_name(run: list[str], initial: bool) -> Name | None:
    """The run as a name, trailing connectors dropped ("Bank of"); None if nothing is left."""
    while run and run[-1].lower() in lexicon().name_connectors:
        run.pop()
    return _name(tuple(run), initial) if run else None


def name_terms(sentence: str, *, include_initial: bool = False) -> set[str]:
    """Name terms of the names in ``sentence`` (a lone sentence-initial word excluded)."""
    out: set[str] = set()
    for name in names(sentence):
        if name.lone_opening and not include_initial:
            continue
        out.update(name.proper_terms)
    return out


@lru_cache(maxsize=1 << 14)
def is_title_or_calendar(term: str) -> bool:
    """A capitalised word that is part of a name run but never what a name question asks for:
    a title or role ("Minister", "Senator") or a month or weekday."""
    return term.lower() in lexicon().title_words or is_calendar_word(term)
