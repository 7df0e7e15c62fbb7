"""The locale word lists come from settings, through the composition root."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer.lexicon import Locale
from bot.app import App
from config.settings import load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("NEWSDESK_HOME_COUNTRY", "NEWSDESK_FRAMING_WORDS", "NEWSDESK_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_the_default_home_country_is_the_us() -> None:
    app = App(load_settings())
    assert app.locale.home_country == frozenset({("US",)})
    assert app.locale == Locale.build(home_country=["USA"])  # any form of the name


def test_home_country_and_framing_words_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME_COUNTRY", '["United Kingdom"]')
    monkeypatch.setenv("NEWSDESK_FRAMING_WORDS", '["fortnight", "lately"]')
    app = App(load_settings())
    assert app.locale.home_country == frozenset({("UK",)})
    assert app.locale.framing == frozenset({"fortnight", "late"})
    # The answerer reads questions with it.
    assert app.answerer.locale is app.locale  # type: ignore[attr-defined]


def test_no_home_country(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_HOME_COUNTRY", "[]")
    assert App(load_settings()).locale.home_country == frozenset()
