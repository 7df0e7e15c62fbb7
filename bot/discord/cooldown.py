"""Per-user cooldown: one /ask (or question by mention) and one /search per ``per_s`` seconds.

Ours rather than discord.py's ``dynamic_cooldown`` so that a question asked by mentioning the
bot shares the /ask budget; the slash commands' check raises ``CommandOnCooldown`` all the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class UserCooldown:
    """One question per ``per_s`` seconds per user; entries older than that are dropped, so
    the table holds only the users who asked in the last ``per_s`` seconds."""

    def __init__(self, per_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_s = per_s
        self._clock = clock
        self._last: dict[int, float] = {}

    def __len__(self) -> int:
        return len(self._last)

    def retry_after(self, user_id: int) -> float:
        """0 and the use is recorded; else the seconds left (and nothing is recorded)."""
        if self.per_s <= 0:
            return 0.0
        now = self._clock()
        self._last = {u: t for u, t in self._last.items() if now - t < self.per_s}
        last = self._last.get(user_id)
        if last is not None:
            return self.per_s - (now - last)
        self._last[user_id] = now
        return 0.0


__all__ = ["UserCooldown"]
