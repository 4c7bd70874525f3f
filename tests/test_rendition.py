"""Renditions: what `kiosk publish` sends instead of the original (kiosk.picture.rendition)."""

import io

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageCms

from kiosk.picture.rendition import RenditionSettings, make_rendition, rendition_name, target_size, with_rotations

from .colour import display_p3_profile
from .conftest import make_picture

GPS = 0x8825


def phone_photo(path, size=(4000, 3000), fmt="JPEG", orientation=6):
    """A phone's photo: Display P3, its position, its maker and serial number, turned by EXIF."""
    image = Image.new("RGB", size, (200, 100, 50))
    image.paste((255, 255, 255), (0, 0, size[0] // 2, size[1] // 2))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 15"
    exif[0xA431] = "SERIAL-0042"  # body serial number
    exif.get_ifd(GPS).update({1: "N", 2: (37.0, 33.0, 58.0), 3: "E", 4: (126.0, 58.0, 41.0)})
    image.save(path, format=fmt, exif=exif.tobytes(), icc_profile=display_p3_profile(), quality=92)
    return path


def test_a_rendition_keeps_nothing_but_upright_srgb_pixels_at_panel_size(tmp_path):
    original = phone_photo(tmp_path / "answer.jpg")
    assert b"SERIAL-0042" in original.read_bytes()
    data = make_rendition(original, RenditionSettings(panels=((1920, 1080),)))
    for private in (b"SERIAL-0042", b"PhoneMaker", b"Phone 15", b"Exif", b"ICC_PROFILE", b"acsp"):
        assert private not in data
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG" and not picture.getexif() and "icc_profile" not in picture.info
    assert picture.size == (1920, 2560)  # turned upright, and still covering a 1920x1080 panel
    assert picture.getpixel((1900, 20))[0] > 240  # the marker is top right now
    expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), (200, 100, 50)),
                                         ImageCms.ImageCmsProfile(io.BytesIO(display_p3_profile())),
                                         ImageCms.createProfile("sRGB")).getpixel((0, 0))
    assert all(abs(a - b) <= 4 for a, b in zip(picture.getpixel((400, 2000)), expected))


def test_a_heic_becomes_a_jpeg_of_the_same_stem_and_graphics_lossless_webp(tmp_path):
    heic = phone_photo(tmp_path / "answer.heic", size=(800, 600), fmt="HEIF")
    data = make_rendition(heic, RenditionSettings(panels=((320, 180),)))
    assert Image.open(io.BytesIO(data)).format == "JPEG" and b"SERIAL-0042" not in data
    assert rendition_name("answers/answer.heic") == "answers/answer.jpg"
    assert rendition_name("answers/Answer.HEIF") == "answers/Answer.jpg"
    assert rendition_name("contribute/01-languages.png") == "contribute/01-languages.webp"
    graphic = make_picture(tmp_path / "c.png", size=(64, 36), colour=(10, 200, 30))
    image = Image.open(io.BytesIO(make_rendition(graphic, RenditionSettings(panels=((64, 36),)))))
    assert image.format == "WEBP" and image.convert("RGB").getpixel((5, 5)) == (10, 200, 30)


def test_a_small_picture_is_never_made_larger():
    assert target_size((640, 480), ((1920, 1080),)) == (640, 480)
    assert target_size((4000, 3000), ((1920, 1080),)) == (1920, 1440)
    assert target_size((3000, 4000), ((1920, 1080), (1080, 1920))) == (1920, 2560)


@given(st.integers(1, 20000), st.integers(1, 20000), st.integers(16, 8000), st.integers(16, 8000))
def test_a_rendition_covers_its_panel_whatever_the_shapes(width, height, panel_w, panel_h):
    w, h = target_size((width, height), ((panel_w, panel_h),))
    assert 1 <= w <= width and 1 <= h <= height
    assert (w, h) == (width, height) or (w >= panel_w and h >= panel_h)


def test_the_fleets_rotations_add_the_turned_panel():
    assert with_rotations((1920, 1080), set()) == ((1920, 1080),)
    assert with_rotations((1920, 1080), {0, 90}) == ((1080, 1920), (1920, 1080))
    assert with_rotations((1920, 1080), {270}) == ((1080, 1920),)
    assert RenditionSettings(((1920, 1080),)).key() != RenditionSettings(((1080, 1920), (1920, 1080))).key()


def test_a_transparent_graphic_keeps_its_transparency_for_each_box_to_lay_on_its_own_background(tmp_path):
    logo = Image.new("RGBA", (80, 40), (0, 0, 0, 0))
    logo.paste((200, 20, 40, 255), (20, 10, 60, 30))
    logo.save(tmp_path / "logo.png")
    image = Image.open(io.BytesIO(make_rendition(tmp_path / "logo.png", RenditionSettings(panels=((80, 40),)))))
    assert image.format == "WEBP" and image.mode == "RGBA"
    assert image.getpixel((2, 2))[3] == 0 and image.getpixel((40, 20)) == (200, 20, 40, 255)


# --- every PNG mode, over PngSuite: a rendition shows what the original shows ------------------------

import pytest

from .pngsuite import VALID, largest_difference, reference

BACKGROUND = (30, 120, 200)


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_every_valid_pngsuite_file_has_a_rendition_with_the_reference_pixels(path):
    size, expected = reference(path, BACKGROUND)
    data = make_rendition(path, RenditionSettings(panels=((64, 64),)))  # larger than any: no scaling
    with Image.open(io.BytesIO(data)) as rendition:
        assert rendition.format == "WEBP" and rendition.size == size
        rgba = rendition.convert("RGBA")
    flat = Image.new("RGB", size, BACKGROUND)
    flat.paste(rgba, mask=rgba.getchannel("A"))  # as a box lays it on its background
    assert largest_difference(list(flat.get_flattened_data()), expected) <= 1


@given(st.integers(1, 200_000), st.integers(1, 200_000), st.integers(1, 70_000))
def test_a_size_within_an_encoders_limit_keeps_its_shape(width, height, limit):
    from kiosk.picture.rendition import within

    w, h = within((width, height), limit)
    assert 1 <= w <= limit and 1 <= h <= limit
    if max(width, height) <= limit:
        assert (w, h) == (width, height)
    else:
        assert max(w, h) == limit and abs(w / limit - width / max(width, height)) <= 1 / limit + 1e-9


def test_the_usual_limits_leave_the_keys_of_earlier_renditions_alone():
    assert RenditionSettings(((1920, 1080),)).max_side("WEBP") == 16_383
    assert RenditionSettings(((1920, 1080),)).max_side("JPEG") == 65_500  # libjpeg's, not 65,535
    webp = RenditionSettings(((1920, 1080),), max_sides=(("WEBP", 100),))
    assert webp.key() != RenditionSettings(((1920, 1080),)).key()
    import hashlib

    before = hashlib.sha256(b"v2;q90;1920x1080").hexdigest()[:16]  # the key before limits were settings
    assert RenditionSettings(((1920, 1080),)).key() == before
