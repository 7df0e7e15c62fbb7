"""Is a name a place? Countries and US states from ISO 3166 (pycountry), plus the words that
put a name on the map ("in Moscow", "near Kyiv"). For "where" / "which state" questions:
any new name is a candidate answer, a known or located place a better one."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

# "in Paris", "at the Gaza Strip border", "near Kyiv": a name after these is a location. Not
# "from": people are expelled from Congress and resign from Google.
_LOCATIVE = re.compile(r"\b(?:in|at|near|outside|across|throughout)\s+(?:the\s+)?", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s\b")


@lru_cache(maxsize=1)
def _gazetteer() -> frozenset[str]:
    """Lower-cased country names (short, common and official) and US state names."""
    names: set[str] = set()
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value:  # "Korea, Republic of" is nobody's wording
                names.add(value.lower())
    for state in pycountry.subdivisions.get(country_code="US") or []:
        names.add(state.name.lower())
    return frozenset(names)


def is_known_place(name: str) -> bool:
    """``name`` is, or contains, a country or a US state ("South Carolina", "Georgia's")."""
    words = re.findall(r"[a-z][a-z.-]*", _POSSESSIVE.sub("", name.lower()))
    gazetteer = _gazetteer()
    return any(
        " ".join(words[i : i + size]) in gazetteer
        for size in range(min(4, len(words)), 0, -1)
        for i in range(len(words) - size + 1)
    )


def is_located(name: str, sentence: str) -> bool:
    """``name`` follows a locative word in ``sentence`` ("... service in Atlanta").

    One precompiled pattern and a comparison at each of its matches: a pattern per name would
    be compiled afresh for most names (retrieval asks this of every candidate chunk)."""
    wanted = name.lower()
    for match in _LOCATIVE.finditer(sentence):
        end = match.end() + len(name)
        if sentence[match.end() : end].lower() == wanted and not _word_goes_on(sentence, end):
            return True
    return False


def _word_goes_on(text: str, i: int) -> bool:
    """The word at ``text[i - 1]`` continues at ``i`` ("Atlanta" is not "Atlantans")."""
    return 0 < i < len(text) and (text[i - 1].isalnum() and (text[i].isalnum() or text[i] == "_"))
