"""The slides on screen: the one showing, the one fading out under it, the fade between them.

Part of the show's decisions (kiosk.core.director): presenting the slide
that is due, drawing the fade, recording when each slide began and when it
left the screen (its play-log line's `left`), and the slides shown before
(for the "previous" key). Pure: it returns effects.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.admission import Listed
from kiosk.core.effects import (
    Blend, Effect, EndFade, Notify, PlayVideo, Present, PublishStatus, RecordSlide, ReleaseWorker, SlideBegan,
    SlideLeft,
)
from kiosk.core.frames import Frame, FrameKey
from kiosk.core.journal import left_time
from kiosk.core.lineup import Lineup, Upcoming
from kiosk.core.playlist import Entry, play_record
from kiosk.core.rotation import SavedState

log = logging.getLogger(__name__)

HISTORY_LENGTH = 20  # slides remembered for the "previous" key


@dataclass
class OnScreen:
    """The slide on screen, since when."""

    entry: Entry
    key: FrameKey
    started: float
    started_wall: dt.datetime
    taken_down: bool = False  # withdrawn from the folder while on screen: the next slide was brought forward
    record: dict[str, Any] | None = None  # its play-log line, until it has left the screen


@dataclass
class Fade:
    started: float
    seconds: float
    frames: int = 0


@dataclass
class ShowCounts:
    """What the show has done since it started, for the status and the info overlay."""

    slides_shown: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    last_fade_fps: float = 0.0

    def started(self, kind: str) -> None:
        self.slides_shown += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


class Stage:
    """What the screen shows of the rotation, and the fade in progress."""

    def __init__(self) -> None:
        self.on_screen: OnScreen | None = None
        self.leaving: OnScreen | None = None  # the slide fading out under the one on screen
        self.fade: Fade | None = None
        self.counts = ShowCounts()
        self._history: collections.deque[Entry] = collections.deque(maxlen=HISTORY_LENGTH)  # for "previous"

    @property
    def fading(self) -> bool:
        return self.fade is not None

    def begin(self, upcoming: Upcoming, frame: Frame, saved: SavedState, first: bool, now: float,
              wall: dt.datetime, fade_seconds: float, lineup: Lineup, sound: bool = False) -> list[Effect]:
        """The slide due begins: cut or faded to, the one it replaces leaves (at once, or as the fade ends),
        and its start is recorded with the rotation `saved` (systemd hears "ready" with the `first`). A video's
        sound plays where the box has `sound` (display.audio) and its sidecar asks for it."""
        effects: list[Effect] = []
        previous = self.on_screen
        if previous is None or previous.key != upcoming.key:
            # (The same picture again, a lone slide or the fallback, needs no drawing.)
            effects.append(Present(frame, fade_seconds, from_blank=previous is None))
            if fade_seconds > 0:
                # The slide before stays on screen, fading out, until the fade ends.
                effects += self.left(self.leaving, now)
                self.leaving, previous = previous, None
                self.fade = Fade(now, fade_seconds)
                effects += lineup.hold_for_fade()
                effects += self.draw_fade(now)
        if upcoming.key.video is not None:
            # Its first frame is on screen (presented above, or still there); it moves once the fade is over,
            # counted from the moment due, not from when this ran. In a sync group, from the moment the
            # group's slot began on the wall clock, even if this box came in later (it started, or its
            # content came, mid-slot); every box then shows the same frame.
            into = upcoming.entry.into
            joined = False
            if into is not None and not upcoming.out_of_turn:
                starts = upcoming.due - into
                joined = into > fade_seconds  # the group's clock for it was already running
            else:
                starts = upcoming.due if not first and not upcoming.out_of_turn else now
            effects.append(PlayVideo(upcoming.key, starts + fade_seconds, sound=sound and upcoming.key.video.audio,
                                     joined=joined))
        effects += lineup.release_hold_for_due()  # a cut, or the same picture again: the worker may go on
        effects += self.left(previous, now)  # a cut, or the same picture again: it left as this one began
        entry = upcoming.entry
        record = play_record(wall, entry.path, entry.kind, entry.seconds)
        self.on_screen = OnScreen(entry, upcoming.key, now, wall, record=record)
        effects.append(RecordSlide(saved, record))
        self.counts.started(entry.kind)
        if not first and not upcoming.out_of_turn:
            # Due at the previous start plus its seconds. The first slide has no previous
            # one (its delay is start-up time), and a key press brings a slide forward.
            effects.append(SlideBegan(upcoming.due))
        self._history.append(entry)
        log.debug("showing %s (%s, %.1f s)", entry.path, entry.kind, entry.seconds)
        effects.append(Notify("ready" if first else "status", f"showing {entry.path}"))
        effects.append(PublishStatus())
        return effects

    def previous(self) -> Entry | None:
        """The slide shown before the one on screen (the "previous" key), taken from the history."""
        if len(self._history) < 2:
            return None
        self._history.pop()  # the slide on screen
        entry = self._history.pop()
        log.info("key: previous slide %s", entry.path)
        return entry

    def draw_fade(self, now: float) -> list[Effect]:
        """One frame of the fade; at its end the new slide alone, the worker released, the old slide gone."""
        fade = self.fade
        assert fade is not None
        progress = (now - fade.started) / fade.seconds
        fade.frames += 1
        if progress < 1.0:
            return [Blend(progress)]
        self.fade = None
        self.counts.last_fade_fps = fade.frames / max(now - fade.started, 1e-6)
        effects: list[Effect] = [EndFade(), ReleaseWorker(), *self.left(self.leaving, now)]
        self.leaving = None
        return effects

    def withdrawn(self, listed: Listed) -> bool:
        """Whether the slide on screen just left the folder (once: it is then marked taken down)."""
        on_screen = self.on_screen
        if on_screen is None or on_screen.entry.is_fallback or on_screen.taken_down:
            return False
        if listed.get(on_screen.entry.path) is not None:
            return False
        on_screen.taken_down = True
        log.info("%s was withdrawn while on screen: the next slide now", on_screen.entry.path)
        return True

    def close(self, now: float) -> list[Effect]:
        """The slides on screen leave it now (the show ends); they stay on the stage."""
        return self.left(self.leaving, now) + self.left(self.on_screen, now)

    def clear(self, now: float) -> list[Effect]:
        """The screen goes dark: the slides on it leave, and a fade in progress ends where it is."""
        effects = self.close(now)
        self.fade = None
        self.on_screen = self.leaving = None
        return effects

    @staticmethod
    def left(shown: OnScreen | None, now: float) -> list[Effect]:
        """A slide has left the screen: its play-log line is written, with the moment (once)."""
        if shown is None or shown.record is None:
            return []
        record, shown.record = shown.record, None
        return [SlideLeft(record["time"], record["path"], left_time(shown.started_wall, shown.started, now))]
