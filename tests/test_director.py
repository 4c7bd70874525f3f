"""The show's decisions with plain data and a fake clock: no screen, no files, no threads, no sleeps."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.core.admission import ADMIT_IN_FLIGHT, RETRY_FIRST_SECONDS
from kiosk.core.catalogue import Catalogue, Slide
from kiosk.core.config import parse_config
from kiosk.core.director import Director
from kiosk.core.effects import (
    Blend, ConfigureWorker, EndFade, HoldWorker, Notify, PrepareSurface, Present, PublishStatus, RecordSlide,
    Redraw, ReleaseWorker, RequestFrame, RunDisplayCommand, ShowStill, SlideBegan, SlideLeft,
)
from kiosk.core.frames import Frame, FrameKey
from kiosk.core.lineup import PREFETCH_SLIDES
from kiosk.core.messages import ConfigChanged, ContentChanged, FrameFailed, FrameReady, SyncDone, SyncResult
from kiosk.core.playlist import FALLBACK_PATH, plan, playlist_settings
from kiosk.core.rotation import Rotation, SavedState
from kiosk.core.priority import Priority
from kiosk.core.showstatus import STUCK_WORKER_SECONDS, overlay_lines, show_status

SEOUL = ZoneInfo("Asia/Seoul")
PANEL = (96, 54)

FAST = """
timing:
  contribute_seconds: 3
  answer_seconds: 2
  transition_seconds: 0.5
playlist:
  answers_per_contribute: 2
  seed: 11
