"""Place names for "where" questions: ISO 3166 countries and US states, and located names."""

from __future__ import annotations

import pytest

from bot.answer.places import is_known_place, is_located
from bot.answer.relevance import answer_type_score
from bot.answer.text import analyze_question


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("South Carolina", True),
        ("Georgia's", True),  # possessive
        ("United States", True),
        ("South Korea", True),  # the common name, not "Korea, Republic of"
        ("Texas Rangers", True),  # holds a state
        ("Joe Biden", False),
        ("Plains", False),  # a town: not in the gazetteer, found by "in Plains" instead
    ],
)
def test_known_places(name: str, known: bool) -> None:
    assert is_known_place(name) is known


def test_a_name_after_a_locative_word_is_a_place() -> None:
    assert is_located("Atlanta", "The tribute service in Atlanta was attended by many.")
    assert is_located("Gaza Strip", "Hundreds remain in the Gaza Strip on Wednesday.")
    assert not is_located("Joe Biden", "It was attended by President Joe Biden.")
    # "from" is not locative enough: expelled from Congress, resigned from Google.
    assert not is_located("Congress", "Santos was expelled from Congress on Friday.")


def test_asked_where_a_placed_name_beats_any_other_name() -> None:
    info = analyze_question("Which state is George Santos from?")
    placed = answer_type_score(info, "The New York native has been mired in controversy.")
    other = answer_type_score(info, "Santos was expelled after a House Ethics Committee report.")
    assert placed == 1.0
    assert 0.5 <= other < placed  # still a possible answer: the gate does not refuse it


def test_new_opens_a_place_name_mid_sentence() -> None:
    from bot.answer.text import names

    assert [n.text for n in names("The New York native flew to New Zealand.")] == [
        "New York",
        "New Zealand",
    ]
    # Opening a sentence, "New" is an ordinary word.
    assert [n.text for n in names("New rules apply in Ohio.")] == ["Ohio"]
    # A stopword, it is no name *term*: vocabularies it is matched against have no stopwords.
    assert names("The New York native")[0].terms == ("york",)


def test_retrieval_hint_is_given_for_who_and_where_questions_only() -> None:
    from bot.answer.relevance import answer_type_hint

    where = answer_type_hint("Which state is George Santos from?")
    assert where is not None
    assert where("The New York native has been mired in controversy.")
    assert not where("Santos was expelled after a House Ethics Committee report.")
    who = answer_type_hint("Who leads SAG-AFTRA?")
    assert who is not None and who("The union is led by Fran Drescher.")
    assert answer_type_hint("How many shells has North Korea sent?") is None


def test_the_composition_root_gives_search_the_answer_type_hint(tmp_path) -> None:
    from bot.answer.relevance import answer_type_hint
    from bot.app import make_searcher
    from index.store import IndexStore

    searcher = make_searcher(IndexStore(tmp_path / "index"), embedder=None)  # type: ignore[arg-type]
    assert searcher.answer_type is answer_type_hint


def test_a_located_name_is_the_whole_word_in_any_case() -> None:
    assert is_located("Kyiv", "Strikes hit targets NEAR KYIV overnight.")
    assert not is_located("Atlanta", "Fans in Atlantans' homes watched the game.")
    assert is_located("Washington, DC", "A tree fell in Washington, DC, on Tuesday.")
