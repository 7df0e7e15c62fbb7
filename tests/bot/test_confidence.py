"""The learned refusal: its features over made-up passages, its JSON, the committed model, and
QAService refusing on-topic noise that the model scores low."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.answer.confidence import (
    DEFAULT_MODEL,
    FEATURES,
    RefusalModel,
    load_refusal_model,
    refusal_features,
)
from bot.answer.extractive import ExtractiveAnswerer
from bot.service import QAService
from index.models import Passage


def _p(n: int, text: str, score: float, published: date | None = None) -> Passage:
    return Passage(
        chunk_id=f"a{n}#0",
        article_id=f"a{n}",
        title=f"Harbour report {n}",
        text=text,
        score=score,
        published=published,
        end=len(text),
    )


FERRY = (
    "The new ferry between Portvale and Lindmoor carried 1,200 passengers on its first day, "
    "the harbour authority said on Monday."
)


def test_features_read_probabilities_and_years():
    passages = [
        _p(1, FERRY, 0.9, date(2031, 3, 2)),
        _p(2, "Ferries were late again.", 0.6),
        _p(3, "The harbour was dredged in 2029.", 0.2),
    ]
    row = refusal_features("How many passengers did the Portvale ferry carry?", passages)
    assert dict(zip(FEATURES, row, strict=True)) == pytest.approx(
        {
            "top_p": 0.9,
            "mean3_p": (0.9 + 0.6 + 0.2) / 3,
            "strong": 2 / 3,
            "year_missing": 0.0,
            "year_missing_top": 0.0,
        }
    )
    # 2031 is a publication year, 2029 is stated in a text: neither is missing; 2019 is.
    assert refusal_features("What opened in 2031?", passages)[3] == 0.0
    assert refusal_features("What opened in 2029?", passages)[3] == 0.0
    assert refusal_features("What opened in 2019?", passages)[3] == 1.0
    # 2029 is stated, but not by the best passage (dated 2031, about the ferry).
    assert refusal_features("What opened in 2029?", passages)[4] == 1.0
    assert refusal_features("What opened in 2031?", passages)[4] == 0.0


def _model(threshold: float = 0.5) -> RefusalModel:
    # Made-up weights: confidence rises with the best probability, falls with a missing year.
    return RefusalModel(np.array([8.0, 0.0, 0.0, -6.0, 0.0]), -4.0, threshold, {"note": "made up"})


def test_probability_and_json_round_trip(tmp_path: Path):
    model = _model()
    strong = [_p(1, FERRY, 0.95)]
    weak = [_p(1, FERRY, 0.1)]
    question = "How many passengers did the Portvale ferry carry?"
    assert model.probability(question, strong) > 0.9 > 0.1 > model.probability(question, weak)
    assert model.refuses(question, weak) and not model.refuses(question, strong)
    assert model.refuses(question + " in 2019", strong), "a year the passages never state"
    assert model.probability(question, []) == 0.0
    path = tmp_path / "refusal.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    again = load_refusal_model(path)
    assert again is not None and again.threshold == model.threshold
    assert again.probability(question, strong) == pytest.approx(model.probability(question, strong))
    path.write_text(json.dumps({**model.to_json(), "features": ["top_p"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="refit"):
        load_refusal_model(path)


class FixedSearcher:
    """Returns the same ranked passages for any query (retrieval is not under test here)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)

    def search(self, query: str, k: int, filters: object = None, *, min_chunks: int | None = None):
        return self.passages[:k]


@pytest.mark.parametrize(("score", "refused"), [(0.95, False), (0.1, True)])
def test_qa_service_refuses_what_the_model_scores_low(score: float, refused: bool):
    service = QAService(
        FixedSearcher([_p(1, FERRY, score)]),  # type: ignore[arg-type]
        ExtractiveAnswerer(),
        refusal=_model(),
    )
    answer = service.ask("How many passengers did the new Portvale ferry carry on its first day?")
    assert answer.refused is refused
    if refused:
        assert not answer.citations and answer.passages, "the nearest passages are still shown"
    else:
        assert "1,200" in answer.text and answer.citations[0].passage.article_id == "a1"


def test_the_committed_refusal_model_loads_without_the_benchmark_data():
    model = load_refusal_model(DEFAULT_MODEL)
    assert model is not None, f"{DEFAULT_MODEL} is missing: run bench/fit_ranker.py"
    assert 0.0 < model.threshold < 1.0 and np.isfinite(model.coef).all()
    assert not any(w >= "20240701" for w in model.info["tune_weeks"]), "fitted on report weeks"


def test_asked_for_more_of_what_was_cited_the_model_does_not_refuse():
    service = QAService(
        FixedSearcher([_p(1, FERRY, 0.1)]),  # type: ignore[arg-type]
        ExtractiveAnswerer(),
        refusal=_model(),
    )
    question = "How many passengers did the new Portvale ferry carry on its first day?"
    assert service.ask(question).refused
    more = service.ask(question, told=["The ferry was new."])
    assert not more.refused and "1,200" in more.text