"""
KEYS = "display:\n  keys: true\n"  # operator keys are off unless configured


def config_of(body: str = FAST, **sections: str):
    return parse_config(body + "".join(sections.values()), Path("/srv"))


def slides(contribute: int = 3, answers: int = 4, version: int = 1) -> Catalogue:
    return Catalogue(
        contribute=tuple(Slide(f"contribute/c{i}.png", "contribute", 1000, version) for i in range(1, contribute + 1)),
        answers=tuple(Slide(f"answers/a{i}.jpg", "answer", 1000, version) for i in range(1, answers + 1)),
    )


def with_slide(catalogue: Catalogue, slide: Slide) -> Catalogue:
    others = [s for s in (*catalogue.contribute, *catalogue.answers) if s.path != slide.path] + [slide]
    return Catalogue(contribute=tuple(s for s in others if s.kind == "contribute"),
                     answers=tuple(s for s in others if s.kind == "answer"))


def without(catalogue: Catalogue, path: str) -> Catalogue:
    return Catalogue(contribute=tuple(s for s in catalogue.contribute if s.path != path),
                     answers=tuple(s for s in catalogue.answers if s.path != path))


def frame(key: FrameKey) -> Frame:
    return Frame(key, key.layout.panel_size, bytes(key.layout.frame_bytes))


class Box:
    """A director with a fake clock, and a worker that answers its requests when told to."""

    def __init__(self, config=None, catalogue=None, wall=dt.datetime(2026, 12, 18, 12, 0, tzinfo=SEOUL),
                 trusted=True, unusable=None, open_now=True):
        self.config = config or config_of()
        self.now = 1000.0
        self.wall0, self.start = wall, self.now
        self.trusted = trusted
        self.director = Director(self.config, catalogue if catalogue is not None else slides(),
                                 SavedState(Rotation(seed=11), unusable or {}), Path("/srv/slides"),
                                 lambda _name: SEOUL)
        self.requests: list[RequestFrame] = []
        self.effects: list = []
        self.broken: set[str] = set()
        if open_now:
            self.take(self.director.open(PANEL, "BGRX", self.now, self.wall, trusted))

    @property
    def wall(self) -> dt.datetime:
        return self.wall0 + dt.timedelta(seconds=self.now - self.start)

    def take(self, effects: list) -> list:
        self.effects += effects
        self.requests += [e for e in effects if isinstance(e, RequestFrame)]
        return effects

    def send(self, *messages) -> list:
        out: list = []
        for message in messages:
            out += self.take(self.director.receive(message, self.now, self.wall))
        return out + self.take(self.director.settle(self.now, self.wall))

    def answer(self, count: int | None = None) -> list:
        """The worker prepares waiting requests, most urgent first; broken paths fail."""
        waiting = sorted(self.requests, key=lambda r: r.priority)[:count]
        for request in waiting:
            self.requests.remove(request)
        messages = [FrameFailed(r.key, "not a picture") if r.key.path in self.broken else FrameReady(frame(r.key))
                    for r in waiting]
        return self.send(*messages)

    def advance(self, seconds: float = 0.0) -> list:
        self.now += seconds
        return self.take(self.director.advance(self.now, self.wall, self.trusted))

    def key(self, name: str) -> list:
        return self.take(self.director.key(name, self.now, self.wall))

    def run_until(self, predicate, step: float = 0.05, limit: float = 600.0) -> None:
        """Answers the worker and moves the clock in small steps until `predicate()` holds."""
        end = self.now + limit
        while not predicate():
            assert self.now < end, "not reached"
            if not self.director.fading:
                self.answer()
            target = self.now + step
            upcoming = self.director.upcoming
            if upcoming is not None and self.now < upcoming.due:
                target = min(target, upcoming.due)  # as the loop does: it sleeps until the slide is due
            self.advance(target - self.now)

    def started(self) -> list[str]:
        return [e.record["path"] for e in self.effects if isinstance(e, RecordSlide)]

    def of(self, kind: type) -> list:
        return [e for e in self.effects if isinstance(e, kind)]


# --- what comes next and when ---------------------------------------------------------

def test_the_first_slide_is_requested_at_once_then_the_next_ones_ahead():
    box = Box()
    first, *ahead = box.requests
    assert first.priority == Priority.NEXT and first.key.path == box.director.upcoming.entry.path
    assert ahead and all(r.priority == Priority.AHEAD for r in ahead)


def test_slides_follow_the_plan_exactly_and_on_time():
    box = Box()
    expected, _ = plan(Rotation(seed=11), slides(), playlist_settings(box.config), box.wall, 12)
    box.run_until(lambda: len(box.started()) == 12)
    assert box.started() == [p.entry.path for p in expected]
    records = [e.record for e in box.of(RecordSlide)]
    starts = [dt.datetime.fromisoformat(r["time"]) for r in records]
    assert [round((b - a).total_seconds(), 2) for a, b in zip(starts, starts[1:])] == \
        [r["seconds"] for r in records[:-1]]
    # Every slide after the first in turn is measured for slip; the first is start-up time.
    assert len(box.of(SlideBegan)) == 11


def test_nothing_starts_before_its_frame_is_ready():
    box = Box()
    box.advance(30)
    assert box.started() == []
    box.answer()
    box.advance()
    assert len(box.started()) == 1


def held(effects: list) -> list[bool]:
    """Whether the worker is held after each effect, replaying HoldWorker and ReleaseWorker."""
    state, states = False, []
    for effect in effects:
        if isinstance(effect, HoldWorker):
            state = True
        elif isinstance(effect, ReleaseWorker):
            state = False
        states.append(state)
    return states


def test_a_slide_starts_with_a_fade_that_holds_the_worker_then_releases_it():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1)
    box.run_until(lambda: len(box.started()) == 2)
    present = box.of(Present)[-1]
    assert present.fade_seconds == 0.5 and not present.from_blank
    assert box.of(Present)[0].from_blank  # the first fades in from the background
    assert held(box.effects)[box.effects.index(present)], "held from just before the slide is due"
    box.run_until(lambda: not box.director.fading, step=1 / 60)
    blends = [e for e in box.effects[box.effects.index(present):] if isinstance(e, Blend)]
    assert blends and all(0 <= b.progress < 1 for b in blends)
    end = box.effects.index(box.of(EndFade)[-1])
    assert all(held(box.effects)[box.effects.index(present):end]) and not held(box.effects)[-1]


def test_a_cut_holds_the_worker_only_just_before_the_slide_and_lets_it_go_at_once():
    box = Box(config_of(FAST.replace("transition_seconds: 0.5", "transition_seconds: 0.5\n  transition: cut")))
    box.run_until(lambda: len(box.started()) == 3)
    assert not box.of(Blend)
    assert [p.fade_seconds for p in box.of(Present)] == [0.0, 0.0, 0.0]
    states = held(box.effects)
    holds = [index for index, effect in enumerate(box.effects) if isinstance(effect, HoldWorker)]
    assert holds and not states[-1]
    for index in holds:  # each hold comes just before a start, and ends with it
        release = next(i for i in range(index, len(box.effects)) if isinstance(box.effects[i], ReleaseWorker))
        assert any(isinstance(e, Present) for e in box.effects[index:release])


def test_the_worker_is_not_held_for_a_slide_whose_frame_is_not_ready():
    box = Box()
    box.advance(30)  # the first frame was never delivered
    assert not box.of(HoldWorker)


def test_the_next_frame_becomes_a_surface_during_the_hold():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    upcoming = box.director.upcoming
    box.answer()
    prepared = box.advance(0.01)
    assert [e.frame.key for e in prepared if isinstance(e, PrepareSurface)] == [upcoming.key]
    assert box.now < upcoming.due
    assert not [e for e in box.advance(0.01) if isinstance(e, PrepareSurface)], "made once"


def test_a_lone_slide_repeating_draws_nothing_new():
    box = Box(catalogue=slides(contribute=1, answers=0))
    box.run_until(lambda: len(box.started()) == 4)
    assert len(box.of(Present)) == 1
    assert set(box.started()) == {"contribute/c1.png"}


def test_an_empty_folder_shows_the_fallback_until_content_comes():
    box = Box(catalogue=Catalogue())
    box.run_until(lambda: len(box.started()) == 1)
    assert box.started() == [FALLBACK_PATH]
    box.send(ContentChanged(slides()))  # new pictures wait for their first decode
    box.run_until(lambda: box.started()[-1] != FALLBACK_PATH, limit=5)
    assert box.now - box.start < 3, "content coming back ends the fallback card at once"


def test_the_rotation_saved_with_each_start_is_the_one_after_it():
    box = Box()
    box.run_until(lambda: len(box.started()) == 2)
    saved = box.of(RecordSlide)[-1].state
    assert saved.rotation == box.director.rotation
    assert [n.kind for n in box.of(Notify)][:2] == ["ready", "status"]


def test_the_wait_is_until_the_next_slide_and_never_long():
    box = Box(config_of(FAST + KEYS))
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    due = box.director.upcoming.due
    assert box.director.wait_seconds(due - 0.1) == pytest.approx(0.1)
    assert box.director.wait_seconds(due - 100) == 0.25
    box.key("pause")
    assert box.director.wait_seconds(due - 0.1) == 0.25


# --- admission of new and changed content ----------------------------------------------

def test_a_new_picture_enters_the_rotation_only_after_it_decoded():
    box = Box()
    new = Slide("answers/new.jpg", "answer", 5, 5)
    box.send(ContentChanged(with_slide(slides(), new)))
    assert box.director.catalogue.get(new.path) is None
    assert [r.priority for r in box.requests if r.key.path == new.path] == [Priority.ADMIT]
    box.answer()
    assert box.director.catalogue.get(new.path) == new


def test_a_new_broken_picture_never_enters_and_is_said_once(caplog):
    box = Box()
    box.broken.add("answers/broken.jpg")
    listed = with_slide(slides(), Slide("answers/broken.jpg", "answer", 5, 5))
    box.send(ContentChanged(listed))
    box.answer()
    box.send(ContentChanged(listed))
    box.answer()
    assert box.director.catalogue.get("answers/broken.jpg") is None
    assert caplog.text.count("skipping answers/broken.jpg") == 1
    assert box.director.content.unusable["answers/broken.jpg"].reason == "not a picture"


def test_a_replaced_picture_keeps_its_old_version_until_the_new_one_decoded():
    box = Box()
    old = box.director.catalogue.get("answers/a1.jpg")
    box.send(ContentChanged(with_slide(slides(), dataclasses.replace(old, mtime_ns=99))))
    assert box.director.catalogue.get("answers/a1.jpg") == old
    box.answer()
    assert box.director.catalogue.get("answers/a1.jpg").version == (1000, 99)


def test_a_sidecar_that_now_names_its_captions_language_makes_the_upcoming_frame_again():
    from kiosk.core.sidecar import SlideMeta

    box = Box()
    box.answer()
    upcoming = box.director.upcoming
    slide = box.director.catalogue.get(upcoming.entry.path)
    edited = dataclasses.replace(slide, meta=SlideMeta(caption="人人生而自由", lang="zh-Hant"))
    box.send(ContentChanged(with_slide(slides(), edited)))
    box.answer()
    now = box.director.upcoming
    assert now.entry.path == upcoming.entry.path and now.key.lang == "zh-Hant"
    assert upcoming.key not in box.director.frames


def test_a_deleted_upcoming_slide_is_replaced_and_its_frames_dropped():
    box = Box()
    box.answer()
    upcoming = box.director.upcoming
    assert upcoming.key in box.director.frames
    box.send(ContentChanged(without(slides(), upcoming.entry.path)))
    assert box.director.upcoming.entry.path != upcoming.entry.path
    assert upcoming.key not in box.director.frames


def test_a_file_removed_while_unusable_is_forgotten():
    box = Box(unusable={"answers/a1.jpg": (1000, 1)})
    assert "answers/a1.jpg" in box.director.content.unusable_now()
    box.send(ContentChanged(without(slides(), "answers/a1.jpg")))
    assert box.director.content.versions() == {}


def test_a_burst_of_new_photos_is_fed_two_at_a_time_behind_the_next_slide():
    # Frames of 3.3 MB in a cache of 16 MB: the next slide's and three ahead leave room for one spare.
    box = Box(config_of(FAST + "decoding:\n  cache_megabytes: 16\n"), open_now=False)
    box.take(box.director.open((1024, 800), "BGRX", box.now, box.wall))
    box.answer()
    next_key = box.director.upcoming.key
    assert len(box.director.frames) == 1 + PREFETCH_SLIDES
    burst = slides()
    for index in range(150):
        burst = with_slide(burst, Slide(f"answers/burst{index:03d}.jpg", "answer", 7, index))
    box.send(ContentChanged(burst))
    admitting = [r for r in box.requests if r.priority == Priority.ADMIT]
    assert len(admitting) == ADMIT_IN_FLIGHT and len(box.director.content.awaiting) == 150
    # Admission frames never push the prepared next frame out of a full cache.
    for _round in range(80):
        box.answer(1)
        assert next_key in box.director.frames
    assert len(box.director.frames) == 2 + PREFETCH_SLIDES, "one spare kept, in the room there was"
    assert len(box.director.content.awaiting) == 150 - 80


def test_when_the_next_slide_is_due_its_request_goes_first():
    box = Box()
    burst = slides()
    for index in range(20):
        burst = with_slide(burst, Slide(f"answers/new{index:02d}.jpg", "answer", 7, index))
    box.send(ContentChanged(burst))
    urgent = min(box.requests, key=lambda r: r.priority)
    assert urgent.key == box.director.upcoming.key and urgent.priority == Priority.NEXT


def test_a_passing_failure_is_retried_with_backoff_and_never_marks_the_file(caplog):
    box = Box()
    upcoming = box.director.upcoming
    failure = FrameFailed(upcoming.key, "cannot open: Input/output error", passing=True)
    box.send(failure, failure)
    path = upcoming.entry.path
    assert path not in box.director.content.unusable
    assert box.director.content.retry[path].delay == RETRY_FIRST_SECONDS * 2
    assert box.director.upcoming.entry.path != path  # another slide in its place meanwhile
    assert caplog.text.count(f"cannot prepare {path} now") == 1
    status = show_status(box.director.snapshot(), 0, box.wall)
    assert status["errors"]["retrying"] == {path: "cannot open: Input/output error"}
    assert path not in status["errors"]["unusable_files"]
    # Once decoded, it is well again.
    box.send(FrameReady(frame(upcoming.key)))
    assert path not in box.director.content.retry


def test_a_run_of_broken_picks_continues_the_bag_instead_of_reshuffling():
    box = Box()
    chosen = []
    for _ in range(3):
        upcoming = box.director.upcoming
        chosen.append(upcoming.entry.path)
        box.send(FrameFailed(upcoming.key, "not a picture Pillow can read"))
    assert len(set(chosen)) == 3
    assert box.director.upcoming.rotation.round == max(1, box.director.rotation.round)


def test_a_broken_slide_planned_ahead_is_passed_over_while_the_picture_stands():
    box = Box()
    ahead = next(r for r in box.requests if r.priority == Priority.AHEAD)
    box.requests.clear()
    box.send(FrameFailed(ahead.key, "not a picture"))
    assert ahead.key.path in box.director.content.unusable  # and out of the rotation:
    assert box.director.catalogue.get(ahead.key.path) is None
    assert box.requests and ahead.key.path not in {r.key.path for r in box.requests}


def test_every_answer_broken_leaves_the_contribute_slides():
    box = Box()
    box.broken = {s.path for s in slides().answers}
    box.run_until(lambda: len(box.started()) == 6)
    assert set(box.started()) <= {s.path for s in slides().contribute}


def test_files_known_unusable_stay_out_until_they_change():
    box = Box(unusable={"answers/a1.jpg": (1000, 1)})
    box.run_until(lambda: len(box.started()) == 12)
    assert "answers/a1.jpg" not in box.started()
    assert box.of(RecordSlide)[-1].state.unusable == {"answers/a1.jpg": (1000, 1)}


# --- prefetch --------------------------------------------------------------------------

def test_the_slides_after_the_next_are_requested_in_plan_order():
    box = Box()
    upcoming = box.director.upcoming
    start = upcoming.due_wall + dt.timedelta(seconds=upcoming.entry.seconds)
    expected, _ = plan(upcoming.rotation, slides(), playlist_settings(box.config), start, PREFETCH_SLIDES)
    requested = [r.key.path for r in box.requests]
    assert requested[0] == upcoming.entry.path
    assert requested[1:] == \
        [p.entry.path for p in expected if p.entry.path != upcoming.entry.path][: len(requested) - 1]
    assert len(requested) > 1


def test_without_a_configured_cache_it_holds_two_frames_of_the_panel_at_their_real_size():
    box = Box()
    layout_bytes = PANEL[0] * PANEL[1] * 4  # BGRX: 4 bytes a pixel, not 3
    assert box.director.frames.layout.frame_bytes == layout_bytes
    assert box.director.frames.limit == 2 * layout_bytes
    assert len(box.requests) == 2  # the next slide, and one ahead


def test_a_frame_prepared_ahead_never_pushes_out_the_next_slides():
    box = Box()
    box.run_until(lambda: len(box.started()) == 3)
    for _ in range(40):
        box.answer()
        upcoming = box.director.upcoming
        assert upcoming is None or upcoming.key in box.director.frames or box.director.frames.asked_for(upcoming.key)
        box.advance(0.25)


def test_a_configured_cache_prepares_every_planned_slide_it_has_room_for():
    box = Box(config_of(FAST + "decoding:\n  cache_megabytes: 16\n"))
    assert box.director.frames.limit == 16 * 1024 * 1024
    assert len(box.requests) == 4  # the next slide and the three planned after it


# --- keys ------------------------------------------------------------------------------

def test_next_previous_and_pause_keys():
    box = Box(config_of(FAST.replace("contribute_seconds: 3", "contribute_seconds: 60")
                        .replace("answer_seconds: 2", "answer_seconds: 60") + KEYS))
    box.run_until(lambda: len(box.started()) == 1)
    first = box.started()[0]
    box.key("next")
    box.run_until(lambda: len(box.started()) == 2, limit=5)
    assert box.started()[1] != first
    box.key("previous")
    box.run_until(lambda: len(box.started()) == 3, limit=5)
    assert box.started()[2] == first
    box.run_until(lambda: not box.director.fading)
    assert box.key("pause") == [Notify("status", "paused")]
    box.advance(120)
    assert len(box.started()) == 3, "a paused slide holds"
    box.key("next")  # next also ends a pause
    box.run_until(lambda: len(box.started()) == 4, limit=5)
    assert box.director.paused_remaining is None
    assert box.of(SlideBegan) == [], "a key press brings a slide forward: no slip counted"


def test_a_key_pressed_during_a_fade_acts_when_it_ends():
    box = Box(config_of(FAST + KEYS))
    box.run_until(lambda: len(box.started()) == 1)
    assert box.director.fading
    box.key("next")
    box.run_until(lambda: len(box.started()) == 2, step=1 / 60, limit=1.0)


def test_pause_resumes_with_the_time_that_was_left():
    box = Box(config_of(FAST + KEYS))
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    left = box.director.upcoming.due - box.now
    box.key("pause")
    box.advance(500)
    box.key("pause")
    assert box.director.upcoming.due - box.now == pytest.approx(left)


def test_the_info_key_redraws_with_the_overlay_and_again_without():
    box = Box(config_of(FAST + KEYS))
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    assert box.key("info") == [Redraw()] and box.director.keys.info_visible
    lines = overlay_lines(box.director.snapshot(), uptime=3725)
    assert lines[0].startswith("kiosk ") and "box " in lines[0]
    assert lines[1].startswith("on screen: contribute/c1.png")
    assert "3 contribute, 4 answers, 0 arriving, 0 unusable" in lines[2]
    assert "up 1h02m" in lines[4]
    assert box.key("info") == [Redraw()] and not box.director.keys.info_visible


# --- the schedule ------------------------------------------------------------------------

NIGHTS = 'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n  display_off_command: panel off\n' \
         '  display_on_command: panel on\n'


def test_the_screen_turns_off_at_the_minute_and_back_on_exactly_on_time():
    box = Box(config_of(FAST + NIGHTS), wall=dt.datetime(2026, 12, 18, 22, 59, 50, tzinfo=SEOUL))
    box.run_until(lambda: len(box.started()) >= 1 and not box.director.hours.screen_on, step=0.5)
    assert box.director.on_screen is None and box.director.upcoming is None
    assert RunDisplayCommand("panel off", "display-off") in box.effects
    assert ShowStill(None) in box.effects
    shown = len(box.started())
    box.advance(8 * 3600 - 60)  # 06:59:xx
    assert len(box.started()) == shown
    box.now = box.start + (dt.datetime(2026, 12, 19, 7, 0, tzinfo=SEOUL) - box.wall0).total_seconds()
    box.run_until(lambda: len(box.started()) == shown + 1, step=0.0)
    assert box.of(RecordSlide)[-1].record["time"] == "2026-12-19T07:00:00.000+09:00"
    assert RunDisplayCommand("panel on", "display-on") in box.effects


def test_starting_while_off_shows_no_slide_and_says_when_it_comes_back():
    box = Box(config_of(FAST + NIGHTS), wall=dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL))
    box.run_until(lambda: box.now - box.start > 60, step=5)
    assert box.started() == [] and not box.director.hours.screen_on
    assert Notify("ready", "screen off until 2026-12-18T07:00+09:00") in box.effects


def test_an_unsynchronised_clock_never_turns_the_screen_off():
    box = Box(config_of(FAST + NIGHTS), wall=dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL), trusted=False)
    box.run_until(lambda: len(box.started()) == 2)
    assert box.director.hours.screen_on
    box.trusted = True
    box.advance()
    assert not box.director.hours.screen_on


def test_the_off_slide_shows_once_the_worker_has_it_and_a_broken_one_leaves_black(caplog):
    body = FAST + NIGHTS + "  off_slide: /srv/goodnight.png\n"
    box = Box(config_of(body), wall=dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL))
    assert box.of(ShowStill) == [ShowStill(None)]
    (request,) = box.requests
    assert request.key.kind == "off"
    box.answer()
    assert [s.frame.key for s in box.of(ShowStill)[1:]] == [request.key]
    assert box.started() == []

    box = Box(config_of(body), wall=dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL))
    box.broken.add("/srv/goodnight.png")
    box.answer()
    assert box.of(ShowStill) == [ShowStill(None)] and "off slide /srv/goodnight.png cannot be shown" in caplog.text
    assert box.director.content.unusable == {}, "the off slide is not a slide of the rotation"


# --- config, sync, the worker ---------------------------------------------------------------

def test_a_config_change_applies_from_the_next_slide():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1)
    effects = box.send(ConfigChanged(config_of(FAST.replace("answer_seconds: 2", "answer_seconds: 5"))))
    assert any(isinstance(e, ConfigureWorker) for e in effects)
    assert box.director.upcoming.entry.seconds == 5  # the second slide is an answer
    assert box.of(RecordSlide)[0].record["seconds"] == 3  # the one on screen keeps its time


def test_a_rotation_change_makes_new_frames_on_the_same_panel():
    box = Box()
    box.answer()
    box.send(ConfigChanged(config_of(FAST + "display:\n  rotation: 90\n")))
    layout = box.director.frames.layout
    assert layout.size == (54, 96) and layout.panel_size == PANEL
    assert box.director.upcoming.key.layout.rotation == 90
    assert len(box.director.frames) == 0


def test_a_worker_stuck_on_one_picture_is_said_once_and_published():
    box = Box()
    assert box.director.health.check_worker(("answers/huge.jpg", 5.0)) == []
    assert box.director.health.check_worker(("answers/huge.jpg", STUCK_WORKER_SECONDS + 1)) == [PublishStatus()]
    assert box.director.health.check_worker(("answers/huge.jpg", STUCK_WORKER_SECONDS + 2)) == []
    assert box.director.health.worker_stuck
    assert show_status(box.director.snapshot(), 0, box.wall)["worker_stuck"] is True
    box.director.health.check_worker(None)
    assert not box.director.health.worker_stuck


def test_a_sync_result_goes_into_the_status_at_once():
    box = Box(config_of(FAST + "sync:\n  url: https://example.org/site/\n"))
    ok = SyncResult(True, "changed", "abc", downloaded=2, finished="12:00:00")
    assert box.send(SyncDone(ok)) == [PublishStatus()]
    failed = SyncResult(False, "HTTP 503", None, finished="12:05:00")
    box.send(SyncDone(failed))
    sync = show_status(box.director.snapshot(), 0, box.wall)["sync"]
    assert sync["configured"] and sync["manifest_version"] == "abc" and sync["failures"] == 1
    assert sync["last_success_unix"] == int(box.wall.timestamp()) and sync["ok"] is False


def test_the_status_names_at_most_a_hundred_unusable_files_and_counts_them_all():
    many = Catalogue(answers=tuple(Slide(f"answers/x{i:04d}.jpg", "answer", 1, 1) for i in range(500)))
    box = Box(catalogue=many, unusable={f"answers/x{i:04d}.jpg": (1, 1) for i in range(400)})
    errors = show_status(box.director.snapshot(), 0, box.wall)["errors"]
    assert errors["unusable_count"] == 400 and len(errors["unusable_files"]) == 100
    assert min(errors["unusable_files"]) == "answers/x0000.jpg"


def test_an_unknown_message_is_logged_and_ignored(caplog):
    box = Box()
    caplog.set_level(logging.WARNING)
    assert box.send(object()) is not None
    assert "ignoring unknown message" in caplog.text


# --- the plaza: takedown, override, sync groups -------------------------------------------------

def with_override(base: Catalogue, path: str, **meta) -> Catalogue:
    from kiosk.core.sidecar import SlideMeta

    return Catalogue(contribute=base.contribute, answers=base.answers,
                     overrides=(Slide(path, "override", 10, 1, SlideMeta(**meta)),))


def test_a_slide_withdrawn_while_on_screen_fades_out_at_once():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    shown = box.director.on_screen.entry.path
    due = box.director.upcoming.due
    box.send(ContentChanged(without(slides(), shown)))
    box.run_until(lambda: len(box.started()) == 2, limit=1)
    assert box.now < due - 1, "not at the end of its time"


def test_an_override_shows_at_once_and_the_rotation_goes_on_where_it_left():
    box = Box()
    box.run_until(lambda: len(box.started()) == 2 and not box.director.fading)
    expected_next = box.director.upcoming.entry.path
    box.send(ContentChanged(with_override(slides(), "override/ceremony.png")))
    box.run_until(lambda: box.started()[-1] == "override/ceremony.png", limit=2)
    box.run_until(lambda: len(box.started()) == 5)
    assert box.started()[2:5] == ["override/ceremony.png"] * 3  # it stays while it is there
    box.send(ContentChanged(slides()))  # withdrawn
    box.run_until(lambda: box.started()[-1] != "override/ceremony.png", limit=2)
    assert box.started()[-1] == expected_next


def test_an_override_asked_for_off_hours_lights_the_screen_at_night():
    night = dt.datetime(2026, 12, 18, 3, 0, tzinfo=SEOUL)
    box = Box(config_of(FAST + NIGHTS), wall=night)
    assert not box.director.hours.screen_on
    box.send(ContentChanged(with_override(slides(), "override/safety.png", off_hours=True)))
    box.run_until(lambda: box.started() == ["override/safety.png"], limit=5)
    assert box.director.hours.screen_on and RunDisplayCommand("panel on", "display-on") in box.effects
    box.send(ContentChanged(slides()))
    box.advance(0.1)
    assert not box.director.hours.screen_on
    plain = Box(config_of(FAST + NIGHTS), wall=night)
    plain.send(ContentChanged(with_override(slides(), "override/daytime.png")))
    plain.advance(5)
    assert plain.started() == [] and not plain.director.hours.screen_on


def test_boxes_of_a_sync_group_start_their_slides_at_the_same_wall_clock_moments():
    group = FAST.replace("seed: 11", "seed: 11\n  sync_group: row-1")

    def starts(late: float) -> dict[str, str]:
        """The slide starts of a box switched on `late` seconds after noon: each one's path by its time."""
        box = Box(config_of(group), wall=dt.datetime(2026, 12, 18, 12, 0, 0, 250000, tzinfo=SEOUL)
                  + dt.timedelta(seconds=late))
        box.run_until(lambda: len(box.started()) == 8)
        return {r.record["time"]: r.record["path"] for r in box.of(RecordSlide)[1:]}

    first, second = starts(0.0), starts(3.3)
    shared = set(first) & set(second)
    assert len(shared) >= 5 and all(first[moment] == second[moment] for moment in shared)


