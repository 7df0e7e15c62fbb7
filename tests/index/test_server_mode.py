"""Server mode across machines, against real `chroma run` servers on 127.0.0.1: one indexer and
two readers, each with its own client and its own local folder (standing for three machines),
share one server. Readers follow finished builds without a restart; one indexer at a time holds
the lease; the server killed and restarted mid-run costs one clear line, not the reader."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from config.settings import load_settings
from index.build import IndexBuilder
from index.chunk import Chunker
from index.errors import IndexLocked, IndexMissing, ServerUnavailable
from index.models import Passage
from index.search import Searcher
from index.server_state import ServerLease
from index.store import IndexStore
from tests.chroma_helpers import ChromaProcess
from tests.cli_helpers import run_cli
from tests.conftest import HashEmbedder

UNIQUE = "Quokkaville harbour council approved the zeppelin ferry on Tuesday."


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaProcess]:
    chroma = ChromaProcess(tmp_path_factory.mktemp("chroma-shared"))
    chroma.start()
    try:
        yield chroma
    finally:
        chroma.kill()


def _machine(tmp_path: Path, name: str, url: str, **kwargs: float) -> IndexStore:
    """A store with its own client and local folder, as on another machine."""
    return IndexStore(tmp_path / name, url, chroma_timeout_s=2.0, **kwargs)


def _indexer(store: IndexStore, embedder: object) -> IndexBuilder:
    return IndexBuilder(store, embedder, Chunker(180, 30), max_file_bytes=10**6)  # type: ignore[arg-type]


@pytest.mark.timeout(120)
def test_two_readers_follow_builds_without_restart(
    server: ChromaProcess, tmp_path: Path, seed_dir: Path, hash_embedder
):
    indexer = _indexer(_machine(tmp_path, "indexer", server.url), hash_embedder)
    indexer.build([seed_dir])
    readers = [
        Searcher(_machine(tmp_path, name, server.url), hash_embedder) for name in ("r1", "r2")
    ]
    for reader in readers:
        assert reader.search("artillery ammunition ballistic missiles", k=3)
        # Nothing was copied between "machines": the manifest and the pointer came from the
        # server, the keyword cache was rebuilt from the server's chunks.
        local = reader.store.index_dir
        assert not (local / "CURRENT").exists()
        assert not list(local.glob("gen-*/manifest.json"))
        assert [p.name for p in local.glob("gen-*/bm25")] and reader.store.current_name()

    # An incremental build on the indexer: each reader's next question sees it, keyword side
    # included (the new word exists only in the new article).
    (seed_dir / "900_quokkaville.txt").write_text(
        "Zeppelin ferry for Quokkaville\n\n" + UNIQUE * 3, encoding="utf-8"
    )
    before = readers[0].generation().manifest.built_at
    assert indexer.build([seed_dir]).added == 1
    for reader in readers:
        hits = reader.search("Quokkaville zeppelin", k=3)
        assert any("Quokkaville" in hit.text for hit in hits)
        assert reader._keyword is not None
        assert len(reader._keyword) == reader.generation().manifest.chunk_count
        assert reader._keyword.search("quokkaville", 5)
    assert readers[0].generation().manifest.built_at != before

    # A no-change build does not make every reader rebuild its cache.
    stamp = readers[0].store.live_stamp()
    indexer.build([seed_dir])
    assert readers[0].store.live_stamp() == stamp

    # A --rebuild swaps generations: readers follow, and drop their old cache.
    old = readers[0].generation().name
    (seed_dir / "900_quokkaville.txt").unlink()
    indexer.build([seed_dir], rebuild=True)
    for reader in readers:
        gen = reader.generation()
        assert gen.name != old
        assert "Quokkaville" not in " ".join(p.text for p in reader.search("Quokkaville", k=5))
        assert [p.name for p in reader.store.index_dir.glob("gen-*")] == [gen.name]

    # A reader still holding a generation that the build after next dropped: one clear line
    # (its next question reloads; it never gets here through Searcher.search).
    held = readers[0].generation()
    indexer.build([seed_dir], rebuild=True)
    indexer.build([seed_dir])
    with pytest.raises(IndexMissing, match=r"was replaced on the Chroma server .* ask again"):
        held.count()
    assert readers[0].search("artillery ammunition", k=3)


@pytest.mark.timeout(120)
def test_second_indexer_refused_while_the_lease_is_held_and_proceeds_after_it_expires(
    server: ChromaProcess, tmp_path: Path, seed_dir: Path, hash_embedder, capsys
):
    first = _machine(tmp_path, "indexer-a", server.url, lease_s=1.5)
    lease = first.writer_lock()
    assert isinstance(lease, ServerLease)

    # A second indexer elsewhere, through the CLI: one line naming the holder and the expiry.
    settings = load_settings(
        index_dir=tmp_path / "indexer-b",
        articles_dir=seed_dir,
        chroma_url=server.url,
        chroma_timeout_s=2.0,
    )
    nd = App(settings, embedder_override=hash_embedder)
    time.sleep(2.0)  # longer than the lease: only the renewal thread keeps it held
    result = run_cli(capsys, "index", "build", str(seed_dir), app=nd)
    assert result.code == 1
    [line] = [x for x in result.err.splitlines() if x.strip()]
    assert lease.info.holder in line and "until" in line and "UTC" in line
    assert "Traceback" not in result.err
    assert nd.store.current_name() is None  # the refused build wrote nothing
    health = run_cli(capsys, "health", "--json", app=nd)
    [check] = [c for c in health.json()["checks"] if c["name"] == "writer lease"]
    assert check["detail"].startswith(f"held by {lease.info.holder} until")

    # The holder crashes: no more renewals, no release. Its lease runs out and the next
    # indexer takes over (with a warning naming the crashed holder).
    lease._stop.set()
    lease._thread.join(timeout=5)
    second = _indexer(_machine(tmp_path, "indexer-c", server.url, lease_s=1.5), hash_embedder)
    with pytest.raises(IndexLocked):
        second.build([seed_dir])
    time.sleep(1.6)
    warnings = Recorder()
    logging.getLogger("index.server_state").addHandler(warnings)
    try:
        assert second.build([seed_dir]).added == 5
    finally:
        logging.getLogger("index.server_state").removeHandler(warnings)
    assert any(lease.info.holder in line and "expired" in line for line in warnings.lines)
    # Released at the end of the build: the next indexer needs no wait.
    assert run_cli(capsys, "index", "build", str(seed_dir), app=nd).code == 0
    # The crashed holder, were it to wake up, cannot renew what it lost.
    assert not lease.state.renew(lease.info, 1.5)


class Recorder(logging.Handler):
    """Records messages whatever logging the CLI configured (it may not propagate)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class KillingEmbedder:
    """Embeds like the hashing fake, but kills the server on its first call: a build that
    loses the server half way."""

    def __init__(self, inner: object, chroma: ChromaProcess) -> None:
        self.inner = inner
        self.chroma = chroma
        self.name = inner.name  # type: ignore[attr-defined]

    def embed(self, texts: list[str]) -> object:
        self.chroma.kill()
        return self.inner.embed(texts)  # type: ignore[attr-defined]


