"""The screen's hours: whether the schedule has it on, and what it shows while off.

Part of the show's decisions (kiosk.core.director). An unsynchronised wall
clock never turns the screen off: after a power cut a box without a
real-time clock may think it is 1970, or hours off, until NTP has set it.
The director owns the config and passes in its `schedule` section.
"""

from __future__ import annotations

import datetime as dt
import logging

from kiosk.core.catalogue import Catalogue
from kiosk.core.effects import Effect, Notify, ReleaseWorker, RunDisplayCommand, ShowStill
from kiosk.core.frames import FrameKey
from kiosk.core.lineup import Lineup
from kiosk.core.messages import FrameFailed, FrameReady
from kiosk.core.plaza import active_overrides
from kiosk.core.prepared import Prepared
from kiosk.core.priority import Priority
from kiosk.core.sections import ScheduleConfig
from kiosk.core.stage import Stage

log = logging.getLogger(__name__)


class OffHours:
    """Whether the screen is on, and the off slide while the worker prepares it."""

    def __init__(self) -> None:
        self.screen_on = True
        self.off_key: FrameKey | None = None

    @staticmethod
    def on_at(schedule: ScheduleConfig, wall: dt.datetime, clock_trusted: bool, catalogue: Catalogue) -> bool:
        """Whether the screen should be on: the schedule's hours (trusted only once NTP has set the clock),
        or an override that asks to show even in the off hours (`off_hours: true`)."""
        return (schedule.timetable.is_on(wall) or not clock_trusted
                or any(slide.meta.off_hours for slide in active_overrides(catalogue, wall)))

    def follow(self, schedule: ScheduleConfig, wall: dt.datetime, clock_trusted: bool, catalogue: Catalogue) -> bool:
        """Whether the screen is on now (see `on_at`); True if that changed."""
        on = self.on_at(schedule, wall, clock_trusted, catalogue)
        changed, self.screen_on = on != self.screen_on, on
        return changed

    @staticmethod
    def status(schedule: ScheduleConfig, wall: dt.datetime) -> str:
        back = schedule.timetable.next_on(wall)
        return "screen off until " + (back.isoformat(timespec="minutes") if back else "the schedule changes")

    def go_dark(self, schedule: ScheduleConfig, wall: dt.datetime, now: float, stage: Stage,
                lineup: Lineup) -> list[Effect]:
        """The schedule turns the screen off: the slides on it leave, nothing is due, the off slide shows."""
        fading = stage.fading
        effects = stage.clear(now)
        if lineup.stand_down() or fading:
            effects.append(ReleaseWorker())
        effects += self.off_slide(schedule, lineup.frames)
        status = self.status(schedule, wall)
        log.info("schedule: %s", status)
        effects.append(Notify("status", status))
        effects.append(RunDisplayCommand(schedule.display_off_command, "display-off"))
        return effects

    def off_slide(self, schedule: ScheduleConfig, frames: Prepared) -> list[Effect]:
        """Black, then the schedule's off slide: now if prepared, else once the worker has it."""
        effects: list[Effect] = [ShowStill(None)]
        path = schedule.off_slide
        if path is None or frames.layout is None:
            return effects
        key = FrameKey(str(path), (0, 0), "", "off", frames.layout)
        frame = frames.get(key)
        if frame is not None:
            return effects + [ShowStill(frame)]
        self.off_key = key
        return effects + frames.request(key, Priority.NEXT)

    def is_off_slide(self, key: FrameKey) -> bool:
        return self.off_key is not None and key == self.off_key

    def off_slide_arrived(self, message: FrameReady | FrameFailed, frames: Prepared) -> list[Effect]:
        self.off_key = None
        if isinstance(message, FrameFailed):
            log.warning("off slide %s cannot be shown (%s); the screen stays black", message.key.path, message.reason)
            return []
        if self.screen_on:
            return []
        frames.keep(message.frame)
        return [ShowStill(message.frame)]
