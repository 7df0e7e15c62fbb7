"""Domain values that flow one way: files -> Article -> Chunk -> Passage; and the
SearchFilters a question may carry (dates, publisher).

Each carries the source metadata (article id, title, url, date, publisher, path, offsets) all the
way to the rendered citation, so nothing downstream has to look it up again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from index.publishers import normalise_publisher


def content_hash(*parts: str) -> str:
    """Stable hash of an article's content; a change in any part re-embeds the article."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Article:
    """One news article after loading and cleaning."""

    id: str
    title: str
    text: str
    path: str
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    content_hash: str = ""
    # Hash of the raw record a JSON or JSONL article came from ("" for other formats): an
    # unchanged record is not cleaned again (see index.sources.KnownArticle).
    source: str = ""

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(
                self,
                "content_hash",
                content_hash(
                    self.title,
                    self.text,
                    self.url or "",
                    self.published.isoformat() if self.published else "",
                    self.publisher or "",
                ),
            )


@dataclass(frozen=True)
class SourceFailure:
    """A file (or one record of it) that could not be loaded, and why, in one line."""

    path: str
    error: str


@dataclass(frozen=True)
class LoadReport:
    """What loading some paths produced: the articles, and every file that failed."""

    articles: list[Article] = field(default_factory=list)
    failures: list[SourceFailure] = field(default_factory=list)
    # Files that were read (successfully or not): a removed article is one whose file is gone.
    seen_paths: frozenset[str] = frozenset()
    # Files inside the given folders skipped for their type (".pdf" -> 2): not failures, but
    # worth one line, or a folder of PDFs looks indexed.
    skipped_types: dict[str, int] = field(default_factory=dict)
    # Files whose stamp matched the manifest's: not read at all, their articles kept as they are.
    unchanged_files: frozenset[str] = frozenset()
    # The stamp of every file read without a failure, for the manifest (see sources.file_stamp).
    stamps: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of an article; ``start``/``end`` index into ``Article.text``."""

    id: str
    article_id: str
    text: str
    start: int
    end: int
    position: int


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with everything a citation needs."""

    chunk_id: str
    article_id: str
    title: str
    text: str
    score: float
    path: str = ""
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    start: int = 0
    end: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "chunk_id": self.chunk_id,
            "article_id": self.article_id,
            "title": self.title,
            "publisher": self.publisher,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
            "path": self.path,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class SearchFilters:
    """Optional restrictions for a search: articles published on/after ``since``, one publisher
    (``source``, as a person wrote it). Chroma-free, so front ends build one without
    importing the store. ``publishers``: the index's own publisher keys that
    ``source`` names (:func:`index.publishers.match_publishers`), once a searcher has resolved it; until then
    ``source`` is taken as written."""

    since: date | None = None
    source: str | None = None
    publishers: tuple[str, ...] = ()

    @property
    def narrows(self) -> bool:
        """A date or a publisher is given (an empty filter admits everything)."""
        return bool(self.since or self.source)

    @property
    def publisher_keys(self) -> tuple[str, ...]:
        if self.publishers:
            return self.publishers
        return (normalise_publisher(self.source),) if self.source else ()

    def to_where(self) -> dict[str, Any] | None:
        """The same restriction as a Chroma ``where`` clause (None: no restriction)."""
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"published_ord": {"$gte": self.since.toordinal()}})
        keys = self.publisher_keys
        if keys:
            clauses.append({"publisher_key": {"$in": list(keys)}})
        if len(clauses) > 1:
            return {"$and": clauses}
        return clauses[0] if clauses else None

    def admits(self, passage: Passage) -> bool:
        if self.since and (passage.published is None or passage.published < self.since):
            return False
        keys = self.publisher_keys
        return not keys or normalise_publisher(passage.publisher or "") in keys
