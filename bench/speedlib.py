"""Shared pieces of the speed benchmarks (issue 14): the figures table, power-law fits of growth,
percentiles, resident memory from /proc, the machine description, the embedder factory call and
the RealTime QA corpus preparation. Pure helpers are tested in tests/bench/test_speedlib.py."""

from __future__ import annotations

import inspect
import json
import math
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASET = SHARED_BENCH / "realtimeqa-2023"
PACKAGED_MODEL = "all-MiniLM-L6-v2"
NOISY_LOGGERS = (
    "index",
    "bot",
    "chromadb",
    "llama_index",
    "sentence_transformers",
    "transformers",
    "bm25s",
    "httpx",
)


# -- the figures table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One row: a figure measured for newsdesk, its baseline measured in the same run, the ratio
    measured / baseline, and the target. ``at_least``/``at_most`` bound the ratio (or, with
    ``on_value``, the measured value itself); a figure without either is context only."""

    name: str
    measured: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    at_least: float | None = None
    at_most: float | None = None
    on_value: bool = False  # the target bounds ``measured`` (in ``unit``), not the ratio
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.measured / self.baseline

    @property
    def target(self) -> str:
        if self.at_least is None and self.at_most is None:
            return "-"
        sign, bound = (">=", self.at_least) if self.at_least is not None else ("<=", self.at_most)
        if self.on_value:
            return f"{sign} {fmt(bound, self.unit)}"
        return f"{sign} {_fmt_ratio(bound)}"

    @property
    def met(self) -> bool | None:
        value = self.measured if self.on_value else self.ratio
        if value is None or (self.at_least is None and self.at_most is None):
            return None
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        out["target"] = self.target
        out["met"] = self.met
        return out


def fmt(value: float | None, unit: str = "") -> str:
    """A number for people: three significant figures or thousands separators, then the unit."""
    if value is None:
        return "-"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def _fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.1:
        return f"{value * 100:.2f}%"
    return f"{value:.2f}x"


def render_table(figures: Sequence[Figure]) -> str:
    """figure | measured | baseline (same run) | ratio | target | met, as aligned text."""
    header = ["figure", "measured", "baseline (same run)", "ratio", "target", "met"]
    rows = [
        [
            f.name,
            fmt(f.measured, f.unit),
            f"{fmt(f.baseline, f.unit)} {f.baseline_name}".strip() if f.baseline else "-",
            _fmt_ratio(f.ratio),
            f.target,
            {None: "-", True: "yes", False: "NO"}[f.met],
        ]
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    notes = [f"  {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["notes:", *notes] if notes else []))


# -- growth --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerFit:
    """``y ≈ coefficient · x ** exponent``, fitted by least squares on log-log points."""

    exponent: float
    coefficient: float
    points: int

    def at(self, x: float) -> float:
        return self.coefficient * x**self.exponent

    @property
    def kind(self) -> str:
        return growth_kind(self.exponent)


def fit_power(xs: Sequence[float], ys: Sequence[float]) -> PowerFit | None:
    """Log-log least squares over the points with both coordinates > 0; None under 2 points or
    when all xs are equal."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return PowerFit(slope, math.exp(my - slope * mx), len(pts))


def growth_kind(exponent: float) -> str:
    """Words for a log-log slope: ~0 flat, ~1 linear, in between sub-linear (log-like)."""
    if exponent < 0.15:
        return "flat"
    if exponent < 0.8:
        return "sub-linear"
    if exponent <= 1.2:
        return "linear"
    return "super-linear"


def extrapolate(xs: Sequence[float], ys: Sequence[float], x: float) -> float | None:
    """The power-law fit's value at ``x``, anchored at the largest measured point (the fit's slope
    from there), so a curve bent at small scale does not move the estimate's level."""
    fit = fit_power(xs, ys)
    if fit is None:
        return None
    last_x, last_y = max(((a, b) for a, b in zip(xs, ys, strict=True) if a > 0 and b > 0))
    return last_y * (x / last_x) ** fit.exponent


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile, p in [0, 1]."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


# -- the process and the machine -------------------------------------------------------------


