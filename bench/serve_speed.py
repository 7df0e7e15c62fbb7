"""Warm `ask` latency and resident memory of a serving process (issue 14), against a plain dense
top-10 over the same Chroma collection, measured in the same run.

A fresh process opens the index as ``newsdesk ask`` does (``bot.app.App``: settings, store,
embedder, learned searcher, extractive answerer; no LLM), asks ``--warmup`` questions untimed,
then ``--asks`` timed ones (RealTime QA questions of the indexed weeks, in turn): p50/p95 of
retrieve + answer, each part's p50, the query embedding alone, and the process's resident
memory after warm-up (VmRSS from /proc; the RSS once the embedder is loaded is also reported,
so what the index itself holds shows). The baseline is a second fresh process with the same
embedder doing what a plain vector retriever does: embed the question, top 10 from the same
Chroma collection through LlamaIndex's ``ChromaVectorStore`` (``Generation.dense_search``).

Targets at 20,000 chunks (all 13 weeks): warm ask p50 ≤ 30 ms, p95 ≤ 80 ms; RSS ≤ 1 GiB.

    .venv/bin/python bench/serve_speed.py --index-dir /work/benchcache/serve-13w   # builds once
    .venv/bin/python bench/serve_speed.py --index-dir DIR --asks 200 --json       # reuses DIR
    .venv/bin/python bench/serve_speed.py --weeks 1 --articles 40                 # a quick look

Without ``--index-dir`` the index is built into a temporary folder and removed afterwards. An
existing ``--index-dir`` is reused as it is (its weeks are read from ``serve_corpus.json``
written next to it when this script built it, else ``--weeks``/``--week-list``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.speedlib import (  # noqa: E402 - after the sys.path line above
    DATASET,
    Figure,
    choose_weeks,
    machine,
    machine_line,
    memory_mib,
    percentile,
    quiet_logs,
    read_questions,
    read_records,
    render_table,
    write_jsonl,
)

P50_TARGET_MS = 30.0
P95_TARGET_MS = 80.0
RSS_TARGET_MIB = 1024.0
CORPUS_NOTE = "serve_corpus.json"


def _ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 0.5), 2),
        "p95": round(percentile(values, 0.95), 2),
        "mean": round(statistics.fmean(values), 2),
    }


# -- inside the fresh serving process ------------------------------------------------------


def serve_worker(
    index_dir: Path, questions: list[str], warmup: int, asks: int, backend: str | None
):
    """newsdesk's QA service as `newsdesk ask` builds it; the figures as one JSON dict."""
    from bench.speedlib import make_bench_embedder
    from bot.app import App
    from config.settings import load_settings

    override = make_bench_embedder(backend) if backend else None
    app = App(load_settings(index_dir=index_dir), embedder_override=override)
    app.embedder.embed(["warm up"])
    rss_model = memory_mib()["VmRSS"]
    qa = app.qa
    for i in range(warmup):
        qa.ask(questions[i % len(questions)])
    total, retrieve, answer, embed = [], [], [], []
    for i in range(asks):
        q = questions[(warmup + i) % len(questions)]
        t0 = time.perf_counter()
        result = qa.ask(q)
        total.append((time.perf_counter() - t0) * 1000)
        retrieve.append(result.timings_ms["retrieve"])
        answer.append(result.timings_ms["answer"])
    for i in range(asks):
        q = questions[(warmup + i) % len(questions)]
        t0 = time.perf_counter()
        app.embedder.embed([q])
        embed.append((time.perf_counter() - t0) * 1000)
    mem = memory_mib()
    return {
        "ask_ms": _ms(total),
        "retrieve_ms": _ms(retrieve),
        "answer_ms": _ms(answer),
        "query_embed_ms": _ms(embed),
        "rss_mib": mem["VmRSS"],
        "peak_rss_mib": mem["VmHWM"],
        "rss_after_model_mib": rss_model,
        "chunks": app.store.open_current().manifest.chunk_count,
    }


