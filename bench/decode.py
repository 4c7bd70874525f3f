"""Decoding a 12-megapixel camera JPEG to a finished screen frame: the kiosk's pipeline
against `pygame.image.load` + `smoothscale`, measured in the same run.

    .venv/bin/python bench/decode.py [--runs 5]

The kiosk's figure covers its whole pipeline (Pillow decode with draft(),
EXIF orientation, one Lanczos resize, the blurred backdrop, the caption
band); the baseline only loads and scales. Prints a table for 1920x1080 and
3840x2160 and writes bench/results/decode.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from PIL import Image, ImageFilter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pygame  # noqa: E402

from kiosk.compose import FontBook, Layout  # noqa: E402
from kiosk.config import DEFAULT_FONT  # noqa: E402
from kiosk.frames import FrameKey, prepare_frame  # noqa: E402


def camera_jpeg(path: Path) -> None:
    """A 4000x3000 JPEG with photo-like detail, like a 12-megapixel phone camera's."""
    base = Image.open(ROOT / "slides" / "answers" / "answer-001.jpg").convert("RGB")
    image = base.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.DETAIL)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    path.write_bytes(buffer.getvalue())


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-decode-"))
    photo = work / "answers" / "camera.jpg"
    photo.parent.mkdir(parents=True)
    camera_jpeg(photo)
    pygame.display.init()
    pygame.display.set_mode((64, 64))
    fonts = FontBook(DEFAULT_FONT)
    rows = []
    for size in ((1920, 1080), (3840, 2160)):
        layout = Layout(size=size, font=DEFAULT_FONT, fit="blur")
        key = FrameKey("answers/camera.jpg", (0, 0), "Migration means hoping together.\n이주란 함께 희망하는 것", "answer", layout)

        def kiosk_pipeline() -> None:
            prepare_frame(key, work, fonts, 50_000_000)

        def baseline() -> None:
            loaded = pygame.image.load(str(photo))
            scale = min(size[0] / loaded.get_width(), size[1] / loaded.get_height())
            pygame.transform.smoothscale(loaded, (round(loaded.get_width() * scale), round(loaded.get_height() * scale)))

        ours = best_of(args.runs, kiosk_pipeline)
        theirs = best_of(args.runs, baseline)
        rows.append({
            "screen": f"{size[0]}x{size[1]}",
            "kiosk_seconds": round(ours, 3),
            "pygame_load_smoothscale_seconds": round(theirs, 3),
            "ratio": round(ours / theirs, 2),
            "target_ratio": 0.5,
        })
    result = {
        "benchmark": "12 MP JPEG (4000x3000) to a finished frame, median of runs",
        "runs": args.runs,
        "rows": rows,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"Pillow {Image.__version__}, pygame-ce {pygame.version.ver}",
    }
    out = ROOT / "bench" / "results" / "decode.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'screen':<11}{'kiosk s':>9}{'pygame s':>10}{'ratio':>7}{'target':>8}")
    for row in rows:
        print(f"{row['screen']:<11}{row['kiosk_seconds']:>9.3f}{row['pygame_load_smoothscale_seconds']:>10.3f}"
              f"{row['ratio']:>7.2f}{row['target_ratio']:>8.2f}")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
