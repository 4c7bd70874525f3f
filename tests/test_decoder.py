import pytest
from PIL import Image

from kiosk.picture.decoder import decode_picture
from kiosk.core.errors import DecodeError, PassingError, PictureTooLarge, UnsafeFile

from .conftest import make_picture

LIMIT = 50_000_000


@pytest.mark.parametrize("suffix, fmt", [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WEBP"), (".bmp", "BMP"),
                                         (".gif", "GIF"),
                                         # the phones' own, written by their libraries
                                         (".heic", "HEIF"), (".avif", "AVIF")])
def test_every_format_decodes_to_rgb(tmp_path, suffix, fmt):
    path = make_picture(tmp_path / f"p{suffix}", size=(64, 48), colour=(250, 10, 10), fmt=fmt)
    image = decode_picture(path, LIMIT)
    assert image.mode == "RGB" and image.size == (64, 48)
    red, green, blue = image.getpixel((32, 24))
    assert red > 200 and green < 60 and blue < 60


def test_animated_gif_gives_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    red, _green, blue = decode_picture(path, LIMIT).getpixel((16, 16))
    assert red > 200 and blue < 50


def test_exif_orientation_is_honoured(tmp_path):
    # Stored 400x300 with the marker top-left; orientation 6 means "turn 90 degrees clockwise".
    path = make_picture(tmp_path / "phone.jpg", size=(400, 300), orientation=6, marker=True)
    image = decode_picture(path, LIMIT)
    assert image.size == (300, 400)
    assert image.getpixel((250, 50))[1] > 200  # marker now top-right
    assert image.getpixel((50, 50))[1] < 100


def test_draft_decodes_big_jpegs_near_the_size_they_are_shown_at(tmp_path):
    path = make_picture(tmp_path / "big.jpg", size=(4000, 3000))
    whole = decode_picture(path, LIMIT, screen=(800, 450))  # shown at 600x450
    assert whole.size == (1000, 750)
    cropped = decode_picture(path, LIMIT, screen=(800, 450), cover=True)  # shown at 800x600, cropped
    assert cropped.size == (1000, 750)
    assert decode_picture(path, LIMIT, screen=(1920, 1080), cover=True).size == (2000, 1500)


def test_portrait_photos_shown_whole_decode_small(tmp_path):
    path = make_picture(tmp_path / "tall.jpg", size=(3000, 4000))
    whole = decode_picture(path, LIMIT, screen=(1920, 1080))  # shown at 810x1080
    assert whole.size == (1500, 2000)
    cropped = decode_picture(path, LIMIT, screen=(1920, 1080), cover=True)  # 1920 wide, then cropped
    assert cropped.size == (3000, 4000)


def test_draft_accounts_for_orientation(tmp_path):
    path = make_picture(tmp_path / "big.jpg", size=(4000, 3000), orientation=6)  # shown upright: 3000x4000
    image = decode_picture(path, LIMIT, screen=(1920, 1080))
    assert image.size == (1500, 2000)


def test_transparency_is_flattened_on_the_background(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(path)
    assert decode_picture(path, LIMIT, background=(0, 0, 255)).getpixel((5, 5)) == (0, 0, 255)


def test_truncated_jpeg_is_refused(tmp_path):
    path = make_picture(tmp_path / "cut.jpg", size=(800, 600))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DecodeError, match="cannot decode"):
        decode_picture(path, LIMIT)


def test_truncated_png_is_refused(tmp_path):
    path = make_picture(tmp_path / "cut.png", size=(800, 600), fmt="PNG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    with pytest.raises(DecodeError):
        decode_picture(path, LIMIT)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(DecodeError, match="empty file"):
        decode_picture(path, LIMIT)


def test_text_with_a_picture_name_is_refused(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture")
    with pytest.raises(DecodeError, match="not a picture"):
        decode_picture(path, LIMIT)


def test_picture_with_the_wrong_extension_still_shows(tmp_path):
    path = make_picture(tmp_path / "really-a-png.jpg", fmt="PNG")
    assert decode_picture(path, LIMIT).size == (400, 300)


def png_claiming(path, width, height):
    """A tiny PNG whose header claims width x height: what a bomb looks like to a decoder."""
    import struct
    import zlib

    make_picture(path, size=(8, 8), fmt="PNG")
    data = bytearray(path.read_bytes())
    ihdr = 8  # the IHDR chunk follows the signature: length, type, data, crc
    data[ihdr + 8:ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4:ihdr + 21]))
    data[ihdr + 21:ihdr + 25] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def test_bomb_is_refused_before_decoding(tmp_path):
    path = png_claiming(tmp_path / "bomb.png", 10_000, 10_000)
    with pytest.raises(PictureTooLarge, match="10000x10000 is 100,000,000 pixels, over the limit of 50,000,000"):
        decode_picture(path, LIMIT)


