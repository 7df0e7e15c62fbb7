"""The question-answering service every front end calls: retrieve, then answer, with timings."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Protocol

from bot.answer.confidence import RefusalModel
from bot.answer.models import Answer
from bot.answer.recency import recency_notice
from index.models import Passage, SearchFilters
from index.search import Searcher

logger = logging.getLogger(__name__)


class Answerer(Protocol):
    """Turns a question and ranked passages into an Answer whose citations are verified."""

    def answer(
        self, question: str, passages: Sequence[Passage], *, told: Collection[str] = ()
    ) -> Answer:
        """``told``: sentences already given in this conversation, not to be repeated."""
        ...


class QAService:
    """Glue between retrieval and an answerer; blocking (callers off the event loop use a thread)."""

    def __init__(
        self,
        searcher: Searcher,
        answerer: Answerer,
        *,
        top_k: int = 10,
        refusal: RefusalModel | None = None,
    ) -> None:
        self.searcher = searcher
        self.answerer = answerer
        self.top_k = top_k
        # Reads the learned ranker's probabilities: only given with a learned searcher.
        self.refusal = refusal

    def search(
        self, query: str, *, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[Passage]:
        return self.searcher.search(query, k or self.top_k, filters)

    def context(
        self, query: str, *, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[Passage]:
        """The passages an answerer reads: only the chunks the ranking earned. A search result
        also shows its article's next-best chunk, but to an answerer that is one more place
        for an off-topic sentence to outscore the ranked ones (measured: bench/README.md)."""
        return self.searcher.search(query, k or self.top_k, filters, min_chunks=1)

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
        retrieval_query: str | None = None,
        told: Collection[str] = (),
        about: str | None = None,
    ) -> Answer:
        """Answer ``question``; ``retrieval_query`` (a follow-up rewritten with context) may
        differ; ``told`` are sentences the person was already given (a "tell me more");
        ``about`` is the article a follow-up names ("more on [2]"): found among the passages,
        it is the one answered from."""
        t0 = time.perf_counter()
        passages = self.context(retrieval_query or question, k=k, filters=filters)
        named = [p for p in passages if p.article_id == about] if about else []
        passages = named or passages
        t1 = time.perf_counter()
        # A rewritten follow-up ("tell me more about [2]" -> that passage's topic) is what the
        # answerer must look for too; the person's own words stay on the Answer.
        query = retrieval_query or question
        # The refusal model judges whether the archive answers a new question; asked for more
        # about what the conversation already cited (``told``), the answerer's gate decides.
        if self.refusal is not None and not told and self.refusal.refuses(query, passages):
            # The passages are on-topic noise (another year, a preview): say so rather than
            # quote them with confidence.
            answer = Answer.refusal(question, passages)
        else:
            answer = self.answerer.answer(query, passages, told=told)
        t2 = time.perf_counter()
        cited = [c.passage for c in answer.citations]
        notice = recency_notice(question, passages, cited=cited)
        notices = [*answer.notices, notice] if notice else list(answer.notices)
        timings = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}
        return replace(answer, question=question, notices=notices, timings_ms=timings)
