"""Hybrid retrieval: dense (Chroma) + keyword (BM25) fused by weighted reciprocal rank, lifted by
article evidence, near-duplicate removal (so the top k chunks carry k different facts), then each
article's retrieved chunks stitched into one passage in reading order.

Recency: asked about the present ("this week", "the latest", "currently"), a question means
the newest reporting of its subject (last year's final and this year's read alike), so fused
scores are raised for articles published close to the archive's newest article, and the
keyword side also searches the archive's last week on its own, as a further ranked list: this
week's report may share fewer words with the question than last year's stories that crowd the
top of the whole archive. A question that does not ask about the present (asked about March,
or naming an earlier year) gets no recency prior: ungated, it lifted last week's stories for
every question. An undated article is not known to be new and gets no raise; a date after the
build date is a typo, read as the build date and never taken as the archive's newest.

Article evidence: a news question is about an event, and the article that reports the event
matches the question in several of its chunks, while a passing mention elsewhere matches in
one. Each candidate chunk's fused score is raised by a share of the best scores of the other
chunks of its article; that order is interleaved with the plain fused order so a chunk that
answers in passing keeps its place.

The app ranks candidates with the learned model (``index/rank.py``, fitted on the tune split by
bench/fit_ranker.py) and its signals are the ones above; the hand-set fusion is what ranks
without a model file, and the baseline the fit scripts report the model against.

Answer type: asked "who" or "where", a chunk that names a person or a place the question does
not is likelier to hold the answer than one that restates the question. What counts as such a
chunk is the answerers' knowledge (bot/), so it comes in as an ``AnswerTypeHint`` from the
composition root; the chunks it accepts, in fused order, are a further ranked list.
"""

from __future__ import annotations

import logging
import math
import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from index.dates import asks_about_now, newest_date, years
from index.embed import Embedder
from index.errors import UnknownPublisher
from index.keyword import KeywordIndex, tokenize_query
from index.models import Passage, SearchFilters
from index.publishers import match_publishers
from index.rank import LinearRanker, Signals, ranking
from index.store import Generation, IndexStore, check_model

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
# Between the retrieved chunks of one article stitched into a passage: a paragraph of its own,
# so that nobody (reader or sentence splitter) takes it for part of a sentence.
STITCH_GAP = "\n\n…\n\n"
# Given a query: a test of whether a chunk's text holds the kind of answer the query asks for,
# or None when the query asks for no particular kind.
AnswerTypeHint = Callable[[str], Callable[[str], bool] | None]


@dataclass(frozen=True)
class FusionConfig:
    """How candidates are gathered and passages stitched, and the weights of the hand-set
    fusion (the ranking without a fitted model; see the module docstring)."""

    candidates: int = 60  # per retriever, before fusion
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    # Recency, for questions about the present: x (1 + recency_weight * exp(-age_days /
    # recency_days)), age counted back from the newest article in the index; 0 turns it off.
    recency_weight: float = 0.5
    recency_days: float = 7.0
    # Article evidence: add article_weight x (sum of the best `article_top` fused scores of the
    # article's *other* candidate chunks) to each chunk's score.
    article_weight: float = 1.0
    article_top: int = 2
    # The archive's latest days searched on their own (keyword side): asked about the present
    # ("this week", "the latest"), a further ranked list over articles at most `recent_days`
    # older than the newest; 0 turns it off.
    recent_days: int = 7
    recent_weight: float = 0.7
    dedup_jaccard: float = 0.6  # word-shingle overlap above which two passages say the same
    # Chunks stitched into a passage: up to `passage_chunks` of its article's chunks among the
    # first k of the ranking, and at least `passage_min_chunks` from anywhere in it (callers
    # may ask for another minimum: the answerers read only what the ranking earned).
    passage_chunks: int = 4
    passage_min_chunks: int = 2
    # Alternate the evidence-boosted order with the plain fused order (see ``interleave``).
    interleave: bool = True
    # Weight of the answer-type list (candidates holding the kind of answer asked for, in fused
    # order).
    answer_type_weight: float = 0.5


@dataclass(frozen=True)
class Retrieved:
    """One question's candidates: the signals the ranker reads, and the ranked lists (with
    their weights and the recency anchor) the hand-set fusion reads."""

    signals: Signals
    lists: list[list[str]]
    weights: list[float]
    now: date | None


