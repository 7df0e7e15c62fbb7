"""Incremental builds against a real Chroma PersistentClient in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.build import IndexBuilder, plan_build
from index.chunk import Chunker
from index.errors import IndexLocked, IndexMissing, ModelMismatch
from index.keyword import KeywordIndex
from index.models import Article, LoadReport, SourceFailure
from index.sources import load_paths
from index.store import ArticleEntry, IndexStore


def test_first_build_indexes_every_seed_article(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    report = builder.build([seed_dir])
    assert (report.added, report.updated, report.removed, report.unchanged) == (5, 0, 0, 0)
    assert report.failed == []
    gen = store.open_current()
    assert report.chunks == gen.count() == gen.manifest.chunk_count > 5
    # Offsets quote the cleaned text exactly, and every chunk carries its article's metadata.
    cleaned = {a.id: a.text for a in load_paths([seed_dir]).articles}
    for passage in gen.iter_all_passages():
        assert passage.article_id in gen.manifest.articles
        assert passage.path.endswith(".txt")
        assert cleaned[passage.article_id][passage.start : passage.end] == passage.text
    assert len(KeywordIndex.load(gen.bm25_dir)) == gen.count()


def test_no_change_build_embeds_nothing(builder: IndexBuilder, seed_dir: Path, hash_embedder):
    builder.build([seed_dir])
    embedded = hash_embedder.embedded
    report = builder.build([seed_dir])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 5)
    assert report.embedded_chunks == 0
    assert hash_embedder.embedded == embedded


def test_changed_article_is_replaced_and_removed_one_deleted(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    edited = next(seed_dir.glob("002_*.txt"))
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nThe zebra parade in Pyongyang drew 77 zebras.\n",
        encoding="utf-8",
    )
    gone = next(seed_dir.glob("004_*.txt"))
    gone.unlink()
    report = builder.build([seed_dir])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 1, 3)
    gen = store.open_current()
    texts = [p.text for p in gen.iter_all_passages()]
    assert any("77 zebras" in t for t in texts)
    assert not any(p.article_id == gone.stem for p in gen.iter_all_passages())
    assert gone.stem not in gen.manifest.articles
    # BM25 follows: the new words are findable, the removed article is not.
    keyword = KeywordIndex.load(gen.bm25_dir)
    assert keyword.search("zebra parade", 3)[0].chunk_id.startswith(edited.stem)
    assert len(keyword) == gen.count()


def _vectors(store: IndexStore) -> dict[str, np.ndarray]:
    got = store.open_current()._collection.get(include=["embeddings"])
    return dict(zip(got["ids"], np.asarray(got["embeddings"]), strict=True))


def test_an_edited_article_embeds_only_the_chunks_whose_text_changed(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore, hash_embedder, tmp_path: Path
):
    builder.build([seed_dir])
    edited = max(seed_dir.glob("*.txt"), key=lambda p: p.stat().st_size)
    chunks_before = store.open_current().manifest.articles[edited.stem].chunks
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nUpdate: the zebra parade drew 77 zebras.\n",
        encoding="utf-8",
    )
    before = hash_embedder.embedded
    report = builder.build([seed_dir])
    chunks_after = store.open_current().manifest.articles[edited.stem].chunks
    assert (report.updated, report.unchanged) == (1, 4)
    assert chunks_before > 2, "an article long enough to keep some chunks"
    assert 0 < report.embedded_chunks < chunks_after
    assert report.embedded_chunks + report.reused_chunks == chunks_after
    assert hash_embedder.embedded - before == report.embedded_chunks
    assert report.to_json()["reused_chunks"] == report.reused_chunks
    # Every vector, kept or new, is the one a build from scratch gives that chunk.
    fresh = IndexStore(tmp_path / "fresh")
    IndexBuilder(fresh, hash_embedder, Chunker(180, 30), max_file_bytes=5_000_000).build([seed_dir])
    kept, rebuilt = _vectors(store), _vectors(fresh)
    assert kept.keys() == rebuilt.keys()
    # (Chroma may hand back a vector renormalised: equal to a few units in the last place.)
    assert all(np.allclose(kept[cid], rebuilt[cid], atol=1e-6) for cid in kept)
    keyword = KeywordIndex.load(store.open_current().bm25_dir)
    assert keyword.search("zebra parade", 3)[0].chunk_id.startswith(edited.stem)


def test_a_new_headline_embeds_every_chunk_of_its_article_again(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    body = " ".join(f"Paragraph {n} tells of otter number {n} in the river." for n in range(150))
    story = seed_dir / "otters.md"
    story.write_text(f"# Otters return\n\n{body}\n", encoding="utf-8")
    builder.build([seed_dir])
    story.write_text(f"# Otters return to the Thames\n\n{body}\n", encoding="utf-8")
    report = builder.build([seed_dir])
    # Each chunk is embedded with its headline: none of the old vectors fits.
    chunks = store.open_current().manifest.articles["otters"].chunks
    assert chunks > 2 and report.updated == 1
    assert (report.embedded_chunks, report.reused_chunks) == (chunks, 0)


def test_articles_removed_together_are_deleted_in_calls_of_bounded_size(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore, monkeypatch: pytest.MonkeyPatch
):
    builder.build([seed_dir])
    gone = sorted(seed_dir.glob("*.txt"))[:3]
    for path in gone:
        path.unlink()
    calls: list[object] = []
    collection = store.open_current()._collection
    monkeypatch.setattr("index.store.ARTICLES_PER_CALL", 2)  # three articles: two calls
    original = type(collection).delete
    monkeypatch.setattr(
        type(collection),
        "delete",
        lambda self, *a, **kw: (calls.append(kw.get("where")), original(self, *a, **kw))[1],
    )
    report = builder.build([seed_dir])
    assert report.removed == 3
    gen = store.open_current()
    left = {p.article_id for p in gen.iter_all_passages()}
    assert left == set(gen.manifest.articles) and len(left) == 2
    assert not left & {path.stem for path in gone}
    assert [len(w["document_id"]["$in"]) for w in calls if w and "document_id" in w][:2] == [2, 1]


def test_new_file_is_added_without_touching_others(
    builder: IndexBuilder, seed_dir: Path, hash_embedder
):
    builder.build([seed_dir])
    before = hash_embedder.embedded
    (seed_dir / "new.md").write_text("# Otters return\n\nOtters returned to the river Thames.\n")
    report = builder.build([seed_dir])
    assert (report.added, report.unchanged) == (1, 5)
    assert hash_embedder.embedded - before == report.embedded_chunks == 1


def test_building_one_path_does_not_remove_articles_of_another(
    builder: IndexBuilder, seed_dir: Path, tmp_path: Path, store: IndexStore
):
    builder.build([seed_dir])
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text(
        "Lighthouse keepers\n\nThe last lighthouse keeper retired in 1998.\n"
    )
    report = builder.build([other])
    assert (report.added, report.removed) == (1, 0)
    assert len(store.open_current().manifest.articles) == 6


def test_failed_file_keeps_its_indexed_version(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    victim = next(seed_dir.glob("001_*.txt"))
    victim.write_bytes(b"\x00\x01\x02binary now")
    report = builder.build([seed_dir])
    assert [f.path for f in report.failed] == [str(victim.resolve())]
    assert report.removed == 0 and report.unchanged == 4
    assert victim.stem in store.open_current().manifest.articles


def test_rebuild_swaps_in_a_new_generation(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    old = store.current_name()
    report = builder.build([seed_dir], rebuild=True)
    assert report.added == 5
    assert store.current_name() != old
    assert [p.name for p in store.index_dir.glob("gen-*")] == [store.current_name()]


def test_second_writer_gets_a_clear_error(builder: IndexBuilder, seed_dir: Path, store: IndexStore):
    lock = store.writer_lock()
    try:
        with pytest.raises(IndexLocked, match="another `newsdesk index build`"):
            builder.build([seed_dir])
    finally:
        lock.release()


def test_other_embedding_model_needs_rebuild(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])

    class Other:
        name = "other-model"

    with pytest.raises(ModelMismatch, match="--rebuild"):
        IndexBuilder(store, Other(), Chunker(180, 30), max_file_bytes=10**6).build([seed_dir])  # type: ignore[arg-type]


def test_open_before_any_build_says_what_to_do(store: IndexStore):
    with pytest.raises(IndexMissing, match="newsdesk index build"):
        store.open_current()


def test_plan_keeps_articles_of_a_file_with_a_bad_line(tmp_path: Path):
    path = str(tmp_path / "feed.jsonl")
    entries = {
        "a": ArticleEntry(hash="1", path=path, title="A"),
        "b": ArticleEntry(hash="2", path=path, title="B"),
    }
    article = Article(id="a", title="A", text="x", path=path, content_hash="1")
    report = LoadReport(
        articles=[article],
        failures=[SourceFailure(f"{path}:2", "line 2: invalid JSON")],
        seen_paths=frozenset({path}),
    )
    plan, _ = plan_build(report, entries, [tmp_path])
    assert plan.removed_ids == [] and plan.unchanged == 1


def test_manifest_is_valid_json_after_build(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    data = json.loads((store.index_dir / store.current_name() / "manifest.json").read_text())
    assert data["embed_model"] == "test-hash-256" and len(data["articles"]) == 5


def test_search_with_another_embedding_model_is_refused(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    from index.search import Searcher

    builder.build([seed_dir])

    class Other:
        name = "other-model"

    with pytest.raises(ModelMismatch, match="built with embedding model 'test-hash-256'"):
        Searcher(store, Other()).search("troops")  # type: ignore[arg-type]


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The files a build actually opens and parses."""
    import index.sources

    opened: list[str] = []
    real = index.sources.load_file

    def counting(path, **kwargs):
        opened.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(index.sources, "load_file", counting)
    return opened


