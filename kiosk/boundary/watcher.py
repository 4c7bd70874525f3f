"""Watching the slide folder and config.yaml: the boundary to watchdog.

The watchers only report. They post `ContentChanged` (a new catalogue of
complete files) and `ConfigChanged` (a new valid config) on the render
loop's inbox; the loop alone decides what the screen shows.

A change notification names a path; the folder watcher looks at that path
again (one stat, or the walk of a folder that arrived), not at the whole
folder, and reports what changed: with 20,000 photos, a new one costs what
one photo costs. Which events arrive, and in which order, does not matter:
each only says where to look. A full listing runs at start, a moment after
the watch took hold, when the root folder is replaced, and every
`slides.rescan_seconds`, and repairs anything missed (an inotify overflow);
a root folder that is deleted and re-created gets a new observer.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from kiosk.boundary.background import BackgroundThread
from kiosk.core.catalogue import (
    FLEET_FILE, KIND_BY_FOLDER, PICTURE_SUFFIXES, Catalogue, FileInfo, Slide, is_temporary_name, kind_of, picture_stem, slide_for,
)
from kiosk.core.errors import ConfigError
from kiosk.boundary.folder import Listing, list_folder, look_at
from kiosk.core.messages import ConfigChanged, ContentChanged
from kiosk.core.sidecar import SIDECAR_SUFFIXES
from kiosk.core.settling import Settler

log = logging.getLogger(__name__)

HEALTH_CHECK_SECONDS = 1.0  # how often the root folder's identity is checked
RELIST_AFTER_START_SECONDS = 2.0
SMALL_FOLDER_FILES = 64  # a folder with no more files than this is looked at whole when it changes  # the listing again after the watch took hold (see accept_initial)
DEBOUNCE_SECONDS = 0.2  # events closer together than this are one change
# Reading a file produces these; they change nothing, and our own reads would wake us.
_IGNORED_EVENTS = {"opened", "closed_no_write"}


class _Wakeup(FileSystemEventHandler):
    """Wakes the watcher for events that may change what is shown.

    Events about hidden and temporary names only (the sync's staging folder,
    rsync's `.NAME.XXXXXX`, a browser's `.part`) cost nothing: a download
    writes thousands of chunks, and each would otherwise list the folder. A
    rename from such a name to a real one still wakes it.
    """

    def __init__(self, wake: Callable[[FileSystemEvent], None], root: Path) -> None:
        self._wake = wake
        self._root = os.fsdecode(root)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if all(not path or self._hidden(os.fsdecode(path)) for path in paths):
            return
        self._wake(event)

    def _hidden(self, path: str) -> bool:
        relative = os.path.relpath(path, self._root)
        if relative.startswith(".."):
            return False  # above the root (the root itself replaced): always look
        return any(is_temporary_name(part) for part in relative.split(os.sep) if part not in ("", "."))


class ObservedFolder:
    """A watchdog observer on one folder, re-armed when the folder is replaced."""

    def __init__(self, folder: Path, recursive: bool, mode: str, on_event: Callable[[FileSystemEvent], None]) -> None:
        self.folder = folder
        self.recursive = recursive
        self.mode = mode
        self._handler = _Wakeup(on_event, folder)
        self._observer: Observer | PollingObserver | None = None
        self._identity: tuple[int, int] | None = None

    def ensure(self) -> bool:
        """Starts, restarts or stops the observer to match the folder; True if it changed."""
        try:
            stat = os.stat(self.folder)
            identity: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except OSError:
            identity = None
        alive = self._observer is not None and self._observer.is_alive()
        if identity == self._identity and (alive or identity is None):
            return False
        self.close()
        self._identity = identity
        if identity is None:
            return True
        observer = PollingObserver(timeout=1.0) if self.mode == "poll" else Observer()
        try:
            observer.schedule(self._handler, str(self.folder), recursive=self.recursive)
            observer.daemon = True
            observer.start()
        except OSError as exc:
            # inotify limits or a vanished folder: the periodic rescan still works.
            log.warning("cannot watch %s (%s); relying on the periodic rescan", self.folder, exc)
            return True
        self._observer = observer
        return True

    def close(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None


class _WatchThread(BackgroundThread):
    """A watcher: events wake it (after a short settle, so a burst is one round), a timer repairs what they miss."""

    thread_name = "watcher"
    settle_seconds = DEBOUNCE_SECONDS

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.clock = clock

    def _next_poll_in(self) -> float:
        raise NotImplementedError

    def _seconds_to_next_round(self) -> float:
        return max(0.01, self._next_poll_in())


class FolderWatcher(_WatchThread):
    """Reports the catalogue of complete files in the slide folder whenever it changes."""

    thread_name = "folder-watcher"

    def __init__(
        self,
        root: Path,
        inbox: "queue.Queue[object]",
        mode: str = "native",
        settle_seconds: float = 1.0,
        rescan_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        use_events: bool = True,
        on_fleet_file: Callable[[], None] | None = None,
        wall_clock: Callable[[], int] = time.time_ns,
    ) -> None:
        """`use_events=False` relies on the periodic rescan alone (as after an inotify overflow).

        `on_fleet_file` is called when fleet.yaml comes, changes or goes, before the
        content that came with it is reported: the role's settings apply first.
        """
        self.on_fleet_file = on_fleet_file
        self.wall_clock = wall_clock  # what the files' modification times are compared with
        self._fleet_seen: tuple[int, int] | None = None
        super().__init__(clock)
        self.root = root
        self.use_events = use_events
        self.inbox = inbox
        self.rescan_seconds = rescan_seconds
        self._settler = Settler(settle_seconds)
        self._texts: dict[str, object] = {}  # settled sidecars' texts (or UnreadableSidecar)
        self._published: Catalogue | None = None
        self._recheck_at: float | None = None
        self._rescan_at = clock() + rescan_seconds
        self._observed = ObservedFolder(root, recursive=True, mode=mode, on_event=self._on_event)
        self._renamed: set[str] = set()  # paths renamed into place since the last look: complete already
        self._dirty: set[str] = set()  # paths the notifications named since the last look
        self._folders_changed: set[str] = set()  # folders whose entries changed ("" the root)
        self._paths_lock = threading.Lock()
        self._last_health = 0.0
        self._list_again_at: float | None = None
        self._listing_problems: tuple[str, ...] = ()
        self._slide_problems: dict[str, str] = {}  # per picture or sidecar: an empty file, a broken sidecar
        self.listings = 0  # full listings since start: what a burst of events costs
        self.looks = 0  # paths looked at one by one

    def _on_event(self, event: FileSystemEvent) -> None:
        """Every event wakes the watcher and names the paths to look at again; a rename into place
        also says its file is complete.

        A file renamed into the folder (rsync's and the sync's own last step, `mv`
        within one disk) was written whole under another name: it needs no settle wait.
        """
        if event.is_directory and event.event_type == "modified":
            # A file inside changed: its own event names it, if the kernel watched that folder in
            # time. A folder made a moment earlier (the sync's override/) may not have been, so a
            # small folder is looked at whole, and a change at the root checks the kind folders.
            relative = self._relative(event.src_path)
            with self._paths_lock:
                self._folders_changed.add(relative or "")
            self.wake()
            return
        named = [event.src_path, getattr(event, "dest_path", "") if event.event_type == "moved" else ""]
        relative = [self._relative(path) for path in named if path]
        with self._paths_lock:
            self._dirty.update(path for path in relative if path is not None)
            if event.event_type == "moved" and relative[-1] is not None and len(relative) == 2:
                self._renamed.add(relative[-1])
        self.wake()

    def _relative(self, path: str | bytes) -> str | None:
        relative = os.path.relpath(os.fsdecode(path), os.fsdecode(self.root))
        if relative == "." or relative.startswith(".."):
            return None  # the root itself, or above it: the root check and the rescan see to it
        return relative.replace(os.sep, "/")

    def accept_initial(self) -> Catalogue:
        """Lists the folder once and takes everything as complete: the start of the show.

        The kernel's watch (inotify) is set before the listing, so nothing added
        meanwhile goes unseen: its notification waits for the first round. A
        polling observer takes its first look later, on its own thread, so the
        folder is listed again a moment after the start.
        """
        native = self.use_events and self._observed.mode != "poll"
        if native:
            self._observed.ensure()
        listing = list_folder(self.root)
        self._fleet_seen = next(((info.size, info.mtime_ns) for info in listing.files if info.path == FLEET_FILE), None)
        self._settler.accept(listing.files, self.clock())
        self._settler.take_changes()
        self._texts = dict(listing.sidecars)
        self._listing_problems = tuple(listing.problems)
        slides: list[Slide] = []
        # Most pictures have no sidecar: only those whose stem has one look for it (20,000 photos: 50 ms less).
        stems = {picture_stem(path) for path in self._texts}
        for info in listing.files:
            slide, problem = slide_for(info, self._texts if picture_stem(info.path) in stems else {})
            self._note(info.path, problem)
            if slide is not None:
                slides.append(slide)
        self._published = Catalogue.in_order(slides, self._problems())
        if self.use_events and not native:
            self._observed.ensure()
            # Listed again a moment later: not while the first slide is being decoded.
            self._list_again_at = self.clock() + RELIST_AFTER_START_SECONDS
        return self._published

    def poll_once(self, root_checked: bool = False, full: bool = True) -> None:
        """Looks at the folder again, whole (`full`) or only where notifications pointed, and
        reports what changed."""
        now = self.clock()
        if root_checked or (self.use_events and self._observed.ensure()):
            full = True
            if self.root.is_dir():
                log.info("slide folder %s appeared or was replaced; watching it", self.root)
            else:
                log.warning("slide folder %s is missing; waiting for it to come back", self.root)
        with self._paths_lock:
            renamed, self._renamed = self._renamed, set()
            dirty, self._dirty = self._dirty, set()
            folders, self._folders_changed = self._folders_changed, set()
        dirty |= self._folders_to_look_at(folders)
        if full:
            listing = list_folder(self.root)
            self._list_again_at = None
            self.listings += 1
            self._listing_problems = tuple(listing.problems)
            self._accept_renamed(listing.files, renamed, now)
            self._recheck_at = self._settler.observe(listing.files, now, self.wall_clock())
            if now >= self._rescan_at:
                self._rescan_at = now + self.rescan_seconds
        else:
            listing, gone = self._look_again(dirty | set(self._settler.waiting()))
            self._accept_renamed(listing.files, renamed, now)
            self._recheck_at = self._settler.observe_some(listing.files, gone, now, self.wall_clock())
        fleet_file = self._settler.settled_file(FLEET_FILE)
        fleet = None if fleet_file is None else (fleet_file.size, fleet_file.mtime_ns)
        if fleet != self._fleet_seen:
            self._fleet_seen = fleet
            if self.on_fleet_file is not None:
                self.on_fleet_file()
        self._report(listing)

    def _folders_to_look_at(self, folders: set[str]) -> set[str]:
        """Of folders whose entries changed: the kind folders gone from the root, and small
        sub-folders (the two big kind folders were watched from the start: their files' own
        events say what changed)."""
        paths: set[str] = set()
        for folder in folders:
            if folder == "":
                paths.update(top for top in KIND_BY_FOLDER if not (self.root / top).is_dir())
            elif folder.startswith("override") or "/" in folder:
                if len(self._settler.known_under(folder)) <= SMALL_FOLDER_FILES:
                    paths.add(folder)
        return paths

    def _look_again(self, paths: set[str]) -> tuple[Listing, list[str]]:
        """The named paths as they are now, and those that are gone (with what was inside them)."""
        found = Listing()
        gone: list[str] = []
        for path in sorted(paths):
            self.looks += 1
            part = look_at(self.root, path)
            found.files += part.files
            found.sidecars.update(part.sidecars)
            present = {info.path for info in part.files}
            if path not in present:
                if self._settler.known(path):
                    gone.append(path)
                elif "." not in path.rsplit("/", 1)[-1]:
                    # Perhaps a folder: what it held and no longer holds is gone (one pass over the names).
                    gone += [known for known in self._settler.known_under(path) if known not in present]
        return found, gone

    def _accept_renamed(self, files: list[FileInfo], renamed: set[str], now: float) -> None:
        if renamed:
            self._settler.accept([info for info in files if info.path in renamed
                                  or any(info.path.startswith(f"{folder}/") for folder in renamed)], now)

    def _report(self, listing: Listing) -> None:
        """Turns what settled, changed or went into slides, and posts them if anything changed."""
        for path, text in listing.sidecars.items():
            if self._settler.is_settled(path):
                self._texts[path] = text
        changes = self._settler.take_changes()
        pictures: set[str] = set()
        for path, info in changes.items():
            if path.lower().endswith(SIDECAR_SUFFIXES):
                if info is None:
                    self._texts.pop(path, None)
                    self._slide_problems.pop(path, None)
                pictures.update(self._pictures_of(path))
            elif kind_of(path) is not None:
                pictures.add(path)
        previous = self._published or Catalogue()
        changed: list[Slide] = []
        removed: list[str] = []
        for path in sorted(pictures):
            info = self._settler.settled_file(path)
            slide, problem = slide_for(info, self._texts) if info is not None else (None, None)
            self._note(path, problem)
            if slide is None:
                if previous.get(path) is not None:
                    removed.append(path)
            elif previous.get(path) != slide:
                changed.append(slide)
        problems = self._problems()
        if changed or removed or problems != previous.problems:
            # The published catalogue is the last one changed: the two share their unchanged
            # slides, so the render loop, dropping the old one, frees only what changed.
            self._published = previous.with_changes(changed, removed, problems)
            self.inbox.put(ContentChanged(self._published, tuple(changed), tuple(removed)))

    def _note(self, path: str, problem: str | None) -> None:
        """Keeps a picture's problem (an empty file, a broken sidecar) up to date."""
        if problem:
            self._slide_problems[path] = problem
        else:
            self._slide_problems.pop(path, None)

    def _pictures_of(self, sidecar: str) -> set[str]:
        """The settled pictures a sidecar belongs to: the usual suffixes first, a pass over the names
        only for an unusual spelling (a.Jpg)."""
        stem = picture_stem(sidecar)
        found = {stem + suffix for suffix in (*PICTURE_SUFFIXES, *(s.upper() for s in PICTURE_SUFFIXES))
                 if self._settler.settled_file(stem + suffix) is not None}
        if not found:
            found = {info.path for info in self._settler.settled()
                     if info.path.startswith(stem) and picture_stem(info.path) == stem and kind_of(info.path)}
        return found

    def _problems(self) -> tuple[str, ...]:
        return self._listing_problems + tuple(self._slide_problems.values())

    def _round(self, woken: bool) -> None:
        self.tick(woken)

    def tick(self, woken: bool) -> None:
        """One round of the thread: a full listing only when something may have changed.

        Between events only the root's identity is checked (one stat): a full
        listing runs on an event, a pending settle check, a new root, or the rescan.
        """
        now = self.clock()
        replaced = self.use_events and self._observed.ensure()
        recheck_due = self._recheck_at is not None and now >= self._recheck_at
        list_again = self._list_again_at is not None and now >= self._list_again_at
        whole = replaced or list_again or now >= self._rescan_at
        if woken or recheck_due or whole:
            # Without notifications only a whole listing can see what changed.
            self.poll_once(root_checked=replaced, full=whole or not self.use_events)

    def _next_poll_in(self) -> float:
        now = self.clock()
        moments = [self._rescan_at, now + HEALTH_CHECK_SECONDS]
        if self._recheck_at is not None:
            moments.append(self._recheck_at)
        if self._list_again_at is not None:
            moments.append(self._list_again_at)
        return min(moments) - now

    def _close(self) -> None:
        self._observed.close()


