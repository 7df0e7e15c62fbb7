"""Time in questions and text, one reading for search and the answerers: the years stated (a
question about an earlier year is not about now; a sentence dated to another year than the
question's) and the words that ask about the present ("the latest", "this week")."""

from __future__ import annotations

import re

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
