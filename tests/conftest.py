"""Shared fixtures: a fake embedder that tells texts apart, a real Chroma store in tmp_path, and
the real packaged MiniLM (session-scoped) where ranking matters."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.build import IndexBuilder
from index.chunk import Chunker
from index.store import IndexStore

REPO = Path(__file__).resolve().parents[1]
SEED_DIR = REPO / "data" / "articles"
SHARED_BENCH = REPO.parent / "shared" / "bench"


class HashEmbedder:
    """Bag-of-words hashed into 256 dims: distinct texts get distinct vectors, shared words
    make vectors closer, so ranking assertions mean something (unlike a constant mock)."""

    name = "test-hash-256"
    dim = 256

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
                out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out

    @property
    def embedded(self) -> int:
        return sum(self.calls)


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """A private copy of the five sample articles (tests may edit it)."""
    target = tmp_path / "articles"
    shutil.copytree(SEED_DIR, target)
    return target


@pytest.fixture
def store(tmp_path: Path) -> IndexStore:
    return IndexStore(tmp_path / "index")


@pytest.fixture
def builder(store: IndexStore, hash_embedder: HashEmbedder) -> IndexBuilder:
    return IndexBuilder(store, hash_embedder, Chunker(180, 30), max_file_bytes=5_000_000)


@pytest.fixture(scope="session")
def minilm():
    """The real packaged all-MiniLM-L6-v2 (loaded once per test session)."""
    from index.embed import make_embedder

    embedder = make_embedder("all-MiniLM-L6-v2")
    embedder.embed(["warm up"])
    return embedder