def test_the_fleet_files_state_reaches_the_status():
    box = Box()
    box.send(ConfigChanged(box.config, {"version": "abc", "refused": ["fleet.yaml:3: nope"]}))
    assert show_status(box.director.snapshot(), 0, box.wall)["fleet"] == \
        {"version": "abc", "refused": ["fleet.yaml:3: nope"]}


# --- proof of play: when each slide left the screen ------------------------------------------

def lefts(box) -> dict[str, float]:
    """Seconds on screen of each slide that left it, by its line's `time`: left - time."""
    return {
        effect.time: (dt.datetime.fromisoformat(effect.left) - dt.datetime.fromisoformat(effect.time)).total_seconds()
        for effect in box.of(SlideLeft)
    }


def test_a_slide_leaves_when_the_next_ones_fade_has_ended():
    box = Box()  # 3 s contribute, 2 s answers, 0.5 s fades
    box.run_until(lambda: len(box.started()) == 4 and not box.director.fading)
    records = [effect.record for effect in box.of(RecordSlide)]
    shown = lefts(box)
    assert list(shown) == [record["time"] for record in records[:3]], "each once, in order, the last still on screen"
    for record in records[:3]:
        assert shown[record["time"]] == pytest.approx(record["seconds"] + 0.5, abs=0.06)
    assert [effect.path for effect in box.of(SlideLeft)] == [record["path"] for record in records[:3]]


