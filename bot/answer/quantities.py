"""Quantities stated in text, as values: "14,000" -> 14000, "9 million" == "9,000,000", "three"
-> 3. A number either occurs in a passage or it does not; the format does not matter."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.answer.lexicon import lexicon
from bot.answer.terms import word_term

_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
# Not part of a code ("G7", "COVID-19", "F-16": a letter and a hyphen before it) nor an
# ordinal ("21st", "3rd": a place in a row, not an amount).
_NUMBER = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?!\d)(?!(?:st|nd|rd|th)\b)"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion|mln|bn|tn)\b|(?P<short>[mbk])\b)?",
    re.IGNORECASE,
)
# "the two countries", "these three men": a spelled number after a definite word refers back to
# things already counted; it states no amount.
_NUMBER_WORD = re.compile(
    r"(?<!\bthe )(?<!\bthese )(?<!\bthose )\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE
)


def _value(match: re.Match[str]) -> float | None:
    raw = match.group("num").replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        return None
    scale = (match.group("scale") or "").lower()
    short = (match.group("short") or "").lower()
    if scale:
        value *= _SCALES[scale]
    elif short in ("m", "b"):
        value *= _SCALES[short]
    elif short == "k":
        value *= 1e3
    return round(value, 6)


def _spans(text: str, spelled: bool) -> list[tuple[float, int, int]]:
    found = [
        (v, m.start(), m.end()) for m in _NUMBER.finditer(text) if (v := _value(m)) is not None
    ]
    if spelled:
        found += [
            (float(_NUMBER_WORDS[m.group(1).lower()]), m.start(), m.end())
            for m in _NUMBER_WORD.finditer(text)
        ]
    return found


def stated(text: str, *, spelled: bool = True) -> list[tuple[float, int]]:
    """Each number of ``text`` as (value, offset just after it): "9 million rounds" gives
    (9e6, the offset of " rounds"), where what it counts is written."""
    return [(value, end) for value, _, end in _spans(text, spelled)]


# The word right before a number, and what makes a sentence a headline in title case.
_WORD_BEFORE = re.compile(r"([A-Za-z][\w’'&.-]*)\s+$")
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")
TITLE_CASE_SHARE = 0.6


def _title_case(text: str) -> bool:
    """Set as a headline ("North Korea Sends 10,000 Troops To Russia"): most long words
    capitalised, so a capital says nothing about a name."""
    long_words = _LONG_WORD.findall(text)
    capitals = sum(1 for w in long_words if w[0].isupper())
    return len(long_words) >= 3 and capitals >= TITLE_CASE_SHARE * len(long_words)


def counts(text: str) -> list[tuple[float, int]]:
    """The numbers of a sentence that may count something, as :func:`stated` gives them: not
    the number of a name ("Boeing 777", "Apollo 11", "S&P 500": right after a capitalised
    word that does not open the sentence nor ends in a possessive "'s")."""
    headline = _title_case(text)
    out: list[tuple[float, int]] = []
    for value, start, end in _spans(text, True):
        before = _WORD_BEFORE.search(text, 0, start)
        named = (
            not headline
            and before is not None
            and before.group(1)[0].isupper()
            and text[: before.start()].strip() != ""
            and not before.group(1).endswith(("'s", "’s"))
        )
        if not named:
            out.append((value, end))
    return out


# What follows a number: a word, hyphenated or not, or a percent sign.
_FOLLOWING = re.compile(r"[\s-]*([A-Za-z]+|%)")


@lru_cache(maxsize=1)
def _unit_terms() -> frozenset[str]:
    return frozenset(word_term(u) for u in lexicon().unit_words)


def is_unit(term: str) -> bool:
    """``term`` (a word as :func:`bot.answer.terms.word_term` reads it) is a unit of measure
    ("mile", "hour", "percent")."""
    return term in _unit_terms()


def _word_after(text: str, end: int) -> str | None:
    """The word right after a number ending at ``end``, as a term ("%" as "percent")."""
    match = _FOLLOWING.match(text, end)
    if match is None:
        return None
    return word_term("percent" if match.group(1) == "%" else match.group(1))


def unit_after(text: str, end: int) -> str | None:
    """The unit of measure right after a number ending at ``end`` ("80 miles", "an eight-hour
    flight", "5%"), as a term; None when what follows is no unit (the number counts)."""
    term = _word_after(text, end)
    return term if term is not None and is_unit(term) else None


@lru_cache(maxsize=32)
def _measure_terms(measure: str) -> frozenset[str]:
    return frozenset(word_term(w) for w in lexicon().measure_units.get(measure, ()))


def measured(text: str, measure: str) -> list[tuple[float, int]]:
    """The numbers of ``text`` stated in a word of ``measure`` (a lexicon measure noun), as
    :func:`stated` gives them: "120,000 residents" for a population, "300 km" for a range;
    "80 miles" is no population, "100 missiles" no range."""
    units = _measure_terms(measure)
    return [(value, end) for value, end in stated(text) if _word_after(text, end) in units]


def numbers(text: str, *, spelled: bool = True) -> set[float]:
    """Numeric values mentioned in ``text``: "14,000" -> 14000, "9 million" -> 9e6.

    Spelled-out numbers from two to a hundred count too ("three" -> 3) unless ``spelled`` is
    False; "one" does not, being mostly a pronoun in news prose, nor does one that refers back
    ("the two countries"). Ordinals and number-like parts of words ("G7") are ignored.
    """
    return {value for value, _ in stated(text, spelled=spelled)}


# A currency sign, here and in questions ("how much in $?").
CURRENCY_SIGN = re.compile(r"[$€£¥₹₽₩]")
# Right before the number: a sign ("$40", "US$ 3bn", "€2.5 million") or a three-letter code,
# money only if it is a currency's ("EUR 40", not "NATO 5").
_SIGN_BEFORE = re.compile(rf"{CURRENCY_SIGN.pattern}\s?$")
_CODE_BEFORE = re.compile(r"\b([A-Z]{3})\s?$")
_WORD_AFTER = re.compile(r"\s*([A-Za-z]+)")


def stated_money(text: str) -> list[tuple[float, int]]:
    """The amounts of money of ``text``, as :func:`stated` gives numbers: those after a
    currency sign or code ("$550", "€2.5 million", "USD 40") or before a currency word ("40
    million euros", "3bn roubles"). "550 passengers" is a number, not money."""
    currencies = lexicon().currency_words
    out: list[tuple[float, int]] = []
    for match in _NUMBER.finditer(text):
        value = _value(match)
        if value is None:
            continue
        before = text[max(0, match.start() - 4) : match.start()]
        code = _CODE_BEFORE.search(before)
        signed = _SIGN_BEFORE.search(before) is not None or (
            code is not None and code.group(1).lower() in currencies
        )
        word = _WORD_AFTER.match(text, match.end())
        if signed or (word is not None and word.group(1).lower() in currencies):
            out.append((value, match.end()))
    return out
