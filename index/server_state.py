"""Server mode's shared state, kept in the Chroma server so that any number of readers and one
indexer on any machine agree on it: which generation is live (and a stamp that moves when a
build finishes), each generation's build manifest, and the writer lease.

All of it lives in one small collection, ``newsdesk_meta``, one record per item (the vectors
of these records mean nothing). Chroma has no transactions, but a single record's ``upsert``
is atomic, ``add`` of an id that exists is ignored (insert-if-absent) and ``delete`` takes a
``where`` condition: enough for an atomic pointer swap and a lease that two indexers cannot
both win.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from chromadb.errors import ChromaError

from index.errors import IndexLocked, ServerUnavailable

logger = logging.getLogger(__name__)

META_COLLECTION = "newsdesk_meta"
LIVE_ID = "live"
LEASE_ID = "lease"
MANIFEST_PREFIX = "manifest:"
# Chroma wants a vector per record; the meta records are looked up by id only.
_NO_VECTOR = [1.0]
DEFAULT_LEASE_S = 60.0


def server_problem(url: str, exc: BaseException) -> str:
    """One line for a Chroma server that is down, wrong or silent (no secrets: URL and reason)."""
    if isinstance(exc, httpx.TimeoutException):
        reason = "no reply in time (NEWSDESK_CHROMA_TIMEOUT_S)"
    elif isinstance(exc, httpx.ConnectError):
        reason = "cannot connect (is `chroma run` up at that address?)"
    elif isinstance(exc, httpx.HTTPStatusError):
        reason = f"answered HTTP {exc.response.status_code}: is it a Chroma server?"
    else:
        reason = " ".join(str(exc).split()) or type(exc).__name__
    return f"Chroma server NEWSDESK_CHROMA_URL={url}: {reason}"


@contextmanager
def server_errors(url: str) -> Iterator[None]:
    """A server that goes away or answers wrongly mid-command is one line, not a traceback."""
    try:
        yield
    except (httpx.HTTPError, ChromaError, ValueError) as exc:
        raise ServerUnavailable(server_problem(url, exc)) from exc


def stamp_of(built_at: datetime) -> int:
    """A finished build's stamp: its ``built_at`` in ns (exact, unlike float seconds)."""
    return int(built_at.timestamp()) * 10**9 + built_at.microsecond * 1000


@dataclass(frozen=True)
class LivePointer:
    """The live generation and the stamp of its last finished build."""

    generation: str
    built_at: datetime

    @property
    def stamp(self) -> int:
        return stamp_of(self.built_at)


