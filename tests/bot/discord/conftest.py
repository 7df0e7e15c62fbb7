"""Fixtures for the Discord tests: the local Discord double, a bot running against it, and a
real index of the sample articles (MiniLM, built once per module)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import shutil
import sys
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
import yarl

from bot.app import App
from bot.discord.backend import Backend
from bot.discord.client import BotConfig, NewsdeskBot, prepare_to_serve
from bot.discord.feedback import FeedbackStore
from config.settings import load_settings
from tests.bot.discord.double import BOT_TOKEN, DiscordDouble
from tests.conftest import SEED_DIR

T = TypeVar("T")

# Tests ask many questions as one user: no cooldown unless a test wants one.
QUIET = BotConfig(cooldown_s=0, max_concurrent_answers=2)


def run(coro: Coroutine[Any, Any, T], timeout: float = 90.0) -> T:
    """Run a scenario on a fresh loop; it stops by itself or fails after ``timeout``."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def point_discord_at(monkeypatch: pytest.MonkeyPatch) -> DiscordDouble:
    """A new double on 127.0.0.1 (port reserved now), with discord.py's REST base and
    gateway pointed at it until the test ends (monkeypatch restores them)."""
    d = DiscordDouble.bind()
    monkeypatch.setattr(discord.http.Route, "BASE", d.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(d.gateway_url)
    )
    return d


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Iterator[DiscordDouble]:
    d = point_discord_at(monkeypatch)
    try:
        yield d
    finally:
        d.sock.close()


@contextlib.asynccontextmanager
async def running_bot(
    double: DiscordDouble, backend: Backend, config: BotConfig = QUIET
) -> AsyncIterator[NewsdeskBot]:
    """The real client, logged in to the double and READY; closed (and awaited) on exit."""
    bot = NewsdeskBot(backend, config, guild_ready_timeout=0.01)
    task = asyncio.create_task(bot.start(BOT_TOKEN))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
            await asyncio.wait_for(task, 10)


def build_app(root: Path, articles: Path, embedder: Any) -> App:
    settings = load_settings(index_dir=root / "index", articles_dir=articles)
    app = App(settings, embedder_override=embedder)
    report = app.builder.build([articles])
    assert not report.failed
    return app


@pytest.fixture(scope="module")
def seed_app(tmp_path_factory: pytest.TempPathFactory, minilm: Any) -> App:
    """The five sample articles plus one made up with mention syntax, indexed with MiniLM."""
    root = tmp_path_factory.mktemp("discord-seed")
    articles = root / "articles"
    shutil.copytree(SEED_DIR, articles)
    (articles / "zz_mentions.md").write_text(
        "---\ntitle: Harbour festival draws record crowd\ndate: 2024-05-01\n"
        "source: Harbour Gazette\nurl: https://example.org/harbour-festival\n---\n\n"
        "The organisers of the harbour festival told @everyone and <@123456789> that 48,000 "
        "visitors came on Saturday, a record for the *festival*.\n\n"
        "The lantern parade on the quay closed the evening, the organisers said.\n",
        encoding="utf-8",
    )
    return build_app(root, articles, minilm)


@pytest.fixture
def backend(seed_app: App, tmp_path: Path) -> Backend:
    """The shared index, with a fresh feedback database per test."""
    return Backend(seed_app, FeedbackStore(tmp_path / "feedback.sqlite3"))


@pytest.fixture
def served(backend: Backend) -> Iterator[Backend]:
    """The process tuned as `newsdesk discord` tunes it before connecting, restored after."""
    interval = sys.getswitchinterval()
    prepare_to_serve(backend)
    yield backend
    gc.unfreeze()
    sys.setswitchinterval(interval)
