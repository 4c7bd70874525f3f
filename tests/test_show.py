"""The render loop, headless: what it plays, in which order, and what it skips."""

import dataclasses
import datetime as dt
import logging
import queue
import threading
import time

import pygame

import pytest

from kiosk.core.config import load_config
from kiosk.boundary.display import Screen
from kiosk.boundary.folder import scan
from kiosk.core.playlist import FALLBACK_PATH, plan
from kiosk.boundary.playlog import PlayLog, read_play_log
from kiosk.core.playlist import playlist_settings
from kiosk.app.show import Show
from kiosk.boundary.state import RotationStore
from kiosk.boundary.worker import DecodeWorker

from .conftest import FakeClock, make_picture, write_config

FAST = """
timing:
  contribute_seconds: 0.3
  answer_seconds: 0.2
  transition_seconds: 0.05
playlist:
  answers_per_contribute: 2
  seed: 11
display:
  fit: contain
"""


def build_show(config_path, screen_size=(96, 54)):
    config = load_config(config_path)
    inbox: queue.Queue = queue.Queue()
    worker = DecodeWorker(inbox, config.slides.folder, config.captions.font, config.decoding.max_pixels)
    show = Show(
        config, Screen(screen_size, windowed=True), worker, inbox, scan(config.slides.folder),
        RotationStore(config.state.dir), PlayLog(config.state.dir), seed=config.playlist.seed or 0,
    )
    return config, show, worker


def run_show(config_path, seconds):
    config, show, worker = build_show(config_path)
    worker.start()
    try:
        show.run(exit_after=seconds)
    finally:
        worker.stop()
    return config, show


def planned_paths(config, count):
    saved = RotationStore(config.state.dir).load(config.playlist.seed)
    entries, _ = plan(saved.rotation, scan(config.slides.folder), playlist_settings(config),
                      dt.datetime.now().astimezone(), count)
    return [p.entry.path for p in entries]


def test_run_plays_exactly_what_plan_predicted(tmp_path, slide_folder):
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    config = load_config(config_path)
    predicted = planned_paths(config, 40)
    run_show(config_path, 2.0)
    played = [record["path"] for record in read_play_log(config.state.dir)]
    assert len(played) >= 6
    assert played == predicted[: len(played)]


def test_play_log_records_kind_seconds_and_aware_time(tmp_path, slide_folder):
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    config, _show = run_show(config_path, 1.0)
    first = read_play_log(config.state.dir)[0]
    assert first["kind"] == "contribute" and first["seconds"] == 0.3
    assert dt.datetime.fromisoformat(first["time"]).tzinfo is not None


def test_restart_continues_with_the_next_slide(tmp_path, slide_folder):
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    config = load_config(config_path)
    run_show(config_path, 1.0)
    first_run = len(read_play_log(config.state.dir))
    expected_next = planned_paths(config, 3)
    run_show(config_path, 0.6)
    second_run = [r["path"] for r in read_play_log(config.state.dir)][first_run:]
    assert second_run[:2] == expected_next[:2]
    assert second_run[0] != "contribute/c1.png" or expected_next[0] == "contribute/c1.png"


def test_undecodable_files_are_skipped_and_logged_once(tmp_path, slide_folder, caplog):
    bad = slide_folder / "answers" / "a0-truncated.jpg"
    make_picture(bad, size=(600, 400))
    bad.write_bytes(bad.read_bytes()[:500])
    (slide_folder / "answers" / "a0-empty.jpg").write_bytes(b"")
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    caplog.set_level(logging.WARNING)
    config, show = run_show(config_path, 3.0)
    played = [r["path"] for r in read_play_log(config.state.dir)]
    assert "answers/a0-truncated.jpg" not in played and "answers/a0-empty.jpg" not in played
    assert {"answers/a1.jpg", "answers/a2.jpg", "answers/a3.jpg", "answers/a4.jpg"} <= set(played)
    assert caplog.text.count("skipping answers/a0-truncated.jpg") == 1
    # An empty file never reaches the worker: the listing reports it (kiosk run logs that once).
    assert any("a0-empty.jpg: skipped: an empty file" in p for p in show.status()["errors"]["content_problems"])


