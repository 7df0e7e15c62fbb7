"""Answers, searches and stats -> Discord messages within Discord's limits.

Pure functions over small frozen dataclasses (``Reply``, ``Embed``): no discord import, no I/O,
so every limit is tested without a client. The glue turns an ``Embed`` into ``discord.Embed``
with :meth:`Embed.to_dict`.

Layout of an answer: the text (with ``[n]`` markers) is the message content; each source it
cites is one embed whose title (``[n] Title``) links to the article, whose description holds
publisher, **date** and a short quote. A long answer is split on paragraph, then sentence,
boundaries; every message carries the embeds of exactly the markers in its own text, so a
``[n]`` and its source always travel together.

Article text is untrusted: markdown is escaped (a stray ``*`` or ``](`` cannot restyle the
answer or fake a link) and mention syntax is broken with a zero-width space, on top of the
client's ``AllowedMentions.none()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

from bot.answer.markers import MARKER, cited_numbers
from bot.answer.models import Answer, Citation
from bot.answer.sentences import split_sentences
from bot.render import claims_citing, nearest_articles, quote
from index.models import Passage, SearchFilters

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
EMBEDS_MAX = 10
# ... and of an autocomplete's answer: choices, and characters of a choice's name or value.
CHOICES_MAX = 25
CHOICE_MAX = 100

# Our own, smaller budgets: a source is a glance, not a page.
QUOTE_CHARS = 220
PUBLISHER_CHARS = 80
SNIPPET_CHARS = 300
PASSAGE_CHARS = 1800
URL_MAX = 512
COLOR = 0x2B6CB0
ZWSP = "\u200b"

_INLINE_MD = re.compile(r"([\\*_~`|\[\]])")
_LINE_START_MD = re.compile(r"^(\s*)([>#\-+]|\d+\.)", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here)|<(?=[@#:&/]|t:|a:)", re.IGNORECASE)


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Embed:
    """The subset of a Discord embed we use; ``size`` counts what Discord's 6,000 cap counts."""

    title: str = ""
    description: str = ""
    url: str | None = None
    fields: tuple[EmbedField, ...] = ()
    footer: str = ""
    color: int = COLOR

    @property
    def size(self) -> int:
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"type": "rich", "color": self.color}
        if self.title:
            out["title"] = self.title
        if self.url:
            out["url"] = self.url
        if self.description:
            out["description"] = self.description
        if self.fields:
            out["fields"] = [
                {"name": f.name, "value": f.value, "inline": f.inline} for f in self.fields
            ]
        if self.footer:
            out["footer"] = {"text": self.footer}
        return out


@dataclass(frozen=True)
class Reply:
    """One Discord message: content plus embeds."""

    content: str = ""
    embeds: tuple[Embed, ...] = ()


@dataclass(frozen=True)
class IndexStats:
    """What ``/stats`` shows (read from the live generation's manifest)."""

    articles: int
    chunks: int
    embed_model: str
    first: date | None
    last: date | None
    last_build: datetime | None
    publishers: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ReindexSummary:
    """What ``/reindex`` did, with the names behind each count."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (path, reason)
    unchanged: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Unit:
    """An unsplittable piece of content and the separator that joins it to the previous one."""

    sep: str
    text: str
    markers: tuple[int, ...] = field(default=())


# -- escaping -------------------------------------------------------------------------------


def escape(text: str) -> str:
    """``text`` safe to show: markdown escaped, mention syntax broken (display is unchanged)."""
    text = _INLINE_MD.sub(r"\\\1", text)
    text = _LINE_START_MD.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)
    return _MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}" if m.group(1) else f"<{ZWSP}", text)


def escape_answer(text: str) -> str:
    """Like :func:`escape`, but our own ``[n]`` markers stay markers."""
    out: list[str] = []
    last = 0
    for match in MARKER.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary where one is near, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:\\") + "…"


def _clip_escaped(text: str, limit: int) -> str:
    """Escape, then fit ``limit``: clip the raw text until its escaped form fits."""
    budget = limit
    while True:
        out = escape(clip(text, budget))
        if len(out) <= limit:
            return out
        budget -= max(1, len(out) - limit)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL Discord will accept as an embed link, else None (shown unlinked)."""
    if not url or len(url) > URL_MAX:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url_quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._")


def when(passage: Passage) -> str:
    return passage.published.isoformat() if passage.published else "undated"


# -- sources --------------------------------------------------------------------------------


