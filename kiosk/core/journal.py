"""How the rotation is saved: a checkpoint now and then, and its position in each play-log line.

A box runs from an SD card, and at 8 s slides the old way (the whole
rotation, 69 KB at 2,000 answers, rewritten and fsynced at every slide)
wrote 0.75 GB a day. Now:

* the **checkpoint** (`rotation.json`) holds the whole rotation: the round's
  answers, those that arrived during it, and the files known not to decode.
  It is written (atomically, fsynced) when a round begins, when more than
  `FRESH_IN_LINE` answers arrived since the last one, when the unusable files
  changed (at most every `UNUSABLE_SECONDS`), and at the first slide after a
  start from an older format;
* each slide's **position** is what changes: the rotation's place after it
  (`Rotation.position()`, a few hundred bytes), the answers that arrived since
  the checkpoint, the checkpoint's id and the step (slides since the
  checkpoint). It rides in the slide's **play-log line**, and the line is
  written twice: through to the disk at once as a **mark** in a small ring
  (kiosk.boundary.marks, one 512-byte sector), and into the play log
  `state.play_log_lines_per_write` lines at a time (`lines_due`), which costs the SD card a
  page per batch rather than a page per slide. A start writes back the lines
  that only the ring holds (`unlogged`).

A line is written once its slide has **left the screen**, with the moment
in `left` (kiosk.core.effects.SlideLeft); its mark is written when the slide
begins. A line the ring alone holds at a start (the box died while the slide
showed, or while the line was held) is written back without `left`. While
marks cannot be written, each line is written when its slide begins, without
`left`: it is then the only record of the place.

Resuming takes the checkpoint and the furthest place that names it: the
newest whole mark or play-log line, whichever has the larger step. After
SIGKILL and after a power cut that is the slide before the kill, so the show
goes on with the next planned slide and every answer keeps its turn, exactly
as when the whole rotation was fsynced at every slide. A power cut in the
middle of a mark leaves it torn; the mark before it is used, and that one
slide is shown again. Where the ring cannot be written, each line is
written to the play log at once and it alone keeps the place: after SIGKILL
exactly (the page cache outlives the process), after a power cut up to the
kernel's writeback interval (30 s) behind. Pure: the boundary (kiosk.boundary.state) reads and writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.rotation import Rotation, SavedState

FORMAT = 2
FRESH_IN_LINE = 64  # answers that arrived since the checkpoint, carried by each line; more: a new checkpoint
FRESH_BYTES = 4096  # ... or more than this many bytes of their names: a line and its mark stay small
UNUSABLE_SECONDS = 60.0  # a change to the unusable files waits this long for a checkpoint
LINE_HOLD_SECONDS = 300.0  # ...or once the oldest has waited this long (a show paused for the night)
LINE_KEY = "rotation"
LEFT_KEY = "left"  # when the slide left the screen; a line without it: not known (kiosk.core.effects.SlideLeft)


@dataclass(frozen=True)
class Checkpoint:
    """The last checkpoint written (or read): its id, what it holds, and when (monotonic; not saved)."""

    ident: str
    state: SavedState
    written_at: float = field(default=0.0, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "checkpoint": self.ident,
            "rotation": self.state.rotation.to_json(),
            "unusable": {path: list(version) for path, version in sorted(self.state.unusable.items())},
        }


def checkpoint_due(last: Checkpoint | None, state: SavedState, now: float) -> bool:
    """Whether this slide start needs a new checkpoint before its play-log line."""
    if last is None:
        return True
    before, rotation = last.state.rotation, state.rotation
    if (rotation.seed, rotation.round, rotation.shuffled, rotation.first_swapped) != \
            (before.seed, before.round, before.shuffled, before.first_swapped):
        return True
    if rotation.members is not before.members and rotation.members != before.members:
        return True
    if len(rotation.fresh) < len(before.fresh) or rotation.fresh[:len(before.fresh)] != before.fresh:
        return True
    since = rotation.fresh[len(before.fresh):]
    if len(since) > FRESH_IN_LINE or sum(len(path) for path in since) > FRESH_BYTES:
        return True
    return state.unusable != last.state.unusable and now - last.written_at >= UNUSABLE_SECONDS


def line_state(checkpoint: Checkpoint, rotation: Rotation, step: int = 0) -> dict[str, Any]:
    """What a play-log line (and its mark) carries: the checkpoint it continues, how many slides
    after it (`step`, so the newer of a mark and a line is known), the position, the answers since."""
    return {
        "checkpoint": checkpoint.ident,
        "step": step,
        **rotation.position(),
        "fresh": list(rotation.fresh[len(checkpoint.state.rotation.fresh):]),
    }


def lines_due(held: int, oldest_held_for: float, marked: bool, per_write: int) -> bool:
    """Whether the play-log lines held so far are written now: when there are `per_write` of them,
    when the oldest has waited long enough, or at once while marks are failing (nothing else keeps them)."""
    return held > 0 and (not marked or held >= per_write or oldest_held_for >= LINE_HOLD_SECONDS)


def left_time(started_wall: dt.datetime, started: float, now: float) -> str:
    """When a slide that began at `started_wall` (monotonic `started`) left the screen at monotonic `now`:
    its start plus the seconds it showed, in the format of the line's `time`."""
    return (started_wall + dt.timedelta(seconds=max(0.0, now - started))).isoformat(timespec="milliseconds")


