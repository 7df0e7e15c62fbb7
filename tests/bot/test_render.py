"""Terminal rendering: numbered, dated sources with a quote; refusals list nearest articles."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console, RenderableType

from bot.answer.models import Answer, Citation
from bot.render import (
    claims_citing,
    nearest_articles,
    quote,
    render_sources,
    render_terminal,
    source_line,
    source_meta,
)
from index.models import Passage

KURSK = Passage(
    chunk_id="kursk-0",
    article_id="kursk",
    title="Troops in Kursk",
    text=(
        "North Korea is a close ally of Russia. "
        "North Korea sent about 11,000 soldiers to Kursk in October. "
        "They joined Russian units."
    ),
    score=0.9,
    path="data/articles/kursk.md",
    published=date(2024, 11, 4),
    publisher="Wire",
)
KURSK_2 = Passage(
    chunk_id="kursk-1",
    article_id="kursk",
    title="Troops in Kursk",
    text="A second chunk of the same article.",
    score=0.7,
    path="data/articles/kursk.md",
    published=date(2024, 11, 4),
    publisher="Wire",
)
SHELLS = Passage(
    chunk_id="shells-0",
    article_id="shells",
    title="Shells [bulk] to Moscow",
    text="Pyongyang shipped 9 million shells.",
    score=0.6,
    url="https://example.org/shells",
)
REFUSAL = "I couldn't find this in the archive."


def plain(renderable: RenderableType) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_answer_with_notices_and_dated_sources() -> None:
    answer = Answer(
        question="q",
        text="North Korea sent about 11,000 soldiers [1]. It shipped 9 million shells [2].",
        citations=[Citation(1, KURSK), Citation(2, SHELLS)],
        passages=[KURSK, SHELLS],
        notices=["Note: the archive ends on 2025-06-04."],
    )

    assert plain(render_terminal(answer)) == (
        "Note: the archive ends on 2025-06-04.\n"
        "North Korea sent about 11,000 soldiers [1]. It shipped 9 million shells [2].\n"
        "\n"
        "Sources:\n"
        "[1] Troops in Kursk — Wire, 2024-11-04 — data/articles/kursk.md\n"
        "    “North Korea sent about 11,000 soldiers to Kursk in October.”\n"
        "[2] Shells [bulk] to Moscow — undated — https://example.org/shells\n"
        "    “Pyongyang shipped 9 million shells.”\n"
    )


def test_dropped_claims_are_mentioned() -> None:
    answer = Answer("q", "Shells [1].", [Citation(1, SHELLS)], [SHELLS], dropped_claims=2)

    assert "(2 unsupported claims removed)" in plain(render_terminal(answer))


def test_refusal_lists_nearest_articles_once_each() -> None:
    answer = Answer("q", REFUSAL, passages=[KURSK, KURSK_2, SHELLS], refused=True)

    assert plain(render_terminal(answer)) == (
        f"{REFUSAL}\n"
        "\n"
        "Nearest articles:\n"
        "  - Troops in Kursk — Wire, 2024-11-04 — data/articles/kursk.md\n"
        "  - Shells [bulk] to Moscow — undated — https://example.org/shells\n"
    )


def test_refusal_without_passages_is_one_line() -> None:
    assert plain(render_terminal(Answer("q", REFUSAL, refused=True))) == f"{REFUSAL}\n"


def test_render_sources_without_answer_quotes_the_opening() -> None:
    out = plain(render_sources([Citation(3, KURSK)]))

    assert out == (
        "[3] Troops in Kursk — Wire, 2024-11-04 — data/articles/kursk.md\n"
        "    “North Korea is a close ally of Russia.”\n"
    )


def test_quote_is_clipped_at_a_word() -> None:
    long = Passage("l-0", "l", "Long", "word " * 100, 0.1)
    q = quote(long, max_chars=23)

    assert q == "word word word word…"


def test_source_meta_and_line_variants() -> None:
    bare = Passage("x-0", "x", "", "text", 0.1)

    assert source_meta(KURSK) == "Wire, 2024-11-04"
    assert source_meta(SHELLS) == "undated"
    assert source_line(bare) == "(untitled) — undated"


def test_nearest_articles_limit() -> None:
    many = [Passage(f"a{i}-0", f"a{i}", f"T{i}", "t", 0.1) for i in range(8)]

    assert [p.article_id for p in nearest_articles(many, limit=3)] == ["a0", "a1", "a2"]


def test_a_grouped_marker_quotes_the_sentence_it_cites() -> None:
    text = "North Korea shipped 9 million shells [1, 2]. Troops went too [1]."

    assert claims_citing(text, 2) == ["North Korea shipped 9 million shells [1, 2]."]
    assert claims_citing(text, 1) == [
        "North Korea shipped 9 million shells [1, 2].",
        "Troops went too [1].",
    ]
    assert claims_citing(text, 12) == []