@dataclass(frozen=True)
class LeaseInfo:
    holder: str
    token: str
    expires: float  # epoch seconds

    def expires_text(self) -> str:
        return datetime.fromtimestamp(self.expires, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def holder_id() -> str:
    """Who holds the lease, as a person reading the refusal needs it: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ServerState:
    """The ``newsdesk_meta`` collection of one server (opened on first use)."""

    def __init__(self, client: Callable[[], Any], url: str) -> None:
        self._client = client
        self.url = url
        self._meta: Any = None

    @property
    def _collection(self) -> Any:
        if self._meta is None:
            with server_errors(self.url):
                self._meta = self._client().get_or_create_collection(
                    META_COLLECTION, embedding_function=None
                )
        return self._meta

    def _get(self, record: str, *, documents: bool = False) -> tuple[dict[str, Any], str] | None:
        include = ["metadatas", "documents"] if documents else ["metadatas"]
        with server_errors(self.url):
            got = self._collection.get(ids=[record], include=include)
        if not got["ids"]:
            return None
        doc = got["documents"][0] if documents else ""
        return dict(got["metadatas"][0] or {}), doc or ""

    def _upsert(self, record: str, meta: dict[str, Any], document: str = "") -> None:
        with server_errors(self.url):
            self._collection.upsert(
                ids=[record], embeddings=[_NO_VECTOR], metadatas=[meta], documents=[document]
            )

    # -- live pointer -------------------------------------------------------------------
    def live(self) -> LivePointer | None:
        """One small get: what every reader asks before each question."""
        found = self._get(LIVE_ID)
        if found is None:
            return None
        meta = found[0]
        try:
            return LivePointer(
                str(meta["generation"]), datetime.fromisoformat(str(meta["built_at"]))
            )
        except (KeyError, ValueError):
            logger.warning("the live-generation record on %s is unreadable", self.url)
            return None

    def set_live(self, generation: str, built_at: datetime) -> None:
        # One record, one upsert: readers see the old generation or the new one, never a mix.
        self._upsert(LIVE_ID, {"generation": generation, "built_at": built_at.isoformat()})

    # -- manifests ----------------------------------------------------------------------
    def load_manifest(self, generation: str) -> str | None:
        found = self._get(MANIFEST_PREFIX + generation, documents=True)
        return found[1] if found else None

    def save_manifest(self, generation: str, manifest_json: str) -> None:
        self._upsert(MANIFEST_PREFIX + generation, {"generation": generation}, manifest_json)

    def drop_manifests(self, keep: set[str]) -> None:
        with server_errors(self.url):
            got = self._collection.get(include=["metadatas"])
            stale = [
                rid
                for rid, meta in zip(got["ids"], got["metadatas"], strict=True)
                if rid.startswith(MANIFEST_PREFIX) and (meta or {}).get("generation") not in keep
            ]
            if stale:
                self._collection.delete(ids=stale)

    # -- writer lease -------------------------------------------------------------------
    def lease(self) -> LeaseInfo | None:
        found = self._get(LEASE_ID)
        if found is None:
            return None
        meta = found[0]
        return LeaseInfo(
            str(meta.get("holder", "?")), str(meta.get("token", "")), float(meta.get("expires", 0))
        )

    def acquire(self, ttl_s: float, holder: str | None = None, *, attempts: int = 3) -> ServerLease:
        """Take the writer lease or raise IndexLocked naming its holder and expiry."""
        me = LeaseInfo(holder or holder_id(), uuid.uuid4().hex, time.time() + ttl_s)
        current = self.lease()
        if current is not None and current.expires <= time.time():
            logger.warning(
                "taking over the writer lease of %s, which expired at %s (a crashed build?)",
                current.holder,
                current.expires_text(),
            )
            # Only that expired record: a lease someone else just took is left alone.
            with server_errors(self.url):
                self._collection.delete(ids=[LEASE_ID], where={"token": current.token})
        with server_errors(self.url):
            # Insert-if-absent: of two indexers racing here, exactly one record stays.
            self._collection.add(
                ids=[LEASE_ID],
                embeddings=[_NO_VECTOR],
                metadatas=[{"holder": me.holder, "token": me.token, "expires": me.expires}],
            )
        held = self.lease()
        if held is None or held.token != me.token:
            other = held or current
            if other is None and attempts > 1:  # released between our add and get: again
                return self.acquire(ttl_s, holder, attempts=attempts - 1)
            if other is None:
                raise ServerUnavailable(
                    f"Chroma server NEWSDESK_CHROMA_URL={self.url}: the writer lease could "
                    "not be recorded"
                )
            raise IndexLocked(
                f"another `newsdesk index build` ({other.holder}) holds the writer lease on "
                f"{self.url} until {other.expires_text()}; wait for it to finish or for the "
                "lease to expire"
            )
        return ServerLease(self, me, ttl_s)

    def renew(self, lease: LeaseInfo, ttl_s: float) -> bool:
        """Extend our lease; False if it was lost (expired and taken by another indexer)."""
        held = self.lease()
        if held is None or held.token != lease.token:
            return False
        meta = {"holder": lease.holder, "token": lease.token, "expires": time.time() + ttl_s}
        self._upsert(LEASE_ID, meta)
        return True

    def release(self, lease: LeaseInfo) -> None:
        with server_errors(self.url):
            self._collection.delete(ids=[LEASE_ID], where={"token": lease.token})


class ServerLease:
    """A held writer lease, renewed every third of its length by a daemon thread while a build
    runs (a crashed indexer stops renewing, so its lease runs out)."""

    def __init__(self, state: ServerState, info: LeaseInfo, ttl_s: float) -> None:
        self.state = state
        self.info = info
        self.ttl_s = ttl_s
        self._held = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="lease-renew", daemon=True)
        self._thread.start()

    @property
    def is_locked(self) -> bool:
        return self._held

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                if not self.state.renew(self.info, self.ttl_s):
                    logger.error("lost the writer lease on %s", self.state.url)
                    self._held = False
                    return
            except ServerUnavailable as exc:  # keep trying until the lease would run out
                logger.warning("could not renew the writer lease: %s", exc)

    def check(self) -> None:
        """Before making anything live: the lease must still be ours."""
        if not self._held:
            raise IndexLocked(
                f"this build lost its writer lease on {self.state.url} (another indexer took "
                "over after it expired); nothing was made live"
            )

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self._held:
            self._held = False
            try:
                self.state.release(self.info)
            except ServerUnavailable as exc:
                # The command already fails with the server's one line; the lease expires
                # by itself, so this is no second error for the person.
                logger.info(
                    "could not release the writer lease (it expires at %s): %s",
                    self.info.expires_text(),
                    exc,
                )
