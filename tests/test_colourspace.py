"""Pictures into sRGB from their embedded colour profile (kiosk.picture.colourspace)."""

import io

from PIL import Image, ImageCms

from kiosk.picture.colourspace import converted_from, in_srgb

from .colour import display_p3_profile

COLOUR = (200, 100, 50)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def lcms2_from_p3(colour):
    """The colour as lcms2 converts it from Display P3 to sRGB, by Pillow's own whole-picture call."""
    return ImageCms.profileToProfile(Image.new("RGB", (1, 1), colour), ImageCms.ImageCmsProfile(io.BytesIO(
        display_p3_profile())), ImageCms.createProfile("sRGB")).getpixel((0, 0))


def test_a_display_p3_picture_is_converted_as_lcms2_converts_it():
    picture = in_srgb(Image.new("RGB", (4, 4), COLOUR), display_p3_profile())
    assert picture.getpixel((2, 2)) == lcms2_from_p3(COLOUR) != COLOUR


def test_the_transparency_stays_as_it_was():
    picture = in_srgb(Image.new("RGBA", (4, 4), (*COLOUR, 77)), display_p3_profile())
    assert picture.mode == "RGBA"
    assert picture.getpixel((0, 0)) == (*lcms2_from_p3(COLOUR), 77)


def test_srgb_an_unreadable_profile_or_none_leave_the_pixels_alone():
    for profile in (SRGB, display_p3_profile()[:300], b"", None, "not bytes"):
        assert in_srgb(Image.new("RGB", (4, 4), COLOUR), profile).getpixel((0, 0)) == COLOUR
        assert converted_from(profile) is None


def test_what_a_picture_is_converted_from_is_named_by_its_profile():
    assert "P3" in converted_from(display_p3_profile())
