"""Where the index lives: Chroma (through LlamaIndex's ChromaVectorStore), the BM25 sidecar, and the
build manifest, grouped in *generations* so that ``--rebuild`` can build aside and swap atomically.

Layout of ``index_dir``::

    CURRENT          name of the live generation (replaced atomically with os.replace)
    .lock            one writer at a time
    gen-<stamp>/     manifest.json, bm25/ (keyword sidecar), chroma/ (local mode only)

With a Chroma server (``NEWSDESK_CHROMA_URL``) each generation is a collection named after it and
only the sidecars live on disk.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from filelock import FileLock, Timeout
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import BaseModel, Field

from index.errors import IndexLocked, IndexMissing, ModelMismatch
from index.models import Article, Chunk, Passage

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
COLLECTION_PREFIX = "newsdesk-"
MANIFEST_VERSION = 1


class ArticleEntry(BaseModel):
    """What the manifest remembers of an indexed article (enough for stats and the diff)."""

    hash: str
    path: str
    title: str
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    chunks: int = 0


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

    @property
    def chunk_count(self) -> int:
        return sum(a.chunks for a in self.articles.values())


@dataclass(frozen=True)
class SearchFilters:
    """Optional restrictions for a search: articles published on/after ``since``, one publisher."""

    since: date | None = None
    source: str | None = None

    def to_llama(self) -> MetadataFilters | None:
        filters: list[MetadataFilter] = []
        if self.since:
            filters.append(
                MetadataFilter(
                    key="published_ord", value=self.since.toordinal(), operator=FilterOperator.GTE
                )
            )
        if self.source:
            filters.append(
                MetadataFilter(
                    key="publisher_key",
                    value=normalise_publisher(self.source),
                    operator=FilterOperator.EQ,
                )
            )
        return MetadataFilters(filters=filters) if filters else None

    def admits(self, passage: Passage) -> bool:
        if self.since and (passage.published is None or passage.published < self.since):
            return False
        return not (
            self.source
            and normalise_publisher(passage.publisher or "") != normalise_publisher(self.source)
        )


def normalise_publisher(name: str) -> str:
    return " ".join(name.lower().split())


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
    """One complete index: a Chroma collection, its manifest and its BM25 sidecar."""

    def __init__(self, path: Path, client: Any, manifest: Manifest) -> None:
        self.path = path
        self.name = path.name
        self.manifest = manifest
        self._client = client
        self._collection = client.get_or_create_collection(
            COLLECTION_PREFIX + self.name, metadata={"hnsw:space": "cosine"}
        )
        self.vector_store = ChromaVectorStore(chroma_collection=self._collection)

    @property
    def bm25_dir(self) -> Path:
        return self.path / "bm25"

    def save_manifest(self) -> None:
        tmp = self.path / f".{MANIFEST}.tmp"
        tmp.write_text(self.manifest.model_dump_json(indent=1), encoding="utf-8")
        os.replace(tmp, self.path / MANIFEST)

    def add_chunks(self, article: Article, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
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
            for chunk, vector in zip(chunks, vectors, strict=True)
        ]
        if nodes:
            self.vector_store.add(nodes)

    def delete_article(self, article_id: str) -> None:
        # ChromaVectorStore.delete removes every node whose ref doc is this article.
        self.vector_store.delete(article_id)

    def dense_search(
        self, vector: np.ndarray, k: int, filters: SearchFilters | None = None
    ) -> list[Passage]:
        query = VectorStoreQuery(
            query_embedding=vector.tolist(),
            similarity_top_k=k,
            filters=filters.to_llama() if filters else None,
        )
        result = self.vector_store.query(query)
        passages = []
        for node, sim in zip(result.nodes or [], result.similarities or [], strict=False):
            passages.append(passage_from(node.node_id, node.get_content(), node.metadata, sim))
        return passages

    def get_passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        if not chunk_ids:
            return {}
        got = self._collection.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {
            cid: passage_from(cid, doc or "", meta or {}, 0.0)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def iter_all_passages(self, page: int = 2000) -> Iterator[Passage]:
        offset = 0
        while True:
            got = self._collection.get(
                include=["documents", "metadatas"], limit=page, offset=offset
            )
            if not got["ids"]:
                return
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                yield passage_from(cid, doc or "", meta or {}, 0.0)
            offset += len(got["ids"])

    def count(self) -> int:
        return int(self._collection.count())


class IndexStore:
    """Opens, creates and swaps generations under ``index_dir``; hands out the writer lock."""

    def __init__(self, index_dir: Path, chroma_url: str | None = None) -> None:
        self.index_dir = index_dir
        self.chroma_url = chroma_url
        self._clients: dict[str, Any] = {}

    # -- location -----------------------------------------------------------------------
    @property
    def location(self) -> str:
        return self.chroma_url or str(self.index_dir)

    def current_name(self) -> str | None:
        try:
            name = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.index_dir / name / MANIFEST).is_file() else None

    def manifest_mtime(self, name: str) -> int:
        """When generation ``name``'s manifest last changed (ns); 0 if it is gone."""
        try:
            return (self.index_dir / name / MANIFEST).stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def _client_for(self, gen_path: Path) -> Any:
        if self.chroma_url:
            key = self.chroma_url
            if key not in self._clients:
                from urllib.parse import urlparse

                url = urlparse(self.chroma_url)
                self._clients[key] = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                )
            return self._clients[key]
        key = str(gen_path / "chroma")
        if key not in self._clients:
            self._clients[key] = chromadb.PersistentClient(
                path=key, settings=chromadb.Settings(anonymized_telemetry=False)
            )
        return self._clients[key]

    # -- generations --------------------------------------------------------------------
    def open_current(self) -> Generation:
        name = self.current_name()
        if name is None:
            raise IndexMissing(f"no index at {self.index_dir}: run `newsdesk index build` first")
        path = self.index_dir / name
        manifest = Manifest.model_validate_json((path / MANIFEST).read_text(encoding="utf-8"))
        return Generation(path, self._client_for(path), manifest)

    def create_generation(
        self, embed_model: str, chunk_tokens: int, chunk_overlap: int
    ) -> Generation:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.index_dir / f"gen-{stamp}-{os.getpid()}"
        path.mkdir(parents=True)
        manifest = Manifest(
            embed_model=embed_model, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap
        )
        gen = Generation(path, self._client_for(path), manifest)
        gen.save_manifest()
        return gen

    def activate(self, gen: Generation) -> None:
        """Make ``gen`` the live index (atomic), then remove the generations it supersedes."""
        tmp = self.index_dir / f".{CURRENT}.tmp"
        tmp.write_text(gen.name, encoding="utf-8")
        os.replace(tmp, self.index_dir / CURRENT)
        self.remove_stale(keep=gen.name)

    def remove_stale(self, keep: str) -> None:
        """Delete generations other than ``keep`` (superseded, or left by a killed rebuild)."""
        for path in self.index_dir.glob("gen-*"):
            if path.name == keep or not path.is_dir():
                continue
            if self.chroma_url:
                try:
                    self._client_for(path).delete_collection(COLLECTION_PREFIX + path.name)
                except Exception as exc:
                    logger.debug("no collection to drop for %s: %s", path.name, exc)
            self._clients.pop(str(path / "chroma"), None)
            shutil.rmtree(path, ignore_errors=True)

    def writer_lock(self) -> FileLock:
        """Acquire the single-writer lock or raise IndexLocked with a clear message."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.index_dir / ".lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise IndexLocked(
                f"another `newsdesk index build` is writing {self.index_dir}; "
                "wait for it to finish and try again"
            ) from None
        return lock


def check_model(manifest: Manifest, embed_model: str) -> None:
    if manifest.embed_model != embed_model:
        raise ModelMismatch(
            f"the index was built with embedding model {manifest.embed_model!r} but "
            f"NEWSDESK_EMBED_MODEL is {embed_model!r}: run `newsdesk index build --rebuild`"
        )
