"""Is a name a place? Countries and US states from ISO 3166 (pycountry), plus the words that
put a name on the map ("in Moscow", "near Kyiv"). For "where" / "which state" questions:
any new name is a candidate answer, a known or located place a better one. And the table of
country forms (names, official names, demonyms, aliases) that makes "American", "U.S." and
"United States" one name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from bot.answer.lexicon import read_data

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


# Names recur (the same places across a story's chunks and sentences): answers are kept.
@lru_cache(maxsize=1 << 14)
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

    The places right after a locative word are found once per sentence (retrieval asks this of
    every new name of every candidate chunk), then each name is compared at them."""
    wanted = name.lower()
    for start in _after_locatives(sentence):
        end = start + len(name)
        if sentence[start:end].lower() == wanted and not _word_goes_on(sentence, end):
            return True
    return False


@lru_cache(maxsize=1 << 10)
def _after_locatives(sentence: str) -> tuple[int, ...]:
    """Where each locative word of ``sentence`` ("in the ") ends."""
    return tuple(match.end() for match in _LOCATIVE.finditer(sentence))


def _word_goes_on(text: str, i: int) -> bool:
    """The word at ``text[i - 1]`` continues at ``i`` ("Atlanta" is not "Atlantans")."""
    return 0 < i < len(text) and (text[i - 1].isalnum() and (text[i].isalnum() or text[i] == "_"))


@dataclass(frozen=True)
class CountryForm:
    """One way of writing a country ("Nigerian"), and the name answers use for it ("Nigeria")."""

    text: str
    name: str
    demonym: bool = False


@lru_cache(maxsize=1)
def country_forms() -> tuple[CountryForm, ...]:
    """Every country's ISO 3166 names (short, common, official; pycountry) plus the demonyms
    and aliases of ``data/countries.json``, each pointing at one name per country. Region
    phrases that contain a form ("Latin American") name themselves."""
    data = read_data("countries.json")
    forms: list[CountryForm] = []
    for country in pycountry.countries:
        entry = data.get(country.alpha_2, {})
        pycountry_names = [
            value
            for attr in ("common_name", "name", "official_name")
            if (value := getattr(country, attr, None)) and "," not in value
        ]
        name = entry.get("name") or (pycountry_names[0] if pycountry_names else None)
        if name is None:
            continue
        forms.extend(CountryForm(text, name) for text in [name, *pycountry_names])
        forms.extend(CountryForm(text, name) for text in entry.get("aliases", []))
        forms.extend(CountryForm(text, name, demonym=True) for text in entry.get("demonyms", []))
    for entry in data["_continents"]["entries"]:
        forms.append(CountryForm(entry["name"], entry["name"]))
        forms.extend(CountryForm(text, entry["name"], demonym=True) for text in entry["demonyms"])
    forms.extend(CountryForm(text, text) for text in data["_regions"]["phrases"])
    return tuple(forms)
