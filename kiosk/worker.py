"""The decode worker: a background thread that turns frame requests into frames.

It never touches pygame or the screen. Results go to the render loop's
inbox as `FrameReady` or `FrameFailed` messages; the loop decides what to
do with them.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from kiosk.background import BackgroundThread
from kiosk.compose import FontBook
from kiosk.decoder import reuse_freed_pixel_memory
from kiosk.errors import ContentError
from kiosk.frames import Frame, FrameKey, prepare_frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameReady:
    frame: Frame


@dataclass(frozen=True)
class FrameFailed:
    key: FrameKey
    reason: str


_STOP = object()


class DecodeWorker(BackgroundThread):
    """Decodes and composes frames on its own thread, one request at a time."""

    thread_name = "decode-worker"

    def __init__(self, inbox: "queue.Queue[object]", slide_folder: Path, font: Path, max_pixels: int) -> None:
        self.inbox = inbox
        self.slide_folder = slide_folder
        self.max_pixels = max_pixels
        self._fonts = FontBook(font)
        self._requests: "queue.Queue[object]" = queue.Queue()
        self._pending: set[FrameKey] = set()
        self._lock = threading.Lock()
        self._may_work = threading.Event()  # cleared while the screen fades
        self._may_work.set()

    def configure(self, slide_folder: Path, font: Path, max_pixels: int) -> None:
        """Takes new settings; they apply from the next request (called by the loop)."""
        self._requests.put(("configure", slide_folder, font, max_pixels))

    def request(self, key: FrameKey) -> None:
        """Asks for a frame; a request already waiting is not queued twice."""
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        self._requests.put(key)

    def hold(self) -> None:
        """No new job starts until release(): a crossfade gets the CPU to itself."""
        self._may_work.clear()

    def release(self) -> None:
        self._may_work.set()

    def is_pending(self, key: FrameKey) -> bool:
        with self._lock:
            return key in self._pending

    def poll_once(self, timeout: float | None = None) -> bool:
        """Handles one request; returns False when told to stop or when none came."""
        try:
            item = self._requests.get(timeout=timeout)
        except queue.Empty:
            return False
        if item is _STOP:
            return False
        # Bounded wait: a loop that forgot to release must not stall decoding for good.
        self._may_work.wait(timeout=5.0)
        if isinstance(item, tuple) and item and item[0] == "configure":
            _tag, self.slide_folder, font, self.max_pixels = item
            if font != self._fonts.path:
                self._fonts = FontBook(font)
            return True
        assert isinstance(item, FrameKey)
        try:
            result: object = FrameReady(prepare_frame(item, self.slide_folder, self._fonts, self.max_pixels))
        except ContentError as exc:
            result = FrameFailed(item, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug in one frame must not stop the worker
            log.exception("unexpected error preparing %s", item.path)
            result = FrameFailed(item, f"unexpected error: {exc!r}")
        with self._lock:
            self._pending.discard(item)
        self.inbox.put(result)
        return True

    def _run(self) -> None:
        while self.poll_once():
            pass

    def start(self) -> None:
        reuse_freed_pixel_memory()
        super().start()

    def _ask_to_stop(self) -> None:
        self._may_work.set()
        self._requests.put(_STOP)
