import queue

import pytest

from kiosk.boundary.worker import DecodeWorker
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.core.messages import FrameFailed, FrameReady
from kiosk.core.priority import Priority

from .conftest import FakeClock, make_picture

LAYOUT = Layout(size=(160, 90), font=DEFAULT_FONT)


def key(path):
    return FrameKey(path, (1, 1), "", "answer", LAYOUT)


def test_poll_once_turns_a_request_into_a_frame(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/a.jpg"))
    assert worker.poll_once()
    message = inbox.get_nowait()
    assert isinstance(message, FrameReady) and message.frame.size == (160, 90)
    assert not worker.poll_once() and inbox.empty(), "done: nothing is left waiting"
    worker.request(key("answers/a.jpg"))  # asked again once answered: made again
    assert worker.poll_once() and isinstance(inbox.get_nowait(), FrameReady)


def test_bad_file_becomes_a_failure_message(tmp_path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "bad.jpg").write_text("nope")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/bad.jpg"))
    worker.poll_once()
    message = inbox.get_nowait()
    assert isinstance(message, FrameFailed) and "not a picture" in message.reason


def test_duplicate_requests_are_queued_once(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/a.jpg"))
    worker.request(key("answers/a.jpg"))
    assert worker.poll_once()
    assert not worker.poll_once()
    assert inbox.qsize() == 1


def test_thread_starts_and_stops(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.start()
    worker.request(key("answers/a.jpg"))
    assert isinstance(inbox.get(timeout=5), FrameReady)
    assert worker.running
    worker.stop()
    assert not worker.running


def test_hold_keeps_new_jobs_waiting_until_release_or_for_five_seconds_at_most(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    clock = FakeClock()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000, clock=clock)
    worker.hold()
    worker.request(key("answers/a.jpg"))
    assert not worker.poll_once() and inbox.empty()  # held: the request waits
    assert worker._seconds_to_next_round() == 5.0
    worker.release()
    assert worker._seconds_to_next_round() is None  # nothing held: it sleeps until a request wakes it
    assert worker.poll_once()
    assert isinstance(inbox.get_nowait(), FrameReady)
    # A loop that forgot to release stalls decoding for five seconds, not for good.
    worker.hold()
    worker.request(key("answers/a.jpg"), Priority.AHEAD)
    clock.advance(5.0)
    assert worker.poll_once()


def test_the_thread_waits_for_the_release_of_a_hold(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.hold()
    worker.start()
    try:
        worker.request(key("answers/a.jpg"))
        with pytest.raises(queue.Empty):
            inbox.get(timeout=0.3)  # held: the request waits
        worker.release()
        assert isinstance(inbox.get(timeout=10), FrameReady)
    finally:
        worker.stop()


# --- priorities: the next slide always goes ahead of new files ------------------------

from kiosk.boundary.inflight import InFlightFile, left_in_flight


def test_the_next_slide_goes_ahead_of_admissions_and_prefetch(tmp_path):
    for name in ("new1", "new2", "ahead", "next"):
        make_picture(tmp_path / "answers" / f"{name}.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/new1.jpg"), Priority.ADMIT)
    worker.request(key("answers/new2.jpg"), Priority.ADMIT)
    worker.request(key("answers/ahead.jpg"), Priority.AHEAD)
    worker.request(key("answers/next.jpg"), Priority.NEXT)
    order = []
    while worker.poll_once():
        order.append(inbox.get_nowait().frame.key.path)
    assert order == ["answers/next.jpg", "answers/ahead.jpg", "answers/new1.jpg", "answers/new2.jpg"]


def test_a_waiting_request_asked_for_again_moves_up_once(tmp_path):
    for name in ("a", "b"):
        make_picture(tmp_path / "answers" / f"{name}.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/a.jpg"), Priority.ADMIT)
    worker.request(key("answers/b.jpg"), Priority.ADMIT)
    worker.request(key("answers/b.jpg"), Priority.NEXT)
    paths = []
    while worker.poll_once():
        paths.append(inbox.get_nowait().frame.key.path)
    assert paths == ["answers/b.jpg", "answers/a.jpg"], "b first, and made once: its first place in the queue is passed"


def test_an_io_error_is_reported_as_passing(tmp_path):
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/gone.jpg"))
    worker.poll_once()
    message = inbox.get_nowait()
    assert isinstance(message, FrameFailed) and message.passing and "gone" in message.reason


def test_the_picture_in_flight_is_on_disk_during_the_decode_only(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    state = tmp_path / "state"
    seen = {}

    class Watching(InFlightFile):
        def begin(self, path, version):
            super().begin(path, version)
            seen["during"] = left_in_flight(state)

    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000, in_flight=Watching(state))
    worker.request(key("answers/a.jpg"))
    worker.poll_once()
    assert seen["during"] == ("answers/a.jpg", (1, 1))
    assert left_in_flight(state) is None
    worker.stop()
    assert not (state / "decoding.json").exists()
