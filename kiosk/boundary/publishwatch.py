"""`kiosk publish --watch`: publishes now, then again whenever the source folder changes.

It watches the folder as the kiosk does (kiosk.boundary.folderwatch): a
notification names a path to look at again, a timer lists the folder whole,
and only files that have settled (seen unchanged across two looks, whatever
their modification time says) are published, so a photo still being copied
into the central folder never reaches a box. A source folder that goes
missing (an unmounted share) publishes nothing until it is back: an empty
manifest would take every slide off every screen.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from kiosk.boundary.folder import Listing
from kiosk.boundary.folderwatch import FolderWatch
from kiosk.boundary.publish import publish
from kiosk.boundary.staticsite import current_manifest, signature_due
from kiosk.core.catalogue import FileInfo
from kiosk.core.errors import PublishError
from kiosk.core.sections import default

if TYPE_CHECKING:
    from kiosk.boundary.signing import Signer
    from kiosk.picture.rendition import RenditionSettings

log = logging.getLogger(__name__)


class PublishWatcher(FolderWatch):
    """Publishes the source folder's settled files whenever they change, and signs again before the
    manifest expires."""

    thread_name = "publish-watcher"
    kept_while_missing = True

    def __init__(self, source: Path, site: Path, grace_seconds: float,
                 settle_seconds: float = default("slides.settle_seconds"),
                 rescan_seconds: float = default("slides.rescan_seconds"), clock: Callable[[], float] = time.monotonic,
                 renditions: RenditionSettings | None = None, signer: Signer | None = None,
                 wall: Callable[[], float] = time.time) -> None:
        """`wall` is the wall clock in seconds, for the manifest's times. The files' modification times
        do not count: a file whose time is old (a copy that sets it before its last byte, a share whose
        clock is off) must still be seen unchanged across two looks."""
        super().__init__(source, "native", settle_seconds, rescan_seconds, clock, wall_clock=None)
        self.signer, self.wall = signer, wall
        self.renditions = renditions
        self.source, self.site, self.grace_seconds = source, site, grace_seconds
        self._published: list[FileInfo] | None = None  # None: not yet; the first round publishes all

    def poll_once(self, root_checked: bool = False, full: bool = True) -> None:
        if self._published is None:
            # What is in the folder at the start is taken as complete, as `kiosk publish` would.
            self._published = sorted(self.start_listing().files, key=lambda f: f.path)
            self._publish(self._published)
            log.info("watching %s; publishing to %s", self.source, self.site)
            return
        super().poll_once(root_checked, full)

    def tick(self, woken: bool) -> None:
        if self._published is None:
            self.poll_once()
        else:
            super().tick(woken)

    def _looked(self, listing: Listing, full: bool) -> None:
        self.settler.take_changes()  # the settled files are compared whole
        settled = sorted(self.settler.settled(), key=lambda f: f.path)
        # A watch that runs for weeks signs again before the manifest expires.
        due = self.signer is not None and signature_due(*current_manifest(self.site), self.signer, self.wall())
        if settled != self._published or due:
            self._publish(settled)
            self._published = settled

    def _publish(self, files: list[FileInfo]) -> None:
        """One publish: a folder every box would refuse is explained, and left unpublished."""
        try:
            publish(self.source, self.site, self.grace_seconds, files, self.wall, renditions=self.renditions,
                    signer=self.signer)
        except PublishError as exc:
            for problem in exc.problems:
                log.error("not published: %s", problem)
            log.error("the last good version stays published until what is named above is fixed")

    def _seconds_to_next_round(self) -> float:
        return 0.0 if self._published is None else super()._seconds_to_next_round()
