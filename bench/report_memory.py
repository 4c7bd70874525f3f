"""Peak memory of `kiosk report` over the plaza's campaign week: 100 boxes, 7 days, a slide every 8 s.

Writes each box's rotated play logs as a box uploads them (one file a day,
lines with `left`, about 2,000 distinct slides), then runs `kiosk report` in
a child process over them, read from the folder and (with nginx installed)
over HTTP from real nginx on loopback serving the documented fleet
configuration, and takes the child's peak resident memory (ru_maxrss from
wait4). The target is 200 MB. Writes bench/results/report_memory.json. It
measures memory, not speed.

    .venv/bin/python bench/report_memory.py
    .venv/bin/python bench/report_memory.py --boxes 10 --days 2   # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KST = dt.timezone(dt.timedelta(hours=9))
TARGET_MB = 200


def write_logs(fleet: Path, boxes: int, days: int, seconds: float, slides: int, seed: int = 23) -> int:
    """Each box's play-YYYY-MM-DD.jsonl for `days` days from 18 Dec 2026, a line every `seconds`; the line count."""
    names = ([f"contribute/{n:02d}.png" for n in range(1, 21)]
             + [f"answers/answer-{n:04d}.jpg" for n in range(1, slides - 19)])
    kinds = ["contribute" if name.startswith("contribute/") else "answer" for name in names]
    per_day = int(86_400 // seconds)
    rng = random.Random(seed)
    total = 0
    for box in range(1, boxes + 1):
        folder = fleet / f"box-{box:03d}"
        folder.mkdir(parents=True)
        for day in range(days):
            start = dt.datetime(2026, 12, 18, tzinfo=KST) + dt.timedelta(days=day)
            base = start.isoformat(timespec="milliseconds")[:11]  # '2026-12-18T'
            lines = []
            for index in range(per_day):
                pick = rng.randrange(len(names))
                at = index * seconds
                shown = seconds if rng.random() > 0.01 else rng.uniform(0.5, seconds)  # now and then taken down
                lines.append(
                    f'{{"time": "{base}{_clock(at)}+09:00", "path": "{names[pick]}", "kind": "{kinds[pick]}", '
                    f'"seconds": {seconds:g}, "left": "{base}{_clock(at + shown)}+09:00"}}\n')
            (folder / f"play-{start.date().isoformat()}.jsonl").write_text("".join(lines))
            total += per_day
    return total


def _clock(seconds: float) -> str:
    seconds = min(seconds, 86_399.999)
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int((seconds - whole) * 1000):03d}"


def peak_rss_mb(argv: list[str], out: Path) -> tuple[float, int]:
    """The child's peak resident memory in MB, and its exit code."""
    with out.open("wb") as handle:
        child = subprocess.Popen(argv, stdout=handle, stderr=subprocess.DEVNULL, cwd=ROOT)
        _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, child.returncode  # Linux gives KB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=100)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each slide shows")
    parser.add_argument("--slides", type=int, default=2000, help="distinct slides")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-report-bench-"))
    work.chmod(0o755)
    try:
        fleet = work / "fleet"
        lines = write_logs(fleet, args.boxes, args.days, args.seconds, args.slides)
        size = sum(p.stat().st_size for p in fleet.rglob("*.jsonl"))
        print(f"{lines:,} play-log lines, {size / 1e6:,.0f} MB, in {args.boxes} boxes' folders")
        kiosk = [sys.executable, "-m", "kiosk", "report"]
        runs = {
            "folder, text and CSV": [*kiosk, str(fleet), "--csv", str(work / "plays.csv")],
            "folder, JSON": [*kiosk, str(fleet), "--json"],
        }
        nginx = None
        if shutil.which("nginx"):
            from tests.servers import FleetNginx

            nginx = FleetNginx(work, {})
            runs["nginx over HTTP, text and CSV"] = [*kiosk, f"http://127.0.0.1:{nginx.port}/fleet/",
                                                     "--csv", str(work / "plays-http.csv")]
        rows = []
        try:
            for name, argv in runs.items():
                peak, code = peak_rss_mb(argv, work / "out.txt")
                plays = _plays_counted(work / "out.txt")
                rows.append({"run": name, "command": " ".join(["kiosk report", *argv[4:]]).replace(str(work), "WORK"),
                             "peak_rss_mb": round(peak, 1), "exit": code, "plays_counted": plays})
                print(f"{name:<32} peak {peak:7.1f} MB  exit {code}  plays counted {plays}")
        finally:
            if nginx is not None:
                nginx.stop()
        result = {
            "benchmark": "peak resident memory of kiosk report (child's ru_maxrss) over a campaign week of play logs",
            "boxes": args.boxes, "days": args.days, "slide_seconds": args.seconds, "distinct_slides": args.slides,
            "lines": lines, "bytes": size, "target_mb": TARGET_MB, "rows": rows,
        }
        print(f"written to {write_result(__file__, result)}")
        return 0 if all(row["exit"] == 0 and row["peak_rss_mb"] <= TARGET_MB for row in rows) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _plays_counted(out: Path) -> int | None:
    """The plaza's plays, from a text or JSON report."""
    with out.open("rb") as handle:
        head = handle.read(4096).decode("utf-8", "replace")
    if head.lstrip().startswith("{"):
        with out.open(encoding="utf-8") as handle:
            return json.load(handle)["plaza"]["plays"]
    for line in head.splitlines():
        if line.startswith("proof of play") and line.endswith(" plays"):
            return int(line.rsplit(":", 1)[1].split()[0])
    return None


if __name__ == "__main__":
    sys.exit(main())
