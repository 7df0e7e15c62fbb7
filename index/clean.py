"""Boilerplate removal and metadata heuristics for scraped article text. Pure functions, no I/O.

Scraped news text carries debris around the story: share/subscribe/donate/app-store calls to
action, reading-time and "time ago" stamps, repeated headlines and captions, ``&nbsp`` artefacts,
comment widgets and "Related" link lists. :func:`clean_text` removes what is *debris* and keeps
every substantive paragraph. The rules are general line/paragraph patterns, not sample strings:

* a line is dropped when it is **short** (a button or label, at most ``_SHORT_WORDS`` words) and
  matches a call-to-action/debris pattern (:data:`_CTA_LINE`, :data:`_DEBRIS_LINE`): share/copy
  link/subscribe/newsletter/donate/app-store/ad-blocker/comment widgets, "TAGGED:", "3 min read",
  "time11 minutes ago", "logo", "Orange background", stray lowercase initials;
* a "See also: ..." / "ALSO READ | ..." / "Read more: ..." line (a link to another story) of up to
  ``_TEASER_WORDS`` words is dropped;
* a paragraph is dropped when it hits two or more *different* appeal phrases (:data:`_APPEAL`:
  "readers like you", "ad blocker", "download ... app", "subscribe", ...) **and** speaks as the
  outlet ("we/our/us") or is a short promo (at most ``_SHORT_PROMO_WORDS`` words); a news
  paragraph that merely mentions "subscribe" or "donate" is kept;
* a long paragraph keeps its content but loses a closing "Want more? Subscribe." / "Read more"
  sentence;
* an exact repeat of an earlier line (case-, space- and bullet-insensitive) is dropped, the first
  kept (repeated headline, caption, "• New York Times"); "— Jane Doe" sign-offs are exempt;
* a "Related ..." heading is kept when real teaser text follows it (teasers stay searchable),
  dropped when nothing substantive follows; a lead-in line ending in ':' is dropped when the line
  it introduced was dropped;
* ``&nbsp``/``& nbsp`` artefacts become spaces, HTML entities are decoded, zero-width characters
  removed, whitespace collapsed; blank-line runs collapse to one paragraph break.

Related teasers stay in the text, so :func:`split_related` lets callers take the title, date and
publisher only from the article's own part (:func:`extract_title`, :func:`find_date`,
:func:`find_publisher`).
"""

from __future__ import annotations

import html
import re
from datetime import date

# A "short" line is a button, label or heading rather than a paragraph of prose.
_SHORT_WORDS = 14
# A trailing "Related" section needs at least this many words to count as real teasers.
_MIN_RELATED_WORDS = 12
# Appeals are paragraphs of boilerplate; an article paragraph longer than this is never dropped.
_MAX_APPEAL_WORDS = 160

