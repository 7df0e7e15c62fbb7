"""`newsdesk search`, `ask`, `eval` and `chat`: thin adapters over QAService."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import fail, get_app, parse_date, print_json, user_errors
from index.models import SearchFilters


def _filters(since: str | None, source: str | None) -> SearchFilters:
    return SearchFilters(since=parse_date(since, "--since"), source=source)


SINCE = typer.Option(
    None, "--since", help="Only articles published on or after this date (YYYY-MM-DD)."
)
SOURCE = typer.Option(
    None,
    "--source",
    help="Only articles from this publisher: as stored, or its site's name (usatoday).",
)
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of formatted text.")


def _require_text(value: str, what: str) -> str:
    """An empty question (or one of punctuation only: "?") would be answered "I couldn't find
    this": it is a usage error."""
    if not any(ch.isalnum() for ch in value):
        fail(f'{what} is empty: give it some words, e.g. newsdesk {what.split()[0]} "..."')
    return value


def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(
        10,
        "-k",
        min=1,
        max=100,
        help="Passages to return, one per article (its matching chunks stitched together).",
    ),
    since: str | None = SINCE,
    source: str | None = SOURCE,
    as_json: bool = AS_JSON,
) -> None:
    """Ranked passages for QUERY (hybrid dense + keyword), without an answer."""
    _require_text(query, "search QUERY")
    nd = get_app(ctx)
    filters = _filters(since, source)
    with user_errors():
        passages = nd.qa.search(query, k=k, filters=filters)
    if as_json:
        print_json({"query": query, "passages": [p.to_json() for p in passages]})
        return
    console = Console(highlight=False)
    if not passages:
        console.print("No passages found.")
    for i, p in enumerate(passages, start=1):
        date = p.published.isoformat() if p.published else "undated"
        console.print(
            f"[bold]{i}. {p.title}[/] — {p.publisher or 'unknown'}, {date}  ({p.score:.3f})"
        )
        console.print(
            f"   {p.text[:300].strip()}{'…' if len(p.text) > 300 else ''}", soft_wrap=True
        )


def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="Your question."),
    k: int | None = typer.Option(
        None, "-k", min=1, max=100, help="Passages to retrieve (default NEWSDESK_TOP_K)."
    ),
    since: str | None = SINCE,
    source: str | None = SOURCE,
    as_json: bool = AS_JSON,
) -> None:
    """One answer to QUESTION, each claim cited \\[n] to the passage it came from."""
    from bot.render import render_terminal

    _require_text(question, "ask QUESTION")
    nd = get_app(ctx)
    filters = _filters(since, source)
    with user_errors():
        answer = nd.qa.ask(question, k=k, filters=filters)
    if as_json:
        print_json(answer.to_json())
    else:
        Console(highlight=False).print(render_terminal(answer))


def evaluate(
    ctx: typer.Context,
    qa_file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON lines {id, question, answers}."
    ),
    k: int = typer.Option(10, "-k", min=1, max=100, help="Passages retrieved per question."),
    as_json: bool = AS_JSON,
) -> None:
    """Run QA_FILE: retrieval (hit@k, mrr@k) and answer metrics; `answers: []` expects a refusal."""
    from bot.evaluate import QAFileError, Summary, judge, load_qa

    nd = get_app(ctx)
    try:
        items = load_qa(qa_file)
    except QAFileError as exc:
        fail(str(exc))
    summary = Summary(k=k)
    table = Table("id", "ok", "rank", "answer")
    with user_errors():
        for item in items:
            answer = nd.qa.ask(item.question, k=k)
            verdict = judge(item, answer)
            summary.add([verdict])
            if as_json:
                print_json({"id": item.id, **answer.to_json(), **verdict.to_json(k)})
            else:
                table.add_row(
                    item.id,
                    "✓" if verdict.correct else "✗",
                    str(verdict.rank or "-"),
                    answer.text[:80],
                )
    totals = summary.to_json()
    if as_json:
        print_json(totals)
        return
    console = Console(highlight=False)
    console.print(table)
    console.print(json.dumps(totals, indent=1))


def chat(
    ctx: typer.Context,
    since: str | None = SINCE,
    source: str | None = SOURCE,
) -> None:
    """Multi-turn chat (REPL). Follow-ups use the conversation; /help lists commands.
    --since / --source narrow every question of the conversation."""
    from bot.conversation import Conversation
    from bot.repl import run_repl

    nd = get_app(ctx)
    filters = _filters(since, source)
    with user_errors():
        # Fail before the first prompt with no usable index, or a source no article has.
        nd.searcher.generation()
        filters = nd.searcher.resolve(filters)

    def ask_in_conversation(question: str, conversation: Conversation):  # noqa: ANN202
        # Errors go to the REPL loop, which prints known ones on one line and keeps going.
        return nd.qa.ask(
            question,
            retrieval_query=conversation.retrieval_query(question),
            told=conversation.told(question),
            about=conversation.referenced_article(question),
            filters=filters,
        )

    raise typer.Exit(run_repl(ask_in_conversation, console=Console(highlight=False)))


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("ask")(ask)
    app.command("eval")(evaluate)
    app.command("chat")(chat)
