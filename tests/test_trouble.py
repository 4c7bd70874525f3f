"""Say it once: a failure is said when it starts and when it heals, never in between."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.trouble import Trouble


class Lines(logging.Handler):
    """Keeps each record as (level, message, has a traceback)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[int, str, bool]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage(), record.exc_info is not None))


def _logger(name: str) -> tuple[logging.Logger, Lines]:
    logger = logging.getLogger(f"test.trouble.{name}")
    logger.handlers[:] = []
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    lines = Lines()
    logger.addHandler(lines)
    return logger, lines


def test_a_failure_is_said_once_and_its_healing_once():
    logger, lines = _logger("once")
    trouble = Trouble(logger)
    assert trouble.worked("fine again") is False  # nothing to heal: nothing said
    assert trouble.failed("disk full") is True
    assert trouble.failed("disk still full") is False
    assert trouble.problem == "disk still full"  # the present failure, for the status
    assert trouble.worked("writes work again") is True
    assert trouble.problem is None
    assert lines.records == [
        (logging.WARNING, "disk full; the show goes on, and this is said again only once it works", False),
        (logging.INFO, "writes work again", False),
    ]


def test_a_failure_may_say_its_own_line_and_carry_the_traceback():
    logger, lines = _logger("traceback")
    trouble = Trouble(logger)
    try:
        raise ValueError("bad")
    except ValueError:
        trouble.failed("ValueError: bad", "worker: unexpected error", traceback=True)
    assert lines.records == [(logging.ERROR, "worker: unexpected error", True)]


@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))))
def test_what_is_said_follows_the_changes_between_working_and_failing(outcomes):
    """An oracle: a line at each change between working and failing (the first failure counts as one)."""
    logger, lines = _logger("oracle")
    trouble = Trouble(logger)
    expected, failing = [], False
    for outcome in outcomes:
        if outcome is None:
            trouble.worked("healed")
            if failing:
                expected.append((logging.INFO, "healed", False))
        else:
            trouble.failed(outcome, f"failed: {outcome}")
            if not failing:
                expected.append((logging.WARNING, f"failed: {outcome}", False))
        failing = outcome is not None
        assert trouble.problem == outcome
    assert lines.records == expected
