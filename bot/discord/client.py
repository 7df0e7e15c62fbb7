"""The Discord client: built with injected services, no globals, no sync on start.

Work placement: answers and searches (embedding, Chroma, BM25, the answerer, the LLM) run in
a pool of ``discord_max_concurrent_answers`` threads behind a semaphore, so extra requests
wait their turn and none is dropped; a reindex runs in its own single thread (answers keep
coming while it builds); SQLite calls go to the default executor. The event loop only parses,
renders and sends.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import re
import secrets
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import discord

from bot.answer.models import Answer
from bot.conversation import Conversation
from bot.discord.backend import Backend
from bot.discord.commands import make_commands
from bot.discord.conversations import ConversationRegistry, ThreadConversation
from bot.discord.cooldown import UserCooldown
from bot.discord.feedback import Origin
from bot.discord.render import ReindexSummary, Reply, render_answer
from bot.discord.tree import NewsdeskTree, to_discord_kwargs
from bot.discord.views import DYNAMIC_ITEMS, answer_view
from config.settings import Settings

if TYPE_CHECKING:
    from index.models import SearchFilters

logger = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class BotConfig:
    """The bot's knobs (from Settings), plus the deliberate, opt-in command sync."""

    cooldown_s: float = 5.0
    max_concurrent_answers: int = 2
    message_content: bool = False
    conversations_max: int = 500
    conversation_ttl_s: float = 86_400.0
    sync: bool = False
    sync_guild: int | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sync: bool = False, sync_guild: int | None = None
    ) -> BotConfig:
        return cls(
            cooldown_s=settings.discord_cooldown_s,
            max_concurrent_answers=settings.discord_max_concurrent_answers,
            message_content=settings.discord_message_content,
            conversations_max=settings.discord_conversations_max,
            conversation_ttl_s=settings.discord_conversation_ttl_s,
            sync=sync,
            sync_guild=sync_guild,
        )


