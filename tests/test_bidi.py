"""Bidi levels from FriBidi, and the visual order of runs (UAX #9, L2)."""

import pytest

from kiosk.picture import bidi


def test_an_urdu_word_in_english_is_one_level_up():
    levels, rtl = bidi.embedding_levels("hope امید hope")
    assert not rtl
    assert levels == [0] * 5 + [1] * 4 + [0] * 5


def test_an_urdu_paragraph_with_english_and_numbers_in_it():
    levels, rtl = bidi.embedding_levels("امید hope 2026")
    assert rtl
    assert levels[:4] == [1] * 4 and levels[5:9] == [2] * 4 and levels[-4:] == [2] * 4


def test_brackets_pair_as_unicode_says():
    levels, rtl = bidi.embedding_levels("امید (hope)")
    assert rtl and levels[5] == levels[-1]  # both brackets at one level


@pytest.mark.parametrize(("levels", "order"), [
    ([0, 0, 0], [0, 1, 2]),
    ([0, 1, 0], [0, 1, 2]),
    ([0, 1, 1, 0], [0, 2, 1, 3]),
    ([1, 2, 1], [2, 1, 0]),
    ([1, 2, 2, 1], [3, 1, 2, 0]),
    ([], []),
])
def test_visual_order(levels, order):
    assert bidi.visual_order(levels) == order


def test_fribidi_is_here_where_pillow_shapes():
    from PIL import features

    assert bidi.available() or not features.check("raqm")


def test_the_stand_in_knows_strong_letters():
    levels, rtl = bidi._simple_levels("hope امید")
    assert not rtl and levels == [0] * 5 + [1] * 4
    levels, rtl = bidi._simple_levels("امید 12")
    assert rtl and levels[-2:] == [2, 2]
