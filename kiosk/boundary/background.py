"""What every helper thread of the kiosk shares: start, stop and join, and whether it runs.

The decode worker, the watchers, the sync client, the status writer and the
state recorder each run one loop on a daemon thread and talk to the render
loop through queues. A subclass writes its loop (`_run`) and how to wake it
for the end (`_ask_to_stop`); tests drive its `poll_once()` without a thread.

Every round of work runs through `_survive()`: an exception is logged once
(with its traceback) and again only after a success, and the loop goes on.
A thread that died would leave the box showing stale state for good; the
status reports each thread's last success and its present failure instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class BackgroundThread:
    thread_name = "background"
    _thread: threading.Thread | None = None
    last_success: dt.datetime | None = None
    failing: str | None = None  # the present failure, until the next success
    failures: int = 0

    def _survive(self, work: Callable[[], T]) -> T | None:
        """One round of work: its result, or None after logging a failure (once until it works again)."""
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 - the thread outlives any one failure
            self.failures += 1
            if self.failing is None:
                log.exception("%s: unexpected error; it goes on and says so again only after a success", self.thread_name)
            self.failing = f"{type(exc).__name__}: {str(exc)[:200]}"
            return None
        if self.failing is not None:
            log.info("%s works again", self.thread_name)
            self.failing = None
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

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def ask_to_stop(self) -> None:
        """Tells the loop to end, without waiting for it."""
        self._ask_to_stop()

    def join(self, timeout: float) -> None:
        """Waits up to `timeout` seconds for the loop to end, then does what follows its end."""
        if self._thread is not None:
            self._thread.join(max(0.0, timeout))
        self._after_stop()

    def stop(self, timeout: float = 2.0) -> None:
        """Asks the loop to end and waits up to `timeout` seconds for it."""
        self._ask_to_stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self._after_stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        raise NotImplementedError

    def _ask_to_stop(self) -> None:
        raise NotImplementedError

    def _after_stop(self) -> None:
        """Runs on the stopping thread once the loop has ended (or was never started)."""


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
