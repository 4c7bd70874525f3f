"""The render loop: the one owner of the screen and of what it shows.

Each pass it drains its inbox (frames from the decode worker, later also
content and config changes), decides from the clock whether a slide is due
or a fade is running, draws only then, and otherwise sleeps on the inbox.
The next slide is chosen and its frame requested as soon as the current one
starts, so decoding happens during the hold, never during a fade.
"""

from __future__ import annotations

import collections
import dataclasses
import heapq
import datetime as dt
import logging
import queue
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from kiosk import __version__
from kiosk.core.catalogue import Catalogue, Slide
from kiosk.boundary.clock import system_zone
from kiosk.boundary.commands import DisplayCommands
from kiosk.core.layout import Layout
from kiosk.core.config import NEEDS_RESTART, Config, config_changes
from kiosk.core.frames import FrameCache, FrameKey, frame_key
from kiosk.core.playlist import Entry, Rotation, entry_for, next_entry, plan, playlist_settings
from kiosk.boundary.notify import SystemdNotifier
from kiosk.boundary.playlog import PlayLog, play_record
from kiosk.boundary.state import RotationStore, SavedState, SlideRecorder
from kiosk.core.framestats import FrameStats
from kiosk.core.messages import ConfigChanged, ContentChanged, FrameFailed, FrameReady, SyncDone
from kiosk.core.priority import Priority

log = logging.getLogger(__name__)

IDLE_WAKE_SECONDS = 0.25  # how often a still picture checks keys and signals
OFF_WAKE_SECONDS = 0.25  # the same while the schedule has the screen off
HISTORY_LENGTH = 20  # slides remembered for the "previous" key
STATS_LOG_SECONDS = 60  # frame statistics go to the log once a minute
STATUS_SECONDS = 10  # and to status.json at least this often
PREFETCH_SLIDES = 3  # slides prepared ahead of the next one, within half the frame cache
SLOW_DECODE_SECONDS = 5.0
STATUS_LIST_LIMIT = 100  # files named in status.json per list; the counts say how many in all
ADMIT_IN_FLIGHT = 2  # new files decoded at once, behind the slides the screen needs
DRAIN_SECONDS = 0.02  # messages handled per pass at most for this long, so keys, signals and the watchdog still come
STUCK_WORKER_SECONDS = 60.0  # one picture longer than this: the worker is stuck, and systemd is told by silence
RETRY_FIRST_SECONDS = 5.0  # a passing failure (I/O, memory) is retried after this, doubling up to
RETRY_MAX_SECONDS = 600.0


class ScreenLike(Protocol):
    """What the loop needs of a screen (kiosk.boundary.display.Screen, or a test's fake)."""

    def open(self) -> tuple[int, int]: ...
    @property
    def pixel_format(self) -> str: ...
    def surface_for(self, frame: Any) -> Any: ...
    def blank(self, colour: tuple[int, int, int]) -> Any: ...
    def show(self, surface: Any, overlay: list[str] | None = None) -> None: ...
    def blend(self, old: Any, new: Any, progress: float, overlay: list[str] | None = None) -> None: ...
    def commands(self) -> list[str]: ...
    def close(self) -> None: ...


class WorkerLike(Protocol):
    def request(self, key: FrameKey, priority: Priority = Priority.NEXT) -> None: ...
    def busy_for(self) -> tuple[str, float] | None: ...
    def hold(self) -> None: ...
    def release(self) -> None: ...
    def is_pending(self, key: FrameKey) -> bool: ...
    def configure(self, slide_folder: Any, font: Any, max_pixels: int) -> None: ...


class RecorderLike(Protocol):
    def slide_started(self, state: SavedState, record: dict) -> None: ...


def local_now() -> dt.datetime:
    """The wall-clock time in the box's zone, with its offset."""
    return dt.datetime.now().astimezone()


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
    surface: Any = None  # made from its frame during the hold, so the due moment only draws


@dataclass
class OnScreen:
    entry: Entry
    key: FrameKey
    surface: Any
    started: float
    started_wall: dt.datetime


@dataclass
class Fade:
    old: Any
    new: Any
    started: float
    seconds: float
    frames: int = 0


@dataclass
class Retry:
    """A slide whose last try failed for a passing reason, and when to try again."""

    version: tuple[int, int]
    at: float
    delay: float
    reason: str


