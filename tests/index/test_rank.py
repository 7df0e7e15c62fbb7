"""The learned ranker: features as pure functions over made-up candidates, the model's JSON
round trip, and the committed model loading without ../shared."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.models import Passage
from index.rank import (
    DEFAULT_MODEL,
    FEATURES,
    LinearRanker,
    Signals,
    candidate_ids,
    features,
    load_ranker,
    ranking,
)


def _p(cid: str, text: str, *, score: float = 0.0, published: date | None = None, start: int = 0):
    return Passage(
        chunk_id=cid,
        article_id=cid.split("#")[0],
        title=f"title of {cid.split('#')[0]}",
        text=text,
        score=score,
        published=published,
        start=start,
        end=start + len(text),
    )


def _signals(**over: object) -> Signals:
    passages = {
        "a#0": _p(
            "a#0",
            "The mayor of Springfield opened the bridge in 2021.",
            score=0.8,
            published=date(2021, 5, 1),
        ),
        "a#1": _p(
            "a#1", "It cost 40 million dollars.", score=0.5, published=date(2021, 5, 1), start=3000
        ),
        "b#0": _p("b#0", "Bridges across the river were closed.", score=0.6),
        "c#0": _p("c#0", "A keyword-only match about the mayor.", published=date(2021, 4, 1)),
    }
    base: dict[str, object] = {
        "dense": [passages["a#0"], passages["b#0"], passages["a#1"]],
        "keyword": [("c#0", 9.0), ("a#0", 4.5)],
        "recent": [],
        "typed": None,
        "passages": passages,
        "newest": date(2021, 5, 8),
        "asks_now": False,
        "names_past_year": False,
        "question_years": {2021},
        "question_terms": ["mayor", "bridg"],
    }
    base.update(over)
    return Signals(**base)  # type: ignore[arg-type]


def _column(rows: np.ndarray, ids: list[str], cid: str, name: str) -> float:
    return float(rows[ids.index(cid), FEATURES.index(name)])


def test_candidates_are_the_union_of_the_lists_each_once():
    assert candidate_ids(_signals()) == ["a#0", "b#0", "a#1", "c#0"]


def test_features_read_ranks_scores_dates_and_terms():
    sig = _signals()
    ids = candidate_ids(sig)
    rows = features(sig, ids)
    assert rows.shape == (4, len(FEATURES))
    col = lambda cid, name: _column(rows, ids, cid, name)  # noqa: E731
    assert col("a#0", "dense_rr") == 1.0 and col("c#0", "dense_rr") == 0.0
    assert col("c#0", "kw_rr") == 1.0 and col("a#0", "kw_norm") == pytest.approx(0.5)
    assert col("a#0", "both") == 1.0 and col("b#0", "both") == 0.0
    # Absent from the dense list: the list's worst similarity, not zero.
    assert col("c#0", "dense_sim") == pytest.approx(0.5)
    assert col("b#0", "undated") == 1.0 and np.isnan(col("b#0", "fresh7"))
    assert col("a#0", "fresh7") == pytest.approx(np.exp(-1))
    assert col("a#0", "fresh7") > col("c#0", "fresh7")
    assert col("a#0", "year_in_text") == 1.0 and col("b#0", "year_in_text") == 0.0
    assert col("a#0", "coverage") == 1.0 and col("a#1", "coverage") == 0.0
    # a#0 and a#1 back each other up; b#0 stands alone.
    assert col("a#0", "art_evidence") > 0 and col("b#0", "art_evidence") == 0.0
    assert col("a#0", "lede") == 1.0 > col("a#1", "lede")
    # Not asked about now, and no answer type asked for: those columns stay zero.
    assert rows[:, FEATURES.index("now_fresh7")].sum() == 0
    assert rows[:, FEATURES.index("asks_type")].sum() == 0


def test_typed_and_present_columns_follow_the_question():
    sig = _signals(typed={"b#0"}, asks_now=True, recent=["c#0"])
    ids = candidate_ids(sig)
    rows = features(sig, ids)
    assert _column(rows, ids, "b#0", "typed") == 1.0
    assert _column(rows, ids, "a#0", "typed") == 0.0
    assert _column(rows, ids, "a#0", "asks_type") == 1.0
    assert _column(rows, ids, "c#0", "recent_rr") == 1.0
    assert _column(rows, ids, "a#0", "now_fresh7") == pytest.approx(np.exp(-1))


def _model(weights: dict[str, float]) -> LinearRanker:
    n = len(FEATURES)
    coef = np.array([weights.get(name, 0.0) for name in FEATURES])
    return LinearRanker(FEATURES, np.zeros(n), np.ones(n), coef, 0.0, {"note": "made up"})


def test_the_model_orders_by_what_it_weighs():
    sig = _signals()
    ids = candidate_ids(sig)
    rows = features(sig, ids)
    by_dense = _model({"dense_rr": 5.0}).score(rows)
    by_keyword = _model({"kw_rr": 5.0}).score(rows)
    assert ids[int(np.argmax(by_dense))] == "a#0"
    assert ids[int(np.argmax(by_keyword))] == "c#0"
    assert ((by_dense > 0) & (by_dense < 1)).all()


def test_an_undated_article_weighs_as_of_average_age():
    # Unknown is not old: a model that favours fresh articles ranks an undated one between
    # the fresh and the stale one, where a candidate of the fitted average age would stand.
    sig = _signals()
    ids = candidate_ids(sig)
    rows = features(sig, ids)
    n = len(FEATURES)
    mean = np.zeros(n)
    mean[FEATURES.index("fresh7")] = 0.2
    coef = np.zeros(n)
    coef[FEATURES.index("fresh7")] = 5.0
    model = LinearRanker(FEATURES, mean, np.ones(n), coef, 0.0, {})
    scores = dict(zip(ids, model.score(rows), strict=True))
    assert scores["a#0"] > scores["b#0"] > scores["c#0"]
    assert scores["b#0"] == pytest.approx(1 / (1 + np.exp(0.0)))


class _CountingTyped(set[str]):
    """A typed set that counts the candidates asked about."""

    asked: list[str]

    def __contains__(self, cid: object) -> bool:
        self.asked.append(str(cid))
        return super().__contains__(cid)


def _many_signals(typed: set[str] | None) -> Signals:
    """Forty candidates over ten articles, some sharing scores (ties)."""
    passages = {
        f"{a}#{c}": _p(
            f"{a}#{c}",
            f"chunk {c} of {a}: the mayor and the bridge" if c % 2 else f"chunk {c} of {a}",
            score=0.9 - 0.02 * (4 * a + c),
            published=date(2021, 5, 1 + a) if a % 3 else None,
            start=700 * c,
        )
        for a in range(10)
        for c in range(4)
    }
    ids = list(passages)
    return _signals(
        dense=[passages[cid] for cid in ids[:25]],
        keyword=[(cid, 10.0 - (i // 2)) for i, cid in enumerate(reversed(ids[12:]))],
        passages=passages,
        typed=typed,
    )


@pytest.mark.parametrize("typed_weight", [3.0, 0.2, -1.0, 0.0])
def test_the_lazy_ranking_is_the_full_sorted_ranking(typed_weight: float):
    model = _model({"typed": typed_weight, "dense_rr": 2.0, "kw_norm": 1.0, "coverage": 0.5})
    typed = _CountingTyped({f"{a}#{c}" for a in range(10) for c in range(4) if (a + c) % 3 == 0})
    typed.asked = []
    sig = _many_signals(typed)
    ids = candidate_ids(sig)
    scores = model.score(features(sig, ids)).tolist()
    full = sorted(zip(ids, scores, strict=True), key=lambda x: -x[1])
    typed.asked.clear()
    assert list(ranking(model, sig)) == full  # the same ids, order and scores, bit for bit
    # Read only the first few: only the candidates that could come first were tested.
    typed.asked.clear()
    lazy = ranking(model, sig)
    head = [next(lazy) for _ in range(3)]
    assert head == full[:3]
    assert len(typed.asked) < len(ids)


def test_the_lazy_ranking_without_an_answer_type():
    model = _model({"dense_rr": 2.0, "kw_norm": 1.0})
    sig = _many_signals(None)
    ids = candidate_ids(sig)
    scores = model.score(features(sig, ids)).tolist()
    assert list(ranking(model, sig)) == sorted(zip(ids, scores, strict=True), key=lambda x: -x[1])
    assert list(ranking(model, _signals(dense=[], keyword=[]))) == []


def test_json_round_trip_and_a_model_of_other_features_is_refused(tmp_path: Path):
    model = _model({"coverage": 1.5, "fresh7": -0.25})
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    again = load_ranker(path)
    assert again is not None
    rows = features(_signals(), candidate_ids(_signals()))
    assert np.allclose(again.score(rows), model.score(rows))
    stale = {**model.to_json(), "features": ["dense_rr", "kw_rr"]}
    path.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ValueError, match="refit"):
        load_ranker(path)
    assert load_ranker(tmp_path / "absent.json") is None


def test_the_committed_model_loads_without_the_benchmark_data():
    model = load_ranker(DEFAULT_MODEL)
    assert model is not None, f"{DEFAULT_MODEL} is missing: run bench/fit_ranker.py"
    assert model.coef.shape == (len(FEATURES),)
    assert np.isfinite(model.coef).all() and (model.scale > 0).all()
    assert model.info.get("tune_weeks"), "the model records what it was fitted on"
    assert not any(w >= "20240701" for w in model.info["tune_weeks"]), "fitted on report weeks"


def test_a_searcher_with_a_ranker_orders_by_the_model(builder, store, hash_embedder, seed_dir):
    from index.keyword import KeywordIndex
    from index.search import Searcher

    builder.build([seed_dir])
    query = "artillery shells North Korea sent to Russia"
    by_keyword = Searcher(store, hash_embedder, ranker=_model({"kw_rr": 6.0}))
    by_dense = Searcher(store, hash_embedder, ranker=_model({"dense_rr": 6.0}))
    gen = store.open_current()
    kw_top = KeywordIndex.load(gen.bm25_dir).search(query, 1)[0].chunk_id
    dense_top = gen.dense_search(hash_embedder.embed([query])[0], 1)[0].chunk_id
    assert kw_top != dense_top, "the lists must disagree for the test to tell models apart"
    assert kw_top in by_keyword.search(query, 3, min_chunks=1)[0].chunk_id.split("+")
    assert dense_top in by_dense.search(query, 3, min_chunks=1)[0].chunk_id.split("+")
    results = by_keyword.search(query, 3)
    assert all(0.0 < p.score < 1.0 for p in results), "scores are the model's probabilities"
    assert [p.score for p in results] == sorted((p.score for p in results), reverse=True)
