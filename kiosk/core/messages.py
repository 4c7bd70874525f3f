"""The messages threads send to the render loop's inbox: plain data, and the only way in.

The watchers, the decode worker and the sync client post these; the render
loop alone decides what the screen shows. They live here, in the pure core,
so the show depends on what is said and not on who says it (importing the
show pulls in neither watchdog nor requests).

    folder watcher  -> ContentChanged(catalogue)   complete files, with their sidecars
    config watcher  -> ConfigChanged(config)        a new valid config
    decode worker   -> FrameReady(frame)            a finished frame
                    -> FrameFailed(key, reason, passing)
    sync thread     -> SyncDone(result)             after every sync
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.core.catalogue import Catalogue, Slide
    from kiosk.core.config import Config
    from kiosk.core.frames import Frame, FrameKey


@dataclass(frozen=True)
class ContentChanged:
    catalogue: Catalogue
    # What changed since the watcher's previous catalogue, when it knows: new or changed
    # slides, and removed paths. Without them the director compares the two, name by name.
    changed: tuple[Slide, ...] | None = None
    removed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ConfigChanged:
    config: Config
    fleet: dict[str, Any] | None = None  # the fleet file in force and why a newer one was refused (status.json)


@dataclass(frozen=True)
class FrameReady:
    frame: Frame


@dataclass(frozen=True)
class FrameFailed:
    key: FrameKey
    reason: str
    passing: bool = False  # True: not the file's fault (I/O, memory); worth retrying later


@dataclass(frozen=True)
class SyncResult:
    ok: bool
    reason: str
    version: str | None
    downloaded: int = 0
    removed: int = 0
    finished: str = ""  # ISO-8601 wall-clock time
    trust: dict[str, Any] | None = None  # status.json's `trust` block after this sync (kiosk.core.trust.trust_status)

    def line(self) -> str:
        if not self.ok:
            return f"sync failed: {self.reason}"
        return f"sync ok: version {self.version}, {self.downloaded} downloaded, {self.removed} removed ({self.reason})"


@dataclass(frozen=True)
class SyncDone:
    result: SyncResult
