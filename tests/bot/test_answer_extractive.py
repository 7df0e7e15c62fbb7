"""The extractive answerer over the real sample articles: right sentence, right citation, refusals.

Passages are built from data/articles the way an index would hand them over: each article cut at
line breaks into paragraph-sized passages (~80 words), ranked for the question by a small BM25
(best first, top 8). No model is loaded.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.answer.choice import FEATURES as CHOICE_FEATURES
from bot.answer.choice import ChoiceModel
from bot.answer.extractive import REFUSAL_TEXT, Candidate, ExtractiveAnswerer, _select
from bot.answer.lexicon import Locale
from bot.answer.sentences import split_sentences
from bot.answer.terms import content_terms
from index.models import Passage

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
PASSAGE_WORDS = 80
TOP_K = 8


def _title(lines: list[str]) -> str:
    """First line that reads like a headline (skips "logo", "War in Eastern Europe" kickers)."""
    return next((line for line in lines if len(line.split()) >= 5), lines[0])


def _group(lines: list[str]) -> list[str]:
    """Consecutive lines joined until a passage reaches ~PASSAGE_WORDS words."""
    groups: list[str] = []
    buffer: list[str] = []
    for line in lines:
        buffer.append(line)
        if sum(len(x.split()) for x in buffer) >= PASSAGE_WORDS:
            groups.append("\n".join(buffer))
            buffer = []
    if buffer:
        groups.append("\n".join(buffer))
    return groups


def load_passages() -> list[Passage]:
    passages: list[Passage] = []
    for day, path in enumerate(sorted(ARTICLES.glob("*.txt")), start=1):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if line]
        title = _title(lines)
        for text in _group(lines):
            passages.append(
                Passage(
                    chunk_id=f"{path.stem}:{len(passages)}",
                    article_id=path.stem,
                    title=title,
                    text=text,
                    score=0.0,
                    published=date(2025, 6, day),
                    publisher="sample",
                )
            )
    return passages


PASSAGES = load_passages()


def retrieve(question: str, k: int = TOP_K) -> list[Passage]:
    """A small BM25 over content terms: passages ranked as the index would rank them."""
    query = set(content_terms(question))
    docs = [content_terms(f"{p.title} {p.text}") for p in PASSAGES]
    avg = sum(len(d) for d in docs) / len(docs)
    df = Counter(t for d in docs for t in set(d))
    n = len(docs)

    def bm25(doc: list[str]) -> float:
        tf = Counter(doc)
        norm = 1.2 * (0.25 + 0.75 * len(doc) / avg)
        return sum(math.log(1 + n / df[t]) * tf[t] * 2.2 / (tf[t] + norm) for t in query if t in tf)

    ranked = sorted(range(n), key=lambda i: bm25(docs[i]), reverse=True)[:k]
    return [Passage(**{**PASSAGES[i].__dict__, "score": bm25(docs[i])}) for i in ranked]


@pytest.fixture(scope="module")
def answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer()


def _article(answer, n: int = 1) -> str:
    return next(c.passage.article_id[:3] for c in answer.citations if c.n == n)


# (question, gold answer, article that states it as the first citation, or None if several do)
FACTUAL: list[tuple[str, str | tuple[str, ...], str | None]] = [
    ("How many artillery shells has North Korea sent?", "9 million", "003"),
    ("Who met Kim Jong Un in Pyongyang?", "Shoigu", "003"),
    ("According to Ukrainian officials, how many troops has North Korea sent?", "14,000", None),
    ("Who is North Korea's foreign minister?", "Choe Son Hui", "004"),
    ("How many ballistic missiles has North Korea shipped to Russia?", "100", "003"),
    ("Which region were North Korean troops deployed to?", "Kursk", None),
    (
        "What did the watchdog group classify Russia and North Korea's military alliance as?",
        "illegal",
        "001",
    ),
    (
        "Who praised the very close relations between the two countries' militaries?",
        "Lavrov",
        "004",
    ),
    ("When did North Korea announce its first naval destroyer?", "late April", "001"),
    (
        "How many North Korean soldiers does the US government believe have been sent to Russia?",
        "10,000",
        "004",
    ),
    ("How many reinforcements did North Korea send?", "3,000", "002"),
    ("Who is the US Secretary of State?", "Blinken", "004"),
    ("How many countries are in the Multilateral Sanctions Monitoring Team?", "11", "003"),
    ("When did the watchdog group classify the military alliance as illegal?", "Last week", "001"),
    ("Who thanked North Korea on behalf of Russia for the Korean heroes?", "Putin", None),
    ("Which Russian airline launched direct flights from Moscow to Pyongyang?", "Nordwind", "003"),
    ("How much did tickets for the Moscow-Pyongyang flight cost?", "$550", "003"),
    ("Who speaks for Kim Jong Un in statements about South Korea?", "Kim Yo-jong", "003"),
    ("When did North Korea officially confirm its troop deployment?", ("Monday", "April"), None),
    ("Where did Choe and Lavrov first meet?", "Yaroslavsky", "004"),
    ("How many North Korean soldiers were relocated to the Kursk region?", "8,000", "004"),
    ("Who is the president of South Korea?", "Lee Jae Myung", "003"),
    (
        "What did the North Korean foreign minister call the Russian offensive in Ukraine?",
        "holy battle",
        "004",
    ),
    ("Who signed a partnership agreement with Kim Jong Un in Pyongyang?", "Putin", "004"),
]

NEVER_MENTIONED = [
    "Who won the 2022 World Cup final?",
    "What is the capital of Australia?",
    "How many troops did Iran send to Russia?",
    "Who is the CEO of Apple?",
    "When did the Tokyo Olympics open?",
    "How much did Bitcoin rise last week?",
    "Who is the prime minister of Canada?",
    "How many tanks did China send to North Korea?",
    "Who won the Nobel Peace Prize in 2024?",
]


def _golds(gold: str | tuple[str, ...]) -> tuple[str, ...]:
    return (gold,) if isinstance(gold, str) else gold


def _correct(answer, gold: str | tuple[str, ...], article: str | None) -> bool:
    """Strict: gold in the first cited sentence, cited to the article that states it."""
    if answer.refused or not answer.citations:
        return False
    first = answer.text.split("[1]")[0]
    if not any(g.lower() in first.lower() for g in _golds(gold)):
        return False
    return article is None or _article(answer) == article


def _contains(answer, gold: str | tuple[str, ...], article: str | None) -> bool:
    """Lenient: gold somewhere in the answer, and a citation to a passage of that article
    that states it."""
    if answer.refused:
        return False
    golds = [g.lower() for g in _golds(gold)]
    if not any(g in answer.text.lower() for g in golds):
        return False
    return any(
        (article is None or c.passage.article_id.startswith(article))
        and any(g in c.passage.text.lower() for g in golds)
        for c in answer.citations
    )


def test_artillery_shells_answer_cites_the_003_passage(answerer: ExtractiveAnswerer) -> None:
    question = "How many artillery shells has North Korea sent?"
    passages = retrieve(question)
    answer = answerer.answer(question, passages)

    assert not answer.refused
    assert "9 million" in answer.text
    cited = [c for c in answer.citations if "9 million" in c.passage.text]
    assert cited and cited[0].passage.article_id.startswith("003")
    # The marker right after the 9-million sentence points at that passage.
    sentence_end = answer.text.index("9 million")
    marker = answer.text.index("[", sentence_end)
    n = int(answer.text[marker + 1 : answer.text.index("]", marker)])
    assert "9 million rounds" in next(c for c in answer.citations if c.n == n).passage.text
    assert answer.passages == passages


@pytest.mark.parametrize(
    ("question", "gold", "article"),
    [
        ("Who met Kim Jong Un in Pyongyang?", "Shoigu", "003"),
        ("Who is North Korea's foreign minister?", "Choe Son Hui", "004"),
        ("How many ballistic missiles has North Korea shipped to Russia?", "100", "003"),
        ("Which region were North Korean troops deployed to?", "Kursk", None),
        (
            "What did the watchdog group classify Russia and North Korea's military alliance as?",
            "illegal",
            "001",
        ),
        (
            "Who praised the very close relations between the two countries' militaries?",
            "Lavrov",
            "004",
        ),
        ("When did North Korea announce its first naval destroyer?", "late April", "001"),
    ],
)
def test_named_questions_are_answered_with_a_citation_to_the_article(
    answerer: ExtractiveAnswerer, question: str, gold: str, article: str | None
) -> None:
    answer = answerer.answer(question, retrieve(question))
    assert _contains(answer, gold, article), answer.text


def test_ukrainian_officials_troop_count_is_cited_to_002(answerer: ExtractiveAnswerer) -> None:
    question = "According to Ukrainian officials, how many troops has North Korea sent?"
    answer = answerer.answer(question, retrieve(question))
    assert "14,000" in answer.text
    assert any(
        c.passage.article_id.startswith("002") and "14,000" in c.passage.text
        for c in answer.citations
    )


def test_accuracy_over_sample_questions(answerer: ExtractiveAnswerer) -> None:
    answers = [(answerer.answer(q, retrieve(q)), gold, art) for q, gold, art in FACTUAL]
    contains = [_contains(a, gold, art) for a, gold, art in answers]
    strict = [_correct(a, gold, art) for a, gold, art in answers]
    wrong = [a.question for a, ok in zip((x[0] for x in answers), contains, strict=True) if not ok]
    assert len(answers) >= 13
    # Measured with the learned sentence choice: 22/24 contain the gold answer with a citation
    # to its article; 18/24 have it in the first (best-scored) sentence (the hand-set score it
    # replaced, tuned on these questions: 23/24 and 21/24).
    assert sum(contains) / len(answers) >= 0.9, f"wrong: {wrong}"
    assert sum(strict) / len(answers) >= 0.75


def test_prefers_the_sentence_with_the_expected_answer_type(answerer: ExtractiveAnswerer) -> None:
    # Two sentences restate the question; only one holds a number.
    passage = Passage(
        chunk_id="x:0",
        article_id="x",
        title="North Korea ships missiles to Russia",
        text=(
            "North Korea has shipped ballistic missiles to Russia, officials said. "
            "The ballistic missiles shipped by North Korea to Russia worry Western officials. "
            "Analysts estimate that at least 40 ballistic missiles were delivered this year."
        ),
        score=0.9,
    )
    answer = answerer.answer("How many ballistic missiles has North Korea shipped?", [passage])
    assert answer.text.startswith("Analysts estimate that at least 40")


@pytest.mark.parametrize("question", NEVER_MENTIONED)
def test_refuses_questions_the_archive_never_answers(
    answerer: ExtractiveAnswerer, question: str
) -> None:
    passages = retrieve(question)
    answer = answerer.answer(question, passages)
    assert answer.refused, answer.text
    assert answer.text == REFUSAL_TEXT
    assert answer.citations == []
    assert answer.passages == passages  # the nearest articles, for showing


def test_every_marker_resolves_and_numbering_is_in_order(answerer: ExtractiveAnswerer) -> None:
    for question, _, _ in FACTUAL:
        answer = answerer.answer(question, retrieve(question))
        if answer.refused:
            continue
        ns = [c.n for c in answer.citations]
        assert ns == list(range(1, len(ns) + 1))
        positions = [answer.text.index(f"[{n}]") for n in ns]
        assert positions == sorted(positions)
        assert answer.text.count("[") == answer.text.count("]")
        assert len(answer.citations) <= 3


def test_max_sentences_limits_the_answer() -> None:
    question = "How many troops has North Korea sent to Russia?"
    answer = ExtractiveAnswerer(max_sentences=1).answer(question, retrieve(question))
    assert not answer.refused
    assert len(answer.citations) == 1
    assert answer.text.count("[1]") == 1


def test_no_passages_means_refusal(answerer: ExtractiveAnswerer) -> None:
    answer = answerer.answer("Who met Kim Jong Un in Pyongyang?", [])
    assert answer.refused and answer.passages == []


def test_max_sentences_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ExtractiveAnswerer(max_sentences=0)


def _news(text: str, title: str = "House votes", n: int = 0) -> Passage:
    return Passage(chunk_id=f"n:{n}", article_id=f"n{n}", title=title, text=text, score=0.5)


def test_home_country_and_time_framing_do_not_refuse_a_matching_passage(
    answerer: ExtractiveAnswerer,
) -> None:
    # US news rarely writes "US" ("the council"), and "this week" dates the quiz, not the event.
    passage = _news(
        "Council Speaker Dana Pruitt was ousted by a handful of hardliners on Tuesday. "
        "Members will now elect a new speaker."
    )
    question = "Which councillor was ousted as speaker of the US council this week?"
    home = ExtractiveAnswerer(locale=Locale.build(home_country=["United States"]))
    answer = home.answer(question, [passage])
    assert not answer.refused
    assert answer.text.startswith("Council Speaker Dana Pruitt was ousted")
    # With no home country set, "US" is a name the passage must hold, and it does not.
    assert answerer.answer(question, [passage]).refused


def test_a_headline_sentence_keeps_its_citation(answerer: ExtractiveAnswerer) -> None:
    # A headline has no full stop: the marker must still close it as its own claim.
    passage = _news(
        "Lena Ortiz named Harbor Weekly's Baker of the Year for 2023\n"
        "The chef was announced on a cooking show on Tuesday.",
        title="Harbor Weekly names its Baker of the Year",
    )
    answer = answerer.answer("Who was named Harbor Weekly's Baker of the Year for 2023?", [passage])
    assert not answer.refused
    assert answer.text.startswith(
        "Lena Ortiz named Harbor Weekly's Baker of the Year for 2023 [1]."
    )


def test_prefers_the_sentence_of_the_question_year(answerer: ExtractiveAnswerer) -> None:
    passage = _news(
        "Tom Reyes was named Harbor Weekly's Baker of the Year for 2022 last year. "
        "Lena Ortiz was named Harbor Weekly's Baker of the Year for 2023 on Tuesday.",
        title="Baker of the Year",
    )
    answer = answerer.answer("Who was named Harbor Weekly's Baker of the Year for 2023?", [passage])
    assert answer.text.startswith("Lena Ortiz")
    earlier = answerer.answer(
        "Who was named Harbor Weekly's Baker of the Year for 2022?", [passage]
    )
    assert earlier.text.startswith("Tom Reyes")


def test_further_sentences_stay_on_what_was_asked(answerer: ExtractiveAnswerer) -> None:
    # Troop counts are on topic (North Korea, sent, a number) but answer another question:
    # every further sentence must hold the best one's anchor term ("artillery").
    shells = _news(
        "North Korea has sent as many as 9 million rounds of artillery shells to Russia, "
        "the monitoring team said.",
        title="North Korea arms Russia",
        n=1,
    )
    troops = _news(
        "Ukrainian officials say North Korea has sent about 14,000 troops to Russia so far.",
        title="North Korea troops in Russia",
        n=2,
    )
    more_shells = _news(
        "South Korea says the North sent 12,000 containers of artillery shells to Russia.",
        title="Seoul on North Korean arms",
        n=3,
    )
    question = "How many artillery shells has North Korea sent to Russia?"
    answer = answerer.answer(question, [shells, troops, more_shells])
    sentences = split_sentences(answer.text)
    assert "9 million" in answer.text and len(sentences) == 2, sentences
    assert all("artillery" in s for s in sentences), sentences


def _dated(text: str, published: date, n: int, title: str = "Coastal Cup") -> Passage:
    return Passage(
        chunk_id=f"d:{n}",
        article_id=f"d{n}",
        title=title,
        text=text,
        score=0.5,
        published=published,
    )


def test_asked_about_this_week_an_earlier_episode_loses(answerer: ExtractiveAnswerer) -> None:
    # Ranked first, but four years older than the newest passage: last time's winner.
    old = _dated("The Ridgefield Owls won the Coastal Cup, beating Marlow.", date(2019, 10, 31), 1)
    new = _dated("The Port Lenn Herons won the Coastal Cup, beating Dunmore.", date(2023, 11, 2), 2)
    answer = answerer.answer("Which team won the Coastal Cup this week?", [old, new])
    assert answer.text.startswith("The Port Lenn Herons") and answer.citations[0].passage is new
    # Not asked about now: no preference for the newer report.
    plain = answerer.answer("Which team won the Coastal Cup in 2019?", [old, new])
    assert plain.text.startswith("The Ridgefield Owls")


def test_asked_about_now_a_sentence_dated_to_a_past_year_loses(
    answerer: ExtractiveAnswerer,
) -> None:
    history = _dated(
        "1987 — The Easton Larks won the Coastal Cup, beating the Glenby Foxes.",
        date(2023, 11, 2),
        1,
    )
    new = _dated("The Port Lenn Herons won the Coastal Cup, beating Dunmore.", date(2023, 11, 2), 2)
    answer = answerer.answer("Which team won the Coastal Cup this week?", [history, new])
    assert answer.text.startswith("The Port Lenn Herons")


def test_a_future_dated_passage_is_not_the_present(answerer: ExtractiveAnswerer) -> None:
    # Dated 2099 (a typo in the source): taken as "now", it would make every real report
    # equally stale, and the older one, ranked first, would win.
    old = _dated("The Easton Larks won the Coastal Cup, beating Glenby.", date(2019, 10, 31), 1)
    typo = _dated("Fireworks will open the harbour festival.", date(2099, 1, 1), 2, "Festival")
    new = _dated("The Port Lenn Herons won the Coastal Cup, beating Dunmore.", date(2023, 11, 2), 3)
    answer = answerer.answer("Which team won the Coastal Cup this week?", [old, new, typo])
    assert answer.text.startswith("The Port Lenn Herons"), answer.text


def test_the_same_news_told_twice_is_quoted_once() -> None:
    # Two reports word the meeting differently (Jaccard 0.4, under the near-duplicate bar);
    # what Shoigu said is the further sentence the reader needs. A choice model that scores
    # every sentence alike would quote all three: only the news check keeps one meeting.
    n = len(CHOICE_FEATURES)
    alike = ChoiceModel(np.zeros(n), np.ones(n), np.zeros(n), 0.0, 0.75, {})
    answerer = ExtractiveAnswerer(choice=alike)
    caption = _news(
        "Kim made the comment during a meeting with Russia's Security Council Secretary "
        "Sergei Shoigu, seen here with Kim in 2023 in his former role as Defense Minister.",
        title="Kim backs Russia",
        n=1,
    )
    report = _news(
        "Kim made the remark during a meeting Wednesday with Russia's Security Council "
        "Secretary Sergei Shoigu in Pyongyang, the official Korean Central News Agency said. "
        'The North Korean troops "fought shoulder to shoulder with the Russian soldiers in '
        'the same trench," Shoigu added.',
        title="Kim vows support for Russia",
        n=2,
    )
    answer = answerer.answer("What did Shoigu say?", [caption, report])
    sentences = split_sentences(answer.text)
    assert sum("during a meeting" in s for s in sentences) == 1, sentences
    assert any("same trench" in s for s in sentences), sentences


def test_a_short_sentence_on_the_same_story_is_not_a_restatement(
    answerer: ExtractiveAnswerer,
) -> None:
    # Sharing "HPL" and "Wednesday" with the best sentence does not make the place a repeat.
    passage = _news(
        "The third HPL leadership debate will take place from 8 to 10 p.m. ET on Wednesday. "
        "Four Harbor Party leadership candidates faced off Wednesday in the third HPL "
        "debate, with rivalries heating up on stage in Marlow, Alabama.",
        title="Third Harbor Party debate",
    )
    question = "Where did the third Harbor Party leadership debate take place this week?"
    assert "Alabama" in answerer.answer(question, [passage]).text


def test_a_question_in_the_text_is_never_quoted_as_an_answer(
    answerer: ExtractiveAnswerer,
) -> None:
    # Headlines ask ("Who is Tova Lind, the interim CEO of Quillsoft?"); they assert nothing.
    passage = _news(
        "Who is Tova Lind, the interim CEO of Quillsoft?\n"
        "Rafe Okoro will return as CEO of Quillsoft, the company said on Wednesday.",
        title="Quillsoft",
    )
    answer = answerer.answer("Who is the CEO of Quillsoft?", [passage])
    assert "?" not in answer.text
    assert answer.text.startswith("Rafe Okoro will return as CEO")


def test_a_sentence_stating_the_questions_figure_wins(answerer: ExtractiveAnswerer) -> None:
    # The clause covers more of the question's words; only the signing states its $700 million.
    clause = _news(
        "Dario Venn can opt out of his record-breaking football contract if Gulls owner "
        "Mark Wole leaves the club.",
        title="Venn's contract clauses",
        n=1,
    )
    signing = _news(
        "Venn wound up signing for $300 million with the Harbor City Gulls, the football "
        "star announced on Saturday.",
        title="Venn signs record contract with US club",
        n=2,
    )
    question = (
        "Football star Dario Venn signed a record-breaking $300 million contract "
        "with which US club?"
    )
    answer = answerer.answer(question, [clause, signing])
    assert answer.text.startswith("Venn wound up signing for $300 million"), answer.text


def test_sentences_already_told_are_not_quoted_again(answerer: ExtractiveAnswerer) -> None:
    report = _news(
        "Kim made the remark during a meeting Wednesday with Russia's Security Council "
        "Secretary Sergei Shoigu in Pyongyang, the official news agency said. "
        "Shoigu conveyed the special thanks of the Russian leadership for the troops, KCNA said. "
        'The North Korean troops "fought shoulder to shoulder with the Russian soldiers," '
        "Shoigu added.",
        title="Kim vows support for Russia",
    )
    question = "What did Shoigu say in Pyongyang?"
    first = answerer.answer(question, [report])
    # Asked what he said, the answer quotes his words first.
    assert first.text.startswith("The North Korean troops"), first.text
    told = [s.replace(" [1]", "") for s in split_sentences(first.text)]

    more = answerer.answer(question, [report], told=told)
    assert not more.refused
    assert not {s.replace(" [1]", "") for s in split_sentences(more.text)} & set(told), more.text
    # A rewording of a told line ("the comment" for "the remark") is not news either.
    reworded = "Kim made the comment during a meeting with Sergei Shoigu in Pyongyang, KCNA said."
    again = answerer.answer(question, [report], told=[reworded])
    assert not again.refused and "during a meeting" not in again.text, again.text


def test_asked_which_state_the_sentence_naming_a_state_wins(answerer: ExtractiveAnswerer) -> None:
    expelled = _news(
        "Embattled Councillor Alder Dorne was expelled from the assembly Friday after a "
        "scathing Parish Ethics Board report.",
        title="Alder Dorne expelled",
        n=1,
    )
    native = _news(
        "The New York native has been mired in controversy since before Dorne entered the "
        "assembly.",
        title="Who is Alder Dorne?",
        n=2,
    )
    answer = answerer.answer("Which state is Dorne from?", [expelled, native])
    assert answer.text.startswith("The New York native"), answer.text


def test_a_quoted_sentence_keeps_one_full_stop() -> None:
    from bot.answer.citations import check_citations
    from bot.answer.extractive import _with_marker

    sentence = "The ferry could sail “in the coming days.”"
    passage = Passage(chunk_id="f:0", article_id="f", title="Ferry", text=sentence, score=1.0)
    draft = _with_marker(sentence, 1)
    assert draft == "The ferry could sail “in the coming days [1].”"
    assert check_citations(draft, [passage]).text == draft
    assert _with_marker("A headline without a stop", 2) == "A headline without a stop [2]."


def _cand(text: str, passage: int, position: int, score: float) -> Candidate:
    return Candidate(text, passage, score, frozenset(content_terms(text)), position)


def test_the_sentence_after_the_best_one_may_leave_its_subject_unnamed() -> None:
    # "8,000 of them" goes on about Blinken's count without naming Blinken again; a sentence
    # elsewhere without the anchor term still answers something else.
    best = _cand("About 10,000 soldiers were sent to Russia, according to Blinken.", 0, 3, 0.9)
    follower = _cand("Some 8,000 of them have been moved to the Kursk region.", 0, 4, 0.85)
    elsewhere = _cand("Some 2,000 shells have been moved to the Belgorod region.", 0, 6, 0.85)
    weights = {"blinken": 3.0, "soldier": 1.0, "kursk": 2.0}
    chosen = _select([elsewhere, follower, best], 3, weights, ("blinken", "soldier"), 0.5)
    assert chosen[:2] == [best, follower], chosen
    assert elsewhere not in chosen
