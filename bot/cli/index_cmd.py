"""`newsdesk index build|stats`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.common import ExitCode, get_app, print_json, user_errors

if TYPE_CHECKING:
    from index.build import BuildReport

app = typer.Typer(help="Build and inspect the index.", no_args_is_help=True)


@app.command("build")
def build(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        None, help="Files or folders to index (default: NEWSDESK_ARTICLES_DIR).", show_default=False
    ),
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Build a fresh index aside and swap it in only on success."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object instead of a summary."
    ),
) -> None:
    """Index articles (.txt .md .html .json .jsonl); only new or changed ones are embedded."""
    nd = get_app(ctx)
    targets = list(paths) if paths else [nd.settings.articles_dir]
    console = Console(stderr=True)
    with user_errors():
        if as_json or not console.is_terminal:
            report = nd.builder.build(targets, rebuild=rebuild)
        else:
            with Progress(
                TextColumn("embedding"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("articles"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("embed", total=None)

                def on_progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                report = nd.builder.build(targets, rebuild=rebuild, progress=on_progress)
    if as_json:
        print_json(report.to_json())
    else:
        _print_summary(report)
    if report.failed:
        raise typer.Exit(int(ExitCode.PARTIAL))


def _print_summary(report: BuildReport) -> None:
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    for failure in report.failed:
        err.print(f"[yellow]skipped[/] {failure.path}: {failure.error}", soft_wrap=True)
    out.print(
        f"indexed: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged, {len(report.failed)} failed; "
        f"{report.chunks} chunks ({report.embedded_chunks} embedded) in {report.seconds:.1f}s "
        f"-> {report.location}"
    )


@app.command("stats")
def stats(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Articles, chunks, embedding model, location, last build, date range, publishers."""
    nd = get_app(ctx)
    with user_errors():
        gen = nd.store.open_current()
    m = gen.manifest
    dates = sorted(a.published for a in m.articles.values() if a.published)
    publishers = Counter(a.publisher or "(unknown)" for a in m.articles.values())
    data = {
        "articles": len(m.articles),
        "chunks": m.chunk_count,
        "embed_model": m.embed_model,
        "chunk_tokens": m.chunk_tokens,
        "chunk_overlap": m.chunk_overlap,
        "location": nd.store.location,
        "generation": gen.name,
        "last_build": m.built_at.isoformat() if m.built_at else None,
        "date_range": [dates[0].isoformat(), dates[-1].isoformat()] if dates else None,
        "publishers": dict(publishers.most_common()),
    }
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        if key == "publishers":
            value = ", ".join(f"{k} ({v})" for k, v in publishers.most_common(10))
        elif key == "date_range" and value:
            value = f"{value[0]} .. {value[1]}"
        table.add_row(key.replace("_", " "), str(value))
    Console().print(table)
