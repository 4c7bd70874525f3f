from pathlib import Path

import pytest
from PIL import Image

from kiosk.core.layout import Layout
from kiosk.picture.compose import compose_frame, fit_picture, to_panel
from kiosk.picture.fonts import FontBook
from kiosk.picture.compose import overlay_bands
from kiosk.picture.textfit import caption_limits
from kiosk.picture.textfit import fit_text
from kiosk.picture.textlayout import ELLIPSIS
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.config import parse_config

RED = (220, 20, 20)
BLUE = (0, 0, 255)


@pytest.fixture(scope="module")
def fonts() -> FontBook:
    return FontBook(DEFAULT_FONT)


def close(pixel, colour, tolerance=30):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def picture(size, colour=RED):
    return Image.new("RGB", size, colour)


def test_contain_letterboxes_on_the_background():
    frame = fit_picture(picture((400, 300)), (320, 180), "contain", BLUE)
    assert frame.size == (320, 180)
    assert frame.getpixel((10, 90)) == BLUE and frame.getpixel((310, 90)) == BLUE
    assert close(frame.getpixel((160, 90)), RED)
    assert close(frame.getpixel((45, 5)), RED)  # fitted picture is 240 wide: x 40..280


def test_cover_fills_and_crops():
    source = picture((400, 300))
    source.paste((0, 255, 0), (0, 0, 400, 30))  # a green strip that cover must crop away
    frame = fit_picture(source, (320, 180), "cover", BLUE)
    assert close(frame.getpixel((0, 0)), RED) and close(frame.getpixel((319, 179)), RED)


def test_blur_fills_the_bars_with_a_dim_copy():
    frame = fit_picture(picture((300, 600)), (640, 360), "blur", BLUE)
    bar = frame.getpixel((20, 180))
    assert bar != BLUE
    assert bar[0] > bar[2] and bar[0] < RED[0]  # reddish, dimmed
    assert close(frame.getpixel((320, 180)), RED)


def layout(**changes) -> Layout:
    base = Layout(size=(640, 360), font=DEFAULT_FONT, fit="contain", background=(0, 0, 0))
    return Layout(**{**base.__dict__, **changes})


def white_pixels(image: Image.Image, box) -> int:
    return sum(image.crop(box).convert("L").histogram()[201:])


def test_caption_draws_a_band_with_text(fonts):
    source = picture((640, 360), (90, 160, 90))
    plain = compose_frame(source, "", "answer", layout(), fonts)
    captioned = compose_frame(source, "Migration means courage.\n이주란 용기입니다.", "answer", layout(), fonts)
    bottom = (0, 260, 640, 360)
    assert white_pixels(plain, bottom) == 0
    assert white_pixels(captioned, bottom) > 200
    assert captioned.getpixel((5, 355))[1] < plain.getpixel((5, 355))[1]  # band darkens the photo
    assert captioned.getpixel((5, 5)) == plain.getpixel((5, 5))  # top untouched


def test_hangul_is_drawn_with_real_glyphs(fonts):
    font = fonts.at(40)
    hangul = font.getmask("이주")
    notdef = font.getmask("\U0001f600\U0001f600")  # no glyph: drawn as the font's empty box
    assert hangul.getbbox() is not None
    assert bytes(hangul) != bytes(notdef)


def test_captions_can_be_switched_off(fonts):
    frame = compose_frame(picture((640, 360), (90, 160, 90)), "hello", "answer", layout(captions=False), fonts)
    assert white_pixels(frame, (0, 0, 640, 360)) == 0


def test_long_caption_shrinks_then_ends_with_an_ellipsis(fonts):
    frame_layout = layout(max_lines=2)
    text = " ".join(["migration means hoping together"] * 20)
    frame = compose_frame(picture((640, 360), (90, 160, 90)), text, "answer", frame_layout, fonts)
    assert white_pixels(frame, (0, 0, 640, 200)) == 0  # the band stays in the lower part
    fitted = fit_text(text, fonts, caption_limits(frame_layout))
    assert len(fitted.lines) == 2 and fitted.lines[-1].text.endswith(ELLIPSIS)
    assert fitted.px == frame_layout.caption_min_px < frame_layout.caption_px
    (band,) = overlay_bands(text, "answer", frame_layout, fonts)
    assert band.fit == fitted


VIETNAMESE = "Di cư nghĩa là được sống ở một đất nước mới."  # ư, ĩ, ư, ố, ộ, ớ: not in NanumGothic


def test_an_unreadable_caption_font_still_gives_captions(tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    frame = compose_frame(picture((640, 360), (90, 160, 90)), VIETNAMESE, "answer", layout(), FontBook(broken))
    assert white_pixels(frame, (0, 200, 640, 360)) > 20


def test_title_only_on_answers_footer_on_all(fonts):
    overlays = layout(title="What does migration mean to you?", footer="#MigrationMeans")
    source = picture((640, 360), (90, 160, 90))
    answer = compose_frame(source, "", "answer", overlays, fonts)
    contribute = compose_frame(source, "", "contribute", overlays, fonts)
    top, bottom = (0, 0, 640, 60), (0, 320, 640, 360)
    assert white_pixels(answer, top) > 50 and white_pixels(contribute, top) == 0
    assert white_pixels(answer, bottom) > 20 and white_pixels(contribute, bottom) > 20


def test_no_picture_composes_on_the_background(fonts):
    frame = compose_frame(None, "", "fallback", layout(background=(10, 20, 30)), fonts)
    assert frame.getpixel((320, 180)) == (10, 20, 30)


@pytest.mark.parametrize(
    "rotation, marker_at",
    [(0, (10, 10)), (90, (350, 10)), (180, (350, 630)), (270, (10, 630))],
)
def test_rotation_turns_the_frame_for_the_panel(rotation, marker_at):
    upright = Image.new("RGB", (640, 360), (0, 0, 0))
    upright.paste((255, 255, 255), (0, 0, 40, 40))  # viewers' top-left corner
    panel = to_panel(upright, rotation)
    expected_size = (360, 640) if rotation in (90, 270) else (640, 360)
    if rotation == 180:
        expected_size, marker_at = (640, 360), (630, 350)
    assert panel.size == expected_size
    assert panel.getpixel(marker_at) == (255, 255, 255)


def test_layout_from_config_swaps_the_panel_for_portrait():
    config = parse_config("display:\n  rotation: 90\n", Path("/"))
    portrait = Layout.from_config(config, (1920, 1080))
    assert portrait.size == (1080, 1920)
    assert portrait.panel_size == (1920, 1080)


def test_missing_font_falls_back_without_crashing(tmp_path):
    fonts = FontBook(tmp_path / "missing.ttf")
    frame = compose_frame(picture((320, 180)), "still readable", "answer", layout(size=(320, 180)), fonts)
    assert frame.size == (320, 180)
