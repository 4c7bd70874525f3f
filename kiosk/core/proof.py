"""Proof of play as counters: plays and time on screen per slide, kind and day, from play-log lines.

Pure: the caller reads the lines (a box's folder, or its uploads over HTTP)
and feeds them one at a time, box by box, in the order they were written. A
tally keeps one counter per slide and per day and kind, and the one line
whose time on screen waits for the next: memory grows with the slides shown,
never with the lines read.

Time on screen of one line (issue 23's shared rule): `left - time` when the
line says when the slide left the screen and that is sane (0 to the planned
`seconds` + LEFT_GRACE_SECONDS); otherwise the planned seconds, cut short by
the next line's start on the same box when there is one. A next line that
starts before this one (the clock was stepped back) tells nothing, so the
planned seconds count.

Also here, the parser of nginx's JSON listing (autoindex_format json) through
which the office reads the boxes' uploads.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from kiosk.core.values import MAX_SECONDS, excerpt, loads_json, number_problem, printable_name

LEFT_GRACE_SECONDS = 5.0  # a fade and a slow frame may keep a slide a little past its plan
MAX_LINE_BYTES = 64 * 1024  # a play-log line is about 200 bytes
MAX_PATH_CHARACTERS = 4096
MAX_KIND_CHARACTERS = 40
MAX_LISTING_ENTRIES = 100_000
MAX_COUNTERS = 50_000  # per box: slides, and days times kinds; the campaign has a few thousand slides
MAX_LISTING_NAME = 255


@dataclass(frozen=True)
class Play:
    """One usable play-log line: when the slide started, what it was, for how long it was planned, when it left."""

    start: dt.datetime
    path: str
    kind: str
    seconds: float
    left: dt.datetime | None = None


def _moment(text: object) -> dt.datetime | None:
    """An ISO-8601 time with its offset, or None (times with and without a zone cannot be ordered together)."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment


def parse_play(record: object) -> Play | None:
    """The Play of one decoded play-log record, or None if any part is unusable.

    `time` must carry its offset (the kiosk always writes one), `path` and
    `kind` be text, `seconds` a finite number in (0, a day]. An unusable
    `left` is dropped (the line still counts, by the fallback rule).
    """
    if not isinstance(record, dict):
        return None
    start, path, kind = _moment(record.get("time")), record.get("path"), record.get("kind")
    seconds = record.get("seconds")
    if start is None or not isinstance(path, str) or not isinstance(kind, str):
        return None
    if seconds is None or number_problem(seconds, 0, MAX_SECONDS, low_open=True) is not None:
        return None
    left = _moment(record.get("left"))
    return Play(start, printable_name(path[:MAX_PATH_CHARACTERS]), printable_name(kind[:MAX_KIND_CHARACTERS]),
                float(seconds), left)


def parse_play_line(raw: bytes | None) -> Play | None:
    """The Play of one line of a play log (None for an overlong line, as `split_lines` yields it), or None."""
    if raw is None or len(raw) > MAX_LINE_BYTES:
        return None
    try:
        record = loads_json(raw)
    except ValueError:
        return None
    return parse_play(record)


