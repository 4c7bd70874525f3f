"""screen.jpg: what the panel shows, the way the public sees it, small, and never fsynced."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kiosk.boundary.screenshot import SCREENSHOT_WIDTH, ScreenshotWriter, screenshot_jpeg
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.picture.fonts import FontBook
from kiosk.picture.prepare import prepare_frame

from .conftest import make_picture


def frame_of(tmp_path, rotation, pixel_format="BGRX"):
    make_picture(tmp_path / "answers" / "marked.png", size=(320, 180), colour=(200, 30, 30), marker=True)
    layout = Layout(size=(320, 180) if rotation in (0, 180) else (180, 320), rotation=rotation, fit="contain",
                    font=DEFAULT_FONT, captions=False, pixel_format=pixel_format)
    key = FrameKey("answers/marked.png", (1, 1), "", "answer", layout)
    return prepare_frame(key, tmp_path, FontBook(DEFAULT_FONT), 50_000_000)


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_the_screenshot_is_what_the_panel_shows_turned_the_way_the_public_sees_it(tmp_path, rotation):
    frame = frame_of(tmp_path, rotation)
    shot = picture(screenshot_jpeg(frame))
    upright = (320, 180) if rotation in (0, 180) else (180, 320)
    assert shot.width == SCREENSHOT_WIDTH
    assert abs(shot.height - round(upright[1] * SCREENSHOT_WIDTH / upright[0])) <= 1
    # The picture's white marker is in the viewers' top-left corner, whatever the mount.
    # (On a portrait screen the landscape picture sits in the middle, between bars.)
    top, bottom = (0.125, 0.875) if rotation in (0, 180) else (0.40, 0.60)
    corner = shot.getpixel((shot.width // 8, int(shot.height * top)))
    opposite = shot.getpixel((shot.width * 7 // 8, int(shot.height * bottom)))
    assert min(corner) > 200 and opposite[0] > 150 and opposite[1] < 90


def test_pixel_formats_agree(tmp_path):
    rgb = picture(screenshot_jpeg(frame_of(tmp_path, 0, "RGB")))
    bgrx = picture(screenshot_jpeg(frame_of(tmp_path, 0, "BGRX")))
    assert all(abs(a - b) <= 8 for a, b in zip(rgb.getpixel((400, 250)), bgrx.getpixel((400, 250))))
    assert abs(rgb.getpixel((400, 250))[0] - 200) <= 20  # red stays red: the channel order is honoured


def test_a_dark_screen_is_a_black_picture_of_the_panel_as_viewers_see_it():
    shot = picture(screenshot_jpeg(None, (1920, 1080), rotation=90))
    assert shot.size == (SCREENSHOT_WIDTH, 853) and max(shot.getpixel((240, 400))) < 8


def test_the_writer_keeps_the_latest_and_replaces_the_file_whole(tmp_path):
    writer = ScreenshotWriter(tmp_path / "state", (320, 180))
    first, second = frame_of(tmp_path, 0), frame_of(tmp_path, 180)
    writer.presented(first)
    writer.presented(second)  # a burst: one picture, the latest
    writer.poll_once()
    assert picture((tmp_path / "state" / "screen.jpg").read_bytes()).width == SCREENSHOT_WIDTH
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["screen.jpg"]  # no temporary file left
    before = (tmp_path / "state" / "screen.jpg").stat().st_mtime_ns
    writer.poll_once()  # nothing new: nothing written
    assert (tmp_path / "state" / "screen.jpg").stat().st_mtime_ns == before


def test_a_state_folder_that_cannot_be_written_is_said_once(tmp_path, caplog):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "screen.jpg").mkdir()  # in the way, as a read-only disk would be
    writer = ScreenshotWriter(tmp_path / "state")
    for _ in range(3):
        writer.presented(None)
        writer.poll_once()
    assert caplog.text.count("cannot write") == 1 and writer.problem
