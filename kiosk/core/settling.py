"""Deciding when a file is complete: its size and time stay the same across two looks.

Pure: the folder watcher feeds it listings and the time. A file that a sync
tool or a slow writer is still filling keeps changing, so it stays out until
it has been seen unchanged for `settle_seconds`, or its own modification time
says it was last written that long ago (given the wall clock: a file found
by a poll a second after it arrived need not wait another second). A file
that disappears leaves at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kiosk.core.catalogue import FileInfo


@dataclass(frozen=True, slots=True)
class _Sighting:
    info: FileInfo
    since: float


class Settler:
    """Tracks files across listings and says which ones have settled, and what changed.

    A settled file whose last look agrees with it needs no record of its own
    beyond the settled one: 20,000 photos accepted at start cost one entry each.
    """

    def __init__(self, settle_seconds: float) -> None:
        self.settle_seconds = settle_seconds
        self._sightings: dict[str, _Sighting] = {}  # files whose last look differs from their settled state
        self._settled: dict[str, FileInfo] = {}
        self._waiting: dict[str, float] = {}  # seen but not settled yet: when they may be
        self._changes: dict[str, FileInfo | None] = {}  # settled since take_changes(); None: gone

    def accept(self, files: Iterable[FileInfo], now: float) -> None:
        """Takes files as complete without waiting: the listing made at start, or files renamed into place."""
        for info in files:
            self._sightings.pop(info.path, None)
            self._waiting.pop(info.path, None)
            self._settle(info)

    def observe(self, files: Iterable[FileInfo], now: float, wall_ns: int | None = None) -> float | None:
        """Records a whole listing (what it lacks is gone); returns when to look again, or None if all has settled.

        `now` is the monotonic clock; `wall_ns` the wall clock the files' times come from, if known."""
        current: set[str] = set()
        for info in files:
            current.add(info.path)
            self._look(info, now, wall_ns)
        for path in [p for p in (*self._settled, *self._sightings) if p not in current]:
            self._forget(path)
        return self.recheck_at()

    def observe_some(self, files: Iterable[FileInfo], gone: Iterable[str], now: float,
                     wall_ns: int | None = None) -> float | None:
        """Records a few paths looked at again: `files` as found, `gone` no longer there."""
        found: set[str] = set()
        for info in files:
            found.add(info.path)
            self._look(info, now, wall_ns)
        for path in gone:
            if path not in found:
                self._forget(path)
        return self.recheck_at()

    def _look(self, info: FileInfo, now: float, wall_ns: int | None) -> None:
        path = info.path
        settled = self._settled.get(path)
        if settled == info:
            self._sightings.pop(path, None)
            self._waiting.pop(path, None)
            return
        seen = self._sightings.get(path)
        if seen is None or _stamp(seen.info) != _stamp(info):
            self._sightings[path] = seen = _Sighting(info, now)
        ready_at = seen.since + self.settle_seconds
        if wall_ns is not None and wall_ns >= info.mtime_ns:  # a time in the future proves nothing
            unwritten_for = (wall_ns - info.mtime_ns) / 1e9
            ready_at = min(ready_at, now + max(0.0, self.settle_seconds - unwritten_for))
        if now >= ready_at:
            self._sightings.pop(path, None)
            self._waiting.pop(path, None)
            self._settle(info)
        else:
            self._waiting[path] = ready_at

    def _settle(self, info: FileInfo) -> None:
        if self._settled.get(info.path) != info:
            self._settled[info.path] = info
            self._changes[info.path] = info

    def _forget(self, path: str) -> None:
        self._sightings.pop(path, None)
        self._waiting.pop(path, None)
        if self._settled.pop(path, None) is not None:
            self._changes[path] = None

    def recheck_at(self) -> float | None:
        return min(self._waiting.values()) if self._waiting else None

    def waiting(self) -> list[str]:
        """Paths seen but not settled yet: to look at again."""
        return list(self._waiting)

    def known(self, path: str) -> bool:
        return path in self._settled or path in self._sightings

    def known_under(self, folder: str) -> list[str]:
        """Paths seen inside a folder (a folder removed or renamed takes them along)."""
        prefix = folder.rstrip("/") + "/"
        return [path for path in {*self._settled, *self._sightings} if path.startswith(prefix)]

    def take_changes(self) -> dict[str, FileInfo | None]:
        """What settled, changed or went since the last call."""
        changes, self._changes = self._changes, {}
        return changes

    def settled_file(self, path: str) -> FileInfo | None:
        return self._settled.get(path)

    def settled(self) -> list[FileInfo]:
        """The complete files: for a file being rewritten, its last complete state."""
        return list(self._settled.values())

    def is_settled(self, path: str) -> bool:
        """True if the file's last look is its settled state."""
        return path in self._settled and path not in self._sightings


def _stamp(info: FileInfo) -> tuple[int, int]:
    return (info.size, info.mtime_ns)
