"""Runs `kiosk` as `python -m kiosk` does, noting each video frame the render loop presents.

    python tests/frametrace.py TRACE.json run --config ... --exit-after 30

For comparing boxes with each other (the live sync group test in
tests/test_plaza_live.py, and bench/video_sync.py): at the end the trace file holds one [wall-clock seconds,
slide path, frame position] for each frame, taken as the loop copies it to
the screen. It wraps kiosk.app.videos.Videos.due from outside: the kiosk
itself has no tracing and carries no cost for it.
"""

from __future__ import annotations

import atexit
import bisect
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.app.cli import main
from kiosk.app.videos import Videos

LIMIT = 200_000  # frames noted at most (an hour and a half at 30 fps)


def traced(trace_path: Path) -> None:
    trace: list[tuple[float, str, int]] = []
    due = Videos.due

    def noting(self: Videos, now: float) -> Any:
        playing = self._playing
        chosen = due(self, now)
        if chosen is not None and playing is not None and len(trace) < LIMIT:
            trace.append((time.time(), playing.key.path, chosen[0].position))
        return chosen

    Videos.due = noting  # type: ignore[method-assign]
    atexit.register(lambda: trace_path.write_text(json.dumps(trace), encoding="utf-8"))


def frame_spreads(traces: list[list[list[Any]]], step: float = 0.01, stale: float = 0.1
                  ) -> list[tuple[float, int]]:
    """At moments `step` seconds apart across the span the traces share, where every box presented a frame
    of the same slide within the last `stale` seconds (so not in a fade, nor between slides): the moment, and
    how many frames apart the boxes are (the highest position shown minus the lowest)."""
    if not traces or any(not trace for trace in traces):
        return []
    times = [[entry[0] for entry in trace] for trace in traces]
    moment, end = max(each[0] for each in times), min(each[-1] for each in times)
    spreads: list[tuple[float, int]] = []
    while moment <= end:
        shown = []
        for trace, at in zip(traces, times):
            index = bisect.bisect_right(at, moment) - 1
            if index < 0 or moment - at[index] > stale:
                break
            shown.append(trace[index])
        else:
            if len({entry[1] for entry in shown}) == 1:
                positions = [entry[2] for entry in shown]
                spreads.append((moment, max(positions) - min(positions)))
        moment += step
    return spreads


def run_group(work: Path, slides: Path, boxes: int, seconds: float, size: tuple[int, int],
              stagger: float = 1.0, timing: str = "contribute_seconds: 2\n  transition_seconds: 0.5"
              ) -> list[list[list[Any]]]:
    """Runs `boxes` kiosks of one sync group (`row-1`) on `slides`, started `stagger` seconds apart and each
    for `seconds`, through this tracer; their traces, in the order started. Each box's config, state,
    status.json, log (kiosk.log) and trace are in `work`/box-N."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for number in range(boxes):
            box = work / f"box-{number}"
            box.mkdir(parents=True)
            (box / "config.yaml").write_text(
                f"slides:\n  folder: {json.dumps(str(slides))}\nstate:\n  dir: {json.dumps(str(box / 'state'))}\n"
                f"display:\n  renderer: software\ntiming:\n  {timing}\nplaylist:\n  sync_group: row-1\n"
                f"box:\n  name: box-{number}\n", encoding="utf-8")
            with (box / "kiosk.log").open("wb") as log:
                processes.append(subprocess.Popen(
                    [sys.executable, __file__, str(box / "trace.json"), "run", "--config", str(box / "config.yaml"),
                     "--windowed", "--size", f"{size[0]}x{size[1]}", "--exit-after", str(seconds)],
                    env=dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy"), cwd=ROOT,
                    stdout=subprocess.DEVNULL, stderr=log))
            if number + 1 < boxes:
                time.sleep(stagger)
        for process in processes:
            process.wait(timeout=seconds + 120)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    return [json.loads((work / f"box-{number}" / "trace.json").read_text(encoding="utf-8"))
            for number in range(boxes)]


if __name__ == "__main__":
    traced(Path(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
