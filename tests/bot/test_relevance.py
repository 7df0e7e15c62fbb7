"""The evidence gate and the text helpers it stands on (sentences, terms, numbers, questions)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.answer.relevance import (
    answer_type_score,
    assess_passages,
    relevant_passages,
)
from bot.answer.text import (
    AnswerKind,
    analyze_question,
    content_terms,
    has_date,
    numbers,
    split_sentences,
    terms_match,
    years,
)
from index.models import Passage


def _passage(text: str, title: str = "", pid: str = "p", published: date | None = None) -> Passage:
    return Passage(
        chunk_id=f"{pid}:0", article_id=pid, title=title, text=text, score=0.5, published=published
    )


# Sentences from the sample articles (004, 003, 002): Iran is mentioned, never as sending troops.
IRAN = _passage(
    "Russia's offensive in Ukraine has disrupted Moscow's ties with the West. Instead, North Korea "
    "and Iran have emerged as Russia's biggest supporters. Both Tehran and Pyongyang are believed "
    "to be supplying Moscow with weapons. However, sending soldiers would mean a massive escalation.",
    title="North Korea assures Russia of support until victory in Ukraine",
    pid="004",
)
TROOPS = _passage(
    "Pyongyang sent over 11,000 troops to Russia in 2024, and another 3,000 in the early months of "
    "this year, a report from the 11-country Multilateral Sanctions Monitoring Team said last week.",
    title="Kim Jong Un vows to 'unconditionally support' Russia's war against Ukraine",
    pid="003",
)
OFFICIALS = _passage(
    "Ukrainian officials have reported that North Korea sent approximately 14,000 troops, including "
    "3,000 reinforcements to replace their losses.",
    title="North Korea confirms troop deployment",
    pid="002",
)
PASSAGES = [IRAN, TROOPS, OFFICIALS]


# --- sentence splitting ------------------------------------------------------------------------


def test_split_sentences_handles_abbreviations_numbers_and_quotes() -> None:
    text = (
        'Mr. Lee met U.S. officials on Monday. It cost $9.5 million, he said. "We will win," '
        'Choe said. "No!" She left. Lloyd J. Austin spoke.\nA headline without a stop\n'
        "The talks moved to the U.S. The end came soon."
    )
    assert split_sentences(text) == [
        "Mr. Lee met U.S. officials on Monday.",
        "It cost $9.5 million, he said.",
        '"We will win," Choe said.',
        '"No!"',
        "She left.",
        "Lloyd J. Austin spoke.",
        "A headline without a stop",
        "The talks moved to the U.S.",
        "The end came soon.",
    ]


def test_terms_are_stemmed_and_stopwords_dropped() -> None:
    assert content_terms("The shells were sent and deployed") == ["shell", "send", "deploy"]
    assert content_terms("the U.S. told us") == ["us"]  # the acronym stays, the pronoun goes
    assert terms_match("korea", "korean") and terms_match("ukraine", "ukrainian")
    assert not terms_match("iran", "iraq")


def test_numbers_and_years_are_normalised() -> None:
    assert numbers("as many as 9 million rounds and 14,000 troops, $550") == {9e6, 14000.0, 550.0}
    assert numbers("9,000,000") == numbers("9 million")
    assert numbers("three ships") == {3.0}
    assert years("in 2024 and 1949, not 14,000") == {2024, 1949}
    assert has_date("In late April, North Korea announced") and has_date("Last week, a group")
    assert not has_date("Russia may transfer technology")


# --- question analysis -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who met Kim Jong Un in Pyongyang?", AnswerKind.WHO),
        ("When did North Korea announce its first naval destroyer?", AnswerKind.WHEN),
        ("Where did Choe and Lavrov meet?", AnswerKind.WHERE),
        ("Which region were troops deployed to?", AnswerKind.WHERE),
        ("Which musician will headline the halftime show?", AnswerKind.WHO),
        ("How many artillery shells has North Korea sent?", AnswerKind.HOW_MANY),
        ("How much did the tickets cost?", AnswerKind.HOW_MUCH),
        ("What did the watchdog group classify the alliance as?", AnswerKind.WHAT),
        ("In what year did Kim Il Sung visit Moscow?", AnswerKind.WHEN),
        ("Did Russia confirm the deployment?", AnswerKind.YES_NO),
        ("Why did Pyongyang confirm it?", AnswerKind.OTHER),
        ("Hollywood writers went on strike. Who leads the actors' union?", AnswerKind.WHO),
        # "this week" frames the time of the news; the asked-for thing is the institution.
        ("Which US institution this week released a code of conduct?", AnswerKind.WHAT),
        ("Which day this week was dedicated to volunteering?", AnswerKind.WHEN),
    ],
)
def test_answer_kind(question: str, kind: AnswerKind) -> None:
    assert analyze_question(question).kind is kind


def test_question_entities_terms_and_years() -> None:
    info = analyze_question("Who won the 2022 World Cup final in Qatar?")
    assert ("world", "cup") in info.entities and ("qatar",) in info.entities
    assert info.years == frozenset({2022})
    assert "win" in info.terms and "final" in info.terms
    # A demonym used as an adjective is a term, not an entity the passage must name.
    assert analyze_question("Which American football team won?").entities == ()
    assert analyze_question("Former President Donald Trump was found liable where?").entities == (
        ("donald", "trump"),
    )


# --- answer type -------------------------------------------------------------------------------


def test_answer_type_needs_a_new_number_date_or_name() -> None:
    how_many = analyze_question("How many troops did North Korea send?")
    assert answer_type_score(how_many, "North Korea sent approximately 14,000 troops.") == 1.0
    assert answer_type_score(how_many, "North Korea sent troops in 2024.") == 0.0  # a year
    when = analyze_question("When did North Korea announce its destroyer?")
    assert answer_type_score(when, "In late April, North Korea announced it.") == 1.0
    assert answer_type_score(when, "North Korea announced its destroyer.") == 0.0
    who = analyze_question("Who met Kim in Pyongyang?")
    assert answer_type_score(who, "Kim met Sergei Shoigu in Pyongyang.") == 1.0
    assert answer_type_score(who, "Kim had a meeting in Pyongyang.") == 0.0


# --- the gate ----------------------------------------------------------------------------------


def test_iran_troops_question_is_refused_although_iran_and_troops_appear() -> None:
    # Every word of the question occurs in these passages, and 11,000/14,000 are troop numbers;
    # but no sentence near "Iran" holds a number.
    assert relevant_passages("How many troops did Iran send to Russia?", PASSAGES) == []


def test_north_korea_troops_question_passes_with_the_numbered_passages() -> None:
    kept = relevant_passages("How many troops did North Korea send to Russia?", PASSAGES)
    assert [p.article_id for p in kept] == ["003", "002"]  # ranked order kept


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2022 World Cup final?",
        "What is the capital of Australia?",
        "Who is the CEO of Apple?",
        "How much did Bitcoin rise last week?",
        "Who is the prime minister of Canada?",
    ],
)
def test_questions_about_absent_things_are_refused(question: str) -> None:
    assert relevant_passages(question, PASSAGES) == []


def test_year_must_match_text_or_publication_date() -> None:
    passage = _passage(
        "Argentina beat France on penalties to win the World Cup final in Qatar.",
        title="Argentina win the World Cup",
    )
    question = "Who won the 2022 World Cup final?"
    assert relevant_passages(question, [passage]) == []
    dated = _passage(passage.text, title=passage.title, published=date(2022, 12, 18))
    assert relevant_passages(question, [dated]) == [dated]


def test_restating_passage_without_the_answer_type_is_not_evidence() -> None:
    preview = _passage(
        "Argentina and France meet in the World Cup final on Sunday in Qatar. Fans of both "
        "teams hope their side will win the final.",
        title="World Cup final preview",
    )
    verdicts = assess_passages("Who will win the World Cup final in Qatar?", [preview])
    # "Argentina" and "France" are new names, so a "who" passage needs more: here it passes on
    # answer type; the check that matters is that a preview without any name fails.
    assert verdicts[0].relevant
    nameless = _passage("The final is on Sunday in Qatar and fans hope their side will win.")
    assert not assess_passages("Who will win the World Cup final in Qatar?", [nameless])[0].relevant


def test_reasons_are_reported() -> None:
    verdicts = assess_passages("How many troops did Iran send to Russia?", PASSAGES)
    assert [v.relevant for v in verdicts] == [False, False, False]
    assert verdicts[0].reason == "no sentence holds a how many answer"
    # 003 names Russia but not Iran: one of two entities may be an alias, so the passage level
    # lets it through and the sentence level, where the rare "Iran" weighs most, rejects it.
    assert verdicts[1].reason == "no sentence covers the question"
    assert verdicts[2].reason.startswith("entity missing")  # neither Iran nor Russia


def test_question_without_content_words_is_refused() -> None:
    assert relevant_passages("What is it?", PASSAGES) == []


def test_question_framing_and_home_country_are_not_required_terms() -> None:
    from bot.answer.text import analyze_question

    info = analyze_question("Which Republican candidate dropped out of the US race last weekend?")
    assert info.entities == ()
    assert not {"week", "weekend", "last"} & set(info.terms)
    # Nor a term: US news rarely writes "US" (measured: one more RealTime QA answer right).
    assert "us" not in info.terms
    assert analyze_question("Which state sued Meta?").terms[:2] == ("state", "sue")
    # Part of a name it stays: the US Open is not the setting.
    assert analyze_question("Who won the US Open?").entities == (("us", "open"),)
