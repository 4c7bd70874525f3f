"""The slides lined up: the one chosen to come next, the few after it, and the frames they need.

Part of the show's decisions (kiosk.core.director): choosing the next slide
from the rotation, asking the worker for its frame and, within the frame
cache's room beside that frame, for the frames of the slides planned after it. The lineup owns
the slide chosen, a pause, and whether it holds the worker for the slide
due; the frames go through kiosk.core.prepared. Pure: it returns the
requests as effects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Callable

from kiosk.core.admission import Admission
from kiosk.core.effects import Effect, HoldWorker, Notify, PrepareSurface, ReleaseWorker
from kiosk.core.frames import FrameKey, frame_key
from kiosk.core.playlist import Entry, plan
from kiosk.core.plaza import active_overrides, choose
from kiosk.core.prepared import Prepared
from kiosk.core.priority import Priority
from kiosk.core.rotation import Rotation
from kiosk.core.schedule import Schedule

log = logging.getLogger(__name__)

PREFETCH_SLIDES = 3  # slides prepared ahead of the next one, within the cache's room beside the next frame
SLOW_DECODE_SECONDS = 5.0  # the slide due still has no frame after this long: said once
# The decode worker starts no new job this close to a prepared slide's due moment: its
# Python parts (caption layout) hold the interpreter, and the first frame must not wait.
HOLD_BEFORE_DUE_SECONDS = 0.15


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


class Lineup:
    """The next slide, the frames asked for it and after it, and what holds it back."""

    def __init__(self, content: Admission, frames: Prepared, timetable: Schedule) -> None:
        self.content = content  # the admitted slides, and the playlist settings they were selected with
        self.frames = frames
        self._timetable = timetable  # no slide planned ahead starts while the schedule has the screen off
        self._upcoming: Upcoming | None = None
        self._paused_remaining: float | None = None  # seconds left on the paused slide
        self._paused_at: float | None = None  # when the pause began (monotonic)
        self._held_for_due = False  # the worker held just before the next slide is due

    @property
    def upcoming(self) -> Upcoming | None:
        return self._upcoming

    @property
    def paused_remaining(self) -> float | None:
        """Seconds left on the paused slide; None when not paused."""
        return self._paused_remaining

    def use_timetable(self, timetable: Schedule) -> None:
        """The schedule the slides planned ahead follow (a config change)."""
        self._timetable = timetable

    # --- choosing --------------------------------------------------------------------

    def choose(self, rotation: Rotation, due: float, due_wall: dt.datetime, now: float,
               request: bool = True, prefetch: bool = True, out_of_turn: bool = False,
               entry: Entry | None = None) -> list[Effect]:
        """Chooses the slide due at `due` (or shows `entry` again) and asks for its frame unless told not to."""
        assert self.frames.layout is not None
        if entry is None:
            entry, rotation = _chooser(self.content)(
                rotation, self.content.catalogue, self.content.settings, due_wall, self.content.not_now(now),
            )
        self._upcoming = Upcoming(entry, rotation, frame_key(entry, self.frames.layout), due, due_wall, now,
                                  out_of_turn=out_of_turn)
        return self.request_upcoming(now, prefetch) if request else []

    def request_upcoming(self, now: float, prefetch: bool = True) -> list[Effect]:
        """Asks for the next frame, then the few after it."""
        upcoming = self._upcoming
        if upcoming is None:
            return []
        effects: list[Effect] = []
        if upcoming.key not in self.frames:
            upcoming.requested_at = now
            effects += self.frames.request(upcoming.key, Priority.NEXT)
        if prefetch:
            effects += self.prefetch(now)
        return effects

    def prefetch(self, now: float) -> list[Effect]:
        """Requests the frames of the slides after the next one, in plan order.

        What the cache holds beyond the next frame is the budget (the next
        frame is never evicted for one prepared ahead, and the frame on screen,
        a surface already, goes first); the plan is a hint, and a content
        change only costs the work done for it.
        """
        upcoming = self._upcoming
        if upcoming is None or self.frames.layout is None:
            return []
        frame_bytes = self.frames.layout.frame_bytes
        budget = self.frames.limit - frame_bytes
        start = upcoming.due_wall + dt.timedelta(seconds=upcoming.entry.seconds)
        planned, _rotation = plan(
            upcoming.rotation, self.content.catalogue, self.content.settings, start, PREFETCH_SLIDES,
            self.content.not_now(now), self._timetable, chooser=_chooser(self.content),
        )
        effects: list[Effect] = []
        for item in planned:
            if budget < frame_bytes:
                break
            key = frame_key(item.entry, self.frames.layout)
            if key == upcoming.key or key in self.frames:
                continue
            effects += self.frames.request(key, Priority.AHEAD)
            budget -= frame_bytes
        return effects

    def still_waiting(self, now: float) -> list[Effect]:
        """The slide due has no frame yet: said once if slow, and asked again if it was evicted before it showed."""
        upcoming = self._upcoming
        if upcoming is None:
            return []
        waited = now - upcoming.requested_at
        if waited > SLOW_DECODE_SECONDS and not upcoming.warned_slow:
            log.warning("%s is still being prepared after %.1f s", upcoming.entry.path, waited)
            upcoming.warned_slow = True
        return [] if self.frames.asked_for(upcoming.key) else self.frames.request(upcoming.key, Priority.NEXT)

    def failed(self, key: FrameKey, shown: Rotation, now: float, request: bool,
               on_screen: FrameKey | None = None) -> list[Effect]:
        """A frame failed: the next slide's, choose again; planned ahead, plan again; on screen, the next now."""
        if key == on_screen:  # a video failing as it plays: never a frozen screen
            return self.bring_forward(now)
        upcoming = self._upcoming
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
        if self.frames.was_ahead(key) and request:
            # A slide planned ahead cannot be shown: plan again now, so broken files are
            # found and passed over while the picture stands still, not when they are due.
            # (was_ahead comes first: it forgets the frame as planned ahead, asked or not.)
            return self.prefetch(now)
        return []

    def reconsider(self, rotation: Rotation, fallback_on_screen: bool, now: float, wall: dt.datetime,
                   request: bool) -> list[Effect]:
        """After a content change: chooses again if the next slide is gone, changed or a needless fallback."""
        upcoming = self._upcoming
        if upcoming is None:
            return []
        entry, catalogue = upcoming.entry, self.content.catalogue
        # A sync group's slide may be listed and not yet admitted: it is stale only if the listing changed it.
        current = (self.content.listing() if self.content.settings.sync_group else catalogue).get(entry.path)
        overriding = bool(active_overrides(catalogue, wall)) and entry.kind != "override"
        stale = (
            overriding
            or (entry.is_fallback and len(catalogue) > 0)
            or (not entry.is_fallback and (current is None or current.version != entry.version
                                           or (current.meta.caption, current.meta.lang) != (entry.caption, entry.lang)))
        )
        if not stale:
            return []
        due, due_wall = upcoming.due, upcoming.due_wall
        if overriding or (fallback_on_screen and len(catalogue) > 0):
            # An override (or content after the fallback card) shows as soon as it is ready.
            due, due_wall = now, wall
        return self.choose(rotation, due, due_wall, now, request=request)

    # --- holding the worker for the slide due ------------------------------------------

    def next_is_ready(self) -> bool:
        upcoming = self._upcoming
        return upcoming is not None and self._paused_remaining is None and upcoming.key in self.frames

    def hold_before_due(self, now: float) -> list[Effect]:
        """Holds the worker just before a prepared slide is due; lets it go if that changes."""
        upcoming = self._upcoming
        want = self.next_is_ready() and upcoming is not None and upcoming.due - now <= HOLD_BEFORE_DUE_SECONDS
        if want == self._held_for_due:
            return []
        self._held_for_due = want
        return [HoldWorker()] if want else [ReleaseWorker()]

    def hold_for_fade(self) -> list[Effect]:
        """A fade begins: it holds the worker now, until it ends (held already if the slide was due)."""
        effects: list[Effect] = [] if self._held_for_due else [HoldWorker()]
        self._held_for_due = False
        return effects

    def release_hold_for_due(self) -> list[Effect]:
        """The slide due has begun without a fade: the worker may go on."""
        if not self._held_for_due:
            return []
        self._held_for_due = False
        return [ReleaseWorker()]

    def wait_seconds(self, now: float, longest: float) -> float:
        """How long the loop may sleep, at most `longest`: until the next slide is due, or its hold."""
        wait = longest
        upcoming = self._upcoming
        if upcoming is not None and self._paused_remaining is None and upcoming.due > now:
            # Due later: sleep until then (and wake to hold the worker just before). Due already
            # but not prepared: its frame arrives as a message, which wakes the wait.
            wait = min(wait, upcoming.due - now)
            hold_at = upcoming.due - HOLD_BEFORE_DUE_SECONDS - now
            if hold_at > 0 and not self._held_for_due and self.next_is_ready():
                wait = min(wait, hold_at)
        return wait

    def stand_down(self) -> bool:
        """The screen turned off: nothing is due and no pause holds; True if the worker was held for the slide due."""
        held, self._held_for_due = self._held_for_due, False
        self._paused_remaining = self._paused_at = None
        self._upcoming = None
        return held

    # --- keys ----------------------------------------------------------------------------

    def bring_forward(self, now: float) -> list[Effect]:
        """The next slide now (the "next" key, a takedown), out of turn; it also ends a pause."""
        if self._upcoming is not None:
            self._paused_remaining = self._paused_at = None
            self._upcoming.due = now
            self._upcoming.out_of_turn = True
        return []

    def show_again(self, entry: Entry, rotation: Rotation, now: float, wall: dt.datetime) -> list[Effect]:
        """A slide shown before comes again now (the "previous" key); the rotation itself does not go back."""
        if self.frames.layout is None:
            return []
        self._paused_remaining = self._paused_at = None
        return self.choose(rotation, now, wall, now, out_of_turn=True, entry=entry)

    def toggle_pause(self, now: float) -> list[Effect]:
        """Holds the slide on screen (its time left is kept), or lets it go on."""
        if self._paused_remaining is None:
            if self._upcoming is None:
                return []
            self._paused_remaining = max(0.0, self._upcoming.due - now)
            self._paused_at = now
            log.info("key: paused")
            return [Notify("status", "paused")]
        self.resume(now)
        log.info("key: resumed")
        return []

    def end_pause_if_over(self, now: float, longest: float) -> list[Effect]:
        """Ends a pause that has lasted `longest` seconds: a key pressed once never holds the screen for good."""
        if self._paused_remaining is None or self._paused_at is None or now - self._paused_at < longest:
            return []
        log.info("the pause ended by itself after %.0f s (display.pause_seconds)", now - self._paused_at)
        self.resume(now)
        return [Notify("status", "resumed")]

    def resume(self, now: float) -> None:
        """Ends a pause: the slide keeps the time it had left."""
        if self._upcoming is not None and self._paused_remaining is not None:
            self._upcoming.due = now + self._paused_remaining
        self._paused_remaining = self._paused_at = None

    def prepare_surface(self, on_screen: FrameKey | None) -> list[Effect]:
        """The next slide's frame becomes a surface while the picture (`on_screen`) stands still.

        A copy of 8 MB (33 MB at 4K) taken at the due moment would delay the
        slide's first frame by that much.
        """
        upcoming = self._upcoming
        if upcoming is None or upcoming.prepared or on_screen == upcoming.key:
            return []
        frame = self.frames.get(upcoming.key)
        if frame is None:
            return []
        upcoming.prepared = True
        return [PrepareSurface(frame)]


def _chooser(content: Admission) -> Callable[..., tuple[Entry, Rotation]]:
    """`choose`, with a sync group's sequence made from the content as listed, admitted or not."""
    if not content.settings.sync_group:
        return choose
    return functools.partial(choose, listed=content.listing())
