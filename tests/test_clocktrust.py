"""Whether the wall clock may turn the screen off: the system asked every 10 s, plain data and a fake clock."""

from __future__ import annotations

import logging

from kiosk.core.clocktrust import CLOCK_CHECK_SECONDS, ClockTrust

from .conftest import FakeClock


def ask(trust: ClockTrust, clock: FakeClock, answers: list) -> bool:
    """One pass of the loop: the system is asked when it is due, and its answer heard."""
    if trust.due(clock.now):
        trust.heard(answers.pop(0), clock.now)
    return trust.trusted


def test_the_system_is_asked_at_once_then_every_ten_seconds():
    trust, clock = ClockTrust(), FakeClock()
    assert trust.due(clock.now)
    trust.heard(True, clock.now)
    clock.advance(CLOCK_CHECK_SECONDS - 0.01)
    assert not trust.due(clock.now)
    clock.advance(0.01)
    assert trust.due(clock.now)


def test_only_a_clock_said_to_be_unsynchronised_is_distrusted():
    trust = ClockTrust()
    assert trust.trusted and trust.known is None, "before any answer"
    for answer, trusted in ((False, False), (None, True), (True, True), (False, False)):
        trust.heard(answer, 0.0)
        assert trust.trusted is trusted and trust.known is answer


def test_an_unsynchronised_clock_is_said_once_and_its_setting_once(caplog):
    caplog.set_level(logging.INFO)
    trust, clock = ClockTrust(), FakeClock()
    answers = [False, False, False, True, True]
    seen = []
    for _ in range(5):
        seen.append(ask(trust, clock, answers))
        clock.advance(CLOCK_CHECK_SECONDS)
    assert seen == [False, False, False, True, True]
    assert caplog.text.count("the system clock is not synchronised yet") == 1
    assert caplog.text.count("the system clock is synchronised; the schedule applies") == 1


def test_between_two_questions_the_last_answer_holds():
    trust, clock = ClockTrust(), FakeClock()
    answers = [False]
    assert not ask(trust, clock, answers)
    clock.advance(5)
    assert not ask(trust, clock, answers) and answers == [], "not asked again within 10 s"
