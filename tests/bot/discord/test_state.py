"""Feedback SQLite and the conversation registry: pure storage, no Discord."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from bot.answer.models import Answer, Citation
from bot.discord.conversations import ConversationRegistry, ThreadConversation
from bot.discord.feedback import (
    DOWN,
    UP,
    FeedbackStore,
    Origin,
    Tally,
    ThreadHistory,
    answer_from_record,
    answer_record,
)
from index.models import SearchFilters
from tests.bot.discord.test_render import passage


def sample_answer() -> Answer:
    return Answer(
        "How many shells?",
        "Nine million [1], and more [2].",
        citations=[Citation(1, passage(3)), Citation(2, passage(4, url=None, published=None))],
        passages=[passage(3), passage(4)],
        notices=["Note: old."],
        dropped_claims=1,
    )


def test_answer_round_trips_through_its_record():
    answer = sample_answer()
    back = answer_from_record(answer_record(answer))
    assert back.text == answer.text and back.notices == answer.notices
    assert back.citations == [Citation(c.n, c.passage) for c in answer.citations]
    assert back.passages[0].published == answer.passages[0].published
    assert back.dropped_claims == 1


def test_a_second_vote_replaces_the_first_and_survives_reopening(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    answer_id = store.save_answer(sample_answer(), Origin(1, 2, 3))
    assert store.vote(answer_id, UP, Origin(1, 2, 7)) == Tally(1, 0)
    assert store.vote(answer_id, UP, Origin(1, 2, 7)) == Tally(1, 0)  # no double count
    assert store.vote(answer_id, DOWN, Origin(1, 2, 7)) == Tally(0, 1)
    assert store.vote(answer_id, UP, Origin(1, 2, 8)) == Tally(1, 1)

    reopened = FeedbackStore(tmp_path / "f.sqlite3")
    assert reopened.tally(answer_id) == Tally(1, 1)
    stored = reopened.get_answer(answer_id)
    assert stored is not None and stored.answer.question == "How many shells?"
    assert stored.origin == Origin(1, 2, 3)
    rows = (
        sqlite3.connect(tmp_path / "f.sqlite3")
        .execute("SELECT user_id, vote, guild_id, channel_id, voted_at FROM votes ORDER BY user_id")
        .fetchall()
    )
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(7, -1, 1, 2), (8, 1, 1, 2)]
    assert all(r[4] for r in rows)
    with pytest.raises(ValueError):
        store.vote(answer_id, 2, Origin(1, 2, 9))
    assert store.get_answer("000000000000") is None


def test_thread_history_in_order_with_the_opening_answers_filters(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    narrowed = SearchFilters(since=date(2024, 6, 1), source="Harbour Gazette")
    first = store.save_answer(sample_answer(), Origin(1, 2, 3), filters=narrowed)
    second = store.save_answer(
        Answer("And?", "More [3].", citations=[Citation(3, passage(5))]), Origin(1, 2, 3)
    )
    store.link_thread(99, first)
    store.link_thread(99, second)
    history = FeedbackStore(tmp_path / "f.sqlite3").thread_history(99)
    assert [a.question for a in history.turns] == ["How many shells?", "And?"]
    assert history.filters == narrowed
    assert store.get_answer(first).filters == narrowed
    assert store.get_answer(second).filters is None
    assert store.thread_history(100) == ThreadHistory(turns=[], filters=None)


def test_unnarrowed_filters_are_stored_as_nothing(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    answer_id = store.save_answer(sample_answer(), Origin(1, 2, 3), filters=SearchFilters())
    assert store.get_answer(answer_id).filters is None
    only_since = SearchFilters(since=date(2024, 6, 1))
    answer_id = store.save_answer(sample_answer(), Origin(1, 2, 3), filters=only_since)
    assert store.get_answer(answer_id).filters == only_since


def test_a_store_from_before_filters_gains_the_column_and_keeps_its_answers(tmp_path):
    path = tmp_path / "f.sqlite3"
    old = FeedbackStore(path)
    answer_id = old.save_answer(sample_answer(), Origin(1, 2, 3))
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE answers DROP COLUMN filters")  # as the previous version made it
    conn.commit()
    conn.close()

    store = FeedbackStore(path)
    stored = store.get_answer(answer_id)
    assert stored is not None and stored.filters is None
    newer = store.save_answer(sample_answer(), Origin(1, 2, 3), filters=SearchFilters(source="UPI"))
    assert store.get_answer(newer).filters == SearchFilters(source="UPI")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_registry_evicts_least_recently_used_and_expires_idle():
    clock = Clock()
    registry = ConversationRegistry(max_items=2, ttl_s=60, clock=clock)
    a, b, c = ThreadConversation(), ThreadConversation(), ThreadConversation()
    registry.put(1, a)
    registry.put(2, b)
    assert registry.get(1) is a  # 1 is now the most recent
    registry.put(3, c)
    assert 2 not in registry and registry.get(1) is a and registry.get(3) is c
    assert len(registry) == 2

    clock.now = 30
    registry.get(3)  # touched: lives 60 s from now
    clock.now = 61
    assert 1 not in registry and registry.get(3) is c
    clock.now = 200
    assert len(registry) == 0 or registry.get(3) is None
    assert len(registry) == 0
    with pytest.raises(ValueError):
        ConversationRegistry(0, 1)


def test_user_cooldown_per_user_and_forgets_old_entries():
    from bot.discord.cooldown import UserCooldown

    clock = Clock()
    cooldown = UserCooldown(10, clock)
    assert cooldown.retry_after(1) == 0
    clock.now = 4
    assert cooldown.retry_after(1) == pytest.approx(6)
    assert cooldown.retry_after(2) == 0  # another user is not slowed
    clock.now = 10.5
    assert cooldown.retry_after(1) == 0 and len(cooldown) == 2
    clock.now = 30
    cooldown.retry_after(3)
    assert len(cooldown) == 1  # 1 and 2 are gone
    assert UserCooldown(0, clock).retry_after(1) == 0


class _FlakyQA:
    """A QA service whose Chroma server is down for the first ``down`` calls."""

    def __init__(self, down: int) -> None:
        self.down = down
        self.calls = 0

    def ask(self, question, **_):
        from index.errors import ServerUnavailable

        self.calls += 1
        if self.calls <= self.down:
            raise ServerUnavailable("NEWSDESK_CHROMA_URL=http://127.0.0.1:9: cannot connect")
        return Answer(question=question, text="It reopened on Monday [1].")


class _AppWithQA:
    def __init__(self, qa: _FlakyQA) -> None:
        self.qa = qa


def test_the_backend_retries_while_the_server_is_away(tmp_path):
    from bot.discord.backend import Backend
    from index.errors import ServerUnavailable

    feedback = FeedbackStore(tmp_path / "feedback.sqlite3")
    back = Backend(_AppWithQA(_FlakyQA(down=2)), feedback, retry_delays_s=(0.0, 0.0, 0.0))
    assert back.ask("When did the bridge reopen?").text.startswith("It reopened")
    assert back.app.qa.calls == 3

    gone = Backend(_AppWithQA(_FlakyQA(down=99)), feedback, retry_delays_s=(0.0, 0.0))
    with pytest.raises(ServerUnavailable, match="NEWSDESK_CHROMA_URL"):
        gone.ask("When did the bridge reopen?")
    assert gone.app.qa.calls == 3, "two retries, then the error goes to the user"
