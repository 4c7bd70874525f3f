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
* each **play-log line** carries the rotation's position after its slide
  (`Rotation.position()`, a few hundred bytes), the answers that arrived since
  the checkpoint, and the checkpoint's id. The line is written anyway, so the
  position costs no extra write.

Resuming takes the checkpoint and the newest play-log line that names it.
After SIGKILL that is the last line written: the page cache outlives the
process, so the show goes on with the next planned slide, exactly as before.
After a power cut, the lines the kernel had not yet written (its writeback
runs every 30 s) are lost, so up to that much of the show is shown again; no
answer is skipped. Pure: the boundary (kiosk.boundary.state) reads and writes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from kiosk.core.playlist import Rotation, SavedState

FORMAT = 2
FRESH_IN_LINE = 64  # answers that arrived since the checkpoint, carried by each line; more: a new checkpoint
UNUSABLE_SECONDS = 60.0  # a change to the unusable files waits this long for a checkpoint
LINE_KEY = "rotation"


@dataclass(frozen=True)
class Checkpoint:
    """The last checkpoint written (or read): its id, what it holds, and when (monotonic; not saved)."""

    ident: str
    state: SavedState
    written_at: float = field(default=0.0, compare=False)

    def to_json(self) -> dict:
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
    if len(rotation.fresh) - len(before.fresh) > FRESH_IN_LINE:
        return True
    return state.unusable != last.state.unusable and now - last.written_at >= UNUSABLE_SECONDS


def line_state(checkpoint: Checkpoint, rotation: Rotation) -> dict:
    """What a play-log line carries: the checkpoint it continues, the position, the answers since."""
    return {
        "checkpoint": checkpoint.ident,
        **rotation.position(),
        "fresh": list(rotation.fresh[len(checkpoint.state.rotation.fresh):]),
    }


def read_checkpoint(data: object) -> Checkpoint:
    """A checkpoint from `rotation.json` in this format or an earlier kiosk's; ValueError if malformed."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    try:
        rotation = Rotation.from_json(data["rotation"])
        # "bad" is what earlier kiosks called the unusable files: their rotation files still resume.
        known = data.get("unusable", data.get("bad", {}))
        unusable = {str(path): (int(version[0]), int(version[1])) for path, version in known.items()}
        ident = str(data["checkpoint"]) if data.get("format") == FORMAT else ""
    except (KeyError, TypeError, IndexError, AttributeError, OverflowError) as exc:
        raise ValueError(f"malformed rotation state: {str(exc)[:200]}") from None
    return Checkpoint(ident, SavedState(rotation, unusable))


def resume(checkpoint: Checkpoint, lines_newest_first: list[object]) -> SavedState:
    """The checkpoint moved on to the newest play-log line that continues it (if any)."""
    if not checkpoint.ident:
        return checkpoint.state  # an earlier kiosk's file: its lines carry no position
    for line in lines_newest_first:
        if not isinstance(line, dict):
            continue
        position = line.get(LINE_KEY)
        if not isinstance(position, dict) or position.get("checkpoint") != checkpoint.ident:
            continue
        try:
            fresh = position.get("fresh", [])
            if not isinstance(fresh, list) or len(fresh) > 100 * FRESH_IN_LINE:
                raise ValueError("malformed answers since the checkpoint")
            base = checkpoint.state.rotation
            grown = dataclasses.replace(base, fresh=base.fresh + tuple(str(p) for p in fresh))
            return SavedState(grown.with_position(position), checkpoint.state.unusable)
        except (ValueError, TypeError):
            continue  # a torn or altered line: an older one may still continue the checkpoint
    return checkpoint.state
