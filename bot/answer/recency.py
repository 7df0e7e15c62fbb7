"""Questions about "the latest" get a notice with the date of the newest matching article."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from index.dates import asks_about_now, newest_date
from index.models import Passage


def recency_notice(
    question: str,
    passages: Sequence[Passage],
    *,
    cited: Sequence[Passage] = (),
    today: date | None = None,
) -> str | None:
    """One line for time-sensitive questions: the archive only knows up to its newest article.

    Dated by the articles the answer cites (``cited``), when it cites any: asked "who won this
    year's prize", the answer is as fresh as its sources, and a newer article that merely
    matched the search (on another story) is not what it is "as of". Otherwise (a refusal) by
    the passages found. An article dated after ``today`` (default: the clock's) is a typo,
    never "the newest"."""
    if not asks_about_now(question):
        return None
    sources, kind = (cited, "cited") if cited else (passages, "matching")
    newest = newest_date((p.published for p in sources), until=today or date.today())
    if newest is None:
        return "Note: the archive may be out of date, and these articles carry no dates."
    title = next(p.title for p in sources if p.published == newest)
    return (
        f"Note: as of the newest {kind} article, {newest.isoformat()} "
        f"({title}); newer events are not in the archive."
    )
