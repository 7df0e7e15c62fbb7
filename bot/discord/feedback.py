"""Answers, votes and threads in SQLite next to the index (``index_dir/feedback.sqlite3``).

What the buttons under an answer need (the question, the answer and the passages it cites) is
stored when the answer is sent, so Passages, 👍/👎 and Follow up work after a restart. A vote is
keyed by (answer, user): pressing again replaces the vote, never adds one.

Blocking (sqlite3): the bot calls it from a worker thread. One short-lived connection per call,
so it is safe from any thread, and WAL lets ``newsdesk feedback`` read while the bot writes.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.answer.models import Answer, Citation
from index.models import Passage, SearchFilters

logger = logging.getLogger(__name__)

FILENAME = "feedback.sqlite3"
UP, DOWN = 1, -1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    guild_id INTEGER,
    channel_id INTEGER,
    user_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    citation_ids TEXT NOT NULL,
    record TEXT NOT NULL,
    filters TEXT
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(id),
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    guild_id INTEGER,
    channel_id INTEGER,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS thread_turns (
    thread_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    answer_id TEXT NOT NULL REFERENCES answers(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)
);
"""


@dataclass(frozen=True)
class Origin:
    """Where an answer or vote came from (None outside a server, e.g. in DMs)."""

    guild_id: int | None
    channel_id: int | None
    user_id: int


@dataclass(frozen=True)
class StoredAnswer:
    id: str
    answer: Answer
    origin: Origin
    created_at: datetime
    filters: SearchFilters | None = None  # what /ask was narrowed to (since, source)


@dataclass(frozen=True)
class ThreadHistory:
    """A bot thread's answers in order, and the filters of the answer it was opened on (its
    follow-ups keep them)."""

    turns: list[Answer]
    filters: SearchFilters | None = None


@dataclass(frozen=True)
class Tally:
    up: int = 0
    down: int = 0


@dataclass(frozen=True)
class DownVoted:
    answer_id: str
    question: str
    answer: str
    up: int
    down: int
    created_at: str


@dataclass(frozen=True)
class FeedbackReport:
    """What ``newsdesk feedback`` prints."""

    answers: int = 0
    voted: int = 0
    up: int = 0
    down: int = 0
    down_voted: list[DownVoted] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "answers": self.answers,
            "voted": self.voted,
            "up": self.up,
            "down": self.down,
            "down_voted": [
                {
                    "answer_id": d.answer_id,
                    "question": d.question,
                    "answer": d.answer,
                    "up": d.up,
                    "down": d.down,
                    "created_at": d.created_at,
                }
                for d in self.down_voted
            ],
        }


# -- Answer <-> JSON --------------------------------------------------------------------------


def _passage_from(data: dict[str, Any]) -> Passage:
    published = data.get("published")
    return Passage(
        chunk_id=str(data["chunk_id"]),
        article_id=str(data["article_id"]),
        title=str(data.get("title") or ""),
        text=str(data.get("text") or ""),
        score=float(data.get("score") or 0.0),
        path=str(data.get("path") or ""),
        url=data.get("url"),
        published=date.fromisoformat(published) if published else None,
        publisher=data.get("publisher"),
        start=int(data.get("start") or 0),
        end=int(data.get("end") or 0),
    )


def _passage_record(passage: Passage) -> dict[str, object]:
    return {**passage.to_json(), "score": passage.score}  # unrounded: a faithful copy


def answer_record(answer: Answer) -> dict[str, object]:
    """Everything needed to rebuild ``answer`` (citations keep their full passages)."""
    return {
        "question": answer.question,
        "text": answer.text,
        "refused": answer.refused,
        "notices": list(answer.notices),
        "dropped_claims": answer.dropped_claims,
        "citations": [{"n": c.n, "passage": _passage_record(c.passage)} for c in answer.citations],
        "passages": [_passage_record(p) for p in answer.passages],
    }


def answer_from_record(data: dict[str, Any]) -> Answer:
    return Answer(
        question=str(data["question"]),
        text=str(data["text"]),
        citations=[Citation(int(c["n"]), _passage_from(c["passage"])) for c in data["citations"]],
        passages=[_passage_from(p) for p in data.get("passages", [])],
        refused=bool(data.get("refused")),
        notices=[str(n) for n in data.get("notices", [])],
        dropped_claims=int(data.get("dropped_claims") or 0),
    )


def filters_record(filters: SearchFilters | None) -> str | None:
    """The filters as the user gave them (the source as written: a later index may name its
    publishers differently), or None when nothing narrows."""
    if filters is None or not filters.narrows:
        return None
    since = filters.since.isoformat() if filters.since else None
    return json.dumps({"since": since, "source": filters.source}, ensure_ascii=False)


def filters_from_record(text: str | None) -> SearchFilters | None:
    if not text:
        return None
    data = json.loads(text)
    since = data.get("since")
    return SearchFilters(
        since=date.fromisoformat(since) if since else None, source=data.get("source") or None
    )


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a store made by an older version up to ``_SCHEMA`` (columns added since)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(answers)")}
    if "filters" not in columns:
        conn.execute("ALTER TABLE answers ADD COLUMN filters TEXT")


