"""Discord rendering is pure: every limit checked on answers far past them."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.answer.models import Answer, Citation
from bot.discord.render import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    TITLE_MAX,
    Embed,
    IndexStats,
    ReindexSummary,
    Reply,
    escape,
    escape_answer,
    render_answer,
    render_help,
    render_passages,
    render_reindex,
    render_search,
    render_stats,
    safe_url,
    split_units,
)
from index.models import Passage

MARKER = re.compile(r"\[(\d+)\]")


def passage(i: int, *, title: str | None = None, text: str | None = None, **kw) -> Passage:
    return Passage(
        chunk_id=f"a{i}:0",
        article_id=f"a{i}",
        title=title if title is not None else f"Article number {i}",
        text=text if text is not None else f"Sentence one of article {i}. Sentence two says {i}.",
        score=1.0 / i,
        path=f"/srv/archive/a{i}.txt",
        url=kw.get("url", f"https://example.org/{i}"),
        published=kw.get("published", date(2025, 6, i % 28 + 1)),
        publisher=kw.get("publisher", "Daily Example"),
    )


def check_limits(replies: list[Reply]) -> None:
    assert replies
    for reply in replies:
        assert len(reply.content) <= CONTENT_MAX
        assert len(reply.embeds) <= EMBEDS_MAX
        assert sum(e.size for e in reply.embeds) <= EMBED_TOTAL_MAX
        for embed in reply.embeds:
            data = embed.to_dict()
            assert len(str(data.get("title", ""))) <= TITLE_MAX
            assert len(str(data.get("description", ""))) <= DESCRIPTION_MAX
            fields = data.get("fields", [])
            assert len(fields) <= FIELDS_MAX
            for f in fields:
                assert (
                    0 < len(f["name"]) <= FIELD_NAME_MAX and 0 < len(f["value"]) <= FIELD_VALUE_MAX
                )
        assert reply.content or reply.embeds


def cited_in(reply: Reply) -> set[int]:
    return {int(m) for m in MARKER.findall(reply.content)}


def sources_in(reply: Reply) -> set[int]:
    return {int(MARKER.match(e.title).group(1)) for e in reply.embeds if MARKER.match(e.title)}


def long_answer(n_citations: int = 20, sentences: int = 160) -> Answer:
    citations = [
        Citation(
            i,
            passage(
                i,
                title=("Very long headline " * 40) + str(i),  # ~760 chars: over the 256 title cap
                text=("A quoted sentence that goes on and on " * 60) + ".",  # quote over limits
                publisher="P" * 300,  # over any sensible line
            ),
        )
        for i in range(1, n_citations + 1)
    ]
    body = []
    for s in range(sentences):
        n = s % n_citations + 1
        body.append(f"Claim number {s} is supported by what the report says in detail [{n}].")
        if s % 17 == 16:
            body.append("\n\n")
    text = " ".join(body)
    return Answer("q?", text, citations=citations, notices=["Note: as of 2025-06-05."])


def test_long_answer_with_20_citations_splits_within_every_limit():
    answer = long_answer()
    assert len(answer.text) > 10_000
    replies = render_answer(answer)
    check_limits(replies)
    assert len(replies) >= 5  # 10,000+ characters cannot fit in fewer
    for reply in replies:
        # Every marker travels with its source, and no message carries a source it doesn't cite.
        assert cited_in(reply) == sources_in(reply)
    # Nothing lost: all the text (modulo the joins) and every source appears.
    joined = " ".join(r.content for r in replies)
    assert all(f"Claim number {s} is" in joined for s in range(160))
    assert set().union(*(sources_in(r) for r in replies)) == set(range(1, 21))
    # Notices lead the first message; splits fall on sentence ends.
    assert replies[0].content.startswith("-# Note: as of 2025-06-05.\nClaim number 0 is")
    for reply in replies:
        assert reply.content.rstrip().endswith(("].", ".", "]"))


def test_one_sentence_citing_every_source_is_split_at_markers():
    citations = [Citation(i, passage(i, title="T" * 300, text="Q " * 400)) for i in range(1, 21)]
    text = "Everything " + " and ".join(f"fact {i} [{i}]" for i in range(1, 21)) + "."
    replies = render_answer(Answer("q", text, citations=citations))
    check_limits(replies)
    assert len(replies) >= 2  # 20 source embeds cannot share one message (10 max)
    for reply in replies:
        assert cited_in(reply) == sources_in(reply)


def test_a_word_longer_than_a_message_is_cut_not_lost():
    blob = "x" * 4500
    answer = Answer("q", f"Start {blob} end [1].", citations=[Citation(1, passage(1))])
    replies = render_answer(answer)
    check_limits(replies)
    assert sum(r.content.count("x") for r in replies) == 4500
    assert sources_in(replies[-1]) == {1}


def test_sources_show_linked_title_publisher_date_and_quote():
    answer = Answer(
        "How many?",
        "The North shipped 9 million rounds [1].",
        citations=[Citation(1, passage(3, text="Intro. The North shipped 9 million rounds."))],
    )
    (reply,) = render_answer(answer)
    (embed,) = reply.embeds
    assert embed.title == "[1] Article number 3"
    assert embed.url == "https://example.org/3"
    assert "Daily Example · **2025-06-04**" in embed.description
    assert "9 million rounds" in embed.description  # the quote matches the claim
    assert reply.content == "The North shipped 9 million rounds [1]."


def test_undated_source_and_no_url_shows_the_file_name_not_the_server_path():
    p = passage(1, url=None, published=None)
    (reply,) = render_answer(Answer("q", "Said so [1].", citations=[Citation(1, p)]))
    (embed,) = reply.embeds
    assert embed.url is None and "**undated**" in embed.description
    assert "a1.txt" in embed.description and "/srv/archive" not in embed.description


def test_article_text_cannot_ping_or_restyle():
    evil = "Hi @everyone and @here <@123> <@&9> **bold** [click](https://evil.example) `x` ||s||"
    out = escape(evil)
    assert "@everyone" not in out and "@here" not in out
    assert "<@" not in out and "<@&" not in out
    assert re.search(r"(?<!\\)[*_`|\[\]]", out) is None  # every markdown char escaped
    # What a reader sees is unchanged once Discord drops the escapes and zero-width spaces.
    assert re.sub(r"\\(.)", r"\1", out).replace("\u200b", "") == evil
    # Our own markers survive; a fake one inside brackets in article text does too, escaped.
    assert escape_answer("x *y* [1] [a]") == r"x \*y\* [1] \[a\]"
    assert escape("> quote\n# head\n- item") == "\\> quote\n\\# head\n\\- item"


def test_refusal_lists_the_nearest_articles_with_dates():
    nearest = [passage(1), passage(1), passage(2, published=None)]
    answer = Answer.refusal("Who won?", nearest)
    (reply,) = render_answer(answer)
    assert "couldn't find this in the archive" in reply.content
    assert "Nearest articles" in reply.content
    assert [e.title for e in reply.embeds] == ["Article number 1", "Article number 2"]
    assert "**2025-06-02**" in reply.embeds[0].description
    assert "**undated**" in reply.embeds[1].description


def test_passages_and_search_pack_within_limits():
    citations = [
        Citation(i, passage(i, text="word " * 2000, title="T" * 400)) for i in range(1, 21)
    ]
    replies = render_passages(citations)
    check_limits(replies)
    assert sum(len(r.embeds) for r in replies) == 20
    found = [passage(i, text="word " * 500) for i in range(1, 26)]
    replies = render_search("query *with* @everyone", found)
    check_limits(replies)
    assert "@everyone" not in replies[0].content and "Top 25 passages" in replies[0].content
    assert [e.title.split("]")[0] for r in replies for e in r.embeds][:3] == ["[1", "[2", "[3"]
    assert render_search("nothing", []) == [Reply("No passages found for “nothing”.")]


def test_stats_reindex_help_fit():
    stats = IndexStats(
        6,
        40,
        "all-MiniLM-L6-v2",
        date(2024, 5, 1),
        date(2025, 6, 5),
        None,
        (("UPI", 2), ("Stern", 1)),
    )
    reply = render_stats(stats)
    check_limits([reply])
    text = str(reply.embeds[0].to_dict())
    assert "2024-05-01 .. 2025-06-05" in text and "UPI (2)" in text and "never" in text
    summary = ReindexSummary(
        added=tuple(f"Title {i}" for i in range(40)),
        updated=("Changed",),
        removed=(),
        failed=(("bad.json", "line 3: not JSON"),),
        unchanged=5,
        seconds=1.25,
    )
    reply = render_reindex(summary)
    check_limits([reply])
    assert reply.content.startswith("Reindex done: 40 added, 1 updated, 0 removed, 1 failed")
    fields = {f.name: f.value for f in reply.embeds[0].fields}
    assert "and 25 more" in fields["Added (40)"] and fields["Removed (0)"] == "none"
    assert "bad.json: line 3: not JSON" in fields["Failed (1)"]
    check_limits([render_help(5, True)])


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a b", True),
        ("javascript:alert(1)", False),
        ("ftp://x.org/f", False),
        ("https://" + "a" * 600 + ".org", False),
        (None, False),
    ],
)
def test_safe_url(url, ok):
    out = safe_url(url)
    assert (out is not None) == ok
    if out:
        assert " " not in out


def test_split_units_keeps_paragraphs_and_sentences():
    units = split_units("First one. Second [1].\n\nNew paragraph here [2].")
    assert [u.text for u in units] == ["First one.", "Second [1].", "New paragraph here [2]."]
    assert [u.sep for u in units] == ["", " ", "\n\n"]
    assert [u.markers for u in units] == [(), (1,), (2,)]


def test_embed_size_counts_what_discord_counts():
    e = Embed(title="ab", description="cde", footer="f")
    assert e.size == 6


def test_a_long_passage_is_shown_around_the_sentence_the_answer_quoted():
    from bot.discord.render import passage_window

    filler = "The council met again and adjourned without a vote. " * 60
    # In the passage the cited sentence wraps; the answer's quote has its spaces normalised.
    text = filler + "The bridge   will cost\n42 million crowns, the treasurer said. " + filler
    quoted = "The bridge will cost 42 million crowns, the treasurer said."
    window = passage_window(text, quoted, 600)
    assert "42 million crowns" in window and len(window) <= 600
    assert window.startswith("…") and window.endswith("…")
    assert passage_window("short text", "absent", 600) == "short text"
    assert passage_window(text, "no such sentence here", 600) == text