_NBSP_ARTEFACT = re.compile(r"&\s*nbsp;?", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
# "— Jane Doe" closing a live-blog entry: repeats legitimately, so never de-duplicated.
_SIGN_OFF = re.compile(r"^[-–—]+\s*[A-Z]")
_BULLET = re.compile(r"^[\s•·▪●◦‣\-*–—|>]+")

# Calls to action and widget labels; only ever applied to short lines.
_CTA_LINE = re.compile(
    r"""
      \bshare\s+(?:this|on|via|the|article|story|post|page)\b | ^share\b
    | \bcopy\s+(?:the\s+)?(?:current\s+)?(?:page\s+)?link\b | \blink\s+copied\b
    | \bsubscribe\b | ^sign\s+up[.!]?$
    | \bsign\s+up\b(?=.{0,60}\b(?:newsletters?|updates|alerts?|e-?mails?|inbox|today|now|here)\b)
    | \bnewsletters?\b | \blog\s*in\b | \bregister\s+now\b
    | ^donate\s*(?:now|today|here)?[.!]?$ | \bdonate\s+(?:now|today|here)\b | \bmake\s+a\s+donation\b
    | \bbecome\s+a\s+(?:patron|member|supporter|subscriber)\b
    | \bsupport\s+(?:us|our\s+(?:work|journalism|reporting))\b | \bpatreon\b
    | \b(?:download|get|install)\s+(?:the\s+|our\s+)?(?:\w+\s+)?app\b
    | \bapp[\s-]*store | \bplay[\s-]*store\b | \bgoogle\s+play\b | \bad[\s-]*block
    | \b(?:leave|post|add|write)\s+a\s+comment\b | ^comments?(?:\s*\(\d+\))?\s*:?$
    | \bno\s+comments\s+yet\b | \bbe\s+the\s+first\s+to\s+comment\b
    | ^tagged\b | ^tags?\s*:
    | \bfollow\s+us\b | \bclick\s+here\b | ^advertisement$ | ^sponsored\b | ^try\s+our\b
    | \b(?:we\s+use|accept|manage)\s+(?:all\s+)?cookies\b | \bcookie\s+(?:policy|settings)\b
    | \bwrite\s+to\s+us\b | \bctrl\s*\+\s*enter\b | \b(?:suggest|report)\s+an?\s+(?:correction|error)\b
    | \bleave\s+your\s+(?:suggestions|comments|feedback)\b
    | ^(?:(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|email|e-mail|print|pinterest)
        [\s,|/]*)+$
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Every _CTA_LINE alternative contains one of these; a cheap test before the big regex.
_CTA_KEYWORDS = (
    "share",
    "copy",
    "link",
    "subscri",
    "sign",
    "newsletter",
    "log",
    "register",
    "donat",
    "patron",
    "support",
    "app",
    "store",
    "play",
    "block",
    "comment",
    "tag",
    "follow",
    "click",
    "advertisement",
    "sponsor",
    "try",
    "cookie",
    "write",
    "ctrl",
    "correction",
    "error",
    "suggest",
    "feedback",
    "facebook",
    "twitter",
    "linkedin",
    "whatsapp",
    "telegram",
    "reddit",
    "mail",
    "print",
    "pinterest",
)

# "See also: <other headline>", "ALSO READ | <headline>": a link to another story, not content.
_TEASER_LINE = re.compile(r"^(?:see\s+also|also\s+read|read\s+(?:more|also|next))\b", re.I)
_TEASER_WORDS = 30

# Debris that is not a call to action: reading time, relative timestamps, image placeholders,
# stray lowercase initials.
_DEBRIS_LINE = re.compile(
    r"""
      ^\d+\s*min(?:ute)?s?\.?\s*read$
    | ^(?:time|updated|posted|published)?\s*(?:\d+|an?|one)\s*
        (?:second|sec|minute|min|hour|hr|day|week|month|year)s?\s+ago$
    | ^(?:\w+\s+)?(?:logo|icon|background|thumbnail|placeholder)$ | ^(?:image|photo|video)$
    | (?-i:^[a-z]{1,2}$)
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Appeals (donation, ad-blocker, app promotion); a paragraph hitting two distinct ones is dropped.
_SIGN_UP = (
    r"\bsign\s+up\b(?=.{0,60}\b(?:newsletters?|updates|alerts?|e-?mails?|inbox|today|now|here)\b)"
)
_APPEAL = (
    re.compile(r"\breaders\s+like\s+you\b", re.I),
    re.compile(r"\bjoin\s+our\s+(?:community|newsletter|mailing\s+list)\b", re.I),
    re.compile(r"\bbecome\s+a\s+(?:patron|member|supporter|subscriber|co-creator)\b", re.I),
    re.compile(r"\bdonate\s+(?:now|today|here|to\s+us)\b|\bmake\s+a\s+donation\b", re.I),
    re.compile(r"\bcup\s+of\s+coffee\b", re.I),
    re.compile(r"\bsupport\s+(?:us|our\s+(?:work|journalism|reporting|team))\b", re.I),
    re.compile(r"\bways\s+to\s+support\b", re.I),
    re.compile(r"\b(?:ask|need)\s+(?:for\s+)?your\s+support\b", re.I),
    re.compile(r"\bad[\s-]*blocker\b", re.I),
    re.compile(r"\bsubscribe\b", re.I),
    re.compile(_SIGN_UP, re.I),
    re.compile(r"\bnewsletter\b", re.I),
    re.compile(r"\bdownload\s+(?:the\s+|our\s+)?(?:\w+\s+)?app\b", re.I),
    re.compile(r"\b(?:app|play)\s*store\b", re.I),
)
# An appeal speaks as the outlet ("we", "our", "us") unless it is a short promo line.
_OUTLET_VOICE = re.compile(r"\b(?:we|our|us)\b", re.I)
_SHORT_PROMO_WORDS = 40
# Cheap pre-filter: most paragraphs contain none of the appeal keywords.
_APPEAL_KEYWORDS = (
    "readers",
    "join our",
    "become a",
    "donat",
    "coffee",
    "support",
    "block",
    "subscri",
    "sign up",
    "newsletter",
    "download",
    "store",
)

# "Want all of The Times? Subscribe." at the end of a real paragraph.
_TRAILING_CTA = re.compile(
    r"(?<=[.!?\"”])\s+(?:[^.!?]{1,60}\?\s+)?(?:subscribe|sign\s+up|donate|log\s+in|read\s+more)\b"
    r"[^.!?]{0,40}[.!]?\s*$",
    re.IGNORECASE,
)

_TRAILING_CTA_WORDS = ("subscribe", "sign up", "donate", "log in", "read more")

_RELATED_HEADING = re.compile(
    r"""^(?:related(?:\s+(?:articles|stories|posts|content|coverage|news|reading))?
        | more\s+(?:stories|news|coverage|from\s+[\w .'&-]{1,40})
        | recommended(?:\s+(?:for\s+you|stories|articles|reading))?
        | you\s+(?:may|might)\s+also\s+like | further\s+reading | top\s+stories)\s*:?$""",
    re.IGNORECASE | re.VERBOSE,
)

_MONTH = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DATE_MDY_NAME = re.compile(
    _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{2})\b"
)
_DATE_DMY_NAME = re.compile(
    r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(?P<y>(?:19|20)\d{2})\b"
)
_DATE_ISO = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_DATE_NUMERIC = re.compile(
    r"(?<!\d)(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>(?:19|20)\d{2})(?!\d)"
)
# "June 4 (UPI) --": a month and day without a year, only used to disambiguate 05-06-2025.
_DATE_YEARLESS = re.compile(_MONTH + r"\s+(?P<d>\d{1,2})\b(?!\s*,?\s*\d{4})")
# A dateline ends at the first dash: "WASHINGTON, June 4, 2025 (AP) -- ...".
_DATELINE_END = re.compile(r"\s(?:--|—|–)\s")

_BYLINE = re.compile(r"^by\s", re.IGNORECASE)
_FRONT_LABEL = re.compile(r"^(?:source|publisher|published\s+by)\s*:\s*(?P<name>.{2,60})$", re.I)
_DATELINE_AGENCY = re.compile(r"^.{0,60}?\((?P<name>[A-Z][A-Za-z.&]{1,15})\)\s*(?:--|—|–|-)\s")
_STAMP_AGENCY = re.compile(r"^(?P<name>[A-Z]{2,10})\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}$")
_MASTHEAD_NOUN = re.compile(
    r"\b(?:Press|News|Times|Post|Herald|Journal|Tribune|Gazette|Media|Daily|Agency|Review"
    r"|Telegraph|Guardian|Observer|Chronicle|Insider|Today|Wire|Weekly|Magazine)$"
)
_TITLE_MAX_CHARS = 200
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“'‘])")


def normalize_line(line: str) -> str:
    """Fix ``&nbsp``/entity artefacts and collapse whitespace in one line."""
    if "&" in line:
        line = _NBSP_ARTEFACT.sub(" ", line)
        line = _ENTITY.sub(lambda m: html.unescape(m.group(0)), line)
    for char in _INVISIBLE:
        if char in line:
            line = line.replace(char, "")
    return " ".join(line.split())  # str.split() knows every Unicode space


def _words(text: str) -> int:
    return len(text.split())


def _dedup_key(line: str) -> str:
    return _BULLET.sub("", line).casefold()


def is_boilerplate_line(line: str) -> bool:
    """True for a short call-to-action/widget line or a paragraph of donation/app appeals."""
    words = _words(line)
    lowered = line.lower()
    if words <= _SHORT_WORDS and (
        (any(keyword in lowered for keyword in _CTA_KEYWORDS) and _CTA_LINE.search(line))
        or _DEBRIS_LINE.search(line)
    ):
        return True
    if words <= _TEASER_WORDS and _TEASER_LINE.match(line):
        return True
    if words > _MAX_APPEAL_WORDS:
        return False
    if any(keyword in lowered for keyword in _APPEAL_KEYWORDS):
        hits = sum(1 for pattern in _APPEAL if pattern.search(line))
        return hits >= 2 and (words <= _SHORT_PROMO_WORDS or bool(_OUTLET_VOICE.search(line)))
    return False


def _strip_trailing_cta(line: str) -> str:
    """Drop a closing "Want more? Subscribe." sentence from a real (long) paragraph."""
    if _words(line) <= _SHORT_WORDS:
        return line
    head, tail = line[:-160], line[-160:]  # the regex only ever matches the last sentences
    lowered = tail.lower()
    if not any(word in lowered for word in _TRAILING_CTA_WORDS):
        return line
    return head + _TRAILING_CTA.sub("", tail).rstrip()


def clean_text(text: str) -> str:
    """Remove scraping debris, keep every substantive paragraph.

    Blocks (separated by blank lines) are joined with ``"\\n\\n"``, lines inside a block with
    ``"\\n"``, so the source's paragraph structure survives and runs of blank lines collapse.
    """
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [normalize_line(line) for line in raw_lines]
    keep = [False] * len(lines)
    dropped = [False] * len(lines)  # dropped as debris (not merely blank)
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if not line:
            continue
        if _RELATED_HEADING.match(line):
            keep[i] = True  # decided below, once we know what follows it
            continue
        key = _dedup_key(line)
        if is_boilerplate_line(line) or not key or (key in seen and not _SIGN_OFF.match(line)):
            dropped[i] = True
            continue
        seen.add(key)
        lines[i] = _strip_trailing_cta(line)
        keep[i] = True
    _drop_empty_related_headings(lines, keep, dropped)
    _drop_orphan_lead_ins(lines, keep, dropped)
    return _join_blocks(lines, keep)


def _drop_empty_related_headings(lines: list[str], keep: list[bool], dropped: list[bool]) -> None:
    """A "Related" heading stays only if real teaser text follows it (before the next heading)."""
    words_after = 0
    for i in range(len(lines) - 1, -1, -1):
        if not keep[i]:
            continue
        if _RELATED_HEADING.match(lines[i]):
            if words_after < _MIN_RELATED_WORDS:
                keep[i] = False
                dropped[i] = True
            words_after = 0
        else:
            words_after += _words(lines[i])


def _drop_orphan_lead_ins(lines: list[str], keep: list[bool], dropped: list[bool]) -> None:
    """Drop a short "Explore what X can do for you:" when what it introduced was dropped."""
    next_dropped = False  # a lead-in at the very end is kept: the scrape may just stop there
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i]:
            continue
        if keep[i] and lines[i].endswith(":") and _words(lines[i]) <= _SHORT_WORDS and next_dropped:
            keep[i] = False
            dropped[i] = True
        next_dropped = dropped[i]


