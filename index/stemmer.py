"""One English stemmer for the whole project: the keyword (BM25) index and the answerers'
evidence and citation checks reduce ordinary words the same way ("shells" ~ "shell",
"deployed" ~ "deploy"). It is the Snowball English stemmer of PyStemmer, which over-merges
names ("Beijing" -> "beij", "Harris" ~ "Harry"), so callers match names exactly and stem only
ordinary words."""

from __future__ import annotations

from functools import lru_cache

import Stemmer


@lru_cache(maxsize=1)
def snowball() -> Stemmer.Stemmer:
    """The shared PyStemmer instance (bm25s takes it as its ``stemmer``)."""
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The Snowball English stem of ``word``, lower-cased."""
    return str(snowball().stemWord(word.lower()))
