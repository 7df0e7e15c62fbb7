"""Shared fixtures: a fake embedder that tells texts apart, a real Chroma store in tmp_path, and
the real packaged MiniLM (session-scoped) where ranking matters."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from index.build import IndexBuilder
from index.chunk import Chunker
from index.embed import Embedder
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


def index_records(root: Path, records: list[dict], embedder: Embedder) -> IndexStore:
    """``records`` written as ``root/articles/news.jsonl`` and indexed into ``root/index``."""
    (root / "articles").mkdir()
    (root / "articles" / "news.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records), encoding="utf-8"
    )
    store = IndexStore(root / "index")
    IndexBuilder(store, embedder, Chunker(180, 30), max_file_bytes=10**6).build([root / "articles"])
    return store


@pytest.fixture
def builder(store: IndexStore, hash_embedder: HashEmbedder) -> IndexBuilder:
    return IndexBuilder(store, hash_embedder, Chunker(180, 30), max_file_bytes=5_000_000)


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """ONNX exports of the model go to one folder per test session (never ~/.cache); the
    settings of every in-process CLI run read it from NEWSDESK_MODEL_CACHE."""
    path = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEWSDESK_MODEL_CACHE", str(path))
        yield path


@pytest.fixture(scope="session")
def minilm(model_cache: Path):
    """The real packaged all-MiniLM-L6-v2, the default backend (loaded once per session)."""
    from index.embed import make_embedder

    embedder = make_embedder("all-MiniLM-L6-v2", cache_dir=model_cache)
    embedder.embed(["warm up"])
    return embedder


@dataclass
class ChatDouble:
    """Queued replies out, recorded requests in. A reply is (status, body, delay_s)."""

    replies: list[tuple[int, object, float]] = field(default_factory=list)
    requests: list[dict[str, object]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def enqueue(self, content: str, *, delay_s: float = 0.0) -> None:
        body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
        self.replies.append((200, body, delay_s))

    def enqueue_raw(self, status: int, body: object, *, delay_s: float = 0.0) -> None:
        self.replies.append((status, body, delay_s))


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on a free 127.0.0.1 port in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def chat() -> Iterator[ChatDouble]:
    double = ChatDouble()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            double.requests.append({"path": self.path, **json.loads(self.rfile.read(length))})
            double.headers.append(dict(self.headers))
            status, body, delay = double.replies.pop(0) if double.replies else (500, {}, 0.0)
            time.sleep(delay)
            payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client timed out and hung up; that is the point of the test

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as url:
        double.url = f"{url}/v1"
        yield double
