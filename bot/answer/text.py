"""Pure text helpers for answering: sentences, content terms, numbers, names, question analysis.

Everything here is deterministic string work with no I/O and no model, so the evidence gate,
the citation check and the extractive answerer agree on what a "term", a "number" and a "name"
are. Matching is deliberately lenient in form (light stemming, demonym-tolerant prefixes,
``9 million`` == ``9,000,000``) and strict in substance (a number either occurs or it does not).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from index.dates import years

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------------

# Words that end in a period without ending the sentence. Lowercased, without the dot.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm maj cpl pvt gov sen rep pres
    supt rev hon insp det amb atty messrs mme mlle inc corp co ltd llc plc bros dept univ assn
    est approx vs etc al cf eg ie viz no nos vol fig pp op ed eds jan feb mar apr jun jul aug
    sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun ave blvd rd hwy
    """.split()
)

# Capitalised words that commonly open a sentence; after a dotted acronym ("U.S.") a following
# word from this set signals a real sentence boundary ("... in the U.S. The talks ...").
_SENTENCE_OPENERS = frozenset(
    """
    the a an he she it they we i this that these those there his her its their but and however
    meanwhile in on at after before while when if as so yet still also then
    """.split()
)

_OPEN_QUOTES = "\"'“‘«("
_CLOSE_QUOTES = "\"'”’»)]"

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace,
# then something that can open a sentence (capital letter, digit, opening quote).
_BOUNDARY = re.compile(
    r"(?P<end>[.!?…]+)(?P<close>[" + re.escape(_CLOSE_QUOTES) + r"]*)"
    r"(?P<space>\s+)"
    r"(?=[" + re.escape(_OPEN_QUOTES) + r"]*[A-Z0-9\u00C0-\u024F])"
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _is_false_boundary(text: str, match: re.Match[str]) -> bool:
    """True when the period at ``match`` belongs to an abbreviation, initial or acronym."""
    if match.group("end") != "." or match.group("close"):
        return False
    before = _WORD_BEFORE.search(text, 0, match.start())
    if before is None:
        return False  # "... 9." or "...)." : a number or bracket really ends the sentence
    word = before.group(1)
    bare = word.rstrip(".").lower()
    if "." in word.rstrip("."):
        # Dotted acronym ("U.S.", "D.C."): a boundary only when a usual opener follows.
        nxt = re.match(r"[" + re.escape(_OPEN_QUOTES) + r"]*([A-Za-z]+)", text[match.end() :])
        return not (nxt and nxt.group(1).lower() in _SENTENCE_OPENERS)
    if len(bare) == 1 and word[0].isupper():
        return True  # an initial: "J. Smith", "Lloyd J. Austin"
    return bare in _ABBREVIATIONS


def is_question(sentence: str) -> bool:
    """The sentence asks rather than states ("Who is Emmett Shear, OpenAI's interim CEO?")."""
    return sentence.rstrip(_CLOSE_QUOTES + " ").endswith("?")


_CITATION_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")


def strip_markers(text: str) -> str:
    """``text`` without its citation markers ("sent 9 million shells [1][2]." -> "... shells.")."""
    return " ".join(_CITATION_MARKER.sub("", text).split())


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences.

    Lines and blank-line paragraphs always end a sentence (headlines and captions carry no full
    stop). Within a line a boundary is terminal punctuation (plus closing quotes) followed by a
    capital, digit or opening quote, unless the period belongs to an abbreviation ("Mr."), an
    initial ("J.") or a dotted acronym ("U.S.") not followed by a typical sentence opener.
    Decimals ("9.5") never split because no space follows the point.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        for match in _BOUNDARY.finditer(line):
            if _is_false_boundary(line, match):
                continue
            piece = line[start : match.end("close")].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
        tail = line[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


# --------------------------------------------------------------------------------------------
# Words, stopwords, stemming
# --------------------------------------------------------------------------------------------

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "across",
        "after",
        "afterwards",
        "again",
        "against",
        "all",
        "almost",
        "alone",
        "along",
        "already",
        "also",
        "although",
        "always",
        "am",
        "among",
        "amongst",
        "an",
        "and",
        "another",
        "any",
        "anyhow",
        "anyone",
        "anything",
        "anyway",
        "anywhere",
        "are",
        "around",
        "as",
        "at",
        "be",
        "became",
        "because",
        "become",
        "becomes",
        "becoming",
        "been",
        "before",
        "beforehand",
        "behind",
        "being",
        "below",
        "beside",
        "besides",
        "between",
        "beyond",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "due",
        "during",
        "each",
        "either",
        "else",
        "elsewhere",
        "enough",
        "etc",
        "even",
        "ever",
        "every",
        "everyone",
        "everything",
        "everywhere",
        "except",
        "few",
        "for",
        "former",
        "formerly",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "hence",
        "her",
        "here",
        "hereby",
        "herein",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "indeed",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "least",
        "less",
        "may",
        "me",
        "meanwhile",
        "might",
        "mine",
        "more",
        "moreover",
        "most",
        "mostly",
        "much",
        "must",
        "my",
        "myself",
        "namely",
        "neither",
        "never",
        "nevertheless",
        "next",
        "no",
        "nobody",
        "none",
        "noone",
        "nor",
        "not",
        "nothing",
        "now",
        "nowhere",
        "of",
        "off",
        "often",
        "on",
        "once",
        "only",
        "onto",
        "or",
        "other",
        "others",
        "otherwise",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "perhaps",
        "please",
        "quite",
        "rather",
        "re",
        "really",
        "same",
        "seem",
        "seemed",
        "seeming",
        "seems",
        "several",
        "she",
        "should",
        "since",
        "so",
        "some",
        "somehow",
        "someone",
        "something",
        "sometime",
        "sometimes",
        "somewhere",
        "still",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "thence",
        "there",
        "thereafter",
        "thereby",
        "therefore",
        "therein",
        "thereupon",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "throughout",
        "thru",
        "thus",
        "to",
        "together",
        "too",
        "toward",
        "towards",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "we",
        "well",
        "were",
        "what",
        "whatever",
        "when",
        "whence",
        "whenever",
        "where",
        "whereafter",
        "whereas",
        "whereby",
        "wherein",
        "whereupon",
        "wherever",
        "whether",
        "which",
        "while",
        "whither",
        "who",
        "whoever",
        "whole",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "doesn",
        "didn",
        "isn",
        "wasn",
        "weren",
        "aren",
        "won't",
        "ll",
        "ve",
        "d",
        "m",
        "say",
        "says",
        "said",
        "saying",
        "tell",
        "told",
        "according",
        "reportedly",
        "reported",
        "report",
        "reports",
        "accord",
        "many",
        "much",
        "one",
        "new",
    ]
) - {"won"}  # "won" is the past of "win", a content verb in news questions

