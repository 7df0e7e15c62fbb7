"""Entry point: configures logging once, then dispatches to the subcommand modules."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from bot.cli import discord_cmd, health_cmd, index_cmd, query_cmd
from bot.cli.common import ExitCode, err_console
from config.errors import ConfigError
from index.errors import IndexError_

logger = logging.getLogger(__name__)

# Libraries whose own log lines are noise to a person (telemetry notices, HTTP logs, and
# trafilatura's parser complaints about odd markup): shown only with -vv.
NOISY_LOGGERS = (
    "chromadb",
    "httpx",
    "httpcore",
    "sentence_transformers",
    "urllib3",
    "trafilatura",
    "htmldate",
    "courlan",
    "justext",
    "charset_normalizer",
)

app = typer.Typer(
    name="newsdesk",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(index_cmd.app, name="index")
query_cmd.register(app)
app.command("health")(health_cmd.health)
discord_cmd.register(app)


@app.callback()
def root(
    ctx: typer.Context,
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More logging (-vv: debug)."
    ),
    index_dir: Path | None = typer.Option(
        None, "--index-dir", help="Where the index lives (overrides NEWSDESK_INDEX_DIR)."
    ),
    articles_dir: Path | None = typer.Option(
        None,
        "--articles-dir",
        help="What `index build` indexes by default (overrides NEWSDESK_ARTICLES_DIR).",
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
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 2 else logging.CRITICAL)
    # Flags win over the environment: get_app passes these to load_settings. A caller (a test,
    # an embedding program) may pass a prepared App in obj["app"].
    overrides = {"index_dir": index_dir, "articles_dir": articles_dir}
    ctx.obj = {
        "overrides": {k: v for k, v in overrides.items() if v is not None},
        **(ctx.obj or {}),
    }


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
    except (IndexError_, ConfigError) as exc:  # a known problem a command did not catch itself
        err_console().print(f"error: {exc}", markup=False, soft_wrap=True)
        sys.exit(int(ExitCode.USAGE))
    except Exception as exc:
        # A bug: the traceback goes to the log (stderr by default), then one line to read.
        logger.exception("unexpected error")
        err_console().print(
            f"error: unexpected {type(exc).__name__}: {_one_line(exc)} (traceback logged above)",
            markup=False,
            soft_wrap=True,
        )
        sys.exit(int(ExitCode.USAGE))
    sys.exit(code if isinstance(code, int) else int(ExitCode.OK))


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
