"""The kiosk's performance figures beside a straightforward baseline, measured in the same run.

    .venv/bin/python bench/perf.py [--sizes 1920x1080,3840x2160] [--photos 2000]

For each screen size it runs the real kiosk (headless, SDL's dummy driver,
software rendering) on a folder of 12-megapixel camera JPEGs and reads its
own measurements (status.json: gaps between frames presented during fades,
slide start slip; /proc: CPU time, peak resident memory; the READY=1 that
systemd would receive: time to the first slide). The baseline is
bench/naive_player.py: decode on the render loop, redraw every frame at 60
fps, load everything at start. Prints a table and writes bench/results/perf.json.
It is a benchmark, not a test: nothing here fails a build.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import write_result

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.core.framestats import quantile

DISTINCT = 8  # distinct photos; the rest of the folder is hard links to them
# A box runs from an installed package whose bytecode pip compiled: so does every run here, even
# where the shell says not to write bytecode (that alone adds about 0.1 s to each start).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
ENV.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")


def compiled(root: Path) -> Path:
    """`root` with its bytecode written, as `pip install` leaves a box's copy (quietly; once per run)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "kiosk")], check=False,
                   stdout=subprocess.DEVNULL, env=ENV)
    return root


def camera_photos(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "slides" / "answers").glob("*.jpg"))
    made = []
    for index in range(DISTINCT):
        path = folder / f"camera-{index}.jpg"
        image = Image.open(sources[index]).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        image.filter(ImageFilter.DETAIL).save(buffer, format="JPEG", quality=90)
        path.write_bytes(buffer.getvalue())
        made.append(path)
    return made