# Irregular forms that matter in news questions ("sent" ~ "send", "won" ~ "win").
_IRREGULAR = {
    "sent": "send",
    "won": "win",
    "met": "meet",
    "fought": "fight",
    "led": "lead",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "made": "make",
    "held": "hold",
    "left": "leave",
    "lost": "lose",
    "paid": "pay",
    "sold": "sell",
    "bought": "buy",
    "brought": "bring",
    "built": "build",
    "began": "begin",
    "begun": "begin",
    "came": "come",
    "went": "go",
    "gone": "go",
    "saw": "see",
    "seen": "see",
    "found": "find",
    "thought": "think",
    "struck": "strike",
    "stole": "steal",
    "stolen": "steal",
    "shot": "shoot",
    "hit": "hit",
    "ran": "run",
    "rose": "rise",
    "risen": "rise",
    "fell": "fall",
    "fallen": "fall",
    "chose": "choose",
    "chosen": "choose",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "killed": "kill",
    "died": "die",
    "dead": "die",
    "death": "die",
    "deaths": "die",
    "became": "become",
    "broke": "break",
    "broken": "break",
    "flew": "fly",
    "flown": "fly",
    "drew": "draw",
    "drawn": "draw",
    "grew": "grow",
    "grown": "grow",
    "knew": "know",
    "known": "know",
    "threw": "throw",
    "thrown": "throw",
    "wore": "wear",
    "worn": "wear",
    "beat": "beat",
    "beaten": "beat",
    "men": "man",
    "women": "woman",
    "children": "child",
    "people": "person",
    "countries": "country",
    "shipped": "ship",
    "sued": "sue",
    "suing": "sue",
    "elected": "elect",
    "election": "elect",
}


