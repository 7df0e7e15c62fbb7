"""A corrupt or truncated manifest or BM25 sidecar is rebuilt from the collection, with a
message, never a crash; and `newsdesk health` reports what it finds."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.app import App
from config.settings import load_settings
from index.build import IndexBuilder
from index.keyword import KeywordIndex
from index.search import Searcher
from index.store import IndexStore
from tests.cli_helpers import run_cli


def _manifest_path(store: IndexStore) -> Path:
    return store.index_dir / str(store.current_name()) / "manifest.json"


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated mid-write by a full disk
        lambda text: "",  # emptied
        lambda text: json.dumps({"version": 1}),  # valid JSON, not a manifest
    ],
    ids=["truncated", "empty", "wrong-shape"],
)
def test_damaged_manifest_is_rebuilt_from_the_collection(
    builder: IndexBuilder, store: IndexStore, seed_dir: Path, hash_embedder, caplog, damage
):
    builder.build([seed_dir])
    path = _manifest_path(store)
    original = json.loads(path.read_text())
    path.write_text(damage(path.read_text()))

    with caplog.at_level(logging.WARNING, logger="index.store"):
        gen = store.open_current()
    assert any("rebuilding it from the collection" in r.getMessage() for r in caplog.records)
    restored = json.loads(path.read_text())  # written back, valid again
    for key in ("embed_model", "chunk_tokens", "chunk_overlap"):
        assert restored[key] == original[key]
    assert {k: (v["hash"], v["chunks"], v["title"]) for k, v in restored["articles"].items()} == {
        k: (v["hash"], v["chunks"], v["title"]) for k, v in original["articles"].items()
    }
    assert gen.manifest.chunk_count == gen.count()

    hits = Searcher(store, hash_embedder).search("artillery ammunition ballistic missiles", k=3)
    assert any("9 million" in p.text for p in hits)
    embedded = hash_embedder.embedded
    again = builder.build([seed_dir])  # the recovered hashes make it a no-change build
    assert (again.unchanged, again.embedded_chunks) == (5, 0)
    assert hash_embedder.embedded == embedded


def _biggest_npy(bm25_dir: Path) -> Path:
    return max(bm25_dir.glob("*.npy"), key=lambda p: p.stat().st_size)


@pytest.mark.parametrize("part", ["npy", "chunks.json", "missing"])
def test_damaged_keyword_sidecar_is_rebuilt(
    builder: IndexBuilder, store: IndexStore, seed_dir: Path, hash_embedder, caplog, part: str
):
    builder.build([seed_dir])
    bm25 = store.open_current().bm25_dir
    if part == "npy":
        victim = _biggest_npy(bm25)
        victim.write_bytes(victim.read_bytes()[:-40])
    elif part == "chunks.json":
        (bm25 / "chunks.json").write_text('{"chunk_ids": [')
    else:
        for file in bm25.iterdir():
            file.unlink()

    with caplog.at_level(logging.WARNING, logger="index.store"):
        gen = store.open_current()
    assert any("keyword index" in r.getMessage() for r in caplog.records)
    assert len(KeywordIndex.load(gen.bm25_dir)) == gen.count()
    hits = Searcher(store, hash_embedder).search("artillery ammunition ballistic missiles", k=3)
    assert any("9 million" in p.text for p in hits)


def test_damaged_manifest_through_the_cli_is_a_message_not_a_crash(
    tmp_path: Path, seed_dir: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(index_dir=tmp_path / "index", articles_dir=seed_dir)
    nd = App(settings, embedder_override=hash_embedder)
    nd.builder.build([seed_dir])
    _manifest_path(nd.store).write_text('{"embed_model": ')
    result = run_cli(capsys, "index", "stats", "--json", app=nd)
    assert result.code == 0
    assert result.json()["articles"] == 5
    assert "rebuilding it from the collection" in result.err and "Traceback" not in result.err


# -- newsdesk health ----------------------------------------------------------------------------


@pytest.fixture
def nd(tmp_path: Path, seed_dir: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(index_dir=tmp_path / "index", articles_dir=seed_dir)
    return App(settings, embedder_override=hash_embedder)


def test_health_passes_on_a_good_index(nd: App, seed_dir: Path, capsys):
    nd.builder.build([seed_dir])
    result = run_cli(capsys, "health", app=nd)
    assert result.code == 0, result.out
    lines = result.out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   settings",
        "ok   index",
        "ok   keyword index",
    ]
    data = run_cli(capsys, "health", "--json", app=nd).json()
    assert data["ok"] is True and [c["name"] for c in data["checks"]][1] == "index"


def test_health_fails_without_an_index_and_with_a_stale_keyword_side(
    nd: App, seed_dir: Path, capsys
):
    missing = run_cli(capsys, "health", "--json", app=nd)
    assert missing.code == 1
    assert missing.json()["checks"][-1]["ok"] is False
    nd.builder.build([seed_dir])
    gen = nd.store.open_current()
    gen.manifest.bm25_stale = True
    gen.save_manifest()
    stale = run_cli(capsys, "health", app=nd)
    assert stale.code == 1 and "FAIL keyword index" in stale.out


def test_health_names_a_bad_setting_and_an_unreachable_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    from tests.chroma_helpers import free_port as _free_port

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_TOP_K", "lots")
    bad = run_cli(capsys, "health")
    assert bad.code == 1 and "FAIL settings: NEWSDESK_TOP_K" in bad.out
    monkeypatch.delenv("NEWSDESK_TOP_K")
    monkeypatch.setenv("NEWSDESK_CHROMA_URL", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("NEWSDESK_CHROMA_TIMEOUT_S", "1")
    down = run_cli(capsys, "health")
    assert down.code == 1 and "FAIL chroma server: " in down.out
    assert "NEWSDESK_CHROMA_URL" in down.out
