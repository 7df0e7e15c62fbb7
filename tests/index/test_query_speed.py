"""The query path's speed-ups give the results of the plain definitions: keyword terms read off
the BM25 postings count what tokenizing the chunk counts, ranking features are the same with
and without them (and are not read from a sidecar a build has marked stale), shingles are
every run of three words, near-duplicates are those a pairwise comparison finds, and passages
kept across questions are those the collection holds, kept only while it cannot change.
Made-up articles, the hash embedder."""

from __future__ import annotations

import dataclasses
import os
import random
from pathlib import Path

import numpy as np

from index.chunk import embedding_text
from index.keyword import KeywordIndex, tokenize, tokenize_query
from index.models import Passage
from index.rank import candidate_ids, features
from index.search import PassageCache, Searcher, drop_near_duplicates, shingles
from index.store import IndexStore
from tests.conftest import index_records

TEXTS = [
    ("Ferry resumes", "The Zanzibar ferry resumed sailing on Monday after repairs to its hull."),
    ("Bridge reopens", "Springfield's mayor reopened the bridge; traffic resumed within hours."),
    ("Ferries and bridges", "Ferries, bridges and tunnels: the city's repairs cost millions."),
    ("", "A chunk without a title mentions the mayor and a ferry."),
    ("Only stopwords", "the and of to in"),
]


def _passages() -> list[Passage]:
    return [
        Passage(chunk_id=f"a{i}#0", article_id=f"a{i}", title=title, text=text, score=0.0)
        for i, (title, text) in enumerate(TEXTS)
    ]


def test_postings_count_the_terms_tokenizing_the_chunk_finds():
    passages = _passages()
    index = KeywordIndex.build(passages)
    for query in ("ferry repairs mayor", "bridges resumed Monday", "tunnels of Zanzibar", "x"):
        terms = set(tokenize_query(query))
        expected = [
            len(terms & set(tokenize([embedding_text(p.title, p.text)])[0])) for p in passages
        ]
        assert index.held([p.chunk_id for p in passages], terms) == expected
    assert index.held(["not-indexed#0", "a0#0"], {"ferri"}) == [None, 1]
    assert KeywordIndex.build([]).held(["a0#0"], {"ferri"}) == [None]


def test_postings_survive_a_save_and_load(tmp_path: Path):
    passages = _passages()
    KeywordIndex.build(passages).save(tmp_path / "bm25")
    loaded = KeywordIndex.load(tmp_path / "bm25")
    assert loaded.held([p.chunk_id for p in passages], {"ferri", "repair"}) == [2, 0, 2, 1, 0]


def _build(tmp_path: Path, hash_embedder) -> IndexStore:
    records = [
        {"id": f"a{i}", "title": title, "text": text, "published": "2023-11-0" + str(i + 1)}
        for i, (title, text) in enumerate(TEXTS)
    ]
    return index_records(tmp_path, records, hash_embedder)


def test_features_are_the_same_read_off_the_index_or_tokenized(tmp_path: Path, hash_embedder):
    searcher = Searcher(_build(tmp_path, hash_embedder), hash_embedder)
    for query in ("Which ferry resumed after repairs?", "Who reopened the bridge?", "mayor"):
        signals = searcher.retrieve(query).signals
        assert signals.keyword_held is not None
        ids = candidate_ids(signals)
        tokenized = dataclasses.replace(signals, keyword_held=None)
        assert np.array_equal(features(signals, ids), features(tokenized, ids))


def test_a_sidecar_marked_stale_is_not_read_for_features(tmp_path: Path, hash_embedder):
    store = _build(tmp_path, hash_embedder)
    searcher = Searcher(store, hash_embedder)
    assert searcher.retrieve("ferry").signals.keyword_held is not None
    # A build under way (or interrupted) in the live generation marks the sidecar stale first.
    gen = store.open_current()
    gen.manifest.bm25_stale = True
    gen.save_manifest()
    manifest = gen.path / "manifest.json"
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert searcher.retrieve("ferry").signals.keyword_held is None


def test_shingles_are_every_run_of_three_words():
    text = "One two three, four FIVE six. Seven"
    words = text.lower().replace(",", "").replace(".", "").split()
    assert shingles(text) == frozenset(tuple(words[i : i + 3]) for i in range(len(words) - 2))
    assert shingles("two words") == frozenset([("two", "words")])
    assert shingles("") == frozenset()


