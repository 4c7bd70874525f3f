"""Makes the demo video slide: the Mayor's answer over moving shapes in the campaign's colours.

    python tools/make_demo_video.py

Writes `slides/contribute/09-hoping-together.mp4` (6 s, 1280×720, 30 fps,
H.264 yuv420p, a keyframe every second, faststart, no sound, no metadata)
and its sidecar caption. The shapes drift with the frame number only, and
x264 runs on one thread, so the same script gives the same bytes.
"""

from __future__ import annotations

import argparse
import math
import sys
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT_BOLD = ROOT / "assets" / "fonts" / "NanumGothicBold.ttf"
SIZE = (1280, 720)
RATE = 30
SECONDS = 6
NAME = "09-hoping-together"
# The campaign's colours, as on the contribute cards (tools/make_demo_slides.py).
NIGHT = (15, 40, 80)
SHAPES = [(255, 196, 61), (255, 120, 80), (120, 220, 232), (170, 230, 170), (255, 200, 220), (250, 220, 90)]
WORDS = ("“To me, migration means", "hoping together.”", "“저에게 이주란 함께 희망하는 것입니다.”")
CAPTION = "The Mayor of Seoul answers #MigrationMeans\n서울특별시장의 #MigrationMeans 답변"


def frame_picture(index: int) -> Image.Image:
    """Frame `index`: circles drifting in the campaign's colours behind the Mayor's words."""
    width, height = SIZE
    picture = Image.new("RGB", SIZE, NIGHT)
    draw = ImageDraw.Draw(picture, "RGBA")
    moment = index / RATE
    for number, colour in enumerate(SHAPES):
        angle = moment * (0.35 + 0.08 * number) + number * math.tau / len(SHAPES)
        x = width / 2 + math.cos(angle) * width * (0.22 + 0.04 * number)
        y = height / 2 + math.sin(angle * 1.3) * height * 0.3
        radius = height * (0.12 + 0.03 * math.sin(moment * 1.7 + number))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour + (150,))
    for line, (text, size) in enumerate(zip(WORDS, (64, 64, 48))):
        font = ImageFont.truetype(str(FONT_BOLD), size)
        draw.text((width / 2, height * 0.26 + line * 84), text, font=font, anchor="mt", fill=(255, 255, 255),
                  stroke_width=3, stroke_fill=NIGHT)
    return picture


def write_video(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        out.metadata.clear()
        stream = cast(VideoStream, out.add_stream("libx264", rate=RATE, options={
            "crf": "26", "preset": "slow", "g": str(RATE), "threads": "1", "x264-params": "log-level=none"}))
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.thread_count = 1
        for index in range(RATE * SECONDS):
            frame = VideoFrame.from_image(frame_picture(index))
            frame.pts = index
            frame.time_base = Fraction(1, RATE)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "slides", help="the slide folder (default: slides/)")
    args = parser.parse_args()
    video = args.out / "contribute" / f"{NAME}.mp4"
    write_video(video)
    sidecar = video.with_suffix(".yaml")
    sidecar.write_text("caption: |-\n" + "".join(f"  {line}\n" for line in CAPTION.splitlines()), encoding="utf-8")
    print(f"wrote {video} ({video.stat().st_size:,} bytes) and {sidecar.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
