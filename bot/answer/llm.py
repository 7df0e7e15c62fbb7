"""The LLM answerer: an OpenAI-compatible chat endpoint writes, the citation check verifies.

The model is never trusted: its reply goes through the same citation check as the extractive
answer, so a sentence that cites a passage it was not given, or one the passage does not
support, is dropped and counted. When the endpoint cannot be used at all (down, slow, HTTP
error, a reply that is not a chat completion) the fallback answerer (extractive) answers
instead and a one-line notice says so: a person always gets an answer, and knows which kind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx

from bot.answer.citations import cited_answer
from bot.answer.markers import has_marker
from bot.answer.models import REFUSAL_TEXT, Answer
from index.models import Passage

if TYPE_CHECKING:  # bot.service pulls in retrieval; the answerer only needs the protocol
    from bot.service import Answerer

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = f"""\
You answer questions about a news archive using ONLY the numbered passages you are given.
Rules:
- Use only facts stated in the passages. Never add outside knowledge or guesses.
- End every sentence with the number of the passage it comes from, like [1] or [2][3].
- If the passages do not hold the answer, reply with exactly: {REFUSAL_TEXT}
- Be short: one to three sentences, no preamble, no list of sources.
- When time matters (events, "latest", "still", "now"), mention the date of the article or \
the event, because the archive may be out of date."""

# Reasoning models served through OpenAI-compatible APIs (Ollama, vLLM) may prepend their
# chain of thought; it is not part of the answer and must not reach the citation check.
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


class LLMUnavailable(Exception):
    """The endpoint gave no usable reply; ``reason`` completes "did not answer (...)"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_passage(n: int, passage: Passage) -> str:
    """``[n] (Publisher, 2025-06-04) Title`` then the text: the date lets the model say when."""
    when = passage.published.isoformat() if passage.published else "undated"
    source = f"{passage.publisher}, {when}" if passage.publisher else when
    return f"[{n}] ({source}) {passage.title}\n{passage.text.strip()}"


def build_messages(
    question: str, passages: Sequence[Passage], told: Sequence[str] = ()
) -> list[dict[str, str]]:
    """The chat messages: rules as the system message, numbered passages plus question as user
    (and what the person was already told, which the answer must not repeat)."""
    numbered = "\n\n".join(format_passage(i, p) for i, p in enumerate(passages, start=1))
    user = f"Passages:\n\n{numbered}\n\nQuestion: {question.strip()}"
    if told:
        said = "\n".join(f"- {s}" for s in told)
        user += f"\n\nAlready told (add new facts; do not repeat these):\n{said}"
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def is_refusal(reply: str) -> bool:
    """The model said the passages do not hold the answer (and cited nothing)."""
    if has_marker(reply):
        return False
    wanted = REFUSAL_TEXT.lower().rstrip(".")
    return wanted in reply.translate(_APOSTROPHES).lower()


def parse_reply(data: object) -> str:
    """The assistant text of a chat completion; LLMUnavailable if the body is not one."""
    try:
        content = data["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMUnavailable("returned a reply that is not a chat completion") from exc
    if not isinstance(content, str):
        raise LLMUnavailable("returned a reply that is not a chat completion")
    text = _THINK.sub("", content).strip()
    if not text:
        raise LLMUnavailable("returned an empty reply")
    return text


class LLMAnswerer:
    """Answers through an OpenAI-compatible ``/chat/completions`` endpoint, verified by citation.

    ``client`` is injectable (tests, connection reuse); when omitted one is created and owned,
    and :meth:`close` releases it. Blocking, like every answerer: async callers use a thread.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout_s: float,
        fallback: Answerer,
        client: httpx.Client | None = None,
        max_tokens: int = 512,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.fallback = fallback
        self.max_tokens = max_tokens
        self._api_key = api_key
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def answer(
        self, question: str, passages: Sequence[Passage], *, told: Collection[str] = ()
    ) -> Answer:
        """Ask the model, verify its citations; refuse or fall back as needed."""
        passages = list(passages)
        if not passages:
            # Nothing to cite: asking the model could only produce an unverifiable answer.
            return Answer.refusal(question, passages)
        try:
            reply = self.complete(build_messages(question, passages, list(told)))
        except LLMUnavailable as exc:
            return self._fall_back(question, passages, exc.reason, told)
        if is_refusal(reply):
            logger.info("model %s refused %r", self.model, question)
            return Answer.refusal(question, passages)
        return cited_answer(question, reply, passages)

    def complete(self, messages: list[dict[str, str]]) -> str:
        """POST the chat completion and return the assistant text; LLMUnavailable on failure."""
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "stream": False,
        }
        url = f"{self.base_url}/chat/completions"
        try:
            response = self._client.post(url, json=body, headers=headers, timeout=self.timeout_s)
            response.raise_for_status()
            data = response.json()
        except httpx.TimeoutException as exc:
            raise LLMUnavailable(f"timed out after {self.timeout_s:g}s") from exc
        except httpx.HTTPStatusError as exc:
            raise LLMUnavailable(f"returned HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise LLMUnavailable(f"could not be reached: {type(exc).__name__}") from exc
        except ValueError as exc:  # body is not JSON
            raise LLMUnavailable("returned a reply that is not JSON") from exc
        return parse_reply(data)

    def _fall_back(
        self, question: str, passages: list[Passage], reason: str, told: Collection[str] = ()
    ) -> Answer:
        logger.warning(
            "language model %s at %s did not answer (%s); using the fallback answerer",
            self.model,
            self.base_url,
            reason,
        )
        answer = self.fallback.answer(question, passages, told=told)
        notice = (
            f"The language model ({self.model} at {self.base_url}) did not answer ({reason}); "
            "this answer is extractive."
        )
        return replace(answer, notices=[notice, *answer.notices])


__all__ = [
    "SYSTEM_PROMPT",
    "LLMAnswerer",
    "LLMUnavailable",
    "build_messages",
    "format_passage",
    "is_refusal",
    "parse_reply",
]