def test_with_cuts_a_slide_leaves_as_the_next_begins():
    box = Box(config_of(FAST.replace("transition_seconds: 0.5", "transition_seconds: 0.5\n  transition: cut")))
    box.run_until(lambda: len(box.started()) == 3)
    records = [effect.record for effect in box.of(RecordSlide)]
    shown = lefts(box)
    assert [shown[record["time"]] for record in records[:2]] == \
        pytest.approx([r["seconds"] for r in records[:2]], abs=0.06)
    # The line of the slide that left comes before the start of the next one.
    order = [type(effect) for effect in box.effects if isinstance(effect, (RecordSlide, SlideLeft))]
    assert order[:5] == [RecordSlide, SlideLeft, RecordSlide, SlideLeft, RecordSlide]


def test_a_slide_taken_down_leaves_after_the_fade_that_replaces_it():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    box.advance(1.0)
    taken_down, began = box.of(RecordSlide)[0].record, box.director.on_screen.started
    box.send(ContentChanged(without(slides(), taken_down["path"])))
    box.run_until(lambda: len(box.of(SlideLeft)) == 1, limit=2)
    assert not box.director.fading, "it left when the fade ended"
    assert lefts(box)[taken_down["time"]] == pytest.approx(box.now - began, abs=1e-6)
    assert lefts(box)[taken_down["time"]] < taken_down["seconds"]


