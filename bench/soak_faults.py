"""Soak under fault: the kiosk against a misbehaving sync server, a state folder that fills up, and SIGTERMs.

    .venv/bin/python bench/soak_faults.py [--minutes 30] [--segments 3]

A real kiosk (headless) syncs every few seconds from a server on loopback
that changes its misbehaviour every 20 s: it cuts connections, trickles
the manifest a byte at a time, lies (wrong bytes), serves a gzip bomb as the
manifest and an endless stream as a photo, and answers 500. New content is
published every minute, so downloads happen under those faults. The state
folder is a small tmpfs (with root) that a filler fills completely for a
few minutes at a time. The run is cut into segments ended by SIGTERM under
load; each stop must end with exit 0, and the kiosk is started again.

Reports for each segment: exit code, seconds from SIGTERM to exit, memory
minute by minute; sync results; error lines. Judged: no unexpected exit,
exit 0 within 2 s at every stop, flat memory, no tracebacks. Not part of
the test suite. Writes bench/results/soak_faults.json.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from record import write_result

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.boundary.publish import publish
from tests.servers import FaultServer

FAULTS = [
    {},
    {"cut_objects_after": 5000},
    {"manifest_trickle": 0.5},
    {"wrong_bytes": True},
    {"manifest_gzip": gzip.compress(b"\0" * (1024 * 1024), compresslevel=9) * 300},
    {"endless": True},
    {"manifest_status": 500},
    {"object_trickle": 0.05},
]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def photo(rng: random.Random) -> bytes:
    image = Image.new("RGB", (16, 12), tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.resize((1600, 1200), Image.Resampling.BICUBIC).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def publisher(source: Path, site: Path, stop: threading.Event, counts: dict) -> None:
    rng = random.Random(5)
    serial = 0
    while not stop.wait(60):
        serial += 1
        (source / "answers" / f"fault-{serial:04d}.jpg").write_bytes(photo(rng))
        for old in sorted((source / "answers").glob("fault-*.jpg"))[:-20]:
            old.unlink()
        publish(source, site)
        counts["published"] = counts.get("published", 0) + 1


def faulter(server: FaultServer, stop: threading.Event, counts: dict) -> None:
    index = 0
    while not stop.wait(20):
        index += 1
        faults = dict(FAULTS[index % len(FAULTS)])
        server.faults = faults
        name = ",".join(faults) or "none"
        counts[name] = counts.get(name, 0) + 1


def filler(state: Path, stop: threading.Event, counts: dict, mounted: bool) -> None:
    """Fills the state folder's filesystem completely for two minutes in every five."""
    if not mounted:
        return
    blob = state / "filler.bin"
    while not stop.wait(180):
        try:
            with open(blob, "wb") as handle:
                while True:
                    handle.write(b"\0" * 65536)
        except OSError:
            counts["filled"] = counts.get("filled", 0) + 1
        if stop.wait(120):
            break
        blob.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--segments", type=int, default=3, help="SIGTERM and start again this many times")
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kiosk-soak-faults-"))
    stop = threading.Event()
    counts: dict = {}
    segments = []
    mounted = False
    state = work / "state"
    state.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(state)]).returncode == 0
    server = None
    try:
        source = work / "source"
        shutil.copytree(ROOT / "slides", source)
        site = work / "site"
        publish(source, site)
        server = FaultServer(site)
        slides = work / "slides"
        text = (ROOT / "config.yaml").read_text(encoding="utf-8")
        text = text.replace("folder: slides", f"folder: {slides}").replace("dir: state", f"dir: {state}")
        for old, new in {
            "contribute_seconds: 12": "contribute_seconds: 0.5",
            "answer_seconds: 8": "answer_seconds: 0.4",
            "transition_seconds: 1.0": "transition_seconds: 0.1",
            'url: ""\n  # How often': f'url: "{server.url}"\n  # How often',
            # sync's (the first interval in config.yaml): every 5 s, give or take 1
            "interval_seconds: 10\n  jitter_seconds: 5": "interval_seconds: 5\n  jitter_seconds: 1",
            "connect_timeout_seconds: 10": "connect_timeout_seconds: 2",
            "read_timeout_seconds: 30": "read_timeout_seconds: 2",
            "retries: 3": "retries: 1",
            "reserve_megabytes: 64": "reserve_megabytes: 1",
            "min_kilobytes_per_second: 20": "min_kilobytes_per_second: 200",
        }.items():
            assert old in text, old
            text = text.replace(old, new, 1)
        config = work / "config.yaml"
        config.write_text(text, encoding="utf-8")
        threads = [
            threading.Thread(target=publisher, args=(source, site, stop, counts), daemon=True),
            threading.Thread(target=faulter, args=(server, stop, counts), daemon=True),
            threading.Thread(target=filler, args=(state, stop, counts, mounted), daemon=True),
        ]
        for thread in threads:
            thread.start()
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        log_path = work / "kiosk.log"
        per_segment = args.minutes * 60 / args.segments
        with open(log_path, "w") as log_file:
            for number in range(args.segments):
                process = subprocess.Popen(
                    [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", args.size],
                    env=env, stdout=subprocess.DEVNULL, stderr=log_file, cwd=ROOT,
                )
                samples = []
                ends = time.monotonic() + per_segment
                while time.monotonic() < ends and process.poll() is None:
                    time.sleep(min(60.0, max(0.1, ends - time.monotonic())))
                    if process.poll() is None:
                        samples.append(round(rss_kb(process.pid) / 1024, 1))
                died = process.poll() is not None
                started = time.monotonic()
                if not died:
                    process.send_signal(signal.SIGTERM)
                try:
                    code = process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    code = process.wait()
                segments.append({
                    "segment": number + 1,
                    "died_by_itself": died,
                    "exit_code": code,
                    "stop_seconds": None if died else round(time.monotonic() - started, 2),
                    "rss_mb_each_minute": samples,
                })
        log_text = log_path.read_text(errors="replace")
    finally:
        stop.set()
        if server is not None:
            server.stop()
        if mounted:
            subprocess.run(["umount", "-l", str(state)])
        shutil.rmtree(work, ignore_errors=True)

    lines = log_text.splitlines()
    errors = [line for line in lines if line.startswith("ERROR") or "Traceback" in line]
    sync_lines = [line for line in lines if "sync failed" in line or "sync ok" in line or "sync:" in line]
    reasons: dict[str, int] = {}
    for line in sync_lines:
        key = line.split("sync failed: ", 1)[1].split(" (")[0][:60] if "sync failed: " in line else "ok"
        reasons[key] = reasons.get(key, 0) + 1

    def flat(samples: list[float]) -> bool:
        half = len(samples) // 2
        return not samples or not samples[:half] or max(samples[half:]) <= max(samples[:half]) * 1.10

    result = {
        "minutes": args.minutes,
        "state_on_small_tmpfs": mounted,
        "segments": segments,
        "faults_and_events": counts,
        "sync_log_lines_by_reason": reasons,
        "state_write_warnings": sum(1 for line in lines if "cannot save the rotation" in line
                                    or "cannot write status files" in line or "cannot write the play log" in line),
        "error_lines": errors[:20],
    }
    good = (
        all(not s["died_by_itself"] and s["exit_code"] == 0 and s["stop_seconds"] <= 2.0 for s in segments)
        and all(flat(s["rss_mb_each_minute"]) for s in segments)
        and not [line for line in errors if "Traceback" in line]
    )
    result["passed"] = good
    write_result(__file__, result)
    print(json.dumps(result, indent=2))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