def test_giant_bomb_is_refused_by_pillows_guard_too(tmp_path):
    path = png_claiming(tmp_path / "bomb.png", 60_000, 60_000)
    with pytest.raises(PictureTooLarge, match="refused before decoding"):
        decode_picture(path, LIMIT)


def test_pixel_limit_is_the_configured_one(tmp_path):
    path = make_picture(tmp_path / "p.png", size=(2000, 1000), fmt="PNG")
    with pytest.raises(PictureTooLarge):
        decode_picture(path, 1_999_999)
    assert decode_picture(path, 2_000_000).size == (2000, 1000)


def test_a_missing_file_is_a_passing_failure_not_the_files_fault(tmp_path):
    with pytest.raises(PassingError, match="gone"):
        decode_picture(tmp_path / "gone.jpg", LIMIT)


# --- damaged files of every format: any decode error refuses the file ---------------

import contextlib
import io
from pathlib import Path
import os
import random
import threading


def noisy_picture(fmt: str) -> bytes:
    rng = random.Random(7)
    image = Image.new("RGB", (240, 160))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(240 * 160)])
    data = io.BytesIO()
    image.save(data, fmt)
    return data.getvalue()


def test_a_png_with_corrupt_compressed_data_is_refused_not_shown_black(tmp_path):
    data = bytearray(noisy_picture("PNG"))
    start = data.find(b"IDAT") + 40
    for index in range(start, start + 40):
        data[index] ^= 0x5A
    path = tmp_path / "damaged.png"
    path.write_bytes(bytes(data))
    with pytest.raises(DecodeError, match="cannot decode"):
        decode_picture(path, LIMIT)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF"])
def test_a_truncated_file_of_every_format_is_refused(tmp_path, fmt):
    data = noisy_picture(fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DecodeError):
        decode_picture(path, LIMIT)


def test_a_jpeg_header_followed_by_a_sea_of_zeros_is_refused_unread(tmp_path):
    path = tmp_path / "zeros.jpg"
    with path.open("wb") as handle:
        handle.write(noisy_picture("JPEG")[:600])
        handle.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(PictureTooLarge, match="over the limit of 209,715,200 for a picture file"):
        decode_picture(path, LIMIT)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    (tmp_path / "answers").mkdir()
    fifo = tmp_path / "answers" / "a.jpg"
    os.mkfifo(fifo)
    outcome = {}

    def decode():
        try:
            decode_picture(fifo, LIMIT, root=tmp_path)
        except UnsafeFile as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=decode, daemon=True)
    thread.start()
    thread.join(10)
    assert outcome == {"error": "not a regular file (a FIFO, socket or device)"}


def test_a_link_to_outside_the_slide_folder_is_never_read(tmp_path):
    outside = make_picture(tmp_path / "private" / "p.jpg")
    (tmp_path / "slides" / "answers").mkdir(parents=True)
    os.symlink(outside, tmp_path / "slides" / "answers" / "a.jpg")
    with pytest.raises(UnsafeFile, match="outside the slide folder"):
        decode_picture(tmp_path / "slides" / "answers" / "a.jpg", LIMIT, root=tmp_path / "slides")


def test_an_io_error_is_a_passing_failure_not_the_files_fault():
    # Reading /proc/self/mem at offset 0 is a real EIO from the kernel.
    with pytest.raises(PassingError, match="Input/output error"):
        decode_picture(Path("/proc/self/mem"), LIMIT)


def test_a_folder_named_like_a_picture_is_not_a_picture(tmp_path):
    folder = tmp_path / "a-folder.jpg"
    folder.mkdir()
    with pytest.raises(UnsafeFile, match="not a regular file"):
        decode_picture(folder, LIMIT)


# --- phone formats and colour profiles (HEIC, AVIF, Display P3) ------------------------

from .colour import display_p3_profile


