"""Unanswerable questions built from the benchmark weeks (``../shared/bench/README.md``):

- **another week's news**: a week's questions asked of an earlier week's archive, with every
  article that contains the gold answer taken out -- the same running stories, no answer;
- **another year**: a week's question with a year added that the archive's articles on the
  subject are not from ("... in 2019?"), asked of its own week, gold articles included.

Both are built per split, so the refusal is fitted on tune weeks and reported on report weeks.
Pure: the caller runs retrieval; this module only says what to ask of which week and which
candidates to hide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bench.retrieval_quality import read_jsonl
from bench.splits import week_dir

# Years back for "another year": far enough that a weekly archive holds no reporting from then.
YEARS_BACK = 4
_END = re.compile(r"\s*\?\s*$")


@dataclass(frozen=True)
class Probe:
    """One question put to one week's index; ``hide`` are gold strings whose articles must not
    be seen (they would answer it)."""

    kind: str  # "answerable", "other-week" or "other-year"
    qid: str
    question: str
    answers: list[str]
    asked_of: str  # the week (yyyymmdd) whose index is asked
    hide: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.kind == "answerable"


def with_year(question: str, year: int) -> str:
    """``question`` ending in "in YEAR?" (only if it names no year already)."""
    if re.search(r"\b(19|20)\d\d\b", question):
        return question
    return f"{_END.sub('', question)} in {year}?"


def probes(weeks: Sequence[str]) -> list[Probe]:
    """Answerable questions of each week, and both kinds of unanswerable ones, for one split.
    ``weeks`` in date order; "another week" pairs each week with the one before it."""
    out: list[Probe] = []
    for i, week in enumerate(weeks):
        earlier = weeks[i - 1] if i > 0 else None
        for q in read_jsonl(week_dir(week) / "questions.jsonl"):
            golds = [str(a) for a in q["answers"]]
            out.append(Probe("answerable", q["id"], q["question"], golds, week))
            if earlier is not None:
                out.append(
                    Probe("other-week", q["id"], q["question"], golds, earlier, tuple(golds))
                )
            year = int(week[:4]) - YEARS_BACK
            asked = with_year(q["question"], year)
            if asked != q["question"]:
                # The gold articles stay: on the subject, but from another year than asked.
                out.append(Probe("other-year", q["id"], asked, golds, week))
    return out
