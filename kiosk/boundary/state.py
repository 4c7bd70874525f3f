"""The saved rotation in `state.dir`: a checkpoint, marks and the play log, written off the render loop.

How little is written, and what a kill or a power cut costs, is in
kiosk.core.journal. The checkpoint `rotation.json` is replaced atomically
(temporary file, fsync, rename, fsync of the folder), so a power cut in the
middle of a write leaves the previous one; each slide gets a mark in
`position.ring` (kiosk.boundary.marks) and a line in the play log. A file
that cannot be read gives a warning and a fresh rotation, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import secrets
import time
from pathlib import Path
from typing import Callable

from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.files import read_state_file, write_atomically
from kiosk.core.trouble import Trouble
from kiosk.boundary.marks import MarkRing, last_marks
from kiosk.boundary.playlog import PlayLog, last_records
from kiosk.core.effects import SlideLeft
from kiosk.core.journal import (
    LINE_HOLD_SECONDS, LINE_KEY, Checkpoint, checkpoint_due, line_state, lines_due, read_checkpoint, resume_step,
    unlogged, with_left,
)
from kiosk.core.rotation import Rotation, SavedState
from kiosk.core.errors import UnsafeFile
from kiosk.core.values import loads_json

log = logging.getLogger(__name__)

ROTATION_FILE = "rotation.json"
# A rotation of 100,000 answers is about 4 MB; anything far larger is not ours.
MAX_STATE_BYTES = 64 * 1024 * 1024
RESUME_LINES = 64  # play-log lines read back at a start, newest first
OPEN_LINES = 4  # lines of slides still on screen (one fading out, one fading in); more: a bug, written without `left`


def default_seed(box_name: str) -> int:
    """A seed that differs between boxes but stays the same for one box."""
    return int.from_bytes(hashlib.sha256(box_name.encode("utf-8")).digest()[:4], "big")


class RotationStore:
    """Loads the rotation from one folder, and writes its checkpoints there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / ROTATION_FILE
        self.trouble = Trouble(log)
        self.checkpoint: Checkpoint | None = None  # the one on disk, once loaded or written
        self.step = -1  # slides recorded since that checkpoint, less one
        self.marks = MarkRing(folder)

    @property
    def problem(self) -> str | None:
        """Why the last save (of a checkpoint or a mark) failed, until one works."""
        return self.trouble.problem or self.marks.problem

    def load(self, seed: int) -> SavedState:
        """The saved state, or a fresh one (with a warning if the file was bad)."""
        try:
            checkpoint = read_checkpoint(loads_json(read_state_file(self.path, MAX_STATE_BYTES)))
        except FileNotFoundError:
            return SavedState(Rotation(seed=seed))
        except (OSError, ValueError, UnsafeFile) as exc:
            log.warning("saved rotation %s is unreadable (%s); starting a fresh rotation", self.path, str(exc)[:200])
            return SavedState(Rotation(seed=seed))
        self.checkpoint = checkpoint if checkpoint.ident else None  # an older format is written anew
        state, self.step = resume_step(checkpoint, last_records(self.folder, RESUME_LINES), last_marks(self.folder))
        return state

    def save(self, state: SavedState, now: float = 0.0) -> Checkpoint | None:
        """Writes a checkpoint of this state; the checkpoint, or None if the disk refused it."""
        checkpoint = Checkpoint(secrets.token_hex(8), state, now)
        try:
            write_atomically(self.path, json.dumps(checkpoint.to_json(), ensure_ascii=False))
        except OSError as exc:
            # A full or read-only disk: said once (and in status.json), not at every slide.
            self.trouble.failed(f"cannot save the rotation to {self.path}: {exc.strerror or exc}")
            return None
        self.trouble.worked(f"the rotation is saved again in {self.path}")
        self.checkpoint = checkpoint
        self.step = -1
        return checkpoint