def _near_duplicates_pairwise(texts: list[str], threshold: float) -> list[str]:
    """The definition: keep a text unless its shingles' Jaccard similarity with a kept one's
    reaches ``threshold``."""
    kept: list[frozenset] = []
    out = []
    for text in texts:
        sh = shingles(text)
        if any(len(sh & k) and len(sh & k) / len(sh | k) >= threshold for k in kept):
            continue
        kept.append(sh)
        out.append(text)
    return out


def test_near_duplicates_are_those_of_a_pairwise_comparison():
    # Made-up texts over a few words: stock phrases shared, some texts near copies.
    rng = random.Random(7)
    vocabulary = "the ferry sailed on monday mayor said bridge repairs city tunnel".split()
    base = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 14))) for _ in range(40)]
    texts = base + [t + " " + rng.choice(vocabulary) for t in base[:20]] + ["", "one", "a b"]
    rng.shuffle(texts)
    for threshold in (0.3, 0.6, 0.9):
        passages = [
            Passage(chunk_id=f"a{i}#0", article_id=f"a{i}", title="", text=t, score=0.0)
            for i, t in enumerate(texts)
        ]
        kept = [p.text for p in drop_near_duplicates(passages, threshold)]
        assert kept == _near_duplicates_pairwise(texts, threshold)
        assert len(kept) < len(texts)  # some were near-duplicates


def _move_manifest(gen, *, stale: bool) -> None:
    """Save the manifest as a build would, its stamp moved on (mtime granularity)."""
    gen.manifest.bm25_stale = stale
    gen.save_manifest()
    manifest = gen.path / "manifest.json"
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def test_kept_passages_give_the_signals_of_reading_the_collection(tmp_path: Path, hash_embedder):
    store = _build(tmp_path, hash_embedder)
    cached, plain = Searcher(store, hash_embedder), Searcher(store, hash_embedder)
    queries = ["Which ferry resumed after repairs?", "Who reopened the bridge?", "mayor", "ferry"]
    for query in queries * 2:  # asked again: read from the cache
        kept = cached.retrieve(query).signals
        plain._passages = None  # straight from the collection
        read = plain.retrieve(query).signals
        assert kept.dense == read.dense
        assert dict(kept.passages) == dict(read.passages)
        assert list(kept.passages) == list(read.passages)
    assert cached._passages is not None and len(cached._passages) > 0


def test_the_cache_starts_afresh_when_the_manifest_moves(tmp_path: Path, hash_embedder):
    store = _build(tmp_path, hash_embedder)
    searcher = Searcher(store, hash_embedder)
    searcher.retrieve("ferry")
    first = searcher._passages
    assert first is not None and len(first) > 0
    gen = store.open_current()
    _move_manifest(gen, stale=True)  # a build under way: the collection may change
    searcher.retrieve("ferry")
    assert searcher._passages is None
    _move_manifest(gen, stale=False)  # the build finished
    searcher.retrieve("ferry")
    assert searcher._passages is not None and searcher._passages is not first


def test_a_server_generation_keeps_no_passages(tmp_path: Path, hash_embedder):
    searcher = Searcher(_build(tmp_path, hash_embedder), hash_embedder)
    searcher.store.chroma_url = "http://chroma.invalid"  # stamps move only when builds finish
    assert searcher._passage_cache() is None


def test_the_passage_cache_keeps_the_most_recently_read(tmp_path: Path, hash_embedder):
    gen = _build(tmp_path, hash_embedder).open_current()
    ids = sorted(gen.get_passages([f"a{i}#0" for i in range(len(TEXTS))]))
    cache = PassageCache(2)
    read = gen.get_passages
    assert cache.fetch(read, [ids[0], "gone#0", ids[1]]) == gen.get_passages([ids[0], ids[1]])
    assert list(cache.fetch(read, [ids[1], ids[0]])) == [ids[1], ids[0]]  # in the order asked
    cache.fetch(read, [ids[2]])  # ids[1] was read least recently
    assert len(cache) == 2 and list(cache._kept) == [ids[0], ids[2]]
