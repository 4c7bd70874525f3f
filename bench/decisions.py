"""How long the render loop's decisions take with N answers in the folder: the director itself, a fake clock.

    PYTHONPATH=<checkout> .venv/bin/python bench/decisions.py --answers 20000

Runs against whichever `kiosk` package PYTHONPATH names, so bench/scale.py
measures today's code and an earlier commit with the same script. The
director is driven as the loop drives it, with a worker that answers at
once: the next slide when it is due (with its prefetch plan), a new file
arriving (the watcher's message, its first decode, the settle), a file
removed, and a key press. Prints JSON: milliseconds, median and max of
each. It is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import time
from pathlib import Path

from record import write_result

from kiosk.core.catalogue import FileInfo, build_catalogue
from kiosk.core.config import parse_config
from kiosk.core.director import Director
from kiosk.core.effects import RequestFrame
from kiosk.core.frames import Frame
from kiosk.core.messages import ContentChanged, FrameReady
try:
    from kiosk.core.rotation import Rotation, SavedState
except ImportError:  # a kiosk from before the rotation had its own module (bench/scale.py runs earlier commits)
    from kiosk.core.playlist import Rotation, SavedState  # type: ignore[no-redef]  # the same classes, earlier home

SEOUL = dt.timezone(dt.timedelta(hours=9))
PANEL = (192, 108)  # frames are fake: the size only sets their byte count


def listing(count: int, extra: tuple[str, ...] = ()) -> list[FileInfo]:
    paths = [f"contribute/c{i}.jpg" for i in range(8)] + [f"answers/photo-{i:05d}.jpg" for i in range(count)]
    return [FileInfo(p, 1000, 1) for p in [*paths, *extra]]


class Loop:
    def __init__(self, answers: int) -> None:
        config = parse_config("timing:\n  answer_seconds: 8\n  contribute_seconds: 12\n", Path("/srv"))
        self.files = listing(answers)
        self.catalogue = build_catalogue(self.files, {})
        self.now = 1000.0
        self.wall0 = dt.datetime(2026, 12, 18, 12, 0, tzinfo=SEOUL)
        self.director = Director(config, self.catalogue, SavedState(Rotation(seed=11)), Path("/srv/slides"),
                                 lambda _name: SEOUL)
        self.pending: list = []
        self.take(self.director.open(PANEL, "BGRX", self.now, self.wall))

    @property
    def wall(self) -> dt.datetime:
        return self.wall0 + dt.timedelta(seconds=self.now - 1000.0)

    def take(self, effects: list) -> None:
        self.pending += [e.key for e in effects if isinstance(e, RequestFrame)]

    def answer(self) -> None:
        """The worker answers everything asked (outside the timed decisions)."""
        while self.pending:
            keys, self.pending = self.pending, []
            for key in keys:
                message = FrameReady(Frame(key, key.layout.panel_size, b""))
                self.take(self.director.receive(message, self.now, self.wall))
            self.take(self.director.settle(self.now, self.wall))

    def timed(self, action) -> float:
        started = time.perf_counter()
        action()
        return 1000 * (time.perf_counter() - started)

    def next_slide(self) -> float:
        """Moves the clock to the next slide's due moment; times the pass that starts it."""
        self.answer()
        upcoming = self.director.upcoming
        self.now = max(self.now, upcoming.due) if upcoming is not None else self.now + 8
        spent = self.timed(lambda: self.take(self.director.advance(self.now, self.wall)))
        for _ in range(80):  # the fade's frames, untimed
            self.now += 1 / 60
            self.take(self.director.advance(self.now, self.wall))
            self.answer()
        return spent

    def content(self, changed: list[FileInfo], removed: list[str]) -> float:
        """The watcher's message for these changes and the settle after it."""
        present = {info.path: info for info in self.files}
        for path in removed:
            present.pop(path, None)
        for info in changed:
            present[info.path] = info
        self.files = list(present.values())
        new = build_catalogue(self.files, {})
        slides = tuple(s for s in (new.get(i.path) for i in changed) if s is not None)
        try:
            # As the watcher sends it: the last catalogue changed, sharing its unchanged slides.
            message = ContentChanged(self.catalogue.with_changes(slides, removed, new.problems), slides, tuple(removed))
        except (TypeError, AttributeError):  # a kiosk from before the watcher said what changed
            message = ContentChanged(new)
        self.catalogue = message.catalogue

        def act() -> None:
            self.take(self.director.receive(message, self.now, self.wall))
            self.take(self.director.settle(self.now, self.wall))

        return self.timed(act)

    def admitted(self) -> float:
        """The new file's first decode arrives: it enters the rotation (the settle that admits it)."""
        keys, self.pending = self.pending, []

        def act() -> None:
            for key in keys:
                message = FrameReady(Frame(key, key.layout.panel_size, b""))
                self.take(self.director.receive(message, self.now, self.wall))
            self.take(self.director.settle(self.now, self.wall))

        return self.timed(act)

    def key(self) -> float:
        self.answer()
        return self.timed(lambda: self.take(self.director.key("next", self.now, self.wall)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    gc.freeze()
    loop = Loop(args.answers)
    times: dict[str, list[float]] = {"next slide": [], "new file": [], "file removed": [], "key press": []}
    for number in range(args.repeats):
        times["next slide"].append(loop.next_slide())
        arrived = FileInfo(f"answers/new-{number:04d}.jpg", 1000, 2)
        spent = loop.content([arrived], [])
        times["new file"].append(spent + loop.admitted())
        times["file removed"].append(loop.content([], [f"answers/photo-{number * 7:05d}.jpg"]))
        times["key press"].append(loop.key())
    result = {name: {"median_ms": round(statistics.median(values), 3), "max_ms": round(max(values), 3)}
              for name, values in times.items()}
    print(json.dumps({"answers": args.answers, **result}))
    write_result(__file__, {"answers": args.answers, "repeats": args.repeats, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
