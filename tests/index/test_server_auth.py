"""Settings for a real Chroma server: the token goes into Chroma's auth header and nowhere else
(no error line, no log line, no `--json`); a wrong tenant or database is one line naming the
settings. Secrets of every kind stay out of the error paths that print settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from index.errors import ServerUnavailable
from index.store import HEARTBEAT_PATH, ServerAuth, connect_server
from tests.chroma_helpers import ChromaProcess
from tests.cli_helpers import run_cli
from tests.conftest import serving

CHROMA_TOKEN = "chroma-s3cret-token"
LLM_KEY = "sk-llm-s3cret-key"
DISCORD = "discord-s3cret-token"
SECRETS = (CHROMA_TOKEN, LLM_KEY, DISCORD)


@dataclass
class RejectingServer:
    """Answers the heartbeat, then rejects every request with a 401 whose body echoes the
    Authorization header it got (the worst a proxy in front of Chroma could do)."""

    url: str = ""
    auth_headers: list[str] = field(default_factory=list)


@pytest.fixture
def rejecting() -> Iterator[RejectingServer]:
    double = RejectingServer()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            got = self.headers.get("Authorization", "")
            double.auth_headers.append(got)
            if self.path == HEARTBEAT_PATH:
                status, body = 200, {"nanosecond heartbeat": 1}
            else:
                status, body = 401, {"error": "Unauthorized", "message": f"rejected {got}"}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as url:
        double.url = url
        yield double


@pytest.mark.timeout(60)
def test_token_is_sent_as_bearer_and_never_in_the_error(rejecting: RejectingServer):
    with pytest.raises(ServerUnavailable) as caught:
        connect_server(rejecting.url, 3.0, ServerAuth(token=CHROMA_TOKEN))
    assert f"Bearer {CHROMA_TOKEN}" in rejecting.auth_headers  # chromadb's token auth is on
    message = str(caught.value)
    assert f"NEWSDESK_CHROMA_URL={rejecting.url}" in message
    assert CHROMA_TOKEN not in message and "\n" not in message
    assert CHROMA_TOKEN not in repr(ServerAuth(token=CHROMA_TOKEN))


@pytest.mark.timeout(90)
def test_wrong_tenant_or_database_is_one_line_naming_the_settings(
    tmp_path_factory: pytest.TempPathFactory,
):
    chroma = ChromaProcess(tmp_path_factory.mktemp("chroma-tenants"))
    chroma.start()
    try:
        for auth, wrong in (
            (ServerAuth(tenant="nosuch"), "nosuch"),
            (ServerAuth(database="nodb"), "nodb"),
        ):
            with pytest.raises(ServerUnavailable) as caught:
                connect_server(chroma.url, 3.0, auth)
            message = str(caught.value)
            assert wrong in message and "NEWSDESK_CHROMA_TENANT" in message, message
        # The defaults exist on a fresh server, and a token is accepted by one without auth.
        client = connect_server(chroma.url, 3.0, ServerAuth(token=CHROMA_TOKEN))
        assert client.heartbeat()
    finally:
        chroma.kill()


@pytest.mark.timeout(120)
def test_secrets_never_appear_in_error_lines_logs_or_json(
    rejecting: RejectingServer,
    tmp_path: Path,
    seed_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
):
    """Every command that loads settings, against a server that rejects the token and then
    with a setting that is invalid, at the most verbose logging: no secret in any output."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSDESK_CHROMA_URL", rejecting.url)
    monkeypatch.setenv("NEWSDESK_CHROMA_TIMEOUT_S", "3")
    monkeypatch.setenv("NEWSDESK_CHROMA_TOKEN", CHROMA_TOKEN)
    monkeypatch.setenv("NEWSDESK_LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("DISCORD_TOKEN", DISCORD)
    commands = [
        ["health", "--json"],
        ["health"],
        ["index", "stats", "--json"],
        ["index", "build", str(seed_dir), "--json"],
        ["search", "harbour council", "--json"],
        ["ask", "Who met in Pyongyang?", "--json"],
    ]
    outputs: list[str] = []
    for args in commands:
        result = run_cli(capsys, "-vv", *args)
        assert result.code == 1, (args, result.err)
        assert "Traceback" not in result.err
        outputs.append(result.out + result.err)
    assert any(f"Bearer {CHROMA_TOKEN}" == h for h in rejecting.auth_headers)

    # A bad setting next to the secrets: the line names the setting, never a secret.
    monkeypatch.setenv("NEWSDESK_CHROMA_TENANT", "")
    for args in (["health", "--json"], ["index", "stats"]):
        result = run_cli(capsys, *args)
        assert result.code == 1 and "NEWSDESK_CHROMA_TENANT" in result.out + result.err
        outputs.append(result.out + result.err)

    for output in outputs:
        for secret in SECRETS:
            assert secret not in output
