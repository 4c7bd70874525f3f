"""When the screen is on: daily hours (overnight ranges allowed), per weekday, within dates.

Pure: every function takes the moment to judge as an aware datetime in the
schedule's time zone. A range belongs to the day it starts on, so
`"18:00-02:00"` on a Friday runs into Saturday morning, and a campaign's
last date still gets its overnight hours.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.values import excerpt

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DAY_SPAN = 1440  # minutes
_LOOKAHEAD_DAYS = 9
# Each weekday's on-times (0 = Monday), as (start, end) minutes after the day's midnight.
WeekHours = tuple[tuple[tuple[int, int], ...], ...]
# The first and last day of a campaign, None for open.
DateSpan = tuple[dt.date | None, dt.date | None]
ALL_DAY: WeekHours = tuple(((0, _DAY_SPAN),) for _ in range(7))


@dataclass(frozen=True)
class Schedule:
    """On-times per weekday (0 = Monday) as (start, end) minutes after the day's midnight."""

    windows: WeekHours = field(default_factory=lambda: ALL_DAY)
    first_date: dt.date | None = None
    last_date: dt.date | None = None

    @property
    def always_on(self) -> bool:
        return self.first_date is None and self.last_date is None and all(w == ((0, _DAY_SPAN),) for w in self.windows)

    def _day_counts(self, day: dt.date) -> bool:
        return (self.first_date is None or day >= self.first_date) and (self.last_date is None or day <= self.last_date)

    def is_on(self, moment: dt.datetime) -> bool:
        """True when the screen should show slides at `moment`."""
        if self.always_on:
            return True
        today = moment.date()
        minute = moment.hour * 60 + moment.minute + moment.second / 60 + moment.microsecond / 60e6
        for day, offset in ((today, 0.0), (today - dt.timedelta(days=1), _DAY_SPAN)):
            if not self._day_counts(day):
                continue
            for start, end in self.windows[day.weekday()]:
                if start <= minute + offset < end:
                    return True
        return False

    def _boundaries(self, moment: dt.datetime, starts: bool) -> list[dt.datetime]:
        """Window starts (or ends) from the day before `moment` on, in order."""
        first_day = moment.date() - dt.timedelta(days=1)
        if self.first_date is not None and first_day < self.first_date:
            first_day = self.first_date
        moments = []
        for offset in range(_LOOKAHEAD_DAYS):
            day = first_day + dt.timedelta(days=offset)
            if not self._day_counts(day):
                continue
            midnight = dt.datetime.combine(day, dt.time(0, 0))
            for start, end in self.windows[day.weekday()]:
                wall = midnight + dt.timedelta(minutes=start if starts else end)
                moments.append(_localize(wall, moment.tzinfo))
        return sorted(moments)

    def next_on(self, moment: dt.datetime) -> dt.datetime | None:
        """The first moment at or after `moment` when the screen is on; None if never again."""
        if self.is_on(moment):
            return moment
        for candidate in self._boundaries(moment, starts=True):
            if candidate >= moment and self.is_on(candidate):
                return candidate
        return None

    def next_off(self, moment: dt.datetime) -> dt.datetime | None:
        """The first moment after `moment` when the screen turns off; None if it never does."""
        if self.always_on:
            return None
        if not self.is_on(moment):
            return moment
        for candidate in self._boundaries(moment, starts=False):
            if candidate > moment and not self.is_on(candidate):
                return candidate
        return None


def _localize(wall: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """A wall-clock time in `zone`; zoneinfo resolves DST gaps and folds."""
    return wall.replace(tzinfo=zone)


def parse_range(text: str) -> tuple[int, int]:
    """`"07:00-23:00"` -> (420, 1380); an end at or before the start runs past midnight."""
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"must be a time range like \"07:00-23:00\", got {excerpt(text)}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"has an impossible time: {excerpt(text)}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        end += _DAY_SPAN  # overnight, like "18:00-02:00"
    return (start, end)


def _ranges(value: Any) -> tuple[tuple[int, int], ...]:
    if value is None or value == "off":
        return ()
    if isinstance(value, str):
        return (parse_range(value),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(parse_range(v) for v in value)
    raise ValueError(f"must be \"HH:MM-HH:MM\", a list of them, or off; got {excerpt(value)}")


def _days(key: str) -> list[int]:
    name = key.strip().lower()
    if name in ("daily", "every day"):
        return list(range(7))
    if "-" in name:
        first, last = (part.strip() for part in name.split("-", 1))
        if first in WEEKDAYS and last in WEEKDAYS:
            a, b = WEEKDAYS.index(first), WEEKDAYS.index(last)
            return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
    if name in WEEKDAYS:
        return [WEEKDAYS.index(name)]
    raise ValueError(f"unknown day {excerpt(key)}; use mon, tue, wed, thu, fri, sat, sun, a span like mon-fri, "
                     "or daily")


def parse_hours(value: Any) -> WeekHours:
    """Hours for each weekday from a range, a list of ranges, or a mapping of days to those."""
    if value is None or value == "":
        return ALL_DAY
    if isinstance(value, dict):
        per_day: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
        for key, hours in value.items():
            for day in _days(str(key)):
                per_day[day] = _ranges(hours)
        return tuple(per_day)
    every_day = _ranges(value)
    return tuple(every_day for _ in range(7))


def parse_dates(value: Any) -> DateSpan:
    """`[first, last]` campaign days (inclusive), or nothing."""
    if value is None or value == []:
        return (None, None)
    if isinstance(value, list) and len(value) == 2:
        first, last = (_date(v) for v in value)
        if first > last:
            raise ValueError(f"first date {first} is after last date {last}")
        return (first, last)
    raise ValueError(f"must be [first day, last day], like [2026-12-18, 2026-12-24], got {excerpt(value)}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{excerpt(value)} is not a date like 2026-12-18")