def test_a_no_change_build_reads_no_file(builder: IndexBuilder, seed_dir: Path, reads):
    builder.build([seed_dir])
    assert len(reads) == 5
    reads.clear()
    again = builder.build([seed_dir])
    assert reads == [] and again.unchanged == 5 and again.embedded_chunks == 0
    assert again.removed == 0 and again.chunks > 0


def test_only_the_changed_file_is_read_again(builder: IndexBuilder, seed_dir: Path, reads):
    builder.build([seed_dir])
    reads.clear()
    target = sorted(seed_dir.iterdir())[2]
    text = target.read_text(encoding="utf-8")
    # Same length, new words: the size alone would not tell, the modification time does.
    target.write_text(text.replace("the", "THE", 1), encoding="utf-8")
    report = builder.build([seed_dir])
    assert reads == [target.name]
    assert (report.updated, report.unchanged, report.removed) == (1, 4, 0)


def test_a_removed_file_still_removes_its_articles(builder: IndexBuilder, seed_dir: Path):
    builder.build([seed_dir])
    sorted(seed_dir.iterdir())[0].unlink()
    report = builder.build([seed_dir])
    assert (report.removed, report.unchanged) == (1, 4)


def test_a_file_with_a_bad_record_is_read_every_time(builder: IndexBuilder, seed_dir: Path, reads):
    (seed_dir / "feed.jsonl").write_text(
        json.dumps({"id": "wire-1", "title": "Ferry", "text": "The ferry sailed on Monday."})
        + "\n{not json\n",
        encoding="utf-8",
    )
    builder.build([seed_dir])
    reads.clear()
    report = builder.build([seed_dir])
    assert reads == ["feed.jsonl"]  # its stamp is not kept: the bad line is reported again
    assert report.failed and report.unchanged == 6