def with_left(record: dict[str, Any], left: str) -> dict[str, Any]:
    """The play-log line of a slide that has left the screen."""
    return {**record, LEFT_KEY: left}


def unlogged(lines_newest_first: list[object], marks_newest_first: list[object]) -> list[dict[str, Any]]:
    """The marks whose play-log lines were never written (a kill or a power cut took them while they
    were held), oldest first: those after the mark of the newest line, or, if the ring no longer holds
    that one, those later than it."""
    marks = [mark for mark in marks_newest_first
             if isinstance(mark, dict) and isinstance(mark.get("time"), str) and isinstance(mark.get("path"), str)]
    newest = next((line for line in lines_newest_first if isinstance(line, dict) and "time" in line), None)
    if newest is None:
        return list(reversed(marks))
    newest = {key: value for key, value in newest.items() if key != LEFT_KEY}  # a mark is written before its slide left
    for at, mark in enumerate(marks):
        if mark == newest:
            return list(reversed(marks[:at]))
    newest_time = _moment(newest.get("time"))
    if newest_time is None:
        return []
    later = []
    for mark in marks:
        moment = _moment(mark["time"])
        if moment is not None and moment > newest_time:
            later.append(mark)
    return list(reversed(later))


def _moment(text: object) -> "dt.datetime | None":
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def read_checkpoint(data: object) -> Checkpoint:
    """A checkpoint from `rotation.json` in this format or an earlier kiosk's; ValueError if malformed."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    try:
        rotation = Rotation.from_json(data["rotation"])
        # "bad" is what earlier kiosks called the unusable files: their rotation files still resume.
        known = data["unusable"] if "unusable" in data else data.get("bad", {})
        unusable = {str(path): (int(version[0]), int(version[1])) for path, version in known.items()}
        ident = str(data["checkpoint"]) if data.get("format") == FORMAT else ""
    except (KeyError, TypeError, IndexError, AttributeError, OverflowError) as exc:
        raise ValueError(f"malformed rotation state: {str(exc)[:200]}") from None
    return Checkpoint(ident, SavedState(rotation, unusable))


def resume(checkpoint: Checkpoint, lines_newest_first: list[object], marks_newest_first: Sequence[object] = ()) \
        -> SavedState:
    """The checkpoint moved on to the furthest place that continues it: the newest mark
    (kiosk.boundary.marks) or play-log line naming it, whichever has the larger step."""
    return resume_step(checkpoint, lines_newest_first, marks_newest_first)[0]


def resume_step(checkpoint: Checkpoint, lines_newest_first: list[object], marks_newest_first: Sequence[object] = ()) \
        -> tuple[SavedState, int]:
    """`resume`, and the step it resumed at (-1 at the checkpoint itself)."""
    if not checkpoint.ident:
        return checkpoint.state, -1  # an earlier kiosk's file: its lines carry no position
    lines = (line.get(LINE_KEY) if isinstance(line, dict) else None for line in lines_newest_first)
    marks = (mark.get(LINE_KEY) if isinstance(mark, dict) else None for mark in marks_newest_first)
    best: tuple[SavedState, int] | None = None
    for source in (marks, lines):
        for position in source:
            found = _continued(checkpoint, position)
            if found is not None:
                if best is None or found[1] > best[1]:
                    best = found
                break  # older ones of the same source are behind it
    return best if best is not None else (checkpoint.state, -1)


def _continued(checkpoint: Checkpoint, position: object) -> tuple[SavedState, int] | None:
    """The checkpoint moved on to one recorded position, or None if it is torn, altered or another's."""
    if not isinstance(position, dict) or position.get("checkpoint") != checkpoint.ident:
        return None
    try:
        fresh = position.get("fresh", [])
        if not isinstance(fresh, list) or len(fresh) > 100 * FRESH_IN_LINE:
            raise ValueError("malformed answers since the checkpoint")
        step = position.get("step", 0)
        if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= 1 << 40:
            raise ValueError("malformed step")
        base = checkpoint.state.rotation
        grown = dataclasses.replace(base, fresh=base.fresh + tuple(str(p) for p in fresh))
        return SavedState(grown.with_position(position), checkpoint.state.unusable), step
    except (ValueError, TypeError):
        return None  # an older one may still continue the checkpoint
