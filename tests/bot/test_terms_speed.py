"""The answerers' speed-ups give the answers of the plain definitions: a Vocabulary finds the
same matches as comparing a term with every term, and kept (cached) results are never shared
mutable state. Made-up words only."""

from __future__ import annotations

from itertools import product

from bot.answer.names import names
from bot.answer.terms import (
    Vocabulary,
    content_terms,
    match_keys,
    term_in,
    terms_match,
    terms_vocabulary,
    text_vocabulary,
    tokens,
    words,
)

# Names, their plurals and stems, words with derivations the stemmer keeps apart, prefixes
# shorter than four letters, a near-miss name (Niger / Nigeria) and digits.
TERMS = [
    "Beijing", "beij", "Europeans", "European", "Harris", "harri", "Harrison", "Niger",
    "Nigeria", "US", "UN", "presid", "presidenti", "histori", "histor", "deploy", "deployment",
    "shell", "shells", "send", "sent", "art", "arts", "artist", "19", "covid", "Covid", "Bas",
    "Bass", "Ss", "S", "ab", "abc", "abcd", "abce", "abcde",
]  # fmt: skip


def test_terms_that_match_always_share_a_match_key():
    for a, b in product(TERMS, repeat=2):
        if terms_match(a, b):
            assert set(match_keys(a)) & set(match_keys(b)), (a, b)


def test_a_vocabulary_holds_what_a_scan_of_its_terms_finds():
    for size in (0, 1, 5, len(TERMS)):
        for start in range(0, len(TERMS), 7):
            terms = TERMS[start : start + size]
            vocabulary = Vocabulary(terms)
            for term in TERMS:
                plain = any(terms_match(term, other) for other in terms)
                assert vocabulary.holds(term) is plain, (term, terms)
                assert term_in(term, vocabulary) is plain
            assert vocabulary.held(TERMS) == frozenset(t for t in TERMS if term_in(t, terms))


def test_text_and_question_vocabularies_are_their_terms():
    text = "Beijing sent 9 million shells to the Europeans, officials in Niger said."
    assert set(text_vocabulary(text)) == set(content_terms(text))
    assert set(terms_vocabulary(("shell", "Niger"))) == {"shell", "Niger"}


def test_kept_results_are_fresh_lists_each_call():
    text = "Sergei Shoigu met Kim Jong Un in Pyongyang."
    first = content_terms(text)
    first.append("tampered")
    assert "tampered" not in content_terms(text)
    found = names(text)
    found.clear()
    assert [n.text for n in names(text)] == ["Sergei Shoigu", "Kim Jong Un", "Pyongyang"]


def test_words_without_apostrophes_or_dots_are_taken_as_written():
    text = "Korea's U.S.-backed troops' well-known re-entry, 9,000 rounds. Then: Kim."
    assert words(text) == [
        "Korea", "US", "backed", "troops", "well-known", "re-entry", "9,000", "rounds", "Then",
        "Kim",
    ]  # fmt: skip
    assert [t.initial for t in tokens(text)][-2:] == [True, True]
