"""Video slides in the render loop: real clips, a fake screen and clock, and a player that decodes on demand.

The player here is a working fake of kiosk.boundary.videoplayer.VideoPlayer:
it decodes the real file with the same code (kiosk.picture.video and
videopixels), but on the loop's own thread when the loop asks what is
ready, so the fake clock alone decides which frame is due.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.app.show import Show  # noqa: F401 - the loop under test, built by World
from kiosk.boundary.playlog import read_play_log
from kiosk.boundary.state import RotationStore
from kiosk.boundary.videoplayer import VideoFrame
from kiosk.core.errors import ContentError, PassingError
from kiosk.core.messages import FrameFailed
from kiosk.core.videoclock import Clip
from kiosk.picture.video import open_video
from kiosk.picture.videopixels import CaptionMatte, screen_pixels
from kiosk.picture.fonts import FontBook
from tests.clips import make_clip, truncated

from .conftest import make_picture, write_config
from .test_show import FAST, World

RATE = 20


class OnDemandPlayer:
    """Decodes the slot's frames when asked what is ready: as many as the queue holds, at once."""

    made: list["OnDemandPlayer"] = []

    def __init__(self, key, folder, font, inbox, depth=3):
        self.key, self.folder, self.inbox, self.depth = key, folder, inbox, depth
        self.fonts = FontBook(font)
        self.slot = None
        self.queue: list[VideoFrame] = []
        self.stopped = False
        self._frames = None
        self._play = 0
        self._last = -1
        self.failed = False
        OnDemandPlayer.made.append(self)

    def start(self):
        self._open()

    def playing(self, starts=None):
        pass

    def _open(self):
        self._video = open_video(self.folder / self.key.path, self.key.layout, root=self.folder)
        facts = self._video.facts
        if self.slot is None:
            self.slot = self.key.video.slot(Clip.from_header(facts.frames, facts.seconds, facts.frame_rate))
        matte = CaptionMatte(self.key.caption, self.key.kind, self.key.layout, self.fonts)
        self._frames = self._video.frames(
            pixels=lambda frame, rotation, layout: screen_pixels(frame, rotation, layout, matte,
                                                                 lambda: bytearray(layout.frame_bytes)))

    def ready(self):
        while not self.stopped and not self.failed and len(self.queue) < self.depth:
            try:
                frame = next(self._frames, None)
            except (ContentError, PassingError) as exc:
                self.failed = True
                self._video.close()
                self.inbox.put(FrameFailed(self.key, str(exc), isinstance(exc, PassingError)))
                break
            if frame is None:
                self._video.close()
                self._play += 1
                if self.slot.position(self._play, 0) > self.slot.last_position:
                    break
                self._open()
                continue
            position = self.slot.position(self._play, round(frame.time * RATE))
            if position > self.slot.last_position:
                break
            self.queue.append(VideoFrame(position, frame.size, frame.data, frame.pixel_format))
        return [frame.position for frame in self.queue]

    def take(self, count):
        taken, self.queue = self.queue[:count], self.queue[count:]
        return taken

    def give_back(self, frames):
        pass

    def stop(self):
        self.stopped = True


def player(inbox_of):
    def make(key, folder, font):
        return OnDemandPlayer(key, folder, font, inbox_of())
    return make


@pytest.fixture
def video_folder(tmp_path):
    root = tmp_path / "slides"
    make_clip(root / "contribute" / "v1.mp4", frames=RATE, rate=RATE)  # one second
    make_picture(root / "answers" / "a1.jpg", colour=(120, 100, 100))
    make_picture(root / "answers" / "a2.jpg", colour=(160, 100, 100))
    return root


def video_world(tmp_path, root, body=FAST, **options):
    holder: dict = {}
    box = World(write_config(tmp_path, body, slides=root), players=player(lambda: holder["inbox"]), **options)
    holder["inbox"] = box.inbox
    OnDemandPlayer.made = []
    return box


