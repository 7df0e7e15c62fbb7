"""The one citation-marker pattern: single, chained and grouped markers."""

from __future__ import annotations

from bot.answer.markers import (
    cited_numbers,
    cites,
    has_marker,
    renumber,
    rewrite_markers,
    strip_markers,
)


def test_every_marker_form_is_read() -> None:
    text = "A [1]. B [2][3]. C [4, 5]. D [6; 7]. E [ 8 ]. F [2]."
    assert cited_numbers(text) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert cites(text, 5) and not cites(text, 9)
    assert has_marker("x [1, 2]") and not has_marker("a [list] of [things, too]")


def test_markers_are_stripped_with_the_space_before_them() -> None:
    assert strip_markers("Sent 9 million shells [1, 2]. Then [3][4] more.") == (
        "Sent 9 million shells. Then more."
    )


def test_renumbering_is_one_pass_and_keeps_unknown_numbers() -> None:
    assert renumber("A [1]. B [2]. C [1, 2]. D [9].", {1: 2, 2: 1}) == (
        "A [2]. B [1]. C [2][1]. D [9]."
    )
    assert rewrite_markers("A [1, 2, 3].", lambda ns: [n for n in ns if n != 2]) == "A [1][3]."
    assert rewrite_markers("A [1].", lambda ns: []) == "A ."
