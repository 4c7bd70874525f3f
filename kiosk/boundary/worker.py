"""The decode worker: a background thread that turns frame requests into frames.

It never touches pygame or the screen. Results go to the render loop's
inbox as `FrameReady` or `FrameFailed` messages; the loop decides what to
do with them.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kiosk.boundary.background import BackgroundThread
from kiosk.picture.fonts import FontBook
from kiosk.picture.decoder import reuse_freed_pixel_memory
from kiosk.core.errors import ContentError, PassingError
from kiosk.core.frames import FrameKey
from kiosk.picture.prepare import prepare_frame
from kiosk.core.messages import FrameFailed, FrameReady
from kiosk.core.priority import Priority
from kiosk.boundary.inflight import InFlightFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Configure:
    """New settings for the worker, applied from the next request."""

    slide_folder: Path
    font: Path
    max_pixels: int


WORKER_NICE = 10  # the decode thread's nice value, above the render loop's 0
HOLD_LIMIT_SECONDS = 5.0  # a loop that forgot to release must not stall decoding for good


class DecodeWorker(BackgroundThread):
    """Decodes and composes frames on its own thread, the most urgent request first."""

    thread_name = "decode-worker"

    def __init__(
        self,
        inbox: "queue.Queue[object]",
        slide_folder: Path,
        font: Path,
        max_pixels: int,
        in_flight: InFlightFile | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.inbox = inbox
        self.slide_folder = slide_folder
        self.max_pixels = max_pixels
        self.in_flight = in_flight
        self.clock = clock
        self._fonts = FontBook(font)
        self._heap: list[tuple[int, int, object]] = []
        self._pending: dict[FrameKey, int] = {}  # key -> the priority it waits with
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._held_since: float | None = None  # set while the screen fades
        self._busy: tuple[FrameKey, float] | None = None

    def configure(self, slide_folder: Path, font: Path, max_pixels: int) -> None:
        """Takes new settings; they apply from the next request (called by the loop)."""
        self._push(-1, Configure(slide_folder, font, max_pixels))

    def request(self, key: FrameKey, priority: Priority = Priority.NEXT) -> None:
        """Asks for a frame; a request already waiting is not queued twice, only moved up."""
        with self._lock:
            waiting = self._pending.get(key)
            if waiting is not None and waiting <= priority:
                return
            self._pending[key] = priority
        self._push(int(priority), key)

    def _push(self, priority: int, item: object) -> None:
        with self._lock:
            heapq.heappush(self._heap, (priority, next(self._sequence), item))
        self.wake()

    def hold(self) -> None:
        """No new job starts until release(): a crossfade gets the CPU to itself."""
        if self._held_since is None:
            self._held_since = self.clock()

    def release(self) -> None:
        self._held_since = None
        self.wake()

    def _held_for(self) -> float | None:
        """Seconds the hold has still to run, or None when not held."""
        since = self._held_since
        if since is None:
            return None
        left = since + HOLD_LIMIT_SECONDS - self.clock()
        return left if left > 0 else None

    def busy_for(self) -> tuple[str, float] | None:
        """The path being prepared and for how many seconds, or None when idle."""
        busy = self._busy
        return None if busy is None else (busy[0].path, self.clock() - busy[1])

    def _take(self) -> object:
        """The most urgent item still wanted, or None."""
        with self._lock:
            while self._heap:
                priority, _sequence, item = heapq.heappop(self._heap)
                if isinstance(item, FrameKey) and self._pending.get(item) != priority:
                    continue  # moved up since: its newer entry counts
                return item
            return None

    def _seconds_to_next_round(self) -> float | None:
        return self._held_for()  # None: until a request or the release wakes it

    def poll_once(self) -> bool:
        """Handles the most urgent request; True if it handled one (more may be waiting)."""
        if self._held_for() is not None:
            return False
        item = self._take()
        if item is None:
            return False
        if isinstance(item, Configure):
            self.slide_folder, self.max_pixels = item.slide_folder, item.max_pixels
            if item.font != self._fonts.path:
                self._fonts = FontBook(item.font)
            return True
        assert isinstance(item, FrameKey)
        self._busy = (item, self.clock())
        if self.in_flight is not None and item.kind != "fallback":
            self.in_flight.begin(item.path, item.version)
        try:
            result: object = FrameReady(prepare_frame(item, self.slide_folder, self._fonts, self.max_pixels))
        except ContentError as exc:
            result = FrameFailed(item, str(exc))
        except PassingError as exc:
            result = FrameFailed(item, str(exc), passing=True)
        except MemoryError:
            result = FrameFailed(item, "out of memory", passing=True)
        except Exception as exc:
            log.exception("unexpected error preparing %s", item.path)
            result = FrameFailed(item, f"unexpected error: {str(exc)[:200]}", passing=True)
        finally:
            self._busy = None
            if self.in_flight is not None:
                self.in_flight.end()
        with self._lock:
            if self._pending.get(item) is not None:
                del self._pending[item]
        self.inbox.put(result)
        return True

    def start(self) -> None:
        reuse_freed_pixel_memory()
        super().start()

    def run_here(self) -> None:
        # Below the render loop for the CPU: a decode may wait a moment, a slide's first frame
        # may not (Linux gives each thread its own nice value).
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
        super().run_here()

    def _after_stop(self) -> None:
        if self.in_flight is not None:
            self.in_flight.close()
