"""Hybrid search: fusion pieces as pure functions, then the Searcher over the samples with the
real MiniLM (ranking is asserted, so no fake embedder here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.chunk import Chunker
from index.errors import UnknownPublisher
from index.models import Passage, SearchFilters
from index.search import (
    STITCH_GAP,
    FusionConfig,
    Searcher,
    add_article_evidence,
    asks_about_the_past,
    drop_near_duplicates,
    fuse,
    interleave,
    merge_by_article,
    present_of,
    shingles,
    weight_by_recency,
)
from index.store import IndexStore
from tests.conftest import SEED_DIR, index_records


def jaccard(a: frozenset, b: frozenset) -> float:
    """The measure ``drop_near_duplicates`` applies (it counts the overlap its own way)."""
    return len(a & b) / len(a | b) if a and b else 0.0


def _p(
    cid: str,
    text: str,
    article: str | None = None,
    start: int = 0,
    published: date | None = None,
) -> Passage:
    return Passage(
        chunk_id=cid,
        article_id=article or cid.split("#")[0],
        title="t",
        text=text,
        score=0.0,
        start=start,
        end=start + len(text),
        published=published,
    )


def test_fuse_rewards_agreement_and_scales_to_one():
    fused = dict(fuse([["a", "b", "c"], ["a", "c", "d"]], [1.0, 1.0], 60))
    assert fused["a"] == pytest.approx(1.0)
    assert fused["c"] > fused["b"] > 0 and fused["c"] > fused["d"]


def test_fuse_weights_shift_the_order():
    dense_heavy = [cid for cid, _ in fuse([["x", "y"], ["y", "x"]], [2.0, 1.0], 60)]
    keyword_heavy = [cid for cid, _ in fuse([["x", "y"], ["y", "x"]], [1.0, 2.0], 60)]
    assert dense_heavy[0] == "x" and keyword_heavy[0] == "y"


def test_near_duplicates_keep_the_best_ranked_copy():
    a = "North Korea sent over 11,000 troops to Russia in 2024 and another 3,000 this year."
    ranked = [
        _p("one#0", a),
        _p("two#0", a.replace("this year", "early this year")),
        _p("three#0", "Nordwind Airlines now flies from Moscow to Pyongyang once a month."),
    ]
    kept = list(drop_near_duplicates(ranked, 0.6))
    assert [p.chunk_id for p in kept] == ["one#0", "three#0"]
    assert jaccard(shingles(a), shingles(a)) == 1.0


def test_article_evidence_lifts_the_article_that_matches_in_several_chunks():
    fused = [("lone#0", 0.9), ("main#0", 0.8), ("main#1", 0.7), ("main#2", 0.6)]
    passages = {cid: _p(cid, cid) for cid, _ in fused}
    boosted = add_article_evidence(fused, passages, article_weight=1.0, article_top=2)
    assert boosted[0][0].startswith("main#")
    assert all(0.0 <= s <= 1.0 for _, s in boosted)


def test_recency_lifts_this_weeks_report_over_last_years_equal_match():
    newest = date(2023, 11, 3)
    passages = {
        "old#0": _p("old#0", "x", published=date(2022, 11, 5)),
        "new#0": _p("new#0", "x", published=date(2023, 11, 3)),
        "mid#0": _p("mid#0", "x", published=date(2023, 10, 20)),
        "undated#0": _p("undated#0", "x"),
    }
    fused = [("undated#0", 1.0), ("old#0", 0.99), ("mid#0", 0.98), ("new#0", 0.97)]
    ranked = weight_by_recency(fused, passages, newest, weight=0.5, days=7)
    # Known to be old steps back; undated is not known to be new and gets no raise either.
    assert [cid for cid, _ in ranked] == ["new#0", "mid#0", "undated#0", "old#0"]
    assert all(0.0 <= s <= 1.0 for _, s in ranked)
    # A match that is much better still wins: recency only reorders near-equals.
    strong = [("old#0", 1.0), ("new#0", 0.5)]
    assert weight_by_recency(strong, passages, newest, weight=0.5, days=7)[0][0] == "old#0"
    assert weight_by_recency(fused, passages, newest, weight=0.0, days=7) == fused


def test_a_question_naming_an_earlier_year_is_not_pulled_to_the_present():
    newest = date(2023, 11, 3)
    assert asks_about_the_past("Who won the 2019 Coastal Cup?", newest)
    assert not asks_about_the_past("Who left the 2024 mayoral contest?", newest)
    assert not asks_about_the_past("Who won the Coastal Cup this week?", newest)
    assert not asks_about_the_past("How many of the 1500 workers struck?", newest)
    # Amounts are not years (the same reading as the answerers', index/dates.py).
    assert not asks_about_the_past("Was the fine $2019 or 2,019 euros?", newest)


def test_only_a_question_about_the_present_gets_the_recency_prior():
    newest = date(2023, 11, 3)
    assert present_of("Who won the Coastal Cup this week?", newest) == newest
    assert present_of("Who is currently leading the mayoral contest?", newest) == newest
    # Asked about March, or about no time at all, last week's stories get no lift.
    assert present_of("Who won the Coastal Cup in March?", newest) is None
    assert present_of("Who won the Coastal Cup?", newest) is None
    assert present_of("Who won the 2019 Coastal Cup so far?", newest) is None
    assert present_of("Who won the Coastal Cup this week?", None) is None


def test_a_future_date_is_never_the_archives_newest(tmp_path: Path, hash_embedder, caplog):
    records = [
        {"id": "real", "title": "Bridge reopens", "published": "2023-11-02", "text": "Open."},
        {"id": "typo", "title": "Festival", "published": "2099-01-01", "text": "Fireworks."},
        {"id": "undated", "title": "Ferry", "text": "The ferry runs hourly."},
    ]
    store = index_records(tmp_path, records, hash_embedder)
    with caplog.at_level("WARNING", logger="index.search"):
        assert Searcher(store, hash_embedder).newest == date(2023, 11, 2)
    assert "typo is dated 2099-01-01" in caplog.text


def test_interleave_alternates_and_keeps_every_id_once():
    merged = interleave([("a", 1.0), ("b", 0.9), ("c", 0.8)], [("c", 0.8), ("a", 1.0), ("d", 0.1)])
    assert [cid for cid, _ in merged] == ["a", "c", "b", "d"]


def test_merge_stitches_an_articles_chunks_in_reading_order_at_its_best_rank():
    article = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota. Kappa lambda mu."
    second = _p("a#1", article[10:40], start=10)  # overlaps the first chunk
    first = _p("a#0", article[0:20], start=0)
    far = _p("a#3", article[52:], start=52)
    other = _p("b#0", "Another story entirely.")
    merged = merge_by_article([second, other, first, far], 10, cap=3, least=1)
    assert [p.article_id for p in merged] == ["a", "b"]
    assert merged[0].text == article[0:40] + STITCH_GAP + article[52:]
    assert merged[0].chunk_id == "a#0+a#1+a#3" and (merged[0].start, merged[0].end) == (
        0,
        len(article),
    )
    assert merge_by_article([second, other, first], 10, cap=1, least=1) == [second, other]


def test_merge_returns_k_articles_lengthened_by_the_top_k_chunks_and_to_a_minimum():
    ranked = [
        _p("a#0", "A zero.", start=0),
        _p("b#0", "B zero.", start=0),
        _p("a#1", "A one.", start=8),
        _p("c#0", "C zero.", start=0),
        _p("a#2", "A two.", start=16),  # past rank k=4, and a has its minimum: not added
        _p("b#1", "B one.", start=8),  # past rank k, but b is short of its minimum: added
        _p("d#0", "D zero.", start=0),  # past rank k, but a new article: fills the results
        _p("b#2", "B two.", start=16),  # b has its minimum
        _p("e#0", "E zero.", start=0),  # k articles already
        _p("c#1", "C one.", start=8),  # c's second chunk, however far down
    ]
    merged = merge_by_article(ranked, 4, cap=4, least=2)
    assert [p.chunk_id for p in merged] == ["a#0+a#1", "b#0+b#1", "c#0+c#1", "d#0"]
    # A minimum of one: only the top k chunks lengthen a passage.
    merged = merge_by_article(ranked, 4, cap=4, least=1)
    assert [p.chunk_id for p in merged] == ["a#0+a#1", "b#0", "c#0", "d#0"]


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory, minilm) -> IndexStore:
    root = tmp_path_factory.mktemp("search")
    articles = root / "articles"
    shutil.copytree(SEED_DIR, articles)
    store = IndexStore(root / "index")
    IndexBuilder(store, minilm, Chunker(180, 30), max_file_bytes=10**6).build([articles])
    return store


@pytest.fixture(scope="module")
def searcher(seed_store: IndexStore, minilm) -> Searcher:
    return Searcher(seed_store, minilm)


def test_figure_question_ranks_the_passage_with_the_figure_first(searcher: Searcher):
    top = searcher.search("How many artillery shells has North Korea sent?", k=5)
    assert "9 million" in top[0].text and top[0].article_id.startswith("003_")
    assert top[0].published == date(2025, 6, 5) and top[0].publisher == "UPI"
    assert [p.score for p in top] == sorted((p.score for p in top), reverse=True)


def test_rare_name_is_found_through_the_keyword_side(searcher: Searcher):
    top = searcher.search("Nordwind", k=3)
    assert "Nordwind" in top[0].text


def test_asked_for_k_results_a_person_gets_k_articles(searcher: Searcher):
    # Five sample articles all match; the top 5 chunks alone come from fewer of them.
    top = searcher.search("Kim Jong Un support for Russia", k=5)
    assert len(top) == 5 and len({p.article_id for p in top}) == 5


def test_results_carry_k_different_facts(searcher: Searcher):
    top = searcher.search("Kim Jong Un unconditional support for Russia", k=8)
    assert len({p.chunk_id for p in top}) == len(top)
    sh = [shingles(p.text) for p in top]
    assert all(jaccard(sh[i], sh[j]) < 0.6 for i in range(len(sh)) for j in range(i + 1, len(sh)))


def test_filters_by_date_and_publisher(searcher: Searcher):
    upi = searcher.search("troops", k=10, filters=SearchFilters(source="  upi "))
    assert upi and {p.publisher for p in upi} == {"UPI"}
    recent = searcher.search("troops", k=10, filters=SearchFilters(since=date(2025, 6, 1)))
    assert recent and all(p.published and p.published >= date(2025, 6, 1) for p in recent)
    assert searcher.search("troops", k=10, filters=SearchFilters(since=date(2030, 1, 1))) == []


def test_a_publisher_is_found_by_the_name_a_person_gives(searcher: Searcher):
    # The sample articles' publishers: UPI, Stern, Euromaidan Press (and some with none).
    euromaidan = searcher.search("support", k=10, filters=SearchFilters(source="euromaidan"))
    assert euromaidan and {p.publisher for p in euromaidan} == {"Euromaidan Press"}
    with pytest.raises(UnknownPublisher, match=r"“Reuters”: its publishers are .*UPI"):
        searcher.search("troops", k=10, filters=SearchFilters(source="Reuters"))


def test_searcher_follows_a_rebuild_swap(tmp_path: Path, minilm):
    articles = tmp_path / "articles"
    shutil.copytree(SEED_DIR, articles)
    store = IndexStore(tmp_path / "index")
    builder = IndexBuilder(store, minilm, Chunker(180, 30), max_file_bytes=10**6)
    builder.build([articles])
    searcher = Searcher(store, minilm)
    assert not any("otter" in p.text for p in searcher.search("otters Thames", k=3))
    (articles / "otters.txt").write_text(
        "Otters return\n\nOtters returned to the river Thames in London.\n"
    )
    builder.build([articles], rebuild=True)
    assert any("Otters returned" in p.text for p in searcher.search("otters Thames", k=3))


@pytest.mark.slow
def test_searcher_follows_an_incremental_build_by_another_process(tmp_path: Path, minilm):
    """A REPL or bot keeps its Searcher open while `newsdesk index build` adds articles in
    another process: the next query must find them (the keyword side reloads)."""
    articles = tmp_path / "articles"
    shutil.copytree(SEED_DIR, articles)
    env = {**os.environ, "NEWSDESK_INDEX_DIR": str(tmp_path / "index")}
    cli = [sys.executable, "-c", "from bot.cli import main; main()"]
    build = [*cli, "index", "build", str(articles), "--json"]
    first = subprocess.run(build, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    searcher = Searcher(IndexStore(tmp_path / "index"), minilm)
    assert not any("Zanzibar" in p.text for p in searcher.search("Zanzibar ferry", k=3))

    (articles / "ferry.txt").write_text(
        "Ferry service resumes\n\nThe Zanzibar ferry resumed sailing on Monday after repairs.\n"
    )
    again = subprocess.run(build, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and json.loads(again.stdout)["added"] == 1, again.stderr
    assert any("Zanzibar" in p.text for p in searcher.search("Zanzibar ferry", k=3))


def test_an_answer_type_hint_lifts_the_chunks_it_accepts(seed_store: IndexStore, minilm):
    # A stand-in for the answerers' who/where test: it accepts the chunks holding a phrase of
    # the last passage plain search returns (and not of its first).
    query = "Kim Jong Un support for Russia"
    plain = Searcher(seed_store, minilm).search(query, k=10)
    marker = next(
        line[:40]
        for line in plain[-1].text.split(". ")
        if len(line) > 40 and line[:40] not in plain[0].text
    )
    hinted = Searcher(seed_store, minilm, answer_type=lambda q: lambda text: marker in text).search(
        query, k=10
    )

    def rank(passages: list) -> int | None:
        return next((i for i, p in enumerate(passages) if marker in p.text), None)

    assert rank(plain) == len(plain) - 1 and rank(hinted) == 0  # now in the top passage
    # A question of no particular kind (the hint says None) is searched as before.
    untyped = Searcher(seed_store, minilm, answer_type=lambda q: None).search(query, k=10)
    assert [p.chunk_id for p in untyped] == [p.chunk_id for p in plain]


def test_a_learned_searcher_tests_the_answer_type_only_of_what_it_may_read(
    seed_store: IndexStore, minilm
):
    # The learned ranking reads a candidate's answer type only when it might come next: the
    # passages are those of the full ranking, for fewer tests than there are candidates.
    from index.rank import load_ranker

    query = "Who leads North Korea and what did he promise Russia?"
    tested: list[str] = []

    def hint(q: str):
        def holds(text: str) -> bool:
            tested.append(text)
            return "Kim" in text

        return holds

    searcher = Searcher(seed_store, minilm, answer_type=hint, ranker=load_ranker())
    retrieved = searcher.retrieve(query, 3)
    full = searcher.rank(retrieved)  # every candidate tested
    candidates = len(tested)
    tested.clear()
    lazy = searcher.search(query, 3, min_chunks=1)
    assert len(tested) < candidates
    eager = searcher.passages(retrieved, full, 3, min_chunks=1)
    assert [(p.chunk_id, p.score) for p in lazy] == [(p.chunk_id, p.score) for p in eager]
    typed = retrieved.signals.typed
    assert typed is not None and set(typed) == {
        cid for cid, p in retrieved.signals.passages.items() if "Kim" in p.text
    }


def test_this_weeks_report_gets_a_place_beside_older_articles_that_match_more(
    tmp_path: Path, minilm
):
    """Asked about this week, the archive's last week is also searched on its own: this week's
    report, found by meaning but told in other words, is outranked on words by older stories
    in the question's own words and by other uses of "strike" -- it is not a keyword
    candidate at all -- and recency alone does not lift a dense vote from far down."""
    old = [
        ("rail", "after talks on sick days"),
        ("port", "as ships queued off the coast"),
        ("nurses'", "once hospitals agreed to hire more staff"),
        ("teachers'", "and schools reopen on Thursday"),
        ("transit", "restoring bus and subway service"),
        ("pilots'", "as airlines cancelled fewer flights"),
        ("postal", "before the holiday mail rush"),
        ("steel", "with a four-year wage deal"),
        ("auto", "as carmakers raised pay by a quarter"),
        ("miners'", "after a safety agreement"),
        ("dockworkers'", "as cranes moved again at dawn"),
        ("hotel", "with higher tips and fewer split shifts"),
    ]
    records = [
        {
            "title": f"The {who} union ended its strike",
            "published": f"2022-11-{day:02d}",
            "text": f"The {who} union ended its strike {detail}. Union leaders said the strike "
            "ended when members voted on the deal.",
        }
        for day, (who, detail) in enumerate(old, start=1)
    ]
    other_strikes = [
        "A strike in the ninth frame, and another strike, won the bowling final.",
        "The air strike hit a depot; a second strike followed at night.",
        "Lightning can strike twice: a strike hit the same tower again.",
        "The batter took a called strike, then a swinging strike three.",
        "A drone strike and a missile strike were reported near the border.",
        "The strike zone was wide all night; every low pitch was a strike.",
    ]
    records += [
        {"title": f"Strike {n}", "published": "2022-06-01", "text": text}
        for n, text in enumerate(other_strikes)
    ]
    records += [
        {
            "title": "Actors approve deal with studios",
            "published": "2023-11-08",
            "text": "SAG-AFTRA members approved the contract with the studios, so the actors' "
            "walkout is over after 118 days on picket lines, a strike that shut down Hollywood.",
        },
        {
            "title": "Gulls hire Ola Brandt",
            "published": "2023-11-09",
            "text": "The Harbor City Gulls hired Ola Brandt as their new manager.",
        },
    ]
    store = index_records(tmp_path, records, minilm)
    few = FusionConfig(candidates=17)  # a small archive's stand-in for 60 of thousands

    def titles(query: str, fusion: FusionConfig = few) -> list[str]:
        return [p.title for p in Searcher(store, minilm, fusion).search(query, k=3)]

    fresh = "Actors approve deal with studios"
    assert fresh in titles("Which union ended its strike this week?")
    assert fresh not in titles(
        "Which union ended its strike this week?", replace(few, recent_weight=0)
    )
    # Only a question about the present searches the last week on its own.
    assert fresh not in titles("Which union ended its strike?")
    assert fresh not in titles("Which union ended its strike in 2022?")
