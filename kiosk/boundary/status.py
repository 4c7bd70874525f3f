"""The status files and the heartbeat, written on their own thread.

The render loop hands a plain dict (kiosk.core.showstatus) to the
StatusWriter thread, which writes the files (the Prometheus text from
kiosk.core.prometheus) and sends the heartbeat (kiosk.boundary.heartbeat),
so no disk or network wait ever lands in the loop.

    <state.dir>/status.json   rewritten atomically
    <state.dir>/kiosk.prom    Prometheus text format, for node_exporter's textfile collector
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.files import replace_file
from kiosk.core.prometheus import prometheus_text
from kiosk.core.trouble import Trouble

if TYPE_CHECKING:
    from kiosk.boundary.heartbeat import Heartbeat  # requests, imported only by a box that sends one

log = logging.getLogger(__name__)

STATUS_FILE = "status.json"
PROMETHEUS_FILE = "kiosk.prom"
MIN_INTERVAL = 2.0  # seconds between two writes of the files, however often a status comes


def _free(folder: Path) -> int | None:
    try:
        usage = os.statvfs(folder)
    except OSError:
        return None
    return usage.f_bavail * usage.f_frsize


class StatusWriter(BackgroundThread):
    """Writes status.json and kiosk.prom, and POSTs the heartbeat, on its own thread.

    `update()` hands over the newest status (latest wins); `poll_once()` does
    one round of writing for tests without the thread.
    """

    thread_name = "status"

    def __init__(
        self,
        folder: Path,
        heartbeat: Heartbeat | None = None,
        clock: Callable[[], float] = time.monotonic,
        disk: Path | None = None,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        """`folder` takes the files (in RAM on a box: they change at every slide); `disk` is the
        state folder whose free space kiosk.prom reports (`folder` if not given); `heartbeat`, if
        any, is sent every `heartbeat.interval_seconds`."""
        super().__init__()
        self.folder = folder
        self.disk = disk or folder
        self.min_interval = min_interval
        self.heartbeat = heartbeat
        self.clock = clock
        self._latest: dict | None = None
        self._written: dict | None = None
        self._lock = threading.Lock()
        self._next_write_at = clock()
        self._next_heartbeat = clock()
        self.trouble = Trouble(log)

    @property
    def problem(self) -> str | None:
        """Why the status files cannot be written, until they can."""
        return self.trouble.problem

    def update(self, status: dict) -> None:
        with self._lock:
            self._latest = status
        self.wake()

    def poll_once(self, heartbeat: bool = True) -> None:
        with self._lock:
            status = self._latest
        if status is None:
            return
        if status is not self._written:
            self._write_files(status)
            self._written = status
        if heartbeat and self.heartbeat is not None and self.clock() >= self._next_heartbeat:
            self._next_heartbeat = self.clock() + self.heartbeat.interval_seconds
            self.heartbeat.send(status)

    def _write_files(self, status: dict) -> None:
        try:
            # Whole files by rename, without fsync: a power cut may leave the previous status, never half of one.
            replace_file(self.folder / STATUS_FILE, json.dumps(status, ensure_ascii=False, indent=1).encode(),
                         durable=False)
            replace_file(self.folder / PROMETHEUS_FILE,
                         prometheus_text(status, time.time(), _free(self.disk)).encode(), durable=False)
        except OSError as exc:
            # Every few seconds on a full disk: said once, and again only once it works.
            self.trouble.failed(f"cannot write status files in {self.folder}: {exc.strerror or exc}")
            return
        self.trouble.worked(f"status files are written again in {self.folder}")

    def _round(self, woken: bool) -> None:
        # Bursts are coalesced: one write per min_interval at most (a status comes at every slide start).
        if self.clock() >= self._next_write_at or self._latest is self._written:
            self.poll_once()
            self._next_write_at = self.clock() + self.min_interval

    def _seconds_to_next_round(self) -> float | None:
        moments = []
        if self._latest is not self._written:
            moments.append(self._next_write_at)
        if self.heartbeat is not None:
            moments.append(self._next_heartbeat)
        return None if not moments else max(0.0, min(moments) - self.clock())

    def _after_stop(self) -> None:
        # The last word: the final status on disk, never waiting for a heartbeat server.
        self._survive(lambda: self.poll_once(heartbeat=False))
