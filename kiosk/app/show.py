"""The render loop: the one owner of the screen, carrying out what the director decides.

Each pass it passes the director what happened (keys, messages from the
other threads, the time) and carries out the effects it gets back: draw,
fade, ask the decode worker for frames, record the slide start, tell
systemd. Between passes it sleeps on its inbox, so a still picture costs
no CPU and a message wakes it at once. What to show and when is decided in
kiosk.core.director, which tests drive without a screen.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import queue
import time
from typing import Any, Callable, Protocol

from kiosk.boundary.clock import system_zone
from kiosk.boundary.notify import SystemdNotifier
from kiosk.boundary.playlog import PlayLog
from kiosk.boundary.power import DisplayPower
from kiosk.boundary.state import RotationStore, SlideRecorder
from kiosk.core.catalogue import Catalogue
from kiosk.core.config import Config
from kiosk.core.director import Director
from kiosk.core.effects import (
    Blend, ConfigureWorker, EndFade, HoldWorker, Notify, PrepareSurface, Present, PublishStatus, RecordSlide,
    Redraw, ReleaseWorker, RequestFrame, RunDisplayCommand, ShowStill, SlideBegan, SlideLeft,
)
from kiosk.core.framestats import FrameStats
from kiosk.core.frames import FrameKey
from kiosk.core.playlist import Entry, SavedState
from kiosk.core.priority import Priority
from kiosk.core.showstatus import overlay_lines, show_status

log = logging.getLogger(__name__)

STATS_LOG_SECONDS = 60  # frame statistics go to the log once a minute
STATUS_SECONDS = 10  # and to status.json at least this often
DRAIN_SECONDS = 0.02  # messages handled per pass at most for this long, so keys, signals and the watchdog still come
CLOCK_CHECK_SECONDS = 10.0  # how often the system clock is asked whether NTP has set it


class ScreenLike(Protocol):
    """What the loop needs of a screen (kiosk.boundary.display.Screen, or a test's fake)."""

    def open(self) -> tuple[int, int]: ...
    @property
    def pixel_format(self) -> str: ...
    def surface_for(self, frame: Any) -> Any: ...
    def blank(self, colour: tuple[int, int, int]) -> Any: ...
    def show(self, surface: Any, overlay: list[str] | None = None) -> None: ...
    def blend(self, old: Any, new: Any, progress: float, overlay: list[str] | None = None) -> None: ...
    def poll_input(self) -> list[str]: ...
    def close(self) -> None: ...


class WorkerLike(Protocol):
    def request(self, key: FrameKey, priority: Priority = Priority.NEXT) -> None: ...
    def busy_for(self) -> tuple[str, float] | None: ...
    def hold(self) -> None: ...
    def release(self) -> None: ...
    def configure(self, slide_folder: Any, font: Any, max_pixels: int) -> None: ...


class RecorderLike(Protocol):
    def slide_started(self, state: SavedState, record: dict) -> None: ...
    def slide_left(self, time: str, path: str, left: str) -> None: ...


def local_now() -> dt.datetime:
    """The wall-clock time in the box's zone, with its offset."""
    return dt.datetime.now().astimezone()


class ClockWatch:
    """Whether the wall clock may turn the screen off: not before NTP has set it (asked every 10 s)."""

    def __init__(self, probe: Callable[[], bool | None]) -> None:
        self.probe = probe
        self.known: bool | None = None  # None: cannot tell
        self._asked_at: float | None = None
        self._warned = False

    def trusted(self, now: float) -> bool:
        if self._asked_at is None or now - self._asked_at >= CLOCK_CHECK_SECONDS:
            self._asked_at, self.known = now, self.probe()
            if self.known is False and not self._warned:
                log.warning("the system clock is not synchronised yet; the schedule will not turn the screen off "
                            "until it is")
                self._warned = True
            elif self.known is not False and self._warned:
                log.info("the system clock is synchronised; the schedule applies")
                self._warned = False
        return self.known is not False


class Show:
    """Runs the slideshow on a screen until stopped."""

    def __init__(
        self,
        config: Config,
        screen: ScreenLike,
        worker: WorkerLike,
        inbox: "queue.Queue[object]",
        catalogue: Catalogue,
        store: RotationStore,
        play_log: PlayLog,
        seed: int,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = local_now,
        sleep: Callable[[float], None] = time.sleep,
        notifier: SystemdNotifier | None = None,
        status_writer: Any = None,
        recorder: RecorderLike | None = None,
        clock_synchronised: Callable[[], bool | None] = lambda: True,
        fleet: dict | None = None,
        screenshots: Any = None,
    ) -> None:
        self.director = Director(config, catalogue, store.load(seed), config.slides.folder, system_zone())
        self.director.health.fleet = fleet
        self.screen = screen
        self.worker = worker
        self.inbox = inbox
        self.store = store
        self.play_log = play_log
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.notifier = notifier or SystemdNotifier({})
        self.status_writer = status_writer
        self.screenshots = screenshots  # kiosk.boundary.screenshot.ScreenshotWriter: what was presented
        # Written in place unless the caller runs a recorder thread (kiosk run does).
        self.recorder: RecorderLike = recorder or SlideRecorder(store, play_log)
        self.power = DisplayPower()
        self.clock_watch = ClockWatch(clock_synchronised)
        self.frame_stats = FrameStats(1.0 / config.display.max_fps)
        self.frames_drawn = 0
        self.thread_status: Callable[[], dict] = dict  # the helper threads' health, for status.json
        self.started_at = clock()
        self._next_stats_log = self.started_at + STATS_LOG_SECONDS
        self._next_status = self.started_at
        self._stop_requested = False
        self._ended = False
        self._on_first_slide: list[Callable[[Entry], None]] = []
        self._blank: Any = None
        self._current: Any = None  # the surface on screen
        self._fade_from: Any = None
        self._prepared: tuple[FrameKey, Any] | None = None  # the next slide's surface, made during the hold

    # --- control -----------------------------------------------------------

    def stop(self) -> None:
        """Asks the loop to end after the current pass (safe from a signal handler)."""
        if not self._stop_requested:
            self.notifier.stopping()
        self._stop_requested = True

    def on_first_slide(self, callback: Callable[[Entry], None]) -> None:
        self._on_first_slide.append(callback)

    def mark_unusable(self, path: str, version: tuple[int, int], reason: str) -> None:
        """Skips this version of the file until it changes (kiosk run: a file that killed the last run)."""
        self.director.content.mark_unusable(path, version, reason)

    @property
    def slides_shown(self) -> int:
        return self.director.counts.slides_shown

    # --- the loop ------------------------------------------------------------

    def open(self) -> None:
        """Opens the screen and chooses the first slide; `run()` calls it, tests may too."""
        panel = self.screen.open()
        director = self.director
        config = director.config
        log.info(
            "showing %d contribute and %d answer slides on a %dx%d panel (video driver %s, rotation %d)",
            director.catalogue.count("contribute"), director.catalogue.count("answer"), panel[0], panel[1],
            getattr(self.screen, "driver", "?"), config.display.rotation,
        )
        self._blank = self._current = self.screen.blank(config.display.background)
        self.screen.show(self._blank)
        now = self.clock()
        self._carry_out(director.open(panel, self.screen.pixel_format, now, self.wall_clock(),
                                      self.clock_watch.trusted(now)))

    def run(self, exit_after: float | None = None) -> None:
        self.open()
        deadline = None if exit_after is None else self.clock() + exit_after
        try:
            while not self._stop_requested:
                if deadline is not None and self.clock() >= deadline:
                    log.info("exit-after time reached; stopping")
                    break
                self.step(deadline)
        finally:
            self._ended = True
            self._carry_out(self.director.close(self.clock()))  # the slide on screen leaves it now
            self._publish_status()  # the last status says the kiosk stopped (kiosk_up 0)
            self.power.stop()
            self.screen.close()

    def step(self, deadline: float | None = None) -> None:
        """One pass: keys and messages to the director, its effects carried out, then a wait."""
        director = self.director
        self._carry_out(director.health.check_worker(self.worker.busy_for()))
        # Pinged from the loop itself: if the loop hangs, or the worker is stuck on
        # one picture, systemd restarts the kiosk.
        if not director.health.worker_stuck:
            self.notifier.ping_watchdog()
        self._report_periodically()
        for key in self.screen.poll_input():
            if director.quits(key):
                log.info("quit requested from the keyboard or window")
                self.stop()
            else:
                self._carry_out(director.key(key, self.clock(), self.wall_clock()))
        self._drain_inbox()
        now = self.clock()
        self._carry_out(director.advance(now, self.wall_clock(), self.clock_watch.trusted(now)))
        if director.fading:
            self.sleep(max(0.0, 1.0 / director.config.display.max_fps - (self.clock() - now)))
            return
        wait = director.wait_seconds(now)
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - now))
        self._wait_for_message(wait)

    # --- messages ------------------------------------------------------------

    def _wait_for_message(self, timeout: float) -> None:
        try:
            message = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return
        self._receive(message)
        self._carry_out(self.director.settle(self.clock(), self.wall_clock()))

    def _drain_inbox(self) -> None:
        """Handles waiting messages for at most DRAIN_SECONDS; the rest wait for the next pass.

        Without the bound, a worker failing file after file (20,000 broken
        pictures) keeps the inbox full, and the loop would never get back to
        the watchdog, the keys or a stop request.
        """
        deadline = self.clock() + DRAIN_SECONDS
        while True:
            try:
                message = self.inbox.get_nowait()
            except queue.Empty:
                break
            self._receive(message)
            if self.clock() >= deadline:
                break
        self._carry_out(self.director.settle(self.clock(), self.wall_clock()))

    def _receive(self, message: object) -> None:
        self._carry_out(self.director.receive(message, self.clock(), self.wall_clock()))

    # --- effects ---------------------------------------------------------------

    def _carry_out(self, effects: list[Any]) -> None:
        for effect in effects:
            self._do(effect)

    def _do(self, effect: Any) -> None:  # noqa: C901 - one branch per kind of effect
        if isinstance(effect, RequestFrame):
            self.worker.request(effect.key, effect.priority)
        elif isinstance(effect, PrepareSurface):
            if self._prepared is None or self._prepared[0] != effect.frame.key:
                self._prepared = (effect.frame.key, self.screen.surface_for(effect.frame))
        elif isinstance(effect, Present):
            self._present(effect)
        elif isinstance(effect, Blend):
            self.screen.blend(self._fade_from, self._current, effect.progress, self._overlay())
            self._drawn(in_fade=True)
        elif isinstance(effect, EndFade):
            self.screen.show(self._current, self._overlay())
            self._drawn(in_fade=True)
            self.frame_stats.fade_ended()
            self._fade_from = None
        elif isinstance(effect, Redraw):
            self.screen.show(self._current, self._overlay())
        elif isinstance(effect, ShowStill):
            self._prepared = None
            self._current = self._blank if effect.frame is None else self.screen.surface_for(effect.frame)
            self.screen.show(self._current)
            if self.screenshots is not None:
                self.screenshots.presented(effect.frame)
        elif isinstance(effect, HoldWorker):
            self.worker.hold()
        elif isinstance(effect, ReleaseWorker):
            self.worker.release()
        elif isinstance(effect, ConfigureWorker):
            self.worker.configure(effect.slide_folder, effect.font, effect.max_pixels)
        elif isinstance(effect, RecordSlide):
            self.recorder.slide_started(effect.state, effect.record)
            if effect.first:
                for callback in self._on_first_slide:
                    callback(self.director.on_screen.entry)  # type: ignore[union-attr]
        elif isinstance(effect, SlideLeft):
            self.recorder.slide_left(effect.time, effect.path, effect.left)
        elif isinstance(effect, SlideBegan):
            self.frame_stats.slide_started(effect.due, self.clock())
        elif isinstance(effect, Notify):
            (self.notifier.ready if effect.kind == "ready" else self.notifier.status)(effect.text)
            if effect.kind == "ready":
                # What the start made (20,000 slides' worth) lives as long as the show: the cycle
                # collector need not walk it again, which at that size took a frame or two each time.
                gc.freeze()
        elif isinstance(effect, RunDisplayCommand):
            self.power.run(effect.command, effect.purpose)
        elif isinstance(effect, PublishStatus):
            self._publish_status()
        else:
            raise TypeError(f"unknown effect {effect!r}")

    def _present(self, present: Present) -> None:
        """A slide begins: its surface (made during the hold if it could be), cut or faded to."""
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared[0] == present.frame.key:
            surface = prepared[1]
        else:
            surface = self.screen.surface_for(present.frame)
        self._fade_from = self._blank if present.from_blank else self._current
        self._current = surface
        if present.fade_seconds <= 0:
            self.screen.show(surface, self._overlay())
            self._drawn(in_fade=False)
        if self.screenshots is not None:
            self.screenshots.presented(present.frame)  # written on its own thread

    def _drawn(self, in_fade: bool) -> None:
        self.frames_drawn += 1
        self.frame_stats.frame(self.clock(), in_fade=in_fade)

    def _overlay(self) -> list[str] | None:
        if not self.director.info_visible:
            return None
        return overlay_lines(self.director, self.clock() - self.started_at)

    # --- monitoring ---------------------------------------------------------------

    def _report_periodically(self) -> None:
        now = self.clock()
        if now >= self._next_stats_log:
            self._next_stats_log = now + STATS_LOG_SECONDS
            log.info("%s", self.frame_stats.log_line())
        if now >= self._next_status:
            self._publish_status()

    def _publish_status(self) -> None:
        self._next_status = self.clock() + STATUS_SECONDS
        if self.status_writer is not None:
            self.status_writer.update(self.status())

    def status(self) -> dict:
        """Everything status.json says, as plain data."""
        status = show_status(self.director, self.clock() - self.started_at, self.wall_clock())
        status.update(
            running=not self._ended,
            frames=self.frame_stats.summary(),
            threads=self.thread_status(),
            clock_synchronised=self.clock_watch.known,
            state_problems=[problem for problem in (
                getattr(self.store, "problem", None), getattr(self.play_log, "problem", None),
                getattr(self.status_writer, "problem", None), getattr(self.screenshots, "problem", None),
            ) if problem],
        )
        return status
