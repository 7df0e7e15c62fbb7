"""LLMAnswerer against a real HTTP chat-completions double on 127.0.0.1.

The double replays queued replies and records every request, so the tests assert what the model
was sent (numbered, dated passages) and which passages the final answer cites.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

import httpx
import pytest

from bot.answer.extractive import REFUSAL_TEXT, ExtractiveAnswerer
from bot.answer.llm import LLMAnswerer, build_messages, is_refusal, parse_reply
from bot.answer.models import Answer
from index.models import Passage
from tests.conftest import ChatDouble

KURSK = Passage(
    chunk_id="kursk-0",
    article_id="kursk",
    title="North Korean troops deployed to Kursk",
    text=(
        "North Korea sent about 11,000 soldiers to the Kursk region in October 2024. "
        "Ukrainian officials said the troops joined Russian units near the border."
    ),
    score=0.9,
    path="data/articles/kursk.md",
    published=date(2024, 11, 4),
    publisher="Example Wire",
)
SHELLS = Passage(
    chunk_id="shells-0",
    article_id="shells",
    title="Artillery shipments from Pyongyang",
    text=(
        "Pyongyang has shipped more than 9 million artillery shells to Moscow since 2023, "
        "according to South Korean intelligence."
    ),
    score=0.8,
    url="https://example.org/shells",
    published=date(2025, 6, 4),
    publisher="Daily Example",
)
UNDATED = Passage(
    chunk_id="final-0",
    article_id="final",
    title="Cup final preview",
    text="The cup final will be played at the national stadium on Saturday.",
    score=0.5,
    path="data/articles/final.txt",
)
PASSAGES = [KURSK, SHELLS, UNDATED]


class FakeFallback:
    """Stands in for the extractive answerer and records that it was used."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Passage]]] = []
        self.told: list[list[str]] = []

    def answer(
        self, question: str, passages: Sequence[Passage], *, told: Collection[str] = ()
    ) -> Answer:
        self.calls.append((question, list(passages)))
        self.told.append(list(told))
        return Answer(
            question=question,
            text="North Korea sent about 11,000 soldiers to the Kursk region [1].",
            passages=list(passages),
            notices=["from the fallback"],
        )


def make(chat: ChatDouble, fallback: object | None = None, timeout_s: float = 5.0) -> LLMAnswerer:
    return LLMAnswerer(
        base_url=chat.url,
        model="tiny-model",
        api_key="sk-test",
        timeout_s=timeout_s,
        fallback=fallback or FakeFallback(),  # type: ignore[arg-type]
    )


def test_prompt_numbers_passages_with_publisher_and_date(chat: ChatDouble) -> None:
    chat.enqueue("North Korea sent about 11,000 soldiers to the Kursk region [1].")
    make(chat).answer("How many soldiers did North Korea send to Kursk?", PASSAGES)

    [request] = chat.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["model"] == "tiny-model"
    system, user = request["messages"]  # type: ignore[misc]
    assert system["role"] == "system"
    assert REFUSAL_TEXT in system["content"]
    assert "[1]" in system["content"] and "date" in system["content"]
    content = user["content"]
    assert "[1] (Example Wire, 2024-11-04) North Korean troops deployed to Kursk\n" in content
    assert "[2] (Daily Example, 2025-06-04) Artillery shipments from Pyongyang\n" in content
    assert "[3] (undated) Cup final preview\n" in content
    assert "9 million artillery shells" in content
    assert content.rstrip().endswith("Question: How many soldiers did North Korea send to Kursk?")
    assert chat.headers[0]["Authorization"] == "Bearer sk-test"


def test_supported_reply_is_kept_with_its_citations(chat: ChatDouble) -> None:
    chat.enqueue(
        "North Korea sent about 11,000 soldiers to the Kursk region [1]. "
        "Pyongyang has also shipped more than 9 million artillery shells to Moscow [2]."
    )
    answer = make(chat).answer("What has North Korea given Russia?", PASSAGES)

    assert not answer.refused
    assert answer.dropped_claims == 0
    assert [(c.n, c.passage.chunk_id) for c in answer.citations] == [
        (1, "kursk-0"),
        (2, "shells-0"),
    ]
    assert "11,000 soldiers" in answer.text and "[1]" in answer.text and "[2]" in answer.text
    assert answer.passages == PASSAGES
    assert answer.notices == []


def test_citations_are_renumbered_in_order_of_appearance(chat: ChatDouble) -> None:
    chat.enqueue("Pyongyang has shipped more than 9 million artillery shells to Moscow [2].")
    answer = make(chat).answer("How many shells?", PASSAGES)

    assert [(c.n, c.passage.chunk_id) for c in answer.citations] == [(1, "shells-0")]
    assert answer.text.endswith("[1].")


def test_out_of_range_and_unsupported_claims_are_dropped_and_counted(chat: ChatDouble) -> None:
    chat.enqueue(
        "North Korea sent about 11,000 soldiers to the Kursk region [1]. "
        "Kim Jong Un personally commanded 50,000 marines in Crimea [7]. "
        "The cup final ended 3-1 after extra time [3]."
    )
    answer = make(chat).answer("What did North Korea do?", PASSAGES)

    assert not answer.refused
    assert answer.dropped_claims == 2
    assert [c.passage.chunk_id for c in answer.citations] == ["kursk-0"]
    assert "Crimea" not in answer.text and "extra time" not in answer.text


def test_nothing_surviving_the_check_is_a_refusal_with_nearest_passages(chat: ChatDouble) -> None:
    chat.enqueue("Russia paid 2 billion dollars for the troops [1].")
    answer = make(chat).answer("How much did Russia pay?", PASSAGES)

    assert answer.refused
    assert answer.text == REFUSAL_TEXT
    assert answer.citations == []
    assert answer.passages == PASSAGES
    assert answer.dropped_claims == 1


