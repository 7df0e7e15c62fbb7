"""The keyword (BM25) sidecar: local Chroma has no sparse index, so bm25s keeps one beside it.

It is rebuilt from the collection's chunks after every build that changed something (seconds
for tens of thousands of chunks), which keeps it exactly in step with Chroma.

It also keeps each chunk's passage (text and citation fields) as one JSON line, found by its
byte offset: the searcher reads its ~100 candidates there in ~1 ms, where Chroma takes ~0.1 ms
a chunk to hand back documents and metadata.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path

import bm25s
import numpy as np

from index.chunk import embedding_text
from index.models import Passage
from index.publishers import normalise_publisher
from index.stemmer import snowball

logger = logging.getLogger(__name__)

META_FILE = "chunks.json"
TERMS_FILE = "terms.npz"
PASSAGES_FILE = "passages.jsonl"  # one JSON line per chunk, in chunk_ids order
OFFSETS_FILE = "passages.offsets.npy"  # where each line starts, and the file's end


def _row(p: Passage) -> tuple[str, str, int, str]:
    """What the index keeps of a chunk: id, indexed text, publication ordinal (-1: undated),
    publisher key."""
    published = p.published.toordinal() if p.published else -1
    return (
        p.chunk_id,
        embedding_text(p.title, p.text),
        published,
        normalise_publisher(p.publisher or ""),
    )


def _record(p: Passage) -> bytes:
    """A chunk's passage as one JSON line (its id first, checked on reading)."""
    fields = [
        p.chunk_id,
        p.article_id,
        p.title,
        p.text,
        p.path,
        p.url,
        p.published.isoformat() if p.published else None,
        p.publisher,
        p.start,
        p.end,
    ]
    return (json.dumps(fields, ensure_ascii=False) + "\n").encode("utf-8")


def _passage(record: bytes) -> Passage:
    cid, article_id, title, text, path, url, published, publisher, start, end = json.loads(record)
    return Passage(
        chunk_id=cid,
        article_id=article_id,
        title=title,
        text=text,
        score=0.0,
        path=path,
        url=url,
        published=date.fromisoformat(published) if published else None,
        publisher=publisher,
        start=start,
        end=end,
    )


class SidecarCorrupt(Exception):
    """The sidecar on disk cannot be loaded or does not match the manifest (one-line reason)."""


def tokenize(texts: Sequence[str]) -> bm25s.tokenization.Tokenized | list[list[str]]:
    return bm25s.tokenize(
        list(texts), stopwords="en", stemmer=snowball(), return_ids=False, show_progress=False
    )


# Words a question is phrased with but a passage that answers it does not repeat: asking
# "which ... did ... this week?" should not favour chunks that happen to say "which" or "did".
_QUESTION_WORDS = """
    what which who whom whose when where why how whats did do does doing done was were has have
    had been being am can could would should may might must shall its his her hers him he she
    we our you your me my them those than so also about after before over under during some
    any many much more most other name named called according reportedly
"""
QUERY_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN) | frozenset(_QUESTION_WORDS.split())
_SORTED_QUERY_STOPWORDS = sorted(QUERY_STOPWORDS)


def tokenize_query(query: str) -> list[str]:
    return list(_query_tokens(query))


# A question is tokenized up to three times (the whole archive, its last week, the ranking's
# coverage): the tokens are kept for recent questions.
@lru_cache(maxsize=1 << 8)
def _query_tokens(query: str) -> tuple[str, ...]:
    tokens = bm25s.tokenize(
        [query],
        stopwords=_SORTED_QUERY_STOPWORDS,
        stemmer=snowball(),
        return_ids=False,
        show_progress=False,
    )
    return tuple(tokens[0]) if tokens else ()


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


