"""Entry point: configures logging once, then dispatches to the subcommand modules."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import discord_cmd, index_cmd, query_cmd
from bot.cli.common import ExitCode, err_console

app = typer.Typer(
    name="newsdesk",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(index_cmd.app, name="index")
query_cmd.register(app)
discord_cmd.register(app)


@app.callback()
def root(
    ctx: typer.Context,
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More logging (-vv: debug)."
    ),
) -> None:
    """Ask questions about a news archive; every claim in the answer cites its passage.

    Settings: flags, then NEWSDESK_* environment variables, then .env, then config/defaults.toml.

    Exit codes: 0 ok, 1 usage or configuration error, 2 partial success (some files failed).
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler()
    # The handler filters too: some libraries (bm25s) force their own logger to DEBUG on import.
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Third-party chatter (telemetry notices, HTTP logs) only when asked for.
    for noisy in ("chromadb", "httpx", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # A caller (a test, an embedding program) may pass a prepared App in obj["app"].
    ctx.obj = {"overrides": {}, **(ctx.obj or {})}


def main(argv: list[str] | None = None, obj: dict[str, object] | None = None) -> None:
    """Run the CLI; usage errors exit 1 (exit 2 is reserved for partial success)."""
    try:
        code = app(args=argv, standalone_mode=False, obj=obj)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console().print("aborted")
        sys.exit(int(ExitCode.USAGE))
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, ...
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console().print(f"error: {exc.format_message()}")
        sys.exit(int(ExitCode.USAGE))
    sys.exit(code if isinstance(code, int) else int(ExitCode.OK))
