"""Every key that is not restart-only takes effect in a running kiosk, as docs/configuration.md says.

Each case runs the show (kiosk.app.show, on the in-process harness of
tests/test_show.py: real files, real frames, a fake screen and clock),
rewrites config.yaml with one key changed, loads it as the config watcher
does (kiosk.boundary.fleetfile) and hands the show the new config. It runs
twice: once with the key changed, where the effect must be seen, and once
with the file rewritten unchanged, where it must not, so that no case can
pass by seeing nothing.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import logging
import shutil
import time
from pathlib import Path
from typing import Callable

import pytest

from kiosk.boundary.fleetfile import load_box_config
from kiosk.boundary.folder import scan
from kiosk.boundary.playlog import read_play_log
from kiosk.boundary.sound import Speaker
from kiosk.core.config import NEEDS_RESTART, SECTIONS, keys
from kiosk.core.messages import ConfigChanged, ContentChanged
from kiosk.core.priority import Priority

from .clips import make_clip
from .conftest import make_picture, write_config
from .test_show import SEOUL, World

BASE = {
    "timing": {"contribute_seconds": "0.3", "answer_seconds": "0.2", "transition_seconds": "0.05"},
    "playlist": {"answers_per_contribute": "2", "seed": "11"},
    "display": {"fit": "contain"},
    "schedule": {"timezone": "Asia/Seoul"},
}
NOON = dt.datetime(2026, 12, 18, 12, 0, tzinfo=SEOUL)


def yaml_of(sections: dict[str, dict[str, str]]) -> str:
    return "".join(f"{name}:\n" + "".join(f"  {key}: {value}\n" for key, value in values.items())
                   for name, values in sections.items())


class Box:
    """A running show whose config.yaml a case rewrites; it records what the screen and the worker are asked."""

    def __init__(self, folder: Path, slides: Path, apply: bool, base: dict | None = None,
                 panel: tuple[int, int] | None = None, speaker=None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.sections = copy.deepcopy(BASE if base is None else base)
        self.apply = apply
        self.slides = slides
        self.folder = folder
        self.path = self._write()
        self.world = World(self.path, wall_start=NOON, speaker=speaker)
        self.clock = self.world.clock
        self.requests: list = []  # (time, frame key, priority)
        self.configured: list = []  # (font, max_pixels)
        self.blends: list = []  # (time, progress)
        worker, screen = self.world.worker, self.world.screen
        request, configure, blend = worker.request, worker.configure, screen.blend

        def requested(key, priority=Priority.NEXT):
            self.requests.append((self.clock.now, key, priority))
            return request(key, priority)

        def configured(slide_folder, font, max_pixels):
            self.configured.append((font, max_pixels))
            return configure(slide_folder, font, max_pixels)

        def blended(old, new, progress, overlay=None):
            self.blends.append((self.clock.now, progress))
            return blend(old, new, progress, overlay)

        # The harness's own fakes, recording what the show asks of them.
        worker.request, worker.configure, screen.blend = requested, configured, blended
        if panel is not None:
            screen.size = panel
        self.changed_at = self.clock.now
        self.changed_wall = self.world.wall()
        self.world.show.open()

    def _write(self) -> Path:
        """config.yaml from the sections (write_config gives the slide and state folders, and state's keys)."""
        others = {name: values for name, values in self.sections.items() if name != "state"}
        state = "".join(f"  {key}: {value}\n" for key, value in self.sections.get("state", {}).items())
        return write_config(self.folder, yaml_of(others), slides=self.slides,
                            state_extra="  play_log_lines_per_write: 1\n" + state)

    def run(self, seconds: float) -> None:
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.world.show.step(end)

    def run_until(self, reached: Callable[[], bool], seconds: float = 10.0) -> None:
        end = self.clock.now + seconds
        while not reached():
            assert self.clock.now < end, "not reached"
            self.world.show.step(end)

    def on_screen(self) -> str | None:
        shown = self.world.show.monitor.status()["on_screen"]
        return None if shown is None else shown["path"]

    def change(self, section: str, key: str, value: str) -> None:
        """Rewrites config.yaml, with the key changed if this run applies it, and hands the show what it loads."""
        if self.apply:
            self.sections.setdefault(section, {})[key] = value
        self._write()
        config, fleet = load_box_config(self.path)
        self.world.inbox.put(ConfigChanged(config, fleet.status()))
        self.changed_at, self.changed_wall = self.clock.now, self.world.wall()

    def played_after(self) -> list[dict]:
        """The play log's records of the slides that began after the change."""
        return [record for record in read_play_log(self.world.config.state.dir)
                if dt.datetime.fromisoformat(record["time"]) > self.changed_wall]

    def requested_after(self) -> list:
        return [key for moment, key, _priority in self.requests if moment >= self.changed_at]


Case = Callable[[Callable[..., Box]], bool]
CASES: dict[str, Case] = {}


def case(*dotted: str):
    def register(function: Case) -> Case:
        for key in dotted:
            CASES[key] = function
        return function
    return register


def changed(make: Callable[..., Box], dotted: str, value: str, seconds: float = 3.0, **options) -> Box:
    """A box that has shown slides for a second, then `seconds` more after the key was changed."""
    box = make(**options)
    box.run(1.0)
    section, key = dotted.split(".")
    box.change(section, key, value)
    box.run(seconds)
    return box


def _kinds_and_paths(box: Box) -> list[tuple[str, str]]:
    return [(record["kind"], record["path"]) for record in box.played_after()]


# --- timing --------------------------------------------------------------------------

def _seconds_case(kind: str, seconds: float) -> Case:
    def check(make):
        box = changed(make, f"timing.{kind}_seconds", str(seconds))
        shown = [record["seconds"] for record in box.played_after() if record["kind"] == kind]
        return len(shown) >= 2 and set(shown) == {seconds}
    return check


CASES["timing.contribute_seconds"] = _seconds_case("contribute", 0.4)
CASES["timing.answer_seconds"] = _seconds_case("answer", 0.25)


@case("timing.transition")
def _(make):
    box = changed(make, "timing.transition", "cut")
    later = box.changed_at + 0.5  # the slide on screen may have faded in already
    return len(box.played_after()) >= 5 and not [moment for moment, _ in box.blends if moment > later]


def _fades(box: Box, since: float) -> list[list[float]]:
    """The moments of the blends of each fade after `since` (the first and last may be cut by the window)."""
    fades: list[list[float]] = []
    previous = None
    for moment, progress in box.blends:
        if moment <= since:
            continue
        if previous is None or progress <= previous:
            fades.append([])
        fades[-1].append(moment)
        previous = progress
    return fades[1:-1]


def _fade_lengths(box: Box, since: float) -> list[float]:
    """How long each fade lasted, from its first blend to its last."""
    return [fade[-1] - fade[0] for fade in _fades(box, since)]


def _blends_per_fade(box: Box, since: float) -> list[int]:
    return [len(fade) for fade in _fades(box, since)]


@case("timing.transition_seconds")
def _(make):
    box = changed(make, "timing.transition_seconds", "0.15")
    lengths = _fade_lengths(box, box.changed_at + 0.5)
    return len(lengths) >= 3 and min(lengths) > 0.1


# --- playlist -------------------------------------------------------------------------

@case("playlist.answers_per_contribute")
def _(make):
    box = changed(make, "playlist.answers_per_contribute", "0")
    kinds = [kind for kind, _path in _kinds_and_paths(box)]
    return len(kinds) >= 5 and set(kinds) == {"contribute"}


@case("playlist.order")
def _(make):
    box = changed(make, "playlist.order", "sorted", 6.0)
    # The round under way keeps the order it was dealt in; the next ones are dealt sorted.
    answers = [path for kind, path in _kinds_and_paths(box) if kind == "answer"][-8:]
    names = sorted(set(answers))
    following = [names[(names.index(a) + 1) % len(names)] == b for a, b in zip(answers, answers[1:])]
    return len(answers) == 8 and all(following)


@case("playlist.new_first")
def _(make):
    base = copy.deepcopy(BASE)
    base["playlist"]["order"] = "sorted"
    box = make(base=base)
    box.run(0.5)
    box.change("playlist", "new_first", "false")
    box.run(0.5)
    # A round has just begun: three of its answers are still to come when the new one arrives.
    box.run_until(lambda: box.on_screen() == "answers/a1.jpg")
    folder = box.world.config.slides.folder
    make_picture(folder / "answers" / "a9.jpg")
    arrived = box.world.wall()
    box.world.inbox.put(ContentChanged(scan(folder)))
    box.run(2.0)
    answers = [record["path"] for record in box.played_after()
               if record["kind"] == "answer" and dt.datetime.fromisoformat(record["time"]) > arrived]
    # New first: the new answer comes right after the one already prepared. Not: it waits for its place.
    return len(answers) >= 4 and "answers/a9.jpg" not in answers[:2]


@case("playlist.kinds")
def _(make):
    box = changed(make, "playlist.kinds", "[answer]")
    kinds = [kind for kind, _path in _kinds_and_paths(box)]
    return len(kinds) >= 5 and set(kinds) == {"answer"}


@case("playlist.include")
def _(make):
    box = changed(make, "playlist.include", '["answers/a1.jpg", "contribute/c2*"]')
    paths = {path for _kind, path in _kinds_and_paths(box)}
    return paths == {"answers/a1.jpg", "contribute/c2.png"}


@case("playlist.exclude")
def _(make):
    box = changed(make, "playlist.exclude", '["answers/a1.jpg", "contribute/c2*"]', 4.0)
    paths = {path for _kind, path in _kinds_and_paths(box)}
    return len(paths) >= 4 and not paths & {"answers/a1.jpg", "contribute/c2.png"}


def _two_boxes(make, base_a: dict, base_b: dict) -> tuple[Box, Box]:
    return make(base=base_a, name="a"), make(base=base_b, name="b")


def _moment(record: dict) -> float:
    """When a slide began, to the millisecond (the fake clock's sums of floats differ below it)."""
    return round(dt.datetime.fromisoformat(record["time"]).timestamp(), 3)


def _at_the_same_moments(first: Box, second: Box) -> list[tuple[str, str]]:
    """Pairs of the slides the two boxes began at the same wall-clock moments after the change."""
    by_time = {_moment(record): record["path"] for record in first.played_after()}
    return [(by_time[_moment(record)], record["path"]) for record in second.played_after()
            if _moment(record) in by_time]


@case("playlist.sync_group")
def _(make):
    base_b = copy.deepcopy(BASE)
    base_b["playlist"]["seed"] = "12"
    first, second = _two_boxes(make, BASE, base_b)
    for box in (first, second):
        box.run(1.0)
        box.change("playlist", "sync_group", "row-1")
    for box in (first, second):
        box.run(4.0)
    pairs = _at_the_same_moments(first, second)[2:]
    return len(pairs) >= 5 and all(a == b for a, b in pairs)


@case("playlist.sync_offset")
def _(make):
    base = copy.deepcopy(BASE)
    base["playlist"]["sync_group"] = "row-1"
    first, second = _two_boxes(make, base, base)
    first.run(5.0)
    second.run(1.0)
    second.change("playlist", "sync_offset", "1")
    second.run(4.0)
    shown = [record["path"] for record in first.played_after()]
    first_at = {_moment(record): index for index, record in enumerate(first.played_after())}
    later = [(first_at[_moment(record)], record["path"]) for record in second.played_after()
             if _moment(record) in first_at and first_at[_moment(record)] + 1 < len(shown)][2:]
    # One place further on: what the first box shows at the next moment.
    return len(later) >= 5 and all(shown[index + 1] == path for index, path in later)


# --- how frames look: each asks the worker for frames of the new layout ------------------

def _layout_case(section: str, key: str, value: str, field: str, expected) -> Case:
    def check(make):
        box = changed(make, f"{section}.{key}", value, 2.0)
        asked = [getattr(requested.layout, field) for requested in box.requested_after()
                 if requested.kind in ("contribute", "answer")]
        return len(asked) >= 3 and set(asked) == {expected}
    return check


LAYOUT_CASES = [
    ("display", "rotation", "90", "rotation", 90),
    ("display", "fit", "cover", "fit", "cover"),
    ("display", "background", '"#102030"', "background", (16, 32, 48)),
    ("captions", "enabled", "false", "captions", False),
    ("captions", "size", "0.08", "caption_scale", 0.08),
    ("captions", "color", '"#FFFF00"', "text_color", (255, 255, 0)),
    ("captions", "band_color", '"#203040"', "band_color", (32, 48, 64)),
    ("captions", "band_opacity", "0.3", "band_opacity", 0.3),
    ("captions", "max_lines", "2", "max_lines", 2),
    ("captions", "min_size", "0.02", "min_caption_scale", 0.02),
    ("captions", "max_share", "0.25", "max_share", 0.25),
    ("captions", "portrait_max_lines", "5", "portrait_max_lines", 5),
    ("captions", "portrait_max_share", "0.3", "portrait_max_share", 0.3),
    ("overlays", "title", "Migration Means", "title", "Migration Means"),
    ("overlays", "footer", "'#MigrationMeans'", "footer", "#MigrationMeans"),
]
for _section, _key, _value, _field, _expected in LAYOUT_CASES:
    CASES[f"{_section}.{_key}"] = _layout_case(_section, _key, _value, _field, _expected)


@case("captions.font")
def _(make):
    from kiosk.core.assets import FALLBACK_FONT

    box = changed(make, "captions.font", str(FALLBACK_FONT), 2.0)
    fonts = {requested.layout.font for requested in box.requested_after()}
    return fonts == {FALLBACK_FONT} and box.configured[-1][0] == FALLBACK_FONT


@case("decoding.max_pixels")
def _(make):
    box = changed(make, "decoding.max_pixels", "2000000", 1.0)
    return bool(box.configured) and box.configured[-1][1] == 2_000_000


@case("decoding.cache_megabytes")
def _(make):
    # On a 1920x1080 panel a frame is about 8 MB: 16 MB holds the next one and none ahead, 256 MB the plan.
    base = copy.deepcopy(BASE)
    base["decoding"] = {"cache_megabytes": "16"}
    box = make(base=base, panel=(1920, 1080))
    box.run(1.0)
    box.change("decoding", "cache_megabytes", "256")
    box.run(1.0)
    ahead = collections.Counter(moment for moment, _key, priority in box.requests
                                if moment >= box.changed_at and priority == Priority.AHEAD)
    return max(ahead.values(), default=0) >= 2  # with 16 MB one frame ahead at a time, with 256 MB the plan


# --- the display -----------------------------------------------------------------------

@case("display.max_fps")
def _(make):
    base = copy.deepcopy(BASE)
    base["timing"]["transition_seconds"] = "0.15"
    box = changed(make, "display.max_fps", "10", base=base)
    counts = _blends_per_fade(box, box.changed_at + 0.5)
    # 10 frames a second: a fade of 0.15 s takes two blends, not nine.
    return len(counts) >= 5 and max(counts) <= 3


@case("display.keys")
def _(make):
    base = copy.deepcopy(BASE)
    base["timing"] = {"contribute_seconds": "30", "answer_seconds": "30", "transition_seconds": "0"}
    box = changed(make, "display.keys", "true", 1.0, base=base)
    before = len(read_play_log(box.world.config.state.dir))
    box.world.screen.keys.append("next")
    box.run(1.0)
    return len(read_play_log(box.world.config.state.dir)) == before + 1


@case("display.pause_seconds")
def _(make):
    base = copy.deepcopy(BASE)
    base["display"]["keys"] = "true"
    box = changed(make, "display.pause_seconds", "2", 0.5, base=base)
    box.world.screen.keys.append("pause")
    box.run(0.1)
    paused = box.world.wall()
    box.run(4.0)
    # The pause ends by itself after two seconds (the default is five minutes): slides go on.
    return len([record for record in box.played_after() if dt.datetime.fromisoformat(record["time"]) > paused]) >= 3


class QuietDevice:
    """A working fake of the audio device (kiosk.boundary.speakerdevice.SdlOutput): open, never calling back."""

    latency = 0.02
    description = "a fake device"

    def __init__(self, fill):
        self.fill = fill

    def close(self):
        pass


class Track:
    """A working fake of kiosk.boundary.sound.SoundTrack: what the speaker was asked to play, and from when."""

    failed = None

    def __init__(self, key, slide_folder, starts, clock):
        self.key, self.starts = key, starts

    def start(self):
        pass

    def stop(self):
        pass


@case("display.audio")
def _(make):
    def add_video(slides):
        make_clip(slides / "contribute" / "v1.mp4", frames=10, rate=20, clicks=True)  # half a second, with sound
        (slides / "contribute" / "v1.yaml").write_text("audio: true\n", encoding="utf-8")

    devices: list[QuietDevice] = []
    tracks: list[Track] = []
    speaker = Speaker(lambda fill: devices.append(QuietDevice(fill)) or devices[-1],
                      lambda *made: tracks.append(Track(*made)) or tracks[-1], spawn=lambda job: job())
    box = changed(make, "display.audio", "true", 4.0, before=add_video, speaker=speaker)
    # The device is opened for the first video with sound after the change: a plaza box never opens one.
    return len(devices) == 1 and any(track.key.path == "contribute/v1.mp4" and track.starts >= box.changed_at
                                     for track in tracks)


# --- the schedule ----------------------------------------------------------------------

def _screen(box: Box) -> str:
    return box.world.show.monitor.status()["screen"]


@case("schedule.hours")
def _(make):
    box = changed(make, "schedule.hours", '"13:00-14:00"', 1.0)
    return _screen(box) == "off (schedule)"


@case("schedule.dates")
def _(make):
    box = changed(make, "schedule.dates", "[2027-01-01, 2027-01-31]", 1.0)
    return _screen(box) == "off (schedule)"


@case("schedule.timezone")
def _(make):
    base = copy.deepcopy(BASE)
    base["schedule"]["hours"] = '"11:00-13:00"'
    box = make(base=base)
    box.run(1.0)
    box.change("schedule", "timezone", "UTC")  # 12:00 in Seoul is 03:00 in UTC: off
    box.run(1.0)
    return _screen(box) == "off (schedule)"


def _turning(base_hours: str) -> dict:
    base = copy.deepcopy(BASE)
    base["timing"] = {"contribute_seconds": "5", "answer_seconds": "5", "transition_seconds": "0"}
    base["schedule"]["hours"] = base_hours
    return base


@case("schedule.off_slide")
def _(make):
    box = make(base=_turning('"11:00-12:01"'))
    picture = box.path.parent / "night.png"
    make_picture(picture, size=(64, 36), colour=(0, 0, 80))
    box.run(1.0)
    box.change("schedule", "off_slide", str(picture))
    box.run(70.0)  # the screen turns off at 12:01
    shown = box.world.screen.on_screen()
    return _screen(box) == "off (schedule)" and shown is not None and shown[1] == str(picture)


def _command_ran(make, key: str, hours: str) -> bool:
    box = make(base=_turning(hours))
    mark = box.path.parent / f"{key}.ran"
    box.run(1.0)
    box.change("schedule", key, f"touch {mark}")
    box.run(70.0)  # the screen turns at 12:01
    deadline = time.monotonic() + 10
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the command runs on its own thread, in real time
    return mark.exists()


@case("schedule.display_off_command")
def _(make):
    return _command_ran(make, "display_off_command", '"11:00-12:01"')


@case("schedule.display_on_command")
def _(make):
    return _command_ran(make, "display_on_command", '"12:01-13:00"')


# --- the tests -------------------------------------------------------------------------

LIVE_KEYS = sorted(f"{section}.{name}" for section in SECTIONS for name in keys(section)
                   if f"{section}.{name}" not in NEEDS_RESTART)


def test_every_key_that_applies_live_has_a_case():
    assert sorted(CASES) == LIVE_KEYS


@pytest.mark.parametrize("key", LIVE_KEYS)
def test_a_change_takes_effect_in_the_running_kiosk(tmp_path, slide_folder, key):
    def maker(apply: bool) -> Callable[..., Box]:
        run = tmp_path / ("changed" if apply else "unchanged")
        slides = shutil.copytree(slide_folder, run / "slides")  # a case may add slides: each run its own

        def make(base: dict | None = None, name: str = "box", panel: tuple[int, int] | None = None,
                 before: Callable[[Path], None] | None = None, speaker=None) -> Box:
            if before is not None:
                before(slides)  # slides the box finds at its start
            return Box(run / name, slides, apply, base, panel, speaker)
        return make

    assert CASES[key](maker(True)), f"{key}: the change was not seen"
    assert not CASES[key](maker(False)), f"{key}: seen without the change: the case proves nothing"


@pytest.mark.parametrize("key, value", [("state.play_log_max_megabytes", "32"), ("state.play_log_keep", "90"),
                                        ("display.renderer", "gpu")])
def test_a_change_that_waits_for_a_restart_is_said_to_wait(tmp_path, slide_folder, key, value, caplog):
    box = Box(tmp_path / "box", slide_folder, apply=True)
    box.run(0.5)
    section, name = key.split(".")
    with caplog.at_level(logging.INFO, logger="kiosk"):
        box.change(section, name, value)
        box.run(0.5)
    assert f"config changed: {key}: " in caplog.text and "(takes effect at the next start)" in caplog.text