def test_a_new_article_reusing_the_id_of_an_unread_one_gets_its_own_id(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    (seed_dir / "a.jsonl").write_text(
        json.dumps({"id": "wire-1", "title": "Ferry", "text": "The ferry sailed on Monday."}),
        encoding="utf-8",
    )
    builder.build([seed_dir])
    (seed_dir / "b.jsonl").write_text(
        json.dumps({"id": "wire-1", "title": "Budget", "text": "Parliament passed the budget."}),
        encoding="utf-8",
    )
    report = builder.build([seed_dir])
    assert report.added == 1
    ids = sorted(store.open_current().manifest.articles)
    assert "wire-1" in ids and any(i.startswith("wire-1~") for i in ids)


@pytest.fixture
def cleaned(monkeypatch) -> list[str]:
    """The texts a build cleans (cleaning is most of reading a record)."""
    import index.sources

    texts: list[str] = []
    real = index.sources.clean_text

    def counting(text: str) -> str:
        texts.append(text)
        return real(text)

    monkeypatch.setattr(index.sources, "clean_text", counting)
    return texts


def _wire(n: int, extra: str = "") -> str:
    return json.dumps(
        {
            "id": f"wire-{n}",
            "title": f"Harbour story {n}",
            "text": f"The Portvale harbour handled {n} ships on Monday, its authority said.{extra}",
        }
    )


def test_in_a_changed_jsonl_only_the_changed_record_is_cleaned_again(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore, cleaned: list[str]
):
    feed = seed_dir / "feed.jsonl"
    feed.write_text("\n".join(_wire(n) for n in range(4)) + "\n", encoding="utf-8")
    builder.build([seed_dir])
    cleaned.clear()
    lines = [_wire(0), _wire(1, " A correction followed."), _wire(2), _wire(3), _wire(4)]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = builder.build([seed_dir])
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 8, 0)
    assert len(cleaned) == 2 and "correction" in cleaned[0] and "4 ships" in cleaned[1]
    entries = store.open_current().manifest.articles
    assert entries["wire-2"].title == "Harbour story 2" and entries["wire-2"].source
    texts = " ".join(p.text for p in store.open_current().iter_all_passages())
    assert "A correction followed." in texts and "handled 3 ships" in texts
    # The same records in another file are another file's articles: read in full.
    cleaned.clear()
    feed.rename(seed_dir / "moved.jsonl")
    moved = builder.build([seed_dir])
    assert len(cleaned) == 5 and moved.unchanged == 10 and moved.embedded_chunks == 0


