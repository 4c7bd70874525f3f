"""The show's decisions: what comes next and when, what a key does, what the schedule and content changes do.

The director holds the show's state. The render loop passes it what
happened (a message from another thread, a key, the passing of time) with
the monotonic time and the wall-clock time, and gets back a list of effects
(kiosk.core.effects) to carry out. It never touches the screen, a file or a
thread, so tests drive it with plain data and a fake clock.

The next slide is chosen and its frame requested as soon as the current
one starts, so decoding happens during the hold, never during a fade.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.core.admission import Admission
from kiosk.core.catalogue import Catalogue
from kiosk.core.config import NEEDS_RESTART, Config, config_changes
from kiosk.core.effects import (
    Blend, ConfigureWorker, EndFade, HoldWorker, Notify, Present, PublishStatus, RecordSlide, Redraw,
    ReleaseWorker, RunDisplayCommand, SlideBegan, SlideLeft,
)
from kiosk.core.journal import left_time
from kiosk.core.layout import Layout
from kiosk.core.lineup import HOLD_BEFORE_DUE_SECONDS, Lineup, OnScreen, Upcoming, cache_bytes
from kiosk.core.offhours import OffHours
from kiosk.core.messages import ConfigChanged, ContentChanged, FrameFailed, FrameReady, SyncDone
from kiosk.core.playlist import SavedState, play_record, playlist_settings
from kiosk.core.plaza import active_overrides
from kiosk.core.priority import Priority
from kiosk.core.showstatus import Health

log = logging.getLogger(__name__)

IDLE_WAKE_SECONDS = 0.25  # how often a still picture checks keys and signals
OFF_WAKE_SECONDS = 0.25  # the same while the schedule has the screen off
SLOW_DECODE_SECONDS = 5.0

Effects = list[Any]

# What a keyboard plugged into the box may do, and only with `display.keys: true`: on a public
# plaza a passer-by could otherwise hold the show, or put the box's own state on the screen.
OPERATOR_KEYS = frozenset({"next", "previous", "pause", "info", "quit"})


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


class Director:
    """Decides what the screen shows; `kiosk.app.show.Show` carries out its effects."""

    def __init__(self, config: Config, listed: Catalogue, saved: SavedState, slide_folder: Path,
                 local_zone: dt.tzinfo | None = None) -> None:
        self.config = config
        self.local_zone = local_zone
        self.slide_folder = slide_folder  # fixed at start, like the watcher
        self.content = Admission(listed, saved.unusable, playlist_settings(config))
        self.lineup = Lineup(config, self.content)
        self.rotation = saved.rotation
        self.panel: tuple[int, int] = (0, 0)
        self.pixel_format = "RGB"
        self.on_screen: OnScreen | None = None
        self.leaving: OnScreen | None = None  # the slide fading out under the one on screen
        self.fade: Fade | None = None
        self.hours = OffHours(config)
        self.info_visible = False
        self.counts = ShowCounts()
        self.health = Health(config)
        self.announced_ready = False
        self._deferred_key: str | None = None
        self._said_keys_off = False

    @property
    def catalogue(self) -> Catalogue:
        return self.content.catalogue

    @property
    def upcoming(self) -> Upcoming | None:
        return self.lineup.upcoming

    @property
    def paused_remaining(self) -> float | None:
        """Seconds left on the paused slide; None when not paused."""
        return self.lineup.paused_remaining

    @property
    def screen_on(self) -> bool:
        return self.hours.screen_on

    @property
    def fading(self) -> bool:
        return self.fade is not None

    def local(self, wall: dt.datetime) -> dt.datetime:
        """The wall-clock time in the schedule's zone (the box's own, with its DST rules, if none is set)."""
        return wall.astimezone(self.config.schedule.zone or self.local_zone)

    # --- start --------------------------------------------------------------------

    def open(self, panel: tuple[int, int], pixel_format: str, now: float, wall: dt.datetime,
             clock_trusted: bool = True) -> Effects:
        """The screen is open: choose the first slide, or start dark if the schedule says so."""
        self.panel, self.pixel_format = panel, pixel_format
        self.lineup.layout = Layout.from_config(self.config, panel, pixel_format)
        self.lineup.cache.max_bytes = cache_bytes(self.config, self.lineup.layout)
        wall = self.local(wall)
        self.hours.screen_on = self.hours.on_at(wall, clock_trusted) or self._override_wants_screen(wall)
        if self.hours.screen_on:
            return self._choose_upcoming(now, wall, now)
        effects = self._screen_off(wall, now)
        effects.append(Notify("ready", self.hours.status(wall)))
        self.announced_ready = True
        return effects

    # --- the passing of time ------------------------------------------------------

    def advance(self, now: float, wall: dt.datetime, clock_trusted: bool = True) -> Effects:
        """One pass of the loop: follow the schedule, draw the fade, start the next slide when due."""
        wall = self.local(wall)
        effects = self._follow_schedule(now, wall, clock_trusted)
        if not self.hours.screen_on:
            return effects
        if self.fade is not None:
            return effects + self._draw_fade(now, wall)
        effects += self.lineup.end_pause_if_over(now, self.config.display.pause_seconds)
        if self.paused_remaining is None:
            effects += self._start_upcoming_if_due(now, wall)
        if self.fade is None:
            effects += self.lineup.prepare_surface(self.on_screen)
            effects += self.lineup.hold_before_due(now)
        return effects

    def wait_seconds(self, now: float) -> float:
        """How long the loop may sleep on its inbox before the next pass."""
        if not self.hours.screen_on:
            return OFF_WAKE_SECONDS
        wait = IDLE_WAKE_SECONDS
        upcoming = self.upcoming
        if upcoming is not None and self.paused_remaining is None and upcoming.due > now:
            # Due later: sleep until then (and wake to hold the worker just before). Due already
            # but not prepared: its frame arrives as a message, which wakes the wait.
            wait = min(wait, upcoming.due - now)
            hold_at = upcoming.due - HOLD_BEFORE_DUE_SECONDS - now
            if hold_at > 0 and not self.lineup.held_for_due and self.lineup.next_is_ready():
                wait = min(wait, hold_at)
        return wait

    def close(self, now: float) -> Effects:
        """The show ends (a stop, a signal, the exit-after time): the slides on screen leave it now."""
        return self._left(self.leaving, now) + self._left(self.on_screen, now)

    def _left(self, shown: OnScreen | None, now: float) -> Effects:
        """A slide has left the screen: its play-log line is written, with the moment (once)."""
        if shown is None or shown.record is None:
            return []
        record, shown.record = shown.record, None
        return [SlideLeft(record["time"], record["path"], left_time(shown.started_wall, shown.started, now))]

    # --- messages -------------------------------------------------------------------

    def receive(self, message: object, now: float, wall: dt.datetime) -> Effects:
        """One message from another thread. Call `settle()` after a batch of them."""
        wall = self.local(wall)
        if isinstance(message, (FrameReady, FrameFailed)):
            key = message.frame.key if isinstance(message, FrameReady) else message.key
            self.lineup.answered(key)
            if self.hours.is_off_slide(key):
                return self.hours.off_slide_arrived(message, self.lineup)
        if isinstance(message, FrameReady):
            key = message.frame.key
            if self.content.decoded(key):
                self.lineup.cache.put_spare(message.frame)  # kept only if it evicts nothing the show prepared
            else:
                self.lineup.cache.put(message.frame, keep=self.lineup.keep())
            self.lineup.ahead.discard(key)
            return []
        if isinstance(message, FrameFailed):
            return self._frame_failed(message, now)
        if isinstance(message, ContentChanged):
            for path in self.content.listed_changed(message.catalogue, message.changed, message.removed):
                self.lineup.cache.discard_path(path)
            return []
        if isinstance(message, ConfigChanged):
            if message.fleet is not None:
                self.health.fleet = message.fleet
            return self._config_changed(message.config, now)
        if isinstance(message, SyncDone):
            return self.health.sync_done(message, wall)
        log.warning("ignoring unknown message %r", message)
        return []

    def settle(self, now: float, wall: dt.datetime) -> Effects:
        """After a batch of messages: rebuild the catalogue once, and feed the worker new files."""
        effects: Effects = self._take_down(now)
        if self.content.settle():
            fallback_on_screen = self.on_screen is not None and self.on_screen.entry.is_fallback
            effects += self.lineup.reconsider(self.rotation, fallback_on_screen, now, self.local(wall),
                                              request=self.fade is None)
        if self.lineup.layout is not None:
            for key in self.content.to_decode(self.lineup.layout, playlist_settings(self.config), now):
                effects += self.lineup.request(key, Priority.ADMIT)
        return effects

    def _take_down(self, now: float) -> Effects:
        """A slide withdrawn from the folder while on screen fades out at once, not at the end of its time."""
        if not self.lineup.withdrawn(self.on_screen):
            return []
        if self.fade is None:
            return self.lineup.bring_forward(now)
        self._deferred_key = "next"
        return []

    def _frame_failed(self, failed: FrameFailed, now: float) -> Effects:
        self.content.failed(failed.key, failed.reason, failed.passing, now)
        return self.lineup.failed(failed.key, self.rotation, now, request=self.fade is None)

    def _config_changed(self, config: Config, now: float) -> Effects:
        changes = config_changes(self.config, config)
        if not changes:
            return []
        for key, before, after in changes:
            later = " (takes effect at the next start)" if key in NEEDS_RESTART else ""
            log.info("config changed: %s: %r -> %r%s", key, before, after, later)
        self.config = self.lineup.config = self.hours.config = config
        effects: Effects = [ConfigureWorker(self.slide_folder, config.captions.font, config.decoding.max_pixels)]
        for path in self.content.reselect(playlist_settings(config)):
            self.lineup.cache.discard_path(path)
        layout = Layout.from_config(config, self.panel, self.pixel_format)
        self.lineup.cache.max_bytes = cache_bytes(config, layout)
        if layout != self.lineup.layout:
            self.lineup.layout = layout
            self.lineup.cache.clear()
        if not config.display.keys:
            effects += self._keys_turned_off(now)
        upcoming = self.upcoming
        if upcoming is not None:
            # From the next slide on: the one on screen keeps its time.
            effects += self._choose_upcoming(upcoming.due, upcoming.due_wall, now)
        return effects

    def _keys_turned_off(self, now: float) -> Effects:
        """Nobody can press a key to undo a pause or hide the overlay any more: both end now."""
        effects: Effects = []
        if self.paused_remaining is not None:
            log.info("operator keys turned off: the pause ends")
            self.lineup.resume(now)
        if self.info_visible:
            self.info_visible = False
            if self.on_screen is not None and self.fade is None:
                effects.append(Redraw())
        return effects

    # --- keys ---------------------------------------------------------------------------

    def quits(self, name: str) -> bool:
        """Whether this key or window event ends the show: the window closed, or Ctrl+Q with the keys on."""
        return name == "close" or (name == "quit" and self.config.display.keys)

    def key(self, name: str, now: float, wall: dt.datetime) -> Effects:
        """A key press or window event: next, previous, pause, info or redraw (`quits()` decides the rest)."""
        if name in OPERATOR_KEYS and not self.config.display.keys:
            if not self._said_keys_off:
                log.info("a key was pressed; operator keys are off (display.keys), so it is ignored (said once)")
                self._said_keys_off = True
            return []
        if name in ("next", "previous") and self.fade is not None:
            self._deferred_key = name  # acted on when the fade ends: a key press is never lost
            return []
        if name == "redraw":
            return [Redraw()] if self.on_screen is not None and self.fade is None else []
        if name == "next":
            log.info("key: next slide")
            return self.lineup.bring_forward(now)
        if name == "previous":
            return self.lineup.previous(self.rotation, now, self.local(wall))
        if name == "pause":
            effects = self.lineup.toggle_pause(now)
            self.health.pause_changed(self.paused_remaining is not None, self.local(wall))
            return effects
        if name == "info":
            self.info_visible = not self.info_visible
            return [Redraw()] if self.on_screen is not None and self.fade is None else []
        return []

    # --- the schedule -----------------------------------------------------------------

    def _follow_schedule(self, now: float, wall: dt.datetime, clock_trusted: bool) -> Effects:
        """Turns the screen off and on at the scheduled minutes."""
        on = self.hours.on_at(wall, clock_trusted) or self._override_wants_screen(wall)
        if on == self.hours.screen_on:
            return []
        self.hours.screen_on = on
        if not on:
            return self._screen_off(wall, now)
        log.info("schedule: screen on")
        effects: Effects = [RunDisplayCommand(self.config.schedule.display_on_command, "display-on")]
        # The rotation goes on where it stopped, starting exactly now.
        return effects + self._choose_upcoming(now, wall, now)

    def _override_wants_screen(self, wall: dt.datetime) -> bool:
        """Staff asked for an override to show even in the schedule's off hours (`off_hours: true`)."""
        return any(slide.meta.off_hours for slide in active_overrides(self.content.catalogue, wall))

    def _screen_off(self, wall: dt.datetime, now: float) -> Effects:
        effects: Effects = self._left(self.leaving, now) + self._left(self.on_screen, now)
        if self.fade is not None or self.lineup.held_for_due:
            effects.append(ReleaseWorker())
        self.lineup.held_for_due = False
        self.lineup.drop_pause()
        self.fade = None
        self.lineup.upcoming = None
        self.on_screen = self.leaving = None
        effects += self.hours.off_slide(self.lineup)
        status = self.hours.status(wall)
        log.info("schedule: %s", status)
        effects.append(Notify("status", status))
        effects.append(RunDisplayCommand(self.config.schedule.display_off_command, "display-off"))
        return effects

    def _choose_upcoming(self, due: float, due_wall: dt.datetime, now: float) -> Effects:
        """Chooses the next slide from the rotation; its frame is asked for now, or when a fade ends."""
        return self.lineup.choose(self.rotation, due, due_wall, now, request=self.fade is None)

    def _start_upcoming_if_due(self, now: float, wall: dt.datetime) -> Effects:
        upcoming = self.upcoming
        if upcoming is None or now < upcoming.due:
            return []
        frame = self.lineup.cache.get(upcoming.key)
        if frame is None:
            waited = now - upcoming.requested_at
            if waited > SLOW_DECODE_SECONDS and not upcoming.warned_slow:
                log.warning("%s is still being prepared after %.1f s", upcoming.entry.path, waited)
                upcoming.warned_slow = True
            # Evicted before it was shown: asked again.
            return [] if upcoming.key in self.lineup.asked else self.lineup.request(upcoming.key, Priority.NEXT)
        first = not self.announced_ready
        effects: Effects = []
        previous = self.on_screen
        if previous is None or previous.key != upcoming.key:
            # (The same picture again, a lone slide or the fallback, needs no drawing.)
            timing = self.config.timing
            seconds = timing.transition_seconds if timing.transition == "fade" else 0.0
            effects.append(Present(frame, seconds, from_blank=previous is None))
            if seconds > 0:
                # The slide before stays on screen, fading out, until the fade ends.
                effects += self._left(self.leaving, now)
                self.leaving, previous = previous, None
                self.fade = Fade(now, seconds)
                if not self.lineup.held_for_due:
                    effects.append(HoldWorker())
                self.lineup.held_for_due = False  # the fade holds it now, until it ends
                effects += self._draw_fade(now, wall)
        if self.lineup.held_for_due:
            self.lineup.held_for_due = False  # a cut, or the same picture again: the worker may go on
            effects.append(ReleaseWorker())
        effects += self._left(previous, now)  # a cut, or the same picture again: it left as this one began
        entry = upcoming.entry
        record = play_record(wall, entry.path, entry.kind, entry.seconds)
        self.on_screen = OnScreen(upcoming.entry, upcoming.key, now, wall, record=record)
        self.rotation = upcoming.rotation
        effects.append(RecordSlide(SavedState(self.rotation, self.content.versions()), record, first))
        self.counts.started(entry.kind)
        if not first and not upcoming.out_of_turn:
            # Due at the previous start plus its seconds. The first slide has no previous
            # one (its delay is start-up time), and a key press brings a slide forward.
            effects.append(SlideBegan(upcoming.due))
        self.lineup.history.append(entry)
        log.debug("showing %s (%s, %.1f s)", entry.path, entry.kind, entry.seconds)
        effects.append(Notify("ready" if first else "status", f"showing {entry.path}"))
        self.announced_ready = True
        effects.append(PublishStatus())
        if self.config.playlist.sync_group and not upcoming.out_of_turn:
            # In step with the group: the next slot begins at a moment of the wall clock,
            # reached from this slide's planned start, not from when it began to appear.
            due_wall = upcoming.due_wall + dt.timedelta(seconds=entry.seconds)
            due = now + (due_wall - wall).total_seconds()
            return effects + self._choose_upcoming(due, due_wall, now)
        # The next slide is due one full duration after this one began to appear.
        return effects + self._choose_upcoming(now + entry.seconds, wall + dt.timedelta(seconds=entry.seconds), now)

    def _draw_fade(self, now: float, wall: dt.datetime) -> Effects:
        fade = self.fade
        assert fade is not None
        progress = (now - fade.started) / fade.seconds
        fade.frames += 1
        if progress < 1.0:
            return [Blend(progress)]
        self.fade = None
        self.counts.last_fade_fps = fade.frames / max(now - fade.started, 1e-6)
        effects: Effects = [EndFade(), ReleaseWorker()] + self._left(self.leaving, now)
        self.leaving = None
        effects += self.lineup.request_upcoming(now)
        if self._deferred_key is not None:
            name, self._deferred_key = self._deferred_key, None
            effects += self.key(name, now, wall)
        return effects
