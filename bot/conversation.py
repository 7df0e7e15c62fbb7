"""Conversation memory: turns, stable citation numbers, and follow-up rewriting.

One ``Conversation`` per REPL session or Discord thread. It does no I/O and calls no model, so
every front end can reuse it and tests can drive it with canned answers.

Stable numbers: each answer arrives numbered ``[1]..[m]`` locally. A person who read "[2]" in
the first answer and asks "tell me more about [2]" three turns later means *that* source, so
the conversation keeps a registry keyed by article: an article keeps the number it was first
shown with (search hands over one passage per article, stitched from the chunks that matched,
so a later question may quote other lines of it under the same number), and a new article
takes the next free number. "[n]" in a follow-up means the passage first shown as ``[n]``.

Follow-ups: retrieval needs a self-contained query, but people ask "and what did Shoigu say?"
or "how many did they send?". Without an LLM the rewrite stays simple and predictable: a
question that leans on context (a pronoun, a continuation opener, or too few words of its own)
gets the previous turn's key terms appended; a question citing ``[n]`` gets that passage's
title and opening sentence. Asked for more ("tell me more about [2]", "what else?"), the
answerer is also given what the conversation has already said, so it brings new lines.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from bot.answer.lexicon import lexicon
from bot.answer.markers import MARKER, group_numbers, renumber, strip_markers
from bot.answer.models import Answer, Citation
from bot.answer.names import name_terms
from bot.answer.sentences import split_sentences
from bot.answer.terms import content_terms, words
from index.models import Passage

logger = logging.getLogger(__name__)

# "[2]" or "[1, 2]" (the citation marker), and the looser forms people type: "#2", "source 2".
_REFERENCE = re.compile(
    MARKER.pattern + r"|#(\d+)\b|\b(?:source|article|passage)\s+(\d+)\b", re.IGNORECASE
)
# Openers that only make sense as a continuation of the previous question.
_CONTINUATION = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|what else|anything else|more on|"
    r"same for)\b",
    re.IGNORECASE,
)
# Pronouns pointing back at something named earlier ("him", "they", "these troops"). Not
# "that"/"this"/"there": in questions they are mostly conjunctions or "this year", "is there".
_ANAPHORA = frozenset(
    [
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "they",
        "them",
        "their",
        "theirs",
        "it",
        "its",
        "these",
        "those",
        "former",
        "latter",
    ]
)
# Words that ask for more about a referenced passage and carry no topic of their own.
_FILLER = re.compile(
    r"\b(tell|me|more|about|on|expand|elaborate|explain|details?|what|else|does|do|did|"
    r"say|says|said|please|the|in|of|from)\b",
    re.IGNORECASE,
)
# Asking for more of what was already shown: the answer must bring news, not the same lines.
_MORE = re.compile(
    r"\b(tell me more|more (?:on|about)|what else|anything else|elaborate|expand on|"
    r"more details?|go on)\b",
    re.IGNORECASE,
)
# A question with fewer content terms than this has too little of its own to retrieve with.
MIN_OWN_TERMS = 2
MAX_CONTEXT_TERMS = 8
MAX_KEY_WORDS = 40


@dataclass(frozen=True)
class Turn:
    """One exchange: what was asked, the query retrieval used, and the (renumbered) answer."""

    question: str
    query: str
    answer: Answer


def _referenced_numbers(question: str) -> list[int]:
    out: list[int] = []
    for match in _REFERENCE.finditer(question):
        marker, hashed, named = match.groups()
        out.extend(group_numbers(marker) if marker else [int(hashed or named)])
    return out


def key_text(passage: Passage, max_words: int = MAX_KEY_WORDS) -> str:
    """Title plus opening sentence: what the passage is about, short enough to embed well."""
    sentences = split_sentences(passage.text)
    opening = sentences[0] if sentences else passage.text
    clipped = " ".join(opening.split()[:max_words])
    return f"{passage.title.rstrip('. ')}. {clipped}" if passage.title else clipped


def key_terms(text: str) -> list[str]:
    """Content words of ``text`` in their original form (for the embedder), stopwords dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for word in words(text):
        low = word.lower()
        if word[0].isdigit() and len(word) < 4:
            continue  # "3" is noise out of context; a year or "14,000" is not
        if low in lexicon().stopwords or low in _ANAPHORA or len(low) < 2 or low in seen:
            continue
        seen.add(low)
        out.append(word)
    return out


