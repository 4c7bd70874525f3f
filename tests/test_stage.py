"""The slides on screen: presenting, fading, when each left, the history for "previous". Plain data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.core.admission import Admission, Listed
from kiosk.core.config import parse_config
from kiosk.core.effects import (
    Blend, EndFade, HoldWorker, Notify, PlayVideo, Present, PublishStatus, RecordSlide, ReleaseWorker, SlideBegan,
    SlideLeft,
)
from kiosk.core.frames import Frame, frame_key
from kiosk.core.lineup import Lineup, Upcoming
from kiosk.core.playlist import FALLBACK_PATH, Entry, playlist_settings
from kiosk.core.prepared import Prepared, cache_bytes
from kiosk.core.rotation import Rotation, SavedState
from kiosk.core.stage import Stage
from kiosk.core.videoclock import VideoPlan

from .test_director import slides

WALL = dt.datetime(2026, 12, 18, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))
SAVED = SavedState(Rotation(seed=11))


def lineup() -> Lineup:
    config = parse_config("", Path("/srv"))
    frames = Prepared(cache_bytes(config, None))
    frames.fit(config, (96, 54), "BGRX")
    return Lineup(Admission(slides(), {}, playlist_settings(config)), frames, config.schedule.timetable)


def due(line: Lineup, path: str, at: float, seconds: float = 3.0, kind: str = "answer") -> tuple[Upcoming, Frame]:
    entry = Entry(path, kind, seconds)
    key = frame_key(entry, line.frames.layout)
    upcoming = Upcoming(entry, Rotation(seed=11), key, at, WALL + dt.timedelta(seconds=at), at)
    return upcoming, Frame(key, key.layout.panel_size, b"")


def begin(stage: Stage, line: Lineup, path: str, at: float, fade: float, first: bool = False) -> list:
    upcoming, frame = due(line, path, at)
    return stage.begin(upcoming, frame, SAVED, first, at, WALL + dt.timedelta(seconds=at), fade, line)


def kinds(effects: list) -> list[type]:
    return [type(effect) for effect in effects]


def test_a_fade_holds_the_worker_and_the_slide_before_leaves_as_it_ends():
    stage, line = Stage(), lineup()
    first = begin(stage, line, "answers/a1.jpg", 0.0, 0.5, first=True)
    assert kinds(first) == [Present, HoldWorker, Blend, RecordSlide, Notify, PublishStatus]
    assert first[0].from_blank and first[2] == Blend(0.0) and first[4] == Notify("ready", "showing answers/a1.jpg")
    assert stage.fading and stage.draw_fade(0.25) == [Blend(0.5)]
    assert stage.draw_fade(0.5) == [EndFade(), ReleaseWorker()] and not stage.fading
    second = begin(stage, line, "answers/a2.jpg", 3.0, 0.5)
    assert kinds(second) == [Present, HoldWorker, Blend, RecordSlide, SlideBegan, Notify, PublishStatus]
    assert not second[0].from_blank and second[4] == SlideBegan(3.0)
    ended = stage.draw_fade(3.5)
    assert kinds(ended) == [EndFade, ReleaseWorker, SlideLeft]
    left = ended[2]
    assert left.path == "answers/a1.jpg" and left.time == first[3].record["time"]
    assert dt.datetime.fromisoformat(left.left) - dt.datetime.fromisoformat(left.time) == dt.timedelta(seconds=3.5)


def test_a_cut_ends_the_slide_before_as_the_next_begins_and_lets_a_held_worker_go():
    stage, line = Stage(), lineup()
    begin(stage, line, "answers/a1.jpg", 0.0, 0.0, first=True)
    line.choose(Rotation(seed=11), 3.0, WALL, 0.0)
    line.frames.arrived(Frame(line.upcoming.key, (96, 54), b""), spare=False, keep=None)
    assert line.hold_before_due(2.9) == [HoldWorker()]
    upcoming = line.upcoming
    effects = stage.begin(upcoming, line.frames.get(upcoming.key), SAVED, False, 3.0, WALL, 0.0, line)
    assert kinds(effects)[:3] == [Present, ReleaseWorker, SlideLeft] and not stage.fading
    assert effects[2].path == "answers/a1.jpg"


def test_the_same_picture_again_draws_nothing_and_still_ends_the_line_before():
    stage, line = Stage(), lineup()
    begin(stage, line, "contribute/c1.png", 0.0, 0.5, first=True)
    stage.draw_fade(0.5)
    again = begin(stage, line, "contribute/c1.png", 3.0, 0.5)
    assert Present not in kinds(again) and not stage.fading
    assert kinds(again)[0] == SlideLeft and kinds(again)[1] == RecordSlide


def test_a_withdrawn_slide_is_noticed_once_and_the_fallback_never():
    stage, line = Stage(), lineup()
    begin(stage, line, "answers/a1.jpg", 0.0, 0.0, first=True)
    listed = Listed(slides().slides(), ())
    assert not stage.withdrawn(listed)
    del listed.slides["answers/a1.jpg"]
    assert stage.withdrawn(listed) and not stage.withdrawn(listed)
    fallback, line = Stage(), lineup()
    upcoming, frame = due(line, FALLBACK_PATH, 0.0, kind="fallback")
    fallback.begin(upcoming, frame, SAVED, True, 0.0, WALL, 0.0, line)
    assert not fallback.withdrawn(Listed((), ()))


def test_previous_is_the_slide_before_the_one_on_screen_from_the_history():
    stage, line = Stage(), lineup()
    assert stage.previous() is None
    for at, path in enumerate(("answers/a1.jpg", "answers/a2.jpg", "answers/a3.jpg")):
        begin(stage, line, path, float(at), 0.0, first=at == 0)
    assert stage.previous().path == "answers/a2.jpg"
    assert stage.previous() is None, "a1 alone is left: nothing before it"


def test_the_slides_on_screen_leave_once_when_the_show_ends_and_all_of_them_when_it_goes_dark():
    stage, line = Stage(), lineup()
    begin(stage, line, "answers/a1.jpg", 0.0, 0.5, first=True)
    stage.draw_fade(0.5)
    begin(stage, line, "answers/a2.jpg", 3.0, 0.5)
    assert [left.path for left in stage.close(3.2)] == ["answers/a1.jpg", "answers/a2.jpg"]
    assert stage.close(3.3) == []
    begin(stage, line, "answers/a3.jpg", 6.0, 0.5)
    assert [left.path for left in stage.clear(6.1)] == ["answers/a3.jpg"]
    assert stage.on_screen is None and not stage.fading


def _video_due(line: Lineup, at: float, out_of_turn: bool = False, into: float | None = None
               ) -> tuple[Upcoming, Frame]:
    entry = Entry("contribute/v.mp4", "contribute", 7.0, video=VideoPlan(6.0), into=into)
    key = frame_key(entry, line.frames.layout)
    upcoming = Upcoming(entry, Rotation(seed=11), key, at, WALL + dt.timedelta(seconds=at), at)
    upcoming.out_of_turn = out_of_turn
    return upcoming, Frame(key, key.layout.panel_size, b"")


def test_a_video_plays_from_the_moment_due_once_its_fade_in_is_over():
    stage, line = Stage(), lineup()
    begin(stage, line, "answers/a1.jpg", 0.0, 0.0, first=True)
    upcoming, frame = _video_due(line, 8.0)
    # The loop came round 3 ms late: the clock still counts from the moment due, as every box of a group does.
    effects = stage.begin(upcoming, frame, SAVED, False, 8.003, WALL, 1.0, line)
    [play] = [effect for effect in effects if isinstance(effect, PlayVideo)]
    assert play == PlayVideo(upcoming.key, 8.0 + 1.0)
    assert kinds(effects).index(Present) < kinds(effects).index(PlayVideo)


def test_a_video_brought_forward_or_first_plays_from_now():
    stage, line = Stage(), lineup()
    upcoming, frame = _video_due(line, 0.0)
    first = stage.begin(upcoming, frame, SAVED, True, 2.0, WALL, 0.5, line)
    assert PlayVideo(upcoming.key, 2.5) in first
    upcoming, frame = _video_due(line, 30.0, out_of_turn=True)
    again = stage.begin(upcoming, frame, SAVED, False, 12.0, WALL, 0.0, line)
    assert PlayVideo(upcoming.key, 12.0) in again


def test_a_box_joining_its_sync_group_mid_video_plays_it_from_the_groups_clock():
    stage, line = Stage(), lineup()
    # Started (or its content came) 4.25 s into the group's slot; the slide was chosen at 10.0, begins at 11.5.
    upcoming, frame = _video_due(line, 10.0, into=4.25)
    first = stage.begin(upcoming, frame, SAVED, True, 11.5, WALL, 1.0, line)
    assert PlayVideo(upcoming.key, 10.0 - 4.25 + 1.0, joined=True) in first
    # Come in during the group's fade in, the video's clock has not begun: a slot start like any other.
    upcoming, frame = _video_due(line, 20.0, into=0.25)
    assert PlayVideo(upcoming.key, 20.0 - 0.25 + 1.0) in stage.begin(upcoming, frame, SAVED, True, 20.5, WALL, 1.0,
                                                                     line)
    # A key press in a group is out of turn: from now, whatever the slot.
    upcoming, frame = _video_due(line, 30.0, out_of_turn=True, into=2.0)
    assert PlayVideo(upcoming.key, 31.0) in stage.begin(upcoming, frame, SAVED, False, 31.0, WALL, 0.0, line)


def test_a_picture_plays_no_video():
    stage, line = Stage(), lineup()
    assert not any(isinstance(effect, PlayVideo) for effect in begin(stage, line, "answers/a1.jpg", 0.0, 0.5, True))
