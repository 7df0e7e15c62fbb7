"""`index build --json` reports throughput; the terminal progress bar shows chunks, rate, ETA."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bot.app import App
from bot.cli.index_cmd import _run_build
from config.settings import load_settings
from tests.cli_helpers import run_cli
from tests.conftest import REPO


@pytest.fixture
def nd_app(tmp_path: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(index_dir=tmp_path / "index", articles_dir=tmp_path / "articles")
    return App(settings, embedder_override=hash_embedder)


def test_build_json_reports_chunks_per_second(nd_app: App, seed_dir: Path, capsys):
    first = run_cli(capsys, "index", "build", str(seed_dir), "--json", app=nd_app).json()
    assert first["embedded_chunks"] > 0 and first["seconds"] > 0
    expected = first["embedded_chunks"] / first["seconds"]
    # Both figures are rounded in the JSON: compare within that rounding.
    assert first["chunks_per_second"] == pytest.approx(expected, rel=0.02, abs=0.1)
    assert first["chunks_per_second"] > 0

    again = run_cli(capsys, "index", "build", str(seed_dir), "--json", app=nd_app).json()
    assert again["embedded_chunks"] == 0 and again["chunks_per_second"] == 0


def test_terminal_progress_bar_counts_chunks(nd_app: App, seed_dir: Path):
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=140)
    report = _run_build(nd_app.builder, [seed_dir], False, console, show=True)
    text = buf.getvalue()
    assert report.embedded_chunks > 0
    assert "chunks/s" in text and "ETA" in text
    assert f"{report.embedded_chunks}/{report.embedded_chunks}" in text


@pytest.mark.slow
def test_help_does_not_import_torch_or_chromadb(tmp_path: Path):
    """`newsdesk --help` must stay fast (issue 14: <= 0.5 s): no torch, chromadb, LlamaIndex,
    nor the settings model (pydantic: ~0.2 s on a slow CPU)."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "heavy = ('torch', 'chromadb', 'llama_index', 'sentence_transformers', 'pydantic')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "[]"
