"""Words and content terms, and when two terms mean the same thing.

A term is either a *word* or a *name*:

- a word is a lower-cased token reduced by the project's one stemmer (``index.stemmer``, the
  Snowball stemmer BM25 uses) after the lexicon's irregular forms ("sent" -> "send"):
  "shells" ~ "shell", "deployed" ~ "deploy";
- a name is a capitalised token that does not open a sentence, an acronym, or a country form,
  kept whole and written with a leading capital ("Beijing", "Harris", "US"). Names match only
  themselves (and their plural): Niger is not Nigeria, India is not Indiana, Harris is not Harrison (the stemmer
  would make "Harris" and "Harry" one "harri"). Country forms are one name: "American",
  "U.S.", "USA" and "United States" are all "US", "North Korean" is "North Korea"
  (``bot/answer/data/countries.json`` plus ISO 3166 via pycountry).

A capitalised word that opens a sentence may be a name or not ("Troops were sent"), so it is
read as a word; a name matches a word when the word is the name's stem ("Beijing said" at the
start of a sentence still answers for "Beijing"), and title-case headlines ("Kim Vows
Support") still match the question's lower-case words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from bot.answer.lexicon import lexicon
from bot.answer.places import country_forms
from index.dates import MONTHS
from index.stemmer import stem

_WORD_PATTERN = (
    r"(?:[A-Z]\.){2,}"  # dotted acronym: "U.S.", "U.K." (kept whole, dots dropped below)
    r"|[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’\-]*|\d[\d,.]*"
)
_WORD = re.compile(_WORD_PATTERN)
# Each word, after whether the characters before it (since the previous word) hold a sentence
# end (the first such character, or ""). Every character that can open a word does (a letter
# or a digit), so the gaps are exactly what lies between the words ``_WORD`` finds, and one
# ``findall`` in C reads both.
_SENTENCE_END_AND_WORD = re.compile(
    r"(?:[^A-Za-z\u00C0-\u024F\d]*?([.!?…:\n]))?[^A-Za-z\u00C0-\u024F\d]*(" + _WORD_PATTERN + ")"
)
# A possessive or a contraction's clitic: "Korea's" -> Korea, "They're" -> They, "don't" -> do.
_POSSESSIVE = re.compile(r"(?:['’](?:s|re|ve|ll|d|m)?|n['’]t)$", re.IGNORECASE)
_SENTENCE_ENDS = frozenset(".!?…:\n")
_HYPHENS = re.compile(r"[-'’]")


class Token(NamedTuple):
    """A word of a text as written (possessive removed), and whether it opens a sentence.

    A named tuple: one is made for every word read, and a tuple is quicker to make than a
    frozen dataclass."""

    text: str
    initial: bool
    country: bool = False  # part of a country's name, from any of its forms


def _clean(token: str) -> str:
    if token.endswith(".") and token[:2].isupper():
        token = token.replace(".", "")  # "U.S." -> "US"
    if "'" in token or "’" in token:  # most words have no apostrophe: spare them the regex
        token = _POSSESSIVE.sub("", token)
    return token.strip("-.,")


def words(text: str) -> list[str]:
    """Raw word tokens with their case, possessives removed ("Korea's" -> "Korea")."""
    # Letters only (most words): nothing to clean. filter(None, ...) drops what cleaned away.
    return list(filter(None, [m if m.isalpha() else _clean(m) for m in _WORD.findall(text)]))


def scan(text: str) -> list[tuple[str, bool]]:
    """The :func:`words` of ``text``, each with whether it opens the text, a sentence or a line
    (a full stop, colon or line break since the previous word: "... said. Troops ...")."""
    out: list[tuple[str, bool]] = []
    opens = True
    for end, raw in _SENTENCE_END_AND_WORD.findall(text):
        if end:
            opens = True
        word = raw if raw.isalpha() else _clean(raw)  # letters only (most words): nothing to clean
        if not word:  # nothing left: its characters still lie between the words around it
            opens = opens or not _SENTENCE_ENDS.isdisjoint(raw)
            continue
        out.append((word, opens))
        opens = False
    return out


def tokens(text: str) -> list[Token]:
    """Word tokens, each marked when it opens a sentence or line, country forms made one name."""
    return canonical_countries([Token(word, initial) for word, initial in scan(text)])


def canonical_countries(toks: Sequence[Token]) -> list[Token]:
    """Replace every country form ("Nigerian", "U.S.", "United States") by the country's name
    tokens, marked as a country; the longest form wins. Only capitalised forms count ("turkey"
    is a bird)."""
    texts = [t.text for t in toks]
    out: list[Token] = []
    i = 0
    while i < len(toks):
        found = country_at(texts, i)
        if found is None:
            out.append(toks[i])
            i += 1
            continue
        best, size = found
        out.extend(
            Token(part, toks[i].initial and k == 0, country=True) for k, part in enumerate(best)
        )
        i += size
    return out


def country_at(texts: Sequence[str], i: int) -> tuple[tuple[str, ...], int] | None:
    """The country whose longest form opens at word ``i`` of ``texts``: (its name words, the
    number of words of the form), or None."""
    first = texts[i]
    if not first[:1].isupper():
        return None
    forms = _forms()
    best: tuple[tuple[str, ...], int] | None = None
    key: tuple[str, ...] = ()
    for j in range(i, len(texts)):
        key = (*key, texts[j].lower())
        if key not in forms.prefixes:
            break
        if key in forms.names and not (key in forms.acronyms and not first.isupper()):
            best = forms.names[key], j - i + 1
    return best


@dataclass(frozen=True)
class _Forms:
    names: dict[tuple[str, ...], tuple[str, ...]]  # lower-cased form words -> name words
    demonyms: frozenset[tuple[str, ...]]
    acronyms: frozenset[tuple[str, ...]]  # "US", "UK": only as capitals ("us" is a pronoun)
    countries: frozenset[tuple[str, ...]]  # each country's name as name terms
    prefixes: frozenset[tuple[str, ...]]  # every leading part of a form: most words start none


@lru_cache(maxsize=1)
def _forms() -> _Forms:
    names: dict[tuple[str, ...], tuple[str, ...]] = {}
    demonyms: set[tuple[str, ...]] = set()
    acronyms: set[tuple[str, ...]] = set()
    for form in country_forms():
        key = tuple(w.lower() for w in words(form.text))
        if not key:
            continue
        names[key] = tuple(words(form.name))
        if form.demonym:
            demonyms.add(key)
        if len(key) == 1 and form.text.replace(".", "").isupper():
            acronyms.add(key)
    countries = frozenset(tuple(name_term(w) for w in name) for name in names.values())
    return _Forms(
        names,
        frozenset(demonyms),
        frozenset(acronyms),
        countries,
        frozenset(key[:n] for key in names for n in range(1, len(key) + 1)),
    )


def is_demonym(text: str) -> bool:
    """``text`` is a country's demonym ("Nigerian", "North Koreans")."""
    return tuple(w.lower() for w in words(text)) in _forms().demonyms


