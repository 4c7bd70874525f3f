"""The render loop: the one owner of the screen, carrying out what the director decides.

Each pass it tells the director (kiosk.core.director) what happened: keys,
messages from the other threads, the time. It carries out the effects it
gets back in one dispatch over their closed set (kiosk.core.effects.Effect),
then sleeps on its inbox, so a still picture costs no CPU and a message
wakes it at once. `kiosk run` (kiosk.app.run) builds the director, the
screen, the worker and the sinks, and passes them in.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import queue
import time
from typing import Callable, assert_never

from kiosk.app.monitor import Monitor
from kiosk.app.sinks import ScreenLike, Sinks, SpeakerLike, WorkerLike
from kiosk.app.surfaces import Surfaces
from kiosk.app.videos import PlayerMaker, Videos
from kiosk.core.clocktrust import ClockTrust
from kiosk.core.director import Director
from kiosk.core.effects import (
    Blend, ConfigureWorker, Effect, EndFade, HoldWorker, Notify, PlayVideo, PrepareSurface, Present,
    PublishStatus, RecordSlide, Redraw, ReleaseWorker, RequestFrame, RunDisplayCommand, ShowStill, SlideBegan,
    SlideLeft,
)

log = logging.getLogger(__name__)

DRAIN_SECONDS = 0.02  # messages handled per pass at most for this long, so keys, signals and the watchdog still come


def local_now() -> dt.datetime:
    """The wall-clock time in the box's zone, with its offset."""
    return dt.datetime.now().astimezone()


