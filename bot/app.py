"""The composition root: settings in, every client and service built once and handed down."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from config.settings import Settings

if TYPE_CHECKING:
    # Imported lazily below: chromadb, LlamaIndex and torch cost seconds, `--help` should not.
    from bot.answer.lexicon import Locale
    from bot.service import Answerer, QAService
    from index.build import IndexBuilder
    from index.chunk import Chunker
    from index.embed import Embedder
    from index.search import Searcher
    from index.store import IndexStore

logger = logging.getLogger(__name__)


def make_locale(settings: Settings) -> Locale:
    """The answerers' locale word lists, from settings."""
    from bot.answer.lexicon import Locale

    return Locale.build(home_country=settings.home_country, framing_words=settings.framing_words)


def make_searcher(
    store: IndexStore,
    embedder: Embedder,
    locale: Locale | None = None,
    *,
    learned: bool = True,
) -> Searcher:
    """The searcher every front end (and the benchmarks) uses: hybrid retrieval told by the
    answerers which chunks hold the kind of answer a who/where question asks for, ranked by
    the committed learned model (``learned=False``, or no model: the hand-set fusion)."""
    from bot.answer.relevance import answer_type_hint
    from index.rank import load_ranker
    from index.search import Searcher

    ranker = load_ranker() if learned else None
    return Searcher(store, embedder, answer_type=answer_type_hint(locale), ranker=ranker)


@dataclass
class App:
    """Lazily built graph of the application's objects (nothing heavy until first used)."""

    settings: Settings
    # Tests (and embedding front ends) may hand in a ready embedder; otherwise one is built.
    embedder_override: Embedder | None = None

    @cached_property
    def store(self) -> IndexStore:
        from index.store import IndexStore

        return IndexStore.from_settings(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        from index.embed import make_embedder

        if self.embedder_override is not None:
            return self.embedder_override
        s = self.settings
        return make_embedder(
            s.embed_model,
            backend=s.embed_backend,
            batch_size=s.embed_batch_size,
            cache_dir=s.model_cache.expanduser() if s.model_cache else None,
            base_url=str(s.llm_base_url) if s.llm_base_url else None,
            api_key=s.llm_api_key.get_secret_value() if s.llm_api_key else None,
            timeout_s=s.llm_timeout_s,
        )

    @cached_property
    def chunker(self) -> Chunker:
        from index.chunk import Chunker

        return Chunker(self.settings.chunk_tokens, self.settings.chunk_overlap)

    @cached_property
    def builder(self) -> IndexBuilder:
        from index.build import IndexBuilder

        return IndexBuilder(
            self.store,
            self.embedder,
            self.chunker,
            max_file_bytes=int(self.settings.max_file_mb * 1024 * 1024),
        )

    @cached_property
    def locale(self) -> Locale:
        return make_locale(self.settings)

    @cached_property
    def searcher(self) -> Searcher:
        return make_searcher(self.store, self.embedder, self.locale)

    @cached_property
    def answerer(self) -> Answerer:
        """Extractive by default; the LLM answerer (falling back to extractive) when configured."""
        from bot.answer.choice import load_choice_model
        from bot.answer.extractive import ExtractiveAnswerer

        # The sentence choice fitted by bench/fit_choice.py (committed package data).
        extractive = ExtractiveAnswerer(locale=self.locale, choice=load_choice_model())
        s = self.settings
        if not (s.llm_base_url and s.llm_model):
            return extractive
        from bot.answer.llm import LLMAnswerer

        return LLMAnswerer(
            base_url=str(s.llm_base_url),
            model=s.llm_model,
            api_key=s.llm_api_key.get_secret_value() if s.llm_api_key else None,
            timeout_s=s.llm_timeout_s,
            fallback=extractive,
        )

    @cached_property
    def qa(self) -> QAService:
        from bot.answer.confidence import load_refusal_model
        from bot.service import QAService

        # The refusal model reads the learned ranker's probabilities, so only with it.
        refusal = load_refusal_model() if self.searcher.ranker is not None else None
        return QAService(self.searcher, self.answerer, top_k=self.settings.top_k, refusal=refusal)
