"""Watching the slide folder: the thread that looks where notifications point, and lists it now and then.

A change notification names a path; the watcher looks at that path again
(one stat, or the walk of a folder that arrived), not at the whole folder,
and passes on what settled (kiosk.core.folderdiff). A full listing runs at
start, a moment after the watch took hold, when the root folder is
replaced, and every `rescan_seconds`, and repairs anything a notification
missed; a root folder that is deleted and re-created gets a new
observer. When the kernel says it dropped notifications (its queue
overflowed), the next round lists the folder whole.

`FolderWatch` is that loop, shared by the kiosk (`FolderWatcher`, which
posts `ContentChanged` on the render loop's inbox; the loop alone decides
what the screen shows) and `kiosk publish --watch`
(kiosk.boundary.publishwatch).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Callable

from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.folder import Listing, list_folder, look_at
from kiosk.boundary.observer import DEBOUNCE_SECONDS, ObservedFolder
from kiosk.core.catalogue import FLEET_FILE, KIND_BY_FOLDER, Catalogue
from kiosk.core.folderdiff import FolderEvent, Pointers, SlideDiff, gone_after_look, renamed_files, small_folders
from kiosk.core.settling import Settler
from kiosk.core.sections import default

log = logging.getLogger(__name__)

HEALTH_CHECK_SECONDS = 1.0  # how often the root folder's identity is checked
RELIST_AFTER_START_SECONDS = 2.0  # the listing again after the watch took hold (see start_listing)


class FolderWatch(BackgroundThread):
    """Follows one folder's settled files: events wake it (after a short burst wait), a timer repairs what
    they miss. A subclass says what to do with what a look found (`_looked`)."""

    thread_name = "folder-watch"
    burst_seconds = DEBOUNCE_SECONDS
    # True: a missing root (an unmounted share) is a folder away for a while, not a folder emptied:
    # what settled is kept, and looked at again when it is back.
    kept_while_missing = False

    def __init__(
        self,
        root: Path,
        mode: str = default("slides.watch"),
        settle_seconds: float = default("slides.settle_seconds"),
        rescan_seconds: float = default("slides.rescan_seconds"),
        clock: Callable[[], float] = time.monotonic,
        use_events: bool = True,
        wall_clock: Callable[[], int] | None = time.time_ns,
    ) -> None:
        """`use_events=False` relies on the periodic rescan alone.

        `settle_seconds` is how long a file must stay unchanged to count as complete (kiosk.core.settling);
        with `wall_clock` (nanoseconds), a file whose own modification time is that old counts at its first
        look; without, every file must be seen unchanged across two looks.
        """
        super().__init__()
        self.root = root
        self.clock = clock
        self.wall_clock = wall_clock  # what the files' modification times are compared with, if anything
        self.use_events = use_events
        self.rescan_seconds = rescan_seconds
        self.settler = Settler(settle_seconds)
        self._recheck_at: float | None = None
        self._rescan_at = clock() + rescan_seconds
        self._observed = ObservedFolder(root, recursive=True, mode=mode, on_event=self.notice)
        self._pointers = Pointers()
        self._pointers_lock = threading.Lock()  # notice() runs on the observer's thread
        self._list_again_at: float | None = None
        self._missing = False  # the root was missing at the last round (kept_while_missing)
        self.listings = 0  # full listings since start: what a burst of events costs
        self.looks = 0  # paths looked at one by one

    def notice(self, event: FolderEvent) -> None:
        """Takes a notification: it wakes the watcher and names the paths to look at again."""
        with self._pointers_lock:
            self._pointers.note(event)
        self.wake()

    def start_listing(self) -> Listing:
        """Lists the folder once and takes everything as complete: the start.

        The kernel's watch (inotify) is set before the listing, so nothing added
        meanwhile goes unseen: its notification waits for the first round. A
        polling observer takes its first look later, on its own thread, so the
        folder is listed again a moment after the start.
        """
        native = self.use_events and self._observed.mode != "poll"
        if native:
            self._observed.ensure()
        listing = list_folder(self.root)
        self.settler.accept(listing.files, self.clock())
        self.settler.take_changes()
        if self.use_events and not native:
            self._observed.ensure()
            # Listed again a moment later: not while the first slide is being decoded.
            self._list_again_at = self.clock() + RELIST_AFTER_START_SECONDS
        return listing

    def poll_once(self, root_checked: bool = False, full: bool = True) -> None:
        """Looks at the folder again, whole (`full`) or only where notifications pointed, and
        passes on what changed."""
        now = self.clock()
        if root_checked or (self.use_events and self._observed.ensure()):
            full = True
            if self.root.is_dir():
                log.info("slide folder %s appeared or was replaced; watching it", self.root)
            else:
                log.warning("slide folder %s is missing; waiting for it to come back%s", self.root,
                            "; what it held is kept meanwhile" if self.kept_while_missing else "")
        if self.kept_while_missing and not self.root.is_dir():
            self._missing = True
            self._recheck_at = self._list_again_at = None  # nothing to look at until it is back
            if now >= self._rescan_at:
                self._rescan_at = now + self.rescan_seconds
            return
        if self._missing:
            self._missing, full = False, True
        with self._pointers_lock:
            looks = self._pointers.take()
        if looks.whole and not full:
            log.info("change notifications were lost (the kernel's queue overflowed); listing %s whole", self.root)
            full = True
        named = looks.named | small_folders(looks.folders, self.settler)
        if "" in looks.folders:
            named |= {top for top in KIND_BY_FOLDER if not (self.root / top).is_dir()}
        if full:
            listing = list_folder(self.root)
            self._list_again_at = None
            self.listings += 1
            self.settler.accept(renamed_files(listing.files, looks.renamed), now)
            self._recheck_at = self.settler.observe(listing.files, now, self._wall_ns())
            if now >= self._rescan_at:
                self._rescan_at = now + self.rescan_seconds
        else:
            listing, gone = self._look_again(named | set(self.settler.waiting()))
            self.settler.accept(renamed_files(listing.files, looks.renamed), now)
            self._recheck_at = self.settler.observe_some(listing.files, gone, now, self._wall_ns())
        self._looked(listing, full)

    def _wall_ns(self) -> int | None:
        return None if self.wall_clock is None else self.wall_clock()

    def _looked(self, listing: Listing, full: bool) -> None:
        """What to do after a look: `listing` is what it found, `full` whether it was the whole folder."""
        raise NotImplementedError

    def _look_again(self, paths: set[str]) -> tuple[Listing, list[str]]:
        """The named paths as they are now, and those that are gone (with what was inside them)."""
        found = Listing()
        gone: list[str] = []
        for path in sorted(paths):
            self.looks += 1
            part = look_at(self.root, path)
            found.files += part.files
            found.sidecars.update(part.sidecars)
            gone += gone_after_look(path, {info.path for info in part.files}, self.settler)
        return found, gone

    def _round(self, woken: bool) -> None:
        self.tick(woken)

    def tick(self, woken: bool) -> None:
        """One round of the thread: a full listing only when something may have changed.

        Between events only the root's identity is checked (one stat): a full
        listing runs on an event, a pending settle check, a new root, or the rescan.
        """
        now = self.clock()
        rescan_due = now >= self._rescan_at
        # A watch the kernel refused is tried again at the rescan, not every round: each try walks the tree.
        replaced = self.use_events and self._observed.ensure(retry_refused=rescan_due)
        recheck_due = self._recheck_at is not None and now >= self._recheck_at
        list_again = self._list_again_at is not None and now >= self._list_again_at
        whole = replaced or list_again or rescan_due
        if woken or recheck_due or whole:
            # Without notifications only a whole listing can see what changed.
            self.poll_once(root_checked=replaced, full=whole or not self.use_events)

    def _seconds_to_next_round(self) -> float:
        now = self.clock()
        moments = [self._rescan_at, now + HEALTH_CHECK_SECONDS]
        if self._recheck_at is not None:
            moments.append(self._recheck_at)
        if self._list_again_at is not None:
            moments.append(self._list_again_at)
        return max(0.01, min(moments) - now)

    def _close(self) -> None:
        self._observed.close()


class FolderWatcher(FolderWatch):
    """Reports the catalogue of complete files in the slide folder whenever it changes."""

    thread_name = "folder-watcher"

    def __init__(
        self,
        root: Path,
        inbox: "queue.Queue[object]",
        mode: str = default("slides.watch"),
        settle_seconds: float = default("slides.settle_seconds"),
        rescan_seconds: float = default("slides.rescan_seconds"),
        clock: Callable[[], float] = time.monotonic,
        use_events: bool = True,
        on_fleet_file: Callable[[], None] | None = None,
        wall_clock: Callable[[], int] = time.time_ns,
    ) -> None:
        """`on_fleet_file` is called when fleet.yaml comes, changes or goes, before the
        content that came with it is reported: the role's settings apply first."""
        super().__init__(root, mode, settle_seconds, rescan_seconds, clock, use_events, wall_clock)
        self.inbox = inbox
        self.on_fleet_file = on_fleet_file
        self._fleet_seen: tuple[int, int] | None = None
        self._slides = SlideDiff()

    def accept_initial(self) -> Catalogue:
        """The catalogue of the folder at the start, every file taken as complete."""
        listing = self.start_listing()
        self._fleet_seen = next(((info.size, info.mtime_ns) for info in listing.files if info.path == FLEET_FILE), None)
        return self._slides.start(listing.files, listing.sidecars, listing.problems)

    def _looked(self, listing: Listing, full: bool) -> None:
        fleet_file = self.settler.settled_file(FLEET_FILE)
        fleet = None if fleet_file is None else (fleet_file.size, fleet_file.mtime_ns)
        if fleet != self._fleet_seen:
            self._fleet_seen = fleet
            if self.on_fleet_file is not None:
                self.on_fleet_file()
        message = self._slides.update(self.settler.take_changes(), listing.sidecars, self.settler,
                                      listing.problems if full else None)
        if message is not None:
            self.inbox.put(message)
