"""The straightforward slideshow the kiosk is measured against (a baseline, not a product).

It does what a first version usually does: loads every picture with
`pygame.image.load` and `smoothscale` at start (`--preload`), or decodes the
next picture on the render loop when it is due (default), and redraws every
frame at 60 fps whether anything changes or not. It writes one JSON line per
presented frame timestamp batch and per slide start to --out, in the same
shape the benchmark reads from the kiosk.

    python bench/naive_player.py --folder DIR --size WxH --seconds S --fade F --out FILE [--preload]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame


def fit(picture: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
    scale = min(size[0] / picture.get_width(), size[1] / picture.get_height())
    scaled = pygame.transform.smoothscale(
        picture, (max(1, round(picture.get_width() * scale)), max(1, round(picture.get_height() * scale)))
    )
    frame = pygame.Surface(size).convert()
    frame.fill((0, 0, 0))
    frame.blit(scaled, ((size[0] - scaled.get_width()) // 2, (size[1] - scaled.get_height()) // 2))
    return frame


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--size", required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--fade", type=float, default=1.0)
    parser.add_argument("--run-seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--preload", action="store_true")
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    pygame.display.init()
    screen = pygame.display.set_mode(size)
    paths = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    started = time.monotonic()
    frames = {path: fit(pygame.image.load(str(path)), size) for path in paths} if args.preload else {}
    first = None
    clock = pygame.time.Clock()
    gaps, slips, in_fade_frames, fades = [], [], 0, 0
    index, current = 0, None
    due = time.monotonic()
    fade_from, fade_start = None, None
    last_frame = None
    while time.monotonic() - started < args.run_seconds:
        pygame.event.pump()
        now = time.monotonic()
        if now >= due:
            path = paths[index % len(paths)]
            index += 1
            # The next picture is decoded here, on the render loop, when it is due.
            nxt = frames.get(path) or fit(pygame.image.load(str(path)), size)
            slips.append(max(0.0, time.monotonic() - due))
            fade_from, fade_start, current = current, time.monotonic(), nxt
            fades += 1 if fade_from is not None else 0
            due += args.seconds
            if first is None:
                first = time.monotonic() - started
        progress = 1.0 if fade_from is None else min(1.0, (time.monotonic() - fade_start) / args.fade)
        if fade_from is not None and progress < 1.0:
            screen.blit(fade_from, (0, 0))
            current.set_alpha(round(255 * progress))
            screen.blit(current, (0, 0))
            current.set_alpha(None)
            stamp = time.monotonic()
            if last_frame is not None:
                gaps.append(stamp - last_frame)
            last_frame = stamp
            in_fade_frames += 1
        else:
            screen.blit(current, (0, 0))  # redrawn every frame, changed or not
            last_frame = None
        pygame.display.flip()
        clock.tick(60)
    rss = 0
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            rss = int(line.split()[1]) // 1024
    args.out.write_text(json.dumps({
        "first_frame_seconds": first, "gaps": gaps, "slips": slips, "fade_frames": in_fade_frames,
        "fades": fades, "peak_rss_mb": rss,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
