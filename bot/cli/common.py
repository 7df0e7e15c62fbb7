"""What every subcommand shares: exit codes, settings from the context, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from config.errors import ConfigError
from index.errors import IndexError_

if TYPE_CHECKING:
    from bot.app import App


class ExitCode(IntEnum):
    """Documented in the README; 2 is *partial success*, not a usage error."""

    OK = 0
    USAGE = 1
    PARTIAL = 2


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    err_console().print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(int(code))


def get_app(ctx: typer.Context, **overrides: Any) -> App:
    """Build settings once per invocation (flags > env > .env > defaults) and the App around them."""
    # Imported here: the settings model (pydantic) is not needed for `--help` or a usage error.
    from bot.app import App
    from config.settings import load_settings

    root = ctx.find_root()
    obj = root.obj or {}
    if "app" not in obj:
        try:
            settings = load_settings(**{**obj.get("overrides", {}), **overrides})
        except ConfigError as exc:
            fail(f"configuration: {exc}")
        obj["app"] = App(settings)
        root.obj = obj
    return obj["app"]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the index's expected errors into one clear line and exit 1, never a traceback."""
    try:
        yield
    except (IndexError_, ConfigError) as exc:
        fail(str(exc))


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected a date like 2025-06-04, got {value!r}")


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
