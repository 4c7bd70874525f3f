"""The screen's hours: whether the schedule has it on, and what it shows while off.

Part of the show's decisions (kiosk.core.director). An unsynchronised wall
clock never turns the screen off: after a power cut a box without a
real-time clock may think it is 1970, or hours off, until NTP has set it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from kiosk.core.config import Config
from kiosk.core.effects import ShowStill
from kiosk.core.frames import FrameKey
from kiosk.core.lineup import Lineup
from kiosk.core.messages import FrameFailed, FrameReady
from kiosk.core.priority import Priority

log = logging.getLogger(__name__)


class OffHours:
    """Whether the screen is on, and the off slide while the worker prepares it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.screen_on = True
        self.off_key: FrameKey | None = None

    def on_at(self, wall: dt.datetime, clock_trusted: bool) -> bool:
        return self.config.schedule.timetable.is_on(wall) or not clock_trusted

    def status(self, wall: dt.datetime) -> str:
        back = self.config.schedule.timetable.next_on(wall)
        return "screen off until " + (back.isoformat(timespec="minutes") if back else "the schedule changes")

    def off_slide(self, lineup: Lineup) -> list[Any]:
        """Black, then the schedule's off slide: now if prepared, else once the worker has it."""
        effects: list[Any] = [ShowStill(None)]
        path = self.config.schedule.off_slide
        if path is None or lineup.layout is None:
            return effects
        key = FrameKey(str(path), (0, 0), "", "off", lineup.layout)
        frame = lineup.cache.get(key)
        if frame is not None:
            return effects + [ShowStill(frame)]
        self.off_key = key
        return effects + lineup.request(key, Priority.NEXT)

    def is_off_slide(self, key: FrameKey) -> bool:
        return self.off_key is not None and key == self.off_key

    def off_slide_arrived(self, message: FrameReady | FrameFailed, lineup: Lineup) -> list[Any]:
        self.off_key = None
        if isinstance(message, FrameFailed):
            log.warning("off slide %s cannot be shown (%s); the screen stays black", message.key.path, message.reason)
            return []
        if self.screen_on:
            return []
        lineup.cache.put(message.frame)
        return [ShowStill(message.frame)]
