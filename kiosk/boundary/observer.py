"""The seam to watchdog: change notifications on one folder, as plain `FolderEvent`s.

The only module that imports watchdog. What arrives names a path relative to
the watched folder (kiosk.core.folderdiff.FolderEvent); which events arrive,
and in which order, does not matter to the watchers: each only says where to look.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from kiosk.core.catalogue import is_temporary_name
from kiosk.core.folderdiff import FolderEvent
from kiosk.core.trouble import Trouble

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.2  # events closer together than this are one change
# Reading a file produces these; they change nothing, and our own reads would wake us.
_IGNORED_EVENTS = {"opened", "closed_no_write"}


def relative_path(path: str | bytes, root: str) -> str | None:
    """`path` relative to `root`, with "/" between its parts; None for the root itself or above it."""
    relative = os.path.relpath(os.fsdecode(path), root)
    if relative == "." or relative.startswith(".."):
        return None
    return relative.replace(os.sep, "/")


class Notifications(FileSystemEventHandler):
    """Turns watchdog's events into `FolderEvent`s, passing on only those that may change what is shown.

    Events about hidden and temporary names only (the sync's staging folder,
    rsync's `.NAME.XXXXXX`, a browser's `.part`) cost nothing: a download
    writes thousands of chunks, and each would otherwise list the folder. A
    rename from such a name to a real one still counts.
    """

    def __init__(self, on_event: Callable[[FolderEvent], None], root: Path) -> None:
        self._on_event = on_event
        self._root = os.fsdecode(root)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        dest = getattr(event, "dest_path", "")
        paths = [relative_path(path, self._root) if path else "" for path in (event.src_path, dest)]
        # None (the root itself replaced, or above it): always look.
        if all(path == "" or (path is not None and _hidden(path)) for path in paths):
            return
        moved = event.event_type == "moved" and bool(dest)
        self._on_event(FolderEvent(event.event_type, paths[0] or None, paths[1] if moved else None,
                                   event.is_directory))


def _hidden(relative: str) -> bool:
    return any(is_temporary_name(part) for part in relative.split("/") if part not in ("", "."))


class ObservedFolder:
    """A watchdog observer on one folder, re-armed when the folder is replaced.

    A watch the kernel refuses (inotify's limit on watches) is said once and
    tried again only when asked (`retry_refused`, at the periodic rescan) or
    when the folder is replaced: each try walks the whole tree.
    """

    def __init__(self, folder: Path, recursive: bool, mode: str, on_event: Callable[[FolderEvent], None],
                 native: Callable[[], BaseObserver] = Observer) -> None:
        """`native` makes the observer for mode "native": the platform's (inotify on Linux)."""
        self.folder = folder
        self.recursive = recursive
        self.mode = mode
        self._native = native
        self._handler = Notifications(on_event, folder)
        self._observer: BaseObserver | None = None
        self._identity: tuple[int, int] | None = None
        self._refused: tuple[int, int] | None = None  # the folder whose watch the kernel refused
        self._trouble = Trouble(log)

    def ensure(self, retry_refused: bool = False) -> bool:
        """Starts, restarts or stops the observer to match the folder; True if the folder appeared,
        went or was replaced (it is then to be listed whole).

        A refused watch of the same folder is not tried again unless `retry_refused`."""
        try:
            stat = os.stat(self.folder)
            identity: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except OSError:
            identity = None
        alive = self._observer is not None and self._observer.is_alive()
        if identity == self._identity and (alive or identity is None):
            return False
        refused_again = identity is not None and identity == self._refused
        if refused_again and not retry_refused:
            return False
        self.close()
        self._identity = identity
        self._refused = None
        if identity is None:
            return True
        observer = PollingObserver(timeout=1.0) if self.mode == "poll" else self._native()
        try:
            observer.schedule(self._handler, str(self.folder), recursive=self.recursive)
            observer.daemon = True
            observer.start()
        except OSError as exc:
            # inotify limits or a vanished folder: the periodic rescan still works.
            self._refused = identity
            self._trouble.failed(str(exc), f"cannot watch {self.folder} ({exc}); relying on the periodic rescan")
            return not refused_again
        self._observer = observer
        self._trouble.worked(f"watching {self.folder} again")
        return not refused_again  # the same folder, watched at last: nothing in it changed for that

    def close(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None