def test_known_bad_files_are_remembered_for_plan(tmp_path, slide_folder):
    (slide_folder / "answers" / "a0-bad.jpg").write_text("not a picture")
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    config, _show = run_show(config_path, 1.5)
    saved = RotationStore(config.state.dir).load(0)
    assert "answers/a0-bad.jpg" in saved.bad


def test_empty_folder_shows_the_fallback(tmp_path):
    config_path = write_config(tmp_path, FAST, slides=tmp_path / "nothing-here")
    config, show = run_show(config_path, 0.8)
    played = read_play_log(config.state.dir)
    assert played and {r["path"] for r in played} == {FALLBACK_PATH}
    assert {r["kind"] for r in played} == {"fallback"}


def test_every_answer_bad_falls_back_to_contribute_only(tmp_path):
    root = tmp_path / "slides"
    make_picture(root / "contribute" / "c1.png")
    (root / "answers").mkdir(parents=True)
    (root / "answers" / "x.jpg").write_text("junk")
    config_path = write_config(tmp_path, FAST, slides=root)
    config, _show = run_show(config_path, 1.2)
    assert {r["path"] for r in read_play_log(config.state.dir)} == {"contribute/c1.png"}


def test_a_still_picture_is_not_redrawn(tmp_path, slide_folder):
    body = FAST.replace("contribute_seconds: 0.3", "contribute_seconds: 30").replace(
        "transition_seconds: 0.05", "transition_seconds: 0"
    )
    config_path = write_config(tmp_path, body, slides=slide_folder)
    _config, show = run_show(config_path, 1.0)
    assert show.stats.slides_shown == 1
    assert show.stats.frames_drawn == 1


def test_a_fade_draws_intermediate_frames(tmp_path, slide_folder):
    body = FAST.replace("transition_seconds: 0.05", "transition_seconds: 0.25")
    config_path = write_config(tmp_path, body, slides=slide_folder)
    _config, show = run_show(config_path, 1.0)
    assert show.stats.frames_drawn > 3 * show.stats.slides_shown


def test_stop_from_another_thread_ends_the_loop(tmp_path, slide_folder):
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    _config, show, worker = build_show(config_path)
    worker.start()
    timer = threading.Timer(0.5, show.stop)
    timer.start()
    try:
        show.run(exit_after=30)
    finally:
        worker.stop()
        timer.cancel()
    assert show.stats.slides_shown >= 1


def test_a_lone_slide_repeating_is_not_redrawn(tmp_path):
    root = tmp_path / "slides"
    make_picture(root / "contribute" / "only.png")
    config_path = write_config(tmp_path, FAST.replace("transition_seconds: 0.05", "transition_seconds: 0.2"), slides=root)
    config, show = run_show(config_path, 1.5)
    assert show.stats.slides_shown >= 3
    fade_frames = show.stats.frames_drawn
    assert fade_frames <= 0.2 * 60 + 2, "only the first fade-in may draw"
    assert {r["path"] for r in read_play_log(config.state.dir)} == {"contribute/only.png"}


@pytest.mark.parametrize("transition", ["cut", "fade"])
def test_both_transitions_play(tmp_path, slide_folder, transition):
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    text = config_path.read_text().replace("transition_seconds: 0.05", f"transition_seconds: 0.05\n  transition: {transition}")
    config_path.write_text(text)
    config, show = run_show(config_path, 1.0)
    assert show.stats.slides_shown >= 3


# --- live changes, driven message by message ------------------------------------