class SlideRecorder:
    """Records each slide start: a checkpoint when one is due (atomic, fsynced) and its mark (through to
    the disk); then, once the slide has left the screen, its play-log line with the moment it left.

    The mark and the line carry the rotation's position after the slide, so
    a kiosk killed or cut off at any moment resumes without repeating a
    recorded slide (kiosk.core.journal). A line whose mark could not be
    written is written at its start, without `left`: nothing else keeps the place.
    """

    def __init__(self, store: RotationStore, play_log: PlayLog, clock: Callable[[], float] = time.monotonic,
                 lines_per_write: int = 1) -> None:
        """`lines_per_write` above 1 holds the play log's lines and writes them together (kiosk run:
        `state.play_log_lines_per_write`); 1 writes each at once (a kiosk in a test, a tool)."""
        self.store = store
        self.play_log = play_log
        self.clock = clock
        self.lines_per_write = lines_per_write
        self._held_since: float | None = None
        self._open: list[dict] = []  # lines of the slides on screen, their marks written, oldest first

    def recover(self) -> int:
        """Writes to the play log the lines a kill or a power cut took while they were held (their
        marks are in the ring); how many. Called once at start, before the first slide."""
        missing = unlogged(last_records(self.store.folder, 1), last_marks(self.store.folder))
        for record in missing:
            self.play_log.hold(record)
        self.play_log.flush()
        if missing:
            log.info("wrote %d play-log lines kept only in %s since the last stop", len(missing), self.store.marks.path)
        return len(missing)

    def flush_if_due(self) -> None:
        """Writes the held play-log lines if it is time (kiosk.core.journal.lines_due)."""
        held_for = 0.0 if self._held_since is None else self.clock() - self._held_since
        if lines_due(self.play_log.held, held_for, self.store.marks.problem is None, self.lines_per_write):
            self.flush()

    def flush(self) -> None:
        self.play_log.flush()
        self._held_since = None

    def seconds_to_flush(self) -> float | None:
        """How long the held lines may still wait; None if none are held."""
        if self._held_since is None:
            return None
        return max(0.0, self._held_since + LINE_HOLD_SECONDS - self.clock())

    def slide_started(self, state: SavedState, record: dict) -> None:
        self.record([(state, record)])

    def slide_left(self, time: str, path: str, left: str) -> None:
        self.record([SlideLeft(time, path, left)])

    def record(self, events: list[tuple[SavedState, dict] | SlideLeft]) -> None:
        """Slide starts and leaves, in order: each start's line after the checkpoint it continues."""
        for event in events:
            if isinstance(event, SlideLeft):
                self._left(event)
            else:
                self._started(*event)

    def _started(self, state: SavedState, record: dict) -> None:
        checkpoint = self.store.checkpoint
        if checkpoint_due(checkpoint, state, self.clock()):
            checkpoint = self.store.save(state, self.clock())
        if checkpoint is not None:
            self.store.step += 1
            record = {**record, LINE_KEY: line_state(checkpoint, state.rotation, self.store.step)}
        if self.store.marks.write(record):
            self._open.append(record)
            while len(self._open) > OPEN_LINES:
                self._hold(self._open.pop(0))
        else:
            self._hold(record)  # its line alone keeps the place: written now, without `left`

    def _left(self, left: SlideLeft) -> None:
        for at, record in enumerate(self._open):
            if record.get("time") == left.time and record.get("path") == left.path:
                del self._open[at]
                self._hold(with_left(record, left.left))
                return
        # Not open: its line was written at its start (the marks were failing then).

    def _hold(self, record: dict) -> None:
        self.play_log.hold(record)
        if self._held_since is None:
            self._held_since = self.clock()
        self.flush_if_due()

    def close(self) -> None:
        """Writes every line now, those of slides not known to have left included (without `left`)."""
        open_lines, self._open = self._open, []
        for record in open_lines:
            self.play_log.hold(record)
        self.flush()


class BackgroundRecorder(BackgroundThread):
    """A SlideRecorder on its own thread, so the render loop never waits for the disk.

    The save fsyncs a file and its folder at every slide start, just as the
    fade begins; on an SD card that can take longer than a frame. Starts
    that queue up while the disk is slow are written together; `stop()`
    writes whatever is still queued.
    """

    thread_name = "state-recorder"

    def __init__(self, recorder: SlideRecorder) -> None:
        super().__init__()
        self.recorder = recorder
        self._queue: "queue.SimpleQueue[tuple[SavedState, dict] | SlideLeft]" = queue.SimpleQueue()

    def slide_started(self, state: SavedState, record: dict) -> None:
        self._queue.put((state, record))
        self.wake()

    def slide_left(self, time: str, path: str, left: str) -> None:
        self._queue.put(SlideLeft(time, path, left))
        self.wake()

    def poll_once(self) -> bool:
        """Records every slide start and leave queued so far, together; True if there were any."""
        starts = []
        while True:
            try:
                starts.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if starts:
            self.recorder.record(starts)
        else:
            self.recorder.flush_if_due()
        return bool(starts)

    def _seconds_to_next_round(self) -> float | None:
        return self.recorder.seconds_to_flush()  # held lines are written within their time, slide or not

    def _after_stop(self) -> None:
        if not self.running:  # never started, or ended: nothing writes concurrently
            self._survive(self.poll_once)
            self._survive(self.recorder.close)
