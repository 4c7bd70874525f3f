"""The render loop carrying out the director's effects: real pictures and files, a fake screen and clock.

The decode worker here is a working fake that prepares real frames from the
slide folder synchronously whenever the loop waits for a message, and the
loop's waits move a fake clock: no SDL, no threads, no sleeps.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import time
from zoneinfo import ZoneInfo

import pytest

from kiosk.app.show import DRAIN_SECONDS, Show
from kiosk.app.sinks import Sinks
from kiosk.boundary.clock import zone_named
from kiosk.boundary.folder import scan
from kiosk.boundary.notify import SystemdNotifier
from kiosk.boundary.playlog import PlayLog, read_play_log
from kiosk.boundary.power import DisplayPower
from kiosk.boundary.state import RotationStore, SlideRecorder
from kiosk.core.assets import DEFAULT_FONT
from kiosk.boundary.configfile import load_config
from kiosk.core.director import Director
from kiosk.core.errors import ContentError, PassingError
from kiosk.core.frames import FrameKey
from kiosk.core.messages import FrameFailed, FrameReady
from kiosk.core.playlist import FALLBACK_PATH, plan, playlist_settings
from kiosk.core.priority import Priority
from kiosk.picture.fonts import FontBook
from kiosk.picture.prepare import prepare_frame

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
SEOUL = ZoneInfo("Asia/Seoul")


class FakeScreen:
    """A working fake of kiosk.boundary.display.Screen that records what is drawn."""

    pixel_format = "BGRX"
    driver = "fake"

    def __init__(self, size=(96, 54), clock=None):
        self.size = size
        self.clock = clock or (lambda: 0.0)
        self.shown_at: list[float] = []
        self.drawn: list[tuple] = []  # ("show", surface, overlay) and ("blend", old, new, progress)
        self.surfaces_made = 0
        self.keys: list[str] = []
        self.closed = False

    def open(self):
        return self.size

    def surface_for(self, frame):
        self.surfaces_made += 1
        return ("surface", frame.key.path, self.clock())

    def blank(self, colour):
        return ("blank", colour)

    def update(self, surface, frame):
        self.drawn.append(("update", surface, frame.position, self.clock()))

    def show(self, surface, overlay=None):
        self.drawn.append(("show", surface, overlay))
        self.shown_at.append(self.clock())

    def blend(self, old, new, progress, overlay=None):
        self.drawn.append(("blend", old, new, progress))

    def poll_input(self):
        keys, self.keys = self.keys, []
        return keys

    def close(self):
        self.closed = True

    def on_screen(self):
        return self.drawn[-1][1] if self.drawn and self.drawn[-1][0] == "show" else None


class SyncWorker:
    """A working fake of the decode worker: prepares real frames, most urgent first, when the loop waits."""

    def __init__(self, inbox, folder):
        self.inbox = inbox
        self.folder = folder
        self.fonts = FontBook(DEFAULT_FONT)
        self.waiting: dict[FrameKey, Priority] = {}
        self.held = False
        self.busy: tuple[str, float] | None = None

    def request(self, key, priority=Priority.NEXT):
        self.waiting[key] = min(priority, self.waiting.get(key, priority))

    def busy_for(self):
        return self.busy

    def configure(self, slide_folder, font, max_pixels):
        self.folder = slide_folder

    def hold(self):
        self.held = True

    def release(self):
        self.held = False

    def work(self):
        if self.held or not self.waiting:
            return
        key = min(self.waiting, key=self.waiting.__getitem__)
        del self.waiting[key]
        try:
            self.inbox.put(FrameReady(prepare_frame(key, self.folder, self.fonts, 50_000_000)))
        except ContentError as exc:
            self.inbox.put(FrameFailed(key, str(exc)))
        except PassingError as exc:
            self.inbox.put(FrameFailed(key, str(exc), passing=True))


class FakeTimeInbox(queue.Queue):
    """The loop's inbox on the fake clock: an empty inbox lets the worker work, else the wait moves the clock."""

    def __init__(self, clock, worker_work):
        super().__init__()
        self.clock = clock
        self.worker_work = worker_work

    def get(self, block=True, timeout=None):
        if self.empty():
            self.worker_work()
        if self.empty():
            if block and timeout:
                self.clock.advance(timeout)
            raise queue.Empty
        return super().get(block=False)