def source_embed(
    n: int | None, passage: Passage, quoted: str, *, quote_chars: int = QUOTE_CHARS
) -> Embed:
    """``[n] Title`` linked to the article; publisher, **date**, and a short quote."""
    prefix = f"[{n}] " if n is not None else ""
    title = prefix + _clip_escaped(passage.title or "(untitled)", TITLE_MAX - len(prefix))
    publisher = _clip_escaped(passage.publisher, PUBLISHER_CHARS) if passage.publisher else ""
    meta = f"{publisher} · **{when(passage)}**" if publisher else f"**{when(passage)}**"
    lines = [meta]
    if quoted:
        lines.append(f"> “{_clip_escaped(quoted, quote_chars)}”")
    if safe_url(passage.url) is None and passage.path:
        # The file name, not the server's full path.
        lines.append(f"-# {_clip_escaped(PurePath(passage.path).name, 200)}")
    return Embed(title=title, url=safe_url(passage.url), description="\n".join(lines))


def citation_embed(citation: Citation, answer_text: str) -> Embed:
    claims = claims_citing(answer_text, citation.n)
    return source_embed(citation.n, citation.passage, quote(citation.passage, claims, 400))


# -- splitting ------------------------------------------------------------------------------


def _markers(text: str) -> tuple[int, ...]:
    return tuple(cited_numbers(text))


def _hard_split(text: str, limit: int) -> list[str]:
    """Words up to ``limit``; a longer word is cut (never inside an escape sequence)."""
    out: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > limit:
            cut = limit - 1 if word[limit - 1] == "\\" else limit
            if current:
                out.append(current)
                current = ""
            out.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > limit:
            out.append(current)
            current = word
        else:
            current = candidate
    if current:
        out.append(current)
    return out


def _after_markers(sentence: str) -> list[str]:
    """A sentence cut after each group of markers, for one that cites too many sources."""
    pieces = re.split(r"((?:\[\d+\])+[.,;:!?]*)", sentence)
    out: list[str] = []
    for i in range(0, len(pieces), 2):
        chunk = pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else "")
        if chunk.strip():
            out.append(chunk.strip())
    return out


def split_units(text: str, limit: int = CONTENT_MAX) -> list[_Unit]:
    """Paragraphs, then sentences, then words: the smallest pieces a message may be cut at."""
    units: list[_Unit] = []
    for p, paragraph in enumerate(re.split(r"\n\s*\n", text.strip())):
        for s, line in enumerate(paragraph.splitlines()):
            for k, sentence in enumerate(split_sentences(line) or [line]):
                sep = "\n\n" if (s == k == 0 and p) else ("\n" if k == 0 and s else " ")
                for w, piece in enumerate(_hard_split(sentence, limit)):
                    units.append(_Unit(sep if w == 0 else " ", piece, _markers(piece)))
    if units:
        units[0] = _Unit("", units[0].text, units[0].markers)
    return units


def _fits(embeds: Sequence[Embed]) -> bool:
    return len(embeds) <= EMBEDS_MAX and sum(e.size for e in embeds) <= EMBED_TOTAL_MAX


def pack(
    units: Sequence[_Unit], sources: dict[int, Embed], *, head: str = "", tail: str = ""
) -> list[Reply]:
    """Greedy: as much text per message as fits, with the embeds of the markers it holds."""
    expanded: list[_Unit] = []
    for unit in units:
        if _fits([sources[n] for n in unit.markers if n in sources]):
            expanded.append(unit)
            continue
        for i, piece in enumerate(_after_markers(unit.text)):
            expanded.append(_Unit(unit.sep if i == 0 else " ", piece, _markers(piece)))

    replies: list[Reply] = []
    text = head
    cited: list[int] = []
    placed: set[int] = set()

    def flush() -> None:
        nonlocal text, cited
        if text or cited:
            replies.append(Reply(text, tuple(sources[n] for n in cited)))
            placed.update(cited)
        text, cited = "", []

    for unit in expanded:
        new = [n for n in unit.markers if n in sources and n not in cited]
        sep = (unit.sep or "\n") if text else ""  # after the head, the text starts a line
        candidate = f"{text}{sep}{unit.text}"
        if text and (
            len(candidate) > CONTENT_MAX or not _fits([sources[n] for n in [*cited, *new]])
        ):
            flush()
            new = [n for n in unit.markers if n in sources]
            candidate = unit.text
        # Only a head (notices) could exceed a message on its own; article text never gets here.
        text = candidate if len(candidate) <= CONTENT_MAX else candidate[: CONTENT_MAX - 1] + "…"
        cited.extend(new)
    if tail:
        if text and len(text) + 1 + len(tail) > CONTENT_MAX:
            flush()
        text = f"{text}\n{tail}" if text else tail
    # A source no marker points at should not exist; if one does, it is shown, never dropped.
    for n in sources:
        if n in placed or n in cited:
            continue
        if not _fits([sources[m] for m in [*cited, n]]):
            flush()
        cited.append(n)
    flush()
    return replies


