"""The saved rotation in `state.dir`: a checkpoint and the play log, written off the render loop.

How little is written, and what a kill or a power cut costs, is in
kiosk.core.journal. The checkpoint `rotation.json` is replaced atomically
(temporary file, fsync, rename, fsync of the folder), so a power cut in the
middle of a write leaves the previous one; the play log gets one line per
slide. A file that cannot be read gives a warning and a fresh rotation,
never a crash.
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
from kiosk.boundary.files import WriteTrouble, write_atomically
from kiosk.boundary.playlog import PlayLog, last_records
from kiosk.core.journal import LINE_KEY, Checkpoint, checkpoint_due, line_state, read_checkpoint, resume
from kiosk.core.playlist import Rotation, SavedState
from kiosk.core.values import loads_json

log = logging.getLogger(__name__)

ROTATION_FILE = "rotation.json"
# A rotation of 100,000 answers is about 4 MB; anything far larger is not ours.
MAX_STATE_BYTES = 64 * 1024 * 1024
RESUME_LINES = 64  # play-log lines read back at a start, newest first


def default_seed(box_name: str) -> int:
    """A seed that differs between boxes but stays the same for one box."""
    return int.from_bytes(hashlib.sha256(box_name.encode("utf-8")).digest()[:4], "big")


class RotationStore:
    """Loads the rotation from one folder, and writes its checkpoints there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / ROTATION_FILE
        self.trouble = WriteTrouble(log)
        self.checkpoint: Checkpoint | None = None  # the one on disk, once loaded or written

    @property
    def problem(self) -> str | None:
        """Why the last save failed, until one works."""
        return self.trouble.problem

    def load(self, seed: int) -> SavedState:
        """The saved state, or a fresh one (with a warning if the file was bad)."""
        try:
            with self.path.open("rb") as handle:
                text = handle.read(MAX_STATE_BYTES + 1)
            if len(text) > MAX_STATE_BYTES:
                raise ValueError(f"larger than {MAX_STATE_BYTES:,} bytes")
            checkpoint = read_checkpoint(loads_json(text))
        except FileNotFoundError:
            return SavedState(Rotation(seed=seed))
        except (OSError, ValueError) as exc:
            log.warning("saved rotation %s is unreadable (%s); starting a fresh rotation", self.path, str(exc)[:200])
            return SavedState(Rotation(seed=seed))
        self.checkpoint = checkpoint if checkpoint.ident else None  # an older format is written anew
        return resume(checkpoint, last_records(self.folder, RESUME_LINES))

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
        return checkpoint


class SlideRecorder:
    """Records each slide start: a checkpoint when one is due (atomic, fsynced), then its play-log line.

    The line carries the rotation's position after its slide, so a line in
    the play log means the rotation after that slide is recorded, and a
    kiosk killed at any moment resumes without repeating a logged slide.
    """

    def __init__(self, store: RotationStore, play_log: PlayLog, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.play_log = play_log
        self.clock = clock

    def slide_started(self, state: SavedState, record: dict) -> None:
        self.record([(state, record)])

    def record(self, starts: list[tuple[SavedState, dict]]) -> None:
        """Slide starts, in order: each line after the checkpoint it continues."""
        for state, record in starts:
            checkpoint = self.store.checkpoint
            if checkpoint_due(checkpoint, state, self.clock()):
                checkpoint = self.store.save(state, self.clock())
            if checkpoint is not None:
                record = {**record, LINE_KEY: line_state(checkpoint, state.rotation)}
            self.play_log.append(record)


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
        self._queue: "queue.SimpleQueue[tuple[SavedState, dict]]" = queue.SimpleQueue()

    def slide_started(self, state: SavedState, record: dict) -> None:
        self._queue.put((state, record))
        self.wake()

    def poll_once(self) -> bool:
        """Writes every slide start queued so far, together; True if there were any."""
        starts = []
        while True:
            try:
                starts.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if starts:
            self.recorder.record(starts)
        return bool(starts)

    def _after_stop(self) -> None:
        if not self.running:  # never started, or ended: nothing writes concurrently
            self._survive(self.poll_once)
