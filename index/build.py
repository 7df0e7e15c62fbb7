"""Incremental index build: diff articles by content hash against the manifest, embed only new or
changed ones, delete the chunks of changed and removed ones, keep the BM25 sidecar in step.

``rebuild=True`` builds a fresh generation aside and swaps it in only when it is complete, so a
build killed at any moment leaves the previous index answering.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.chunk import Chunker, embedding_text
from index.embed import Embedder
from index.errors import BuildRefused, IndexMissing, ModelMismatch, SourcesMissing
from index.keyword import KeywordIndex, SidecarCorrupt
from index.models import Article, Chunk, LoadReport, SourceFailure
from index.sources import check_paths, load_paths, with_own_id
from index.store import ArticleEntry, Generation, IndexStore

logger = logging.getLogger(__name__)

# Chunks embedded per call: large enough that sorting them by length leaves little padding
# (bench/build_speed.py, 360 articles: 123 s at 1,024, 133 s at 256), small enough that
# progress moves every ~20 s.
EMBED_BATCH_CHUNKS = 1024
# Seconds between manifest saves during a build (progress a kill can lose; see _embed_articles).
MANIFEST_SAVE_INTERVAL_S = 5.0


@dataclass(frozen=True)
class BuildProgress:
    """Where the embedding stage of a build is: articles and chunks written so far, of the
    totals (the chunk total is an estimate until the last article is chunked)."""

    articles_done: int
    articles_total: int
    chunks_done: int
    chunks_total: int


# Called once with zero done, then after every embedded batch; the last call has done == total.
Progress = Callable[[BuildProgress], None]


@dataclass
class BuildReport:
    """The outcome of one build, as printed by ``newsdesk index build --json``."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    embedded_chunks: int = 0  # chunks the model embedded
    # Chunks of edited articles written with their stored vector: their text did not change.
    reused_chunks: int = 0
    failed: list[SourceFailure] = field(default_factory=list)
    # Files inside the folders skipped for their type: {".pdf": 2}.
    skipped_unsupported: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    location: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks": self.chunks,
            "embedded_chunks": self.embedded_chunks,
            "reused_chunks": self.reused_chunks,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
            "skipped_unsupported": self.skipped_unsupported,
            "seconds": round(self.seconds, 3),
            "chunks_per_second": round(self.chunks_per_second, 1),
            "location": self.location,
        }

    @property
    def chunks_per_second(self) -> float:
        """Embedded chunks over the whole build's wall time (0 when nothing was embedded)."""
        if not self.embedded_chunks or self.seconds <= 0:
            return 0.0
        return self.embedded_chunks / self.seconds


@dataclass(frozen=True)
class Plan:
    """What a build will do, decided before any write."""

    to_embed: list[Article]
    updated_ids: set[str]
    removed_ids: list[str]
    unchanged: int


def _failed_files(report: LoadReport) -> set[str]:
    """Files with any failure (a bad JSONL line counts for its whole file: we keep its articles)."""
    files: set[str] = set()
    for failure in report.failures:
        path = failure.path
        if path not in report.seen_paths and ":" in path:
            path = path.rsplit(":", 1)[0]
        files.add(path)
    return files


def _under(path: str, roots: Sequence[Path]) -> bool:
    p = Path(path)
    return any(p == root or root in p.parents for root in roots)


def plan_build(
    report: LoadReport, entries: dict[str, ArticleEntry], roots: Sequence[Path]
) -> tuple[Plan, list[SourceFailure]]:
    """Diff loaded articles against the manifest. Pure: no I/O.

    Articles of files the load skipped as unchanged are kept as the manifest has them."""
    failures: list[SourceFailure] = []
    kept = {aid for aid, entry in entries.items() if entry.path in report.unchanged_files}
    seen: dict[str, Article] = {}
    for article in report.articles:
        if article.id in kept:
            # The id belongs to an article of an unchanged (unread) file: as when both files are
            # read, the later one gets an id of its own.
            article = with_own_id(article)
        if article.id in seen:
            failures.append(
                SourceFailure(
                    article.path,
                    f"duplicate article id {article.id!r} (also in {seen[article.id].path}); skipped",
                )
            )
            continue
        seen[article.id] = article
    to_embed = [
        a
        for a in seen.values()
        if entries.get(a.id) is None or entries[a.id].hash != a.content_hash
    ]
    updated = {a.id for a in to_embed if a.id in entries}
    failed_files = _failed_files(report)
    removed = [
        article_id
        for article_id, entry in entries.items()
        if article_id not in seen
        and article_id not in kept
        and _under(entry.path, roots)
        and entry.path not in failed_files
    ]
    unchanged = len(seen) - len(to_embed) + len(kept)
    return Plan(to_embed, updated, removed, unchanged), failures


