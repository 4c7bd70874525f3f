"""What the render loop tells of itself: frame statistics in the log, and status.json.

The status is the director's (kiosk.core.showstatus, from its snapshot)
with what only the loop knows: whether it still runs, the frame timings,
the frames of video counted as they reached the screen, how far their
sound was from the clock, the helper threads, whether the system clock is
synchronised, and the files that could not be written. It goes to the
status writer at each slide start (the director's PublishStatus) and at
least every STATUS_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

from kiosk.app.sinks import Sinks
from kiosk.core.clocktrust import ClockTrust
from kiosk.core.director import Director
from kiosk.core.framestats import FrameStats
from kiosk.core.showstatus import overlay_lines, show_status

log = logging.getLogger(__name__)

STATS_LOG_SECONDS = 60  # frame statistics go to the log once a minute
STATUS_SECONDS = 10  # and to status.json at least this often


class Monitor:
    """The loop's frame statistics, its uptime, and when the status was last handed to the writer."""

    def __init__(self, director: Director, sinks: Sinks, clock_trust: ClockTrust, clock: Callable[[], float],
                 wall_clock: Callable[[], dt.datetime],
                 video_frames: Callable[[], dict[str, Any]] = dict,
                 sound: Callable[[], dict[str, Any] | None] = lambda: None) -> None:
        self.director, self.sinks, self.clock_trust = director, sinks, clock_trust
        self.video_frames = video_frames  # frames of video as they reached the screen
        self.sound = sound  # the video's sound against the clock; None where it never played
        self.clock, self.wall_clock = clock, wall_clock
        self.frame_stats = FrameStats(1.0 / director.config.display.max_fps)  # what was drawn, and when
        self.started_at = clock()
        self.running = True
        self._next_stats_log = self.started_at + STATS_LOG_SECONDS
        self._next_status = self.started_at

    def drawn(self, in_fade: bool) -> None:
        """A frame was presented (in a fade, or a cut)."""
        self.frame_stats.frame(self.clock(), in_fade=in_fade)

    def overlay(self) -> list[str] | None:
        """The info overlay's lines while the `i` key shows it."""
        if not self.director.keys.info_visible:
            return None
        return overlay_lines(self.director.snapshot(), self.clock() - self.started_at)

    def tick(self) -> None:
        """Once a pass: the frame statistics to the log, the status to its writer, when due."""
        now = self.clock()
        if now >= self._next_stats_log:
            self._next_stats_log = now + STATS_LOG_SECONDS
            log.info("%s", self.frame_stats.log_line())
        if now >= self._next_status:
            self.publish()

    def ended(self) -> None:
        """The loop has ended: the last status says so (kiosk_up 0)."""
        self.running = False
        self.publish()

    def publish(self) -> None:
        self._next_status = self.clock() + STATUS_SECONDS
        if self.sinks.status_writer is not None:
            self.sinks.status_writer.update(self.status())

    def status(self) -> dict[str, Any]:
        """Everything status.json says, as plain data."""
        status = show_status(self.director.snapshot(), self.clock() - self.started_at, self.wall_clock())
        status.update(
            running=self.running,
            frames=self.frame_stats.summary(),
            video_frames=self.video_frames(),
            sound=self.sound(),
            threads=self.sinks.threads(),
            clock_synchronised=self.clock_trust.known,
            state_problems=[writer.problem for writer in self.sinks.writers if writer.problem],
        )
        return status