@pytest.mark.timeout(150)
def test_server_killed_and_restarted_mid_run(
    server: ChromaProcess, tmp_path: Path, seed_dir: Path, hash_embedder, capsys
):
    _indexer(_machine(tmp_path, "indexer", server.url), hash_embedder).build([seed_dir])
    settings = load_settings(
        index_dir=tmp_path / "reader",
        articles_dir=seed_dir,
        chroma_url=server.url,
        chroma_timeout_s=2.0,
    )
    reader = App(settings, embedder_override=hash_embedder)  # one process, never restarted
    ok = run_cli(capsys, "search", "artillery ammunition", "--json", app=reader)
    assert ok.code == 0 and ok.json()["passages"]
    live = reader.store.current_name()

    # A --rebuild loses the server half way: one line, and nothing half-built goes live.
    rebuild = _indexer(
        _machine(tmp_path, "indexer", server.url, lease_s=1.5),
        KillingEmbedder(hash_embedder, server),
    )
    with pytest.raises(ServerUnavailable, match=f"NEWSDESK_CHROMA_URL={server.url}"):
        rebuild.build([seed_dir], rebuild=True)

    # While the server is down the reader answers one clear line, exit 1, within seconds.
    for args in (["search", "ballistic missiles"], ["ask", "Who met in Pyongyang?"]):
        started = time.monotonic()
        down = run_cli(capsys, *args, app=reader)
        assert time.monotonic() - started < 15
        assert down.code == 1 and down.out == ""
        lines = [x for x in down.err.splitlines() if x.strip()]
        assert len(lines) == 1, down.err
        line = lines[0]
        assert f"NEWSDESK_CHROMA_URL={server.url}" in line

    server.start()
    again = run_cli(capsys, "search", "artillery ammunition", "--json", app=reader)
    assert again.code == 0, again.err
    assert again.json()["passages"] == ok.json()["passages"]
    assert reader.store.current_name() == live  # the killed rebuild never became live

    # The rebuild that lost the server could not release its lease; once it has expired the
    # next build proceeds and leaves no trace of the half-built generation.
    retry = _machine(tmp_path, "indexer", server.url, lease_s=1.5)
    assert retry._state is not None
    stuck = retry._state.lease()
    assert stuck is not None and stuck.holder.endswith(f":{os.getpid()}")
    time.sleep(max(0.0, stuck.expires - time.time()) + 0.1)
    assert _indexer(retry, hash_embedder).build([seed_dir]).unchanged == 5
    client = retry._client_for(retry.index_dir)
    assert {c.name for c in client.list_collections()} == {"newsdesk_meta", f"newsdesk-{live}"}
    meta = client.get_collection("newsdesk_meta").get(include=[])
    assert sorted(meta["ids"]) == ["live", f"manifest:{live}"]


