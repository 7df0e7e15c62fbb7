"""Questions about "the latest" get a notice with the date of the newest matching article."""

from __future__ import annotations

from collections.abc import Sequence

from index.dates import asks_about_now
from index.models import Passage


def recency_notice(question: str, passages: Sequence[Passage]) -> str | None:
    """One line for time-sensitive questions: the archive only knows up to its newest article."""
    if not asks_about_now(question):
        return None
    dated = [p for p in passages if p.published]
    if not dated:
        return "Note: the archive may be out of date, and these articles carry no dates."
    newest = max(dated, key=lambda p: p.published)  # type: ignore[arg-type,return-value]
    return (
        f"Note: as of the newest matching article, {newest.published.isoformat()} "  # type: ignore[union-attr]
        f"({newest.title}); newer events are not in the archive."
    )