@pytest.mark.parametrize("suffix, fmt", [(".heic", "HEIF"), (".avif", "AVIF")])
def test_heic_and_avif_turned_by_their_orientation_show_upright(tmp_path, suffix, fmt):
    """The marker starts top-left; orientation 6 turns it a quarter clockwise, to the top right.
    libheif applies a HEIC's turn itself (and resets its EXIF); an AVIF is turned from its EXIF."""
    path = make_picture(tmp_path / f"phone{suffix}", size=(400, 300), orientation=6, marker=True, fmt=fmt)
    image = decode_picture(path, LIMIT)
    assert image.size == (300, 400)
    assert image.getpixel((250, 50))[1] > 200
    assert image.getpixel((50, 50))[1] < 100 and image.getpixel((50, 350))[1] < 100


@pytest.mark.parametrize("cut", [0.2, 0.6, 0.95])
def test_a_corrupt_or_cut_heic_is_refused_as_that_file(tmp_path, cut):
    whole = make_picture(tmp_path / "whole.heic", size=(256, 192), fmt="HEIF").read_bytes()
    path = tmp_path / "cut.heic"
    path.write_bytes(whole[: int(len(whole) * cut)])
    with pytest.raises(DecodeError):
        decode_picture(path, LIMIT)
    noise = bytearray(whole)
    noise[len(noise) // 2: len(noise) // 2 + 64] = bytes(64)
    (tmp_path / "noise.heic").write_bytes(bytes(noise))
    with contextlib.suppress(DecodeError):
        decode_picture(tmp_path / "noise.heic", LIMIT)  # the codec may conceal it: then a picture, whole


def test_a_heic_larger_than_the_limit_is_refused_before_its_pixels(tmp_path):
    path = make_picture(tmp_path / "big.heic", size=(640, 480), fmt="HEIF")
    with pytest.raises(PictureTooLarge):
        decode_picture(path, 640 * 480 - 1)


def _tagged(path, colour, profile, fmt="PNG"):
    Image.new("RGB", (32, 32), colour).save(path, format=fmt, icc_profile=profile, quality=100)
    return path


def test_a_display_p3_photo_reaches_the_panel_converted_to_srgb(tmp_path):
    from PIL import ImageCms

    p3 = display_p3_profile()
    expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), (200, 100, 50)),
                                         ImageCms.ImageCmsProfile(io.BytesIO(p3)),
                                         ImageCms.createProfile("sRGB")).getpixel((0, 0))
    assert expected[0] - 200 > 8  # P3's red is redder than sRGB's: the numbers must change
    decoded = decode_picture(_tagged(tmp_path / "p3.png", (200, 100, 50), p3), LIMIT).getpixel((16, 16))
    assert decoded == expected
    jpeg = decode_picture(_tagged(tmp_path / "p3.jpg", (200, 100, 50), p3, "JPEG"), LIMIT).getpixel((16, 16))
    assert all(abs(a - b) <= 3 for a, b in zip(jpeg, expected))
    heic = decode_picture(_tagged(tmp_path / "p3.heic", (200, 100, 50), p3, "HEIF"), LIMIT).getpixel((16, 16))
    assert all(abs(a - b) <= 4 for a, b in zip(heic, expected))


def test_srgb_untagged_and_damaged_profiles_leave_the_pixels_as_they_are(tmp_path):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for name, profile in (("srgb.png", srgb), ("none.png", None), ("junk.png", b"\x00" * 200 + b"not a profile"),
                          ("cut.png", display_p3_profile()[:300])):
        path = tmp_path / name
        image = Image.new("RGB", (8, 8), (200, 100, 50))
        image.save(path, **({"icc_profile": profile} if profile else {}))
        assert decode_picture(path, LIMIT).getpixel((4, 4)) == (200, 100, 50), name