class ManualWorker:
    """A working fake of the decode worker: it prepares frames only when told to."""

    def __init__(self, inbox, folder):
        self.inbox = inbox
        self.folder = folder
        self.requests = []
        self.priorities = {}
        from kiosk.picture.compose import FontBook
        from kiosk.core.config import DEFAULT_FONT

        self.fonts = FontBook(DEFAULT_FONT)

    def request(self, key, priority=0):
        if key not in self.requests:
            self.requests.append(key)
            self.priorities[key] = priority
        self.priorities[key] = min(priority, self.priorities[key])

    def is_pending(self, key):
        return key in self.requests

    def busy_for(self):
        return None

    def configure(self, slide_folder, font, max_pixels):
        self.folder = slide_folder

    def hold(self):
        self.held = True

    def release(self):
        self.held = False

    def finish(self, count=None):
        """Prepares the waiting requests, the most urgent first (all of them, or `count`)."""
        from kiosk.core.errors import ContentError, PassingError
        from kiosk.picture.prepare import prepare_frame
        from kiosk.core.messages import FrameFailed, FrameReady

        done = []
        for key in sorted(self.requests, key=lambda k: self.priorities[k])[:count]:
            try:
                self.inbox.put(FrameReady(prepare_frame(key, self.folder, self.fonts, 50_000_000)))
            except ContentError as exc:
                self.inbox.put(FrameFailed(key, str(exc)))
            except PassingError as exc:
                self.inbox.put(FrameFailed(key, str(exc), passing=True))
            done.append(key)
        for key in done:
            self.requests.remove(key)
            del self.priorities[key]
        return done


@pytest.fixture
def manual_show(tmp_path, slide_folder):
    config = load_config(write_config(tmp_path, FAST, slides=slide_folder))
    inbox: queue.Queue = queue.Queue()
    worker = ManualWorker(inbox, slide_folder)
    show = Show(
        config, Screen((96, 54), windowed=True), worker, inbox, scan(slide_folder),
        RotationStore(config.state.dir), PlayLog(config.state.dir), seed=1,
    )
    show.open()
    yield show, worker, inbox, slide_folder
    show.screen.close()


def deliver(show, inbox):
    while not inbox.empty():
        show._drain_inbox()


def test_a_new_picture_enters_the_rotation_only_after_it_decoded(manual_show):
    from kiosk.core.messages import ContentChanged

    show, worker, inbox, folder = manual_show
    make_picture(folder / "answers" / "new.jpg")
    inbox.put(ContentChanged(scan(folder)))
    deliver(show, inbox)
    assert show.catalogue.get("answers/new.jpg") is None
    assert any(key.path == "answers/new.jpg" for key in worker.requests)
    worker.finish()
    deliver(show, inbox)
    assert show.catalogue.get("answers/new.jpg") is not None


