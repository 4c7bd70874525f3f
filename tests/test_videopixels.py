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


@pytest.mark.parametrize("size, fit", [((320, 180), "cover"), ((200, 200), "cover"), ((96, 160), "cover"),
                                       ((320, 180), "blur"), ((320, 180), "contain"), ((200, 200), "blur")])
def test_a_packed_frame_made_the_short_way_matches_the_long_way(tmp_path, size, fit):
    import mmap

    import av

    from kiosk.picture.pixels import pack_into
    from kiosk.picture.videopixels import fitted_picture, screen_pixels
    from tests.clips import make_clip

    clip = make_clip(tmp_path / "c.mp4", size=(320, 180), frames=3)
    layout = Layout(size=size, fit=fit, pixel_format="BGRX", title="", footer="")
    matte = CaptionMatte("Hoping together\n함께 희망", "contribute", layout, FONTS)
    with av.open(str(clip)) as container:
        frame = next(container.decode(video=0))
        buffers: list[mmap.mmap] = []
        short = screen_pixels(frame, 0, layout, matte, lambda: buffers.append(mmap.mmap(-1, layout.frame_bytes))
                              or buffers[-1])
        long = mmap.mmap(-1, layout.frame_bytes)
        pack_into(matte.apply(fitted_picture(frame, 0, layout)), "BGRX", long)
    differences = [abs(a - b) for index, (a, b) in enumerate(zip(bytes(short), bytes(long))) if index % 4 != 3]
    assert max(differences) <= 6 and sum(differences) / len(differences) < 2  # the scaler's rounding, no more
    # A frame at the panel's size is handed on in the scaler's own frame, not copied into a buffer.
    assert (buffers == []) == (size == (320, 180)) and len(short) == layout.frame_bytes


def test_the_caption_never_draws_on_the_decoders_own_frame(tmp_path):
    """Where the scaler has nothing to do (a frame already in the panel's format and size), FFmpeg hands back
    the decoder's frame itself; a codec may predict the next frame from it, so the matte goes on a copy."""
    import mmap

    import av

    from kiosk.picture.videopixels import screen_pixels

    layout = Layout(size=(64, 36), fit="cover", pixel_format="RGB", title="", footer="")
    matte = CaptionMatte("Hoping together\n함께 희망", "contribute", layout, FONTS)
    frame = av.VideoFrame.from_image(_noise(layout.size, 3))  # rgb24, the panel's size: nothing to scale
    before = bytes(frame.planes[0])
    packed = screen_pixels(frame, 0, layout, matte, lambda: mmap.mmap(-1, layout.frame_bytes))
    assert bytes(frame.planes[0]) == before
    assert bytes(packed) != before  # the caption is in what the screen gets