def shingles(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    # zip of the n shifted word lists: every run of n words, built in C.
    return frozenset(zip(*(words[i:] for i in range(n)), strict=False))


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


def asks_about_the_past(query: str, newest: date) -> bool:
    """The question names a year before the archive's newest one ("the 2019 final")."""
    return any(year < newest.year for year in years(query))


def present_of(query: str, newest: date | None) -> date | None:
    """The archive's present (its newest date) when ``query`` asks about the present and names
    no earlier year; None otherwise: then no recency prior and no last-week list."""
    if newest is None or not asks_about_now(query) or asks_about_the_past(query, newest):
        return None
    return newest


def weight_by_recency(
    fused: Sequence[tuple[str, float]],
    passages: dict[str, Passage],
    newest: date,
    *,
    weight: float,
    days: float,
) -> list[tuple[str, float]]:
    """Raise each chunk by ``weight * exp(-age / days)`` of its score, age in days before
    ``newest``: what is known to be old steps back. An undated chunk is not known to be new and
    gets no raise; one dated after ``newest`` (a future date, read as the build date) counts as
    the newest. Rescaled to [0, 1], re-sorted."""
    if weight <= 0 or days <= 0:
        return list(fused)
    out: list[tuple[str, float]] = []
    for cid, score in fused:
        passage = passages.get(cid)
        if passage is None or passage.published is None:
            factor = 1.0
        else:
            age = max(0, (newest - passage.published).days)
            factor = 1.0 + weight * math.exp(-age / days)
        out.append((cid, score / (1.0 + weight) * factor))
    out.sort(key=lambda x: -x[1])
    return out


def add_article_evidence(
    fused: Sequence[tuple[str, float]],
    passages: dict[str, Passage],
    *,
    article_weight: float,
    article_top: int,
) -> list[tuple[str, float]]:
    """Raise each chunk by ``article_weight`` x the best ``article_top`` fused scores of the
    other candidate chunks of its article; rescaled so scores stay within [0, 1]."""
    if article_weight <= 0 or article_top <= 0:
        return list(fused)
    base = dict(fused)
    by_article: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for cid, score in fused:
        passage = passages.get(cid)
        if passage is not None:
            by_article[passage.article_id].append((cid, score))
    out: list[tuple[str, float]] = []
    for cid, score in fused:
        passage = passages.get(cid)
        boost = 0.0
        if passage is not None:
            others = [s for other, s in by_article[passage.article_id] if other != cid]
            boost = article_weight * sum(sorted(others, reverse=True)[:article_top])
        out.append((cid, score + boost))
    # Chunks of one article can tie (same top sum): the one that matched better goes first.
    out.sort(key=lambda x: (-round(x[1], 9), -base[x[0]]))
    top = 1.0 + article_weight * article_top
    return [(cid, score / top) for cid, score in out]


def interleave(
    first: Sequence[tuple[str, float]], second: Sequence[tuple[str, float]]
) -> list[tuple[str, float]]:
    """Alternate two rankings of the same ids, first's pick first, each id once.

    Article evidence lifts the chunks of the article that reports the event (better rank 1)
    but pushes down a lone chunk that answers in passing; alternating with the plain fused
    order keeps both kinds in the top k (measured: mrr up, recall kept; bench/README.md)."""
    merged: list[tuple[str, float]] = []
    seen: set[str] = set()
    for pair in zip(first, second, strict=False):
        for cid, score in pair:
            if cid not in seen:
                seen.add(cid)
                merged.append((cid, score))
    for cid, score in [*first, *second]:
        if cid not in seen:
            seen.add(cid)
            merged.append((cid, score))
    return merged


def monotone(
    ranked: Sequence[tuple[str, float]], match: dict[str, float]
) -> list[tuple[str, float]]:
    """Score an interleaved list by each chunk's plain fused score, made non-increasing so that
    consumers sorting by score keep the rank order."""
    out: list[tuple[str, float]] = []
    ceiling = 1.0
    for cid, _ in ranked:
        ceiling = min(ceiling, match.get(cid, 0.0))
        out.append((cid, ceiling))
    return out


def merge_by_article(passages: Iterable[Passage], k: int, *, cap: int, least: int) -> list[Passage]:
    """``k`` passages, one per article, each at the rank of its best chunk.

    The first ``k`` chunks of the ranking decide what the passages quote: each article among
    them gets up to ``cap`` of its chunks there, as many as the ranking earned. Every passage
    also gets at least ``least`` chunks, from wherever its article's next chunks rank: a lone
    chunk often only leads up to what its article says next. Chunks further down otherwise
    only open passages for further articles until there are ``k``: asked for ten results, a
    person gets ten sources. Each passage is stitched in reading order (overlaps removed, gaps
    marked): small chunks rank precisely but split a story, and a reader (and the answerer)
    wants the article's matching chunks together. Measured in bench/README.md.
    """
    groups: dict[str, list[Passage]] = {}
    for rank, passage in enumerate(passages):
        group = groups.get(passage.article_id)
        if group is None:
            if len(groups) < k:
                groups[passage.article_id] = [passage]
        elif (rank < k and len(group) < cap) or len(group) < least:
            group.append(passage)
        if rank >= k and len(groups) >= k and all(len(g) >= least for g in groups.values()):
            break  # nothing further can change the result
    return [stitch(group) for group in groups.values()]


def stitch(group: list[Passage]) -> Passage:
    """Chunks of one article as one passage, in reading order, at the first chunk's rank and
    score: overlaps are quoted once, gaps marked with ``STITCH_GAP``."""
    if len(group) == 1:
        return group[0]
    parts = sorted(group, key=lambda p: p.start)
    text, end = parts[0].text, parts[0].end
    for part in parts[1:]:
        if part.start <= end:  # overlapping or touching chunks: continue the quote exactly
            text += part.text[end - part.start :]
        else:
            text += STITCH_GAP + part.text
        end = max(end, part.end)
    best = group[0]
    return replace(
        best,
        chunk_id="+".join(p.chunk_id for p in parts),
        text=text,
        start=parts[0].start,
        end=end,
    )


def _ordinal(day: date | None) -> int | None:
    return day.toordinal() if day else None


def drop_near_duplicates(passages: Iterable[Passage], threshold: float) -> Iterator[Passage]:
    """Keep the best-ranked of each group of passages that repeat one another (word-shingle
    Jaccard at least ``threshold``).

    Lazy. One set intersection (in C) with the union of the kept passages' shingles finds what
    a new passage shares with any of them: for most passages nothing, and then no kept passage
    needs to be looked at; otherwise only those few shared shingles are counted per kept
    passage (what a kept passage shares with the new one, it shares with that union)."""
    kept: list[frozenset[tuple[str, ...]]] = []
    owned: set[tuple[str, ...]] = set()  # the union of ``kept``
    for passage in passages:
        sh = shingles(passage.text)
        shared = sh & owned
        # No kept passage can share more than ``shared``, so none reaches the threshold unless
        # ``shared`` alone would (mostly a few stock phrases are shared: "said on Monday").
        if (
            shared
            and len(shared) / len(sh) >= threshold
            and any(_overlaps(sh, other, shared, threshold) for other in kept)
        ):
            continue
        kept.append(sh)
        owned |= sh
        yield passage


def _overlaps(
    sh: frozenset[tuple[str, ...]],
    other: frozenset[tuple[str, ...]],
    shared: frozenset[tuple[str, ...]],
    threshold: float,
) -> bool:
    """The Jaccard similarity of ``sh`` and ``other`` is at least ``threshold``; ``shared``:
    the shingles ``sh`` shares with any kept passage (so ``sh & other == shared & other``)."""
    n = len(shared & other)
    return n > 0 and n / (len(sh) + len(other) - n) >= threshold


class AnswerTyped(Collection[str]):
    """The candidates (chunk ids) whose text holds the kind of answer the question asks for,
    tested one at a time when asked and remembered: the test reads a chunk's names (~0.3 ms),
    and the learned ranking asks it only of the candidates it might read next."""

    def __init__(
        self, holds_answer: Callable[[str], bool], passages: Mapping[str, Passage]
    ) -> None:
        self._holds = holds_answer
        self._passages = passages
        self._known: dict[str, bool] = {}

    def __contains__(self, cid: object) -> bool:
        if not isinstance(cid, str):
            return False
        known = self._known.get(cid)
        if known is None:
            passage = self._passages.get(cid)
            known = self._known[cid] = passage is not None and self._holds(passage.text)
        return known

    def __iter__(self) -> Iterator[str]:
        return (cid for cid in list(self._passages) if cid in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class PassageCache:
    """The most recently read candidate chunks of one generation, by chunk id (score 0).

    Questions about the same news bring back the same chunks, and reading a chunk costs ~10 us
    from the keyword sidecar, ~0.1 ms from Chroma. Only sound while the collection is known
    not to change: the searcher keeps one for a local generation whose keyword sidecar is in
    step (no build under way), and starts afresh whenever the manifest moves."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[str, Passage] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def fetch(
        self, read: Callable[[Sequence[str]], dict[str, Passage]], chunk_ids: Sequence[str]
    ) -> dict[str, Passage]:
        """The passages of ``chunk_ids`` (those the collection holds), in that order: kept
        ones from here, the others in one ``read``."""
        kept = self._kept
        wanted = [cid for cid in chunk_ids if cid not in kept]
        if wanted:
            kept.update(read(wanted))
        out: dict[str, Passage] = {}
        for cid in chunk_ids:
            passage = kept.get(cid)
            if passage is not None:
                kept.move_to_end(cid)
                out[cid] = passage
        while len(kept) > self.size:
            kept.popitem(last=False)
        return out


# Publishers an unknown-publisher error lists (an archive may have hundreds).
PUBLISHERS_NAMED = 8

# Chunks kept across questions: a few hundred questions' candidates (~25 MB at 16k chunks).
PASSAGE_CACHE_SIZE = 1 << 14


class Searcher:
    """Search over the live generation; picks up a swapped-in rebuild, or an incremental build
    of the live generation by another process, on the next query."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        fusion: FusionConfig | None = None,
        *,
        answer_type: AnswerTypeHint | None = None,
        ranker: LinearRanker | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.fusion = fusion or FusionConfig()
        self.answer_type = answer_type
        self.ranker = ranker
        self._gen: Generation | None = None
        self._keyword: KeywordIndex | None = None
        self._newest: date | None = None
        self._publishers: frozenset[str] = frozenset()  # of the live generation's articles
        self._manifest_mtime = 0
        # Whether the keyword sidecar holds what the collection holds (no build under way or
        # interrupted since it was written): only then do ranking features read the
        # candidates' terms off it instead of tokenizing them.
        self._keyword_in_step = False
        # Candidate chunks read before, while this generation is unchanged (see PassageCache).
        self._passages: PassageCache | None = None

    @property
    def newest(self) -> date | None:
        """The newest plausible publication date of the live generation (none after its
        build date)."""
        self.generation()
        return self._newest

    def generation(self) -> Generation:
        name, stamp = self.store.live_stamp()  # one small read (server mode: in the server)
        if self._gen is not None and self._gen.name == name:
            mtime = stamp
            if mtime == self._manifest_mtime:
                return self._gen
            # The manifest is rewritten after every embedded batch; only a finished build
            # (``built_at`` moved) is worth reloading the keyword sidecar for.
            self._manifest_mtime = mtime
            gen = self.store.open_current()
            if gen.manifest.built_at == self._gen.manifest.built_at:
                self._keyword_in_step = not gen.manifest.bm25_stale
                self._passages = self._passage_cache()
                return self._gen
        else:
            gen = self.store.open_current()
            self._manifest_mtime = self.store.manifest_mtime(gen.name)
        check_model(gen.manifest, self.embedder.name)
        self._gen = gen
        self._keyword = KeywordIndex.load(gen.bm25_dir)
        self._keyword_in_step = not gen.manifest.bm25_stale
        self._passages = self._passage_cache()
        # A date after the build is a typo in the source ("2099"): as the archive's newest it
        # would make every real article look old. Such articles read as the build date.
        built = gen.manifest.built_at.date() if gen.manifest.built_at else date.today()
        future = [
            aid for aid, a in gen.manifest.articles.items() if a.published and a.published > built
        ]
        for article_id in future[:5]:
            logger.warning(
                "article %s is dated %s, after the build date %s: read as the build date",
                article_id,
                gen.manifest.articles[article_id].published,
                built,
            )
        self._newest = newest_date(
            (a.published for aid, a in gen.manifest.articles.items() if aid not in future),
            until=built,
        )
        self._publishers = frozenset(
            a.publisher for a in gen.manifest.articles.values() if a.publisher
        )
        logger.debug("searching generation %s built %s", gen.name, gen.manifest.built_at)
        return gen

    def _passage_cache(self) -> PassageCache | None:
        """A fresh cache when the generation is local and no build is changing it: a local
        build marks the manifest (moving its stamp) before it touches the collection. In
        server mode the stamp moves only when a build finishes: no cache."""
        if self.store.chroma_url or not self._keyword_in_step:
            return None
        return PassageCache(PASSAGE_CACHE_SIZE)

    def _read_candidates(
        self,
        gen: Generation,
        vector: np.ndarray,
        n: int,
        filters: SearchFilters,
        others: Sequence[Sequence[str]],
    ) -> tuple[list[Passage], dict[str, Passage]]:
        """The dense list (passages scored by similarity), and every candidate's passage by
        chunk id: the dense ones, then those only ``others`` (the keyword lists) found. With a
        cache, Chroma is asked for the dense ids alone and then, in one read, for the
        passages not kept."""
        cache = self._passages
        if cache is None:
            dense = gen.dense_search(vector, n, filters)
            by_id = {p.chunk_id: p for p in dense}
            missing = {cid for ids in others for cid in ids if cid not in by_id}
            by_id.update(gen.get_passages(sorted(missing)))
            return dense, by_id
        hits = gen.dense_ids(vector, n, filters)
        dense_ids = dict.fromkeys(cid for cid, _ in hits)
        missing = {cid for ids in others for cid in ids if cid not in dense_ids}
        by_id = cache.fetch(
            lambda ids: self._read_passages(gen, ids), [*dense_ids, *sorted(missing)]
        )
        dense = [replace(by_id[cid], score=score) for cid, score in hits if cid in by_id]
        by_id.update((p.chunk_id, p) for p in dense)
        return dense, by_id

    def _read_passages(self, gen: Generation, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Chunks off the keyword sidecar (in step with the collection: the cache's
        condition), those it lacks (an older sidecar) from Chroma."""
        assert self._keyword is not None
        found = self._keyword.passages(chunk_ids)
        missing = [cid for cid in chunk_ids if cid not in found]
        if missing:
            found.update(gen.get_passages(missing))
        return found

    def retrieve(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> Retrieved:
        """Everything known about the question's candidate chunks before they are ranked."""
        gen = self.generation()
        assert self._keyword is not None
        filters = filters or SearchFilters()
        cfg = self.fusion
        n = max(cfg.candidates, 3 * k)
        vector = self.embedder.embed([query])[0]
        publishers = filters.publisher_keys
        keyword = self._keyword.search(
            query, n, since_ord=_ordinal(filters.since), publisher_keys=publishers
        )
        # The archive's newest date, when the query asks about the present (no earlier year).
        now = present_of(query, self._newest)
        names_past = self._newest is not None and asks_about_the_past(query, self._newest)
        recent_ids: list[str] = []
        searches_recent = now is not None and cfg.recent_weight > 0
        if searches_recent and now is not None:
            since = now - timedelta(days=cfg.recent_days)
            if filters.since is not None:
                since = max(since, filters.since)
            recent = self._keyword.search(
                query, n, since_ord=since.toordinal(), publisher_keys=publishers
            )
            recent_ids = [h.chunk_id for h in recent]
        keyword_ids = [h.chunk_id for h in keyword]
        dense, by_id = self._read_candidates(gen, vector, n, filters, [keyword_ids, recent_ids])
        lists = [[p.chunk_id for p in dense], keyword_ids]
        weights = [cfg.dense_weight, cfg.keyword_weight]
        if searches_recent:  # even when empty: the list's weight counts in the fusion's scale
            lists.append(recent_ids)
            weights.append(cfg.recent_weight)
        holds_answer = self.answer_type(query) if self.answer_type else None
        typed = None if holds_answer is None else AnswerTyped(holds_answer, by_id)
        signals = Signals(
            dense=dense,
            keyword=[(h.chunk_id, h.score) for h in keyword],
            recent=recent_ids,
            typed=typed,
            passages=by_id,
            newest=self._newest,
            asks_now=now is not None,
            names_past_year=names_past,
            question_years=years(query),
            question_terms=tokenize_query(query),
            keyword_held=self._keyword.held if self._keyword_in_step else None,
        )
        return Retrieved(signals, lists, weights, now)

    def rank(self, retrieved: Retrieved) -> list[tuple[str, float]]:
        """Candidates best first with their scores: the learned model's probability when one
        is loaded, else the hand-set fusion (RRF, recency, article evidence)."""
        return list(self.ranked(retrieved))

    def ranked(self, retrieved: Retrieved) -> Iterator[tuple[str, float]]:
        """:meth:`rank`, lazily: with the learned model, a candidate's answer type is tested
        only when it might be read next (see ``index.rank.ranking``)."""
        if self.ranker is not None:
            return ranking(self.ranker, retrieved.signals)
        return iter(self._hand_fusion(retrieved))

    def _hand_fusion(self, retrieved: Retrieved) -> list[tuple[str, float]]:
        cfg = self.fusion
        by_id = retrieved.signals.passages
        lists, weights = retrieved.lists, retrieved.weights
        fused = fuse(lists, weights, cfg.rrf_k)
        typed_ids = retrieved.signals.typed
        if typed_ids is not None and cfg.answer_type_weight > 0:
            typed = [cid for cid, _ in fused if cid in typed_ids]
            fused = fuse([*lists, typed], [*weights, cfg.answer_type_weight], cfg.rrf_k)
        if retrieved.now is not None:
            fused = weight_by_recency(
                fused, by_id, retrieved.now, weight=cfg.recency_weight, days=cfg.recency_days
            )
        boosted = add_article_evidence(
            fused,
            by_id,
            article_weight=cfg.article_weight,
            article_top=cfg.article_top,
        )
        if cfg.interleave:
            boosted = monotone(interleave(boosted, fused), dict(fused))
        return boosted

    def search(
        self,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        *,
        min_chunks: int | None = None,
    ) -> list[Passage]:
        """``k`` passages, best first; each quotes at least ``min_chunks`` chunks of its
        article where it has them (default: the fusion config's)."""
        filters = self.resolve(filters or SearchFilters())
        retrieved = self.retrieve(query, k, filters)
        return self.passages(retrieved, self.ranked(retrieved), k, filters, min_chunks=min_chunks)

    def publishers(self) -> frozenset[str]:
        """The publishers the live generation's articles name (as stored)."""
        self.generation()
        return self._publishers

    def resolve(self, filters: SearchFilters) -> SearchFilters:
        """``filters`` with the publisher a person named ("USA Today", "usatoday") matched to
        the index's own ("www.usatoday.com"); :class:`UnknownPublisher`, naming the index's
        publishers, when none matches."""
        if not filters.source or filters.publishers:
            return filters
        publishers = self.publishers()
        keys = match_publishers(filters.source, publishers)
        if not keys:
            known = sorted(publishers, key=str.lower)
            shown = ", ".join(known[:PUBLISHERS_NAMED]) + (
                ", ..." if len(known) > PUBLISHERS_NAMED else ""
            )
            raise UnknownPublisher(
                f"no article in the index is from “{filters.source}”"
                + (f": its publishers are {shown}" if known else ": its articles name no publisher")
            )
        return replace(filters, publishers=keys)

    def passages(
        self,
        retrieved: Retrieved,
        ranking: Iterable[tuple[str, float]],
        k: int,
        filters: SearchFilters | None = None,
        *,
        min_chunks: int | None = None,
    ) -> list[Passage]:
        """A ranking of candidates as ``k`` passages: filtered, near-duplicates dropped, each
        article's chunks stitched."""
        filters = filters or SearchFilters()
        by_id = retrieved.signals.passages
        # Lazy: merging stops reading the ranking once the k passages are complete.
        ranked = (
            replace(by_id[cid], score=score)
            for cid, score in ranking
            if cid in by_id and filters.admits(by_id[cid])
        )
        unique = drop_near_duplicates(ranked, self.fusion.dedup_jaccard)
        least = self.fusion.passage_min_chunks if min_chunks is None else min_chunks
        return merge_by_article(unique, k, cap=self.fusion.passage_chunks, least=least)