def test_a_new_broken_picture_never_enters(manual_show, caplog):
    from kiosk.core.messages import ContentChanged

    show, worker, inbox, folder = manual_show
    (folder / "answers" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    inbox.put(ContentChanged(scan(folder)))
    deliver(show, inbox)
    worker.finish()
    deliver(show, inbox)
    assert show.catalogue.get("answers/broken.jpg") is None
    assert "skipping answers/broken.jpg" in caplog.text


def test_a_deleted_upcoming_slide_is_replaced(manual_show):
    from kiosk.core.messages import ContentChanged

    show, worker, inbox, folder = manual_show
    upcoming = show.upcoming.entry.path
    (folder / upcoming).unlink()
    inbox.put(ContentChanged(scan(folder)))
    deliver(show, inbox)
    assert show.upcoming.entry.path != upcoming
    assert show.catalogue.get(upcoming) is None


def test_a_config_change_applies_to_the_next_slide(manual_show, tmp_path):
    from kiosk.core.messages import ConfigChanged

    show, worker, inbox, folder = manual_show
    changed = load_config(write_config(tmp_path, FAST.replace("contribute_seconds: 0.3", "contribute_seconds: 5"), slides=folder))
    inbox.put(ConfigChanged(changed))
    deliver(show, inbox)
    assert show.config.timing.contribute_seconds == 5
    assert show.upcoming.entry.seconds == 5  # the first slide is a contribute slide


def test_a_replaced_picture_keeps_its_old_version_until_the_new_one_decoded(manual_show):
    from kiosk.core.messages import ContentChanged

    show, worker, inbox, folder = manual_show
    old = show.catalogue.get("answers/a1.jpg")
    make_picture(folder / "answers" / "a1.jpg", size=(500, 300), colour=(1, 2, 3))
    inbox.put(ContentChanged(scan(folder)))
    deliver(show, inbox)
    assert show.catalogue.get("answers/a1.jpg") == old
    worker.finish()
    deliver(show, inbox)
    assert show.catalogue.get("answers/a1.jpg").version != old.version


def test_rotation_change_applies_without_a_new_window(manual_show, tmp_path):
    from kiosk.core.messages import ConfigChanged

    show, worker, inbox, folder = manual_show
    rotated = load_config(write_config(tmp_path, FAST + "  rotation: 90\n", slides=folder))
    inbox.put(ConfigChanged(rotated))
    deliver(show, inbox)
    assert show.layout.size == (54, 96) and show.layout.panel_size == (96, 54)
    assert show.upcoming.key.layout.rotation == 90


# --- schedule and keys ------------------------------------------------------------

class FakeWall:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


@pytest.fixture
def scheduled_show(tmp_path, slide_folder):
    from zoneinfo import ZoneInfo

    seoul = ZoneInfo("Asia/Seoul")
    wall = FakeWall(dt.datetime(2026, 12, 18, 22, 59, 59, tzinfo=seoul))
    body = FAST + f"""schedule:
  hours: "07:00-23:00"
  timezone: Asia/Seoul
  display_off_command: touch {tmp_path / 'panel-off'}
  display_on_command: touch {tmp_path / 'panel-on'}
"""
    config = load_config(write_config(tmp_path, body, slides=slide_folder))
    inbox: queue.Queue = queue.Queue()
    worker = ManualWorker(inbox, slide_folder)
    show = Show(
        config, Screen((96, 54), windowed=True), worker, inbox, scan(slide_folder),
        RotationStore(config.state.dir), PlayLog(config.state.dir), seed=1, wall_clock=wall,
    )
    show.open()
    yield show, worker, wall, tmp_path, seoul
    show.screen.close()


def step_until(show, worker, predicate, steps=200):
    for _ in range(steps):
        worker.finish()
        show.step()
        if predicate():
            return
    raise AssertionError("not reached")


def test_screen_turns_off_at_the_minute_and_back_on_exactly_on_time(scheduled_show):
    show, worker, wall, tmp_path, seoul = scheduled_show
    step_until(show, worker, lambda: show.stats.slides_shown == 1)
    wall.moment = dt.datetime(2026, 12, 18, 23, 0, 0, tzinfo=seoul)
    show.step()
    assert not show.screen_on and show.on_screen is None and show.upcoming is None
    for _ in range(5):
        show.step()
    assert show.stats.slides_shown == 1, "no slide starts while the screen is off"
    wait_for_file = time.monotonic() + 10
    while not (tmp_path / "panel-off").exists() and time.monotonic() < wait_for_file:
        time.sleep(0.05)
    assert (tmp_path / "panel-off").exists()
    wall.moment = dt.datetime(2026, 12, 19, 7, 0, 0, tzinfo=seoul)
    step_until(show, worker, lambda: show.stats.slides_shown == 2)
    last = read_play_log(show.config.state.dir)[-1]
    assert last["time"] == "2026-12-19T07:00:00.000+09:00"
    while not (tmp_path / "panel-on").exists() and time.monotonic() < wait_for_file + 10:
        time.sleep(0.05)
    assert (tmp_path / "panel-on").exists()


def test_starting_while_off_shows_no_slide(tmp_path, slide_folder):
    from zoneinfo import ZoneInfo

    wall = FakeWall(dt.datetime(2026, 12, 18, 3, 0, tzinfo=ZoneInfo("Asia/Seoul")))
    body = FAST + 'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n'
    config = load_config(write_config(tmp_path, body, slides=slide_folder))
    inbox: queue.Queue = queue.Queue()
    worker = ManualWorker(inbox, slide_folder)
    show = Show(config, Screen((96, 54), windowed=True), worker, inbox, scan(slide_folder),
                RotationStore(config.state.dir), PlayLog(config.state.dir), seed=1, wall_clock=wall)
    show.open()
    try:
        for _ in range(5):
            worker.finish()
            show.step()
        assert show.stats.slides_shown == 0 and not show.screen_on
    finally:
        show.screen.close()


def press(key, mod=0):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod))


