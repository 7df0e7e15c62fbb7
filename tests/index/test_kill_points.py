"""kill -9 at seeded random points of a build (issue 13): embedded and server mode, a full
``--rebuild`` and an incremental build. After every kill the index still answers, and the next
(unkilled) build leaves it exactly equal to a clean build of the same corpus: the same articles,
chunk ids, texts and metadata, and a BM25 sidecar over the same chunk ids (compared the way
Chroma's property tests compare state after a reload: everything read back from disk or server
by a fresh process).

Each index operation runs in a fresh process forked from one "zygote" that imported chromadb
and llama-index once (0.1 s per process instead of 3 s), so no process ever reads an index
through a client cache that another process wrote behind its back. The build to kill prints a
line at every write point (each embedded batch, manifest, keyword sidecar, activation); the
test kills it with SIGKILL after a seeded random number of those lines plus a random few
milliseconds, so kills land before, inside and after batches, the sidecar write and the swap.

``POINTS`` kill points per (mode x build kind): 10 each, 40 kills in all, about two minutes on
two cores (server mode is slower: HTTP, and the killed indexer's lease must run out);
``NEWSDESK_KILL_POINTS=N`` runs N per combination instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chroma_helpers import ChromaProcess

REPO = Path(__file__).resolve().parents[2]
# Kill points per build kind (the ten); NEWSDESK_KILL_POINTS=N for a quicker or longer run.
POINTS = dict.fromkeys(("embedded", "server"), int(os.environ.get("NEWSDESK_KILL_POINTS", "10")))
SEED = 1313
ARTICLES = 40
LINE_TIMEOUT_S = 60.0

# Reads one JSON command per line from stdin and runs it in a forked child; the child's output
# lines go to stdout, then the zygote reports "exit <status>" (negative: killed by that signal).
ZYGOTE = r'''
import json, os, shutil, sys, threading, time, traceback
from pathlib import Path

import chromadb
import index.build
from index.build import IndexBuilder
from index.chunk import Chunker
from index.keyword import KeywordIndex
from index.search import Searcher
from index.store import Generation, IndexStore
from tests.conftest import HashEmbedder


def say(*parts):
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def announce_writes():
    """Print a line at every write point of a build, so the parent can kill between them."""
    index.build.EMBED_BATCH_CHUNKS = 2  # many small batches: many write points
    index.build.MANIFEST_SAVE_INTERVAL_S = 0.0  # and a manifest save after each

    def wrap(owner, name):
        original = getattr(owner, name)

        def wrapped(*args, **kwargs):
            say("point", name)
            return original(*args, **kwargs)

        setattr(owner, name, wrapped)

    wrap(HashEmbedder, "embed")
    for name in ("save_manifest", "add_chunks", "delete_articles"):
        wrap(Generation, name)
    for name in ("save_keyword", "activate", "publish", "remove_stale"):
        wrap(IndexStore, name)


def store_of(cmd, lease_s=30.0):
    url = cmd.get("url")
    return IndexStore(Path(cmd["dir"]), url, chroma_timeout_s=10.0, lease_s=lease_s)


def wait_lease(store, limit_s=15.0):
    """Server mode: a killed indexer's lease blocks the next build until it expires."""
    if store._state is None:
        return
    deadline = time.time() + limit_s
    while time.time() < deadline:
        held = store._state.lease()
        if held is None or held.expires < time.time():
            return
        time.sleep(min(0.1, max(0.0, held.expires - time.time()) + 0.01))
    raise TimeoutError("the writer lease did not expire")