class IndexBuilder:
    """Runs builds against one store with one embedder and chunker (all injected)."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        chunker: Chunker,
        *,
        max_file_bytes: int,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.max_file_bytes = max_file_bytes

    def build(
        self,
        paths: Sequence[Path],
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> BuildReport:
        """Index ``paths``. Refuses, touching nothing, when every path is missing
        (:class:`SourcesMissing`); a ``--rebuild`` that loads no article keeps the live index
        (:class:`BuildRefused`) rather than swapping in an empty one."""
        started = time.perf_counter()
        roots, missing = check_paths(paths)
        if not roots:
            raise SourcesMissing(
                "; ".join(f"{f.error}: {f.path}" for f in missing)
                + " (nothing was indexed; the index is unchanged)"
            )
        lock = self.store.writer_lock()
        try:
            live = self.store.current_name()
            if live:
                self.store.remove_stale(keep=live)  # half-built generations of killed rebuilds
            current = None if rebuild else self._open_live()
            loaded = load_paths(
                roots,
                max_bytes=self.max_file_bytes,
                known_stamps=current.manifest.files if current else None,
                known_articles=current.manifest.articles if current else None,
            )
            failures = [*missing, *loaded.failures]
            if not loaded.articles and not loaded.unchanged_files:
                self._refuse_empty(rebuild, live, failures)
                if current is None:  # nothing loaded and no index yet: do not create an empty one
                    return BuildReport(
                        failed=failures,
                        skipped_unsupported=loaded.skipped_types,
                        seconds=time.perf_counter() - started,
                        location=self.store.location,
                    )
            gen = current or self.store.create_generation(
                self.embedder.name, self.chunker.chunk_tokens, self.chunker.chunk_overlap
            )
            plan, dup_failures = plan_build(loaded, gen.manifest.articles, roots)
            report = BuildReport(
                added=len(plan.to_embed) - len(plan.updated_ids),
                updated=len(plan.updated_ids),
                removed=len(plan.removed_ids),
                unchanged=plan.unchanged,
                failed=[*failures, *dup_failures],
                skipped_unsupported=loaded.skipped_types,
                location=self.store.location,
            )
            for failure in report.failed:
                logger.debug("could not index %s: %s", failure.path, failure.error)
            changed = bool(plan.to_embed or plan.removed_ids)
            # In step with the collection before this build: then it can be updated, not rebuilt.
            sidecar_fresh = not gen.manifest.bm25_stale and gen.bm25_dir.exists()
            if changed:
                gen.manifest.bm25_stale = True
                gen.save_manifest()
            gen.delete_articles(plan.removed_ids)
            for article_id in plan.removed_ids:
                del gen.manifest.articles[article_id]
            tally = self._embed_articles(gen, plan.to_embed, progress)
            written = tally.chunk_ids
            report.embedded_chunks = len(written) - tally.reused
            report.reused_chunks = tally.reused
            rewrite = changed or gen.manifest.bm25_stale or not gen.bm25_dir.exists()
            if rewrite:
                dropped = {*plan.removed_ids, *(a.id for a in plan.to_embed)}
                keyword = self._keyword_index(gen, dropped, written, sidecar_fresh)
                self.store.save_keyword(gen, keyword)
                gen.manifest.bm25_stale = False
            # Every file read cleanly is now indexed as it is: its stamp lets the next build skip it.
            # (Files outside the given paths were not looked at: their stamps stay.)
            gen.manifest.files = {
                path: stamp for path, stamp in gen.manifest.files.items() if not _under(path, roots)
            } | loaded.stamps
            gen.manifest.built_at = datetime.now(UTC)
            gen.save_manifest()
            if rebuild or self.store.current_name() != gen.name:
                self.store.activate(gen)
            elif rewrite:
                # Built into the live generation: move its stamp so readers reload.
                self.store.publish(gen)
            report.chunks = gen.manifest.chunk_count
        finally:
            lock.release()
        report.seconds = time.perf_counter() - started
        return report

    def _refuse_empty(self, rebuild: bool, live: str | None, failures: list[SourceFailure]) -> None:
        """A rebuild that loaded nothing must not replace an index that has articles."""
        if not (rebuild and live):
            return
        kept = self.store.open_current()
        if not kept.manifest.articles:
            return
        why = f"{len(failures)} failed" if failures else "none found"
        raise BuildRefused(
            f"--rebuild loaded no article ({why}); kept the index at {self.store.location} "
            f"({len(kept.manifest.articles)} articles)",
            failures,
        )

    def _open_live(self) -> Generation | None:
        """The live generation to build into incrementally, if it matches model and chunking."""
        name = self.embedder.name
        try:
            gen = self.store.open_current()
        except IndexMissing:
            return None
        if gen.manifest.embed_model != name:
            raise ModelMismatch(
                f"the index was built with {gen.manifest.embed_model!r}, "
                f"not {name!r}: run `newsdesk index build --rebuild`"
            )
        if (gen.manifest.chunk_tokens, gen.manifest.chunk_overlap) != (
            self.chunker.chunk_tokens,
            self.chunker.chunk_overlap,
        ):
            raise ModelMismatch(
                "the chunk settings changed since the index was built: "
                "run `newsdesk index build --rebuild`"
            )
        return gen

    def _embed_articles(
        self, gen: Generation, articles: Sequence[Article], progress: Progress | None
    ) -> _Tally:
        """Chunk, embed and write in batches of ~EMBED_BATCH_CHUNKS chunks, as a pipeline.

        The model embeds batch k on a worker thread (ONNX Runtime and torch release the GIL)
        while this thread writes batch k-1 to the store and chunks the articles of batch k+1, so
        chunking and writing cost little wall time next to embedding. Writes stay in order on
        this thread: after each batch the manifest records the finished articles, as before.
        An edited article's chunks whose text is unchanged keep their stored vectors: a
        correction or a live story's new paragraphs embed only what changed.
        """
        tally = _Tally(articles_total=len(articles))

        def report() -> None:
            if progress:
                progress(tally.progress())

        def finish(batch: list[Chunked], future: Future[np.ndarray | None], reused: int) -> None:
            self._write(gen, batch, future.result())
            tally.written(batch, reused)
            # The manifest records progress: a killed build resumes after the last save (the
            # chunks written since are not in it, so they are deleted and redone). Saving after
            # every batch would rewrite the whole manifest O(articles) times per build; every
            # few seconds bounds that, and the build saves it once more at the end.
            if tally.manifest_due():
                gen.save_manifest()
            report()

        report()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-embed") as pool:
            pending: tuple[list[Chunked], Future[np.ndarray | None], int] | None = None
            for batch in self._batches(articles, tally):
                texts = [embedding_text(a.title, c.text) for a, chunks in batch for c in chunks]
                # Read here, before this batch's write deletes the old versions (and on this
                # thread, the only one that talks to the store).
                edited = [a.id for a, _ in batch if a.id in gen.manifest.articles]
                stored = gen.stored_vectors(edited) if edited else {}
                future = pool.submit(self._embed_texts, texts, stored)
                if pending is not None:
                    finish(*pending)
                pending = (batch, future, sum(text in stored for text in texts))
            if pending is not None:
                finish(*pending)
        return tally

    def _keyword_index(
        self, gen: Generation, dropped: set[str], written: list[str], fresh: bool
    ) -> KeywordIndex:
        """The BM25 sidecar after this build's changes: when it was in step before and the
        change is small, updated (only the new chunks tokenised, ~20x less work on one article
        in 20,000 chunks); otherwise rebuilt from every chunk in the collection."""
        total = gen.manifest.chunk_count
        if fresh and len(written) * 2 < total:
            try:
                old = KeywordIndex.load_for_update(gen.bm25_dir)
                added = gen.get_passages(written)
                index = old.updated(dropped, [added[cid] for cid in written if cid in added])
                if len(index) == total:
                    return index
                logger.info("keyword index update gave %d chunks, not %d", len(index), total)
            except (SidecarCorrupt, OSError, ValueError, KeyError) as exc:
                logger.info("rebuilding the keyword index (%s)", exc)
        return KeywordIndex.build(gen.iter_all_passages())

    def _batches(self, articles: Sequence[Article], tally: _Tally) -> Iterator[list[Chunked]]:
        """Articles with their chunks, grouped so that a batch holds ~EMBED_BATCH_CHUNKS chunks."""
        batch: list[Chunked] = []
        size = 0
        for article in articles:
            chunks = self.chunker.split(article)
            tally.chunked(len(chunks))
            batch.append((article, chunks))
            size += len(chunks)
            if size >= EMBED_BATCH_CHUNKS:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def _embed_texts(self, texts: list[str], stored: dict[str, np.ndarray]) -> np.ndarray | None:
        """The vectors of ``texts``: those in ``stored`` as they are, the rest embedded."""
        if not texts:
            return None
        todo = [i for i, text in enumerate(texts) if text not in stored]
        if len(todo) == len(texts):
            return self.embedder.embed(texts)
        dim = len(next(iter(stored.values())))
        out = np.empty((len(texts), dim), dtype=np.float32)
        for i, text in enumerate(texts):
            if text in stored:
                out[i] = stored[text]
        if todo:
            out[todo] = self.embedder.embed([texts[i] for i in todo])
        return out

    def _write(self, gen: Generation, batch: list[Chunked], vectors: np.ndarray | None) -> None:
        """Store one embedded batch and record its articles in the (in-memory) manifest."""
        # Delete first: clears the old version and any half-written chunks of a killed build.
        gen.delete_articles([article.id for article, _ in batch])
        # One write for the whole batch: each call to the store costs ~70 ms on its own.
        gen.add_chunks(batch, vectors)
        for article, chunks in batch:
            gen.manifest.articles[article.id] = ArticleEntry(
                hash=article.content_hash,
                path=article.path,
                title=article.title,
                url=article.url,
                published=article.published,
                publisher=article.publisher,
                chunks=len(chunks),
                source=article.source,
            )


Chunked = tuple[Article, list[Chunk]]


@dataclass
class _Tally:
    """Counts for progress. The chunk total is known only once every article is chunked; until
    then it is estimated from the chunks per article so far."""

    articles_total: int
    articles_chunked: int = 0
    chunks_chunked: int = 0
    articles_done: int = 0
    chunk_ids: list[str] = field(default_factory=list)  # written so far, in order
    reused: int = 0  # of them, written with a stored vector
    manifest_saved: float = field(default_factory=time.monotonic)

    def chunked(self, chunks: int) -> None:
        self.articles_chunked += 1
        self.chunks_chunked += chunks

    def written(self, batch: list[Chunked], reused: int = 0) -> None:
        self.articles_done += len(batch)
        self.reused += reused
        self.chunk_ids.extend(chunk.id for _, chunks in batch for chunk in chunks)

    def manifest_due(self) -> bool:
        """True (and the clock restarted) when MANIFEST_SAVE_INTERVAL_S has passed since the
        last save."""
        now = time.monotonic()
        if now - self.manifest_saved < MANIFEST_SAVE_INTERVAL_S:
            return False
        self.manifest_saved = now
        return True

    @property
    def chunks_done(self) -> int:
        return len(self.chunk_ids)

    def progress(self) -> BuildProgress:
        left = self.articles_total - self.articles_chunked
        per_article = self.chunks_chunked / self.articles_chunked if self.articles_chunked else 0
        total = self.chunks_chunked + round(left * per_article)
        return BuildProgress(self.articles_done, self.articles_total, self.chunks_done, total)