class World:
    """A show on real files with a fake screen, a synchronous worker and a fake clock, wired as `kiosk run` does."""

    def __init__(self, config_path, wall_start=dt.datetime(2026, 12, 18, 12, 0, tzinfo=SEOUL), notifier=None,
                 status_writer=None, screenshots=None, clock_synchronised=lambda: True, players=None, speaker=None):
        self.config = load_config(config_path)
        self.clock = FakeClock()
        self.start = self.clock.now
        self.wall_start = wall_start
        self.screen = FakeScreen(clock=self.clock)
        self.inbox = FakeTimeInbox(self.clock, lambda: self.worker.work())
        self.worker = SyncWorker(self.inbox, self.config.slides.folder)
        store, play_log = RotationStore(self.config.state.dir), PlayLog(self.config.state.dir)
        director = Director(self.config, scan(self.config.slides.folder), store.load(self.config.playlist.seed or 0),
                            self.config.slides.folder, zone_named)
        sinks = Sinks(
            SlideRecorder(store, play_log), notifier or SystemdNotifier({}), DisplayPower(), status_writer, screenshots,
            writers=tuple(writer for writer in (store, play_log, status_writer, screenshots) if writer is not None),
        )
        self.show = Show(director, self.screen, self.worker, self.inbox, sinks, clock_synchronised=clock_synchronised,
                         clock=self.clock, wall_clock=self.wall, sleep=self.clock.sleep, players=players,
                         speaker=speaker)

    def wall(self):
        return self.wall_start + dt.timedelta(seconds=self.clock.now - self.start)

    def run(self, seconds):
        self.show.run(exit_after=seconds)
        return [record["path"] for record in read_play_log(self.config.state.dir)]

    def step_until(self, predicate, steps=2000):
        for _ in range(steps):
            self.show.step()
            if predicate():
                return
        raise AssertionError("not reached")


def world(tmp_path, slide_folder, body=FAST, **options):
    return World(write_config(tmp_path, body, slides=slide_folder), **options)


def planned_paths(config, start, count):
    saved = RotationStore(config.state.dir).load(config.playlist.seed)
    entries, _ = plan(saved.rotation, scan(config.slides.folder), playlist_settings(config), start, count)
    return [p.entry.path for p in entries]


# --- what it plays ------------------------------------------------------------------

def test_run_plays_exactly_what_plan_predicted_at_the_planned_times(tmp_path, slide_folder):
    box = world(tmp_path, slide_folder)
    predicted = planned_paths(box.config, box.wall(), 40)
    played = box.run(5.0)
    assert len(played) >= 15
    assert played == predicted[: len(played)]
    records = read_play_log(box.config.state.dir)
    first = records[0]
    assert first["kind"] == "contribute" and first["seconds"] == 0.3
    assert dt.datetime.fromisoformat(first["time"]) == box.wall_start  # aware, and the first at once
    gaps = [(dt.datetime.fromisoformat(b["time"]) - dt.datetime.fromisoformat(a["time"])).total_seconds()
            for a, b in zip(records, records[1:])]
    assert gaps == pytest.approx([r["seconds"] for r in records[:-1]], abs=0.002)


def test_restart_continues_with_the_next_slide(tmp_path, slide_folder):
    box = world(tmp_path, slide_folder)
    first_run = len(box.run(1.0))
    expected_next = planned_paths(box.config, box.wall(), 3)
    again = world(tmp_path, slide_folder)
    second_run = again.run(0.6)[first_run:]
    assert second_run[:2] == expected_next[:2]