def pack_embeds(embeds: Iterable[Embed], content: str = "") -> list[Reply]:
    """Embeds into as few messages as the 10-embed and 6,000-character caps allow."""
    replies: list[Reply] = []
    current: list[Embed] = []
    for embed in embeds:
        if current and not _fits([*current, embed]):
            replies.append(Reply(content if not replies else "", tuple(current)))
            current = []
        current.append(embed)
    if current or not replies:
        replies.append(Reply(content if not replies else "", tuple(current)))
    return replies


# -- answers --------------------------------------------------------------------------------


def _head(answer: Answer) -> str:
    return "\n".join(f"-# {escape(clip(n, 300))}" for n in answer.notices)


def render_answer(answer: Answer) -> list[Reply]:
    """The answer as one or more messages; a refusal lists the nearest articles with dates."""
    if answer.refused or not answer.citations:
        return render_refusal(answer)
    sources = {c.n: citation_embed(c, answer.text) for c in answer.citations}
    tail = ""
    if answer.dropped_claims:
        s = "" if answer.dropped_claims == 1 else "s"
        tail = f"-# ({answer.dropped_claims} unsupported claim{s} removed)"
    units = split_units(escape_answer(answer.text))
    head = _head(answer)
    return pack(units, sources, head=head, tail=tail)


def render_refusal(answer: Answer) -> list[Reply]:
    text = escape(answer.text)
    head = _head(answer)
    nearest = nearest_articles(answer.passages)
    content = "\n".join(x for x in (head, f"**{text}**") if x)
    if not nearest:
        return [Reply(content)]
    content += "\nNearest articles:"
    # Title, publisher and date only: a quote from an article that does not answer misleads.
    embeds = [source_embed(None, p, "") for p in nearest]
    return pack_embeds(embeds, content)