def test_an_override_of_a_day_withdrawn_after_six_seconds_shows_six_seconds():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    box.send(ContentChanged(with_override(slides(), "override/ceremony.png", seconds=86400)))
    box.run_until(lambda: box.started()[-1] == "override/ceremony.png" and not box.director.fading, limit=2)
    override, began = box.of(RecordSlide)[-1].record, box.director.on_screen.started
    assert override["seconds"] == 86400
    box.advance(6.0)
    withdrawn = box.now
    box.send(ContentChanged(slides()))
    box.run_until(lambda: override["time"] in lefts(box), limit=2)
    assert lefts(box)[override["time"]] == pytest.approx(box.now - began, abs=1e-6)
    # Its fade-out, after the worker prepared the next slide (one step of the fake clock).
    assert withdrawn - began <= lefts(box)[override["time"]] <= withdrawn - began + 0.5 + 0.15


def test_a_paused_slide_counts_until_it_leaves_and_the_pause_ends_by_itself():
    box = Box(config_of(FAST + KEYS + "  pause_seconds: 40\n"))
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    first = box.of(RecordSlide)[0].record
    box.key("pause")
    box.advance(39)
    assert box.director.paused_remaining is not None and len(box.started()) == 1
    box.advance(1)
    assert box.director.paused_remaining is None, "ended by itself after display.pause_seconds"
    assert Notify("status", "resumed") in box.effects
    box.run_until(lambda: first["time"] in lefts(box))
    assert lefts(box)[first["time"]] == pytest.approx(first["seconds"] + 40 + 0.5, abs=0.1)