def test_undecodable_files_are_skipped_logged_once_and_remembered(tmp_path, slide_folder, caplog):
    bad = slide_folder / "answers" / "a0-truncated.jpg"
    make_picture(bad, size=(600, 400))
    bad.write_bytes(bad.read_bytes()[:500])
    (slide_folder / "answers" / "a0-empty.jpg").write_bytes(b"")
    caplog.set_level(logging.WARNING)
    box = world(tmp_path, slide_folder)
    played = box.run(6.0)
    assert "answers/a0-truncated.jpg" not in played and "answers/a0-empty.jpg" not in played
    assert {"answers/a1.jpg", "answers/a2.jpg", "answers/a3.jpg", "answers/a4.jpg"} <= set(played)
    assert caplog.text.count("skipping answers/a0-truncated.jpg") == 1
    # An empty file never reaches the worker: the listing reports it.
    status = box.show.monitor.status()
    assert any("a0-empty.jpg: skipped: an empty file" in p for p in status["errors"]["content_problems"])
    assert "answers/a0-truncated.jpg" in status["errors"]["unusable_files"]
    assert "answers/a0-truncated.jpg" in RotationStore(box.config.state.dir).load(0).unusable


def test_an_empty_folder_shows_the_fallback(tmp_path):
    box = World(write_config(tmp_path, FAST, slides=tmp_path / "nothing-here"))
    played = box.run(0.8)
    assert played and set(played) == {FALLBACK_PATH}
    assert {r["kind"] for r in read_play_log(box.config.state.dir)} == {"fallback"}


# --- what it draws ---------------------------------------------------------------------

def test_a_still_picture_is_drawn_once(tmp_path, slide_folder):
    body = FAST.replace("contribute_seconds: 0.3", "contribute_seconds: 30").replace(
        "transition_seconds: 0.05", "transition_seconds: 0")
    box = world(tmp_path, slide_folder, body)
    box.run(10.0)
    assert box.show.slides_shown == 1
    assert [d[0] for d in box.screen.drawn] == ["show", "show"]  # the background at open, then the slide
    assert box.show.monitor.frame_stats.presented == 1


def test_a_fade_blends_from_the_old_slide_to_the_new_one(tmp_path, slide_folder):
    box = world(tmp_path, slide_folder, FAST.replace("transition_seconds: 0.05", "transition_seconds: 0.25"))
    box.run(1.0)
    blends = [d for d in box.screen.drawn if d[0] == "blend"]
    assert len(blends) > 3 * box.show.slides_shown
    assert blends[0][1] == ("blank", (0, 0, 0))  # the first fades in from the background
    second = next(b for b in blends if b[1][0] == "surface")
    assert second[1][1] == "contribute/c1.png"
    progress = [b[3] for b in blends if b[2] == second[2]]
    assert progress == sorted(progress) and progress[0] < 0.1


def test_the_next_slide_is_presented_with_the_surface_made_during_the_hold(tmp_path, slide_folder):
    box = world(tmp_path, slide_folder, FAST.replace("transition_seconds: 0.05", "transition_seconds: 0"))
    box.run(2.0)
    shows = [(d[1], at) for d, at in zip(box.screen.drawn, box.screen.shown_at) if d[0] == "show"][2:]
    assert len(shows) >= 6
    # Every slide after the first was made into a surface while the one before it held, not when it was due.
    assert all(surface[2] < shown_at for surface, shown_at in shows)


def test_a_lone_slide_repeating_is_not_redrawn(tmp_path):
    root = tmp_path / "slides"
    make_picture(root / "contribute" / "only.png")
    box = World(write_config(tmp_path, FAST.replace("transition_seconds: 0.05", "transition_seconds: 0.2"),
                             slides=root))
    played = box.run(1.5)
    assert len(played) >= 3 and set(played) == {"contribute/only.png"}
    assert box.show.monitor.frame_stats.presented <= 0.2 * 60 + 2, "only the first fade-in may draw"


