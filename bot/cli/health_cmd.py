"""`newsdesk health`: settings, index and Chroma server, one line per check, exit 0/1.

For people and for container health checks alike; it only reads (a missing index is a failed
check, not something to create).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from bot.cli.common import ExitCode, print_json
from config.errors import ConfigError
from index.errors import IndexError_

if TYPE_CHECKING:
    from config.settings import Settings
    from index.store import IndexStore


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def _settings(ctx: typer.Context) -> tuple[Settings | None, Check]:
    obj = ctx.find_root().obj or {}
    app = obj.get("app")
    if app is not None:
        return app.settings, Check("settings", True, "valid")
    from config.settings import load_settings

    try:
        settings = load_settings(**obj.get("overrides", {}))
    except ConfigError as exc:
        return None, Check("settings", False, str(exc))
    return settings, Check("settings", True, "valid")


def _server(store: IndexStore) -> Check:
    from index.store import connect_server

    url = store.chroma_url or ""
    try:
        connect_server(url, store.chroma_timeout_s, store.auth).heartbeat()
    except IndexError_ as exc:
        return Check("chroma server", False, str(exc))
    return Check("chroma server", True, f"{url} answers")


def _lease(store: IndexStore) -> Check:
    """Server mode: who is writing (informational; an expired lease is taken over by the
    next build, so it is no failure either)."""
    import time

    try:
        lease = store.lease()
    except IndexError_ as exc:
        return Check("writer lease", False, str(exc))
    if lease is None:
        return Check("writer lease", True, "free")
    if lease.expires <= time.time():
        detail = f"expired ({lease.holder}, {lease.expires_text()}): the next build takes over"
    else:
        detail = f"held by {lease.holder} until {lease.expires_text()} (a build is running)"
    return Check("writer lease", True, detail)


def _index(store: IndexStore) -> list[Check]:
    """Present and readable; manifest and collection agree; keyword side fresh."""
    from index.keyword import META_FILE

    try:
        gen = store.open_current()
        count = gen.count()
    except IndexError_ as exc:
        return [Check("index", False, str(exc))]
    manifest = gen.manifest
    checks = [
        Check(
            "index",
            count == manifest.chunk_count,
            f"{len(manifest.articles)} articles, {count} chunks in the collection"
            + (
                ""
                if count == manifest.chunk_count
                else f" but {manifest.chunk_count} in the manifest: run `newsdesk index build`"
            ),
        )
    ]
    try:
        keyword = len(json.loads((gen.bm25_dir / META_FILE).read_text("utf-8"))["chunk_ids"])
    except (OSError, ValueError, KeyError, TypeError):
        keyword = -1
    fresh = not manifest.bm25_stale and keyword == manifest.chunk_count
    checks.append(
        Check(
            "keyword index",
            fresh,
            f"{keyword} chunks"
            if fresh
            else "stale or unreadable (an interrupted build?): run `newsdesk index build`",
        )
    )
    return checks


def health(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Check settings, the index and the Chroma server (when configured); exit 0 if all pass."""
    from bot.app import App

    settings, first = _settings(ctx)
    checks = [first]
    if settings is not None:
        obj = ctx.find_root().obj or {}
        store = (obj.get("app") or App(settings)).store
        if store.chroma_url:
            checks.append(_server(store))
        if all(c.ok for c in checks):
            checks.extend(_index(store))
            if store.chroma_url:
                checks.append(_lease(store))
    ok = all(c.ok for c in checks)
    if as_json:
        print_json({"ok": ok, "checks": [c.to_json() for c in checks]})
    else:
        console = Console(highlight=False)
        for check in checks:
            mark = "[green]ok  [/]" if check.ok else "[red]FAIL[/]"
            console.print(f"{mark} {check.name}: {check.detail}", soft_wrap=True)
    raise typer.Exit(int(ExitCode.OK if ok else ExitCode.USAGE))
