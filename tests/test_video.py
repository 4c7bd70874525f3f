"""The video seam: real files made with PyAV, good and hostile, probed and decoded to panel frames."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.errors import (
    ContentError,
    KioskError,
    PassingError,
    UnsafeFile,
    VideoError,
)
from kiosk.core.layout import BYTES_PER_PIXEL, Layout
from kiosk.core.videoclock import Clip, Slot, pick
from kiosk.core.videofacts import (
    DEFAULT_LIMITS,
    VideoLimits,
)
from kiosk.picture.video import open_video, probe_video
from tests.clips import (
    ENCODERS,
    FIELD,
    corrupted,
    make_clip,
    make_no_frames,
    make_variable_rate,
    truncated,
)

SMALL = Layout(size=(48, 27), fit="cover", pixel_format="RGB")


def _frames(path: Path, layout: Layout = SMALL, limits: VideoLimits = DEFAULT_LIMITS, **kwargs):
    with open_video(path, layout, limits, **kwargs) as video:
        return list(video.frames())


def _pixel(frame, x: int, y: int) -> tuple[int, ...]:
    size = BYTES_PER_PIXEL[frame.pixel_format]
    width = frame.size[0]
    start = (y * width + x) * size
    return tuple(frame.data[start: start + size])


def _near(actual, wanted, tolerance=40) -> bool:
    return all(abs(a - w) <= tolerance for a, w in zip(actual, wanted))


WHITE = (255, 255, 255)


RED = (FIELD[0], 0, FIELD[2])


@pytest.mark.parametrize("codec", sorted(ENCODERS))
def test_each_codec_the_wheel_encodes_is_probed_and_decoded(tmp_path, codec):
    encoder, suffix = ENCODERS[codec]
    size = (96, 64) if codec == "av1" else (96, 54)  # SVT-AV1 wants sides divisible by 8
    path = make_clip(tmp_path / f"clip{suffix}", encoder, size=size, frames=25)
    facts = probe_video(path)
    assert facts.codec == codec
    assert facts.size == size
    assert facts.frame_rate == 25
    assert facts.seconds == pytest.approx(1.0, abs=0.05)
    assert facts.rotation == 0
    assert facts.audio is None
    assert facts.streams == 1
    frames = _frames(path)
    assert len(frames) == 25
    assert [round(frame.time, 3) for frame in frames] == [round(index / 25, 3) for index in range(25)]
    assert [frame.index for frame in frames] == list(range(25))
    assert all(frame.size == (48, 27) and frame.nbytes == 48 * 27 * 3 for frame in frames)


@pytest.mark.parametrize(("matrix", "clockwise", "white_corner"), [
    (None, 0, "top-left"),
    (-90, 90, "top-right"),  # a phone held upright: stored on its side, `rotate` tag 90
    (90, 270, "bottom-left"),
    (180, 180, "bottom-right"),
])
def test_the_rotation_is_read_and_turned_into_the_pixels(tmp_path, matrix, clockwise, white_corner):
    path = make_clip(tmp_path / "turned.mp4", size=(96, 64), frames=3, rotation=matrix)
    facts = probe_video(path)
    assert facts.rotation == clockwise
    upright = facts.upright_size
    assert upright == ((64, 96) if clockwise in (90, 270) else (96, 64))
    layout = Layout(size=(upright[0] // 2, upright[1] // 2), fit="cover", pixel_format="RGB")
    frame = _frames(path, layout)[0]
    width, height = frame.size
    corners = {"top-left": (2, 2), "top-right": (width - 3, 2), "bottom-left": (2, height - 3),
               "bottom-right": (width - 3, height - 3)}
    for corner, (x, y) in corners.items():
        wanted = WHITE if corner == white_corner else RED
        assert _near(_pixel(frame, x, y), wanted), (corner, _pixel(frame, x, y))


@pytest.mark.parametrize("pixel_format", ["RGB", "RGBX", "BGRX"])
def test_frames_come_in_the_panel_pixel_format(tmp_path, pixel_format):
    path = make_clip(tmp_path / "clip.mp4", frames=2)
    frame = _frames(path, Layout(size=(48, 27), fit="cover", pixel_format=pixel_format))[0]
    assert frame.pixel_format == pixel_format
    assert frame.nbytes == 48 * 27 * BYTES_PER_PIXEL[pixel_format]
    red = _pixel(frame, 40, 20)
    as_rgb = (red[2], red[1], red[0]) if pixel_format == "BGRX" else red[:3]
    assert _near(as_rgb, RED)


def test_contain_frames_the_video_on_the_background_and_cover_fills_the_panel(tmp_path):
    path = make_clip(tmp_path / "wide.mp4", size=(96, 54), frames=2)
    square = {"size": (60, 60), "background": (0, 0, 255), "pixel_format": "RGB"}
    contained = _frames(path, Layout(fit="contain", **square))[0]
    assert _near(_pixel(contained, 30, 2), (0, 0, 255), 2)  # the bar above
    assert _near(_pixel(contained, 45, 30), RED)
    covered = _frames(path, Layout(fit="cover", **square))[0]
    assert _near(_pixel(covered, 12, 3), WHITE) and _near(_pixel(covered, 48, 56), RED)
    blurred = _frames(path, Layout(fit="blur", **square))[0]
    assert not _near(_pixel(blurred, 30, 2), (0, 0, 255), 60)  # the bars hold the blurred video


def test_a_panel_mounted_in_portrait_gets_turned_frames(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", frames=2)
    layout = Layout(size=(48, 27), rotation=90, fit="cover", pixel_format="RGB")
    frame = _frames(path, layout)[0]
    assert frame.size == layout.panel_size == (27, 48)
    assert frame.nbytes == layout.frame_bytes


def test_opening_without_a_layout_gives_facts_only(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", frames=2)
    with open_video(path, None) as video:
        assert video.facts.frames == 2
        with pytest.raises(ValueError):
            next(video.frames())


def test_frames_decode_once_per_opening(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", frames=2)
    with open_video(path, SMALL) as video:
        assert len(list(video.frames())) == 2
        with pytest.raises(RuntimeError):
            next(video.frames())


@pytest.mark.parametrize("container", ["mp4", "mkv", "webm"])
def test_frames_from_a_moment_on_are_the_same_frames_as_decoded_from_the_start(tmp_path, container):
    codec = "libvpx-vp9" if container == "webm" else "libx264"
    path = make_clip(tmp_path / f"clip.{container}", codec=codec, frames=60, rate=20, options={"g": "20"})
    with open_video(path, SMALL) as video:
        whole = [(frame.time, bytes(frame.data)) for frame in video.frames()]
    with open_video(path, SMALL) as video:
        later = [(frame.time, bytes(frame.data)) for frame in video.frames(start=1.62)]
    # Sought to the keyframe at 1.0 s, the decoder goes on to the frame on screen at 1.62 s (1.60 s) and
    # gives every frame from there, pixel for pixel as decoded from the start, to the end.
    assert later and math.isclose(later[0][0], 1.6, abs_tol=1e-6)
    assert later == [frame for frame in whole if frame[0] >= 1.6 - 1e-6]


def test_frames_passed_over_on_the_way_to_the_start_stop_when_asked(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", frames=60, rate=20)
    asked = []

    def stopped() -> bool:
        asked.append(True)
        return len(asked) >= 3

    with open_video(path, SMALL) as video:
        assert list(video.frames(start=2.5, seek=False, stopped=stopped)) == []
    assert len(asked) == 3  # decoding ended at the third frame passed over, not at the end of the file


def test_a_start_past_the_end_gives_no_frames_and_no_error(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", frames=20, rate=20)
    with open_video(path, SMALL) as video:
        assert list(video.frames(start=5.0)) == []


def test_a_truncated_file_plays_up_to_the_failing_frame(tmp_path):
    whole = make_clip(tmp_path / "whole.mp4", frames=50, container_options={"movflags": "+faststart"},
                      options={"g": "10"})
    cut = truncated(whole, tmp_path / "cut.mp4", keep=0.6)
    assert probe_video(cut).frames == 50  # the header is whole: what fails is the stream
    shown = []
    with open_video(cut, SMALL) as video, pytest.raises(VideoError, match="cut.mp4") as caught:
        for frame in video.frames():
            shown.append(frame.time)
    assert 0 < len(shown) < 50
    assert shown == sorted(shown)
    assert "frame" in str(caught.value)


def test_a_file_cut_before_its_index_is_refused_at_open(tmp_path):
    whole = make_clip(tmp_path / "whole.mp4", frames=25)  # index (moov) at the end
    with pytest.raises(VideoError, match="cut.mp4: cannot open"):
        probe_video(truncated(whole, tmp_path / "cut.mp4", keep=0.5))


def test_a_corrupt_stream_ends_with_an_error_from_the_failing_frame(tmp_path):
    whole = make_clip(tmp_path / "whole.mp4", frames=50, container_options={"movflags": "+faststart"},
                      options={"g": "10"})
    bad = corrupted(whole, tmp_path / "bad.mp4", start=0.5, length=400)
    shown = 0
    with pytest.raises(VideoError, match="bad.mp4"), open_video(bad, SMALL) as video:
        for _frame in video.frames():
            shown += 1
    assert shown < 50


def test_a_video_track_without_frames_is_refused(tmp_path):
    with pytest.raises(VideoError, match="empty.mkv: has no frames"):
        probe_video(make_no_frames(tmp_path / "empty.mkv"))


def test_not_a_video_and_an_empty_file_are_refused(tmp_path):
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(os.urandom(4096))
    with pytest.raises(VideoError, match="noise.mp4"):
        probe_video(noise)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="empty.mp4: empty file"):
        probe_video(empty)


def test_a_file_over_the_byte_limit_is_refused_unread(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", frames=2)
    with pytest.raises(VideoError, match="clip.mp4: .* bytes is over the limit of 100"):
        probe_video(path, VideoLimits(max_bytes=100))


def test_a_fifo_or_a_link_outside_the_folder_is_never_read(tmp_path):
    folder = tmp_path / "slides"
    folder.mkdir()
    os.mkfifo(folder / "pipe.mp4")
    with pytest.raises(UnsafeFile, match="pipe.mp4"):
        probe_video(folder / "pipe.mp4", root=folder)
    outside = make_clip(tmp_path / "outside.mp4", frames=2)
    (folder / "link.mp4").symlink_to(outside)
    with pytest.raises(UnsafeFile, match="link.mp4"):
        probe_video(folder / "link.mp4", root=folder)
    inside = make_clip(folder / "answers" / "ok.mp4", frames=2)
    assert probe_video(inside, root=folder).frames == 2


def test_a_missing_file_is_a_passing_error(tmp_path):
    with pytest.raises(PassingError, match="gone.mp4"):
        probe_video(tmp_path / "gone.mp4")


def test_a_decoder_that_swallows_packets_without_frames_is_stopped(tmp_path):
    path = make_clip(tmp_path / "delayed.mp4", options={"bf": "3"})
    with pytest.raises(VideoError, match="delayed.mp4: .* packets after frame 0 gave no frame"):
        probe_video(path, VideoLimits(max_packets_per_frame=1))


def test_a_frame_that_takes_too_long_ends_the_video(tmp_path):
    path = make_clip(tmp_path / "slow.mp4", frames=5)

    class SlowClock:
        """Each reading 4 s after the last: every frame seems to take 4 s or more."""

        def __init__(self) -> None:
            self.now = 0.0

        def __call__(self) -> float:
            self.now += 4.0
            return self.now

    with pytest.raises(VideoError, match="slow.mp4: frame 1 took .* over the limit of 3 s"):
        _frames(path, limits=VideoLimits(max_frame_seconds=3.0), clock=SlowClock())


@pytest.fixture(scope="module")
def seed_videos(tmp_path_factory) -> dict[str, bytes]:
    """Small valid files to mutate: an H.264 MP4 with its index first, sound and a rotation, a VP9 WebM,
    an HEVC MOV and an AV1 Matroska file."""
    folder = tmp_path_factory.mktemp("seeds")
    mp4 = make_clip(folder / "seed.mp4", size=(64, 36), frames=12, rotation=-90, audio=True,
                    container_options={"movflags": "+faststart"}, options={"g": "4"})
    webm = make_clip(folder / "seed.webm", "libvpx-vp9", size=(64, 36), frames=12)
    mov = make_clip(folder / "seed.mov", "libx265", size=(64, 36), frames=8)
    mkv = make_clip(folder / "seed.mkv", "libsvtav1", size=(64, 64), frames=6)
    return {path.suffix: path.read_bytes() for path in (mp4, webm, mov, mkv)}


@st.composite
def mutants(draw: st.DrawFn, seeds: dict[str, bytes]) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(sorted(seeds)))
    data = bytearray(seeds[suffix])
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "overwrite", "cut", "insert", "zero"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at: at + len(chunk)] = chunk
        elif kind == "cut":
            del data[at: at + draw(st.integers(1, 2000))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            data[at: at + draw(st.integers(1, 64))] = b"\xff" * 8
    return suffix, bytes(data)


@settings(deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_file_is_refused_cleanly_or_played(seed_videos, data):
    suffix, mutant = data.draw(mutants(seed_videos))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mutant{suffix}"
        path.write_bytes(mutant)
        limits = VideoLimits(max_seconds=60.0, max_frame_seconds=5.0)
        try:
            with open_video(path, SMALL, limits) as video:
                for count, frame in enumerate(video.frames(), start=1):
                    assert frame.nbytes == 48 * 27 * 3
                    assert math.isfinite(frame.time) and 0 <= frame.time <= video.facts.seconds + 1.0
                    assert count > 1 or frame.time == 0
                    assert count <= limits.max_seconds * limits.max_fps
        except KioskError as exc:
            assert isinstance(exc, ContentError)
            assert f"mutant{suffix}" in str(exc)


def test_a_live_recording_without_a_duration_is_measured_by_its_packets(tmp_path):
    path = make_clip(tmp_path / "browser.webm", "libvpx-vp9", frames=20, container_options={"live": "1"})
    facts = probe_video(path)
    assert facts.seconds == pytest.approx(0.8)
    assert len(_frames(path)) == 20


def test_a_variable_frame_rate_keeps_each_frame_time(tmp_path):
    ticks = (0, 1, 2, 5, 6, 10, 11, 20, 21, 24)
    path = make_variable_rate(tmp_path / "phone.mp4", ticks)
    frames = _frames(path)
    assert [round(frame.time * 25) for frame in frames] == list(ticks)
    # The clock picks from those times: at 0.5 s the frame shown since tick 11 (0.44 s).
    # This file's header says 0.92 s, ending before its last frame at 0.96 s.
    slot = Slot(Clip.from_frames([frame.time for frame in frames], probe_video(path).seconds))
    assert slot.length == pytest.approx(1.08)
    assert pick(slot, 0.5).index == ticks.index(11)


def test_only_the_seam_imports_pyav():
    """One seam to FFmpeg, in five modules: reading a header, decoding, a frame's pixels, the sound, encoding.
    Every other module reaches FFmpeg through them."""
    import ast

    package = Path(__file__).resolve().parent.parent / "kiosk"
    importers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name == "av" or name.startswith("av.") for name in names):
                importers.add(path.relative_to(package.parent).as_posix())
    assert importers == {"kiosk/picture/video.py", "kiosk/picture/videoheader.py", "kiosk/picture/videopixels.py",
                         "kiosk/picture/videoencode.py", "kiosk/picture/videosound.py"}
