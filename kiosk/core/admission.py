"""Which listed pictures the playlist may draw from: a new or changed file enters only once it decoded.

The folder watcher lists what is in the slide folder; the playlist draws
only from what is admitted. A new or changed picture waits (`awaiting`)
until the decode worker has prepared it once; a few at a time are with the
worker (`admitting`), behind the slides the screen needs. A file whose
content cannot be shown is unusable until it changes; a failure its content
does not explain (memory, I/O) is tried again later with backoff and never
marks the file. Pure: the director passes in the time and carries out the
requests it returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk.core.catalogue import Catalogue, Slide
from kiosk.core.frames import FrameKey, frame_key
from kiosk.core.layout import Layout
from kiosk.core.playlist import PlaylistSettings, entry_for
from kiosk.core.plaza import selected

log = logging.getLogger(__name__)

ADMIT_IN_FLIGHT = 2  # new files decoded at once, behind the slides the screen needs
RETRY_FIRST_SECONDS = 5.0  # a passing failure (I/O, memory) is retried after this, doubling up to
RETRY_MAX_SECONDS = 600.0
UNKNOWN_REASON = "cannot be decoded"  # for files remembered from before a restart


@dataclass(frozen=True)
class Unusable:
    """A file that cannot be shown in this version, and why."""

    version: tuple[int, int]
    reason: str = UNKNOWN_REASON


@dataclass(frozen=True)
class Retry:
    """A file whose last try failed for a passing reason, and when to try again."""

    version: tuple[int, int]
    at: float
    delay: float
    reason: str


class Admission:
    """The listed slides, the admitted catalogue, and the files between the two."""

    def __init__(self, listed: Catalogue, unusable: dict[str, tuple[int, int]],
                 settings: PlaylistSettings = PlaylistSettings()) -> None:
        self.settings = settings
        self.everything = listed  # what the folder watcher last reported
        self.listed = selected(listed, settings)  # of it, what this box shows (its role's selection)
        self.catalogue = self.listed  # what the playlist draws from: admitted slides only
        self.awaiting: dict[str, Slide] = {}  # new or changed pictures to decode first, oldest first
        self.admitting: set[FrameKey] = set()  # the few of them the worker has now
        self.retry: dict[str, Retry] = {}
        self.unusable: dict[str, Unusable] = {path: Unusable(version) for path, version in unusable.items()}
        self._unusable_now: set[str] | None = None  # of the catalogue's slides; kept between changes
        self._dirty = False

    # --- what the playlist may not choose ------------------------------------------

    def unusable_now(self) -> set[str]:
        """Slides of the catalogue known not to decode in their present version.

        Kept up to date between changes: with thousands of broken files,
        working it out at every pick cost 5 ms.
        """
        if self._unusable_now is None:
            self._unusable_now = {
                path for path, known in self.unusable.items()
                if (slide := self.catalogue.get(path)) is not None and slide.version == known.version
            }
        return self._unusable_now

    def not_now(self, now: float) -> set[str]:
        """Slides not to choose now: unusable in this version, or waiting for a retry."""
        unusable = self.unusable_now()
        if not self.retry:
            return unusable
        return unusable | {path for path, retry in self.retry.items() if retry.at > now}

    def versions(self) -> dict[str, tuple[int, int]]:
        """The unusable files as saved with the rotation."""
        return {path: known.version for path, known in self.unusable.items()}

    # --- what happened -----------------------------------------------------------------

    def reselect(self, settings: PlaylistSettings) -> list[str]:
        """A new config: the selection again, if it changed; returns the paths whose frames are now stale."""
        before, self.settings = self.settings, settings
        if (settings.kinds, settings.include, settings.exclude, settings.role) == \
                (before.kinds, before.include, before.exclude, before.role):
            return []
        return self.listed_changed(self.everything)

    def listed_changed(self, everything: Catalogue) -> list[str]:
        """Takes the watcher's new listing; returns the paths whose prepared frames are now stale."""
        self.everything = everything
        listed = selected(everything, self.settings)
        previous, self.listed = self.listed, listed
        for path in [p for p, slide in self.awaiting.items() if getattr(listed.get(p), "version", None) != slide.version]:
            del self.awaiting[path]
        stale: list[str] = []
        for slide in listed.slides():
            before = previous.get(slide.path)
            if before is not None and before.version == slide.version:
                continue
            known = self.unusable.get(slide.path)
            if (known is not None and known.version == slide.version) or slide.path in self.awaiting:
                continue
            self.awaiting[slide.path] = slide
            stale.append(slide.path)
        for slide in previous.slides():
            if listed.get(slide.path) is None:
                self.unusable.pop(slide.path, None)
                self.retry.pop(slide.path, None)
                self._unusable_now = None
                stale.append(slide.path)
                log.info("removed %s", slide.path)
        known_problems = set(previous.problems)
        for problem in listed.problems:
            if problem not in known_problems:
                log.warning("%s", problem)
        self._dirty = True
        return stale

    def decoded(self, key: FrameKey) -> bool:
        """A frame arrived; True if it was decoded only to admit its file (so it is a spare)."""
        spare = key in self.admitting
        self.admitting.discard(key)
        if self.retry.pop(key.path, None) is not None:
            log.info("%s can be prepared again", key.path)
        waiting = self.awaiting.get(key.path)
        if waiting is not None and waiting.version == key.version:
            del self.awaiting[key.path]
            self.unusable.pop(key.path, None)
            self._unusable_now = None
            log.info("%s %s", "updated" if self.catalogue.get(key.path) else "added", key.path)
            self._dirty = True
        return spare

    def failed(self, key: FrameKey, reason: str, passing: bool, now: float) -> None:
        self.admitting.discard(key)
        if passing:
            self._retry_later(key, reason, now)
            return
        self.mark_unusable(key.path, key.version, reason)
        waiting = self.awaiting.get(key.path)
        if waiting is not None and waiting.version == key.version:
            del self.awaiting[key.path]
            self._dirty = True

    def mark_unusable(self, path: str, version: tuple[int, int], reason: str) -> None:
        """Skips this version of the file until it changes, with one log line."""
        if self.unusable.get(path) != Unusable(version, reason):
            log.warning("skipping %s: %s", path, reason)
        self.unusable[path] = Unusable(version, reason)
        self.retry.pop(path, None)
        if self._unusable_now is not None:  # kept up to date: thousands of failures in a row must stay cheap
            slide = self.catalogue.get(path)
            if slide is not None and slide.version == version:
                self._unusable_now.add(path)
            else:
                self._unusable_now.discard(path)

    def _retry_later(self, key: FrameKey, reason: str, now: float) -> None:
        previous = self.retry.get(key.path)
        delay = RETRY_FIRST_SECONDS
        if previous is not None and previous.version == key.version:
            delay = min(RETRY_MAX_SECONDS, previous.delay * 2)
        else:
            log.warning("cannot prepare %s now (%s); trying again from time to time", key.path, reason)
        self.retry[key.path] = Retry(key.version, now + delay, delay, reason)

    # --- what follows ------------------------------------------------------------------

    def settle(self) -> bool:
        """Rebuilds the catalogue once for all the changes just taken; True if it changed."""
        if not self._dirty:
            return False
        self._dirty = False
        slides: list[Slide] = []
        for slide in self.listed.slides():
            known = self.unusable.get(slide.path)
            if known is not None and known.version == slide.version:
                continue  # known undecodable until the file changes
            if slide.path in self.awaiting:
                admitted = self.catalogue.get(slide.path)
                if admitted is not None:
                    slides.append(admitted)  # at its last admitted state
            else:
                slides.append(slide)
        catalogue = Catalogue.of(slides, self.listed.problems)
        if catalogue == self.catalogue:
            return False
        self.catalogue = catalogue
        self._unusable_now = None
        log.debug("rotation now has %d contribute and %d answer slides",
                  catalogue.count("contribute"), catalogue.count("answer"))
        return True

    def to_decode(self, layout: Layout, settings: PlaylistSettings, now: float) -> list[FrameKey]:
        """The next waiting files to hand the worker, oldest first, ADMIT_IN_FLIGHT at most at once."""
        if len(self.admitting) >= ADMIT_IN_FLIGHT or len(self.awaiting) <= len(self.admitting):
            return []
        busy = {key.path for key in self.admitting}
        keys: list[FrameKey] = []
        for path, slide in self.awaiting.items():
            if len(self.admitting) >= ADMIT_IN_FLIGHT:
                break
            retry = self.retry.get(path)
            if path in busy or (retry is not None and retry.version == slide.version and retry.at > now):
                continue
            key = frame_key(entry_for(slide, settings), layout)
            self.admitting.add(key)
            keys.append(key)
        return keys
