"""The command tree with newsdesk's one error handler, and the one way replies are sent.

Every app command error ends in :meth:`NewsdeskTree.on_error` (button errors are routed to the
same :func:`report_error`): expected ones (cooldown, permissions, bad input) get a plain
ephemeral sentence; anything else gets a short error id, and the log gets the traceback under
the same id, so a user's report can be matched to it. Nothing escapes to stop the bot.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands

from bot.discord.render import Reply

logger = logging.getLogger(__name__)


class UserFacingError(app_commands.AppCommandError):
    """An error whose message is meant for the user as is (bad input, nothing to do)."""


def to_discord_kwargs(reply: Reply) -> dict[str, Any]:
    return {
        "content": reply.content or None,
        "embeds": [discord.Embed.from_dict(e.to_dict()) for e in reply.embeds],
    }


async def safe_send(
    interaction: discord.Interaction,
    replies: Reply | Sequence[Reply],
    *,
    ephemeral: bool = False,
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """Send ``replies`` in order, the view under the last one; returns the last message sent.

    The first goes out as the interaction response unless one was made (deferred), then
    follow-ups; past the token's 15 minutes, to the channel (ephemeral ones are dropped).
    """
    items = [replies] if isinstance(replies, Reply) else list(replies)
    last: discord.Message | None = None
    interaction.extras["sent"] = True
    for i, reply in enumerate(items):
        kwargs = to_discord_kwargs(reply)
        if i == len(items) - 1 and view is not None:
            kwargs["view"] = view
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
            if view is not None and i == len(items) - 1:
                last = await interaction.original_response()
        elif not interaction.is_expired():
            last = await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
        elif not ephemeral and isinstance(interaction.channel, discord.abc.Messageable):
            last = await interaction.channel.send(**kwargs)
        else:
            logger.warning("interaction %s expired; an ephemeral reply was dropped", interaction.id)
    return last


def explain(error: BaseException) -> str | None:
    """The sentence for an expected error, or None for a bug (which gets an error id)."""
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.MissingPermissions):
        perms = ", ".join(
            p.replace("_", " ").replace("guild", "server") for p in error.missing_permissions
        )
        return f"You need the {perms.title()} permission for this command."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


async def report_error(
    interaction: discord.Interaction, error: BaseException, *, what: str = "interaction"
) -> None:
    """Tell the user (ephemeral) and log; never raises."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    message = explain(original)
    if message is None:
        error_id = secrets.token_hex(4)
        logger.error(
            "%s failed (error id %s, user %s, guild %s)",
            what,
            error_id,
            interaction.user.id if interaction.user else None,
            interaction.guild_id,
            exc_info=original,
        )
        message = (
            f"Sorry, something went wrong (error id `{error_id}`). "
            "It has been logged; please try again."
        )
    else:
        logger.info("%s refused: %s", what, message)
    try:
        await _drop_public_placeholder(interaction)
        await safe_send(interaction, Reply(message), ephemeral=True)
    except discord.HTTPException as exc:
        logger.warning("could not tell the user about an error: %s", exc)


async def _drop_public_placeholder(interaction: discord.Interaction) -> None:
    """After a public defer, the first follow-up would replace the channel's "thinking…"
    message and stay public; delete the placeholder first so the error goes only to the user.
    Not once something was sent: that would delete part of an answer."""
    deferred = interaction.response.type == discord.InteractionResponseType.deferred_channel_message
    if not deferred or interaction.extras.get("sent") or interaction.is_expired():
        return
    try:
        await interaction.delete_original_response()
    except discord.HTTPException as exc:
        logger.debug("could not delete the deferred response: %s", exc)


class NewsdeskTree(app_commands.CommandTree):
    """CommandTree whose on_error answers the user and logs with an error id."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        name = interaction.command.qualified_name if interaction.command else "command"
        await report_error(interaction, error, what=f"/{name}")


__all__ = ["NewsdeskTree", "UserFacingError", "explain", "report_error", "safe_send"]
