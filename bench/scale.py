"""Issue 16's figures in one run: a box at 2,000 and 20,000 answers, the disk, new photos, one core.

    sudo .venv/bin/python bench/scale.py [--baseline f68ebd7] [--size 1920x1080]

Beside each figure, the same measurement of `--baseline` (a commit, checked
out in a git worktree; f68ebd7 is main as it was when issue 16 was filed):

* decisions on the render loop at 2,000 and 20,000 answers (bench/decisions.py);
* the first slide after the process starts, and peak resident memory, with
  20,000 answers of 12-megapixel JPEGs at `--size` (bench/perf.py's run);
* fades, the gap between fade frames, slide slip and idle CPU at 2,000 and
  20,000 answers, and while 100 new 12-megapixel photos arrive the way the
  sync delivers them (written into its staging folder at 10 MB/s, fsynced,
  renamed into answers/);
* the same at 2,000 answers with the kiosk on one core (taskset -c 0);
* the disk: write_bytes per day at 8 s slides with 2,000 answers
  (bench/disk_writes.py, which needs root to scale the kernel's writeback),
  and what reaches the device, journal included, with the state folder on a
  journaled ext4 on a loop device, as on a box's SD card;
* a photo renamed into the folder: time until it is in the rotation
  (bench/watch_latency.py).

Writes bench/results/scale.json. A benchmark, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import write_result

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import perf


def part_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a benchmark run as a part of this one: its own result file goes to the scratch folder,
    so that it never stands in bench/results/ for a whole run of that benchmark."""
    return dict(os.environ, BENCH_RESULTS=str(work / "results"), **extra)


def decisions(work: Path, root: Path, answers: int) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "decisions.py"), "--answers", str(answers)],
                         env=part_env(work, PYTHONPATH=str(root)), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def show_figures(run: dict) -> dict:
    status = run["status"]
    fades = max(0, sum(status["slides_shown"].values()) - 1)
    share, p99 = perf.fade_figures(status["frames"], fades)
    return {
        "fade_frames_percent": round(share, 1),
        "fade_gap_p99_ms": round(p99, 1),
        "slide_slip_p99_ms": round(1000 * status["frames"]["slide_slip_seconds"]["0.99"], 1),
        "first_slide_seconds": round(run["ready_seconds"], 2),
        "peak_rss_mb": round(run["peak_rss_mb"], 1),
    }


def arrivals(folder: Path, count: int, bytes_per_second: float) -> callable:
    """New distinct 12-MP photos delivered as the sync does: staging file, fsync, rename."""
    staging = folder / ".kiosk-sync"
    photos = []
    rng = random.Random(16)
    for index in range(count):
        image = Image.effect_noise((500, 375), 40 + index % 50).convert("RGB").resize((4000, 3000))
        bands = []
        for band in image.split():
            offset = rng.randrange(60)
            bands.append(band.point(lambda v, o=offset: min(255, v + o)))
        image = Image.merge("RGB", bands)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        photos.append(buffer.getvalue())

    def deliver() -> None:
        staging.mkdir(exist_ok=True)
        for index, data in enumerate(photos):
            temporary = staging / f"{index}.place"
            with temporary.open("wb") as handle:
                for start in range(0, len(data), 65536):
                    handle.write(data[start:start + 65536])
                    time.sleep(65536 / bytes_per_second)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, folder / "answers" / f"arrived-{index:03d}.jpg")
        shutil.rmtree(staging, ignore_errors=True)

    return deliver


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="f68ebd7")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--seconds", type=float, default=40.0, help="length of each fade run")
    parser.add_argument("--disk-minutes", type=float, default=3.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-scale-"))
    baseline = work / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(baseline), args.baseline],
                   check=True)
    result: dict = {"size": args.size, "baseline_commit": args.baseline}
    try:
        for name, root in (("this", ROOT), ("baseline", baseline)):
            result.setdefault(name, {})["decisions"] = {n: decisions(work, root, n) for n in (2000, 20000)}
        photos = perf.camera_photos(work / "camera")
        folders = {n: perf.slide_folder(work, photos, n) for n in (2000, 20000)}

        def run(folder: Path, root: Path = ROOT, **extra) -> dict:
            return perf.kiosk_run(work, folder, args.size, args.seconds, None, perf.FADES, root=root, **extra)

        for name, root in (("this", ROOT), ("baseline", baseline)):
            result[name]["20000"] = show_figures(run(folders[20000], root))
        this = result["this"]
        this["2000"] = show_figures(run(folders[2000]))
        for count in (2000, 20000):
            still = perf.kiosk_run(work, folders[count], args.size, 20, 10, perf.STILL)
            this[str(count)]["idle_cpu_percent"] = round(100 * still["idle_cpu"], 2)
        deliver = arrivals(folders[2000], 100, 10 * 1024 * 1024)
        during = perf.kiosk_run(work, folders[2000], args.size, 60, None, perf.FADES, during=deliver)
        this["2000_while_100_photos_arrive"] = show_figures(during)
        this["2000_while_100_photos_arrive"]["answers_at_end"] = during["status"]["content"]["answer"]
        one_core = perf.kiosk_run(work, folders[2000], args.size, args.seconds, None, perf.FADES,
                                  prefix=("taskset", "-c", "0"))
        this["2000_one_core"] = show_figures(one_core)
        if os.geteuid() == 0:
            for name, root in (("this", ROOT), ("baseline", baseline)):
                out = subprocess.run([sys.executable, str(ROOT / "bench" / "disk_writes.py"), "--minutes",
                                      str(args.disk_minutes), "--root", str(root)], capture_output=True, text=True,
                                     check=True, env=part_env(work))
                result[name]["disk"] = json.loads(out.stdout)
                # What the SD card itself gets (data, journal, inode tables) on a journaled ext4 as a box has.
                out = subprocess.run([sys.executable, str(ROOT / "bench" / "disk_writes.py"), "--minutes", "2",
                                      "--speed", "5", "--ext4", "", "--root", str(root)], capture_output=True,
                                     text=True, check=True, env=part_env(work))
                result[name]["disk_journaled_ext4"] = json.loads(out.stdout)
        for mode in ("native", "poll"):
            subprocess.run([sys.executable, str(ROOT / "bench" / "watch_latency.py"), "--watch", mode, "--runs", "20"],
                           capture_output=True, text=True, check=True, env=part_env(work))
            latency = json.loads((work / "results" / "watch_latency.json").read_text())["variants"][mode]["result"]
            this[f"rename_to_rotation_{mode}"] = {k: latency[k] for k in ("runs", "median_seconds", "p95_seconds",
                                                                          "max_seconds", "target_seconds")}
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)
        shutil.rmtree(work, ignore_errors=True)
    result["rendering"] = "software"
    write_result(__file__, result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