def stem(word: str) -> str:
    """A light, conservative stemmer: plural and verb endings only.

    Porter-style stemming over-merges names ("Kursk", "Moses"); these rules only strip what
    news paraphrase actually varies ("shells"/"shell", "deployed"/"deploy", "meeting"/"meet").
    """
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is", "ous")):
        w = w[:-1]
    for suffix in ("ings", "ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            if len(base) >= 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # "shipped" -> "ship", "planned" -> "plan"
            if base.endswith(("at", "iz", "bl", "us", "rg", "v", "c")):
                base += "e"  # "located" -> "locate", "used" -> "use", "served" -> "serve"
            return base
    if w.endswith("ment") and len(w) > 7:
        return w[:-4]  # "deployment" -> "deploy"
    return w


_WORD = re.compile(
    r"(?:[A-Z]\.){2,}"  # dotted acronym: "U.S.", "U.K." (kept whole, dots dropped below)
    r"|[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’\-]*|\d[\d,.]*"
)
_POSSESSIVE = re.compile(r"['’]s?$")


def words(text: str) -> list[str]:
    """Raw word tokens with their case, possessives removed ("Korea's" -> "Korea")."""
    out: list[str] = []
    for token in _WORD.findall(text):
        if token.endswith(".") and token[:2].isupper():
            token = token.replace(".", "")  # "U.S." -> "US"
        token = _POSSESSIVE.sub("", token).strip("-.,")
        if token:
            out.append(token)
    return out


def _split_hyphens(token: str) -> list[str]:
    return [part for part in re.split(r"[-'’]", token) if part]


def content_terms(text: str) -> list[str]:
    """Lowercased, stemmed content words (no stopwords, no numbers), in order of appearance."""
    terms: list[str] = []
    for token in words(text):
        if token[0].isdigit():
            continue
        for part in _split_hyphens(token):
            low = part.lower()
            # An all-caps acronym is a name even when it spells a stopword ("US", "IT").
            if len(low) < 2 or (low in STOPWORDS and not part.isupper()):
                continue
            terms.append(stem(low))
    return terms


def terms_match(a: str, b: str) -> bool:
    """Whether two stemmed terms name the same thing, tolerating demonyms and derivations.

    "korea"/"korean", "ukraine"/"ukrainian", "iran"/"iranian" match by a shared prefix at
    least 4 long that covers all but the last letter of the shorter word.
    """
    if a == b:
        return True
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
    if isinstance(vocabulary, (set, frozenset)) and term in vocabulary:
        return True
    return any(terms_match(term, other) for other in vocabulary)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
_NUMBER = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion|mln|bn|tn)\b|(?P<short>[mbk])\b)?",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def numbers(text: str, *, spelled: bool = True) -> set[float]:
    """Numeric values mentioned in ``text``: "14,000" -> 14000, "9 million" -> 9e6.

    Spelled-out numbers from two to a hundred count too ("three" -> 3) unless ``spelled`` is
    False; "one" does not, being mostly a pronoun in news prose. Ordinals and number-like parts
    of words ("G7") are ignored.
    """
    values: set[float] = set()
    for match in _NUMBER.finditer(text):
        raw = match.group("num").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        scale = (match.group("scale") or "").lower()
        short = (match.group("short") or "").lower()
        if scale:
            value *= _SCALES[scale]
        elif short in ("m", "b"):
            value *= _SCALES[short]
        elif short == "k":
            value *= 1e3
        values.add(round(value, 6))
    if not spelled:
        return values
    for match in _NUMBER_WORD.finditer(text):
        values.add(float(_NUMBER_WORDS[match.group(1).lower()]))
    return values