def slide_folder(root: Path, photos: list[Path], count: int) -> Path:
    folder = root / f"slides-{count}"
    if folder.exists():
        return folder
    shutil.copytree(ROOT / "slides" / "contribute", folder / "contribute")
    answers = folder / "answers"
    answers.mkdir(parents=True)
    for index in range(count):
        os.link(photos[index % len(photos)], answers / f"photo-{index:05d}.jpg")
    return folder


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int) -> float:
    """CPU time of all the process's threads, in nanoseconds from the scheduler (clock ticks are
    10 ms: too coarse for a 0.5 % idle budget over a 10 s window)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total / 1e9


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def naive_run(work: Path, folder: Path, size: str, seconds: float, preload: bool) -> dict:
    out = work / "naive.json"
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "naive_player.py"), "--folder", str(folder / "answers"),
         "--size", size, "--seconds", "3", "--fade", "1", "--run-seconds", str(seconds), "--out", str(out)]
        + (["--preload"] if preload else []),
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(min(8.0, seconds / 2))
    before = cpu_seconds(process.pid)
    time.sleep(2)
    busy = (cpu_seconds(process.pid) - before) / 2
    process.wait(timeout=seconds + 600)
    result = json.loads(out.read_text())
    result["cpu_while_running"] = busy
    result["wall_seconds"] = time.monotonic() - started
    return result


def fade_figures(frames: dict, fades: int, fade_seconds: float = 1.0) -> tuple[float, float]:
    """(share of a 60 Hz display's fade frames drawn, p99 gap in ms) from the kiosk's frame statistics."""
    drawn = frames["fade_gap_count"] + fades
    expected = fades * 60 * fade_seconds
    # Frames beyond 60 a second never reach a 60 Hz panel: the share stops at 100.
    return (min(100.0, 100 * drawn / expected) if expected else 0.0, 1000 * frames["fade_gap_seconds"]["0.99"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1920x1080,3840x2160")
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=40.0, help="length of each fade run")
    parser.add_argument("--renderer", choices=("software", "auto", "gpu"), default="software",
                        help="the kiosk's display.renderer")
    args = parser.parse_args()
    for settings in (FADES, STILL):
        settings["renderer: software"] = f"renderer: {args.renderer}"
    work = Path(tempfile.mkdtemp(prefix="kiosk-perf-"))
    rows = []
    try:
        photos = camera_photos(work / "camera")
        big = slide_folder(work, photos, args.photos)
        small = slide_folder(work, photos, 200)
        for size in args.sizes.split(","):
            def run(folder: Path, seconds: float, idle: float | None = None, still: bool = False,
                    size: str = size) -> dict:
                return kiosk_run(work, folder, size, seconds, idle, STILL if still else FADES)

            busy = run(big, args.seconds)
            still = run(big, 20, idle=10, still=True)
            few = run(small, args.seconds)  # the same length as the 2,000-photo run: peaks grow with time
            status = busy["status"]
            fades = max(0, sum(status["slides_shown"].values()) - 1)
            share, p99 = fade_figures(status["frames"], fades)
            naive = naive_run(work, small, size, args.seconds, preload=False)
            naive_fades = max(1, naive["fades"])
            naive_share = min(100.0, 100 * naive["fade_frames"] / (naive_fades * 60))
            # Loading all 200 photos at start takes a while; 4K would need ~6 GB, so only 1080p.
            preload = naive_run(work, small, size, 90, preload=True) if size == "1920x1080" else None
            rows.append({
                "screen": size,
                "fade_frames_percent": round(share, 1),
                "fade_gap_p99_ms": round(p99, 1),
                "slide_slip_p99_ms": round(1000 * status["frames"]["slide_slip_seconds"]["0.99"], 1),
                "idle_cpu_percent": round(100 * still["idle_cpu"], 2),
                "peak_rss_mb": {"200": round(few["peak_rss_mb"], 1), str(args.photos): round(busy["peak_rss_mb"], 1)},
                "first_slide_seconds": round(busy["ready_seconds"], 2),
                "baseline": {
                    "fade_frames_percent": round(naive_share, 1),
                    "fade_gap_p99_ms": round(1000 * quantile(naive["gaps"], 0.99), 1),
                    "slide_slip_p99_ms": round(1000 * quantile(naive["slips"], 0.99), 1),
                    "cpu_percent_60fps_redraw": round(100 * naive["cpu_while_running"], 1),
                    "preload_200": None if preload is None else {
                        "first_frame_seconds": None if preload["first_frame_seconds"] is None
                        else round(preload["first_frame_seconds"], 1),
                        "peak_rss_mb": preload["peak_rss_mb"],
                    },
                },
            })
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "renderer": args.renderer,
        "photos": args.photos,
        "photo": "4000x3000 JPEG (12 MP)",
        "rows": rows,
    }
    # Run under `taskset -c 0`, it measures a slow box: kept beside the run on every core.
    cores = len(os.sched_getaffinity(0))
    variant = args.renderer if cores == os.cpu_count() else f"{args.renderer}, {cores} core"
    write_result(__file__, result, variant=variant)
    print(json.dumps(result, indent=2))
    return 0


FADES = {"contribute_seconds: 12": "contribute_seconds: 3", "answer_seconds: 8": "answer_seconds: 3"}
STILL = {
    "answers_per_contribute: 3": "answers_per_contribute: 0",
    "contribute_seconds: 12": "contribute_seconds: 120",
    "transition_seconds: 1.0": "transition_seconds: 0",
}


def kiosk_run(work: Path, folder: Path, size: str, seconds: float, idle: float | None, settings: dict,
              root: Path = ROOT, prefix: tuple[str, ...] = (), during=None) -> dict:
    """Runs the kiosk with the shipped config changed by `settings`; returns the time to
    READY=1, status.json, CPU use in an idle window and peak resident memory.

    `root` runs another checkout; `prefix` goes before the command (taskset); `during()`
    runs once the first slide is up (new photos arriving)."""
    compiled(root)
    text = (root / "config.yaml").read_text(encoding="utf-8")
    for old, new in settings.items():
        text = text.replace(old, new)
    state = work / f"state-{time.monotonic_ns()}"
    config = work / "config.yaml"
    config.write_text(text.replace("folder: slides", f"folder: {folder}").replace("dir: state", f"dir: {state}"),
                      encoding="utf-8")
    notify_path = str(work / "notify.sock")
    Path(notify_path).unlink(missing_ok=True)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(120)
    started = time.monotonic()
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", size],
        env=dict(ENV, NOTIFY_SOCKET=notify_path, PYTHONPATH=str(root)), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, cwd=root,
    )
    ready = None
    try:
        while ready is None:
            if notify.recv(4096).startswith(b"READY=1"):
                ready = time.monotonic() - started
        if during is not None:
            during()
        idle_cpu = None
        if idle:
            time.sleep(3)
            before = thread_cpu_seconds(process.pid)
            time.sleep(idle)
            idle_cpu = (thread_cpu_seconds(process.pid) - before) / idle
        remaining = seconds - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        rss = peak_rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        notify.close()
    status = json.loads((state / "status.json").read_text())
    return {"ready_seconds": ready, "idle_cpu": idle_cpu, "peak_rss_mb": rss, "status": status}


if __name__ == "__main__":
    sys.exit(main())
