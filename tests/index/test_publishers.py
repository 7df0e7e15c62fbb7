"""Publishers found by the name a person gives (pure functions, no index)."""

from __future__ import annotations

import pytest

from index.keyword import KeywordIndex
from index.models import Passage
from index.publishers import match_publishers, normalise_publisher, site_name, suggest_publishers


@pytest.mark.parametrize(
    ("wanted", "found"),
    [
        ("USA Today", ("www.usatoday.com",)),
        ("usatoday", ("www.usatoday.com",)),
        ("https://www.usatoday.com/story/x", ("www.usatoday.com",)),
        ("The Week", ("www.theweek.co.uk",)),
        ("cnn", ("edition.cnn.com", "www.cnn.com")),
        ("  www.CNN.com ", ("www.cnn.com",)),  # written as stored: that one only
        ("usat", ("www.usatoday.com",)),  # the start of a name, from four letters
        ("usa", ()),
        ("Reuters", ()),
        ("?", ()),
    ],
)
def test_match_publishers(wanted: str, found: tuple[str, ...]):
    publishers = ["www.usatoday.com", "www.cnn.com", "edition.cnn.com", "www.theweek.co.uk", ""]
    assert match_publishers(wanted, publishers) == found


def test_site_names():
    assert site_name("www.usatoday.com") == site_name("USA Today") == "usatoday"
    assert site_name("news.bbc.co.uk") == "bbc"
    assert site_name("Euromaidan Press") == "euromaidanpress"
    assert site_name("example.org") == "example"


def test_the_keyword_index_files_a_publisher_under_the_stores_key():
    # Both filters (Chroma's and BM25's) must agree on the key, or a --source search finds
    # passages by one path only.
    def passage(n: int, publisher: str) -> Passage:
        return Passage(f"a{n}:0", f"a{n}", "Harbour", f"ferry strike {n}", 0.0, publisher=publisher)

    index = KeywordIndex.build(
        [passage(1, "  The  Week "), passage(2, "Other Paper"), passage(3, "")]
    )
    hits = index.search("ferry strike", 5, publisher_keys=[normalise_publisher("the week")])
    assert [h.chunk_id for h in hits] == ["a1:0"]


def test_suggestions_put_names_that_start_with_the_typed_text_first():
    publishers = ["www.usatoday.com", "UPI", "Euromaidan Press", "The Sun", "sun-times.com", ""]
    assert suggest_publishers("", publishers) == [
        "Euromaidan Press",
        "sun-times.com",
        "The Sun",
        "UPI",
        "www.usatoday.com",
    ]
    # Starts with it (as written or as a site: usatoday), then contains it.
    assert suggest_publishers("u", publishers) == [
        "UPI",
        "www.usatoday.com",
        "Euromaidan Press",
        "sun-times.com",
        "The Sun",
    ]
    assert suggest_publishers("sun", publishers) == ["sun-times.com", "The Sun"]
    assert suggest_publishers("USA To", publishers) == ["www.usatoday.com"]
    assert suggest_publishers("reuters", publishers) == []
    assert suggest_publishers("", [f"p{i:02d}" for i in range(40)], limit=3) == [
        "p00",
        "p01",
        "p02",
    ]