def test_the_schedule_turning_the_screen_off_ends_the_slides_on_it_even_mid_fade():
    box = Box(config_of(FAST + NIGHTS), wall=dt.datetime(2026, 12, 18, 22, 59, 56, tzinfo=SEOUL))
    box.run_until(lambda: len(box.started()) == 2 and box.director.fading, step=0.01)
    box.now = box.start + 4.0 + 0.0  # 23:00:00, while the second slide fades in
    box.advance()
    if box.director.hours.screen_on:
        box.run_until(lambda: not box.director.hours.screen_on, step=0.01, limit=1)
    records = [effect.record for effect in box.of(RecordSlide)]
    shown = lefts(box)
    assert set(shown) == {record["time"] for record in records}, "both the one fading out and the one fading in"
    off = dt.datetime(2026, 12, 18, 23, 0, tzinfo=SEOUL)
    assert all(dt.datetime.fromisoformat(effect.left) == off for effect in box.of(SlideLeft))


def test_closing_the_show_ends_the_slide_on_screen_once():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    box.advance(1.25)
    record, began = box.of(RecordSlide)[0].record, box.director.on_screen.started
    (left,) = box.director.close(box.now)
    expected = dt.datetime.fromisoformat(record["time"]) + dt.timedelta(seconds=box.now - began)
    assert left == SlideLeft(record["time"], "contribute/c1.png", expected.isoformat(timespec="milliseconds"))
    assert box.director.close(box.now) == []


