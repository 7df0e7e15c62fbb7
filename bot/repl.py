"""The chat loop: read a line, ask, record in the conversation, render. Tested by transcript.

The loop owns the conversation bookkeeping so the callback only has to answer:
``ask(question, conversation)`` returns the *raw* answer (locally numbered ``[1]..[m]``), and
the loop calls ``conversation.record`` to turn it into stable numbers before rendering. The
callback gets the conversation so it can search with ``conversation.retrieval_query(question)``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.answer.models import Answer
from bot.conversation import Conversation
from bot.render import render_sources, render_terminal
from config.errors import ConfigError
from index.errors import IndexError_

logger = logging.getLogger(__name__)

AskFn = Callable[[str, Conversation], Answer]
# Problems a person can act on (no index, server down, ...): their message is the whole story.
KNOWN_ERRORS: tuple[type[Exception], ...] = (IndexError_, ConfigError)

PROMPT = "? "
INTRO = "Ask about the news archive. /help lists the commands, /quit leaves."
HELP = """\
Type a question and press Enter. Every claim in an answer cites a numbered source; a number
keeps its meaning for the whole conversation, so you can ask "tell me more about [2]".
Commands:
  /sources   everything cited so far
  /help      this text
  /quit      leave (also /exit, Ctrl-D or Ctrl-C)"""
HISTORY_LENGTH = 1000


def default_history_path() -> Path:
    return Path.home() / ".newsdesk_history"


def _enable_history(path: Path) -> Callable[[], None] | None:
    """Load readline history; return the function that saves it, or None if unavailable.

    Only for a real terminal: with piped stdin readline would do nothing useful, and a missing
    readline (Windows) or an unreadable file must never stop the chat.
    """
    try:
        import readline
    except ImportError:
        return None
    with contextlib.suppress(OSError):  # first run: no history file yet
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LENGTH)

    def save() -> None:
        try:
            readline.write_history_file(path)
        except OSError as exc:
            logger.debug("could not save history to %s: %s", path, exc)

    return save


def _command(line: str, conversation: Conversation, console: Console) -> bool:
    """Run a ``/command``; return False when the loop should end."""
    name = line.split()[0].lower()
    if name in ("/quit", "/exit", "/q"):
        return False
    if name == "/help":
        console.print(Text(HELP))
    elif name == "/sources":
        sources = conversation.sources()
        if sources:
            console.print(render_sources(sources))
        else:
            console.print(Text("No sources cited yet."))
    else:
        console.print(Text(f"Unknown command {name}; /help lists the commands."))
    return True


def _ask(question: str, ask: AskFn, conversation: Conversation, console: Console) -> None:
    """Answer one question; a failing callback costs one line, never the session."""
    for n in conversation.unknown_references(question):
        console.print(Text(f"[{n}] has not been cited in this conversation; /sources lists them."))
    try:
        raw = ask(question, conversation)
    except KNOWN_ERRORS as exc:
        console.print(Text(f"error: {exc}", style="red"), soft_wrap=True)
        return
    except Exception as exc:
        # A bug: keep the traceback (logged, visible) and keep the session.
        logger.exception("answering %r failed", question)
        detail = " ".join(str(exc).split())[:200]
        message = f"error: unexpected {type(exc).__name__}" + (f": {detail}" if detail else "")
        console.print(Text(message + " (traceback logged)", style="red"), soft_wrap=True)
        return
    console.print(render_terminal(conversation.record(question, raw)))


def run_repl(
    ask: AskFn,
    *,
    console: Console,
    input_fn: Callable[[str], str] = input,
    conversation: Conversation | None = None,
    history_path: Path | None = None,
) -> int:
    """Chat until /quit, EOF or Ctrl-C; return the exit code (0).

    ``ask(question, conversation)`` returns the raw answer; this loop records it in
    ``conversation`` (stable citation numbers) and renders it. History lives in
    ``history_path`` (default ``~/.newsdesk_history``) and is used only when stdin is a TTY.
    """
    conversation = conversation if conversation is not None else Conversation()
    save_history = None
    prompt = PROMPT
    if input_fn is input:
        if sys.stdin.isatty():
            save_history = _enable_history(history_path or default_history_path())
        else:
            prompt = ""  # piped input: prompts would only clutter the output between answers
    console.print(Text(INTRO, style="dim"))
    try:
        while True:
            try:
                line = input_fn(prompt).strip()
            except (EOFError, KeyboardInterrupt):
                console.print()  # end the prompt's line so the shell prompt starts clean
                break
            if not line:
                continue
            if line.startswith("/"):
                if not _command(line, conversation, console):
                    break
                continue
            try:
                _ask(line, ask, conversation, console)
            except KeyboardInterrupt:
                console.print()
                break
            console.print()
    finally:
        if save_history is not None:
            save_history()
    return 0


__all__ = ["HELP", "INTRO", "PROMPT", "AskFn", "default_history_path", "run_repl"]