def is_country(terms: Sequence[str]) -> bool:
    """``terms`` (name terms) are a country's name ("North", "Korea")."""
    return tuple(terms) in _forms().countries


@lru_cache(maxsize=1 << 16)
def word_term(word: str) -> str:
    """A word as a term: irregular form undone, then stemmed ("sent" -> "send"); a spelling of
    a name read as its first form (a sentence-initial "Kiev" as "kyiv")."""
    low = word.lower()
    lex = lexicon()
    if low in lex.name_variants:
        low = lex.name_variants[low].lower()
    return stem(lex.irregular_forms.get(low, low))


def name_term(word: str) -> str:
    """A name as a term, whatever its case in the text: one leading capital ("FIFA", "Fifa"
    -> "Fifa"), so that a name is never a word; a two-letter name as written in capitals
    ("US", "UN"), while "Un" of Kim Jong Un and "Xi" stay names of people, not acronyms.
    Spellings of one name are one term ("Kiev" -> "Kyiv")."""
    variant = lexicon().name_variants.get(word.lower())
    if variant is not None:
        return variant
    if len(word) <= 2:
        return word.upper() if word.isupper() else word[:1].upper() + word[1:].lower()
    return word[:1].upper() + word[1:].lower()


def is_name(term: str) -> bool:
    return term[:1].isupper()


def split_hyphens(token: str) -> list[str]:
    if "-" not in token and "'" not in token and "’" not in token:
        return [token] if token else []  # the common case, without the regex
    return [part for part in _HYPHENS.split(token) if part]


def _term(part: str, token: Token) -> str:
    if token.country or (part.isupper() and len(part) > 1):
        return name_term(part)
    if part[:1].isupper() and not token.initial:
        return name_term(part)
    return word_term(part)


def content_terms(text: str) -> list[str]:
    """Content terms (words stemmed, names whole; no stopwords, no numbers), in order."""
    return list(_content_terms(text))


# Texts recur: within one answer the gate, the scoring and the citation check read the same
# passages and sentences, and across questions the same stories' chunks come back. Terms are a
# pure function of the text (and of the lexicon, read once), so they are kept for the most
# recently read texts.
TEXT_CACHE_SIZE = 1 << 13


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _content_terms(text: str) -> tuple[str, ...]:
    # ``tokens`` without its Token objects: what a word yields is looked up per word (most
    # words recur), and only a capitalised word is tried as the opening of a country form.
    words_ = scan(text)
    texts = [word for word, _ in words_]
    terms: list[str] = []
    i = 0
    while i < len(words_):
        word, initial = words_[i]
        found = country_at(texts, i) if word[0].isupper() else None
        if found is None:
            terms.extend(_token_terms(word, initial, False))
            i += 1
            continue
        best, size = found
        for k, part in enumerate(best):
            terms.extend(_token_terms(part, initial and k == 0, True))
        i += size
    return tuple(terms)