@dataclass
class ShowStats:
    slides_shown: int = 0
    frames_drawn: int = 0
    last_fade_fps: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)


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
    ) -> None:
        self.config = config
        self.commands = DisplayCommands()
        self.clock_synchronised = clock_synchronised
        self._clock_known: tuple[float, bool | None] | None = None  # (when asked, synchronised; None: cannot tell)
        self._warned_clock = False
        self.local_zone = system_zone()
        self.store = store
        self.play_log = play_log
        self.notifier = notifier or SystemdNotifier({})
        self.status_writer = status_writer
        self.frame_stats = FrameStats(1.0 / config.display.max_fps)
        self.shown_by_kind: dict[str, int] = {}
        self.sync_status: dict = {"configured": bool(config.sync.url), "failures": 0, "last_success_unix": 0}
        self.screen = screen
        self.worker = worker
        self.inbox = inbox
        self.published = catalogue  # what the watcher last reported
        self.catalogue = catalogue  # what the playlist draws from: admitted slides only
        self.awaiting: dict[str, Slide] = {}  # new or changed pictures to decode before admission, oldest first
        self.admitting: set[FrameKey] = set()  # the few of them the worker has now, behind the show's own requests
        self.retry: dict[str, Retry] = {}  # passing failures: not unusable, tried again later
        self.ahead: set[FrameKey] = set()  # frames asked for ahead of the next slide, until they arrive
        self._catalogue_dirty = False
        self._unusable_cache: set[str] | None = None
        self._worker_stuck = False
        self.thread_status: Callable[[], dict] = dict  # the helper threads' health, for status.json
        # Written in place unless the caller runs a recorder thread (kiosk run does).
        self.recorder: RecorderLike = recorder or SlideRecorder(store, play_log)
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.stats = ShowStats()
        saved = store.load(seed)
        self.rotation = saved.rotation
        self.bad: dict[str, tuple[int, int]] = dict(saved.bad)
        self.cache = FrameCache(config.decoding.cache_megabytes * 1024 * 1024)
        self.layout: Layout | None = None
        self.panel: tuple[int, int] = (0, 0)
        self.on_screen: OnScreen | None = None
        self.upcoming: Upcoming | None = None
        self.fade: Fade | None = None
        self.published_folder = config.slides.folder  # fixed at start, like the watcher
        self.screen_on = True
        self.paused_remaining: float | None = None  # seconds left on the paused slide
        self.info_visible = False
        self.history: collections.deque[Entry] = collections.deque(maxlen=HISTORY_LENGTH)
        self.started_at = clock()
        self._next_stats_log = clock() + STATS_LOG_SECONDS
        self._next_status = clock()
        self._stop_requested = False
        self._ended = False
        self._announced_ready = False
        self._deferred: str | None = None
        self._off_key: FrameKey | None = None  # the off slide, while the worker prepares it
        self._on_first_slide: list[Callable[[Entry], None]] = []

    # --- control -----------------------------------------------------------

    def stop(self) -> None:
        """Asks the loop to end after the current pass (safe from a signal handler)."""
        if not self._stop_requested:
            self.notifier.stopping()
        self._stop_requested = True

    def on_first_slide(self, callback: Callable[[Entry], None]) -> None:
        self._on_first_slide.append(callback)

    # --- the loop ------------------------------------------------------------

    def open(self) -> None:
        """Opens the screen and chooses the first slide; `run()` calls it, tests may too."""
        panel = self.panel = self.screen.open()
        self.layout = Layout.from_config(self.config, panel, self.screen.pixel_format)
        log.info(
            "showing %d contribute and %d answer slides on a %dx%d panel (video driver %s, rotation %d)",
            self.catalogue.count("contribute"), self.catalogue.count("answer"), panel[0], panel[1],
            getattr(self.screen, "driver", "?"), self.config.display.rotation,
        )
        self._blank = self.screen.blank(self.config.display.background)
        self.screen.show(self._blank)
        now_wall = self._now_wall()
        self.screen_on = self._scheduled_on(now_wall)
        if self.screen_on:
            self._choose_upcoming(self.clock(), now_wall)
        else:
            self._screen_off(now_wall)
            self.notifier.ready(self._off_status(now_wall))
            self._announced_ready = True

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
            self._publish_status()  # the last status says the kiosk stopped (kiosk_up 0)
            self.commands.stop()
            self.screen.close()

    def step(self, deadline: float | None = None) -> None:
        """One pass: handle input and messages, draw if needed, then wait."""
        # Pinged from the loop itself: if the loop hangs, or the worker is stuck on
        # one picture, systemd restarts the kiosk.
        self.check_worker()
        if not self._worker_stuck:
            self.notifier.ping_watchdog()
        self._report_periodically()
        for command in self.screen.commands():
            self._command(command)
        self._drain_inbox()
        now = self.clock()
        if not self._follow_schedule(now):
            self._wait_for_message(OFF_WAKE_SECONDS if deadline is None else min(OFF_WAKE_SECONDS, max(0.0, deadline - now)))
            return
        if self.fade is not None:
            self._draw_fade(now)
            frame_period = 1.0 / self.config.display.max_fps
            self.sleep(max(0.0, frame_period - (self.clock() - now)))
            return
        if self.paused_remaining is None:
            self._start_upcoming_if_due(now)
        if self.fade is not None:
            return
        self._prepare_upcoming_surface()
        wait = IDLE_WAKE_SECONDS
        if self.upcoming is not None and self.paused_remaining is None and self.upcoming.due > now:
            # Due later: sleep until then. Due already but not prepared: its frame
            # arrives as a message, which wakes the wait (spinning would starve the worker).
            wait = min(wait, self.upcoming.due - now)
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - now))
        self._wait_for_message(wait)

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
        shown = self.on_screen
        return {
            "box": self.config.box.name,
            "version": __version__,
            "running": not self._ended,
            "time": self._now_wall().isoformat(timespec="seconds"),
            "uptime_seconds": round(self.clock() - self.started_at, 1),
            "screen": "on" if self.screen_on else "off (schedule)",
            "paused": self.paused_remaining is not None,
            "on_screen": None if shown is None else {
                "path": shown.entry.path, "kind": shown.entry.kind, "seconds": shown.entry.seconds,
                "since": shown.started_wall.isoformat(timespec="seconds"),
            },
            "content": {
                "contribute": self.catalogue.count("contribute"),
                "answer": self.catalogue.count("answer"),
                "arriving": len(self.awaiting),
            },
            "slides_shown": dict(self.shown_by_kind),
            "sync": dict(self.sync_status),
            "errors": {
                # The first STATUS_LIST_LIMIT by name, and how many in all: thousands of broken
                # files must not make every status write (every slide start) a megabyte.
                "unusable_count": len(self._unusable()),
                "unusable_files": {path: self.stats.skipped.get(path, "cannot be decoded")
                                   for path in heapq.nsmallest(STATUS_LIST_LIMIT, self._unusable())},
                "retrying": {path: retry.reason for path, retry in sorted(self.retry.items())},
                "content_problems": list(self.published.problems[:STATUS_LIST_LIMIT]),
                "content_problem_count": len(self.published.problems),
            },
            "frames": self.frame_stats.summary(),
            "threads": self.thread_status(),
            "worker_stuck": self._worker_stuck,
            "clock_synchronised": None if self._clock_known is None else self._clock_known[1],
            "state_problems": [problem for problem in (
                getattr(self.store, "problem", None), getattr(self.play_log, "problem", None),
                getattr(self.status_writer, "problem", None),
            ) if problem],
        }

    def _sync_done(self, done: SyncDone) -> None:
        result = done.result
        self.sync_status.update(last_time=result.finished, last_result=result.line(), ok=result.ok)
        if result.ok:
            self.sync_status.update(last_success_unix=int(time.time()), manifest_version=result.version)
        else:
            self.sync_status["failures"] = self.sync_status.get("failures", 0) + 1
        self._publish_status()

    # --- wall clock and schedule -------------------------------------------------

    def _now_wall(self) -> dt.datetime:
        """Now, in the schedule's time zone (the box's own, with its DST rules, if none is set)."""
        return self.wall_clock().astimezone(self.config.schedule.zone or self.local_zone)

    def _clock_trusted(self) -> bool:
        """Whether the wall clock may turn the screen off: not before NTP has set it (asked every 10 s)."""
        now = self.clock()
        if self._clock_known is None or now - self._clock_known[0] >= 10.0:
            synchronised = self.clock_synchronised()
            self._clock_known = (now, synchronised)
            if synchronised is False and not self._warned_clock:
                log.warning("the system clock is not synchronised yet; the schedule will not turn the screen off "
                            "until it is")
                self._warned_clock = True
            elif synchronised is not False and self._warned_clock:
                log.info("the system clock is synchronised; the schedule applies")
                self._warned_clock = False
        return self._clock_known[1] is not False

    def _scheduled_on(self, now_wall: dt.datetime) -> bool:
        return self.config.schedule.schedule.is_on(now_wall) or not self._clock_trusted()

    def _follow_schedule(self, now: float) -> bool:
        """Turns the screen off and on at the scheduled minutes; True while it is on."""
        now_wall = self._now_wall()
        on = self._scheduled_on(now_wall)
        if on == self.screen_on:
            return on
        self.screen_on = on
        if on:
            log.info("schedule: screen on")
            self.commands.run(self.config.schedule.display_on_command, "display-on")
            # The rotation goes on where it stopped, starting exactly now.
            self._choose_upcoming(now, now_wall)
        else:
            self._screen_off(now_wall)
        return on

    def _screen_off(self, now_wall: dt.datetime) -> None:
        if self.fade is not None:
            self.worker.release()
        self.fade = None
        self.upcoming = None
        self.on_screen = None
        self.screen.show(self._blank)
        self._show_off_slide()
        status = self._off_status(now_wall)
        log.info("schedule: %s", status)
        self.notifier.status(status)
        self.commands.run(self.config.schedule.display_off_command, "display-off")

    def _off_status(self, now_wall: dt.datetime) -> str:
        back = self.config.schedule.schedule.next_on(now_wall)
        return "screen off until " + (back.isoformat(timespec="minutes") if back else "the schedule changes")

    def _show_off_slide(self) -> None:
        """Shows the schedule's off slide now if prepared, else asks the worker (black until then)."""
        path = self.config.schedule.off_slide
        if path is None or self.layout is None:
            return
        key = FrameKey(str(path), (0, 0), "", "off", self.layout)
        frame = self.cache.get(key)
        if frame is not None:
            self.screen.show(self.screen.surface_for(frame))
            return
        self._off_key = key
        self.worker.request(key)

    def _is_off_frame(self, message: FrameReady | FrameFailed) -> bool:
        key = message.frame.key if isinstance(message, FrameReady) else message.key
        return self._off_key is not None and key == self._off_key

    def _off_frame_arrived(self, message: FrameReady | FrameFailed) -> None:
        self._off_key = None
        if isinstance(message, FrameFailed):
            log.warning("off slide %s cannot be shown (%s); the screen stays black", message.key.path, message.reason)
        elif not self.screen_on:
            self.cache.put(message.frame)
            self.screen.show(self.screen.surface_for(message.frame))

    # --- keys ----------------------------------------------------------------------

    def _command(self, command: str) -> None:
        if command in ("next", "previous") and self.fade is not None:
            self._deferred = command  # acted on when the fade ends: a key press is never lost
            return
        if command == "quit":
            log.info("quit requested from the keyboard or window")
            self.stop()
        elif command == "redraw":
            if self.on_screen is not None and self.fade is None:
                self.screen.show(self.on_screen.surface, self._overlay())
        elif command == "next":
            if self.upcoming is not None:
                log.info("key: next slide")
                self.paused_remaining = None
                self.upcoming.due = self.clock()
                self.upcoming.out_of_turn = True
        elif command == "previous":
            self._previous()
        elif command == "pause":
            self._toggle_pause()
        elif command == "info":
            self.info_visible = not self.info_visible
            if self.on_screen is not None and self.fade is None:
                self.screen.show(self.on_screen.surface, self._overlay())

    def _previous(self) -> None:
        if len(self.history) < 2 or self.layout is None:
            return
        self.history.pop()  # the slide on screen
        entry = self.history.pop()
        log.info("key: previous slide %s", entry.path)
        # Shown again out of turn; the rotation itself does not go back.
        now = self.clock()
        self.paused_remaining = None
        self.upcoming = Upcoming(entry, self.rotation, frame_key(entry, self.layout), now, self._now_wall(), now,
                                 out_of_turn=True)
        self._request_upcoming()

    def _toggle_pause(self) -> None:
        now = self.clock()
        if self.paused_remaining is None:
            if self.upcoming is None:
                return
            self.paused_remaining = max(0.0, self.upcoming.due - now)
            log.info("key: paused")
            self.notifier.status("paused")
        else:
            if self.upcoming is not None:
                self.upcoming.due = now + self.paused_remaining
            self.paused_remaining = None
            log.info("key: resumed")

    def _overlay(self) -> list[str] | None:
        if not self.info_visible:
            return None
        shown = self.on_screen.entry if self.on_screen is not None else None
        uptime = int(self.clock() - self.started_at)
        return [
            f"kiosk {__version__} · box {self.config.box.name}",
            f"on screen: {shown.path} ({shown.kind}, {shown.seconds:g} s)" if shown else "on screen: nothing",
            f"content: {self.catalogue.count('contribute')} contribute, {self.catalogue.count('answer')} answers,"
            f" {len(self.awaiting)} arriving, {len(self._unusable())} unusable",
            "last sync: " + (str(self.sync_status.get("last_result", "not yet")) + " at " + str(self.sync_status.get("last_time", "-"))
                             if self.sync_status.get("configured") else "not configured"),
            f"fade: {self.stats.last_fade_fps:.0f} fps · slides shown {self.stats.slides_shown}"
            f" · up {uptime // 3600}h{uptime % 3600 // 60:02d}m"
            + (" · PAUSED" if self.paused_remaining is not None else ""),
        ]

    # --- messages ------------------------------------------------------------

    def _wait_for_message(self, timeout: float) -> None:
        try:
            message = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return
        self._handle(message)
        self._settle_catalogue()

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
            self._handle(message)
            if self.clock() >= deadline:
                break
        self._settle_catalogue()

    def _settle_catalogue(self) -> None:
        """Rebuilds the playlist's catalogue once for all the messages just handled."""
        if self._catalogue_dirty:
            self._catalogue_dirty = False
            self._rebuild_catalogue()
        self._feed_admissions()

    def _handle(self, message: object) -> None:
        if isinstance(message, (FrameReady, FrameFailed)) and self._is_off_frame(message):
            self._off_frame_arrived(message)
        elif isinstance(message, FrameReady):
            key = message.frame.key
            if key in self.admitting:
                # Decoded only to be admitted: kept only if it evicts nothing the show prepared.
                self.admitting.discard(key)
                self.cache.put_spare(message.frame)
            else:
                self.cache.put(message.frame)
            self.ahead.discard(key)
            self._recovered(key)
            self._admit(key)
        elif isinstance(message, FrameFailed):
            self._frame_failed(message)
        elif isinstance(message, ContentChanged):
            self._content_changed(message.catalogue)
        elif isinstance(message, ConfigChanged):
            self._config_changed(message.config)
        elif isinstance(message, SyncDone):
            self._sync_done(message)
        else:
            log.warning("ignoring unknown message %r", message)

    def _frame_failed(self, failed: FrameFailed) -> None:
        key = failed.key
        self.admitting.discard(key)
        if failed.passing:
            self._retry_later(key, failed.reason)
        else:
            self.mark_unusable(key.path, key.version, failed.reason)
            waiting = self.awaiting.get(key.path)
            if waiting is not None and waiting.version == key.version:
                del self.awaiting[key.path]
                self._catalogue_dirty = True
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
                last_answer=self.rotation.last_answer,
                last_contribute=self.rotation.last_contribute,
                answers_since_contribute=self.rotation.answers_since_contribute,
            )
            self._choose_upcoming(upcoming.due, upcoming.due_wall, prefetch=False, rotation=base)
        elif key in self.ahead:
            # A slide planned ahead cannot be shown: plan again now, so broken files are
            # found and passed over while the picture stands still, not when they are due.
            self.ahead.discard(key)
            if upcoming is not None and self.fade is None:
                self._prefetch(upcoming)

    def mark_unusable(self, path: str, version: tuple[int, int], reason: str) -> None:
        """Skips this version of the file until it changes, with one log line."""
        if self.stats.skipped.get(path) != reason or self.bad.get(path) != version:
            log.warning("skipping %s: %s", path, reason)
        self.stats.skipped[path] = reason
        self.bad[path] = version
        self.retry.pop(path, None)
        if self._unusable_cache is not None:  # kept up to date: thousands of failures in a row must stay cheap
            slide = self.catalogue.get(path)
            if slide is not None and slide.version == version:
                self._unusable_cache.add(path)
            else:
                self._unusable_cache.discard(path)

    def _retry_later(self, key: FrameKey, reason: str) -> None:
        """A failure the file's content does not explain: never marks it, tries again with backoff."""
        previous = self.retry.get(key.path)
        delay = RETRY_FIRST_SECONDS
        if previous is not None and previous.version == key.version:
            delay = min(RETRY_MAX_SECONDS, previous.delay * 2)
        else:
            log.warning("cannot prepare %s now (%s); trying again from time to time", key.path, reason)
        self.retry[key.path] = Retry(key.version, self.clock() + delay, delay, reason)

    def _recovered(self, key: FrameKey) -> None:
        if self.retry.pop(key.path, None) is not None:
            log.info("%s can be prepared again", key.path)

    def _feed_admissions(self) -> None:
        """Keeps ADMIT_IN_FLIGHT new files with the worker, oldest first, behind the show's requests."""
        if self.layout is None or len(self.admitting) >= ADMIT_IN_FLIGHT or len(self.awaiting) <= len(self.admitting):
            return
        settings = playlist_settings(self.config)
        now = self.clock()
        busy = {key.path for key in self.admitting}
        for path, slide in self.awaiting.items():
            if len(self.admitting) >= ADMIT_IN_FLIGHT:
                break
            retry = self.retry.get(path)
            if path in busy or (retry is not None and retry.version == slide.version and retry.at > now):
                continue
            key = frame_key(entry_for(slide, settings), self.layout)
            self.admitting.add(key)
            self.worker.request(key, Priority.ADMIT)

    def check_worker(self) -> None:
        """Notices a worker stuck on one picture: logged once, in the status, and the watchdog goes quiet."""
        busy = self.worker.busy_for()
        stuck = busy is not None and busy[1] > STUCK_WORKER_SECONDS
        if stuck and not self._worker_stuck:
            log.error(
                "the decode worker has been preparing %s for %.0f s; no longer telling systemd the kiosk is alive,"
                " so that it restarts it (that file will then be skipped)", busy[0], busy[1],
            )
            self._next_status = self.clock()
        elif not stuck and self._worker_stuck:
            log.info("the decode worker is working again")
        self._worker_stuck = stuck

    # --- live content and config ----------------------------------------------

    def _content_changed(self, published: Catalogue) -> None:
        """Takes the watcher's new catalogue; new pictures wait for a full decode."""
        assert self.layout is not None
        previous = self.published
        self.published = published
        removed = [s.path for s in (*previous.contribute, *previous.answers) if published.get(s.path) is None]
        for path in [p for p, slide in self.awaiting.items() if getattr(published.get(p), "version", None) != slide.version]:
            del self.awaiting[path]
        for slide in (*published.contribute, *published.answers):
            before = previous.get(slide.path)
            if before is not None and before.version == slide.version:
                continue
            if self.bad.get(slide.path) == slide.version or slide.path in self.awaiting:
                continue
            self.awaiting[slide.path] = slide
            self.cache.discard_path(slide.path)
        for path in removed:
            self.cache.discard_path(path)
            self.bad.pop(path, None)
            self.retry.pop(path, None)
            self._unusable_cache = None
            self.stats.skipped.pop(path, None)
            log.info("removed %s", path)
        known = set(previous.problems)
        for problem in published.problems:
            if problem not in known:
                log.warning("%s", problem)
        self._catalogue_dirty = True

    def _admit(self, key: FrameKey) -> None:
        waiting = self.awaiting.get(key.path)
        if waiting is None or waiting.version != key.version:
            return
        del self.awaiting[key.path]
        self.bad.pop(key.path, None)
        self._unusable_cache = None
        log.info("%s %s", "updated" if self.catalogue.get(key.path) else "added", key.path)
        self._catalogue_dirty = True

    def _rebuild_catalogue(self) -> None:
        """The playlist's catalogue: published slides, with awaited ones at their last admitted state."""
        slides: list[Slide] = []
        for slide in (*self.published.contribute, *self.published.answers):
            if self.bad.get(slide.path) == slide.version:
                continue  # known undecodable until the file changes
            if slide.path in self.awaiting:
                admitted = self.catalogue.get(slide.path)
                if admitted is not None:
                    slides.append(admitted)
            else:
                slides.append(slide)
        catalogue = Catalogue(
            contribute=tuple(s for s in slides if s.kind == "contribute"),
            answers=tuple(s for s in slides if s.kind == "answer"),
            problems=self.published.problems,
        )
        if catalogue == self.catalogue:
            return
        self.catalogue = catalogue
        self._unusable_cache = None
        log.debug("rotation now has %d contribute and %d answer slides", catalogue.count("contribute"), catalogue.count("answer"))
        self._reconsider_upcoming()

    def _reconsider_upcoming(self) -> None:
        """Chooses the next slide again if the one chosen is gone, changed or a needless fallback."""
        upcoming = self.upcoming
        if upcoming is None:
            return
        entry = upcoming.entry
        current = self.catalogue.get(entry.path)
        stale = (
            (entry.is_fallback and len(self.catalogue) > 0)
            or (not entry.is_fallback and (current is None or current.version != entry.version
                                           or current.meta.caption != entry.caption))
        )
        if not stale:
            return
        due, due_wall = upcoming.due, upcoming.due_wall
        if self.on_screen is not None and self.on_screen.entry.is_fallback and len(self.catalogue) > 0:
            # Content is back: end the fallback card as soon as the first slide is ready.
            due, due_wall = self.clock(), self._now_wall()
        self._choose_upcoming(due, due_wall)

    def _config_changed(self, config: Config) -> None:
        changes = config_changes(self.config, config)
        if not changes:
            return
        for key, before, after in changes:
            later = " (takes effect at the next start)" if key in NEEDS_RESTART else ""
            log.info("config changed: %s: %r -> %r%s", key, before, after, later)
        self.config = config
        self.worker.configure(self.published_folder, config.captions.font, config.decoding.max_pixels)
        self.cache.max_bytes = config.decoding.cache_megabytes * 1024 * 1024
        layout = Layout.from_config(config, self.panel, self.screen.pixel_format)
        if layout != self.layout:
            self.layout = layout
            self.cache.clear()
        upcoming = self.upcoming
        if upcoming is not None:
            # From the next slide on: the one on screen keeps its time.
            self._choose_upcoming(upcoming.due, upcoming.due_wall)

    # --- choosing and starting slides -----------------------------------------

    def _skip_set(self) -> set[str]:
        """Slides not to choose now: unusable in this version, or waiting for a retry."""
        unusable = self._unusable()
        if not self.retry:
            return unusable
        now = self.clock()
        return unusable | {path for path, retry in self.retry.items() if retry.at > now}

    def _unusable(self) -> set[str]:
        """Slides known not to decode in their present version (kept between changes:
        with thousands of broken files, working it out at every pick cost 5 ms)."""
        if self._unusable_cache is None:
            self._unusable_cache = {
                path for path, version in self.bad.items()
                if (slide := self.catalogue.get(path)) is not None and slide.version == version
            }
        return self._unusable_cache

    def _choose_upcoming(
        self, due: float, due_wall: dt.datetime, prefetch: bool = True, rotation: Rotation | None = None
    ) -> None:
        assert self.layout is not None
        entry, rotation = next_entry(
            rotation or self.rotation, self.catalogue, playlist_settings(self.config), due_wall, self._skip_set()
        )
        key = frame_key(entry, self.layout)
        self.upcoming = Upcoming(entry, rotation, key, due, due_wall, self.clock())
        if self.fade is None:
            self._request_upcoming(prefetch)

    def _request_upcoming(self, prefetch: bool = True) -> None:
        """Asks the worker for the next frame, then the few after it; during a fade this waits for its end."""
        upcoming = self.upcoming
        if upcoming is None:
            return
        if upcoming.key not in self.cache:
            upcoming.requested_at = self.clock()
            self.worker.request(upcoming.key)
        if prefetch:
            self._prefetch(upcoming)

    def _prefetch(self, upcoming: Upcoming) -> None:
        """Requests the frames of the slides after the next one, in plan order.

        Half the cache is the budget, so prefetched frames are not evicted
        before they are shown; the plan is a hint, and a content change only
        costs the work done for it.
        """
        assert self.layout is not None
        frame_bytes = self.layout.frame_bytes
        budget = self.cache.max_bytes // 2 - frame_bytes
        start = upcoming.due_wall + dt.timedelta(seconds=upcoming.entry.seconds)
        planned, _rotation = plan(
            upcoming.rotation, self.catalogue, playlist_settings(self.config), start, PREFETCH_SLIDES,
            self._skip_set(), self.config.schedule.schedule,
        )
        for item in planned:
            if budget < frame_bytes:
                break
            key = frame_key(item.entry, self.layout)
            if key == upcoming.key or key in self.cache:
                continue
            self.ahead.add(key)
            self.worker.request(key, Priority.AHEAD)
            budget -= frame_bytes

    def _prepare_upcoming_surface(self) -> None:
        """Turns the next slide's frame into a surface while the picture stands still.

        A copy of 8 MB (33 MB at 4K) taken at the due moment would delay the
        slide's first frame by that much.
        """
        upcoming = self.upcoming
        if upcoming is None or upcoming.surface is not None:
            return
        if self.on_screen is not None and self.on_screen.key == upcoming.key:
            return
        frame = self.cache.get(upcoming.key)
        if frame is not None:
            upcoming.surface = self.screen.surface_for(frame)

    def _start_upcoming_if_due(self, now: float) -> None:
        upcoming = self.upcoming
        if upcoming is None or now < upcoming.due:
            return
        frame = self.cache.get(upcoming.key)
        if frame is None:
            if not self.worker.is_pending(upcoming.key):
                self.worker.request(upcoming.key)  # evicted before it was shown
            waited = now - upcoming.requested_at
            if waited > SLOW_DECODE_SECONDS and not upcoming.warned_slow:
                log.warning("%s is still being prepared after %.1f s", upcoming.entry.path, waited)
                upcoming.warned_slow = True
            return
        started_wall = self._now_wall()
        first = not self._announced_ready
        if self.on_screen is not None and self.on_screen.key == upcoming.key:
            # The same picture again (a lone slide, the fallback): nothing to redraw.
            surface = self.on_screen.surface
        else:
            surface = upcoming.surface if upcoming.surface is not None else self.screen.surface_for(frame)
            transition = self.config.timing.transition_seconds if self.config.timing.transition == "fade" else 0.0
            old = self.on_screen.surface if self.on_screen is not None else self._blank
            if transition > 0:
                self.fade = Fade(old, surface, now, transition)
                self.worker.hold()
                self._draw_fade(now)
            else:
                self.screen.show(surface, self._overlay())
                self.stats.frames_drawn += 1
                self.frame_stats.frame(self.clock(), in_fade=False)
        self.on_screen = OnScreen(upcoming.entry, upcoming.key, surface, now, started_wall)
        self.rotation = upcoming.rotation
        entry = upcoming.entry
        self.recorder.slide_started(
            SavedState(self.rotation, dict(self.bad)), play_record(started_wall, entry.path, entry.kind, entry.seconds)
        )
        self.stats.slides_shown += 1
        self.shown_by_kind[entry.kind] = self.shown_by_kind.get(entry.kind, 0) + 1
        if not first and not upcoming.out_of_turn:
            # Due at the previous start plus its seconds; begun when its first frame was
            # presented (after turning it into a surface). The first slide has no previous
            # one (its delay is start-up time), and a key press brings a slide forward.
            self.frame_stats.slide_started(upcoming.due, self.clock())
        self.history.append(entry)
        log.debug("showing %s (%s, %.1f s)", entry.path, entry.kind, entry.seconds)
        status = f"showing {entry.path}"
        if first:
            self.notifier.ready(status)
            self._announced_ready = True
        else:
            self.notifier.status(status)
        self._publish_status()
        # The next slide is due one full duration after this one began to appear.
        self._choose_upcoming(now + entry.seconds, started_wall + dt.timedelta(seconds=entry.seconds))
        if first:
            for callback in self._on_first_slide:
                callback(entry)

    def _draw_fade(self, now: float) -> None:
        fade = self.fade
        assert fade is not None
        progress = (now - fade.started) / fade.seconds
        fade.frames += 1
        if progress >= 1.0:
            self.screen.show(fade.new, self._overlay())
            self.frame_stats.frame(self.clock(), in_fade=True)
            self.frame_stats.fade_ended()
            self.fade = None
            self.worker.release()
            self.stats.last_fade_fps = fade.frames / max(now - fade.started, 1e-6)
            self._request_upcoming()
            if self._deferred is not None:
                command, self._deferred = self._deferred, None
                self._command(command)
        else:
            self.screen.blend(fade.old, fade.new, progress, self._overlay())
            self.frame_stats.frame(self.clock(), in_fade=True)
        self.stats.frames_drawn += 1
