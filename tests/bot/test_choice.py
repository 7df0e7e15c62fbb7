"""The learned sentence choice: its features over a made-up passage (neighbours included), its
JSON, the committed model, and the answerer quoting what the model prefers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.answer.choice import (
    DEFAULT_MODEL,
    FEATURES,
    ChoiceModel,
    load_choice_model,
    sentence_features,
)
from bot.answer.extractive import ExtractiveAnswerer
from bot.answer.question import QuestionInfo, analyze_question
from bot.answer.relevance import sentence_evidence, term_weights
from index.models import Passage

QUESTION = "How many passengers did the new Portvale ferry carry on its first day?"
# The first sentence restates the question; the answer is one sentence away.
TEXT = (
    "The new Portvale ferry made its first day of crossings to Lindmoor this week. "
    "It carried 1,200 passengers between the two harbours, the authority said. "
    "Officials in Lindmoor in 2019 had opposed the harbour plan for years."
)


def _passage(text: str = TEXT, score: float = 0.8) -> Passage:
    return Passage(
        chunk_id="a1#0",
        article_id="a1",
        title="Portvale ferry opens",
        text=text,
        score=score,
        published=date(2031, 3, 2),
        end=len(text),
    )


def _rows() -> list[dict[str, float]]:
    info = analyze_question(QUESTION)
    passage = _passage()
    evidence = sentence_evidence(info, passage, term_weights(info, [passage]))
    assert len(evidence) == 3
    return [
        dict(
            zip(
                FEATURES,
                sentence_features(info, evidence, i, 0, passage=passage, best_score=0.8),
                strict=True,
            )
        )
        for i in range(3)
    ]


def test_features_see_the_neighbours():
    first, second, third = _rows()
    # The restatement holds no new number; the next sentence does, and the model can see it.
    assert first["answer_type"] == 0.0 and first["next_answer_type"] == 1.0
    assert second["answer_type"] == 1.0
    assert second["prev_coverage"] == pytest.approx(first["coverage"])
    assert second["prev_coverage"] > second["coverage"]
    assert first["prev_coverage"] == 0.0 and third["next_coverage"] == 0.0
    assert [r["position"] for r in (first, second, third)] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert first["typed"] == 1.0 and first["rank_rr"] == 1.0 and first["passage_rel"] == 1.0
    # A year the question does not name is only flagged when the question names one.
    assert third["other_year"] == 0.0
    # The restatement's window covers the question; the sentence after it continues it.
    assert first["supports"] == 1.0 and second["prev_supports"] == 1.0
    assert first["prev_supports"] == 0.0
    assert 0.0 < first["window_entities"] <= 1.0


def test_other_year_flag_when_the_question_names_a_year():
    info = analyze_question("How many passengers did the Portvale ferry carry in 2031?")
    passage = _passage()
    evidence = sentence_evidence(info, passage, term_weights(info, [passage]))
    row = sentence_features(info, evidence, 2, 3, passage=passage, best_score=1.6)
    named = dict(zip(FEATURES, row, strict=True))
    assert named["other_year"] == 1.0
    assert named["rank_rr"] == 0.25 and named["passage_rel"] == pytest.approx(0.5)


def _model(**weights: float) -> ChoiceModel:
    coef = np.array([weights.get(name, 0.0) for name in FEATURES])
    n = len(FEATURES)
    return ChoiceModel(np.zeros(n), np.ones(n), coef, 0.0, 0.75, {})


def test_the_answerer_quotes_what_the_model_prefers():
    passages = [_passage()]
    typed = ExtractiveAnswerer(choice=_model(answer_type=5.0))
    answer = typed.answer(QUESTION, passages)
    assert "1,200 passengers" in answer.text
    assert "made its first day" not in answer.text
    # A model that only values covering the question quotes the restatement.
    covering = ExtractiveAnswerer(choice=_model(coverage=5.0), max_sentences=1)
    answer = covering.answer(QUESTION, passages)
    assert "made its first day" in answer.text and "1,200" not in answer.text


def test_a_sentence_beyond_the_gates_window_can_answer():
    # The answer comes three sentences after the only one naming the ferry, under a title that
    # does not: its own window does not cover the question, yet it is the sentence to quote.
    text = (
        "The new Portvale ferry made its first day of crossings after 10 years of planning. "
        "Rain fell over the harbour all morning and into the afternoon. "
        "Gulls circled above the old pier while crews tied up the boats. "
        "In all, 1,200 people travelled, officials said."
    )
    passage = replace(_passage(text), title="Harbour diary")
    info = analyze_question(QUESTION)
    evidence = sentence_evidence(info, passage, term_weights(info, [passage]))
    assert evidence[0].supports and not evidence[3].supports
    # Both hold a number; the model prefers the sentence that adds the most to the question.
    model = _model(answer_type=5.0, fresh=3.0)
    answer = ExtractiveAnswerer(choice=model, max_sentences=1).answer(QUESTION, [passage])
    assert "1,200 people" in answer.text and answer.citations


def test_probability_and_json_round_trip(tmp_path: Path):
    model = _model(coverage=2.0, answer_type=1.0)
    row = np.zeros((1, len(FEATURES)))
    row[0, FEATURES.index("coverage")] = 1.0
    assert model.probability(row)[0] == pytest.approx(1 / (1 + np.exp(-2.0)))
    path = tmp_path / "choice.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    loaded = load_choice_model(path)
    assert loaded.probability(row)[0] == pytest.approx(model.probability(row)[0])
    assert loaded.min_relative == 0.75


def test_a_model_fitted_on_other_features_is_refused(tmp_path: Path):
    data = _model().to_json()
    data["features"] = ["coverage"]
    with pytest.raises(ValueError, match="other features"):
        ChoiceModel.from_json(data)
    with pytest.raises(ValueError, match=r"absent\.json"):
        load_choice_model(tmp_path / "absent.json")


def test_the_committed_model_loads():
    model = load_choice_model(DEFAULT_MODEL)
    assert model.coef.shape == (len(FEATURES),)
    assert 0.0 < model.min_relative <= 1.0


def _column(info: QuestionInfo, passage: Passage, feature: str) -> list[float]:
    """One feature of every sentence of ``passage``, in order."""
    evidence = sentence_evidence(info, passage, term_weights(info, [passage]))
    return [
        float(
            sentence_features(info, evidence, i, 0, passage=passage, best_score=0.8)[
                FEATURES.index(feature)
            ]
        )
        for i in range(len(evidence))
    ]


def test_asked_for_someones_words_a_quoting_sentence_is_flagged():
    question = "What did the Lindmoor mayor call the new Portvale ferry?"
    info = analyze_question(question)
    assert info.asks_words
    assert not analyze_question("What is the Portvale ferry's top speed?").asks_words
    text = (
        "The Lindmoor mayor spoke about the new Portvale ferry on Monday. "
        "She called it “a bridge that floats” and thanked the crews. "
        "In other news, rain is expected across the region on Tuesday. "
        "Schools in Ostmark will open an hour late for the whole week. "
        "Harbour workers in Ostmark marched for “fair pay, not promises” all week."
    )
    passage = _passage(text)
    quotes = _column(info, passage, "quotes")
    # The last quotes words about something else: no answer to what the mayor said.
    assert quotes == [0.0, 1.0, 0.0, 0.0, 0.0]
    answer = ExtractiveAnswerer(choice=_model(quotes=5.0), max_sentences=1).answer(
        question, [passage]
    )
    assert "a bridge that floats" in answer.text


def test_asked_what_someone_said_of_something_only_a_quotation_of_it_is_flagged():
    question = "What did the Lindmoor mayor warn the ferry timetable could become this winter?"
    info = analyze_question(question)
    text = (
        "The Lindmoor mayor spoke to harbour workers on Monday. "
        "“Our harbour will keep growing for years,” the Lindmoor mayor said of the ferry. "
        "“The ferry timetable could become unworkable this winter,” she warned. "
        "She has led the town since 2019."
    )
    passage = _passage(text)
    quotes = _column(info, passage, "quotes")
    # Both quote the mayor; only the second quotes what she said of the timetable.
    assert quotes == [0.0, 0.0, 1.0, 0.0]
