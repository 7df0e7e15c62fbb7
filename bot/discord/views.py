"""The buttons under an answer: Passages, 👍 / 👎, Follow up.

Persistent: each button's custom_id encodes the answer id (``nd:p:<id>``, ``nd:v:<id>:up``,
``nd:f:<id>``) and is registered as a ``DynamicItem``, so a press after a restart is still
routed; what the button needs (question, answer, passages) is read back from SQLite.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.discord.feedback import DOWN, UP, Origin, StoredAnswer
from bot.discord.render import Reply, clip, describe_filters, render_passages
from bot.discord.tree import report_error, safe_send

if TYPE_CHECKING:
    from bot.discord.client import NewsdeskBot

logger = logging.getLogger(__name__)

# Discord's error code when a message already has a thread.
THREAD_ALREADY_EXISTS = 160004
THREAD_NAME_MAX = 100


def origin_of(interaction: discord.Interaction) -> Origin:
    return Origin(interaction.guild_id, interaction.channel_id, interaction.user.id)


class _Reported:
    """Routes a button's exception to the one error handler (discord.py would only log it)."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as error:
            await report_error(interaction, error, what=f"button {type(self).__name__}")

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


def _bot(interaction: discord.Interaction) -> NewsdeskBot:
    return cast("NewsdeskBot", interaction.client)


async def _stored(interaction: discord.Interaction, answer_id: str) -> StoredAnswer | None:
    bot = _bot(interaction)
    stored = await bot.io(bot.backend.feedback.get_answer, answer_id)
    if stored is None:
        await safe_send(interaction, Reply("That answer is no longer stored."), ephemeral=True)
    return stored


class PassagesButton(
    _Reported, discord.ui.DynamicItem[discord.ui.Button], template=r"nd:p:(?P<id>[0-9a-f]{6,32})"
):
    def __init__(self, answer_id: str) -> None:
        self.answer_id = answer_id
        super().__init__(
            discord.ui.Button(
                label="Passages", style=discord.ButtonStyle.secondary, custom_id=f"nd:p:{answer_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PassagesButton:
        return cls(match["id"])

    async def run(self, interaction: discord.Interaction) -> None:
        stored = await _stored(interaction, self.answer_id)
        if stored is not None:
            await safe_send(
                interaction,
                render_passages(stored.answer.citations, stored.answer.text),
                ephemeral=True,
            )


class VoteButton(
    _Reported,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"nd:v:(?P<id>[0-9a-f]{6,32}):(?P<vote>up|down)",
):
    def __init__(self, answer_id: str, up: bool) -> None:
        self.answer_id = answer_id
        self.up = up
        super().__init__(
            discord.ui.Button(
                emoji="👍" if up else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"nd:v:{answer_id}:{'up' if up else 'down'}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["id"], match["vote"] == "up")

    async def run(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        feedback = bot.backend.feedback
        if await _stored(interaction, self.answer_id) is None:
            return
        vote = UP if self.up else DOWN
        tally = await bot.io(feedback.vote, self.answer_id, vote, origin_of(interaction))
        thanks = "Thanks, glad it helped." if self.up else "Thanks, the archive's owner will look."
        await safe_send(
            interaction,
            Reply(
                f"{thanks} Your vote: {'👍' if self.up else '👎'} (now {tally.up} 👍 · {tally.down} 👎)."
            ),
            ephemeral=True,
        )


class FollowUpButton(
    _Reported, discord.ui.DynamicItem[discord.ui.Button], template=r"nd:f:(?P<id>[0-9a-f]{6,32})"
):
    def __init__(self, answer_id: str) -> None:
        self.answer_id = answer_id
        super().__init__(
            discord.ui.Button(
                label="Follow up", style=discord.ButtonStyle.primary, custom_id=f"nd:f:{answer_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FollowUpButton:
        return cls(match["id"])

    async def run(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        message = interaction.message
        if message is None or interaction.guild_id is None:
            await safe_send(interaction, Reply("Threads need a server channel."), ephemeral=True)
            return
        stored = await _stored(interaction, self.answer_id)
        if stored is None:
            return
        try:
            thread = await message.create_thread(
                name=clip(stored.answer.question, THREAD_NAME_MAX) or "Follow-up",
                auto_archive_duration=1440,
            )
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_EXISTS:
                raise
            # A thread started from a message shares the message's id.
            await safe_send(
                interaction,
                Reply(f"This answer already has a thread: <#{message.id}>."),
                ephemeral=True,
            )
            return
        await bot.open_thread(thread.id, stored.id, stored.answer, stored.filters)
        narrowed = describe_filters(stored.filters)
        await thread.send(
            "Ask follow-ups here by mentioning me"
            + (" (or just write, I read this thread)" if bot.config.message_content else "")
            + ". [n] keeps pointing at the same source, e.g. “tell me more about [1]”."
            + (f" Like the first question, they search only {narrowed}." if narrowed else "")
        )
        await safe_send(interaction, Reply(f"Thread opened: {thread.mention}"), ephemeral=True)


def answer_view(answer_id: str, *, has_passages: bool, follow_up: bool = True) -> discord.ui.View:
    """The persistent view under an answer (no timeout: the buttons never expire)."""
    view = discord.ui.View(timeout=None)
    if has_passages:
        view.add_item(PassagesButton(answer_id))
    view.add_item(VoteButton(answer_id, up=True))
    view.add_item(VoteButton(answer_id, up=False))
    if follow_up:
        view.add_item(FollowUpButton(answer_id))
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    PassagesButton,
    VoteButton,
    FollowUpButton,
)

__all__ = [
    "DYNAMIC_ITEMS",
    "FollowUpButton",
    "PassagesButton",
    "VoteButton",
    "answer_view",
    "origin_of",
]
