"""The operator's keys: which presses act now, which wait for a fade, and the overlay. Plain data."""

from __future__ import annotations

import logging

from kiosk.core.keys import OPERATOR_KEYS, Keys


def test_with_the_keys_off_no_operator_key_acts_and_it_is_said_once(caplog):
    caplog.set_level(logging.INFO)
    keys = Keys()
    for name in sorted(OPERATOR_KEYS) * 2:
        assert keys.accept(name, keys_on=False, fading=False) is None
    assert not keys.info_visible
    assert caplog.text.count("operator keys are off") == 1
    assert keys.accept("redraw", keys_on=False, fading=False) == "redraw", "the window asking to be drawn again"


def test_only_closing_the_window_quits_with_the_keys_off():
    assert Keys.quits("close", keys_on=False) and Keys.quits("close", keys_on=True)
    assert not Keys.quits("quit", keys_on=False) and Keys.quits("quit", keys_on=True)
    assert not Keys.quits("next", keys_on=True)


def test_a_slide_key_during_a_fade_waits_for_its_end_once():
    keys = Keys()
    assert keys.accept("next", keys_on=True, fading=True) is None
    assert keys.accept("previous", keys_on=True, fading=True) is None  # the last one pressed counts
    assert keys.waiting() == "previous" and keys.waiting() is None
    assert keys.accept("pause", keys_on=True, fading=True) == "pause", "a pause need not wait"
    assert keys.accept("next", keys_on=True, fading=False) == "next"


def test_a_takedown_during_a_fade_waits_whatever_the_keys():
    keys = Keys()
    keys.after_fade("next")
    assert keys.waiting() == "next" and keys.waiting() is None


def test_the_info_key_shows_and_hides_the_overlay_and_turning_the_keys_off_hides_it():
    keys = Keys()
    assert keys.accept("info", keys_on=True, fading=False) == "info" and keys.info_visible
    assert keys.accept("info", keys_on=True, fading=False) == "info" and not keys.info_visible
    assert keys.hide_info() is False
    keys.accept("info", keys_on=True, fading=False)
    assert keys.hide_info() is True and not keys.info_visible
