"""Loading every supported format, and every kind of bad input, without raising."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from index.models import LoadReport
from index.sources import SUPPORTED_SUFFIXES, iter_files, load_file, load_paths

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ARTICLES = HERE.parents[1] / "data" / "articles"
MAX = 1_000_000

BODY = (
    "The city council approved a new budget of 12 million euros on Tuesday, "
    "after a debate that lasted until midnight."
)


def _one(path: Path, **kwargs: object) -> LoadReport:
    articles, failures = load_file(path, max_bytes=MAX, **kwargs)  # type: ignore[arg-type]
    return LoadReport(articles=articles, failures=failures)


# --- files --------------------------------------------------------------------------------


def test_iter_files_recurses_sorted_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("z.txt", "a.md", "b/c.jsonl", "b/d.pdf", ".secret.txt", ".hidden/e.txt"):
        (tmp_path / name).write_text(BODY)
    assert iter_files([tmp_path]) == [
        tmp_path / "a.md",
        tmp_path / "b" / "c.jsonl",
        tmp_path / "z.txt",
    ]
    assert iter_files([tmp_path / "missing"]) == []
    assert {".txt", ".md", ".html", ".htm", ".json", ".jsonl"} == SUPPORTED_SUFFIXES


def test_sample_corpus_loads(tmp_path: Path) -> None:
    report = load_paths([ARTICLES])
    assert report.failures == []
    assert len(report.articles) == 5
    by_id = {article.id: article for article in report.articles}
    kim = by_id["003_e4a4f3284b930ef5"]
    assert kim.title == "Kim Jong Un vows to 'unconditionally support' Russia's war against Ukraine"
    assert kim.published == date(2025, 6, 5)
    assert kim.publisher == "UPI"
    assert kim.path == str((ARTICLES / "003_e4a4f3284b930ef5.txt").resolve())
    assert "9 million rounds" in kim.text and "logo" not in kim.text.splitlines()
    assert by_id["004_9f1657411fcad977"].publisher == "Stern"
    assert by_id["004_9f1657411fcad977"].title.startswith("North Korea assures Russia")
    assert report.seen_paths == frozenset(str(p.resolve()) for p in ARTICLES.glob("*.txt"))
    assert all(article.content_hash for article in report.articles)


# --- formats ------------------------------------------------------------------------------


def test_txt_title_and_id_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "budget.txt").write_text(f"Council passes budget\n\n{BODY}\n")
    (tmp_path / "sport").mkdir()
    (tmp_path / "sport" / "budget.txt").write_text(f"Club budget cut\n\n{BODY}\n")
    report = load_paths([tmp_path])
    assert [a.id for a in report.articles] == ["sport/budget", "world/budget"]
    assert report.articles[1].title == "Council passes budget"
    assert report.articles[1].url is None and report.articles[1].published is None
    # a file named directly gets its stem
    assert load_paths([tmp_path / "world" / "budget.txt"]).articles[0].id == "budget"


def test_markdown_with_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "---\n"
        'title: "Council passes budget"\n'
        "published: 2024-05-02T10:00:00Z\n"
        "url: https://news.example.com/budget\n"
        "publisher: City Herald\n"
        "---\n"
        "# A different heading\n\n"
        f"{BODY}\n"
    )
    (article,) = _one(path).articles
    assert article.title == "Council passes budget"
    assert article.published == date(2024, 5, 2)
    assert article.url == "https://news.example.com/budget"
    assert article.publisher == "City Herald"
    assert "title:" not in article.text and BODY in article.text


def test_markdown_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(f"## Council passes budget\n\nJune 4, 2025\n\n{BODY}\n")
    (article,) = _one(path).articles
    assert article.title == "Council passes budget"
    assert article.published == date(2025, 6, 4)


def test_html_page_with_meta_tags() -> None:
    (article,) = _one(FIXTURES / "article.html").articles
    assert article.title == "Harbour bridge reopens after two years of repairs"
    assert article.published == date(2024, 3, 14)
    assert article.publisher == "Coastal Gazette"
    assert article.url == "https://gazette.example.com/news/2024/03/14/harbour-bridge-reopens"
    assert "212 steel cables" in article.text
    assert "60,000 vehicles a day" in article.text
    for boilerplate in ("Home", "Sport", "Share on Facebook", "All rights reserved", "newsletter"):
        assert boilerplate not in article.text


def test_html_without_article_falls_back_to_title_and_text(tmp_path: Path) -> None:
    path = tmp_path / "bare.htm"
    path.write_text("<html><head><title>Short &amp; plain</title></head><body>Hi.</body></html>")
    (article,) = _one(path).articles
    assert article.title == "Short & plain"
    assert "Hi." in article.text


def test_html_without_text_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><head><script>var x = 1;</script></head><body>  </body></html>")
    report = _one(path)
    assert report.articles == []
    assert "no article text" in report.failures[0].error


def test_json_object(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    record = {
        "id": "a1",
        "title": "Budget",
        "text": BODY,
        "url": "https://x.example/a1",
        "published": "2024-01-31T23:59:00+01:00",
        "source": "Example News",
    }
    path.write_text(json.dumps(record))
    (article,) = _one(path).articles
    assert (article.id, article.title, article.url) == ("a1", "Budget", "https://x.example/a1")
    assert article.published == date(2024, 1, 31)
    assert article.publisher == "Example News"
    assert article.path == str(path.resolve())


def test_json_list_with_bad_records(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps(
            [
                {"title": "First", "text": BODY, "publisher": "P"},
                {"title": "No text"},
                "not an object",
                {"id": 7, "text": f"Second story headline\n{BODY}"},
            ]
        )
    )
    report = _one(path)
    assert [a.id for a in report.articles] == ["many:0", "7"]
    assert report.articles[1].title == "Second story headline"
    assert [(f.path, f.error) for f in report.failures] == [
        (f"{path.resolve()}[1]", "record has no text"),
        (f"{path.resolve()}[2]", "record is a str, not an object"),
    ]


def test_jsonl_malformed_line_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "x1", "title": "One", "text": BODY}),
        '{"id": "x2", "title": "Broken", "text": ',
        "",
        json.dumps({"id": "x3", "title": "Three", "text": BODY}),
        json.dumps({"id": "x4", "title": "Empty", "text": "   "}),
        json.dumps({"title": "No id", "text": BODY}),
    ]
    path.write_text("\n".join(lines) + "\n")
    report = load_paths([path])
    assert [a.id for a in report.articles] == ["x1", "x3", "feed:6"]
    failures = {f.path: f.error for f in report.failures}
    assert failures[f"{path.resolve()}:2"].startswith("malformed JSON line")
    assert failures[f"{path.resolve()}:5"] == "record has no text"
    assert len(failures) == 2
    assert report.seen_paths == frozenset({str(path.resolve())})


def test_realtimeqa_line(tmp_path: Path) -> None:
    record = {
        "id": "6c361b28defb",
        "url": "https://www.usatoday.com/story/entertainment/2023/09/25/who-is-travis-kelce/1/",
        "title": "Who is Travis Kelce? What Taylor Swift fans should know",
        "text": "A potential love story could be in the making.\n\nHow old is Travis Kelce?\n\n"
        "Kelce was born Oct. 5, 1989, as the 33-year-old is a Libra.",
        "published": "2023-09-25T00:00:00",
        "source": "www.usatoday.com",
    }
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (article,) = load_paths([path]).articles
    assert article.id == "6c361b28defb"
    assert article.title == record["title"]
    assert article.url == record["url"]
    assert article.published == date(2023, 9, 25)
    assert article.publisher == "www.usatoday.com"
    assert "Kelce was born Oct. 5, 1989" in article.text


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a chmod 000 file"
)
def test_unreadable_file_by_permission(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(BODY)
    path.chmod(0)
    try:
        report = _one(path)
    finally:
        path.chmod(0o644)
    assert report.failures[0].error.startswith("unreadable")


def test_unreadable_path_is_a_failure(tmp_path: Path) -> None:
    """A directory named like a file cannot be read (works as root, unlike chmod 000)."""
    path = tmp_path / "folder.txt"
    path.mkdir()
    report = _one(path)
    assert report.articles == []
    assert report.failures[0].path == str(path.resolve())
    assert report.failures[0].error.startswith("unreadable")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert _one(path).failures[0].error == "binary file (contains NUL bytes)"


def test_control_character_garbage_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(bytes(range(1, 32)) * 20)
    assert "binary" in _one(path).failures[0].error


@pytest.mark.parametrize("content", [b"", b"   \n\t\n  ", "\ufeff  \n".encode()])
def test_empty_or_whitespace_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    report = _one(path)
    assert report.articles == []
    assert report.failures[0].error.startswith("empty file")


def test_cp1252_file_loads_via_fallback(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(
        "Café owners “win” appeal\n\nThe court sided with the café – a first.".encode("cp1252")
    )
    (article,) = _one(path).articles
    assert article.title == "Café owners “win” appeal"
    assert "café – a first" in article.text


def test_utf8_bom_and_utf16_files_load(tmp_path: Path) -> None:
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffHeadline with BOM\n\nBody.".encode())
    assert _one(bom).articles[0].title == "Headline with BOM"
    wide = tmp_path / "wide.txt"
    wide.write_bytes("Headline in UTF-16\n\nBody.".encode("utf-16"))
    assert _one(wide).articles[0].title == "Headline in UTF-16"


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "title": "x",\n  "text": oops\n}')
    report = _one(path)
    assert report.articles == []
    assert report.failures[0].path == str(path.resolve())
    assert report.failures[0].error.startswith("malformed JSON at line 3 col 11")


def test_oversize_file_says_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 2_000)
    report = load_paths([path], max_bytes=1_000)
    assert report.articles == []
    assert report.failures[0].error == "file too large: 2,000 bytes, over the limit of 1,000 bytes"
    assert str(path.resolve()) in report.seen_paths


def test_missing_path_and_unsupported_file_are_failures(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(f"Headline\n\n{BODY}")
    odd = tmp_path / "notes.pdf"
    odd.write_bytes(b"%PDF-1.4")
    missing = tmp_path / "nope"
    report = load_paths([missing, good, odd])
    assert [a.id for a in report.articles] == ["good"]
    errors = {f.path: f.error for f in report.failures}
    assert errors[str(missing)] == "path does not exist"
    assert errors[str(odd.resolve())] == "unsupported file type '.pdf'"
    assert report.seen_paths == frozenset({str(good.resolve())})


def test_one_bad_file_never_stops_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"First\n\n{BODY}")
    (tmp_path / "b.json").write_text("{not json")
    (tmp_path / "c.txt").write_bytes(b"\x00\x01")
    (tmp_path / "d.md").write_text(f"# Last\n\n{BODY}")
    report = load_paths([tmp_path])
    assert [a.id for a in report.articles] == ["a", "d"]
    assert len(report.failures) == 2
    assert len(report.seen_paths) == 4


def test_duplicate_ids_are_made_unique(tmp_path: Path) -> None:
    same = json.dumps({"id": "dup", "title": "T", "text": BODY})
    (tmp_path / "one.jsonl").write_text(same + "\n")
    (tmp_path / "two.jsonl").write_text(same + "\n")  # identical: loaded once
    (tmp_path / "three.jsonl").write_text(json.dumps({"id": "dup", "title": "T", "text": "Other."}))
    ids = [a.id for a in load_paths([tmp_path]).articles]
    assert ids[0] == "dup" and len(ids) == 2
    assert ids[1].startswith("dup~")
