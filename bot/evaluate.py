"""Evaluation of retrieval and answers against a QA file (pure scoring; the CLI does the I/O)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer.models import Answer


@dataclass(frozen=True)
class QAItem:
    """One line of a QA file. ``answers == []`` means the archive does not hold the answer."""

    id: str
    question: str
    answers: list[str]

    @property
    def expects_refusal(self) -> bool:
        return not self.answers


class QAFileError(ValueError):
    """A QA file line that cannot be read; the message names the line."""


def load_qa(path: Path) -> list[QAItem]:
    items: list[QAItem] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            items.append(
                QAItem(
                    id=str(record.get("id", lineno)),
                    question=str(record["question"]),
                    answers=[str(a) for a in record.get("answers", [])],
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise QAFileError(f"{path}:{lineno}: not a QA record ({exc})") from None
    return items


def _contains(text: str, answers: Sequence[str]) -> bool:
    low = text.lower()
    return any(a.lower() in low for a in answers)


@dataclass(frozen=True)
class Judgement:
    """How one answer fared."""

    item: QAItem
    rank: int | None  # 1-based rank of the first passage holding a gold answer
    gold_in_answer: bool
    gold_in_cited: bool
    refused: bool

    @property
    def correct(self) -> bool:
        if self.item.expects_refusal:
            return self.refused
        return not self.refused and self.gold_in_answer and self.gold_in_cited

    def to_json(self, k: int) -> dict[str, object]:
        return {
            f"hit@{k}": self.rank is not None,
            f"mrr@{k}": 1.0 / self.rank if self.rank else 0.0,
            "gold_in_answer": self.gold_in_answer,
            "gold_in_cited": self.gold_in_cited,
            "expects_refusal": self.item.expects_refusal,
            "correct": self.correct,
        }


def judge(item: QAItem, answer: Answer) -> Judgement:
    rank = (
        next(
            (i for i, p in enumerate(answer.passages, start=1) if _contains(p.text, item.answers)),
            None,
        )
        if item.answers
        else None
    )
    return Judgement(
        item=item,
        rank=rank,
        gold_in_answer=bool(item.answers)
        and not answer.refused
        and _contains(answer.text, item.answers),
        gold_in_cited=bool(item.answers)
        and any(_contains(c.passage.text, item.answers) for c in answer.citations),
        refused=answer.refused,
    )


@dataclass
class Summary:
    """Aggregates over answerable questions (retrieval, answers) and refusal questions."""

    k: int
    judgements: list[Judgement] = field(default_factory=list)

    def add(self, judgements: Iterable[Judgement]) -> None:
        self.judgements.extend(judgements)

    def to_json(self) -> dict[str, object]:
        answerable = [j for j in self.judgements if not j.item.expects_refusal]
        unanswerable = [j for j in self.judgements if j.item.expects_refusal]

        def rate(values: list[bool]) -> float | None:
            return round(sum(values) / len(values), 4) if values else None

        return {
            "summary": True,
            "questions": len(self.judgements),
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            f"hit@{self.k}": rate([j.rank is not None for j in answerable]),
            f"mrr@{self.k}": round(
                sum(1 / j.rank for j in answerable if j.rank) / len(answerable), 4
            )
            if answerable
            else None,
            "gold_in_answer": rate([j.gold_in_answer for j in answerable]),
            "gold_in_cited": rate([j.gold_in_cited for j in answerable]),
            "false_refusals": rate([j.refused for j in answerable]),
            "correct_refusals": rate([j.refused for j in unanswerable]),
            "accuracy": rate([j.correct for j in self.judgements]),
        }