def test_libheif_loads_at_the_first_heif_not_at_start_and_a_heic_under_another_name_decodes(tmp_path):
    import subprocess
    import sys

    make_picture(tmp_path / "made.heic", size=(64, 48), colour=(250, 10, 10), fmt="HEIF").rename(tmp_path / "x.jpg")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kiosk.picture.decoder import decode_picture\n"
        "assert 'pillow_heif' not in sys.modules\n"
        f"image = decode_picture(Path({str(tmp_path / 'x.jpg')!r}), 10**6)\n"
        "assert 'pillow_heif' in sys.modules and image.getpixel((32, 24))[0] > 200\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_transparent_display_p3_picture_kept_transparent_has_its_colours_converted(tmp_path):
    from PIL import ImageCms

    p3 = display_p3_profile()
    image = Image.new("RGBA", (8, 8), (200, 100, 50, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))
    image.save(tmp_path / "p3.png", icc_profile=p3)
    expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), (200, 100, 50)),
                                         ImageCms.ImageCmsProfile(io.BytesIO(p3)),
                                         ImageCms.createProfile("sRGB")).getpixel((0, 0))
    kept = decode_picture(tmp_path / "p3.png", LIMIT, background=None)
    assert kept.mode == "RGBA" and kept.getpixel((0, 0))[3] == 0 and kept.getpixel((4, 4)) == (*expected, 255)
    assert decode_picture(tmp_path / "p3.png", LIMIT).getpixel((4, 4)) == expected


# --- every PNG mode, over PngSuite, against an independent decoder (tests/pngsuite.py) ----------------

from .pngsuite import INVALID, VALID, largest_difference, reference

BACKGROUND = (30, 120, 200)  # neither black nor white: a wrongly composited alpha shows


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_every_valid_pngsuite_file_decodes_to_the_reference_pixels(path):
    size, expected = reference(path, BACKGROUND)
    image = decode_picture(path, LIMIT, background=BACKGROUND)
    assert image.mode == "RGB" and image.size == size
    assert largest_difference(list(image.get_flattened_data()), expected) <= 1


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_every_valid_pngsuite_file_keeps_its_transparency_when_asked(path):
    size, expected = reference(path, BACKGROUND)
    image = decode_picture(path, LIMIT, background=None)
    assert image.size == size and image.mode in ("RGB", "RGBA")
    flat = Image.new("RGB", image.size, BACKGROUND)
    flat.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    assert largest_difference(list(flat.get_flattened_data()), expected) <= 1


def test_sixteen_bit_greyscale_is_grey_not_white(tmp_path):
    """Issue 23: 16-bit greyscale showed almost white. Pillow opens it as I;16 and clips at 255."""
    ramp = Image.new("I;16", (256, 1))
    for x in range(256):
        ramp.putpixel((x, 0), x * 257)
    ramp.save(tmp_path / "ramp.png")
    with Image.open(tmp_path / "ramp.png") as opened:
        assert opened.mode == "I;16"
    image = decode_picture(tmp_path / "ramp.png", LIMIT)
    assert [image.getpixel((x, 0)) for x in (0, 1, 128, 254, 255)] == [(0, 0, 0), (1, 1, 1), (128,) * 3,
                                                                      (254,) * 3, (255,) * 3]


@pytest.mark.parametrize("mode", ["I;16B", "I"])
def test_every_wide_grey_mode_is_scaled_the_same(mode):
    from kiosk.picture.decoder import _to_rgb

    image = Image.new(mode, (3, 1))
    for x, value in enumerate((0, 32896, 65535)):
        image.putpixel((x, 0), value)
    assert list(_to_rgb(image, (0, 0, 0)).get_flattened_data()) == [(0, 0, 0), (128,) * 3, (255,) * 3]


def test_a_wide_picture_is_converted_in_strips_with_the_same_pixels(monkeypatch):
    from kiosk.picture import decoder

    image = Image.new("I;16", (7, 50))
    for y in range(50):
        for x in range(7):
            image.putpixel((x, y), (x * 9000 + y * 1000) % 65536)
    whole = decoder._to_rgb(image.copy(), (0, 0, 0)).tobytes()
    monkeypatch.setattr(decoder, "_STRIP_PIXELS", 15)  # two rows a strip
    assert decoder._to_rgb(image.copy(), (0, 0, 0)).tobytes() == whole


@pytest.mark.parametrize("path", [p for p in INVALID if p.stem != "xcsn0g01"], ids=lambda path: path.stem)
def test_corrupted_pngsuite_files_are_refused(path):
    with pytest.raises(DecodeError):
        decode_picture(path, LIMIT)


def test_a_png_whose_only_fault_is_the_pixel_chunks_crc_shows_its_intact_pixels():
    """Pillow does not check an IDAT chunk's CRC; zlib's own Adler-32 still guards every pixel."""
    broken = next(p for p in INVALID if p.stem == "xcsn0g01")
    intact = broken.with_name("basn0g01.png")
    assert decode_picture(broken, LIMIT).tobytes() == decode_picture(intact, LIMIT).tobytes()