class ConfigWatcher(_WatchThread):
    """Reports a new config when config.yaml, or the central fleet.yaml in the slide folder, changes.

    An invalid config.yaml is logged (each problem with its key and line,
    once per distinct content) and the last good config stays in force; an
    invalid fleet file is refused whole, said once, and the last good one
    stays in force (kiosk.boundary.fleetfile). A file is read only once its
    size, time and inode have stayed the same for `settle_seconds`, so an
    editor's truncate-and-write or write-and-rename is never read half-way.
    """

    thread_name = "config-watcher"

    def __init__(
        self,
        path: Path,
        inbox: "queue.Queue[object]",
        settle_seconds: float = 0.3,
        poll_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        fleet_path: Path | None = None,
    ) -> None:
        super().__init__(clock)
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

    def _on_event(self, event: FileSystemEvent) -> None:
        names = {os.path.basename(str(event.src_path)), os.path.basename(str(getattr(event, "dest_path", "") or ""))}
        if self.path.name in names or (self.fleet_path is not None and self.fleet_path.name in names):
            self.wake()

    @staticmethod
    def _read(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _texts(self) -> tuple[str | None, str | None]:
        return self._read(self.path), self._read_fleet()

    def _read_fleet(self) -> str | None:
        """The fleet file's text, bounded like every file from the central server (None: none, or unusable)."""
        from kiosk.boundary.fleetfile import read_text

        if self.fleet_path is None:
            return None
        try:
            return read_text(self.fleet_path)
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
        if texts[0] is None or texts == self._last_texts:
            if texts[0] is not None and self._last_bad is not None:
                log.info("%s is back to the config in force", self.path)
                self._last_bad = None
            return
        self._reload(texts)

    def reload(self, texts: tuple[str | None, str | None] | None = None) -> None:
        """Reads both files again and reports the config they make, if it is new (and the fleet file's state)."""
        with self._lock:
            self._reload(texts)

    def _reload(self, texts: tuple[str | None, str | None] | None) -> None:
        from kiosk.boundary.fleetfile import load_box_config

        texts = texts or self._texts()
        if texts == self._last_texts:
            return
        try:
            config, fleet = load_box_config(self.path)
        except ConfigError as exc:
            if texts[0] != self._last_bad:
                for problem in exc.problems:
                    log.error("config not applied: %s", problem)
                log.error("keeping the last good config until %s is fixed", self.path)
                self._last_bad = texts[0]
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

    def _next_poll_in(self) -> float:
        now = self.clock()
        moment = now + self.poll_seconds
        if self._recheck_at is not None:
            moment = min(moment, self._recheck_at)
        return moment - now

    def _close(self) -> None:
        self._observed.close()
        if self._observed_fleet is not None:
            self._observed_fleet.close()
