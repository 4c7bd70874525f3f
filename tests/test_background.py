"""The helper-thread base: failures survived and said once, stops bounded in all."""

import logging
import threading
import time

from kiosk.boundary.background import BackgroundThread, stop_all


class Ticker(BackgroundThread):
    """Calls `work` until stopped; the Event is both its sleep and its stop signal."""

    thread_name = "ticker"

    def __init__(self, work, pause=0.01):
        self.work = work
        self.pause = pause
        self._stop_event = threading.Event()

    def _run(self):
        while not self._stop_event.is_set():
            self._survive(self.work)
            self._stop_event.wait(self.pause)

    def _ask_to_stop(self):
        self._stop_event.set()


def test_a_failure_is_logged_once_until_a_success(caplog):
    caplog.set_level(logging.INFO)
    outcomes = iter([ValueError("one"), ValueError("two"), None, ValueError("three")])

    def work():
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    ticker = Ticker(work)
    for _ in range(4):
        ticker._survive(work)
    assert caplog.text.count("ticker: unexpected error") == 2  # the first, and the first after a success
    assert caplog.text.count("ticker works again") == 1
    assert ticker.health()["failing"] == "ValueError: three" and ticker.health()["failures"] == 3


def test_stop_all_is_bounded_whatever_a_thread_does():
    stuck = threading.Event()
    hung = Ticker(lambda: stuck.wait(60))
    quick = Ticker(lambda: None)
    for thread in (hung, quick):
        thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    stop_all([hung, quick], seconds=0.5)
    assert time.monotonic() - started < 5  # bounded: the hung one is left behind as a daemon
    assert not quick.running
    stuck.set()
    hung.stop()
