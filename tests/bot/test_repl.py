"""REPL transcripts: scripted input lines in, the exact console output checked."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from datetime import date

import pytest
from rich.console import Console

from bot.answer.models import Answer, Citation
from bot.conversation import Conversation
from bot.repl import HELP, INTRO, PROMPT, run_repl
from index.errors import IndexMissing
from index.models import Passage

KURSK = Passage(
    chunk_id="kursk-0",
    article_id="kursk",
    title="Troops in Kursk",
    text="North Korea sent about 11,000 soldiers to Kursk.",
    score=0.9,
    path="data/articles/kursk.md",
    published=date(2024, 11, 4),
    publisher="Wire",
)
SHELLS = Passage(
    chunk_id="shells-0",
    article_id="shells",
    title="Shells to Moscow",
    text="Pyongyang shipped 9 million shells.",
    score=0.8,
    url="https://example.org/shells",
    published=date(2025, 6, 4),
    publisher="Daily",
)
SHOIGU = Passage(
    chunk_id="shoigu-0",
    article_id="shoigu",
    title="Shoigu in Pyongyang",
    text="Sergei Shoigu met Kim Jong Un.",
    score=0.7,
    path="data/articles/shoigu.txt",
)

KURSK_LINE = "[1] Troops in Kursk — Wire, 2024-11-04 — data/articles/kursk.md"
KURSK_QUOTE = "    “North Korea sent about 11,000 soldiers to Kursk.”"
SHELLS_LINE = "[2] Shells to Moscow — Daily, 2025-06-04 — https://example.org/shells"
SHELLS_QUOTE = "    “Pyongyang shipped 9 million shells.”"
SHOIGU_LINE = "[3] Shoigu in Pyongyang — undated — data/articles/shoigu.txt"


def cited(question: str, text: str, *passages: Passage) -> Answer:
    citations = [Citation(i, p) for i, p in enumerate(passages, start=1)]
    return Answer(question=question, text=text, citations=citations, passages=list(passages))


class FakeAsk:
    """Replays canned answers by question and records the retrieval query it would search."""

    def __init__(self, answers: dict[str, Answer | BaseException]) -> None:
        self.answers = answers
        self.queries: list[str] = []

    def __call__(self, question: str, conversation: Conversation) -> Answer:
        self.queries.append(conversation.retrieval_query(question))
        result = self.answers[question]
        if isinstance(result, BaseException):
            raise result
        return result


def scripted(lines: Iterable[str], *, end: type[BaseException] = EOFError) -> Callable[[str], str]:
    """An input function that returns ``lines`` then raises ``end`` (EOF by default)."""
    pending = list(lines)
    prompts: list[str] = []

    def input_fn(prompt: str) -> str:
        prompts.append(prompt)
        if not pending:
            raise end()
        return pending.pop(0)

    input_fn.prompts = prompts  # type: ignore[attr-defined]
    return input_fn


def run(lines: Iterable[str], ask: FakeAsk, **kwargs: object) -> tuple[int, list[str]]:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    code = run_repl(ask, console=console, input_fn=scripted(lines), **kwargs)  # type: ignore[arg-type]
    return code, console.file.getvalue().splitlines()  # type: ignore[attr-defined]


def test_transcript_with_stable_numbers_and_sources() -> None:
    ask = FakeAsk(
        {
            "What did North Korea send?": cited(
                "What did North Korea send?",
                "North Korea sent about 11,000 soldiers [1]. Pyongyang shipped 9 million shells [2].",
                KURSK,
                SHELLS,
            ),
            # Locally numbered [1] and [2]; SHELLS was [2] before, SHOIGU is new and becomes [3].
            "and who visited?": cited(
                "and who visited?",
                "Sergei Shoigu met Kim Jong Un [1], after the shells [2].",
                SHOIGU,
                SHELLS,
            ),
        }
    )
    code, lines = run(
        ["What did North Korea send?", "", "and who visited?", "/sources", "/quit"], ask
    )

    assert code == 0
    assert lines == [
        INTRO,
        "North Korea sent about 11,000 soldiers [1]. Pyongyang shipped 9 million shells [2].",
        "",
        "Sources:",
        KURSK_LINE,
        KURSK_QUOTE,
        SHELLS_LINE,
        SHELLS_QUOTE,
        "",
        "Sergei Shoigu met Kim Jong Un [3], after the shells [2].",
        "",
        "Sources:",
        SHELLS_LINE,
        SHELLS_QUOTE,
        SHOIGU_LINE,
        "    “Sergei Shoigu met Kim Jong Un.”",
        "",
        KURSK_LINE,
        KURSK_QUOTE,
        SHELLS_LINE,
        SHELLS_QUOTE,
        SHOIGU_LINE,
        "    “Sergei Shoigu met Kim Jong Un.”",
    ]
    # The follow-up was searched with the first question's key terms.
    assert ask.queries[1].startswith("and who visited? ") and "Korea" in ask.queries[1]


def test_tell_me_more_about_a_number_uses_that_passage() -> None:
    ask = FakeAsk(
        {
            "What did North Korea send?": cited("q", "Shells went [1].", SHELLS),
            "tell me more about [1]": cited("q", "Shells went [1].", SHELLS),
        }
    )
    run(["What did North Korea send?", "tell me more about [1]"], ask)

    assert ask.queries[1] == "Shells to Moscow. Pyongyang shipped 9 million shells."


def test_unknown_reference_is_pointed_out() -> None:
    ask = FakeAsk(
        {"more on [4]": Answer("q", "I couldn't find this in the archive.", refused=True)}
    )
    _, lines = run(["more on [4]"], ask)

    assert "[4] has not been cited in this conversation; /sources lists them." in lines


def test_refusal_lists_nearest_articles() -> None:
    refusal = Answer(
        "Who won the final?",
        "I couldn't find this in the archive.",
        passages=[SHOIGU, KURSK],
        refused=True,
    )
    _, lines = run(["Who won the final?"], FakeAsk({"Who won the final?": refusal}))

    assert lines[1:] == [
        "I couldn't find this in the archive.",
        "",
        "Nearest articles:",
        "  - Shoigu in Pyongyang — undated — data/articles/shoigu.txt",
        "  - Troops in Kursk — Wire, 2024-11-04 — data/articles/kursk.md",
        "",
        "",  # EOF ends the prompt line
    ]


def test_help_sources_when_empty_and_unknown_command() -> None:
    _, lines = run(["/help", "/sources", "/frobnicate", "/exit", "never asked"], FakeAsk({}))

    assert lines == [
        INTRO,
        *HELP.splitlines(),
        "No sources cited yet.",
        "Unknown command /frobnicate; /help lists the commands.",
    ]


def test_error_in_callback_is_one_line_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ask = FakeAsk(
        {
            "boom?": IndexMissing("no index at /x: run `newsdesk index build` first"),
            "silent?": ValueError(),
            "What did North Korea send?": cited("q", "Shells went [1].", SHELLS),
        }
    )
    with caplog.at_level(logging.ERROR, logger="bot.repl"):
        _, lines = run(["boom?", "silent?", "What did North Korea send?", "/quit"], ask)

    assert lines[1:6] == [
        "error: no index at /x: run `newsdesk index build` first",
        "",
        "error: unexpected ValueError (traceback logged)",
        "",
        "Shells went [1].",
    ]
    assert "[1] Shells to Moscow — Daily, 2025-06-04 — https://example.org/shells" in lines
    # The known error is not logged as a bug; the unknown one keeps its traceback.
    [record] = caplog.records
    assert "silent?" in record.getMessage() and record.exc_info is not None
    assert record.exc_info[0] is ValueError


@pytest.mark.parametrize("end", [EOFError, KeyboardInterrupt])
def test_eof_and_ctrl_c_end_cleanly(end: type[BaseException]) -> None:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    input_fn = scripted([], end=end)

    assert run_repl(FakeAsk({}), console=console, input_fn=input_fn) == 0
    assert input_fn.prompts == [PROMPT]  # type: ignore[attr-defined]


def test_ctrl_c_while_answering_ends_cleanly() -> None:
    ask = FakeAsk({"slow?": KeyboardInterrupt()})
    code, _ = run(["slow?", "never asked"], ask)

    assert code == 0
    assert len(ask.queries) == 1


def test_conversation_is_shared_with_the_caller() -> None:
    conv = Conversation()
    ask = FakeAsk({"What did North Korea send?": cited("q", "Soldiers [1].", KURSK)})
    run(["What did North Korea send?"], ask, conversation=conv)

    assert [c.passage for c in conv.sources()] == [KURSK]
    assert conv.turns[0].answer.text == "Soldiers [1]."


def test_no_history_file_without_a_terminal(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("/quit\n"))
    history = tmp_path / "history"
    console = Console(file=io.StringIO(), width=100, color_system=None)

    assert run_repl(FakeAsk({}), console=console, history_path=history) == 0
    assert not history.exists()
