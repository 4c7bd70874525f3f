"""kiosk.boundary.videoplayer: a video slot's frames decoded ahead on a thread, into a bounded queue."""

from __future__ import annotations

import itertools
import queue
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.boundary.videoplayer import VideoPlayer
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.core.messages import FrameFailed
from kiosk.core.videoclock import VideoPlan
from kiosk.picture.video import open_video, probe_video
from tests.clips import corrupted, make_clip, make_ending_early, truncated

LAYOUT = Layout(size=(48, 27), fit="cover", pixel_format="BGRX", title="", footer="")
WAIT = 60.0  # seconds a test waits for the thread at most (never a measure of speed)
HANG = 20.0  # seconds a mutant's player may run before it counts as hung (a guard, not a measure of speed)


def _key(path: str, plan: VideoPlan, caption: str = "") -> FrameKey:
    return FrameKey(path, (1, 1), caption, "contribute", LAYOUT, plan)


def _drain(player: VideoPlayer, inbox: queue.Queue, most: int = 10_000,
           wait: float = WAIT) -> tuple[list[int], int]:
    """Every position the player gives, taken as they come (its slot begun); and the most frames ever
    waiting at once."""
    player.playing()
    return _drain_begun(player, most, wait)


def _drain_begun(player: VideoPlayer, most: int = 10_000, wait: float = WAIT) -> tuple[list[int], int]:
    positions: list[int] = []
    highest = 0
    deadline = time.monotonic() + wait
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
    player.playing()
    deadline = time.monotonic() + WAIT
    while len(player.ready()) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)
    player.stop()
    assert player.join()
    assert player.ready() == []


def test_before_its_slot_a_player_holds_only_its_first_frame_then_fills_its_queue(folder):
    player = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(1.0)), folder, DEFAULT_FONT, queue.Queue(),
                         depth=3, preroll=1)
    player.start()
    deadline = time.monotonic() + WAIT
    while not player.ready() and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(0.2)  # time enough to decode more, were it allowed to
    assert player.ready() == [0]  # another video may still be playing: one frame's memory, not three
    player.playing()
    while len(player.ready()) < 3 and time.monotonic() < deadline:
        time.sleep(0.002)
    assert player.ready() == [0, 1, 2]
    player.stop()
    assert player.join()


@pytest.mark.parametrize("plan, begun, first", [
    (VideoPlan(10.0), 6.02, 130),  # 6 s into the slot: decoding resumes half a second past the clock
    (VideoPlan(2.0, loop=3), 4.72, 2 * 40 + 24),  # in the third play
])
@pytest.mark.parametrize("poster_first", [True, False])  # the slot begins before the first frame is decoded
def test_a_slot_begun_well_before_is_played_from_its_clock_not_from_the_start(tmp_path, plan, begun, first,
                                                                               poster_first):
    frames = round(plan.play_seconds * 20)
    make_clip(tmp_path / "contribute" / "clip.mp4", frames=frames, rate=20, options={"g": "20"})
    now = 500.0
    player = VideoPlayer(_key("contribute/clip.mp4", plan), tmp_path, DEFAULT_FONT, queue.Queue(),
                         clock=lambda: now)
    player.start()
    deadline = time.monotonic() + WAIT
    while poster_first and not player.ready() and time.monotonic() < deadline:
        time.sleep(0.002)
    player.playing(now - begun)  # a box joining its sync group mid-video
    positions: list[int] = []
    while time.monotonic() < deadline and (player.alive or player.ready()):
        taken = player.take(len(player.ready()))
        positions += [frame.position for frame in taken]
        player.give_back(taken)
        time.sleep(0.002)
    # The first frame (the poster, decoded before), then from where the clock will be, on to the slot's end.
    assert positions == [0, *range(first, frames * plan.loop)]


def test_a_decoder_that_falls_far_behind_its_clock_jumps_ahead(tmp_path):
    make_clip(tmp_path / "contribute" / "clip.mp4", frames=200, rate=20, options={"g": "20"})
    moments = iter([500.0] * 10 + [505.0] * 10_000)  # the box stalls for 5 s after the first frames
    player = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(10.0)), tmp_path, DEFAULT_FONT, queue.Queue(),
                         clock=lambda: next(moments))
    player.start()
    player.playing(500.0)
    positions, _ = _drain_begun(player)
    assert positions[0] == 0 and 100 < positions[-1] == 199
    jump = next(index for index in range(1, len(positions)) if positions[index] != positions[index - 1] + 1)
    assert positions[jump] == 110  # where the clock is half a second after the stall, not the next frame


def _positions_joined(folder: Path, path: str, plan: VideoPlan, clock, begun: float) -> tuple[list[int], object]:
    inbox: queue.Queue = queue.Queue()
    player = VideoPlayer(_key(path, plan), folder, DEFAULT_FONT, inbox, clock=clock)
    player.start()
    player.playing(clock() - begun)
    positions, _ = _drain_begun(player)
    return positions, (inbox.get_nowait() if not inbox.empty() else None)


def test_a_join_into_an_open_gop_file_decodes_up_to_the_clock_instead_of_failing(tmp_path):
    # After a seek to an open GOP's keyframe, the frames that follow refer to ones before it: not damage.
    make_clip(tmp_path / "contribute" / "clip.mp4", frames=200, rate=20,
              options={"x264-params": "keyint=20:open-gop=1:bframes=3"})
    positions, failure = _positions_joined(tmp_path, "contribute/clip.mp4", VideoPlan(10.0), lambda: 500.0, 5.27)
    assert failure is None
    assert positions == [0, *range(115, 200)]


