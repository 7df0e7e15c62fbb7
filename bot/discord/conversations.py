"""Thread conversations in memory, bounded in number (LRU) and age (idle expiry).

A bot in many servers opens threads without end; keeping every ``Conversation`` would grow
memory without bound. An evicted conversation is not lost: its turns are in SQLite
(``FeedbackStore.thread_history``) and are replayed on the thread's next message.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.conversation import Conversation
from index.models import SearchFilters


@dataclass
class ThreadConversation:
    """One thread's conversation; the lock keeps two quick messages from interleaving turns.
    ``filters``: what the answer the thread was opened on was narrowed to (/ask since, source);
    every follow-up keeps it."""

    conversation: Conversation = field(default_factory=Conversation)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    filters: SearchFilters | None = None


class ConversationRegistry:
    """``thread id -> ThreadConversation``, least recently used evicted past ``max_items``,
    and an entry idle for ``ttl_s`` forgotten."""

    def __init__(
        self, max_items: int, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_items < 1 or ttl_s <= 0:
            raise ValueError("max_items must be >= 1 and ttl_s > 0")
        self.max_items = max_items
        self.ttl_s = ttl_s
        self._clock = clock
        self._items: OrderedDict[int, tuple[float, ThreadConversation]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def get(self, key: int) -> ThreadConversation | None:
        """The live conversation for ``key`` (refreshing its age), or None."""
        self._expire()
        item = self._items.get(key)
        if item is None:
            return None
        self._items[key] = (self._clock(), item[1])
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: int, value: ThreadConversation) -> ThreadConversation:
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        self._expire()
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
        return value

    def _expire(self) -> None:
        cutoff = self._clock() - self.ttl_s
        # Oldest first (move_to_end on every touch), so stop at the first live one.
        while self._items:
            key, (touched, _) = next(iter(self._items.items()))
            if touched > cutoff:
                break
            del self._items[key]


__all__ = ["ConversationRegistry", "ThreadConversation"]