def passage_window(text: str, anchor: str, limit: int) -> str:
    """At most ``limit`` characters of ``text`` around ``anchor`` (the sentence the answer
    quoted): a stitched passage runs to several chunks, and the cited line may be near its end.
    Cut ends are marked with an ellipsis; the whole text when it fits or the anchor is absent."""
    if len(text) <= limit:
        return text
    # The quote's whitespace is normalised: find its first words across any whitespace.
    words = anchor.split()[:8]
    found = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
    if found is None:
        return text
    at = found.start()
    # Some context before the cited sentence, the sentence itself, then what follows.
    start = max(0, min(at - limit // 4, len(text) - limit + 1))
    window = text[start : start + limit - 2]
    return ("…" if start else "") + window + ("…" if start + len(window) < len(text) else "")


def render_passages(citations: Sequence[Citation], answer_text: str = "") -> list[Reply]:
    """The passages behind an answer's citations (the "Passages" button), within limits; a
    long passage is shown around the sentence the answer quoted from it."""
    if not citations:
        return [Reply("This answer cites no passages.")]

    def shown(c: Citation) -> str:
        anchor = quote(c.passage, claims_citing(answer_text, c.n), max_chars=10_000)
        return passage_window(c.passage.text, anchor, PASSAGE_CHARS)

    embeds = [
        Embed(
            title=f"[{c.n}] " + _clip_escaped(c.passage.title or "(untitled)", 200),
            url=safe_url(c.passage.url),
            description=_clip_escaped(shown(c), PASSAGE_CHARS),
            footer=clip(f"{c.passage.publisher or 'unknown'} · {when(c.passage)}", 200),
        )
        for c in citations
    ]
    return pack_embeds(embeds)


def render_search(query: str, passages: Sequence[Passage]) -> list[Reply]:
    """Ranked passages with their dates; no answer."""
    shown = escape(clip(query, 200))
    if not passages:
        return [Reply(f"No passages found for “{shown}”.")]
    embeds = [
        source_embed(i, p, clip(p.text, SNIPPET_CHARS), quote_chars=SNIPPET_CHARS)
        for i, p in enumerate(passages, start=1)
    ]
    return pack_embeds(embeds, f"Top {len(passages)} passages for “{shown}”:")


def render_stats(stats: IndexStats) -> Reply:
    span = f"{stats.first} .. {stats.last}" if stats.first and stats.last else "undated"
    built = stats.last_build.strftime("%Y-%m-%d %H:%M UTC") if stats.last_build else "never"
    fields = [
        EmbedField("Articles", f"{stats.articles:,}", True),
        EmbedField("Chunks", f"{stats.chunks:,}", True),
        EmbedField("Dates", span, True),
        EmbedField("Model", escape(clip(stats.embed_model, 200)), True),
        EmbedField("Last build", built, True),
    ]
    if stats.publishers:
        top = ", ".join(f"{escape(clip(p, 60))} ({n})" for p, n in stats.publishers[:10])
        fields.append(EmbedField("Publishers", clip(top, FIELD_VALUE_MAX), False))
    return Reply(embeds=(Embed(title="The archive", fields=tuple(fields)),))


def _names(items: Sequence[str], limit: int = 15) -> str:
    shown = [escape(clip(x, 120)) for x in items[:limit]]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return clip(", ".join(shown) + more, FIELD_VALUE_MAX - 10) if items else "none"


def render_reindex(summary: ReindexSummary) -> Reply:
    counts = (
        f"{len(summary.added)} added, {len(summary.updated)} updated, "
        f"{len(summary.removed)} removed, {len(summary.failed)} failed, "
        f"{summary.unchanged} unchanged in {summary.seconds:.1f}s"
    )
    fields = [
        EmbedField(f"Added ({len(summary.added)})", _names(summary.added)),
        EmbedField(f"Updated ({len(summary.updated)})", _names(summary.updated)),
        EmbedField(f"Removed ({len(summary.removed)})", _names(summary.removed)),
        EmbedField(
            f"Failed ({len(summary.failed)})",
            _names([f"{path}: {why}" for path, why in summary.failed]),
        ),
    ]
    return Reply(f"Reindex done: {counts}.", (Embed(title="Reindex", fields=tuple(fields)),))


HELP_TEXT = """\
I answer questions about the news archive. Every claim carries a numbered citation [n]; the \
sources below the answer show each article's title (linked), publisher, date and the quoted line.

**Ask**: `/ask question: [since] [source]` — or mention me with a question. If the archive \
does not hold the answer I say so and list the nearest articles. `since` and `source` narrow \
the question (and the follow-ups in its thread); `source` suggests the archive's publishers as \
you type.
**Search**: `/search query: [k] [since] [source]` — ranked passages with dates, no answer.
**Stats**: `/stats` — how many articles, their dates, the model, the last build.
**Reindex**: `/reindex` — admins (Manage Server) pick up new or changed articles.

**Buttons under an answer**
• **Passages** — the full passages cited (only you see them).
• **👍 / 👎** — tell the archive's owner whether the answer helped; pressing again changes your vote.
• **Follow up** — opens a thread: mention me there (or use /ask there) to ask more, and [n] \
keeps meaning the same source ("tell me more about [2]").
"""


def describe_filters(filters: SearchFilters | None) -> str:
    """``"articles since 2024-06-01 from UPI"``, or "" when nothing narrows the search."""
    if filters is None:
        return ""
    parts = []
    if filters.since:
        parts.append(f"since {filters.since.isoformat()}")
    if filters.source:
        parts.append(f"from {escape(filters.source)}")
    return f"articles {' '.join(parts)}" if parts else ""


def render_help(cooldown_s: float, message_content: bool) -> Reply:
    notes = []
    if cooldown_s > 0:
        notes.append(f"/ask and /search have a {cooldown_s:g}-second cooldown per person.")
    if message_content:
        notes.append("In a thread I started, any message continues the conversation.")
    footer = " ".join(notes)
    return Reply(embeds=(Embed(title="newsdesk", description=HELP_TEXT, footer=footer),))


__all__ = [
    "CHOICES_MAX",
    "CHOICE_MAX",
    "CONTENT_MAX",
    "EMBEDS_MAX",
    "EMBED_TOTAL_MAX",
    "Embed",
    "EmbedField",
    "IndexStats",
    "ReindexSummary",
    "Reply",
    "clip",
    "describe_filters",
    "escape",
    "escape_answer",
    "render_answer",
    "render_help",
    "render_passages",
    "render_refusal",
    "render_reindex",
    "render_search",
    "render_stats",
    "safe_url",
    "split_units",
]