# --------------------------------------------------------------------------------------------
# Dates and names
# --------------------------------------------------------------------------------------------

MONTHS = frozenset(
    """
    january february march april may june july august september october november december jan
    feb mar apr jun jul aug sep sept oct nov dec
    """.split()
)
WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])

_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\b(?:\s+\d{1,2}\b)?"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\b(?:1[89]\d\d|20\d\d)\b"
    r"|\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b"
)
# Relative dates, any case ("Last week, ..."); kept apart from month names because the
# lowercase modal "may" must not count as a month.
_RELATIVE_DATE = re.compile(
    r"\b(?:yesterday|today|tonight|last\s+(?:week|month|year|fall|spring|summer|winter)"
    r"|this\s+(?:week|month|year)|\d+\s+(?:days?|weeks?|months?|years?)\s+ago"
    r"|(?:early|mid|late)[\s-]+(?:\d{4}|january|february|march|april|may|june|july|august|"
    r"september|october|november|december))\b",
    re.IGNORECASE,
)


def has_date(text: str) -> bool:
    """Whether ``text`` states a time: a month, weekday, year, numeric date or relative date.

    "May" is a month only when capitalised mid-sentence or followed by a day number; the
    sentence-initial modal ("May I ...") is rare in news and harmless here.
    """
    return _DATE.search(text) is not None or _RELATIVE_DATE.search(text) is not None


# Capitalised words that are not names: titles and roles (part of a name run, but never the
# answer to "who"), calendar words and sentence-level fillers.
TITLE_WORDS = frozenset(
    """
    mr mrs ms dr prof president vice prime minister secretary general gen senator sen
    representative rep governor gov mayor chief chairman chairwoman chair director ceo king
    queen prince princess pope judge justice lieutenant colonel sergeant captain commander
    admiral officer spokesman spokeswoman spokesperson ambassador leader former foreign defense
    defence state deputy acting interim council security house
    """.split()
)

_NAME_CONNECTORS = frozenset(
    """
    of de da del der van von bin al la le
    """.split()
)

_CAP_TOKEN = re.compile(r"[A-Z\u00C0-\u00DE][\w\u00C0-\u024F'’.\-]*")


@dataclass(frozen=True)
class Name:
    """A run of capitalised words ("Sergei Shoigu", "North Korean Foreign Minister Choe")."""

    text: str
    terms: tuple[str, ...]  # stemmed, lowercased tokens minus connectors
    sentence_initial: bool


# Stopwords that open place names mid-sentence ("the New York native", "New Zealand").
_NAME_OPENING_STOPWORDS = frozenset({"new"})


def names(sentence: str) -> list[Name]:
    """Runs of capitalised words in one sentence, connectors allowed inside ("Bank of Japan").

    Stopwords are never part of a run ("The", "However"); a run that starts the sentence is
    flagged so callers can treat a lone sentence-initial word as an ordinary word.
    """
    tokens = words(sentence)
    runs: list[Name] = []
    current: list[str] = []
    current_start = -1

    def flush(end_index: int) -> None:
        nonlocal current
        while current and current[-1].lower() in _NAME_CONNECTORS:
            current.pop()
        if current:
            # "New" stays in the text ("New York" is a place) but, a stopword, not in the
            # terms, which are matched against stopword-free vocabularies.
            terms = tuple(
                stem(part.lower())
                for token in current
                if token.lower() not in _NAME_CONNECTORS
                and token.lower() not in _NAME_OPENING_STOPWORDS
                for part in _split_hyphens(token)
            )
            runs.append(Name(" ".join(current), terms, current_start == 0))
        current = []

    for index, token in enumerate(tokens):
        low = token.lower()
        is_cap = bool(_CAP_TOKEN.fullmatch(token)) and (
            low not in STOPWORDS
            or (token.isupper() and len(token) > 1)
            or (
                low in _NAME_OPENING_STOPWORDS
                and index > 0
                and index + 1 < len(tokens)
                and bool(_CAP_TOKEN.fullmatch(tokens[index + 1]))
            )
        )
        if is_cap and (not token.isupper() or len(token) <= 5):
            if not current:
                current_start = index
            current.append(token)
        elif current and low in _NAME_CONNECTORS:
            current.append(token)
        else:
            flush(index)
    flush(len(tokens))
    return runs


