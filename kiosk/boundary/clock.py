"""What the box knows about its own clock: whether it is synchronised, and its time zone.

A Raspberry Pi has no real-time clock: it boots with the time it last shut
down at, until NTP (chrony or systemd-timesyncd) corrects it. The kernel
says whether that has happened (adjtimex: the STA_UNSYNC flag, which is
what `timedatectl` shows as "System clock synchronized"). Until it has, the
schedule never blanks the screen: a box that boots on the first campaign
morning believing it is still yesterday must not stay dark.

The box's own time zone is a real zone (/etc/localtime or $TZ), not
today's UTC offset, so the schedule's next on and off times stay right
across a change of daylight-saving time. A zone named in config.yaml or
the fleet file (`schedule.timezone`) is looked up here too: the core
checks only a name's shape and is handed the zone (`zone_named`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import os
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_STA_UNSYNC = 0x0040
_TIME_ERROR = 5


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h> (Linux); only `status` is read.
    _fields_ = [
        ("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
        ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
        ("time", _Timeval), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int), ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("_padding", ctypes.c_int * 11),
    ]


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    # Looked up once: find_library runs ldconfig, which the render loop must not wait for.
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def clock_synchronised() -> bool | None:
    """True once NTP has set the clock, False before, None where the kernel cannot say (one system call)."""
    libc = _libc()
    if libc is None:
        return None
    try:
        timex = _Timex()  # modes = 0: read only
        state = libc.adjtimex(ctypes.byref(timex))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != _TIME_ERROR and not timex.status & _STA_UNSYNC


@lru_cache(maxsize=1)
def system_zone() -> dt.tzinfo:
    """The box's own time zone as a real zone with its daylight-saving rules."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        pass
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


@lru_cache(maxsize=64)
def zone_problem(name: str) -> str | None:
    """Why `schedule.timezone: name` cannot be used on this box (the tz database lacks it), or None."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name[:60]!r}; use an IANA name like Asia/Seoul (see timedatectl list-timezones)"
    return None


def zone_named(name: str) -> dt.tzinfo:
    """The zone `schedule.timezone` names; the box's own for an empty name (or one the database lacks,
    which config loading has already refused)."""
    if name and zone_problem(name) is None:
        return ZoneInfo(name)  # zoneinfo caches each zone it has read
    return system_zone()
