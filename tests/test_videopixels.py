"""kiosk.picture.videopixels: a video frame captioned by the matte is the frame compose_frame would make."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageChops

from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.layout import Layout
from kiosk.picture.compose import compose_frame
from kiosk.picture.fonts import FontBook
from kiosk.picture.videopixels import CaptionMatte

FONTS = FontBook(DEFAULT_FONT)


def _noise(size: tuple[int, int], seed: int) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3)))


def _largest_difference(one: Image.Image, other: Image.Image) -> int:
    return max(high for _low, high in ImageChops.difference(one, other).getextrema())


@pytest.mark.parametrize("kind, title, footer", [
    ("answer", "What does migration mean to you?", "#MigrationMeans · 세계 이주민의 날"),
    ("contribute", "", ""),
    ("answer", "", "Seoul Plaza"),
])
@pytest.mark.parametrize("opacity", [0.55, 0.0])  # 0: letters alone over the video, no band shading

def test_the_matte_gives_the_frame_compose_frame_would_give(kind, title, footer, opacity):
    layout = Layout(size=(320, 180), fit="cover", title=title, footer=footer, band_opacity=opacity)
    caption = "To me, migration means hoping together.\n저에게 이주는 함께 희망하는 것입니다."
    matte = CaptionMatte(caption, kind, layout, FONTS)
    for seed in range(3):
        picture = _noise(layout.size, seed)
        wanted = compose_frame(picture.copy(), caption, kind, layout, FONTS)
        assert _largest_difference(matte.apply(picture.copy()), wanted) <= 2  # rounding of the two blends


def test_the_matte_touches_only_the_rows_of_its_bands():
    layout = Layout(size=(320, 180), fit="cover", title="", footer="")
    matte = CaptionMatte("One line", "contribute", layout, FONTS)
    assert len(matte.bands) == 1
    band = matte.bands[0]
    assert 0 < band.top < band.bottom == 180  # the caption band at the foot, nothing above it
    picture = _noise(layout.size, 7)
    above = picture.crop((0, 0, 320, band.top))
    assert _largest_difference(matte.apply(picture).crop((0, 0, 320, band.top)), above) == 0


def test_no_caption_no_title_no_footer_is_no_band():
    layout = Layout(size=(64, 36), fit="cover", title="", footer="")
    matte = CaptionMatte("", "contribute", layout, FONTS)
    assert matte.bands == ()
    picture = _noise(layout.size, 1)
    assert _largest_difference(matte.apply(picture.copy()), picture) == 0
