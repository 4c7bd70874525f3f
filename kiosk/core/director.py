"""The show's decisions: what comes next and when, what a key does, what the schedule and content changes do.

The director holds the show's state. The render loop passes it what
happened (a message from another thread, a key, the passing of time) with
the monotonic time and the wall-clock time, and gets back a list of effects
(kiosk.core.effects) to carry out. It never touches the screen, a file or a
thread, so tests drive it with plain data and a fake clock.

It owns the config and the rotation, and asks its parts through their
methods: the admitted content (kiosk.core.admission), the frames asked for
and held (kiosk.core.prepared), the slide lined up next (kiosk.core.lineup),
the slides on screen (kiosk.core.stage), the schedule's hours
(kiosk.core.offhours) and the helpers' health (kiosk.core.showstatus).

The next slide is chosen and its frame requested as soon as the current
one starts, so decoding happens during the hold, never during a fade.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Callable

from kiosk.core.admission import Admission
from kiosk.core.catalogue import Catalogue
from kiosk.core.config import NEEDS_RESTART, Config, config_changes
from kiosk.core.effects import ConfigureWorker, Effect, Notify, Redraw, RunDisplayCommand
from kiosk.core.keys import Keys
from kiosk.core.lineup import Lineup, Upcoming
from kiosk.core.messages import ConfigChanged, ContentChanged, FrameFailed, FrameReady, SyncDone
from kiosk.core.offhours import OffHours
from kiosk.core.playlist import playlist_settings
from kiosk.core.prepared import Prepared, cache_bytes
from kiosk.core.priority import Priority
from kiosk.core.rotation import SavedState
from kiosk.core.showstatus import Health, ShowState
from kiosk.core.stage import OnScreen, Stage

log = logging.getLogger(__name__)

IDLE_WAKE_SECONDS = 0.25  # how often a still picture checks keys and signals
OFF_WAKE_SECONDS = 0.25  # the same while the schedule has the screen off


class Director:
    """Decides what the screen shows; `kiosk.app.show.Show` carries out its effects."""

    def __init__(self, config: Config, listed: Catalogue, saved: SavedState, slide_folder: Path,
                 zones: Callable[[str], dt.tzinfo] | None = None, fleet: dict[str, Any] | None = None,
                 trust: dict[str, Any] | None = None) -> None:
        self.config = config
        self.zones = zones  # schedule.timezone -> its zone, "" the box's own: kiosk.boundary.clock.zone_named
        self.slide_folder = slide_folder  # fixed at start, like the watcher
        self.content = Admission(listed, saved.unusable, playlist_settings(config))
        self.frames = Prepared(cache_bytes(config, None))
        self.lineup = Lineup(self.content, self.frames, config.schedule.timetable)
        self.stage = Stage()
        self.rotation = saved.rotation
        self.hours = OffHours()
        self.keys = Keys()
        self.health = Health(config, fleet, trust)
        self.announced_ready = False

    @property
    def catalogue(self) -> Catalogue:
        return self.content.catalogue

    @property
    def upcoming(self) -> Upcoming | None:
        return self.lineup.upcoming

    @property
    def on_screen(self) -> OnScreen | None:
        return self.stage.on_screen

    @property
    def paused_remaining(self) -> float | None:
        """Seconds left on the paused slide; None when not paused."""
        return self.lineup.paused_remaining

    @property
    def fading(self) -> bool:
        return self.stage.fading

    @property
    def zone(self) -> dt.tzinfo | None:
        """The schedule's zone, with its DST rules (without `zones`, the process's own)."""
        return self.zones(self.config.schedule.timezone) if self.zones else None

    def local(self, wall: dt.datetime) -> dt.datetime:
        return wall.astimezone(self.zone)

    def snapshot(self) -> ShowState:
        """The state the status and the info overlay tell (kiosk.core.showstatus)."""
        shown, content, counts = self.stage.on_screen, self.content, self.stage.counts
        return ShowState(
            self.config.box.name, self.config.box.role, self.zone,
            self.hours.screen_on, self.paused_remaining is not None,
            None if shown is None else shown.entry, None if shown is None else shown.started_wall,
            content.catalogue, len(content.awaiting), content.unusable_now(), content.unusable, content.retry,
            content.listed.problems, counts.slides_shown, dict(counts.by_kind), counts.last_fade_fps,
            self.health.state(),
        )

    # --- start and end --------------------------------------------------------------

    def open(self, panel: tuple[int, int], pixel_format: str, now: float, wall: dt.datetime,
             clock_trusted: bool = True) -> list[Effect]:
        """The screen is open: choose the first slide, or start dark if the schedule says so."""
        self.frames.fit(self.config, panel, pixel_format)
        wall = self.local(wall)
        self.hours.follow(self.config.schedule, wall, clock_trusted, self.catalogue)
        if self.hours.screen_on:
            return self._choose_upcoming(now, wall, now)
        effects = self.hours.go_dark(self.config.schedule, wall, now, self.stage, self.lineup)
        effects.append(Notify("ready", self.hours.status(self.config.schedule, wall)))
        self.announced_ready = True
        return effects

    def close(self, now: float) -> list[Effect]:
        """The show ends (a stop, a signal, the exit-after time): the slides on screen leave it now."""
        return self.stage.close(now)

    # --- the passing of time ------------------------------------------------------

    def advance(self, now: float, wall: dt.datetime, clock_trusted: bool = True) -> list[Effect]:
        """One pass of the loop: follow the schedule, draw the fade, start the next slide when due."""
        wall = self.local(wall)
        effects = self._follow_schedule(now, wall, clock_trusted)
        if not self.hours.screen_on:
            return effects
        if self.stage.fading:
            return effects + self._draw_fade(now, wall)
        effects += self.lineup.end_pause_if_over(now, self.config.display.pause_seconds)
        if self.paused_remaining is None:
            effects += self._start_upcoming_if_due(now, wall)
        if not self.stage.fading:
            on_screen = self.stage.on_screen
            effects += self.lineup.prepare_surface(on_screen.key if on_screen is not None else None)
            effects += self.lineup.hold_before_due(now)
        return effects

    def wait_seconds(self, now: float) -> float:
        """How long the loop may sleep on its inbox before the next pass."""
        return self.lineup.wait_seconds(now, IDLE_WAKE_SECONDS) if self.hours.screen_on else OFF_WAKE_SECONDS

    def _start_upcoming_if_due(self, now: float, wall: dt.datetime) -> list[Effect]:
        upcoming = self.upcoming
        if upcoming is None or now < upcoming.due:
            return []
        frame = self.frames.get(upcoming.key)
        if frame is None:
            return self.lineup.still_waiting(now)
        timing = self.config.timing
        seconds = timing.transition_seconds if timing.transition == "fade" else 0.0
        self.rotation = upcoming.rotation
        saved = SavedState(self.rotation, self.content.versions())
        effects = self.stage.begin(upcoming, frame, saved, not self.announced_ready, now, wall, seconds, self.lineup,
                                   sound=self.config.display.audio)
        self.announced_ready = True
        due, due_wall = next_due(upcoming, now, wall, in_step=bool(self.config.playlist.sync_group))
        return effects + self._choose_upcoming(due, due_wall, now)

    def _draw_fade(self, now: float, wall: dt.datetime) -> list[Effect]:
        effects = self.stage.draw_fade(now)
        if self.stage.fading:
            return effects
        effects += self.lineup.request_upcoming(now)
        # A key pressed during the fade, or a takedown (which no `display.keys` stops), acts now.
        waiting = self.keys.waiting()
        return effects if waiting is None else effects + self._act(waiting, now, wall)

    def _choose_upcoming(self, due: float, due_wall: dt.datetime, now: float) -> list[Effect]:
        """Chooses the next slide from the rotation; its frame is asked for now, or when a fade ends."""
        return self.lineup.choose(self.rotation, due, due_wall, now, request=not self.stage.fading)

    # --- messages -------------------------------------------------------------------

    def receive(self, message: object, now: float, wall: dt.datetime) -> list[Effect]:
        """One message from another thread. Call `settle()` after a batch of them."""
        wall = self.local(wall)
        if isinstance(message, (FrameReady, FrameFailed)):
            key = message.frame.key if isinstance(message, FrameReady) else message.key
            self.frames.answered(key)
            if self.hours.is_off_slide(key):
                return self.hours.off_slide_arrived(message, self.frames)
        if isinstance(message, FrameReady):
            upcoming = self.upcoming
            # A frame decoded only to admit its file is kept only if it evicts nothing the show prepared.
            self.frames.arrived(message.frame, spare=self.content.decoded(message.frame.key),
                                keep=upcoming.key if upcoming is not None else None)
            return []
        if isinstance(message, FrameFailed):
            self.content.failed(message.key, message.reason, message.passing, now)
            shown = self.stage.on_screen
            return self.lineup.failed(message.key, self.rotation, now, not self.stage.fading,
                                      shown.key if shown is not None else None)
        if isinstance(message, ContentChanged):
            for path in self.content.listed_changed(message.catalogue, message.changed, message.removed):
                self.frames.forget(path)
            return []
        if isinstance(message, ConfigChanged):
            self.health.fleet_changed(message.fleet)
            return self._config_changed(message.config, now)
        if isinstance(message, SyncDone):
            return self.health.sync_done(message, wall)
        log.warning("ignoring unknown message %r", message)
        return []

    def settle(self, now: float, wall: dt.datetime) -> list[Effect]:
        """After a batch of messages: rebuild the catalogue once, and feed the worker new files."""
        effects = self._take_down(now)
        if self.content.settle():
            fallback_on_screen = self.on_screen is not None and self.on_screen.entry.is_fallback
            effects += self.lineup.reconsider(self.rotation, fallback_on_screen, now, self.local(wall),
                                              request=not self.stage.fading)
        layout = self.frames.layout
        if layout is not None:
            for key in self.content.to_decode(layout, self.content.settings, now):
                effects += self.frames.request(key, Priority.ADMIT)
        return effects

    def _take_down(self, now: float) -> list[Effect]:
        """A slide withdrawn from the folder while on screen fades out at once, not at the end of its time."""
        if not self.stage.withdrawn(self.content.listed):
            return []
        if not self.stage.fading:
            return self.lineup.bring_forward(now)
        self.keys.after_fade("next")
        return []

    def _config_changed(self, config: Config, now: float) -> list[Effect]:
        changes = config_changes(self.config, config)
        if not changes:
            return []
        for key, before, after in changes:
            later = " (takes effect at the next start)" if key in NEEDS_RESTART else ""
            log.info("config changed: %s: %r -> %r%s", key, before, after, later)
        self.config = config
        effects: list[Effect] = [ConfigureWorker(self.slide_folder, config.captions.font, config.decoding.max_pixels)]
        for path in self.content.reselect(playlist_settings(config)):
            self.frames.forget(path)
        self.frames.fit(config)
        self.lineup.use_timetable(config.schedule.timetable)
        if not config.display.keys:
            # Nobody can press a key to undo a pause or hide the overlay any more: both end now.
            if self.paused_remaining is not None:
                log.info("operator keys turned off: the pause ends")
                self.lineup.resume(now)
            if self.keys.hide_info() and self.on_screen is not None and not self.stage.fading:
                effects.append(Redraw())
        upcoming = self.upcoming
        if upcoming is not None:
            # From the next slide on: the one on screen keeps its time.
            effects += self._choose_upcoming(upcoming.due, upcoming.due_wall, now)
        return effects

    # --- keys ---------------------------------------------------------------------------

    def quits(self, name: str) -> bool:
        """Whether this key or window event ends the show: the window closed, or Ctrl+Q with the keys on."""
        return self.keys.quits(name, self.config.display.keys)

    def key(self, name: str, now: float, wall: dt.datetime) -> list[Effect]:
        """A key press or window event: next, previous, pause, info or redraw (`quits()` decides the rest)."""
        acted = self.keys.accept(name, self.config.display.keys, self.stage.fading)
        return [] if acted is None else self._act(acted, now, wall)

    def _act(self, name: str, now: float, wall: dt.datetime) -> list[Effect]:
        if name == "next":
            log.info("key: next slide")
            return self.lineup.bring_forward(now)
        if name == "previous":
            entry = self.stage.previous()
            return [] if entry is None else self.lineup.show_again(entry, self.rotation, now, self.local(wall))
        if name == "pause":
            effects = self.lineup.toggle_pause(now)
            self.health.pause_changed(self.paused_remaining is not None, self.local(wall))
            return effects
        if name in ("info", "redraw"):
            return [Redraw()] if self.on_screen is not None and not self.stage.fading else []
        return []

    # --- the schedule -----------------------------------------------------------------

    def _follow_schedule(self, now: float, wall: dt.datetime, clock_trusted: bool) -> list[Effect]:
        """Turns the screen off and on at the scheduled minutes."""
        if not self.hours.follow(self.config.schedule, wall, clock_trusted, self.catalogue):
            return []
        if not self.hours.screen_on:
            return self.hours.go_dark(self.config.schedule, wall, now, self.stage, self.lineup)
        log.info("schedule: screen on")  # the rotation goes on where it stopped, starting exactly now
        return [RunDisplayCommand(self.config.schedule.display_on_command, "display-on"),
                *self._choose_upcoming(now, wall, now)]

def next_due(upcoming: Upcoming, now: float, wall: dt.datetime, in_step: bool) -> tuple[float, dt.datetime]:
    """When the slide after `upcoming`, which began to appear at `now` (`wall`), is due.

    One full duration after it began to appear; or, in step with a sync
    group, at the moment of the wall clock reached from its planned start,
    unless a key or content brought it out of turn.
    """
    seconds = dt.timedelta(seconds=upcoming.entry.seconds)
    if in_step and not upcoming.out_of_turn:
        due_wall = upcoming.due_wall + seconds
        return now + (due_wall - wall).total_seconds(), due_wall
    return now + upcoming.entry.seconds, wall + seconds
