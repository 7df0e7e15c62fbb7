"""Conversation: stable citation numbers across turns, [n] references, follow-up rewriting."""

from __future__ import annotations

from datetime import date

from bot.answer.models import Answer, Citation
from bot.conversation import Conversation, key_terms, leans_on_context
from index.models import Passage


def passage(key: str, title: str, text: str) -> Passage:
    return Passage(
        chunk_id=f"{key}-0",
        article_id=key,
        title=title,
        text=text,
        score=0.5,
        published=date(2025, 1, 1),
        publisher="Wire",
    )


KURSK = passage(
    "kursk",
    "North Korean troops in Kursk",
    "North Korea sent about 11,000 soldiers to Kursk. They joined Russian units.",
)
SHELLS = passage(
    "shells",
    "Shell shipments to Moscow",
    "Pyongyang shipped 9 million shells to Moscow. Deliveries began in 2023.",
)
SHOIGU = passage(
    "shoigu",
    "Shoigu visits Pyongyang",
    "Sergei Shoigu met Kim Jong Un in Pyongyang on June 4. He praised the alliance.",
)
CEASEFIRE = passage(
    "ceasefire",
    "Ceasefire talks stall",
    "Talks on a ceasefire stalled in Istanbul. Both sides blamed each other.",
)


def answer(question: str, text: str, *cited: Passage) -> Answer:
    """A raw answer numbered locally [1]..[m], as any answerer returns it."""
    citations = [Citation(i, p) for i, p in enumerate(cited, start=1)]
    return Answer(question=question, text=text, citations=citations, passages=list(cited))


def numbers(a: Answer) -> list[tuple[int, str]]:
    return [(c.n, c.passage.chunk_id) for c in a.citations]


def test_first_answer_keeps_its_numbers() -> None:
    conv = Conversation()
    shown = conv.record("q1", answer("q1", "Troops went [1]. Shells too [2].", KURSK, SHELLS))

    assert shown.text == "Troops went [1]. Shells too [2]."
    assert numbers(shown) == [(1, "kursk-0"), (2, "shells-0")]


def test_a_passage_keeps_its_number_for_the_whole_conversation() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "Troops [1]. Shells [2].", KURSK, SHELLS))
    # Turn 2: locally [1] is new, [2] is KURSK (stable [1]).
    t2 = conv.record("q2", answer("q2", "Shoigu came [1], after troops [2].", SHOIGU, KURSK))
    # Turn 3: SHELLS is local [1] but was shown as [2] in turn 1.
    t3 = conv.record(
        "q3", answer("q3", "Shells [1]. Talks [2]. Shoigu [3].", SHELLS, CEASEFIRE, SHOIGU)
    )

    assert t2.text == "Shoigu came [3], after troops [1]."
    assert numbers(t2) == [(1, "kursk-0"), (3, "shoigu-0")]
    assert t3.text == "Shells [2]. Talks [4]. Shoigu [3]."
    assert numbers(t3) == [(2, "shells-0"), (3, "shoigu-0"), (4, "ceasefire-0")]
    assert [(c.n, c.passage.chunk_id) for c in conv.sources()] == [
        (1, "kursk-0"),
        (2, "shells-0"),
        (3, "shoigu-0"),
        (4, "ceasefire-0"),
    ]


def test_another_passage_of_a_cited_article_keeps_the_articles_number() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "Shoigu came [1]. Shells [2].", SHOIGU, SHELLS))
    later = Passage(**{**SHOIGU.__dict__, "chunk_id": "shoigu-3", "text": "He praised it."})
    t2 = conv.record("q2", answer("q2", "Talks [1]. He praised it [2].", CEASEFIRE, later))

    assert t2.text == "Talks [3]. He praised it [1]."
    # The answer cites the passage its claim was checked against; [1] still means the first.
    assert numbers(t2) == [(1, "shoigu-3"), (3, "ceasefire-0")]
    assert conv.referenced_passage("more on [1]") == SHOIGU


def test_renumbering_does_not_cascade() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "A [1]. B [2].", KURSK, SHELLS))
    # Local [1]->[2] and [2]->[1]: a naive sequential replace would map both to one number.
    swapped = conv.record("q2", answer("q2", "B [1]. A [2]. B again [1].", SHELLS, KURSK))

    assert swapped.text == "B [2]. A [1]. B again [2]."


def test_refused_answers_are_recorded_untouched() -> None:
    conv = Conversation()
    refused = Answer("q", "I couldn't find this in the archive.", passages=[KURSK], refused=True)

    assert conv.record("q", refused) is refused
    assert conv.sources() == []
    assert len(conv.turns) == 1