def run(cmd):
    op = cmd["op"]
    if op == "reset":
        shutil.rmtree(cmd["dir"], ignore_errors=True)
        if cmd.get("url"):
            host, port = cmd["url"].rsplit(":", 1)
            client = chromadb.HttpClient(
                host="127.0.0.1",
                port=int(port),
                settings=chromadb.Settings(anonymized_telemetry=False),
            )
            for collection in client.list_collections():
                client.delete_collection(getattr(collection, "name", collection))
        return None
    if op == "build":
        if cmd.get("announce"):
            announce_writes()
        store = store_of(cmd, lease_s=cmd.get("lease_s", 30.0))
        wait_lease(store)
        builder = IndexBuilder(store, HashEmbedder(), Chunker(180, 30), max_file_bytes=10**6)
        report = builder.build([Path(cmd["corpus"])], rebuild=cmd["rebuild"])
        return report.to_json()
    if op == "search":
        searcher = Searcher(store_of(cmd), HashEmbedder())
        hits = searcher.search(cmd["query"], k=5)
        return [[hit.article_id, hit.text] for hit in hits]
    if op == "state":
        store = store_of(cmd)
        gen = store.open_current()
        chunks = sorted(
            [p.chunk_id, p.article_id, p.text, p.title, p.path, p.url, str(p.published),
             p.publisher, p.start, p.end]
            for p in gen.iter_all_passages()
        )
        keyword = KeywordIndex.load(gen.bm25_dir)
        return {
            "chunks": chunks,
            "count": gen.count(),
            "articles": {k: v.model_dump(mode="json") for k, v in gen.manifest.articles.items()},
            "settings": [gen.manifest.embed_model, gen.manifest.chunk_tokens,
                         gen.manifest.chunk_overlap, gen.manifest.bm25_stale],
            "bm25": sorted(keyword.chunk_ids),
        }
    raise ValueError(op)


def warm_up():
    """Load what a build imports lazily (nltk's sentence splitter, bm25s: 2 s a process) once
    here, without opening any Chroma client, so the forked processes start warm and fork-safe."""
    import tempfile

    import tqdm

    tqdm.tqdm.monitor_interval = 0  # no monitor thread (bm25s shows bars): fork-safe

    from index.models import Passage
    from index.sources import load_paths

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "warm.txt"
        path.write_text("Warm up\n\n" + "One sentence here. Another one. " * 80, "utf-8")
        for article in load_paths([path]).articles:
            Chunker(180, 30).split(article)
    KeywordIndex.build([Passage(chunk_id="a", article_id="a", title="t", text="warm up words",
                                score=0.0, path="p")])
    assert threading.active_count() == 1, threading.enumerate()  # fork-safe


