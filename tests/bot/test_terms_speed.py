"""The answerers' speed-ups give the answers of the plain definitions: a Vocabulary finds the
same matches as comparing a term with every term, and kept (cached) results are never shared
mutable state. Made-up words only."""

from __future__ import annotations

import re

from bot.answer.lexicon import lexicon
from bot.answer.names import iter_names, names
from bot.answer.terms import (
    _WORD_PATTERN,
    Vocabulary,
    _term,
    content_terms,
    country_at,
    scan,
    split_hyphens,
    term_in,
    terms_match,
    terms_vocabulary,
    text_vocabulary,
    tokens,
    words,
)

# Names, their plurals and stems, words with derivations the stemmer keeps apart, prefixes
# shorter than four letters, a near-miss name (Niger / Nigeria), digits, and terms that are
# neither quite a name nor a word ("1A", "").
TERMS = [
    "Beijing", "beij", "Europeans", "European", "Harris", "harri", "Harrison", "Niger",
    "Nigeria", "US", "UN", "presid", "presidenti", "histori", "histor", "deploy", "deployment",
    "shell", "shells", "send", "sent", "art", "arts", "artist", "19", "covid", "Covid", "Bas",
    "Bass", "Ss", "S", "ab", "abc", "abcd", "abce", "abcde", "abcdx", "abdc", "Abcd", "1A", "1a",
    "Émile", "émile", "Emiles", "Us", "Usa", "usa", "histories", "historic", "Histor", "",
]  # fmt: skip


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


# Made-up prose with what the readers special-case: sentence ends of every kind, a colon, line
# breaks, possessives, dotted acronyms, hyphens, numbers, country forms (one across a line, one
# in lower case after its capital) and names in and out of sentence openings.
PROSE = (
    "Korea's U.S.-backed troops met in Bosnia and Herzegovina. Then: the United states' envoy"
    ' said... "Nigerians" in North\nKorea… 9,000 rounds! Why? Émile Zola\'s well-known re-entry'
    " to the Bank of Japan; anti-US post-Brexit talks in New York. IT firms, US and us."
)


def _opens_sentence(text: str) -> list[bool]:
    """Whether each word opens the text or follows a sentence end, by the plain definition."""
    opens, last = [], 0
    for match in re.finditer(_WORD_PATTERN, text):
        if _clean_word(match.group()):
            opens.append(not opens or any(c in ".!?…:\n" for c in text[last : match.start()]))
            last = match.end()
    return opens


def _clean_word(raw: str) -> str:
    return words(raw)[0] if words(raw) else ""


def test_scan_gives_the_words_and_which_open_a_sentence():
    for text in (PROSE, "", "…", "one", " Two three.\nFour", PROSE.lower(), PROSE.upper()):
        assert [w for w, _ in scan(text)] == words(text)
        assert [opens for _, opens in scan(text)] == _opens_sentence(text)


def test_content_terms_are_those_of_the_tokens():
    # The plain definition, token by token (content_terms reads each distinct word once).
    stopwords = lexicon().stopwords

    def plain(text: str) -> list[str]:
        out = []
        for token in tokens(text):
            if token.text[0].isdigit():
                continue
            for part in split_hyphens(token.text):
                if len(part) < 2 or (part.lower() in stopwords and not part.isupper()):
                    continue
                out.append(_term(part, token))
        return out

    for text in (PROSE, PROSE.lower(), PROSE.upper(), "Turkey and turkey", ""):
        assert content_terms(text) == plain(text)
    assert {"US", "Bosnia", "North", "Korea", "Nigeria", "Zola"} <= set(content_terms(PROSE))


def test_the_longest_country_form_is_read():
    texts = ["in", "the", "United", "States", "of", "America", "today"]
    assert country_at(texts, 2) == (("US",), 4)
    assert country_at(texts, 3) is None  # "States" alone names nothing
    assert country_at(["united", "states"], 0) is None  # only capitalised forms count
    assert country_at(["US"], 0) == (("US",), 1)
    assert country_at(["Us"], 0) is None  # an acronym only in capitals


def test_names_are_runs_of_capitalised_words_whatever_the_first_letter():
    found = names("Then Émile Zola and Ørsted's chief met Bank of Japan staff in New York.")
    assert [n.text for n in found] == ["Émile Zola", "Ørsted", "Bank of Japan", "New York"]


def test_names_one_at_a_time_are_the_names():
    for text in (PROSE, "Bank of", "The Bank of Japan of", "", "New York. New Delhi, new Delhi"):
        assert list(iter_names(text)) == names(text)
    first = next(iter_names("Sergei Shoigu met Kim Jong Un"))
    assert (first.text, first.terms, first.sentence_initial) == (
        "Sergei Shoigu",
        ("Sergei", "Shoigu"),
        True,
    )