def test_referenced_passage_resolves_stable_numbers() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "Troops [1]. Shells [2].", KURSK, SHELLS))

    assert conv.referenced_passage("tell me more about [2]") == SHELLS
    assert conv.referenced_passage("what does source 1 say?") == KURSK
    assert conv.referenced_passage("more on [9]") is None
    assert conv.referenced_passage("no reference here") is None
    assert conv.unknown_references("compare [1] and [9]") == [9]


def test_tell_me_more_queries_with_the_referenced_passage() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "Troops [1]. Shells [2].", KURSK, SHELLS))
    conv.record("q2", answer("q2", "Shoigu [1].", SHOIGU))

    query = conv.retrieval_query("tell me more about [2]")

    assert query == "Shell shipments to Moscow. Pyongyang shipped 9 million shells to Moscow."
    assert conv.retrieval_query("Tell me more about [3]").startswith("Shoigu visits Pyongyang.")


def test_reference_keeps_the_question_topic() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "Troops [1].", KURSK))

    query = conv.retrieval_query("what did [1] say about casualties?")

    assert query.startswith("casualties North Korean troops in Kursk.")


def test_pronoun_follow_up_adds_previous_key_terms() -> None:
    conv = Conversation()
    conv.record("Did North Korea send troops to Kursk?", answer("q", "Yes [1].", KURSK))

    query = conv.retrieval_query("How many did they send?")

    assert query.startswith("How many did they send? ")
    assert {"North", "Korea", "troops", "Kursk"} <= set(query.split())


def test_continuation_follow_up_adds_previous_key_terms() -> None:
    conv = Conversation()
    conv.record("Why did North Korea send troops to Russia?", answer("q", "x [1].", KURSK))

    query = conv.retrieval_query("and what did Shoigu say?")

    assert query.startswith("and what did Shoigu say? ")
    assert "Russia" in query and "troops" in query
    assert query.lower().count("shoigu") == 1


def test_follow_up_of_a_follow_up_keeps_the_topic() -> None:
    conv = Conversation()
    conv.record("Did North Korea send troops to Kursk?", answer("q", "Yes [1].", KURSK))
    conv.record("what about him?", answer("q", "x [1].", SHOIGU))

    # "him" gave no topic; the effective query of turn 2 still carried "Kursk".
    assert "Kursk" in conv.retrieval_query("how many did they send?")


def test_self_contained_questions_are_left_alone() -> None:
    conv = Conversation()
    assert conv.retrieval_query("how many did they send?") == "how many did they send?"

    conv.record("Did North Korea send troops to Kursk?", answer("q", "Yes [1].", KURSK))
    for question in (
        "Who won the 2024 Champions League final?",
        "What is the inflation rate in Japan this year?",
        "Who is Zelensky?",
    ):
        assert conv.retrieval_query(question) == question


def test_leans_on_context() -> None:
    assert leans_on_context("what about him?")
    assert leans_on_context("And the shells?")
    assert leans_on_context("why?")
    assert leans_on_context("how many did they send?")
    assert not leans_on_context("How many shells has North Korea sent to Russia?")


def test_key_terms_drop_stopwords_and_pronouns_keep_names_and_years() -> None:
    assert key_terms("What did they say about Sergei Shoigu in 2024 and 3 times?") == [
        "Sergei",
        "Shoigu",
        "2024",
        "times",
    ]


def test_asking_for_more_brings_what_was_already_told() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "Troops went to Kursk [1]. Shells went too [2].", KURSK, SHELLS))
    conv.record("q2", Answer.refusal("q2", [KURSK]))

    expected = ["Troops went to Kursk.", "Shells went too."]
    assert conv.told("tell me more about [2]") == expected
    assert conv.told("What else?") == expected
    # Asked again (or anew), the best answer may well be the same sentences.
    assert conv.told("How many shells went to Russia?") == []
    assert Conversation().told("tell me more") == []


def test_grouped_markers_are_renumbered_too() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "A [1].", KURSK))
    shown = conv.record("q2", answer("q2", "B and A [1, 2]. B [1].", SHELLS, KURSK))

    assert shown.text == "B and A [2][1]. B [2]."
    assert conv.referenced_passage("compare [1, 2]") == KURSK
    assert conv.unknown_references("what about [2; 7]?") == [7]


def test_the_stable_numbers_are_what_sources_lists() -> None:
    conv = Conversation()
    conv.record("q1", answer("q1", "A [1].", KURSK))
    conv.record("q2", answer("q2", "B [1]. A [2].", SHELLS, KURSK))

    assert [(c.n, c.passage.article_id) for c in conv.sources()] == [(1, "kursk"), (2, "shells")]
