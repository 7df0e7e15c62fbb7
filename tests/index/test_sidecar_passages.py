"""The keyword sidecar keeps each chunk's passage: what it hands back is what Chroma holds, an
incremental build keeps it in step, an older sidecar without passages still searches (through
Chroma) and the searcher reads its candidates there instead of from Chroma."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.build import IndexBuilder
from index.keyword import OFFSETS_FILE, PASSAGES_FILE, KeywordIndex
from index.search import Searcher
from index.store import Generation, IndexStore


def _all_ids(store: IndexStore) -> list[str]:
    return KeywordIndex.load(store.open_current().bm25_dir).chunk_ids


def _as_chroma_has_them(store: IndexStore) -> None:
    gen = store.open_current()
    ids = _all_ids(store)
    kept = KeywordIndex.load(gen.bm25_dir).passages(ids)
    assert list(kept) == ids
    assert kept == gen.get_passages(ids)


def test_the_sidecar_keeps_every_chunks_passage_as_chroma_holds_it(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    _as_chroma_has_them(store)
    index = KeywordIndex.load(store.open_current().bm25_dir)
    assert index.passages(["no-such-article#0"]) == {}


def test_an_incremental_build_keeps_the_passages_in_step(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    (seed_dir / "ferry.txt").write_text(
        "Ferry service resumes\n\nThe Zanzibar ferry resumed sailing on Monday — “at last”.\n",
        encoding="utf-8",
    )
    sorted(seed_dir.glob("00*.txt"))[0].unlink()
    report = builder.build([seed_dir])
    assert (report.added, report.removed) == (1, 1)
    _as_chroma_has_them(store)
    ferry = [cid for cid in _all_ids(store) if cid.startswith("ferry#")]
    index = KeywordIndex.load(store.open_current().bm25_dir)
    assert "“at last”" in index.passages(ferry)[ferry[0]].text


def test_a_sidecar_without_passages_searches_through_chroma_and_gets_them_on_the_next_build(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore, hash_embedder
):
    builder.build([seed_dir])
    query = "artillery shells North Korea sent to Russia"
    with_passages = Searcher(store, hash_embedder).search(query, 5)
    bm25_dir = store.open_current().bm25_dir
    (bm25_dir / PASSAGES_FILE).unlink()  # as an older newsdesk wrote it
    (bm25_dir / OFFSETS_FILE).unlink()
    assert KeywordIndex.load(bm25_dir).passages(_all_ids(store)) == {}
    assert Searcher(store, hash_embedder).search(query, 5) == with_passages
    (seed_dir / "ferry.txt").write_text("Ferry\n\nThe Zanzibar ferry sailed on Monday.\n")
    builder.build([seed_dir])
    _as_chroma_has_them(store)


def test_a_line_that_is_not_the_chunks_is_left_out(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    bm25_dir = store.open_current().bm25_dir
    ids = _all_ids(store)
    offsets = np.load(bm25_dir / OFFSETS_FILE)
    # Each chunk pointed at the next chunk's line (as if the file were replaced meanwhile).
    np.save(bm25_dir / OFFSETS_FILE, np.concatenate([offsets[1:-1], offsets[-1:], offsets[-1:]]))
    index = KeywordIndex.load(bm25_dir)
    assert index.passages(ids) == {}


def test_the_searcher_reads_its_candidates_off_the_sidecar(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore, hash_embedder, monkeypatch
):
    builder.build([seed_dir])
    query = "artillery shells North Korea sent to Russia"
    reads: list[int] = []
    real = Generation.get_passages

    def counting(self: Generation, chunk_ids):
        reads.append(len(chunk_ids))
        return real(self, chunk_ids)

    monkeypatch.setattr(Generation, "get_passages", counting)
    found = Searcher(store, hash_embedder).search(query, 5)
    assert found and reads == []
    bm25_dir = store.open_current().bm25_dir
    (bm25_dir / PASSAGES_FILE).unlink()
    assert Searcher(store, hash_embedder).search(query, 5) == found
    assert reads and sum(reads) > 0