def test_a_video_plays_every_frame_on_the_clock_and_the_log_counts_its_length(tmp_path, video_folder):
    box = video_world(tmp_path, video_folder)
    played = box.run(6.0)
    assert "contribute/v1.mp4" in played
    record = next(r for r in read_play_log(box.config.state.dir) if r["path"] == "contribute/v1.mp4")
    assert record["seconds"] == pytest.approx(0.05 + 1.0)  # the fade in on its first frame, then one second
    updates = [d[2] for d in box.screen.drawn if d[0] == "update"]
    assert updates[: RATE] == list(range(RATE))  # every frame once, in order, on a clock nothing delays
    counts = box.show.videos.counts
    assert counts.shown >= RATE and counts.late == 0 and counts.skipped == 0
    assert box.show.monitor.status()["video_frames"]["shown"] == counts.shown


def test_each_frame_reaches_the_screen_when_the_clock_asks_for_it(tmp_path, video_folder):
    box = video_world(tmp_path, video_folder)
    box.show.open()
    box.step_until(lambda: any(d[0] == "update" and d[2] == RATE - 1 for d in box.screen.drawn))
    began = box.show.videos._starts
    updates = [d for d in box.screen.drawn if d[0] == "update"]
    assert [d[2] for d in updates] == list(range(RATE))
    assert updates[0][3] < began  # the first frame stands through the fade in
    for _kind, _surface, position, at in updates[1:]:
        assert at - began == pytest.approx(position / RATE, abs=0.001)


def test_a_video_fades_in_on_its_first_frame_and_out_on_its_last_with_no_black(tmp_path, video_folder):
    body = FAST.replace("transition_seconds: 0.05", "transition_seconds: 0.2")
    box = video_world(tmp_path, video_folder, body)
    box.run(8.0)
    drawn = box.screen.drawn
    plays = list(dict.fromkeys(d[1] for d in drawn if d[0] == "update"))  # a surface for each turn of the video
    assert len(plays) >= 2
    for surface in plays:
        # Fading in: the blend's new surface is the video's, and its frames do not move before the fade ends.
        fade_in = [i for i, d in enumerate(drawn) if d[0] == "blend" and d[2] == surface]
        assert len(fade_in) >= 5
        assert all(drawn[i][0] != "update" or drawn[i][2] == 0 for i in range(fade_in[0], fade_in[-1]))
        # Fading out: the next slide blends in over the video's surface, holding its last frame.
        fade_out = [i for i, d in enumerate(drawn) if d[0] == "blend" and d[1] == surface]
        if not fade_out:
            continue  # the run ended while it played
        updates = [d[2] for d in drawn[: fade_out[0]] if d[0] == "update" and d[1] == surface]
        assert updates == list(range(RATE))
        assert not any(d[0] == "update" and d[1] == surface for d in drawn[fade_out[0]:])
    # Nothing black: after the first slide, every frame drawn is of a slide.
    after_first = drawn[[i for i, d in enumerate(drawn) if d[0] == "show"][1]:]
    assert not any(d[0] == "show" and d[1][0] == "blank" for d in after_first)


def test_a_video_that_fails_half_way_gives_way_to_the_next_slide_at_once(tmp_path, video_folder):
    whole = make_clip(tmp_path / "whole.mp4", frames=2 * RATE, rate=RATE,
                      container_options={"movflags": "+faststart"}, options={"g": "5"})
    (video_folder / "contribute" / "v1.mp4").unlink()
    truncated(whole, video_folder / "contribute" / "cut.mp4", keep=0.8)  # about 18 of its 40 frames play
    box = video_world(tmp_path, video_folder)
    played = box.run(6.0)
    records = read_play_log(box.config.state.dir)
    cut = next(r for r in records if r["path"] == "contribute/cut.mp4")
    after = records[records.index(cut) + 1]
    shown = (dt.datetime.fromisoformat(after["time"]) - dt.datetime.fromisoformat(cut["time"])).total_seconds()
    assert shown < 0.05 + 2.0 - 0.5  # brought forward when its frames ran out, not held to its planned end
    assert len([d for d in box.screen.drawn if d[0] == "update"]) >= 10  # its good frames played first
    assert played.count("contribute/cut.mp4") == 1  # marked unusable: not played again
    assert "contribute/cut.mp4" in RotationStore(box.config.state.dir).load(0).unusable
    assert "cut.mp4" in str(box.show.monitor.status()["errors"])