def test_next_previous_and_pause_keys(manual_show):
    show, worker, inbox, folder = manual_show
    long_slides = dataclasses.replace(
        show.config, timing=dataclasses.replace(show.config.timing, contribute_seconds=60, answer_seconds=60)
    )
    show.config = long_slides
    step_until(show, worker, lambda: show.stats.slides_shown == 1)
    show._choose_upcoming(show.upcoming.due, show.upcoming.due_wall)  # with the long timing
    first = show.on_screen.entry.path
    press(pygame.K_RIGHT)
    step_until(show, worker, lambda: show.stats.slides_shown == 2)
    second = show.on_screen.entry.path
    assert second != first
    press(pygame.K_LEFT)
    step_until(show, worker, lambda: show.stats.slides_shown == 3)
    assert show.on_screen.entry.path == first
    press(pygame.K_SPACE)
    show.step()
    assert show.paused_remaining is not None
    press(pygame.K_RIGHT)  # next also ends a pause
    step_until(show, worker, lambda: show.stats.slides_shown == 4)
    assert show.paused_remaining is None


def test_pause_holds_the_slide(manual_show):
    show, worker, inbox, folder = manual_show
    step_until(show, worker, lambda: show.stats.slides_shown == 1)
    press(pygame.K_p)
    show.step()
    deadline = time.monotonic() + 1.0  # longer than any slide of FAST
    while time.monotonic() < deadline:
        worker.finish()
        show.step()
    assert show.stats.slides_shown == 1
    press(pygame.K_p)
    step_until(show, worker, lambda: show.stats.slides_shown == 2)


def test_info_overlay_toggles(manual_show):
    show, worker, inbox, folder = manual_show
    step_until(show, worker, lambda: show.stats.slides_shown == 1)
    press(pygame.K_i)
    show.step()
    lines = show._overlay()
    assert lines[0].startswith("kiosk ") and "box " in lines[0]
    assert lines[1].startswith("on screen: ")
    assert "3 contribute, 4 answers" in lines[2]
    press(pygame.K_i)
    show.step()
    assert show._overlay() is None


def night_show(tmp_path, slide_folder, off):
    """A show opened at 03:00 in Seoul with the screen scheduled off and `off` as its off slide."""
    from zoneinfo import ZoneInfo

    wall = FakeWall(dt.datetime(2026, 12, 18, 3, 0, tzinfo=ZoneInfo("Asia/Seoul")))
    body = FAST + f'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n  off_slide: {off}\n'
    config = load_config(write_config(tmp_path, body, slides=slide_folder))
    inbox: queue.Queue = queue.Queue()
    worker = ManualWorker(inbox, slide_folder)
    show = Show(config, Screen((96, 54), windowed=True), worker, inbox, scan(slide_folder),
                RotationStore(config.state.dir), PlayLog(config.state.dir), seed=1, wall_clock=wall)
    show.open()
    return show, worker


