"""Index build speed against LlamaIndex, measured side by side in the same run (issue 14).

On the same articles (the first ``--weeks`` weeks of RealTime QA 2023, each article once, ids
prefixed with their week; ``--weeks 13`` is all 2,299 articles, ~20,000 chunks) this times:

* **full build throughput**, article tokens per second over the whole pipeline (load, clean,
  chunk, embed, store): newsdesk's ``IndexBuilder`` into a fresh index, against LlamaIndex
  ``VectorStoreIndex.from_documents`` (its JSONL read into ``Document``s, ``SentenceSplitter``
  with the same chunk size and overlap, the same packaged MiniLM through
  ``HuggingFaceEmbedding(model_name=<packaged path>)``, a Chroma ``PersistentClient`` in a
  temporary folder). Target ≥ 1.5×.
* **embedding efficiency**: the pipeline's throughput over the embedder's own on the very same
  chunk texts (the same embedder object, all texts in one call). Target ≥ 90%.
* **no-change re-index** time over the full build time. Target ≤ 1%.
* **one changed article** among all: one article's text edited in the copy of the JSONL, then an
  incremental build. Target ≤ 2 s.

Both models are loaded and run once before any timing (not counted). Article tokens are cl100k
tokens of each article's title and text as loaded, counted once for both sides. The LlamaIndex
side gets the headline as ``title`` metadata (embedded with each chunk, as newsdesk embeds
``title + chunk``; url/date/id are kept but excluded from the embedded text) and
``HuggingFaceEmbedding``'s default batch of 10 (``--llama-batch-size``).

    .venv/bin/python bench/build_speed.py                     # 2 weeks (~350 articles)
    .venv/bin/python bench/build_speed.py --weeks 13          # all 2,299 articles
    .venv/bin/python bench/build_speed.py --weeks 1 --articles 40 --json   # a quick look
    .venv/bin/python bench/build_speed.py --backend onnx-int8  # make_embedder(..., backend=)

The corpus is copied to a temporary folder (never into the repository); the evaluation data
is ``$NEWSDESK_SHARED_BENCH/realtimeqa-2023`` (default ``../shared/bench``).
"""

from __future__ import annotations

import argparse
import json
import os
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

from bench.speedlib import (  # noqa: E402 - after the sys.path line above
    DATASET,
    Figure,
    article_tokens,
    backend_label,
    choose_weeks,
    machine,
    machine_line,
    make_bench_embedder,
    quiet_logs,
    read_records,
    render_table,
    write_jsonl,
)

BUILD_TARGET = 1.5  # × LlamaIndex, article tokens per second
EFFICIENCY_TARGET = 0.90  # pipeline / embedder alone
NOCHANGE_TARGET = 0.01  # × the full build time
ONE_CHANGE_TARGET_S = 2.0


