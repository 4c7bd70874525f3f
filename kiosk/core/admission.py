"""Which listed pictures the playlist may draw from: a new or changed file enters only once it decoded.

The folder watcher lists what is in the slide folder; the playlist draws
only from what is admitted. A new or changed picture waits (`awaiting`)
until the decode worker has prepared it once; a few at a time are with the
worker (`admitting`), behind the slides the screen needs. A file whose
content cannot be shown is unusable until it changes; a failure its content
does not explain (memory, I/O) is tried again later with backoff and never
marks the file. Pure: the director passes in the time and carries out the
requests it returns.

Everything here costs in proportion to what changed: the watcher says which
slides changed, and the admitted catalogue is made from the last one by
`Catalogue.with_changes`. Only a listing without that news (a test, a config
that changes the selection) is compared name by name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from typing import Iterable

from kiosk.core.catalogue import Catalogue, Slide
from kiosk.core.frames import FrameKey, frame_key
from kiosk.core.layout import Layout
from kiosk.core.playlist import PlaylistSettings, entry_for
from kiosk.core.plaza import selected, selection

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


class Listed:
    """What this box shows of the folder's listing, by path; changed in place, by the render loop alone."""

    def __init__(self, slides: Iterable[Slide], problems: tuple[str, ...]) -> None:
        self.slides: dict[str, Slide] = {slide.path: slide for slide in slides}
        self.problems = problems

    def get(self, path: str) -> Slide | None:
        return self.slides.get(path)


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
        self.catalogue = selected(listed, settings)  # what the playlist draws from: admitted slides only
        # Of the listing, what this box shows (its role's selection), admitted or not.
        self.listed = Listed(self.catalogue.slides(), listed.problems)
        self.awaiting: dict[str, Slide] = {}  # new or changed pictures to decode first, oldest first
        self.admitting: set[FrameKey] = set()  # the few of them the worker has now
        self.retry: dict[str, Retry] = {}
        self.unusable: dict[str, Unusable] = {path: Unusable(version) for path, version in unusable.items()}
        self._unusable_now: set[str] | None = None  # of the catalogue's slides; kept between changes
        self._pending: dict[str, Slide | None] = {}  # changes to the admitted catalogue at the next settle
        self._listing: Catalogue | None = None  # `listed` as a catalogue, made when asked after a change

    # --- what the playlist may not choose ------------------------------------------

    def unusable_now(self) -> set[str]:
        """Listed slides known not to decode in their present version.

        Kept up to date between changes: with thousands of broken files,
        working it out at every pick cost 5 ms.
        """
        if self._unusable_now is None:
            self._unusable_now = {
                path for path, known in self.unusable.items()
                if (slide := self.listed.get(path)) is not None and slide.version == known.version
            }
        return self._unusable_now

    def not_now(self, now: float) -> set[str]:
        """Slides not to choose now: unusable in this version, or waiting for a retry."""
        unusable = self.unusable_now()
        if not self.retry:
            return unusable
        return unusable | {path for path, retry in self.retry.items() if retry.at > now}

    def listing(self) -> Catalogue:
        """What this box shows of the folder's listing, admitted or not, as a catalogue.

        A sync group's shared sequence is made from it: every box of the group
        lists the same published files, whatever each has found it cannot show.
        """
        if self._listing is None:
            self._listing = selected(self.everything, self.settings)
        return self._listing

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
        wanted = selection(settings)
        changed = [slide for slide in self.everything.slides()
                   if wanted(slide) and self.listed.get(slide.path) != slide]
        removed = [path for path, slide in self.listed.slides.items() if not wanted(slide)]
        return self._take(changed, removed, self.everything.problems)

    def listed_changed(self, everything: Catalogue, changed: Iterable[Slide] | None = None,
                       removed: Iterable[str] | None = None) -> list[str]:
        """Takes the watcher's new listing and what changed in it (compared here if not given);
        returns the paths whose prepared frames are now stale."""
        if changed is None or removed is None:
            changed, removed = differences(self.everything, everything)
        self.everything = everything
        return self._take(changed, removed, everything.problems)

    def _take(self, changed: Iterable[Slide], removed: Iterable[str], problems: tuple[str, ...]) -> list[str]:
        self._listing = None
        wanted = selection(self.settings)
        listed = self.listed.slides
        gone: list[str] = [path for path in removed if path in listed]
        stale: list[str] = []
        for slide in changed:
            if not wanted(slide):
                if slide.path in listed:
                    gone.append(slide.path)
                continue
            before = listed.get(slide.path)
            listed[slide.path] = slide
            self._unusable_now = None  # a new version of an unusable file may be fine
            waiting = self.awaiting.get(slide.path)
            if waiting is not None and waiting.version != slide.version:
                del self.awaiting[slide.path]
                waiting = None
            if before is not None and before.version == slide.version:
                if waiting is None and self.catalogue.get(slide.path) is not None:
                    self._pending[slide.path] = slide  # its sidecar changed: no new decode needed
                continue
            known = self.unusable.get(slide.path)
            if known is not None and known.version == slide.version:
                if self.catalogue.get(slide.path) is not None:
                    self._pending[slide.path] = None
                continue
            if waiting is not None:
                continue
            self.awaiting[slide.path] = slide
            stale.append(slide.path)
        for path in gone:
            del listed[path]
            self.awaiting.pop(path, None)
            self.unusable.pop(path, None)
            self.retry.pop(path, None)
            self._pending[path] = None
            self._unusable_now = None
            stale.append(path)
            log.info("removed %s", path)
        if problems != self.listed.problems:
            known_problems = set(self.listed.problems)
            for problem in problems:
                if problem not in known_problems:
                    log.warning("%s", problem)
            self.listed.problems = problems
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
            self._pending[key.path] = self.listed.get(key.path)
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
            if self.catalogue.get(key.path) is not None:
                self._pending[key.path] = None  # its earlier version leaves too: the file is this one now

    def mark_unusable(self, path: str, version: tuple[int, int], reason: str) -> None:
        """Skips this version of the file until it changes, with one log line."""
        if self.unusable.get(path) != Unusable(version, reason):
            log.warning("skipping %s: %s", path, reason)
        self.unusable[path] = Unusable(version, reason)
        self.retry.pop(path, None)
        listed = self.listed.get(path)
        if listed is not None and listed.version == version and self.catalogue.get(path) is not None:
            self._pending[path] = None  # leaves the rotation at the next settle
        if self._unusable_now is not None:  # kept up to date: thousands of failures in a row must stay cheap
            slide = self.listed.get(path)
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
        """Makes the admitted catalogue once for all the changes just taken; True if it changed."""
        if not self._pending:
            return False
        pending, self._pending = self._pending, {}
        upsert = [slide for slide in pending.values() if slide is not None]
        remove = [path for path, slide in pending.items() if slide is None and self.catalogue.get(path) is not None]
        if not remove and all(self.catalogue.get(slide.path) == slide for slide in upsert):
            return False
        self.catalogue = self.catalogue.with_changes(upsert, remove, self.listed.problems)
        self._unusable_now = None
        log.debug("rotation now has %d contribute and %d answer slides",
                  self.catalogue.count("contribute"), self.catalogue.count("answer"))
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


def differences(before: Catalogue, after: Catalogue) -> tuple[list[Slide], list[str]]:
    """The slides new or changed in `after`, and the paths it no longer has: name by name."""
    changed = [slide for slide in after.slides() if before.get(slide.path) != slide]
    removed = [slide.path for slide in before.slides() if after.get(slide.path) is None]
    return changed, removed
