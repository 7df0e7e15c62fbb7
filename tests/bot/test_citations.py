"""The citation check: supported claims stay, unsupported or uncited ones go, markers renumber."""

from __future__ import annotations

import pytest

from bot.answer.citations import MIN_TERM_SUPPORT, CheckedText, check_citations, support
from index.models import Passage


def _passage(pid: str, text: str, title: str = "") -> Passage:
    return Passage(chunk_id=f"{pid}:0", article_id=pid, title=title, text=text, score=0.5)


# Real sentences from the sample articles (003, 002, 004).
MUNITIONS = _passage(
    "003",
    'The North Korean troops "defended the precious part of the Russian territory," Shoigu '
    "added. In addition to troops, the North has shipped as many as 9 million rounds of mixed artillery "
    "and multiple rocket launcher ammunition and at least 100 ballistic missiles, according to "
    "the MSMT report.",
    title="Kim Jong Un vows to 'unconditionally support' Russia's war against Ukraine",
)
OFFICIALS = _passage(
    "002",
    "Ukrainian officials have reported that North Korea sent approximately 14,000 troops, "
    "including 3,000 reinforcements to replace their losses.",
)
LAVROV = _passage(
    "004",
    "Her Russian counterpart Sergei Lavrov praised the very close relations between the military "
    "and security services of both countries.",
)
PASSAGES = [MUNITIONS, OFFICIALS, LAVROV]


def _check(text: str) -> CheckedText:
    return check_citations(text, PASSAGES)


def test_supported_sentence_is_kept_with_its_citation() -> None:
    out = _check("North Korea has shipped as many as 9 million rounds of artillery [1].")
    assert out.text == "North Korea has shipped as many as 9 million rounds of artillery [1]."
    assert [(c.n, c.passage.article_id) for c in out.citations] == [(1, "003")]
    assert out.dropped == 0


def test_paraphrase_and_number_format_are_accepted() -> None:
    # "9,000,000" is the passage's "9 million"; "artillery shells" paraphrases "rounds".
    out = _check("The North shipped 9,000,000 artillery rounds [1].")
    assert out.citations and out.dropped == 0


def test_sentence_with_a_wrong_number_is_dropped() -> None:
    out = _check("North Korea has shipped as many as 5 million rounds of artillery [1].")
    assert out.text == ""
    assert out.citations == []
    assert out.dropped == 1


def test_sentence_with_a_name_the_passage_lacks_is_dropped() -> None:
    out = _check("Sergei Shoigu praised the very close relations between both countries [3].")
    assert out.dropped == 1 and out.citations == []
    # Names are checked in full: the passage must name what the claim names.
    assert support(
        "China shipped as many as 9 million rounds of artillery.", MUNITIONS
    ).missing_names


def test_sentence_citing_the_wrong_passage_is_dropped() -> None:
    out = _check("Sergei Lavrov praised the very close relations between both countries [1].")
    assert out.dropped == 1 and out.text == ""


def test_marker_to_a_passage_not_given_is_dropped() -> None:
    out = _check("Ukrainian officials say North Korea sent approximately 14,000 troops [9].")
    assert out.text == ""
    assert out.dropped == 1
    # On a sentence that another marker supports, only the bad marker goes (and is counted).
    out = _check("Ukrainian officials say North Korea sent approximately 14,000 troops [2][9].")
    assert out.text == "Ukrainian officials say North Korea sent approximately 14,000 troops [1]."
    assert out.dropped == 1


def test_uncited_claim_is_dropped() -> None:
    out = _check(
        "North Korea sent approximately 14,000 troops [2]. The troops fought bravely in Kursk."
    )
    assert out.text == "North Korea sent approximately 14,000 troops [1]."
    assert out.dropped == 1


def test_markers_renumber_in_order_of_first_appearance() -> None:
    out = _check(
        "Sergei Lavrov praised the very close relations between both countries [3]. "
        "Ukrainian officials say North Korea sent about 14,000 troops [2]. "
        "They included 3,000 reinforcements [2]. "
        "The North shipped at least 100 ballistic missiles [1]."
    )
    assert out.dropped == 0
    assert out.text == (
        "Sergei Lavrov praised the very close relations between both countries [1]. "
        "Ukrainian officials say North Korea sent about 14,000 troops [2]. "
        "They included 3,000 reinforcements [2]. "
        "The North shipped at least 100 ballistic missiles [3]."
    )
    assert [(c.n, c.passage.article_id) for c in out.citations] == [
        (1, "004"),
        (2, "002"),
        (3, "003"),
    ]


