"""`newsdesk index build|stats` through the real entry point, plus a rebuild killed with -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.app import App
from config.settings import load_settings
from tests.cli_helpers import run_cli


@pytest.fixture
def nd_app(tmp_path: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(index_dir=tmp_path / "index", articles_dir=tmp_path / "articles")
    return App(settings, embedder_override=hash_embedder)


def test_build_json_then_stats(nd_app: App, seed_dir: Path, capsys):
    result = run_cli(capsys, "index", "build", str(seed_dir), "--json", app=nd_app)
    assert result.code == 0, result.err
    report = result.json()
    assert set(report) >= {
        "added",
        "updated",
        "removed",
        "unchanged",
        "chunks",
        "failed",
        "seconds",
    }
    assert report["added"] == 5 and report["failed"] == []

    stats = run_cli(capsys, "index", "stats", "--json", app=nd_app).json()
    assert stats["articles"] == 5 and stats["chunks"] == report["chunks"]
    assert stats["embed_model"] == "test-hash-256"
    assert stats["location"] == str(nd_app.settings.index_dir)
    assert stats["date_range"] and stats["last_build"]
    assert "UPI" in stats["publishers"]


def test_bad_files_are_named_and_exit_2(nd_app: App, seed_dir: Path, capsys):
    (seed_dir / "broken.jsonl").write_text(
        '{"id": "ok", "title": "Fine", "text": "A fine record."}\n{oops\n'
    )
    (seed_dir / "empty.txt").write_text("   \n")
    result = run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    assert result.code == 2
    assert "broken.jsonl:2" in result.err and "empty.txt" in result.err
    assert "6 added" in result.out  # the five samples and the good JSONL line


def test_stats_before_build_is_one_clear_line(nd_app: App, capsys):
    result = run_cli(capsys, "index", "stats", app=nd_app)
    assert result.code == 1
    assert "newsdesk index build" in result.err and "Traceback" not in result.err


def test_usage_error_exits_1(capsys):
    result = run_cli(capsys, "index", "build", "--no-such-flag")
    assert result.code == 1


def _make_corpus(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    words = [
        "river",
        "harbour",
        "market",
        "council",
        "festival",
        "bridge",
        "station",
        "museum",
        "library",
        "stadium",
    ]
    for i in range(n):
        body = " ".join(
            f"Report {i} sentence {j} about the {words[(i + j) % len(words)]} number {i * 31 + j}."
            for j in range(60)
        )
        (folder / f"story_{i:04d}.txt").write_text(
            f"Story number {i}\n\n{body}\n", encoding="utf-8"
        )


@pytest.mark.slow
def test_rebuild_killed_mid_way_leaves_previous_index_answering(tmp_path: Path, seed_dir: Path):
    env = {
        **os.environ,
        "NEWSDESK_INDEX_DIR": str(tmp_path / "index"),
        "NEWSDESK_ARTICLES_DIR": str(seed_dir),
    }
    cli = [sys.executable, "-c", "from bot.cli import main; main()"]
    first = subprocess.run(
        [*cli, "index", "build", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    index_dir = tmp_path / "index"
    live = (index_dir / "CURRENT").read_text()

    big = tmp_path / "big"
    _make_corpus(big, 150)
    proc = subprocess.Popen(
        [*cli, "index", "build", str(big), "--rebuild", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # Wait until the new generation has recorded some embedded articles, then kill -9.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            fresh = [p for p in index_dir.glob("gen-*") if p.name != live]
            if fresh and (fresh[0] / "manifest.json").is_file():
                manifest = json.loads((fresh[0] / "manifest.json").read_text())
                if manifest["articles"]:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "the rebuild finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)

    assert (index_dir / "CURRENT").read_text() == live
    search = subprocess.run(
        [*cli, "search", "artillery shells North Korea", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert search.returncode == 0, search.stderr
    passages = json.loads(search.stdout)["passages"]
    assert passages and any("9 million" in p["text"] for p in passages[:3])

    # The next build finishes the job and cleans up the half-built generation.
    again = subprocess.run(
        [*cli, "index", "build", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert [p.name for p in index_dir.glob("gen-*")] == [live]