class Questions:
    """Questions handed out to reader threads in rounds, so that a test decides when they are
    asked: some while a build is half way (see ``GatedEmbedder``)."""

    def __init__(self) -> None:
        self._permits = threading.Semaphore(0)
        self._done = threading.Condition()
        self.answered = 0

    def release(self, n: int) -> None:
        """Let ``n`` more questions be asked and wait until they are answered."""
        with self._done:
            target = self.answered + n
            for _ in range(n):
                self._permits.release()
            assert self._done.wait_for(lambda: self.answered >= target, timeout=90)

    def take(self) -> bool:
        return self._permits.acquire(timeout=90)

    def finished_one(self) -> None:
        with self._done:
            self.answered += 1
            self._done.notify_all()


class GatedEmbedder:
    """The indexer's embedder: before embedding (the build half way, its chunks not yet
    written) it lets ``during`` questions be asked and answered."""

    def __init__(self, inner: HashEmbedder, questions: Questions) -> None:
        self.inner = inner
        self.name = inner.name
        self.questions = questions
        self.during = 0

    def embed(self, texts: list[str]) -> object:
        if self.during:
            self.questions.release(self.during)
        return self.inner.embed(texts)


@pytest.mark.timeout(180)
def test_twenty_concurrent_questions_during_builds_answer_from_a_live_index(
    server: ChromaProcess, tmp_path: Path, seed_dir: Path, hash_embedder
):
    """Four readers (two per "machine", sharing its cache folder) ask 20 questions: before,
    during and after an incremental build that changes an article, a --rebuild and a build
    that adds one. Every question is answered, and every quoted chunk is one that a live
    generation held (old or new): nothing half-built is ever read."""
    questions = Questions()
    embedder = GatedEmbedder(hash_embedder, questions)
    indexer_store = _machine(tmp_path, "indexer", server.url)
    indexer = _indexer(indexer_store, embedder)
    indexer.build([seed_dir])
    known: dict[str, set[str]] = {}

    def snapshot() -> None:
        for passage in indexer_store.open_current().iter_all_passages():
            known.setdefault(passage.chunk_id, set()).add(passage.text)

    snapshot()
    asked = [
        "artillery ammunition ballistic missiles",
        "Kim Jong Un support for Russia",
        "North Korean troops Kursk region",
        "Quokkaville zeppelin ferry",
        "military cooperation United States South Korea Japan",
    ]
    answered: list[list[Passage]] = []
    errors: list[BaseException] = []

    def reader(folder: str) -> None:
        searcher = Searcher(_machine(tmp_path, folder, server.url), HashEmbedder())
        for question in asked:
            if not questions.take():
                return
            try:
                answered.append(list(searcher.search(question, k=3)))
            except BaseException as exc:  # reported below with the others
                errors.append(exc)
            finally:
                questions.finished_one()

    threads = [
        threading.Thread(target=reader, args=(folder,), daemon=True)
        for folder in ("m1", "m1", "m2", "m2")
    ]
    for thread in threads:
        thread.start()
    questions.release(4)
    embedder.during = 4
    edited = next(seed_dir.glob("001_*.txt"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nA late correction.", "utf-8")
    indexer.build([seed_dir])
    snapshot()
    embedder.during = 8
    indexer.build([seed_dir], rebuild=True)
    embedder.during = 0
    (seed_dir / "900_quokkaville.txt").write_text("Quokkaville\n\n" + UNIQUE * 3, "utf-8")
    indexer.build([seed_dir])
    snapshot()
    questions.release(4)
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(answered) == 20 and all(answered)
    for passages in answered:
        for passage in passages:
            for cid in passage.chunk_id.split("+"):
                assert cid in known
                assert any(text in passage.text for text in known[cid])


INDEXER_SCRIPT = """
import sys, time
from pathlib import Path
import index.build
from index.build import IndexBuilder
from index.chunk import Chunker
from index.store import IndexStore
from tests.conftest import HashEmbedder

index.build.EMBED_BATCH_CHUNKS = 2  # many small batches: a kill lands between two of them
index.build.MANIFEST_SAVE_INTERVAL_S = 0.0  # each batch's progress is saved: resumable


class Slow(HashEmbedder):
    def embed(self, texts):
        print("batch", flush=True)
        time.sleep(0.4)
        return super().embed(texts)


# Long enough that the test sees the dead indexer's lease still held on a loaded machine.
store = IndexStore(Path(sys.argv[1]), sys.argv[2], lease_s=6.0)
IndexBuilder(store, Slow(), Chunker(180, 30), max_file_bytes=10**6).build([Path(sys.argv[3])])
"""


def _state_of(store: IndexStore) -> tuple[set[tuple[object, ...]], dict[str, object]]:
    gen = store.open_current()
    chunks = {
        (p.chunk_id, p.text, p.title, p.path, p.url, p.published, p.publisher, p.start, p.end)
        for p in gen.iter_all_passages()
    }
    return chunks, {k: v.model_dump() for k, v in gen.manifest.articles.items()}


@pytest.mark.slow  # a real indexer subprocess, killed -9
@pytest.mark.timeout(180)
def test_indexer_killed_mid_build_its_lease_expires_and_the_next_build_equals_a_clean_one(
    server: ChromaProcess, tmp_path: Path, seed_dir: Path, hash_embedder
):
    _indexer(_machine(tmp_path, "indexer", server.url), hash_embedder).build([seed_dir])
    reader = Searcher(_machine(tmp_path, "reader", server.url), hash_embedder)
    assert reader.search("artillery ammunition", k=3)
    for i in range(6):
        (seed_dir / f"8{i:02d}_new.txt").write_text(
            f"Ferry report {i}\n\n" + UNIQUE * (4 + i), encoding="utf-8"
        )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            INDEXER_SCRIPT,
            str(tmp_path / "indexer-2"),
            server.url,
            str(seed_dir),
        ],
        cwd=str(Path(__file__).resolve().parents[2]),
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        # Embedding runs one batch ahead of writing: the third batch starts only once the first
        # is written (and its progress saved), so kill -9 then, with the second in flight.
        for _ in range(3):
            assert proc.stdout.readline().strip() == "batch"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)

    # The reader still answers; the dead indexer's lease blocks the next one until it expires.
    assert reader.search("artillery ammunition", k=3)
    store = _machine(tmp_path, "indexer", server.url, lease_s=2.0)
    with pytest.raises(IndexLocked, match=f":{proc.pid}\\) holds the writer lease"):
        _indexer(store, hash_embedder).build([seed_dir])
    assert store._state is not None
    dead = store._state.lease()
    assert dead is not None
    time.sleep(max(0.0, dead.expires - time.time()) + 0.1)
    report = _indexer(store, hash_embedder).build([seed_dir])
    assert report.added + report.unchanged == 11 and report.added < 6  # resumed, not redone

    # Exactly what a clean build of the same folder holds (a local one, for independence).
    clean = IndexStore(tmp_path / "clean")
    _indexer(clean, hash_embedder).build([seed_dir])
    assert _state_of(store) == _state_of(clean)
    hits = reader.search("Quokkaville zeppelin", k=3)  # the reader follows without restart
    assert any("Quokkaville" in hit.text for hit in hits)
