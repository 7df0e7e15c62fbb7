"""The answer a person sees: text with ``[n]`` markers plus the citations they point at."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.models import Passage

REFUSAL_TEXT = "I couldn't find this in the archive."


@dataclass(frozen=True)
class Citation:
    """Citation ``[n]``: the passage a claim came from, with its source metadata."""

    n: int
    passage: Passage

    def to_json(self) -> dict[str, object]:
        fields = self.passage.to_json()
        fields["passage"] = fields.pop("text")
        return {"n": self.n, **fields}


@dataclass(frozen=True)
class Answer:
    """An answer whose every ``[n]`` marker resolves to one of ``citations``.

    ``refused`` answers carry no citations; ``passages`` then holds the nearest articles found.
    ``notices`` are one-line remarks shown above the answer (fallbacks, recency).
    """

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    refused: bool = False
    notices: list[str] = field(default_factory=list)
    dropped_claims: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)

    @classmethod
    def refusal(cls, question: str, nearest: list[Passage], *, dropped: int = 0) -> Answer:
        """Nothing in the archive answers: say so, and keep the nearest passages to show."""
        return cls(
            question=question,
            text=REFUSAL_TEXT,
            passages=nearest,
            refused=True,
            dropped_claims=dropped,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "notices": list(self.notices),
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "dropped_claims": self.dropped_claims,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