def dense_worker(
    index_dir: Path, questions: list[str], warmup: int, asks: int, backend: str | None
):
    """The baseline: embed the question, top 10 from the same collection, nothing else."""
    from bench.speedlib import make_bench_embedder
    from index.store import IndexStore

    embedder = make_bench_embedder(backend)
    embedder.embed(["warm up"])
    rss_model = memory_mib()["VmRSS"]
    gen = IndexStore(index_dir).open_current()

    def ask(q: str) -> None:
        gen.dense_search(embedder.embed([q])[0], 10)

    for i in range(warmup):
        ask(questions[i % len(questions)])
    total = []
    for i in range(asks):
        t0 = time.perf_counter()
        ask(questions[(warmup + i) % len(questions)])
        total.append((time.perf_counter() - t0) * 1000)
    mem = memory_mib()
    return {
        "ask_ms": _ms(total),
        "rss_mib": mem["VmRSS"],
        "peak_rss_mib": mem["VmHWM"],
        "rss_after_model_mib": rss_model,
    }


# -- the driver ----------------------------------------------------------------------------


def run_worker(
    kind: str,
    index_dir: Path,
    questions: list[str],
    *,
    warmup: int,
    asks: int,
    backend: str | None,
) -> dict[str, Any]:
    """One fresh process (cwd a temporary folder: no .env; LLM settings cleared: extractive)."""
    with tempfile.TemporaryDirectory(prefix="newsdesk-serve-") as tmp:
        qfile = Path(tmp) / "questions.json"
        qfile.write_text(json.dumps(questions), encoding="utf-8")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NEWSDESK_LLM", "NEWSDESK_CHROMA")) and k != "PYTHONPATH"
        }
        env["PYTHONPATH"] = str(REPO)
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            kind,
            "--index-dir",
            str(index_dir.resolve()),
            "--questions-file",
            str(qfile),
            "--warmup",
            str(warmup),
            "--asks",
            str(asks),
        ]
        if backend:
            cmd += ["--backend", backend]
        proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_serving(
    index_dir: Path, questions: list[str], *, warmup: int, asks: int, backend: str | None
) -> dict[str, Any]:
    newsdesk = run_worker("serve", index_dir, questions, warmup=warmup, asks=asks, backend=backend)
    dense = run_worker("dense", index_dir, questions, warmup=warmup, asks=asks, backend=backend)
    return {"newsdesk": newsdesk, "dense": dense}


def serving_figures(m: dict[str, Any], *, targets: bool = True) -> list[Figure]:
    nd, dense = m["newsdesk"], m["dense"]
    base = "plain dense top-10"
    return [
        Figure("warm ask p50 (retrieve + answer)", nd["ask_ms"]["p50"], "ms",
               dense["ask_ms"]["p50"], base, at_most=P50_TARGET_MS if targets else None,
               on_value=True),
        Figure("warm ask p95 (retrieve + answer)", nd["ask_ms"]["p95"], "ms",
               dense["ask_ms"]["p95"], base, at_most=P95_TARGET_MS if targets else None,
               on_value=True),
        Figure("  retrieve p50 (context)", nd["retrieve_ms"]["p50"], "ms",
               dense["ask_ms"]["p50"], base),
        Figure("  answer p50 (context)", nd["answer_ms"]["p50"], "ms"),
        Figure("  query embedding p50 (context)", nd["query_embed_ms"]["p50"], "ms"),
        Figure("resident memory after warm-up", nd["rss_mib"], "MiB", dense["rss_mib"],
               "dense-only process", at_most=RSS_TARGET_MIB if targets else None, on_value=True),
        Figure("  RSS once the model is loaded (context)", nd["rss_after_model_mib"], "MiB",
               dense["rss_after_model_mib"], "dense-only process"),
    ]  # fmt: skip


