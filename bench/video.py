"""Video slides: frames on time at 1080p30, CPU and memory beside pictures alone, fades without black,
and the time publish takes to make a rendition.

    .venv/bin/python bench/video.py [--seconds 60] [--size 1920x1080]

1. **Playing.** The real kiosk (headless, SDL's dummy driver, the `software`
   renderer) plays a 1080p30 H.264 video at 1920x1080 for `--seconds`, and
   again confined to one core (`taskset -c 0`). Its own status.json gives the
   frames counted as they reached the screen (shown, late, skipped; on time
   = shown and not late, out of every frame of the slots), the gaps between
   frames and how late each came; /proc gives CPU time (all threads) and
   peak resident memory. The same run on 1080p JPEG pictures alone gives the
   memory to compare.
2. **Transitions.** Video, picture, video, with 0.5 s fades, played by the
   real render loop, players and screen in this process (640x360): every
   frame presented is read back from the screen and its mean brightness
   taken. A black frame would be one darker than any of the slides.
3. **Publish.** `make_video_rendition` on a 20 s phone-like clip (HEVC,
   1920x1080 stored sideways with a rotation tag, 30 fps), per minute of video.

Writes bench/results/video.json. A benchmark, not a test: nothing here fails a build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import cast

from perf import ENV, compiled, cpu_seconds, peak_rss_mb
from record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image, ImageDraw

RATE = 30


def moving_picture(index: int, size: tuple[int, int]) -> Image.Image:
    """A frame with detail everywhere and motion in every part, as a filmed scene has."""
    width, height = size
    picture = Image.new("RGB", size, (40 + index % 60, 70, 120))
    draw = ImageDraw.Draw(picture)
    for number in range(24):
        angle = index / RATE * (0.4 + 0.05 * number) + number
        x = width / 2 + math.cos(angle) * width * 0.4
        y = height / 2 + math.sin(angle * 1.3) * height * 0.4
        radius = height * (0.04 + 0.01 * (number % 5))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius),
                     fill=((number * 53) % 256, (number * 97 + index) % 256, (number * 31) % 256))
    for row in range(0, height, 24):  # fine stripes moving across: texture the encoder must spend bits on
        draw.line((0, row + index % 24, width, row + (index * 3) % 24), fill=(255, 255, 255), width=1)
    return picture


def write_clip(path: Path, size: tuple[int, int], seconds: float, codec: str = "libx264",
               rotation: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"crf": "20", "preset": "fast", "g": str(2 * RATE)}
    if codec == "libx265":
        options = {"crf": "24", "preset": "fast", "x265-params": "log-level=none"}
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = cast(VideoStream, out.add_stream(codec, rate=RATE, options=options))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for index in range(round(seconds * RATE)):
            frame = VideoFrame.from_image(moving_picture(index, size))
            frame.pts = index
            frame.time_base = Fraction(1, RATE)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def run_kiosk(work: Path, folder: Path, size: str, seconds: float, prefix: tuple[str, ...] = ()) -> dict:
    """The kiosk on `folder` for `seconds`: its status.json, CPU share over the run after the first
    10 s, and peak resident memory."""
    compiled(ROOT)
    state = work / f"state-{time.monotonic_ns()}"
    config = work / "config.yaml"
    config.write_text(f"""\
slides:
  folder: {folder}
state:
  dir: {state}
display:
  renderer: software
timing:
  contribute_seconds: 8
  answer_seconds: 8
  transition: fade
  transition_seconds: 1
