"""The play log: one JSON line per slide shown, in `<state.dir>/play.jsonl`.

It rotates at the first slide of a new day and whenever it grows past
`state.play_log_max_megabytes`: the old file becomes
`play-YYYY-MM-DD.jsonl` (`.1`, `.2`, ... for more than one a day), and only
the newest `state.play_log_keep` rotated files are kept, so a box running for
weeks never fills its disk.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from pathlib import Path

log = logging.getLogger(__name__)

PLAY_LOG_FILE = "play.jsonl"
_ROTATED = re.compile(r"^play-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$")


def play_record(start: dt.datetime, path: str, kind: str, seconds: float) -> dict:
    """The log line for a slide that began to appear at `start` (an aware datetime)."""
    return {
        "time": start.isoformat(timespec="milliseconds"),
        "path": path,
        "kind": kind,
        "seconds": seconds,
    }


class PlayLog:
    """Appends play records; a full or read-only disk costs the record, not the show."""

    def __init__(self, folder: Path, max_bytes: int = 16 * 1024 * 1024, keep: int = 60) -> None:
        self.folder = folder
        self.path = folder / PLAY_LOG_FILE
        self.max_bytes = max_bytes
        self.keep = keep
        self._failed = False
        self._day: dt.date | None = _day_of_last_record(self.path)

    def append(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        day = _record_day(record)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self._day is not None and (day != self._day or self._size() + len(line) > self.max_bytes):
                self._rotate(self._day)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
            self._day = day
            self._failed = False
        except OSError as exc:
            if not self._failed:
                log.warning("cannot write the play log %s: %s", self.path, exc)
            self._failed = True

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotate(self, day: dt.date | None) -> None:
        if not self.path.exists():
            return
        stem = f"play-{(day or dt.date.today()).isoformat()}"
        target = self.folder / f"{stem}.jsonl"
        number = 1
        while target.exists():
            target = self.folder / f"{stem}.{number}.jsonl"
            number += 1
        os.replace(self.path, target)
        for old in rotated_logs(self.folder)[: -self.keep or None] if self.keep > 0 else []:
            old.unlink(missing_ok=True)


def rotated_logs(folder: Path) -> list[Path]:
    """Rotated play logs, oldest first."""
    found = []
    for path in folder.glob("play-*.jsonl"):
        match = _ROTATED.match(path.name)
        if match:
            found.append((match.group(1), int(match.group(2) or 0), path))
    return [path for _day, _number, path in sorted(found)]


def _record_day(record: dict) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(record["time"]).date()
    except (KeyError, TypeError, ValueError):
        return None


def _day_of_last_record(path: Path) -> dt.date | None:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 4096))
            lines = handle.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            return _record_day(json.loads(line))
        except (json.JSONDecodeError, AttributeError):
            continue
    return None


def read_play_log(folder: Path, rotated: bool = True) -> list[dict]:
    """Every record of the play log (rotated files first), skipping torn lines."""
    paths = (rotated_logs(folder) if rotated else []) + [folder / PLAY_LOG_FILE]
    records = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records
