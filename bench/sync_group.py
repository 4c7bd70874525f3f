"""How closely the boxes of one sync group change slides: three real kiosks on one machine, one clock.

    .venv/bin/python bench/sync_group.py [--seconds 180] [--size 640x360] [--boxes 3]

Starts the kiosks a second apart on the demo slides (one state folder each,
`playlist.sync_group: row-1`, 2 s slides, 0.5 s fades, software rendering,
SDL's dummy driver) and reads their play logs: for every slot that all of
them showed, the spread of their start times (latest minus earliest), and
whether they showed the same slide. The machine's one clock stands for
clocks that NTP keeps together; what NTP adds between boxes is in
docs/plaza.md. Writes bench/results/sync_group.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.boundary.playlog import read_play_log
from kiosk.core.framestats import quantile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--boxes", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-sync-group-"))
    processes = []
    try:
        for number in range(args.boxes):
            box = work / f"box-{number}"
            box.mkdir()
            (box / "config.yaml").write_text(f"""\
slides:
  folder: {ROOT / 'slides'}
state:
  dir: {box / 'state'}
timing:
  contribute_seconds: 2
  answer_seconds: 2
  transition_seconds: 0.5
playlist:
  sync_group: row-1
box:
  name: box-{number}
""", encoding="utf-8")
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "kiosk", "run", "--config", str(box / "config.yaml"), "--windowed",
                 "--size", args.size, "--exit-after", str(args.seconds)],
                env=dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy"), cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
            time.sleep(1.0)
        for process in processes:
            process.wait(timeout=args.seconds + 60)
        starts: list[dict[str, tuple[float, str]]] = []
        for number in range(args.boxes):
            plays = read_play_log(work / f"box-{number}" / "state")[1:]  # the first is cut short at start
            starts.append({_slot(p["time"]): (dt.datetime.fromisoformat(p["time"]).timestamp(), p["path"])
                           for p in plays})
        shared = sorted(set.intersection(*(set(s) for s in starts)))
        spreads = [1000 * (max(s[slot][0] for s in starts) - min(s[slot][0] for s in starts)) for slot in shared]
        same = sum(1 for slot in shared if len({s[slot][1] for s in starts}) == 1)
        result = {
            "boxes": args.boxes, "size": args.size, "seconds": args.seconds, "slots": len(shared),
            "same_slide": same,
            "spread_ms": {"p50": round(quantile(spreads, 0.5), 1), "p99": round(quantile(spreads, 0.99), 1),
                          "max": round(max(spreads), 1) if spreads else None},
        }
        print(json.dumps(result, indent=2))
        write_result(__file__, result, variant=args.size)
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


def _slot(time_text: str) -> str:
    """The slot a start belongs to: its time to the half second (slots begin on whole seconds; starts are far
    closer)."""
    moment = dt.datetime.fromisoformat(time_text).timestamp()
    return f"{round(moment * 2) / 2:.1f}"


if __name__ == "__main__":
    sys.exit(main())