class TimedEmbedder:
    """Passes calls through to an embedder and adds up the seconds spent inside ``embed``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0
        self.texts = 0

    def __getattr__(self, attr: str) -> Any:  # anything else the builder may ask of an embedder
        return getattr(self.inner, attr)

    def embed(self, texts: Sequence[str]) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - t0
            self.texts += len(texts)


def newsdesk_side(corpus: Path, work: Path, embedder: Any, tokens: int, chunking: tuple[int, int]):
    """Full build, embed-alone on the same chunk texts, no-change build, one changed article."""
    from index.build import IndexBuilder
    from index.chunk import Chunker, embedding_text
    from index.sources import load_paths
    from index.store import IndexStore

    timed = TimedEmbedder(embedder)
    builder = IndexBuilder(
        IndexStore(work / "newsdesk-index"),
        timed,
        Chunker(*chunking),
        max_file_bytes=2_000_000_000,
    )
    t0 = time.perf_counter()
    full = builder.build([corpus])
    full_s = time.perf_counter() - t0
    embed_in_build_s = timed.seconds

    # The very same chunk texts the build embedded (loaded and chunked again, untimed).
    chunker = Chunker(*chunking)
    loaded = load_paths([corpus], max_bytes=2_000_000_000)
    t0 = time.perf_counter()
    texts = [embedding_text(a.title, c.text) for a in loaded.articles for c in chunker.split(a)]
    chunk_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder.embed(texts)
    alone_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    again = builder.build([corpus])
    nochange_s = time.perf_counter() - t0

    lines = corpus.read_text(encoding="utf-8").splitlines()
    middle = len(lines) // 2
    record = json.loads(lines[middle])
    record["text"] = record.get("text", "") + "\n\nCorrection: an earlier version misstated a date."
    lines[middle] = json.dumps(record, ensure_ascii=False)
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    t0 = time.perf_counter()
    changed = builder.build([corpus])
    one_change_s = time.perf_counter() - t0
    return {
        "articles": full.added + full.updated + full.unchanged,
        "failed": len(full.failed),
        "chunks": full.chunks,
        "embedded_chunks": full.embedded_chunks,
        "full_s": full_s,
        "tokens_per_s": tokens / full_s,
        "chunks_per_s": full.embedded_chunks / full_s,
        "embed_in_build_s": embed_in_build_s,
        "chunk_texts": len(texts),
        "chunking_alone_s": chunk_s,
        "embed_alone_s": alone_s,
        "embed_alone_chunks_per_s": len(texts) / alone_s,
        "nochange_s": nochange_s,
        "nochange_embedded": again.embedded_chunks,
        "one_change_s": one_change_s,
        "one_change_updated": changed.updated,
        "one_change_embedded": changed.embedded_chunks,
    }


def load_llama_embedder(batch_size: int | None) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from index.embed import packaged_minilm_path

    kwargs: dict[str, Any] = {"model_name": packaged_minilm_path(), "device": "cpu"}
    if batch_size:
        kwargs["embed_batch_size"] = batch_size
    model = HuggingFaceEmbedding(**kwargs)
    model.get_text_embedding("warm up")
    return model


def llamaindex_side(corpus: Path, work: Path, embed_model: Any, tokens: int, chunking: tuple):
    """What a LlamaIndex user runs: read the JSONL, ``from_documents`` into Chroma."""
    import chromadb
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    t0 = time.perf_counter()
    documents = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            hidden = ["article_id", "url", "published"]
            documents.append(
                Document(
                    text=r.get("text", ""),
                    id_=r["id"],
                    metadata={
                        "title": r.get("title", ""),
                        "article_id": r["id"],
                        "url": r.get("url") or "",
                        "published": r.get("published") or r.get("date") or "",
                    },
                    excluded_embed_metadata_keys=hidden,
                    excluded_llm_metadata_keys=hidden,
                )
            )
    client = chromadb.PersistentClient(path=str(work / "llamaindex-chroma"))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("bench"))
    VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=embed_model,
        transformations=[SentenceSplitter(chunk_size=chunking[0], chunk_overlap=chunking[1])],
        show_progress=False,
    )
    seconds = time.perf_counter() - t0
    chunks = store._collection.count()
    return {
        "articles": len(documents),
        "chunks": chunks,
        "full_s": seconds,
        "tokens_per_s": tokens / seconds,
        "chunks_per_s": chunks / seconds,
        "embed_batch_size": embed_model.embed_batch_size,
    }


def figures(nd: dict[str, Any], li: dict[str, Any] | None) -> list[Figure]:
    out = []
    if li is not None:
        out += [
            Figure(
                "full build throughput",
                nd["tokens_per_s"],
                "tok/s",
                li["tokens_per_s"],
                "LlamaIndex",
                at_least=BUILD_TARGET,
                note="article tokens per second, load+clean+chunk+embed+store",
            ),
            Figure("full build chunks/s (context)", nd["chunks_per_s"], "chunk/s",
                   li["chunks_per_s"], "LlamaIndex"),
            Figure("full build time (context)", nd["full_s"], "s", li["full_s"], "LlamaIndex"),
        ]  # fmt: skip
    out += [
        Figure(
            "embedding efficiency",
            nd["chunks_per_s"],
            "chunk/s",
            nd["embed_alone_chunks_per_s"],
            "embedder alone",
            at_least=EFFICIENCY_TARGET,
            note="the same chunk texts through the same embedder object, one call",
        ),
        Figure(
            "no-change re-index",
            nd["nochange_s"],
            "s",
            nd["full_s"],
            "full build",
            at_most=NOCHANGE_TARGET,
        ),
        Figure(
            "one changed article among all",
            nd["one_change_s"],
            "s",
            nd["full_s"],
            "full build",
            at_most=ONE_CHANGE_TARGET_S,
            on_value=True,
            note=f"{nd['one_change_updated']} article updated, "
            f"{nd['one_change_embedded']} chunks embedded",
        ),
    ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    defaults = tomllib.loads((REPO / "config" / "defaults.toml").read_text(encoding="utf-8"))
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weeks", type=int, default=2, help="the first N weeks (13: all)")
    parser.add_argument("--week-list", help="comma-separated weeks instead of --weeks")
    parser.add_argument("--articles", type=int, help="at most N articles (a quick look)")
    parser.add_argument("--backend", help="passed to make_embedder(backend=...) when given")
    parser.add_argument("--chunk-tokens", type=int, default=int(defaults["chunk_tokens"]))
    parser.add_argument("--chunk-overlap", type=int, default=int(defaults["chunk_overlap"]))
    parser.add_argument(
        "--llama-batch-size", type=int, help="HuggingFaceEmbedding batch (default: its own, 10)"
    )
    parser.add_argument("--no-llamaindex", action="store_true", help="newsdesk figures only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    weeks = choose_weeks(args.weeks, args.week_list)
    if not weeks:
        print(f"no evaluation data at {DATASET}: nothing to measure", file=sys.stderr)
        return 0
    quiet_logs()
    host = machine()
    records = read_records(weeks, args.articles)
    tokens = article_tokens(records)
    chunking = (args.chunk_tokens, args.chunk_overlap)

    t0 = time.perf_counter()
    embedder = make_bench_embedder(args.backend)
    embedder.embed(["warm up"])
    nd_load_s = time.perf_counter() - t0
    li_embed, li_load_s = None, None
    if not args.no_llamaindex:
        t0 = time.perf_counter()
        li_embed = load_llama_embedder(args.llama_batch_size)
        li_load_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="newsdesk-build-speed-") as tmp:
        work = Path(tmp)
        # Each side reads its own copy: the newsdesk side edits one article in its copy.
        nd_corpus = write_jsonl(records, work / "newsdesk-articles" / "articles.jsonl")
        li_corpus = write_jsonl(records, work / "llamaindex-articles" / "articles.jsonl")
        nd = newsdesk_side(nd_corpus, work, embedder, tokens, chunking)
        li = None
        if li_embed is not None:
            li = llamaindex_side(li_corpus, work, li_embed, tokens, chunking)

    figs = figures(nd, li)
    result = {
        "machine": host,
        "weeks": weeks,
        "articles": len(records),
        "article_tokens": tokens,
        "chunking": list(chunking),
        "backend": backend_label(args.backend, embedder),
        "model_load_s": {"newsdesk": round(nd_load_s, 2), "llamaindex": li_load_s},
        "newsdesk": {k: round(v, 4) if isinstance(v, float) else v for k, v in nd.items()},
        "llamaindex": li and {k: round(v, 4) if isinstance(v, float) else v for k, v in li.items()},
        "figures": [f.to_json() for f in figs],
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(machine_line(host))
    print(
        f"corpus: {len(records)} articles of RealTime QA 2023 ({weeks[0]}..{weeks[-1]}, "
        f"{len(weeks)} weeks), {tokens:,} article tokens; chunks {chunking[0]}/{chunking[1]}"
    )
    loads = f"newsdesk {nd_load_s:.1f} s"
    if li_load_s is not None:
        loads += f", LlamaIndex HuggingFaceEmbedding {li_load_s:.1f} s"
    print(f"embedder: {result['backend']}; models loaded and warmed up before timing ({loads})")
    line = (
        f"newsdesk: {nd['articles']} articles, {nd['chunks']} chunks in {nd['full_s']:.1f} s "
        f"(embedding {nd['embed_in_build_s']:.1f} s of it; chunking alone {nd['chunking_alone_s']:.1f} s)"
    )
    print(line)
    if li is not None:
        print(
            f"LlamaIndex: {li['articles']} documents, {li['chunks']} chunks in {li['full_s']:.1f} s "
            f"(embed batch {li['embed_batch_size']})"
        )
    print()
    print(render_table(figs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
