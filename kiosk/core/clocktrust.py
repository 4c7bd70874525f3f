"""Whether the wall clock may turn the screen off: not before NTP has set it.

After a power cut a box without a real-time clock may think it is 1970, or
hours off, until NTP has set the clock; a schedule read from that clock
would darken the screen in the middle of the day. The loop asks the system
(kiosk.boundary.clock.clock_synchronised) when `due()` says so and passes
the answer to `heard()`; the decision is here, on plain data.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

CLOCK_CHECK_SECONDS = 10.0  # how often the system clock is asked whether NTP has set it


class ClockTrust:
    """The last answer to "is the clock synchronised?", and when to ask again."""

    def __init__(self, every: float = CLOCK_CHECK_SECONDS) -> None:
        self.every = every
        self.known: bool | None = None  # None: cannot tell (no answer yet, or a system that does not say)
        self._asked_at: float | None = None
        self._warned = False

    def due(self, now: float) -> bool:
        """Whether to ask the system again (monotonic `now`)."""
        return self._asked_at is None or now - self._asked_at >= self.every

    def heard(self, synchronised: bool | None, now: float) -> None:
        """The system's answer; an unsynchronised clock is said once, and again once it is set."""
        self._asked_at, self.known = now, synchronised
        if synchronised is False and not self._warned:
            log.warning("the system clock is not synchronised yet; the schedule will not turn the screen off "
                        "until it is")
            self._warned = True
        elif synchronised is not False and self._warned:
            log.info("the system clock is synchronised; the schedule applies")
            self._warned = False

    @property
    def trusted(self) -> bool:
        """Whether the schedule may act on the wall clock: unless the system said it is not synchronised."""
        return self.known is not False
