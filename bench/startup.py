"""Start-up time of the `newsdesk` command, each run in a fresh process (issue 14).

Measures the wall time of `newsdesk --help`, `newsdesk index stats` and a cold
`newsdesk ask QUESTION` (new process, warm disk: the index of the five sample articles in
``data/articles``, built once into a temporary folder with the packaged MiniLM), each the median
of N runs, next to `python -c pass` measured in the same run as the baseline. Then reports which
heavy modules (torch, chromadb, LlamaIndex, sentence-transformers) each command imports.

    .venv/bin/python bench/startup.py [--runs 5] [--ask-runs 3] [--question "..."] [--json]

Every command runs as ``python -c "from bot.cli import main; main()" ARGS`` with this checkout
on PYTHONPATH: the same work the installed ``newsdesk`` script does, without depending on which
checkout the venv's script points at. LLM settings are cleared, so `ask` is extractive.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from bot.cli import main; main()"]
HEAVY = ("torch", "chromadb", "llama_index", "sentence_transformers", "transformers")
QUESTION = "What did Kim Jong Un vow to Russia?"

# Target wall time in seconds from issue 14 (None: no target, shown for context).
TARGETS = {"--help": 0.5, "index stats": None, "ask (cold)": 3.0}

# Imports the command in-process, runs it, and at exit writes which heavy modules got loaded.
PROBE = """
import atexit, json, os, sys
def _dump():
    heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(os.environ["ND_HEAVY"])))
    with open(os.environ["ND_PROBE_OUT"], "w") as fh:
        json.dump(heavy, fh)
atexit.register(_dump)
from bot.cli import main
main()
"""


def _env(index_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NEWSDESK_LLM") and k != "PYTHONPATH"
    }
    env["PYTHONPATH"] = str(REPO)
    env["NEWSDESK_INDEX_DIR"] = str(index_dir)
    env["NEWSDESK_ARTICLES_DIR"] = str(REPO / "data" / "articles")
    return env


def _run(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:]) or cmd}: exit {proc.returncode}\n{proc.stderr}")
    return seconds


def median_time(cmd: Sequence[str], runs: int, env: dict[str, str], cwd: Path) -> list[float]:
    return [_run(cmd, env, cwd) for _ in range(runs)]


def heavy_imports(args: Sequence[str], env: dict[str, str], cwd: Path) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    try:
        probe_env = {**env, "ND_PROBE_OUT": str(out), "ND_HEAVY": json.dumps(HEAVY)}
        _run([sys.executable, "-c", PROBE, *args], probe_env, cwd)
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each quick command")
    parser.add_argument("--ask-runs", type=int, default=3, help="runs of the cold ask")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="newsdesk-startup-") as tmp:
        cwd = Path(tmp)  # no .env from the checkout: the defaults and the variables above
        env = _env(cwd / "index")
        t0 = time.perf_counter()
        _run([*CLI, "index", "build", str(REPO / "data" / "articles")], env, cwd)
        build_s = time.perf_counter() - t0

        commands = {
            "--help": ["--help"],
            "index stats": ["index", "stats"],
            "ask (cold)": ["ask", args.question],
        }
        baseline = median_time([sys.executable, "-c", "pass"], args.runs, env, cwd)
        rows = []
        for name, cli_args in commands.items():
            runs = args.ask_runs if name.startswith("ask") else args.runs
            times = median_time([*CLI, *cli_args], runs, env, cwd)
            rows.append(
                {
                    "command": f"newsdesk {' '.join(cli_args)}",
                    "name": name,
                    "runs": runs,
                    "median_s": round(statistics.median(times), 3),
                    "min_s": round(min(times), 3),
                    "target_s": TARGETS[name],
                    "heavy_imports": heavy_imports(cli_args, env, cwd),
                }
            )
    base_s = statistics.median(baseline)
    for row in rows:
        row["ratio_to_python"] = round(row["median_s"] / base_s, 1) if base_s else None
        target = row["target_s"]
        row["meets_target"] = None if target is None else row["median_s"] <= target

    if args.json:
        print(
            json.dumps(
                {
                    "python_pass_s": round(base_s, 3),
                    "index_build_s": round(build_s, 2),
                    "cpus": os.cpu_count(),
                    "results": rows,
                }
            )
        )
        return 0
    print(
        f"fresh process per run, median; baseline `python -c pass` = {base_s:.3f} s "
        f"(median of {args.runs}); {os.cpu_count()} CPUs; sample index built in {build_s:.1f} s\n"
    )
    header = (
        f"{'command':14s}{'runs':>5s}{'median s':>10s}{'min s':>8s}{'python s':>10s}"
        f"{'ratio':>8s}{'target s':>10s}{'met':>5s}  heavy imports"
    )
    print(header)
    print("-" * (len(header) + 20))
    for r in rows:
        target = "-" if r["target_s"] is None else f"{r['target_s']:.1f}"
        met = "-" if r["meets_target"] is None else ("yes" if r["meets_target"] else "NO")
        print(
            f"{r['name']:14s}{r['runs']:5d}{r['median_s']:10.3f}{r['min_s']:8.3f}{base_s:10.3f}"
            f"{r['ratio_to_python']:7.1f}x{target:>10s}{met:>5s}  "
            f"{', '.join(r['heavy_imports']) or 'none'}"
        )
    print(f'\nask question: "{args.question}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