def leans_on_context(question: str) -> bool:
    """Whether ``question`` cannot be searched alone: a pronoun, a continuation, or ellipsis."""
    if _CONTINUATION.search(question):
        return True
    tokens = {w.lower() for w in words(question)}
    if tokens & _ANAPHORA:
        return True
    # Ellipsis ("why?", "who won?"): too little of its own, unless it names something new.
    return len(set(content_terms(question))) < MIN_OWN_TERMS and not name_terms(question)


class Conversation:
    """Turns plus the citation registry that keeps ``[n]`` meaning one passage all along."""

    def __init__(self) -> None:
        self._turns: list[Turn] = []
        self._by_article: dict[str, int] = {}  # article_id -> stable number
        self._by_number: dict[int, Citation] = {}  # stable number -> first citation shown

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    def sources(self) -> list[Citation]:
        """Everything cited so far, by stable number."""
        return [self._by_number[n] for n in sorted(self._by_number)]

    def referenced_passage(self, question: str) -> Passage | None:
        """The passage behind the first known ``[n]`` the question mentions ("more on [2]")."""
        for n in _referenced_numbers(question):
            citation = self._by_number.get(n)
            if citation is not None:
                return citation.passage
        return None

    def referenced_article(self, question: str) -> str | None:
        """The article behind the first known ``[n]`` the question mentions, if any."""
        passage = self.referenced_passage(question)
        return passage.article_id if passage is not None else None

    def unknown_references(self, question: str) -> list[int]:
        """Numbers the question mentions that no answer has shown (worth telling the user)."""
        return [n for n in _referenced_numbers(question) if n not in self._by_number]

    def told(self, question: str) -> list[str]:
        """The sentences already given, when ``question`` asks for more ("tell me more about
        [2]", "what else?"); otherwise none -- asked again, the best answer is the same one."""
        if not _MORE.search(question):
            return []
        out: list[str] = []
        for turn in self._turns:
            if turn.answer.refused:
                continue
            bare = strip_markers(turn.answer.text)
            out.extend(s.strip() for s in split_sentences(bare) if s.strip())
        return out

    def retrieval_query(self, question: str) -> str:
        """The query to search with: ``question`` made self-contained using the conversation."""
        passage = self.referenced_passage(question)
        if passage is not None:
            rest = _FILLER.sub(" ", _REFERENCE.sub(" ", question))
            rest = " ".join(rest.replace("?", " ").split())
            query = f"{rest} {key_text(passage)}".strip()
            logger.debug("reference rewrite: %r -> %r", question, query)
            return query
        if not self._turns or not leans_on_context(question):
            return question
        own = {w.lower() for w in words(question)}
        context = [t for t in key_terms(self._turns[-1].query) if t.lower() not in own]
        if not context:
            return question
        query = f"{question.strip()} {' '.join(context[:MAX_CONTEXT_TERMS])}"
        logger.debug("follow-up rewrite: %r -> %r", question, query)
        return query

    def record(self, question: str, answer: Answer) -> Answer:
        """Store the turn; return ``answer`` with markers and citations in stable numbers.

        The query is worked out before the registry changes, so it equals what
        :meth:`retrieval_query` gave the caller for this question; the next follow-up then
        builds on the effective query, not on a bare "what about him?".
        """
        query = self.retrieval_query(question)
        numbering = {c.n: self._register(c) for c in answer.citations}
        stable = self._renumber(answer, numbering)
        self._turns.append(Turn(question, query, stable))
        return stable

    def _register(self, citation: Citation) -> int:
        article_id = citation.passage.article_id
        if article_id not in self._by_article:
            n = max(self._by_number, default=0) + 1
            self._by_article[article_id] = n
            self._by_number[n] = Citation(n, citation.passage)
        return self._by_article[article_id]

    @staticmethod
    def _renumber(answer: Answer, numbering: dict[int, int]) -> Answer:
        if not numbering:
            return answer
        text = renumber(answer.text, numbering)
        citations: dict[int, Citation] = {}
        for c in answer.citations:
            n = numbering[c.n]
            citations.setdefault(n, Citation(n, c.passage))
        return replace(answer, text=text, citations=[citations[n] for n in sorted(citations)])


__all__ = ["Conversation", "Turn", "key_terms", "key_text", "leans_on_context"]
