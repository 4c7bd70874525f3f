"""The slides lined up: the one chosen to come next, the few after it, and the frames they need.

Part of the show's decisions (kiosk.core.director): choosing the next slide
from the rotation, asking the worker for its frame and, within half the
frame cache, for the frames of the slides planned after it. Pure: it
returns the requests as effects.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any, Callable

from kiosk.core.admission import Admission
from kiosk.core.config import Config
from kiosk.core.effects import HoldWorker, Notify, PrepareSurface, ReleaseWorker, RequestFrame
from kiosk.core.frames import FrameCache, FrameKey, frame_key
from kiosk.core.layout import Layout
from kiosk.core.playlist import Entry, Rotation, plan, playlist_settings
from kiosk.core.plaza import active_overrides, choose
from kiosk.core.priority import Priority

log = logging.getLogger(__name__)

PREFETCH_SLIDES = 3  # slides prepared ahead of the next one, within half the frame cache
HISTORY_LENGTH = 20  # slides remembered for the "previous" key
# The decode worker starts no new job this close to a prepared slide's due moment: its
# Python parts (caption layout) hold the interpreter, and the first frame must not wait.
HOLD_BEFORE_DUE_SECONDS = 0.15
# Without decoding.cache_megabytes: the next frame and one ahead. The frame on screen is a surface
# by then and goes first when room is needed (a "previous" key decodes it again).
CACHE_FRAMES = 2


def cache_bytes(config: Config, layout: Layout | None) -> int:
    """The frame cache's size: as configured, or room for CACHE_FRAMES frames of the panel."""
    if config.decoding.cache_megabytes is not None:
        return config.decoding.cache_megabytes * 1024 * 1024
    return CACHE_FRAMES * (layout.frame_bytes if layout is not None else 1920 * 1080 * 4)


@dataclass
class Upcoming:
    """The slide chosen to come next, and the rotation once it has started."""

    entry: Entry
    rotation: Rotation
    key: FrameKey
    due: float  # monotonic time it should begin to appear
    due_wall: dt.datetime
    requested_at: float
    warned_slow: bool = False
    out_of_turn: bool = False  # chosen by a key or by content coming back, not by the clock
    prepared: bool = False  # its surface was made during the hold, so the due moment only draws


@dataclass
class OnScreen:
    """The slide on screen, since when."""

    entry: Entry
    key: FrameKey
    started: float
    started_wall: dt.datetime
    taken_down: bool = False  # withdrawn from the folder while on screen: the next slide was brought forward
    record: dict | None = None  # its play-log line, until it has left the screen