def make_intents(config: BotConfig) -> discord.Intents:
    """Guilds (threads, channels) and guild messages (mentions); message content only if the
    admin opted in: it is privileged, and without it the bot still sees mentions of itself."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = config.message_content
    return intents


def prepare_to_serve(backend: Backend) -> None:
    """Load the index and the model now, then take everything loaded so far out of the
    garbage collector's full passes.

    A long-lived process holds ~600k objects from torch, Chroma and the model; a full
    collection walks them all while holding the GIL, and the event loop stalls with it
    (measured with 50 interactions in flight: one 556 ms pass; after ``gc.freeze()`` no pass
    over 20 ms and a worst loop lag of 34-68 ms on a loaded 2-core box). Process-wide, hence
    called by the entry point (and the tests and bench that stand in for it), not on import.
    """
    backend.warm_up()
    gc.collect()
    gc.freeze()
    # The answer threads run pure-Python code too; asking them for the GIL after 1 ms instead
    # of 5 gets the loop its turn sooner (worst lag 65 vs 78 ms, mean of 4 loaded runs).
    sys.setswitchinterval(SWITCH_INTERVAL_S)


class NewsdeskBot(discord.AutoShardedClient):
    """newsdesk on Discord: slash commands, persistent buttons, thread conversations.

    Auto-sharded: it opens as many gateway shards as Discord recommends (one below ~2,500
    servers), all in this process and one event loop; the state they share lives in SQLite.
    """

    def __init__(self, backend: Backend, config: BotConfig, **options: Any) -> None:
        super().__init__(
            intents=make_intents(config),
            # No message ever pings: article text can hold @everyone or <@id>.
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.backend = backend
        self.config = config
        self.tree = NewsdeskTree(self)
        for command in make_commands():
            self.tree.add_command(command)
        self.conversations = ConversationRegistry(
            config.conversations_max, config.conversation_ttl_s
        )
        self.reindex_lock = asyncio.Lock()
        # Per command; a question asked by mention counts as an /ask.
        self.cooldowns = {kind: UserCooldown(config.cooldown_s) for kind in ("ask", "search")}
        self._slots = asyncio.Semaphore(config.max_concurrent_answers)
        self._answer_pool = ThreadPoolExecutor(
            config.max_concurrent_answers, thread_name_prefix="newsdesk-answer"
        )
        self._build_pool = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-reindex")
        self.synced: str | None = None  # what --sync did, for the start-up line

    # -- running blocking work off the loop -------------------------------------------------
    async def compute(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Answer-class work (retrieval, answering): bounded, queued, never on the loop."""
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._answer_pool, functools.partial(fn, *args, **kwargs)
            )

    async def io(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Short blocking I/O (SQLite, the manifest)."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def rebuild(self) -> ReindexSummary:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._build_pool, self.backend.reindex)

    # -- lifecycle --------------------------------------------------------------------------
    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.config.sync:
            await self.sync_commands()

    async def sync_commands(self) -> int:
        """Push the slash commands: to one guild (instant, for testing) or globally."""
        guild = discord.Object(self.config.sync_guild) if self.config.sync_guild else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        where = f"to guild {guild.id}" if guild else "globally"
        logger.info("synced %d commands %s", len(synced), where)
        self.synced = f"{len(synced)} commands synced {where}"
        return len(synced)

    async def on_ready(self) -> None:
        logger.info(
            "logged in as %s (%s); %d guild(s)",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
        )

    async def close(self) -> None:
        await super().close()
        self._answer_pool.shutdown(wait=False, cancel_futures=True)
        self._build_pool.shutdown(wait=False, cancel_futures=True)

    # -- answering --------------------------------------------------------------------------
    async def answer_question(
        self,
        question: str,
        origin: Origin,
        thread: ThreadConversation | None = None,
        *,
        filters: SearchFilters | None = None,
    ) -> tuple[Answer, str]:
        """Answer (in ``thread``'s conversation if given), store it; returns (answer, id).
        ``filters`` (dates, publisher) narrow this question's search; in a thread, the ones
        the thread was opened with apply unless others are given.

        The caller holds ``thread.lock``, so the conversation's turns do not interleave.
        """
        conversation: Conversation | None = thread.conversation if thread else None
        if filters is None and thread is not None:
            filters = thread.filters
        retrieval_query = conversation.retrieval_query(question) if conversation else None
        told = conversation.told(question) if conversation else ()
        about = conversation.referenced_article(question) if conversation else None
        answer = await self.compute(
            self.backend.ask,
            question,
            retrieval_query=retrieval_query,
            told=told,
            about=about,
            filters=filters,
        )
        if conversation is not None:
            unknown = [
                f"[{n}] has not been cited in this thread."
                for n in conversation.unknown_references(question)
            ]
            answer = conversation.record(question, answer)
            if unknown:
                answer = replace(answer, notices=[*unknown, *answer.notices])
        answer_id = await self.io(
            self.backend.feedback.save_answer, answer, origin, filters=filters
        )
        return answer, answer_id

    async def open_thread(
        self, thread_id: int, answer_id: str, answer: Answer, filters: SearchFilters | None = None
    ) -> None:
        """Remember a thread opened on an answer (and the filters it was asked with): in
        SQLite, and as a live conversation."""
        await self.io(self.backend.feedback.link_thread, thread_id, answer_id)
        state = ThreadConversation(filters=filters)
        state.conversation.record(answer.question, answer)
        self.conversations.put(thread_id, state)

    async def answer_in_channel(
        self,
        question: str,
        origin: Origin,
        channel_id: int | None,
        *,
        filters: SearchFilters | None = None,
    ) -> tuple[Answer, str, bool]:
        """Answer where asked: in a thread the bot opened, as the conversation's next turn (its
        filters apply unless others are given); elsewhere, on its own. Returns (answer, id,
        whether it was a thread's turn)."""
        thread = await self._thread_conversation(channel_id) if channel_id is not None else None
        if thread is None or channel_id is None:
            answer, answer_id = await self.answer_question(question, origin, filters=filters)
            return answer, answer_id, False
        answer, answer_id = await self._answer_turn(question, origin, channel_id, thread, filters)
        return answer, answer_id, True

    async def _answer_turn(
        self,
        question: str,
        origin: Origin,
        thread_id: int,
        thread: ThreadConversation,
        filters: SearchFilters | None = None,
    ) -> tuple[Answer, str]:
        """The next turn of a bot thread's conversation, stored as one of its turns."""
        async with thread.lock:
            answer, answer_id = await self.answer_question(
                question, origin, thread, filters=filters
            )
            await self.io(self.backend.feedback.link_thread, thread_id, answer_id)
        return answer, answer_id

    async def _thread_conversation(self, thread_id: int) -> ThreadConversation | None:
        """The live conversation of a bot thread, replayed from SQLite if it was evicted."""
        state = self.conversations.get(thread_id)
        if state is not None:
            return state
        history = await self.io(self.backend.feedback.thread_history, thread_id)
        if not history.turns:
            return None
        state = self.conversations.get(thread_id) or ThreadConversation(filters=history.filters)
        if not state.conversation.turns:
            for answer in history.turns:
                state.conversation.record(answer.question, answer)
        return self.conversations.put(thread_id, state)

    # -- messages: mentions, and follow-ups in bot threads -----------------------------------
    def _strip_mention(self, content: str) -> str:
        assert self.user is not None
        return re.sub(rf"<@!?{self.user.id}>", " ", content).strip()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None:
            return
        mentioned = self.user in message.mentions
        if not mentioned and not self.config.message_content:
            return  # without the privileged intent the content is empty anyway
        try:
            thread = await self._thread_conversation(message.channel.id)
            if thread is None and not mentioned:
                return
            question = self._strip_mention(message.content)
            if not question:
                await message.reply("Ask me a question about the archive (or use /help).")
                return
            wait = self.cooldowns["ask"].retry_after(message.author.id)
            if wait > 0:
                await message.reply(f"Slow down a little: try again in {wait:.0f} s.")
                return
            await self._answer_message(message, question, thread)
        except Exception as error:
            await self._report_message_error(message, error)

    async def _answer_message(
        self, message: discord.Message, question: str, thread: ThreadConversation | None
    ) -> None:
        origin = Origin(
            message.guild.id if message.guild else None, message.channel.id, message.author.id
        )
        async with message.channel.typing():
            if thread is not None:  # looked up already, to know the message is for the bot
                answer, answer_id = await self._answer_turn(
                    question, origin, message.channel.id, thread
                )
            else:
                answer, answer_id = await self.answer_question(question, origin)
        replies = render_answer(answer)
        # Discord has no threads inside threads: an answer in one gets no Follow up button.
        view = answer_view(answer_id, has_passages=bool(answer.citations), follow_up=thread is None)
        await self._send_to_channel(message, replies, view)

    async def _send_to_channel(
        self, message: discord.Message, replies: list[Reply], view: discord.ui.View | None
    ) -> None:
        for i, reply in enumerate(replies):
            kwargs: dict[str, Any] = to_discord_kwargs(reply)
            if view is not None and i == len(replies) - 1:
                kwargs["view"] = view
            if i == 0:
                await message.reply(**kwargs)
            else:
                await message.channel.send(**kwargs)

    async def _report_message_error(self, message: discord.Message, error: Exception) -> None:
        error_id = secrets.token_hex(4)
        logger.error(
            "message %s in channel %s failed (error id %s)",
            message.id,
            message.channel.id,
            error_id,
            exc_info=error,
        )
        try:
            await message.reply(
                f"Sorry, something went wrong (error id `{error_id}`). "
                "It has been logged; please try again."
            )
        except discord.HTTPException as exc:
            logger.warning("could not report error %s: %s", error_id, exc)


__all__ = ["BotConfig", "NewsdeskBot", "make_intents"]