warm_up()
for line in sys.stdin:
    cmd = json.loads(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            say("pid", os.getpid())
            say("result", json.dumps(run(cmd)))
        except BaseException:
            say("error", json.dumps(traceback.format_exc()))
            code = 1
        sys.stdout.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    say("exit", -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
'''


class Zygote:
    """The parent's side of the zygote: send a command, read its lines with a timeout each."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            cwd=str(REPO),
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.child: int | None = None
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _line(self) -> str:
        try:
            line = self.lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"no output from the index process in {LINE_TIMEOUT_S} s")
        if line is None:
            pytest.fail("the zygote process died")
        return line

    def send(self, **cmd: object) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        first = self._line()
        assert first.startswith("pid "), first
        self.child = int(first.split()[1])
        return self.child

    def finish(self) -> tuple[int, object]:
        """Read to the child's end: (exit status, its result or None)."""
        result: object = None
        while True:
            kind, _, rest = self._line().partition(" ")
            if kind == "result":
                result = json.loads(rest)
            elif kind == "error":
                pytest.fail("index process failed:\n" + json.loads(rest))
            elif kind == "exit":
                self.child = None
                return int(rest), result

    def call(self, **cmd: object) -> object:
        self.send(**cmd)
        status, result = self.finish()
        assert status == 0
        return result

    def kill_after(self, points: int, delay_s: float, **cmd: object) -> tuple[int, int]:
        """Run a build, SIGKILL it after its ``points``-th write point and ``delay_s``.
        Returns (write points seen, exit status)."""
        pid = self.send(**cmd)
        seen = 0
        while True:
            kind, _, rest = self._line().partition(" ")
            if kind == "point":
                seen += 1
                if seen == points:
                    time.sleep(delay_s)
                    os.kill(pid, signal.SIGKILL)
                    status, _ = self.finish()
                    return seen, status
            elif kind == "error":
                pytest.fail("index process failed:\n" + json.loads(rest))
            elif kind == "exit":  # finished before the chosen point (should not happen)
                self.child = None
                return seen, int(rest)

    def close(self) -> None:
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, signal.SIGKILL)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _article(i: int, edited: bool = False) -> str:
    body = (
        f"Harbour report {i}. The council of town{i} met on Monday about the ferry number {i}. "
        f"Residents of town{i} asked for a later ferry and a new pier. "
    ) * (2 + i % 4)
    if edited:
        body += f"Update: the pier of town{i} will open in spring, the council said. " * 3
    return f"Town{i} harbour news\n\n{body}"


def write_corpus(folder: Path, final: bool) -> None:
    """First half (the previous index), or the final corpus: the second half added, five
    articles of the first half edited and one removed."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    half = ARTICLES // 2
    for i in range(ARTICLES if final else half):
        if final and i == 7:
            continue  # removed
        edited = final and i in {1, 4, 9, 12, 18}
        (folder / f"{i:03d}_town.txt").write_text(_article(i, edited), encoding="utf-8")


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    z = Zygote()
    try:
        yield z
    finally:
        z.close()


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaProcess]:
    server = ChromaProcess(tmp_path_factory.mktemp("chroma-kill"))
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def clean(zygote: Zygote, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The corpus folder every run uses (paths are metadata) and a clean build's state of it."""
    base = tmp_path_factory.mktemp("kill-points")
    corpus = base / "corpus"
    write_corpus(corpus, final=True)
    index_dir = base / "clean-index"
    zygote.call(op="build", dir=str(index_dir), corpus=str(corpus), rebuild=False)
    state = zygote.call(op="state", dir=str(index_dir))
    assert isinstance(state, dict)
    assert len(state["articles"]) == ARTICLES - 1 and state["count"] == len(state["chunks"])
    return corpus, state


@pytest.mark.slow  # forks ~100 index processes and kills 20 builds with SIGKILL
@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["full", "incremental"])
@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_build_killed_at_random_points_still_answers_and_the_next_build_equals_a_clean_one(
    mode: str,
    kind: str,
    zygote: Zygote,
    clean: tuple[Path, dict],
    request: pytest.FixtureRequest,
    tmp_path: Path,
):
    corpus, reference = clean
    url = request.getfixturevalue("chroma").url if mode == "server" else None
    index_dir = str(tmp_path / "index")
    where = {"dir": index_dir, "url": url}
    rebuild = kind == "full"
    rng = random.Random(f"{SEED}-{mode}-{kind}")

    def fresh_previous_index() -> None:
        zygote.call(op="reset", **where)
        write_corpus(corpus, final=False)
        zygote.call(op="build", corpus=str(corpus), rebuild=False, **where)
        write_corpus(corpus, final=True)

    # How many write points an unkilled build of this kind passes (the range to kill in).
    fresh_previous_index()
    zygote.send(op="build", corpus=str(corpus), rebuild=rebuild, announce=True, **where)
    total = 0
    while True:
        kind_, _, rest = zygote._line().partition(" ")
        total += kind_ == "point"
        if kind_ == "exit":
            assert rest == "0"
            break
    assert total > 50, total

    killed = []
    for run in range(POINTS[mode]):
        # A killed --rebuild starts from an index of the first half, or (every other run, to
        # save time) from the complete index the last run's retry left.
        if not rebuild or run % 2 == 0:
            fresh_previous_index()
        point = rng.randint(1, total)
        delay = rng.uniform(0.0, 0.01)
        seen, status = zygote.kill_after(
            point,
            delay,
            op="build",
            corpus=str(corpus),
            rebuild=rebuild,
            announce=True,
            lease_s=0.6,  # a killed indexer's lease runs out quickly
            **where,
        )
        assert seen == point, (seen, point, status)
        killed.append((point, status))

        # The index answers: the previous one, or whatever the killed build made live.
        hits = zygote.call(op="search", query="town3 ferry pier council", **where)
        assert isinstance(hits, list) and hits, (point, status)
        assert any(article_id.startswith("003") for article_id, _ in hits), hits

        # The next build (a retry of the same command; after a killed --rebuild sometimes a
        # plain incremental build) leaves exactly what a clean build makes.
        retry = rebuild and rng.random() < 0.7
        zygote.call(op="build", corpus=str(corpus), rebuild=retry, **where)
        state = zygote.call(op="state", **where)
        assert isinstance(state, dict)
        context = f"{mode} {kind}: killed after write point {point}/{total} (status {status})"
        assert state["articles"] == reference["articles"], context
        assert state["chunks"] == reference["chunks"], context
        assert state["count"] == reference["count"], context
        assert state["bm25"] == reference["bm25"] == sorted(c[0] for c in state["chunks"]), context
        assert state["settings"] == reference["settings"], context
    # Nearly every run was really killed (-9); report which points were hit.
    assert sum(status == -signal.SIGKILL for _, status in killed) >= len(killed) - 1, killed
    print(f"{mode} {kind}: {total} write points, killed at {sorted(p for p, _ in killed)}")