def test_a_manifest_without_record_hashes_cleans_every_record(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore, cleaned: list[str]
):
    # An index built before records were hashed: nothing to compare, everything read in full.
    feed = seed_dir / "feed.jsonl"
    feed.write_text("\n".join(_wire(n) for n in range(3)) + "\n", encoding="utf-8")
    builder.build([seed_dir])
    gen = store.open_current()
    for entry in gen.manifest.articles.values():
        entry.source = ""
    gen.save_manifest()
    cleaned.clear()
    feed.write_text("\n".join(_wire(n) for n in range(4)) + "\n", encoding="utf-8")
    report = builder.build([seed_dir])
    assert len(cleaned) == 4 and (report.added, report.unchanged) == (1, 8)


def _bm25_view(store: IndexStore, query: str) -> list[tuple[str, float]]:
    gen = store.open_current()
    return [
        (h.chunk_id, round(h.score, 5)) for h in KeywordIndex.load(gen.bm25_dir).search(query, 20)
    ]


def test_a_small_change_updates_the_keyword_index_like_a_rebuild(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore, tmp_path: Path, monkeypatch
):
    builder.build([seed_dir])
    rebuilt_from_collection: list[int] = []
    real_build = KeywordIndex.build

    def counting_build(passages):
        rebuilt_from_collection.append(1)
        return real_build(passages)

    monkeypatch.setattr(KeywordIndex, "build", staticmethod(counting_build))
    (seed_dir / "ferry.txt").write_text(
        "Ferry service resumes\n\nThe Zanzibar ferry resumed sailing on Monday after repairs "
        "to its engine, the harbour authority said.\n",
        encoding="utf-8",
    )
    sorted(seed_dir.glob("00*.txt"))[0].unlink()
    report = builder.build([seed_dir])
    assert (report.added, report.removed) == (1, 1)
    assert rebuilt_from_collection == [], "updated in place, not rebuilt from every chunk"
    updated = [_bm25_view(store, q) for q in ("Zanzibar ferry repairs", "Russia Kim support")]

    # The same articles built from scratch give the same keyword scores.
    fresh = IndexStore(tmp_path / "fresh")
    IndexBuilder(fresh, builder.embedder, Chunker(180, 30), max_file_bytes=5_000_000).build(
        [seed_dir]
    )
    assert updated == [
        _bm25_view(fresh, q) for q in ("Zanzibar ferry repairs", "Russia Kim support")
    ]
    assert updated[0] and updated[0][0][0].startswith("ferry#")


def test_a_sidecar_without_terms_is_rebuilt_from_the_collection(
    builder: IndexBuilder, seed_dir: Path, store: IndexStore
):
    builder.build([seed_dir])
    (store.open_current().bm25_dir / "terms.npz").unlink()  # as an older newsdesk wrote it
    (seed_dir / "ferry.txt").write_text("Ferry\n\nThe Zanzibar ferry sailed on Monday.\n")
    builder.build([seed_dir])
    assert _bm25_view(store, "Zanzibar ferry")[0][0].startswith("ferry#")
    assert (store.open_current().bm25_dir / "terms.npz").is_file()
