"""Soak: the kiosk at high speed for minutes while its folder churns; memory and fds must stay flat.

    .venv/bin/python bench/soak.py [--minutes 30] [--size 1280x720] [--no-hostile] [--videos N]

Runs a real kiosk (headless) on a copy of the demo content with slides of a
fraction of a second and short fades. The "start" figures are taken after a
minute of warm-up, when the frame cache is full. Meanwhile a writer adds new answer
photos (by rename, by plain copy, by slow writing), replaces existing ones,
deletes some, and drops in a broken file now and then.

Hostile content (unless --no-hostile): 5,000 broken files from the start,
and during the run damaged PNGs, `.inf` and deeply nested sidecars, names
that are not UTF-8, link loops and, a third of the way in, a burst of 150
twelve-megapixel photos. The oldest hostile files of each kind are cleared
away as new ones come (20 of each are kept, and a photo's sidecar goes with
the photo), so the folder holds as much after an hour as after ten minutes:
what the kiosk holds for the folder may grow with the folder, never with
the length of the run. Every bad file must cost one log line, the slide
schedule must hold (slip p99 from status.json) and the kiosk must never
restart.

With `--videos N` (issue 25's soak: an hour of video slides mixed with
pictures at high speed), N short H.264 clips at the panel's size join the
contribute slides, with captions, half of them played twice (`loop: 2`),
one trimmed (`seconds`); the figures then add the video frames counted as
they reached the screen, and go to bench/results/soak-videos.json.

Reports resident memory and open file descriptors after a warm-up and at
the end, slides shown, files changed, and error lines in the log. Not part
of the test suite. Writes bench/results/soak.json.
"""

from __future__ import annotations

import argparse
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

from kiosk.boundary.playlog import read_play_log

FAST = {
    "contribute_seconds: 12": "contribute_seconds: 0.3",
    "answer_seconds: 8": "answer_seconds: 0.2",
    "transition_seconds: 1.0": "transition_seconds: 0.1",
    "settle_seconds: 1.0": "settle_seconds: 0.3",
}


