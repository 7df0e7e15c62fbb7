"""Hybrid retrieval: dense (Chroma) + keyword (BM25) fused by weighted reciprocal rank, lifted by
article evidence, then near-duplicate removal so the top k carries k different facts.

Article evidence: a news question is about an event, and the article that reports the event
matches the question in several of its chunks, while a passing mention elsewhere matches in
one. Each candidate chunk's fused score is raised by a share of the best scores of the other
chunks of its article (and of its immediate neighbours, which carry the context a chunk
boundary cut off). Measured on RealTime QA by bench/retrieval_quality.py (see bench/README.md).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
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
    # Article evidence: add article_weight * (sum of the best `article_top` fused scores of the
    # article's *other* candidate chunks) to each chunk's score.
    article_weight: float = 0.0
    article_top: int = 2
    # Neighbour evidence: add neighbour_weight * fused score of the chunks just before/after.
    neighbour_weight: float = 0.0
    # News puts the facts first: add lead_bonus * fused score to an article's first chunk.
    lead_bonus: float = 0.0
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


def _position(passage: Passage) -> int | None:
    """The chunk's position in its article (chunk ids are ``<article id>#<position>``)."""
    _, sep, tail = passage.chunk_id.rpartition("#")
    return int(tail) if sep and tail.isdigit() else None


def add_article_evidence(
    fused: Sequence[tuple[str, float]],
    passages: dict[str, Passage],
    *,
    article_weight: float,
    article_top: int,
    neighbour_weight: float,
    lead_bonus: float = 0.0,
) -> list[tuple[str, float]]:
    """Raise each chunk by the fused scores of its article's other chunks and its neighbours."""
    if article_weight <= 0 and neighbour_weight <= 0 and lead_bonus <= 0:
        return list(fused)
    base = dict(fused)
    by_article: dict[str, list[tuple[str, float]]] = defaultdict(list)
    at: dict[tuple[str, int], float] = {}
    for cid, score in fused:
        passage = passages.get(cid)
        if passage is None:
            continue
        by_article[passage.article_id].append((cid, score))
        pos = _position(passage)
        if pos is not None:
            at[(passage.article_id, pos)] = score
    out: list[tuple[str, float]] = []
    for cid, score in fused:
        passage = passages.get(cid)
        if passage is None:
            out.append((cid, score))
            continue
        boost = 0.0
        if article_weight > 0:
            others = sorted(
                (s for other, s in by_article[passage.article_id] if other != cid), reverse=True
            )
            boost += article_weight * sum(others[:article_top])
        if neighbour_weight > 0:
            pos = _position(passage)
            if pos is not None:
                boost += neighbour_weight * (
                    at.get((passage.article_id, pos - 1), 0.0)
                    + at.get((passage.article_id, pos + 1), 0.0)
                )
        if lead_bonus > 0 and _position(passage) == 0:
            boost += lead_bonus * score
        out.append((cid, base[cid] + boost))
    # Keep scores within [0, 1] (rank 1 everywhere with a fully supported article scores 1).
    top = 1.0 + article_weight * article_top + 2 * neighbour_weight + lead_bonus
    out = [(cid, score / top) for cid, score in out]
    out.sort(key=lambda x: -x[1])
    return out


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
        cfg = self.fusion
        n = max(cfg.candidates, 3 * k)
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
            [cfg.dense_weight, cfg.keyword_weight],
            cfg.rrf_k,
        )
        fused = add_article_evidence(
            fused,
            by_id,
            article_weight=cfg.article_weight,
            article_top=cfg.article_top,
            neighbour_weight=cfg.neighbour_weight,
            lead_bonus=cfg.lead_bonus,
        )
        ranked = [
            replace(by_id[cid], score=score)
            for cid, score in fused
            if cid in by_id and filters.admits(by_id[cid])
        ]
        return drop_near_duplicates(ranked, cfg.dedup_jaccard, k)
