import mmap

import pytest
from PIL import Image, ImageDraw

from kiosk.picture import pixels
from kiosk.picture.pixels import frame_buffer, pack_into


def picture(size=(321, 123)):
    """An odd width (rows are not multiples of a chunk) and distinct colours in each corner."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    ImageDraw.Draw(image).rectangle((0, 0, 20, 20), fill=(255, 10, 0))
    return image


@pytest.mark.parametrize("raw_mode", ["RGB", "RGBX", "BGRX"])
def test_packing_gives_pillows_own_bytes_on_both_paths(monkeypatch, raw_mode):
    image = picture()
    expected = image.tobytes("raw", raw_mode)
    assert bytes(pack_into(image, raw_mode, bytearray(len(expected) + 100))) == expected
    monkeypatch.setattr(pixels, "_raw_encoder", lambda _picture, _mode: None)  # a Pillow without it
    assert bytes(pack_into(image, raw_mode, bytearray(len(expected)))) == expected


def test_a_frame_buffer_is_its_own_mapping_of_exactly_the_pixels():
    image = picture((1000, 700))
    buffer = frame_buffer(image, "BGRX")
    assert isinstance(buffer, mmap.mmap)
    assert len(buffer) == 1000 * 700 * 4
    assert buffer[:] == image.tobytes("raw", "BGRX")
    assert buffer[:4] == bytes([0, 10, 255, 0])  # blue, green, red, unused: XRGB8888 in memory
