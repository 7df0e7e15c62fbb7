"""Token-aware sentence chunking with exact character offsets into the cleaned article text."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from index.models import Article, Chunk


@lru_cache(maxsize=1)
def cl100k() -> Callable[[str], list[int]]:
    """tiktoken cl100k_base, offline: llama-index-core bundles it and points TIKTOKEN_CACHE_DIR."""
    from llama_index.core.utils import get_tokenizer

    return get_tokenizer()


class Chunker:
    """Splits articles on sentence boundaries into chunks of at most ``chunk_tokens`` tokens."""

    def __init__(self, chunk_tokens: int, chunk_overlap: int) -> None:
        if chunk_overlap >= chunk_tokens:
            raise ValueError("chunk overlap must be smaller than the chunk size")
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        # LlamaIndex's SentenceSplitter keeps sentences whole and records start/end offsets.
        # Imported here, not at the top: answering a question (which needs embedding_text
        # only) then never loads LlamaIndex.
        from llama_index.core.node_parser import SentenceSplitter

        self._splitter = SentenceSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=chunk_overlap,
            tokenizer=cl100k(),
            paragraph_separator="\n\n",
            include_metadata=False,
            include_prev_next_rel=False,
        )

    def split(self, article: Article) -> list[Chunk]:
        text = article.text
        if not text.strip():
            return []
        from llama_index.core import Document

        nodes = self._splitter.get_nodes_from_documents([Document(text=text, id_=article.id)])
        chunks: list[Chunk] = []
        cursor = 0
        for node in nodes:
            body = node.get_content()
            start = node.start_char_idx
            if start is None or text[start : start + len(body)] != body:
                # The splitter may have normalised whitespace: locate the body after the cursor.
                found = text.find(body, cursor)
                if found < 0:
                    continue  # cannot quote it exactly, so it cannot be cited: skip it
                start = found
            end = start + len(body)
            cursor = start + 1
            chunks.append(
                Chunk(
                    id=f"{article.id}#{len(chunks)}",
                    article_id=article.id,
                    text=body,
                    start=start,
                    end=end,
                    position=len(chunks),
                )
            )
        return chunks


def embedding_text(title: str, chunk_text: str) -> str:
    """What the embedder and BM25 see: the headline gives a mid-article chunk its topic."""
    if title and not chunk_text.startswith(title):
        return f"{title}\n{chunk_text}"
    return chunk_text
