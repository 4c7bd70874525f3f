"""A video's facts, limits and encoding recipe as plain data: every number from outside finite and bounded."""

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.videofacts import (
    Transcode,
    VideoLimits,
    clockwise_rotation,
    fitted_size,
    is_video,
    private_metadata,
)


def test_private_metadata_reads_plain_tags():
    assert private_metadata({"location-eng": "+1+2/", "encoder": "Lavf", "handler_name": "VideoHandler"}) == (
        "recording place",)
    assert private_metadata({"location": "   ", "title": "Mayor"}) == ()
    assert private_metadata({"0:com.android.model": "Pixel"}) == ("camera model",)


def test_the_old_rotate_tag_is_honoured_without_a_display_matrix():
    assert clockwise_rotation(-90.0) == 90
    assert clockwise_rotation(90.0) == 270
    assert clockwise_rotation(180.0) == 180
    assert clockwise_rotation(-180.0) == 180
    assert clockwise_rotation(44.0) == 0
    assert clockwise_rotation(math.nan) == 0


@given(st.tuples(st.integers(1, 9000), st.integers(1, 9000)), st.tuples(st.integers(1, 4000), st.integers(1, 4000)))
def test_fitted_sizes_cover_or_fit_the_screen(size, screen):
    width, height = fitted_size(size, screen, "cover")
    assert width >= screen[0] and height >= screen[1]
    assert width <= screen[0] + 1 or height <= screen[1] + 1  # the crop is on one axis only
    width, height = fitted_size(size, screen, "contain")
    assert width <= screen[0] and height <= screen[1]
    assert width >= screen[0] - 1 or height >= screen[1] - 1


def test_is_video_knows_the_suffixes():
    assert all(is_video(name) for name in ("a.mp4", "b.MOV", "c.m4v", "d.webm", "e.mkv"))
    assert not any(is_video(name) for name in ("a.jpg", "b.mp3", "mp4"))


@pytest.mark.parametrize("bad", [{"max_side": 0}, {"max_pixels": -1}, {"max_seconds": math.inf},
                                 {"max_seconds": math.nan}, {"max_fps": 0.0}, {"max_streams": 1000},
                                 {"max_frame_seconds": -1.0}, {"threads": True}, {"max_bytes": 1.5}])
def test_limits_refuse_bad_values_quoting_them(bad):
    with pytest.raises(ValueError, match=repr(next(iter(bad.values()))).replace("(", r"\(")):
        VideoLimits(**bad)


@pytest.mark.parametrize("bad", [{"size": (27, 48)}, {"size": (0, 48)}, {"rate": Fraction(0)},
                                 {"keyframe_interval": 0}, {"crf": 60}, {"preset": "x"}, {"threads": 0}])
def test_a_transcode_refuses_bad_values(bad):
    good = {"size": (28, 48), "rate": Fraction(30), "keyframe_interval": 60}
    with pytest.raises(ValueError):
        Transcode(**{**good, **bad})