def new_answer_id() -> str:
    """12 hex characters: short enough for a button's custom_id (100 max), unguessable enough."""
    return secrets.token_hex(6)


class FeedbackStore:
    """SQLite-backed answers, votes and bot threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @classmethod
    def beside_index(cls, index_dir: Path) -> FeedbackStore:
        return cls(index_dir / FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10.0)
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            if not self._ready:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                _migrate(conn)
                self._ready = True
            with conn:  # one transaction, committed on success
                yield conn
        finally:
            conn.close()

    # -- answers --------------------------------------------------------------------------
    def save_answer(
        self,
        answer: Answer,
        origin: Origin,
        answer_id: str | None = None,
        *,
        filters: SearchFilters | None = None,
    ) -> str:
        answer_id = answer_id or new_answer_id()
        citation_ids = [
            {"n": c.n, "article_id": c.passage.article_id, "chunk_id": c.passage.chunk_id}
            for c in answer.citations
        ]
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO answers (id, created_at, guild_id, channel_id, user_id, question,"
                " answer, refused, citation_ids, record, filters)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    origin.guild_id,
                    origin.channel_id,
                    origin.user_id,
                    answer.question,
                    answer.text,
                    int(answer.refused),
                    json.dumps(citation_ids),
                    json.dumps(answer_record(answer), ensure_ascii=False),
                    filters_record(filters),
                ),
            )
        return answer_id

    def get_answer(self, answer_id: str) -> StoredAnswer | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id, record, guild_id, channel_id, user_id, created_at, filters"
                " FROM answers WHERE id = ?",
                (answer_id,),
            ).fetchone()
        if row is None:
            return None
        return StoredAnswer(
            id=row[0],
            answer=answer_from_record(json.loads(row[1])),
            origin=Origin(row[2], row[3], row[4]),
            created_at=datetime.fromisoformat(row[5]),
            filters=filters_from_record(row[6]),
        )

    # -- votes ----------------------------------------------------------------------------
    def vote(self, answer_id: str, vote: int, origin: Origin) -> Tally:
        """Record (or replace) ``origin.user_id``'s vote on the answer; return the new tally."""
        if vote not in (UP, DOWN):
            raise ValueError(f"vote must be {UP} or {DOWN}, got {vote}")
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO votes (answer_id, user_id, vote, guild_id, channel_id, voted_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_id) DO UPDATE SET"
                " vote = excluded.vote, voted_at = excluded.voted_at",
                (
                    answer_id,
                    origin.user_id,
                    vote,
                    origin.guild_id,
                    origin.channel_id,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
            return self._tally(conn, answer_id)

    def tally(self, answer_id: str) -> Tally:
        with self._connect() as conn:
            return self._tally(conn, answer_id)

    @staticmethod
    def _tally(conn: sqlite3.Connection, answer_id: str) -> Tally:
        up, down = conn.execute(
            "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM votes"
            " WHERE answer_id = ?",
            (answer_id,),
        ).fetchone()
        return Tally(int(up), int(down))

    def report(self, limit: int = 50) -> FeedbackReport:
        with self._connect() as conn:
            answers = conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            voted, up, down = conn.execute(
                "SELECT COUNT(DISTINCT answer_id), COALESCE(SUM(vote = 1), 0),"
                " COALESCE(SUM(vote = -1), 0) FROM votes"
            ).fetchone()
            rows = conn.execute(
                "SELECT a.id, a.question, a.answer, SUM(v.vote = 1), SUM(v.vote = -1),"
                " a.created_at FROM answers a JOIN votes v ON v.answer_id = a.id"
                " GROUP BY a.id HAVING SUM(v.vote = -1) > 0"
                " ORDER BY SUM(v.vote = -1) DESC, a.created_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return FeedbackReport(
            answers=int(answers),
            voted=int(voted),
            up=int(up),
            down=int(down),
            down_voted=[DownVoted(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in rows],
        )

    # -- threads --------------------------------------------------------------------------
    def link_thread(self, thread_id: int, answer_id: str) -> None:
        """Append ``answer_id`` to the turns of bot thread ``thread_id`` (the first opens it)."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO thread_turns (thread_id, seq, answer_id, created_at) VALUES"
                " (?, (SELECT COUNT(*) FROM thread_turns WHERE thread_id = ?), ?, ?)",
                (thread_id, thread_id, answer_id, datetime.now(UTC).isoformat(timespec="seconds")),
            )

    def thread_history(self, thread_id: int) -> ThreadHistory:
        """The answers given in a bot thread, in order, and the filters it was opened with;
        no turns for a thread the bot did not start."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT a.record, a.filters FROM thread_turns t JOIN answers a"
                " ON a.id = t.answer_id WHERE t.thread_id = ? ORDER BY t.seq",
                (thread_id,),
            ).fetchall()
        return ThreadHistory(
            turns=[answer_from_record(json.loads(r[0])) for r in rows],
            filters=filters_from_record(rows[0][1]) if rows else None,
        )


__all__ = [
    "DOWN",
    "UP",
    "FeedbackReport",
    "FeedbackStore",
    "Origin",
    "StoredAnswer",
    "Tally",
    "ThreadHistory",
    "answer_from_record",
    "answer_record",
]
