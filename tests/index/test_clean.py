"""Cleaning rules on the five seed articles, plus general patterns on unseen text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from index.clean import (
    clean_text,
    extract_title,
    find_date,
    find_publisher,
    parse_date,
    split_related,
)

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"


def _sample(prefix: str) -> str:
    (path,) = ARTICLES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cleaned() -> dict[str, str]:
    return {prefix: clean_text(_sample(prefix)) for prefix in ("000", "001", "002", "003", "004")}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- what must go -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "debris"),
    [
        ("000", "Become a Patron!"),
        ("000", "You could close this page"),
        ("000", "disabling your ad blocker"),
        ("000", "press Ctrl + Enter"),
        ("000", "write to us here"),
        ("000", "Related Posts"),
        ("001", "& nbsp"),
        ("001", "nbsp"),
        ("001", "Share This Article"),
        ("001", "Leave a comment"),
        ("001", "TAGGED:"),
        ("001", "See also"),
        ("002", "ALSO READ"),
        ("003", "app-storeplay-store"),
        ("003", "Try Our AI Features"),
        ("003", "No comments yet"),
        ("003", "DOWNLOAD THE APP"),
        ("003", "Download Daily8 app"),
        ("003", "can do for you:"),
        ("003", "time11 minutes ago"),
        ("003", "timean hour ago"),
        ("003", "Orange background"),
        ("003", "Want all of The Times? Subscribe."),
        ("004", "Copy the current link"),
    ],
)
def test_debris_is_removed(cleaned: dict[str, str], prefix: str, debris: str) -> None:
    assert debris not in cleaned[prefix]


def test_reading_time_and_logo_lines_are_gone(cleaned: dict[str, str]) -> None:
    assert cleaned["001"].count("2 Min Read") == 0
    assert "logo" not in _lines(cleaned["003"])
    assert "cl" not in _lines(cleaned["004"])  # stray lowercase initials


def test_nbsp_artefacts_become_spaces(cleaned: dict[str, str]) -> None:
    assert "by lauren Walker with AP" in cleaned["001"]


def test_repeated_lines_keep_only_the_first(cleaned: dict[str, str]) -> None:
    assert cleaned["000"].count("Vladimir Putin and Kim Jong Un. Photo via Wikimedia.") == 1
    assert cleaned["000"].count("Kim Jong Un vows continued support for Russia") == 1
    assert cleaned["003"].count("Kim Jong Un vows to 'unconditionally support'") == 1
    lines = _lines(cleaned["003"])
    assert lines.count("North Korea Rejects New South Korean Leader's Peace Overtures") == 1
    assert lines.count("New York Times") == 1  # "• New York Times" repeat dropped


def test_whitespace_is_normalised(cleaned: dict[str, str]) -> None:
    for text in cleaned.values():
        assert "\n\n\n" not in text
        assert text == text.strip()
        assert all(line == line.strip() for line in text.splitlines())
        assert "  " not in text


# --- what must stay -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "fact"),
    [
        ("000", "11,000 troops"),
        ("000", "Radio Free Europe/Radio Liberty"),
        ("000", "Army Day"),
        ("001", "Sergei Shuigu"),
        ("001", "“Illegal” cooperation"),
        ("001", "first naval destroyer"),
        ("002", "14,000 troops"),
        ("002", "US State Department Condemns Russia For Violating UN Resolutions"),
        ("002", "Artyom Lukin"),
        ("003", "9 million rounds"),
        ("003", "Shoigu"),
        ("003", "UPI05-06-2025"),
        ("003", "June 4 (UPI) --"),
        ("004", "10,000 North Korean soldiers"),
        ("004", "Kim Il Sung’s visit"),
        ("004", "Source: Stern"),
    ],
)
def test_substantive_text_is_kept(cleaned: dict[str, str], prefix: str, fact: str) -> None:
    assert fact in cleaned[prefix]


def test_related_teasers_stay_searchable(cleaned: dict[str, str]) -> None:
    text = cleaned["003"]
    assert "North Korea on Monday rejected the new South Korean president's proposal" in text
    assert "Nordwind Airlines, a Russian carrier" in text
    # the teaser paragraph stays; only its closing call to action goes
    assert "evidence of little change under the new administration." in text


def test_every_substantive_paragraph_survives() -> None:
    """No sentence-length line of the article bodies is lost except known appeals/CTAs."""
    appeals = (
        "You could close this page",  # donation appeal
        "We are an independent media outlet",  # ad-blocker appeal
        "Ready to dive",  # app promotion
        "ALSO READ",  # link to another story
    )
    for prefix in ("000", "001", "002", "003", "004"):
        raw, text = _sample(prefix), clean_text(_sample(prefix))
        for line in _lines(raw):
            if len(line.split()) >= 15 and not line.startswith(appeals):
                assert line[:80] in text, f"{prefix}: lost {line[:60]!r}"


# --- split_related / title / date / publisher ---------------------------------------------


def test_split_related_separates_teasers(cleaned: dict[str, str]) -> None:
    main, related = split_related(cleaned["003"])
    assert "9 million rounds" in main
    assert related.startswith("Related Articles")
    assert "New York Times" in related and "New York Times" not in main
    assert split_related(cleaned["002"]) == (cleaned["002"], "")


@pytest.mark.parametrize(
    ("prefix", "title"),
    [
        ("000", "Kim Jong Un vows continued support for Russia as it fights for ”just cause”"),
        ("001", "North Korea doubles its “unconditional” support for Russian war in Ukraine"),
        (
            "002",
            "North Korea on Monday officially confirmed its troop deployment in Ukraine under "
            "the orders of Kim Jong Un, supporting Russia in the Kursk region.",
        ),
        ("003", "Kim Jong Un vows to 'unconditionally support' Russia's war against Ukraine"),
        ("004", "North Korea assures Russia of support until “victory” in Ukraine"),
    ],
)
def test_titles(cleaned: dict[str, str], prefix: str, title: str) -> None:
    assert extract_title(cleaned[prefix]) == title


def test_dates_come_from_the_date_line_not_teasers(cleaned: dict[str, str]) -> None:
    assert find_date(cleaned["003"]) == date(2025, 6, 5)  # "UPI05-06-2025", not "June 4"
    for prefix in ("000", "001", "002", "004"):
        assert find_date(cleaned[prefix]) is None  # no date line: unknown, never guessed


def test_publishers(cleaned: dict[str, str]) -> None:
    assert find_publisher(cleaned["000"]) == "Euromaidan Press"
    assert find_publisher(cleaned["001"]) is None
    assert find_publisher(cleaned["002"]) is None
    assert find_publisher(cleaned["003"]) == "UPI"  # never "New York Times" from a teaser
    assert find_publisher(cleaned["004"]) == "Stern"


# --- general rules on unseen text ---------------------------------------------------------


def test_general_calls_to_action_on_unseen_text() -> None:
    raw = "\n".join(
        [
            "Storm closes ferry routes across the north",
            "3 min read",
            "Share on WhatsApp",
            "Facebook Twitter Email",
            "Sign up for our morning newsletter",
            "Updated 2 hours ago",
            "Ferries between the islands were cancelled on Tuesday as winds reached 120 km/h.",
            "Advertisement",
            "Officials said 4,000 passengers were affected &amp; hotels were full.",
            "Comments (12)",
            "Be the first to comment",
            "Download our free app from the App Store",
        ]
    )
    text = clean_text(raw)
    assert _lines(text) == [
        "Storm closes ferry routes across the north",
        "Ferries between the islands were cancelled on Tuesday as winds reached 120 km/h.",
        "Officials said 4,000 passengers were affected & hotels were full.",
    ]


def test_long_paragraph_mentioning_subscribe_is_kept() -> None:
    paragraph = (
        "The streaming service said 2 million households chose to subscribe in the quarter, "
        "after prices for the basic plan were cut and a sports package was added, according "
        "to figures released on Monday."
    )
    assert clean_text(paragraph) == paragraph


def test_news_about_donations_is_kept() -> None:
    lines = [
        "Donations are still being accepted and the council said all proceeds will support "
        "relief efforts. Information on how to donate can be found on the city website.",
        "Donate old clothes",  # a heading in a how-to-help list, not a button
    ]
    assert _lines(clean_text("\n".join(lines))) == lines


def test_donation_appeal_paragraph_is_dropped() -> None:
    appeal = (
        "Independent journalism costs money. If you value our reporting, please support us: "
        "readers like you keep this site free. Donate now."
    )
    assert (
        clean_text(f"Real news paragraph with facts.\n{appeal}")
        == "Real news paragraph with facts."
    )


def test_paragraph_blocks_are_kept_and_blank_runs_collapse() -> None:
    raw = "Title\n\n\n\nFirst line.\nSecond line.\n\n   \n\nThird block."
    assert clean_text(raw) == "Title\n\nFirst line.\nSecond line.\n\nThird block."


def test_empty_related_heading_is_dropped_but_full_one_kept() -> None:
    assert clean_text("Body text here.\nRelated Posts") == "Body text here."
    teaser = "A long teaser paragraph about another story that readers may find interesting."
    assert clean_text(f"Body.\n\nRelated stories\n\n{teaser}").endswith(teaser)
    assert "Related stories" in clean_text(f"Body.\n\nRelated stories\n\n{teaser}")


def test_live_blog_sign_offs_are_not_deduplicated() -> None:
    raw = "Update one happened.\n— Jane Doe\nUpdate two happened.\n— Jane Doe"
    assert clean_text(raw).count("— Jane Doe") == 2


def test_kicker_rule_and_markdown_titles() -> None:
    assert extract_title("Politics\nSenate passes the budget bill after a long night\nBody.") == (
        "Senate passes the budget bill after a long night"
    )
    # a short real headline followed by a lede sentence is not a kicker
    assert extract_title("Markets rally\nStocks rose 3% on Monday.") == "Markets rally"
    assert extract_title("# Heading with hashes\n\nBody.", markdown=True) == "Heading with hashes"
    assert extract_title("June 4, 2025\nBy Jane Doe\nThe real headline") == "The real headline"
    assert extract_title("") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Headline\nJune 4, 2025\nBody.", date(2025, 6, 4)),
        ("Headline\nPublished 2025-06-04 10:00\nBody.", date(2025, 6, 4)),
        ("Headline\n4 June 2025\nBody.", date(2025, 6, 4)),
        ("Headline\nSept. 3, 2023\nBody.", date(2023, 9, 3)),
        ("Headline\n13-06-2025\nBody.", date(2025, 6, 13)),  # only one valid reading
        ("Headline\n06-13-2025\nBody.", date(2025, 6, 13)),  # US order when day > 12
        ("Headline\n05-06-2025\nMay 6 (AP) -- Body.", date(2025, 5, 6)),  # dateline decides
        (
            "WASHINGTON, June 4, 2025 (AP) -- Lawmakers met on a long day of talks that went "
            "on and on into the night without any agreement.",
            date(2025, 6, 4),
        ),
        ("Headline\nA long sentence that mentions June 4, 2025 in passing, not a date line.", None),
        ("Headline\nBody.\n\nRelated Articles\n\nOther story\nJune 1, 2025", None),
    ],
)
def test_find_date(text: str, expected: date | None) -> None:
    assert find_date(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-09-25", date(2023, 9, 25)),
        ("2023-09-25T14:03:00Z", date(2023, 9, 25)),
        ("June 4, 2025", date(2025, 6, 4)),
        ("not a date", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_dateline_agency_is_a_publisher() -> None:
    assert find_publisher("Headline\nWASHINGTON (AP) — Lawmakers met on Tuesday.") == "AP"
    assert find_publisher("Headline\nPublisher: The Daily Planet\nBody.") == "The Daily Planet"
    assert find_publisher("Hard Times\nBody of the article.") is None
