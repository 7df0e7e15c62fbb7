"""The tune / report protocol of ``../shared/bench`` (its README): which weeks belong to which
half, and each week's articles and questions. Tune on 2023 plus 2024 January-June; report on
2024 July-December; never tune on the report half.

Week indexes are built once per week and chunk configuration under a cache folder, so fitting
and reporting do not re-embed (MiniLM on two cores embeds ~15 chunks a second).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = Path(os.environ.get("NEWSDESK_SHARED_BENCH", REPO.parent / "shared" / "bench"))
DATASETS = ("realtimeqa-2023", "realtimeqa-2024")
REPORT_FROM = "20240701"  # weeks from this date on are the report half
SPLITS = ("tune", "report")


@dataclass(frozen=True)
class Week:
    dataset: str
    name: str  # yyyymmdd

    @property
    def folder(self) -> Path:
        return SHARED_BENCH / self.dataset / self.name

    @property
    def split(self) -> str:
        return "report" if self.name >= REPORT_FROM else "tune"

    def articles_path(self) -> Path:
        return self.folder / "articles.jsonl"

    def questions(self) -> list[dict[str, Any]]:
        return read_jsonl(self.folder / "questions.jsonl")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def available() -> bool:
    return all((SHARED_BENCH / d).is_dir() for d in DATASETS)


def weeks(split: str | None = None, names: list[str] | None = None) -> list[Week]:
    """All weeks of both datasets (optionally one half, or the named ones), oldest first."""
    out: list[Week] = []
    for dataset in DATASETS:
        root = SHARED_BENCH / dataset
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if (folder / "questions.jsonl").is_file():
                week = Week(dataset, folder.name)
                if (split is None or week.split == split) and (not names or week.name in names):
                    out.append(week)
    return out


def build_week_index(
    week: Week, cache_dir: Path, embedder: Any, chunk_tokens: int = 180, chunk_overlap: int = 30
) -> Any:
    """Build (or reuse, incrementally) the week's own index; returns its IndexStore."""
    from index.build import IndexBuilder
    from index.chunk import Chunker
    from index.store import IndexStore

    store = IndexStore(cache_dir / f"{week.name}-c{chunk_tokens}-o{chunk_overlap}")
    builder = IndexBuilder(
        store, embedder, Chunker(chunk_tokens, chunk_overlap), max_file_bytes=200_000_000
    )
    builder.build([week.articles_path()])
    return store
