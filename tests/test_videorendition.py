"""Publish's video rendition: H.264 yuv420p covering the panels, 30 fps at most, keyframes, faststart,
upright, no metadata, sound only when asked; checked by reading the files back."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.errors import VideoError
from kiosk.core.layout import Layout
from kiosk.core.videofacts import Transcode
from kiosk.picture.video import open_video, probe_video
from kiosk.picture.videorendition import (
    MAX_SIDE,
    VideoRenditionSettings,
    make_video_rendition,
    recipe,
    rendition_rate,
    rendition_size,
    video_rendition_name,
)
from tests.clips import FIELD, corrupted, make_audio_only, make_clip

PANEL = ((48, 27),)


@pytest.fixture(scope="module")
def phone_clip(tmp_path_factory) -> Path:
    """A portrait phone clip: stored on its side with a rotation, 60 fps, sound, the recording place."""
    folder = tmp_path_factory.mktemp("phone")
    return make_clip(folder / "IMG_0001.MOV", size=(96, 64), rate=60, frames=60, rotation=-90, audio=True,
                     metadata={"location": "+37.5665+126.9780/", "creation_time": "2026-12-01T10:00:00Z"})


def test_the_rendition_is_h264_upright_capped_and_clean(tmp_path, phone_clip):
    out = tmp_path / "IMG_0001.mp4"
    source_facts, used = make_video_rendition(phone_clip, out, VideoRenditionSettings(panels=PANEL))
    assert source_facts.rotation == 90 and source_facts.frame_rate == 60
    facts = probe_video(out)
    assert facts.codec == "h264"
    assert facts.rotation == 0  # turned into the pixels
    assert facts.size == used.size == (48, 72)  # upright 64x96 scaled to cover 48x27 (its width), even
    assert facts.frame_rate == 30
    assert facts.frames == 30
    assert facts.seconds == pytest.approx(1.0, abs=0.05)
    assert facts.audio is None  # dropped unless asked for
    assert facts.private_metadata == ()
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
        tags = dict(container.metadata)
        assert not any(key in tags for key in ("location", "creation_time", "encoder"))
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: the index first
    assert b"+37.5665" not in data


def test_the_rendition_stands_upright_on_any_player(tmp_path, phone_clip):
    out = tmp_path / "upright.mp4"
    make_video_rendition(phone_clip, out, VideoRenditionSettings(panels=PANEL))
    with open_video(out, None) as video:
        assert video.facts.rotation == 0
    layout = Layout(size=(24, 36), fit="cover", pixel_format="RGB")
    with open_video(out, layout) as video:
        frame = next(video.frames())
    width = frame.size[0]

    def pixel(x: int, y: int) -> tuple[int, ...]:
        start = (y * width + x) * 3
        return tuple(frame.data[start: start + 3])

    # The stored frame's white top-left quarter, turned a quarter clockwise, is at the top right.
    assert all(value > 200 for value in pixel(width - 3, 2))
    assert abs(pixel(2, 2)[0] - FIELD[0]) < 40 and pixel(2, 2)[1] < 60


def test_sound_is_kept_as_aac_when_the_sidecar_asks(tmp_path, phone_clip):
    out = tmp_path / "loud.mp4"
    _facts, used = make_video_rendition(phone_clip, out, VideoRenditionSettings(panels=PANEL, audio=True))
    assert used.audio
    facts = probe_video(out)
    assert facts.audio == "aac"
    assert facts.streams == 2


def test_asking_for_sound_of_a_silent_video_gives_a_silent_rendition(tmp_path):
    silent = make_clip(tmp_path / "silent.mp4", frames=5)
    _facts, used = make_video_rendition(silent, tmp_path / "out.mp4", VideoRenditionSettings(panels=PANEL, audio=True))
    assert not used.audio
    assert probe_video(tmp_path / "out.mp4").audio is None


def test_a_keyframe_comes_at_least_every_two_seconds(tmp_path):
    source = make_clip(tmp_path / "long.mp4", size=(64, 36), rate=10, frames=55, options={"g": "1000"})
    out = tmp_path / "out.mp4"
    make_video_rendition(source, out, VideoRenditionSettings(panels=((32, 18),)))
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        keys = [float(packet.pts * packet.time_base) for packet in container.demux(stream)
                if packet.pts is not None and packet.is_keyframe]
    assert keys[0] == 0
    assert all(later - earlier <= 2.0 + 1e-9 for earlier, later in zip(keys, keys[1:] + [5.5]))


def test_hevc_becomes_h264(tmp_path):
    source = make_clip(tmp_path / "hevc.mp4", "libx265", frames=5)
    make_video_rendition(source, tmp_path / "out.mp4", VideoRenditionSettings(panels=PANEL))
    assert probe_video(tmp_path / "out.mp4").codec == "h264"


def test_a_source_never_grows(tmp_path):
    small = make_clip(tmp_path / "small.mp4", size=(64, 36), frames=3)
    _facts, used = make_video_rendition(small, tmp_path / "out.mp4", VideoRenditionSettings())
    assert used.size == (64, 36)


def test_a_refused_source_leaves_nothing_behind(tmp_path):
    whole = make_clip(tmp_path / "whole.mp4", frames=25, container_options={"movflags": "+faststart"})
    for bad in (make_audio_only(tmp_path / "memo.mp4"), corrupted(whole, tmp_path / "bad.mp4", 0.3, 2000)):
        out = tmp_path / "out" / (bad.stem + ".mp4")
        with pytest.raises(VideoError, match=bad.name):
            make_video_rendition(bad, out, VideoRenditionSettings(panels=PANEL))
        assert not out.exists()
        assert list(out.parent.iterdir()) == []


def test_the_name_keeps_the_stem_for_sidecars():
    assert video_rendition_name("contribute/IMG_0001.MOV") == "contribute/IMG_0001.mp4"
    assert video_rendition_name("answers/mayor.webm") == "answers/mayor.mp4"


def test_rates_are_capped_and_kept_exact():
    assert rendition_rate(60.0, 30) == 30
    assert rendition_rate(30000 / 1001, 30) == Fraction(30000, 1001)
    assert rendition_rate(24.0, 30) == 24
    assert rendition_rate(math.nan, 30) == 30
    assert rendition_rate(0.0, 30) == 30


@given(st.tuples(st.integers(1, 9000), st.integers(1, 9000)),
       st.lists(st.tuples(st.integers(1, 3840), st.integers(1, 3840)), min_size=1, max_size=3))
def test_rendition_sizes_are_even_and_cover_every_panel(upright, panels):
    width, height = rendition_size(upright, tuple(panels))
    assert width % 2 == 0 and height % 2 == 0
    assert 2 <= width <= MAX_SIDE and 2 <= height <= MAX_SIDE
    assert width <= upright[0] + 1 or width == 2
    assert height <= upright[1] + 1 or height == 2
    if max(upright) <= MAX_SIDE:
        for panel_w, panel_h in panels:
            # Covers the panel, or is as large as the source itself.
            scale = max(panel_w / upright[0], panel_h / upright[1])
            if scale <= 1:
                assert width >= upright[0] * scale - 1e-6 and height >= upright[1] * scale - 1e-6


def test_the_recipe_follows_the_settings(phone_clip):
    facts = probe_video(phone_clip)
    made = recipe(facts, VideoRenditionSettings(panels=PANEL, keyframe_seconds=2.0))
    assert made == Transcode(size=(48, 72), rate=Fraction(30), keyframe_interval=60, crf=20, preset="medium",
                             audio=False, audio_bitrate=128_000, threads=2)


def test_the_key_changes_with_what_changes_the_bytes():
    base = VideoRenditionSettings()
    assert base.key() == VideoRenditionSettings().key()
    assert base.key() != VideoRenditionSettings(audio=True).key()
    assert base.key() != VideoRenditionSettings(panels=((1080, 1920),)).key()
    assert base.key() != VideoRenditionSettings(crf=23).key()


@pytest.mark.parametrize("bad", [{"panels": ()}, {"panels": ((0, 10),)}, {"panels": ((10_000, 10),)},
                                 {"max_rate": 0}, {"max_rate": 61}, {"keyframe_seconds": math.nan},
                                 {"keyframe_seconds": 0.0}, {"preset": "ludicrous"}, {"audio": "yes"}])
def test_settings_refuse_bad_values(bad):
    with pytest.raises((ValueError, TypeError)):
        VideoRenditionSettings(**bad)