@lru_cache(maxsize=1 << 16)
def _token_terms(word: str, initial: bool, country: bool) -> tuple[str, ...]:
    """The content terms of one token (see :class:`Token`): none for a number or a stopword."""
    if word[0].isdigit():
        return ()
    stopwords = lexicon().stopwords
    token = Token(word, initial, country)
    terms: list[str] = []
    for part in split_hyphens(word):
        low = part.lower()
        # An all-caps acronym is a name even when it spells a stopword ("US", "IT"), and so
        # is a month capitalised inside a sentence ("in May", not the modal "may").
        if len(low) < 2 or (
            low in stopwords and not part.isupper() and not _month_name(part, initial)
        ):
            continue
        terms.append(_term(part, token))
    return tuple(terms)


def _month_name(word: str, initial: bool) -> bool:
    return not initial and word[:1].isupper() and word.lower() in MONTHS


def name_key(text: str) -> tuple[str, ...]:
    """The name terms of ``text`` read as a name ("United States" -> ("US",))."""
    return tuple(
        name_term(part)
        for token in canonical_countries([Token(w, False) for w in words(text)])
        for part in split_hyphens(token.text)
    )


def terms_match(a: str, b: str) -> bool:
    """Whether two terms name the same thing.

    Two names: equal, or one the other's plural ("Europeans", "European"). A name and a word:
    the word is the name's stem (a sentence-initial "Beijing" is read as a word). Two words:
    equal, or derivations the stemmer keeps apart ("histori"/"histor", "presid"/"presidenti"):
    one a prefix of the other, at least 4 letters long -- leniency words can afford and names
    cannot (Niger/Nigeria, Harris/Harrison).
    """
    if a == b:
        return True
    a_name, b_name = is_name(a), is_name(b)
    if a_name and b_name:
        return a == b + "s" or b == a + "s"
    if a_name or b_name:
        name, word = (a, b) if a_name else (b, a)
        return stem(name) == word
    return _derived(a, b)


def _derived(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 4:
        return False
    if long_.startswith(short):
        return True
    prefix = 0
    for x, y in zip(short, long_, strict=False):
        if x != y:
            break
        prefix += 1
    return prefix >= 4 and prefix >= len(short) - 1


def term_in(term: str, vocabulary: Iterable[str]) -> bool:
    """Whether ``term`` matches any term of ``vocabulary`` (see :func:`terms_match`)."""
    if isinstance(vocabulary, Vocabulary):
        return vocabulary.holds(term)
    if isinstance(vocabulary, (set, frozenset, dict)) and term in vocabulary:
        return True
    return any(terms_match(term, other) for other in vocabulary)


class Vocabulary:
    """A text's (or a question's) terms, answering :func:`term_in` without comparing a term
    with every term: whatever matches a term (see :func:`terms_match`) is found by a few set
    lookups and one range of the sorted terms, the same answer as comparing with each term.

    - A name matches the names that are it plus or minus a final "s", and the word that is its
      stem: three lookups.
    - A word matches the names whose stem it is (one lookup in the names' stems, found when
      first needed), and words sharing its first four letters (``_derived`` accepts no others):
      the terms that start with those letters, a range of the sorted terms (names start with a
      capital, so none is in a word's range).
    """

    __slots__ = ("_name_stems", "_sorted", "terms")

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = frozenset(terms)
        # A tuple, not a list: vocabularies are kept for recent texts, and the garbage
        # collector stops tracking tuples of strings.
        self._sorted = tuple(sorted(self.terms))
        self._name_stems: frozenset[str] | None = None

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def holds(self, term: str) -> bool:
        """Some term of the vocabulary matches ``term`` (``term_in``)."""
        terms = self.terms
        if term in terms:
            return True
        if is_name(term):
            singular = term[:-1] if term.endswith("s") else ""
            if term + "s" in terms or (is_name(singular) and singular in terms):
                return True
            word = stem(term)
            return not is_name(word) and word in terms
        if self._name_stems is None:
            # is_name, inline: this reads every term of the text.
            self._name_stems = frozenset(stem(t) for t in terms if t[:1].isupper())
        if term in self._name_stems:
            return True
        if len(term) < 4:
            return False
        prefix, ordered = term[:4], self._sorted
        i = bisect_left(ordered, prefix)
        while i < len(ordered) and ordered[i].startswith(prefix):
            if _derived(term, ordered[i]):
                return True
            i += 1
        return False

    def held(self, terms: Iterable[str]) -> frozenset[str]:
        """Those of ``terms`` the vocabulary holds."""
        return frozenset(t for t in terms if self.holds(t))


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def text_vocabulary(text: str) -> Vocabulary:
    """The content terms of ``text`` as a :class:`Vocabulary` (kept for recent texts)."""
    return Vocabulary(_content_terms(text))


@lru_cache(maxsize=1 << 10)
def terms_vocabulary(terms: tuple[str, ...]) -> Vocabulary:
    """Given terms (a question's) as a :class:`Vocabulary` (kept for recent questions)."""
    return Vocabulary(terms)
