"""Publishers as people name them: one key per publisher (case and spacing aside), and the
site a web address or a name stands for, so "usatoday", "USA Today" and www.usatoday.com find
the same articles. Pure functions, shared by the vector store's filter and the keyword index."""

from __future__ import annotations

from collections.abc import Iterable


def normalise_publisher(name: str) -> str:
    """The key a publisher is stored and filtered under: lower case, single spaces."""
    return " ".join(name.lower().split())


# Letters a publisher's name must give before it is matched as the start of one ("usat").
MIN_PUBLISHER_PREFIX = 4

# Second-level labels under a country's domain: "theweek.co.uk" is the site "theweek".
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "net", "org"})


def site_name(publisher: str) -> str:
    """A publisher reduced to letters and digits, a web address to its site's own name:
    "www.usatoday.com", "USA Today" and "usatoday" are all "usatoday"; "edition.cnn.com" is
    "cnn"."""
    low = publisher.strip().lower()
    if low and " " not in low and "." in low:
        labels = [label for label in low.split("//")[-1].split("/")[0].split(".") if label]
        if len(labels) >= 2:
            country = len(labels[-1]) == 2
            labels.pop()  # .com, .uk
            if country and len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:
                labels.pop()
        low = labels[-1] if labels else low
    return "".join(ch for ch in low if ch.isalnum())


def match_publishers(wanted: str, publishers: Iterable[str]) -> tuple[str, ...]:
    """The keys (:func:`normalise_publisher`) of the ``publishers`` that ``wanted`` names: the
    one written the same way (case and spacing aside); else every one with the same
    :func:`site_name` ("cnn" names www.cnn.com and edition.cnn.com); else, for four letters
    or more, every one whose site name starts with it ("Euromaidan": Euromaidan Press). Empty
    when none does."""
    key = normalise_publisher(wanted)
    keys = {normalise_publisher(p) for p in publishers if p}
    if key in keys:
        return (key,)
    site = site_name(wanted)
    if not site:
        return ()
    same = tuple(sorted(k for k in keys if site_name(k) == site))
    if same or len(site) < MIN_PUBLISHER_PREFIX:
        return same
    return tuple(sorted(k for k in keys if site_name(k).startswith(site)))


def suggest_publishers(typed: str, publishers: Iterable[str], limit: int = 25) -> list[str]:
    """Up to ``limit`` of ``publishers`` for someone who has typed ``typed`` (a Discord
    autocomplete): those whose name or site name starts with it first, then those that contain
    it, each group in alphabetical order; everything, alphabetically, for nothing typed."""
    names = sorted({p for p in publishers if p}, key=lambda p: (p.lower(), p))
    key, site = normalise_publisher(typed), site_name(typed)
    if not key:
        return names[:limit]
    starts, contains = [], []
    for name in names:
        low, own = normalise_publisher(name), site_name(name)
        if low.startswith(key) or (site and own.startswith(site)):
            starts.append(name)
        elif key in low or (site and site in own):
            contains.append(name)
    return (starts + contains)[:limit]
