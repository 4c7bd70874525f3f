"""What the kiosk writes to its disk in a day, from /proc/<pid>/io, over a long run at high speed.

    sudo .venv/bin/python bench/disk_writes.py [--answers 2000] [--minutes 4] [--speed 16] [--root CHECKOUT]

The show runs `--speed` times faster than 8 s answers and 12 s contribute
slides. Page-cache writeback decides how often a file appended to a little
at a time is written again, so the kernel's writeback timers
(vm.dirty_expire_centisecs, vm.dirty_writeback_centisecs) are made as many
times shorter for the run and put back afterwards (hence root): one minute
here is `--speed` minutes of a box. `write_bytes` minus
`cancelled_write_bytes` after the first slide, scaled to a day. The runtime
folder is on tmpfs (/dev/shm), as systemd's RuntimeDirectory is on a box;
the state folder is on this machine's disk. `--root` runs another checkout
(an earlier commit) the same way. It is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VM = Path("/proc/sys/vm")
TIMERS = ("dirty_expire_centisecs", "dirty_writeback_centisecs")


def io_bytes(pid: int) -> int:
    fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return int(fields["write_bytes"]) - int(fields["cancelled_write_bytes"])


def slide_folder(work: Path, answers: int) -> Path:
    folder = work / "slides"
    # The pictures only: a sidecar's own `seconds` (the ceremony slide's 15 s) would not scale with --speed.
    (folder / "contribute").mkdir(parents=True)
    for picture in sorted((ROOT / "slides" / "contribute").glob("*.png")):
        shutil.copy(picture, folder / "contribute" / picture.name)
    (folder / "answers").mkdir(parents=True)
    sources = sorted((ROOT / "slides" / "answers").glob("*.jpg"))
    for index in range(answers):
        os.link(sources[index % len(sources)], folder / "answers" / f"photo-{index:05d}.jpg")
    return folder


def measure(root: Path, answers: int, minutes: float, speed: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="kiosk-disk-", dir=ROOT / "bench"))  # on the disk, not in /tmp's tmpfs
    runtime = Path(tempfile.mkdtemp(prefix="kiosk-run-", dir="/dev/shm"))
    saved = {name: (VM / name).read_text().strip() for name in TIMERS}
    try:
        folder = slide_folder(work, answers)
        config = work / "config.yaml"
        config.write_text(
            f"slides:\n  folder: {folder}\nstate:\n  dir: {work / 'state'}\n"
            f"timing:\n  contribute_seconds: {12 / speed}\n  answer_seconds: {8 / speed}\n"
            f"  transition_seconds: {1 / speed}\n", encoding="utf-8")
        for name in TIMERS:
            (VM / name).write_text(str(max(1, round(int(saved[name]) / speed))))
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", "320x180"],
            cwd=root, env=dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYTHONPATH=str(root),
                               RUNTIME_DIRECTORY=str(runtime)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        play_log = work / "state" / "play.jsonl"
        deadline = time.monotonic() + 120
        while not play_log.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        before, started = io_bytes(process.pid), time.monotonic()
        lines_before = len(play_log.read_bytes().splitlines())
        time.sleep(minutes * 60)
        after, seconds = io_bytes(process.pid), time.monotonic() - started
        slides = len(play_log.read_bytes().splitlines()) - lines_before
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        state_files = {p.name: p.stat().st_size for p in (work / "state").iterdir() if p.is_file()}
    finally:
        for name, value in saved.items():
            (VM / name).write_text(value)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)
    box_seconds = seconds * speed
    return {
        "answers": answers,
        "box_hours": round(box_seconds / 3600, 2),
        "slides": slides,
        "slides_per_day": round(slides * 86400 / box_seconds),
        "bytes_written": after - before,
        "mb_per_day": round((after - before) * 86400 / box_seconds / 1e6, 2),
        "state_files": state_files,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--speed", type=float, default=16.0)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    args = parser.parse_args()
    result = measure(args.root.resolve(), args.answers, args.minutes, args.speed)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