def test_time_on_screen_is_measured_on_the_monotonic_clock_whatever_the_wall_clock_does():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    box.wall0 -= dt.timedelta(hours=9)  # NTP steps the clock back while the slide shows
    box.run_until(lambda: len(box.of(SlideLeft)) == 1)
    assert list(lefts(box).values()) == [pytest.approx(3.5, abs=0.06)]


# --- operator keys on a public plaza ----------------------------------------------------------

def test_with_the_keys_off_no_key_pauses_skips_shows_the_overlay_or_quits():
    box = Box()
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    for name in ("pause", "next", "previous", "info"):
        assert box.key(name) == []
    assert box.director.paused_remaining is None and not box.director.keys.info_visible
    assert not box.director.quits("quit") and box.director.quits("close")
    box.run_until(lambda: len(box.started()) == 2)
    assert box.now - box.start == pytest.approx(3.0, abs=0.06), "the show went on as planned"
    keyed = Box(config_of(FAST + KEYS))
    assert keyed.director.quits("quit")


def test_turning_the_keys_off_ends_a_pause_and_hides_the_overlay():
    box = Box(config_of(FAST + KEYS))
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    box.key("pause")
    box.key("info")
    effects = box.send(ConfigChanged(config_of(FAST)))
    assert box.director.paused_remaining is None and not box.director.keys.info_visible and Redraw() in effects


