"""Deciding when a file is complete: its size and time stay the same across two looks.

Pure: the folder watcher feeds it listings and the time. A file that a sync
tool or a slow writer is still filling keeps changing, so it stays out until
it has been seen unchanged for `settle_seconds`. A file that disappears
leaves at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.catalogue import FileInfo


@dataclass(frozen=True)
class _Sighting:
    info: FileInfo
    since: float


class Settler:
    """Tracks files across listings and says which ones have settled."""

    def __init__(self, settle_seconds: float) -> None:
        self.settle_seconds = settle_seconds
        self._sightings: dict[str, _Sighting] = {}
        self._settled: dict[str, FileInfo] = {}

    def accept(self, files: list[FileInfo], now: float) -> None:
        """Takes files as complete without waiting: the listing made at start."""
        for info in files:
            self._sightings[info.path] = _Sighting(info, now - self.settle_seconds)
            self._settled[info.path] = info

    def observe(self, files: list[FileInfo], now: float) -> float | None:
        """Records a listing; returns when to look again, or None if all has settled."""
        current = {info.path: info for info in files}
        recheck: float | None = None
        for path, info in current.items():
            seen = self._sightings.get(path)
            if seen is None or _stamp(seen.info) != _stamp(info):
                self._sightings[path] = seen = _Sighting(info, now)
            if self._settled.get(path) == info:
                continue
            ready_at = seen.since + self.settle_seconds
            if now >= ready_at:
                self._settled[path] = info
            else:
                recheck = ready_at if recheck is None else min(recheck, ready_at)
        for path in [p for p in self._sightings if p not in current]:
            del self._sightings[path]
            self._settled.pop(path, None)
        return recheck

    def settled(self) -> list[FileInfo]:
        """The complete files: for a file being rewritten, its last complete state."""
        return list(self._settled.values())

    def is_settled(self, path: str) -> bool:
        seen = self._sightings.get(path)
        return seen is not None and self._settled.get(path) == seen.info


def _stamp(info: FileInfo) -> tuple[int, int]:
    return (info.size, info.mtime_ns)