def test_keys_reach_the_director_and_quit_stops(tmp_path, slide_folder, caplog):
    caplog.set_level(logging.INFO)
    body = FAST.replace("contribute_seconds: 0.3", "contribute_seconds: 60") + "  keys: true\n"
    box = world(tmp_path, slide_folder, body)
    box.show.open()
    box.step_until(lambda: box.show.slides_shown == 1 and not box.show.director.fading)
    box.screen.keys = ["info"]
    box.show.step()
    overlay = box.screen.drawn[-1][2]
    assert overlay[0].startswith("kiosk ") and "3 contribute, 4 answers" in overlay[2]
    box.screen.keys = ["next"]
    box.step_until(lambda: box.show.slides_shown == 2)
    box.screen.keys = ["quit"]
    box.show.run()  # opens again (the fake screen allows it) and ends at the first pass
    assert "quit requested" in caplog.text and box.screen.closed


def test_with_the_keys_off_no_key_does_anything_and_only_the_window_closes_it(tmp_path, slide_folder, caplog):
    caplog.set_level(logging.INFO)
    box = world(tmp_path, slide_folder, FAST.replace("contribute_seconds: 0.3", "contribute_seconds: 60"))
    box.show.open()
    box.step_until(lambda: box.show.slides_shown == 1 and not box.show.director.fading)
    drawn = len(box.screen.drawn)
    box.screen.keys = ["info", "pause", "next", "previous", "quit"]
    for _ in range(20):
        box.show.step()
    assert box.show.slides_shown == 1 and len(box.screen.drawn) == drawn, "nothing drawn, nothing skipped"
    assert box.show.monitor.status()["paused"] is False
    assert caplog.text.count("operator keys are off") == 1 and "quit requested" not in caplog.text
    box.screen.keys = ["close"]
    box.show.run()
    assert "quit requested" in caplog.text and box.screen.closed


def test_stop_ends_the_loop_after_the_pass(tmp_path, slide_folder):
    class StopWhenReady(SystemdNotifier):
        def ready(self, status=""):  # told as the first slide begins
            box.show.stop()

    box = world(tmp_path, slide_folder, notifier=StopWhenReady({}))
    box.run(30.0)
    assert box.show.slides_shown == 1
    assert box.show.monitor.status()["running"] is False


# --- the schedule, as the loop carries it out ------------------------------------------

def test_off_hours_run_the_display_commands_and_show_the_off_slide(tmp_path, slide_folder):
    off = make_picture(tmp_path / "goodnight.png", size=(160, 90), colour=(10, 200, 10))
    body = FAST + (f'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n  off_slide: {off}\n'
                   f"  display_off_command: touch {tmp_path / 'panel-off'}\n")
    box = world(tmp_path, slide_folder, body, wall_start=dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL))
    box.show.open()
    for _ in range(20):  # stepped, not run: the end of run() ends display commands still running
        box.show.step()
    assert box.show.slides_shown == 0
    assert box.screen.on_screen()[:2] == ("surface", str(off))
    deadline = time.monotonic() + 20  # a real process on its own thread
    while not (tmp_path / "panel-off").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (tmp_path / "panel-off").exists()


def test_an_unsynchronised_clock_is_said_once_and_shown_in_the_status(tmp_path, slide_folder, caplog):
    body = FAST + 'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n'
    synchronised = [False]
    box = world(tmp_path, slide_folder, body, wall_start=dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL),
                clock_synchronised=lambda: synchronised[0])
    box.show.open()
    for _ in range(20):
        box.show.step()
    assert box.show.director.hours.screen_on and box.show.slides_shown >= 1
    assert caplog.text.count("the system clock is not synchronised yet") == 1
    assert box.show.monitor.status()["clock_synchronised"] is False
    synchronised[0] = True
    box.clock.advance(11)  # asked again every 10 s
    box.show.step()
    assert not box.show.director.hours.screen_on


# --- the loop under load and fault --------------------------------------------------------

def test_a_flood_of_failures_does_not_keep_the_loop_from_its_watchdog(tmp_path, slide_folder):
    box = world(tmp_path, slide_folder)
    box.show.open()
    layout = box.show.director.frames.layout
    handled = []
    receive = box.show.director.receive

    def costly(message, now, wall):  # every message costs 1 ms of the (fake) clock
        handled.append(message)
        box.clock.advance(0.001)
        return receive(message, now, wall)

    box.show.director.receive = costly
    for index in range(1000):
        box.inbox.put(FrameFailed(FrameKey(f"answers/x{index}.jpg", (1, 1), "", "answer", layout), "not a picture"))
    box.show._drain_inbox()
    assert round(DRAIN_SECONDS / 0.001) <= len(handled) <= round(DRAIN_SECONDS / 0.001) + 1
    assert box.inbox.qsize() == 1000 - len(handled)