class Show:
    """Runs the slideshow on a screen until stopped."""

    def __init__(self, director: Director, screen: ScreenLike, worker: WorkerLike, inbox: "queue.Queue[object]",
                 sinks: Sinks, clock_synchronised: Callable[[], bool | None] = lambda: True,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], dt.datetime] = local_now,
                 sleep: Callable[[float], None] = time.sleep, players: PlayerMaker | None = None,
                 speaker: SpeakerLike | None = None) -> None:
        self.director, self.screen, self.worker, self.inbox, self.sinks = director, screen, worker, inbox, sinks
        self.clock_synchronised = clock_synchronised  # asked when the clock trust says so
        self.clock, self.wall_clock, self.sleep = clock, wall_clock, sleep
        self.clock_trust = ClockTrust()
        config = director.config
        self.videos = Videos(players, config.slides.folder, config.captions.font)  # video slides' players
        self.speaker = speaker  # their sound, where display.audio is on
        self.monitor = Monitor(director, sinks, self.clock_trust, clock, wall_clock, self.videos.summary,
                               speaker.summary if speaker is not None else lambda: None)
        self.surfaces = Surfaces(screen, sinks.screenshots)
        self._stop_requested = False

    def stop(self) -> None:
        """Asks the loop to end after the current pass (safe from a signal handler)."""
        if not self._stop_requested:
            self.sinks.notifier.stopping()
        self._stop_requested = True

    @property
    def slides_shown(self) -> int:
        return self.director.stage.counts.slides_shown

    def open(self) -> None:
        """Opens the screen and chooses the first slide; `run()` calls it, tests may too."""
        panel = self.screen.open()
        director, config = self.director, self.director.config
        log.info(
            "showing %d contribute and %d answer slides on a %dx%d panel (video driver %s, rotation %d)",
            director.catalogue.count("contribute"), director.catalogue.count("answer"), panel[0], panel[1],
            getattr(self.screen, "driver", "?"), config.display.rotation,
        )
        self.surfaces.open(config.display.background)
        now = self.clock()
        self._carry_out(director.open(panel, self.screen.pixel_format, now, self.wall_clock(), self._trusted(now)))

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
            self._carry_out(self.director.close(self.clock()))  # the slide on screen leaves it now
            self.videos.close()
            if self.speaker is not None:
                self.speaker.close()
            self.monitor.ended()
            self.sinks.power.stop()
            self.screen.close()

    def step(self, deadline: float | None = None) -> None:
        """One pass: keys and messages to the director, its effects carried out, then a wait."""
        director = self.director
        self._carry_out(director.health.check_worker(self.worker.busy_for()))
        # Pinged from the loop itself: if the loop hangs, or the worker is stuck on
        # one picture, systemd restarts the kiosk.
        if not director.health.worker_stuck:
            self.sinks.notifier.ping_watchdog()
        self.monitor.tick()
        for key in self.screen.poll_input():
            if director.quits(key):
                log.info("quit requested from the keyboard or window")
                self.stop()
            else:
                self._carry_out(director.key(key, self.clock(), self.wall_clock()))
        self._drain_inbox()
        now = self.clock()
        self._carry_out(director.advance(now, self.wall_clock(), self._trusted(now)))
        self._video_frame()
        if director.fading:
            self.sleep(max(0.0, 1.0 / director.config.display.max_fps - (self.clock() - now)))
            return
        wait = director.wait_seconds(now)
        video_wait = self.videos.wait_seconds(self.clock())
        if video_wait is not None:
            wait = min(wait, video_wait)
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - now))
        try:
            message = self.inbox.get(timeout=wait) if wait > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return
        self._carry_out(director.receive(message, self.clock(), self.wall_clock()))
        self._carry_out(director.settle(self.clock(), self.wall_clock()))

    def _video_frame(self) -> None:
        """The video on screen moves to the frame its clock asks for, if that frame is ready."""
        due = self.videos.due(self.clock())
        if due is None:
            return
        frame, done = due
        try:
            self.surfaces.update(frame)
        finally:
            done()
        if not self.director.fading:  # in a fade, the next blend draws it
            self.surfaces.show(self.monitor.overlay())
            self.monitor.drawn(in_fade=False)

    def _trusted(self, now: float) -> bool:
        """Whether the schedule may act on the wall clock (the system is asked every 10 s)."""
        if self.clock_trust.due(now):
            self.clock_trust.heard(self.clock_synchronised(), now)
        return self.clock_trust.trusted

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
            self._carry_out(self.director.receive(message, self.clock(), self.wall_clock()))
            if self.clock() >= deadline:
                break
        self._carry_out(self.director.settle(self.clock(), self.wall_clock()))

    def _carry_out(self, effects: list[Effect]) -> None:
        for effect in effects:
            self._do(effect)

    def _do(self, effect: Effect) -> None:
        match effect:
            case RequestFrame(key, priority):
                self.worker.request(key, priority)
            case PrepareSurface(frame):
                self.surfaces.prepare(frame)
                self.videos.prepare(frame.key)
            case Present(frame, fade_seconds, from_blank):
                self.videos.presented(frame.key)
                if self.speaker is not None:
                    self.speaker.presented(frame.key)
                self.surfaces.present(frame, from_blank)
                if fade_seconds <= 0:
                    self.surfaces.show(self.monitor.overlay())
                    self.monitor.drawn(in_fade=False)
            case PlayVideo(key, starts, sound, joined):
                self.videos.play(key, starts, joined)
                if self.speaker is not None:  # the sound counts from the same moment as the picture
                    if sound:
                        self.speaker.play(key, starts, self.videos.slide_folder)
                    else:
                        self.speaker.stop()
            case Blend(progress):
                self.surfaces.blend(progress, self.monitor.overlay())
                self.monitor.drawn(in_fade=True)
            case EndFade():
                self.surfaces.end_fade(self.monitor.overlay())
                self.monitor.drawn(in_fade=True)
                self.monitor.frame_stats.fade_ended()
            case Redraw():
                self.surfaces.show(self.monitor.overlay())
            case ShowStill(frame):
                self.videos.presented(None)
                if self.speaker is not None:
                    self.speaker.presented(None)
                self.surfaces.still(frame)
            case HoldWorker():
                self.worker.hold()
            case ReleaseWorker():
                self.worker.release()
            case ConfigureWorker(slide_folder, font, max_pixels):
                self.worker.configure(slide_folder, font, max_pixels)
                self.videos.configure(slide_folder, font)
            case RecordSlide(state, record):
                self.sinks.recorder.slide_started(state, record)
            case SlideLeft(time_, path, left):
                self.sinks.recorder.slide_left(time_, path, left)
            case SlideBegan(due):
                self.monitor.frame_stats.slide_started(due, self.clock())
            case Notify("ready", text):
                self.sinks.notifier.ready(text)
                # What the start made (20,000 slides' worth) lives as long as the show: the cycle
                # collector need not walk it again, which at that size took a frame or two each time.
                gc.freeze()
            case Notify(_, text):
                self.sinks.notifier.status(text)
            case RunDisplayCommand(command, purpose):
                self.sinks.power.run(command, purpose)
            case PublishStatus():
                self.monitor.publish()
            case _:
                assert_never(effect)
