"""Three kiosks of one sync group playing the same video: how many frames apart they are.

    .venv/bin/python bench/video_sync.py [--seconds 120] [--size 640x360] [--boxes 3]

Starts the kiosks a second apart (one state folder each, `playlist.sync_group:
row-1`, software rendering, SDL's dummy driver) on a folder of one 6 s
H.264 clip at 30 fps and two pictures (2 s slides, 0.5 s fades), so a box
may start in the middle of the video's slot and must join it at the
group's frame. Each runs through tests/frametrace.py, which notes the
wall-clock moment and the position of every video frame its loop
presents. Every 10 ms of the span they share, where all of them are
showing a frame of the video (not a fade, not a picture), the spread of
the positions shown (highest minus lowest) is taken. The machine's one
clock stands for clocks that NTP keeps together (docs/plaza.md gives what
NTP adds between boxes). Writes bench/results/video_sync.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from record import write_result
from video import moving_picture, write_clip

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.frametrace import frame_spreads, run_group


def share(values: list[int], most: int) -> float | None:
    return round(sum(1 for value in values if value <= most) / len(values), 5) if values else None


def quantile(values: list[int], q: float) -> int | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--boxes", type=int, default=3)
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="kiosk-video-sync-"))
    try:
        slides = work / "slides" / "contribute"
        write_clip(slides / "1-video.mp4", (width, height), 6.0)
        for number in (2, 3):
            moving_picture(number * 41, (width, height)).save(slides / f"{number}-picture.jpg", quality=90)
        traces = run_group(work, work / "slides", args.boxes, args.seconds, (width, height))
        statuses = [json.loads((work / f"box-{number}" / "state" / "status.json").read_text(encoding="utf-8"))
                    for number in range(args.boxes)]
        moments = frame_spreads(traces)
        spreads = [spread for _moment, spread in moments]
        began = [trace[0][0] for trace in traces]
        result = {
            "boxes": args.boxes, "size": args.size, "seconds": args.seconds,
            "clip": f"H.264 {args.size} 30 fps, 6 s", "moments_compared": len(spreads),
            "frames_apart": {"p50": quantile(spreads, 0.5), "p99": quantile(spreads, 0.99),
                             "max": max(spreads) if spreads else None},
            "share_same_frame": share(spreads, 0), "share_within_one_frame": share(spreads, 1),
            # Each moment more than a frame apart: how long after the newest box's first video frame it was.
            "over_one_frame": [{"frames_apart": spread, "seconds_after_the_last_box_began":
                                round(moment - max(began), 2)} for moment, spread in moments if spread > 1],
            "frames_presented": [len(trace) for trace in traces],
            "video_frames": [status.get("video_frames") for status in statuses],
        }
        print(json.dumps(result, indent=2))
        write_result(__file__, result)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
