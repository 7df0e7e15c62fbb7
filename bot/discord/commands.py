"""The slash commands: glue only (parse, defer, call the backend off the loop, render, send).

Built per client by :func:`make_commands` rather than at import: each client gets its own
command objects, so cooldown buckets never leak from one client (or test) to another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

from bot.discord.backend import SearchRequest
from bot.discord.render import (
    CHOICE_MAX,
    Reply,
    render_answer,
    render_help,
    render_reindex,
    render_search,
    render_stats,
)
from bot.discord.tree import UserFacingError, safe_send
from bot.discord.views import answer_view, origin_of
from index.errors import IndexError_, UnknownPublisher
from index.models import SearchFilters

if TYPE_CHECKING:
    from bot.discord.client import NewsdeskBot

logger = logging.getLogger(__name__)

QUESTION_MAX = 500
SOURCE_MAX = CHOICE_MAX  # a source is typed, or picked from the choices
T = TypeVar("T")


def _bot(interaction: discord.Interaction) -> NewsdeskBot:
    return cast("NewsdeskBot", interaction.client)


def cooldown(kind: str) -> Callable[[T], T]:
    """Per-user cooldown check (``discord_cooldown_s``); a question asked by mentioning the bot
    shares the ``ask`` one. Refusals go through the tree's error handler like any check."""

    def predicate(interaction: discord.Interaction) -> bool:
        bot = _bot(interaction)
        wait = bot.cooldowns[kind].retry_after(interaction.user.id)
        if wait > 0:
            raise app_commands.CommandOnCooldown(
                app_commands.Cooldown(1, bot.config.cooldown_s), wait
            )
        return True

    return app_commands.check(predicate)


def _parse_since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserFacingError(
            f"`since` must be a date like 2025-06-04, not “{value[:40]}”."
        ) from None


def _source(value: str | None) -> str | None:
    return (value or "").strip()[:SOURCE_MAX] or None


async def publisher_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for ``source``: the index's publishers that match what is typed so far.
    Nothing to offer (no index yet, the server away) is an empty list, not an error."""
    bot = _bot(interaction)
    try:
        names = await bot.io(bot.backend.publishers, current[:SOURCE_MAX])
    except IndexError_ as exc:
        logger.info("no publishers to suggest: %s", exc)
        return []
    return [app_commands.Choice(name=n[:CHOICE_MAX], value=n[:CHOICE_MAX]) for n in names]


def make_commands() -> list[app_commands.Command[Any, Any, Any]]:
    """Fresh command objects for one client."""

    @app_commands.command(name="ask", description="Ask the news archive; every claim is cited.")
    @app_commands.describe(
        question="Your question, e.g. “How many shells has North Korea sent?”",
        since="Only articles published on or after this date (YYYY-MM-DD)",
        source="Only articles from this publisher, e.g. UPI",
    )
    @app_commands.autocomplete(source=publisher_choices)
    @cooldown("ask")
    async def ask(
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, QUESTION_MAX],
        since: str | None = None,
        source: str | None = None,
    ) -> None:
        # Given ones narrow this question; none given, a bot thread's own apply (if asked in one).
        given = SearchFilters(since=_parse_since(since), source=_source(source))
        filters = given if given.narrows else None
        # First, within Discord's 3 seconds: retrieval and answering take longer on a busy box.
        await interaction.response.defer(thinking=True)
        bot = _bot(interaction)
        try:
            # In a thread the bot opened, /ask is the conversation's next turn, as a mention is.
            answer, answer_id, in_thread = await bot.answer_in_channel(
                question, origin_of(interaction), interaction.channel_id, filters=filters
            )
        except UnknownPublisher as exc:  # a source the archive lacks: say which it has
            raise UserFacingError(str(exc)) from exc
        await safe_send(
            interaction,
            render_answer(answer),
            view=answer_view(
                answer_id, has_passages=bool(answer.citations), follow_up=not in_thread
            ),
        )

    @app_commands.command(name="search", description="Ranked passages with dates, no answer.")
    @app_commands.describe(
        query="What to look for",
        k="How many articles (1-10, default 5)",
        since="Only articles published on or after this date (YYYY-MM-DD)",
        source="Only articles from this publisher, e.g. UPI",
    )
    @app_commands.autocomplete(source=publisher_choices)
    @cooldown("search")
    async def search(
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, QUESTION_MAX],
        k: app_commands.Range[int, 1, 10] = 5,
        since: str | None = None,
        source: str | None = None,
    ) -> None:
        request = SearchRequest(query, k, _parse_since(since), _source(source))
        await interaction.response.defer(thinking=True)
        bot = _bot(interaction)
        try:
            passages = await bot.compute(bot.backend.search, request)
        except UnknownPublisher as exc:  # a source the archive lacks: say which it has
            raise UserFacingError(str(exc)) from exc
        await safe_send(interaction, render_search(query, passages))

    @app_commands.command(
        name="stats", description="Articles, chunks, date range, model, last build."
    )
    async def stats(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        bot = _bot(interaction)
        await safe_send(interaction, render_stats(await bot.io(bot.backend.stats)))

    @app_commands.command(name="reindex", description="Index new or changed articles (admins).")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)  # checked again, server side
    async def reindex(interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        lock = bot.reindex_lock
        if lock.locked():
            busy = "A reindex is already running; its summary will be posted when it ends."
            await safe_send(interaction, Reply(busy), ephemeral=True)
            return
        # Acquired before the first await below, so two quick calls cannot both start one.
        async with lock:
            await interaction.response.defer(thinking=True)
            try:
                summary = await bot.rebuild()
            except IndexError_ as exc:  # locked by a CLI build, model mismatch: say which
                raise UserFacingError(f"Reindex failed: {exc}") from exc
            await safe_send(interaction, render_reindex(summary))

    @app_commands.command(name="help", description="What this bot does and how to ask.")
    async def help_(interaction: discord.Interaction) -> None:
        config = _bot(interaction).config
        reply = render_help(config.cooldown_s, config.message_content)
        await safe_send(interaction, reply, ephemeral=True)

    return [ask, search, stats, reindex, help_]


__all__ = ["make_commands"]