def process_figures(pid: int) -> tuple[int, int]:
    """(resident kilobytes, open file descriptors) of a process."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def photo(rng: random.Random, size: tuple[int, int]) -> bytes:
    base = Image.new("RGB", (16, 12), tuple(rng.randrange(256) for _ in range(3)))
    base.putpixel((rng.randrange(16), rng.randrange(12)), (255, 255, 255))
    buffer = io.BytesIO()
    base.resize(size, Image.Resampling.BICUBIC).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


KEEP_FILES = 40  # churned files kept at once: memory must not depend on how long it runs


def churn(answers: Path, stop: threading.Event, counts: dict[str, int]) -> None:
    """Adds, replaces, breaks and deletes answers, keeping the folder's size steady."""
    rng = random.Random(7)
    serial = 0
    while not stop.wait(0.5):
        action = rng.choice(["rename", "copy", "slow", "replace", "delete", "broken"])
        serial += 1
        name = f"soak-{serial:05d}.jpg"
        existing = sorted(answers.glob("soak-*.jpg"))
        for old in existing[:-KEEP_FILES] + sorted(answers.glob("broken-*.jpg"))[:-5]:
            old.unlink(missing_ok=True)
            old.with_suffix(".yaml").unlink(missing_ok=True)  # a sidecar the attacker gave it goes with it
            counts["trimmed"] = counts.get("trimmed", 0) + 1
        try:
            if action == "rename":
                temp = answers / f".{name}.XyZ123"
                temp.write_bytes(photo(rng, (1600, 1200)))
                os.rename(temp, answers / name)
            elif action == "copy":
                (answers / name).write_bytes(photo(rng, (1200, 1600)))
            elif action == "slow":
                data = photo(rng, (2400, 1800))
                with open(answers / name, "wb") as handle:
                    for start in range(0, len(data), len(data) // 5 + 1):
                        handle.write(data[start:start + len(data) // 5 + 1])
                        handle.flush()
                        time.sleep(0.05)
            elif action == "replace" and existing:
                target = rng.choice(existing)
                temp = answers / f".{target.name}.tmp"
                temp.write_bytes(photo(rng, (1600, 1200)))
                os.replace(temp, target)
            elif action == "delete" and len(existing) > 5:
                rng.choice(existing).unlink()
            elif action == "broken":
                (answers / f"broken-{serial:05d}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(200))
            counts[action] = counts.get(action, 0) + 1
        except OSError:
            counts["errors"] = counts.get("errors", 0) + 1


BULK_BROKEN = 5_000


def damaged_png(rng: random.Random) -> bytes:
    image = Image.frombytes("RGB", (320, 240), rng.randbytes(320 * 240 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    start = data.find(b"IDAT") + 64
    for index in range(start, start + 64):
        data[index] ^= 0x5A
    return bytes(data)


def plant_broken(answers: Path) -> None:
    bulk = answers / "bulk-broken"
    bulk.mkdir(parents=True, exist_ok=True)
    for index in range(BULK_BROKEN):
        (bulk / f"broken-bulk-{index:04d}.jpg").write_bytes(b"\xff\xd8 not a picture %d" % index)


KEEP_HOSTILE = 20  # hostile files of each kind kept at once: the folder's size stays steady, so must memory


def trim_hostile(answers: Path) -> None:
    """The oldest hostile files of each kind removed, as staff would clear them: what the kiosk holds for
    the folder may not grow with the length of the run, only with what the folder holds."""
    kinds = (sorted(answers.glob("damaged-*.png")), sorted(answers.glob("loop-*")),
             sorted((entry for entry in os.scandir(answers) if not entry.name.isascii()), key=lambda e: e.name))
    for found in kinds:
        for old in found[:-KEEP_HOSTILE]:
            os.unlink(old.path if isinstance(old, os.DirEntry) else old)


def hostile(answers: Path, stop: threading.Event, counts: dict[str, int], burst_after: float) -> None:
    """Every few seconds one kind of hostile content (the oldest of each kind cleared away); one burst of
    150 big photos."""
    rng = random.Random(11)
    serial = 0
    burst_at = time.monotonic() + burst_after
    big = photo(rng, (4000, 3000))
    while not stop.wait(3.0):
        serial += 1
        trim_hostile(answers)
        kind = rng.choice(["damaged-png", "inf-sidecar", "nested-sidecar", "cp949-name", "link-loop"])
        try:
            if kind == "damaged-png":
                (answers / f"damaged-{serial:05d}.png").write_bytes(damaged_png(rng))
            elif kind == "inf-sidecar":
                target = rng.choice(sorted(answers.glob("soak-*.jpg")) or [answers / "answer-001.jpg"])
                target.with_suffix(".yaml").write_text("seconds: .inf\n")
            elif kind == "nested-sidecar":
                target = rng.choice(sorted(answers.glob("soak-*.jpg")) or [answers / "answer-001.jpg"])
                target.with_suffix(".yaml").write_text("caption: " + "[" * 1500 + "]" * 1500 + "\n")
            elif kind == "cp949-name":
                name = f"사진-답변-{serial}.jpg".encode("cp949")
                with open(os.fsencode(answers) + b"/" + name, "wb") as handle:
                    handle.write(photo(rng, (800, 600)))
            elif kind == "link-loop":
                os.symlink(".", answers / f"loop-{serial:05d}")
            counts[kind] = counts.get(kind, 0) + 1
            if burst_at is not None and time.monotonic() >= burst_at:
                burst_at = None
                staging = answers.parent / ".burst"
                staging.mkdir(exist_ok=True)
                for index in range(150):
                    # A JPEG comment after the start marker makes each file its own.
                    comment = f"burst {index}".encode()
                    unique = big[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + big[2:]
                    (staging / f"burst-{index:03d}.jpg").write_bytes(unique)
                for index in range(150):
                    os.rename(staging / f"burst-{index:03d}.jpg", answers / f"burst-{index:03d}.jpg")
                counts["burst-photos"] = 150
        except OSError:
            counts["errors"] = counts.get("errors", 0) + 1


def slips_ms(plays: list[dict]) -> list[tuple[float, float]]:
    """(seconds into the run, how late the slide began in ms) from the play log: due = previous start + its seconds."""
    import datetime as dt

    out = []
    previous = None
    first = None
    for record in plays:
        try:
            start = dt.datetime.fromisoformat(record["time"])
        except (KeyError, ValueError):
            continue
        first = first or start
        if previous is not None:
            due = previous[0] + dt.timedelta(seconds=previous[1])
            out.append(((start - first).total_seconds(), max(0.0, (start - due).total_seconds() * 1000)))
        previous = (start, float(record.get("seconds", 0)))
    return out


def add_videos(contribute: Path, count: int, size_text: str) -> None:
    """`count` clips of 2 s at the panel's size, captioned; every other one plays twice, the last is trimmed."""
    from video import write_clip  # bench/video.py's moving, textured clip

    width, height = (int(part) for part in size_text.split("x"))
    for number in range(count):
        clip = write_clip(contribute / f"soak-video-{number}.mp4", (width, height), 2.0)
        extra = "loop: 2\n" if number % 2 else ""
        if number == count - 1:
            extra = "seconds: 1.5\n"
        clip.with_suffix(".yaml").write_text(f"caption: |\n  Soak video {number}\n  영상 {number}\n{extra}",
                                             encoding="utf-8")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1) if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--no-hostile", action="store_true", help="only the ordinary churn")
    parser.add_argument("--videos", type=int, default=0, help="short video clips among the contribute slides")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    stop = threading.Event()
    counts: dict[str, int] = {}
    try:
        slides = work / "slides"
        shutil.copytree(ROOT / "slides", slides)
        text = (ROOT / "config.yaml").read_text(encoding="utf-8")
        text = text.replace("folder: slides", f"folder: {slides}").replace("dir: state", f"dir: {work / 'state'}")
        for old, new in FAST.items():
            text = text.replace(old, new)
        config = work / "config.yaml"
        config.write_text(text, encoding="utf-8")
        if not args.no_hostile:
            plant_broken(slides / "answers")
        if args.videos:
            add_videos(slides / "contribute", args.videos, args.size)
        log_path = work / "kiosk.log"
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        with open(log_path, "w") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", args.size],
                env=env, stdout=subprocess.DEVNULL, stderr=log_file, cwd=ROOT,
            )
            time.sleep(60)  # warm-up: the frame cache fills, every thread has started
            start_rss, start_fds = process_figures(process.pid)
            start_plays = len(read_play_log(work / "state"))
            writer = threading.Thread(target=churn, args=(slides / "answers", stop, counts), daemon=True)
            writer.start()
            attacker = None
            if not args.no_hostile:
                attacker = threading.Thread(
                    target=hostile, args=(slides / "answers", stop, counts, args.minutes * 20), daemon=True,
                )
                attacker.start()
            samples = []
            deadline = time.monotonic() + args.minutes * 60
            while time.monotonic() < deadline:
                time.sleep(10)
                if process.poll() is not None:
                    break
                samples.append(process_figures(process.pid))
            stop.set()
            writer.join(timeout=10)
            if attacker is not None:
                attacker.join(timeout=60)
            alive = process.poll() is None
            end_rss, end_fds = process_figures(process.pid) if alive else (0, 0)
            plays = read_play_log(work / "state")
            status = json.loads((work / "state" / "status.json").read_text())
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(timeout=10)
        log_text = log_path.read_text()
    finally:
        stop.set()
        shutil.rmtree(work, ignore_errors=True)

    errors = [line for line in log_text.splitlines() if line.startswith("ERROR") or "Traceback" in line]
    # One log line per bad file: count the skip lines per file; a file changed by the churn may be logged again.
    skips: dict[str, int] = {}
    for line in log_text.splitlines():
        if "skipping " in line:
            name = line.split("skipping ", 1)[1].split(":", 1)[0]
            skips[name] = skips.get(name, 0) + 1
    repeated = {name: n for name, n in skips.items() if n > 1 and "/soak-" not in name and "/broken-" not in name}
    slip = status.get("frames", {}).get("slide_slip_seconds", {})
    slip_log = slips_ms(plays)
    peak_rss = max([start_rss, end_rss] + [s[0] for s in samples])
    result = {
        "minutes": args.minutes,
        "screen": args.size,
        "alive_at_end": alive,
        "exit_code": exit_code,
        "rss_mb_start": round(start_rss / 1024, 1),
        "rss_mb_end": round(end_rss / 1024, 1),
        "rss_mb_peak": round(peak_rss / 1024, 1),
        "fds_start": start_fds,
        "fds_end": end_fds,
        "fds_max": max([start_fds, end_fds] + [s[1] for s in samples]),
        "rss_mb_each_minute": [round(s[0] / 1024, 1) for s in samples[5::6]],
        "slides_shown": len(plays) - start_plays,
        "files_changed": counts,
        "error_lines": len(errors),
        "skipped_warnings": log_text.count("skipping "),
        "files_skipped": len(skips),
        "skipped_more_than_once": repeated,
        "problem_lines": log_text.count("WARNING kiosk.core.admission: answers/"),
        "slide_slip_ms": {q: round(v * 1000, 1) for q, v in slip.items()},
        # From the play log, by phase: the first minutes find the 5,000 broken files one pick at a time.
        "slip_p99_ms_by_phase": {
            "first 5 minutes": p99([ms for at, ms in slip_log if at < 300]),
            "after 5 minutes": p99([ms for at, ms in slip_log if at >= 300]),
            "whole run": p99([ms for _at, ms in slip_log]),
        },
        "video_frames": status.get("video_frames"),
        "videos": args.videos,
        "plays_of_videos": sum(1 for play in plays[start_plays:] if str(play.get("path", "")).endswith(".mp4")),
        "threads": {name: health.get("failing") for name, health in status.get("threads", {}).items()},
        # Skips of anything but the deliberately broken files, whole, so each can be explained.
        "skipped_other": [line for line in log_text.splitlines()
                          if "skipping " in line and "/broken-" not in line and "/damaged-" not in line][:20],
    }
    print(json.dumps(result, indent=2))
    for line in errors[:10]:
        print("error:", line)
    # Memory saws up and down as frames come and go: compare the halves of the run, not two samples.
    rss = [sample[0] for sample in samples]
    half = len(rss) // 2
    rss_flat = not rss or max(rss[half:]) <= max(rss[:half] or rss) * 1.10
    result["memory_flat"] = rss_flat
    write_result(__file__, result, command="videos" if args.videos else None)
    flat = alive and exit_code == 0 and end_fds <= start_fds + 2 and rss_flat and not errors and not repeated
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
