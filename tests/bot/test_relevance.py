"""The evidence gate and the text helpers it stands on (sentences, terms, numbers, questions)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.answer.quantities import numbers, stated_money
from bot.answer.question import AnswerKind, analyze_question
from bot.answer.relevance import (
    answer_type_score,
    assess_passages,
    relevant_passages,
)
from bot.answer.sentences import has_quotation, refers_back, split_sentences
from bot.answer.terms import content_terms, terms_match
from index.dates import has_date, without_dates, years
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


@pytest.mark.parametrize(
    ("sentence", "quotes"),
    [
        ("The mayor called it “a disgrace” on Friday.", True),
        ('The mayor called it "a disgrace" on Friday.', True),
        ("Such plans were 'not worth the paper,' said Ada Morrow.", True),
        ("She called it ‘a quiet victory’ in the end.", True),
        ("The 'Green Line' opened.", True),
        ("The players' union said Veltra's offer was late.", False),
        ("Rock 'n' roll is back in Ostmark.", False),
        ("The mayor's aides denied it.", False),
    ],
)
def test_a_quotation_is_in_double_or_single_quotes_but_an_apostrophe_is_none(
    sentence: str, quotes: bool
) -> None:
    assert has_quotation(sentence) is quotes


def test_a_wire_dateline_is_not_part_of_the_first_sentence() -> None:
    text = "LINDMOOR, March 3 (NPA) -- The ferry opened. It carried 40 cars.\nJune 4 (UPI) — Rain."
    assert split_sentences(text) == [
        "LINDMOOR, March 3 (NPA) --",
        "The ferry opened.",
        "It carried 40 cars.",
        "June 4 (UPI) —",
        "Rain.",
    ]
    # Brackets and dashes inside a sentence are not a dateline.
    assert split_sentences("The plan (new) -- or not. Done.") == [
        "The plan (new) -- or not.",
        "Done.",
    ]


def test_words_are_stemmed_and_stopwords_dropped() -> None:
    assert content_terms("The shells were sent and deployed") == ["shell", "send", "deploy"]
    assert content_terms("the U.S. told us") == ["US"]  # the acronym stays, the pronoun goes
    # A two-letter acronym is written in capitals; a two-letter part of a person's name is not.
    assert content_terms("Kim Jong Un wrote to the UN") == ["kim", "Jong", "Un", "write", "UN"]
    # "May" inside a sentence is the month; opening one, or in lower case, the modal.
    assert content_terms("He unveiled it in May") == ["unveil", "May"]
    assert content_terms("May they win? They may.") == ["win"]


def test_words_are_stemmed_as_the_keyword_index_stems_them() -> None:
    from index.keyword import tokenize

    text = "deployments of shells and rockets continued at meetings"
    assert content_terms(text) == list(tokenize([text])[0])


def test_names_are_matched_whole() -> None:
    assert content_terms("Talks in Beijing ended") == ["talk", "Beijing", "end"]
    assert not terms_match("Niger", "Nigeria")
    assert not terms_match("India", "Indiana")
    assert not terms_match("Harris", "Harrison")
    assert not terms_match("Harris", "Harry")  # the stemmer makes both "harri"
    assert not terms_match("Iran", "Iraq")
    # Opening a sentence a capital says nothing, so the word is stemmed ("Beijing" -> "beij")
    # and still matches the name.
    assert content_terms("Beijing said no.") == ["beij"]
    assert terms_match("Beijing", "beij")
    # Title case (a headline) still matches the question's lower-case words.
    assert terms_match("Vows", "vow") and terms_match("President", "presid")


def test_demonyms_and_country_forms_are_the_country() -> None:
    assert content_terms("American, U.S. and United States officials") == [
        "US",
        "US",
        "US",
        "offici",
    ]
    assert content_terms("Nigerian troops") == ["Nigeria", "troop"]
    assert content_terms("Nigerien troops") == ["Niger", "troop"]
    assert content_terms("Ukrainian and Iranian drones") == ["Ukraine", "Iran", "drone"]


def test_numbers_and_years_are_normalised() -> None:
    assert numbers("as many as 9 million rounds and 14,000 troops, $550") == {9e6, 14000.0, 550.0}
    assert numbers("9,000,000") == numbers("9 million")
    assert numbers("three ships") == {3.0}
    assert years("in 2024 and 1949, not 14,000") == {2024, 1949}
    assert has_date("In late April, North Korea announced") and has_date("Last week, a group")
    assert not has_date("Russia may transfer technology")


def test_ordinals_codes_and_times_of_day_are_no_amounts() -> None:
    # A place in a row, a part of a name or code, an hour: none counts anything.
    assert numbers("the first 21st-century flight, the 3rd time") == set()
    assert numbers("after the COVID-19 pandemic, an F-16 and a G7 summit") == set()
    assert numbers("a 3-2 win and 10km") == {3.0, 2.0, 10.0}
    for text in ("It left at 7:25 p.m.", "landing at 3:30", "at 10am", "by 3 PM", "the 1990s"):
        assert has_date(text), text
        assert numbers(without_dates(text)) == set(), text
    assert not has_date("about 3 people")


# --- question analysis -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who met Kim Jong Un in Pyongyang?", AnswerKind.WHO),
        ("When did North Korea announce its first naval destroyer?", AnswerKind.WHEN),
        ("Where did Choe and Lavrov meet?", AnswerKind.WHERE),
        ("Which region were troops deployed to?", AnswerKind.WHERE),
        ("Which musician will open the harvest festival?", AnswerKind.WHO),
        ("How many artillery shells has North Korea sent?", AnswerKind.HOW_MANY),
        ("How much did the tickets cost?", AnswerKind.HOW_MUCH),
        ("What did the watchdog group classify the alliance as?", AnswerKind.WHAT),
        ("In what year did Kim Il Sung visit Moscow?", AnswerKind.WHEN),
        ("Did Russia confirm the deployment?", AnswerKind.YES_NO),
        ("Why did Pyongyang confirm it?", AnswerKind.OTHER),
        ("Dock workers went on strike. Who leads the porters' union?", AnswerKind.WHO),
        # "this week" frames the time of the news; the asked-for thing is the agency, whose
        # answer is a name, as an airline's, a company's or a person's is.
        ("Which US agency this week published a new style guide?", AnswerKind.WHO),
        ("Which Ostmark airline flies to Lindmoor?", AnswerKind.WHO),
        ("Which Ostmark newspaper broke the story?", AnswerKind.WHO),
        ("Which day this week was set aside for tree planting?", AnswerKind.WHEN),
        # A head noun is the listed noun or its plural, not a word sharing its stem:
        # broadcasts are no broadcaster, "placed" is no place.
        ("Which Ostmark broadcasters aired the final?", AnswerKind.WHO),
        ("What kind of broadcasts did Ostmark switch off?", AnswerKind.WHAT),
        ("Which type of storm placed Lindmoor under alerts?", AnswerKind.WHAT),
        ("Which countries sent envoys to Lindmoor?", AnswerKind.WHERE),
    ],
)
def test_answer_kind(question: str, kind: AnswerKind) -> None:
    assert analyze_question(question).kind is kind


@pytest.mark.parametrize(
    ("question", "clause"),
    [
        ("What did the Lindmoor mayor call the new ferry?", ()),
        ("What did the harbour master say?", ()),
        ("What did the harbour master say about the strike?", ()),
        ("What did the mayor tell reporters on Monday?", ()),
        # The verb takes a clause that holds the question: asked is what she stated of it.
        ("What did the mayor say the ferry company handed out?", ("ferri", "compani", "hand")),
        (
            "What did the report say the deal allowed Ostmark to fund?",
            ("deal", "allow", "Ostmark", "fund"),
        ),
        ("What did the mayor tell reporters the ferry would cost?", ("ferri", "cost")),
    ],
)
def test_a_question_asking_what_was_said_keeps_the_clause_the_verb_takes(
    question: str, clause: tuple[str, ...]
) -> None:
    info = analyze_question(question)
    assert info.asks_words
    assert info.said_clause == clause


@pytest.mark.parametrize(
    "question",
    [
        "What is the name of the ferry Veltra launched this week?",
        "What was the name of the festival held in Lindmoor?",
        "Under what name will the Ostmark cough syrup be sold?",
    ],
)
def test_a_question_asking_a_name_expects_a_name(question: str) -> None:
    assert analyze_question(question).kind is AnswerKind.WHO


def test_a_question_asking_how_someone_described_something_asks_words() -> None:
    assert analyze_question("How did the Lindmoor mayor describe the ferry strike?").asks_words
    assert analyze_question("How does the report describe the harbour?").asks_words
    assert not analyze_question("How did the Lindmoor ferry sink?").asks_words
    assert not analyze_question("How did Ostmark respond to the strike?").asks_words


def test_a_question_asking_no_words_has_no_said_clause() -> None:
    info = analyze_question("What is the ferry's top speed?")
    assert not info.asks_words
    assert info.said_clause == ()


def test_question_entities_terms_and_years() -> None:
    info = analyze_question("Who won the 2022 Harbor Cup final in Veltra?")
    assert ("Harbor", "Cup") in info.entities and ("Veltra",) in info.entities
    assert info.years == frozenset({2022})
    assert "win" in info.terms and "final" in info.terms
    # A demonym used as an adjective is a term, not an entity the passage must name.
    assert analyze_question("Which American rugby club won?").entities == ()
    assert analyze_question("Which Nigerian rugby club won?").entities == ()
    assert analyze_question("Former Mayor Ada Morrow was found liable where?").entities == (
        ("Ada", "Morrow"),
    )


def test_a_word_capitalised_for_opening_the_question_is_no_name() -> None:
    # Quiz questions often open with context: its first word is capitalised as any sentence's.
    latest = analyze_question("Latest figures show which river town flooded in Veltra?")
    assert latest.entities == (("Veltra",),)
    preamble = analyze_question("Storms hit the coast. Which harbour in Ostmark closed?")
    assert preamble.entities == (("Ostmark",),) and "storm" in preamble.terms
    # A name of two words or more opening it is still a name; the wh-word opens no run.
    assert analyze_question("Ada Morrow visited which town?").entities == (("Ada", "Morrow"),)
    assert analyze_question("Which town did Morrow visit?").entities == (("Morrow",),)


def test_a_letter_of_a_code_or_an_initial_is_no_name() -> None:
    # "H5N1" and "G7" come apart into letters and digits; a passage writes them whole.
    flu = analyze_question("Which animal in Veltra tested positive for H5N1 for the first time?")
    assert flu.entities == (("Veltra",),)
    assert analyze_question("Leaders met where for the annual G7 summit?").entities == ()
    assert analyze_question("Where did J. Morrow grow up?").entities == (("Morrow",),)


# --- answer type -------------------------------------------------------------------------------


def test_answer_type_needs_a_new_number_date_or_name() -> None:
    how_many = analyze_question("How many troops did North Korea send?")
    assert answer_type_score(how_many, "North Korea sent approximately 14,000 troops.") == 1.0
    assert answer_type_score(how_many, "North Korea sent troops in 2024.") == 0.0  # a year
    # A day of the month is a date, not a count.
    assert answer_type_score(how_many, "On June 4, North Korea sent troops.") == 0.0
    assert answer_type_score(how_many, "On June 4, North Korea sent 300 troops.") == 1.0
    # A number of what the question counts beats a number of something else.
    shells = analyze_question("How many artillery shells has Veltra sent to Ostmark?")
    assert shells.counted == ("artilleri", "shell")
    assert answer_type_score(shells, "Veltra shipped 9 million rounds of artillery.") == 1.0
    assert answer_type_score(shells, "Veltra sent 11,000 troops to Ostmark.") == 0.5
    # "N of them" counts what the sentence before named.
    before = "Veltra has sent 40,000 artillery shells so far."
    assert answer_type_score(shells, "9,000 of them reached Ostmark.", before) == 1.0
    assert answer_type_score(shells, "9,000 of them reached Ostmark.", "It sent troops.") == 0.5
    assert answer_type_score(shells, "9,000 of them reached Ostmark.") == 0.5
    assert not analyze_question("How many were hurt?").counted
    assert answer_type_score(analyze_question("How many were hurt?"), "Some 40 were hurt.") == 1.0
    when = analyze_question("When did North Korea announce its destroyer?")
    assert answer_type_score(when, "In late April, North Korea announced it.") == 1.0
    assert answer_type_score(when, "North Korea announced its destroyer.") == 0.0
    who = analyze_question("Who met Kim in Pyongyang?")
    assert answer_type_score(who, "Kim met Sergei Shoigu in Pyongyang.") == 1.0
    assert answer_type_score(who, "Kim had a meeting in Pyongyang.") == 0.0


PASSENGERS = "How many passengers were on the first ferry to Veltra?"


@pytest.mark.parametrize(
    ("question", "sentence", "score"),
    [
        (PASSENGERS, "It carried 310 passengers to Veltra.", 1.0),
        # An hour or a place in a row counts nothing; nor a name's number, nor, asked how many
        # of a thing, a measure or an amount of money.
        (PASSENGERS, "It left Ostmark at 7:25 p.m. for Veltra.", 0.0),
        (PASSENGERS, "The 21st-century ferry reached Veltra.", 0.0),
        (PASSENGERS, "The new Aerion 310 ferry reached Veltra.", 0.0),
        (PASSENGERS, "Veltra lies 80 miles away, a six-hour trip.", 0.0),
        (PASSENGERS, "Tickets to Veltra cost $310.", 0.0),
        # A capital says nothing of a name in a title-case headline.
        (PASSENGERS, "Veltra Sends 310 Ferries To Ostmark", 0.5),
        # Asked for a measure, a measure answers.
        ("How many years had the ferry to Veltra been closed?", "It was closed for 77 years.", 1.0),
        ("How far is Veltra from Ostmark?", "Veltra lies 80 miles from Ostmark.", 1.0),
        # A full name sharing a word with the question's is someone else's.
        ("Who speaks for Arno Veltman?", "Lisa Veltman speaks for her brother.", 1.0),
        ("Who speaks for Arno Veltman?", "Arno Veltman spoke, said Mr. Ruud.", 0.7),
        # Asked "which airline", a name holding the noun is one, as much as a full name is.
        ("Which airline flies to Veltra?", "Since May, Aerion Airlines flies to Veltra.", 1.0),
        ("Which airline flies to Veltra?", "Since May, Aerion flies to Veltra.", 0.7),
    ],
)
def test_what_counts_and_what_names(question: str, sentence: str, score: float) -> None:
    assert answer_type_score(analyze_question(question), sentence) == score


def test_the_noun_after_which_is_the_head_of_the_question() -> None:
    assert analyze_question("Which airline flies to Veltra?").head == "airlin"
    assert analyze_question("At which university did she speak?").kind is AnswerKind.WHO
    assert analyze_question("Who flies to Veltra?").head == ""


def test_an_amount_of_money_has_a_currency_sign_code_or_word() -> None:
    def amounts(text: str) -> list[float]:
        return [value for value, _ in stated_money(text)]

    assert amounts("Each ticket cost $550, for 300 seats.") == [550]
    assert amounts("a fine of €2.5 million") == [2.5e6]
    assert amounts("USD 3bn and 40 million euros") == [3e9, 4e7]
    assert amounts("HK$20 a ride") == [20]
    # A number of something else, or after a code that is no currency, is not money.
    assert amounts("550 passengers and a 5 percent rise") == []
    assert amounts("NATO 5 and ABC 7") == []


def test_asked_how_much_money_only_an_amount_of_money_answers() -> None:
    cost = analyze_question("How much did the ferry tickets to Veltra cost?")
    assert cost.kind is AnswerKind.HOW_MUCH and cost.asks_money
    assert answer_type_score(cost, "The 550 passengers paid $40 each for a ticket.") == 1.0
    # A sum for something the question does not price answers nothing.
    assert answer_type_score(cost, "The 550 passengers paid $40 each for lunch.") == 0.0
    assert answer_type_score(cost, "The ferry carried 550 passengers to Veltra.") == 0.0
    assert analyze_question("How much is the fine in euros?").asks_money
    # Asked how much of something else, any new number may answer.
    rain = analyze_question("How much rain fell in Veltra?")
    assert not rain.asks_money
    assert answer_type_score(rain, "Some 40 millimetres fell in Veltra.") == 1.0


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


def test_the_answer_may_be_one_sentence_after_the_one_covering_the_question() -> None:
    question = "How many drones did Veltra send to Ostmark?"
    passage = _passage(
        "Veltra's defence ministry spoke on Monday. The ministry said the convoy left at dawn. "
        "Its drones were sent to Ostmark by rail. Officials counted 400 in all."
    )
    # Only the third sentence's window covers the question (Veltra is two sentences back from
    # it); the number is in the fourth.
    other = _passage("Ostmark thanked its allies for drones on Monday.", pid="o")
    verdicts = assess_passages(question, [passage, other])
    assert verdicts[0].relevant
    assert [e.index for e in verdicts[0].evidence if e.supports] == [2]
    # Two sentences on is too far.
    later = _passage(passage.text.replace(" Officials", " Rain fell. Officials"))
    assert not assess_passages(question, [later, other])[0].relevant


def test_a_sentence_speaking_of_someone_by_a_pronoun_covers_the_name() -> None:
    question = "What did Arno Veltman open in May?"
    passage = _passage(
        "Arno Veltman has pushed to bring tourists back. In May, he opened a beach resort. "
        "The resort opened to the press in May."
    )
    by_index = {e.index: e.term_coverage for e in assess_passages(question, [passage])[0].evidence}
    # "he" is Arno Veltman: the second sentence holds every term; the third lacks the name.
    assert by_index[1] == 1.0
    assert by_index[2] < by_index[1]
    assert refers_back("In May, he opened a beach resort.")
    assert not refers_back("The resort opened to the press in May.")


def test_what_no_passage_names_is_not_answered_by_what_they_say_of_its_owner() -> None:
    airline = _passage(
        "Aerion Airlines flies to Veltra twice a week. Its founder, Lisa Veltman, sold it in May."
    )
    assert relevant_passages("Who is the founder of Aerion Airlines?", [airline]) == [airline]
    # Nothing says who runs it: a name near the airline is no answer.
    assert relevant_passages("Who is the chief executive of Aerion Airlines?", [airline]) == []
    # A quantity, a date or a sum is stated as one, mostly without its noun.
    fares = _passage("Aerion Airlines sells tickets to Veltra for $310 in 2024.")
    assert relevant_passages("What is the price of Aerion Airlines tickets?", [fares]) == [fares]


def test_the_attribute_a_question_asks_for() -> None:
    assert analyze_question("Who is the chief executive of Aerion?").attribute == "execut"
    assert analyze_question("What was the main purpose of the rally?").attribute == "purpos"
    for question in (
        "What is the name of the mayor?",  # a person: a passage gives her name, not "mayor"
        "What is the name of the new town?",
        "What was its name?",
        "What is the population of Veltra?",
        "What was the total amount of funding?",
        "What was the date of the summit?",
    ):
        assert analyze_question(question).attribute == "", question


def test_asked_for_a_name_a_passage_must_speak_of_the_kind_of_thing_named() -> None:
    question = "What is the name of Veltra's first icebreaker, launched in May?"
    assert analyze_question(question).attribute == "icebreak"
    assert analyze_question("What was the name of the festival that Lenn hosted?").attribute == (
        "festiv"
    )
    # A name near the navy is no icebreaker's.
    navy = _passage("Veltra's navy chief, Ivo Marek, met Ostrava's defence minister in May.")
    verdict = assess_passages(question, [navy])[0]
    assert not verdict.relevant and verdict.reason == "no passage names what is asked: icebreak"
    named = _passage("Veltra launched its first icebreaker, the Polar Tern, in May.", pid="ice")
    assert relevant_passages(question, [navy, named]) == [named]


def test_a_count_answers_only_for_the_event_the_question_counts() -> None:
    killed = "How many Veltran sailors have been killed in the storm?"
    assert {"kill", "die"} <= analyze_question(killed).event
    assert analyze_question("How many passengers were aboard the ferry?").event == frozenset()
    assert analyze_question("How many sailors did Veltra send?").event == frozenset()
    rescued = _passage("The storm hit the Veltran fleet on Monday. 40 sailors have been rescued.")
    verdict = assess_passages(killed, [rescued])[0]
    assert not verdict.relevant and verdict.reason == "no sentence holds a how many answer"
    # Another word for the same event answers it.
    dead = _passage("The storm hit the Veltran fleet on Monday. It left 12 sailors dead.")
    assert relevant_passages(killed, [dead]) == [dead]
    # After a light verb, the word that follows tells the event.
    prisoner = "How many Veltran sailors were taken prisoner by Ostrava?"
    assert "captur" in analyze_question(prisoner).event
    captured = _passage("Ostrava said it captured 30 Veltran sailors near the port on Monday.")
    assert relevant_passages(prisoner, [captured]) == [captured]
    assert relevant_passages(prisoner, [rescued]) == []


def test_a_sum_answers_only_for_what_the_question_prices() -> None:
    question = "How much did Aerion Airlines pay for its new Kestrel jet?"
    assert analyze_question(question).priced == ("Kestrel", "jet")
    assert analyze_question("How much do tickets to Veltra cost?").priced == ("ticket", "Veltra")
    fares = _passage(
        "Aerion Airlines flew its new Kestrel jet to Veltra on Monday. Tickets cost about $310."
    )
    verdict = assess_passages(question, [fares])[0]
    assert not verdict.relevant and verdict.reason == "no sentence holds a how much answer"
    bought = _passage("Aerion Airlines bought the Kestrel jet from Ostrava for $40 million.")
    assert relevant_passages(question, [bought]) == [bought]
    # A pronoun speaks of what the sentence before named.
    it = _passage("Aerion Airlines showed its new Kestrel jet on Monday. It cost $40 million.")
    assert relevant_passages(question, [it]) == [it]
    assert relevant_passages("How much do tickets to Veltra cost?", [fares]) == [fares]


def test_a_rate_is_not_what_a_count_counts() -> None:
    question = "How many ferries a week does Aerion run to Veltra?"
    assert analyze_question(question).counted == ("ferri",)
    # "80 miles" is a distance, and "an eight-hour crossing" a duration: no count of ferries.
    far = _passage("Aerion runs an eight-hour crossing to Veltra, roughly 80 miles away.")
    assert relevant_passages(question, [far]) == []
    weekly = _passage("Aerion runs three ferries a week to Veltra from its home port.")
    assert relevant_passages(question, [weekly]) == [weekly]


def test_spellings_of_one_name_are_one_name() -> None:
    # (A sentence-initial name is read as a word, as "Kyiv" would be.)
    assert content_terms("Kiev or Kyiv") == ["kyiv", "Kyiv"]
    assert content_terms("Zelensky or Zelenskyy") == ["zelenskyy", "Zelenskyy"]
    question = "What did Kyiv call on Western partners to remove?"
    passage = _passage("Kiev called on Western partners to remove all restrictions on arms.")
    assert relevant_passages(question, [passage]) == [passage]


def test_a_measure_is_answered_only_by_a_number_of_that_measure() -> None:
    question = "What is the population of Norvale?"
    assert analyze_question(question).measure == "population"
    assert analyze_question("What is the size of the fleet?").measure == ""  # no words for it
    assert analyze_question("Who is the chief executive of Aerion?").measure == ""
    # A number of miles says where Norvale is, not how many live there.
    distance = _passage("Norvale is a port on the Veltra coast, roughly 80 miles from Ostrava.")
    verdict = assess_passages(question, [distance])[0]
    assert not verdict.relevant and verdict.reason == "no sentence holds a population answer"
    residents = _passage("Norvale, a port of 120,000 residents, lies on the Veltra coast.")
    assert relevant_passages(question, [residents]) == [residents]
    # Named, the measure may come one sentence before its number.
    named = _passage("The population of Norvale has grown fast. It stood at 120,000 in May.")
    assert relevant_passages(question, [named]) == [named]
    # "100 missiles" counts missiles; a range is stated in a length.
    missiles = "Veltra shipped at least 100 Kestrel missiles to Ostrava."
    asked = "What is the range of the Kestrel missiles Veltra shipped?"
    assert relevant_passages(asked, [_passage(missiles)]) == []
    ranged = _passage(missiles + " The Kestrel can strike targets 300 km away.")
    assert relevant_passages(asked, [ranged]) == [ranged]


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
    question = "Who will win the Harbor Cup final in Veltra?"
    preview = _passage(
        "The Harbor Cup final is on Sunday in Veltra. Fans hope their side will win the final.",
        title="Harbor Cup final preview",
    )
    verdict = assess_passages(question, [preview])[0]
    assert not verdict.relevant
    assert verdict.reason == "no sentence holds a who answer"
    # The same passage naming the finalists holds a possible answer (a new name).
    named = _passage(
        "Ostrava Rovers meet Port Lenn in the Harbor Cup final on Sunday in Veltra. "
        "Fans hope their side will win the final.",
        title="Harbor Cup final preview",
    )
    assert assess_passages(question, [named])[0].relevant


def test_a_passage_about_nigeria_is_no_evidence_about_niger() -> None:
    question = "How many soldiers did Niger send to the border?"
    nigeria = _passage("Nigeria sent 500 soldiers to the border on Monday.", pid="ng")
    niger = _passage("Niger sent 300 soldiers to the border on Monday.", pid="ne")
    assert relevant_passages(question, [nigeria]) == []
    assert relevant_passages(question, [nigeria, niger]) == [niger]
    # The demonym names the country: "Nigerien soldiers" is about Niger.
    nigerien = _passage("About 300 Nigerien soldiers were sent to the border.", pid="ne2")
    assert relevant_passages(question, [nigerien]) == [nigerien]


def test_a_passage_about_indiana_is_no_evidence_about_india() -> None:
    question = "Who won the cricket final in India?"
    indiana = _passage("Mara Holt won the cricket final in Indiana on Sunday.", pid="in-us")
    india = _passage("Dev Sarin won the cricket final in India on Sunday.", pid="in")
    assert relevant_passages(question, [indiana, india]) == [india]


def test_american_in_the_passage_is_the_us_of_the_question() -> None:
    question = "How many drones did the US send to Veltra?"
    passage = _passage("American officials said 40 drones were sent to Veltra.", pid="us")
    assert relevant_passages(question, [passage]) == [passage]


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
    from bot.answer.lexicon import Locale

    us = Locale.build(home_country=["United States"])
    question = "Which Republican candidate left the US governor race last weekend?"
    info = analyze_question(question, us)
    assert info.entities == ()
    assert not {"week", "weekend", "last"} & set(info.terms)
    # Nor a term: US news rarely writes "US" (measured: one more RealTime QA answer right).
    assert "US" not in info.terms
    # Any form of the home country is the home country; another country is an entity.
    assert analyze_question("Which American state sued Acme?", us).entities == (("Acme",),)
    assert analyze_question(question.replace("US", "UK"), us).entities == (("UK",),)
    # Without a home country (the default locale) the US is an entity like any other.
    assert analyze_question(question).entities == (("US",),)
    assert analyze_question("Which state sued Acme?").terms[:2] == ("state", "sue")
    # Part of a name it stays: the US Open is not the setting.
    assert analyze_question("Who won the US Open?", us).entities == (("US", "Open"),)


def test_framing_words_come_from_the_locale() -> None:
    from bot.answer.lexicon import Locale

    question = "Who won the regatta this fortnight?"
    assert "fortnight" in analyze_question(question).terms
    locale = Locale.build(framing_words=["fortnight"])
    assert "fortnight" not in analyze_question(question, locale).terms


def test_a_person_named_in_full_must_be_in_the_passage() -> None:
    # Three entities, one may be missing -- as an alias ("Pyongyang" for North Korea) -- but
    # not a full name: a passage with none of its words is not about that person.
    question = "When did Harbor Party leader Ada Morrow visit Veltra in Nigeria?"
    other = _passage("Ola Brandt visited Veltra in Nigeria on Thursday, the party said.")
    assert relevant_passages(question, [other]) == []
    assert assess_passages(question, [other])[0].reason == "entity missing: Ada Morrow"
    named = _passage("Ada Morrow visited Veltra on Thursday, the party said.")
    assert relevant_passages(question, [named]) == [named]  # the country may go unsaid


def test_a_name_matches_itself_in_any_case_and_its_plural() -> None:
    assert content_terms("the FIFA cup and the Fifa cup") == ["Fifa", "cup", "Fifa", "cup"]
    assert terms_match("Europeans", "European") and terms_match("Democrat", "Democrats")
    assert content_terms("European and African leaders") == ["Europe", "Africa", "leader"]
    # Words keep the leniency names lose: derivations the stemmer keeps apart.
    assert terms_match("histor", "histori") and not terms_match("Niger", "Nigeria")


def test_a_passage_about_north_korea_is_no_evidence_about_south_korea() -> None:
    question = "How many attack drones did South Korea buy?"
    north = _passage("North Korea bought 40 attack drones, officials said.", pid="kp")
    south = _passage("South Korean officials said Seoul bought 30 attack drones.", pid="kr")
    assert relevant_passages(question, [north]) == []
    assert relevant_passages(question, [north, south]) == [south]
    # "The North" is North Korea; a person is still found by part of the name.
    north_q = "How many attack drones did North Korea buy?"
    shorthand = _passage("Officials said the North bought 40 attack drones.", pid="kp2")
    assert relevant_passages(north_q, [shorthand]) == [shorthand]
    shoigu = "When did Sergei Shoigu visit Veltra?"
    assert relevant_passages(shoigu, [_passage("Shoigu visited Veltra on May 3.")])
