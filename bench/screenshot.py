"""What screen.jpg costs per slide: the time to make it from a 1920x1080 frame, and its bytes.

    .venv/bin/python bench/screenshot.py [--runs 21]

Made on the screenshot thread (never the render loop) at every slide start,
and written once, without fsync.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.boundary.screenshot import screenshot_jpeg
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.picture.fonts import FontBook
from kiosk.picture.prepare import prepare_frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    layout = Layout(size=(1920, 1080), font=DEFAULT_FONT, pixel_format="BGRX")
    key = FrameKey("answers/answer-001.jpg", (1, 1), "“To me, migration means hoping together.”", "answer", layout)
    frame = prepare_frame(key, ROOT / "slides", FontBook(DEFAULT_FONT), 50_000_000)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        data = screenshot_jpeg(frame)
        times.append(time.perf_counter() - start)
    print(f"screen.jpg from a 1920x1080 frame: {statistics.median(times) * 1000:.1f} ms (median of {args.runs}), "
          f"{len(data):,} bytes")
    write_result(__file__, {"screen": "1920x1080", "runs": args.runs,
                            "median_ms": round(statistics.median(times) * 1000, 1), "jpeg_bytes": len(data)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