class KeywordIndex:
    """BM25 over ``title + chunk`` for every chunk, with per-chunk date/publisher for filtering."""

    def __init__(
        self,
        retriever: bm25s.BM25 | None,
        chunk_ids: list[str],
        published_ord: list[int],
        publisher_key: list[str],
    ) -> None:
        self._retriever = retriever
        self.chunk_ids = chunk_ids
        self._published = np.asarray(published_ord, dtype=np.int64)
        self._publisher = np.asarray(publisher_key, dtype=object)
        # Each chunk's terms as vocabulary ids, kept in the sidecar so that an incremental build
        # tokenises only the chunks it adds (None: loaded from a sidecar without them).
        self._terms: list[np.ndarray] | None = None
        # Each chunk's passage as a JSON line (:func:`_record`): held by an index about to be
        # saved; a loaded one reads them from ``_passages_path`` at ``_offsets`` (None: a
        # sidecar written before it kept passages).
        self._records: list[bytes] | None = None
        self._passages_path: Path | None = None
        self._offsets: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @classmethod
    def build(cls, passages: Iterable[Passage]) -> KeywordIndex:
        rows, records = [], []
        for p in passages:
            rows.append(_row(p))
            records.append(_record(p))
        ids = [r[0] for r in rows]
        texts = [r[1] for r in rows]
        index = cls(None, ids, [r[2] for r in rows], [r[3] for r in rows])
        index._records = records
        if ids:
            terms = tokenize(texts)
            index._retriever = bm25s.BM25()
            index._retriever.index(terms, show_progress=False)
            vocab = index._retriever.vocab_dict
            index._terms = [np.fromiter((vocab[t] for t in doc), np.int32) for doc in terms]
        return index

    def updated(self, dropped_articles: Collection[str], added: Sequence[Passage]) -> KeywordIndex:
        """This index without the chunks of ``dropped_articles``, plus ``added``: only the added
        chunks are tokenised (BM25's statistics are recomputed over all, as a build does).
        Needs the chunks' terms, which an index loaded from an older sidecar lacks."""
        if self._terms is None or self._retriever is None:
            raise SidecarCorrupt("the sidecar keeps no chunk terms (built by an older newsdesk)")
        if self._records is None:
            raise SidecarCorrupt("the sidecar keeps no passages (built by an older newsdesk)")
        keep = [
            row
            for row, cid in enumerate(self.chunk_ids)
            if cid.rsplit("#", 1)[0] not in dropped_articles
        ]
        rows = [_row(p) for p in added]
        vocab = dict(self._retriever.vocab_dict)
        terms = [self._terms[row] for row in keep]
        for doc in tokenize([r[1] for r in rows]) if rows else []:
            terms.append(np.fromiter((vocab.setdefault(t, len(vocab)) for t in doc), np.int32))
        ids = [self.chunk_ids[row] for row in keep] + [r[0] for r in rows]
        published = [int(self._published[row]) for row in keep] + [r[2] for r in rows]
        publishers = [str(self._publisher[row]) for row in keep] + [r[3] for r in rows]
        index = KeywordIndex(None, ids, published, publishers)
        index._records = [self._records[row] for row in keep] + [_record(p) for p in added]
        if ids:
            index._retriever = bm25s.BM25()
            index._retriever.index(([t.tolist() for t in terms], vocab), show_progress=False)
            index._terms = terms
        return index

    def save(self, directory: Path) -> None:
        """Write aside, then swap, so a reader never sees half a sidecar."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(str(tmp), show_progress=False)
        meta = {
            "chunk_ids": self.chunk_ids,
            "published_ord": self._published.tolist(),
            "publisher_key": self._publisher.tolist(),
        }
        (tmp / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        if self._terms is not None:
            lengths = np.fromiter((len(t) for t in self._terms), np.int64, len(self._terms))
            flat = np.concatenate(self._terms) if self._terms else np.zeros(0, np.int32)
            np.savez(tmp / TERMS_FILE, flat=flat, lengths=lengths)
        if self._records is not None:
            (tmp / PASSAGES_FILE).write_bytes(b"".join(self._records))
            sizes = np.fromiter((len(r) for r in self._records), np.int64, len(self._records))
            np.save(tmp / OFFSETS_FILE, np.concatenate([[0], np.cumsum(sizes)]))
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        meta_path = directory / META_FILE
        if not meta_path.is_file():
            return cls(None, [], [], [])
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        retriever = None
        if meta["chunk_ids"]:
            retriever = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        index = cls(retriever, meta["chunk_ids"], meta["published_ord"], meta["publisher_key"])
        offsets_path = directory / OFFSETS_FILE
        if offsets_path.is_file() and (directory / PASSAGES_FILE).is_file():
            offsets = np.load(offsets_path)
            if len(offsets) == len(index.chunk_ids) + 1:
                index._passages_path = directory / PASSAGES_FILE
                index._offsets = offsets
        return index

    @classmethod
    def load_for_update(cls, directory: Path) -> KeywordIndex:
        """:meth:`load` plus the chunks' terms (a writer needs them; readers do not)."""
        index = cls.load(directory)
        terms_path = directory / TERMS_FILE
        if terms_path.is_file():
            with np.load(terms_path) as data:
                flat, lengths = data["flat"], data["lengths"]
            if len(lengths) == len(index.chunk_ids):
                index._terms = np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []
        if index._passages_path is not None and index._offsets is not None:
            data = index._passages_path.read_bytes()
            ends = index._offsets.tolist()
            if ends[-1] == len(data):
                index._records = [data[a:b] for a, b in pairwise(ends)]
        return index

    @classmethod
    def verify(cls, directory: Path, chunks: int) -> None:
        """Raise :class:`SidecarCorrupt` unless ``directory`` loads and holds ``chunks`` chunks."""
        try:
            loaded = cls.load(directory)
        except Exception as exc:  # bm25s/numpy/json raise many types on truncated files
            reason = " ".join(str(exc).split())[:120]
            raise SidecarCorrupt(f"{type(exc).__name__}: {reason}") from exc
        if len(loaded) != chunks:
            raise SidecarCorrupt(f"{len(loaded)} chunks, the manifest has {chunks}")

    @cached_property
    def _rows(self) -> dict[str, int]:
        return {cid: row for row, cid in enumerate(self.chunk_ids)}

    def held(self, chunk_ids: Sequence[str], terms: Collection[str]) -> list[int | None]:
        """For each chunk, how many of ``terms`` (keyword terms, as :func:`tokenize_query` makes
        them) its indexed title + text holds; None for a chunk the index does not hold.

        Read off the index's postings (the chunks each term occurs in): the same count as
        tokenizing the chunk's text again, when the index is in step with the collection, for a
        few array operations instead of the tokenizer's pass over the text."""
        if self._retriever is None:
            return [None] * len(chunk_ids)
        vocab = self._retriever.vocab_dict
        indptr = self._retriever.scores["indptr"]
        indices = self._retriever.scores["indices"]
        counts = np.zeros(len(self.chunk_ids), dtype=np.int32)
        for term in set(terms):
            column = vocab.get(term)
            if column is not None and column + 1 < len(indptr):
                # A term's postings list each chunk once, so += counts it once per chunk.
                counts[indices[indptr[column] : indptr[column + 1]]] += 1
        rows = self._rows
        return [
            int(counts[row]) if (row := rows.get(cid)) is not None else None for cid in chunk_ids
        ]

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """The passages (score 0) of those of ``chunk_ids`` the sidecar keeps, as the collection
        held them when it was written: sound while the sidecar is in step with the collection.
        A sidecar written before passages were kept, or a line that is not the chunk's (the
        sidecar replaced meanwhile), leaves the chunk out for the caller to read elsewhere."""
        if self._passages_path is None or self._offsets is None:
            return {}
        rows = self._rows
        found = [(cid, row) for cid in chunk_ids if (row := rows.get(cid)) is not None]
        out: dict[str, Passage] = {}
        try:
            with self._passages_path.open("rb") as fh:
                for cid, row in found:
                    start, end = int(self._offsets[row]), int(self._offsets[row + 1])
                    fh.seek(start)
                    try:
                        passage = _passage(fh.read(end - start))
                    except (ValueError, TypeError):  # not a whole line of ours
                        continue
                    if passage.chunk_id == cid:
                        out[cid] = passage
        except OSError as exc:
            logger.debug("keyword sidecar passages unreadable: %s", exc)
        return out

    def search(
        self,
        query: str,
        k: int,
        *,
        since_ord: int | None = None,
        publisher_keys: Sequence[str] = (),
    ) -> list[KeywordHit]:
        if self._retriever is None or not self.chunk_ids:
            return []
        query_tokens = tokenize_query(query)
        if not query_tokens:
            return []
        tokens = [query_tokens]
        mask = np.ones(len(self.chunk_ids), dtype=np.float32)
        if since_ord is not None:
            mask *= self._published >= since_ord
        if publisher_keys:
            mask *= np.isin(self._publisher, list(publisher_keys))
        if not mask.any():
            return []
        k = min(k, int(mask.sum()))
        docs, scores = self._retriever.retrieve(
            # n_threads=0: in this thread; 1 starts a thread pool for every search (~1 ms).
            tokens,
            k=k,
            show_progress=False,
            weight_mask=mask,
            n_threads=0,
        )
        return [
            KeywordHit(self.chunk_ids[int(d)], float(s))
            for d, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]