def _join_blocks(lines: list[str], keep: list[bool]) -> str:
    blocks: list[list[str]] = [[]]
    for line, kept in zip(lines, keep, strict=True):
        if kept:
            blocks[-1].append(line)
        elif not line and blocks[-1]:
            blocks.append([])
    return "\n\n".join("\n".join(block) for block in blocks if block)


def split_related(text: str) -> tuple[str, str]:
    """Split cleaned text at its first "Related ..." heading: (the article, the related teasers).

    Teasers stay in the article text for search, but title/date/publisher must come from the
    first part only. Without such a heading the second part is empty.
    """
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and _RELATED_HEADING.match(line.strip()):
            return "\n".join(lines[:i]).rstrip(), "\n".join(lines[i:]).strip()
    return text, ""


def _top_lines(text: str, limit: int) -> list[str]:
    main, _ = split_related(text)
    return [line.strip() for line in main.split("\n") if line.strip()][:limit]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_number(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def _numeric_date(first: int, second: int, year: int, hint: date | None) -> date | None:
    """Read an ambiguous ``NN-NN-YYYY`` (``first-second-year``).

    If both readings are valid, the one nearest a yearless dateline ("June 4 (UPI)") wins;
    without a hint, day-first (the international order, and what the sample sites print).
    """
    day_first = _safe_date(year, second, first)  # 05-06-2025 -> 5 June
    month_first = _safe_date(year, first, second)  # 05-06-2025 -> 6 May
    candidates = [d for d in (day_first, month_first) if d is not None]
    if not candidates:
        return None
    if hint is not None and len(candidates) == 2:
        anchor = _safe_date(year, hint.month, hint.day) or hint
        return min(candidates, key=lambda d: abs((d - anchor).days))
    return candidates[0]


def dates_in(text: str, *, hint: date | None = None) -> list[date]:
    """Every full date (with a year) in ``text``, in order of appearance."""
    found: list[tuple[int, date | None]] = []
    for match in _DATE_MDY_NAME.finditer(text):
        found.append(
            (
                match.start(),
                _safe_date(int(match["y"]), _month_number(match["mon"]), int(match["d"])),
            )
        )
    for match in _DATE_DMY_NAME.finditer(text):
        found.append(
            (
                match.start(),
                _safe_date(int(match["y"]), _month_number(match["mon"]), int(match["d"])),
            )
        )
    for match in _DATE_ISO.finditer(text):
        found.append((match.start(), _safe_date(int(match["y"]), int(match["m"]), int(match["d"]))))
    for match in _DATE_NUMERIC.finditer(text):
        found.append(
            (match.start(), _numeric_date(int(match["a"]), int(match["b"]), int(match["y"]), hint))
        )
    return [d for _, d in sorted(found, key=lambda item: item[0]) if d is not None]


def parse_date(value: str) -> date | None:
    """A metadata value ("2023-09-25", "2023-09-25T14:03:00Z", "June 4, 2025") -> its date."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    found = dates_in(value)
    return found[0] if found else None


def find_date(text: str, *, max_lines: int = 12) -> date | None:
    """The publication date printed near the top of the article, or None.

    Only the article's own part (before any "Related" heading) and its first ``max_lines``
    lines are searched, and only *date lines*: a short line (a stamp like ``UPI05-06-2025``,
    ``June 4, 2025``, ``Published 2025-06-04``) or the dateline prefix of a paragraph (text
    before the first `` -- ``). Dates inside ordinary sentences are events, not publication.
    Dates need a year; a yearless dateline ("June 4 (UPI) --") only disambiguates day/month
    order of a numeric stamp.
    """
    lines = _top_lines(text, max_lines)
    hint = _yearless_hint(lines)
    for line in lines:
        if _words(line) <= 12:
            candidate = line
        else:
            end = _DATELINE_END.search(line[:100])
            if not end:
                continue
            candidate = line[: end.start()]
        found = dates_in(candidate, hint=hint)
        if found:
            return found[0]
    return None


def _yearless_hint(lines: list[str]) -> date | None:
    for line in lines:
        match = _DATE_YEARLESS.search(line[:60])
        if match:
            hint = _safe_date(2000, _month_number(match["mon"]), int(match["d"]))  # leap year
            if hint:
                return hint
    return None


def _is_date_line(line: str) -> bool:
    return _words(line) <= 6 and bool(dates_in(line))


def _headline(line: str) -> str:
    """A title from one line: the whole line, or its first sentence if it is a paragraph."""
    if len(line) <= _TITLE_MAX_CHARS and _words(line) <= 30:
        return line
    first = _SENTENCE_END.split(line, maxsplit=1)[0]
    if len(first) > _TITLE_MAX_CHARS:
        first = first[:_TITLE_MAX_CHARS].rsplit(" ", 1)[0] + "…"
    return first


def extract_title(text: str, *, markdown: bool = False) -> str | None:
    """The article's headline: its first substantive line (before any "Related" section).

    Skipped: date stamps, bylines, and a *kicker* - a first line of at most four words with no
    sentence punctuation, directly followed by a longer line without a closing period (a section
    label above the real headline, e.g. "War in Eastern Europe"). A first line that is a whole
    paragraph (no separate headline) gives its first sentence.
    """
    lines = _top_lines(text, 8)
    if markdown:
        lines = [line.lstrip("#").strip() for line in lines]
    candidates = [
        line for line in lines if line and not _is_date_line(line) and not _BYLINE.match(line)
    ]
    if not candidates:
        return None
    first = candidates[0]
    if len(candidates) > 1 and _is_kicker(first, candidates[1]):
        first = candidates[1]
    return _headline(first)


def _is_kicker(line: str, following: str) -> bool:
    words = _words(line)
    return (
        words <= 4
        and not line.rstrip().endswith((".", "!", "?", ":", '"', "”"))
        and words < _words(following) <= 30
        and not following.rstrip().endswith(".")
    )


def find_publisher(text: str, *, max_lines: int = 15) -> str | None:
    """The publisher when the text says so plainly, else None.

    In order: a ``Source: X`` / ``Publisher: X`` line anywhere in the article's own part; an
    agency dateline ``June 4 (UPI) --`` or stamp ``UPI05-06-2025`` in the first lines; a lone
    masthead line ("Euromaidan Press": at most four capitalised words ending in Press, News,
    Times, Post, ...).
    """
    main, _ = split_related(text)
    lines = [line.strip() for line in main.split("\n") if line.strip()]
    for line in lines:
        match = _FRONT_LABEL.match(line)
        if match:
            return match["name"].strip()
    for line in lines[:max_lines]:
        match = _DATELINE_AGENCY.match(line) or _STAMP_AGENCY.match(line)
        if match:
            return match["name"]
    for line in lines[2:]:  # never the headline itself ("Hard Times")
        words = line.split()
        if (
            1 < len(words) <= 4
            and all(word[:1].isupper() for word in words)
            and _MASTHEAD_NOUN.search(line)
        ):
            return line
    return None
