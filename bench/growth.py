"""How cost grows with the archive (issue 14): build time, warm-ask p50/p95 and serving memory at
1×, 2×, 4× and 8× a base corpus, log-log slopes, and an estimate for 1 million articles.

The base is the first ``--base-weeks`` weeks of RealTime QA 2023 (default one week, 168
articles), optionally cut to ``--base-articles``; scale s repeats it s times as distinct
articles (copies get new ids and a marker in title and text, so hashes differ too). At each
scale, into a fresh index: the full build (``IndexBuilder``, model loaded once before any
timing; the seconds inside the embedder are counted apart from the rest of the pipeline), a
no-change re-index, the index size on disk, then ``bench/serve_speed.py``'s two fresh processes
(newsdesk's QA service and a plain dense top-10 over the same collection, which is each
scale's baseline for latency and memory).

For each figure: the log-log exponent over the scales (~1 linear, ~0 flat), and two estimates
at 1 million articles: the power law from the largest measured point, and a straight line
(fixed part + per-article part), which is the honest one for figures with a large fixed part
(memory: the model and libraries).

    .venv/bin/python bench/growth.py                          # 168 .. 1,344 articles (long)
    .venv/bin/python bench/growth.py --base-articles 20       # 20 .. 160 articles, minutes
    .venv/bin/python bench/growth.py --scales 1,2,4 --asks 50 --json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.build_speed import TimedEmbedder  # noqa: E402 - after the sys.path line above
from bench.serve_speed import measure_serving  # noqa: E402
from bench.speedlib import (  # noqa: E402
    DATASET,
    PowerFit,
    choose_weeks,
    extrapolate,
    fit_power,
    fmt,
    machine,
    machine_line,
    make_bench_embedder,
    quiet_logs,
    read_questions,
    read_records,
    repeat_records,
    write_jsonl,
)

MILLION = 1_000_000

# (key in a scale's row, label, unit); the parts first, then the totals.
SERIES = [
    ("build_s", "full build", "s"),
    ("embed_s", "  embedding (in the build)", "s"),
    ("rest_s", "  rest of the build (load, clean, chunk, store, BM25, manifest)", "s"),
    ("nochange_s", "no-change re-index", "s"),
    ("ask_p50_ms", "warm ask p50", "ms"),
    ("ask_p95_ms", "warm ask p95", "ms"),
    ("retrieve_p50_ms", "  retrieve p50", "ms"),
    ("answer_p50_ms", "  answer p50", "ms"),
    ("dense_p50_ms", "plain dense top-10 p50 (baseline)", "ms"),
    ("rss_mib", "serving RSS", "MiB"),
    ("rss_data_mib", "  RSS above the loaded model", "MiB"),
    ("dense_rss_data_mib", "  dense-only process above its model (Chroma's share)", "MiB"),
    ("index_mib", "index on disk", "MiB"),
]


def chunking() -> tuple[int, int]:
    """newsdesk's default chunk size and overlap (config/defaults.toml)."""
    defaults = tomllib.loads((REPO / "config" / "defaults.toml").read_text(encoding="utf-8"))
    return int(defaults["chunk_tokens"]), int(defaults["chunk_overlap"])


def dir_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float] | None:
    """(intercept, slope) of the least-squares line; None under 2 distinct xs."""
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - slope * mx, slope


def analyse(rows: list[dict[str, Any]], target: float = MILLION) -> list[dict[str, Any]]:
    """Per series: exponent, growth kind, power-law and straight-line estimates at ``target``."""
    xs = [float(r["articles"]) for r in rows]
    out = []
    for key, label, unit in SERIES:
        ys = [float(r[key]) for r in rows if r.get(key) is not None]
        if len(ys) != len(xs):
            continue
        fit: PowerFit | None = fit_power(xs, ys)
        line = linear_fit(xs, ys)
        out.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "values": [round(y, 3) for y in ys],
                "exponent": None if fit is None else round(fit.exponent, 3),
                "kind": None if fit is None else fit.kind,
                "at_target_power": extrapolate(xs, ys, target),
                # A line with a negative slope (noise on a flat figure) estimates nothing.
                "at_target_linear": None
                if line is None or line[1] <= 0
                else line[0] + line[1] * target,
                "per_article": None if line is None else line[1],
            }
        )
    return out


def fastest(analysis: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any] | None:
    parts = [a for a in analysis if a["key"] in keys and a["exponent"] is not None]
    return max(parts, key=lambda a: a["exponent"]) if parts else None


