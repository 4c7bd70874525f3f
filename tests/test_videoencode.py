"""The writing half of the FFmpeg seam: transcode by a recipe, read back with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from kiosk.core.errors import VideoError
from kiosk.core.videofacts import Transcode, VideoFacts
from kiosk.picture.video import probe_video
from kiosk.picture.videoencode import transcode
from tests.clips import make_audio_only, make_clip


@pytest.fixture(scope="module")
def phone_clip(tmp_path_factory) -> Path:
    """A portrait phone clip: stored on its side with a rotation, 60 fps, sound, the recording place."""
    folder = tmp_path_factory.mktemp("phone")
    return make_clip(folder / "IMG_0002.MOV", size=(96, 64), rate=60, frames=30, rotation=-90, audio=True,
                     metadata={"location": "+37.5665+126.9780/", "creation_time": "2026-12-01T10:00:00Z"})


def _recipe(**changes) -> Transcode:
    return Transcode(**{"size": (32, 48), "rate": Fraction(30), "keyframe_interval": 60, **changes})


def test_the_recipe_is_made_from_the_source_facts(tmp_path, phone_clip):
    seen: list[VideoFacts] = []

    def recipe_for(facts: VideoFacts) -> Transcode:
        seen.append(facts)
        return _recipe()

    facts, used = transcode(phone_clip, tmp_path / "out.mp4", recipe_for)
    assert seen == [facts]
    assert facts.rotation == 90 and facts.audio == "aac"
    assert used == _recipe()


def test_the_output_has_the_recipe_size_rate_and_nothing_else(tmp_path, phone_clip):
    out = tmp_path / "out.mp4"
    transcode(phone_clip, out, lambda _facts: _recipe(rate=Fraction(15)))
    facts = probe_video(out)
    assert (facts.codec, facts.size, facts.rotation, facts.frame_rate) == ("h264", (32, 48), 0, 15)
    assert facts.audio is None and facts.private_metadata == ()
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.pix_fmt == "yuv420p"
        frame = next(container.decode(stream))
        assert frame.rotation == 0  # no display matrix
        assert "encoder" not in container.metadata


def test_sound_is_aac_at_48_khz_stereo(tmp_path, phone_clip):
    out = tmp_path / "loud.mp4"
    transcode(phone_clip, out, lambda _facts: _recipe(audio=True))
    with av.open(str(out)) as container:
        sound = container.streams.audio[0]
        assert (sound.codec_context.name, sound.rate, sound.layout.name) == ("aac", 48000, "stereo")


def test_the_same_source_gives_the_same_bytes(tmp_path, phone_clip):
    for name in ("one.mp4", "two.mp4"):
        transcode(phone_clip, tmp_path / name, lambda _facts: _recipe(audio=True))
    assert (tmp_path / "one.mp4").read_bytes() == (tmp_path / "two.mp4").read_bytes()


def test_a_source_a_box_would_refuse_is_refused(tmp_path):
    with pytest.raises(VideoError, match="memo.mp4: audio only"):
        transcode(make_audio_only(tmp_path / "memo.mp4"), tmp_path / "out.mp4", lambda _facts: _recipe())
