"""The saved rotation in `state.dir`: written atomically, read forgivingly, off the render loop.

A power cut in the middle of a write leaves the previous file intact
(temporary file, fsync, rename, fsync of the folder). A file that cannot be
read gives a warning and a fresh rotation, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
from pathlib import Path

from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.files import WriteTrouble, write_atomically
from kiosk.core.playlist import Rotation, SavedState
from kiosk.boundary.playlog import PlayLog
from kiosk.core.values import loads_json

log = logging.getLogger(__name__)

ROTATION_FILE = "rotation.json"
# A rotation of 100,000 answers is about 4 MB; anything far larger is not ours.
MAX_STATE_BYTES = 64 * 1024 * 1024


def default_seed(box_name: str) -> int:
    """A seed that differs between boxes but stays the same for one box."""
    return int.from_bytes(hashlib.sha256(box_name.encode("utf-8")).digest()[:4], "big")


class RotationStore:
    """Loads and saves the rotation in one folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ROTATION_FILE
        self.trouble = WriteTrouble(log)

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
            data = loads_json(text)
            rotation = Rotation.from_json(data["rotation"])
            # "bad" is what earlier kiosks called it: their rotation files still resume.
            known = data.get("unusable", data.get("bad", {}))
            unusable = {str(p): (int(v[0]), int(v[1])) for p, v in known.items()}
        except FileNotFoundError:
            return SavedState(Rotation(seed=seed))
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError) as exc:
            log.warning("saved rotation %s is unreadable (%s); starting a fresh rotation", self.path, str(exc)[:200])
            return SavedState(Rotation(seed=seed))
        return SavedState(rotation, unusable)

    def save(self, state: SavedState) -> None:
        data = {
            "rotation": state.rotation.to_json(),
            "unusable": {path: list(version) for path, version in sorted(state.unusable.items())},
        }
        try:
            write_atomically(self.path, json.dumps(data, ensure_ascii=False))
        except OSError as exc:
            # A full or read-only disk: said once (and in status.json), not at every slide.
            self.trouble.failed(f"cannot save the rotation to {self.path}: {exc.strerror or exc}")
            return
        self.trouble.worked(f"the rotation is saved again in {self.path}")


class SlideRecorder:
    """Records each slide start: the rotation first (atomic, fsynced), then its play-log line.

    In that order, a line in the play log means the rotation after that
    slide is on disk, so a kiosk killed at any moment resumes without
    repeating a logged slide.
    """

    def __init__(self, store: RotationStore, play_log: PlayLog) -> None:
        self.store = store
        self.play_log = play_log

    def slide_started(self, state: SavedState, record: dict) -> None:
        self.record([(state, record)])

    def record(self, starts: list[tuple[SavedState, dict]]) -> None:
        """Several slide starts at once: only the newest rotation needs saving."""
        if not starts:
            return
        self.store.save(starts[-1][0])
        for _state, record in starts:
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
