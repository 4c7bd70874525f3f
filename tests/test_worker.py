import queue

from kiosk.picture.compose import Layout
from kiosk.core.config import DEFAULT_FONT
from kiosk.core.frames import FrameKey
from kiosk.core.messages import FrameFailed, FrameReady
from kiosk.boundary.worker import DecodeWorker

from .conftest import make_picture

LAYOUT = Layout(size=(160, 90), font=DEFAULT_FONT)


def key(path):
    return FrameKey(path, (1, 1), "", "answer", LAYOUT)


def test_poll_once_turns_a_request_into_a_frame(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/a.jpg"))
    assert worker.is_pending(key("answers/a.jpg"))
    assert worker.poll_once(timeout=1)
    message = inbox.get_nowait()
    assert isinstance(message, FrameReady) and message.frame.size == (160, 90)
    assert not worker.is_pending(key("answers/a.jpg"))


def test_bad_file_becomes_a_failure_message(tmp_path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "bad.jpg").write_text("nope")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/bad.jpg"))
    worker.poll_once(timeout=1)
    message = inbox.get_nowait()
    assert isinstance(message, FrameFailed) and "not a picture" in message.reason


def test_duplicate_requests_are_queued_once(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/a.jpg"))
    worker.request(key("answers/a.jpg"))
    assert worker.poll_once(timeout=1)
    assert not worker.poll_once(timeout=0.05)
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


def test_hold_keeps_new_jobs_waiting_until_release(tmp_path):
    import threading

    make_picture(tmp_path / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.hold()
    worker.request(key("answers/a.jpg"))
    done = threading.Event()
    threading.Thread(target=lambda: (worker.poll_once(timeout=1), done.set()), daemon=True).start()
    assert not done.wait(0.3)  # held: the request waits
    assert inbox.empty()
    worker.release()
    assert done.wait(5)
    assert isinstance(inbox.get_nowait(), FrameReady)


# --- priorities: the next slide always goes ahead of new files ------------------------

from kiosk.boundary.inflight import InFlightFile, left_in_flight  # noqa: E402
from kiosk.core.priority import Priority  # noqa: E402


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
    while worker.poll_once(timeout=0.01):
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
    assert worker.pending_count(Priority.ADMIT) == 1
    paths = []
    while worker.poll_once(timeout=0.01):
        paths.append(inbox.get_nowait().frame.key.path)
    assert paths == ["answers/b.jpg", "answers/a.jpg"]


def test_an_io_error_is_reported_as_passing(tmp_path):
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, tmp_path, DEFAULT_FONT, 50_000_000)
    worker.request(key("answers/gone.jpg"))
    worker.poll_once(timeout=1)
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
    worker.poll_once(timeout=1)
    assert seen["during"] == ("answers/a.jpg", (1, 1))
    assert left_in_flight(state) is None
    worker.stop()
    assert not (state / "decoding.json").exists()
