"""A local Discord for tests and the load benchmark: REST routes plus a gateway websocket.

The real discord.py talks to it (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``
point here); it records every request (method, path, query, JSON body, time) and lets a test
inject gateway events: slash commands and button presses (INTERACTION_CREATE) and messages
(MESSAGE_CREATE). Only what the bot uses is served; anything else is recorded and gets a 404,
so an unexpected call shows up in the recording instead of passing silently.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

# Permission bits (Discord): administrator-free, with and without Manage Server.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 38)  # view, send, history, threads
MANAGE_GUILD = 1 << 5
DISCORD_EPOCH_MS = 1_420_070_400_000
BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.abcdefghijklmnopqrstuvwxyz0123456789ABCD"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    created: dict[str, Any] | None = None  # the message the double made for this request

    @property
    def payload(self) -> dict[str, Any]:
        """The message part: a callback nests it under "data", a follow-up is the message."""
        body = self.body if isinstance(self.body, dict) else {}
        return body.get("data") or {} if "/callback" in self.path else body

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload.get("embeds") or []

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & 64)

    @property
    def is_deferral(self) -> bool:
        return "/callback" in self.path and (self.body or {}).get("type") == 5

    def text(self) -> str:
        """Content plus every embed's visible text: what a person would read."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title", ""), e.get("description", ""), e.get("url", "")]
            parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields", [])]
            parts.append((e.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def custom_ids(self) -> list[str]:
        rows = self.payload.get("components") or []
        return [
            c["custom_id"] for row in rows for c in row.get("components", []) if "custom_id" in c
        ]


@dataclass
class Interaction:
    """An interaction the double dispatched: its payload and what the bot sent back for it."""

    payload: dict[str, Any]
    double: DiscordDouble

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    def responses(self) -> list[Recorded]:
        """Callback and follow-ups (in order) for this interaction."""
        return [r for r in self.double.requests if self.token in r.path and r.method == "POST"]

    async def wait(self, count: int = 1, timeout: float = 30.0) -> list[Recorded]:
        """Wait until the bot made ``count`` responses (deferral counts as one)."""
        await self.double.wait_until(lambda: len(self.responses()) >= count, timeout)
        return self.responses()

    async def followups(self, count: int = 1, timeout: float = 30.0) -> list[Recorded]:
        def done() -> list[Recorded]:
            return [r for r in self.responses() if r.path.startswith("/api/v10/webhooks/")]

        await self.double.wait_until(lambda: len(done()) >= count, timeout)
        return done()


@dataclass
class DiscordDouble:
    sock: socket.socket
    app_id: int = 900_000_000_000_000_001
    guild_id: int = 900_000_000_000_000_002
    channel_id: int = 900_000_000_000_000_003
    requests: list[Recorded] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    identified: int = 0
    _ids: itertools.count = field(default_factory=itertools.count)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _ws: web.WebSocketResponse | None = None
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    _token_channel: dict[str, int] = field(default_factory=dict)
    _originals: dict[str, dict[str, Any]] = field(default_factory=dict)
    _created: dict[str, Any] | None = None
    last_identify: dict[str, Any] | None = None
    reject_token: bool = False  # answer GET /users/@me with 401, as Discord does a bad token

    # -- addresses ----------------------------------------------------------------------
    @classmethod
    def bind(cls) -> DiscordDouble:
        """Reserve the port now, so discord.py can be pointed at it before the loop runs."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        return cls(sock)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "username": "newsdesk",
            "discriminator": "0",
            "global_name": "newsdesk",
            "avatar": None,
            "bot": True,
            "flags": 0,
        }

    def next_id(self) -> int:
        """A snowflake of now: discord.py reads an interaction's age (15-min token) from it."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0x3FFFFF)

    # -- serving ------------------------------------------------------------------------
    @asynccontextmanager
    async def serving(self) -> AsyncIterator[DiscordDouble]:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self.sock).start()
        try:
            yield self
        finally:
            if self._ws is not None and not self._ws.closed:
                await self._ws.close()
            await self._runner.cleanup()

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], object], timeout: float = 30.0) -> None:
        assert self._changed is not None

        async def waiter() -> None:
            async with self._changed:  # type: ignore[union-attr]
                await self._changed.wait_for(predicate)  # type: ignore[union-attr]

        await asyncio.wait_for(waiter(), timeout)

    # -- gateway ------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif data["op"] == 2:
                self.identified += 1
                self.last_identify = data["d"]
                await self.dispatch(
                    "READY",
                    {
                        "v": 10,
                        "user": self.bot_user,
                        "guilds": [],
                        "session_id": f"session-{self.identified}",
                        "resume_gateway_url": self.gateway_url,
                        "application": {"id": str(self.app_id), "flags": 0},
                        "shard": data["d"].get("shard", [0, 1]),
                    },
                )
                await self._notify()
        return ws

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self._ws is not None, "the bot is not connected"
        await self._ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    # -- building events ----------------------------------------------------------------
    def user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": f"user{user_id % 1000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }

    def member(self, user_id: int, permissions: int) -> dict[str, Any]:
        return {
            "user": self.user(user_id),
            "roles": [],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        }

    def channel(self, channel_id: int | None = None) -> dict[str, Any]:
        return {
            "id": str(channel_id or self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "news",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }

    def _interaction(
        self,
        type_: int,
        data: dict[str, Any],
        user_id: int,
        permissions: int,
        channel_id: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        iid = self.next_id()
        token = f"tok{iid}"
        channel = channel_id or self.channel_id
        self._token_channel[token] = channel
        return {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": type_,
            "data": data,
            "guild_id": str(self.guild_id),
            "channel_id": str(channel),
            "channel": self.channel(channel),
            "member": self.member(user_id, permissions),
            "token": token,
            "version": 1,
            "app_permissions": str(MEMBER_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 26_214_400,
            **extra,
        }

    async def command(
        self,
        name: str,
        user_id: int = 42,
        *,
        admin: bool = False,
        channel_id: int | None = None,
        **options: Any,
    ) -> Interaction:
        """Dispatch ``/name option=value ...`` as ``user_id`` (in ``channel_id``, by default the
        channel); admins have Manage Server."""
        typed = []
        for key, value in options.items():
            kind = 4 if isinstance(value, int) and not isinstance(value, bool) else 3
            typed.append({"name": key, "type": kind, "value": value})
        data = {"id": str(self.next_id()), "name": name, "type": 1, "options": typed}
        perms = MEMBER_PERMISSIONS | (MANAGE_GUILD if admin else 0)
        payload = self._interaction(2, data, user_id, perms, channel_id)
        await self.dispatch("INTERACTION_CREATE", payload)
        return Interaction(payload, self)

    async def autocomplete(
        self, name: str, focused: str, user_id: int = 42, **options: Any
    ) -> Interaction:
        """Dispatch an autocomplete request for ``/name``: ``focused`` is the option being
        typed, ``options`` what has been typed so far (strings)."""
        typed = [
            {
                "name": key,
                "type": 3,
                "value": value,
                **({"focused": True} if key == focused else {}),
            }
            for key, value in options.items()
        ]
        data = {"id": str(self.next_id()), "name": name, "type": 1, "options": typed}
        payload = self._interaction(4, data, user_id, MEMBER_PERMISSIONS)
        await self.dispatch("INTERACTION_CREATE", payload)
        return Interaction(payload, self)

    async def press(
        self, message: dict[str, Any], custom_id: str, user_id: int = 42
    ) -> Interaction:
        """Press the button ``custom_id`` on a message the bot sent."""
        data = {"custom_id": custom_id, "component_type": 2}
        channel = int(message["channel_id"])
        payload = self._interaction(3, data, user_id, MEMBER_PERMISSIONS, channel, message=message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return Interaction(payload, self)

    async def say(
        self,
        content: str,
        *,
        channel_id: int | None = None,
        user_id: int = 42,
        mention: bool = True,
    ) -> dict[str, Any]:
        """A member writes in a channel or thread (mentioning the bot unless told not to)."""
        mid = self.next_id()
        text = f"<@{self.app_id}> {content}" if mention else content
        payload = {
            "id": str(mid),
            "channel_id": str(channel_id or self.channel_id),
            "guild_id": str(self.guild_id),
            "author": self.user(user_id),
            "member": {
                k: v for k, v in self.member(user_id, MEMBER_PERMISSIONS).items() if k != "user"
            },
            "content": text,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [self.bot_user] if mention else [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    # -- REST ---------------------------------------------------------------------------
    def _message(self, channel_id: int, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        mid = self.next_id()
        message = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": self.bot_user,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "pinned": False,
            "flags": int(body.get("flags") or 0),
            **extra,
        }
        self.messages[mid] = message
        self._created = message
        return message

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # Exactly application/json: with "; charset=..." discord.py reads the body as text.
        return web.Response(
            status=status, body=json.dumps(data).encode(), content_type="application/json"
        )

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = {"raw": raw[:200].decode(errors="replace")}
        path = request.path
        recorded = Recorded(request.method, path, dict(request.query), body, time.monotonic())
        self._created = None
        try:
            return self._route(request.method, path.removeprefix("/api/v10").split("/")[1:], body)
        finally:
            recorded.created = self._created
            self.requests.append(recorded)
            await self._notify()

    def _route(self, method: str, parts: list[str], raw: Any) -> web.StreamResponse:
        body = raw if isinstance(raw, dict) else {}
        match method, parts:
            case "GET", ["gateway", "bot"]:
                return self._json(
                    {
                        "url": self.gateway_url,
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 999,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                )
            case "GET", ["users", "@me"]:
                if self.reject_token:
                    return self._json({"message": "401: Unauthorized", "code": 0}, 401)
                return self._json(self.bot_user)
            case "GET", ["oauth2", "applications", "@me"]:
                return self._json(
                    {
                        "id": str(self.app_id),
                        "name": "newsdesk",
                        "icon": None,
                        "description": "",
                        "bot_public": False,
                        "bot_require_code_grant": False,
                        "owner": self.user(1),
                        "verify_key": "00",
                        "flags": 0,
                    }
                )
            case "POST", ["interactions", iid, token, "callback"]:
                type_ = int(body.get("type", 0))
                data = body.get("data") or {}
                if type_ == 4:
                    self._originals[token] = self._message(
                        self._token_channel.get(token, self.channel_id), data
                    )
                return self._json(
                    {
                        "interaction": {
                            "id": iid,
                            "type": 2,
                            "response_message_loading": type_ == 5,
                            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
                        }
                    }
                )
            case "POST", ["webhooks", _app, token]:
                channel = self._token_channel.get(token, self.channel_id)
                return self._json(self._message(channel, body, webhook_id=str(self.app_id)))
            case (("GET" | "PATCH"), ["webhooks", _app, token, "messages", "@original"]):
                original = self._originals.get(token) or self._message(self.channel_id, body)
                original.update(
                    {k: v for k, v in body.items() if k in ("content", "embeds", "components")}
                )
                return self._json(original)
            case "DELETE", ["webhooks", _app, token, "messages", "@original"]:
                return web.Response(status=204)
            case "POST", ["channels", cid, "typing"]:
                return web.Response(status=204)
            case "POST", ["channels", cid, "messages"]:
                return self._json(self._message(int(cid), body))
            case "POST", ["channels", cid, "messages", mid, "threads"]:
                if int(mid) in self.threads:
                    return self._json(
                        {
                            "code": 160004,
                            "message": "A thread has already been created for this message",
                        },
                        400,
                    )
                thread = {
                    "id": mid,
                    "type": 11,
                    "guild_id": str(self.guild_id),
                    "parent_id": cid,
                    "owner_id": str(self.app_id),
                    "name": body.get("name", ""),
                    "message_count": 0,
                    "member_count": 1,
                    "rate_limit_per_user": 0,
                    "flags": 0,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 1440,
                        "archive_timestamp": datetime.now(UTC).isoformat(),
                        "locked": False,
                    },
                }
                self.threads[int(mid)] = thread
                return self._json(thread, 201)
            case "PUT", ["applications", _app, *rest] if rest[-1:] == ["commands"]:
                guild = rest[1] if rest[:1] == ["guilds"] else None
                commands = raw if isinstance(raw, list) else []
                return self._json(
                    [
                        {
                            **c,
                            "id": str(self.next_id()),
                            "application_id": str(self.app_id),
                            "version": "1",
                            "guild_id": guild,
                        }
                        for c in commands
                    ]
                )
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    # -- reading what the bot did -------------------------------------------------------
    def sent(self, method: str = "POST", prefix: str = "") -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method == method and r.path.startswith("/api/v10" + prefix)
        ]