""", encoding="utf-8")
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", size],
        env=dict(ENV, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        time.sleep(10)  # the start and the first slide's fade in: not what is measured
        before, started = cpu_seconds(process.pid), time.monotonic()  # ended threads (players) included
        time.sleep(max(1.0, seconds - 10))
        cpu = (cpu_seconds(process.pid) - before) / (time.monotonic() - started)
        rss = peak_rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    if process.returncode != 0:
        raise SystemExit(f"the kiosk failed ({process.returncode}): {err.decode(errors='replace')[-2000:]}")
    status = json.loads((state / "status.json").read_text(encoding="utf-8"))
    return {"cpu_cores": round(cpu, 3), "peak_rss_mb": round(rss, 1), "status": status}


def playing_figures(run: dict) -> dict:
    frames = run["status"]["video_frames"]
    every = frames["shown"] + frames["skipped"]
    return {
        "frames_shown": frames["shown"], "frames_late": frames["late"], "frames_skipped": frames["skipped"],
        "on_time_share": round((frames["shown"] - frames["late"]) / every, 5) if every else None,
        "gap_ms": {q: round(1000 * v, 1) for q, v in frames["gap_seconds"].items()},
        "lateness_ms": {q: round(1000 * v, 1) for q, v in frames["lateness_seconds"].items()},
        # The first frame shown once each slot's clock ran (the first frame itself is on screen from the fade in).
        "first_frame_lateness_ms": {q: round(1000 * v, 1) for q, v in frames["first_frame_lateness_seconds"].items()},
        "slots": sum(run["status"]["slides_shown"].values()),
        "slide_slip_ms_p99": round(1000 * run["status"]["frames"]["slide_slip_seconds"]["0.99"], 1),
        "cpu_cores": run["cpu_cores"], "peak_rss_mb": run["peak_rss_mb"],
    }


def transitions(work: Path) -> dict:
    """Video → picture → video with fades, in the real loop and screen here; the brightness of every frame."""
    os.environ.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    import pygame

    from kiosk.app.show import Show
    from kiosk.app.sinks import Sinks
    from kiosk.boundary.clock import zone_named
    from kiosk.boundary.configfile import load_config
    from kiosk.boundary.display import Screen
    from kiosk.boundary.folder import scan
    from kiosk.boundary.notify import SystemdNotifier
    from kiosk.boundary.playlog import PlayLog
    from kiosk.boundary.power import DisplayPower
    from kiosk.boundary.state import RotationStore, SlideRecorder
    from kiosk.boundary.videoplayer import VideoPlayer
    from kiosk.boundary.worker import DecodeWorker
    from kiosk.core.director import Director

    folder = work / "transitions"
    size = (640, 360)
    write_clip(folder / "contribute" / "1-video.mp4", size, 2.0)
    Image.new("RGB", size, (90, 150, 90)).save(folder / "contribute" / "2-picture.png")
    write_clip(folder / "contribute" / "3-video.mp4", size, 2.0)
    config_path = work / "transitions.yaml"
    config_path.write_text(f"""\
slides:
  folder: {folder}
state:
  dir: {work / 'transitions-state'}
timing:
  contribute_seconds: 2
  transition: fade
  transition_seconds: 0.5
overlays:
  footer: ""
