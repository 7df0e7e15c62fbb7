"""Settings: env > .env > defaults; every invalid value is one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import PACKAGED_MINILM, ConfigError, load_settings
from tests.cli_helpers import run_cli


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    for name in (
        "NEWSDESK_INDEX_DIR",
        "NEWSDESK_CHROMA_URL",
        "NEWSDESK_EMBED_MODEL",
        "DISCORD_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_come_from_the_defaults_file(tmp_path: Path):
    settings = load_settings()
    assert settings.embed_model == PACKAGED_MINILM
    assert settings.index_dir == tmp_path / "var" / "index"
    assert settings.chroma_url is None and settings.top_k == 10


def test_env_beats_dotenv_beats_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / ".env").write_text(
        "NEWSDESK_TOP_K=7\nNEWSDESK_CHUNK_OVERLAP=10\nDISCORD_TOKEN=abc\n"
    )
    monkeypatch.setenv("NEWSDESK_TOP_K", "5")
    settings = load_settings()
    assert settings.top_k == 5
    assert settings.chunk_overlap == 10
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == "abc"


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("NEWSDESK_CHROMA_URL", "not a url", "NEWSDESK_CHROMA_URL: "),
        ("NEWSDESK_EMBED_MODEL", "no-such-model", "NEWSDESK_EMBED_MODEL: unknown embedding model"),
        ("NEWSDESK_INDEX_DIR", "/etc/hostname", "NEWSDESK_INDEX_DIR: index folder"),
        ("NEWSDESK_CHROMA_TIMEOUT_S", "0", "NEWSDESK_CHROMA_TIMEOUT_S: "),
        ("NEWSDESK_TOP_K", "many", "NEWSDESK_TOP_K: "),
    ],
)
def test_invalid_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: str
):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert str(exc.value).startswith(expected)
    assert "\n" not in str(exc.value)


def test_cli_config_error_is_one_line_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("NEWSDESK_CHROMA_URL", "ftp//nope")
    result = run_cli(capsys, "index", "stats")
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "NEWSDESK_CHROMA_URL" in lines[0]
    assert "Traceback" not in result.err


def test_sentence_transformers_folder_is_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    monkeypatch.setenv("NEWSDESK_EMBED_MODEL", str(model))
    assert load_settings().embed_model == str(model)


def test_loading_settings_writes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    # The default index folder (var/index under the working directory) and an explicit one
    # that does not exist yet: neither is created, and no probe file is written anywhere.
    monkeypatch.setenv("NEWSDESK_INDEX_DIR", str(tmp_path / "deep" / "index"))
    settings = load_settings()
    assert settings.index_dir == tmp_path / "deep" / "index"
    load_settings(index_dir=None)
    monkeypatch.delenv("NEWSDESK_INDEX_DIR")
    load_settings()
    assert list(tmp_path.iterdir()) == []


def test_chunk_overlap_must_be_below_chunk_size(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NEWSDESK_CHUNK_TOKENS", "100")
    monkeypatch.setenv("NEWSDESK_CHUNK_OVERLAP", "100")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    message = str(exc.value)
    assert "NEWSDESK_CHUNK_OVERLAP (100)" in message and "NEWSDESK_CHUNK_TOKENS (100)" in message
    assert "\n" not in message


def test_chunk_overlap_error_in_the_cli_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    monkeypatch.setenv("NEWSDESK_CHUNK_OVERLAP", "200")  # default chunk size is 180
    (tmp_path / "a.txt").write_text("Headline\n\nSome words about a harbour.\n")
    result = run_cli(capsys, "index", "build", str(tmp_path / "a.txt"))
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "NEWSDESK_CHUNK_TOKENS" in lines[0], result.err
    assert not (tmp_path / "var").exists()


def test_chroma_timeout_setting(monkeypatch: pytest.MonkeyPatch):
    assert load_settings().chroma_timeout_s == 5.0
    monkeypatch.setenv("NEWSDESK_CHROMA_TIMEOUT_S", "1.5")
    assert load_settings().chroma_timeout_s == 1.5