def name_terms(sentence: str, *, include_initial: bool = False) -> set[str]:
    """Stemmed tokens of the names in ``sentence`` (a lone sentence-initial word excluded)."""
    out: set[str] = set()
    for name in names(sentence):
        if name.sentence_initial and len(name.terms) == 1 and not include_initial:
            continue
        out.update(t for t in name.terms if len(t) > 1)  # initials ("G.") are not names
    return out


_WEEKDAY_STEMS = frozenset(stem(d) for d in WEEKDAYS)  # "Sundays" is a weekday too


def is_calendar_word(term: str) -> bool:
    return term in MONTHS or term in WEEKDAYS or stem(term) in _WEEKDAY_STEMS


# --------------------------------------------------------------------------------------------
# Question analysis
# --------------------------------------------------------------------------------------------


class AnswerKind(StrEnum):
    """What kind of thing answers the question; decides which sentences can answer it."""

    WHO = "who"
    WHEN = "when"
    WHERE = "where"
    HOW_MANY = "how many"
    HOW_MUCH = "how much"
    WHAT = "what"
    YES_NO = "yes-no"
    OTHER = "other"


@dataclass(frozen=True)
class QuestionInfo:
    """What a question asks about and what kind of answer it expects."""

    question: str
    terms: tuple[str, ...]  # stemmed content terms, entity tokens included, no duplicates
    entities: tuple[tuple[str, ...], ...]  # each named entity as its stemmed tokens
    numbers: frozenset[float]
    # Numbers written in digits ("$700 million"): the question's specific figures, where a
    # spelled-out "the two countries" is an ordinary phrase.
    figures: frozenset[float]
    years: frozenset[int]
    kind: AnswerKind

    @property
    def entity_terms(self) -> frozenset[str]:
        return frozenset(t for entity in self.entities for t in entity)

    @property
    def plain_terms(self) -> tuple[str, ...]:
        """Content terms that are not part of a named entity."""
        ents = self.entity_terms
        return tuple(t for t in self.terms if t not in ents)


# Nouns after "which"/"what" that reveal the answer kind ("which region" -> where).
_PLACE_NOUNS = frozenset(
    """
    place country countries city cities state states region province town village area capital
    nation continent island county district location venue stadium airport port border territory
    neighborhood neighbourhood site
    """.split()
)
_PERSON_NOUNS = frozenset(
    """
    person people man woman men women leader president minister official actor actress singer
    musician artist player athlete candidate nominee politician senator lawmaker author writer
    director ceo executive founder judge star rapper comedian coach team company firm group
    organization organisation party band celebrity billionaire chief secretary governor mayor
    king queen prince lawyer spokesperson host winner member journalist scientist doctor
    """.split()
)
_TIME_NOUNS = frozenset(
    """
    year month day date time week decade century season
    """.split()
)
_COUNT_NOUNS = frozenset(["number", "amount", "percentage", "percent", "share", "total"])

_AUX = frozenset(
    """
    is are was were do does did can could will would should has have had may might must shall am
    """.split()
)
# Words that end the head-noun phrase of "which ...": in "which golfer this week became",
# "week" is not what is asked for.
_PHRASE_BREAKS = frozenset("this that these those the a an its his her their last next".split())


