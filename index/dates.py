"""Time in questions and text, one reading for search and the answerers: the years stated (a
question about an earlier year is not about now; a sentence dated to another year than the
question's), whether a text states a date at all, the words that ask about the present ("the
latest", "this week"), and which publication dates are plausible (an article dated 2099 is a
typo, not the archive's newest news)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date

from index.stemmer import stem

logger = logging.getLogger(__name__)

# Not an amount ("$2023", "2,023") nor part of a longer number.
_YEAR = re.compile(r"(?<![\d,.$])(1[89]\d\d|20\d\d)(?!\d|,\d)")


def years(text: str) -> set[int]:
    """Four-digit years 1800-2099 ("in 2024", "2023-24" gives 2023)."""
    return {int(y) for y in _YEAR.findall(text)}


_NOW = re.compile(
    r"\b(latest|current(ly)?|now|today|this (week|month|year)|recent(ly)?|newest|so far|still)\b",
    re.IGNORECASE,
)


def asks_about_now(question: str) -> bool:
    """The question asks about the present: "the latest", "this week", "currently", "still"."""
    return bool(_NOW.search(question))


MONTHS = frozenset(
    """
    january february march april may june july august september october november december jan
    feb mar apr jun jul aug sep sept oct nov dec
    """.split()
)
WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
_WEEKDAY_STEMS = frozenset(stem(d) for d in WEEKDAYS)  # "Sundays" is a weekday too

_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\b(?:\s+\d{1,2}\b)?"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\b(?:1[89]\d\d|20\d\d)s?\b"  # a year, or a decade ("the 1990s")
    r"|\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b"
    # A time of day: "7:25 p.m.", "3:30", "10am", "3 p.m." (an hour, not three of anything).
    r"|\b\d{1,2}:\d{2}(?:\s*[apAP]\.?[mM]\b\.?)?|\b\d{1,2}\s*[apAP]\.?[mM]\b\.?"
)
# Relative dates, any case ("Last week, ..."); kept apart from month names because the
# lowercase modal "may" must not count as a month.
_RELATIVE_DATE = re.compile(
    r"\b(?:yesterday|today|tonight|last\s+(?:week|month|year|fall|spring|summer|winter)"
    r"|this\s+(?:week|month|year)|\d+\s+(?:days?|weeks?|months?|years?)\s+ago"
    r"|(?:early|mid|late)[\s-]+(?:\d{4}|january|february|march|april|may|june|july|august|"
    r"september|october|november|december))\b",
    re.IGNORECASE,
)


def has_date(text: str) -> bool:
    """Whether ``text`` states a time: a month, weekday, year or decade, numeric date, time of
    day or relative date.

    "May" is a month only when capitalised mid-sentence or followed by a day number; the
    sentence-initial modal ("May I ...") is rare in news and harmless here.
    """
    return _DATE.search(text) is not None or _RELATIVE_DATE.search(text) is not None


def without_dates(text: str) -> str:
    """``text`` with its date expressions blanked out ("June 4", "Monday", "2024", "6/4/24",
    "7:25 p.m."): the numbers left are amounts, not days of a month or hours."""
    return _DATE.sub(" ", text)


def is_calendar_word(word: str) -> bool:
    """A month or weekday name, any case, weekday plurals included ("Sundays")."""
    low = word.lower()
    return low in MONTHS or low in WEEKDAYS or stem(low) in _WEEKDAY_STEMS


def newest_date(dates: Iterable[date | None], *, until: date) -> date | None:
    """The latest of ``dates`` not after ``until`` (the build date, or today): a date in the
    future is a mistake in the source, and taken as the archive's "newest" it would make every
    real article look old and the staleness notice quote the typo. Such dates are skipped (and
    logged once per call)."""
    newest: date | None = None
    future = 0
    for day in dates:
        if day is None:
            continue
        if day > until:
            future += 1
            continue
        if newest is None or day > newest:
            newest = day
    if future:
        logger.warning(
            "%d article date(s) after %s ignored as the archive's newest", future, until.isoformat()
        )
    return newest
