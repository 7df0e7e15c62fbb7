"""Answer -> terminal (rich). Pure functions: no console, no I/O, so transcripts are testable.

Everything is built from ``rich.text.Text`` rather than markup strings: answers and article
titles are untrusted text full of square brackets (our own ``[1]`` markers among them) that rich
markup would try to interpret.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from bot.answer.markers import cites
from bot.answer.models import Answer, Citation
from bot.answer.sentences import split_sentences
from bot.answer.terms import content_terms
from index.models import Passage

QUOTE_CHARS = 160
MAX_NEAREST = 5


def source_meta(passage: Passage) -> str:
    """``Publisher, 2025-06-04``; the date is always there ("undated" when unknown)."""
    when = passage.published.isoformat() if passage.published else "undated"
    return f"{passage.publisher}, {when}" if passage.publisher else when


def source_line(passage: Passage) -> str:
    """``Title — Publisher, 2025-06-04 — url-or-path`` (the location part only when known)."""
    parts = [passage.title or "(untitled)", source_meta(passage)]
    location = passage.url or passage.path
    if location:
        parts.append(location)
    return " — ".join(parts)


def _clip(text: str, max_chars: int) -> str:
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def claims_citing(answer_text: str, n: int) -> list[str]:
    """Sentences of the answer that cite ``[n]`` (alone or in a group such as ``[1, 2]``)."""
    return [s for s in split_sentences(answer_text) if cites(s, n)]


def quote(passage: Passage, claims: Sequence[str] = (), max_chars: int = QUOTE_CHARS) -> str:
    """A short quote: the passage sentence closest to the claims citing it, else its opening.

    A chunk holds several sentences; quoting the one the claim came from lets a reader check
    the claim at a glance instead of reading the whole passage.
    """
    sentences = split_sentences(passage.text) or [passage.text]
    best = sentences[0]
    wanted = {t for claim in claims for t in content_terms(claim)}
    if wanted:
        overlap = [len(wanted & set(content_terms(s))) for s in sentences]
        best = sentences[overlap.index(max(overlap))]
    return _clip(best, max_chars)


def _citation(citation: Citation, claims: Sequence[str]) -> Text:
    line = Text(f"[{citation.n}] ", style="bold")
    line.append(source_line(citation.passage))
    line.append("\n    ")
    line.append(f"“{quote(citation.passage, claims)}”", style="dim")
    return line


def render_sources(citations: Sequence[Citation], answer_text: str = "") -> RenderableType:
    """The numbered source list; with ``answer_text`` each quote matches the claim citing it."""
    return Group(*(_citation(c, claims_citing(answer_text, c.n)) for c in citations))


def nearest_articles(passages: Sequence[Passage], limit: int = MAX_NEAREST) -> list[Passage]:
    """One passage per article, in rank order: several chunks of one article are one article."""
    seen: set[str] = set()
    out: list[Passage] = []
    for passage in passages:
        if passage.article_id in seen:
            continue
        seen.add(passage.article_id)
        out.append(passage)
        if len(out) == limit:
            break
    return out


def _notices(answer: Answer) -> list[Text]:
    return [Text(notice, style="italic yellow") for notice in answer.notices]


def _refusal(answer: Answer) -> list[RenderableType]:
    parts: list[RenderableType] = [Text(answer.text, style="bold")]
    nearest = nearest_articles(answer.passages)
    if nearest:
        parts.append(Text("\nNearest articles:", style="bold"))
        parts.extend(Text(f"  - {source_line(p)}") for p in nearest)
    return parts


def _answered(answer: Answer) -> list[RenderableType]:
    parts: list[RenderableType] = [Text(answer.text)]
    if answer.dropped_claims:
        s = "" if answer.dropped_claims == 1 else "s"
        parts.append(Text(f"({answer.dropped_claims} unsupported claim{s} removed)", style="dim"))
    if answer.citations:
        parts.append(Text("\nSources:", style="bold"))
        parts.append(render_sources(answer.citations, answer.text))
    return parts


def render_terminal(answer: Answer) -> RenderableType:
    """Notices, the answer, then its sources; a refusal lists the nearest articles instead."""
    body = _refusal(answer) if answer.refused else _answered(answer)
    return Group(*_notices(answer), *body)


__all__ = [
    "claims_citing",
    "nearest_articles",
    "quote",
    "render_sources",
    "render_terminal",
    "source_line",
    "source_meta",
]
