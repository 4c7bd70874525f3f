"""kiosk.boundary.videoplayer: a video slot's frames decoded ahead on a thread, into a bounded queue."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import pytest

from kiosk.boundary.videoplayer import VideoPlayer
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.core.messages import FrameFailed
from kiosk.core.videoclock import VideoPlan
from tests.clips import corrupted, make_clip, truncated

LAYOUT = Layout(size=(48, 27), fit="cover", pixel_format="BGRX", title="", footer="")
WAIT = 60.0  # seconds a test waits for the thread at most (never a measure of speed)


def _key(path: str, plan: VideoPlan, caption: str = "") -> FrameKey:
    return FrameKey(path, (1, 1), caption, "contribute", LAYOUT, plan)


def _drain(player: VideoPlayer, inbox: queue.Queue, most: int = 10_000) -> tuple[list[int], int]:
    """Every position the player gives, taken as they come; and the most frames ever waiting at once."""
    positions: list[int] = []
    highest = 0
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and len(positions) < most:
        ready = player.ready()
        highest = max(highest, len(ready))
        if ready:
            frames = player.take(len(ready))
            positions += [frame.position for frame in frames]
            player.give_back(frames)
        elif not player.alive:
            break
        else:
            time.sleep(0.002)
    return positions, highest


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    make_clip(tmp_path / "contribute" / "clip.mp4", frames=20, rate=20)
    return tmp_path


def test_every_frame_of_one_play_comes_in_order_and_the_queue_stays_short(folder):
    inbox: queue.Queue = queue.Queue()
    player = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(1.0)), folder, DEFAULT_FONT, inbox, depth=3)
    player.start()
    positions, highest = _drain(player, inbox)
    assert player.join()
    assert positions == list(range(20))
    assert highest <= 3
    assert inbox.empty()  # nothing failed
    assert player.slot is not None and player.slot.length == pytest.approx(1.0)
    first = player.take(1)
    assert first == []  # an ended player has nothing left


def test_loops_number_the_second_play_after_the_first(folder):
    player = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(1.0, loop=3)), folder, DEFAULT_FONT, queue.Queue())
    player.start()
    positions, _ = _drain(player, queue.Queue())
    assert positions == list(range(60))


def test_seconds_trim_the_video_and_fill_a_longer_turn(folder):
    trimmed = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(1.0, seconds=0.5)), folder, DEFAULT_FONT,
                          queue.Queue())
    trimmed.start()
    assert _drain(trimmed, queue.Queue())[0] == list(range(10))
    filled = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(1.0, seconds=1.5)), folder, DEFAULT_FONT,
                         queue.Queue())
    filled.start()
    assert _drain(filled, queue.Queue())[0] == list(range(30))


def test_the_frames_carry_the_caption_band(folder):
    layout = Layout(size=(160, 90), fit="cover", pixel_format="RGB", title="", footer="")
    key = FrameKey("contribute/clip.mp4", (1, 1), "Hoping together\n함께 희망", "contribute", layout, VideoPlan(1.0))
    plain = FrameKey("contribute/clip.mp4", (1, 1), "", "contribute", layout, VideoPlan(1.0))
    frames = []
    for each in (key, plain):
        player = VideoPlayer(each, folder, DEFAULT_FONT, queue.Queue(), depth=1)
        player.start()
        deadline = time.monotonic() + WAIT
        while not player.ready() and time.monotonic() < deadline:
            time.sleep(0.002)
        frames.append(bytes(player.take(1)[0].data))
        player.stop()
        assert player.join()
    captioned, bare = frames
    row = 85 * 160 * 3  # a row inside the caption band at the foot
    top = 5 * 160 * 3  # a row of the picture, far above it
    assert captioned[top: top + 480] == bare[top: top + 480]
    assert captioned[row: row + 480] != bare[row: row + 480]


def test_a_stop_ends_the_thread_even_while_the_queue_is_full(folder):
    player = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(1.0, loop=1000)), folder, DEFAULT_FONT,
                         queue.Queue(), depth=2)
    player.start()
    deadline = time.monotonic() + WAIT
    while len(player.ready()) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)
    player.stop()
    assert player.join()
    assert player.ready() == []


def test_a_file_damaged_half_way_gives_its_good_frames_then_fails_naming_the_file(tmp_path):
    whole = make_clip(tmp_path / "whole.mp4", frames=50, rate=25, container_options={"movflags": "+faststart"},
                      options={"g": "10"})
    (tmp_path / "contribute").mkdir()
    truncated(whole, tmp_path / "contribute" / "cut.mp4", keep=0.6)
    inbox: queue.Queue = queue.Queue()
    player = VideoPlayer(_key("contribute/cut.mp4", VideoPlan(2.0)), tmp_path, DEFAULT_FONT, inbox)
    player.start()
    positions, _ = _drain(player, inbox)
    assert player.join()
    assert 0 < len(positions) < 50 and positions == sorted(positions)
    failed = inbox.get_nowait()
    assert isinstance(failed, FrameFailed) and not failed.passing
    assert failed.key.path == "contribute/cut.mp4" and "contribute/cut.mp4" in failed.reason


def test_a_corrupt_stream_fails_and_a_vanished_file_is_a_passing_failure(tmp_path):
    whole = make_clip(tmp_path / "whole.mp4", frames=50, options={"g": "10"})
    (tmp_path / "contribute").mkdir()
    corrupted(whole, tmp_path / "contribute" / "bad.mp4")
    for name, passing in (("bad.mp4", False), ("gone.mp4", True)):
        inbox: queue.Queue = queue.Queue()
        player = VideoPlayer(_key(f"contribute/{name}", VideoPlan(2.0)), tmp_path, DEFAULT_FONT, inbox)
        player.start()
        _drain(player, inbox)
        assert player.join()
        failed = inbox.get(timeout=WAIT)
        assert isinstance(failed, FrameFailed) and failed.passing is passing and name in failed.reason


def test_a_player_stopped_before_its_failure_reports_nothing(tmp_path):
    (tmp_path / "contribute").mkdir()
    inbox: queue.Queue = queue.Queue()
    player = VideoPlayer(_key("contribute/gone.mp4", VideoPlan(2.0)), tmp_path, DEFAULT_FONT, inbox)
    player.stop()  # the slot ended before the thread even started
    player.start()
    assert player.join()
    assert inbox.empty()


def test_a_picture_key_is_not_a_video():
    with pytest.raises(ValueError, match="not a video"):
        VideoPlayer(FrameKey("answers/a.jpg", (1, 1), "", "answer", LAYOUT), Path("."), DEFAULT_FONT, queue.Queue())
