"""Is a name a place? Countries and US states from ISO 3166 (pycountry), plus the words that
put a name on the map ("in Moscow", "near Kyiv"). For "where" / "which state" questions:
any new name is a candidate answer, a known or located place a better one."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

# "in Paris", "at the Gaza Strip border", "near Kyiv": a name after these is a location. Not
# "from": people are expelled from Congress and resign from Google.
_LOCATIVE = r"(?:in|at|near|outside|across|throughout)\s+(?:the\s+)?"
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
    """``name`` follows a locative word in ``sentence`` ("... service in Atlanta")."""
    return re.search(rf"\b{_LOCATIVE}{re.escape(name)}\b", sentence, re.IGNORECASE) is not None
