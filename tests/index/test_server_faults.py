"""A Chroma server that is down, silent or stalled mid-session: one line naming
NEWSDESK_CHROMA_URL, within a few seconds, for every command (`index stats` too: in server mode
the manifest lives in the server). 127.0.0.1 only; every test is bounded by its own timeout."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from config.settings import load_settings
from index.store import Manifest
from tests.chroma_helpers import ChromaProcess, free_port
from tests.cli_helpers import run_cli


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _fake_built_index(index_dir: Path, embed_model: str) -> None:
    """A server-mode index folder as a build leaves it: CURRENT and the generation's manifest."""
    gen = index_dir / "gen-20260101T000000000000-1"
    gen.mkdir(parents=True)
    manifest = Manifest(embed_model=embed_model, chunk_tokens=180, chunk_overlap=30)
    (gen / "manifest.json").write_text(manifest.model_dump_json())
    (index_dir / "CURRENT").write_text(gen.name)


def _server_app(tmp_path: Path, url: str, hash_embedder) -> App:
    settings = load_settings(
        index_dir=tmp_path / "index",
        articles_dir=tmp_path / "articles",
        chroma_url=url,
        chroma_timeout_s=1.0,
    )
    return App(settings, embedder_override=hash_embedder)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose kernel accepts connections that nobody ever reads or answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield int(server.getsockname()[1])


@pytest.mark.timeout(60)
def test_server_down_is_one_line_for_every_command(tmp_path: Path, hash_embedder, capsys):
    """In server mode the manifest and the live pointer live in the server, so even
    `index stats` needs it: one line naming the URL, never the stale local folder."""
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    nd = _server_app(tmp_path, url, hash_embedder)
    _fake_built_index(nd.settings.index_dir, hash_embedder.name)

    for args in (["index", "stats", "--json"], ["search", "harbour council"]):
        started = time.monotonic()
        result = run_cli(capsys, *args, app=nd)
        assert time.monotonic() - started < 10
        assert result.code == 1, args
        assert result.out == ""
        [line] = _lines(result.err)
        assert f"NEWSDESK_CHROMA_URL={url}" in line and "cannot connect" in line


@pytest.mark.timeout(60)
def test_port_that_never_replies_fails_within_the_timeout(
    tmp_path: Path, hash_embedder, silent_port: int, seed_dir: Path, capsys
):
    url = f"http://127.0.0.1:{silent_port}"
    nd = _server_app(tmp_path, url, hash_embedder)
    _fake_built_index(nd.settings.index_dir, hash_embedder.name)
    before = sorted(p.name for p in nd.settings.index_dir.iterdir())

    for args in (["ask", "Who met in Pyongyang?"], ["index", "build", str(seed_dir)]):
        started = time.monotonic()
        result = run_cli(capsys, *args, app=nd)
        assert time.monotonic() - started < 10, args
        assert result.code == 1, result.err
        [line] = _lines(result.err)
        assert f"NEWSDESK_CHROMA_URL={url}" in line and "no reply in time" in line
    assert "Traceback" not in result.err
    # The failed build left the live index alone.
    assert sorted(p.name for p in nd.settings.index_dir.iterdir() if p.name != ".lock") == before


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_server_stalled_mid_session_is_bounded_too(
    chroma_server: tuple[str, int], tmp_path: Path, hash_embedder, seed_dir: Path, capsys
):
    """Connected and answering, then the server stops replying (SIGSTOP): the client's own
    requests are bounded as well, not only the first connection."""
    url, pid = chroma_server
    nd = _server_app(tmp_path, url, hash_embedder)
    assert run_cli(capsys, "index", "build", str(seed_dir), app=nd).code == 0
    first = run_cli(capsys, "search", "artillery ammunition", "--json", app=nd)
    assert first.code == 0 and first.json()["passages"]

    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = run_cli(capsys, "search", "ballistic missiles", app=nd)
        elapsed = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert elapsed < 15
    assert result.code == 1
    [line] = _lines(result.err)
    assert f"NEWSDESK_CHROMA_URL={url}" in line and "no reply in time" in line


@pytest.fixture
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    chroma = ChromaProcess(tmp_path_factory.mktemp("chroma-stall"))
    chroma.start()
    assert chroma.proc is not None
    try:
        yield chroma.url, chroma.proc.pid
    finally:
        chroma.kill()
