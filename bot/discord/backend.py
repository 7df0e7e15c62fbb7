"""What the bot asks of the rest of newsdesk, as blocking calls (the glue runs them in threads).

No discord import: this is the seam between Discord glue and the application, built from the
composition root's :class:`~bot.app.App` and injected into the client.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from bot.discord.feedback import FeedbackStore
from bot.discord.render import CHOICES_MAX, IndexStats, ReindexSummary
from index.models import SearchFilters
from index.publishers import suggest_publishers

if TYPE_CHECKING:
    from bot.answer.models import Answer
    from bot.app import App
    from index.models import Passage
    from index.store import ArticleEntry

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A Chroma server that went away (a restart, a deploy) usually returns within seconds: the
# bot waits this long between tries before telling the user, and never needs a restart.
RETRY_DELAYS_S = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class SearchRequest:
    query: str
    k: int = 5
    since: date | None = None
    source: str | None = None


class Backend:
    """Blocking facade over the App: ask, search, stats, reindex, and the feedback store."""

    def __init__(
        self,
        app: App,
        feedback: FeedbackStore | None = None,
        *,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        self.app = app
        self.feedback = feedback or FeedbackStore.beside_index(app.settings.index_dir)
        self.retry_delays_s = tuple(retry_delays_s)

    def _retrying(self, call: Callable[[], T]) -> T:
        """``call()``, tried again with backoff while the Chroma server is unavailable; the
        last failure goes to the caller (and so to the user as one short line)."""
        from index.errors import ServerUnavailable

        for delay in self.retry_delays_s:
            try:
                return call()
            except ServerUnavailable as exc:
                logger.warning("%s; trying again in %.1f s", exc, delay)
                time.sleep(delay)
        return call()

    def warm_up(self) -> None:
        """Open the index and load the model now, so the first question is not the slow one
        (raises the index's one-line errors when there is no usable index)."""
        self.app.searcher.generation()
        self.app.qa.search("warm up", k=1)

    def ask(
        self,
        question: str,
        *,
        retrieval_query: str | None = None,
        told: Collection[str] = (),
        about: str | None = None,
        filters: SearchFilters | None = None,
    ) -> Answer:
        return self._retrying(
            lambda: self.app.qa.ask(
                question,
                retrieval_query=retrieval_query,
                told=told,
                about=about,
                filters=filters,
            )
        )

    def search(self, request: SearchRequest) -> list[Passage]:
        filters = SearchFilters(since=request.since, source=request.source)
        return self._retrying(
            lambda: self.app.qa.search(request.query, k=request.k, filters=filters)
        )

    def publishers(self, typed: str) -> list[str]:
        """The index's publishers to offer someone typing ``typed`` (as many as Discord shows)."""
        return suggest_publishers(typed, self.app.searcher.publishers(), limit=CHOICES_MAX)

    def stats(self) -> IndexStats:
        manifest = self.app.store.open_current().manifest
        dates = sorted(a.published for a in manifest.articles.values() if a.published)
        publishers = Counter(a.publisher or "(unknown)" for a in manifest.articles.values())
        return IndexStats(
            articles=len(manifest.articles),
            chunks=manifest.chunk_count,
            embed_model=manifest.embed_model,
            first=dates[0] if dates else None,
            last=dates[-1] if dates else None,
            last_build=manifest.built_at,
            publishers=tuple(publishers.most_common(10)),
        )

    def _articles(self) -> dict[str, ArticleEntry]:
        from index.errors import IndexMissing

        try:
            return dict(self.app.store.open_current().manifest.articles)
        except IndexMissing:
            return {}

    def reindex(self) -> ReindexSummary:
        """Incremental build of the configured articles folder; names what changed.

        The build report counts; the names come from the manifest before and after.
        """
        before = self._articles()
        report = self.app.builder.build([self.app.settings.articles_dir])
        after = self._articles()

        def name(entry: ArticleEntry) -> str:
            return entry.title or entry.path

        added = [name(e) for k, e in after.items() if k not in before]
        removed = [name(e) for k, e in before.items() if k not in after]
        updated = [name(e) for k, e in after.items() if k in before and before[k].hash != e.hash]
        logger.info(
            "reindex: %d added, %d updated, %d removed, %d failed",
            len(added),
            len(updated),
            len(removed),
            len(report.failed),
        )
        return ReindexSummary(
            added=tuple(sorted(added)),
            updated=tuple(sorted(updated)),
            removed=tuple(sorted(removed)),
            failed=tuple((f.path, f.error) for f in report.failed),
            unchanged=report.unchanged,
            seconds=report.seconds,
        )


__all__ = ["Backend", "SearchRequest"]
