"""Hybrid retrieval: dense (Chroma) + keyword (BM25) fused by weighted reciprocal rank, then
near-duplicate removal so the top k carries k different facts."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from index.embed import Embedder
from index.keyword import KeywordIndex
from index.models import Passage
from index.store import Generation, IndexStore, SearchFilters, check_model, normalise_publisher

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class FusionConfig:
    """Knobs of the fusion, tuned on the development set by bench/retrieval_quality.py."""

    candidates: int = 60  # per retriever, before fusion
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    dedup_jaccard: float = 0.6  # word-shingle overlap above which two passages say the same


def shingles(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def fuse(
    ranked_lists: Sequence[Sequence[str]], weights: Sequence[float], rrf_k: float
) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion; scores are scaled so rank 1 in every list scores 1.0."""
    scores: dict[str, float] = {}
    for ids, weight in zip(ranked_lists, weights, strict=True):
        for rank, cid in enumerate(ids):
            scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank + 1)
    best = sum(w / (rrf_k + 1) for w in weights) or 1.0
    return sorted(((cid, s / best) for cid, s in scores.items()), key=lambda x: -x[1])


def drop_near_duplicates(passages: Sequence[Passage], threshold: float, k: int) -> list[Passage]:
    """Keep the best-ranked of each group of passages that repeat one another."""
    kept: list[Passage] = []
    kept_shingles: list[frozenset] = []
    for passage in passages:
        sh = shingles(passage.text)
        if any(jaccard(sh, other) >= threshold for other in kept_shingles):
            continue
        kept.append(passage)
        kept_shingles.append(sh)
        if len(kept) >= k:
            break
    return kept


class Searcher:
    """Search over the live generation; picks up a swapped-in rebuild on the next query."""

    def __init__(
        self, store: IndexStore, embedder: Embedder, fusion: FusionConfig | None = None
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.fusion = fusion or FusionConfig()
        self._gen: Generation | None = None
        self._keyword: KeywordIndex | None = None

    def generation(self) -> Generation:
        name = self.store.current_name()
        if self._gen is None or self._gen.name != name:
            gen = self.store.open_current()
            check_model(gen.manifest, self.embedder.name)
            self._gen = gen
            self._keyword = KeywordIndex.load(gen.bm25_dir)
        return self._gen

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[Passage]:
        gen = self.generation()
        assert self._keyword is not None
        filters = filters or SearchFilters()
        n = max(self.fusion.candidates, 3 * k)
        vector = self.embedder.embed([query])[0]
        dense = gen.dense_search(vector, n, filters)
        keyword = self._keyword.search(
            query,
            n,
            since_ord=filters.since.toordinal() if filters.since else None,
            publisher_key=normalise_publisher(filters.source) if filters.source else None,
        )
        by_id = {p.chunk_id: p for p in dense}
        missing = [h.chunk_id for h in keyword if h.chunk_id not in by_id]
        by_id.update(gen.get_passages(missing))
        fused = fuse(
            [[p.chunk_id for p in dense], [h.chunk_id for h in keyword]],
            [self.fusion.dense_weight, self.fusion.keyword_weight],
            self.fusion.rrf_k,
        )
        ranked = [
            replace(by_id[cid], score=score)
            for cid, score in fused
            if cid in by_id and filters.admits(by_id[cid])
        ]
        return drop_near_duplicates(ranked, self.fusion.dedup_jaccard, k)
