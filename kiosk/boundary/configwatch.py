"""Watching config.yaml and the central fleet.yaml: a new valid config goes on the render loop's inbox.

The watcher only reports: it posts `ConfigChanged`, and the loop alone
decides what changes on screen.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable

from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.fleetfile import BoxSources, box_config_from, read_box_sources
from kiosk.boundary.observer import DEBOUNCE_SECONDS, ObservedFolder
from kiosk.core.errors import ConfigError
from kiosk.core.folderdiff import FolderEvent
from kiosk.core.messages import ConfigChanged

log = logging.getLogger(__name__)


class ConfigWatcher(BackgroundThread):
    """Reports a new config when config.yaml, or the central fleet.yaml in the slide folder, changes.

    An invalid config.yaml is logged (each problem with its key and line,
    once per distinct content) and the last good config stays in force; an
    invalid fleet file is refused whole, said once, and the last good one
    stays in force (kiosk.boundary.fleetfile). A file is read only once its
    size, time and inode have stayed the same for `settle_seconds`, so an
    editor's truncate-and-write or write-and-rename is never read half-way.
    """

    thread_name = "config-watcher"
    burst_seconds = DEBOUNCE_SECONDS

    def __init__(
        self,
        path: Path,
        inbox: "queue.Queue[object]",
        settle_seconds: float = 0.3,
        poll_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        fleet_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.path = path
        self.fleet_path = fleet_path
        self.inbox = inbox
        self.settle_seconds = settle_seconds
        self.poll_seconds = poll_seconds
        self._stamp_seen = self._stamps()
        self._stamp_since = clock() - settle_seconds
        self._stamp_read = self._stamp_seen
        self._recheck_at: float | None = None
        self._last_texts = self._texts()
        self._last_bad: str | None = None
        self._last_refused: tuple[str, ...] = ()
        self._lock = threading.RLock()  # reload() also runs on the folder watcher's thread
        self._observed = ObservedFolder(path.parent, recursive=False, mode="native", on_event=self._on_event)
        self._observed.ensure()
        # Sync renames the fleet file into place: seen at once, before the content it came with settles.
        self._observed_fleet = None if fleet_path is None else ObservedFolder(
            fleet_path.parent, recursive=False, mode="native", on_event=self._on_event)
        if self._observed_fleet is not None:
            self._observed_fleet.ensure()

    def _on_event(self, event: FolderEvent) -> None:
        names = {path.rsplit("/", 1)[-1] for path in (event.path, event.moved_to) if path is not None}
        if self.path.name in names or (self.fleet_path is not None and self.fleet_path.name in names):
            self.wake()

    def _texts(self) -> BoxSources | None:
        """config.yaml's and the fleet file's texts, each read once and bounded (None: config.yaml unreadable)."""
        try:
            return read_box_sources(self.path)
        except ConfigError:
            return None

    @staticmethod
    def _stamp(path: Path | None) -> tuple[int, int, int] | None:
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        # The inode is part of the stamp: a rename into place may keep size and time.
        return (stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def _stamps(self) -> tuple:
        # The fleet file arrives by sync, which renames it into place: its stamp is polled.
        return self._stamp(self.path), self._stamp(self.fleet_path)

    def poll_once(self) -> None:
        with self._lock:
            self._poll()

    def _poll(self) -> None:
        self._observed.ensure()
        if self._observed_fleet is not None:
            self._observed_fleet.ensure()
        now = self.clock()
        stamp = self._stamps()
        if stamp != self._stamp_seen:
            self._stamp_seen, self._stamp_since = stamp, now
        if stamp[0] is None:
            self._recheck_at = None
            return
        if now - self._stamp_since < self.settle_seconds:
            self._recheck_at = self._stamp_since + self.settle_seconds
            return
        self._recheck_at = None
        if stamp == self._stamp_read:
            return  # already read at these sizes, times and inodes
        self._stamp_read = stamp
        texts = self._texts()
        if texts is None or texts == self._last_texts:
            if texts is not None and self._last_bad is not None:
                log.info("%s is back to the config in force", self.path)
                self._last_bad = None
            return
        self._reload(texts)

    def reload(self, texts: BoxSources | None = None) -> None:
        """Reads both files again and reports the config they make, if it is new (and the fleet file's state)."""
        with self._lock:
            self._reload(texts)

    def _reload(self, texts: BoxSources | None) -> None:
        seen: str | None = None
        try:
            texts = texts or read_box_sources(self.path)
            seen = texts.config
            if texts == self._last_texts:
                return
            config, fleet = box_config_from(self.path, texts)
        except ConfigError as exc:
            if seen is None or seen != self._last_bad:
                for problem in exc.problems:
                    log.error("config not applied: %s", problem)
                log.error("keeping the last good config until %s is fixed", self.path)
                self._last_bad = seen
            return
        if fleet.refused and fleet.refused != self._last_refused:
            for problem in fleet.refused:
                log.error("fleet file refused: %s", problem)
            log.error("keeping the last good fleet file (%s) until the central one is fixed",
                      fleet.version or "none")
        elif not fleet.refused and self._last_refused:
            log.info("the fleet file is applied again (version %s)", fleet.version)
        self._last_refused = fleet.refused
        self._last_texts = texts
        self._last_bad = None
        self.inbox.put(ConfigChanged(config, fleet.status()))

    def _seconds_to_next_round(self) -> float:
        now = self.clock()
        moment = now + self.poll_seconds
        if self._recheck_at is not None:
            moment = min(moment, self._recheck_at)
        return max(0.01, moment - now)

    def _close(self) -> None:
        self._observed.close()
        if self._observed_fleet is not None:
            self._observed_fleet.close()