def build_index(index_dir: Path, records: list[dict[str, Any]], backend: str | None) -> dict:
    from bench.speedlib import make_bench_embedder
    from bot.app import App
    from config.settings import load_settings

    folder = index_dir.parent / f"{index_dir.name}-articles"
    by_week: dict[str, list[dict[str, Any]]] = {}
    for r in records:  # one file per week, as an archive is laid out (and under max_file_mb)
        by_week.setdefault(r["id"].split("-", 1)[0], []).append(r)
    for week, recs in by_week.items():
        write_jsonl(recs, folder / f"{week}.jsonl")
    embedder = make_bench_embedder(backend)
    app = App(load_settings(index_dir=index_dir), embedder_override=embedder)
    t0 = time.perf_counter()
    report = app.builder.build([folder])
    seconds = time.perf_counter() - t0
    shutil.rmtree(folder)
    if report.failed or not report.chunks:
        problems = "; ".join(f"{f.path}: {f.error}" for f in report.failed[:3])
        raise SystemExit(f"the build indexed {report.chunks} chunks; {problems}")
    return {"build_s": round(seconds, 1), "chunks": report.chunks}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index-dir", type=Path, help="reuse (or build once into) this index")
    parser.add_argument("--weeks", type=int, default=13, help="the first N weeks to index (13)")
    parser.add_argument("--week-list", help="comma-separated weeks instead of --weeks")
    parser.add_argument("--articles", type=int, help="index at most N articles")
    parser.add_argument("--asks", type=int, default=100, help="timed questions")
    parser.add_argument("--warmup", type=int, default=5, help="untimed questions first")
    parser.add_argument("--backend", help="passed to make_embedder(backend=...) when given")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=["serve", "dense"], help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    quiet_logs()
    if args.worker:
        questions = json.loads(args.questions_file.read_text(encoding="utf-8"))
        work = serve_worker if args.worker == "serve" else dense_worker
        print(json.dumps(work(args.index_dir, questions, args.warmup, args.asks, args.backend)))
        return 0

    host = machine()
    with tempfile.TemporaryDirectory(prefix="newsdesk-serve-index-") as tmp:
        index_dir = args.index_dir or Path(tmp) / "index"
        note = index_dir.parent / f"{index_dir.name}-{CORPUS_NOTE}"
        built = None
        noted = note.is_file()
        if index_dir.exists() and any(index_dir.iterdir()):
            # An index built elsewhere has no note: its questions are those of the weeks asked for.
            weeks = (
                json.loads(note.read_text())["weeks"]
                if noted
                else choose_weeks(args.weeks, args.week_list)
            )
        else:
            weeks = choose_weeks(args.weeks, args.week_list)
            if not weeks:
                print(f"no evaluation data at {DATASET}: nothing to measure", file=sys.stderr)
                return 0
            records = read_records(weeks, args.articles)
            index_dir.mkdir(parents=True, exist_ok=True)
            built = build_index(index_dir, records, args.backend)
            built["articles"] = len(records)
            note.write_text(json.dumps({"weeks": weeks, **built}), encoding="utf-8")
        questions = read_questions(weeks)
        m = measure_serving(
            index_dir, questions, warmup=args.warmup, asks=args.asks, backend=args.backend
        )
    figs = serving_figures(m)
    result = {
        "machine": host,
        "index_dir": str(args.index_dir) if args.index_dir else None,
        "weeks": weeks,
        "built": built,
        "chunks": m["newsdesk"]["chunks"],
        "asks": args.asks,
        "warmup": args.warmup,
        "backend": args.backend or "default",
        **m,
        "figures": [f.to_json() for f in figs],
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(machine_line(host))
    how = f"built in {built['build_s']} s" if built else "reused"
    if not built and not noted:
        how += f", not built by this script: questions of {len(weeks)} weeks"
    print(
        f"index: {m['newsdesk']['chunks']:,} chunks ({len(weeks)} weeks, {how}); embedder "
        f"{args.backend or 'default'}; {args.asks} timed asks after {args.warmup} warm-up, "
        f"each side in its own fresh process, extractive answers"
    )
    print()
    print(render_table(figs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
