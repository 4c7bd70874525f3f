"""The helper-thread base: failures survived and said once, stops bounded in all."""

import logging
import threading
import time

from kiosk.boundary.background import BackgroundThread, stop_all


class Ticker(BackgroundThread):
    """Calls `work` every `pause` seconds until stopped."""

    thread_name = "ticker"

    def __init__(self, work, pause=0.01):
        super().__init__()
        self.work = work
        self.pause = pause
        self.rounds = 0

    def poll_once(self):
        self.rounds += 1
        return self.work()

    def _seconds_to_next_round(self):
        return self.pause


class Waker(BackgroundThread):
    """Works only when woken: no timer."""

    thread_name = "waker"

    def __init__(self):
        super().__init__()
        self.rounds = 0
        self.closed = False

    def poll_once(self):
        self.rounds += 1

    def _close(self):
        self.closed = True


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


def test_a_thread_without_a_timer_works_only_when_woken_and_stops_at_once():
    waker = Waker()
    waker.start()
    try:
        time.sleep(0.2)
        assert waker.rounds == 0
        waker.wake()
        deadline = time.monotonic() + 10
        while waker.rounds == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waker.rounds == 1
    finally:
        waker.stop(timeout=10)
    assert not waker.running and waker.closed


def test_a_round_that_says_more_is_waiting_is_followed_at_once():
    results = iter([True, True, None])
    ticker = Ticker(lambda: next(results), pause=3600)
    ticker._wake.set()
    ticker.start()
    try:
        deadline = time.monotonic() + 10
        while ticker.rounds < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        assert ticker.rounds == 3  # then it sleeps for the hour
    finally:
        ticker.stop(timeout=10)


def test_an_exception_in_a_round_is_survived_by_the_thread(caplog):
    outcomes = iter([ValueError("bad"), None, None])

    def work():
        outcome = next(outcomes, None)
        if outcome is not None:
            raise outcome

    ticker = Ticker(work)
    ticker.start()
    try:
        deadline = time.monotonic() + 10
        while ticker.rounds < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ticker.running and ticker.health()["failing"] is None and ticker.failures == 1
    finally:
        ticker.stop(timeout=10)


def test_run_here_is_the_same_loop_in_the_foreground():
    ticker = Ticker(lambda: None, pause=0)
    ticker.work = lambda: ticker.ask_to_stop() if ticker.rounds >= 5 else None
    ticker.run_here()
    assert ticker.rounds == 5 and not ticker.running


def test_a_thread_never_started_closes_what_it_holds_when_joined():
    waker = Waker()
    waker.stop()
    assert waker.closed