def test_off_slide_is_shown_while_the_screen_is_off(tmp_path, slide_folder):
    from .conftest import make_picture as picture

    off = picture(tmp_path / "goodnight.png", size=(160, 90), colour=(10, 200, 10))
    show, worker = night_show(tmp_path, slide_folder, off)
    try:
        # Black at once, the off slide as soon as the worker (not the render loop) has prepared it.
        assert pygame.display.get_surface().get_at((48, 27))[:3] == (0, 0, 0)
        assert [key.kind for key in worker.requests] == ["off"]
        step_until(show, worker, lambda: pygame.display.get_surface().get_at((48, 27))[1] > 180)
        red, green, blue = pygame.display.get_surface().get_at((48, 27))[:3]
        assert green > 180 and red < 40
        assert show.stats.slides_shown == 0
    finally:
        show.screen.close()


def test_an_unusable_off_slide_leaves_the_screen_black(tmp_path, slide_folder, caplog):
    off = tmp_path / "goodnight.png"
    off.write_bytes(b"not a picture")
    show, worker = night_show(tmp_path, slide_folder, off)
    try:
        step_until(show, worker, lambda: "off slide" in caplog.text)
        assert pygame.display.get_surface().get_at((48, 27))[:3] == (0, 0, 0)
        assert str(off) not in show.bad  # the off slide is not a slide of the rotation
    finally:
        show.screen.close()


def test_the_slides_after_the_next_are_prefetched_in_plan_order(manual_show):
    from kiosk.core.playlist import playlist_settings
    from kiosk.app.show import PREFETCH_SLIDES

    show, worker, inbox, folder = manual_show
    upcoming = show.upcoming
    start = upcoming.due_wall + dt.timedelta(seconds=upcoming.entry.seconds)
    expected, _ = plan(upcoming.rotation, show.catalogue, playlist_settings(show.config), start, PREFETCH_SLIDES)
    requested = [key.path for key in worker.requests]
    assert requested[0] == upcoming.entry.path
    assert requested[1:] == [p.entry.path for p in expected if p.entry.path != upcoming.entry.path][: len(requested) - 1]
    assert len(requested) > 1


def test_prefetch_stays_within_half_the_cache(manual_show):
    show, worker, inbox, folder = manual_show
    worker.requests.clear()
    show.cache.max_bytes = show.layout.frame_bytes * 4  # half of it: the next frame and one more
    show._request_upcoming()
    assert len(worker.requests) == 2


def test_prefetch_counts_frames_at_their_real_size(manual_show):
    show, worker, inbox, folder = manual_show
    assert show.layout.pixel_format == "BGRX"  # 4 bytes a pixel, not 3
    worker.requests.clear()
    show.cache.max_bytes = show.layout.frame_bytes * 4 - 2  # half is a byte short of two frames
    show._request_upcoming()
    assert len(worker.requests) == 1


def test_the_next_slide_becomes_a_surface_during_the_hold_not_at_its_due_moment(tmp_path, slide_folder):
    config = load_config(write_config(tmp_path, FAST, slides=slide_folder))
    inbox: queue.Queue = queue.Queue()
    worker = ManualWorker(inbox, slide_folder)
    clock = FakeClock()
    show = Show(
        config, Screen((96, 54), windowed=True), worker, inbox, scan(slide_folder),
        RotationStore(config.state.dir), PlayLog(config.state.dir), seed=1, clock=clock, sleep=clock.sleep,
    )
    show._wait_for_message = clock.sleep  # the loop's idle wait, on the stopped clock
    show.open()
    try:
        step_until(show, worker, lambda: show.stats.slides_shown == 1 and show.fade is None)
        upcoming = show.upcoming
        assert upcoming is not None and clock.now < upcoming.due
        worker.finish()
        show._drain_inbox()
        show._prepare_upcoming_surface()
        prepared = upcoming.surface
        assert prepared is not None, "made while the first slide holds"
        clock.now = upcoming.due
        show.step()
        assert show.on_screen.key == upcoming.key and show.on_screen.surface is prepared
    finally:
        show.screen.close()


