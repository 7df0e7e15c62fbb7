"""The staleness notice for questions about the present."""

from __future__ import annotations

from datetime import date

from bot.answer.recency import recency_notice
from index.models import Passage

TODAY = date(2026, 11, 30)


def _p(title: str, published: date | None) -> Passage:
    return Passage(f"{title}#0", title, title, "text", 0.5, published=published)


def test_the_notice_names_the_newest_article() -> None:
    passages = [_p("Bridge reopens", date(2026, 3, 2)), _p("Ferry strike", date(2026, 5, 9))]
    notice = recency_notice("Is the ferry still on strike?", passages, today=TODAY)
    assert notice == (
        "Note: as of the newest matching article, 2026-05-09 (Ferry strike); newer events are "
        "not in the archive."
    )


def test_no_notice_for_a_question_not_about_the_present() -> None:
    assert recency_notice("Who won the regatta?", [_p("Regatta", date(2026, 5, 9))]) is None


def test_a_future_dated_article_is_not_the_newest() -> None:
    passages = [_p("Typo", date(2099, 1, 1)), _p("Ferry strike", date(2026, 5, 9))]
    notice = recency_notice("What is the latest on the ferry?", passages, today=TODAY)
    assert notice is not None and "2026-05-09 (Ferry strike)" in notice and "2099" not in notice


def test_undated_articles_say_so() -> None:
    notice = recency_notice("What is the latest on the ferry?", [_p("Ferry", None)], today=TODAY)
    assert notice == "Note: the archive may be out of date, and these articles carry no dates."
    only_future = recency_notice("Latest ferry news?", [_p("Typo", date(2099, 1, 1))], today=TODAY)
    assert only_future == notice


def test_an_answer_is_dated_by_the_articles_it_cites() -> None:
    cited = _p("Ferry strike", date(2026, 5, 9))
    passages = [cited, _p("Regatta results", date(2026, 6, 1))]
    notice = recency_notice("Is the ferry still on strike?", passages, cited=[cited], today=TODAY)
    assert notice == (
        "Note: as of the newest cited article, 2026-05-09 (Ferry strike); newer events are "
        "not in the archive."
    )
    refused = recency_notice("Is the ferry still on strike?", passages, today=TODAY)
    assert refused is not None and "newest matching article, 2026-06-01 (Regatta" in refused
