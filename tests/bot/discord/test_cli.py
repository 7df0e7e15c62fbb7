"""`newsdesk discord` and `newsdesk feedback`: tokens, the command payload, sync, clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
import typer

from bot.answer.models import Answer, Citation
from bot.app import App
from bot.cli.discord_cmd import _serve
from bot.discord.backend import Backend
from bot.discord.client import BotConfig, NewsdeskBot
from bot.discord.feedback import DOWN, UP, FeedbackStore, Origin
from config.settings import load_settings
from tests.bot.discord.conftest import QUIET, run, running_bot
from tests.bot.discord.double import BOT_TOKEN
from tests.bot.discord.test_render import passage
from tests.cli_helpers import run_cli


@pytest.fixture
def light_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    """Settings only (no index, no model): enough for the start-up checks."""
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("NEWSDESK_DISCORD_TOKEN", raising=False)
    return App(load_settings(index_dir=tmp_path / "index", articles_dir=tmp_path / "articles"))


def test_print_commands_needs_no_token_and_describes_everything(capsys, light_app):
    result = run_cli(capsys, "discord", "--print-commands")
    assert result.code == 0, result.err
    commands = result.json()
    assert [c["name"] for c in commands] == ["ask", "search", "stats", "reindex", "help"]
    for command in commands:
        assert command["description"]
        assert all(o["description"] for o in command.get("options", []))
    reindex = next(c for c in commands if c["name"] == "reindex")
    assert int(reindex["default_member_permissions"]) == 1 << 5  # Manage Server
    assert reindex["dm_permission"] is False


def test_missing_token_is_one_clear_line(capsys, light_app):
    result = run_cli(capsys, "discord", app=light_app)
    assert result.code == 1
    assert "DISCORD_TOKEN is not set" in result.err and len(result.err.strip().splitlines()) <= 3
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    "token",
    ["my-client-secret-SEKRIT0123456789", "Bot " + BOT_TOKEN, "123456789012345678", "a.b.c"],
)
def test_malformed_token_is_refused_without_echoing_it(capsys, tmp_path, monkeypatch, token):
    monkeypatch.setenv("DISCORD_TOKEN", token)
    app = App(load_settings(index_dir=tmp_path / "index", articles_dir=tmp_path / "a"))
    result = run_cli(capsys, "discord", app=app)
    assert result.code == 1 and "DISCORD_TOKEN" in result.err
    secret = token.removeprefix("Bot ")
    assert secret not in result.err and secret not in result.out


def test_guild_without_sync_is_a_usage_error(capsys, light_app):
    result = run_cli(capsys, "discord", "--guild", "123", app=light_app)
    assert result.code == 1 and "--sync" in result.err


def test_no_sync_on_start_and_deliberate_guild_sync(double, light_app, tmp_path):
    backend = Backend(light_app, FeedbackStore(tmp_path / "f.sqlite3"))

    async def scenario() -> None:
        async with double.serving():
            async with running_bot(double, backend):
                pass
            assert not double.sent("PUT")
            config = BotConfig(cooldown_s=0, sync=True, sync_guild=123)
            async with running_bot(double, backend, config):
                (put,) = double.sent("PUT")
                assert put.path == f"/api/v10/applications/{double.app_id}/guilds/123/commands"
                assert {c["name"] for c in put.body} == {
                    "ask",
                    "search",
                    "stats",
                    "reindex",
                    "help",
                }

    run(scenario())


def test_sigterm_closes_cleanly_and_a_rejected_token_exits_1(double, light_app, tmp_path, capsys):
    backend = Backend(light_app, FeedbackStore(tmp_path / "f.sqlite3"))

    async def scenario() -> None:
        async with double.serving():
            bot = NewsdeskBot(backend, QUIET, guild_ready_timeout=0.01)
            serving = asyncio.create_task(_serve(bot, BOT_TOKEN))
            await asyncio.wait_for(bot.wait_until_ready(), 15)
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(serving, 15)
            assert bot.is_closed()
            err = capsys.readouterr().err
            assert "connected as newsdesk" in err and "stopping" in err
            assert BOT_TOKEN not in err

            double.reject_token = True
            bot = NewsdeskBot(backend, QUIET)
            with pytest.raises(typer.Exit) as exc:
                await asyncio.wait_for(_serve(bot, BOT_TOKEN), 15)
            assert exc.value.exit_code == 1 and bot.is_closed()

    before = signal.getsignal(signal.SIGTERM)
    run(scenario())
    assert signal.getsignal(signal.SIGTERM) == before  # the handler went with the loop


def test_feedback_command_lists_counts_and_disliked_answers(capsys, light_app):
    store = FeedbackStore.beside_index(light_app.settings.index_dir)
    good = Answer("Who?", "Kim did [1].", citations=[Citation(1, passage(1))])
    bad = Answer("How many?", "Nine [1].", citations=[Citation(1, passage(2))])
    good_id = store.save_answer(good, Origin(1, 2, 3))
    bad_id = store.save_answer(bad, Origin(1, 2, 3))
    store.vote(good_id, UP, Origin(1, 2, 10))
    store.vote(bad_id, UP, Origin(1, 2, 10))
    store.vote(bad_id, DOWN, Origin(1, 2, 11))
    store.vote(bad_id, DOWN, Origin(1, 2, 10))  # 10 changes their mind

    data = run_cli(capsys, "feedback", "--json", app=light_app).json()
    assert (data["answers"], data["voted"], data["up"], data["down"]) == (2, 2, 1, 2)
    (disliked,) = data["down_voted"]
    assert disliked["question"] == "How many?" and disliked["down"] == 2 and disliked["up"] == 0

    text = run_cli(capsys, "feedback", app=light_app).out
    assert "2 answers stored, 2 voted on: 1 👍, 2 👎" in text and "How many?" in text
