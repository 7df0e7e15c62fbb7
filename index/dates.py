"""Years stated in text: shared by search (a question about an earlier year is not about now)
and the answerers (a sentence dated to another year than the question's)."""

from __future__ import annotations

import re

# Not an amount ("$2023", "2,023") nor part of a longer number.
_YEAR = re.compile(r"(?<![\d,.$])(1[89]\d\d|20\d\d)(?!\d|,\d)")


def years(text: str) -> set[int]:
    """Four-digit years 1800-2099 ("in 2024", "2023-24" gives 2023)."""
    return {int(y) for y in _YEAR.findall(text)}
