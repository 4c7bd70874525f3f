"""The one template for the kiosk's helper threads: rounds of work, woken early or on time, until stopped.

The decode worker, the folder and config watchers, the sync client, the
status writer and the state recorder are each a subclass. A subclass says
what one round of work is (`poll_once()`, which tests call without a
thread) and when the next is due (`_seconds_to_next_round()`; None waits for
a wake-up). One Event is both the sleep and the stop signal: `wake()` sets
it, and so does `ask_to_stop()`.

Every round runs through `_survive()`: an exception is logged once (with
its traceback, through kiosk.core.trouble) and again only after a success,
and the loop goes on. A
thread that died would leave the box showing stale state for good; the
status reports each thread's last success and its present failure instead.

`run_here()` runs the same loop on the calling thread: `kiosk sync` and
`kiosk publish --watch` are these loops in the foreground.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from typing import Callable, ClassVar, TypeVar

from kiosk.core.trouble import Trouble

log = logging.getLogger(__name__)

T = TypeVar("T")


class BackgroundThread:
    """Runs `poll_once()` whenever woken or due, on its own thread, until asked to stop."""

    thread_name = "background"
    # After a wake-up, wait this long so that a burst of events is one round. A class setting: not the
    # time a file must stay unchanged, which some subclasses call `settle_seconds`.
    burst_seconds: ClassVar[float] = 0.0

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.last_success: dt.datetime | None = None
        self.round_trouble = Trouble(log)  # a round's failure, until the next success
        self.failures = 0

    @property
    def failing(self) -> str | None:
        """The present failure of the rounds, until the next success."""
        return self.round_trouble.problem

    # --- what a subclass says ----------------------------------------------------------

    def poll_once(self) -> object:
        """One round of work. Returning True means more is waiting now: the next round follows at once."""
        raise NotImplementedError

    def _round(self, woken: bool) -> object:
        """What the thread does when woken or due; by default one `poll_once()`."""
        return self.poll_once()

    def _seconds_to_next_round(self) -> float | None:
        """How long to sleep before the next round if nothing wakes the thread; None: until woken."""
        return None

    def _close(self) -> None:
        """Releases what the loop holds, once it has ended (or if it never started)."""

    # --- the loop ------------------------------------------------------------------------

    def wake(self) -> None:
        """Asks for a round now (safe from any thread)."""
        self._wake.set()

    def run_here(self) -> None:
        """The loop, on the calling thread, until `ask_to_stop()`."""
        more = False
        try:
            while not self._stopping:
                woken = False
                if not more:
                    seconds = self._seconds_to_next_round()
                    woken = self._wake.wait(None if seconds is None else max(0.0, seconds))
                    if self._stopping:
                        break
                    if woken and self.burst_seconds > 0:
                        time.sleep(self.burst_seconds)  # let a burst of events finish
                    self._wake.clear()
                more = self._survive(functools.partial(self._round, woken)) is True
        finally:
            self._close()

    def _survive(self, work: Callable[[], T]) -> T | None:
        """One round of work: its result, or None after logging a failure (once until it works again)."""
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 - the thread outlives any one failure
            self.failures += 1
            self.round_trouble.failed(f"{type(exc).__name__}: {str(exc)[:200]}",
                                      f"{self.thread_name}: unexpected error; it goes on and says so again only "
                                      "after a success", traceback=True)
            return None
        self.round_trouble.worked(f"{self.thread_name} works again")
        self.last_success = dt.datetime.now().astimezone()
        return result

    def health(self) -> dict:
        """For status.json: whether the thread runs, its last success and its present failure."""
        return {
            "running": self.running,
            "last_success": None if self.last_success is None else self.last_success.isoformat(timespec="seconds"),
            "failing": self.failing,
            "failures": self.failures,
        }

    # --- start and stop ---------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_here, name=self.thread_name, daemon=True)
        self._thread.start()

    def ask_to_stop(self) -> None:
        """Tells the loop to end after its present round, without waiting (safe from a signal handler)."""
        self._stopping = True
        self._wake.set()

    def join(self, timeout: float) -> None:
        """Waits up to `timeout` seconds for the loop to end, then does what follows its end."""
        if self._thread is not None:
            self._thread.join(max(0.0, timeout))
        else:
            self._close()  # never started: nothing else closes what it holds
        self._after_stop()

    def stop(self, timeout: float = 2.0) -> None:
        """Asks the loop to end and waits up to `timeout` seconds for it."""
        self.ask_to_stop()
        self.join(timeout)

    def _after_stop(self) -> None:
        """Runs on the stopping thread once the loop has ended (or was never started)."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def stop_all(threads: list[BackgroundThread], seconds: float = 1.5) -> None:
    """Stops every thread within `seconds` in all: all are asked first, then joined.

    A thread still busy then (a hung server, a 48-megapixel decode) is left
    behind: they are daemon threads, so the process still exits at once.
    """
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.ask_to_stop()
    for thread in threads:
        thread.join(deadline - time.monotonic())