def split_lines(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """The lines in a stream of byte chunks, holding at most `limit` bytes: a longer line is yielded as None.

    Blank lines are left out. A last line without its newline (a log cut
    short) is yielded like any other; its parser decides.
    """
    held = bytearray()
    overlong = False
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                if not overlong:
                    held += chunk[start:]
                    if len(held) > limit:
                        held.clear()
                        overlong = True
                break
            if overlong:
                yield None
                overlong = False
            else:
                held += chunk[start:end]
                if len(held) > limit:
                    yield None
                elif held.strip():
                    yield bytes(held)
            held.clear()
            start = end + 1
    if overlong:
        yield None
    elif held.strip():
        yield bytes(held)


def seconds_on_screen(play: Play, next_start: dt.datetime | None) -> float:
    """How long the slide of `play` was on screen, by the rule in this module's docstring."""
    if play.left is not None:
        shown = (play.left - play.start).total_seconds()
        if 0 <= shown <= play.seconds + LEFT_GRACE_SECONDS:
            return shown
    if next_start is not None:
        gap = (next_start - play.start).total_seconds()
        if gap >= 0:
            return min(play.seconds, gap)
    return play.seconds


class TooManyCounters(ValueError):
    """A box's logs name more slides, or days and kinds, than any real box shows: it is not counted."""


class Tally:
    """The counters of one box (or, merged, of the plaza): fed its plays in the order they were written.

    A box's counters are bounded (`max_counters`): logs that name more
    distinct slides or days than that raise TooManyCounters rather than
    take the report's memory.
    """

    def __init__(self, since: dt.date | None = None, max_counters: int = MAX_COUNTERS) -> None:
        self.since = since
        self.max_counters = max_counters
        self.slides: dict[str, list[Any]] = {}  # path -> [kind, plays, seconds]
        self.days: dict[tuple[str, str], list[Any]] = {}  # (day, kind) -> [plays, seconds]
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None
        self.skipped = 0
        self._waiting: Play | None = None  # its time on screen may depend on the next line

    def add_line(self, raw: bytes | None) -> None:
        """One line of a play log: counted when usable, else counted as skipped."""
        play = parse_play_line(raw)
        if play is None:
            self.skipped += 1
        else:
            self.add(play)

    def add(self, play: Play) -> None:
        if self._waiting is not None:
            self._count(self._waiting, play.start)
        self._waiting = play

    def finish(self) -> None:
        """The box's last line: nothing follows it, so its own `left` or its planned seconds count."""
        if self._waiting is not None:
            self._count(self._waiting, None)
            self._waiting = None

    def _count(self, play: Play, next_start: dt.datetime | None) -> None:
        day = play.start.date()
        if self.since is not None and day < self.since:
            return
        seconds = seconds_on_screen(play, next_start)
        self.first = play.start if self.first is None or play.start < self.first else self.first
        self.last = play.start if self.last is None or play.start > self.last else self.last
        slide = self.slides.get(play.path)
        day_key = (day.isoformat(), play.kind)
        totals = self.days.get(day_key)
        if (slide is None or totals is None) and len(self.slides) + len(self.days) >= self.max_counters:
            raise TooManyCounters(f"its logs name more than {self.max_counters:,} slides, days and kinds")
        if slide is None:
            slide = self.slides[sys.intern(play.path)] = [play.kind, 0, 0.0]
        slide[1] += 1
        slide[2] += seconds
        totals = self.days.setdefault(day_key, [0, 0.0])
        totals[0] += 1
        totals[1] += seconds

    def merge(self, other: "Tally") -> None:
        """Adds another box's finished counters to these (the plaza's)."""
        for path, (kind, plays, seconds) in other.slides.items():
            slide = self.slides.setdefault(path, [kind, 0, 0.0])
            slide[1] += plays
            slide[2] += seconds
        for key, (plays, seconds) in other.days.items():
            totals = self.days.setdefault(key, [0, 0.0])
            totals[0] += plays
            totals[1] += seconds
        for moment in (other.first, other.last):
            if moment is not None:
                self.first = moment if self.first is None or moment < self.first else self.first
                self.last = moment if self.last is None or moment > self.last else self.last
        self.skipped += other.skipped

    def result(self) -> dict[str, Any]:
        """The report's numbers: totals per kind, per day and kind, per slide, and the answers' fairness."""
        per_kind: dict[str, list[Any]] = {}
        per_day: dict[str, dict[str, Any]] = {}
        for (day, kind), (plays, seconds) in sorted(self.days.items()):
            totals = per_kind.setdefault(kind, [0, 0.0])
            totals[0] += plays
            totals[1] += seconds
            per_day.setdefault(day, {})[kind] = {"plays": plays, "seconds": round(seconds, 1)}
        answers = [plays for kind, plays, _seconds in self.slides.values() if kind == "answer"]
        return {
            "from": self.first.isoformat(timespec="seconds") if self.first else None,
            "to": self.last.isoformat(timespec="seconds") if self.last else None,
            "plays": sum(plays for plays, _seconds in per_kind.values()),
            "skipped_records": self.skipped,
            "per_kind": {kind: {"plays": plays, "seconds": round(seconds, 1)}
                         for kind, (plays, seconds) in sorted(per_kind.items())},
            "per_day": per_day,
            "per_slide": [{"path": path, "kind": kind, "plays": plays, "seconds": round(seconds, 1)}
                          for path, (kind, plays, seconds) in sorted(self.slides.items(), key=_slide_order)],
            "answer_fairness": {
                "answers": len(answers),
                "fewest_plays": min(answers) if answers else 0,
                "most_plays": max(answers) if answers else 0,
            },
        }


def _slide_order(item: tuple[str, list[Any]]) -> tuple[str, str]:
    return item[1][0], item[0]


# --- nginx's JSON listing -------------------------------------------------------------------

class ListingProblem(ValueError):
    """A listing that is not what nginx's JSON autoindex writes; the message says how."""


def parse_listing(data: bytes) -> tuple[list[str], list[str]]:
    """(folder names, file names) of one nginx JSON autoindex listing, in its order.

    Refused whole (ListingProblem) when it is not JSON, not a list of
    objects with a text `name` and `type`, has more than MAX_LISTING_ENTRIES
    entries, or names something that is not a plain name in this folder.
    """
    try:
        entries = loads_json(data)
    except ValueError as exc:
        looks = " (a page, perhaps an index.html in the folder)" if data.lstrip()[:1] == b"<" else ""
        raise ListingProblem(f"not a JSON listing{looks}: {exc}") from None
    if not isinstance(entries, list):
        raise ListingProblem(f"not a JSON list but {excerpt(entries)}")
    if len(entries) > MAX_LISTING_ENTRIES:
        raise ListingProblem(f"{len(entries):,} entries, more than {MAX_LISTING_ENTRIES:,}")
    folders, files = [], []
    for entry in entries:
        if (not isinstance(entry, dict) or not isinstance(entry.get("name"), str)
                or not isinstance(entry.get("type"), str)):
            raise ListingProblem(f"an entry is not an object with a text name and type: {excerpt(entry)}")
        name = entry["name"]
        if not name or len(name) > MAX_LISTING_NAME or name in (".", "..") or "/" in name or "\0" in name:
            raise ListingProblem(f"an entry names no plain file: {excerpt(name)}")
        if entry["type"] == "directory":
            folders.append(name)
        elif entry["type"] == "file":
            files.append(name)
    return folders, files