def test_several_markers_keep_only_the_supported_ones() -> None:
    out = _check("North Korea sent approximately 14,000 troops [1, 2].")
    assert out.text == "North Korea sent approximately 14,000 troops [1]."
    assert [c.passage.article_id for c in out.citations] == ["002"]
    assert out.dropped == 0  # the claim stands; only an unsupported citation went


def test_marker_after_the_full_stop_is_attached_to_its_sentence() -> None:
    out = _check(
        "North Korea sent approximately 14,000 troops. [2] Lavrov praised the very close "
        "relations. [3]"
    )
    assert out.text == (
        "North Korea sent approximately 14,000 troops [1]. "
        "Lavrov praised the very close relations [2]."
    )


def test_lines_are_kept_and_empty_lines_removed() -> None:
    out = _check("- North Korea sent approximately 14,000 troops [2].\n\n- A guess [1].")
    assert out.text == "- North Korea sent approximately 14,000 troops [1]."
    assert out.dropped == 1


def _claim_with_share(share_of_known: int, total: int) -> str:
    """A sentence with ``total`` content words, ``share_of_known`` of them from LAVROV."""
    known = ["praised", "close", "relations", "military", "security", "services", "countries"]
    unknown = ["bananas", "orchestra", "glacier", "pottery", "violin", "saffron", "tundra"]
    return " ".join(known[:share_of_known] + unknown[: total - share_of_known]) + "."


@pytest.mark.parametrize(
    ("known", "total", "kept"),
    [(6, 10, True), (7, 10, True), (5, 10, False), (2, 5, False), (3, 5, True)],
)
def test_term_threshold_both_sides(known: int, total: int, kept: bool) -> None:
    claim = _claim_with_share(known, total)
    verdict = support(claim, LAVROV)
    assert verdict.term_share == pytest.approx(known / total)
    assert verdict.supported is kept
    assert (verdict.term_share >= MIN_TERM_SUPPORT) is kept


def test_no_text_and_no_passages() -> None:
    assert check_citations("", PASSAGES) == CheckedText("", [], 0)
    out = check_citations("North Korea sent approximately 14,000 troops [1].", [])
    assert out.text == "" and out.dropped == 1


def test_a_grouped_marker_cites_each_of_its_passages() -> None:
    passages = [
        _passage("a", "Mara Holt opened the Veltra bridge on Monday, the council said."),
        _passage("b", "The Veltra bridge was opened by Mara Holt on Monday."),
    ]
    for marker in ("[1, 2]", "[1; 2]", "[ 1,2 ]"):
        out = check_citations(f"Mara Holt opened the Veltra bridge on Monday {marker}.", passages)
        assert out.text == "Mara Holt opened the Veltra bridge on Monday [1][2].", marker
        assert [c.passage.article_id for c in out.citations] == ["a", "b"]


def test_a_similar_name_does_not_support_a_claim() -> None:
    harrison = _passage("h", "Governor Lee Harrison praised the harbour plan on Friday.")
    assert check_citations("Governor Harrison praised the harbour plan [1].", [harrison]).citations
    out = check_citations("Governor Harris praised the harbour plan [1].", [harrison])
    assert out.citations == [] and out.dropped == 1
    verdict = support("Niger praised the harbour plan.", _passage("n", "Nigeria praised the plan."))
    assert not verdict.supported and verdict.missing_names == frozenset({"Niger"})


def test_a_demonym_supports_the_country_it_names() -> None:
    passage = _passage("us", "American officials said 40 drones were sent to Veltra.")
    out = check_citations(
        "US officials said 40 drones were sent to Veltra [1].", passages=[passage]
    )
    assert out.citations and out.dropped == 0
    assert check_citations("U.S. officials said 40 drones were sent [1].", [passage]).citations
    assert not check_citations("UK officials said 40 drones were sent [1].", [passage]).citations


def test_a_sentence_quoted_word_for_word_is_supported() -> None:
    # The passage's vocabulary reads "Democratic People's Republic of Korea" as North Korea; the
    # claim's names are still written in the passage, so a verbatim quote stands.
    text = (
        "The leader affirmed that the Democratic People's Republic of Korea would support "
        "Russia, the agency said, using the official name of North Korea."
    )
    verdict = support(text, _passage("p", text))
    assert verdict.supported, verdict
    # A name the passage never writes is still missing.
    assert not support(text.replace("Democratic", "Socialist"), _passage("p", text)).supported


def test_a_contraction_opening_a_sentence_is_no_name() -> None:
    # "They're" / "I’ve" used to read as the names "They" + "RE": a verbatim quote was dropped.
    for text in (
        "They're on pace to fill the Lindmoor harbour with ferry fans this week.",
        "I’ve covered the Portvale ferry since its first crossing in March.",
    ):
        assert support(text, _passage("p", text)).supported, text
