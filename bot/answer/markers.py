"""Citation markers: ``[1]``, ``[1][2]``, ``[1, 2]``, ``[1; 3]``. One pattern, read the same way
by the citation check, the renderers, the conversation's renumbering and the LLM answerer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

# One bracket group of one or more passage numbers.
MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# Markers written after the full stop ("... rounds. [3]"), with the closing quotes between.
MARKERS_AFTER_STOP = re.compile(r"([.!?]+)([\"'”’)]*)((?:\s*" + MARKER.pattern + r")+)")
_SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)


def group_numbers(group: str) -> list[int]:
    """The numbers of one marker group's inside ("1, 2" -> [1, 2])."""
    return [int(x) for x in re.split(r"\s*[,;]\s*", group.strip()) if x]


def cited_numbers(text: str) -> list[int]:
    """Every passage number cited in ``text``, in order of appearance, each once."""
    found = [n for m in MARKER.finditer(text) for n in group_numbers(m.group(1))]
    return list(dict.fromkeys(found))


def cites(text: str, n: int) -> bool:
    """``text`` carries a marker for passage ``n`` (``[2]`` and ``[1, 2]`` both cite 2)."""
    return n in cited_numbers(text)


def has_marker(text: str) -> bool:
    return MARKER.search(text) is not None


def strip_markers(text: str) -> str:
    """``text`` without its citation markers ("sent 9 million shells [1][2]." -> "... shells.")."""
    return " ".join(_SPACED_MARKER.sub("", text).split())


def rewrite_markers(text: str, rewrite: Callable[[list[int]], list[int]]) -> str:
    """Replace each marker group by ``[a][b]`` for the numbers ``rewrite`` returns for it
    (nothing when it returns none). One pass, so "[1]->[2]" never cascades into "[2]->[3]"."""

    def replace(match: re.Match[str]) -> str:
        return "".join(f"[{n}]" for n in rewrite(group_numbers(match.group(1))))

    return MARKER.sub(replace, text)


def renumber(text: str, numbering: Mapping[int, int]) -> str:
    """Markers mapped through ``numbering``; numbers it does not know stay as they are."""
    return rewrite_markers(text, lambda ns: [numbering.get(n, n) for n in ns])