# --- hostile content while the show runs ------------------------------------------

def test_a_burst_of_new_photos_never_delays_the_next_slide(manual_show):
    from kiosk.app.show import ADMIT_IN_FLIGHT
    from kiosk.core.messages import ContentChanged
    from kiosk.core.priority import Priority

    show, worker, inbox, folder = manual_show
    worker.finish()
    deliver(show, inbox)
    next_key = show.upcoming.key
    assert next_key in show.cache
    for index in range(150):
        make_picture(folder / "answers" / f"burst{index:03d}.jpg", size=(64, 48))
    inbox.put(ContentChanged(scan(folder)))
    deliver(show, inbox)
    admitting = [key for key in worker.requests if worker.priorities[key] == Priority.ADMIT]
    assert len(admitting) == ADMIT_IN_FLIGHT and len(show.awaiting) == 150
    # Admission frames never push the prepared next frame out of a full cache.
    show.cache.max_bytes = show.cache.nbytes + next_key.layout.frame_bytes
    for _round in range(80):
        worker.finish(1)
        deliver(show, inbox)
        assert next_key in show.cache
    assert len(show.awaiting) == 150 - 80


def test_when_the_next_slide_is_due_its_request_goes_first(manual_show):
    from kiosk.core.messages import ContentChanged
    from kiosk.core.priority import Priority

    show, worker, inbox, folder = manual_show
    for index in range(20):
        make_picture(folder / "answers" / f"new{index:02d}.jpg", size=(64, 48))
    show.cache.clear()
    inbox.put(ContentChanged(scan(folder)))
    deliver(show, inbox)
    show._request_upcoming()
    first = worker.finish(1)
    assert first == [show.upcoming.key] and worker.priorities.get(first[0]) is None
    assert all(worker.priorities[key] >= Priority.AHEAD for key in worker.requests)


def test_a_passing_failure_is_retried_later_and_never_marks_the_file(manual_show, caplog):
    from kiosk.core.messages import FrameFailed

    show, worker, inbox, _folder = manual_show
    worker.finish()
    deliver(show, inbox)
    upcoming = show.upcoming
    inbox.put(FrameFailed(upcoming.key, "cannot open: Input/output error", passing=True))
    inbox.put(FrameFailed(upcoming.key, "cannot open: Input/output error", passing=True))
    deliver(show, inbox)
    assert upcoming.entry.path not in show.bad
    assert show.retry[upcoming.entry.path].delay == 10.0  # 5 s, then doubled
    assert show.upcoming.entry.path != upcoming.entry.path  # another slide in its place meanwhile
    assert caplog.text.count(f"cannot prepare {upcoming.entry.path} now") == 1
    assert show.status()["errors"]["retrying"] == {upcoming.entry.path: "cannot open: Input/output error"}
    assert upcoming.entry.path not in show.status()["errors"]["unusable_files"]


def test_a_run_of_broken_picks_continues_the_bag_instead_of_reshuffling(manual_show):
    from kiosk.core.messages import FrameFailed

    show, worker, inbox, _folder = manual_show
    worker.finish()
    deliver(show, inbox)
    chosen = []
    for _ in range(3):
        upcoming = show.upcoming
        chosen.append(upcoming.entry.path)
        inbox.put(FrameFailed(upcoming.key, "not a picture Pillow can read"))
        deliver(show, inbox)
    assert len(set(chosen)) == 3
    assert show.upcoming.rotation.round == max(1, show.rotation.round)


