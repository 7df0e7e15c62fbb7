"""Discord load: N concurrent /ask through the local Discord double, the real bot and index.

Prints answers per second, p50/p95 time to the deferral and to the answer (from the moment the
gateway event is sent), the event loop's worst lag (a 5 ms ticker), and the process's resident
memory. The double runs in the same process and loop as the bot, so its own work is counted
against the bot: the figures are conservative.

Corpus: the five sample articles (default), or one week of RealTime QA with ``--week``
(``../shared/bench/realtimeqa-2023/<week>``, its questions asked in turn; the index is built
once into ``--cache-dir``, ~3 min per week on 2 CPU threads).

    .venv/bin/python bench/discord_load.py [-n 50] [--week 20231013] [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASET = SHARED_BENCH / "realtimeqa-2023"
SEED_QA = REPO / "tests" / "data" / "seed_qa.jsonl"


def memory_mb() -> dict[str, float]:
    """Resident and peak resident memory of this process (Linux /proc)."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def load_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]


async def run_load(app: Any, questions: list[str], n: int, workers: int) -> dict[str, Any]:
    import discord
    import yarl

    from bot.discord.backend import Backend
    from bot.discord.client import BotConfig, NewsdeskBot, prepare_to_serve
    from bot.discord.feedback import FeedbackStore
    from tests.bot.discord.double import BOT_TOKEN, DiscordDouble

    double = DiscordDouble.bind()
    discord.http.Route.BASE = double.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)
    with tempfile.TemporaryDirectory(prefix="newsdesk-load-") as tmp:
        backend = Backend(app, FeedbackStore(Path(tmp) / "feedback.sqlite3"))
        prepare_to_serve(backend)  # as `newsdesk discord` does
        config = BotConfig(cooldown_s=0, max_concurrent_answers=workers)
        async with double.serving():
            bot = NewsdeskBot(backend, config, guild_ready_timeout=0.01)
            task = asyncio.create_task(bot.start(BOT_TOKEN))
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            worst = 0.0
            done = False

            async def ticker() -> None:
                nonlocal worst
                while not done:
                    t = time.perf_counter()
                    await asyncio.sleep(0.005)
                    worst = max(worst, time.perf_counter() - t - 0.005)

            tick = asyncio.create_task(ticker())
            sent: list[float] = []
            inters = []
            start = time.monotonic()
            for i in range(n):
                sent.append(time.monotonic())
                inters.append(
                    await double.command("ask", 10_000 + i, question=questions[i % len(questions)])
                )
            for inter in inters:
                await inter.followups(1, timeout=900)
            end = time.monotonic()
            done = True
            await tick
            await bot.close()
            await asyncio.gather(task, return_exceptions=True)
        deferral = [(i.responses()[0].at - t) * 1000 for i, t in zip(inters, sent, strict=True)]
        answer = [(i.responses()[1].at - t) * 1000 for i, t in zip(inters, sent, strict=True)]
        refused = sum("couldn't find" in i.responses()[1].content for i in inters)
    return {
        "n": n,
        "workers": workers,
        "seconds": round(end - start, 2),
        "answers_per_s": round(n / (end - start), 2),
        "refused": refused,
        "deferral_ms": {
            "p50": round(percentile(deferral, 0.5), 1),
            "p95": round(percentile(deferral, 0.95), 1),
        },
        "answer_ms": {
            "p50": round(percentile(answer, 0.5), 1),
            "p95": round(percentile(answer, 0.95), 1),
            "mean": round(statistics.fmean(answer), 1),
        },
        "worst_loop_lag_ms": round(worst * 1000, 1),
        "memory_mb": memory_mb(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=50, help="concurrent /ask interactions")
    parser.add_argument("--week", help="a RealTime QA 2023 week (default: the sample articles)")
    parser.add_argument("--workers", type=int, default=2, help="answers computed at once")
    parser.add_argument("--cache-dir", type=Path, help="keep the week's index here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING)
    for noisy in ("index", "chromadb", "llama_index", "sentence_transformers", "bm25s", "discord"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from bot.app import App
    from config.settings import load_settings
    from index.embed import make_embedder

    embedder = make_embedder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory(prefix="newsdesk-load-index-") as tmp:
        if args.week:
            week = DATASET / args.week
            if not week.is_dir():
                print(f"no such week: {week}", file=sys.stderr)
                return 1
            root = (args.cache_dir or Path(tmp)) / f"discord-load-{args.week}"
            articles = week / "articles.jsonl"
            questions = load_questions(week / "questions.jsonl")
            corpus = f"RealTime QA week {args.week}"
        else:
            root = Path(tmp)
            articles = root / "articles"
            shutil.copytree(REPO / "data" / "articles", articles)
            questions = load_questions(SEED_QA)
            corpus = "samples (data/articles)"
        app = App(
            load_settings(index_dir=root / "index", articles_dir=articles),
            embedder_override=embedder,
        )
        t0 = time.perf_counter()
        report = app.builder.build([articles])
        build_s = time.perf_counter() - t0
        result = asyncio.run(run_load(app, questions, args.n, args.workers))
    result = {
        "corpus": corpus,
        "articles": report.added + report.updated + report.unchanged,
        "build_s": round(build_s, 1),
        **result,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"corpus: {result['corpus']} ({result['articles']} articles; index ready in {result['build_s']} s)"
    )
    print(
        f"{args.n} concurrent /ask, {args.workers} answer workers: {result['answers_per_s']} answers/s "
        f"({result['seconds']} s, {result['refused']} refusals)"
    )
    d, a = result["deferral_ms"], result["answer_ms"]
    print(f"time to deferral  p50 {d['p50']} ms   p95 {d['p95']} ms")
    print(f"time to answer    p50 {a['p50']} ms   p95 {a['p95']} ms")
    print(f"worst event-loop lag {result['worst_loop_lag_ms']} ms")
    mem = result["memory_mb"]
    print(f"resident memory {mem.get('VmRSS')} MB (peak {mem.get('VmHWM')} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