@pytest.mark.parametrize(
    "reply",
    [
        REFUSAL_TEXT,
        "I couldn’t find this in the archive.",
        "Sorry. I couldn't find this in the archive",
    ],
)
def test_model_refusal_gives_a_refused_answer(chat: ChatDouble, reply: str) -> None:
    chat.enqueue(reply)
    fallback = FakeFallback()
    answer = make(chat, fallback).answer("Who won the cup final?", PASSAGES)

    assert answer.refused
    assert answer.text == REFUSAL_TEXT
    assert answer.passages == PASSAGES
    assert answer.notices == []
    assert fallback.calls == []


def test_timeout_falls_back_with_a_notice(chat: ChatDouble) -> None:
    chat.enqueue("too late [1].", delay_s=0.5)
    fallback = FakeFallback()
    answer = make(chat, fallback, timeout_s=0.1).answer("How many soldiers?", PASSAGES)

    assert fallback.calls == [("How many soldiers?", PASSAGES)]
    assert answer.notices == [
        f"The language model (tiny-model at {chat.url}) did not answer (timed out after 0.1s); "
        "this answer is extractive.",
        "from the fallback",
    ]
    assert answer.text.startswith("North Korea sent about 11,000 soldiers")


def test_server_error_falls_back(chat: ChatDouble) -> None:
    chat.enqueue_raw(500, {"error": "model crashed"})
    fallback = FakeFallback()
    answer = make(chat, fallback).answer("How many soldiers?", PASSAGES)

    assert len(fallback.calls) == 1
    assert "did not answer (returned HTTP 500)" in answer.notices[0]


@pytest.mark.parametrize(
    "body",
    ["<html>not json</html>", {"object": "error"}, {"choices": []}, {"choices": [{"message": {}}]}],
)
def test_garbage_reply_falls_back(chat: ChatDouble, body: object) -> None:
    chat.enqueue_raw(200, body)
    fallback = FakeFallback()
    answer = make(chat, fallback).answer("How many soldiers?", PASSAGES)

    assert len(fallback.calls) == 1
    assert "did not answer (returned" in answer.notices[0]


def test_unreachable_endpoint_falls_back() -> None:
    # Bind then close a port so nothing listens on it.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fallback = FakeFallback()
    answerer = LLMAnswerer(
        base_url=f"http://127.0.0.1:{port}/v1",
        model="m",
        api_key=None,
        timeout_s=2,
        fallback=fallback,
    )
    answer = answerer.answer("How many soldiers?", PASSAGES)

    assert len(fallback.calls) == 1
    assert "could not be reached" in answer.notices[0]


def test_falls_back_to_the_real_extractive_answerer(chat: ChatDouble) -> None:
    chat.enqueue_raw(503, {})
    answerer = LLMAnswerer(
        base_url=chat.url,
        model="m",
        api_key=None,
        timeout_s=5,
        fallback=ExtractiveAnswerer(),
    )
    answer = answerer.answer("How many soldiers did North Korea send to Kursk?", PASSAGES)

    assert answer.notices[0].endswith("this answer is extractive.")
    assert not answer.refused
    assert [c.passage.chunk_id for c in answer.citations] == ["kursk-0"]
    assert "Authorization" not in chat.headers[0]


def test_no_passages_refuses_without_calling_the_model(chat: ChatDouble) -> None:
    answer = make(chat).answer("Anything?", [])

    assert answer.refused and chat.requests == []


def test_injected_client_is_used(chat: ChatDouble) -> None:
    chat.enqueue("North Korea sent about 11,000 soldiers to the Kursk region [1].")
    with httpx.Client() as client:
        answerer = LLMAnswerer(
            base_url=chat.url + "/",
            model="m",
            api_key=None,
            timeout_s=5,
            fallback=FakeFallback(),
            client=client,
        )
        answer = answerer.answer("How many soldiers?", PASSAGES)
        answerer.close()  # not ours: must stay open
        assert not client.is_closed
    assert chat.requests[0]["path"] == "/v1/chat/completions"
    assert answer.citations[0].passage == KURSK


def test_parse_reply_strips_reasoning_blocks() -> None:
    body = {"choices": [{"message": {"content": "<think>hmm [9]</think>\nAnswer [1]."}}]}
    assert parse_reply(body) == "Answer [1]."


def test_is_refusal_needs_no_markers() -> None:
    assert is_refusal(REFUSAL_TEXT)
    assert not is_refusal(f"{REFUSAL_TEXT} But 11,000 soldiers went to Kursk [1].")
    assert not is_refusal(f"{REFUSAL_TEXT} But 11,000 soldiers went to Kursk [1, 2].")


def test_build_messages_is_deterministic() -> None:
    assert build_messages("q?", PASSAGES) == build_messages("q?", PASSAGES)


def test_what_was_already_told_reaches_the_model_and_the_fallback(chat: ChatDouble) -> None:
    told = ["North Korea sent about 11,000 soldiers to the Kursk region."]
    chat.enqueue("Pyongyang also shipped 9 million shells [2].")
    make(chat).answer("Tell me more about the deployment", PASSAGES, told=told)
    user = chat.requests[0]["messages"][1]["content"]  # type: ignore[index]
    assert user.endswith(
        "Already told (add new facts; do not repeat these):\n"
        "- North Korea sent about 11,000 soldiers to the Kursk region."
    )
    assert "Already told" not in build_messages("q?", PASSAGES)[1]["content"]

    chat.enqueue("too late [1].", delay_s=0.5)
    fallback = FakeFallback()
    make(chat, fallback, timeout_s=0.1).answer("Tell me more", PASSAGES, told=told)
    assert fallback.told == [told]
