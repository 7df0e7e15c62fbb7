"""Operations through the real entry point: nothing lost, one clear line instead of a traceback
(issue 13, "what breaks today")."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

import index.sources
from bot.app import App
from config.settings import load_settings
from index.store import IndexStore
from tests.cli_helpers import run_cli


@pytest.fixture
def nd_app(tmp_path: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(index_dir=tmp_path / "index", articles_dir=tmp_path / "articles")
    return App(settings, embedder_override=hash_embedder)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _snapshot(index_dir: Path) -> tuple[str, list[str], str]:
    live = (index_dir / "CURRENT").read_text()
    manifest = (index_dir / live / "manifest.json").read_text()
    return live, sorted(p.name for p in index_dir.iterdir()), manifest


# -- 1. data loss ------------------------------------------------------------------------------


def test_rebuild_of_a_missing_path_refuses_and_keeps_the_index(
    nd_app: App, seed_dir: Path, tmp_path: Path, capsys
):
    assert run_cli(capsys, "index", "build", str(seed_dir), app=nd_app).code == 0
    before = _snapshot(nd_app.settings.index_dir)

    typo = tmp_path / "artciles"
    result = run_cli(capsys, "index", "build", str(typo), "--rebuild", app=nd_app)
    assert result.code == 1
    [line] = _lines(result.err)
    assert str(typo) in line and "does not exist" in line and "unchanged" in line
    assert _snapshot(nd_app.settings.index_dir) == before
    stats = run_cli(capsys, "index", "stats", "--json", app=nd_app).json()
    assert stats["articles"] == 5


def test_missing_path_without_rebuild_creates_no_index(nd_app: App, tmp_path: Path, capsys):
    result = run_cli(capsys, "index", "build", str(tmp_path / "nope"), app=nd_app)
    assert result.code == 1 and "nope" in result.err
    assert not nd_app.settings.index_dir.exists()


def test_one_missing_path_among_good_ones_is_a_partial_build(
    nd_app: App, seed_dir: Path, tmp_path: Path, capsys
):
    result = run_cli(capsys, "index", "build", str(seed_dir), str(tmp_path / "nope"), app=nd_app)
    assert result.code == 2
    assert "nope: path does not exist" in result.err and "5 added" in result.out


def test_bare_rebuild_from_another_folder_says_where_it_looked(
    tmp_path: Path, seed_dir: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch, capsys
):
    index_dir = tmp_path / "index"
    IndexStore(index_dir)  # built below through the builder, like a user's earlier build
    settings = load_settings(index_dir=index_dir, articles_dir=seed_dir)
    App(settings, embedder_override=hash_embedder).builder.build([seed_dir])
    before = _snapshot(index_dir)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("NEWSDESK_ARTICLES_DIR", raising=False)
    result = run_cli(capsys, "--index-dir", str(index_dir), "index", "build", "--rebuild")
    assert result.code == 1
    [line] = _lines(result.err)
    assert f"no such folder: {elsewhere / 'data' / 'articles'}" in line
    assert "NEWSDESK_ARTICLES_DIR" in line
    assert _snapshot(index_dir) == before


def test_rebuild_that_loads_nothing_keeps_the_old_index(
    nd_app: App, seed_dir: Path, tmp_path: Path, capsys
):
    run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    before = _snapshot(nd_app.settings.index_dir)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.txt").write_bytes(b"\x00\x01\x02")
    (bad / "b.json").write_text("{oops")

    result = run_cli(capsys, "index", "build", str(bad), "--rebuild", app=nd_app)
    assert result.code == 2
    assert "a.txt: binary file" in result.err and "b.json: malformed JSON" in result.err
    assert "kept the index" in result.err and "(5 articles)" in result.err
    assert _snapshot(nd_app.settings.index_dir) == before

    as_json = run_cli(capsys, "index", "build", str(bad), "--rebuild", "--json", app=nd_app)
    assert as_json.code == 2
    data = as_json.json()
    assert "kept the index" in data["refused"] and len(data["failed"]) == 2


# -- 2. a loader that crashes costs one file ----------------------------------------------------


def test_loader_errors_of_any_kind_are_per_file_failures(
    nd_app: App, seed_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    real = index.sources._load_html

    def flaky(text: str, path: Path, article_id: str):
        if path.name == "needs_clean.html":
            raise ImportError(
                "lxml.html.clean module is now a separate project lxml_html_clean.",
                name="lxml_html_clean",
            )
        if path.name == "crashes.html":
            raise RuntimeError("parser exploded")
        return real(text, path, article_id)

    monkeypatch.setattr(index.sources, "_load_html", flaky)
    page = "<html><head><title>Harbour</title></head><body><p>{}</p></body></html>"
    body = "The harbour council met on Tuesday to plan the new ferry pier. " * 5
    (seed_dir / "needs_clean.html").write_text(page.format(body))
    (seed_dir / "crashes.html").write_text(page.format(body))
    (seed_dir / "fine.html").write_text(page.format(body))

    result = run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "needs_clean.html: missing dependency: lxml.html.clean" in result.err
    assert "crashes.html: could not load (RuntimeError: parser exploded)" in result.err
    assert "6 added" in result.out  # the five samples and fine.html


def test_lxml_html_clean_is_a_declared_dependency():
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"lxml[html_clean]' in pyproject
    import lxml_html_clean  # noqa: F401  (installed: trafilatura's justext imports it)


# -- 4. symlink loops ----------------------------------------------------------------------------


def test_symlink_loop_named_as_path_is_one_line(nd_app: App, tmp_path: Path, capsys):
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    result = run_cli(capsys, "index", "build", str(tmp_path / "loop_a"), app=nd_app)
    assert result.code == 1
    [line] = _lines(result.err)
    assert "symlink loop" in line and "loop_a" in line


def test_symlink_loop_inside_a_folder_is_named_and_the_rest_indexed(
    nd_app: App, seed_dir: Path, capsys
):
    (seed_dir / "loop.txt").symlink_to(seed_dir / "loop2.txt")
    (seed_dir / "loop2.txt").symlink_to(seed_dir / "loop.txt")
    (seed_dir / "gone.md").symlink_to(seed_dir / "no-such-target.md")
    result = run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    assert result.code == 2 and "5 added" in result.out
    assert "loop.txt: symlink loop" in result.err
    assert "gone.md: broken symlink" in result.err


# -- 6. small things a new user trips over ----------------------------------------------------


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("text", ["", "   ", " ?! "])
def test_empty_question_is_a_usage_error(nd_app: App, command: str, text: str, capsys):
    result = run_cli(capsys, command, text, app=nd_app)
    assert result.code == 1
    [line] = _lines(result.err)
    assert "is empty" in line


def test_unsupported_files_are_counted(nd_app: App, seed_dir: Path, capsys):
    (seed_dir / "a.pdf").write_bytes(b"%PDF-1.4")
    (seed_dir / "sub").mkdir()
    (seed_dir / "sub" / "b.PDF").write_bytes(b"%PDF-1.4")
    (seed_dir / "c.docx").write_bytes(b"PK")
    result = run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    assert result.code == 0
    assert "skipped 3 files of unsupported types (.pdf ×2, .docx ×1)" in result.err
    (seed_dir / "d.docx").write_bytes(b"PK")
    data = run_cli(capsys, "index", "build", str(seed_dir), "--json", app=nd_app).json()
    assert data["skipped_unsupported"] == {".pdf": 2, ".docx": 2}


def test_trafilatura_log_lines_are_silenced_unless_vv(nd_app: App, seed_dir: Path, capsys):
    (seed_dir / "broken.html").write_text("<html")
    quiet = run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    assert quiet.code == 2 and "broken.html: no article text" in quiet.err
    assert "trafilatura." not in quiet.err and "empty HTML tree" not in quiet.err
    (seed_dir / "broken.html").write_text("<html ")  # changed: loaded (and failing) again
    loud = run_cli(capsys, "-vv", "index", "build", str(seed_dir), app=nd_app)
    assert "trafilatura.core" in loud.err and "empty HTML tree" in loud.err


def test_stats_says_an_incremental_build_was_interrupted(nd_app: App, seed_dir: Path, capsys):
    run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    fresh = run_cli(capsys, "index", "stats", "--json", app=nd_app).json()
    assert fresh["keyword_index_stale"] is False and fresh["warning"] is None

    # What a build killed between embedding and the BM25 rebuild leaves behind.
    gen = nd_app.store.open_current()
    gen.manifest.bm25_stale = True
    gen.save_manifest()
    stale = run_cli(capsys, "index", "stats", "--json", app=nd_app).json()
    assert stale["keyword_index_stale"] is True
    assert "interrupted" in stale["warning"] and "newsdesk index build" in stale["warning"]
    text = run_cli(capsys, "index", "stats", app=nd_app)
    assert text.code == 0 and "interrupted" in text.err

    run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)  # the next build finishes it
    assert run_cli(capsys, "index", "stats", "--json", app=nd_app).json()["warning"] is None


# -- 5. errors: known ones one line, unknown ones logged ------------------------------------


def test_unexpected_error_logs_its_traceback_and_ends_with_one_line(
    nd_app: App, seed_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)

    def broken(self: IndexStore):
        raise ValueError("manifest parser bug")

    monkeypatch.setattr(IndexStore, "open_current", broken)
    result = run_cli(capsys, "index", "stats", app=nd_app)
    assert result.code == 1
    assert "Traceback" in result.err and "ERROR bot.cli.main: unexpected error" in result.err
    assert _lines(result.err)[-1] == (
        "error: unexpected ValueError: manifest parser bug (traceback logged above)"
    )


class _VanishingStdin(io.StringIO):
    """Piped chat input that deletes the live index just before the first question."""

    def __init__(self, text: str, index_dir: Path) -> None:
        super().__init__(text)
        self.index_dir = index_dir

    def readline(self, size: int | None = -1) -> str:
        current = self.index_dir / "CURRENT"
        if current.exists():
            current.unlink()
        return super().readline(size)


def test_chat_prints_a_known_error_once_and_goes_on(
    nd_app: App, seed_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    run_cli(capsys, "index", "build", str(seed_dir), app=nd_app)
    stdin = _VanishingStdin("Who visited Pyongyang?\n/quit\n", nd_app.settings.index_dir)
    monkeypatch.setattr("sys.stdin", stdin)
    result = run_cli(capsys, "chat", app=nd_app)
    assert result.code == 0
    errors = [line for line in _lines(result.out + result.err) if "rror" in line]
    assert errors == [
        f"error: no index at {nd_app.settings.index_dir}: run `newsdesk index build` first"
    ]


# -- 7. flags and a read-only settings load -----------------------------------------------------


def test_global_flags_choose_the_index_and_articles(
    tmp_path: Path, seed_dir: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_INDEX_DIR", str(tmp_path / "env-index"))
    index_dir = tmp_path / "flag-index"
    settings = load_settings(index_dir=index_dir)
    App(settings, embedder_override=hash_embedder).builder.build([seed_dir])

    stats = run_cli(capsys, "--index-dir", str(index_dir), "index", "stats", "--json")
    assert stats.code == 0 and stats.json()["location"] == str(index_dir)
    missing = run_cli(
        capsys, "--articles-dir", str(tmp_path / "flag-articles"), "index", "build", "--json"
    )
    assert missing.code == 1 and str(tmp_path / "flag-articles") in missing.err
    assert not (tmp_path / "env-index").exists()  # nothing was created where env pointed


@pytest.mark.parametrize("rebuild", [[], ["--rebuild"]])
def test_unwritable_index_dir_is_one_line_naming_the_setting(
    tmp_path: Path, seed_dir: Path, monkeypatch: pytest.MonkeyPatch, rebuild: list[str], capsys
):
    monkeypatch.chdir(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli(
        capsys, "--index-dir", str(blocker / "index"), "index", "build", str(seed_dir), *rebuild
    )
    assert result.code == 1
    [line] = _lines(result.err)
    assert "not writable" in line and "NEWSDESK_INDEX_DIR" in line
    assert "Traceback" not in result.err


def test_stats_of_a_missing_index_dir_creates_nothing(tmp_path: Path, capsys):
    result = run_cli(capsys, "--index-dir", str(tmp_path / "idx"), "index", "stats")
    assert result.code == 1 and "newsdesk index build" in result.err
    assert not (tmp_path / "idx").exists()
    assert json.dumps(os.listdir(tmp_path)) == "[]"


# -- 4. an openai: embedder that is down ---------------------------------------------------------


def test_openai_embedder_down_is_one_line_naming_the_setting(
    tmp_path: Path, seed_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys, chat
):
    from tests.chroma_helpers import free_port as _free_port

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_EMBED_MODEL", "openai:nomic-embed")
    monkeypatch.setenv("NEWSDESK_LLM_API_KEY", "sk-secret-123")
    monkeypatch.setenv("NEWSDESK_INDEX_DIR", str(tmp_path / "index"))
    down = f"http://127.0.0.1:{_free_port()}/v1"
    monkeypatch.setenv("NEWSDESK_LLM_BASE_URL", down)
    result = run_cli(capsys, "index", "build", str(seed_dir))
    assert result.code == 1
    [line] = _lines(result.err)
    assert f"NEWSDESK_LLM_BASE_URL={down}" in line and "cannot connect" in line
    assert not (tmp_path / "index" / "CURRENT").exists()

    # Up, but answering with an error: the status, never the key.
    monkeypatch.setenv("NEWSDESK_LLM_BASE_URL", chat.url)
    chat.enqueue_raw(401, {"error": "bad key"})
    result = run_cli(capsys, "index", "build", str(seed_dir))
    assert result.code == 1
    [line] = _lines(result.err)
    assert "NEWSDESK_LLM_BASE_URL" in line and "HTTP 401" in line
    assert "sk-secret" not in result.err
    assert chat.requests and chat.requests[0]["path"] == "/v1/embeddings"
