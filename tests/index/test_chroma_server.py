"""The same build and search against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.chunk import Chunker
from index.search import Searcher
from index.store import IndexStore
from tests.chroma_helpers import ChromaProcess


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chroma = ChromaProcess(tmp_path_factory.mktemp("chroma-server"))
    chroma.start()
    try:
        yield chroma.url
    finally:
        chroma.kill()


def test_build_search_and_rebuild_on_a_chroma_server(
    chroma_url: str, tmp_path: Path, seed_dir: Path, hash_embedder
):
    store = IndexStore(tmp_path / "sidecars", chroma_url)
    builder = IndexBuilder(store, hash_embedder, Chunker(180, 30), max_file_bytes=10**6)
    first = builder.build([seed_dir])
    assert first.added == 5 and first.location == chroma_url

    gen = store.open_current()
    assert gen.count() == first.chunks
    hits = Searcher(store, hash_embedder).search(
        "artillery rocket launcher ammunition ballistic missiles", k=3
    )
    assert any("9 million" in p.text for p in hits)

    # Incremental: a removed file's chunks leave the server's collection.
    next(seed_dir.glob("000_*.txt")).unlink()
    second = builder.build([seed_dir])
    assert second.removed == 1 and store.open_current().count() == second.chunks < first.chunks

    # Rebuild swaps to a new collection; the superseded one stays for one build (a reader that
    # read the old pointer finishes its question on it) and the next build drops it.
    old = store.current_name()
    builder.build([seed_dir], rebuild=True)
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1]))
    names = {c.name for c in client.list_collections()}
    assert {f"newsdesk-{store.current_name()}", f"newsdesk-{old}"} <= names
    builder.build([seed_dir])
    names = {c.name for c in client.list_collections()}
    assert f"newsdesk-{store.current_name()}" in names and f"newsdesk-{old}" not in names
