"""Questions about "the latest" get a notice with the date of the newest matching article."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from index.dates import asks_about_now, newest_date
from index.models import Passage


def recency_notice(
    question: str, passages: Sequence[Passage], *, today: date | None = None
) -> str | None:
    """One line for time-sensitive questions: the archive only knows up to its newest article.
    An article dated after ``today`` (default: the clock's) is a typo, never "the newest"."""
    if not asks_about_now(question):
        return None
    newest = newest_date((p.published for p in passages), until=today or date.today())
    if newest is None:
        return "Note: the archive may be out of date, and these articles carry no dates."
    title = next(p.title for p in passages if p.published == newest)
    return (
        f"Note: as of the newest matching article, {newest.isoformat()} "
        f"({title}); newer events are not in the archive."
    )
