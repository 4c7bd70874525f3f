"""Decoding a 12-megapixel camera JPEG to a finished screen frame: the kiosk's pipeline
against `pygame.image.load` + `smoothscale`, measured in the same run.

    .venv/bin/python bench/decode.py [--runs 9]

Two kiosk figures: decode and fit alone (Pillow with draft() and EXIF
orientation, one area-averaging resize on reused buffers; the same work as
the baseline), and the whole frame (plus the blurred backdrop and the
caption band). The three take turns, run after run, so a noisy moment of
the machine falls on all of them alike. Prints a table for 1920x1080 and
3840x2160 and writes bench/results/decode.json.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from record import write_result

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pygame

from kiosk.core.layout import Layout
from kiosk.picture.compose import fit_picture
from kiosk.picture.fonts import FontBook
from kiosk.core.assets import DEFAULT_FONT
from kiosk.picture.decoder import decode_picture, reuse_freed_pixel_memory
from kiosk.core.frames import FrameKey
from kiosk.picture.prepare import prepare_frame


def camera_jpeg(path: Path) -> None:
    """A 4000x3000 JPEG with photo-like detail, like a 12-megapixel phone camera's."""
    base = Image.open(ROOT / "slides" / "answers" / "answer-001.jpg").convert("RGB")
    image = base.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.DETAIL)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    path.write_bytes(buffer.getvalue())


def medians_taking_turns(runs: int, *actions) -> list[float]:
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, spent in zip(actions, times):
            start = time.perf_counter()
            action()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-decode-"))
    try:
        photo = work / "answers" / "camera.jpg"
        photo.parent.mkdir(parents=True)
        camera_jpeg(photo)
        reuse_freed_pixel_memory()  # as the kiosk's decode worker does
        pygame.display.init()
        pygame.display.set_mode((64, 64))
        fonts = FontBook(DEFAULT_FONT)
        rows = []
        for size in ((1920, 1080), (3840, 2160)):
            layout = Layout(size=size, font=DEFAULT_FONT, fit="blur")
            caption = "Migration means hoping together.\n이주란 함께 희망하는 것"
            key = FrameKey("answers/camera.jpg", (0, 0), caption, "answer", layout)

            # Each timed call binds this turn's key and size, so none can time another turn's.
            def kiosk_pipeline(key: FrameKey = key) -> None:
                prepare_frame(key, work, fonts, 50_000_000)

            def baseline(size: tuple[int, int] = size) -> None:
                loaded = pygame.image.load(str(photo))
                scale = min(size[0] / loaded.get_width(), size[1] / loaded.get_height())
                pygame.transform.smoothscale(loaded, (round(loaded.get_width() * scale),
                                                      round(loaded.get_height() * scale)))

            def kiosk_like_for_like(size: tuple[int, int] = size) -> None:
                # The same work as the baseline: decode and fit (contain), no backdrop, no caption.
                fit_picture(decode_picture(photo, 50_000_000, size), size, "contain", (0, 0, 0))

            ours, plain, theirs = medians_taking_turns(args.runs, kiosk_pipeline, kiosk_like_for_like, baseline)
            rows.append({
                "screen": f"{size[0]}x{size[1]}",
                "kiosk_decode_and_fit_seconds": round(plain, 3),
                "kiosk_seconds": round(ours, 3),
                "pygame_load_smoothscale_seconds": round(theirs, 3),
                "ratio": round(ours / theirs, 2),
                "ratio_decode_and_fit": round(plain / theirs, 2),
                "target_ratio": 0.5,
            })
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "benchmark": "12 MP JPEG (4000x3000) to a finished frame, median of runs",
        "runs": args.runs,
        "rows": rows,
        "libraries": f"Pillow {Image.__version__}, pygame-ce {pygame.version.ver}",
    }
    out = write_result(__file__, result)
    print(f"{'screen':<11}{'fit s':>7}{'frame s':>9}{'pygame s':>10}{'fit/pg':>8}{'frame/pg':>10}{'target':>8}")
    for row in rows:
        print(f"{row['screen']:<11}{row['kiosk_decode_and_fit_seconds']:>7.3f}{row['kiosk_seconds']:>9.3f}"
              f"{row['pygame_load_smoothscale_seconds']:>10.3f}{row['ratio_decode_and_fit']:>8.2f}"
              f"{row['ratio']:>10.2f}{row['target_ratio']:>8.2f}")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
