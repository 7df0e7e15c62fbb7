"""Sentence splitting for news prose: abbreviations, initials, dotted acronyms, decimals and
headlines without a full stop."""

from __future__ import annotations

import re

from bot.answer.lexicon import lexicon

_OPEN_QUOTES = "\"'“‘«("
CLOSE_QUOTES = "\"'”’»)]"

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace,
# then something that can open a sentence (capital letter, digit, opening quote).
_BOUNDARY = re.compile(
    r"(?P<end>[.!?…]+)(?P<close>[" + re.escape(CLOSE_QUOTES) + r"]*)"
    r"(?P<space>\s+)"
    r"(?=[" + re.escape(_OPEN_QUOTES) + r"]*[A-Z0-9\u00C0-\u024F])"
)
# A wire dateline opening a story ("June 4 (UPI) --", "SEOUL, June 5 (Yonhap) —"): where and
# when it was filed, not part of the first sentence's statement.
_DATELINE = re.compile(r"^[^()\n]{0,60}?\([A-Z][A-Za-z]*\)\s*(?:--|—|–)\s*")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_NEXT_WORD = re.compile(r"[" + re.escape(_OPEN_QUOTES) + r"]*([A-Za-z]+)")


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
        nxt = _NEXT_WORD.match(text[match.end() :])
        return not (nxt and nxt.group(1).lower() in lexicon().sentence_openers)
    if len(bare) == 1 and word[0].isupper():
        return True  # an initial: "J. Smith", "Lloyd J. Austin"
    return bare in lexicon().abbreviations


# Words in double quotes, straight or curly ("holy battle", “a criminal act”), or in single
# quotes ('not worthy of appreciation,' as some papers print it). A single quote counts only
# where an apostrophe cannot be: opening after a space or the start, before a word; closing
# after a word or punctuation, before a space, punctuation or the end; no quote mark between
# ("the players' union" and "Russia's" do not open one).
_QUOTATION = re.compile(
    r"“[^”]{2,}”|\"[^\"]{2,}\""
    r"|(?:(?<=\s)|^)['‘](?=\w)[^'‘’\n]{2,}?[\w.,!?]['’](?=[\s,.;:!?)]|$)"
)


def has_quotation(sentence: str) -> bool:
    """The sentence quotes someone's words."""
    return _QUOTATION.search(sentence) is not None


def quotations(sentence: str) -> list[str]:
    """The words the sentence quotes, each quotation without its marks."""
    return [m.group()[1:-1] for m in _QUOTATION.finditer(sentence)]


def is_question(sentence: str) -> bool:
    """The sentence asks rather than states ("Who is the new coach, the club's third?")."""
    return sentence.rstrip(CLOSE_QUOTES + " ").endswith("?")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences.

    Lines and blank-line paragraphs always end a sentence (headlines and captions carry no full
    stop). Within a line a boundary is terminal punctuation (plus closing quotes) followed by a
    capital, digit or opening quote, unless the period belongs to an abbreviation ("Mr."), an
    initial ("J.") or a dotted acronym ("U.S.") not followed by a typical sentence opener.
    Decimals ("9.5") never split because no space follows the point. A wire dateline opening a
    line ("June 4 (UPI) --") is a piece of its own.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        dateline = _DATELINE.match(line)
        if dateline:
            sentences.append(dateline.group().strip())
            start = dateline.end()
        for match in _BOUNDARY.finditer(line, start):
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


# A personal pronoun among a sentence's first words is mostly its subject or the subject's
# ("In May, he unveiled ...", "Her ministry said ..."): someone the text just named.
_EARLY_PRONOUN = re.compile(r"^(?:\S+\s+){0,5}?(?:he|she|his|her|they|their)\b", re.IGNORECASE)


def refers_back(sentence: str) -> bool:
    """The sentence speaks of someone named before it by a pronoun among its first words."""
    return _EARLY_PRONOUN.match(sentence) is not None


_EARLY_THING = re.compile(r"^(?:\S+\s+){0,5}?(?:it|its|they|their|this|these)\b", re.IGNORECASE)


def refers_back_to_thing(sentence: str) -> bool:
    """The sentence speaks of something named before it by a pronoun among its first words
    ("It cost $40 million", "In May, they sold it")."""
    return _EARLY_THING.match(sentence) is not None