def test_a_seek_that_takes_long_aims_further_ahead_the_next_time(tmp_path):
    # One keyframe in 30 s: every seek decodes from the start. A clock that moves on at every look (the decoder
    # is slow) is never caught by aiming half a second ahead; the player learns how long a seek takes.
    make_clip(tmp_path / "contribute" / "clip.mp4", frames=600, rate=20,
              options={"g": "600", "sc_threshold": "0", "keyint_min": "600"})
    moments = itertools.count(1000.0, 0.01)
    positions, failure = _positions_joined(tmp_path, "contribute/clip.mp4", VideoPlan(30.0),
                                           lambda: next(moments), 2.0)
    jumps = [index for index in range(1, len(positions)) if positions[index] != positions[index - 1] + 1]
    assert failure is None and positions[-1] == 599
    # A few seeks, then it keeps up: the last 10 s and more without a jump. (Aiming half a second ahead each
    # time, it jumps 6 times and keeps up for the last second only.)
    assert len(jumps) <= 3 and len(positions) - jumps[-1] >= 200


def test_a_slot_begun_a_moment_ago_is_decoded_through_not_sought(folder):
    player = VideoPlayer(_key("contribute/clip.mp4", VideoPlan(1.0)), folder, DEFAULT_FONT, queue.Queue(),
                         clock=lambda: 100.0)
    player.start()
    player.playing(100.0 - 0.3)
    positions, _ = _drain_begun(player)
    assert positions == list(range(20))


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


def test_a_file_ending_far_before_its_header_gives_its_frames_then_fails_naming_it(tmp_path):
    path = make_ending_early(tmp_path / "contribute" / "short.mkv", seconds=10, frames=10)
    facts = probe_video(path, root=tmp_path)
    assert (facts.frames, facts.seconds, facts.frame_rate) == (None, 10.0, 25.0)  # 250 frames by its header
    with open_video(path, LAYOUT, root=tmp_path) as video:
        assert len(list(video.frames())) == 10  # the decoder finds nothing wrong: the frames just stop
    inbox: queue.Queue = queue.Queue()
    player = VideoPlayer(_key("contribute/short.mkv", VideoPlan(10.0)), tmp_path, DEFAULT_FONT, inbox)
    player.start()
    positions, _ = _drain(player, inbox)
    assert player.join()
    assert positions == list(range(10))  # every good frame, and none past the last
    failed = inbox.get_nowait()
    assert isinstance(failed, FrameFailed) and not failed.passing and failed.key.path == "contribute/short.mkv"
    assert failed.reason == "contribute/short.mkv: ends after 10 frames, where its header promises 250"
    assert inbox.empty()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """Small valid clips to damage: an H.264 MP4 with its index first, whose header counts its frames, and
    a Matroska file, whose header only says how long it is."""
    folder = tmp_path_factory.mktemp("seeds")
    mp4 = make_clip(folder / "seed.mp4", size=(64, 64), frames=10, options={"g": "4"},
                    container_options={"movflags": "+faststart"})
    mkv = make_clip(folder / "seed.mkv", size=(64, 64), frames=10, options={"g": "4"})
    return {path.suffix: path.read_bytes() for path in (mp4, mkv)}


@st.composite
def damaged(draw: st.DrawFn, seeds: dict[str, bytes]) -> tuple[str, bytes]:
    """A seed with a few byte ranges overwritten, inserted or cut, then perhaps truncated.

    Half the edits fall in the file's second half, among the frames: most
    damage to a header is refused at opening (test_video's mutants cover
    that), and a player's own work starts once the file is open.
    """
    suffix = draw(st.sampled_from(sorted(seeds)))
    data = bytearray(seeds[suffix])
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data) - 1) | st.integers(len(data) // 2, len(data) - 1))
        kind = draw(st.sampled_from(["overwrite", "insert", "cut"]))
        if kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at: at + len(chunk)] = chunk
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at: at + draw(st.integers(1, 64))]
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data))):]
    return suffix, bytes(data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_file_plays_to_its_end_or_fails_once_naming_it(seeds, data):
    suffix, mutant = data.draw(damaged(seeds))
    plan = data.draw(st.sampled_from([VideoPlan(0.4), VideoPlan(0.4, loop=2), VideoPlan(0.4, seconds=1.0)]))
    name = f"contribute/mutant{suffix}"
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).parent.mkdir()
        (Path(folder) / name).write_bytes(mutant)
        inbox: queue.Queue = queue.Queue()
        player = VideoPlayer(_key(name, plan), Path(folder), DEFAULT_FONT, inbox)
        player.start()
        try:
            positions, _ = _drain(player, inbox, wait=HANG)
            assert player.join(), f"the player of {name} still runs after {HANG:g} s"
        finally:
            player.stop()
    assert positions == sorted(set(positions))
    reports = []
    while not inbox.empty():
        reports.append(inbox.get_nowait())
    if not reports:  # played to its end
        assert positions and player.slot is not None and positions[-1] <= player.slot.last_position
        return
    assert len(reports) == 1
    failed = reports[0]
    assert isinstance(failed, FrameFailed) and failed.key == player.key and not failed.passing
    assert failed.reason.startswith(f"{name}: ")
    assert not failed.reason.startswith(f"{name}: unexpected error"), failed.reason


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