def test_a_worker_stuck_on_one_picture_silences_the_watchdog(tmp_path, slide_folder, caplog):
    sent = []

    class Recording(SystemdNotifier):
        def ping_watchdog(self):
            sent.append("WATCHDOG=1")

    box = world(tmp_path, slide_folder, notifier=Recording({}))
    box.show.open()
    box.worker.busy = ("answers/huge.jpg", 5.0)
    box.show.step(deadline=box.clock.now)
    assert sent == ["WATCHDOG=1"]
    box.worker.busy = ("answers/huge.jpg", 61.0)
    box.show.step(deadline=box.clock.now)
    box.show.step(deadline=box.clock.now)
    assert sent == ["WATCHDOG=1"]
    assert caplog.text.count("the decode worker has been preparing answers/huge.jpg") == 1
    assert box.show.monitor.status()["worker_stuck"] is True
    box.worker.busy = None
    box.show.step(deadline=box.clock.now)
    assert sent == ["WATCHDOG=1", "WATCHDOG=1"]


def test_a_state_folder_that_cannot_be_written_is_said_once(tmp_path, slide_folder, caplog):
    state = tmp_path / "state"
    (state / "rotation.json").mkdir(parents=True)  # every save fails, as on a full or read-only disk
    (state / "play.jsonl").mkdir()
    caplog.set_level(logging.WARNING)
    box = world(tmp_path, slide_folder)
    box.show.run(exit_after=3.0)
    assert box.show.slides_shown >= 4
    assert caplog.text.count("cannot save the rotation") == 1
    assert caplog.text.count("cannot write the play log") == 1
    assert len(box.show.monitor.status()["state_problems"]) == 2


def test_the_status_is_published_at_each_slide_and_the_last_says_stopped(tmp_path, slide_folder):
    class Writer:
        problem = None

        def __init__(self):
            self.statuses = []

        def update(self, status):
            self.statuses.append(status)

    writer = Writer()
    box = world(tmp_path, slide_folder, status_writer=writer)
    box.run(2.0)
    assert len(writer.statuses) >= box.show.slides_shown
    assert writer.statuses[-1]["running"] is False and writer.statuses[-2]["running"] is True
    last = writer.statuses[-1]
    assert last["frames"]["frames_presented"] == len(box.screen.drawn) - 1, "every frame drawn but the background"
    assert set(last["slides_shown"]) == {"contribute", "answer"}


def test_every_slide_presented_goes_to_the_screenshot_and_a_dark_screen_too(tmp_path, slide_folder):
    class Shots:
        def __init__(self):
            self.frames = []

        def presented(self, frame):
            self.frames.append(None if frame is None else frame.key.path)

    shots = Shots()
    box = world(tmp_path, slide_folder, screenshots=shots)
    played = box.run(2.0)
    assert shots.frames == played  # one per slide start, the frame actually presented
    night = FAST + 'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n'
    dark = Shots()
    box = world(tmp_path, slide_folder, night, wall_start=dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL),
                screenshots=dark)
    box.run(1.0)
    assert dark.frames == [None]


