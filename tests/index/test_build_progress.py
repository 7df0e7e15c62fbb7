"""The build's progress callback counts chunks against a total: estimated while articles are
still being chunked (chunking runs alongside embedding), exact by the end."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from index.build import BuildProgress, IndexBuilder


def test_progress_counts_chunks_up_to_the_total(
    builder: IndexBuilder, seed_dir: Path, hash_embedder, monkeypatch
):
    monkeypatch.setattr("index.build.EMBED_BATCH_CHUNKS", 4)  # several batches from 5 articles
    seen: list[BuildProgress] = []
    report = builder.build([seed_dir], progress=seen.append)

    assert len(seen) >= 3, "a start call plus one per batch"
    assert seen[0].chunks_done == 0 and seen[0].articles_done == 0
    assert {p.articles_total for p in seen} == {5}, "the articles are known from the start"
    assert all(p.chunks_done <= p.chunks_total for p in seen)
    assert seen[-1].chunks_total == report.embedded_chunks, "exact at the end"
    done = [p.chunks_done for p in seen]
    assert done == sorted(done) and len(set(done)) == len(done), "strictly increasing"
    assert seen[-1].chunks_done == seen[-1].chunks_total == hash_embedder.embedded
    assert seen[-1].articles_done == 5
    assert report.chunks_per_second > 0


def test_no_change_build_reports_zero_of_zero(builder: IndexBuilder, seed_dir: Path):
    builder.build([seed_dir])
    seen: list[BuildProgress] = []
    report = builder.build([seed_dir], progress=seen.append)
    assert seen == [BuildProgress(0, 0, 0, 0)]
    assert report.embedded_chunks == 0 and report.chunks_per_second == 0.0


def test_the_chunk_total_is_estimated_from_the_articles_chunked_so_far():
    from index.build import _Tally

    tally = _Tally(articles_total=10)
    assert tally.progress() == BuildProgress(0, 10, 0, 0)  # nothing chunked: no estimate yet
    for chunks in (4, 2):
        tally.chunked(chunks)
    chunks = [SimpleNamespace(id=f"a#{i}") for i in range(6)]
    tally.written([(SimpleNamespace(id="a"), chunks[:4]), (SimpleNamespace(id="b"), chunks[4:])])
    # 6 chunks from 2 articles: the 8 left are estimated at 3 each.
    assert tally.progress() == BuildProgress(2, 10, 6, 6 + 24)
