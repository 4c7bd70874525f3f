import threading

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from kiosk.picture import resample
from kiosk.picture.resample import resize, stretch


def photo_like(size=(400, 300)):
    """Quadrants of pure colours with a diagonal gradient: channel swaps and shifts both show."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=(255, 0, 0))
    draw.rectangle((width // 2, 0, width - 1, height // 2 - 1), fill=(0, 255, 0))
    draw.rectangle((0, height // 2, width // 2 - 1, height - 1), fill=(0, 0, 255))
    return image


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_shrinking_keeps_the_colours_in_their_places():
    small = resize(photo_like(), (200, 150))
    assert small.size == (200, 150)
    assert small.mode == "RGB"
    assert small.getpixel((50, 40)) == (255, 0, 0)
    assert small.getpixel((150, 40)) == (0, 255, 0)
    assert small.getpixel((50, 110)) == (0, 0, 255)


def test_shrinking_averages_areas_like_pillows_box_filter():
    source = photo_like((2000, 1500))
    ours = resize(source, (1440, 1080))
    box = source.resize((1440, 1080), Image.Resampling.BOX)
    # smoothscale's fixed-point sums round down: at most 2 levels of 255 darker.
    assert mean_difference(ours, box) < 2.0
    assert ImageChops.difference(ours, box).getextrema() != ((0, 0),) * 3  # a real reduction was compared


def test_rounding_down_costs_at_most_two_levels():
    for level in (2, 128, 255):
        flat = Image.new("RGB", (2000, 1500), (level, level, level))
        value = resize(flat, (1440, 1080)).getpixel((700, 500))
        assert all(level - 2 <= channel <= level for channel in value)


def test_a_region_is_scaled_as_if_cropped_first():
    source = photo_like((800, 600))
    region = (100, 150, 700, 487)
    assert mean_difference(resize(source, (320, 180), region), resize(source.crop(region), (320, 180))) == 0


def test_enlarging_a_sharp_picture_is_bicubic():
    source = photo_like((64, 48))
    assert ImageChops.difference(
        resize(source, (640, 480)), source.resize((640, 480), Image.Resampling.BICUBIC)
    ).getbbox() is None


def test_same_size_is_an_independent_copy():
    source = photo_like((64, 48))
    same = resize(source, (64, 48))
    same.putpixel((0, 0), (1, 2, 3))
    assert source.getpixel((0, 0)) != (1, 2, 3)
    assert resize(source, (32, 24), (0, 0, 32, 24)).size == (32, 24)


def test_stretching_a_soft_picture_is_close_to_bilinear():
    soft = photo_like((120, 68))
    ours = stretch(soft, (1920, 1080))
    bilinear = soft.resize((1920, 1080), Image.Resampling.BILINEAR)
    assert ours.size == (1920, 1080)
    assert mean_difference(ours, bilinear) < 2.0


def test_reused_buffers_never_leak_pixels_between_pictures():
    big_white = Image.new("RGB", (1000, 800), (255, 255, 255))
    small_black = Image.new("RGB", (300, 200), (0, 0, 0))
    assert resize(big_white, (500, 400)).getextrema() == ((255, 255),) * 3
    assert resize(small_black, (150, 100)).getextrema() == ((0, 0),) * 3
    assert min(low for low, _high in resize(big_white, (400, 300)).getextrema()) >= 253


def test_only_buffers_up_to_the_limit_are_kept(monkeypatch):
    monkeypatch.setattr(resample, "KEPT_BUFFER_BYTES", 300 * 200 * 4)
    monkeypatch.setattr(resample._local, "scratch", resample._Scratch())
    assert resize(Image.new("RGB", (300, 200), (9, 9, 9)), (150, 100)).getpixel((0, 0)) == (9, 9, 9)
    kept = len(resample._local.scratch.source)
    assert kept == 300 * 200 * 4
    big = Image.new("RGB", (600, 400), (200, 10, 10))
    assert resize(big, (300, 200)).getextrema() == ((200, 200), (10, 10), (10, 10))
    assert len(resample._local.scratch.source) == kept  # the big one was not held on to


def test_threads_each_get_their_own_buffers():
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    wrong: list[tuple] = []

    def scale_many(colour):
        picture = Image.new("RGB", (900, 700), colour)
        for _ in range(20):
            extrema = resize(picture, (450, 350)).getextrema()  # an exact halving: no rounding
            if extrema != tuple((c, c) for c in colour):
                wrong.append((colour, extrema))

    threads = [threading.Thread(target=scale_many, args=(c,)) for c in colours]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_resizing_works_without_pillows_internal_encoder(monkeypatch):
    from kiosk.picture import pixels

    picture = photo_like((321, 123))
    expected = resize(picture, (160, 61))
    monkeypatch.setattr(pixels, "_raw_encoder", lambda _picture, _mode: None)  # a Pillow without it
    assert ImageChops.difference(resize(picture, (160, 61)), expected).getbbox() is None


@pytest.mark.parametrize("size", [(0, 10), (10, 0)])
def test_empty_sizes_are_refused(size):
    with pytest.raises(ValueError):
        resize(photo_like(), size)


def test_only_rgb_is_accepted():
    with pytest.raises(ValueError, match="RGB"):
        resize(Image.new("L", (10, 10)), (5, 5))