def test_a_flood_of_failures_does_not_keep_the_loop_from_its_watchdog(manual_show):
    from kiosk.core.frames import FrameKey
    from kiosk.app.show import DRAIN_SECONDS
    from kiosk.core.messages import FrameFailed

    show, _worker, inbox, _folder = manual_show
    clock = FakeClock()
    show.clock = clock
    layout = show.layout

    class Ticking:
        """Every message handled costs 1 ms of the (fake) clock."""

        def __init__(self):
            self.handled = 0

    ticking = Ticking()
    original = show._handle

    def handle(message):
        ticking.handled += 1
        clock.advance(0.001)
        original(message)

    show._handle = handle
    for index in range(1000):
        inbox.put(FrameFailed(FrameKey(f"answers/x{index}.jpg", (1, 1), "", "answer", layout), "not a picture"))
    show._drain_inbox()
    assert round(DRAIN_SECONDS / 0.001) <= ticking.handled <= round(DRAIN_SECONDS / 0.001) + 1
    assert inbox.qsize() == 1000 - ticking.handled


def test_a_worker_stuck_on_one_picture_silences_the_watchdog(manual_show, caplog):
    from kiosk.boundary.notify import SystemdNotifier

    show, worker, _inbox, _folder = manual_show
    sent = []

    class Recording(SystemdNotifier):
        def ping_watchdog(self):
            sent.append("WATCHDOG=1")

    show.notifier = Recording({})
    worker.busy_for = lambda: ("answers/huge.jpg", 5.0)
    show.step(deadline=0)
    assert sent == ["WATCHDOG=1"]
    worker.busy_for = lambda: ("answers/huge.jpg", 61.0)
    show.step(deadline=0)
    show.step(deadline=0)
    assert sent == ["WATCHDOG=1"]
    assert caplog.text.count("the decode worker has been preparing answers/huge.jpg") == 1
    assert show.status()["worker_stuck"] is True
    worker.busy_for = lambda: None
    show.step(deadline=0)
    assert sent == ["WATCHDOG=1", "WATCHDOG=1"]


def test_an_unsynchronised_clock_never_blanks_the_screen(tmp_path, slide_folder, caplog):
    """A Pi boots with yesterday's time: until NTP has set the clock, the schedule does not blank."""
    from zoneinfo import ZoneInfo

    wall = FakeWall(dt.datetime(2026, 12, 18, 3, 0, tzinfo=ZoneInfo("Asia/Seoul")))
    body = FAST + 'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n'
    config = load_config(write_config(tmp_path, body, slides=slide_folder))
    inbox: queue.Queue = queue.Queue()
    worker = ManualWorker(inbox, slide_folder)
    synchronised = [False]
    show = Show(config, Screen((96, 54), windowed=True), worker, inbox, scan(slide_folder),
                RotationStore(config.state.dir), PlayLog(config.state.dir), seed=1, wall_clock=wall,
                clock_synchronised=lambda: synchronised[0])
    show.clock = FakeClock()
    show.open()
    try:
        for _ in range(5):
            worker.finish()
            show.step(deadline=0)
        assert show.screen_on
        assert caplog.text.count("the system clock is not synchronised yet") == 1
        assert show.status()["clock_synchronised"] is False
        synchronised[0] = True
        show.clock.advance(11)  # asked again every 10 s
        show.step(deadline=0)
        assert not show.screen_on  # now the schedule applies: 03:00 is off
    finally:
        show.screen.close()


def test_a_state_folder_that_cannot_be_written_is_said_once(tmp_path, slide_folder, caplog):
    state = tmp_path / "state"
    (state / "rotation.json").mkdir(parents=True)  # every save fails, as on a full or read-only disk
    (state / "play.jsonl").mkdir()
    config_path = write_config(tmp_path, FAST, slides=slide_folder)
    caplog.set_level(logging.WARNING)
    config, show = run_show(config_path, 1.5)
    assert show.stats.slides_shown >= 4
    assert caplog.text.count("cannot save the rotation") == 1
    assert caplog.text.count("cannot write the play log") == 1
    assert len(show.status()["state_problems"]) == 2
