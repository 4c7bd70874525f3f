from pathlib import Path

import pytest

from kiosk.picture.compose import FontBook, Layout
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.errors import DecodeError
from kiosk.core.frames import Frame, FrameCache, FrameKey, frame_key
from kiosk.picture.prepare import prepare_frame
from kiosk.core.playlist import FALLBACK_PATH, Entry

from .conftest import make_picture

LAYOUT = Layout(size=(160, 90), font=DEFAULT_FONT)


def key(path="answers/a.jpg", version=(1, 1), kind="answer", layout=LAYOUT):
    return FrameKey(path, version, "", kind, layout)


def frame(path, nbytes):
    return Frame(key(path), (1, 1), b"x" * nbytes)


def test_cache_is_bounded_in_bytes_and_evicts_least_recently_used():
    cache = FrameCache(max_bytes=250)
    cache.put(frame("a", 100))
    cache.put(frame("b", 100))
    cache.get(key("a"))
    cache.put(frame("c", 100))
    assert key("a") in cache and key("c") in cache and key("b") not in cache
    assert cache.nbytes == 200


def test_cache_never_evicts_a_frame_it_is_told_to_keep():
    cache = FrameCache(max_bytes=250)
    cache.put(frame("next", 100))
    cache.put(frame("on screen", 100))  # shown later than the next was prepared: more recently used
    cache.put(frame("ahead", 100), keep=[key("next")])
    assert key("next") in cache and key("ahead") in cache and key("on screen") not in cache
    cache.put(frame("more", 100), keep=[key("next"), key("ahead")])
    assert cache.nbytes == 300 and len(cache) == 3  # over the bound rather than lose what must stay


def test_cache_keeps_one_frame_even_if_larger_than_the_bound():
    cache = FrameCache(max_bytes=10)
    cache.put(frame("a", 100))
    assert len(cache) == 1


def test_cache_replacing_a_key_does_not_double_count():
    cache = FrameCache(max_bytes=1000)
    cache.put(frame("a", 100))
    cache.put(frame("a", 100))
    assert cache.nbytes == 100
    cache.discard_path("a")
    assert cache.nbytes == 0 and len(cache) == 0


def test_frame_key_changes_with_file_version_caption_and_layout():
    entry = Entry("answers/a.jpg", "answer", 8, "hi", (1, 2))
    assert frame_key(entry, LAYOUT) != frame_key(Entry("answers/a.jpg", "answer", 8, "hi", (1, 3)), LAYOUT)
    assert frame_key(entry, LAYOUT) != frame_key(Entry("answers/a.jpg", "answer", 8, "ho", (1, 2)), LAYOUT)
    assert frame_key(entry, LAYOUT) != frame_key(entry, Layout(size=(90, 160), font=DEFAULT_FONT))


def test_prepare_frame_gives_panel_sized_rgb(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    rotated = Layout(size=(90, 160), rotation=90, font=DEFAULT_FONT)
    result = prepare_frame(key(layout=rotated), tmp_path, FontBook(DEFAULT_FONT), 50_000_000)
    assert result.size == (160, 90)
    assert len(result.data) == 160 * 90 * 3


def test_prepare_frame_lays_the_bytes_out_as_the_screen_asked():
    from dataclasses import replace

    from PIL import Image

    rgb = prepare_frame(key(kind="fallback"), Path("/nonexistent"), FontBook(DEFAULT_FONT), 50_000_000)
    bgrx_key = key(kind="fallback", layout=replace(LAYOUT, pixel_format="BGRX"))
    bgrx = prepare_frame(bgrx_key, Path("/nonexistent"), FontBook(DEFAULT_FONT), 50_000_000)
    assert bgrx.pixel_format == "BGRX" and len(bgrx.data) == len(rgb.data) // 3 * 4
    assert (len(rgb.data), len(bgrx.data)) == (LAYOUT.frame_bytes, bgrx_key.layout.frame_bytes)
    assert Image.frombytes("RGB", bgrx.size, bytes(bgrx.data), "raw", "BGRX").tobytes() == bytes(rgb.data)


def test_prepare_frame_raises_for_a_bad_file(tmp_path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "a.jpg").write_bytes(b"\xff\xd8 broken")
    with pytest.raises(DecodeError):
        prepare_frame(key(), tmp_path, FontBook(DEFAULT_FONT), 50_000_000)


def test_fallback_never_fails_even_without_its_picture(tmp_path):
    fallback = key(FALLBACK_PATH, (0, 0), "fallback")
    result = prepare_frame(fallback, tmp_path, FontBook(DEFAULT_FONT), 50_000_000,
                           fallback_picture=tmp_path / "gone.png")
    assert result.size == (160, 90)


def test_bundled_fallback_picture_is_used(tmp_path):
    result = prepare_frame(key(FALLBACK_PATH, (0, 0), "fallback"), tmp_path, FontBook(DEFAULT_FONT), 50_000_000)
    pixels = set(result.data[i:i + 3] for i in range(0, len(result.data), 3 * 97))
    assert len(pixels) > 10  # a designed card, not a flat colour


# --- what the panel shows of every PNG mode: decoder, frame and pygame together --------------------

from .pngsuite import FOLDER, largest_difference, reference

PNG_MODES = ["basn0g01", "basi0g02", "basn0g04", "basn0g16", "basi0g16", "tbwn0g16", "tbbn0g04", "basn2c16",
             "tbrn2c08", "tbbn2c16", "basn3p02", "tbbn3p08", "basn4a08", "basn4a16", "basi6a16", "bgan6a16"]


@pytest.mark.parametrize("stem", PNG_MODES)
def test_the_screen_shows_every_png_mode_as_the_reference_decoder_does(tmp_path, stem):
    import shutil

    from kiosk.boundary.display import Screen

    import pygame

    background = (30, 120, 200)
    shutil.copy(FOLDER / f"{stem}.png", tmp_path / "answer.png")
    layout = Layout(size=(32, 32), fit="contain", background=background, captions=False, font=DEFAULT_FONT,
                    pixel_format="BGRX")
    frame = prepare_frame(FrameKey("answer.png", (1, 1), "", "answer", layout), tmp_path, FontBook(DEFAULT_FONT),
                          50_000_000)
    size, expected = reference(FOLDER / f"{stem}.png", background)
    screen = Screen((32, 32), windowed=True)
    try:
        screen.open()
        screen.show(screen.surface_for(frame))
        shown = pygame.display.get_surface()
        pixels = [tuple(shown.get_at((x, y)))[:3] for y in range(32) for x in range(32)]
    finally:
        screen.close()
    assert size == (32, 32) and largest_difference(pixels, expected) <= 1
