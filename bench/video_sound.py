"""A video with sound at 1080p30: how far the sound heard is from the slot's clock, and the picture from it.

    .venv/bin/python bench/video_sound.py [--seconds 60] [--size 1920x1080]

The real kiosk (headless, SDL's dummy video driver, the `software`
renderer, `display.audio: true`) plays a 10 s clip with sound in a loop of
slots: H.264 at `--size`, 30 fps, AAC with a click at each whole second
(tests/clips.py), its sidecar saying `audio: true`. Its sound goes through
SDL's disk driver into a file (SDL_DISKAUDIODELAY=21: a buffer every
21 ms, as a sound card asks for them). From the kiosk's own status.json:

- `sound.offset_seconds`: for every device buffer, how far the sound put in
  it was from the moment the slot's clock gave for it (by the kiosk's
  reckoning: the device's latency is taken as the one buffer SDL holds);
- `video_frames.lateness_seconds`: how late each frame reached the screen
  on the same clock.

Their p99s added are the most the picture is from the sound at p99, by the
kiosk's reckoning. What a real sound card or speaker adds after the buffer
leaves SDL is not seen here. The clicks found in the file are counted as a
check that the sound was there. Writes bench/results/video_sound.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from perf import ENV, compiled, cpu_seconds, peak_rss_mb
from record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.clips import click_onsets, make_clip


def milliseconds(quantiles: dict[str, float]) -> dict[str, float]:
    return {q: round(1000 * value, 1) for q, value in quantiles.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="kiosk-video-sound-"))
    try:
        slides = work / "slides" / "contribute"
        make_clip(slides / "film.mp4", size=(width, height), frames=300, rate=30, clicks=True,
                  options={"preset": "fast", "g": "60"})
        (slides / "film.yaml").write_text("caption: Hoping together · 함께 희망\naudio: true\n", encoding="utf-8")
        config = work / "config.yaml"
        config.write_text(f"""\
slides:
  folder: {work / 'slides'}
state:
  dir: {work / 'state'}
display:
  renderer: software
  audio: true
timing:
  transition_seconds: 1
""", encoding="utf-8")
        raw = work / "sound.raw"
        compiled(ROOT)
        env = dict(ENV, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=str(raw),
                   SDL_DISKAUDIODELAY="21")
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", args.size,
             "--exit-after", str(args.seconds)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        time.sleep(min(10.0, args.seconds / 2))
        before, started = cpu_seconds(process.pid), time.monotonic()
        time.sleep(max(1.0, args.seconds - 12))
        cpu = (cpu_seconds(process.pid) - before) / (time.monotonic() - started)
        rss = peak_rss_mb(process.pid)
        _out, err = process.communicate(timeout=60)
        if process.returncode != 0:
            raise SystemExit(f"the kiosk failed ({process.returncode}): {err.decode(errors='replace')[-2000:]}")
        status = json.loads((work / "state" / "status.json").read_text(encoding="utf-8"))
        sound, frames = status["sound"], status["video_frames"]
        offset_p99 = sound["offset_seconds"]["0.99"]
        lateness_p99 = frames["lateness_seconds"]["0.99"]
        result = {
            "size": args.size, "seconds": args.seconds, "clip": f"H.264 {args.size} 30 fps, 10 s, AAC clicks",
            "sound_device": sound["device"],
            "sound_offset_ms": milliseconds(sound["offset_seconds"]),
            "sound_underruns": sound["underruns"],
            "video_lateness_ms": milliseconds(frames["lateness_seconds"]),
            "video_frames": {key: frames[key] for key in ("shown", "late", "skipped")},
            "picture_from_sound_ms_p99": round(1000 * (offset_p99 + lateness_p99), 1),
            "clicks_in_the_file": len(click_onsets(raw.read_bytes())),
            "sound_bytes": raw.stat().st_size,
            "cpu_cores": round(cpu, 3), "peak_rss_mb": round(rss, 1),
        }
        print(json.dumps(result, indent=2))
        write_result(__file__, result)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