def measure_scale(
    scale: int,
    base: list[dict[str, Any]],
    work: Path,
    embedder: Any,
    questions: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    from index.build import IndexBuilder
    from index.chunk import Chunker
    from index.store import IndexStore

    records = repeat_records(base, scale)
    folder = work / f"x{scale}"
    corpus = write_jsonl(records, folder / "articles" / "articles.jsonl")
    index_dir = folder / "index"
    timed = TimedEmbedder(embedder)
    builder = IndexBuilder(
        IndexStore(index_dir), timed, Chunker(*chunking()), max_file_bytes=2_000_000_000
    )
    t0 = time.perf_counter()
    report = builder.build([corpus])
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    builder.build([corpus])
    nochange_s = time.perf_counter() - t0
    index_mib = dir_mib(index_dir)
    serving = measure_serving(
        index_dir, questions, warmup=args.warmup, asks=args.asks, backend=args.backend
    )
    nd, dense = serving["newsdesk"], serving["dense"]
    if not args.keep:
        shutil.rmtree(folder)
    return {
        "scale": scale,
        "articles": len(records),
        "chunks": report.chunks,
        "build_s": build_s,
        "embed_s": timed.seconds,
        "rest_s": build_s - timed.seconds,
        "nochange_s": nochange_s,
        "ask_p50_ms": nd["ask_ms"]["p50"],
        "ask_p95_ms": nd["ask_ms"]["p95"],
        "retrieve_p50_ms": nd["retrieve_ms"]["p50"],
        "answer_p50_ms": nd["answer_ms"]["p50"],
        "dense_p50_ms": dense["ask_ms"]["p50"],
        "rss_mib": nd["rss_mib"],
        "rss_data_mib": max(nd["rss_mib"] - nd["rss_after_model_mib"], 0.1),
        "dense_rss_data_mib": max(dense["rss_mib"] - dense["rss_after_model_mib"], 0.1),
        "index_mib": index_mib,
    }


def print_report(result: dict[str, Any]) -> None:
    rows, analysis = result["rows"], result["analysis"]
    print(machine_line(result["machine"]))
    print(
        f"base: {result['base_articles']} articles ({', '.join(result['weeks'])}); embedder "
        f"{result['backend']}; model loaded before timing; {result['asks']} timed asks per scale"
    )
    print()
    head = ["figure", *[f"{r['scale']}x ({r['articles']:,} art.)" for r in rows]]
    head += ["exponent", "growth", "1M (power)", "1M (line)"]
    table = [head]
    for a in analysis:
        table.append(
            [
                a["label"],
                *[fmt(v, a["unit"]) for v in a["values"]],
                "-" if a["exponent"] is None else f"{a['exponent']:.2f}",
                a["kind"] or "-",
                fmt(a["at_target_power"], a["unit"]),
                fmt(a["at_target_linear"], a["unit"]),
            ]
        )
    table.append(["chunks", *[f"{r['chunks']:,}" for r in rows], "", "", "", ""])
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for i, row in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for what, part in result["fastest"].items():
        if part:
            print(
                f"grows fastest ({what}): {part['label'].strip()} (exponent {part['exponent']:.2f})"
            )
    est = result["million"]
    print(
        f"\n1 million articles at this base's {est['chunks_per_article']:.1f} chunks per article "
        f"(the 13-week corpus: ~16) ≈ {est['chunks']:,.0f} chunks: build ≈ {est['build_h']:.1f} h at "
        f"this machine's rate; vectors alone ≈ {est['vectors_gib']:.1f} GiB (float32, 384-d) "
        "plus Chroma's HNSW graph — see the README's Performance section for the server case"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-weeks", type=int, default=1, help="the first N weeks as the base")
    parser.add_argument("--week-list", help="comma-separated weeks instead of --base-weeks")
    parser.add_argument("--base-articles", type=int, help="cut the base to N articles")
    parser.add_argument("--scales", default="1,2,4,8")
    parser.add_argument("--asks", type=int, default=50, help="timed questions per scale")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--backend", help="passed to make_embedder(backend=...) when given")
    parser.add_argument("--keep", action="store_true", help="keep each scale's index (disk)")
    parser.add_argument("--work-dir", type=Path, help="where the indexes go (default: tmp)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    weeks = choose_weeks(args.base_weeks, args.week_list)
    if not weeks:
        print(f"no evaluation data at {DATASET}: nothing to measure", file=sys.stderr)
        return 0
    quiet_logs()
    host = machine()
    base = read_records(weeks, args.base_articles)
    questions = read_questions(weeks)
    scales = [int(s) for s in args.scales.split(",")]
    embedder = make_bench_embedder(args.backend)
    embedder.embed(["warm up"])
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-growth-", dir=args.work_dir) as tmp:
        for scale in scales:
            rows.append(measure_scale(scale, base, Path(tmp), embedder, questions, args))
            if not args.json:
                r = rows[-1]
                print(
                    f"  {scale}x: {r['articles']} articles, {r['chunks']} chunks, build "
                    f"{r['build_s']:.1f} s, ask p50 {r['ask_p50_ms']:.1f} ms, "
                    f"RSS {r['rss_mib']:.0f} MiB",
                    file=sys.stderr,
                )
    analysis = analyse(rows)
    chunks_per_article = rows[-1]["chunks"] / rows[-1]["articles"]
    build_line = next(a for a in analysis if a["key"] == "build_s")
    result = {
        "machine": host,
        "weeks": weeks,
        "base_articles": len(base),
        "backend": args.backend or "default",
        "asks": args.asks,
        "rows": [
            {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in rows
        ],
        "analysis": analysis,
        "fastest": {
            "build": fastest(analysis, ["embed_s", "rest_s"]),
            "ask": fastest(analysis, ["retrieve_p50_ms", "answer_p50_ms"]),
            "all": fastest(analysis, [k for k, _, _ in SERIES]),
        },
        "million": {
            "chunks_per_article": chunks_per_article,
            "chunks": chunks_per_article * MILLION,
            "build_h": (build_line["at_target_linear"] or 0) / 3600,
            "vectors_gib": chunks_per_article * MILLION * 384 * 4 / 2**30,
        },
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