class Lineup:
    """The next slide and the frames asked for; the frame cache they go into."""

    def __init__(self, config: Config, content: Admission) -> None:
        self.config = config
        self.content = content
        self.cache = FrameCache(cache_bytes(config, None))
        self.layout: Layout | None = None
        self.upcoming: Upcoming | None = None
        self.ahead: set[FrameKey] = set()  # frames asked for ahead of the next slide, until they arrive
        self.asked: set[FrameKey] = set()  # frames the worker has been asked for and not answered
        self.paused_remaining: float | None = None  # seconds left on the paused slide
        self.paused_at: float | None = None  # when the pause began (monotonic)
        self.history: collections.deque[Entry] = collections.deque(maxlen=HISTORY_LENGTH)  # for "previous"
        self.held_for_due = False  # the worker held just before the next slide is due

    def keep(self) -> tuple[FrameKey, ...]:
        """The frames the cache must not give up for another: the next slide's."""
        return (self.upcoming.key,) if self.upcoming is not None else ()

    def request(self, key: FrameKey, priority: Priority) -> list[Any]:
        self.asked.add(key)
        return [RequestFrame(key, priority)]

    def answered(self, key: FrameKey) -> None:
        self.asked.discard(key)

    def choose(self, rotation: Rotation, due: float, due_wall: dt.datetime, now: float,
               request: bool = True, prefetch: bool = True, out_of_turn: bool = False,
               entry: Entry | None = None) -> list[Any]:
        """Chooses the slide due at `due` (or shows `entry` again) and asks for its frame unless told not to."""
        assert self.layout is not None
        if entry is None:
            entry, rotation = self.chooser()(
                rotation, self.content.catalogue, playlist_settings(self.config), due_wall, self.content.not_now(now),
            )
        self.upcoming = Upcoming(entry, rotation, frame_key(entry, self.layout), due, due_wall, now,
                                 out_of_turn=out_of_turn)
        return self.request_upcoming(now, prefetch) if request else []

    def chooser(self) -> Callable[..., tuple[Entry, Rotation]]:
        """`choose`, with a sync group's sequence made from the content as listed, admitted or not."""
        if not self.config.playlist.sync_group:
            return choose
        return functools.partial(choose, listed=self.content.listing())

    def request_upcoming(self, now: float, prefetch: bool = True) -> list[Any]:
        """Asks for the next frame, then the few after it."""
        upcoming = self.upcoming
        if upcoming is None:
            return []
        effects: list[Any] = []
        if upcoming.key not in self.cache:
            upcoming.requested_at = now
            effects += self.request(upcoming.key, Priority.NEXT)
        if prefetch:
            effects += self.prefetch(now)
        return effects

    def prefetch(self, now: float) -> list[Any]:
        """Requests the frames of the slides after the next one, in plan order.

        What the cache holds beyond the next frame is the budget (the next
        frame is never evicted for one prepared ahead, and the frame on screen,
        a surface already, goes first); the plan is a hint, and a content
        change only costs the work done for it.
        """
        upcoming = self.upcoming
        if upcoming is None or self.layout is None:
            return []
        frame_bytes = self.layout.frame_bytes
        budget = self.cache.max_bytes - frame_bytes
        start = upcoming.due_wall + dt.timedelta(seconds=upcoming.entry.seconds)
        planned, _rotation = plan(
            upcoming.rotation, self.content.catalogue, playlist_settings(self.config), start, PREFETCH_SLIDES,
            self.content.not_now(now), self.config.schedule.timetable, chooser=self.chooser(),
        )
        effects: list[Any] = []
        for item in planned:
            if budget < frame_bytes:
                break
            key = frame_key(item.entry, self.layout)
            if key == upcoming.key or key in self.cache:
                continue
            self.ahead.add(key)
            effects += self.request(key, Priority.AHEAD)
            budget -= frame_bytes
        return effects

    def failed(self, key: FrameKey, shown: Rotation, now: float, request: bool) -> list[Any]:
        """A frame failed: if it was the next slide's, choose again; if planned ahead, plan again."""
        upcoming = self.upcoming
        if upcoming is not None and upcoming.key == key:
            # Choose again from the rotation before the failed pick, without it. No
            # prefetch plan for each such pick: thousands of broken files in a row
            # would each cost one, and the plan is made again when a slide starts.
            # The bag goes on from the failed pick (it stays skipped), so a run of broken
            # files costs one step each, not a new shuffle of every answer; the pattern
            # (answers since the last contribute slide) is the one before it.
            base = dataclasses.replace(
                upcoming.rotation,
                last_answer=shown.last_answer,
                last_contribute=shown.last_contribute,
                answers_since_contribute=shown.answers_since_contribute,
            )
            return self.choose(base, upcoming.due, upcoming.due_wall, now, request=request, prefetch=False)
        if key in self.ahead:
            # A slide planned ahead cannot be shown: plan again now, so broken files are
            # found and passed over while the picture stands still, not when they are due.
            self.ahead.discard(key)
            if request:
                return self.prefetch(now)
        return []

    def reconsider(self, rotation: Rotation, fallback_on_screen: bool, now: float, wall: dt.datetime,
                   request: bool) -> list[Any]:
        """After a content change: chooses again if the next slide is gone, changed or a needless fallback."""
        upcoming = self.upcoming
        if upcoming is None:
            return []
        entry, catalogue = upcoming.entry, self.content.catalogue
        # A sync group's slide may be listed and not yet admitted: it is stale only if the listing changed it.
        current = (self.content.listing() if self.config.playlist.sync_group else catalogue).get(entry.path)
        overriding = bool(active_overrides(catalogue, wall)) and entry.kind != "override"
        stale = (
            overriding
            or (entry.is_fallback and len(catalogue) > 0)
            or (not entry.is_fallback and (current is None or current.version != entry.version
                                           or current.meta.caption != entry.caption))
        )
        if not stale:
            return []
        due, due_wall = upcoming.due, upcoming.due_wall
        if overriding or (fallback_on_screen and len(catalogue) > 0):
            # An override (or content after the fallback card) shows as soon as it is ready.
            due, due_wall = now, wall
        return self.choose(rotation, due, due_wall, now, request=request)

    def next_is_ready(self) -> bool:
        upcoming = self.upcoming
        return upcoming is not None and self.paused_remaining is None and upcoming.key in self.cache

    def hold_before_due(self, now: float) -> list[Any]:
        """Holds the worker just before a prepared slide is due; lets it go if that changes."""
        upcoming = self.upcoming
        want = self.next_is_ready() and upcoming is not None and upcoming.due - now <= HOLD_BEFORE_DUE_SECONDS
        if want == self.held_for_due:
            return []
        self.held_for_due = want
        return [HoldWorker()] if want else [ReleaseWorker()]

    def withdrawn(self, on_screen: OnScreen | None) -> bool:
        """Whether the slide on screen just left the folder (once: it is then marked taken down)."""
        if on_screen is None or on_screen.entry.is_fallback or on_screen.taken_down:
            return False
        if self.content.listed.get(on_screen.entry.path) is not None:
            return False
        on_screen.taken_down = True
        log.info("%s was withdrawn while on screen: the next slide now", on_screen.entry.path)
        return True

    # --- keys ----------------------------------------------------------------------------

    def bring_forward(self, now: float) -> list[Any]:
        """The next slide now (the "next" key, a takedown), out of turn; it also ends a pause."""
        if self.upcoming is not None:
            self.paused_remaining = self.paused_at = None
            self.upcoming.due = now
            self.upcoming.out_of_turn = True
        return []

    def previous(self, rotation: Rotation, now: float, wall: dt.datetime) -> list[Any]:
        """The slide before this one again, now; the rotation itself does not go back."""
        if len(self.history) < 2 or self.layout is None:
            return []
        self.history.pop()  # the slide on screen
        entry = self.history.pop()
        log.info("key: previous slide %s", entry.path)
        self.paused_remaining = self.paused_at = None
        return self.choose(rotation, now, wall, now, out_of_turn=True, entry=entry)

    def toggle_pause(self, now: float) -> list[Any]:
        """Holds the slide on screen (its time left is kept), or lets it go on."""
        if self.paused_remaining is None:
            if self.upcoming is None:
                return []
            self.paused_remaining = max(0.0, self.upcoming.due - now)
            self.paused_at = now
            log.info("key: paused")
            return [Notify("status", "paused")]
        self.resume(now)
        log.info("key: resumed")
        return []

    def end_pause_if_over(self, now: float, longest: float) -> list[Any]:
        """Ends a pause that has lasted `longest` seconds: a key pressed once never holds the screen for good."""
        if self.paused_remaining is None or self.paused_at is None or now - self.paused_at < longest:
            return []
        log.info("the pause ended by itself after %.0f s (display.pause_seconds)", now - self.paused_at)
        self.resume(now)
        return [Notify("status", "resumed")]

    def drop_pause(self) -> None:
        """Forgets a pause (the screen turned off: the slide it held is gone)."""
        self.paused_remaining = self.paused_at = None

    def resume(self, now: float) -> None:
        """Ends a pause: the slide keeps the time it had left."""
        if self.upcoming is not None and self.paused_remaining is not None:
            self.upcoming.due = now + self.paused_remaining
        self.paused_remaining = self.paused_at = None

    def prepare_surface(self, on_screen: OnScreen | None) -> list[Any]:
        """The next slide's frame becomes a surface while the picture stands still.

        A copy of 8 MB (33 MB at 4K) taken at the due moment would delay the
        slide's first frame by that much.
        """
        upcoming = self.upcoming
        if upcoming is None or upcoming.prepared:
            return []
        if on_screen is not None and on_screen.key == upcoming.key:
            return []
        frame = self.cache.get(upcoming.key)
        if frame is None:
            return []
        upcoming.prepared = True
        return [PrepareSurface(frame)]
