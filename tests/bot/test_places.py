"""Place names for "where" questions: ISO 3166 countries and US states, and located names."""

from __future__ import annotations

import pytest

from bot.answer.places import is_known_place, is_located
from bot.answer.question import analyze_question
from bot.answer.relevance import answer_type_score


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("South Carolina", True),
        ("Georgia's", True),  # possessive
        ("United States", True),
        ("South Korea", True),  # the common name, not "Korea, Republic of"
        ("Ohio Otters", True),  # holds a state
        ("Joe Biden", False),
        ("Plains", False),  # a town: not in the gazetteer, found by "in Plains" instead
    ],
)
def test_known_places(name: str, known: bool) -> None:
    assert is_known_place(name) is known


def test_a_name_after_a_locative_word_is_a_place() -> None:
    assert is_located("Atlanta", "The tribute service in Atlanta was attended by many.")
    assert is_located("Harbor Flats", "Hundreds remain in the Harbor Flats on Wednesday.")
    assert not is_located("Mira Quell", "It was attended by Mayor Mira Quell.")
    # "from" is not locative enough: expelled from the council, resigned from Google.
    assert not is_located("Council", "Dorne was expelled from Council on Friday.")


def test_asked_where_a_placed_name_beats_any_other_name() -> None:
    info = analyze_question("Which state is Alder Dorne from?")
    placed = answer_type_score(info, "The New York native has been mired in controversy.")
    other = answer_type_score(info, "Dorne was censured after a Parish Ethics Board report.")
    assert placed == 1.0
    assert 0.5 <= other < placed  # still a possible answer: the gate does not refuse it


def test_new_opens_a_place_name_mid_sentence() -> None:
    from bot.answer.names import names

    assert [n.text for n in names("The New York native flew to New Zealand.")] == [
        "New York",
        "New Zealand",
    ]
    # Opening a sentence, "New" is an ordinary word.
    assert [n.text for n in names("New rules apply in Ohio.")] == ["Ohio"]
    # A stopword, it is no name *term*: vocabularies it is matched against have no stopwords.
    assert names("The New York native")[0].terms == ("York",)


def test_retrieval_hint_is_given_for_who_and_where_questions_only() -> None:
    from bot.answer.relevance import answer_type_hint

    hint = answer_type_hint()
    where = hint("Which state is Alder Dorne from?")
    assert where is not None
    assert where("The New York native has been mired in controversy.")
    assert not where("Dorne was censured after a Parish Ethics Board report.")
    who = hint("Who leads the FILM-GUILD?")
    assert who is not None and who("The union is led by Petra Vanlo.")
    assert not who("The union is led by a committee.")
    assert hint("How many shells has North Korea sent?") is None


def test_the_composition_root_gives_search_the_answer_type_hint(tmp_path) -> None:
    from bot.app import make_searcher
    from index.store import IndexStore

    searcher = make_searcher(IndexStore(tmp_path / "index"), embedder=None)  # type: ignore[arg-type]
    assert searcher.answer_type is not None
    who = searcher.answer_type("Who leads the FILM-GUILD?")
    assert who is not None and who("The union is led by Petra Vanlo.")


def test_a_located_name_is_the_whole_word_in_any_case() -> None:
    assert is_located("Kyiv", "Strikes hit targets NEAR KYIV overnight.")
    assert not is_located("Atlanta", "Fans in Atlantans' homes watched the game.")
    assert is_located("Washington, DC", "A tree fell in Washington, DC, on Tuesday.")


@pytest.mark.parametrize(
    ("form", "name"),
    [
        ("US", ("US",)),
        ("U.S.", ("US",)),
        ("USA", ("US",)),
        ("United States", ("US",)),
        ("United States of America", ("US",)),
        ("America", ("US",)),
        ("American", ("US",)),
        ("Americans", ("US",)),
        ("Nigerian", ("Nigeria",)),
        ("Nigerien", ("Niger",)),
        ("North Korean", ("North", "Korea")),
        ("Russian Federation", ("Russia",)),  # pycountry's official name
        ("Viet Nam", ("Vietnam",)),  # pycountry's short name, our name
        ("Latin American", ("Latin", "American")),  # a region, not the US
    ],
)
def test_country_forms_are_one_name(form: str, name: tuple[str, ...]) -> None:
    from bot.answer.terms import name_key

    assert name_key(form) == name


def test_lower_case_words_are_not_country_forms() -> None:
    from bot.answer.terms import content_terms

    assert content_terms("us and the turkey") == ["turkey"]
    assert content_terms("Us and the Turkey talks") == ["Turkey", "talk"]


def test_punctuation_ends_a_name() -> None:
    from bot.answer.names import names

    sentence = "'We will not talk to Ostmark,' Ms. Vale said, in “New Lindmoor” (Veltra)."
    assert [n.text for n in names(sentence)] == ["Ostmark", "Ms Vale", "New Lindmoor", "Veltra"]
    # An apostrophe inside a word and the dots of an initialism do not end a name.
    assert [n.text for n in names("The U.S. team met Veltra’s envoy.")] == ["US", "Veltra"]
