"""Where the index lives: Chroma (through LlamaIndex's ChromaVectorStore), the BM25 sidecar, and the
build manifest, grouped in *generations* so that ``--rebuild`` can build aside and swap atomically.

Layout of ``index_dir``::

    CURRENT          name of the live generation (replaced atomically with os.replace)
    .lock            one writer at a time
    gen-<stamp>/     manifest.json, bm25/ (keyword sidecar), chroma/ (local mode only)

With a Chroma server (``NEWSDESK_CHROMA_URL``) everything a reader needs is in the server (see
:mod:`index.server_state`): each generation is a collection named after it, its manifest and the
live-generation pointer are records of ``newsdesk_meta``, and one indexer at a time holds a lease
there. ``index_dir`` then holds only a cache: ``gen-<stamp>/bm25/`` rebuilt from the server's
chunks whenever ``gen-<stamp>/bm25.stamp`` differs from the server's stamp of the live build.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.errors import ChromaError, NotFoundError
from filelock import FileLock, Timeout
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from llama_index.vector_stores.chroma import ChromaVectorStore

from index.chunk import embedding_text
from index.errors import (
    IndexLocked,
    IndexMissing,
    IndexNotWritable,
    ModelMismatch,
    ServerUnavailable,
)
from index.models import Article, Chunk, Passage, SearchFilters
from index.publishers import normalise_publisher
from index.server_state import (
    DEFAULT_LEASE_S,
    LeaseInfo,
    LivePointer,
    ServerLease,
    ServerState,
    server_errors,
    server_problem,
    stamp_of,
)

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
COLLECTION_PREFIX = "newsdesk-"
MANIFEST_VERSION = 1
# chromadb's own API path; the heartbeat answers without auth on every 1.x server.
HEARTBEAT_PATH = "/api/v2/heartbeat"
DEFAULT_CHROMA_TIMEOUT_S = 5.0
# Articles per Chroma delete or get call (bounded: one query, not a huge one).
ARTICLES_PER_CALL = 500


class ArticleEntry(BaseModel):
    """What the manifest remembers of an indexed article (enough for stats and the diff)."""

    hash: str
    path: str
    title: str
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    chunks: int = 0
    source: str = ""  # the raw record's hash (JSON formats), see index.sources.KnownArticle


class Manifest(BaseModel):
    """The build record of one generation; written atomically after each batch."""

    version: int = MANIFEST_VERSION
    embed_model: str
    chunk_tokens: int
    chunk_overlap: int
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    built_at: datetime | None = None
    bm25_stale: bool = False
    articles: dict[str, ArticleEntry] = Field(default_factory=dict)
    # Source file -> stamp (index.sources.file_stamp) when its articles were last all indexed.
    files: dict[str, str] = Field(default_factory=dict)

    @property
    def chunk_count(self) -> int:
        return sum(a.chunks for a in self.articles.values())


def _of_articles(article_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Chroma ``where`` clauses selecting these articles' chunks, ARTICLES_PER_CALL a clause.
    "document_id": the key ChromaVectorStore gives a node's source article (what its own
    delete(ref_doc_id) filters on, one article a call)."""
    ids = list(article_ids)
    for start in range(0, len(ids), ARTICLES_PER_CALL):
        yield {"document_id": {"$in": ids[start : start + ARTICLES_PER_CALL]}}


def _chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    # Chroma metadata values must be scalars; absent values are stored as "" / -1.
    return {
        "article_id": article.id,
        "title": article.title,
        "url": article.url or "",
        "published": article.published.isoformat() if article.published else "",
        "published_ord": article.published.toordinal() if article.published else -1,
        "publisher": article.publisher or "",
        "publisher_key": normalise_publisher(article.publisher or ""),
        "path": article.path,
        # With the article fields above, enough to rebuild a lost manifest from the collection.
        "content_hash": article.content_hash,
        "start": chunk.start,
        "end": chunk.end,
        "position": chunk.position,
    }


def passage_from(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Passage:
    published = meta.get("published") or None
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        title=str(meta.get("title", "")),
        text=text,
        score=float(score),
        path=str(meta.get("path", "")),
        url=meta.get("url") or None,
        published=date.fromisoformat(published) if published else None,
        publisher=meta.get("publisher") or None,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
    )


