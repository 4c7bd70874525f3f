"""kiosk.app.videos: which player decodes ahead, which plays, when each stops, and the counts kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.app.videos import FRAME_WAIT_FLOOR, Videos
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.core.videoclock import Clip, FrameCounts, VideoPlan

LAYOUT = Layout(size=(16, 9))


def key(name: str, video: bool = True) -> FrameKey:
    return FrameKey(name, (1, 1), "", "contribute", LAYOUT, VideoPlan(1.0) if video else None)


class Frame:
    def __init__(self, position: int) -> None:
        self.position = position


class FakePlayer:
    """Every frame of a 10-frame, 1-second clip is ready at once."""

    def __init__(self, key: FrameKey, folder: Path, font: Path) -> None:
        self.key, self.folder, self.font = key, folder, font
        self.slot = key.video.slot(Clip.at_rate(10, 10)) if key.video else None
        self.queue = list(range(10))
        self.started = self.stopped = self.began = False
        self.given_back: list[int] = []

    def start(self) -> None:
        self.started = True

    def playing(self, starts: float | None = None) -> None:
        self.began = True

    def ready(self) -> list[int]:
        return list(self.queue)

    def take(self, count: int) -> list[Frame]:
        taken, self.queue = self.queue[:count], self.queue[count:]
        return [Frame(position) for position in taken]

    def give_back(self, frames: list[Frame]) -> None:
        self.given_back += [frame.position for frame in frames]

    def stop(self) -> None:
        self.stopped = True


class Maker:
    def __init__(self) -> None:
        self.made: list[FakePlayer] = []

    def __call__(self, key: FrameKey, folder: Path, font: Path) -> FakePlayer:
        self.made.append(FakePlayer(key, folder, font))
        return self.made[-1]


def test_the_player_started_ahead_is_the_one_that_plays():
    maker = Maker()
    videos = Videos(maker, Path("slides"), Path("font.ttf"))
    videos.prepare(key("v.mp4"))
    videos.prepare(key("v.mp4"))  # the same slide again: still one player
    assert len(maker.made) == 1 and maker.made[0].started and not maker.made[0].began
    videos.play(key("v.mp4"), starts=5.0)
    assert len(maker.made) == 1 and videos.playing and maker.made[0].began  # its queue may fill now


def test_a_picture_has_no_player_and_a_changed_plan_drops_the_one_ahead():
    maker = Maker()
    videos = Videos(maker, Path("slides"), Path("font.ttf"))
    videos.prepare(key("a.jpg", video=False))
    assert maker.made == []
    videos.prepare(key("v.mp4"))
    videos.prepare(key("w.mp4"))
    assert maker.made[0].stopped and not maker.made[1].stopped
    videos.play(key("v.mp4"), starts=0.0)  # not the one ahead: a new player, and the other is dropped
    assert len(maker.made) == 3 and maker.made[1].stopped


def test_frames_follow_the_clock_and_the_counts_outlive_the_slot():
    maker = Maker()
    videos = Videos(maker, Path("slides"), Path("font.ttf"))
    videos.play(key("v.mp4"), starts=10.0)
    assert videos.due(9.5)[0].position == 0  # before the slot: the first frame, held through the fade in
    assert videos.due(9.6) is None  # nothing new is due
    assert videos.wait_seconds(9.6) == 10.1 - 9.6
    frame, done = videos.due(10.45)  # frames 1 to 3 were never shown: the screen shows the one due
    assert frame.position == 4
    done()
    assert maker.made[0].given_back == [1, 2, 3, 4]
    assert videos.counts == FrameCounts(shown=2, late=0, skipped=3)
    summary = videos.summary()
    assert list(videos.gaps) == [10.45 - 9.5] and summary["gap_seconds"]["0.5"] == 0.95
    assert list(videos.lateness) == pytest.approx([0.0, 0.05])  # the first frame was due at the slot's start
    # The first frame shown once the clock ran (frame 4 at 10.45, due at 10.4) tells how ready the slot was.
    assert list(videos.first_lateness) == pytest.approx([0.05])
    assert videos.due(11.2) is None  # over: the last frame stays for the fade out
    assert not videos.playing and maker.made[0].stopped
    assert videos.counts == FrameCounts(shown=2, late=0, skipped=8)
    videos.play(key("v.mp4"), starts=20.0)
    videos.due(20.0)
    assert videos.counts.shown == 3  # the ended slot's counts are kept
    assert list(videos.first_lateness) == pytest.approx([0.05, 0.0])  # one for each slot
    assert set(videos.summary()["first_frame_lateness_seconds"]) == {"0.5", "0.9", "0.99"}
    videos.play(key("v.mp4"), starts=29.5, joined=True)  # a slot joined half way: no start of its own to be late for
    assert videos.due(30.0)[0].position == 5
    assert len(videos.first_lateness) == 2


def test_another_slide_stops_the_video_and_the_same_slide_does_not():
    maker = Maker()
    videos = Videos(maker, Path("slides"), Path("font.ttf"))
    videos.play(key("v.mp4"), starts=0.0)
    videos.presented(key("v.mp4"))
    assert videos.playing
    videos.presented(key("a.jpg", video=False))
    assert not videos.playing and maker.made[0].stopped
    videos.play(key("v.mp4"), starts=0.0)
    videos.presented(None)  # the screen went dark by schedule
    assert not videos.playing


def test_a_player_still_opening_is_looked_at_again_soon():
    maker = Maker()
    videos = Videos(maker, Path("slides"), Path("font.ttf"))
    videos.play(key("v.mp4"), starts=0.0)
    maker.made[0].slot = None
    assert videos.due(0.5) is None
    assert videos.wait_seconds(0.5) == FRAME_WAIT_FLOOR
    assert Videos(None, Path("slides"), Path("font.ttf")).wait_seconds(0.0) is None


def test_a_box_without_players_shows_the_first_frame_as_a_picture():
    videos = Videos(None, Path("slides"), Path("font.ttf"))
    videos.prepare(key("v.mp4"))
    videos.play(key("v.mp4"), starts=0.0)
    assert not videos.playing and videos.due(1.0) is None