def memory_mib(pid: int | str = "self") -> dict[str, float]:
    """Resident (VmRSS) and peak resident (VmHWM) memory in MiB, from /proc (Linux)."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


# The vector instructions that decide the embedder's speed: int8 weights run ~1.6x faster than
# fp32 only with a dot-product instruction for bytes (VNNI); on AVX2 alone both run at the
# speed of fp32 multiply-adds (bench/README.md, "Speed").
VECTOR_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def vector_extensions(cpuinfo: str) -> list[str]:
    """The :data:`VECTOR_FLAGS` the first CPU of a /proc/cpuinfo text has, in that order."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return [flag for flag in VECTOR_FLAGS if flag in flags]
    return []


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    extensions = vector_extensions(cpuinfo)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "vector_extensions": extensions,
        "loadavg_1m": round(load[0], 2),
    }


def machine_line(info: dict[str, Any]) -> str:
    extensions = info.get("vector_extensions")
    vector = f" ({' '.join(extensions) or 'no AVX2'})" if extensions is not None else ""
    return (
        f"machine: {info['nproc']} CPUs, {info['cpu']}{vector}, "
        f"load average {info['loadavg_1m']} at start"
    )


def make_bench_embedder(backend: str | None, model: str = PACKAGED_MODEL) -> Any:
    """newsdesk's embedder as the app builds it: ``index.embed.make_embedder(model)``, with
    ``backend=`` passed through only when given (the keyword arrives with the ONNX backends)."""
    from index.embed import make_embedder

    if backend is None:
        return make_embedder(model)
    if "backend" not in inspect.signature(make_embedder).parameters:
        raise SystemExit(f"--backend {backend}: this index.embed.make_embedder has no backend=")
    return make_embedder(model, backend=backend)


def backend_label(backend: str | None, embedder: Any) -> str:
    """What embedded: the backend asked for, else the embedder's class (today torch)."""
    kind = type(embedder).__name__
    if backend:
        return f"{backend} ({kind})"
    if kind == "SentenceTransformerEmbedder":
        return f"default ({kind}: torch)"
    return f"default ({kind})"


def quiet_logs() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    # bm25s sets its own logger to DEBUG when imported: filter at the handler as well.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


# -- the corpus ------------------------------------------------------------------------------


def available_weeks() -> list[str]:
    if not DATASET.is_dir():
        return []
    return sorted(p.name for p in DATASET.iterdir() if (p / "articles.jsonl").is_file())


def choose_weeks(n: int | None, listed: str | None) -> list[str]:
    """``--week-list a,b`` as given, else the first ``n`` weeks in date order."""
    weeks = available_weeks()
    if listed:
        wanted = [w.strip() for w in listed.split(",") if w.strip()]
        missing = [w for w in wanted if w not in weeks]
        if missing:
            raise SystemExit(f"no such week under {DATASET}: {', '.join(missing)}")
        return wanted
    return weeks[: n or len(weeks)]


def read_records(weeks: Iterable[str], limit: int | None = None) -> list[dict[str, Any]]:
    """The weeks' articles, ids prefixed with the week: an article repeated in two weeks' files
    (122 of the 2,299) stays two articles, so all 13 weeks are 2,299 distinct articles."""
    records: list[dict[str, Any]] = []
    for week in weeks:
        with (DATASET / week / "articles.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                record = json.loads(line)
                record["id"] = f"{week}-{record['id']}"
                records.append(record)
                if limit is not None and len(records) >= limit:
                    return records
    return records


def read_questions(weeks: Iterable[str]) -> list[str]:
    out: list[str] = []
    for week in weeks:
        path = DATASET / week / "questions.jsonl"
        if path.is_file():
            out += [json.loads(x)["question"] for x in path.read_text().splitlines() if x.strip()]
    return out


def repeat_records(records: Sequence[dict[str, Any]], times: int) -> list[dict[str, Any]]:
    """``times`` copies of the corpus as distinct articles: copy i > 0 gets new ids and a marker
    in title and text (so content hashes differ too)."""
    out = [dict(r) for r in records]
    for i in range(1, times):
        for r in records:
            copy = dict(r)
            copy["id"] = f"{r['id']}~{i}"
            copy["title"] = f"{r.get('title', '')} ({i})"
            copy["text"] = f"{r.get('text', '')}\n\n(copy {i})"
            out.append(copy)
    return out


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def article_tokens(records: Iterable[dict[str, Any]]) -> int:
    """cl100k tokens of each article's title and text as loaded (before cleaning)."""
    from index.chunk import cl100k

    encode = cl100k()
    return sum(len(encode(f"{r.get('title', '')}\n\n{r.get('text', '')}")) for r in records)