""", encoding="utf-8")
    config = load_config(config_path)
    inbox: queue.Queue[object] = queue.Queue()
    worker = DecodeWorker(inbox, config.slides.folder, config.captions.font, config.decoding.max_pixels)
    brightness: list[tuple[float, float]] = []  # (when presented, mean brightness)

    class ReadBack(Screen):
        """The screen, reading back each frame it presents."""

        def _present(self, overlay):
            super()._present(overlay)
            red, green, blue, *_ = pygame.transform.average_color(self._display())
            brightness.append((time.monotonic(), 0.2126 * red + 0.7152 * green + 0.0722 * blue))

    screen = ReadBack(size, windowed=True)
    store, play_log = RotationStore(config.state.dir), PlayLog(config.state.dir)
    director = Director(config, scan(folder), store.load(1), folder, zone_named)
    sinks = Sinks(SlideRecorder(store, play_log), SystemdNotifier({}), DisplayPower())
    show = Show(director, screen, worker, inbox, sinks,
                players=lambda key, slides, font: VideoPlayer(key, slides, font, inbox))
    worker.start()
    try:
        show.run(exit_after=16.0)
    finally:
        worker.stop()
    slides = [str(line.get("path")) for line in play_log_lines(config.state.dir)]
    darkest_content = min(brightness_of_clip(folder / "contribute" / "1-video.mp4"), 0.2126 * 90 + 0.7152 * 150
                          + 0.0722 * 90)
    # The first slide's fade in from the background colour aside (0.5 s, and a frame for good measure).
    after_first = [value for at, value in brightness if at >= brightness[0][0] + 0.5 + 0.05]
    return {
        "slides": slides, "frames_read": len(brightness),
        "darkest_frame_presented": round(min(after_first), 1),
        "darkest_frame_of_the_slides": round(darkest_content, 1),
        "black_frames": sum(1 for value in after_first if value < 0.5 * darkest_content),
    }


def play_log_lines(state: Path) -> list[dict]:
    from kiosk.boundary.playlog import read_play_log

    return read_play_log(state)


def brightness_of_clip(path: Path) -> float:
    darkest = 255.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            red, green, blue = frame.to_image().resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
            darkest = min(darkest, 0.2126 * red + 0.7152 * green + 0.0722 * blue)
    return darkest


def rendition_time(work: Path) -> dict:
    from kiosk.picture.video import probe_video
    from kiosk.picture.videorendition import VideoRenditionSettings, make_video_rendition

    source = write_clip(work / "phone.mov", (1920, 1080), 20.0, codec="libx265", rotation=-90)
    facts = probe_video(source)
    started = time.monotonic()
    make_video_rendition(source, work / "rendition.mp4", VideoRenditionSettings(panels=((1920, 1080),)))
    spent = time.monotonic() - started
    made = probe_video(work / "rendition.mp4")
    return {"source": f"{facts.codec} {facts.size[0]}x{facts.size[1]} turned {facts.rotation}, "
                      f"{facts.frame_rate:g} fps, {facts.seconds:g} s",
            "rendition": f"{made.codec} {made.size[0]}x{made.size[1]}, {made.frame_rate:g} fps",
            "seconds": round(spent, 1), "seconds_per_minute_of_video": round(spent * 60 / facts.seconds, 1),
            "rendition_bytes_per_minute": round((work / "rendition.mp4").stat().st_size * 60 / facts.seconds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="kiosk-video-"))
    try:
        started = time.monotonic()
        videos = work / "videos"
        write_clip(videos / "contribute" / "film.mp4", (width, height), 20.0)
        (videos / "contribute" / "film.yaml").write_text("caption: |\n  Migrants contribute\n  이주민이 기여합니다\n",
                                                         encoding="utf-8")
        print(f"made the {args.size} clip in {time.monotonic() - started:.0f} s", flush=True)
        pictures = work / "pictures"
        for number in range(6):
            (pictures / "contribute").mkdir(parents=True, exist_ok=True)
            moving_picture(number * 37, (width, height)).save(pictures / "contribute" / f"{number}.jpg", quality=90)
        result: dict = {"size": args.size, "seconds": args.seconds, "clip": f"H.264 {args.size} {RATE} fps, 20 s"}
        result["video"] = playing_figures(run_kiosk(work, videos, args.size, args.seconds))
        print("video:", result["video"], flush=True)
        result["pictures_alone"] = {key: value for key, value in run_kiosk(
            work, pictures, args.size, args.seconds).items() if key != "status"}
        print("pictures:", result["pictures_alone"], flush=True)
        result["video_rss_over_pictures_mb"] = round(
            result["video"]["peak_rss_mb"] - result["pictures_alone"]["peak_rss_mb"], 1)
        if shutil.which("taskset"):
            result["video_one_core"] = playing_figures(run_kiosk(work, videos, args.size, args.seconds,
                                                                 ("taskset", "-c", "0")))
            print("one core:", result["video_one_core"], flush=True)
        result["transitions"] = transitions(work)
        print("transitions:", result["transitions"], flush=True)
        result["rendition"] = rendition_time(work)
        print("rendition:", result["rendition"], flush=True)
        result["measured_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(write_result(__file__, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
