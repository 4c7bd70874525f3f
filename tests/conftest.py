"""Shared fixtures: real pictures in temp folders, configs, a headless SDL."""

from __future__ import annotations

import os

# Headless SDL for every test that opens a screen; set before pygame loads.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import textwrap
from pathlib import Path

import pytest
from hypothesis import settings
from PIL import Image

from kiosk.picture.decoder import register_heif

# Property tests of every parser of outside input: a quick pass in the suite,
# 100,000 examples each with --hypothesis-profile=long (bench/fuzz_parsers.py).
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile("long", max_examples=int(os.environ.get("KIOSK_FUZZ_EXAMPLES", "100000")), deadline=None)
settings.load_profile("default")

REPO = Path(__file__).resolve().parent.parent


register_heif()  # tests write HEIC files; the kiosk loads libheif at its first HEIF (test_decoder checks that)


def make_picture(
    path: Path,
    size: tuple[int, int] = (400, 300),
    colour: tuple[int, int, int] = (200, 30, 30),
    fmt: str | None = None,
    orientation: int | None = None,
    marker: bool = False,
) -> Path:
    """Writes a real picture file. `marker` paints the top-left quarter white,
    so a test can tell which way up the picture ends on screen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, colour)
    if marker:
        image.paste((255, 255, 255), (0, 0, size[0] // 2, size[1] // 2))
    options: dict = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    image.save(path, format=fmt, **options)
    return path


@pytest.fixture
def slide_folder(tmp_path: Path) -> Path:
    """A slide folder with three contribute slides and four answers."""
    root = tmp_path / "slides"
    for name, colour in (("c1.png", (200, 0, 0)), ("c2.png", (0, 200, 0)), ("c3.png", (0, 0, 200))):
        make_picture(root / "contribute" / name, colour=colour)
    for index in range(1, 5):
        make_picture(root / "answers" / f"a{index}.jpg", colour=(40 * index, 100, 100))
    return root


def write_config(folder: Path, body: str = "", slides: Path | None = None, slides_extra: str = "",
                 state_extra: str = "  play_log_lines_per_write: 1\n") -> Path:
    """Writes a config.yaml whose slide and state folders live in `folder`.

    `slides_extra` and `state_extra` hold more keys of those sections (indented lines). By default the
    play log is written at every slide, so that a test can watch it; `state_extra=""` keeps a box's
    default (lines written sixteen at a time, kept in the ring of marks meanwhile)."""
    slides_line = (f"  folder: {slides}\n" if slides is not None else "") + slides_extra
    text = f"slides:\n{slides_line}state:\n  dir: {folder / 'state'}\n{state_extra}" + textwrap.dedent(body)
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class FakeClock:
    """Monotonic time that moves only when a test (or code's injected sleep) moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    sleep = advance