def test_the_play_log_says_how_long_a_paused_and_a_taken_down_slide_were_on_screen(tmp_path, slide_folder):
    body = FAST.replace("contribute_seconds: 0.3", "contribute_seconds: 2").replace(
        "answer_seconds: 0.2", "answer_seconds: 2") + "  keys: true\n  pause_seconds: 5\n"
    box = world(tmp_path, slide_folder, body)
    box.show.open()
    box.step_until(lambda: box.show.slides_shown == 1 and not box.show.director.fading)
    box.screen.keys = ["pause"]
    box.step_until(lambda: box.show.monitor.status()["paused"] is False and box.show.slides_shown == 2, steps=20000)
    second = box.show.director.on_screen
    box.step_until(lambda: not box.show.director.fading)
    box.clock.advance(0.5)
    (slide_folder / second.entry.path).unlink()
    from kiosk.core.messages import ContentChanged

    box.inbox.put(ContentChanged(scan(slide_folder)))
    box.step_until(lambda: box.show.slides_shown == 3 and not box.show.director.fading)
    paused, taken_down = read_play_log(box.config.state.dir)[:2]
    on_screen = [(dt.datetime.fromisoformat(line["left"]) - dt.datetime.fromisoformat(line["time"])).total_seconds()
                 for line in (paused, taken_down)]
    assert on_screen[0] == pytest.approx(2 + 5 + 0.05, abs=0.1), "its time, the pause that ended by itself, the fade"
    assert taken_down["path"] == second.entry.path and 0.5 < on_screen[1] < 2, "withdrawn 0.5 s in, not its planned 2 s"


class Speakers:
    """A working fake of kiosk.boundary.sound.Speaker that records what the loop asks of it."""

    def __init__(self):
        self.clock = None  # the world's, set once it is made
        self.asked: list[tuple] = []  # ("play", path, starts, folder, now), ("presented", path), ("stop",), ("close",)

    def play(self, key, starts, slide_folder):
        self.asked.append(("play", key.path, starts, slide_folder, self.clock.now))

    def presented(self, key):
        self.asked.append(("presented", None if key is None else key.path))

    def stop(self):
        self.asked.append(("stop",))

    def close(self):
        self.asked.append(("close",))

    def summary(self):
        return {"device": "open", "offset_seconds": {"0.5": 0.001}, "underruns": 0}

    def plays(self) -> list[tuple]:
        return [asked for asked in self.asked if asked[0] == "play"]


def sound_world(tmp_path, slide_folder, audio: bool, sidecar: str = "audio: true\n"):
    from tests.clips import make_clip

    make_clip(slide_folder / "contribute" / "v1.mp4", frames=10, rate=20)  # half a second
    (slide_folder / "contribute" / "v1.yaml").write_text(sidecar, encoding="utf-8")
    speaker = Speakers()
    box = world(tmp_path, slide_folder, FAST + f"  audio: {'true' if audio else 'false'}\n", speaker=speaker)
    speaker.clock = box.clock
    return box


def test_a_video_whose_sidecar_asks_for_sound_plays_it_from_the_slots_moment(tmp_path, slide_folder):
    box = sound_world(tmp_path, slide_folder, audio=True)
    box.run(4.0)
    speaker = box.show.speaker
    plays = speaker.plays()
    assert plays and {path for _, path, *_ in plays} == {"contribute/v1.mp4"}
    for _, _path, starts, folder, asked_at in plays:
        assert folder == slide_folder
        assert asked_at <= starts <= asked_at + 0.05 + 1e-9  # from the end of the fade in, as the picture
    after_first = speaker.asked[speaker.asked.index(plays[0]) + 1:]
    assert any(asked[0] == "presented" and asked[1] != "contribute/v1.mp4" for asked in after_first)  # it stops
    assert speaker.asked[-1] == ("close",)  # the show's end closes the device
    assert box.show.monitor.status()["sound"] == speaker.summary()


@pytest.mark.parametrize("audio, sidecar", [(False, "audio: true\n"), (True, "loop: 1\n")])
def test_no_sound_where_the_box_or_the_sidecar_does_not_ask_for_it(tmp_path, slide_folder, audio, sidecar):
    box = sound_world(tmp_path, slide_folder, audio=audio, sidecar=sidecar)
    played = box.run(4.0)
    assert "contribute/v1.mp4" in played
    assert box.show.speaker.plays() == [] and ("stop",) in box.show.speaker.asked


def test_a_show_without_a_speaker_says_no_sound_in_its_status(tmp_path, slide_folder):
    box = world(tmp_path, slide_folder)
    box.run(0.5)
    assert box.show.monitor.status()["sound"] is None
