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

from record import write_result

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


def device_sectors_written(device: str) -> int:
    return int(Path(f"/sys/block/{device}/stat").read_text().split()[6])


class Ext4Image:
    """A journaled ext4 file system on a loop device, as a box's SD card has (`mount_options` such as
    lazytime), so that what reaches the device is counted: data, journal and inode tables alike.
    Its journal commits every second: `--speed 5` matches a box's default of 5 s."""

    def __init__(self, folder: Path, mount_options: str) -> None:
        self.image = folder / "ext4.img"
        self.mount = folder / "mnt"
        subprocess.run(["truncate", "-s", "512M", str(self.image)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(self.image)], check=True)
        self.mount.mkdir()
        options = ",".join(filter(None, ["loop", "commit=1", mount_options]))
        subprocess.run(["mount", "-o", options, str(self.image), str(self.mount)], check=True)
        source = subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(self.mount)], check=True,
                                capture_output=True, text=True).stdout.strip()
        self.device = Path(source).name

    def close(self) -> None:
        subprocess.run(["umount", str(self.mount)], check=False)


def measure(root: Path, answers: int, minutes: float, speed: float, state_extra: str = "",
            ext4: str | None = None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="kiosk-disk-", dir=ROOT / "bench"))  # on the disk, not in /tmp's tmpfs
    runtime = Path(tempfile.mkdtemp(prefix="kiosk-run-", dir="/dev/shm"))
    saved = {name: (VM / name).read_text().strip() for name in TIMERS}
    image = None
    try:
        state = work / "state"
        if ext4 is not None:
            image = Ext4Image(work, ext4)
            state = image.mount / "state"
        folder = slide_folder(work, answers)
        config = work / "config.yaml"
        config.write_text(
            f"slides:\n  folder: {folder}\nstate:\n  dir: {state}\n{state_extra}"
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
        play_log = state / "play.jsonl"
        deadline = time.monotonic() + 120
        while not play_log.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        device_before = device_sectors_written(image.device) if image else 0
        before, started = io_bytes(process.pid), time.monotonic()
        lines_before = len(play_log.read_bytes().splitlines())
        time.sleep(minutes * 60)
        after, seconds = io_bytes(process.pid), time.monotonic() - started
        device_after = device_sectors_written(image.device) if image else 0
        slides = len(play_log.read_bytes().splitlines()) - lines_before
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        state_files = {p.name: p.stat().st_size for p in state.iterdir() if p.is_file()}
    finally:
        if image is not None:
            image.close()
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
        **({"ext4": ext4 or "defaults", "device_bytes_written": (device_after - device_before) * 512,
            "device_mb_per_day": round((device_after - device_before) * 512 * 86400 / box_seconds / 1e6, 2)}
           if image else {}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--speed", type=float, default=16.0)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    parser.add_argument("--lines-per-write", type=int, help="state.play_log_lines_per_write (default: the kiosk's)")
    parser.add_argument("--ext4", metavar="OPTIONS", help="put the state folder on a journaled ext4 on a loop "
                        "device, mounted with these options ('' for defaults, 'lazytime'), and count its writes too")
    args = parser.parse_args()
    extra = "" if args.lines_per_write is None else f"  play_log_lines_per_write: {args.lines_per_write}\n"
    result = measure(args.root.resolve(), args.answers, args.minutes, args.speed, extra, args.ext4)
    print(json.dumps(result, indent=1))
    variant = "root file system" if args.ext4 is None else f"journaled ext4 ({args.ext4 or 'default options'})"
    if args.lines_per_write is not None:
        variant += f", play_log_lines_per_write {args.lines_per_write}"
    write_result(__file__, result, variant=variant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
