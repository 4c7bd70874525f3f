"""The rules a config value must follow: each takes a value and returns it converted, or raises ValueError.

Pure. Every rule accepts what YAML gives (text, numbers, lists) and also the
converted value it returns, so a config section can run its rules again in
its constructor: `TimingConfig(answer_seconds=-1)` is refused like the same
line in config.yaml. Messages quote no more than a short excerpt of a bad
value.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path
from typing import Any, Callable, TypeGuard, TypeVar

from kiosk.core.schedule import DateSpan, WeekHours, parse_dates, parse_hours
from kiosk.core.values import MAX_SECONDS, excerpt, number_problem

Rule = Callable[[Any], Any]
Colour = tuple[int, int, int]
AnyRule = TypeVar("AnyRule", bound=Rule)

MAX_OVERLAY_CHARACTERS = 500


def allows(text: str) -> Callable[[AnyRule], AnyRule]:
    """Gives a rule its `allowed`: what it accepts, in words, for the reference (tools/config_reference.py)."""

    def described(rule: AnyRule) -> AnyRule:
        rule.allowed = text  # type: ignore[attr-defined]  # a function takes attributes; its type does not declare them
        return rule

    return described


def seconds(high: float = MAX_SECONDS, allow_zero: bool = False) -> Rule:
    """A finite number of seconds: > 0 (or >= 0) and at most `high`."""

    @allows(f"seconds, {'>= 0' if allow_zero else '> 0'}, at most {high:g}")
    def check(value: Any) -> float:
        problem = number_problem(value, 0, high, low_open=not allow_zero, what="a number of seconds")
        if problem:
            raise ValueError(problem)
        return float(value)

    return check


def integer(low: int, high: int | None = None) -> Rule:
    @allows(f"a whole number >= {low}" if high is None else f"a whole number, {low} to {high}")
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {excerpt(value)}")
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"from {low} to {high}"
            raise ValueError(f"must be {bound}, got {excerpt(value)}")
        return value

    return check


def optional(rule: Rule) -> Rule:
    """`rule`, or None for an empty value."""

    @allows(f"empty, or {getattr(rule, 'allowed', '')}".removesuffix(", or "))
    def check(value: Any) -> Any:
        return None if value is None else rule(value)

    return check


def fraction(low: float, high: float) -> Rule:
    @allows(f"{low:g} to {high:g}")
    def check(value: Any) -> float:
        problem = number_problem(value, low, high)
        if problem:
            raise ValueError(problem)
        return float(value)

    return check


def choice(*allowed: Any) -> Rule:
    @allows(" or ".join(f"`{a}`" for a in allowed))
    def check(value: Any) -> Any:
        if isinstance(value, bool) or value not in allowed:
            names = ", ".join(str(a) for a in allowed)
            raise ValueError(f"must be one of {names}, got {excerpt(value)}")
        return value

    return check


@allows("`true` or `false`")
def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {excerpt(value)}")
    return value


@allows(f"text, {MAX_OVERLAY_CHARACTERS} characters at most")
def overlay_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {excerpt(value)}")
    if len(value) > MAX_OVERLAY_CHARACTERS:
        raise ValueError(f"is {len(value):,} characters, over the limit of {MAX_OVERLAY_CHARACTERS}")
    return value.strip("\n")


@allows("time ranges (see the meaning)")
def hours(value: Any) -> WeekHours:
    if _is_parsed_hours(value):
        return value
    return parse_hours(value)


def _is_parsed_hours(value: Any) -> TypeGuard[WeekHours]:
    return (
        isinstance(value, tuple) and len(value) == 7
        and all(isinstance(day, tuple) and all(isinstance(r, tuple) and len(r) == 2 for r in day) for day in value)
    )


@allows("`[first day, last day]`")
def dates(value: Any) -> DateSpan:
    if isinstance(value, tuple) and len(value) == 2 and all(v is None or isinstance(v, dt.date) for v in value):
        first, last = value
        if first is not None and last is not None and first > last:
            raise ValueError(f"first date {first} is after last date {last}")
        return value
    return parse_dates(value)


# An IANA name's shape: parts of letters, digits, `_`, `+` and `-` joined by `/` (Asia/Seoul, Etc/GMT-9,
# America/Port-au-Prince). Whether the tz database holds it is the boundary's question
# (kiosk.boundary.clock.zone_problem), asked when config.yaml and the fleet file are read.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]{1,64}(?:/[A-Za-z0-9_+-]{1,64}){0,3}")


@allows("an IANA zone name")
def timezone(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _ZONE_NAME.fullmatch(value.strip()):
        raise ValueError(f"must be an IANA time zone name like Asia/Seoul, got {excerpt(value)}")
    return value.strip()


@allows("a command line (run without a shell)")
def command(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"must be a command line, got {excerpt(value)}")
    try:
        shlex.split(value)
    except ValueError as exc:
        raise ValueError(f"cannot be split into words: {exc}") from None
    return value.strip()


@allows("an `http://` or `https://` URL")
def url(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value.strip()):
        raise ValueError(f"must be an http:// or https:// URL, got {excerpt(value)}")
    return value.strip()


@allows("non-empty text")
def name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty name, got {excerpt(value)}")
    return value.strip()


@allows("a name, or empty")
def optional_name(value: Any) -> str:
    """A name, or empty for none."""
    if value is None or value == "":
        return ""
    return name(value)


@allows("a list of contribute, answer")
def kinds(value: Any) -> tuple[str, ...]:
    """A list of slide kinds, at least one."""
    allowed = ("contribute", "answer")
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or any(item not in allowed for item in items):
        raise ValueError(f"must be a list of one or both of contribute, answer; got {excerpt(value)}")
    return tuple(kind for kind in allowed if kind in items)


@allows("a list of patterns")
def globs(value: Any) -> tuple[str, ...]:
    """A list of POSIX glob patterns on paths relative to the slide folder (`answers/2026-*`)."""
    items = [] if value is None else [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or len(items) > 100 or any(
            not isinstance(item, str) or not item.strip() or len(item) > 200 for item in items):
        raise ValueError(f"must be a list of up to 100 patterns such as \"answers/2026-*\", got {excerpt(value)}")
    return tuple(item.strip() for item in items)




@allows("a path")
def path(value: Any) -> Path:
    """A path, as given: relative ones are resolved against the config file's folder when it is read,
    and `~` (a home folder) by the boundary that reads it (kiosk.boundary.configfile)."""
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a path, got {excerpt(value)}")
    if "\0" in value:
        raise ValueError(f"must be a path without NUL bytes, got {excerpt(value)}")
    return Path(value)


_SIZE_TEXT = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


@allows("`[width, height]` or `\"WxH\"`, 16 to 16384 pixels")
def size(value: Any) -> tuple[int, int]:
    """`[1920, 1080]` or `"1920x1080"` as a (width, height) pair."""
    if isinstance(value, str) and (match := _SIZE_TEXT.match(value)):
        pair: Any = [int(match.group(1)), int(match.group(2))]
    else:
        pair = value
    if (
        not isinstance(pair, (list, tuple))
        or len(pair) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and 16 <= n <= 16384 for n in pair)
    ):
        raise ValueError(f"must be [width, height] in pixels (16 to 16384) or \"WxH\", got {excerpt(value)}")
    return (pair[0], pair[1])


_HEX_COLOUR = re.compile(r"^#([0-9a-fA-F]{6})$")


@allows("`\"#rrggbb\"` or `[r, g, b]`")
def colour(value: Any) -> Colour:
    """`"#1a2b3c"` or `[26, 43, 60]` as an RGB triple."""
    if isinstance(value, str) and (match := _HEX_COLOUR.match(value.strip())):
        digits = match.group(1)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    if (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 255 for n in value)
    ):
        return (value[0], value[1], value[2])
    raise ValueError(f"must be a colour like \"#1a2b3c\" or [26, 43, 60], got {excerpt(value)}")


