"""`newsdesk discord` (run the bot) and `newsdesk feedback` (what people thought of answers)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import ExitCode, fail, get_app, print_json, user_errors

if TYPE_CHECKING:
    from bot.discord.client import NewsdeskBot

logger = logging.getLogger(__name__)

# A bot token is three base64url parts joined by dots (user id, timestamp, HMAC). Checked only
# for shape, to catch a pasted client secret, application id or "Bot ..." prefix early.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{17,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}$")


def command_payload() -> list[dict[str, object]]:
    """The JSON that `--sync` would push (the same for global and guild sync)."""
    import discord

    from bot.discord.commands import make_commands
    from bot.discord.tree import NewsdeskTree

    tree = NewsdeskTree(discord.Client(intents=discord.Intents.none()))
    for command in make_commands():
        tree.add_command(command)
    return [command.to_dict(tree) for command in tree.get_commands()]


def _token(raw: str | None) -> str:
    """The token, or one clear line and exit 1. The value itself is never printed."""
    if raw is None or not raw.strip():
        fail(
            "DISCORD_TOKEN is not set: create a bot in the Discord developer portal "
            "(Applications -> Bot -> Reset Token) and export DISCORD_TOKEN (see README, Discord)"
        )
    token = raw.strip()
    if token.lower().startswith("bot "):
        fail("DISCORD_TOKEN must be the bare token, without the 'Bot ' prefix")
    if not TOKEN_SHAPE.match(token):
        fail(
            "DISCORD_TOKEN does not look like a bot token (three dot-separated parts from the "
            "developer portal's Bot page; not the client secret or application id)"
        )
    return token


async def _serve(bot: NewsdeskBot, token: str) -> None:
    """Run until Discord closes us or SIGINT/SIGTERM arrive; close cleanly either way."""
    import discord

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    err = Console(stderr=True, highlight=False)

    async def announce() -> None:
        await bot.wait_until_ready()
        synced = f"; {bot.synced}" if bot.synced else ""
        err.print(f"connected as {bot.user} in {len(bot.guilds)} server(s){synced}")

    async with bot:  # close() on the way out: gateway, HTTP session, worker threads
        runner = asyncio.create_task(bot.start(token))
        ready = asyncio.create_task(announce())
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if runner in done:
            stopper.cancel()
            try:
                runner.result()
            except discord.LoginFailure:
                fail(
                    "DISCORD_TOKEN was rejected by Discord (401): reset it in the developer portal"
                )
            except discord.PrivilegedIntentsRequired:
                fail(
                    "NEWSDESK_DISCORD_MESSAGE_CONTENT is on, but the Message Content intent is "
                    "not enabled for this bot in the developer portal (Bot -> Privileged "
                    "Gateway Intents)"
                )
            return
        err.print("stopping: closing the connection to Discord")
    runner.cancel()
    try:
        await runner
    except (asyncio.CancelledError, Exception) as exc:  # already closed; nothing to report
        logger.debug("bot task ended: %r", exc)


def discord_(
    ctx: typer.Context,
    sync: bool = typer.Option(
        False, "--sync", help="Push the slash commands to Discord (globally, or to --guild)."
    ),
    guild: int | None = typer.Option(
        None, "--guild", help="With --sync: push to this server only (instant; for testing)."
    ),
    print_commands: bool = typer.Option(
        False, "--print-commands", help="Print the slash-command JSON --sync would push; no token."
    ),
) -> None:
    """Run the Discord bot (DISCORD_TOKEN). Commands are pushed only with --sync."""
    if print_commands:
        sys.stdout.write(json.dumps(command_payload(), indent=2, ensure_ascii=False) + "\n")
        return
    if guild is not None and not sync:
        fail("--guild only makes sense with --sync")
    nd = get_app(ctx)
    token = _token(
        nd.settings.discord_token.get_secret_value() if nd.settings.discord_token else None
    )

    from bot.discord.backend import Backend
    from bot.discord.client import BotConfig, NewsdeskBot, prepare_to_serve

    backend = Backend(nd)
    err = Console(stderr=True, highlight=False)
    err.print("loading the index and the embedding model…")
    with user_errors():
        prepare_to_serve(backend)  # fails before connecting if there is no usable index
    config = BotConfig.from_settings(nd.settings, sync=sync, sync_guild=guild)
    bot = NewsdeskBot(backend, config)
    err.print("connecting to Discord (Ctrl-C to stop; -v for connection logs)")
    asyncio.run(_serve(bot, token))
    raise typer.Exit(int(ExitCode.OK))


def feedback(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    limit: int = typer.Option(
        50, "--limit", min=1, help="👎 answers to list, most disliked first."
    ),
) -> None:
    """Votes on the bot's answers: counts, and the 👎 answers with their questions."""
    from bot.discord.feedback import FeedbackReport, FeedbackStore

    nd = get_app(ctx)
    store = FeedbackStore.beside_index(nd.settings.index_dir)
    report = store.report(limit) if store.path.exists() else FeedbackReport()
    if as_json:
        print_json(report.to_json())
        return
    out = Console(highlight=False)
    out.print(
        f"{report.answers} answers stored, {report.voted} voted on: "
        f"{report.up} 👍, {report.down} 👎  ({store.path})"
    )
    if not report.down_voted:
        return
    table = Table("👎", "👍", "when", "question", "answer", show_lines=True)
    for d in report.down_voted:
        answer = d.answer if len(d.answer) <= 200 else d.answer[:199] + "…"
        table.add_row(str(d.down), str(d.up), d.created_at[:16], d.question, answer)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("discord")(discord_)
    app.command("feedback")(feedback)
