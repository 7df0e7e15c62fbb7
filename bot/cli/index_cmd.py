"""`newsdesk index build|stats`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from bot.cli.common import ExitCode, err_console, fail, get_app, print_json, user_errors
from index.errors import BuildRefused

if TYPE_CHECKING:
    from index.build import BuildProgress, BuildReport, IndexBuilder
    from index.models import SourceFailure

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
    if paths:
        targets = list(paths)
    else:
        # Relative defaults resolve against the working directory: say where we looked.
        targets = [nd.settings.articles_dir]
        if not nd.settings.articles_dir.is_dir():
            fail(
                f"no such folder: {nd.settings.articles_dir} (NEWSDESK_ARTICLES_DIR; "
                "set it, pass --articles-dir, or name the paths to index)"
            )
    console = Console(stderr=True)
    with user_errors():
        try:
            report = _run_build(nd.builder, targets, rebuild, console, show=not as_json)
        except BuildRefused as exc:
            if as_json:
                print_json({"refused": str(exc), "failed": _failed_json(exc.failures)})
            else:
                _print_failures(exc.failures)
            fail(str(exc), ExitCode.PARTIAL if exc.failures else ExitCode.USAGE)
    if as_json:
        print_json(report.to_json())
    else:
        _print_summary(report)
    if report.failed:
        raise typer.Exit(int(ExitCode.PARTIAL))


class RateColumn(ProgressColumn):
    """Chunks embedded per second, as rich estimates it over the recent updates."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- chunks/s" if speed is None else f"{speed:.1f} chunks/s")


def _run_build(
    builder: IndexBuilder, targets: list[Path], rebuild: bool, console: Console, *, show: bool
) -> BuildReport:
    if not (show and console.is_terminal):
        return builder.build(targets, rebuild=rebuild)
    with Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("embed", total=None)

        def on_progress(p: BuildProgress) -> None:
            bar.update(task, completed=p.chunks_done, total=p.chunks_total)

        return builder.build(targets, rebuild=rebuild, progress=on_progress)


def _failed_json(failures: list[SourceFailure]) -> list[dict[str, str]]:
    return [{"path": f.path, "error": f.error} for f in failures]


def _print_failures(failures: list[SourceFailure]) -> None:
    err = err_console()
    for failure in failures:
        err.print(f"[yellow]skipped[/] {failure.path}: {failure.error}", soft_wrap=True)


def skipped_line(skipped: dict[str, int]) -> str | None:
    """'skipped 3 files of unsupported types (.pdf ×2, .docx ×1)', or None."""
    if not skipped:
        return None
    total = sum(skipped.values())
    kinds = ", ".join(
        f"{suffix} ×{n}" for suffix, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return f"skipped {total} file{'s' if total != 1 else ''} of unsupported types ({kinds})"


def _print_summary(report: BuildReport) -> None:
    out = Console(highlight=False)
    _print_failures(report.failed)
    skipped = skipped_line(report.skipped_unsupported)
    if skipped:
        err_console().print(skipped, soft_wrap=True, markup=False)
    rate = f" ({report.chunks_per_second:.1f} chunks/s)" if report.embedded_chunks else ""
    reused = f", {report.reused_chunks} kept" if report.reused_chunks else ""
    out.print(
        f"indexed: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged, {len(report.failed)} failed; "
        f"{report.chunks} chunks ({report.embedded_chunks} embedded{reused}) "
        f"in {report.seconds:.1f}s"
        f"{rate} -> {report.location}"
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
        # An incremental build killed after it changed chunks leaves the keyword side behind
        # the vectors; searches still run, but new or changed articles miss their BM25 half.
        "keyword_index_stale": m.bm25_stale or not gen.bm25_dir.is_dir(),
    }
    warning = (
        "the last build was interrupted and the keyword index is stale: "
        "run `newsdesk index build` to finish it"
        if data["keyword_index_stale"]
        else None
    )
    data["warning"] = warning
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        if key in ("keyword_index_stale", "warning"):
            continue
        if key == "publishers":
            value = ", ".join(f"{k} ({v})" for k, v in publishers.most_common(10))
        elif key == "date_range" and value:
            value = f"{value[0]} .. {value[1]}"
        table.add_row(key.replace("_", " "), str(value))
    Console().print(table)
    if warning:
        err_console().print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