class Generation:
    """One complete index: a Chroma collection, its manifest and its BM25 sidecar.

    The collection is opened on first use, so reading the manifest (``index stats``) never
    needs the Chroma server.
    """

    def __init__(
        self,
        path: Path,
        client: Callable[[], Any],
        manifest: Manifest,
        *,
        server_url: str | None = None,
        state: ServerState | None = None,
        create: bool = True,
    ) -> None:
        self.path = path
        self.name = path.name
        self.manifest = manifest
        self._client = client
        self._server_url = server_url
        self._state = state  # server mode: the manifest lives in the server
        self._create = create  # False: open an existing collection only
        self._chroma: Any = None
        self._vector_store: ChromaVectorStore | None = None

    @property
    def _collection(self) -> Any:
        if self._chroma is None:
            with self._server_errors():
                if not self._create:
                    # A reader: a generation dropped meanwhile is gone, not to be recreated.
                    self._chroma = self._client().get_collection(COLLECTION_PREFIX + self.name)
                    return self._chroma
                self._chroma = self._client().get_or_create_collection(
                    COLLECTION_PREFIX + self.name,
                    metadata={
                        "hnsw:space": "cosine",
                        # What a lost manifest cannot be rebuilt from the chunks without.
                        "newsdesk_embed_model": self.manifest.embed_model,
                        "newsdesk_chunk_tokens": self.manifest.chunk_tokens,
                        "newsdesk_chunk_overlap": self.manifest.chunk_overlap,
                    },
                )
        return self._chroma

    @property
    def vector_store(self) -> ChromaVectorStore:
        """LlamaIndex's view of the collection, for writes (imported only by a build)."""
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._vector_store = ChromaVectorStore(chroma_collection=self._collection)
        return self._vector_store

    @contextmanager
    def _server_errors(self) -> Iterator[None]:
        """A server that goes away or answers wrongly mid-command is one line, not a traceback."""
        if self._server_url is None:
            yield
            return
        try:
            with server_errors(self._server_url):
                yield
        except ServerUnavailable as exc:
            if isinstance(exc.__cause__, NotFoundError):
                # Dropped by a build two generations on, while this reader still used it.
                raise IndexMissing(
                    f"the index generation {self.name} was replaced on the Chroma server "
                    f"{self._server_url} while answering: ask again"
                ) from exc
            raise

    @property
    def bm25_dir(self) -> Path:
        return self.path / "bm25"

    def save_manifest(self) -> None:
        if self._state is not None:
            self._state.save_manifest(self.name, self.manifest.model_dump_json())
            return
        tmp = self.path / f".{MANIFEST}.tmp"
        tmp.write_text(self.manifest.model_dump_json(indent=1), encoding="utf-8")
        os.replace(tmp, self.path / MANIFEST)

    def add_chunks(
        self, batch: Sequence[tuple[Article, Sequence[Chunk]]], vectors: np.ndarray | None
    ) -> None:
        """Write the chunks of several articles in one call; ``vectors`` row-aligned with them."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        pairs = [(article, chunk) for article, chunks in batch for chunk in chunks]
        if not pairs or vectors is None:
            return
        nodes = [
            TextNode(
                id_=chunk.id,
                text=chunk.text,
                embedding=vector.tolist(),
                metadata=_chunk_metadata(article, chunk),
                start_char_idx=chunk.start,
                end_char_idx=chunk.end,
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.id)},
            )
            for (article, chunk), vector in zip(pairs, vectors, strict=True)
        ]
        if nodes:
            with self._server_errors():
                self.vector_store.add(nodes)

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        """Remove every chunk of these articles, a few hundred articles per call: a call costs
        about as much for 100 articles as for one (~3 ms at 6,000 chunks), and a build deletes
        each article it writes (clearing an old version or a killed build's half-written one)."""
        with self._server_errors():
            for where in _of_articles(article_ids):
                self._collection.delete(where=where)

    def stored_vectors(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these articles' chunks, by the text that was embedded (title
        and chunk: :func:`index.chunk.embedding_text`). A vector depends on that text alone
        (one model and chunking per generation), so an edited article's unchanged chunks can
        keep theirs."""
        found: dict[str, np.ndarray] = {}
        with self._server_errors():
            for where in _of_articles(article_ids):
                got = self._collection.get(
                    where=where, include=["documents", "metadatas", "embeddings"]
                )
                for doc, meta, vector in zip(
                    got["documents"], got["metadatas"], got["embeddings"], strict=True
                ):
                    title = str((meta or {}).get("title") or "")
                    found[embedding_text(title, doc or "")] = np.asarray(vector, dtype=np.float32)
        return found

    def dense_search(
        self, vector: np.ndarray, k: int, filters: SearchFilters | None = None
    ) -> list[Passage]:
        # Straight to Chroma, not through LlamaIndex's query: the read path then never imports
        # LlamaIndex (~1.5 s of a cold `ask`). The score is ChromaVectorStore's, exp(-distance).
        got = self._nearest(vector, k, filters, ["documents", "metadatas", "distances"])
        return [
            passage_from(cid, doc or "", meta or {}, math.exp(-distance))
            for cid, doc, meta, distance in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=True,
            )
        ]

    def dense_ids(
        self, vector: np.ndarray, k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """:meth:`dense_search`'s chunk ids and scores only: Chroma reads the chunks' texts and
        metadata for ~0.1 ms a chunk, which a caller that keeps passages may not need."""
        got = self._nearest(vector, k, filters, ["distances"])
        return [
            (cid, math.exp(-distance))
            for cid, distance in zip(got["ids"][0], got["distances"][0], strict=True)
        ]

    def _nearest(
        self, vector: np.ndarray, k: int, filters: SearchFilters | None, include: list[str]
    ) -> Any:
        """Chroma's ``k`` nearest chunks to ``vector`` with the fields ``include`` names."""
        where = filters.to_where() if filters else None
        with self._server_errors():
            return self._collection.query(
                query_embeddings=[vector.tolist()],
                n_results=k,
                where=where,
                include=include,  # type: ignore[arg-type]
            )

    def get_passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        if not chunk_ids:
            return {}
        with self._server_errors():
            got = self._collection.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {
            cid: passage_from(cid, doc or "", meta or {}, 0.0)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def iter_all_passages(self, page: int = 2000) -> Iterator[Passage]:
        offset = 0
        while True:
            with self._server_errors():
                got = self._collection.get(
                    include=["documents", "metadatas"], limit=page, offset=offset
                )
            if not got["ids"]:
                return
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                yield passage_from(cid, doc or "", meta or {}, 0.0)
            offset += len(got["ids"])

    def recover_manifest(self) -> Manifest:
        """The manifest rebuilt from the collection: settings from its metadata, one entry
        per article from its chunks' metadata (an unknown hash re-embeds that article)."""
        meta = self._collection.metadata or {}
        manifest = Manifest(
            embed_model=str(meta.get("newsdesk_embed_model", "unknown")),
            chunk_tokens=int(meta.get("newsdesk_chunk_tokens", 0)),
            chunk_overlap=int(meta.get("newsdesk_chunk_overlap", 0)),
            built_at=datetime.now(UTC),
        )
        self.manifest = manifest
        for passage, chunk_meta in self._iter_chunk_metadata():
            entry = manifest.articles.get(passage)
            if entry is None:
                published = chunk_meta.get("published") or None
                entry = manifest.articles[passage] = ArticleEntry(
                    hash=str(chunk_meta.get("content_hash", "")),
                    path=str(chunk_meta.get("path", "")),
                    title=str(chunk_meta.get("title", "")),
                    url=chunk_meta.get("url") or None,
                    published=date.fromisoformat(published) if published else None,
                    publisher=chunk_meta.get("publisher") or None,
                )
            entry.chunks += 1
        return manifest

    def _iter_chunk_metadata(self, page: int = 5000) -> Iterator[tuple[str, dict[str, Any]]]:
        offset = 0
        while True:
            with self._server_errors():
                got = self._collection.get(include=["metadatas"], limit=page, offset=offset)
            if not got["ids"]:
                return
            for meta in got["metadatas"]:
                meta = meta or {}
                yield str(meta.get("article_id", "")), dict(meta)
            offset += len(got["ids"])

    def count(self) -> int:
        with self._server_errors():
            return int(self._collection.count())


def _within(timeout_s: float, make: Callable[[], Any]) -> Any:
    """``make()`` in a daemon thread, given up on after ``timeout_s``: the chromadb constructor
    talks to the server before its session can be bounded, and a server that answers the
    heartbeat but then stalls must not hang the command (the thread dies with the process)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = make()
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="chroma-connect", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise httpx.ReadTimeout("the Chroma client did not connect in time")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@dataclass(frozen=True)
class ServerAuth:
    """Where on a Chroma server newsdesk keeps its data, and the token to get in (plain str
    here: it comes from a SecretStr at the composition root and goes only into a header)."""

    token: str | None = field(default=None, repr=False)  # never in a repr, log or traceback
    tenant: str | None = None
    database: str | None = None


def connect_server(
    url: str, timeout_s: float = DEFAULT_CHROMA_TIMEOUT_S, auth: ServerAuth | None = None
) -> Any:
    """An HttpClient whose every request is bounded by ``timeout_s``.

    chromadb builds its httpx session with ``timeout=None`` and its constructor already talks
    to the server, so a silent port would hang forever: probe the heartbeat with a bounded
    request first, then bound the session's own requests.
    """
    parsed = urlparse(url)
    ssl = parsed.scheme == "https"
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or (443 if ssl else 8000)
    base = f"{parsed.scheme}://{parsed.netloc}"
    auth = auth or ServerAuth()
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if auth.token:
        # Chroma's token auth: "Authorization: Bearer <token>" on every request.
        chroma_settings = chromadb.Settings(
            anonymized_telemetry=False,
            chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
            chroma_client_auth_credentials=auth.token,
        )
    tenant = {"tenant": auth.tenant} if auth.tenant else {}
    database = {"database": auth.database} if auth.database else {}
    try:
        httpx.get(base + HEARTBEAT_PATH, timeout=timeout_s).raise_for_status()
        client = _within(
            timeout_s,
            lambda: chromadb.HttpClient(
                host=host,
                port=port,
                ssl=ssl,
                settings=chroma_settings,
                **tenant,
                **database,
            ),
        )
    except (httpx.HTTPError, ChromaError, ValueError) as exc:
        message = _without(server_problem(url, exc), auth.token)
        if not isinstance(exc, httpx.HTTPError) and any(
            word in message.lower() for word in ("tenant", "database")
        ):
            message += " (NEWSDESK_CHROMA_TENANT, NEWSDESK_CHROMA_DATABASE)"
        raise ServerUnavailable(message) from exc
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout_s)
    else:  # a chromadb release that moved its session: still works, just unbounded
        logger.warning("cannot bound Chroma client requests: a silent server may hang")
    return client


def _without(message: str, secret: str | None) -> str:
    """A server's error text could echo what we sent; the token never reaches a person."""
    return message.replace(secret, "***") if secret else message


class WriterLock(Protocol):
    """The single-writer lock: a local file lock, or the server's lease in server mode."""

    @property
    def is_locked(self) -> bool: ...

    def release(self) -> None: ...


class IndexStore:
    """Opens, creates and swaps generations under ``index_dir``; hands out the writer lock.

    In server mode (``chroma_url``) the live pointer, the manifests and the writer lease are
    kept in the server and ``index_dir`` is this machine's BM25 cache (see the module doc).
    """

    def __init__(
        self,
        index_dir: Path,
        chroma_url: str | None = None,
        *,
        chroma_timeout_s: float = DEFAULT_CHROMA_TIMEOUT_S,
        auth: ServerAuth | None = None,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        self.index_dir = index_dir
        self.chroma_url = chroma_url
        self.chroma_timeout_s = chroma_timeout_s
        self.auth = auth or ServerAuth()
        self.lease_s = lease_s
        self._clients: dict[str, Any] = {}
        self._lock: WriterLock | None = None  # held while this process builds
        self._state: ServerState | None = None
        if chroma_url:
            self._state = ServerState(lambda: self._client_for(index_dir), chroma_url)

    @classmethod
    def from_settings(cls, settings: Any) -> IndexStore:
        """The store the settings describe (``config.settings.Settings``; typed loosely so the
        index does not import the config layer)."""
        url = str(settings.chroma_url).rstrip("/") if settings.chroma_url else None
        token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
        return cls(
            settings.index_dir,
            url,
            chroma_timeout_s=settings.chroma_timeout_s,
            auth=ServerAuth(token, settings.chroma_tenant, settings.chroma_database),
        )

    # -- location -----------------------------------------------------------------------
    @property
    def location(self) -> str:
        return self.chroma_url or str(self.index_dir)

    def current_name(self) -> str | None:
        if self._state is not None:
            live = self._state.live()
            return live.generation if live else None
        try:
            name = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return name if name and (self.index_dir / name / MANIFEST).is_file() else None

    def manifest_mtime(self, name: str) -> int:
        """When generation ``name``'s last build changed it (ns); 0 if it is gone. Server
        mode: the stamp of its last *finished* build, read from the server."""
        if self._state is not None:
            live = self._state.live()
            return live.stamp if live and live.generation == name else 0
        try:
            return (self.index_dir / name / MANIFEST).stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def live_stamp(self) -> tuple[str | None, int]:
        """The live generation and its stamp, in one small read: what a searcher compares
        before each question to notice a finished build (a rebuild or an incremental one)."""
        if self._state is not None:
            live = self._state.live()
            return (live.generation, live.stamp) if live else (None, 0)
        name = self.current_name()
        return name, self.manifest_mtime(name) if name else 0

    def lease(self) -> LeaseInfo | None:
        """Server mode: who holds the writer lease, if anyone (for `newsdesk health`)."""
        return self._state.lease() if self._state is not None else None

    def _client_for(self, gen_path: Path) -> Any:
        if self.chroma_url:
            key = self.chroma_url
            if key not in self._clients:
                self._clients[key] = connect_server(
                    self.chroma_url, self.chroma_timeout_s, self.auth
                )
            return self._clients[key]
        key = str(gen_path / "chroma")
        if key not in self._clients:
            self._clients[key] = chromadb.PersistentClient(
                path=key, settings=chromadb.Settings(anonymized_telemetry=False)
            )
        return self._clients[key]

    def _generation(self, path: Path, manifest: Manifest, *, create: bool = False) -> Generation:
        return Generation(
            path,
            lambda: self._client_for(path),
            manifest,
            server_url=self.chroma_url,
            state=self._state,
            # Local mode keeps get-or-create (a generation's folder is its collection).
            create=create or self._state is None,
        )

    # -- generations --------------------------------------------------------------------
    def open_current(self) -> Generation:
        if self._state is not None:
            return self._open_server()
        name = self.current_name()
        if name is None:
            raise IndexMissing(f"no index at {self.index_dir}: run `newsdesk index build` first")
        path = self.index_dir / name
        try:
            manifest = Manifest.model_validate_json((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            return self._repair_manifest(path, exc)
        gen = self._generation(path, manifest)
        self._repair_sidecar(gen)
        return gen

    def _open_server(self) -> Generation:
        """The live generation as the server has it; this machine's BM25 cache brought up to
        the server's stamp first."""
        assert self._state is not None
        live = self._state.live()
        if live is None:
            raise IndexMissing(
                f"no index on the Chroma server {self.chroma_url}: run `newsdesk index build` first"
            )
        path = self.index_dir / live.generation
        text = self._state.load_manifest(live.generation)
        try:
            if text is None:
                raise ValueError("missing from the server")
            manifest = Manifest.model_validate_json(text)
        except ValueError as exc:
            gen = self._repair_manifest(path, exc)
        else:
            gen = self._generation(path, manifest)
        self._sync_cache(gen, live)
        return gen

    def _repair_manifest(self, path: Path, exc: Exception) -> Generation:
        reason = " ".join(str(exc).split())[:160]
        where = f"{self.chroma_url} ({path.name})" if self._state else str(path / MANIFEST)
        logger.warning(
            "the manifest %s is unreadable (%s); rebuilding it from the collection", where, reason
        )
        placeholder = Manifest(embed_model="unknown", chunk_tokens=0, chunk_overlap=0)
        gen = self._generation(path, placeholder)
        gen.recover_manifest()
        with self._repair_lock() as locked:
            if locked:
                if self._state is None:
                    path.mkdir(parents=True, exist_ok=True)
                gen.save_manifest()
                if self._state is None:
                    self._repair_sidecar(gen, force=True)
        return gen

    def _repair_sidecar(self, gen: Generation, *, force: bool = False) -> None:
        """Rebuild a corrupt or truncated BM25 sidecar from the collection (a stale one is
        left for the next build, which knows what changed)."""
        from index.keyword import KeywordIndex, SidecarCorrupt

        if gen.manifest.bm25_stale:
            return
        if not force:
            try:
                KeywordIndex.verify(gen.bm25_dir, gen.manifest.chunk_count)
                return
            except SidecarCorrupt as exc:
                logger.warning(
                    "the keyword index %s is damaged (%s); rebuilding it from the collection",
                    gen.bm25_dir,
                    exc,
                )
        with self._repair_lock() as locked:
            if locked:
                KeywordIndex.build(gen.iter_all_passages()).save(gen.bm25_dir)
            else:
                logger.warning("a build is running; it will rewrite the keyword index")

    # -- server mode: this machine's BM25 cache ------------------------------------------
    @staticmethod
    def _stamp_file(gen: Generation) -> Path:
        return gen.path / "bm25.stamp"

    def _sync_cache(self, gen: Generation, live: LivePointer) -> None:
        """Rebuild the local BM25 cache from the server's chunks when it is missing, damaged,
        or from another build than the server's live stamp. Readers on one machine share the
        cache, so the rebuild runs under a file lock and the second one finds it done."""
        from index.keyword import KeywordIndex, SidecarCorrupt

        if self._cache_fresh(gen, live):
            return
        if self._lock is not None and self._lock.is_locked:
            return  # this process is the indexer: its build writes the keyword side itself
        with self._cache_lock():
            if self._cache_fresh(gen, live):
                return
            logger.info(
                "rebuilding the local keyword index of %s from %s", gen.name, self.chroma_url
            )
            KeywordIndex.build(gen.iter_all_passages()).save(gen.bm25_dir)
            self._write_stamp(gen, live.stamp)
            self._prune_cache(keep=gen.name)
        try:
            KeywordIndex.verify(gen.bm25_dir, gen.manifest.chunk_count)
        except SidecarCorrupt as exc:  # chunks changed since the build finished: still usable
            logger.info("the keyword index of %s differs from its manifest (%s)", gen.name, exc)

    def _cache_fresh(self, gen: Generation, live: LivePointer) -> bool:
        from index.keyword import META_FILE

        try:
            stamp = self._stamp_file(gen).read_text(encoding="utf-8").strip()
        except OSError:
            return False
        return stamp == str(live.stamp) and (gen.bm25_dir / META_FILE).is_file()

    def _write_stamp(self, gen: Generation, stamp: int) -> None:
        tmp = gen.path / ".bm25.stamp.tmp"
        tmp.write_text(str(stamp), encoding="utf-8")
        os.replace(tmp, self._stamp_file(gen))

    def _prune_cache(self, keep: str) -> None:
        """Drop caches of generations older than ``keep`` (newer ones may be a build's)."""
        for path in self.index_dir.glob("gen-*"):
            if path.is_dir() and path.name < keep:
                shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def _cache_lock(self) -> Iterator[None]:
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            with FileLock(str(self.index_dir / ".cache.lock"), timeout=120):
                yield
        except OSError as exc:
            raise IndexNotWritable(
                f"cannot write the keyword cache in {self.index_dir} ({exc.strerror or exc}): "
                "set NEWSDESK_INDEX_DIR (or --index-dir) to a folder you can write"
            ) from None

    def save_keyword(self, gen: Generation, keyword: Any) -> None:
        """Write a build's keyword index (under the cache lock in server mode, where readers
        on this machine rebuild into the same folder)."""
        if self._state is None:
            keyword.save(gen.bm25_dir)
            return
        with self._cache_lock():
            keyword.save(gen.bm25_dir)

    @contextmanager
    def _repair_lock(self) -> Iterator[bool]:
        """Repairs write, so they take the writer lock; a build in progress (another
        process) repairs by rewriting. True when this process may write."""
        if self._lock is not None and self._lock.is_locked:
            yield True  # this process is the writer (a build opening its index)
            return
        try:
            lock = self.writer_lock()
        except (IndexLocked, IndexNotWritable) as exc:
            logger.debug("not repairing: %s", exc)
            yield False
            return
        try:
            yield True
        finally:
            lock.release()
            self._lock = None

    def create_generation(
        self, embed_model: str, chunk_tokens: int, chunk_overlap: int
    ) -> Generation:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.index_dir / f"gen-{stamp}-{os.getpid()}"
        path.mkdir(parents=True)
        manifest = Manifest(
            embed_model=embed_model, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap
        )
        gen = self._generation(path, manifest, create=True)
        gen.save_manifest()
        return gen

    def activate(self, gen: Generation) -> None:
        """Make ``gen`` the live index (atomic), then remove the generations it supersedes."""
        if self._state is not None:
            previous = self.current_name()
            self.publish(gen)
            # The generation just superseded stays one build longer: a reader that read the
            # old pointer a moment ago finishes its question on it. The next build drops it.
            self.remove_stale(keep=gen.name, also=previous)
            return
        tmp = self.index_dir / f".{CURRENT}.tmp"
        tmp.write_text(gen.name, encoding="utf-8")
        os.replace(tmp, self.index_dir / CURRENT)
        self.remove_stale(keep=gen.name)

    def publish(self, gen: Generation) -> None:
        """Server mode: move the live pointer (and its stamp) to ``gen``'s finished build, so
        readers everywhere reload on their next question. Local mode: the manifest's mtime
        already moved."""
        if self._state is None:
            return
        if isinstance(self._lock, ServerLease):
            self._lock.check()
        built_at = gen.manifest.built_at or datetime.now(UTC)
        self._state.set_live(gen.name, built_at)
        try:
            self._write_stamp(gen, stamp_of(built_at))  # this machine's cache is that build's
        except OSError as exc:
            logger.debug("no cache stamp for %s: %s", gen.name, exc)

    def remove_stale(self, keep: str, also: str | None = None) -> None:
        """Delete generations other than ``keep`` (and ``also``): superseded ones, or those
        left by a killed rebuild."""
        kept = {keep} | ({also} if also else set())
        if self._state is not None:
            with server_errors(self.location):
                client = self._client_for(self.index_dir)
                for collection in client.list_collections():
                    name = str(getattr(collection, "name", collection))
                    if name.startswith(COLLECTION_PREFIX) and (
                        name.removeprefix(COLLECTION_PREFIX) not in kept
                    ):
                        client.delete_collection(name)
            self._state.drop_manifests(kept)
        for path in self.index_dir.glob("gen-*"):
            if path.name in kept or not path.is_dir():
                continue
            self._clients.pop(str(path / "chroma"), None)
            shutil.rmtree(path, ignore_errors=True)

    def writer_lock(self) -> WriterLock:
        """Acquire the single-writer lock or raise IndexLocked with a clear message: a file
        lock in ``index_dir``, or in server mode a lease in the server (one indexer across
        machines; it expires if its holder dies).

        The first write of a build: the index folder is created (and found unwritable) here,
        not when settings are loaded.
        """
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            if not os.access(self.index_dir, os.W_OK):
                raise PermissionError(13, "permission denied")
            if self._state is not None:
                lease = self._state.acquire(self.lease_s)
                self._lock = lease
                return lease
            lock = FileLock(str(self.index_dir / ".lock"))
            lock.acquire(timeout=0)
            self._lock = lock
        except Timeout:
            raise IndexLocked(
                f"another `newsdesk index build` is writing {self.index_dir}; "
                "wait for it to finish and try again"
            ) from None
        except OSError as exc:
            raise IndexNotWritable(
                f"index folder {self.index_dir} is not writable ({exc.strerror or exc}): "
                "set NEWSDESK_INDEX_DIR (or --index-dir) to a folder you can write"
            ) from None
        return lock


def check_model(manifest: Manifest, embed_model: str) -> None:
    if manifest.embed_model != embed_model:
        raise ModelMismatch(
            f"the index was built with embedding model {manifest.embed_model!r} but "
            f"NEWSDESK_EMBED_MODEL and NEWSDESK_EMBED_BACKEND give {embed_model!r}: "
            "run `newsdesk index build --rebuild`"
        )