def test_the_overlay_says_states_and_counts_never_a_url_or_an_error():
    box = Box(config_of(FAST + KEYS + "sync:\n  url: https://sync.internal.example:8443/site/manifest.json\n"))
    box.run_until(lambda: len(box.started()) == 1 and not box.director.fading)
    assert "sync: not yet" in overlay_lines(box.director.snapshot(), 1)
    failed = SyncResult(False, "HTTPSConnectionPool(host='sync.internal.example', port=8443): Max retries exceeded",
                        None, finished="12:05:00")
    box.send(SyncDone(failed))
    text = "\n".join(overlay_lines(box.director.snapshot(), 1))
    assert "sync: failing · 1 failures since start" in text
    assert "internal" not in text and "http" not in text.lower() and "retries" not in text
    box.send(SyncDone(SyncResult(True, "changed", "abc", downloaded=2, finished="12:06:00")))
    assert "sync: ok · 1 failures since start" in overlay_lines(box.director.snapshot(), 1)


def test_a_slide_withdrawn_during_its_fade_in_goes_as_the_fade_ends_with_the_keys_off():
    box = Box()  # display.keys off, as by default: the takedown is not a key press
    box.run_until(lambda: len(box.started()) == 2 and box.director.fading, step=0.01)
    shown, due = box.director.on_screen.entry.path, box.director.upcoming.due
    box.send(ContentChanged(without(slides(), shown)))
    box.run_until(lambda: len(box.started()) == 3, limit=1)
    assert box.now < due - 1, "not at the end of its time"