def _question_kind(question: str) -> AnswerKind:
    """The expected answer kind from the question's wording (first wh-phrase wins)."""
    q = question.strip().lower()
    tokens = re.findall(r"[a-z][a-z\-]*", q)
    if not tokens:
        return AnswerKind.OTHER
    if re.search(r"\bhow\s+(many|large|big|long|far|old)\b", q) and not re.search(
        r"\bhow\s+long\s+(?:ago|since)\b", q
    ):
        return AnswerKind.HOW_MANY
    if re.search(r"\bhow\s+much\b", q):
        return AnswerKind.HOW_MUCH
    for index, token in enumerate(tokens):
        if token in ("who", "whom", "whose"):
            return AnswerKind.WHO
        if token == "when":
            return AnswerKind.WHEN
        if token == "where":
            return AnswerKind.WHERE
        if token in ("which", "what"):
            # Look at the next few words for the head noun: "which European country", "what
            # year", "what percentage".
            for nxt in tokens[index + 1 : index + 5]:
                base = stem(nxt)
                if nxt in _PLACE_NOUNS or base in _PLACE_NOUNS:
                    return AnswerKind.WHERE
                if nxt in _PERSON_NOUNS or base in _PERSON_NOUNS:
                    return AnswerKind.WHO
                if nxt in _TIME_NOUNS or base in _TIME_NOUNS:
                    return AnswerKind.WHEN
                if nxt in _COUNT_NOUNS:
                    return AnswerKind.HOW_MANY
                if nxt in _AUX or nxt in _PHRASE_BREAKS:
                    break
            return AnswerKind.WHAT
    if tokens[0] in _AUX:
        return AnswerKind.YES_NO
    if tokens[0] in ("why", "how"):
        return AnswerKind.OTHER
    return AnswerKind.WHAT if "what" in tokens else AnswerKind.OTHER


_DEMONYM_ENDINGS = ("ican", "ian", "ean", "ese", "ish", "ern")


# Quiz framing of time ("this week", "last weekend", "recently"): it dates the question, while
# the article says "Saturday" or "on Oct. 3", so as a content term it only dilutes coverage.
FRAMING_TERMS = frozenset(
    """
    week weekend month year last past recent recently today yesterday tonight currently latest
    """.split()
)
# The archive's home country: US news rarely spells out "US" ("the House", "the presidential
# race"), so a question's "US" qualifies the setting rather than naming what must be found --
# neither an entity nor a term to cover (as a term it cost one RealTime QA answer).
HOME_COUNTRY = frozenset({("us",), ("usa",), ("america",), ("united", "state")})


def _question_entities(question: str) -> tuple[tuple[str, ...], ...]:
    """Named entities of a question: capitalised runs, title words stripped.

    In a question the first word is a wh-word or an auxiliary (stopwords, never in a run), so
    a sentence-initial run that survives is a real name ("Donald Trump said ...?").
    """
    out: list[tuple[str, ...]] = []
    for name in names(question):
        terms = tuple(t for t in name.terms if t not in TITLE_WORDS and not is_calendar_word(t))
        if len(terms) == 1 and terms[0].endswith(_DEMONYM_ENDINGS):
            # "American football team", "Republican nominee": an adjective, not what the
            # question is about; it stays an ordinary content term.
            continue
        if terms in HOME_COUNTRY:
            continue
        if terms and terms not in out:
            out.append(terms)
    return tuple(out)


def analyze_question(question: str) -> QuestionInfo:
    """Terms, entities, numbers, years and expected answer kind of ``question``."""
    entities = _question_entities(question)
    # Quiz questions often open with context sentences ("Hollywood actors went on strike ...
    # Who leads SAG-AFTRA?"): the kind comes from the sentence that asks.
    asking = [s for s in split_sentences(question) if s.rstrip().endswith("?")]
    terms: list[str] = []
    for term in content_terms(question):
        if term not in terms and term not in FRAMING_TERMS and (term,) not in HOME_COUNTRY:
            terms.append(term)
    info = QuestionInfo(
        question=question,
        terms=tuple(terms),
        entities=entities,
        numbers=frozenset(numbers(question)),
        figures=frozenset(numbers(question, spelled=False)),
        years=frozenset(years(question)),
        kind=_question_kind(asking[-1] if asking else question),
    )
    logger.debug("question analysed: %s", info)
    return info
