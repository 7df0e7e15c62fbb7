"""The citation check: every claim must carry a marker, and the cited passage must support it.

Input text carries markers ``[k]`` meaning ``passages[k-1]``. A sentence is supported by a
passage when (thresholds below):

- at least 60% of its content terms occur in the passage (title included). Not 100%: a faithful
  paraphrase changes words ("shells" for "rounds of artillery", "sent" for "shipped") and adds
  connectives; below ~60% a sentence is mostly words the source never used.
- 100% of its numbers and years occur in the passage (as values: "9 million" == "9,000,000").
  A wrong number is the commonest and most harmful hallucination, and exact to check.
- 100% of its names occur in the passage (title words like "President" excepted, they are
  covered by the 60% rule). A name the source never mentions is a claim the source never made.

What is removed: a marker to a passage that was not given; a marker whose passage does not
support its sentence; a sentence left with no supported marker; a sentence with no marker.
Remaining markers are renumbered 1..m in order of first appearance.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.answer.lexicon import lexicon
from bot.answer.markers import MARKERS_AFTER_STOP, cited_numbers, rewrite_markers, strip_markers
from bot.answer.models import Answer, Citation
from bot.answer.names import names
from bot.answer.quantities import numbers
from bot.answer.sentences import split_sentences
from bot.answer.terms import content_terms, text_vocabulary, words
from index.models import Passage

logger = logging.getLogger(__name__)

MIN_TERM_SUPPORT = 0.6


@dataclass(frozen=True)
class CheckedText:
    """The answer text after the check."""

    text: str  # unsupported sentences removed, markers renumbered 1..m by first appearance
    citations: list[Citation]  # Citation(n, passage) for each remaining marker
    dropped: int  # claims removed (unsupported/uncited sentences, markers to passages not given)


@dataclass(frozen=True)
class Support:
    """Why a passage does or does not support a sentence."""

    supported: bool
    term_share: float
    missing_numbers: frozenset[float]
    missing_names: frozenset[str]


def _claim_names(claim: str) -> set[str]:
    """Name tokens of a claim, its first word included unless it reads as an adverb/participle.

    A claim usually opens with its subject ("China shipped ..."), so the first word counts as a
    name; "Meanwhile"/"Following"-style openers (stopwords, -ly, -ing) do not.
    """
    out: set[str] = set()
    for name in names(claim):
        if name.lone_opening:
            word = name.text.lower()
            if word.endswith(("ly", "ing")) or word in lexicon().claim_openers:
                continue
        out.update(name.proper_terms)
    return out


@lru_cache(maxsize=1 << 10)
def _written(source: str) -> frozenset[str]:
    """Every word of ``source`` as written: a name the vocabulary reads as part of a country
    form ("Democratic People's Republic of Korea" is North Korea) is still written there."""
    return frozenset(words(source))


def support(claim: str, passage: Passage) -> Support:
    """Judge whether ``passage`` supports ``claim`` (markers already removed)."""
    source = f"{passage.title}\n{passage.text}" if passage.title else passage.text
    vocab = text_vocabulary(source)
    terms = list(dict.fromkeys(content_terms(claim)))
    share = sum(1 for t in terms if vocab.holds(t)) / len(terms) if terms else 0.0
    missing_numbers = frozenset(numbers(claim) - numbers(source))
    missing_names = frozenset(
        t
        for t in _claim_names(claim)
        if t.lower() not in lexicon().title_words
        and not vocab.holds(t)
        and t not in _written(source)
    )
    ok = bool(terms) and share >= MIN_TERM_SUPPORT and not missing_numbers and not missing_names
    return Support(ok, share, missing_numbers, missing_names)


@dataclass
class _Sentence:
    text: str
    kept: list[int]  # 1-based passage numbers whose markers survive, in order


def _judge_sentence(sentence: str, passages: Sequence[Passage]) -> tuple[_Sentence | None, int]:
    """Keep the supported markers of one sentence; return it (or None) and claims dropped."""
    cited = cited_numbers(sentence)
    claim = strip_markers(sentence)
    if not cited:
        logger.debug("dropping uncited sentence: %r", claim)
        return None, 1
    invalid = [k for k in cited if not 1 <= k <= len(passages)]
    kept: list[int] = []
    for k in cited:
        if k in invalid:
            continue
        verdict = support(claim, passages[k - 1])
        if verdict.supported:
            kept.append(k)
        else:
            logger.debug("[%d] does not support %r: %s", k, claim, verdict)
    if not kept:
        # The sentence goes: one dropped claim (however many bad markers it carried).
        return None, 1
    return _Sentence(sentence, kept), len(invalid)


def _render(sentence: _Sentence, numbering: dict[int, int]) -> str:
    """Rewrite the sentence's markers: surviving ones renumbered, the rest removed."""
    placed: set[int] = set()

    def keep(cited: list[int]) -> list[int]:
        out = []
        for k in cited:
            if k in sentence.kept and k not in placed:
                placed.add(k)
                out.append(numbering[k])
        return out

    text = rewrite_markers(sentence.text, keep)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)  # "claim [1] ." / removed marker leftovers
    return re.sub(r"\s{2,}", " ", text).strip()


# A marker followed by terminal punctuation always closes a sentence, whatever comes next (a
# quoted sentence may start lowercase or with a dash); the general splitter handles the rest.
_CITED_END = re.compile(r"\]\s*[.!?]+[\"'”’)]*(?=\s)")


def _sentences(line: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _CITED_END.finditer(line):
        out.extend(split_sentences(line[start : match.end()]))
        start = match.end()
    out.extend(split_sentences(line[start:]))
    return out


def check_citations(text: str, passages: Sequence[Passage]) -> CheckedText:
    """Verify every sentence of ``text`` against the passages its ``[k]`` markers cite."""
    passages = list(passages)
    normalised = MARKERS_AFTER_STOP.sub(lambda m: f"{m.group(3)}{m.group(1)}{m.group(2)}", text)
    dropped = 0
    lines: list[list[_Sentence]] = []
    for line in normalised.splitlines():
        kept_line: list[_Sentence] = []
        for sentence in _sentences(line):
            judged, lost = _judge_sentence(sentence, passages)
            dropped += lost
            if judged is not None:
                kept_line.append(judged)
        if kept_line:
            lines.append(kept_line)

    numbering: dict[int, int] = {}
    for line_sentences in lines:
        for sentence in line_sentences:
            for k in sentence.kept:
                numbering.setdefault(k, len(numbering) + 1)

    out_text = "\n".join(" ".join(_render(s, numbering) for s in line) for line in lines)
    citations = [Citation(n, passages[k - 1]) for k, n in numbering.items()]
    if dropped:
        logger.info("citation check dropped %d claim(s)", dropped)
    return CheckedText(out_text, citations, dropped)


def cited_answer(question: str, draft: str, passages: list[Passage]) -> Answer:
    """Check ``draft``'s citations against ``passages``; with none left standing, refuse."""
    checked = check_citations(draft, passages)
    if not checked.citations:
        logger.warning("the citation check removed every sentence of the answer to %r", question)
        return Answer.refusal(question, passages, dropped=checked.dropped)
    return Answer(
        question=question,
        text=checked.text,
        citations=checked.citations,
        passages=passages,
        dropped_claims=checked.dropped,
    )
